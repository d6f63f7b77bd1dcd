//! The SQLite file's tables and how a file gets there: opening with WAL
//! and a busy timeout, numbered migrations (`PRAGMA user_version`) applied
//! in order in one transaction, the voter salt, and deleting old rows.

use std::path::Path;
use std::time::Duration;

use rusqlite::{
    params, Connection, OpenFlags, OptionalExtension, Transaction, TransactionBehavior,
};

/// The schema this build writes and reads: the number of migrations.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// The `meta` key of the voter salt.
pub(crate) const SALT_KEY: &str = "voter_salt";

/// Migration `n` (1-based) takes a database at version `n - 1` to `n`.
/// Append only: never edit one that has shipped.
const MIGRATIONS: &[fn(&Transaction<'_>) -> rusqlite::Result<()>] = &[
    v1_tables_and_salt,
    v2_vote_entry,
    v3_text_without_mentions,
    v4_one_pick_and_guild_index,
];

/// Version 4: a batch written again (the writer keeps a batch whose
/// write failed, and retries it) must not count a pick twice, so a pick
/// is one per question, entry, way and second; and reads by guild (a
/// per-server report) get an index. Repeated picks already there are one.
fn v4_one_pick_and_guild_index(tx: &Transaction<'_>) -> rusqlite::Result<()> {
    tx.execute_batch(
        "DELETE FROM picks WHERE rowid NOT IN
             (SELECT min(rowid) FROM picks GROUP BY question_id, entry, via, at);
         DROP INDEX picks_question;
         CREATE UNIQUE INDEX picks_once ON picks (question_id, entry, via, at);
         CREATE INDEX questions_guild ON questions (guild_id, at);",
    )
}

/// Version 3: questions are kept as the matcher reads them, without
/// mentions: rows written before keep `<@id>` and `<@&id>` markup, so they
/// are rewritten the same way (`backend::stored_text`).
fn v3_text_without_mentions(tx: &Transaction<'_>) -> rusqlite::Result<()> {
    // Every kind of markup the matcher drops needs one of these characters.
    let rows: Vec<(i64, String)> = tx
        .prepare(
            "SELECT id, text FROM questions
             WHERE instr(text, '<') OR instr(text, '@') OR instr(text, '`')
                OR instr(text, ':') OR instr(text, 'www.')",
        )?
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let mut update = tx.prepare("UPDATE questions SET text = ?1 WHERE id = ?2")?;
    for (id, text) in rows {
        let clean = crate::store::backend::stored_text(&text);
        if clean != text {
            update.execute(params![clean, id])?;
        }
    }
    Ok(())
}

/// Version 2: a vote may name the entry it is about. An answer the asker
/// picked from the suggestions or the menu is not the question's best
/// entry, so its votes must say which entry they judge; NULL (every
/// version-1 vote) means the question's own entry.
fn v2_vote_entry(tx: &Transaction<'_>) -> rusqlite::Result<()> {
    tx.execute_batch("ALTER TABLE votes ADD COLUMN entry TEXT;")
}

/// Version 1: questions, picks, votes, and `meta` with a random salt.
fn v1_tables_and_salt(tx: &Transaction<'_>) -> rusqlite::Result<()> {
    tx.execute_batch(
        "CREATE TABLE meta (
             key   TEXT PRIMARY KEY,
             value BLOB NOT NULL
         );
         -- id: made by the bot (QuestionId), not a rowid alias by chance:
         -- buttons carry it before the row exists.
         CREATE TABLE questions (
             id              INTEGER PRIMARY KEY,
             at              INTEGER NOT NULL,
             text            TEXT NOT NULL,
             guild_id        INTEGER,
             channel_id      INTEGER,
             trigger         TEXT NOT NULL,
             outcome         TEXT NOT NULL,
             entry           TEXT,
             score           REAL NOT NULL,
             runner_up       TEXT,
             runner_up_score REAL,
             latency_us      INTEGER NOT NULL
         );
         CREATE INDEX questions_at ON questions (at);
         -- No foreign keys: a pick or vote may outlive its question (dropped
         -- from a full queue, or deleted by retention first).
         CREATE TABLE picks (
             question_id INTEGER NOT NULL,
             entry       TEXT NOT NULL,
             via         TEXT NOT NULL,
             at          INTEGER NOT NULL
         );
         CREATE INDEX picks_at ON picks (at);
         CREATE INDEX picks_question ON picks (question_id);
         -- voter: SHA-256(salt || user id), never the id.
         CREATE TABLE votes (
             question_id INTEGER NOT NULL,
             voter       BLOB NOT NULL,
             value       INTEGER NOT NULL CHECK (value IN (-1, 1)),
             at          INTEGER NOT NULL,
             PRIMARY KEY (question_id, voter)
         );
         CREATE INDEX votes_at ON votes (at);",
    )?;
    let mut salt = [0u8; 32];
    getrandom::fill(&mut salt).map_err(|e| {
        rusqlite::Error::ToSqlConversionFailure(
            format!("no randomness for the voter salt: {e}").into(),
        )
    })?;
    tx.execute(
        "INSERT INTO meta (key, value) VALUES (?1, ?2)",
        params![SALT_KEY, salt.as_slice()],
    )?;
    Ok(())
}

/// Why a database could not be opened for writing.
#[derive(Debug, thiserror::Error)]
pub(crate) enum OpenError {
    #[error("{0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("the database is at schema version {found}, newer than this faqbot's {SCHEMA_VERSION}; run a newer faqbot or use another file")]
    TooNew { found: i64 },
    #[error("the database has no voter salt in its meta table")]
    NoSalt,
}

/// Opens `path` for writing (creating it), in WAL mode with a busy
/// timeout, and migrates it to [`SCHEMA_VERSION`]. Returns the connection
/// and the voter salt.
pub(crate) fn open_for_writing(
    path: &Path,
    busy_timeout: Duration,
) -> Result<(Connection, Vec<u8>), OpenError> {
    let mut conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(busy_timeout)?;
    // WAL: readers (reports) never block the writer, nor it them.
    let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        tracing::warn!(path = %path.display(), mode, "the store's database is not in WAL mode");
    }
    // In WAL mode NORMAL is durable up to the last checkpoint and much
    // cheaper; a few lost questions after a power cut are acceptable.
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    migrate(&mut conn)?;
    let salt: Option<Vec<u8>> = conn
        .query_row(
            "SELECT value FROM meta WHERE key = ?1",
            params![SALT_KEY],
            |row| row.get(0),
        )
        .optional()?;
    match salt {
        Some(salt) if !salt.is_empty() => Ok((conn, salt)),
        _ => Err(OpenError::NoSalt),
    }
}

/// Applies the missing migrations in order, in one immediate transaction
/// (two processes opening the same new file cannot both migrate it).
pub(crate) fn migrate(conn: &mut Connection) -> Result<(), OpenError> {
    // Up to date (the usual case): no write lock needed, so a database
    // another process is writing to still opens.
    let found: i64 = conn.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    if found == SCHEMA_VERSION {
        return Ok(());
    }
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let found: i64 = tx.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    if found > SCHEMA_VERSION {
        return Err(OpenError::TooNew { found });
    }
    let done = usize::try_from(found).unwrap_or(0);
    for (n, step) in MIGRATIONS.iter().enumerate().skip(done) {
        step(&tx)?;
        tracing::info!(version = n + 1, "store database migrated");
    }
    tx.pragma_update(None, "user_version", SCHEMA_VERSION)?;
    tx.commit()?;
    Ok(())
}

/// Takes an empty database to `version` only, as an older faqbot left it
/// (for testing the later migrations on real data).
#[cfg(test)]
pub(crate) fn migrate_up_to(conn: &mut Connection, version: usize) -> rusqlite::Result<()> {
    let tx = conn.transaction()?;
    for step in &MIGRATIONS[..version] {
        step(&tx)?;
    }
    tx.pragma_update(None, "user_version", version as i64)?;
    tx.commit()
}

/// Deletes questions, picks and votes from before `cutoff` (Unix
/// seconds); returns how many rows went.
pub(crate) fn purge(conn: &Connection, cutoff: i64) -> rusqlite::Result<usize> {
    let mut deleted = 0;
    for table in ["questions", "picks", "votes"] {
        deleted += conn.execute(
            &format!("DELETE FROM {table} WHERE at < ?1"),
            params![cutoff],
        )?;
    }
    Ok(deleted)
}
