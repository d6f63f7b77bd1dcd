//! The seed FAQ's question table (`tests/data/questions.toml`): questions
//! phrased as users would, written apart from the FAQ's own phrasings and
//! never used for tuning (that is `tests/data/dev_questions.toml`). Each is
//! piped through the real binary; the test prints the hit rates and fails
//! below the floors.
//!
//! The engine issue's bar is 90 % of in-scope questions *answered* right
//! with no off-topic question answered. The shipped matcher does not reach
//! it yet (see the README's "How the matcher decides"); the floors below
//! are what it holds today, so that it cannot get worse unnoticed, and they
//! are to be raised to the bar, never lowered.

use serde_json::Value;

use crate::{root, run_with_stdin, stderr, stdout};

/// In-scope questions whose right entry the user gets: answered, or offered
/// among the "Did you mean…" suggestions (one click away).
const MIN_RIGHT_ENTRY_SHOWN: f64 = 0.90;
/// In-scope questions answered outright with a right entry (the bar: 0.90).
const MIN_ANSWERED_RIGHT: f64 = 0.55;
/// Off-topic questions answered (the bar: 0).
const MAX_OFF_TOPIC_ANSWERED: usize = 1;

#[test]
fn question_table_hit_rate() {
    let cases = faqbot::eval::load_cases(&root().join("tests/data/questions.toml"))
        .expect("question table");
    let in_scope = cases.iter().filter(|c| c.expect.is_some()).count();
    assert!(
        cases.len() >= 60 && cases.len() - in_scope >= 15,
        "table too small"
    );

    let input: String = cases.iter().map(|c| format!("{}\n", c.text)).collect();
    let out = run_with_stdin(&["ask", "--json"], input.as_bytes());
    assert!(out.status.success(), "{}", stderr(&out));
    let replies: Vec<Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    assert_eq!(replies.len(), cases.len());

    let (mut hits, mut suggested, mut wrong, mut off_topic_answered) = (0, 0, 0, Vec::new());
    let mut misses = Vec::new();
    for (case, reply) in cases.iter().zip(&replies) {
        let outcome = reply["outcome"].as_str().unwrap_or_default();
        match &case.expect {
            None if outcome == "answer" => {
                off_topic_answered.push(format!("{:?} -> {}", case.text, reply["id"]))
            }
            None => {}
            Some(ids) => {
                let answered = reply["id"].as_str().filter(|_| outcome == "answer");
                let shown: Vec<&str> = reply["suggestions"]
                    .as_array()
                    .map(|s| s.iter().filter_map(|x| x["id"].as_str()).collect())
                    .unwrap_or_default();
                if answered.is_some_and(|id| ids.iter().any(|e| e == id)) {
                    hits += 1;
                } else {
                    wrong += usize::from(answered.is_some());
                    if shown.iter().any(|id| ids.iter().any(|e| e == id)) {
                        suggested += 1;
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
    let rate = hits as f64 / in_scope as f64;
    let shown = (hits + suggested) as f64 / in_scope as f64;
    println!(
        "question table: {hits}/{in_scope} in-scope answered right ({:.1}%), {wrong} answered wrong, right entry answered or suggested {}/{in_scope} ({:.1}%); {}/{} off-topic answered",
        rate * 100.0,
        hits + suggested,
        shown * 100.0,
        off_topic_answered.len(),
        cases.len() - in_scope
    );
    for m in &misses {
        println!("  miss: {m}");
    }
    assert!(
        wrong == 0,
        "{wrong} in-scope questions answered with a wrong entry"
    );
    assert!(
        off_topic_answered.len() <= MAX_OFF_TOPIC_ANSWERED,
        "off-topic questions answered: {off_topic_answered:#?}"
    );
    assert!(
        shown >= MIN_RIGHT_ENTRY_SHOWN,
        "right entry shown for {:.1}%",
        shown * 100.0
    );
    assert!(
        rate >= MIN_ANSWERED_RIGHT,
        "answered right {:.1}%",
        rate * 100.0
    );
}
