//! The validator: checks the content of a file's tables, once the shape
//! reader ([`raw`](crate::faq::raw)) has read them, and gives each problem
//! (its own and the reader's) its line and column.

use std::collections::HashMap;
use std::path::Path;

use toml::Spanned;

use super::parse::Drafted;
use crate::faq::diagnostic::{Diagnostic, LineIndex, Position};
use crate::faq::limits;
use crate::faq::raw::{RawEntry, RawTopic};
use crate::faq::slug::{is_slug, slugify};
use crate::faq::{Entry, Topic};

/// Checks the content of a file's tables: what the shape reader
/// ([`raw::read`](crate::faq::raw::read)) cannot know, such as empty text, Discord's limits,
/// slugs, repeated phrasings and dates.
pub(super) struct Validator<'a> {
    text: &'a str,
    lines: LineIndex,
    path: &'a Path,
    diags: Vec<Diagnostic>,
}

impl<'a> Validator<'a> {
    /// A validator for the file at `path`, whose text is `text`.
    pub(super) fn new(text: &'a str, path: &'a Path) -> Self {
        Validator {
            text,
            lines: LineIndex::new(text),
            path,
            diags: Vec::new(),
        }
    }

    /// Every problem reported, in the order they were found.
    pub(super) fn into_diagnostics(self) -> Vec<Diagnostic> {
        self.diags
    }

    fn pos(&self, offset: usize) -> Position {
        self.lines.position(self.text, offset)
    }

    pub(super) fn error(&mut self, offset: usize, message: String) {
        let pos = self.pos(offset);
        self.diags.push(Diagnostic::error(self.path, pos, message));
    }

    fn error_count(&self) -> usize {
        self.diags.iter().filter(|d| d.is_error()).count()
    }

    fn warning(&mut self, offset: usize, message: String) {
        let pos = self.pos(offset);
        self.diags
            .push(Diagnostic::warning(self.path, pos, message));
    }

    /// Checks a non-empty string field; returns it trimmed. A field that is
    /// absent (or had a shape problem, already reported) gives `None`.
    fn required(
        &mut self,
        field: Option<&Spanned<String>>,
        what: impl std::fmt::Display,
    ) -> Option<String> {
        let field = field?;
        let value = field.get_ref().trim();
        if value.is_empty() {
            self.error(
                field.span().start,
                format!("{what} is empty; write something or remove the key if it is optional"),
            );
            return None;
        }
        Some(value.to_string())
    }

    fn max_chars(
        &mut self,
        field: Option<&Spanned<String>>,
        what: impl std::fmt::Display,
        max: usize,
    ) {
        let Some(field) = field else { return };
        let n = field.get_ref().trim().chars().count();
        if n > max {
            self.error(
                field.span().start,
                format!(
                    "{what} is {n} characters; Discord allows {max}, so shorten it by {}",
                    n - max
                ),
            );
        }
    }

    pub(super) fn topic(&mut self, raw: &RawTopic) -> Option<Topic> {
        let name = self.required(raw.name.as_ref(), "topic name");
        self.max_chars(raw.name.as_ref(), "topic name", limits::MENU_TEXT_CHARS);
        let description = self.required(raw.description.as_ref(), "topic description");
        self.max_chars(
            raw.description.as_ref(),
            "topic description (a select-menu option description)",
            limits::MENU_TEXT_CHARS,
        );
        if let Some(d) = &raw.description {
            if d.get_ref().trim().contains('\n') {
                self.error(
                    d.span().start,
                    "topic description spans several lines; it must be one line".to_string(),
                );
            }
        }
        let emoji = match &raw.emoji {
            Some(e) => Some(self.required(Some(e), "topic emoji")?),
            None => None,
        };
        if raw.misshapen {
            return None;
        }
        Some(Topic {
            name: name?,
            description: description?,
            emoji,
            order: raw.order.as_ref().map_or(i64::MAX, |o| *o.get_ref()),
            file: self.path.to_path_buf(),
            entries: Vec::new(),
        })
    }

    pub(super) fn entry(&mut self, raw: &RawEntry) -> Drafted<usize> {
        let errors_before = self.error_count();
        let id = self.required(raw.id.as_ref(), "id");
        let mut valid_id = id.clone();
        if let (Some(id), Some(field)) = (&id, &raw.id) {
            if !is_slug(id) {
                valid_id = None;
                self.error(
                    field.span().start,
                    format!(
                        "id `{id}` is not a slug; use lowercase letters, digits, '-' and '_', e.g. `{}`",
                        slugify(id)
                    ),
                );
            } else if id.chars().count() > limits::ID_CHARS {
                valid_id = None;
                self.error(
                    field.span().start,
                    format!(
                        "id `{id}` is longer than {} characters; shorten it",
                        limits::ID_CHARS
                    ),
                );
            }
        }
        let label = id.as_deref().unwrap_or("?");
        let question = self.required(
            raw.question.as_ref(),
            format_args!("entry `{label}`: question"),
        );
        if let Some(q) = &raw.question {
            if q.get_ref().trim().chars().count() > limits::MENU_TEXT_CHARS {
                self.warning(
                    q.span().start,
                    format!(
                        "entry `{label}`: question is over {} characters and will be cut in Discord menus; a shorter question reads better",
                        limits::MENU_TEXT_CHARS
                    ),
                );
            }
        }
        let asked = raw.question.as_ref().map_or("", |q| q.get_ref().trim());
        let mut alternatives = Vec::new();
        let mut seen = HashMap::new();
        for alt in &raw.alternatives {
            let Some(text) =
                self.required(Some(alt), format_args!("entry `{label}`: an alternative"))
            else {
                continue;
            };
            let key = text.to_lowercase();
            if seen.insert(key, ()).is_some() || text.eq_ignore_ascii_case(asked) {
                self.warning(
                    alt.span().start,
                    format!("entry `{label}`: alternative `{text}` repeats another phrasing of this entry; remove it"),
                );
                continue;
            }
            alternatives.push(text);
        }
        let answer = self.required(raw.answer.as_ref(), format_args!("entry `{label}`: answer"));
        self.max_chars(
            raw.answer.as_ref(),
            format_args!("entry `{label}`: answer (an embed description)"),
            limits::ANSWER_CHARS,
        );
        let section = self.required(
            raw.section.as_ref(),
            format_args!("entry `{label}`: section"),
        );
        let link = match &raw.link {
            Some(l) => {
                let link = self.required(Some(l), format_args!("entry `{label}`: link"));
                if let Some(link) = &link {
                    if !(link.starts_with("https://") || link.starts_with("http://")) {
                        self.error(
                            l.span().start,
                            format!("entry `{label}`: link `{link}` is not a web address; start it with https://"),
                        );
                    }
                }
                link
            }
            None => None,
        };
        let tags = raw
            .tags
            .iter()
            .filter_map(|t| self.required(Some(t), format_args!("entry `{label}`: a tag")))
            .collect();
        let owner = self.required(raw.owner.as_ref(), format_args!("entry `{label}`: owner"));
        let reviewed = raw.reviewed.as_ref().and_then(|r| {
            let date = match (r.get_ref().date, r.get_ref().time) {
                (Some(d), None) => {
                    jiff::civil::Date::new(d.year as i16, d.month as i8, d.day as i8).ok()
                }
                _ => None,
            };
            if date.is_none() {
                self.error(
                    r.span().start,
                    format!(
                        "entry `{label}`: reviewed `{}` is not a date; write it as reviewed = 2026-11-27 (no quotes, no time)",
                        r.get_ref()
                    ),
                );
            }
            date
        });
        let errors_after = self.error_count();
        let valid = || -> Option<Entry> {
            if raw.misshapen || errors_after > errors_before {
                return None;
            }
            Some(Entry {
                id: id?,
                question: question?,
                alternatives,
                answer: answer?,
                section: section?,
                link,
                tags,
                owner,
                reviewed,
                topic: 0,
            })
        };
        Drafted {
            read: valid().ok_or(valid_id),
            at: raw.at,
            reviewed_at: raw.reviewed.as_ref().map(|r| r.span().start),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::super::parse::{assert_says, parse_partial, parse_shown as parse};

    #[test]
    fn empty_fields_and_limits_are_errors_with_lines() {
        let long = "x".repeat(4100);
        let text = format!(
            "[topic]\nname = \"\"\ndescription = \"{}\"\n\n[[entry]]\nid = \"Bad Id\"\nquestion = \"Q\"\nanswer = \"{long}\"\nsection = \" \"\n",
            "d".repeat(101)
        );
        let (_, diags) = parse(&text);
        let joined = diags.join("\n");
        assert_says(
            &joined,
            &[
                "t.toml:2:8: error: topic name is empty",
                "t.toml:3:15: error: topic description (a select-menu option description) is 101 characters",
                "t.toml:6:6: error: id `Bad Id` is not a slug",
                "`bad-id`",
                "t.toml:8:10: error: entry `Bad Id`: answer (an embed description) is 4100 characters",
                "t.toml:9:11: error: entry `Bad Id`: section is empty",
            ],
        );
    }

    #[test]
    fn owner_and_review_date_are_read_and_a_time_is_not_a_date() {
        let text = "[topic]\nname = \"A\"\ndescription = \"b\"\n\n[[entry]]\nid = \"x\"\nquestion = \"q\"\nanswer = \"a\"\nsection = \"s\"\nowner = \"ana\"\nreviewed = 2026-11-27\n\n[[entry]]\nid = \"y\"\nquestion = \"q2\"\nanswer = \"a\"\nsection = \"s\"\nreviewed = 2026-11-27T10:00:00\n";
        let (partial, diags) = parse_partial(text, Path::new("t.toml"));
        let shown: Vec<String> = diags.iter().map(ToString::to_string).collect();
        assert_eq!(shown.len(), 1, "{shown:?}");
        assert!(
            shown[0].starts_with(
                "t.toml:18:12: error: entry `y`: reviewed `2026-11-27T10:00:00` is not a date"
            ),
            "{shown:?}"
        );
        let x = partial.entries[0].read.as_ref().expect("valid");
        assert_eq!(x.owner.as_deref(), Some("ana"));
        assert_eq!(x.reviewed, Some(jiff::civil::date(2026, 11, 27)));
    }
}
