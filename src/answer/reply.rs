//! The bot's reply to one question (an answer with its source, numbered
//! suggestions, or the topic menu), built from the matcher's [`Match`] and
//! rendered for a terminal (several lines, or one line per question) and as
//! the JSON contract of `faqbot ask --json`. Pure functions of their inputs.

use serde_json::{json, Value};

use crate::answer::matching::{Decision, FallbackReason, Match, Outcome};
use crate::faq::{Entry, Faq, Topic};

/// A reply, borrowing the FAQ it came from.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply<'a> {
    Answer {
        entry: &'a Entry,
        topic: &'a Topic,
        score: f32,
        /// The question or alternative that matched.
        matched: &'a str,
    },
    Suggest {
        suggestions: Vec<(&'a Entry, f32)>,
        score: f32,
    },
    Fallback {
        reason: FallbackReason,
        topics: &'a [Topic],
        score: f32,
    },
}

impl<'a> Reply<'a> {
    pub fn new(faq: &'a Faq, m: &Match) -> Reply<'a> {
        match &m.decision {
            Decision::Answer(s) => {
                let entry = &faq.entries[s.entry];
                Reply::Answer {
                    entry,
                    topic: faq.topic_of(entry),
                    score: s.score,
                    matched: entry.phrasings().nth(s.phrasing).unwrap_or(&entry.question),
                }
            }
            Decision::Suggest(list) => Reply::Suggest {
                suggestions: list
                    .iter()
                    .map(|s| (&faq.entries[s.entry], s.score))
                    .collect(),
                score: m.score,
            },
            Decision::Fallback(reason) => Reply::Fallback {
                reason: *reason,
                topics: &faq.topics,
                score: m.score,
            },
        }
    }

    pub fn outcome(&self) -> Outcome {
        match self {
            Reply::Answer { .. } => Outcome::Answer,
            Reply::Suggest { .. } => Outcome::Suggest,
            Reply::Fallback { .. } => Outcome::Fallback,
        }
    }

    /// The reply as a person reads it in a terminal.
    pub fn to_text(&self, faq: &Faq) -> String {
        match self {
            Reply::Answer { entry, .. } => {
                let mut out = format!(
                    "{}\n\n{}\n\n{}",
                    entry.question,
                    entry.answer.trim(),
                    source_line(entry)
                );
                out.push('\n');
                out
            }
            Reply::Suggest { suggestions, .. } => {
                let mut out = String::from("I'm not sure which one you mean. Did you mean:\n");
                for (i, (entry, _)) in suggestions.iter().enumerate() {
                    out.push_str(&format!(
                        "  {}. {}  (Source: {})\n",
                        i + 1,
                        entry.question,
                        entry.section
                    ));
                }
                out.push_str("Type a number to get its answer, or ask again.\n");
                out
            }
            Reply::Fallback { reason, .. } => {
                let mut out = String::from(fallback_sentence(*reason));
                out.push_str(" Browse the topics (type a number or a name):\n");
                out.push_str(&topic_menu_text(faq));
                out
            }
        }
    }

    /// The reply on a single line (for many questions piped through).
    pub fn to_line(&self) -> String {
        let line = match self {
            Reply::Answer { entry, .. } => format!(
                "[answer {}] {} -- {} ({})",
                entry.id,
                entry.question,
                entry.answer.trim(),
                source_line(entry)
            ),
            Reply::Suggest { suggestions, .. } => {
                let list: Vec<String> = suggestions
                    .iter()
                    .enumerate()
                    .map(|(i, (e, _))| format!("{}. {} [{}]", i + 1, e.question, e.id))
                    .collect();
                format!("[suggest] Did you mean: {}", list.join("; "))
            }
            Reply::Fallback { reason, topics, .. } => {
                let names: Vec<&str> = topics.iter().map(|t| t.name.as_str()).collect();
                format!(
                    "[fallback] {} Topics: {}",
                    fallback_sentence(*reason),
                    names.join(", ")
                )
            }
        };
        line.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    /// The `faqbot ask --json` object for this reply.
    pub fn to_json(&self, question: &str) -> Value {
        match self {
            Reply::Answer {
                entry,
                topic,
                score,
                matched,
            } => {
                let mut v = json!({
                    "question": question,
                    "outcome": Outcome::Answer.as_str(),
                    "score": round(*score),
                    "id": entry.id,
                    "answer": entry.answer,
                    "section": entry.section,
                    "topic": topic.name,
                    "matched": matched,
                });
                if let Some(link) = &entry.link {
                    v["link"] = json!(link);
                }
                v
            }
            Reply::Suggest { suggestions, score } => json!({
                "question": question,
                "outcome": Outcome::Suggest.as_str(),
                "score": round(*score),
                "suggestions": suggestions.iter().map(|(e, s)| json!({
                    "id": e.id,
                    "question": e.question,
                    "section": e.section,
                    "score": round(*s),
                })).collect::<Vec<_>>(),
            }),
            Reply::Fallback {
                reason,
                topics,
                score,
            } => json!({
                "question": question,
                "outcome": Outcome::Fallback.as_str(),
                "score": round(*score),
                "reason": match reason {
                    FallbackReason::NoWords => "no_words",
                    FallbackReason::NoMatch => "no_match",
                },
                "topics": topics_json_list(topics, None),
            }),
        }
    }
}

fn fallback_sentence(reason: FallbackReason) -> &'static str {
    match reason {
        FallbackReason::NoWords => "I couldn't find any words to look up in that question.",
        FallbackReason::NoMatch => "Sorry, I couldn't find an answer to that.",
    }
}

/// `Source: <section>` and the link when the entry has one.
pub fn source_line(entry: &Entry) -> String {
    match &entry.link {
        Some(link) => format!("Source: {} <{}>", entry.section, link),
        None => format!("Source: {}", entry.section),
    }
}

/// The topic menu as lines of text: emoji, name, description, size.
pub fn topic_menu_text(faq: &Faq) -> String {
    let mut out = String::new();
    for (i, topic) in faq.topics.iter().enumerate() {
        let emoji = topic
            .emoji
            .as_deref()
            .map(|e| format!("{e} "))
            .unwrap_or_default();
        let n = topic.entries.len();
        out.push_str(&format!(
            "  {}. {emoji}{}: {} ({n} question{})\n",
            i + 1,
            topic.name,
            topic.description,
            crate::answer::text::plural(n)
        ));
    }
    out
}

/// What a terminal conversation offered last, so that the next line can
/// pick from it by number (or a topic by name).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Offer {
    #[default]
    Nothing,
    /// Numbered suggestions: these entries.
    Suggestions(Vec<usize>),
    /// The numbered topic menu.
    Topics,
    /// The numbered questions of this topic.
    Questions(usize),
}

impl Offer {
    /// What a reply with this decision offers the asker.
    pub fn of(decision: &Decision) -> Offer {
        match decision {
            Decision::Answer(_) => Offer::Nothing,
            Decision::Suggest(list) => Offer::Suggestions(list.iter().map(|s| s.entry).collect()),
            Decision::Fallback(_) => Offer::Topics,
        }
    }
}

/// A line typed after an [`Offer`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Turn {
    /// A pick of this entry: answer it.
    Entry(usize),
    /// A pick of this topic: list its questions.
    Topic(usize),
    /// Anything else is a new question.
    Ask,
}

/// What `line` means after `offer`: a number picks from what was offered,
/// and after the topic menu so does a topic's name (any case).
pub fn read_turn(faq: &Faq, offer: &Offer, line: &str) -> Turn {
    let line = line.trim();
    let number = line.parse::<usize>().ok().and_then(|n| n.checked_sub(1));
    match offer {
        Offer::Nothing => Turn::Ask,
        Offer::Suggestions(entries) => number
            .and_then(|i| entries.get(i))
            .map_or(Turn::Ask, |&e| Turn::Entry(e)),
        Offer::Topics => number
            .filter(|&i| i < faq.topics.len())
            .or_else(|| {
                faq.topics
                    .iter()
                    .position(|t| t.name.eq_ignore_ascii_case(line))
            })
            .map_or(Turn::Ask, Turn::Topic),
        Offer::Questions(t) => number
            .and_then(|i| faq.topics.get(*t).and_then(|t| t.entries.get(i)))
            .map_or(Turn::Ask, |&e| Turn::Entry(e)),
    }
}

/// A topic's questions, numbered, for the terminal.
pub fn topic_questions_text(faq: &Faq, topic: usize) -> String {
    let Some(t) = faq.topics.get(topic) else {
        return String::new();
    };
    let mut out = format!("{} (type a number to get its answer):\n", t.name);
    for (i, &e) in t.entries.iter().enumerate() {
        out.push_str(&format!("  {}. {}\n", i + 1, faq.entries[e].question));
    }
    out
}

/// The topics with their entries, as the JSON of `faqbot topics --json`
/// and of a fallback reply.
pub fn topics_json_list(topics: &[Topic], faq: Option<&Faq>) -> Vec<Value> {
    topics
        .iter()
        .map(|t| {
            let mut v = json!({
                "name": t.name,
                "description": t.description,
                "entries": t.entries.len(),
            });
            if let Some(emoji) = &t.emoji {
                v["emoji"] = json!(emoji);
            }
            if let Some(faq) = faq {
                v["questions"] = t
                    .entries
                    .iter()
                    .map(|&i| json!({"id": faq.entries[i].id, "question": faq.entries[i].question}))
                    .collect();
            }
            v
        })
        .collect()
}

/// Scores in JSON keep 4 decimals: enough to compare, stable to read.
fn round(score: f32) -> f64 {
    (f64::from(score) * 10_000.0).round() / 10_000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_topic_names_pick_from_what_was_offered() {
        let faq = crate::synthetic::synthetic_faq(12, 5);
        let offer = Offer::Suggestions(vec![7, 3]);
        assert_eq!(read_turn(&faq, &offer, "2"), Turn::Entry(3));
        assert_eq!(read_turn(&faq, &offer, " 1 "), Turn::Entry(7));
        assert_eq!(read_turn(&faq, &offer, "3"), Turn::Ask, "only two offered");
        assert_eq!(read_turn(&faq, &offer, "0"), Turn::Ask);
        assert_eq!(read_turn(&faq, &Offer::Nothing, "2"), Turn::Ask);
        assert_eq!(read_turn(&faq, &Offer::Topics, "1"), Turn::Topic(0));
        assert_eq!(
            read_turn(&faq, &Offer::Topics, "t"),
            Turn::Topic(0),
            "by name"
        );
        assert_eq!(read_turn(&faq, &Offer::Topics, "9"), Turn::Ask);
        assert_eq!(
            read_turn(&faq, &Offer::Questions(0), "12"),
            Turn::Entry(faq.topics[0].entries[11])
        );
        assert_eq!(
            read_turn(&faq, &Offer::Questions(0), "what is it"),
            Turn::Ask
        );
    }
}
