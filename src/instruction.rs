//! Instructions: the templates people and the article use around a referring expression
//! ("paint {e} purple", "segment {e}", Ming-lite-omni's long form), and the parser that takes any
//! of them apart into the expression and the paint colour it names.

use crate::error::{Error, Result};

/// Lower-case words, punctuation dropped: how every expression is read.
pub fn tokens(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// Paint colours an instruction names, and the templates around an expression.
pub const PAINTS: &[&str] = &[
    "red", "green", "blue", "yellow", "purple", "magenta", "pink", "cyan", "orange", "white",
    "black",
];
pub const INSTRUCTIONS: &[&str] = &[
    "paint {e} {p}",
    "colour {e} in {p}",
    "color {e} in {p}",
    "segment {e}",
    "please segment {e} with {p} mask",
    "Given the following instructions: {e}; please perform referring segmentation on this image with {p} mask.",
];

/// An instruction taken apart.
#[derive(Clone, Debug, PartialEq)]
pub struct Instruction {
    pub expression: String,
    /// The paint colour it names, if any.
    pub paint: Option<[u8; 3]>,
}

fn strip_prefix_ci<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

/// "... with {colour} mask" at the end: the part before and the colour.
fn with_mask(text: &str) -> Option<(&str, &str)> {
    let lower = text.to_ascii_lowercase();
    let body = lower.strip_suffix(" mask")?;
    let at = body
        .rfind(" with ")
        .map(|at| at + 1)
        .or_else(|| body.starts_with("with ").then_some(0))?;
    Some((text[..at].trim_end(), &text[at + 5..body.len()]))
}

/// Parse any of the instruction templates (or a bare expression) into the expression and the
/// paint colour.
pub fn parse(text: &str) -> Result<Instruction> {
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let text = text.trim_end_matches(['.', '!', '?', ' ']);
    if text.is_empty() {
        return Err(Error::Prompt("the instruction is empty".into()));
    }
    // A trailing space lets a verb with nothing after it ("segment") match its template.
    let padded = format!("{text} ");
    let text = padded.as_str();
    let after = |prefix: &str| strip_prefix_ci(text, prefix).map(str::trim);
    let (expression, colour) = if let Some(rest) = after("given the following instructions") {
        let rest = rest.trim_start_matches([':', ' ']);
        let (expr, tail) = rest.split_once(';').unwrap_or((rest, ""));
        (expr, with_mask(tail.trim()).map(|(_, c)| c))
    } else if let Some(rest) = after("please segment ").or_else(|| after("segment ")) {
        with_mask(rest).map_or((rest, None), |(e, c)| (e, Some(c)))
    } else if let Some(rest) = after("colour ").or_else(|| after("color ")) {
        match rest.to_ascii_lowercase().rfind(" in ") {
            Some(at) => (&rest[..at], Some(&rest[at + 4..])),
            None => (rest, None),
        }
    } else if let Some(rest) = after("paint ") {
        // "paint X red" or "paint X in red"; "paint the red ball" names no paint.
        match rest.rsplit_once(' ') {
            Some((e, c)) if crate::color::parse(c).is_ok() => {
                (e.strip_suffix(" in").unwrap_or(e), Some(c))
            }
            _ => (rest, None),
        }
    } else {
        (text.trim(), None)
    };
    let expression = expression.trim().to_string();
    if tokens(&expression).is_empty() {
        return Err(Error::Prompt(format!(
            "no expression in {:?}: say which object, e.g. \"paint the star on the left red\"",
            text.trim()
        )));
    }
    let paint = colour.map(|c| crate::color::parse(c.trim())).transpose()?;
    Ok(Instruction { expression, paint })
}
