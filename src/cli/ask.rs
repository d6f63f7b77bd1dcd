//! The terminal asker: `ask` (one question, or one per line of standard
//! input, with picks from what the last reply offered), `ask --explain`,
//! and `topics`.

use std::io::{self, BufRead, IsTerminal, Write};
use std::process::ExitCode;
use std::time::Instant;

use super::output::{out, outln};
use crate::answer::matching::Matcher;
use crate::answer::reply::{
    read_turn, topic_menu_text, topic_questions_text, topics_json_list, Offer, Reply, Turn,
};
use crate::faq::Faq;

pub(super) fn cmd_ask(faq: &Faq, matcher: &Matcher, json: bool, words: &[String]) -> ExitCode {
    if !words.is_empty() {
        let question = words.join(" ");
        let (reply_text, _) = answer_one(
            faq,
            matcher,
            &question,
            if json { Style::Json } else { Style::Text },
        );
        out!("{reply_text}");
        return ExitCode::SUCCESS;
    }
    let stdin = io::stdin();
    let interactive = stdin.is_terminal() && !json;
    let style = match (json, interactive) {
        (true, _) => Style::Json,
        (false, true) => Style::Text,
        (false, false) => Style::Line,
    };
    if interactive {
        eprintln!("Ask a question (Ctrl-D to quit).");
    }
    let mut input = stdin.lock();
    let mut out = io::stdout().lock();
    let mut buf = Vec::new();
    let mut line_no = 0usize;
    // After suggestions or a menu, a number (or a topic's name) picks from
    // it; JSON readers get every line as a question.
    let mut offer = Offer::Nothing;
    loop {
        if interactive {
            eprint!("> ");
        }
        buf.clear();
        match input.read_until(b'\n', &mut buf) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) => {
                eprintln!("faqbot: cannot read standard input: {e}");
                return ExitCode::FAILURE;
            }
        }
        line_no += 1;
        while buf.last().is_some_and(|&b| b == b'\n' || b == b'\r') {
            buf.pop();
        }
        if buf.is_empty() {
            continue;
        }
        let question = match std::str::from_utf8(&buf) {
            Ok(q) => q.to_string(),
            Err(_) => {
                eprintln!("stdin:{line_no}: warning: not valid UTF-8; the invalid bytes were replaced with U+FFFD");
                String::from_utf8_lossy(&buf).into_owned()
            }
        };
        let turn = if style == Style::Json {
            Turn::Ask
        } else {
            read_turn(faq, &offer, &question)
        };
        let reply = match turn {
            Turn::Entry(e) => {
                offer = Offer::Nothing;
                let entry = &faq.entries[e];
                let picked = Reply::Answer {
                    entry,
                    topic: faq.topic_of(entry),
                    score: 1.0,
                    matched: &entry.question,
                };
                match style {
                    Style::Line => format!("{}\n", picked.to_line()),
                    _ => picked.to_text(faq),
                }
            }
            Turn::Topic(t) => {
                offer = Offer::Questions(t);
                let text = topic_questions_text(faq, t);
                match style {
                    Style::Line => format!(
                        "{}\n",
                        text.split_whitespace().collect::<Vec<_>>().join(" ")
                    ),
                    _ => text,
                }
            }
            Turn::Ask => {
                let (reply, next) = answer_one(faq, matcher, &question, style);
                offer = next;
                reply
            }
        };
        if let Err(e) = out.write_all(reply.as_bytes()).and_then(|()| out.flush()) {
            if e.kind() == io::ErrorKind::BrokenPipe {
                return ExitCode::SUCCESS;
            }
            eprintln!("faqbot: cannot write the answer: {e}");
            return ExitCode::FAILURE;
        }
    }
    ExitCode::SUCCESS
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Style {
    /// Several lines, for a person.
    Text,
    /// One line per question.
    Line,
    /// One JSON object per line.
    Json,
}

/// Matches one question, logs it, and renders the reply (newline-ended),
/// with what it offers for the next line to pick from.
fn answer_one(faq: &Faq, matcher: &Matcher, question: &str, style: Style) -> (String, Offer) {
    let started = Instant::now();
    let m = matcher.ask(question);
    let reply = Reply::new(faq, &m);
    let entry = match &reply {
        Reply::Answer { entry, .. } => entry.id.as_str(),
        _ => "",
    };
    tracing::info!(
        trigger = "cli",
        outcome = reply.outcome(),
        entry,
        score = m.score,
        latency_us = started.elapsed().as_micros() as u64,
        "question handled"
    );
    tracing::debug!(question, "question text");
    let text = match style {
        Style::Text => reply.to_text(faq),
        Style::Line => format!("{}\n", reply.to_line()),
        Style::Json => format!("{}\n", reply.to_json(question)),
    };
    (text, Offer::of(&m.decision))
}

pub(super) fn cmd_topics(faq: &Faq, json: bool) -> ExitCode {
    if json {
        let v = serde_json::json!({ "topics": topics_json_list(&faq.topics, Some(faq)) });
        outln!("{v}");
    } else {
        out!("{}", topic_menu_text(faq));
    }
    ExitCode::SUCCESS
}
/// `ask --explain`: how the question was read and what scored, on stderr.
pub(super) fn print_explanation(faq: &Faq, matcher: &Matcher, question: &str) {
    eprint!(
        "{}",
        crate::answer::why::Why::new(faq, matcher, question).to_text()
    );
    eprintln!("best entries:");
    for s in matcher.rank_top(question, 5).iter() {
        let e = &faq.entries[s.entry];
        let phrasing = |p: usize| e.phrasings().nth(p).unwrap_or(&e.question);
        match s.semantic {
            Some(hit) => eprintln!(
                "  {:.3} {} (via {:?}; words {:.2}, semantic {:.2} via {:?})",
                s.score,
                e.id,
                phrasing(s.phrasing),
                s.fuzzy,
                hit.cosine,
                phrasing(hit.phrasing)
            ),
            None => eprintln!("  {:.3} {} (via {:?})", s.score, e.id, phrasing(s.phrasing)),
        }
    }
}
