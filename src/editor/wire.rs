//! The HTTP editors' wire formats: the request each is sent and how its answer is read, in one
//! place for the command line and the page. Nothing here touches the network; the key is added
//! by the transport (`key_header`), so a request can be shown without it.

use super::{Adapter, Answer, Class, Failure};
use base64::Engine;
use serde_json::{json, Value};

/// What one edit asks.
pub struct Ask<'a> {
    pub endpoint: &'a str,
    pub model: &'a str,
    pub prompt: &'a str,
    /// The picture as PNG.
    pub png: &'a [u8],
    pub seed: Option<u64>,
}

/// A request ready to send: POST `url` with `body` of `content_type`, plus the key's header.
#[derive(Clone, Debug)]
pub struct Request {
    pub url: String,
    pub content_type: String,
    pub body: Vec<u8>,
}

/// The header that carries the key, as (name, value).
pub fn key_header(adapter: Adapter, key: &str) -> (&'static str, String) {
    match adapter {
        Adapter::Gemini => ("x-goog-api-key", key.to_string()),
        _ => ("authorization", format!("Bearer {key}")),
    }
}

fn base(endpoint: &str) -> &str {
    endpoint.trim_end_matches('/')
}

/// The request for an HTTP editor.
pub fn request(adapter: Adapter, ask: &Ask) -> Request {
    match adapter {
        Adapter::Gemini => gemini(ask),
        _ => openai(ask),
    }
}

/// `POST {endpoint}/images/edits`, multipart/form-data: image, prompt, model, n (and seed,
/// which vLLM-Omni takes).
fn openai(ask: &Ask) -> Request {
    let mut fields: Vec<(&str, String)> = vec![
        ("prompt", ask.prompt.to_string()),
        ("model", ask.model.to_string()),
        ("n", "1".to_string()),
    ];
    if let Some(seed) = ask.seed {
        fields.push(("seed", seed.to_string()));
    }
    // A boundary that occurs nowhere in the parts.
    let mut boundary = String::from("editseg-form-boundary");
    let contains = |hay: &[u8], needle: &[u8]| hay.windows(needle.len()).any(|w| w == needle);
    while contains(ask.png, boundary.as_bytes())
        || fields.iter().any(|(_, v)| v.contains(&boundary))
    {
        boundary.push('x');
    }
    let mut body = Vec::with_capacity(ask.png.len() + 1024);
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"image\"; filename=\"image.png\"\r\nContent-Type: image/png\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(ask.png);
    body.extend_from_slice(b"\r\n");
    for (name, value) in &fields {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    Request {
        url: format!("{}/images/edits", base(ask.endpoint)),
        content_type: format!("multipart/form-data; boundary={boundary}"),
        body,
    }
}

/// `POST {endpoint}/models/{model}:generateContent` with the prompt and the picture inline,
/// asking for text and image.
fn gemini(ask: &Ask) -> Request {
    let data = base64::engine::general_purpose::STANDARD.encode(ask.png);
    let mut body = json!({
        "contents": [{"parts": [
            {"text": ask.prompt},
            {"inline_data": {"mime_type": "image/png", "data": data}}
        ]}],
        "generationConfig": {"responseModalities": ["TEXT", "IMAGE"]}
    });
    if let Some(seed) = ask.seed {
        body["generationConfig"]["seed"] = json!(seed);
    }
    Request {
        url: format!(
            "{}/models/{}:generateContent",
            base(ask.endpoint),
            ask.model
        ),
        content_type: "application/json".to_string(),
        body: serde_json::to_vec(&body).expect("JSON of strings"),
    }
}

/// The request as text for `--dry-run`: the picture's bytes summarised, no key.
pub fn describe(adapter: Adapter, req: &Request, ask: &Ask) -> String {
    let body = match adapter {
        Adapter::Gemini => {
            let mut v: Value = serde_json::from_slice(&req.body).expect("our own JSON");
            v["contents"][0]["parts"][1]["inline_data"]["data"] =
                json!(format!("<{} bytes of PNG, base64>", ask.png.len()));
            serde_json::to_string_pretty(&v).expect("JSON")
        }
        _ => {
            let mut lines = vec![format!("image: <{} bytes of PNG>", ask.png.len())];
            lines.push(format!("prompt: {}", ask.prompt));
            lines.push(format!("model: {}", ask.model));
            lines.push("n: 1".into());
            if let Some(seed) = ask.seed {
                lines.push(format!("seed: {seed}"));
            }
            lines.join("\n")
        }
    };
    let key = match adapter {
        Adapter::Gemini => "x-goog-api-key: [key]",
        _ => "Authorization: Bearer [key]",
    };
    format!(
        "POST {}\nContent-Type: {}\n{key}\n\n{body}",
        req.url, req.content_type
    )
}

/// `Retry-After` in seconds (an HTTP date is not read: the backoff stands in).
pub fn retry_after(header: Option<&str>) -> Option<f64> {
    header
        .and_then(|h| h.trim().parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s >= 0.0)
}

/// The editor's own message in an error answer: `error.message` in both APIs, else the body's
/// start.
fn message_of(v: Option<&Value>, body: &[u8]) -> String {
    v.and_then(|v| v["error"]["message"].as_str())
        .map(str::to_string)
        .unwrap_or_else(|| {
            let text = String::from_utf8_lossy(&body[..body.len().min(300)]);
            let text = text.trim();
            if text.is_empty() {
                "no message".to_string()
            } else {
                text.to_string()
            }
        })
}

/// Read an answer: HTTP `status`, its `Retry-After`, and its body.
pub fn read(
    adapter: Adapter,
    status: u16,
    retry_after_header: Option<&str>,
    body: &[u8],
) -> Result<Answer, Failure> {
    let json: Option<Value> = serde_json::from_slice(body).ok();
    if !(200..300).contains(&status) {
        let message = message_of(json.as_ref(), body);
        let code = json
            .as_ref()
            .and_then(|v| v["error"]["code"].as_str().map(str::to_string));
        let refused = code.as_deref() == Some("moderation_blocked")
            || code.as_deref() == Some("content_policy_violation");
        return Err(Failure {
            class: if refused { Class::Refused } else { Class::Http },
            message,
            status: Some(status),
            retry_after: retry_after(retry_after_header),
        });
    }
    let Some(v) = json else {
        return Err(Failure {
            status: Some(status),
            ..Failure::new(
                Class::Http,
                format!("the answer is not JSON: {}", message_of(None, body)),
            )
        });
    };
    let answer = match adapter {
        Adapter::Gemini => read_gemini(&v),
        _ => read_openai(&v),
    }?;
    Ok(answer)
}

fn decode(data: &str) -> Result<Vec<u8>, Failure> {
    base64::engine::general_purpose::STANDARD
        .decode(data.trim())
        .map_err(|e| {
            Failure::new(
                Class::BadImage,
                format!("the picture's base64 is damaged: {e}"),
            )
        })
}

fn read_openai(v: &Value) -> Result<Answer, Failure> {
    let first = &v["data"][0];
    let Some(b64) = first["b64_json"].as_str() else {
        let why = if first["url"].is_string() {
            "the answer gives a URL instead of the picture (b64_json)"
        } else {
            "the answer holds no picture (data[0].b64_json)"
        };
        return Err(Failure::new(Class::NoImage, why));
    };
    Ok(Answer {
        image: decode(b64)?,
        usage: v.get("usage").cloned(),
        finish_reason: None,
        text: first["revised_prompt"].as_str().map(str::to_string),
    })
}

/// Finish reasons that mean the editor declined.
const REFUSALS: &[&str] = &[
    "SAFETY",
    "IMAGE_SAFETY",
    "PROHIBITED_CONTENT",
    "IMAGE_PROHIBITED_CONTENT",
    "BLOCKLIST",
    "SPII",
    "RECITATION",
    "IMAGE_RECITATION",
];

fn read_gemini(v: &Value) -> Result<Answer, Failure> {
    if let Some(block) = v["promptFeedback"]["blockReason"].as_str() {
        return Err(Failure::new(
            Class::Refused,
            format!("the prompt was blocked ({block})"),
        ));
    }
    let candidate = &v["candidates"][0];
    let finish = candidate["finishReason"].as_str().map(str::to_string);
    let parts = candidate["content"]["parts"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let text: Vec<&str> = parts.iter().filter_map(|p| p["text"].as_str()).collect();
    let text = (!text.is_empty()).then(|| text.join(" "));
    // Answers use camelCase; accept the request's snake_case too.
    let picture = parts.iter().find_map(|p| {
        let d = p.get("inlineData").or_else(|| p.get("inline_data"))?;
        d["data"].as_str()
    });
    let Some(b64) = picture else {
        let reason = finish.clone().unwrap_or_else(|| "none given".into());
        let said = text
            .as_deref()
            .map(|t| format!(": \"{t}\""))
            .unwrap_or_default();
        let class = if REFUSALS.contains(&reason.as_str()) {
            Class::Refused
        } else {
            Class::NoImage
        };
        return Err(Failure::new(
            class,
            format!("no picture in the answer (finishReason {reason}){said}"),
        ));
    };
    Ok(Answer {
        image: decode(b64)?,
        usage: v.get("usageMetadata").cloned(),
        finish_reason: finish,
        text,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ask(png: &[u8]) -> Ask<'_> {
        Ask {
            endpoint: "http://127.0.0.1:8000/v1/",
            model: "m",
            prompt: "paint the cat red",
            png,
            seed: Some(7),
        }
    }

    #[test]
    fn the_openai_request_is_a_multipart_form_with_the_picture_and_the_fields() {
        let png = b"\x89PNG fake bytes";
        let r = request(Adapter::OpenAi, &ask(png));
        assert_eq!(r.url, "http://127.0.0.1:8000/v1/images/edits");
        let boundary = r.content_type.split("boundary=").nth(1).unwrap();
        let body = String::from_utf8_lossy(&r.body);
        for field in [
            "name=\"image\"; filename=\"image.png\"",
            "name=\"prompt\"\r\n\r\npaint the cat red",
            "name=\"n\"\r\n\r\n1",
            "name=\"seed\"\r\n\r\n7",
        ] {
            assert!(body.contains(field), "{field} missing from {body}");
        }
        assert!(body.ends_with(&format!("--{boundary}--\r\n")));
    }

    #[test]
    fn the_gemini_request_carries_the_prompt_and_the_picture_inline() {
        let r = request(Adapter::Gemini, &ask(b"png"));
        assert_eq!(r.url, "http://127.0.0.1:8000/v1/models/m:generateContent");
        let v: Value = serde_json::from_slice(&r.body).unwrap();
        assert_eq!(v["contents"][0]["parts"][0]["text"], "paint the cat red");
        assert_eq!(v["contents"][0]["parts"][1]["inline_data"]["data"], "cG5n");
        assert_eq!(
            v["generationConfig"]["responseModalities"],
            json!(["TEXT", "IMAGE"])
        );
    }

    #[test]
    fn answers_and_failures_are_read_into_their_classes() {
        let ok = br#"{"data": [{"b64_json": "cG5n"}], "usage": {"total_tokens": 5}}"#;
        let a = read(Adapter::OpenAi, 200, None, ok).unwrap();
        assert_eq!(a.image, b"png");
        let refusal = br#"{"error": {"message": "Your request was rejected", "type": "image_generation_user_error", "code": "moderation_blocked"}}"#;
        assert_eq!(
            read(Adapter::OpenAi, 400, None, refusal).unwrap_err().class,
            Class::Refused
        );
        let busy = read(Adapter::OpenAi, 429, Some("3"), b"{}").unwrap_err();
        assert_eq!(
            (busy.class, busy.retry_after, busy.retryable()),
            (Class::Http, Some(3.0), true)
        );
        assert_eq!(
            read(Adapter::OpenAi, 200, None, b"{not json")
                .unwrap_err()
                .class,
            Class::Http
        );
        let safety =
            br#"{"candidates": [{"finishReason": "IMAGE_SAFETY", "content": {"parts": []}}]}"#;
        assert_eq!(
            read(Adapter::Gemini, 200, None, safety).unwrap_err().class,
            Class::Refused
        );
        let text_only = br#"{"candidates": [{"finishReason": "STOP", "content": {"parts": [{"text": "I cannot"}]}}]}"#;
        let f = read(Adapter::Gemini, 200, None, text_only).unwrap_err();
        assert!(
            f.class == Class::NoImage && f.message.contains("I cannot"),
            "{f}"
        );
        let picture = br#"{"candidates": [{"finishReason": "STOP", "content": {"parts": [{"text": "here"}, {"inlineData": {"mimeType": "image/png", "data": "cG5n"}}]}}]}"#;
        let a = read(Adapter::Gemini, 200, None, picture).unwrap();
        assert_eq!(
            (a.image.as_slice(), a.text.as_deref()),
            (&b"png"[..], Some("here"))
        );
    }
}
