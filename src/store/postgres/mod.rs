//! The store in a PostgreSQL database, which several bot processes may
//! write at once: the writer's [`Backend`], the reader ([`read`]) and the
//! schema ([`schema`]). tokio-postgres is async; the store is not (the
//! writer is a plain thread, readers are called from blocking code), so
//! each owns a current-thread tokio runtime and `block_on`s its calls,
//! every one bounded by a timeout so that a silent network cannot hang
//! the writer.
//!
//! Which failures pass: a lost connection, a timeout, a server shutting
//! down or out of resources, a deadlock or serialization failure; the
//! writer keeps its batch, connects again and retries. An error in what
//! was sent (a schema from a newer faqbot, a refused password, a missing
//! database) lasts, and the batch is counted lost.

pub(crate) mod read;
pub(crate) mod schema;

use std::collections::HashMap;
use std::future::Future;
use std::time::Duration;

use tokio::runtime::Runtime;
use tokio_postgres::{Client, NoTls, Statement};

use super::backend::{stored_text, to_sql_int, voter_hash, Backend, BackendError};
use super::location::DbUrl;
use super::record::{Record, Vote};

/// A PostgreSQL database, for the writer.
pub(crate) struct Postgres {
    url: DbUrl,
    runtime: Runtime,
    /// The longest one connection attempt or one batch may take.
    timeout: Duration,
}

impl Postgres {
    pub(crate) fn new(url: DbUrl, timeout: Duration) -> std::io::Result<Postgres> {
        Ok(Postgres {
            url,
            runtime: runtime()?,
            timeout,
        })
    }
}

/// A connection, migrated, with the voter salt and the batch statements.
pub(crate) struct PgConn {
    client: Client,
    salt: Vec<u8>,
    insert_questions: Statement,
    insert_picks: Statement,
    upsert_votes: Statement,
}

/// The runtime a store thread drives tokio-postgres with.
pub(crate) fn runtime() -> std::io::Result<Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
}

/// Why a call to the database failed.
#[derive(Debug, thiserror::Error)]
pub(crate) enum PgError {
    #[error("{}", super::backend::error_chain(.0))]
    Postgres(#[from] tokio_postgres::Error),
    #[error("no answer from the database within {0:?}")]
    Timeout(Duration),
    #[error("the database is at schema version {found}, newer than this faqbot's {}; run a newer faqbot or use another database", schema::SCHEMA_VERSION)]
    TooNew { found: i64 },
    #[error("the database has no voter salt in its meta table")]
    NoSalt,
    #[error("no randomness for the voter salt: {0}")]
    NoRandom(getrandom::Error),
}

/// Runs `call` on `runtime`, giving up after `timeout`.
pub(crate) fn block_on<T>(
    runtime: &Runtime,
    timeout: Duration,
    call: impl Future<Output = Result<T, PgError>>,
) -> Result<T, PgError> {
    runtime.block_on(async {
        match tokio::time::timeout(timeout, call).await {
            Ok(result) => result,
            Err(_) => Err(PgError::Timeout(timeout)),
        }
    })
}

/// Connects to `url`, driving the connection on the current runtime. A
/// connect timeout and the application name are set unless the address
/// sets them.
pub(crate) async fn connect(url: &DbUrl, timeout: Duration) -> Result<Client, PgError> {
    let (client, connection) = connect_with_connection(url, timeout).await?;
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            tracing::debug!(error = %e, "store: the PostgreSQL connection ended");
        }
    });
    Ok(client)
}

/// Connects to `url` (with the connect timeout and the application name
/// unless the address sets them), leaving the connection for the caller to
/// drive, e.g. to read its notifications.
pub(crate) async fn connect_with_connection(
    url: &DbUrl,
    timeout: Duration,
) -> Result<
    (
        Client,
        tokio_postgres::Connection<tokio_postgres::Socket, tokio_postgres::tls::NoTlsStream>,
    ),
    PgError,
> {
    let mut config = url.config()?;
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(timeout);
    }
    if config.get_application_name().is_none() {
        config.application_name("faqbot");
    }
    Ok(config.connect(NoTls).await?)
}

/// Whether a failure may pass: no SQL state (the socket, a timeout, a
/// closed connection), or a state that says the server or the
/// connection, not the request, was the trouble.
fn classify(e: PgError) -> BackendError {
    // (transient, the connection still usable)
    let (transient, usable) = match &e {
        PgError::Timeout(_) => (true, false),
        PgError::Postgres(pg) => match pg.code() {
            // The socket, or a closed connection.
            None => (true, false),
            Some(state) => {
                let code = state.code();
                let starts = |prefixes: &[&str]| prefixes.iter().any(|p| code.starts_with(p));
                // 40: rolled back (serialization, deadlock); 55P03: lock
                // not available; 53: out of resources: the connection is
                // fine. 08: connection; 57P: shutdown or starting; 58:
                // system I/O; 25006: a read-only standby (a failover).
                if starts(&["40", "55P03", "53"]) {
                    (true, true)
                } else if starts(&["08", "57P", "58", "25006"]) {
                    (true, false)
                } else {
                    (false, true)
                }
            }
        },
        PgError::TooNew { .. } | PgError::NoSalt | PgError::NoRandom(_) => (false, true),
    };
    match (transient, usable) {
        (true, true) => BackendError::transient(e).connection_usable(),
        (true, false) => BackendError::transient(e),
        (false, _) => BackendError::permanent(e),
    }
}

impl Backend for Postgres {
    type Conn = PgConn;

    fn connect(&mut self) -> Result<PgConn, BackendError> {
        let (url, timeout) = (&self.url, self.timeout);
        block_on(&self.runtime, timeout, async {
            let mut client = connect(url, timeout).await?;
            schema::migrate(&mut client).await?;
            let salt = schema::salt(&client).await?;
            Ok(PgConn {
                insert_questions: client.prepare(INSERT_QUESTIONS).await?,
                insert_picks: client.prepare(INSERT_PICKS).await?,
                upsert_votes: client.prepare(UPSERT_VOTES).await?,
                client,
                salt,
            })
        })
        .map_err(classify)
    }

    fn write(&mut self, conn: &mut PgConn, records: &[Record]) -> Result<(), BackendError> {
        let batch = Columns::of(records, &conn.salt);
        let PgConn {
            client,
            insert_questions,
            insert_picks,
            upsert_votes,
            ..
        } = conn;
        block_on(&self.runtime, self.timeout, async {
            let tx = client.transaction().await?;
            if !batch.q_id.is_empty() {
                let b = &batch;
                tx.execute(
                    &*insert_questions,
                    &[
                        &b.q_id,
                        &b.q_at,
                        &b.q_text,
                        &b.q_guild,
                        &b.q_channel,
                        &b.q_trigger,
                        &b.q_outcome,
                        &b.q_entry,
                        &b.q_score,
                        &b.q_runner_up,
                        &b.q_runner_up_score,
                        &b.q_latency,
                    ],
                )
                .await?;
            }
            if !batch.p_question.is_empty() {
                let b = &batch;
                tx.execute(
                    &*insert_picks,
                    &[&b.p_question, &b.p_entry, &b.p_via, &b.p_at],
                )
                .await?;
            }
            if !batch.v_question.is_empty() {
                let b = &batch;
                tx.execute(
                    &*upsert_votes,
                    &[&b.v_question, &b.v_voter, &b.v_value, &b.v_at, &b.v_entry],
                )
                .await?;
            }
            tx.commit().await?;
            Ok(())
        })
        .map_err(classify)
    }

    fn purge(&mut self, conn: &mut PgConn, cutoff: i64) -> Result<u64, BackendError> {
        let client = &mut conn.client;
        block_on(&self.runtime, self.timeout, async {
            let tx = client.transaction().await?;
            let mut deleted = 0;
            for table in ["questions", "picks", "votes"] {
                deleted += tx
                    .execute(&format!("DELETE FROM {table} WHERE at < $1"), &[&cutoff])
                    .await?;
            }
            tx.commit().await?;
            Ok(deleted)
        })
        .map_err(classify)
    }
}

/// A question id already stored is skipped (a batch written again, or
/// the same id from another process, which the ids' tags make rare).
const INSERT_QUESTIONS: &str = "INSERT INTO questions (id, at, text, guild_id, channel_id, trigger,
        outcome, entry, score, runner_up, runner_up_score, latency_us)
     SELECT * FROM UNNEST($1::BIGINT[], $2::BIGINT[], $3::TEXT[], $4::BIGINT[], $5::BIGINT[],
        $6::TEXT[], $7::TEXT[], $8::TEXT[], $9::DOUBLE PRECISION[], $10::TEXT[],
        $11::DOUBLE PRECISION[], $12::BIGINT[])
     ON CONFLICT (id) DO NOTHING";

/// The same pick (question, entry, way, second) is stored once.
const INSERT_PICKS: &str = "INSERT INTO picks (question_id, entry, via, at)
     SELECT * FROM UNNEST($1::BIGINT[], $2::TEXT[], $3::TEXT[], $4::BIGINT[])
     ON CONFLICT (question_id, entry, via, at) DO NOTHING";

/// One vote per voter per question: a later vote replaces an earlier one
/// (an older one arriving late, from another process, does not).
const UPSERT_VOTES: &str = "INSERT INTO votes (question_id, voter, value, at, entry)
     SELECT * FROM UNNEST($1::BIGINT[], $2::BYTEA[], $3::SMALLINT[], $4::BIGINT[], $5::TEXT[])
     ON CONFLICT (question_id, voter) DO UPDATE
     SET value = excluded.value, at = excluded.at, entry = excluded.entry
     WHERE excluded.at >= votes.at";

/// A batch as one array per column, so that each table takes one
/// statement whatever the batch's size.
#[derive(Default)]
struct Columns<'a> {
    q_id: Vec<i64>,
    q_at: Vec<i64>,
    q_text: Vec<String>,
    q_guild: Vec<Option<i64>>,
    q_channel: Vec<Option<i64>>,
    q_trigger: Vec<&'static str>,
    q_outcome: Vec<&'static str>,
    q_entry: Vec<Option<&'a str>>,
    q_score: Vec<f64>,
    q_runner_up: Vec<Option<&'a str>>,
    q_runner_up_score: Vec<Option<f64>>,
    q_latency: Vec<i64>,
    p_question: Vec<i64>,
    p_entry: Vec<&'a str>,
    p_via: Vec<&'static str>,
    p_at: Vec<i64>,
    v_question: Vec<i64>,
    v_voter: Vec<Vec<u8>>,
    v_value: Vec<i16>,
    v_at: Vec<i64>,
    v_entry: Vec<Option<&'a str>>,
}

impl<'a> Columns<'a> {
    fn of(records: &'a [Record], salt: &[u8]) -> Columns<'a> {
        let mut c = Columns::default();
        let mut votes: Vec<&Vote> = Vec::new();
        for record in records {
            match record {
                Record::Question(q) => {
                    c.q_id.push(to_sql_int(q.id.0));
                    c.q_at.push(q.at);
                    c.q_text.push(stored_text(&q.text));
                    c.q_guild.push(q.guild_id.map(to_sql_int));
                    c.q_channel.push(q.channel_id.map(to_sql_int));
                    c.q_trigger.push(q.trigger.as_str());
                    c.q_outcome.push(q.outcome.as_str());
                    c.q_entry.push(q.entry.as_deref());
                    c.q_score.push(f64::from(q.score));
                    c.q_runner_up
                        .push(q.runner_up.as_ref().map(|(e, _)| e.as_str()));
                    c.q_runner_up_score
                        .push(q.runner_up.as_ref().map(|(_, s)| f64::from(*s)));
                    c.q_latency.push(to_sql_int(q.latency_us));
                }
                Record::Pick(p) => {
                    c.p_question.push(to_sql_int(p.question.0));
                    c.p_entry.push(&p.entry);
                    c.p_via.push(p.via.as_str());
                    c.p_at.push(p.at);
                }
                Record::Vote(v) => votes.push(v),
            }
        }
        // One row per voter and question in a statement (ON CONFLICT DO
        // UPDATE cannot touch a row twice): the latest vote, the last
        // recorded on a tie. In key order, so that two processes
        // upserting the same rows lock them in the same order.
        let mut latest: HashMap<(u64, u64), &Vote> = HashMap::new();
        for v in votes {
            let slot = latest.entry((v.question.0, v.voter)).or_insert(v);
            if v.at >= slot.at {
                *slot = v;
            }
        }
        let mut rows: Vec<(i64, [u8; 32], &Vote)> = latest
            .into_values()
            .map(|v| (to_sql_int(v.question.0), voter_hash(salt, v.voter), v))
            .collect();
        rows.sort_by_key(|a| (a.0, a.1));
        for (question, voter, v) in rows {
            c.v_question.push(question);
            c.v_voter.push(voter.to_vec());
            c.v_value.push(if v.up { 1 } else { -1 });
            c.v_at.push(v.at);
            c.v_entry.push(v.entry.as_deref());
        }
        c
    }
}
