//! Unit tests of the index: soft word matching, scoring and the two
//! searches (top k and above a floor).

use super::lexicon::is_typo_distance;
use super::*;

/// A small FAQ: (id, question, alternatives), in one topic.
fn faq(entries: &[(&str, &str, &[&str])]) -> Faq {
    let phrasings = entries
        .iter()
        .map(|(_, q, alts)| (q.to_string(), alts.iter().map(|a| a.to_string()).collect()));
    let mut faq = crate::synthetic::one_topic_faq(phrasings);
    for (entry, (id, _, _)) in faq.entries.iter_mut().zip(entries) {
        entry.id = id.to_string();
    }
    faq
}

fn sample() -> Index {
    Index::build(&faq(&[
        (
            "reset-password",
            "How do I reset my password?",
            &["forgot my password", "cant log in"],
        ),
        (
            "delete-account",
            "How do I delete my account?",
            &["close my account for good"],
        ),
        (
            "office-hours",
            "When is the office open?",
            &["opening hours", "is the office open on sundays"],
        ),
        (
            "parking",
            "Where can visitors park?",
            &["visitor parking", "car park for guests"],
        ),
    ]))
}

fn best(index: &Index, question: &str) -> Option<(&'static str, f32)> {
    let ids = [
        "reset-password",
        "delete-account",
        "office-hours",
        "parking",
    ];
    index
        .rank(question)
        .first()
        .map(|s| (ids[s.entry], s.score))
}

#[test]
fn an_exact_phrasing_scores_one() {
    assert_eq!(
        best(&sample(), "forgot my password"),
        Some(("reset-password", 1.0))
    );
}

#[test]
fn word_order_and_word_forms_do_not_matter() {
    let (id, score) = best(&sample(), "password resetting, how?").expect("a match");
    assert_eq!(id, "reset-password");
    assert!(score > 0.8, "{score}");
}

#[test]
fn a_missing_letter_is_a_typo_not_a_new_word() {
    let (id, score) = best(&sample(), "forgot my pasword").expect("a match");
    assert_eq!(id, "reset-password");
    assert!(score > 0.8, "{score}");
}

#[test]
fn a_non_word_one_edit_away_matches_even_at_the_first_letter() {
    // "qassword" is no English word; "password" is one edit away.
    let (id, _) = best(&sample(), "reset qassword").expect("typo at the front");
    assert_eq!(id, "reset-password");
    // A missing letter in a non-word.
    let (id, _) = best(&sample(), "vistor parking").expect("typo");
    assert_eq!(id, "parking");
}

#[test]
fn one_edit_beats_two_and_the_commoner_word_wins() {
    // "nterest" is "interest" with a letter dropped, though "nearest"
    // shares its first letter (two edits away).
    let index = Index::build(&faq(&[
        ("a", "nearest branch", &[]),
        ("b", "interest rate", &[]),
    ]));
    assert_eq!(index.rank("nterest")[0].entry, 1);
    // "jut" is one edit from "jet" and from "just"; the FAQ says
    // "just" far more often, so "jut" stands for it first.
    let index = Index::build(&faq(&[
        ("a", "jet lag", &[]),
        ("b", "just one card", &[]),
        ("c", "just one pin", &[]),
        ("d", "just the account", &[]),
    ]));
    let read = index.explain("jut");
    assert_eq!(read[0].matched.as_ref().map(|m| m.0.as_str()), Some("just"));
}

#[test]
fn a_number_is_never_a_typo_of_another_number() {
    let index = Index::build(&faq(&[("a", "status of flight 12345", &[])]));
    let read = index.explain("12346");
    assert_eq!(read[0].matched, None, "12346 is not 12345");
    assert_eq!(
        index.explain("12345")[0].matched.as_ref().map(|m| m.1),
        Some(1.0)
    );
}

#[test]
fn swapped_letters_in_a_rare_two_letter_string_are_a_typo() {
    let index = Index::build(&faq(&[("a", "what do i do", &[])]));
    assert_eq!(index.rank("od").len(), 1, "od = do");
    // Any two letters are one edit from some word: only swaps count.
    assert!(index.rank("dx").is_empty());
}

#[test]
fn a_synonym_matches_but_counts_less_than_the_word() {
    let (id, synonym) = best(&sample(), "erase my account").expect("erase = delete");
    assert_eq!(id, "delete-account");
    let (_, exact) = best(&sample(), "delete my account").expect("match");
    assert!(synonym < exact, "{synonym} < {exact}");
    let off = Params {
        synonym: 0.0,
        ..Params::default()
    };
    let index = Index::build_with(&faq(&[("a", "delete my account", &[])]), off);
    assert!(index.rank("erase").is_empty());
}

#[test]
fn a_function_word_is_never_read_as_a_typo() {
    // "lol" is chat noise, not a misspelled "low".
    let index = Index::build(&faq(&[("a", "low water pressure", &[])]));
    assert!(index.rank("lol").is_empty());
    assert!(index.rank("lwo").len() == 1, "a non-word still is");
}

#[test]
fn a_word_that_only_looks_alike_is_not_a_typo() {
    // "bark" is one edit from "park", but typos rarely change the
    // first letter, so it is a different word.
    assert_eq!(best(&sample(), "bark"), None);
}

#[test]
fn unrelated_questions_match_nothing_or_only_by_function_words() {
    // Only "is" and "the" are shared: far below any threshold.
    let (_, score) = best(&sample(), "what is the weather like").expect("function words");
    assert!(score < 0.15, "{score}");
    assert_eq!(best(&sample(), "weather forecast tomorrow"), None);
}

#[test]
fn unknown_words_pull_the_score_down() {
    let plain = best(&sample(), "visitor parking").expect("match").1;
    let mixed = best(&sample(), "visitor parking fines appeal tribunal")
        .expect("match")
        .1;
    assert!(mixed < plain - 0.3, "{mixed} vs {plain}");
}

#[test]
fn one_shared_common_word_is_weak_evidence() {
    // "office" alone names an entry, but says little.
    let one = best(&sample(), "office").expect("match").1;
    let two = best(&sample(), "office open").expect("match").1;
    assert!(one < two, "{one} vs {two}");
}

#[test]
fn scores_stay_in_range_and_ranking_is_distinct_entries() {
    let ranked = sample().rank("how do i open my account or reset a password");
    let mut entries: Vec<usize> = ranked.iter().map(|s| s.entry).collect();
    entries.sort_unstable();
    entries.dedup();
    assert_eq!(entries.len(), ranked.len());
    assert!(ranked.iter().all(|s| (0.0..=1.0).contains(&s.score)));
    assert!(ranked.windows(2).all(|w| w[0].score >= w[1].score));
}

/// `at_least` finds what ranking every entry and cutting at the floor
/// finds, on an FAQ big enough for its shortcuts (required words, the
/// long terms' bits, galloping) to be taken.
#[test]
fn at_least_finds_what_a_full_ranking_finds_above_the_floor() {
    let faq = crate::synthetic::synthetic_faq(3_000, 11);
    let index = Index::build(&faq);
    let mut compared = 0;
    for entry in faq.entries.iter().step_by(37) {
        for text in entry.phrasings() {
            // Each phrasing, and a shorter one that shares fewer words.
            let short: String = text.split(' ').take(3).collect::<Vec<_>>().join(" ");
            for question in [text, short.as_str()] {
                let Some(prepared) = index.prepare(question) else {
                    continue;
                };
                for floor in [0.3f32, 0.5, 0.8, 0.95] {
                    let full: Vec<(usize, f32)> = index
                        .rank(question)
                        .into_iter()
                        .filter(|s| s.score >= floor)
                        .take(5)
                        .map(|s| (s.entry, s.score))
                        .collect();
                    let found: Vec<(usize, f32)> = prepared
                        .at_least(floor, 5)
                        .into_iter()
                        .map(|s| (s.entry, s.score))
                        .collect();
                    // The same entries and scores, but for sums made in
                    // another order (the last bit) at the floor.
                    let near = |x: f32| (x - floor).abs() < 1e-4;
                    let close = full.len() == found.len()
                        && full
                            .iter()
                            .zip(&found)
                            .all(|(a, b)| (a.0 == b.0 || near(a.1)) && (a.1 - b.1).abs() < 1e-4);
                    assert!(close, "{question:?} at {floor}: {full:?} vs {found:?}");
                    compared += 1;
                }
            }
        }
    }
    assert!(compared > 500, "{compared}");
    // Its own entry scores what the ranking gives it.
    let e = 42;
    let q = &faq.entries[e].question;
    let own = index
        .prepare(q)
        .and_then(|p| p.score_of(e))
        .map(|s| s.score);
    let ranked = index
        .rank(q)
        .into_iter()
        .find(|s| s.entry == e)
        .map(|s| s.score);
    assert!(
        own.zip(ranked).is_some_and(|(a, b)| (a - b).abs() < 1e-5),
        "{own:?} {ranked:?}"
    );
}

#[test]
fn typo_distance_rules() {
    assert!(is_typo_distance("embasy", "embassi"));
    assert!(!is_typo_distance("married", "marines"));
    assert!(!is_typo_distance("bread", "read"));
    assert!(is_typo_distance("diplomaci", "diplomat"));
}
