//! A dataset through an editor: every sentence asked once, its edit saved as `{sent_id}.png`
//! beside a `{sent_id}.json` sidecar saying how it was asked and answered. Resumable: a saved
//! edit is never asked for again, files appear whole (written under a temporary name, then
//! renamed), and an interrupted run keeps what was done. Requests run on threads, with retries
//! and backoff for what is worth retrying.

use super::prompt::{Paint, Template};
use super::{redact, Class, Editor, Failure};
use crate::error::{Error, Result};
use crate::{color, files, imageio, rng::Rng};
use std::collections::{HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One sentence to ask about.
#[derive(Clone, Debug)]
pub struct Job {
    pub sent_id: u64,
    pub image: PathBuf,
    pub expression: String,
}

/// What fills an edits folder: a rerun with anything else is refused, so that edits from
/// different editors never mix.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Record {
    pub adapter: String,
    pub endpoint: Option<String>,
    pub model: Option<String>,
    pub template: String,
    pub color: String,
}

/// How one sentence was asked and answered (`{sent_id}.json`).
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Sidecar {
    pub sent_id: u64,
    pub adapter: String,
    pub model: Option<String>,
    pub prompt: String,
    /// The colour asked for, in the prompt's words, and as the diff is told it.
    pub color: String,
    pub color_hex: String,
    pub seed: Option<u64>,
    pub attempts: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finish_reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failed: Option<Failure>,
}

/// A sentence that has no edit, and why.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Failed {
    pub sent_id: u64,
    pub class: Class,
    pub message: String,
}

pub struct Plan {
    pub editor: Arc<dyn Editor + Send + Sync>,
    pub record: Record,
    pub template: Template,
    pub paint: Paint,
    pub seed: Option<u64>,
    pub dir: PathBuf,
    pub concurrency: usize,
    /// Retries after the first request, for what is worth retrying.
    pub retries: u32,
    /// Ask again for sentences the editor refused or answered without a picture.
    pub retry_failed: bool,
    /// The first wait before a retry (doubled each time, with jitter).
    pub backoff: Duration,
    /// Kept out of everything written or printed.
    pub key: Option<String>,
}

/// What a run did.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Requests sent, retries included.
    pub requests: usize,
    pub retries: usize,
    /// Sentences whose edit was saved by an earlier run.
    pub reused: usize,
    pub saved: usize,
    pub failed: Vec<Failed>,
    /// Of the answered requests this run, in milliseconds.
    pub latencies_ms: Vec<f64>,
    /// Stopped (Ctrl-C) before every sentence was asked.
    pub interrupted: bool,
}

fn edit_path(dir: &Path, id: u64) -> PathBuf {
    dir.join(format!("{id}.png"))
}

fn sidecar_path(dir: &Path, id: u64) -> PathBuf {
    dir.join(format!("{id}.json"))
}

/// Write `bytes` so that `path` is either absent or whole.
fn write_whole(path: &Path, bytes: &[u8]) -> Result<()> {
    let name = path.file_name().expect("a file").to_string_lossy();
    let part = path.with_file_name(format!(".{name}.part"));
    files::write(&part, bytes)?;
    std::fs::rename(&part, path).map_err(|e| files::error(path, "rename into place", e))
}

pub fn read_sidecar(dir: &Path, id: u64) -> Option<Sidecar> {
    let text = std::fs::read_to_string(sidecar_path(dir, id)).ok()?;
    serde_json::from_str(&text).ok()
}

/// The folder's record, written on first use and checked on every later one.
fn claim(dir: &Path, record: &Record) -> Result<()> {
    files::create_dir(dir)?;
    let path = dir.join("editor.json");
    if let Ok(text) = std::fs::read_to_string(&path) {
        let had: Record = serde_json::from_str(&text).map_err(|e| Error::BadData {
            what: path.display().to_string(),
            reason: format!("not an EditSeg editor record: {e}"),
        })?;
        if had != *record {
            let show = |r: &Record| {
                format!(
                    "{} {} at {}, template {}, colour {}",
                    r.adapter,
                    r.model.as_deref().unwrap_or("-"),
                    r.endpoint.as_deref().unwrap_or("-"),
                    r.template,
                    r.color
                )
            };
            return Err(Error::BadOption(format!(
                "{} holds edits from {}; this run asks {}: use another --edits-dir so that edits from different editors never mix",
                dir.display(),
                show(&had),
                show(record)
            )));
        }
        return Ok(());
    }
    write_whole(
        &path,
        serde_json::to_string_pretty(record)
            .expect("JSON")
            .as_bytes(),
    )
}

/// Leftovers of an interrupted write.
fn sweep(dir: &Path) {
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            if e.file_name().to_string_lossy().ends_with(".part") {
                let _ = std::fs::remove_file(e.path());
            }
        }
    }
}

/// What the workers found, gathered.
#[derive(Default)]
struct Results {
    failed: Vec<Failed>,
    /// One per saved edit.
    latencies: Vec<f64>,
    /// An edit that could not be saved: the run ends with this error.
    unsaved: Option<Error>,
}

/// Shared between the workers and the progress line.
#[derive(Default)]
struct Counters {
    done: AtomicUsize,
    failed: AtomicUsize,
    retrying: AtomicUsize,
    requests: AtomicUsize,
    retries: AtomicUsize,
}

/// Ask the editor about every job not already answered, `concurrency` at a time. `stop` ends
/// the run early (within about two seconds: requests still in flight are abandoned, their
/// files never half written). `progress(done, failed, retrying, total)` is called as work
/// moves.
pub fn run(
    plan: Plan,
    jobs: &[Job],
    stop: Arc<AtomicBool>,
    progress: &dyn Fn(usize, usize, usize, usize),
) -> Result<Outcome> {
    claim(&plan.dir, &plan.record)?;
    sweep(&plan.dir);
    let mut outcome = Outcome::default();
    let mut todo = VecDeque::new();
    for job in jobs {
        if edit_path(&plan.dir, job.sent_id).exists() {
            outcome.reused += 1;
            continue;
        }
        let recorded = read_sidecar(&plan.dir, job.sent_id).and_then(|s| s.failed);
        match recorded {
            Some(f) if f.is_answer() && !plan.retry_failed => outcome.failed.push(Failed {
                sent_id: job.sent_id,
                class: f.class,
                message: f.message,
            }),
            _ => todo.push_back(job.clone()),
        }
    }
    let total = todo.len();
    let queue = Arc::new(Mutex::new(todo));
    let counters = Arc::new(Counters::default());
    let results = Arc::new(Mutex::new(Results::default()));
    let plan = Arc::new(plan);
    let workers: Vec<_> = (0..plan.concurrency.max(1).min(total.max(1)))
        .map(|_| {
            let (queue, counters, results, plan, stop) = (
                queue.clone(),
                counters.clone(),
                results.clone(),
                plan.clone(),
                stop.clone(),
            );
            std::thread::spawn(move || loop {
                if stop.load(Ordering::Relaxed) {
                    return;
                }
                let Some(job) = queue.lock().expect("queue").pop_front() else {
                    return;
                };
                let asked = ask(&plan, &job, &counters, &stop);
                let mut r = results.lock().expect("results");
                match asked {
                    Asked::Answered(ms) => r.latencies.push(ms),
                    Asked::Failed(f) => {
                        counters.failed.fetch_add(1, Ordering::Relaxed);
                        r.failed.push(Failed {
                            sent_id: job.sent_id,
                            class: f.class,
                            message: f.message,
                        });
                    }
                    Asked::Stopped => continue,
                    Asked::Unsaved(e) => {
                        r.unsaved.get_or_insert(e);
                        stop.store(true, Ordering::Relaxed);
                        continue;
                    }
                }
                counters.done.fetch_add(1, Ordering::Relaxed);
            })
        })
        .collect();
    let mut stopped_at = None;
    loop {
        progress(
            counters.done.load(Ordering::Relaxed),
            counters.failed.load(Ordering::Relaxed),
            counters.retrying.load(Ordering::Relaxed),
            total,
        );
        if workers.iter().all(|w| w.is_finished()) {
            break;
        }
        if stop.load(Ordering::Relaxed) {
            let at = *stopped_at.get_or_insert_with(Instant::now);
            if at.elapsed() > Duration::from_secs(2) {
                break;
            }
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let r = results.lock().expect("results");
    if let Some(e) = &r.unsaved {
        return Err(e.clone());
    }
    outcome.interrupted = stop.load(Ordering::Relaxed);
    outcome.failed.extend(r.failed.iter().cloned());
    outcome.failed.sort_by_key(|f| f.sent_id);
    outcome.latencies_ms = r.latencies.clone();
    outcome.saved = r.latencies.len();
    outcome.requests = counters.requests.load(Ordering::Relaxed);
    outcome.retries = counters.retries.load(Ordering::Relaxed);
    Ok(outcome)
}

/// Sleep `d`, waking early when stopped; false if stopped.
fn wait(d: Duration, stop: &AtomicBool) -> bool {
    let end = Instant::now() + d;
    while Instant::now() < end {
        if stop.load(Ordering::Relaxed) {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50).min(end - Instant::now()));
    }
    !stop.load(Ordering::Relaxed)
}

/// How asking about one sentence ended.
enum Asked {
    /// Saved; the answer took this many milliseconds.
    Answered(f64),
    /// The editor's final failure, recorded in the sidecar.
    Failed(Failure),
    /// Stopped before an answer: nothing recorded, asked again next run.
    Stopped,
    /// The answer could not be saved (a full disk, a folder gone): the run stops.
    Unsaved(Error),
}

/// Ask about one sentence, with retries.
fn ask(plan: &Plan, job: &Job, counters: &Counters, stop: &AtomicBool) -> Asked {
    let key = plan.key.as_deref();
    let picture = match imageio::read(&job.image) {
        Ok(p) => p,
        Err(e) => {
            return Asked::Failed(Failure::new(
                Class::BadImage,
                format!("the dataset's picture cannot be read: {e}"),
            ))
        }
    };
    let png = imageio::encode_png_rgba(&picture);
    let (words, rgb) = plan.paint.for_picture(&plan.template, &picture);
    let prompt = plan.template.render(&job.expression, &words);
    let sidecar =
        |attempts, latency_ms, answer: Option<&super::Answer>, failed: Option<Failure>| Sidecar {
            sent_id: job.sent_id,
            adapter: plan.record.adapter.clone(),
            model: plan.record.model.clone(),
            prompt: prompt.clone(),
            color: words.clone(),
            color_hex: color::hex(rgb),
            seed: plan.seed,
            attempts,
            latency_ms,
            usage: answer.and_then(|a| a.usage.clone()),
            finish_reason: answer.and_then(|a| a.finish_reason.clone()),
            text: answer.and_then(|a| a.text.as_deref().map(|t| redact(t, key))),
            failed: failed.map(|f| Failure {
                message: redact(&f.message, key),
                ..f
            }),
        };
    let mut rng = Rng::new(job.sent_id ^ 0x9E37_79B9_7F4A_7C15);
    let mut attempts = 0u32;
    loop {
        if stop.load(Ordering::Relaxed) {
            return Asked::Stopped;
        }
        attempts += 1;
        counters.requests.fetch_add(1, Ordering::Relaxed);
        let started = Instant::now();
        let answered = plan.editor.edit(&png, &prompt, plan.seed).and_then(|a| {
            // Saved as PNG whatever the editor sent, once it is known to be a whole picture.
            let edit = imageio::decode(&a.image, "the editor's picture")
                .map_err(|e| Failure::new(Class::BadImage, e.to_string()))?;
            Ok((a, imageio::encode_png_rgba(&edit)))
        });
        let ms = started.elapsed().as_secs_f64() * 1e3;
        match answered {
            Ok((answer, png_out)) => {
                let side = sidecar(attempts, Some(ms), Some(&answer), None);
                let saved = write_whole(
                    &sidecar_path(&plan.dir, job.sent_id),
                    serde_json::to_string_pretty(&side)
                        .expect("JSON")
                        .as_bytes(),
                )
                .and_then(|_| write_whole(&edit_path(&plan.dir, job.sent_id), &png_out));
                return match saved {
                    Ok(()) => Asked::Answered(ms),
                    Err(e) => Asked::Unsaved(e),
                };
            }
            Err(f) if f.retryable() && attempts <= plan.retries => {
                counters.retries.fetch_add(1, Ordering::Relaxed);
                counters.retrying.fetch_add(1, Ordering::Relaxed);
                // Exponential backoff with full jitter, at least what the editor asked for.
                let backoff = plan.backoff.as_secs_f64() * 2f64.powi(attempts as i32 - 1);
                let jittered = backoff.min(60.0) * (0.5 + rng.range(0.0, 1.0) as f64);
                let d = jittered.max(f.retry_after.unwrap_or(0.0).min(300.0));
                let go_on = wait(Duration::from_secs_f64(d), stop);
                counters.retrying.fetch_sub(1, Ordering::Relaxed);
                if !go_on {
                    return Asked::Stopped;
                }
            }
            Err(f) => {
                let f = Failure {
                    message: redact(&f.message, key),
                    ..f
                };
                let side = sidecar(attempts, None, None, Some(f.clone()));
                let _ = write_whole(
                    &sidecar_path(&plan.dir, job.sent_id),
                    serde_json::to_string_pretty(&side)
                        .expect("JSON")
                        .as_bytes(),
                );
                return Asked::Failed(f);
            }
        }
    }
}

/// The colours each saved edit was asked for, as the diff is told them.
pub fn colours(dir: &Path, ids: &[u64]) -> HashMap<u64, [u8; 3]> {
    ids.iter()
        .filter_map(|&id| {
            let s = read_sidecar(dir, id)?;
            Some((id, color::parse(&s.color_hex).ok()?))
        })
        .collect()
}
