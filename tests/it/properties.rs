//! Property tests: whatever the question, the matcher gives one of the
//! three outcomes, never panics, and keeps its promises about each.

use std::sync::LazyLock;

use faqbot::faq::{load_dir, Faq};
use faqbot::matching::{Decision, Matcher, Thresholds, MAX_SUGGESTIONS};
use faqbot::reply::Reply;
use proptest::prelude::*;

static FAQ: LazyLock<Faq> = LazyLock::new(|| {
    load_dir(&crate::root().join("faq"))
        .faq
        .expect("bundled FAQ is valid")
});
static MATCHER: LazyLock<Matcher> = LazyLock::new(|| Matcher::new(&FAQ, Thresholds::default()));

#[track_caller]
fn holds_promises(question: &str) {
    let m = MATCHER.ask(question);
    assert!(
        (0.0..=1.0).contains(&m.score),
        "score {} for {question:?}",
        m.score
    );
    match &m.decision {
        Decision::Answer(s) => {
            assert!(s.score >= Thresholds::default().answer);
            assert!(s.entry < FAQ.entries.len());
        }
        Decision::Suggest(list) => {
            assert!(!list.is_empty() && list.len() <= MAX_SUGGESTIONS);
            let mut ids: Vec<usize> = list.iter().map(|s| s.entry).collect();
            ids.dedup();
            assert_eq!(ids.len(), list.len(), "suggestions are distinct entries");
        }
        Decision::Fallback(_) => {}
    }
    // Every reply renders, in every form.
    let reply = Reply::new(&FAQ, &m);
    assert!(!reply.to_text(&FAQ).is_empty());
    assert!(!reply.to_line().contains('\n'));
    let json = reply.to_json(question);
    assert!(
        ["answer", "suggest", "fallback"].contains(&json["outcome"].as_str().unwrap_or_default())
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn any_string_gets_one_of_three_outcomes(question in any::<String>()) {
        holds_promises(&question);
    }

    #[test]
    fn faq_words_with_noise_get_one_of_three_outcomes(
        words in prop::collection::vec(prop::sample::select(vec![
            "embassy", "un", "protect", "who", "the", "vienna", "1961", "<@123>", "```", "https://x.y",
            "\u{200B}", "🛡️", "السفارة", "ＥＭＢＡＳＳＹ", "pmc", "ambasador", "?", "\u{0000}",
        ]), 0..40)
    ) {
        holds_promises(&words.join(" "));
    }
}

#[test]
fn the_same_question_always_gets_the_same_reply() {
    for q in ["who protects embassies", "pmc vs army", "", "visa"] {
        assert_eq!(MATCHER.ask(q), MATCHER.ask(q));
    }
}

/// The index narrows candidates and stops early; it must pick exactly what
/// scoring every entry picks. Checked on synthetic FAQs with questions made
/// from their phrasings (with a typo) and from random words.
#[test]
fn narrowing_finds_exactly_what_scoring_everything_finds() {
    for (n, seed) in [(300, 7), (1500, 11)] {
        let faq = faqbot::eval::synthetic_faq(n, seed);
        let matcher = Matcher::new(&faq, Thresholds::default());
        let mut checked = 0;
        for (i, entry) in faq.entries.iter().enumerate().step_by(9) {
            let mut typo = entry.question.clone();
            if typo.len() > 4 {
                typo.remove(typo.len() / 2);
            }
            let random = format!(
                "{} {}",
                entry.alternatives[0],
                faq.entries[(i * 31) % n].question
            );
            for q in [entry.question.as_str(), typo.as_str(), random.as_str()] {
                let all = matcher.rank(q);
                for k in [1, 3, 25] {
                    let top = matcher.rank_top(q, k);
                    let expected: Vec<_> = all.iter().take(k).copied().collect();
                    assert_eq!(top, expected, "k = {k}, question {q:?}");
                }
                checked += 1;
            }
        }
        assert!(checked > 100);
    }
}
