//! The question store: a SQLite database of every question the bot
//! handles, what the asker picked next (a suggestion or a menu item), and
//! 👍/👎 votes on answers. It is what reports, `learn` and stats read.
//!
//! Recording never slows or stops answering: `record_*` only pushes onto a
//! bounded queue and returns; one writer thread owns the connection and
//! writes in batches ([`writer`]). A full queue drops the event (counted,
//! warned about at most once a minute); a database that cannot be opened or
//! written (missing directory, locked, read-only, disk full) is logged, the
//! events are counted as failed, and the bot goes on. Reading goes through a
//! separate read-only connection ([`Reader`]).
//!
//! Privacy: voters are stored as SHA-256(salt || user id), the salt being
//! random, made once when the database is created and kept in its `meta`
//! table. No user id is stored; questions keep guild and channel ids only.
//!
//! No Discord types: ids are plain integers, so the handler converts.

pub mod coordination;
mod read;
mod schema;
mod writer;

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::mpsc::{self, SyncSender, TrySendError};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::Deserialize;

use crate::answer::matching::{Decision, Match};
use crate::faq::Faq;

/// The `[store]` table: the SQLite database of questions, picks and votes
/// (this module).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StoreConfig {
    /// The database file, relative to the working directory; created if
    /// missing. Empty (`path = ""`): the store is off and nothing is recorded.
    pub path: PathBuf,
    /// Rows older than this many days are deleted (at start, then daily);
    /// 0 keeps everything.
    pub retention_days: u32,
}

/// The database file when the config names none.
pub const DEFAULT_STORE_PATH: &str = "faqbot.db";

impl StoreConfig {
    /// Whether anything is recorded (`path` is not empty).
    pub fn enabled(&self) -> bool {
        !self.path.as_os_str().is_empty()
    }
}

impl Default for StoreConfig {
    fn default() -> Self {
        StoreConfig {
            path: PathBuf::from(DEFAULT_STORE_PATH),
            retention_days: 30,
        }
    }
}

pub use read::{PickedQuestion, ReadError, Reader, VoteTotal};
pub use schema::SCHEMA_VERSION;

/// Seconds since the Unix epoch, now (0 if the clock is before 1970).
pub fn now_unix() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// A question's id, made in the process (not by SQLite) so that the
/// handler has it at once, for the custom ids of vote and pick buttons.
/// Printed and parsed as a decimal number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct QuestionId(pub u64);

/// The last id handed out in this process.
static LAST_ID: AtomicU64 = AtomicU64::new(0);

impl QuestionId {
    /// A new id: the time in milliseconds shifted left by 16 bits, or the
    /// last id plus one if that is larger. Ids rise, are unique within a
    /// process, and do not repeat across restarts unless a run handed out
    /// more than 65,536 per millisecond. They stay below 2^63, so they fit
    /// SQLite's signed integers until the year 6000 or so.
    pub fn generate() -> QuestionId {
        let millis = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(0));
        let base = millis << 16;
        let previous = LAST_ID
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |last| {
                Some(base.max(last + 1))
            })
            // The closure always returns Some, so this is the Ok value.
            .unwrap_or_else(|last| last);
        QuestionId(base.max(previous + 1))
    }
}

impl fmt::Display for QuestionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl std::str::FromStr for QuestionId {
    type Err = std::num::ParseIntError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.parse().map(QuestionId)
    }
}

/// Defines a small enum stored as text, with its names.
macro_rules! text_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $text:literal,)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
        }

        impl $name {
            /// Every value, in order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];

            /// The name stored in the database.
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }

            /// The value named `s` (as [`Self::as_str`] writes it).
            pub fn parse(s: &str) -> Option<$name> {
                match s {
                    $($text => Some($name::$variant),)+
                    _ => None,
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

text_enum! {
    /// How a question reached the bot, or how an entry was picked: the
    /// one name for it in logs and in the store. Only questions are
    /// stored with a trigger; picks are logged, and stored as picks.
    Trigger {
        /// `/faq question:…`
        Slash => "slash",
        /// The message command "Find FAQ answer" on someone's message.
        ContextMenu => "context_menu",
        /// A message mentioning the bot.
        Mention => "mention",
        /// A reply to one of the bot's messages.
        Reply => "reply",
        /// A direct message.
        Dm => "dm",
        /// A message in a help channel.
        HelpChannel => "help_channel",
        /// `faqbot ask` in a terminal.
        Terminal => "terminal",
        /// An entry picked from `/faq`'s autocomplete list.
        Picked => "autocomplete_pick",
        /// A suggestion's button.
        Button => "button",
        /// The topic → question menu.
        Menu => "menu",
    }
}

/// What the bot did with a question (the matcher's, stored by name).
pub use crate::answer::matching::Outcome;

text_enum! {
    /// Where a pick came from.
    Via {
        /// A "Did you mean…" suggestion button.
        Suggestion => "suggestion",
        /// The topic → question menu.
        Menu => "menu",
    }
}

/// A question the bot handled, as recorded and as read back.
#[derive(Debug, Clone, PartialEq)]
pub struct Question {
    pub id: QuestionId,
    /// When it was asked, in Unix seconds.
    pub at: i64,
    /// As asked; the store keeps it as the matcher reads it, without
    /// mentions or other Discord markup (so no user or role id is kept).
    pub text: String,
    /// The guild it was asked in (none: a DM or the terminal).
    pub guild_id: Option<u64>,
    pub channel_id: Option<u64>,
    pub trigger: Trigger,
    pub outcome: Outcome,
    /// The entry answered, or else the best entry (none when nothing
    /// matched).
    pub entry: Option<String>,
    /// The best entry's score (0 when nothing matched).
    pub score: f32,
    /// The second best entry and its score.
    pub runner_up: Option<(String, f32)>,
    /// How long matching took, in microseconds.
    pub latency_us: u64,
}

impl Question {
    /// The record of `text` answered with `m` from `faq`, asked now, with a
    /// new id: the entry is the one answered, else the best one; the
    /// runner-up is the best other entry. Guild and channel are left for
    /// the caller to set.
    pub fn from_match(
        text: &str,
        trigger: Trigger,
        m: &Match,
        faq: &Faq,
        latency: Duration,
    ) -> Question {
        let best = match &m.decision {
            Decision::Answer(s) => Some(*s),
            _ => m.top.first().copied(),
        };
        let id_of = |entry: usize| faq.entries.get(entry).map(|e| e.id.clone());
        let runner_up = best.and_then(|b| m.top.iter().find(|s| s.entry != b.entry));
        Question {
            id: QuestionId::generate(),
            at: now_unix(),
            text: text.to_string(),
            guild_id: None,
            channel_id: None,
            trigger,
            outcome: m.decision.outcome(),
            entry: best.and_then(|b| id_of(b.entry)),
            score: best.map_or(m.score, |b| b.score),
            runner_up: runner_up.and_then(|r| id_of(r.entry).map(|id| (id, r.score))),
            latency_us: u64::try_from(latency.as_micros()).unwrap_or(u64::MAX),
        }
    }
}

/// What the asker picked after a question: a suggestion or a menu item.
#[derive(Debug, Clone, PartialEq)]
pub struct Pick {
    pub question: QuestionId,
    /// The entry picked.
    pub entry: String,
    pub via: Via,
    /// Unix seconds.
    pub at: i64,
}

/// A 👍 (`up`) or 👎 vote on the answer to a question. `voter` is the
/// Discord user id: it is hashed with the database's salt before it is
/// written, and never stored as such.
#[derive(Debug, Clone, PartialEq)]
pub struct Vote {
    pub question: QuestionId,
    pub voter: u64,
    pub up: bool,
    /// The entry voted on, when it is not the question's own (an answer
    /// the asker picked from the suggestions or the menu).
    pub entry: Option<String>,
    /// Unix seconds.
    pub at: i64,
}

/// How the store runs; [`Options::from_config`] for the bot, the rest for
/// tests and tuning.
#[derive(Debug, Clone)]
pub struct Options {
    /// Rows older than this many days are deleted; 0 keeps everything.
    pub retention_days: u32,
    /// Events waiting for the writer; beyond it, new events are dropped.
    pub queue_capacity: usize,
    /// How long one write waits for a lock held by another connection.
    pub busy_timeout: Duration,
    /// How often old rows are deleted (besides at open).
    pub purge_interval: Duration,
    /// After the database failed to open, how long before trying again.
    pub reopen_interval: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            retention_days: 30,
            queue_capacity: 4096,
            busy_timeout: Duration::from_secs(2),
            purge_interval: Duration::from_secs(24 * 60 * 60),
            reopen_interval: Duration::from_secs(60),
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

/// How many events went where, since the store was opened.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Accepted onto the queue.
    pub queued: u64,
    /// Refused because the queue was full.
    pub dropped: u64,
    /// Written to the database.
    pub written: u64,
    /// Lost because the database could not be opened or written.
    pub failed: u64,
}

/// Counters shared by the callers and the writer thread.
#[derive(Debug, Default)]
struct Counters {
    queued: AtomicU64,
    dropped: AtomicU64,
    written: AtomicU64,
    failed: AtomicU64,
    /// When a full queue was last warned about (Unix seconds), and how
    /// many drops had been counted then.
    last_drop_warning: AtomicI64,
    dropped_at_warning: AtomicU64,
}

/// Seconds between two warnings about a full queue or failed writes.
const WARN_EVERY_SECS: i64 = 60;

/// One message to the writer thread.
enum Event {
    Question(Question),
    Pick(Pick),
    Vote(Vote),
    /// Answered once every event queued before it is handled.
    Flush(SyncSender<()>),
}

/// The store handle: cheap, non-blocking `record_*` calls. Share it in an
/// `Arc`. Dropping it writes what is queued, then stops the writer.
pub struct Store {
    inner: Option<Running>,
}

struct Running {
    path: PathBuf,
    sender: Option<SyncSender<Event>>,
    counters: Arc<Counters>,
    writer: Option<JoinHandle<()>>,
}

impl Store {
    /// The store the config asks for: off when `[store] path` is empty.
    pub fn from_config(config: &StoreConfig) -> Store {
        if config.enabled() {
            Store::open(&config.path, Options::from_config(config))
        } else {
            tracing::info!("store off ([store] path is empty): questions are not recorded");
            Store::disabled()
        }
    }

    /// Opens (creating and migrating if needed) the database at `path` on
    /// its own writer thread and returns at once. Never fails: a database
    /// that cannot be opened is logged once by the writer, which then
    /// discards events (counted as failed) and tries again every
    /// `reopen_interval`.
    pub fn open(path: &Path, options: Options) -> Store {
        let counters = Arc::new(Counters::default());
        let (sender, receiver) = mpsc::sync_channel(options.queue_capacity.max(1));
        let writer = writer::spawn(path.to_path_buf(), options, receiver, counters.clone());
        let writer = match writer {
            Ok(handle) => Some(handle),
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %e, "cannot start the store's writer thread; questions are not recorded");
                None
            }
        };
        Store {
            inner: Some(Running {
                path: path.to_path_buf(),
                sender: writer.as_ref().map(|_| sender),
                counters,
                writer,
            }),
        }
    }

    /// A store that records nothing.
    pub fn disabled() -> Store {
        Store { inner: None }
    }

    /// Whether events are recorded at all (false for [`Store::disabled`]).
    pub fn enabled(&self) -> bool {
        self.inner.is_some()
    }

    /// The database file, if the store is on.
    pub fn path(&self) -> Option<&Path> {
        self.inner.as_ref().map(|r| r.path.as_path())
    }

    /// Records a question; returns at once.
    pub fn record_question(&self, question: Question) {
        self.send(Event::Question(question));
    }

    /// Records a pick; returns at once.
    pub fn record_pick(&self, pick: Pick) {
        self.send(Event::Pick(pick));
    }

    /// Records a vote (replacing the same voter's earlier vote on the same
    /// question); returns at once.
    pub fn record_vote(&self, vote: Vote) {
        self.send(Event::Vote(vote));
    }

    fn send(&self, event: Event) {
        let Some(running) = &self.inner else { return };
        let c = &running.counters;
        let Some(sender) = &running.sender else {
            c.failed.fetch_add(1, Ordering::Relaxed);
            return;
        };
        match sender.try_send(event) {
            Ok(()) => {
                c.queued.fetch_add(1, Ordering::Relaxed);
            }
            Err(TrySendError::Full(_)) => {
                let dropped = c.dropped.fetch_add(1, Ordering::Relaxed) + 1;
                let now = now_unix();
                let last = c.last_drop_warning.load(Ordering::Relaxed);
                if (last == 0 || now - last >= WARN_EVERY_SECS)
                    && c.last_drop_warning
                        .compare_exchange(last, now.max(1), Ordering::Relaxed, Ordering::Relaxed)
                        .is_ok()
                {
                    let since = dropped - c.dropped_at_warning.swap(dropped, Ordering::Relaxed);
                    tracing::warn!(
                        dropped_since_last_warning = since,
                        dropped_total = dropped,
                        "store queue full: events dropped (the database is slow or stuck)"
                    );
                }
            }
            Err(TrySendError::Disconnected(_)) => {
                c.failed.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// Waits until every event recorded before this call is written (or
    /// has failed). For tests and shutdown; never call it while answering.
    pub fn flush(&self) {
        let Some(sender) = self.inner.as_ref().and_then(|r| r.sender.as_ref()) else {
            return;
        };
        let (done, wait) = mpsc::sync_channel(1);
        // A blocking send: a flush waits for room in a full queue.
        if sender.send(Event::Flush(done)).is_ok() {
            // An error means the writer is gone: nothing left to wait for.
            let _ = wait.recv();
        }
    }

    /// How many events were queued, dropped, written and lost so far.
    pub fn stats(&self) -> Stats {
        let Some(r) = &self.inner else {
            return Stats::default();
        };
        let c = &r.counters;
        Stats {
            queued: c.queued.load(Ordering::Relaxed),
            dropped: c.dropped.load(Ordering::Relaxed),
            written: c.written.load(Ordering::Relaxed),
            failed: c.failed.load(Ordering::Relaxed),
        }
    }
}

impl Drop for Store {
    /// Writes what is queued, then stops the writer thread.
    fn drop(&mut self) {
        if let Some(running) = &mut self.inner {
            drop(running.sender.take());
            if let Some(handle) = running.writer.take() {
                if handle.join().is_err() {
                    tracing::warn!("the store's writer thread panicked");
                }
            }
        }
    }
}

impl fmt::Debug for Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Store")
            .field("path", &self.path())
            .field("stats", &self.stats())
            .finish()
    }
}

#[cfg(test)]
mod tests;
