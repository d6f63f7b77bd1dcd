//! `faqbot eval`: how well the matcher does on a set of labelled questions.
//!
//! The questions come from [`crate::moderation::questions`]: JSON lines
//! (`{"text", "expect": id | [ids] | null}`, the benchmark format of
//! `shared/bench`), a TOML question table (`[[case]]` with `q` and `expect`
//! = id, list of ids, or `"none"`), an FAQ folder's `tests.toml`, or a plain
//! text file of one question per line (unlabelled: only what the bot would
//! do is counted). The metrics are those of
//! `shared/bench/README.md`. Each question is ranked once; the decision
//! rule is then replayed for every threshold of a sweep.

use std::time::Instant;

use serde::Serialize;

use crate::answer::matching::{
    decide, normalize, Decision, Matcher, Outcome, Scored, Thresholds, MAX_SUGGESTIONS,
};
use crate::faq::Faq;
use crate::moderation::questions::{Case, Label};

/// The metrics of `shared/bench/README.md`, as fractions.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Metrics {
    pub n_in_scope: usize,
    pub n_oos: usize,
    pub answer_acc: f64,
    pub wrong_answer: f64,
    pub top3_recall: f64,
    pub top3_recall_shown: f64,
    pub oos_false_answer: f64,
    pub oos_reject: f64,
    pub combined_acc: f64,
    pub balanced_acc: f64,
    /// Outcomes of in-scope questions: answer, suggest, fallback.
    pub in_scope_outcomes: [usize; 3],
    /// Outcomes of out-of-scope questions: answer, suggest, fallback.
    pub oos_outcomes: [usize; 3],
    /// Questions with no label, and their outcomes.
    pub n_unlabelled: usize,
    pub unlabelled_outcomes: [usize; 3],
}

/// Each question ranked once (top entries kept), ready to be decided.
#[derive(Debug, Clone)]
pub struct Ranked {
    pub top: Vec<Scored>,
    pub has_words: bool,
}

/// Ranks every case; returns the rankings and questions per second.
pub fn rank_all(matcher: &Matcher, cases: &[Case]) -> (Vec<Ranked>, f64) {
    let started = Instant::now();
    let ranked: Vec<Ranked> = cases
        .iter()
        .map(|c| {
            let top = matcher.rank_top(&c.text, MAX_SUGGESTIONS);
            Ranked {
                has_words: !top.is_empty() || !normalize::terms(&c.text).is_empty(),
                top,
            }
        })
        .collect();
    let secs = started.elapsed().as_secs_f64();
    (
        ranked,
        if secs > 0.0 {
            cases.len() as f64 / secs
        } else {
            f64::INFINITY
        },
    )
}

/// The decision and the ids it shows (answered id, then suggestions).
fn shown(r: &Ranked, t: Thresholds, faq: &Faq) -> (usize, Vec<String>) {
    match decide(&r.top, r.has_words, t) {
        Decision::Answer(s) => (0, vec![faq.entries[s.entry].id.clone()]),
        Decision::Suggest(list) => (
            1,
            list.iter()
                .map(|s| faq.entries[s.entry].id.clone())
                .collect(),
        ),
        Decision::Fallback(_) => (2, Vec::new()),
    }
}

/// Scores the decisions under thresholds `t`.
pub fn metrics(faq: &Faq, cases: &[Case], ranked: &[Ranked], t: Thresholds) -> Metrics {
    let mut m = Metrics::default();
    let (mut right, mut wrong, mut top3, mut top3_shown, mut false_answers) = (0, 0, 0, 0, 0);
    for (case, r) in cases.iter().zip(ranked) {
        let (outcome, ids) = shown(r, t, faq);
        // top3_recall counts the best 3 whatever the outcome.
        let listed: Vec<&str> = r
            .top
            .iter()
            .map(|s| faq.entries[s.entry].id.as_str())
            .collect();
        match &case.expect {
            Label::Unlabelled => {
                m.n_unlabelled += 1;
                m.unlabelled_outcomes[outcome] += 1;
            }
            Label::NoAnswer => {
                m.n_oos += 1;
                m.oos_outcomes[outcome] += 1;
                false_answers += usize::from(outcome == 0);
            }
            Label::Answer(expect) => {
                m.n_in_scope += 1;
                m.in_scope_outcomes[outcome] += 1;
                let hit = |id: &str| expect.iter().any(|e| e == id);
                if outcome == 0 {
                    if hit(&ids[0]) {
                        right += 1;
                    } else {
                        wrong += 1;
                    }
                }
                if listed.iter().any(|id| hit(id)) {
                    top3 += 1;
                }
                if outcome != 2 && ids.iter().any(|id| hit(id)) {
                    top3_shown += 1;
                }
            }
        }
    }
    let div = |a: usize, b: usize| {
        if b == 0 {
            f64::NAN
        } else {
            a as f64 / b as f64
        }
    };
    m.answer_acc = div(right, m.n_in_scope);
    m.wrong_answer = div(wrong, m.n_in_scope);
    m.top3_recall = div(top3, m.n_in_scope);
    m.top3_recall_shown = div(top3_shown, m.n_in_scope);
    m.oos_false_answer = if m.n_oos == 0 {
        0.0
    } else {
        div(false_answers, m.n_oos)
    };
    m.oos_reject = 1.0 - m.oos_false_answer;
    m.combined_acc = div(right + (m.n_oos - false_answers), m.n_in_scope + m.n_oos);
    m.balanced_acc = (m.answer_acc + m.oos_reject) / 2.0;
    m
}

/// The questions the matcher gets wrong under `t`, as readable lines.
pub fn misses(faq: &Faq, cases: &[Case], ranked: &[Ranked], t: Thresholds) -> Vec<String> {
    let mut out = Vec::new();
    for (case, r) in cases.iter().zip(ranked) {
        let (outcome, ids) = shown(r, t, faq);
        let name = Outcome::ALL[outcome].as_str();
        let score = r.top.first().map_or(0.0, |s| s.score);
        let top: Vec<&str> = r
            .top
            .iter()
            .map(|s| faq.entries[s.entry].id.as_str())
            .collect();
        let (bad, want) = match &case.expect {
            Label::Unlabelled => (false, String::new()),
            Label::NoAnswer => (outcome == 0, "none".to_string()),
            Label::Answer(expect) => (outcome != 0 || !expect.contains(&ids[0]), expect.join("|")),
        };
        if bad {
            out.push(format!(
                "{name:8} {score:.3}  {:?}  want {want}  top {}",
                case.text,
                top.join(",")
            ));
        }
    }
    out
}

/// The answer thresholds a sweep tries: 0.20 to 0.90 by 0.025.
pub fn sweep_points() -> impl Iterator<Item = f32> {
    (0..=28).map(|i| 0.2 + 0.025 * i as f32)
}

/// One line of JSON per question: what was expected and the top entries
/// with their scores and coverages (for studying the decision rule).
pub fn details(faq: &Faq, cases: &[Case], ranked: &[Ranked]) -> Vec<serde_json::Value> {
    cases
        .iter()
        .zip(ranked)
        .map(|(c, r)| {
            let expect = match &c.expect {
                Label::Answer(ids) => serde_json::json!(ids),
                Label::NoAnswer => serde_json::Value::Null,
                Label::Unlabelled => serde_json::json!("unlabelled"),
            };
            serde_json::json!({
                "text": c.text,
                "expect": expect,
                "top": r.top.iter().map(|s| serde_json::json!({
                    "id": faq.entries[s.entry].id,
                    "score": s.score,
                    "qc": s.question_coverage,
                    "pc": s.phrasing_coverage,
                })).collect::<Vec<_>>(),
            })
        })
        .collect()
}
