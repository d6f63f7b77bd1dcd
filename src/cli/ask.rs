//! The terminal asker: `ask` (one question, or one per line of standard
//! input, with picks from what the last reply offered), `ask --explain`,
//! and `topics`.

use std::io::{self, BufRead, IsTerminal, Write};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;

use super::load::model_failed;
use super::output::{out, outln, Failure};
use crate::answer::engine::build_matcher;
use crate::answer::matching::Matcher;
use crate::answer::reply::{
    read_turn, topic_menu_text, topic_questions_text, topics_json_list, Offer, Reply, Turn,
};
use crate::cli::config::Config;
use crate::faq::Faq;

/// `faqbot ask`: the question given in `words`, else one per line of
/// standard input, answered from `faq` with the config's matcher;
/// `explain` first shows how the given question was read (on stderr).
pub(super) fn cmd_ask(
    faq: &Faq,
    config: &Config,
    json: bool,
    explain: bool,
    words: &[String],
) -> anyhow::Result<ExitCode> {
    let matcher =
        build_matcher(faq, &config.matching, config.scoring).map_err(|e| model_failed(&e))?;
    if !words.is_empty() {
        let question = words.join(" ");
        if explain {
            print_explanation(faq, &matcher, &question);
        }
        let (reply_text, _) = answer_one(
            faq,
            &matcher,
            &question,
            if json { Style::Json } else { Style::Text },
        );
        out!("{reply_text}")?;
        return Ok(ExitCode::SUCCESS);
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
                return Err(
                    Failure::new(format!("faqbot: cannot read standard input: {e}")).into(),
                );
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
                render(&picked, faq, &question, style)
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
                let (reply, next) = answer_one(faq, &matcher, &question, style);
                offer = next;
                reply
            }
        };
        out.write_all(reply.as_bytes())
            .and_then(|()| out.flush())
            .context("cannot write the answer")?;
    }
    Ok(ExitCode::SUCCESS)
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
        trigger = crate::store::Trigger::Terminal.as_str(),
        outcome = reply.outcome().as_str(),
        entry,
        score = m.score,
        latency_us = started.elapsed().as_micros() as u64,
        "question handled"
    );
    tracing::debug!(question, "question text");
    (render(&reply, faq, question, style), Offer::of(&m.decision))
}

/// A reply as `style` prints it, newline-ended.
fn render(reply: &Reply, faq: &Faq, question: &str, style: Style) -> String {
    match style {
        Style::Text => reply.to_text(faq),
        Style::Line => format!("{}\n", reply.to_line()),
        Style::Json => format!("{}\n", reply.to_json(question)),
    }
}

/// `faqbot topics`: the topic menu, as text or JSON.
pub(super) fn cmd_topics(faq: &Faq, json: bool) -> anyhow::Result<ExitCode> {
    if json {
        let v = serde_json::json!({ "topics": topics_json_list(&faq.topics, Some(faq)) });
        outln!("{v}")?;
    } else {
        out!("{}", topic_menu_text(faq))?;
    }
    Ok(ExitCode::SUCCESS)
}

/// `ask --explain`: how the question was read and what scored, on stderr.
fn print_explanation(faq: &Faq, matcher: &Matcher, question: &str) {
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
