//! The store in a SQLite file: the writer's [`Backend`] (one read-write
//! connection in WAL mode, owned by the writer thread), the reader's
//! read-only connection ([`read`]), and the file's schema ([`schema`]).
//!
//! Which failures pass: a lock held by another connection (busy,
//! locked) does, so the writer keeps its batch and tries again; anything
//! else (a read-only or missing file, a directory, a full disk, a file
//! from a newer faqbot) is taken as lasting, and the batch is counted
//! lost at once, as before, rather than held against a file that will
//! not change by itself.

pub(crate) mod read;
pub(crate) mod schema;

use std::path::PathBuf;
use std::time::Duration;

use rusqlite::{params, Connection};

use super::backend::{to_sql_int, voter_hash, Backend, BackendError};
use super::record::{Pick, Question, Record, Vote};
use schema::{open_for_writing, OpenError};

/// A SQLite file, for the writer.
pub(crate) struct Sqlite {
    path: PathBuf,
    busy_timeout: Duration,
}

impl Sqlite {
    pub(crate) fn new(path: PathBuf, busy_timeout: Duration) -> Sqlite {
        Sqlite { path, busy_timeout }
    }
}

/// The open file, with the salt its voters are hashed with.
pub(crate) struct SqliteConn {
    conn: Connection,
    salt: Vec<u8>,
}

impl Backend for Sqlite {
    type Conn = SqliteConn;

    fn connect(&mut self) -> Result<SqliteConn, BackendError> {
        match open_for_writing(&self.path, self.busy_timeout) {
            Ok((conn, salt)) => Ok(SqliteConn { conn, salt }),
            Err(OpenError::Sqlite(e)) => Err(classify(e)),
            Err(e) => Err(BackendError::permanent(e)),
        }
    }

    fn write(&mut self, conn: &mut SqliteConn, records: &[Record]) -> Result<(), BackendError> {
        write_batch(conn, records).map_err(classify)
    }

    fn purge(&mut self, conn: &mut SqliteConn, cutoff: i64) -> Result<u64, BackendError> {
        schema::purge(&conn.conn, cutoff)
            .map(|n| n as u64)
            .map_err(classify)
    }
}

/// A lock passes; anything else lasts.
fn classify(e: rusqlite::Error) -> BackendError {
    use rusqlite::ErrorCode::{DatabaseBusy, DatabaseLocked};
    match e.sqlite_error_code() {
        // The connection is fine: only the lock is in the way.
        Some(DatabaseBusy | DatabaseLocked) => BackendError::transient(e).connection_usable(),
        _ => BackendError::permanent(e),
    }
}

/// Writes `records` in one transaction: all or none.
fn write_batch(db: &mut SqliteConn, records: &[Record]) -> rusqlite::Result<()> {
    let tx = db.conn.transaction()?;
    for record in records {
        match record {
            Record::Question(q) => insert_question(&tx, q)?,
            Record::Pick(p) => insert_pick(&tx, p)?,
            Record::Vote(v) => upsert_vote(&tx, v, &db.salt)?,
        }
    }
    tx.commit()
}

/// A question id already stored is skipped (a batch written again).
fn insert_question(conn: &Connection, q: &Question) -> rusqlite::Result<()> {
    let (runner_up, runner_up_score) = match &q.runner_up {
        Some((entry, score)) => (Some(entry.as_str()), Some(f64::from(*score))),
        None => (None, None),
    };
    conn.prepare_cached(
        "INSERT INTO questions (id, at, text, guild_id, channel_id, trigger, outcome,
                                entry, score, runner_up, runner_up_score, latency_us)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
         ON CONFLICT (id) DO NOTHING",
    )?
    .execute(params![
        to_sql_int(q.id.0),
        q.at,
        super::backend::stored_text(&q.text),
        q.guild_id.map(to_sql_int),
        q.channel_id.map(to_sql_int),
        q.trigger.as_str(),
        q.outcome.as_str(),
        q.entry,
        f64::from(q.score),
        runner_up,
        runner_up_score,
        to_sql_int(q.latency_us),
    ])?;
    Ok(())
}

/// The same pick (question, entry, way, second) is stored once.
fn insert_pick(conn: &Connection, p: &Pick) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO picks (question_id, entry, via, at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (question_id, entry, via, at) DO NOTHING",
    )?
    .execute(params![
        to_sql_int(p.question.0),
        p.entry,
        p.via.as_str(),
        p.at
    ])?;
    Ok(())
}

/// One vote per voter per question: a later vote replaces an earlier one
/// (an older one arriving late does not).
fn upsert_vote(conn: &Connection, v: &Vote, salt: &[u8]) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO votes (question_id, voter, value, at, entry) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (question_id, voter) DO UPDATE
         SET value = excluded.value, at = excluded.at, entry = excluded.entry
         WHERE excluded.at >= votes.at",
    )?
    .execute(params![
        to_sql_int(v.question.0),
        voter_hash(salt, v.voter).as_slice(),
        if v.up { 1 } else { -1 },
        v.at,
        v.entry,
    ])?;
    Ok(())
}
