//! The FAQ file format exactly as moderators write it (`faq/*.toml`), read
//! with serde and nothing more: every field keeps its byte span so that the
//! validator can point at the line. Unknown keys are rejected here.

use serde::{Deserialize, Serialize};
use toml::Spanned;

/// One topic file: a `[topic]` table and any number of `[[entry]]` tables.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFile {
    pub topic: Spanned<RawTopic>,
    #[serde(default)]
    pub entry: Vec<Spanned<RawEntry>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTopic {
    pub name: Spanned<String>,
    pub description: Spanned<String>,
    #[serde(default)]
    pub emoji: Option<Spanned<String>>,
    #[serde(default)]
    pub order: Option<Spanned<i64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawEntry {
    pub id: Spanned<String>,
    pub question: Spanned<String>,
    #[serde(default)]
    pub alternatives: Vec<Spanned<String>>,
    pub answer: Spanned<String>,
    pub section: Spanned<String>,
    #[serde(default)]
    pub link: Option<Spanned<String>>,
    #[serde(default)]
    pub tags: Vec<Spanned<String>>,
    /// Who keeps this entry current (a name or Discord handle).
    #[serde(default)]
    pub owner: Option<Spanned<String>>,
    /// When the answer was last checked against its source: a TOML date
    /// (`reviewed = 2026-11-27`).
    #[serde(default)]
    pub reviewed: Option<Spanned<toml::value::Datetime>>,
}

/// The same format for writing (used by `faqbot import`): plain values,
/// optional keys left out.
#[derive(Debug, Serialize)]
pub struct OutFile {
    pub topic: OutTopic,
    pub entry: Vec<OutEntry>,
}

#[derive(Debug, Serialize)]
pub struct OutTopic {
    pub name: String,
    pub description: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub emoji: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order: Option<i64>,
}

#[derive(Debug, Serialize)]
pub struct OutEntry {
    pub id: String,
    pub question: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub alternatives: Vec<String>,
    pub answer: String,
    pub section: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
}

/// Parses one file's text. `Err` carries toml's message and the byte span
/// it points at (syntax errors, unknown keys, missing keys, wrong types).
pub fn parse(text: &str) -> Result<RawFile, (String, Option<std::ops::Range<usize>>)> {
    toml::from_str::<RawFile>(text).map_err(|e| (e.message().to_string(), e.span()))
}
