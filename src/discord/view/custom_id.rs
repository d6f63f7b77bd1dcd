//! The custom-id codec: the strings the bot puts into its buttons and
//! select menus ([`Action`] for a component's custom id, [`Choice`] for a
//! select-menu option's value), and parsing them back when a click comes
//! in, with stale and malformed ids parsing to `None`.
//!
//! Custom ids (at most 100 characters), all starting with `faq:`; `Q` is
//! the decimal [`QuestionId`] of the question that led there, omitted
//! when there is none (a menu opened by browsing) or in ids made before
//! questions had ids:
//!
//! - `faq:answer:ENTRY[:Q]`: a "Did you mean…" button;
//! - `faq:topics:PAGE[:Q]`: the topic menu;
//! - `faq:topic:TOPIC:PAGE[:Q]`: a topic's question menu;
//! - `faq:up:Q[:ENTRY]`, `faq:down:Q[:ENTRY]`: 👍 and 👎 under an answer,
//!   naming the entry when the asker picked it from suggestions or menus;
//! - `faq:why:Q`: "Why?" under an answer.
//!
//! Select-menu option values: `t:TOPIC` (a topic), `e:ENTRY` (a question)
//! and `more:PAGE` ("More…").
//!
//! Anything else (another bot's id, a malformed or truncated one) parses
//! to `None`; the handler then answers privately that the menu is out of
//! date, with the topic menu, so that no click ends in "This interaction
//! failed".

use super::{cut, limits};
use crate::store::QuestionId;

/// What a click on one of the bot's components asks for. `question` is
/// the question that led to the component, when there was one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Show this entry's answer (a suggestion button).
    Answer {
        entry: String,
        question: Option<QuestionId>,
    },
    /// The topic menu, page N; `value` is the chosen option.
    TopicMenu {
        page: usize,
        question: Option<QuestionId>,
    },
    /// A topic's question menu, page N; `value` is the chosen option.
    QuestionMenu {
        topic: usize,
        page: usize,
        question: Option<QuestionId>,
    },
    /// 👍 (`up`) or 👎 on the answer to a question: its own answer, or
    /// `entry` when the asker picked that one from suggestions or menus.
    Vote {
        question: QuestionId,
        up: bool,
        entry: Option<String>,
    },
    /// "Why this answer?" for a question.
    Why(QuestionId),
}

const PREFIX: &str = "faq";

/// `:Q`, or nothing.
fn question_suffix(question: Option<QuestionId>) -> String {
    question.map_or_else(String::new, |q| format!(":{q}"))
}

/// The question id at the end of an id: `None` when absent, `Err` when
/// present but not a number (a malformed id).
fn parse_question(part: Option<&str>) -> Result<Option<QuestionId>, ()> {
    match part {
        None => Ok(None),
        Some(q) => q.parse().map(Some).map_err(|_| ()),
    }
}

impl Action {
    /// The custom id. An id that would pass Discord's 100 characters
    /// (only an answer button with a very long entry id could) leaves the
    /// question id out rather than be cut: the click still answers, it
    /// is just not recorded as a pick.
    pub fn custom_id(&self) -> String {
        let id = match self {
            Action::Answer { entry, question } => {
                let with = format!("{PREFIX}:answer:{entry}{}", question_suffix(*question));
                if with.chars().count() <= limits::CUSTOM_ID {
                    with
                } else {
                    format!("{PREFIX}:answer:{entry}")
                }
            }
            Action::TopicMenu { page, question } => {
                format!("{PREFIX}:topics:{page}{}", question_suffix(*question))
            }
            Action::QuestionMenu {
                topic,
                page,
                question,
            } => format!(
                "{PREFIX}:topic:{topic}:{page}{}",
                question_suffix(*question)
            ),
            Action::Vote {
                question,
                up,
                entry,
            } => format!(
                "{PREFIX}:{}:{question}{}",
                if *up { "up" } else { "down" },
                entry.as_ref().map_or_else(String::new, |e| format!(":{e}"))
            ),
            Action::Why(question) => format!("{PREFIX}:why:{question}"),
        };
        cut(&id, limits::CUSTOM_ID)
    }

    /// The action a custom id names; `None` for anything that is not one
    /// of ours, or is malformed.
    pub fn parse(custom_id: &str) -> Option<Action> {
        let rest = custom_id.strip_prefix(PREFIX)?.strip_prefix(':')?;
        let mut parts = rest.split(':');
        let kind = parts.next()?;
        let args: Vec<&str> = parts.collect();
        let action = match (kind, args.as_slice()) {
            ("answer", [entry, question @ ..]) if !entry.is_empty() && question.len() <= 1 => {
                Action::Answer {
                    entry: (*entry).to_string(),
                    question: parse_question(question.first().copied()).ok()?,
                }
            }
            ("topics", [page, question @ ..]) if question.len() <= 1 => Action::TopicMenu {
                page: page.parse().ok()?,
                question: parse_question(question.first().copied()).ok()?,
            },
            ("topic", [topic, page, question @ ..]) if question.len() <= 1 => {
                Action::QuestionMenu {
                    topic: topic.parse().ok()?,
                    page: page.parse().ok()?,
                    question: parse_question(question.first().copied()).ok()?,
                }
            }
            (vote @ ("up" | "down"), [question, entry @ ..])
                if entry.len() <= 1 && entry.first().is_none_or(|e| !e.is_empty()) =>
            {
                Action::Vote {
                    question: question.parse().ok()?,
                    up: vote == "up",
                    entry: entry.first().map(|e| (*e).to_string()),
                }
            }
            ("why", [question]) => Action::Why(question.parse().ok()?),
            _ => return None,
        };
        Some(action)
    }
}

/// A chosen select-menu option: an item or "More…".
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Choice {
    Topic(usize),
    Entry(String),
    Page(usize),
}

impl Choice {
    pub fn value(&self) -> String {
        match self {
            Choice::Topic(t) => format!("t:{t}"),
            Choice::Entry(id) => format!("e:{id}"),
            Choice::Page(p) => format!("more:{p}"),
        }
    }

    pub fn parse(value: &str) -> Option<Choice> {
        let (kind, rest) = value.split_once(':')?;
        match kind {
            "t" => rest.parse().ok().map(Choice::Topic),
            "e" if !rest.is_empty() => Some(Choice::Entry(rest.to_string())),
            "more" => rest.parse().ok().map(Choice::Page),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn custom_ids_round_trip() {
        let q = Some(QuestionId(u64::MAX));
        for a in [
            Action::Answer {
                entry: "host-country_x".into(),
                question: None,
            },
            Action::Answer {
                entry: "host-country_x".into(),
                question: q,
            },
            // The longest entry id there can be (64) with the longest
            // question id still fits.
            Action::Answer {
                entry: "x".repeat(64),
                question: q,
            },
            Action::TopicMenu {
                page: 2,
                question: None,
            },
            Action::TopicMenu {
                page: 2,
                question: q,
            },
            Action::QuestionMenu {
                topic: 3,
                page: 1,
                question: None,
            },
            Action::QuestionMenu {
                topic: 3,
                page: 1,
                question: q,
            },
            Action::Vote {
                question: QuestionId(u64::MAX),
                up: true,
                entry: None,
            },
            Action::Vote {
                question: QuestionId(1),
                up: false,
                entry: None,
            },
            // A picked answer's vote names its entry; the longest id fits.
            Action::Vote {
                question: QuestionId(u64::MAX),
                up: false,
                entry: Some("e".repeat(crate::faq::limits::ID_CHARS)),
            },
            Action::Why(QuestionId(123)),
        ] {
            let id = a.custom_id();
            assert!(id.len() <= limits::CUSTOM_ID, "{id}");
            assert_eq!(Action::parse(&id), Some(a));
        }
        for c in [
            Choice::Topic(4),
            Choice::Entry("x-y".into()),
            Choice::Page(1),
        ] {
            assert_eq!(Choice::parse(&c.value()), Some(c));
        }
        assert_eq!(Action::parse("other:answer:x"), None);
        assert_eq!(Action::parse("faq:topics:x"), None);
        // Ids from before questions had ids still work.
        assert_eq!(
            Action::parse("faq:answer:a-1"),
            Some(Action::Answer {
                entry: "a-1".into(),
                question: None
            })
        );
        assert_eq!(
            Action::parse("faq:topic:3:0"),
            Some(Action::QuestionMenu {
                topic: 3,
                page: 0,
                question: None
            })
        );
        // Malformed, truncated or foreign ids are ignored, never a panic.
        for bad in [
            "",
            "faq",
            "faq:",
            "faq:up:",
            "faq:up:-1",
            "faq:why:12a",
            "faq:why:1:2",
            "faq:down:99999999999999999999999",
            "faq:answer:",
            "faq:answer:a:b",
            "faq:answer:a:1:2",
            "faq:topics:1:x",
            "faq:topic:1",
            "faq:topic:1:2:3:4",
            "faq:up:12…",
            "faq:vote:up:1",
        ] {
            assert_eq!(Action::parse(bad), None, "{bad}");
        }
        assert_eq!(Choice::parse("e:"), None);
    }
}
