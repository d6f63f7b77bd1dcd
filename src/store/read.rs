//! Reading the store back, for reports, `learn` and stats: a read-only
//! connection (it never blocks the bot's writer, thanks to WAL) and a few
//! queries that return plain structs. What to make of them is the
//! callers' business.

use std::path::Path;
use std::time::Duration;

use rusqlite::{params, Connection, OpenFlags, Row};

use super::schema::SCHEMA_VERSION;
use super::writer::{from_sql_int, to_sql_int};
use super::{Outcome, Question, QuestionId, Trigger, Via};

/// A read-only view of a store's database.
#[derive(Debug)]
pub struct Reader {
    conn: Connection,
}

/// A pick with the question it followed.
#[derive(Debug, Clone, PartialEq)]
pub struct PickedQuestion {
    pub question: QuestionId,
    /// The question's text; none if the question was never written (its
    /// event was dropped) or has been deleted by retention.
    pub text: Option<String>,
    /// The entry the bot thought best for the question, if known.
    pub best_entry: Option<String>,
    /// The entry the asker picked.
    pub picked: String,
    pub via: Via,
    /// When the pick was made (Unix seconds).
    pub at: i64,
}

/// The votes on the answers that gave one entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VoteTotal {
    pub entry: String,
    /// 👍: voters whose (last) vote was up.
    pub up: u64,
    /// 👎
    pub down: u64,
}

/// Why the store cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("{path}: cannot open the store's database: {source}")]
    Open {
        path: String,
        source: rusqlite::Error,
    },
    #[error("{path}: the database is at schema version {found}, this faqbot reads version {SCHEMA_VERSION}; {hint}")]
    Version {
        path: String,
        found: i64,
        hint: &'static str,
    },
    #[error("cannot read the store's database: {0}")]
    Query(#[from] rusqlite::Error),
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
pub(super) fn uri_path(path: &Path) -> String {
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

impl Reader {
    /// Opens the database at `path` read-only. It must exist and be at
    /// this build's schema version (the bot migrates it when it opens it).
    pub fn open(path: &Path) -> Result<Reader, ReadError> {
        let name = path.display().to_string();
        let opened = connect(path, false).or_else(|e| {
            // A database in WAL mode needs its `-shm` file beside it, which
            // SQLite cannot create in a folder this user may not write:
            // then it is read as a file nobody changes. (What the bot has
            // not yet checkpointed is then not seen: said once, here.)
            if cannot_write_beside(&e, path) {
                let read = connect(path, true)?;
                tracing::warn!(store = %name, "the store's folder cannot be written, so the store is read as last checkpointed; the newest questions may be missing");
                Ok(read)
            } else {
                Err(e)
            }
        });
        let (conn, found) = opened.map_err(|source| ReadError::Open {
            path: name.clone(),
            source,
        })?;
        if found != SCHEMA_VERSION {
            let hint = if found < SCHEMA_VERSION {
                "start the bot once with this version to migrate it"
            } else {
                "read it with a newer faqbot"
            };
            return Err(ReadError::Version {
                path: name,
                found,
                hint,
            });
        }
        Ok(Reader { conn })
    }

    /// The questions asked at or after `since` (Unix seconds), oldest first.
    pub fn questions_since(&self, since: i64) -> Result<Vec<Question>, ReadError> {
        let mut stmt = self.conn.prepare(
            "SELECT id, at, text, guild_id, channel_id, trigger, outcome,
                    entry, score, runner_up, runner_up_score, latency_us
             FROM questions WHERE at >= ?1 ORDER BY at, id",
        )?;
        let rows = stmt.query_map(params![since], question_from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// One question by id, if it is stored.
    pub fn question(&self, id: QuestionId) -> Result<Option<Question>, ReadError> {
        let mut stmt = self.conn.prepare(
            "SELECT id, at, text, guild_id, channel_id, trigger, outcome,
                    entry, score, runner_up, runner_up_score, latency_us
             FROM questions WHERE id = ?1",
        )?;
        let mut rows = stmt.query_map(params![to_sql_int(id.0)], question_from_row)?;
        Ok(rows.next().transpose()?)
    }

    /// The picks made at or after `since`, oldest first, each with its
    /// question's text and best entry when the question is stored.
    pub fn picks_since(&self, since: i64) -> Result<Vec<PickedQuestion>, ReadError> {
        let mut stmt = self.conn.prepare(
            "SELECT p.question_id, q.text, q.entry, p.entry, p.via, p.at
             FROM picks p LEFT JOIN questions q ON q.id = p.question_id
             WHERE p.at >= ?1 ORDER BY p.at, p.rowid",
        )?;
        let rows = stmt.query_map(params![since], |row| {
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

    /// Per entry, the up and down votes (one per voter per answer, the
    /// last one counting) cast at or after `since` on answers that are
    /// still stored; entries in id order.
    pub fn vote_totals(&self, since: i64) -> Result<Vec<VoteTotal>, ReadError> {
        let mut stmt = self.conn.prepare(
            "SELECT COALESCE(v.entry, q.entry) AS e,
                    SUM(CASE WHEN v.value > 0 THEN 1 ELSE 0 END),
                    SUM(CASE WHEN v.value < 0 THEN 1 ELSE 0 END)
             FROM votes v LEFT JOIN questions q ON q.id = v.question_id
             WHERE v.at >= ?1 AND e IS NOT NULL
             GROUP BY e ORDER BY e",
        )?;
        let rows = stmt.query_map(params![since], |row| {
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
