//! The store's unit tests, one concern a submodule, most of them run on
//! both backends: each [`on_both!`] test is one body, run once on a new
//! SQLite file (`…::sqlite`) and once on a new PostgreSQL database
//! (`…::postgres`, skipped, saying so, when `FAQBOT_TEST_PG` is unset; see
//! `tests/it/support/postgres.rs`). This module holds what they share:
//! the options, the [`TestStore`] a body gets, a sample question, a log
//! catcher and a recording thread.
//!
//! - [`write_read`]: what is written is what is read, scopes, a batch
//!   written twice;
//! - [`votes`]: votes count once per voter and never hold a user id;
//! - [`retention`]: old rows are deleted;
//! - [`migrate`]: migrations, and a newer database left alone;
//! - [`failures`]: a broken SQLite file (locked, unopenable, read-only, a
//!   full queue) never blocking or failing the caller;
//! - [`postgres`]: a PostgreSQL server going away and coming back, two
//!   stores on one database, and errors without passwords;
//! - [`records`]: question ids, names and records, without a database.

mod failures;
mod forwarder;
mod migrate;
mod postgres;
mod records;
mod retention;
mod votes;
mod write_read;

#[path = "../../../tests/it/support/postgres.rs"]
mod pg_support;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

use rusqlite::Connection;

use super::*;
use pg_support::TestDb;

/// A test written once and run on both backends: `on_both! { fn name(db)
/// { … } }` makes `name::sqlite` and `name::postgres`, each calling the
/// body with a fresh [`TestStore`].
macro_rules! on_both {
    ($(#[$meta:meta])* fn $name:ident($db:ident) $body:block) => {
        $(#[$meta])*
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            fn body($db: &crate::store::tests::TestStore) $body

            #[test]
            fn sqlite() {
                body(&crate::store::tests::TestStore::sqlite());
            }

            #[test]
            fn postgres() {
                if let Some(db) = crate::store::tests::TestStore::postgres(module_path!()) {
                    body(&db);
                }
            }
        }
    };
}
pub(crate) use on_both;

/// A new, empty store for one test, on either backend.
pub(crate) enum TestStore {
    Sqlite {
        _dir: tempfile::TempDir,
        path: PathBuf,
    },
    Postgres(TestDb),
}

impl TestStore {
    /// A SQLite file (not created yet) in a temporary folder.
    pub(crate) fn sqlite() -> TestStore {
        let (dir, path) = temp_db();
        TestStore::Sqlite { _dir: dir, path }
    }

    /// A new PostgreSQL database, or none when `FAQBOT_TEST_PG` is unset.
    pub(crate) fn postgres(label: &str) -> Option<TestStore> {
        TestDb::create(label).map(TestStore::Postgres)
    }

    pub(crate) fn location(&self) -> Location {
        match self {
            TestStore::Sqlite { path, .. } => Location::Sqlite(path.clone()),
            TestStore::Postgres(db) => Location::parse(db.url()).expect("the test url parses"),
        }
    }

    /// A store on it, with [`test_options`] changed by `options`.
    pub(crate) fn open_with(&self, options: impl FnOnce(&mut Options)) -> Store {
        let mut o = test_options();
        options(&mut o);
        Store::open(self.location(), o)
    }

    pub(crate) fn open(&self) -> Store {
        self.open_with(|_| {})
    }

    pub(crate) fn reader(&self) -> Reader {
        Reader::open(self.location()).expect("reader")
    }

    /// The voter salt the database holds.
    pub(crate) fn salt(&self) -> Vec<u8> {
        match self {
            TestStore::Sqlite { path, .. } => voter_salt(path),
            TestStore::Postgres(db) => {
                let hex =
                    db.texts("SELECT encode(value, 'hex') FROM meta WHERE key = 'voter_salt'");
                assert_eq!(hex.len(), 1, "one salt: {hex:?}");
                (0..hex[0].len())
                    .step_by(2)
                    .map(|i| u8::from_str_radix(&hex[0][i..i + 2], 16).expect("hex"))
                    .collect()
            }
        }
    }

    /// The texts of all the questions it holds, oldest first.
    pub(crate) fn texts(&self) -> Vec<String> {
        self.reader()
            .questions_since(0, &Scope::All)
            .expect("q")
            .into_iter()
            .map(|q| q.text)
            .collect()
    }
}

/// Generous bound for "it did not hang": far above any real run, only
/// there so that a deadlock fails the test instead of stalling it.
const HANG: Duration = Duration::from_secs(120);

/// The bot's defaults, but quicker: a short busy timeout, so that a
/// write to a locked database fails quickly, short waits between tries,
/// and a flush that gives up on a database away after a second.
fn test_options() -> Options {
    Options {
        busy_timeout: Duration::from_millis(50),
        call_timeout: Duration::from_secs(2),
        retry_min: Duration::from_millis(10),
        retry_max: Duration::from_millis(100),
        give_up_after: Duration::from_secs(1),
        ..Options::default()
    }
}

/// A temporary folder, and the path of a database file (not created yet)
/// in it; the folder is removed when the first is dropped.
fn temp_db() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("faqbot.db");
    (dir, path)
}

/// A store on a new database in a temporary folder (removed when the
/// first is dropped), its path, and the time now.
fn open_temp() -> (tempfile::TempDir, PathBuf, Store, i64) {
    let (dir, path) = temp_db();
    let store = Store::open(&path, test_options());
    (dir, path, store, now_unix())
}

/// One entry's vote totals.
fn total(entry: &str, up: u64, down: u64) -> VoteTotal {
    VoteTotal {
        entry: entry.into(),
        up,
        down,
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

/// The voter salt a database holds.
fn voter_salt(path: &Path) -> Vec<u8> {
    Connection::open(path)
        .expect("open")
        .query_row("SELECT value FROM meta WHERE key = 'voter_salt'", [], |r| {
            r.get(0)
        })
        .expect("salt")
}

/// The texts of all the questions a database holds, oldest first.
fn stored_texts(path: &Path) -> Vec<String> {
    Reader::open(path)
        .expect("reader")
        .questions_since(0, &Scope::All)
        .expect("q")
        .into_iter()
        .map(|q| q.text)
        .collect()
}
