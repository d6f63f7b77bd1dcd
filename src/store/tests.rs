//! The store on temporary files: what is written is what is read, votes
//! count once per voter and never hold a user id, retention, migrations,
//! and a broken database (locked, unopenable, read-only, a full queue)
//! never blocking or failing the caller.

use std::io::Write;
use std::path::Path;
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

use rusqlite::Connection;

use super::writer::voter_hash;
use super::*;
use crate::answer::matching::FallbackReason;

/// Generous bound for "it did not hang": far above any real run, only
/// there so that a deadlock fails the test instead of stalling it.
const HANG: Duration = Duration::from_secs(120);

fn test_options() -> Options {
    Options {
        retention_days: 30,
        queue_capacity: 4096,
        busy_timeout: Duration::from_millis(50),
        purge_interval: Duration::from_secs(24 * 60 * 60),
        reopen_interval: Duration::from_secs(60),
    }
}

fn question(text: &str, at: i64) -> Question {
    Question {
        id: QuestionId::generate(),
        at,
        text: text.to_string(),
        guild_id: Some(1_100_000_000_000_000_001),
        channel_id: Some(1_200_000_000_000_000_002),
        trigger: Trigger::Slash,
        outcome: Outcome::Answer,
        entry: Some("host-country-duties".into()),
        score: 0.8125,
        runner_up: Some(("embassy-guards".into(), 0.40625)),
        latency_us: 42,
    }
}

/// Runs `f` with a subscriber that keeps every log line (INFO and above),
/// the store's writer thread included; returns `f`'s result and the log.
fn with_logs<R>(f: impl FnOnce() -> R) -> (R, String) {
    #[derive(Clone)]
    struct Buf(Arc<Mutex<Vec<u8>>>);
    impl Write for Buf {
        fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
            self.0.lock().expect("log buffer").extend_from_slice(data);
            Ok(data.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let buf = Buf(Arc::new(Mutex::new(Vec::new())));
    let writer = buf.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::INFO)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let result = tracing::subscriber::with_default(subscriber, f);
    let log = String::from_utf8_lossy(&buf.0.lock().expect("log buffer")).into_owned();
    (result, log)
}

/// Records `n` questions from another thread and waits for it to finish
/// (failing, rather than hanging, if recording ever blocks).
#[track_caller]
fn record_from_thread(store: &Arc<Store>, n: usize) {
    let (done, finished) = mpsc::channel();
    let s = store.clone();
    // Log where the test logs (in the bot, a global subscriber does that).
    let dispatch = tracing::dispatcher::get_default(|d| d.clone());
    let t = std::thread::spawn(move || {
        let _logging = tracing::dispatcher::set_default(&dispatch);
        for i in 0..n {
            s.record_question(question(&format!("question {i}"), now_unix()));
            s.record_vote(Vote {
                question: QuestionId(i as u64),
                voter: 7,
                up: true,
                entry: None,
                at: now_unix(),
            });
        }
        let _ = done.send(());
    });
    finished
        .recv_timeout(HANG)
        .expect("recording returns without waiting for the database");
    t.join().expect("the recording thread did not panic");
}

fn user_version(path: &Path) -> i64 {
    Connection::open(path)
        .expect("open")
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .expect("user_version")
}

#[test]
fn what_is_recorded_is_read_back_exactly() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("faqbot.db");
    let store = Store::open(&path, test_options());
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
        [VoteTotal {
            entry: "host-country-duties".into(),
            up: 1,
            down: 0
        }]
    );
}

#[test]
fn a_question_is_kept_without_user_role_or_channel_ids() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("faqbot.db");
    let store = Store::open(&path, test_options());
    let now = now_unix();
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
fn migration_3_removes_the_ids_that_older_rows_kept() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("faqbot.db");
    let now = now_unix();
    {
        let mut conn = Connection::open(&path).expect("open");
        super::schema::migrate_up_to(&mut conn, 2).expect("version 2");
        for (id, text) in [
            (7, "<@123456789012345678> who guards   embassies?"),
            (8, "ask <@&987654321098765432> about visas"),
            (9, "plain question, kept: as it was"),
        ] {
            conn.execute(
                "INSERT INTO questions (id, at, text, trigger, outcome, entry, score, latency_us)
                 VALUES (?1, ?2, ?3, 'mention', 'answer', 'e', 0.9, 10)",
                rusqlite::params![id, now, text],
            )
            .expect("a version-2 question");
        }
    }
    let store = Store::open(&path, test_options());
    store.flush();
    let r = Reader::open(&path).expect("migrated");
    let text = |id| {
        r.question(QuestionId(id))
            .expect("read")
            .expect("kept")
            .text
    };
    assert_eq!(text(7), "who guards embassies?");
    assert_eq!(text(8), "ask about visas");
    assert_eq!(text(9), "plain question, kept: as it was");
    assert_eq!(user_version(&path), SCHEMA_VERSION);
}

#[test]
fn a_version_1_database_keeps_its_votes_through_migration_2() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("faqbot.db");
    let now = now_unix();
    {
        let mut conn = Connection::open(&path).expect("open");
        super::schema::migrate_up_to(&mut conn, 1).expect("version 1");
        conn.execute(
            "INSERT INTO questions (id, at, text, trigger, outcome, entry, score, latency_us)
             VALUES (7, ?1, 'who guards embassies?', 'slash', 'answer', 'old-entry', 0.9, 10)",
            [now],
        )
        .expect("a version-1 question");
        conn.execute(
            "INSERT INTO votes (question_id, voter, value, at) VALUES (7, x'00', -1, ?1)",
            [now],
        )
        .expect("a version-1 vote");
    }
    let store = Store::open(&path, test_options());
    store.flush();
    let r = Reader::open(&path).expect("migrated to the current version");
    assert_eq!(
        r.vote_totals(0).expect("votes"),
        [VoteTotal {
            entry: "old-entry".into(),
            up: 0,
            down: 1
        }],
        "a vote without an entry counts for its question's entry"
    );
}

#[test]
fn a_vote_on_a_picked_answer_counts_for_the_picked_entry() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("faqbot.db");
    let store = Store::open(&path, test_options());
    let now = now_unix();
    // The bot's best entry was host-country-duties; the asker picked
    // who-pays from the suggestions and voted on that answer.
    let q = question("who guards embassies?", now);
    store.record_question(q.clone());
    store.record_vote(Vote {
        question: q.id,
        voter: 1,
        up: false,
        entry: Some("who-pays".into()),
        at: now,
    });
    store.record_vote(Vote {
        question: q.id,
        voter: 2,
        up: true,
        entry: None,
        at: now,
    });
    store.flush();
    let r = Reader::open(&path).expect("reader");
    assert_eq!(
        r.vote_totals(0).expect("votes"),
        [
            VoteTotal {
                entry: "host-country-duties".into(),
                up: 1,
                down: 0
            },
            VoteTotal {
                entry: "who-pays".into(),
                up: 0,
                down: 1
            },
        ]
    );
}

#[test]
fn one_vote_per_voter_per_answer_and_no_user_id_in_the_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("faqbot.db");
    let store = Store::open(&path, test_options());
    let now = now_unix();
    let q1 = question("who guards embassies?", now);
    let mut q2 = question("who pays for embassy guards?", now);
    q2.entry = Some("who-pays".into());
    store.record_question(q1.clone());
    store.record_question(q2.clone());
    let (alice, bob) = (123_456_789_012_345_678u64, 876_543_210_987_654_321u64);
    let vote = |question: &Question, voter, up| Vote {
        question: question.id,
        voter,
        up,
        entry: None,
        at: now,
    };
    // Alice changes her mind on q1: only her last vote counts.
    store.record_vote(vote(&q1, alice, true));
    store.record_vote(vote(&q1, alice, false));
    // Bob votes on q1 too, and twice the same way on q2.
    store.record_vote(vote(&q1, bob, true));
    store.record_vote(vote(&q2, bob, true));
    store.record_vote(vote(&q2, bob, true));
    store.flush();

    let r = Reader::open(&path).expect("reader");
    assert_eq!(
        r.vote_totals(0).expect("votes"),
        [
            VoteTotal {
                entry: "host-country-duties".into(),
                up: 1,
                down: 1
            },
            VoteTotal {
                entry: "who-pays".into(),
                up: 1,
                down: 0
            },
        ]
    );

    let conn = Connection::open(&path).expect("open");
    let rows: Vec<(Vec<u8>, String, i64)> = conn
        .prepare("SELECT voter, quote(voter), value FROM votes ORDER BY question_id, value")
        .expect("prepare")
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows");
    assert_eq!(rows.len(), 3, "{rows:?}");
    let salt: Vec<u8> = conn
        .query_row("SELECT value FROM meta WHERE key = 'voter_salt'", [], |r| {
            r.get(0)
        })
        .expect("salt");
    assert_eq!(salt.len(), 32);
    assert_eq!(rows[0], {
        let h = voter_hash(&salt, alice).to_vec();
        let hex: String = h.iter().map(|b| format!("{b:02X}")).collect();
        (h, format!("X'{hex}'"), -1)
    });
    for (hash, text, _) in &rows {
        assert_eq!(hash.len(), 32);
        for id in [alice, bob] {
            assert!(!text.contains(&id.to_string()));
            assert_ne!(hash.as_slice(), id.to_be_bytes().as_slice());
        }
    }
    // Nowhere in the database files, in clear: not as text, not as bytes.
    drop(store);
    let mut bytes = Vec::new();
    for entry in std::fs::read_dir(dir.path()).expect("dir") {
        bytes.extend(std::fs::read(entry.expect("entry").path()).expect("read"));
    }
    for id in [alice, bob] {
        for needle in [
            id.to_string().into_bytes(),
            id.to_be_bytes().to_vec(),
            id.to_le_bytes().to_vec(),
        ] {
            assert!(
                !bytes.windows(needle.len()).any(|w| w == needle.as_slice()),
                "user id {id} found in the database files"
            );
        }
    }
    // Another database, another salt: hashes cannot be matched across them.
    let other = dir.path().join("other.db");
    let s = Store::open(&other, test_options());
    s.flush();
    let other_salt: Vec<u8> = Connection::open(&other)
        .expect("open")
        .query_row("SELECT value FROM meta WHERE key = 'voter_salt'", [], |r| {
            r.get(0)
        })
        .expect("salt");
    assert_ne!(salt, other_salt);
}

#[test]
fn retention_deletes_old_rows_at_open_and_keeps_new_ones() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("faqbot.db");
    let now = now_unix();
    let day = 24 * 60 * 60;
    let old = question("asked long ago", now - 31 * day);
    let recent = question("asked last week", now - 7 * day);
    {
        let store = Store::open(&path, test_options());
        for q in [&old, &recent] {
            store.record_question(q.clone());
            store.record_pick(Pick {
                question: q.id,
                entry: "x".into(),
                via: Via::Menu,
                at: q.at,
            });
            store.record_vote(Vote {
                question: q.id,
                voter: 1,
                up: true,
                entry: None,
                at: q.at,
            });
        }
    }
    // Written as given (the purge at open came first).
    let r = Reader::open(&path).expect("reader");
    assert_eq!(r.questions_since(0).expect("q").len(), 2);

    let ((), log) = with_logs(|| {
        let store = Store::open(&path, test_options());
        store.flush();
    });
    assert!(log.contains("old rows deleted from the store"), "{log}");
    assert_eq!(
        r.questions_since(0).expect("q"),
        std::slice::from_ref(&recent),
        "older than 30 days: deleted"
    );
    let picks = r.picks_since(0).expect("picks");
    assert_eq!(picks.len(), 1);
    assert_eq!(picks[0].question, recent.id);
    assert_eq!(
        r.vote_totals(0).expect("votes"),
        [VoteTotal {
            entry: "host-country-duties".into(),
            up: 1,
            down: 0
        }]
    );

    // retention_days = 0 keeps everything.
    let keep = Store::open(
        &path,
        Options {
            retention_days: 0,
            ..test_options()
        },
    );
    keep.record_question(old.clone());
    keep.flush();
    drop(keep);
    let keep = Store::open(
        &path,
        Options {
            retention_days: 0,
            ..test_options()
        },
    );
    keep.flush();
    assert_eq!(r.questions_since(0).expect("q").len(), 2);
}

#[test]
fn retention_also_runs_while_the_store_is_open() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("faqbot.db");
    // Purging after every batch stands in for once a day.
    let store = Store::open(
        &path,
        Options {
            purge_interval: Duration::ZERO,
            ..test_options()
        },
    );
    let now = now_unix();
    let recent = question("new", now);
    store.record_question(question("old", now - 40 * 24 * 60 * 60));
    store.record_question(recent.clone());
    store.flush();
    let r = Reader::open(&path).expect("reader");
    assert_eq!(r.questions_since(0).expect("q"), [recent]);
    assert_eq!(store.stats().written, 2);
}

#[test]
fn an_empty_file_is_migrated_to_the_current_schema() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("faqbot.db");
    std::fs::File::create(&path).expect("empty file");
    assert_eq!(user_version(&path), 0);
    // Version 0 cannot be read yet.
    let e = Reader::open(&path).expect_err("not migrated");
    assert!(e.to_string().contains("start the bot once"), "{e}");

    let ((), log) = with_logs(|| {
        let store = Store::open(&path, test_options());
        store.record_question(question("after the migration", now_unix()));
        store.flush();
        assert_eq!(store.stats().written, 1);
    });
    assert!(log.contains("store database migrated"), "{log}");
    assert_eq!(user_version(&path), SCHEMA_VERSION);
    let conn = Connection::open(&path).expect("open");
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .expect("mode");
    assert_eq!(mode, "wal");
    let mut tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .expect("prepare")
        .query_map([], |r| r.get(0))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows");
    tables.sort();
    assert_eq!(tables, ["meta", "picks", "questions", "votes"]);
    assert_eq!(
        Reader::open(&path)
            .expect("reader")
            .questions_since(0)
            .expect("q")[0]
            .text,
        "after the migration"
    );

    // Opening again migrates nothing and keeps the salt.
    let salt = |p: &Path| -> Vec<u8> {
        Connection::open(p)
            .expect("open")
            .query_row("SELECT value FROM meta WHERE key = 'voter_salt'", [], |r| {
                r.get(0)
            })
            .expect("salt")
    };
    let before = salt(&path);
    let ((), log) = with_logs(|| Store::open(&path, test_options()).flush());
    assert!(!log.contains("migrated"), "{log}");
    assert_eq!(salt(&path), before);
}

#[test]
fn a_database_from_a_newer_faqbot_is_left_alone_and_logged() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("faqbot.db");
    Connection::open(&path)
        .expect("open")
        .pragma_update(None, "user_version", SCHEMA_VERSION + 1)
        .expect("set version");
    let (stats, log) = with_logs(|| {
        let store = Store::open(&path, test_options());
        store.record_question(question("q", now_unix()));
        store.flush();
        store.stats()
    });
    assert_eq!((stats.written, stats.failed), (0, 1));
    assert!(
        log.contains("cannot open the store's database") && log.contains("newer than this faqbot"),
        "{log}"
    );
    assert_eq!(user_version(&path), SCHEMA_VERSION + 1);
    assert!(Reader::open(&path).is_err());
}

#[test]
fn a_locked_database_loses_events_but_never_blocks_and_recovers() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("faqbot.db");
    let (store, log) = with_logs(|| {
        let store = Arc::new(Store::open(&path, test_options()));
        store.flush(); // created and migrated

        let locker = Connection::open(&path).expect("open");
        locker.execute_batch("BEGIN EXCLUSIVE").expect("lock");
        record_from_thread(&store, 300);
        store.flush();
        let locked = store.stats();
        assert_eq!(locked.queued + locked.dropped, 600);
        assert_eq!(locked.written, 0, "nothing gets past the lock");
        assert_eq!(locked.failed, locked.queued);

        locker.execute_batch("COMMIT").expect("unlock");
        store.record_question(question("after the lock", now_unix()));
        store.flush();
        let after = store.stats();
        assert_eq!(after.written, 1);
        store
    });
    assert_eq!(
        log.matches("cannot write to the store's database").count(),
        1,
        "warned once a minute at most, not once per batch: {log}"
    );
    assert!(log.contains("events_lost="), "{log}");
    let r = Reader::open(&path).expect("reader");
    let texts: Vec<String> = r
        .questions_since(0)
        .expect("q")
        .into_iter()
        .map(|q| q.text)
        .collect();
    assert_eq!(texts, ["after the lock"]);
    drop(store);
}

#[test]
fn a_database_locked_at_open_is_opened_later() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("faqbot.db");
    // A new file another process is writing: the migration cannot start.
    let locker = Connection::open(&path).expect("open");
    locker.execute_batch("BEGIN EXCLUSIVE").expect("lock");
    let (stats, log) = with_logs(|| {
        let store = Store::open(
            &path,
            Options {
                reopen_interval: Duration::ZERO,
                ..test_options()
            },
        );
        store.record_question(question("while locked", now_unix()));
        store.flush();
        assert_eq!(store.stats().failed, 1);
        locker.execute_batch("COMMIT").expect("unlock");
        store.record_question(question("once free", now_unix()));
        store.flush();
        store.stats()
    });
    assert_eq!((stats.written, stats.failed), (1, 1));
    assert_eq!(
        log.matches("cannot open the store's database").count(),
        1,
        "{log}"
    );
    assert!(log.contains("opened after all"), "{log}");
    let texts: Vec<String> = Reader::open(&path)
        .expect("reader")
        .questions_since(0)
        .expect("q")
        .into_iter()
        .map(|q| q.text)
        .collect();
    assert_eq!(texts, ["once free"]);
}

#[test]
fn a_path_that_cannot_be_a_database_is_logged_once_and_never_blocks() {
    let dir = tempfile::tempdir().expect("tempdir");
    // A directory is not a database file, for root too.
    let (stats, log) = with_logs(|| {
        let store = Arc::new(Store::open(
            dir.path(),
            Options {
                reopen_interval: Duration::ZERO,
                ..test_options()
            },
        ));
        assert!(store.enabled());
        for _ in 0..3 {
            record_from_thread(&store, 50);
            store.flush();
        }
        store.stats()
    });
    assert_eq!(stats.written, 0);
    assert_eq!(stats.failed + stats.dropped, 300);
    assert_eq!(
        log.matches("cannot open the store's database").count(),
        1,
        "said once, though retried every batch: {log}"
    );
}

#[test]
fn a_read_only_database_file_never_blocks() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("faqbot.db");
    Store::open(&path, test_options()).flush();
    for name in ["faqbot.db", "faqbot.db-wal", "faqbot.db-shm"] {
        let p = dir.path().join(name);
        if p.exists() {
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o444)).expect("chmod");
        }
    }
    // Root writes through file permissions: then make the files immutable
    // (chattr +i stops root too), where the file system allows it. The
    // guard lifts the flag again, even if the test fails, so the temporary
    // directory can be removed.
    struct Immutable(Vec<std::path::PathBuf>);
    impl Drop for Immutable {
        fn drop(&mut self) {
            for p in &self.0 {
                let _ = std::process::Command::new("chattr")
                    .arg("-i")
                    .arg(p)
                    .status();
            }
        }
    }
    let mut _guard = Immutable(Vec::new());
    let writable = || std::fs::OpenOptions::new().write(true).open(&path).is_ok();
    if writable() {
        for name in ["faqbot.db", "faqbot.db-wal", "faqbot.db-shm"] {
            let p = dir.path().join(name);
            let made = p.exists()
                && std::process::Command::new("chattr")
                    .arg("+i")
                    .arg(&p)
                    .status()
                    .is_ok_and(|s| s.success());
            if made {
                _guard.0.push(p);
            }
        }
    }
    let read_only = !writable();
    let (stats, log) = with_logs(|| {
        let store = Arc::new(Store::open(&path, test_options()));
        record_from_thread(&store, 100);
        store.flush();
        store.stats()
    });
    assert_eq!(stats.queued + stats.dropped, 200);
    assert_eq!(stats.written + stats.failed, stats.queued);
    if read_only {
        assert_eq!(stats.written, 0);
        assert!(log.contains("cannot"), "{log}");
    } else {
        eprintln!(
            "running with write access through 0444 and no chattr: only checked that it returned"
        );
    }
}

#[test]
fn a_full_queue_drops_and_counts_without_blocking() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("faqbot.db");
    let (stats, log) = with_logs(|| {
        let store = Arc::new(Store::open(
            &path,
            Options {
                queue_capacity: 4,
                // Long enough that the writer stays stuck on the lock
                // while the events pour in.
                busy_timeout: Duration::from_secs(3),
                ..test_options()
            },
        ));
        store.flush();
        let locker = Connection::open(&path).expect("open");
        locker.execute_batch("BEGIN EXCLUSIVE").expect("lock");
        record_from_thread(&store, 500);
        let during = store.stats();
        locker.execute_batch("COMMIT").expect("unlock");
        store.flush();
        (during, store.stats())
    });
    let (during, after) = stats;
    assert_eq!(during.queued + during.dropped, 1000);
    assert!(
        during.dropped > 0,
        "a 4-event queue cannot take 1000: {during:?}"
    );
    assert_eq!(after.dropped, during.dropped);
    assert_eq!(
        after.written + after.failed,
        after.queued,
        "every queued event is written or counted lost: {after:?}"
    );
    assert!(log.contains("store queue full"), "{log}");
    assert_eq!(
        log.matches("store queue full").count(),
        1,
        "warned once a minute at most: {log}"
    );
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

/// `faqbot report` reads a store in a folder it may not write: SQLite's
/// WAL mode would create its `-shm` file beside the database, and fail
/// with "attempt to write a readonly database". The tests run as root, for
/// whom permissions do not stop a write, so the folder is made immutable
/// (`chattr +i`); where the file system cannot, the test says so and
/// checks the readable case only.
#[test]
fn a_store_in_a_folder_that_cannot_be_written_is_still_read() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("faqbot.db");
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
        super::read::uri_path(path),
        "/srv/faq%20bot/a%3Fb%23c%25d/%C3%A9.db"
    );
}
