//! The seed FAQ's question table (`tests/data/questions.toml`): questions
//! phrased as users would, written apart from the FAQ's own phrasings and
//! never used for tuning (that is `tests/data/dev_questions.toml`). Each is
//! piped through the real binary; the test prints the hit rate and fails
//! below the bar.

use serde_json::Value;

use crate::{root, run_with_stdin, stderr, stdout};

/// In-scope questions that must be answered with a right entry.
const MIN_IN_SCOPE_HIT_RATE: f64 = 0.90;

#[test]
fn question_table_hit_rate() {
    let cases = faqbot::eval::load_cases(&root().join("tests/data/questions.toml")).expect("question table");
    let in_scope = cases.iter().filter(|c| c.expect.is_some()).count();
    assert!(cases.len() >= 60 && cases.len() - in_scope >= 15, "table too small");

    let input: String = cases.iter().map(|c| format!("{}\n", c.text)).collect();
    let out = run_with_stdin(&["ask", "--json"], input.as_bytes());
    assert!(out.status.success(), "{}", stderr(&out));
    let replies: Vec<Value> = stdout(&out).lines().map(|l| serde_json::from_str(l).expect("JSON line")).collect();
    assert_eq!(replies.len(), cases.len());

    let (mut hits, mut suggested, mut off_topic_answered) = (0, 0, Vec::new());
    let mut misses = Vec::new();
    for (case, reply) in cases.iter().zip(&replies) {
        let outcome = reply["outcome"].as_str().unwrap_or_default();
        match &case.expect {
            None if outcome == "answer" => off_topic_answered.push(format!("{:?} -> {}", case.text, reply["id"])),
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
                    if shown.iter().any(|id| ids.iter().any(|e| e == id)) {
                        suggested += 1;
                    }
                    misses.push(format!("{outcome:8} {:?} want {} got {}", case.text, ids.join("|"), reply["id"]));
                }
            }
        }
    }
    let rate = hits as f64 / in_scope as f64;
    println!(
        "question table: {hits}/{in_scope} in-scope answered right ({:.1}%), {suggested} more with the right entry among the suggestions; {}/{} off-topic answered",
        rate * 100.0,
        off_topic_answered.len(),
        cases.len() - in_scope
    );
    for m in &misses {
        println!("  miss: {m}");
    }
    assert!(off_topic_answered.is_empty(), "off-topic questions answered: {off_topic_answered:#?}");
    assert!(
        rate >= MIN_IN_SCOPE_HIT_RATE,
        "in-scope hit rate {:.1}% is below {:.0}%",
        rate * 100.0,
        MIN_IN_SCOPE_HIT_RATE * 100.0
    );
}
