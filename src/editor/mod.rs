//! The editor stage: the sentence goes to an image editor as a prompt and its edit comes back,
//! to be diffed against the original. One interface, one adapter per kind of editor: the
//! OpenAI-style images API, Gemini's generateContent, a local command, and EditSeg's own
//! painter. The wire formats (`wire`) are shared with the page, which only moves the bytes;
//! the transports and the dataset runner are native.

pub mod prompt;
pub mod wire;

#[cfg(not(target_arch = "wasm32"))]
pub mod command;
#[cfg(not(target_arch = "wasm32"))]
pub mod dataset;
#[cfg(not(target_arch = "wasm32"))]
pub mod http;

use crate::error::{Error, Result};
use std::fmt;

/// The kinds of editor EditSeg drives.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Adapter {
    /// `POST {endpoint}/images/edits` (OpenAI's gpt-image models and the servers that copy its
    /// images API: vLLM-Omni, SGLang, LiteLLM).
    OpenAi,
    /// `POST {endpoint}/models/{model}:generateContent` (Gemini's image models).
    Gemini,
    /// A local program given the picture, the prompt and where to write its edit.
    Command,
    /// EditSeg's own painter (RefScenes scenes only).
    Builtin,
}

impl Adapter {
    pub fn name(self) -> &'static str {
        match self {
            Adapter::OpenAi => "openai",
            Adapter::Gemini => "gemini",
            Adapter::Command => "command",
            Adapter::Builtin => "builtin",
        }
    }

    /// The provider's public endpoint, for the HTTP editors.
    pub fn default_endpoint(self) -> Option<&'static str> {
        match self {
            Adapter::OpenAi => Some("https://api.openai.com/v1"),
            Adapter::Gemini => Some("https://generativelanguage.googleapis.com/v1beta"),
            _ => None,
        }
    }

    /// The model asked for unless `--model` says otherwise.
    pub fn default_model(self) -> Option<&'static str> {
        match self {
            Adapter::OpenAi => Some("gpt-image-1"),
            Adapter::Gemini => Some("gemini-2.5-flash-image"),
            _ => None,
        }
    }

    /// Where the key is read from unless `--api-key-env` names another variable.
    pub fn key_variable(self) -> Option<&'static str> {
        match self {
            Adapter::OpenAi => Some("OPENAI_API_KEY"),
            Adapter::Gemini => Some("GEMINI_API_KEY"),
            _ => None,
        }
    }

    /// Requests in flight unless `--concurrency` says otherwise: one local model in memory.
    pub fn default_concurrency(self) -> usize {
        match self {
            Adapter::OpenAi | Adapter::Gemini => 4,
            Adapter::Command | Adapter::Builtin => 1,
        }
    }
}

impl std::str::FromStr for Adapter {
    type Err = Error;
    fn from_str(s: &str) -> Result<Adapter> {
        Ok(match s.trim().to_ascii_lowercase().as_str() {
            "openai" => Adapter::OpenAi,
            "gemini" => Adapter::Gemini,
            "command" => Adapter::Command,
            "builtin" => Adapter::Builtin,
            other => {
                return Err(Error::BadOption(format!(
                    "unknown editor \"{other}\": openai, gemini, command or builtin"
                )))
            }
        })
    }
}

/// Why an editor gave no usable edit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Class {
    /// The editor declined (a safety or moderation refusal).
    Refused,
    /// The editor answered without a picture.
    NoImage,
    /// An HTTP error status, or an answer that is not the API's.
    Http,
    /// No answer within the time allowed.
    Timeout,
    /// The connection failed (no route, refused, reset, DNS).
    Network,
    /// The picture that came back is not a readable image.
    BadImage,
    /// The local command failed (a non-zero exit).
    Command,
}

impl Class {
    pub fn name(self) -> &'static str {
        match self {
            Class::Refused => "refused",
            Class::NoImage => "no_image",
            Class::Http => "http",
            Class::Timeout => "timeout",
            Class::Network => "network",
            Class::BadImage => "bad_image",
            Class::Command => "command",
        }
    }
}

/// An editor's failure: its class, the editor's own message, and what the transport knew.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Failure {
    pub class: Class,
    pub message: String,
    /// The HTTP status, when there was an answer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// Seconds the editor asked to wait before asking again (`Retry-After`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<f64>,
}

impl Failure {
    pub fn new(class: Class, message: impl Into<String>) -> Failure {
        Failure {
            class,
            message: message.into(),
            status: None,
            retry_after: None,
        }
    }

    /// Worth asking again: rate limits, server errors, timeouts and network faults. A refusal,
    /// or an answer the editor gave, is not (every request may be billed).
    pub fn retryable(&self) -> bool {
        match self.class {
            Class::Timeout | Class::Network => true,
            Class::Http => matches!(self.status, Some(408 | 429 | 500..=599)),
            _ => false,
        }
    }

    /// What the editor decided rather than what went wrong on the way: recorded, and not asked
    /// again on a rerun unless the user says so.
    pub fn is_answer(&self) -> bool {
        matches!(self.class, Class::Refused | Class::NoImage)
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.status {
            Some(s) => write!(f, "{} (HTTP {s}): {}", self.class.name(), self.message),
            None => write!(f, "{}: {}", self.class.name(), self.message),
        }
    }
}

/// An editor's answer: the picture's bytes as it sent them (PNG, JPEG or WebP), and what it
/// reported about the request.
#[derive(Clone, Debug, Default)]
pub struct Answer {
    pub image: Vec<u8>,
    pub usage: Option<serde_json::Value>,
    pub finish_reason: Option<String>,
    /// Text the editor sent beside the picture.
    pub text: Option<String>,
}

/// An editor: one edit per call, from any of the runner's threads.
#[cfg(not(target_arch = "wasm32"))]
pub trait Editor {
    /// The picture (`png`) edited as `prompt` asks.
    fn edit(
        &self,
        png: &[u8],
        prompt: &str,
        seed: Option<u64>,
    ) -> std::result::Result<Answer, Failure>;
    /// What `edit` would send, for `--dry-run` (never the key).
    fn show(&self, png: &[u8], prompt: &str, seed: Option<u64>) -> String;
}

/// An endpoint as it may be recorded: its scheme and host only (a path or query can carry a
/// key or an account name).
pub fn endpoint_host(endpoint: &str) -> String {
    let (scheme, rest) = endpoint.split_once("://").unwrap_or(("", endpoint));
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    // Credentials in the authority are dropped too.
    let host = host.rsplit('@').next().unwrap_or(host);
    if scheme.is_empty() {
        host.to_string()
    } else {
        format!("{scheme}://{host}")
    }
}

/// `text` with every occurrence of the key replaced, for anything printed or written.
pub fn redact(text: &str, key: Option<&str>) -> String {
    match key {
        Some(k) if k.len() >= 4 => text.replace(k, "[key]"),
        _ => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_endpoint_is_recorded_by_scheme_and_host_only() {
        assert_eq!(
            endpoint_host("https://user:pw@api.example.com:8443/v1/images?key=abc"),
            "https://api.example.com:8443"
        );
        assert_eq!(endpoint_host("http://127.0.0.1:9/v1"), "http://127.0.0.1:9");
    }

    #[test]
    fn only_rate_limits_server_errors_and_faults_are_retried() {
        let http = |s| Failure {
            status: Some(s),
            ..Failure::new(Class::Http, "x")
        };
        assert!(http(429).retryable() && http(503).retryable());
        assert!(!http(400).retryable() && !http(401).retryable());
        assert!(!Failure::new(Class::Refused, "no").retryable());
        assert!(Failure::new(Class::Network, "reset").retryable());
    }

    #[test]
    fn a_key_is_never_left_in_a_message() {
        let m = redact(
            "Incorrect API key provided: sk-secret-123.",
            Some("sk-secret-123"),
        );
        assert!(!m.contains("sk-secret-123") && m.contains("[key]"), "{m}");
    }
}
