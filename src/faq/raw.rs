//! The FAQ file format exactly as moderators write it (`faq/*.toml`): a
//! file's tables, key by key, each value with its byte span so that the
//! validator can point at the line.
//!
//! This is the *shape* of a file: which keys a table has and what type
//! each value is. Every problem of shape is collected, not only the first:
//! an unknown key (with the known key it was probably meant to be), a
//! value of the wrong type, a missing key. A key with a problem is left
//! out of its table, and the rest of the table is still read, so the
//! validator (in [`super::load`]) can report the content problems of the
//! same entry in the same run. Only a TOML syntax error stops the reading
//! of a file: nothing after it can be trusted.

use serde::Serialize;
use toml::de::{DeTable, DeValue};
use toml::Spanned;

/// One topic file: a `[topic]` table and any number of `[[entry]]` tables.
#[derive(Debug, Default)]
pub struct RawFile {
    /// `None` when the file has no `[topic]` table, or it is not a table.
    pub topic: Option<RawTopic>,
    pub entries: Vec<RawEntry>,
}

#[derive(Debug, Default)]
pub struct RawTopic {
    /// Where the table starts (its `[topic]` header).
    pub at: usize,
    pub name: Option<Spanned<String>>,
    pub description: Option<Spanned<String>>,
    pub emoji: Option<Spanned<String>>,
    pub order: Option<Spanned<i64>>,
    /// Whether a key was unknown, mistyped or missing (already reported).
    pub misshapen: bool,
}

#[derive(Debug, Default)]
pub struct RawEntry {
    /// Where the table starts (its `[[entry]]` header, or its `{`).
    pub at: usize,
    pub id: Option<Spanned<String>>,
    pub question: Option<Spanned<String>>,
    pub alternatives: Vec<Spanned<String>>,
    pub answer: Option<Spanned<String>>,
    pub section: Option<Spanned<String>>,
    pub link: Option<Spanned<String>>,
    pub tags: Vec<Spanned<String>>,
    /// Who keeps this entry current (a name or Discord handle).
    pub owner: Option<Spanned<String>>,
    /// When the answer was last checked against its source: a TOML date
    /// (`reviewed = 2026-11-27`).
    pub reviewed: Option<Spanned<toml::value::Datetime>>,
    /// Whether a key was unknown, mistyped or missing (already reported).
    pub misshapen: bool,
}

/// A problem of shape, at a byte offset of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub offset: usize,
    pub message: String,
}

/// The keys of each table, in the order the README documents them.
pub const TOP_KEYS: &[&str] = &["topic", "entry"];
pub const TOPIC_KEYS: &[&str] = &["name", "description", "emoji", "order"];
pub const ENTRY_KEYS: &[&str] = &[
    "id",
    "question",
    "alternatives",
    "answer",
    "section",
    "link",
    "tags",
    "owner",
    "reviewed",
];

/// The known word that `word` was most likely meant to be: the same but for
/// case, or one or two edits away (a third of the word at most), or its
/// singular or plural. `None` when nothing is that close.
pub fn did_you_mean<'a>(word: &str, known: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let word = word.to_lowercase();
    let allowed = (word.chars().count() / 3).clamp(1, 2);
    known
        .into_iter()
        .map(|k| (strsim::damerau_levenshtein(&word, &k.to_lowercase()), k))
        .filter(|&(d, k)| d <= allowed || singular(&word) == singular(k))
        .min_by_key(|&(d, _)| d)
        .map(|(_, k)| k)
}

/// "entries" -> "entry", "tags" -> "tag".
fn singular(word: &str) -> String {
    match word.strip_suffix("ies") {
        Some(stem) => format!("{stem}y"),
        None => word.strip_suffix('s').unwrap_or(word).to_string(),
    }
}

/// Reads a file's tables. `Err` is a syntax error (with its offset): toml's
/// message, still to be explained by the caller.
pub fn read(text: &str) -> Result<(RawFile, Vec<Problem>), toml::de::Error> {
    let doc = DeTable::parse(text)?;
    let mut shape = Shape::default();
    let file = shape.file(doc.get_ref());
    let mut problems = shape.problems;
    problems.sort_by_key(|p| p.offset);
    Ok((file, problems))
}

#[derive(Default)]
struct Shape {
    problems: Vec<Problem>,
}

type Table<'i> = DeTable<'i>;
type Value<'i> = Spanned<DeValue<'i>>;

impl Shape {
    fn problem(&mut self, offset: usize, message: String) {
        self.problems.push(Problem { offset, message });
    }

    fn file(&mut self, doc: &Table) -> RawFile {
        let mut file = RawFile::default();
        let mut topic_seen = false;
        for (key, value) in doc.iter() {
            match key.get_ref().as_ref() {
                "topic" => {
                    topic_seen = true;
                    match value.get_ref() {
                        DeValue::Table(t) => file.topic = Some(self.topic(t, value.span().start)),
                        other => self.problem(
                            key.span().start,
                            format!(
                                "`topic` is {}; it must be a table: a [topic] line, then its name and description",
                                a_type(other)
                            ),
                        ),
                    }
                }
                "entry" => match value.get_ref() {
                    DeValue::Array(items) => {
                        for item in items {
                            match item.get_ref() {
                                DeValue::Table(t) => {
                                    file.entries.push(self.entry(t, item.span().start));
                                }
                                other => self.problem(
                                    item.span().start,
                                    format!(
                                        "an entry is {}; each entry is an [[entry]] table",
                                        a_type(other)
                                    ),
                                ),
                            }
                        }
                    }
                    DeValue::Table(t) => {
                        self.problem(
                            key.span().start,
                            "`[entry]` has one pair of brackets; write `[[entry]]`, one per entry"
                                .into(),
                        );
                        let mut entry = self.entry(t, value.span().start);
                        entry.misshapen = true;
                        file.entries.push(entry);
                    }
                    other => self.problem(
                        key.span().start,
                        format!(
                            "`entry` is {}; each entry is an [[entry]] table",
                            a_type(other)
                        ),
                    ),
                },
                other => {
                    let hint = match did_you_mean(other, TOP_KEYS.iter().copied()) {
                        Some("entry") => "did you mean `[[entry]]`? ".to_string(),
                        Some(k) => format!("did you mean `[{k}]`? "),
                        None => String::new(),
                    };
                    self.problem(
                        key.span().start,
                        format!(
                            "unknown top-level key `{other}`; {hint}a topic file has one [topic] table and [[entry]] tables"
                        ),
                    );
                }
            }
        }
        if !topic_seen {
            self.problem(
                0,
                "missing [topic] table; start the file with [topic] and its name and description"
                    .into(),
            );
        }
        file
    }

    fn topic(&mut self, table: &Table, at: usize) -> RawTopic {
        let mut t = RawTopic {
            at,
            ..RawTopic::default()
        };
        let mut ok = true;
        let mut meant = Vec::new();
        for (key, value) in table.iter() {
            let name = key.get_ref().as_ref();
            match name {
                "name" => t.name = self.string("topic", name, value, &mut ok),
                "description" => t.description = self.string("topic", name, value, &mut ok),
                "emoji" => t.emoji = self.string("topic", name, value, &mut ok),
                "order" => t.order = self.integer("topic", name, value, &mut ok),
                _ => meant.extend(self.unknown("topic", key, TOPIC_KEYS, &mut ok)),
            }
        }
        for required in ["name", "description"] {
            if !table.contains_key(required) && !meant.contains(&required) {
                self.missing("topic", required, at, &mut ok);
            }
        }
        t.misshapen = !ok;
        t
    }

    fn entry(&mut self, table: &Table, at: usize) -> RawEntry {
        let mut e = RawEntry {
            at,
            ..RawEntry::default()
        };
        let mut ok = true;
        // The label of messages: the id when it is a string.
        let id = table
            .get("id")
            .and_then(|v| v.get_ref().as_str())
            .map(|s| s.trim().to_string());
        let label = match &id {
            Some(id) if !id.is_empty() => format!("entry `{id}`"),
            _ => "entry".to_string(),
        };
        let label = label.as_str();
        let mut meant = Vec::new();
        for (key, value) in table.iter() {
            let name = key.get_ref().as_ref();
            match name {
                "id" => e.id = self.string(label, name, value, &mut ok),
                "question" => e.question = self.string(label, name, value, &mut ok),
                "alternatives" => e.alternatives = self.strings(label, name, value, &mut ok),
                "answer" => e.answer = self.string(label, name, value, &mut ok),
                "section" => e.section = self.string(label, name, value, &mut ok),
                "link" => e.link = self.string(label, name, value, &mut ok),
                "tags" => e.tags = self.strings(label, name, value, &mut ok),
                "owner" => e.owner = self.string(label, name, value, &mut ok),
                "reviewed" => e.reviewed = self.date(label, value, &mut ok),
                _ => meant.extend(self.unknown(label, key, ENTRY_KEYS, &mut ok)),
            }
        }
        // A key that is missing because it is misspelt is reported once,
        // as the misspelling.
        for required in ["id", "question", "answer", "section"] {
            if !table.contains_key(required) && !meant.contains(&required) {
                self.missing(label, required, at, &mut ok);
            }
        }
        e.misshapen = !ok;
        e
    }

    /// Reports an unknown key; returns the known key it was probably meant
    /// to be, whose absence is then not reported again.
    fn unknown(
        &mut self,
        label: &str,
        key: &Spanned<std::borrow::Cow<str>>,
        known: &'static [&'static str],
        ok: &mut bool,
    ) -> Option<&'static str> {
        *ok = false;
        let name = key.get_ref().as_ref();
        let meant = did_you_mean(name, known.iter().copied());
        let hint = match meant {
            Some(k) => format!("did you mean `{k}`?"),
            None => format!(
                "the keys are {}",
                known
                    .iter()
                    .map(|k| format!("`{k}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        self.problem(
            key.span().start,
            format!("{label}: unknown field `{name}`; {hint}"),
        );
        meant
    }

    fn missing(&mut self, label: &str, key: &str, at: usize, ok: &mut bool) {
        *ok = false;
        self.problem(
            at,
            format!("{label}: missing field `{key}`; add it to this table"),
        );
    }

    /// `what` names the value: "`answer`", "an item of `tags`".
    fn mistyped(&mut self, label: &str, what: &str, want: &str, value: &Value, ok: &mut bool) {
        *ok = false;
        self.problem(
            value.span().start,
            format!(
                "{label}: {what} is {}; it must be {want}",
                a_type(value.get_ref())
            ),
        );
    }

    fn string(
        &mut self,
        label: &str,
        key: &str,
        value: &Value,
        ok: &mut bool,
    ) -> Option<Spanned<String>> {
        match value.get_ref() {
            DeValue::String(s) => Some(Spanned::new(value.span(), s.to_string())),
            _ => {
                self.mistyped(label, &format!("`{key}`"), "a string in quotes", value, ok);
                None
            }
        }
    }

    fn strings(
        &mut self,
        label: &str,
        key: &str,
        value: &Value,
        ok: &mut bool,
    ) -> Vec<Spanned<String>> {
        let want = "a list of strings, like [\"one\", \"two\"]";
        let DeValue::Array(items) = value.get_ref() else {
            self.mistyped(label, &format!("`{key}`"), want, value, ok);
            return Vec::new();
        };
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            match item.get_ref() {
                DeValue::String(s) => out.push(Spanned::new(item.span(), s.to_string())),
                _ => self.mistyped(
                    label,
                    &format!("an item of `{key}`"),
                    "a string in quotes",
                    item,
                    ok,
                ),
            }
        }
        out
    }

    fn integer(
        &mut self,
        label: &str,
        key: &str,
        value: &Value,
        ok: &mut bool,
    ) -> Option<Spanned<i64>> {
        let parsed = match value.get_ref() {
            DeValue::Integer(i) => i64::from_str_radix(i.as_str(), i.radix()).ok(),
            _ => None,
        };
        if parsed.is_none() {
            self.mistyped(
                label,
                &format!("`{key}`"),
                "a whole number, without quotes",
                value,
                ok,
            );
        }
        parsed.map(|n| Spanned::new(value.span(), n))
    }

    fn date(
        &mut self,
        label: &str,
        value: &Value,
        ok: &mut bool,
    ) -> Option<Spanned<toml::value::Datetime>> {
        match value.get_ref() {
            DeValue::Datetime(d) => Some(Spanned::new(value.span(), *d)),
            DeValue::String(s) if s.trim().parse::<toml::value::Datetime>().is_ok() => {
                *ok = false;
                self.problem(
                    value.span().start,
                    format!("{label}: `reviewed` is a date in quotes; write it without quotes: reviewed = {}", s.trim()),
                );
                None
            }
            _ => {
                self.mistyped(
                    label,
                    "`reviewed`",
                    "a date without quotes, like reviewed = 2026-11-27",
                    value,
                    ok,
                );
                None
            }
        }
    }
}

/// "a string", "an integer", … for messages.
fn a_type(value: &DeValue) -> &'static str {
    match value {
        DeValue::String(_) => "a string",
        DeValue::Integer(_) => "a number",
        DeValue::Float(_) => "a decimal number",
        DeValue::Boolean(_) => "true or false",
        DeValue::Datetime(_) => "a date",
        DeValue::Array(_) => "a list",
        DeValue::Table(_) => "a table",
    }
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
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reviewed: Option<toml::value::Datetime>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn did_you_mean_finds_case_typos_and_plurals_only() {
        let keys = || ENTRY_KEYS.iter().copied();
        assert_eq!(did_you_mean("Question", keys()), Some("question"));
        assert_eq!(did_you_mean("anwser", keys()), Some("answer"));
        assert_eq!(did_you_mean("tag", keys()), Some("tags"));
        assert_eq!(did_you_mean("entries", ["topic", "entry"]), Some("entry"));
        assert_eq!(did_you_mean("colour", keys()), None);
        assert_eq!(did_you_mean("x", keys()), None);
    }
}
