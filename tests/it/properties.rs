//! Property tests: whatever the question, the matcher gives one of the
//! three outcomes, never panics, and keeps its promises about each.

use std::sync::LazyLock;

use faqbot::answer::matching::{Decision, Matcher, Thresholds, MAX_SUGGESTIONS};
use faqbot::answer::reply::Reply;
use faqbot::faq::{load_dir, Faq};
use proptest::prelude::*;

use crate::support::synthetic::{made_up_word, one_topic_faq, xorshift};

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
        let faq = crate::support::synthetic::synthetic_faq(n, seed);
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

/// A random FAQ dense in near spellings: families of made-up words one
/// letter apart ("bakotum", "bakotun", "bakotur"), some used in most
/// entries, some in few, plus a handful of words in nearly every entry (so
/// that a search defers them). Questions then use a family's missing
/// member ("bakotuz"), which reads as all of its members at once: the case
/// where an entry's phrasings can cover more than its words explain.
fn near_spelling_faq(seed: u64, n: usize) -> (Faq, Vec<String>) {
    let mut next = xorshift(seed);
    const CONSONANTS: &[u8] = b"bdfgklmnprtvz";
    // (members used in the FAQ, the missing member questions use)
    let families: Vec<(Vec<String>, String)> = (0..12)
        .map(|_| {
            let base = made_up_word(CONSONANTS, 3, &mut next);
            let members = ["m", "n", "r", "t"]
                .iter()
                .map(|c| format!("{base}{c}"))
                .collect();
            (members, format!("{base}k"))
        })
        .collect();
    let common: Vec<String> = (0..4)
        .map(|_| made_up_word(CONSONANTS, 2, &mut next))
        .collect();
    let plain: Vec<String> = (0..300)
        .map(|_| made_up_word(CONSONANTS, 3, &mut next))
        .collect();
    let phrase = |next: &mut dyn FnMut() -> u64| -> String {
        let mut words: Vec<&str> = Vec::new();
        for c in &common {
            if next() % 10 < 8 {
                words.push(c);
            }
        }
        for _ in 0..(1 + next() % 3) {
            let (members, _) = &families[(next() % families.len() as u64) as usize];
            // The first member is common, the others rarer and rarer; a
            // phrasing may hold several members of one family.
            for (i, m) in members.iter().enumerate() {
                if next().is_multiple_of(2 + 3 * i as u64) {
                    words.push(m);
                }
            }
        }
        for _ in 0..(1 + next() % 4) {
            words.push(&plain[(next() % plain.len() as u64) as usize]);
        }
        words.join(" ")
    };
    let faq = one_topic_faq((0..n).map(|_| {
        let question = phrase(&mut next);
        (question, vec![phrase(&mut next), phrase(&mut next)])
    }));
    let questions = (0..40)
        .map(|_| {
            let mut words: Vec<&str> = Vec::new();
            for _ in 0..(1 + next() % 3) {
                words.push(&families[(next() % families.len() as u64) as usize].1);
            }
            if next().is_multiple_of(2) {
                words.push(&common[(next() % common.len() as u64) as usize]);
            }
            if next().is_multiple_of(2) {
                words.push(&plain[(next() % plain.len() as u64) as usize]);
            }
            words.join(" ")
        })
        .collect();
    (faq, questions)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]

    /// The exact search's bound holds when question words read as several
    /// FAQ words at once: the top k equal the first k of scoring every
    /// entry.
    #[test]
    fn narrowing_is_exact_when_words_read_as_several(seed in any::<u64>()) {
        let (faq, questions) = near_spelling_faq(seed, 700);
        let matcher = Matcher::new(&faq, Thresholds::default());
        for q in &questions {
            let all = matcher.rank(q);
            for k in [1, 3, 10] {
                let top = matcher.rank_top(q, k);
                let expected: Vec<_> = all.iter().take(k).copied().collect();
                prop_assert_eq!(top, expected, "k = {}, question {:?}", k, q);
            }
        }
    }
}
