//! One topic file's text -> its content: the shape read key by key
//! ([`raw`](crate::faq::raw)), then the content checked ([`super::validate`]),
//! every problem collected along the way. [`parse_file`] takes the text
//! itself, so tests feed text directly.

use std::path::Path;

use super::toml_errors;
use super::validate::Validator;
use crate::faq::diagnostic::Diagnostic;
use crate::faq::raw;
use crate::faq::{Entry, Topic};

/// One file's valid content, before ids are checked across files.
#[derive(Debug)]
pub struct FileDraft {
    pub topic: Topic,
    /// Entries with the byte offset of their `[[entry]]` table.
    pub entries: Vec<(Entry, usize)>,
}

/// Parses and validates one topic file's text. Returns the valid content
/// (if the file has no errors) and every problem found.
pub fn parse_file(text: &str, path: &Path) -> (Option<FileDraft>, Vec<Diagnostic>) {
    let (partial, diags) = parse_partial(text, path);
    let draft = match partial.topic {
        Some(topic) if !diags.iter().any(Diagnostic::is_error) => Some(FileDraft {
            topic,
            entries: partial
                .entries
                .into_iter()
                .filter_map(|d| d.read.ok().map(|e| (e, d.at)))
                .collect(),
        }),
        _ => None,
    };
    (draft, diags)
}

/// Whatever was valid in a file, even if other parts were not: the topic
/// (if its table is valid) and every entry table, valid or not. Cross-file
/// checks (ids) run on these, so a broken entry still has its id compared.
///
/// `At` is a place in the file: a byte offset, turned into a
/// [`Position`](crate::faq::Position) before the file's text is dropped.
#[derive(Debug, Default)]
pub(super) struct Partial<At = usize> {
    pub(super) topic: Option<Topic>,
    /// Whether the file has a `[topic]` table (valid or not), for counts.
    pub(super) has_topic: bool,
    pub(super) entries: Vec<Drafted<At>>,
}

/// One `[[entry]]` table, read.
#[derive(Debug)]
pub(super) struct Drafted<At> {
    /// The entry when it is valid; else its id, when that is a valid slug.
    pub(super) read: Result<Entry, Option<String>>,
    /// Where its table starts.
    pub(super) at: At,
    /// Where its `reviewed` date is written.
    pub(super) reviewed_at: Option<At>,
}

impl<At> Drafted<At> {
    pub(super) fn id(&self) -> Option<&str> {
        match &self.read {
            Ok(entry) => Some(&entry.id),
            Err(id) => id.as_deref(),
        }
    }

    pub(super) fn locate<B>(self, f: impl Fn(At) -> B) -> Drafted<B> {
        Drafted {
            read: self.read,
            at: f(self.at),
            reviewed_at: self.reviewed_at.map(f),
        }
    }
}

/// [`parse_file`] without its verdict: whatever was valid, and every
/// problem in the file's order.
pub(super) fn parse_partial(text: &str, path: &Path) -> (Partial, Vec<Diagnostic>) {
    let mut v = Validator::new(text, path);
    let raw = match raw::read(text) {
        Ok((raw, problems)) => {
            for p in problems {
                let message = p.message;
                v.error(p.offset, message);
            }
            raw
        }
        Err(e) => {
            let (offset, message) = toml_errors::explain(text, &e);
            v.error(offset, message);
            return (Partial::default(), v.into_diagnostics());
        }
    };
    let partial = Partial {
        has_topic: raw.topic.is_some(),
        topic: raw.topic.as_ref().and_then(|t| v.topic(t)),
        entries: raw.entries.iter().map(|e| v.entry(e)).collect(),
    };
    // Shape problems come first from the reader; content problems follow
    // table by table. A moderator reads them in the file's order.
    let mut diags = v.into_diagnostics();
    diags.sort_by_key(|d| d.pos);
    (partial, diags)
}

/// For tests: asserts that `joined` (the diagnostics as shown) says each
/// of `expected`.
#[cfg(test)]
#[track_caller]
pub(super) fn assert_says(joined: &str, expected: &[&str]) {
    for e in expected {
        assert!(joined.contains(e), "{e:?} not in:\n{joined}");
    }
}

/// For tests: parses `text` as `t.toml`, with the diagnostics as shown.
#[cfg(test)]
pub(super) fn parse_shown(text: &str) -> (Option<FileDraft>, Vec<String>) {
    let (d, diags) = parse_file(text, Path::new("t.toml"));
    (d, diags.iter().map(ToString::to_string).collect())
}

#[cfg(test)]
mod tests {
    use super::{assert_says, parse_shown as parse};

    const GOOD: &str = r#"
[topic]
name = "Basics"
description = "The basics"
order = 1

[[entry]]
id = "what-is-it"
question = "What is it?"
alternatives = ["whats this", "explain it"]
answer = "It is a thing."
section = "Intro"
"#;

    #[test]
    fn a_valid_file_parses_without_diagnostics() {
        let (draft, diags) = parse(GOOD);
        assert!(diags.is_empty(), "{diags:?}");
        let draft = draft.expect("valid");
        assert_eq!(draft.topic.name, "Basics");
        assert_eq!(draft.entries.len(), 1);
        assert_eq!(
            draft.entries[0].0.alternatives,
            ["whats this", "explain it"]
        );
    }

    #[test]
    fn every_broken_entry_is_reported_not_just_the_first() {
        let text = format!(
            "{GOOD}\n[[entry]]\nid = \"b\"\nquestion = \"Q\"\nanwser = \"typo\"\nsection = \"S\"\n\n[[entry]]\nid = \"c\"\nquestion = \"Q2\"\nsection = \"S\"\n"
        );
        let (draft, diags) = parse(&text);
        assert!(draft.is_none());
        assert_eq!(diags.len(), 2, "{diags:?}");
        assert!(
            diags[0].starts_with(
                "t.toml:17:1: error: entry `b`: unknown field `anwser`; did you mean `answer`?"
            ),
            "{diags:?}"
        );
        assert!(diags[1].contains("missing field `answer`"), "{diags:?}");
        assert!(diags[1].starts_with("t.toml:20:1:"), "{diags:?}");
    }

    #[test]
    fn one_entry_with_many_mistakes_shows_them_all_in_one_pass() {
        // Five mistakes in one entry: a misspelt key, an unknown key, a
        // quoted date, a number where text belongs, an empty section. And a
        // bad link, which is content, not shape.
        let text = "[topic]\nname = \"A\"\ndescription = \"b\"\n\n[[entry]]\nid = \"x\"\nquestion = \"q\"\nalternative = [\"qq\"]\nanswer = 42\nsection = \"\"\ncolour = \"red\"\nreviewed = \"2026-11-27\"\nlink = \"example.com\"\n";
        let (draft, diags) = parse(text);
        assert!(draft.is_none());
        assert_eq!(
            diags,
            [
                "t.toml:8:1: error: entry `x`: unknown field `alternative`; did you mean `alternatives`?",
                "t.toml:9:10: error: entry `x`: `answer` is a number; it must be a string in quotes",
                "t.toml:10:11: error: entry `x`: section is empty; write something or remove the key if it is optional",
                "t.toml:11:1: error: entry `x`: unknown field `colour`; the keys are `id`, `question`, `alternatives`, `answer`, `section`, `link`, `tags`, `owner`, `reviewed`",
                "t.toml:12:12: error: entry `x`: `reviewed` is a date in quotes; write it without quotes: reviewed = 2026-11-27",
                "t.toml:13:8: error: entry `x`: link `example.com` is not a web address; start it with https://",
            ]
        );
    }

    #[test]
    fn types_lists_and_table_kinds_are_checked_key_by_key() {
        let text = "[topic]\nname = \"A\"\ndescription = \"b\"\norder = \"1\"\n\n[[entry]]\nid = \"x\"\nquestion = \"q\"\nalternatives = [\"ok\", 3]\ntags = \"one\"\nanswer = \"a\"\nsection = \"s\"\n\n[[entries]]\nid = \"y\"\n";
        let (_, diags) = parse(text);
        assert_eq!(
            diags,
            [
                "t.toml:4:9: error: topic: `order` is a string; it must be a whole number, without quotes",
                "t.toml:9:23: error: entry `x`: an item of `alternatives` is a number; it must be a string in quotes",
                "t.toml:10:8: error: entry `x`: `tags` is a string; it must be a list of strings, like [\"one\", \"two\"]",
                "t.toml:14:3: error: unknown top-level key `entries`; did you mean `[[entry]]`? a topic file has one [topic] table and [[entry]] tables",
            ]
        );
    }

    #[test]
    fn unknown_top_level_keys_and_missing_topic() {
        let (_, diags) = parse("title = \"x\"\n\n[[entry]]\nid = \"a\"\nquestion = \"q\"\nanswer = \"a\"\nsection = \"s\"\n");
        let joined = diags.join("\n");
        assert_says(
            &joined,
            &[
                "t.toml:1:1: error: unknown top-level key `title`",
                "missing [topic] table",
            ],
        );
    }

    #[test]
    fn inline_entry_tables_are_checked_too() {
        let text = "entry = [{ id = \"a\", question = \"q\", answer = \"a\", sektion = \"s\" }]\n[topic]\nname = \"n\"\ndescription = \"d\"\n";
        let (_, diags) = parse(text);
        assert_eq!(diags.len(), 1, "{diags:?}");
        assert!(diags[0].starts_with("t.toml:1:"), "{diags:?}");
        assert!(diags[0].contains("sektion"), "{diags:?}");
    }
}
