//! The question store: every question the bot handles, what the asker
//! picked next (a suggestion or a menu item), and 👍/👎 votes on answers,
//! kept in a SQLite file or in a PostgreSQL database (several bot
//! processes may share one). It is what reports, `learn` and stats read.
//!
//! Recording never slows or stops answering: `record_*` only pushes onto a
//! bounded queue and returns ([`Store`], in `queue`); one writer thread
//! owns the connection and writes in batches (`writer`), the same code
//! for both databases, each behind the `Backend` trait (`backend`,
//! `sqlite`, `postgres`). A full queue drops the event (counted, warned
//! about at most once a minute). A database that goes away (a lock, a
//! lost connection, a server restarting) is logged and retried with
//! backoff, the batch kept, so nothing queued is lost while the queue has
//! room; one that cannot be used (read-only, from a newer faqbot) is
//! logged and the events counted lost; the bot goes on either way.
//! Reading goes through a separate connection ([`Reader`], over the
//! `ReadBackend` trait), limited to a [`Scope`] of guilds.
//!
//! Where the store is, is a [`Location`]: `[store] path` or `url`, or
//! `--store` on the command line, read by one parser. A PostgreSQL
//! address never shows its password ([`DbUrl`]).
//!
//! Privacy: voters are stored as SHA-256(salt || user id), the salt being
//! random, made once per database and kept in its `meta` table. No user
//! id is stored; questions keep guild and channel ids only.
//!
//! No Discord types: ids are plain integers, so the handler converts.

mod backend;
pub mod coordination;
mod location;
mod postgres;
mod queue;
mod read;
mod record;
mod sqlite;
mod writer;

use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::Deserialize;

pub use location::{DbUrl, Location, LocationError};
pub use queue::{Stats, Store};
pub use read::{PickedQuestion, ReadError, Reader, Scope, VoteTotal};
pub use record::{Outcome, Pick, Question, QuestionId, Trigger, Via, Vote};

/// The schema version of a SQLite file this build writes and reads.
pub const SCHEMA_VERSION: i64 = sqlite::schema::SCHEMA_VERSION;
/// The schema version of a PostgreSQL database this build writes and reads.
pub const POSTGRES_SCHEMA_VERSION: i64 = postgres::schema::SCHEMA_VERSION;

/// The `[store]` table: where questions, picks and votes are kept (this
/// module), and for how long.
#[derive(Debug, Clone, PartialEq)]
pub struct StoreConfig {
    /// Where the store is; none when it is off (`path = ""`).
    pub location: Option<Location>,
    /// Rows older than this many days are deleted (at start, then daily);
    /// 0 keeps everything.
    pub retention_days: u32,
}

/// The database file when the config names none.
pub const DEFAULT_STORE_PATH: &str = "faqbot.db";

/// The days kept when the config does not say.
const DEFAULT_RETENTION_DAYS: u32 = 30;

impl StoreConfig {
    /// Whether anything is recorded.
    pub fn enabled(&self) -> bool {
        self.location.is_some()
    }
}

impl Default for StoreConfig {
    fn default() -> Self {
        StoreConfig {
            location: Some(Location::Sqlite(PathBuf::from(DEFAULT_STORE_PATH))),
            retention_days: DEFAULT_RETENTION_DAYS,
        }
    }
}

/// The `[store]` table as written, checked into a [`StoreConfig`].
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStoreConfig {
    /// The SQLite file, relative to the working directory; created if
    /// missing. Empty: the store is off.
    path: Option<String>,
    /// A PostgreSQL database, `postgres://user:password@host:port/db`.
    url: Option<String>,
    retention_days: Option<u32>,
}

impl<'de> Deserialize<'de> for StoreConfig {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = RawStoreConfig::deserialize(d)?;
        StoreConfig::check(raw).map_err(serde::de::Error::custom)
    }
}

impl StoreConfig {
    /// The table's keys made one location: `path` or `url`, not both.
    fn check(raw: RawStoreConfig) -> Result<StoreConfig, String> {
        let location = match (raw.path, raw.url) {
            (Some(_), Some(_)) => {
                return Err("[store] sets both `path` (a SQLite file) and `url` (a PostgreSQL database); keep one".into())
            }
            (Some(path), None) if path.is_empty() => None,
            (Some(path), None) => match Location::parse(&path) {
                Ok(Location::Sqlite(file)) => Some(Location::Sqlite(file)),
                Ok(Location::Postgres(url)) => {
                    return Err(format!(
                        "[store] path = \"{url}\" is a database address: write it as `url`"
                    ))
                }
                Err(e) => return Err(format!("[store] path: {e}")),
            },
            (None, Some(url)) => match Location::parse(&url) {
                Ok(Location::Postgres(url)) => Some(Location::Postgres(url)),
                Ok(Location::Sqlite(_)) => {
                    return Err("[store] url must start with postgres:// or postgresql:// (a SQLite file is `path`)".into())
                }
                Err(e) => return Err(format!("[store] url: {e}")),
            },
            (None, None) => StoreConfig::default().location,
        };
        Ok(StoreConfig {
            location,
            retention_days: raw.retention_days.unwrap_or(DEFAULT_RETENTION_DAYS),
        })
    }
}

/// Seconds since the Unix epoch, now (0 if the clock is before 1970).
pub fn now_unix() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// How the store runs; [`Options::from_config`] for the bot, the rest for
/// tests and tuning.
#[derive(Debug, Clone)]
pub struct Options {
    /// Rows older than this many days are deleted; 0 keeps everything.
    pub retention_days: u32,
    /// Events waiting for the writer; beyond it, new events are dropped.
    pub queue_capacity: usize,
    /// SQLite: how long one write waits for a lock held by another
    /// connection.
    pub busy_timeout: Duration,
    /// PostgreSQL: how long connecting, or writing one batch, may take.
    pub call_timeout: Duration,
    /// How often old rows are deleted (besides at connect).
    pub purge_interval: Duration,
    /// After a failure, the first wait before trying again; it doubles
    /// with each failure in a row, up to `retry_max`.
    pub retry_min: Duration,
    /// The longest wait between two tries.
    pub retry_max: Duration,
    /// How long a flush, or the store's shutdown, waits for a database
    /// that is away before counting what it holds as lost.
    pub give_up_after: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            retention_days: DEFAULT_RETENTION_DAYS,
            queue_capacity: 4096,
            busy_timeout: Duration::from_secs(2),
            call_timeout: Duration::from_secs(5),
            purge_interval: Duration::from_secs(24 * 60 * 60),
            retry_min: Duration::from_millis(250),
            retry_max: Duration::from_secs(30),
            give_up_after: Duration::from_secs(5),
        }
    }
}

impl Options {
    pub fn from_config(config: &StoreConfig) -> Options {
        Options {
            retention_days: config.retention_days,
            ..Options::default()
        }
    }
}

/// Seconds between two warnings about a full queue or failed writes.
const WARN_EVERY_SECS: i64 = 60;

#[cfg(test)]
mod tests;
