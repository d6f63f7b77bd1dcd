//! Reading a SQLite store: a read-only connection (it never blocks the
//! bot's writer, thanks to WAL), or, in a folder this user cannot write,
//! the file read as immutable; and the report queries, filtered by scope.

use std::path::Path;
use std::time::Duration;

use rusqlite::types::Value;
use rusqlite::{params, params_from_iter, Connection, OpenFlags, Row};

use super::schema::SCHEMA_VERSION;
use crate::store::backend::{from_sql_int, to_sql_int, ReadBackend};
use crate::store::location::Location;
use crate::store::read::{PickedQuestion, ReadError, Scope, VoteTotal};
use crate::store::record::{Outcome, Question, QuestionId, Trigger, Via};

/// A read-only connection to a store's file.
pub(crate) struct SqliteReader {
    conn: Connection,
}

/// Opens `path` read-only (as an immutable file when `immutable`) and
/// reads its schema version.
fn connect(path: &Path, immutable: bool) -> rusqlite::Result<(Connection, i64)> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = if immutable {
        let uri = format!("file:{}?immutable=1", uri_path(path));
        Connection::open_with_flags(uri, flags | OpenFlags::SQLITE_OPEN_URI)?
    } else {
        Connection::open_with_flags(path, flags)?
    };
    conn.busy_timeout(Duration::from_secs(5))?;
    let found: i64 = conn.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    Ok((conn, found))
}

/// Whether SQLite failed for want of creating the `-shm` file beside an
/// existing database. (Not a read-only error: a reader meets those for a
/// moment while the bot is writing, and must not then read stale data.)
fn cannot_write_beside(e: &rusqlite::Error, path: &Path) -> bool {
    let mut shm = path.as_os_str().to_os_string();
    shm.push("-shm");
    e.sqlite_error_code() == Some(rusqlite::ErrorCode::CannotOpen)
        && path.is_file()
        && !Path::new(&shm).exists()
}

/// A path as an SQLite URI writes it: every byte but letters, digits and
/// `/-._~` percent-encoded (so `?`, `#` and `%` in a name stay a name).
pub(crate) fn uri_path(path: &Path) -> String {
    let mut out = String::new();
    for &b in path.as_os_str().as_encoded_bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

impl SqliteReader {
    /// Opens the database at `path` read-only. It must exist and be at
    /// this build's schema version (the bot migrates it when it opens it).
    pub(crate) fn open(path: &Path) -> Result<SqliteReader, ReadError> {
        let location = Location::from(path);
        let opened = connect(path, false).or_else(|e| {
            // A database in WAL mode needs its `-shm` file beside it, which
            // SQLite cannot create in a folder this user may not write:
            // then it is read as a file nobody changes. (What the bot has
            // not yet checkpointed is then not seen: said once, here.)
            if cannot_write_beside(&e, path) {
                let read = connect(path, true)?;
                tracing::warn!(store = %location, "the store's folder cannot be written, so the store is read as last checkpointed; the newest questions may be missing");
                Ok(read)
            } else {
                Err(e)
            }
        });
        let (conn, found) = opened.map_err(|e| ReadError::Open {
            location: location.to_string(),
            reason: e.to_string(),
        })?;
        if found != SCHEMA_VERSION {
            return Err(ReadError::version(&location, found, SCHEMA_VERSION));
        }
        Ok(SqliteReader { conn })
    }
}

/// The condition on the question `q` (of a LEFT JOIN when `joined`) that
/// keeps it in `scope`, and its parameters, numbered from `first`.
fn scope_filter(scope: &Scope, first: usize, joined: bool) -> (String, Vec<Value>) {
    let stored = if joined { "q.id IS NOT NULL AND " } else { "" };
    match scope {
        Scope::All => ("1".into(), Vec::new()),
        Scope::Guild(guild) => (
            format!("q.guild_id = ?{first}"),
            vec![Value::Integer(to_sql_int(*guild))],
        ),
        Scope::Without(guilds) if guilds.is_empty() => (format!("{stored}1"), Vec::new()),
        Scope::Without(guilds) => {
            let marks: Vec<String> = (0..guilds.len())
                .map(|i| format!("?{}", first + i))
                .collect();
            (
                format!(
                    "{stored}(q.guild_id IS NULL OR q.guild_id NOT IN ({}))",
                    marks.join(", ")
                ),
                guilds
                    .iter()
                    .map(|g| Value::Integer(to_sql_int(*g)))
                    .collect(),
            )
        }
    }
}

/// `since` and then the scope's parameters.
fn with_since(since: i64, rest: Vec<Value>) -> Vec<Value> {
    let mut all = vec![Value::Integer(since)];
    all.extend(rest);
    all
}

const QUESTION_COLUMNS: &str = "q.id, q.at, q.text, q.guild_id, q.channel_id, q.trigger, q.outcome,
     q.entry, q.score, q.runner_up, q.runner_up_score, q.latency_us";

impl ReadBackend for SqliteReader {
    fn questions_since(&self, since: i64, scope: &Scope) -> Result<Vec<Question>, ReadError> {
        let (filter, values) = scope_filter(scope, 2, false);
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {QUESTION_COLUMNS} FROM questions q
             WHERE q.at >= ?1 AND {filter} ORDER BY q.at, q.id"
        ))?;
        let rows = stmt.query_map(
            params_from_iter(with_since(since, values)),
            question_from_row,
        )?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn question(&self, id: QuestionId) -> Result<Option<Question>, ReadError> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {QUESTION_COLUMNS} FROM questions q WHERE q.id = ?1"
        ))?;
        let mut rows = stmt.query_map(params![to_sql_int(id.0)], question_from_row)?;
        Ok(rows.next().transpose()?)
    }

    fn picks_since(&self, since: i64, scope: &Scope) -> Result<Vec<PickedQuestion>, ReadError> {
        let (filter, values) = scope_filter(scope, 2, true);
        let mut stmt = self.conn.prepare(&format!(
            "SELECT p.question_id, q.text, q.entry, p.entry, p.via, p.at
             FROM picks p LEFT JOIN questions q ON q.id = p.question_id
             WHERE p.at >= ?1 AND {filter} ORDER BY p.at, p.rowid"
        ))?;
        let rows = stmt.query_map(params_from_iter(with_since(since, values)), |row| {
            Ok(PickedQuestion {
                question: QuestionId(from_sql_int(row.get(0)?)),
                text: row.get(1)?,
                best_entry: row.get(2)?,
                picked: row.get(3)?,
                via: parse_text(row, 4, Via::parse)?,
                at: row.get(5)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn vote_totals(&self, since: i64, scope: &Scope) -> Result<Vec<VoteTotal>, ReadError> {
        let (filter, values) = scope_filter(scope, 2, true);
        let mut stmt = self.conn.prepare(&format!(
            "SELECT COALESCE(v.entry, q.entry) AS e,
                    SUM(CASE WHEN v.value > 0 THEN 1 ELSE 0 END),
                    SUM(CASE WHEN v.value < 0 THEN 1 ELSE 0 END)
             FROM votes v LEFT JOIN questions q ON q.id = v.question_id
             WHERE v.at >= ?1 AND e IS NOT NULL AND {filter}
             GROUP BY e ORDER BY e"
        ))?;
        let rows = stmt.query_map(params_from_iter(with_since(since, values)), |row| {
            Ok(VoteTotal {
                entry: row.get(0)?,
                up: from_sql_int(row.get(1)?),
                down: from_sql_int(row.get(2)?),
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

fn question_from_row(row: &Row<'_>) -> rusqlite::Result<Question> {
    let runner_up: Option<String> = row.get(9)?;
    let runner_up_score: Option<f64> = row.get(10)?;
    Ok(Question {
        id: QuestionId(from_sql_int(row.get(0)?)),
        at: row.get(1)?,
        text: row.get(2)?,
        guild_id: row.get::<_, Option<i64>>(3)?.map(from_sql_int),
        channel_id: row.get::<_, Option<i64>>(4)?.map(from_sql_int),
        trigger: parse_text(row, 5, Trigger::parse)?,
        outcome: parse_text(row, 6, Outcome::parse)?,
        entry: row.get(7)?,
        // Stored from an f32, so this is exact.
        score: row.get::<_, f64>(8)? as f32,
        runner_up: runner_up.map(|e| (e, runner_up_score.unwrap_or(0.0) as f32)),
        latency_us: from_sql_int(row.get(11)?),
    })
}

/// Reads column `i` as text and parses it into one of the store's enums;
/// an unknown name is a conversion error naming it.
fn parse_text<T>(row: &Row<'_>, i: usize, parse: fn(&str) -> Option<T>) -> rusqlite::Result<T> {
    let text: String = row.get(i)?;
    parse(&text).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            i,
            rusqlite::types::Type::Text,
            format!("unknown value {text:?}").into(),
        )
    })
}
