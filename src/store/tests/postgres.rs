//! PostgreSQL's own cases: the server going away behind a forwarder and
//! coming back (nothing queued lost; the overflow of a tiny queue
//! counted), a flush and a shutdown that give up in bounded time, two
//! stores writing one database (every row kept, one salt), migrations,
//! and an unreachable server or a bad address said without the password.
//! Each runs on a database of its own (`pg_support`), and is skipped,
//! saying so, when `FAQBOT_TEST_PG` is unset; the last needs no server.

use std::time::Instant;

use super::forwarder::Forwarder;
use super::*;

/// Waits (polling) until `done`, failing the test after `HANG`.
#[track_caller]
fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < HANG, "waited too long for {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn pg_location(url: &str) -> Location {
    Location::parse(url).expect("a postgres url")
}

/// Questions and votes, as the bot records them while the server is away.
fn record_questions_and_votes(store: &Store, prefix: &str, n: usize) {
    let now = now_unix();
    for i in 0..n {
        let q = question(&format!("{prefix} {i}"), now);
        store.record_vote(Vote {
            question: q.id,
            voter: i as u64,
            up: true,
            entry: None,
            at: now,
        });
        store.record_question(q);
    }
}

#[test]
fn a_server_that_goes_away_loses_nothing_that_fits_the_queue() {
    let Some(db) = TestDb::create("outage") else {
        return;
    };
    let forwarder = Forwarder::start(&db.host_port());
    let via = pg_location(&db.url_via(&forwarder.host_port()));
    let (stats, log) = with_logs(|| {
        let store = Store::open(
            via,
            Options {
                queue_capacity: 1000,
                // Long enough that nothing is given up while the test waits.
                give_up_after: Duration::from_secs(60),
                ..test_options()
            },
        );
        record_questions_and_votes(&store, "before", 10);
        store.flush();
        assert_eq!(store.stats().written, 20);

        forwarder.cut();
        // 600 events: fewer than the queue holds.
        record_questions_and_votes(&store, "during", 300);
        // The writer meets the cut, keeps its batch and keeps trying.
        wait_until("two refused reconnections", || {
            forwarder.refused.load(std::sync::atomic::Ordering::SeqCst) >= 2
        });
        let during = store.stats();
        assert_eq!(
            (
                during.written,
                during.failed,
                during.dropped,
                during.queue_depth
            ),
            (20, 0, 0, 600),
            "{during:?}"
        );
        forwarder.restore();
        store.flush();
        store.stats()
    });
    assert_eq!(
        stats,
        Stats {
            queued: 620,
            dropped: 0,
            written: 620,
            failed: 0,
            queue_depth: 0,
        }
    );
    // Every event is in PostgreSQL, read directly, not through the forwarder.
    let r = Reader::open(pg_location(db.url())).expect("reader");
    let texts: Vec<String> = r
        .questions_since(0, &Scope::All)
        .expect("q")
        .into_iter()
        .map(|q| q.text)
        .collect();
    assert_eq!(texts.len(), 310);
    for i in 0..300 {
        assert!(
            texts.contains(&format!("during {i}")),
            "during {i} is stored"
        );
    }
    assert_eq!(
        r.vote_totals(0, &Scope::All).expect("votes"),
        [total("host-country-duties", 310, 0)]
    );
    assert!(log.contains("the events are kept and retried"), "{log}");
    assert!(log.contains("recording again"), "{log}");
    assert!(!log.contains("events_lost"), "{log}");
}

#[test]
fn with_a_tiny_queue_an_outage_drops_and_counts_the_overflow() {
    let Some(db) = TestDb::create("overflow") else {
        return;
    };
    let forwarder = Forwarder::start(&db.host_port());
    let via = pg_location(&db.url_via(&forwarder.host_port()));
    let (stats, log) = with_logs(|| {
        let store = Store::open(
            via,
            Options {
                queue_capacity: 8,
                give_up_after: Duration::from_secs(60),
                ..test_options()
            },
        );
        store.flush();
        forwarder.cut();
        // A first question meets the cut; then 100 more pour in.
        store.record_question(question("first", now_unix()));
        wait_until("a refused reconnection", || {
            forwarder.refused.load(std::sync::atomic::Ordering::SeqCst) >= 1
        });
        for i in 0..100 {
            store.record_question(question(&format!("q {i}"), now_unix()));
        }
        let during = store.stats();
        forwarder.restore();
        store.flush();
        (during, store.stats())
    });
    let (during, after) = stats;
    assert_eq!(during.queued + during.dropped, 101, "{during:?}");
    // The kept batch (one question) and a full queue of 8: the rest dropped.
    assert_eq!(during.queued, 9, "{during:?}");
    assert_eq!(during.dropped, 92, "{during:?}");
    assert_eq!(
        (after.written, after.failed, after.dropped),
        (9, 0, 92),
        "{after:?}"
    );
    assert!(log.contains("store queue full"), "{log}");
    let stored = Reader::open(pg_location(db.url()))
        .expect("reader")
        .questions_since(0, &Scope::All)
        .expect("q");
    assert_eq!(stored.len(), 9);
}

#[test]
fn a_flush_or_a_shutdown_with_the_server_away_gives_up_in_bounded_time() {
    let Some(db) = TestDb::create("give up") else {
        return;
    };
    let forwarder = Forwarder::start(&db.host_port());
    let via = pg_location(&db.url_via(&forwarder.host_port()));
    let options = Options {
        give_up_after: Duration::from_millis(500),
        call_timeout: Duration::from_secs(1),
        ..test_options()
    };
    let ((), log) = with_logs(|| {
        let store = Store::open(via, options.clone());
        store.flush();
        forwarder.cut();
        record_questions_and_votes(&store, "lost", 3);
        let start = Instant::now();
        store.flush();
        let waited = start.elapsed();
        assert!(
            waited < Duration::from_secs(5),
            "the flush gave up: {waited:?}"
        );
        let stats = store.stats();
        assert_eq!(
            (stats.written, stats.failed, stats.queue_depth),
            (0, 6, 0),
            "{stats:?}"
        );
        record_questions_and_votes(&store, "at shutdown", 2);
        let start = Instant::now();
        drop(store);
        let waited = start.elapsed();
        assert!(
            waited < Duration::from_secs(5),
            "the shutdown gave up: {waited:?}"
        );
    });
    assert_eq!(log.matches("gave up waiting").count(), 2, "{log}");
    assert!(log.contains("events_lost=6"), "{log}");
    assert!(log.contains("events_lost=4"), "{log}");
}

#[test]
fn two_stores_on_one_database_keep_every_row_and_share_one_salt() {
    let Some(db) = TestDb::create("two stores") else {
        return;
    };
    let location = pg_location(db.url());
    let now = now_unix();
    let mut shared = question("asked once, voted on by both", now);
    shared.entry = Some("shared-entry".into());
    let ((), log) = with_logs(|| {
        // Opened together: both migrate-or-wait and make-or-read the salt.
        let a = Arc::new(Store::open(location.clone(), test_options()));
        let b = Arc::new(Store::open(location.clone(), test_options()));
        a.record_question(shared.clone());
        let writers: Vec<_> = [a.clone(), b.clone()]
            .into_iter()
            .enumerate()
            .map(|(n, store)| {
                std::thread::spawn(move || {
                    for i in 0..300u64 {
                        let q = question(&format!("store {n} question {i}"), now_unix());
                        store.record_pick(Pick {
                            question: q.id,
                            entry: "picked".into(),
                            via: Via::Suggestion,
                            at: q.at,
                        });
                        store.record_vote(Vote {
                            question: q.id,
                            voter: 1_000 * (n as u64 + 1) + i,
                            up: true,
                            entry: None,
                            at: q.at,
                        });
                        store.record_question(q);
                    }
                })
            })
            .collect();
        for w in writers {
            w.join().expect("recording thread");
        }
        // One voter, through each store: the later vote replaces the
        // earlier only if both hash the voter with the same salt.
        a.record_vote(Vote {
            question: shared.id,
            voter: 77,
            up: true,
            entry: None,
            at: now - 1,
        });
        a.flush();
        b.record_vote(Vote {
            question: shared.id,
            voter: 77,
            up: false,
            entry: None,
            at: now,
        });
        b.flush();
        for s in [&a, &b] {
            let stats = s.stats();
            assert_eq!((stats.failed, stats.dropped), (0, 0), "{stats:?}");
        }
        assert_eq!(a.stats().written + b.stats().written, 1 + 2 * 900 + 2);
    });
    let r = Reader::open(location).expect("reader");
    assert_eq!(r.questions_since(0, &Scope::All).expect("q").len(), 601);
    assert_eq!(r.picks_since(0, &Scope::All).expect("p").len(), 600);
    assert_eq!(
        r.vote_totals(0, &Scope::All).expect("v"),
        [
            total("host-country-duties", 600, 0),
            total("shared-entry", 0, 1)
        ]
    );
    assert_eq!(
        db.texts("SELECT count(*)::TEXT FROM meta WHERE key = 'voter_salt'"),
        ["1"]
    );
    assert_eq!(
        db.texts("SELECT version::TEXT FROM schema_migrations"),
        [POSTGRES_SCHEMA_VERSION.to_string()]
    );
    assert_eq!(log.matches("store database migrated").count(), 1, "{log}");
}

#[test]
fn a_new_database_is_migrated_once_and_keeps_its_salt() {
    let Some(db) = TestDb::create("migrate") else {
        return;
    };
    let db = TestStore::Postgres(db);
    let ((), log) = with_logs(|| {
        let store = db.open();
        store.record_question(question("after the migration", now_unix()));
        store.flush();
        assert_eq!(store.stats().written, 1);
    });
    assert!(log.contains("store database migrated"), "{log}");
    let TestStore::Postgres(pg) = &db else {
        unreachable!("made above")
    };
    assert_eq!(
        pg.texts("SELECT tablename::TEXT FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"),
        ["meta", "picks", "questions", "schema_migrations", "votes"]
    );
    assert_eq!(db.texts(), ["after the migration"]);
    let salt = db.salt();
    assert_eq!(salt.len(), 32);
    let ((), log) = with_logs(|| db.open().flush());
    assert!(!log.contains("migrated"), "{log}");
    assert_eq!(db.salt(), salt);
}

#[test]
fn a_database_from_a_newer_faqbot_is_left_alone_and_logged() {
    let Some(db) = TestDb::create("newer") else {
        return;
    };
    db.execute(
        "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL);
         INSERT INTO schema_migrations VALUES (99, 0);",
    );
    let location = pg_location(db.url());
    let (stats, log) = with_logs(|| {
        let store = Store::open(location.clone(), test_options());
        store.record_question(question("q", now_unix()));
        store.flush();
        store.stats()
    });
    assert_eq!((stats.written, stats.failed), (0, 1));
    assert!(
        log.contains("cannot open the store's database") && log.contains("newer than this faqbot"),
        "{log}"
    );
    let e = Reader::open(location).expect_err("too new");
    assert!(e.to_string().contains("read it with a newer faqbot"), "{e}");
    assert_eq!(
        db.texts("SELECT count(*)::TEXT FROM pg_tables WHERE tablename = 'questions'"),
        ["0"]
    );
}

/// Needs no server: nothing listens on port 1.
#[test]
fn an_unreachable_server_is_said_clearly_without_the_password() {
    let url = "postgres://faqbot:s3cret@127.0.0.1:1/faqbot";
    let location = pg_location(url);
    let e = Reader::open(location.clone()).expect_err("nothing listens there");
    let message = e.to_string();
    assert!(
        message.starts_with("postgres://faqbot:***@127.0.0.1:1/faqbot: cannot open the store's database: error connecting to server"),
        "{message}"
    );
    assert!(!message.contains("s3cret"), "{message}");
    let (shown, log) = with_logs(|| {
        let store = Store::open(location, test_options());
        store.record_question(question("q", now_unix()));
        store.flush();
        format!("{store:?}")
    });
    for text in [&shown, &log] {
        assert!(!text.contains("s3cret"), "{text}");
        assert!(text.contains("faqbot:***@127.0.0.1:1"), "{text}");
    }
    assert!(log.contains("cannot open the store's database"), "{log}");
}

on_both! {
/// Not a test of speed (nothing is asserted about time): how fast a
/// backend takes a burst, printed for the record (`--nocapture`).
fn a_burst_is_written_and_its_rate_printed(db) {
    let n = 4_000;
    let store = db.open_with(|o| o.queue_capacity = 2 * n);
    let start = Instant::now();
    record_questions_and_votes(&store, "burst", n);
    store.flush();
    let took = start.elapsed();
    let stats = store.stats();
    assert_eq!((stats.written, stats.failed), (2 * n as u64, 0));
    eprintln!(
        "{}: {} rows (questions and votes) in {:.0} ms: {:.0} rows/s",
        match db {
            TestStore::Sqlite { .. } => "sqlite",
            TestStore::Postgres(_) => "postgres",
        },
        2 * n,
        took.as_secs_f64() * 1e3,
        (2 * n) as f64 / took.as_secs_f64()
    );
}
}
