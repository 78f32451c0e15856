//! What the editor is asked: a template with the referring expression and a paint colour, and
//! the colour chosen for a picture when none is given. The colour asked for is the colour the
//! diff is told.

use crate::color;
use crate::error::{Error, Result};

/// How the sentence becomes a prompt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Template {
    /// Paint the object, keep everything else.
    Paint,
    /// The article's segmentation prompt for Ming-lite-omni.
    Ming,
    /// The user's own text with `{expr}` and `{color}`.
    Own(String),
}

const PAINT: &str = "Paint {expr} {color}. Keep everything else in the picture exactly as it is: the same framing, size, lighting and every other object.";
const MING: &str = "Given the following instructions: {expr}; please perform referring segmentation on this image with {color} mask.";

impl std::str::FromStr for Template {
    type Err = Error;
    fn from_str(s: &str) -> Result<Template> {
        match s {
            "paint" => Ok(Template::Paint),
            "ming" => Ok(Template::Ming),
            own if own.contains("{expr}") => Ok(Template::Own(own.to_string())),
            other => Err(Error::BadOption(format!(
                "the template \"{other}\" is neither paint, ming nor a text with {{expr}} (and {{color}}) in it"
            ))),
        }
    }
}

impl Template {
    /// The name recorded with a run: `paint`, `ming`, or the text itself.
    pub fn name(&self) -> &str {
        match self {
            Template::Paint => "paint",
            Template::Ming => "ming",
            Template::Own(text) => text,
        }
    }

    pub fn text(&self) -> &str {
        match self {
            Template::Paint => PAINT,
            Template::Ming => MING,
            Template::Own(text) => text,
        }
    }

    /// The prompt for one expression and colour name.
    pub fn render(&self, expression: &str, color: &str) -> String {
        self.text()
            .replace("{expr}", expression.trim())
            .replace("{color}", color)
    }
}

/// The colour to ask for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Paint {
    /// Per picture, a named colour that contrasts with it (green for the article's template,
    /// as the article asks).
    Auto,
    /// A colour name the editor understands.
    Named(String),
    /// `#rrggbb`: sent as written.
    Hex(String),
}

impl std::str::FromStr for Paint {
    type Err = Error;
    fn from_str(s: &str) -> Result<Paint> {
        let t = s.trim().to_ascii_lowercase();
        if t == "auto" {
            return Ok(Paint::Auto);
        }
        color::parse(&t)?;
        Ok(if t.starts_with('#') {
            Paint::Hex(t)
        } else {
            Paint::Named(t)
        })
    }
}

impl Paint {
    pub fn name(&self) -> &str {
        match self {
            Paint::Auto => "auto",
            Paint::Named(n) | Paint::Hex(n) => n,
        }
    }

    /// The colour's words for the prompt and its value for the diff, for this picture.
    pub fn for_picture(
        &self,
        template: &Template,
        picture: &image::RgbaImage,
    ) -> (String, [u8; 3]) {
        let words = match self {
            Paint::Named(n) | Paint::Hex(n) => n.clone(),
            Paint::Auto if *template == Template::Ming => "green".to_string(),
            Paint::Auto => color::name_of(color::contrasting(picture))
                .expect("the contrasting paints are named")
                .to_string(),
        };
        let rgb = color::parse(&words).expect("a colour parse accepted");
        (words, rgb)
    }
}

/// A typed instruction as the page sends it: the instruction as typed, with the paint colour
/// added in words when it names none; and the colour the diff is told.
#[derive(Clone, Debug, PartialEq)]
pub struct Typed {
    pub prompt: String,
    /// The colour in the prompt's words.
    pub words: String,
    /// The colour the diff looks for.
    pub rgb: [u8; 3],
}

/// The colour the instruction names, else `wanted` (the page's paint colour: its nearest name
/// goes into the prompt), else a named colour that stands out from the picture.
pub fn typed(
    instruction: &str,
    picture: &image::RgbaImage,
    wanted: Option<[u8; 3]>,
) -> Result<Typed> {
    let parsed = crate::instruction::parse(instruction)?;
    let text = instruction.trim();
    if let Some(rgb) = parsed.paint {
        return Ok(Typed {
            prompt: text.to_string(),
            words: color::name_of(rgb)
                .unwrap_or("the named colour")
                .to_string(),
            rgb,
        });
    }
    let (words, rgb) = match wanted {
        Some(rgb) => (color::nearest_name(rgb), rgb),
        None => {
            let rgb = color::contrasting(picture);
            (
                color::name_of(rgb).expect("the contrasting paints are named"),
                rgb,
            )
        }
    };
    let bare = text.trim_end_matches(['.', '!', ' ']);
    let prompt = if bare.to_ascii_lowercase().starts_with("paint ") {
        format!("{bare} {words}")
    } else {
        format!("{bare}. Paint it {words}, and keep everything else as it is.")
    };
    Ok(Typed {
        prompt,
        words: words.to_string(),
        rgb,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_templates_fill_in_the_expression_and_the_colour() {
        let ming: Template = "ming".parse().unwrap();
        assert_eq!(
            ming.render(" the girl with the umbrella ", "green"),
            "Given the following instructions: the girl with the umbrella; please perform referring segmentation on this image with green mask."
        );
        let own: Template = "colour {expr} in {color}".parse().unwrap();
        assert_eq!(own.render("the cat", "red"), "colour the cat in red");
        assert!("segment it".parse::<Template>().is_err());
    }

    #[test]
    fn a_typed_instruction_keeps_its_colour_or_gets_the_pages_in_words() {
        let grey = image::RgbaImage::from_pixel(8, 8, image::Rgba([128, 128, 128, 255]));
        let named = typed(
            "paint the girl with the umbrella purple",
            &grey,
            Some([0, 255, 0]),
        )
        .unwrap();
        assert_eq!(named.prompt, "paint the girl with the umbrella purple");
        assert_eq!(named.rgb, color::parse("purple").unwrap());
        let picked = typed("paint the girl", &grey, Some([255, 0, 200])).unwrap();
        assert_eq!(
            (picked.prompt.as_str(), picked.rgb),
            ("paint the girl magenta", [255, 0, 200])
        );
        let segment = typed("segment the cat.", &grey, Some([20, 60, 230])).unwrap();
        assert_eq!(
            segment.prompt,
            "segment the cat. Paint it blue, and keep everything else as it is."
        );
        assert!(typed("  ", &grey, None).is_err());
    }

    #[test]
    fn auto_asks_for_a_named_colour_that_stands_out_and_green_for_ming() {
        let grass = image::RgbaImage::from_pixel(32, 32, image::Rgba([40, 180, 50, 255]));
        let (words, rgb) = Paint::Auto.for_picture(&Template::Paint, &grass);
        assert_ne!(words, "green");
        assert_eq!(color::parse(&words).unwrap(), rgb);
        assert_eq!(Paint::Auto.for_picture(&Template::Ming, &grass).0, "green");
        assert!("plaid".parse::<Paint>().is_err());
    }
}
