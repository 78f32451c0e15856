//! The HTTP editors' transport: one blocking request per edit through an agent with a time
//! limit, the answer read by `wire`. Status codes come back as answers (their bodies carry the
//! editor's message); redirects are not followed, so the key never goes to another host.

use super::wire::{self, Request};
use super::{Adapter, Answer, Class, Editor, Failure};
use std::time::Duration;

/// Answers larger than this are refused (a 4096x4096 PNG in base64 is about 90 MB).
const MAX_ANSWER: u64 = 256 << 20;

pub struct Http {
    adapter: Adapter,
    endpoint: String,
    model: String,
    key: Option<String>,
    agent: ureq::Agent,
}

impl Http {
    pub fn new(
        adapter: Adapter,
        endpoint: &str,
        model: &str,
        key: Option<String>,
        timeout: Duration,
    ) -> Http {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(timeout))
            .http_status_as_error(false)
            .max_redirects(0)
            .user_agent(concat!("editseg/", env!("CARGO_PKG_VERSION")))
            .build()
            .into();
        Http {
            adapter,
            endpoint: endpoint.to_string(),
            model: model.to_string(),
            key,
            agent,
        }
    }

    fn send(&self, req: &Request) -> Result<Answer, Failure> {
        let mut call = self
            .agent
            .post(&req.url)
            .header("content-type", &req.content_type);
        if let Some(key) = &self.key {
            let (name, value) = wire::key_header(self.adapter, key);
            call = call.header(name, &value);
        }
        let host = super::endpoint_host(&req.url);
        let fault = |e| fault(&host, e);
        let mut answer = call.send(&req.body[..]).map_err(fault)?;
        let status = answer.status().as_u16();
        let retry_after = answer
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let body = answer
            .body_mut()
            .with_config()
            .limit(MAX_ANSWER)
            .read_to_vec()
            .map_err(fault)?;
        wire::read(self.adapter, status, retry_after.as_deref(), &body)
    }
}

/// A transport error as a failure: timeouts apart from the other network faults.
fn fault(host: &str, e: ureq::Error) -> Failure {
    let timed_out = match &e {
        ureq::Error::Timeout(_) => true,
        ureq::Error::Io(io) => io.kind() == std::io::ErrorKind::TimedOut,
        _ => false,
    };
    if timed_out {
        Failure::new(
            Class::Timeout,
            format!("no answer from {host} in time ({e})"),
        )
    } else {
        Failure::new(Class::Network, format!("could not reach {host}: {e}"))
    }
}

impl Http {
    /// One edit's question in this editor's terms.
    fn ask<'a>(&'a self, png: &'a [u8], prompt: &'a str, seed: Option<u64>) -> wire::Ask<'a> {
        wire::Ask {
            endpoint: &self.endpoint,
            model: &self.model,
            prompt,
            png,
            seed,
        }
    }
}

impl Editor for Http {
    fn edit(&self, png: &[u8], prompt: &str, seed: Option<u64>) -> Result<Answer, Failure> {
        self.send(&wire::request(self.adapter, &self.ask(png, prompt, seed)))
    }

    fn show(&self, png: &[u8], prompt: &str, seed: Option<u64>) -> String {
        let ask = self.ask(png, prompt, seed);
        wire::describe(self.adapter, &wire::request(self.adapter, &ask), &ask)
    }
}
