//! A local program as the editor (`--command 'python edit.py {image} {prompt} {out}'`): the
//! string is split into arguments as a POSIX shell would split it, but no shell runs, so each
//! placeholder becomes exactly one argument whatever the prompt holds.

use super::{Answer, Class, Editor, Failure};
use crate::error::{Error, Result};
use std::io::Read;
use std::path::PathBuf;
use std::process::{Command as Process, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

pub struct Command {
    argv: Vec<String>,
    timeout: Duration,
}

/// Each edit's files in a folder of their own.
static NEXT: AtomicU64 = AtomicU64::new(0);

impl Command {
    /// `line` with `{image}` (the picture, PNG), `{prompt}` and `{out}` (where the program
    /// writes its edit), and optionally `{seed}`.
    pub fn parse(line: &str, timeout: Duration) -> Result<Command> {
        let argv = shell_words::split(line).map_err(|e| {
            Error::BadOption(format!("--command cannot be split into arguments: {e}"))
        })?;
        if argv.is_empty() {
            return Err(Error::BadOption("--command is empty".into()));
        }
        for needed in ["{image}", "{out}"] {
            if !argv.iter().any(|a| a.contains(needed)) {
                return Err(Error::BadOption(format!(
                    "--command has no {needed}: the program must be told where the picture is ({{image}}) and where to write its edit ({{out}})"
                )));
            }
        }
        Ok(Command { argv, timeout })
    }
}

impl Editor for Command {
    fn edit(
        &self,
        png: &[u8],
        prompt: &str,
        seed: Option<u64>,
    ) -> std::result::Result<Answer, Failure> {
        let dir = std::env::temp_dir().join(format!(
            "editseg-edit-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let result = run(self, &dir, png, prompt, seed);
        let _ = std::fs::remove_dir_all(&dir);
        result
    }

    fn show(&self, _png: &[u8], prompt: &str, seed: Option<u64>) -> String {
        let args = substitute(&self.argv, "IMAGE.png", prompt, "EDIT.png", seed);
        shell_words::join(args)
    }
}

fn substitute(
    argv: &[String],
    image: &str,
    prompt: &str,
    out: &str,
    seed: Option<u64>,
) -> Vec<String> {
    let seed = seed.map(|s| s.to_string()).unwrap_or_default();
    argv.iter()
        .map(|a| {
            a.replace("{image}", image)
                .replace("{prompt}", prompt)
                .replace("{out}", out)
                .replace("{seed}", &seed)
        })
        .collect()
}

fn run(
    cmd: &Command,
    dir: &PathBuf,
    png: &[u8],
    prompt: &str,
    seed: Option<u64>,
) -> std::result::Result<Answer, Failure> {
    let local =
        |e: std::io::Error, what: &str| Failure::new(Class::Command, format!("{what}: {e}"));
    std::fs::create_dir_all(dir).map_err(|e| local(e, "cannot make a scratch folder"))?;
    let (image, out) = (dir.join("image.png"), dir.join("edit.png"));
    std::fs::write(&image, png).map_err(|e| local(e, "cannot write the picture"))?;
    let args = substitute(
        &cmd.argv,
        &image.to_string_lossy(),
        prompt,
        &out.to_string_lossy(),
        seed,
    );
    let mut child = Process::new(&args[0])
        .args(&args[1..])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| local(e, &format!("cannot start {}", args[0])))?;
    // Drained beside the wait, so a chatty program never blocks on a full pipe.
    let mut stderr = child.stderr.take().expect("piped");
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    let start = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if start.elapsed() > cmd.timeout => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(Failure::new(
                    Class::Timeout,
                    format!(
                        "{} did not finish in {:.0} s",
                        args[0],
                        cmd.timeout.as_secs_f64()
                    ),
                ));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => return Err(local(e, "cannot wait for the command")),
        }
    };
    let stderr = reader.join().unwrap_or_default();
    let last = stderr
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("(nothing on stderr)")
        .trim()
        .to_string();
    if !status.success() {
        return Err(Failure::new(Class::Command, format!("{status}: {last}")));
    }
    match std::fs::read(&out) {
        Ok(image) => Ok(Answer {
            image,
            ..Answer::default()
        }),
        Err(_) => Err(Failure::new(
            Class::NoImage,
            format!("the command succeeded but wrote no picture to {{out}} ({last})"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_placeholder_is_one_argument_and_no_shell_runs() {
        let c = Command::parse(
            "python 'my edit.py' {image} --prompt {prompt} {out}",
            Duration::from_secs(1),
        )
        .unwrap();
        let args = substitute(
            &c.argv,
            "/t/i.png",
            "paint \"the cat\"; rm -rf /",
            "/t/o.png",
            None,
        );
        assert_eq!(
            args,
            [
                "python",
                "my edit.py",
                "/t/i.png",
                "--prompt",
                "paint \"the cat\"; rm -rf /",
                "/t/o.png"
            ]
        );
        assert!(Command::parse("edit {image}", Duration::from_secs(1)).is_err());
        assert!(Command::parse("edit '{image} {out}", Duration::from_secs(1)).is_err());
    }
}
