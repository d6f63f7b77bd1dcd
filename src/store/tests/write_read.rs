//! What is recorded is read back: every field of questions, picks and
//! votes; question texts without user, role or channel ids; nothing at
//! all from a disabled store; and reading a store in a folder that
//! cannot be written.

use super::*;

#[test]
fn what_is_recorded_is_read_back_exactly() {
    let (_dir, path, store, now) = open_temp();
    let answered = question("who guards embassies?", now - 10);
    let suggested = Question {
        id: QuestionId::generate(),
        at: now - 5,
        text: "guards?".into(),
        guild_id: None,
        // Every bit of a u64 survives SQLite's signed integers.
        channel_id: Some(u64::MAX),
        trigger: Trigger::Dm,
        outcome: Outcome::Suggest,
        entry: Some("embassy-guards".into()),
        score: 0.3,
        runner_up: None,
        latency_us: u64::MAX >> 1,
    };
    let fallback = Question {
        id: QuestionId::generate(),
        at: now,
        text: "🙂".into(),
        guild_id: None,
        channel_id: None,
        trigger: Trigger::Terminal,
        outcome: Outcome::Fallback,
        entry: None,
        score: 0.0,
        runner_up: None,
        latency_us: 0,
    };
    for q in [&answered, &suggested, &fallback] {
        store.record_question(q.clone());
    }
    store.record_pick(Pick {
        question: suggested.id,
        entry: "marine-security-guards".into(),
        via: Via::Suggestion,
        at: now - 4,
    });
    store.record_pick(Pick {
        question: fallback.id,
        entry: "host-country-duties".into(),
        via: Via::Menu,
        at: now - 3,
    });
    store.record_vote(Vote {
        question: answered.id,
        voter: 555,
        up: true,
        entry: None,
        at: now,
    });
    store.flush();
    assert_eq!(
        store.stats(),
        Stats {
            queued: 6,
            dropped: 0,
            written: 6,
            failed: 0
        }
    );

    let r = Reader::open(&path).expect("reader");
    assert_eq!(
        r.questions_since(0).expect("questions"),
        [answered.clone(), suggested.clone(), fallback.clone()]
    );
    assert_eq!(
        r.questions_since(now - 5).expect("questions"),
        [suggested.clone(), fallback.clone()]
    );
    assert_eq!(
        r.question(suggested.id).expect("question"),
        Some(suggested.clone())
    );
    assert_eq!(r.question(QuestionId(1)).expect("question"), None);
    assert_eq!(
        r.picks_since(0).expect("picks"),
        [
            PickedQuestion {
                question: suggested.id,
                text: Some("guards?".into()),
                best_entry: Some("embassy-guards".into()),
                picked: "marine-security-guards".into(),
                via: Via::Suggestion,
                at: now - 4,
            },
            PickedQuestion {
                question: fallback.id,
                text: Some("🙂".into()),
                best_entry: None,
                picked: "host-country-duties".into(),
                via: Via::Menu,
                at: now - 3,
            },
        ]
    );
    assert_eq!(
        r.vote_totals(0).expect("votes"),
        [total("host-country-duties", 1, 0)]
    );
}

#[test]
fn a_question_is_kept_without_user_role_or_channel_ids() {
    let (_dir, path, store, now) = open_temp();
    let q = question(
        "<@123456789012345678> who guards <@&987654321098765432> embassies? <#111222333444555666> <@!222333444555666777>",
        now,
    );
    store.record_question(q.clone());
    store.flush();
    let r = Reader::open(&path).expect("reader");
    let kept = r.question(q.id).expect("read").expect("the question");
    assert_eq!(kept.text, "who guards embassies?");
}

#[test]
fn a_disabled_store_records_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = crate::store::StoreConfig {
        path: "".into(),
        retention_days: 30,
    };
    let store = Store::from_config(&config);
    assert!(!store.enabled());
    store.record_question(question("q", now_unix()));
    store.flush();
    assert_eq!(store.stats(), Stats::default());
    assert_eq!(std::fs::read_dir(dir.path()).expect("dir").count(), 0);

    let config = crate::store::StoreConfig {
        path: dir.path().join("on.db"),
        retention_days: 30,
    };
    let store = Store::from_config(&config);
    store.record_question(question("q", now_unix()));
    store.flush();
    assert_eq!(store.stats().written, 1);
    assert_eq!(store.path(), Some(config.path.as_path()));
}

/// `faqbot report` reads a store in a folder it may not write: SQLite's
/// WAL mode would create its `-shm` file beside the database, and fail
/// with "attempt to write a readonly database". The tests run as root, for
/// whom permissions do not stop a write, so the folder is made immutable
/// (`chattr +i`); where the file system cannot, the test says so and
/// checks the readable case only.
#[test]
fn a_store_in_a_folder_that_cannot_be_written_is_still_read() {
    let (dir, path) = temp_db();
    {
        let store = Store::open(&path, test_options());
        store.record_question(question("who guards embassies?", now_unix()));
    } // dropped: its queue written, the database closed
    let chattr = |flag: &str| {
        std::process::Command::new("chattr")
            .arg(flag)
            .arg(dir.path())
            .status()
            .is_ok_and(|s| s.success())
    };
    let locked = chattr("+i");
    if !locked {
        eprintln!("chattr +i is not available here: reading a writable folder only");
    }
    let read = Reader::open(&path).and_then(|r| r.questions_since(0));
    if locked {
        assert!(
            std::fs::write(dir.path().join("probe"), "x").is_err(),
            "the folder is locked"
        );
        chattr("-i");
    }
    let questions = read.expect("the store is read");
    assert_eq!(questions.len(), 1);
    assert_eq!(questions[0].text, "who guards embassies?");
}

#[test]
fn a_path_becomes_an_sqlite_uri_that_keeps_its_odd_characters() {
    let path = std::path::Path::new("/srv/faq bot/a?b#c%d/é.db");
    assert_eq!(
        crate::store::read::uri_path(path),
        "/srv/faq%20bot/a%3Fb%23c%25d/%C3%A9.db"
    );
}
