//! The records themselves, without a database: question ids, the names
//! of triggers, outcomes and vias, and a match turned into a question.

use super::*;
use crate::answer::matching::{Decision, FallbackReason};

#[test]
fn question_ids_rise_are_unique_and_fit_sqlite() {
    let ids: Vec<QuestionId> = (0..10_000).map(|_| QuestionId::generate()).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]));
    for id in &ids {
        assert!(id.0 < 1 << 63);
        assert_eq!(id.to_string().parse::<QuestionId>(), Ok(*id));
    }
    // From several threads at once, still no repeats.
    let handles: Vec<_> = (0..4)
        .map(|_| {
            std::thread::spawn(|| {
                (0..2_000)
                    .map(|_| QuestionId::generate())
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let mut all: Vec<QuestionId> = handles
        .into_iter()
        .flat_map(|h| h.join().expect("thread"))
        .collect();
    let n = all.len();
    all.sort();
    all.dedup();
    assert_eq!(all.len(), n);
}

#[test]
fn names_round_trip_and_outcomes_follow_decisions() {
    for t in Trigger::ALL {
        assert_eq!(Trigger::parse(t.as_str()), Some(*t));
    }
    for o in Outcome::ALL {
        assert_eq!(Outcome::parse(o.as_str()), Some(*o));
    }
    for v in Via::ALL {
        assert_eq!(Via::parse(v.as_str()), Some(*v));
    }
    assert_eq!(Trigger::HelpChannel.as_str(), "help_channel");
    assert_eq!(Trigger::parse("nope"), None);
    let d = Decision::Fallback(FallbackReason::NoMatch);
    assert_eq!(d.outcome(), Outcome::Fallback);
    assert_eq!(d.outcome().as_str(), "fallback");
    assert_eq!(Decision::Suggest(vec![]).outcome(), Outcome::Suggest);
}

#[test]
fn a_match_becomes_a_question_record() {
    let faq_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("faq");
    let config = crate::answer::engine::Settings::default();
    let engine = crate::answer::engine::Engine::load(&faq_dir, &config).expect("bundled FAQ loads");
    let entry_id = |s: &crate::answer::matching::Scored| engine.faq.entries[s.entry].id.clone();

    let text = "Can host country authorities enter an embassy without permission?";
    let m = engine.matcher.ask(text);
    let Decision::Answer(best) = &m.decision else {
        panic!("its own question is answered: {m:?}")
    };
    let q = Question::from_match(
        text,
        Trigger::Mention,
        &m,
        &engine.faq,
        Duration::from_micros(57),
    );
    assert_eq!(q.text, text);
    assert_eq!(q.outcome, Outcome::Answer);
    assert_eq!(q.entry.as_deref(), Some(entry_id(best).as_str()));
    assert_eq!(q.score, best.score);
    let second = m
        .top
        .iter()
        .find(|s| s.entry != best.entry)
        .expect("a runner-up");
    assert_eq!(q.runner_up, Some((entry_id(second), second.score)));
    assert_eq!((q.trigger, q.latency_us), (Trigger::Mention, 57));
    assert!((q.at - now_unix()).abs() <= 1);

    let nothing = engine.matcher.ask("🙂");
    let q = Question::from_match("🙂", Trigger::Dm, &nothing, &engine.faq, Duration::ZERO);
    assert_eq!(q.outcome, Outcome::Fallback);
    assert_eq!((q.entry, q.runner_up, q.score), (None, None, 0.0));
}
