//! The PostgreSQL database's tables and how a database gets there:
//! numbered migrations, recorded in `schema_migrations` and applied in
//! order in one transaction under an advisory lock (two processes
//! starting together cannot both migrate), and the voter salt, made once
//! however many processes start together.
//!
//! The tables are the SQLite file's (`sqlite::schema`, version 4), in
//! PostgreSQL's types: BIGINT ids and times, DOUBLE PRECISION scores,
//! TEXT, and BYTEA for the salt and the voter hashes.

use tokio_postgres::{Client, GenericClient};

use super::PgError;
use crate::store::backend::new_salt;
use crate::store::now_unix;

/// The schema this build writes and reads: the number of migrations.
pub(crate) const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// The `meta` key of the voter salt (as in SQLite).
const SALT_KEY: &str = "voter_salt";

/// The advisory lock taken while migrating: "faqbot" in ASCII.
const MIGRATION_LOCK: i64 = 0x6661_7162_6f74;

/// Migration `n` (1-based) takes a database at version `n - 1` to `n`.
/// Append only: never edit one that has shipped.
const MIGRATIONS: &[&str] = &[V1_TABLES];

/// Version 1: meta (the salt), questions, picks and votes, as SQLite's
/// version 4 has them. No foreign keys: a pick or vote may outlive its
/// question (dropped from a full queue, or deleted by retention first).
const V1_TABLES: &str = "
    CREATE TABLE meta (
        key   TEXT PRIMARY KEY,
        value BYTEA NOT NULL
    );
    -- id: made by the bot (QuestionId): buttons carry it before the row exists.
    CREATE TABLE questions (
        id              BIGINT PRIMARY KEY,
        at              BIGINT NOT NULL,
        text            TEXT NOT NULL,
        guild_id        BIGINT,
        channel_id      BIGINT,
        trigger         TEXT NOT NULL,
        outcome         TEXT NOT NULL,
        entry           TEXT,
        score           DOUBLE PRECISION NOT NULL,
        runner_up       TEXT,
        runner_up_score DOUBLE PRECISION,
        latency_us      BIGINT NOT NULL
    );
    CREATE INDEX questions_at ON questions (at);
    CREATE INDEX questions_guild ON questions (guild_id, at);
    -- id: the order picks were written in (SQLite's rowid).
    CREATE TABLE picks (
        id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        question_id BIGINT NOT NULL,
        entry       TEXT NOT NULL,
        via         TEXT NOT NULL,
        at          BIGINT NOT NULL,
        CONSTRAINT picks_once UNIQUE (question_id, entry, via, at)
    );
    CREATE INDEX picks_at ON picks (at);
    -- voter: SHA-256(salt || user id), never the id.
    CREATE TABLE votes (
        question_id BIGINT NOT NULL,
        voter       BYTEA NOT NULL,
        value       SMALLINT NOT NULL CHECK (value IN (-1, 1)),
        at          BIGINT NOT NULL,
        entry       TEXT,
        PRIMARY KEY (question_id, voter)
    );
    CREATE INDEX votes_at ON votes (at);
";

/// The schema version of the database `client` is connected to (0: none
/// of faqbot's tables yet).
pub(crate) async fn version(client: &impl GenericClient) -> Result<i64, PgError> {
    let exists: bool = client
        .query_one("SELECT to_regclass('schema_migrations') IS NOT NULL", &[])
        .await?
        .try_get(0)?;
    if !exists {
        return Ok(0);
    }
    Ok(client
        .query_one(
            "SELECT COALESCE(MAX(version), 0)::BIGINT FROM schema_migrations",
            &[],
        )
        .await?
        .try_get(0)?)
}

/// Applies the missing migrations in order, in one transaction holding
/// the migration lock: a second process starting at the same time waits,
/// then finds the work done.
pub(crate) async fn migrate(client: &mut Client) -> Result<(), PgError> {
    let tx = client.transaction().await?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .await?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
             version    INTEGER PRIMARY KEY,
             applied_at BIGINT NOT NULL
         )",
    )
    .await?;
    let found = version(&tx).await?;
    if found > SCHEMA_VERSION {
        return Err(PgError::TooNew { found });
    }
    let done = usize::try_from(found).unwrap_or(0);
    for (n, step) in MIGRATIONS.iter().enumerate().skip(done) {
        tx.batch_execute(step).await?;
        let version = i32::try_from(n + 1).unwrap_or(i32::MAX);
        tx.execute(
            "INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)",
            &[&version, &now_unix()],
        )
        .await?;
        tracing::info!(version = n + 1, "store database migrated");
    }
    tx.commit().await?;
    Ok(())
}

/// The voter salt: made here if the database has none yet. Two processes
/// doing this at once both insert-if-absent, and both read back the one
/// that won.
pub(crate) async fn salt(client: &Client) -> Result<Vec<u8>, PgError> {
    let candidate = new_salt().map_err(PgError::NoRandom)?;
    client
        .execute(
            "INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING",
            &[&SALT_KEY, &candidate.as_slice()],
        )
        .await?;
    let salt: Option<Vec<u8>> = client
        .query_opt("SELECT value FROM meta WHERE key = $1", &[&SALT_KEY])
        .await?
        .map(|row| row.try_get(0))
        .transpose()?;
    match salt {
        Some(salt) if !salt.is_empty() => Ok(salt),
        _ => Err(PgError::NoSalt),
    }
}
