//! Reading the store back, for reports, `learn` and stats: [`Reader`]
//! opens a SQLite file read-only or connects to PostgreSQL, checks the
//! schema version, and answers a few queries with plain structs, each
//! limited to a [`Scope`] of guilds. What to make of them is the callers'
//! business.

use super::backend::ReadBackend;
use super::location::Location;
use super::record::{Question, QuestionId, Via};
use super::{postgres, sqlite};

/// Which questions a read covers, by the guild each was asked in; picks
/// and votes follow their question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Every question, and every pick and vote, even one whose question
    /// is no longer stored (dropped from a full queue, or deleted).
    All,
    /// The questions asked in this guild.
    Guild(u64),
    /// Every question not asked in one of these guilds: DMs, the terminal
    /// and the guilds without a report of their own.
    Without(Vec<u64>),
}

impl Scope {
    /// Whether a pick or vote whose question is not stored is counted
    /// (only when reading everything: its guild is unknown).
    pub fn keeps_orphans(&self) -> bool {
        matches!(self, Scope::All)
    }
}

/// A read view of a store's database.
pub struct Reader {
    location: Location,
    backend: Box<dyn ReadBackend>,
}

impl std::fmt::Debug for Reader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The location prints without a password.
        f.debug_struct("Reader")
            .field("location", &self.location)
            .finish_non_exhaustive()
    }
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

/// Why the store cannot be read. No message holds a password: locations
/// are shown [redacted](super::DbUrl::redacted).
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("{location}: cannot open the store's database: {reason}")]
    Open { location: String, reason: String },
    #[error("{location}: the database is at schema version {found}, this faqbot reads version {expected}; {hint}")]
    Version {
        location: String,
        found: i64,
        expected: i64,
        hint: &'static str,
    },
    #[error("cannot read the store's database: {0}")]
    Query(String),
}

impl ReadError {
    /// The error for a database at schema version `found` when this
    /// build reads `expected`.
    pub(crate) fn version(location: &Location, found: i64, expected: i64) -> ReadError {
        let hint = if found < expected {
            "start the bot once with this version to migrate it"
        } else {
            "read it with a newer faqbot"
        };
        ReadError::Version {
            location: location.to_string(),
            found,
            expected,
            hint,
        }
    }
}

impl From<rusqlite::Error> for ReadError {
    fn from(e: rusqlite::Error) -> Self {
        ReadError::Query(e.to_string())
    }
}

impl Reader {
    /// Opens the store at `location` for reading: a SQLite file read-only
    /// (it must exist), or a PostgreSQL database. Either must be at this
    /// build's schema version (the bot migrates it when it starts).
    pub fn open(location: impl Into<Location>) -> Result<Reader, ReadError> {
        let location = location.into();
        let backend: Box<dyn ReadBackend> = match &location {
            Location::Sqlite(path) => Box::new(sqlite::read::SqliteReader::open(path)?),
            Location::Postgres(url) => Box::new(postgres::read::PgReader::open(&location, url)?),
        };
        Ok(Reader { location, backend })
    }

    /// Where it reads.
    pub fn location(&self) -> &Location {
        &self.location
    }

    /// The questions in `scope` asked at or after `since` (Unix seconds),
    /// oldest first.
    pub fn questions_since(&self, since: i64, scope: &Scope) -> Result<Vec<Question>, ReadError> {
        self.backend.questions_since(since, scope)
    }

    /// One question by id, if it is stored.
    pub fn question(&self, id: QuestionId) -> Result<Option<Question>, ReadError> {
        self.backend.question(id)
    }

    /// The picks made at or after `since` after a question in `scope`,
    /// oldest first, each with its question's text and best entry when
    /// the question is stored.
    pub fn picks_since(&self, since: i64, scope: &Scope) -> Result<Vec<PickedQuestion>, ReadError> {
        self.backend.picks_since(since, scope)
    }

    /// Per entry, the up and down votes (one per voter per answer, the
    /// last one counting) cast at or after `since` on answers in `scope`;
    /// entries in id order. A vote counts for the entry it names, else for
    /// its question's entry (so an orphan vote without one is not counted).
    pub fn vote_totals(&self, since: i64, scope: &Scope) -> Result<Vec<VoteTotal>, ReadError> {
        self.backend.vote_totals(since, scope)
    }
}
