//! `--editor` and its options, shared by `segment` and `eval`: which editor paints, where it
//! is, and the key, read from the environment only.

use super::Weights;
use editseg::editor::command::Command;
use editseg::editor::http::Http;
use editseg::editor::{self, Adapter, Answer, Class, Editor, Failure};
use editseg::painter::segment::{paint, Asked};
use editseg::painter::Painter;
use editseg::{imageio, Error};
use std::sync::Arc;
use std::time::Duration;

#[derive(clap::Args)]
pub struct EditorArgs {
    /// Have an editor paint the object: openai (the OpenAI-style images API: gpt-image,
    /// vLLM-Omni, SGLang, LiteLLM), gemini, command (a local program) or builtin (EditSeg's
    /// own painter, RefScenes scenes only)
    #[arg(long, value_name = "openai|gemini|command|builtin", value_parser = parse_adapter)]
    pub editor: Option<Adapter>,
    /// The editor's API base [default: https://api.openai.com/v1 for openai,
    /// https://generativelanguage.googleapis.com/v1beta for gemini]
    #[arg(long, value_name = "URL", requires = "editor")]
    pub endpoint: Option<String>,
    /// The model to ask for [default: gpt-image-1 for openai, gemini-2.5-flash-image for gemini]
    #[arg(long, value_name = "NAME", requires = "editor")]
    pub model: Option<String>,
    /// The environment variable holding the key [default: OPENAI_API_KEY or GEMINI_API_KEY]
    /// (keys are never taken as arguments)
    #[arg(long, value_name = "NAME", requires = "editor")]
    pub api_key_env: Option<String>,
    /// With --editor command: the program to run, as a shell would split it (no shell runs),
    /// with {image}, {prompt} and {out} (and optionally {seed}), e.g. 'python edit.py {image}
    /// {prompt} {out}'
    #[arg(long, value_name = "LINE")]
    pub command: Option<String>,
    /// The seed sent to the editor (editors that take one: vLLM-Omni, local programs)
    #[arg(long, value_name = "N", requires = "editor")]
    pub seed: Option<u64>,
    /// Seconds to wait for one answer [default: 120; 600 for a command]
    #[arg(long, value_name = "S", requires = "editor")]
    pub timeout: Option<f64>,
}

fn parse_adapter(s: &str) -> Result<Adapter, String> {
    super::reason(s.parse())
}

/// An opened editor, with what is recorded about it (never the key).
pub struct Opened {
    pub editor: Arc<dyn Editor + Send + Sync>,
    /// Scheme and host only.
    pub endpoint: Option<String>,
    pub model: Option<String>,
    /// To redact from anything written or printed.
    pub key: Option<String>,
}

impl EditorArgs {
    pub fn open(&self, adapter: Adapter, weights: &Weights) -> Result<Opened, Error> {
        if self.command.is_some() && adapter != Adapter::Command {
            return Err(Error::BadOption("--command is for --editor command".into()));
        }
        let timeout = self.timeout.unwrap_or(match adapter {
            Adapter::Command => 600.0,
            _ => 120.0,
        });
        if !(timeout.is_finite() && timeout > 0.0) {
            return Err(Error::BadOption(format!(
                "--timeout must be a positive number of seconds, not {timeout}"
            )));
        }
        let timeout = Duration::from_secs_f64(timeout);
        let opened = |editor: Arc<dyn Editor + Send + Sync>, endpoint, model, key| Opened {
            editor,
            endpoint,
            model,
            key,
        };
        Ok(match adapter {
            Adapter::OpenAi | Adapter::Gemini => {
                let endpoint = self
                    .endpoint
                    .clone()
                    .or(adapter.default_endpoint().map(str::to_string))
                    .expect("HTTP editors have a default endpoint");
                if !(endpoint.starts_with("http://") || endpoint.starts_with("https://")) {
                    return Err(Error::BadOption(format!(
                        "--endpoint must be an http:// or https:// URL, not \"{}\"",
                        editor::endpoint_host(&endpoint)
                    )));
                }
                let model = self
                    .model
                    .clone()
                    .or(adapter.default_model().map(str::to_string))
                    .expect("HTTP editors have a default model");
                let variable = self
                    .api_key_env
                    .clone()
                    .or(adapter.key_variable().map(str::to_string))
                    .expect("HTTP editors read a key");
                // A local server may need no key; a missing one is said when it answers 401.
                let key = std::env::var(&variable)
                    .ok()
                    .filter(|k| !k.trim().is_empty());
                if key.is_none() {
                    eprintln!(
                        "editseg: ${variable} is not set: asking {} without a key",
                        editor::endpoint_host(&endpoint)
                    );
                }
                let http = Http::new(adapter, &endpoint, &model, key.clone(), timeout);
                opened(
                    Arc::new(http),
                    Some(editor::endpoint_host(&endpoint)),
                    Some(model),
                    key,
                )
            }
            Adapter::Command => {
                let line = self.command.as_deref().ok_or_else(|| {
                    Error::BadOption("--editor command needs --command 'PROGRAM ARGS with {image} {prompt} {out}'".into())
                })?;
                let program = shell_words::split(line)
                    .ok()
                    .and_then(|a| a.first().cloned());
                opened(
                    Arc::new(Command::parse(line, timeout)?),
                    None,
                    program,
                    None,
                )
            }
            Adapter::Builtin => opened(
                Arc::new(Builtin {
                    painter: std::sync::Mutex::new(weights.painter()?),
                }),
                None,
                Some("painter".into()),
                None,
            ),
        })
    }
}

/// EditSeg's own painter as an editor: the edit at the picture's size, as `segment
/// --edit-out` saves it.
pub struct Builtin {
    painter: std::sync::Mutex<Painter>,
}

impl Editor for Builtin {
    fn edit(&self, png: &[u8], prompt: &str, _seed: Option<u64>) -> Result<Answer, Failure> {
        let picture = imageio::decode(png, "the picture")
            .map_err(|e| Failure::new(Class::BadImage, e.to_string()))?;
        let asked = Asked {
            color: None,
            force: false,
        };
        let painter = self.painter.lock().expect("the painter");
        // The painter reads instructions, not the paint template's closing request to keep the
        // rest: its first sentence is the instruction.
        let ask = |text: &str| pollster::block_on(paint(&painter, &picture, text, asked));
        let first = prompt.split_once(". ").map_or(prompt, |(first, _)| first);
        let answer = match ask(prompt) {
            Err(Error::Prompt(_)) if first != prompt => ask(first),
            other => other,
        };
        match answer {
            Ok(Ok(painted)) => {
                let edit = image::imageops::resize(
                    &painted.edit,
                    picture.width(),
                    picture.height(),
                    image::imageops::FilterType::Triangle,
                );
                Ok(Answer {
                    image: imageio::encode_png_rgba(&edit),
                    ..Answer::default()
                })
            }
            Ok(Err((_, not_found, _))) => Err(Failure::new(Class::NoImage, not_found.note)),
            Err(e) => Err(Failure::new(Class::NoImage, e.to_string())),
        }
    }

    fn show(&self, _png: &[u8], prompt: &str, _seed: Option<u64>) -> String {
        format!("the built-in painter, asked: {prompt}")
    }
}
