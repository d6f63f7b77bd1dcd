//! What is recorded is read back: every field of questions, picks and
//! votes; question texts without user, role or channel ids; reads limited
//! to a scope of guilds; a batch written twice counting once; nothing at
//! all from a disabled store; and reading a store in a folder that
//! cannot be written.

use super::*;

on_both! {
fn what_is_recorded_is_read_back_exactly(db) {
    let store = db.open();
    let now = now_unix();
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
            failed: 0,
            queue_depth: 0,
        }
    );

    let r = db.reader();
    assert_eq!(
        r.questions_since(0, &Scope::All).expect("questions"),
        [answered.clone(), suggested.clone(), fallback.clone()]
    );
    assert_eq!(
        r.questions_since(now - 5, &Scope::All).expect("questions"),
        [suggested.clone(), fallback.clone()]
    );
    assert_eq!(
        r.question(suggested.id).expect("question"),
        Some(suggested.clone())
    );
    assert_eq!(r.question(QuestionId(1)).expect("question"), None);
    assert_eq!(
        r.picks_since(0, &Scope::All).expect("picks"),
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
        r.vote_totals(0, &Scope::All).expect("votes"),
        [total("host-country-duties", 1, 0)]
    );
}
}

on_both! {
fn a_question_is_kept_without_user_role_or_channel_ids(db) {
    let store = db.open();
    let q = question(
        "<@123456789012345678> who guards <@&987654321098765432> embassies? <#111222333444555666> <@!222333444555666777>",
        now_unix(),
    );
    store.record_question(q.clone());
    store.flush();
    let kept = db.reader().question(q.id).expect("read").expect("the question");
    assert_eq!(kept.text, "who guards embassies?");
}
}

on_both! {
/// Guild A's, guild B's and a DM's question, each with a pick and a vote,
/// and a pick and a vote whose question was never stored: a scope keeps
/// its questions, and the picks and votes on them; only `All` keeps the
/// orphans.
fn a_scope_keeps_its_guilds_questions_and_their_picks_and_votes(db) {
    let store = db.open();
    let now = now_unix();
    let (a, b) = (1_000_000_000_000_000_001u64, u64::MAX - 7);
    let asked = |text: &str, guild: Option<u64>, entry: &str| {
        let mut q = question(text, now);
        q.guild_id = guild;
        q.entry = Some(entry.into());
        q
    };
    let in_a = asked("asked in a", Some(a), "entry-a");
    let in_b = asked("asked in b", Some(b), "entry-b");
    let in_dm = asked("asked in a dm", None, "entry-dm");
    let orphan = QuestionId::generate();
    for (n, id) in [in_a.id, in_b.id, in_dm.id, orphan].into_iter().enumerate() {
        store.record_pick(Pick {
            question: id,
            entry: format!("picked-{n}"),
            via: Via::Menu,
            at: now,
        });
        store.record_vote(Vote {
            question: id,
            voter: 9,
            up: true,
            // The orphan's vote names its entry, so that it could count.
            entry: (id == orphan).then(|| "entry-orphan".to_string()),
            at: now,
        });
    }
    for q in [&in_a, &in_b, &in_dm] {
        store.record_question(q.clone());
    }
    store.flush();
    let r = db.reader();
    let texts = |scope: &Scope| -> Vec<String> {
        r.questions_since(0, scope).expect("q").into_iter().map(|q| q.text).collect()
    };
    let picked = |scope: &Scope| -> Vec<String> {
        r.picks_since(0, scope).expect("p").into_iter().map(|p| p.picked).collect()
    };
    let voted = |scope: &Scope| -> Vec<String> {
        r.vote_totals(0, scope).expect("v").into_iter().map(|v| v.entry).collect()
    };
    assert_eq!(texts(&Scope::All), ["asked in a", "asked in b", "asked in a dm"]);
    assert_eq!(picked(&Scope::All), ["picked-0", "picked-1", "picked-2", "picked-3"]);
    assert_eq!(voted(&Scope::All), ["entry-a", "entry-b", "entry-dm", "entry-orphan"]);

    assert_eq!(texts(&Scope::Guild(a)), ["asked in a"]);
    assert_eq!(picked(&Scope::Guild(a)), ["picked-0"]);
    assert_eq!(voted(&Scope::Guild(a)), ["entry-a"]);
    // Every bit of a u64 guild id survives the signed columns.
    assert_eq!(texts(&Scope::Guild(b)), ["asked in b"]);
    assert_eq!(voted(&Scope::Guild(b)), ["entry-b"]);
    assert!(texts(&Scope::Guild(42)).is_empty());

    let without_a = Scope::Without(vec![a]);
    assert_eq!(texts(&without_a), ["asked in b", "asked in a dm"]);
    assert_eq!(picked(&without_a), ["picked-1", "picked-2"]);
    assert_eq!(voted(&without_a), ["entry-b", "entry-dm"]);
    let without_both = Scope::Without(vec![a, b]);
    assert_eq!(texts(&without_both), ["asked in a dm"]);
    assert_eq!(picked(&without_both), ["picked-2"]);
    assert_eq!(voted(&without_both), ["entry-dm"]);
    // Without no guild: every stored question, but not the orphans.
    let without_none = Scope::Without(vec![]);
    assert_eq!(texts(&without_none), texts(&Scope::All));
    assert_eq!(picked(&without_none), ["picked-0", "picked-1", "picked-2"]);
    assert_eq!(voted(&without_none), ["entry-a", "entry-b", "entry-dm"]);
}
}

on_both! {
/// The writer retries a batch whose answer was lost with the connection:
/// the batch may then be written twice. The question, the pick and the
/// vote are each kept once, and a vote older than the one stored does not
/// replace it.
fn a_batch_written_twice_counts_once(db) {
    let store = db.open();
    let now = now_unix();
    let q = question("who guards embassies?", now);
    let pick = Pick {
        question: q.id,
        entry: "embassy-guards".into(),
        via: Via::Suggestion,
        at: now,
    };
    let vote = Vote {
        question: q.id,
        voter: 5,
        up: false,
        entry: None,
        at: now,
    };
    for _ in 0..2 {
        store.record_question(q.clone());
        store.record_pick(pick.clone());
        store.record_vote(vote.clone());
        store.flush();
    }
    // The same voter's earlier vote, arriving late (another process).
    store.record_vote(Vote {
        up: true,
        at: now - 60,
        ..vote.clone()
    });
    store.flush();
    let stats = store.stats();
    assert_eq!((stats.written, stats.failed), (7, 0), "{stats:?}");
    let r = db.reader();
    assert_eq!(r.questions_since(0, &Scope::All).expect("q"), std::slice::from_ref(&q));
    assert_eq!(r.picks_since(0, &Scope::All).expect("p").len(), 1);
    assert_eq!(
        r.vote_totals(0, &Scope::All).expect("v"),
        [total("host-country-duties", 0, 1)]
    );
}
}

#[test]
fn a_disabled_store_records_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = crate::store::StoreConfig {
        location: None,
        retention_days: 30,
    };
    let store = Store::from_config(&config);
    assert!(!store.enabled());
    store.record_question(question("q", now_unix()));
    store.flush();
    assert_eq!(store.stats(), Stats::default());
    assert_eq!(std::fs::read_dir(dir.path()).expect("dir").count(), 0);

    let config = crate::store::StoreConfig {
        location: Some(Location::Sqlite(dir.path().join("on.db"))),
        retention_days: 30,
    };
    let store = Store::from_config(&config);
    store.record_question(question("q", now_unix()));
    store.flush();
    assert_eq!(store.stats().written, 1);
    assert_eq!(store.location(), config.location.as_ref());
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
    let read = Reader::open(&path).and_then(|r| r.questions_since(0, &Scope::All));
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
        crate::store::sqlite::read::uri_path(path),
        "/srv/faq%20bot/a%3Fb%23c%25d/%C3%A9.db"
    );
}
