//! The bot's reply to one question (an answer with its source, numbered
//! suggestions, or the topic menu), built from the matcher's [`Match`] and
//! rendered for a terminal (several lines, or one line per question) and as
//! the JSON contract of `faqbot ask --json`. Pure functions of their inputs.

use serde_json::{json, Value};

use crate::faq::{Entry, Faq, Topic};
use crate::matching::{Decision, FallbackReason, Match};

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

    pub fn outcome(&self) -> &'static str {
        match self {
            Reply::Answer { .. } => "answer",
            Reply::Suggest { .. } => "suggest",
            Reply::Fallback { .. } => "fallback",
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
                out.push_str("Ask one of these to get its answer.\n");
                out
            }
            Reply::Fallback { reason, .. } => {
                let mut out = String::from(fallback_sentence(*reason));
                out.push_str(" Browse the topics:\n");
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
                    "outcome": "answer",
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
                "outcome": "suggest",
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
                "outcome": "fallback",
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
    for topic in &faq.topics {
        let emoji = topic
            .emoji
            .as_deref()
            .map(|e| format!("{e} "))
            .unwrap_or_default();
        let n = topic.entries.len();
        out.push_str(&format!(
            "  {emoji}{}: {} ({n} question{})\n",
            topic.name,
            topic.description,
            if n == 1 { "" } else { "s" }
        ));
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
