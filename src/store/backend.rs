//! The two traits a database implements to be a store, and what both
//! implementations share: [`Backend`] is the writer thread's side
//! (connect and migrate, write a batch in one transaction, delete old
//! rows), [`ReadBackend`] the [`super::Reader`]'s (the report queries).
//! SQLite (`super::sqlite`) and PostgreSQL (`super::postgres`) implement
//! both; the queue, batching, retries and counters are written once, in
//! `super::writer`.
//!
//! Also here: the voter hash, the text a question is kept as, and the
//! u64 <-> signed 64-bit integer mapping both databases store ids with.

use sha2::{Digest, Sha256};

use super::read::{PickedQuestion, ReadError, Scope, VoteTotal};
use super::record::{Question, QuestionId, Record};

/// A database as the writer thread uses it. `connect` opens (creating and
/// migrating when needed) and reads the voter salt; every other call gets
/// the connection it made. After a transient error the writer drops the
/// connection and connects again later.
pub(crate) trait Backend: Send + 'static {
    /// An open, migrated connection, with whatever the writes need (the salt).
    type Conn;

    /// Opens the database, migrating it to the current schema.
    fn connect(&mut self) -> Result<Self::Conn, BackendError>;

    /// Writes `records` in one transaction: all of them or none. Writing
    /// a batch again (after an answer lost with the connection) changes
    /// nothing: a question id or a pick already there is skipped, and a
    /// vote replaces the same voter's vote only if it is not older.
    fn write(&mut self, conn: &mut Self::Conn, records: &[Record]) -> Result<(), BackendError>;

    /// Deletes questions, picks and votes from before `cutoff` (Unix
    /// seconds); returns how many rows went.
    fn purge(&mut self, conn: &mut Self::Conn, cutoff: i64) -> Result<u64, BackendError>;
}

/// A database as a [`super::Reader`] uses it: read-only queries that
/// return plain rows, each filtered by the [`Scope`] of the question.
pub(crate) trait ReadBackend: Send {
    fn questions_since(&self, since: i64, scope: &Scope) -> Result<Vec<Question>, ReadError>;
    fn question(&self, id: QuestionId) -> Result<Option<Question>, ReadError>;
    fn picks_since(&self, since: i64, scope: &Scope) -> Result<Vec<PickedQuestion>, ReadError>;
    fn vote_totals(&self, since: i64, scope: &Scope) -> Result<Vec<VoteTotal>, ReadError>;
}

/// Whether trying again later may succeed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lasting {
    /// A lock, a lost connection, a server restarting: keep the events and
    /// try again.
    Transient,
    /// A read-only file, a database from a newer faqbot, a broken row:
    /// trying again will not help, so the events are counted lost.
    Permanent,
}

/// A database failure, with whether it may pass, and whether the
/// connection is still good for the next try.
#[derive(Debug)]
pub(crate) struct BackendError {
    pub(crate) lasting: Lasting,
    /// The connection may be used again (a lock, a deadlock), rather than
    /// dropped and made anew (lost, timed out, in an unknown state).
    pub(crate) connection_usable: bool,
    pub(crate) error: Box<dyn std::error::Error + Send + Sync>,
}

impl BackendError {
    /// A failure that may pass, after which the writer connects again.
    pub(crate) fn transient(error: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        BackendError {
            lasting: Lasting::Transient,
            connection_usable: false,
            error: error.into(),
        }
    }

    pub(crate) fn permanent(error: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        BackendError {
            lasting: Lasting::Permanent,
            connection_usable: true,
            error: error.into(),
        }
    }

    /// The same, with the connection still good for a retry.
    pub(crate) fn connection_usable(mut self) -> Self {
        self.connection_usable = true;
        self
    }

    pub(crate) fn is_transient(&self) -> bool {
        self.lasting == Lasting::Transient
    }
}

impl std::fmt::Display for BackendError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&error_chain(&*self.error))
    }
}

/// An error and its causes, `: `-separated: tokio-postgres keeps the
/// server's or the socket's words in the causes, not in its own message.
pub(crate) fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(s) = source {
        let more = s.to_string();
        if !text.ends_with(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        source = s.source();
    }
    text
}

/// Discord ids and question ids are u64; both databases' integers are
/// signed 64-bit. The bits are stored as they are (`as` in both
/// directions), so every u64 round-trips.
pub(crate) fn to_sql_int(n: u64) -> i64 {
    n as i64
}

pub(crate) fn from_sql_int(n: i64) -> u64 {
    n as u64
}

/// SHA-256(salt || the user id in decimal): the same voter always gets the
/// same hash in one database, and the id cannot be read back from it.
pub(crate) fn voter_hash(salt: &[u8], user: u64) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(salt);
    h.update(user.to_string().as_bytes());
    h.finalize().into()
}

/// A question's text as the store keeps it: as the matcher reads it, with
/// mentions (`<@id>`, `<@&id>`), channels and other Discord markup removed,
/// so that no user or role id is kept.
pub(crate) fn stored_text(text: &str) -> String {
    crate::answer::matching::normalize::for_model(text)
}

/// 32 random bytes for a new database's voter salt.
pub(crate) fn new_salt() -> Result<[u8; 32], getrandom::Error> {
    let mut salt = [0u8; 32];
    getrandom::fill(&mut salt)?;
    Ok(salt)
}
