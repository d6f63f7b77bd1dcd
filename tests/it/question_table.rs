//! The seed FAQ's question table (`tests/data/questions.toml`): questions
//! phrased as users would, written apart from the FAQ's own phrasings and
//! never used for tuning (that is `tests/data/dev*_questions.toml`). Each is
//! piped through the real binary; the test prints the rates and fails below
//! the bars.
//!
//! The engine issue's bar: a hit rate of at least 90 % in scope (the bot's
//! best match is a right entry: it answers with it, or offers it first in
//! "Did you mean…") and no off-topic question answered. Stricter numbers
//! are held as floors, to be raised and never lowered: how many in-scope
//! questions are *answered* outright with a right entry, and how few are
//! answered with a wrong one.

use faqbot::moderation::questions::Label;
use serde_json::Value;

use crate::support::command::faqbot;
use crate::{root, stderr, stdout};

/// In-scope questions whose best match is a right entry (answered, or
/// first among the suggestions).
const MIN_HIT_RATE: f64 = 0.90;
/// Floor: in-scope questions answered outright with a right entry.
const MIN_ANSWERED_RIGHT: f64 = 0.65;
/// Floor: in-scope questions answered with a wrong entry.
const MAX_WRONG_ANSWERS: usize = 1;

#[test]
fn question_table_hit_rate() {
    let cases =
        faqbot::moderation::questions::load_cases(&root().join("tests/data/questions.toml"))
            .expect("question table");
    let in_scope = cases
        .iter()
        .filter(|c| matches!(c.expect, Label::Answer(_)))
        .count();
    assert!(
        cases.len() >= 60 && cases.len() - in_scope >= 15,
        "table too small"
    );

    let input: String = cases.iter().map(|c| format!("{}\n", c.text)).collect();
    let out = faqbot(["ask", "--json"]).stdin(input.as_bytes()).run();
    assert!(out.status.success(), "{}", stderr(&out));
    let replies: Vec<Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    assert_eq!(replies.len(), cases.len());

    let (mut answered_right, mut first_suggested, mut wrong, mut off_topic_answered) =
        (0, 0, 0, Vec::new());
    let mut misses = Vec::new();
    for (case, reply) in cases.iter().zip(&replies) {
        let outcome = reply["outcome"].as_str().unwrap_or_default();
        match &case.expect {
            Label::NoAnswer if outcome == "answer" => {
                off_topic_answered.push(format!("{:?} -> {}", case.text, reply["id"]))
            }
            Label::NoAnswer => {}
            Label::Unlabelled => panic!("the table labels every question: {case:?}"),
            Label::Answer(ids) => {
                let answered = reply["id"].as_str().filter(|_| outcome == "answer");
                let shown: Vec<&str> = reply["suggestions"]
                    .as_array()
                    .map(|s| s.iter().filter_map(|x| x["id"].as_str()).collect())
                    .unwrap_or_default();
                if answered.is_some_and(|id| ids.iter().any(|e| e == id)) {
                    answered_right += 1;
                } else {
                    wrong += usize::from(answered.is_some());
                    if shown.first().is_some_and(|id| ids.iter().any(|e| e == id)) {
                        first_suggested += 1;
                    }
                    misses.push(format!(
                        "{outcome:8} {:?} want {} got {}",
                        case.text,
                        ids.join("|"),
                        reply["id"]
                    ));
                }
            }
        }
    }
    let hit_rate = (answered_right + first_suggested) as f64 / in_scope as f64;
    let answered_rate = answered_right as f64 / in_scope as f64;
    println!(
        "question table: hit rate {}/{in_scope} ({:.1}%): {answered_right} answered right ({:.1}%), {first_suggested} offered first; {wrong} answered wrong; {}/{} off-topic answered",
        answered_right + first_suggested,
        hit_rate * 100.0,
        answered_rate * 100.0,
        off_topic_answered.len(),
        cases.len() - in_scope
    );
    for m in &misses {
        println!("  not answered right: {m}");
    }
    assert!(
        off_topic_answered.is_empty(),
        "off-topic questions answered: {off_topic_answered:#?}"
    );
    assert!(
        hit_rate >= MIN_HIT_RATE,
        "hit rate {:.1}%",
        hit_rate * 100.0
    );
    assert!(
        wrong <= MAX_WRONG_ANSWERS,
        "{wrong} in-scope questions answered with a wrong entry"
    );
    assert!(
        answered_rate >= MIN_ANSWERED_RIGHT,
        "answered right {:.1}%",
        answered_rate * 100.0
    );
}
