//! Reading a PostgreSQL store: one connection on its own current-thread
//! runtime, the schema version checked at open, and the report queries,
//! filtered by scope in SQL, returning the same rows as SQLite's (entries
//! ordered bytewise, as SQLite orders them).

use std::time::Duration;

use tokio::runtime::Runtime;
use tokio_postgres::types::ToSql;
use tokio_postgres::{Client, Row};

use super::{block_on, connect, schema, PgError};
use crate::store::backend::{from_sql_int, to_sql_int, ReadBackend};
use crate::store::location::{DbUrl, Location};
use crate::store::read::{PickedQuestion, ReadError, Scope, VoteTotal};
use crate::store::record::{Outcome, Question, QuestionId, Trigger, Via};

/// How long connecting may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long one report query may take (months of questions).
const QUERY_TIMEOUT: Duration = Duration::from_secs(120);

/// A connection for reading.
pub(crate) struct PgReader {
    runtime: Runtime,
    client: Client,
}

impl From<PgError> for ReadError {
    fn from(e: PgError) -> Self {
        ReadError::Query(e.to_string())
    }
}

impl PgReader {
    /// Connects to `url` and checks its schema version.
    pub(crate) fn open(location: &Location, url: &DbUrl) -> Result<PgReader, ReadError> {
        let failed = |e: &dyn std::fmt::Display| ReadError::Open {
            location: location.to_string(),
            reason: e.to_string(),
        };
        let runtime = super::runtime().map_err(|e| failed(&e))?;
        let (client, found) = block_on(&runtime, CONNECT_TIMEOUT, async {
            let client = connect(url, CONNECT_TIMEOUT).await?;
            let found = schema::version(&client).await?;
            Ok((client, found))
        })
        .map_err(|e| failed(&e))?;
        if found != schema::SCHEMA_VERSION {
            return Err(ReadError::version(location, found, schema::SCHEMA_VERSION));
        }
        Ok(PgReader { runtime, client })
    }

    fn query(&self, sql: &str, params: &[&(dyn ToSql + Sync)]) -> Result<Vec<Row>, ReadError> {
        let client = &self.client;
        Ok(block_on(&self.runtime, QUERY_TIMEOUT, async {
            Ok(client.query(sql, params).await?)
        })?)
    }
}

/// The condition on the question `q` (of a LEFT JOIN when `joined`) that
/// keeps it in `scope`, and its one parameter (as `$2`), if any.
fn scope_filter(scope: &Scope, joined: bool) -> (&'static str, Option<Box<dyn ToSql + Sync>>) {
    match scope {
        Scope::All => ("TRUE", None),
        Scope::Guild(guild) => ("q.guild_id = $2", Some(Box::new(to_sql_int(*guild)))),
        Scope::Without(guilds) => {
            let ids: Vec<i64> = guilds.iter().map(|g| to_sql_int(*g)).collect();
            let filter = if joined {
                "q.id IS NOT NULL AND (q.guild_id IS NULL OR q.guild_id <> ALL($2::BIGINT[]))"
            } else {
                "(q.guild_id IS NULL OR q.guild_id <> ALL($2::BIGINT[]))"
            };
            (filter, Some(Box::new(ids)))
        }
    }
}

/// Runs `sql` (with `{filter}` for the scope) with `since` as `$1` and
/// the scope's parameter as `$2`.
fn scoped(
    reader: &PgReader,
    sql: &str,
    since: i64,
    scope: &Scope,
    joined: bool,
) -> Result<Vec<Row>, ReadError> {
    let (filter, param) = scope_filter(scope, joined);
    let sql = sql.replace("{filter}", filter);
    let mut params: Vec<&(dyn ToSql + Sync)> = vec![&since];
    if let Some(p) = &param {
        params.push(p.as_ref());
    }
    reader.query(&sql, &params)
}

const QUESTION_COLUMNS: &str = "q.id, q.at, q.text, q.guild_id, q.channel_id, q.trigger, q.outcome,
     q.entry, q.score, q.runner_up, q.runner_up_score, q.latency_us";

impl ReadBackend for PgReader {
    fn questions_since(&self, since: i64, scope: &Scope) -> Result<Vec<Question>, ReadError> {
        let sql = format!(
            "SELECT {QUESTION_COLUMNS} FROM questions q
             WHERE q.at >= $1 AND {{filter}} ORDER BY q.at, q.id"
        );
        scoped(self, &sql, since, scope, false)?
            .iter()
            .map(question_from_row)
            .collect()
    }

    fn question(&self, id: QuestionId) -> Result<Option<Question>, ReadError> {
        let sql = format!("SELECT {QUESTION_COLUMNS} FROM questions q WHERE q.id = $1");
        let rows = self.query(&sql, &[&to_sql_int(id.0)])?;
        rows.first().map(question_from_row).transpose()
    }

    fn picks_since(&self, since: i64, scope: &Scope) -> Result<Vec<PickedQuestion>, ReadError> {
        let sql = "SELECT p.question_id, q.text, q.entry, p.entry, p.via, p.at
             FROM picks p LEFT JOIN questions q ON q.id = p.question_id
             WHERE p.at >= $1 AND {filter} ORDER BY p.at, p.id";
        scoped(self, sql, since, scope, true)?
            .iter()
            .map(|row| {
                Ok(PickedQuestion {
                    question: QuestionId(from_sql_int(row.try_get(0).map_err(query)?)),
                    text: row.try_get(1).map_err(query)?,
                    best_entry: row.try_get(2).map_err(query)?,
                    picked: row.try_get(3).map_err(query)?,
                    via: parse_text(row, 4, Via::parse)?,
                    at: row.try_get(5).map_err(query)?,
                })
            })
            .collect()
    }

    fn vote_totals(&self, since: i64, scope: &Scope) -> Result<Vec<VoteTotal>, ReadError> {
        let sql = "SELECT COALESCE(v.entry, q.entry) AS e,
                    COUNT(*) FILTER (WHERE v.value > 0),
                    COUNT(*) FILTER (WHERE v.value < 0)
             FROM votes v LEFT JOIN questions q ON q.id = v.question_id
             WHERE v.at >= $1 AND COALESCE(v.entry, q.entry) IS NOT NULL AND {filter}
             GROUP BY COALESCE(v.entry, q.entry)
             ORDER BY COALESCE(v.entry, q.entry) COLLATE \"C\"";
        scoped(self, sql, since, scope, true)?
            .iter()
            .map(|row| {
                Ok(VoteTotal {
                    entry: row.try_get(0).map_err(query)?,
                    up: from_sql_int(row.try_get(1).map_err(query)?),
                    down: from_sql_int(row.try_get(2).map_err(query)?),
                })
            })
            .collect()
    }
}

fn query(e: tokio_postgres::Error) -> ReadError {
    ReadError::from(PgError::from(e))
}

fn question_from_row(row: &Row) -> Result<Question, ReadError> {
    let runner_up: Option<String> = row.try_get(9).map_err(query)?;
    let runner_up_score: Option<f64> = row.try_get(10).map_err(query)?;
    Ok(Question {
        id: QuestionId(from_sql_int(row.try_get(0).map_err(query)?)),
        at: row.try_get(1).map_err(query)?,
        text: row.try_get(2).map_err(query)?,
        guild_id: row
            .try_get::<_, Option<i64>>(3)
            .map_err(query)?
            .map(from_sql_int),
        channel_id: row
            .try_get::<_, Option<i64>>(4)
            .map_err(query)?
            .map(from_sql_int),
        trigger: parse_text(row, 5, Trigger::parse)?,
        outcome: parse_text(row, 6, Outcome::parse)?,
        entry: row.try_get(7).map_err(query)?,
        // Stored from an f32, so this is exact.
        score: row.try_get::<_, f64>(8).map_err(query)? as f32,
        runner_up: runner_up.map(|e| (e, runner_up_score.unwrap_or(0.0) as f32)),
        latency_us: from_sql_int(row.try_get(11).map_err(query)?),
    })
}

/// Reads column `i` as text and parses it into one of the store's enums.
fn parse_text<T>(row: &Row, i: usize, parse: fn(&str) -> Option<T>) -> Result<T, ReadError> {
    let text: String = row.try_get(i).map_err(query)?;
    parse(&text).ok_or_else(|| ReadError::Query(format!("column {i}: unknown value {text:?}")))
}
