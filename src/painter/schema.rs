//! What a network's weights were trained for, stored in the weights file's metadata and checked
//! when they load: which network, the categories and colours its output channels follow (in
//! order), the channel layout, and the grammar of the expressions. Weights trained for another
//! world are refused with an error that names what differs, not with a tensor shape mismatch.

use super::perceive::{CATEGORIES, COLOUR_CLASSES, SIZE_CLASSES};
use crate::error::{Error, Result};
use crate::scenes::{Category, COLOURS};
use burn::store::burn_pack::Reader;
use burn::tensor::Bytes;

/// The metadata key the schema is stored under, as JSON.
pub const KEY: &str = "editseg.schema";
/// The RefScenes grammar the meanings come from; raised when what an expression can mean
/// changes.
pub const GRAMMAR: &str = "refscenes-1";

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Schema {
    /// "perception" (the shipped painter's maps) or "generator" (words in, picture out).
    pub net: String,
    pub categories: Vec<String>,
    pub colours: Vec<String>,
    /// The output's channel groups in order, with their widths.
    pub channels: Vec<(String, usize)>,
    pub grammar: String,
    /// The generator's word list (ids in order); empty for perception.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub vocabulary: Vec<String>,
    /// What the generator was trained to draw: "paint", "overlay", "mask" or "edits".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drawing: Option<String>,
}

impl Schema {
    fn world(net: &str, channels: Vec<(String, usize)>) -> Schema {
        Schema {
            net: net.into(),
            categories: Category::ALL.iter().map(|c| c.name().to_string()).collect(),
            colours: COLOURS.iter().map(|(n, _)| n.to_string()).collect(),
            channels,
            grammar: GRAMMAR.into(),
            vocabulary: Vec::new(),
            drawing: None,
        }
    }

    /// The perception net's schema in this build.
    pub fn perception() -> Schema {
        Schema::world(
            "perception",
            vec![
                ("category".into(), CATEGORIES),
                ("colour".into(), COLOUR_CLASSES),
                ("size".into(), SIZE_CLASSES),
                ("centre offset".into(), 2),
            ],
        )
    }

    /// The generator's schema in this build, for its vocabulary and drawing.
    pub fn generator(vocabulary: Vec<String>, drawing: &str) -> Schema {
        Schema {
            vocabulary,
            drawing: Some(drawing.into()),
            ..Schema::world("generator", vec![("rgb".into(), 3)])
        }
    }

    /// The schema stored in burnpack `weights`.
    pub fn read(weights: &[u8]) -> Result<Schema> {
        let reader = Reader::from_bytes(Bytes::from_bytes_vec(weights.to_vec()))
            .map_err(|e| Error::Weights(format!("they are not a burnpack file: {e}")))?;
        let text = reader.metadata().get(KEY).ok_or_else(|| {
            Error::Weights(format!(
                "they carry no {KEY} (what they were trained for): save them again with this version"
            ))
        })?;
        serde_json::from_str(text)
            .map_err(|e| Error::Weights(format!("their {KEY} cannot be read: {e}")))
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("plain data")
    }

    /// Nothing, or an error naming every way `stored` differs from what this build expects
    /// (the vocabulary and drawing belong to the weights and are not compared).
    pub fn check(&self, stored: &Schema) -> Result<()> {
        let mut differ = Vec::new();
        let mut field = |name: &str, want: String, have: String| {
            if want != have {
                differ.push(format!("{name} {have} (this build: {want})"));
            }
        };
        field("network", self.net.clone(), stored.net.clone());
        field(
            "categories",
            self.categories.join(", "),
            stored.categories.join(", "),
        );
        field(
            "colours",
            self.colours.join(", "),
            stored.colours.join(", "),
        );
        let layout = |c: &[(String, usize)]| {
            c.iter()
                .map(|(n, w)| format!("{n} {w}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        field("channels", layout(&self.channels), layout(&stored.channels));
        field("grammar", self.grammar.clone(), stored.grammar.clone());
        if differ.is_empty() {
            Ok(())
        } else {
            Err(Error::Weights(format!(
                "they were trained for another world: {}",
                differ.join("; ")
            )))
        }
    }
}
