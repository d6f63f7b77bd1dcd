//! Migrations: an empty file and older schema versions are brought to the
//! current one, keeping their rows; a newer database is left alone.

use super::*;

/// A new database at `path`, migrated only up to `version`, as an older
/// faqbot left it.
fn database_at_version(path: &Path, version: usize) -> Connection {
    let mut conn = Connection::open(path).expect("open");
    crate::store::sqlite::schema::migrate_up_to(&mut conn, version)
        .unwrap_or_else(|e| panic!("version {version}: {e}"));
    conn
}

#[test]
fn migration_3_removes_the_ids_that_older_rows_kept() {
    let (_dir, path) = temp_db();
    let now = now_unix();
    {
        let conn = database_at_version(&path, 2);
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
    let (_dir, path) = temp_db();
    let now = now_unix();
    {
        let conn = database_at_version(&path, 1);
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
        r.vote_totals(0, &Scope::All).expect("votes"),
        [total("old-entry", 0, 1)],
        "a vote without an entry counts for its question's entry"
    );
}

#[test]
fn an_empty_file_is_migrated_to_the_current_schema() {
    let (_dir, path) = temp_db();
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
            .questions_since(0, &Scope::All)
            .expect("q")[0]
            .text,
        "after the migration"
    );

    // Opening again migrates nothing and keeps the salt.
    let before = voter_salt(&path);
    let ((), log) = with_logs(|| Store::open(&path, test_options()).flush());
    assert!(!log.contains("migrated"), "{log}");
    assert_eq!(voter_salt(&path), before);
}

#[test]
fn a_database_from_a_newer_faqbot_is_left_alone_and_logged() {
    let (_dir, path) = temp_db();
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
fn migration_4_keeps_one_of_each_repeated_pick() {
    let (_dir, path) = temp_db();
    {
        let conn = database_at_version(&path, 3);
        for entry in ["a", "a", "b"] {
            conn.execute(
                "INSERT INTO picks (question_id, entry, via, at) VALUES (7, ?1, 'menu', 100)",
                [entry],
            )
            .expect("a version-3 pick");
        }
    }
    let store = Store::open(
        &path,
        Options {
            retention_days: 0,
            ..test_options()
        },
    );
    store.flush();
    let picks: Vec<String> = Reader::open(&path)
        .expect("migrated")
        .picks_since(0, &Scope::All)
        .expect("picks")
        .into_iter()
        .map(|p| p.picked)
        .collect();
    assert_eq!(picks, ["a", "b"]);
    assert_eq!(user_version(&path), SCHEMA_VERSION);
}
