//! The store handle ([`Store`]): non-blocking `record_*` calls that push
//! onto a bounded queue for the writer thread (`super::writer`), the
//! counters of what went where ([`Stats`]), and the bounded waits of a
//! flush and of shutdown. The same for every backend.

use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{Sender, TrySendError};

use super::backend::Backend;
use super::location::Location;
use super::postgres::Postgres;
use super::record::{Pick, Question, Record, Vote};
use super::sqlite::Sqlite;
use super::{now_unix, writer, Options, StoreConfig, WARN_EVERY_SECS};

/// How many events went where, since the store was opened.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Accepted onto the queue.
    pub queued: u64,
    /// Refused because the queue was full.
    pub dropped: u64,
    /// Written to the database.
    pub written: u64,
    /// Lost because the database could not be opened or written (or a
    /// flush or shutdown gave up waiting for it).
    pub failed: u64,
    /// Accepted and not yet written or lost: waiting in the queue, or in
    /// the writer's batch (kept while the database is away).
    pub queue_depth: u64,
}

/// Counters shared by the callers and the writer thread.
#[derive(Debug, Default)]
pub(super) struct Counters {
    pub(super) queued: AtomicU64,
    pub(super) dropped: AtomicU64,
    pub(super) written: AtomicU64,
    pub(super) failed: AtomicU64,
    /// Queued events the writer has written or counted lost.
    pub(super) settled: AtomicU64,
    /// When a full queue was last warned about (Unix seconds), and how
    /// many drops had been counted then.
    last_drop_warning: AtomicI64,
    dropped_at_warning: AtomicU64,
}

/// What the callers and the writer thread share: the counters, and the
/// deadlines after which the writer stops waiting for the database.
#[derive(Debug, Default)]
pub(super) struct Shared {
    pub(super) counters: Counters,
    waits: Mutex<Waits>,
    /// Set by a flush: retry a kept batch now rather than after the backoff.
    retry_now: AtomicBool,
}

#[derive(Debug, Default)]
struct Waits {
    /// The deadline of each flush waiting now.
    flushes: Vec<Instant>,
    /// The shutdown's, once the store is dropped.
    stop: Option<Instant>,
}

impl Shared {
    fn waits(&self) -> std::sync::MutexGuard<'_, Waits> {
        // The data is a list of instants: usable after a panic elsewhere.
        self.waits.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The earliest time a waiting flush or the shutdown gives up, if any.
    pub(super) fn give_up_at(&self) -> Option<Instant> {
        let waits = self.waits();
        waits.flushes.iter().copied().chain(waits.stop).min()
    }

    /// Whether the writer should give up on its kept batch now.
    pub(super) fn give_up_due(&self) -> bool {
        self.give_up_at().is_some_and(|at| Instant::now() >= at)
    }

    pub(super) fn take_retry_now(&self) -> bool {
        self.retry_now.swap(false, Ordering::Relaxed)
    }
}

/// How much longer than the writer's own bound a flush waits for it.
const FLUSH_SLACK: Duration = Duration::from_secs(5);

/// One message to the writer thread.
pub(super) enum Event {
    Record(Record),
    /// Answered once every event queued before it is written or lost.
    Flush(Sender<()>),
}

/// The store handle: cheap, non-blocking `record_*` calls. Share it in an
/// `Arc`. Dropping it writes what is queued, then stops the writer; with
/// the database away it waits at most [`Options::give_up_after`] (plus
/// one call's timeout), then counts the rest lost and logs it.
pub struct Store {
    inner: Option<Running>,
}

struct Running {
    location: Location,
    give_up_after: Duration,
    /// How long one call to the database may take (PostgreSQL).
    call_timeout: Duration,
    sender: Option<Sender<Event>>,
    shared: Arc<Shared>,
    writer: Option<JoinHandle<()>>,
}

impl Store {
    /// The store the config asks for: off when `[store] path` is empty.
    pub fn from_config(config: &StoreConfig) -> Store {
        match &config.location {
            Some(location) => Store::open(location, Options::from_config(config)),
            None => {
                tracing::info!("store off ([store] path is empty): questions are not recorded");
                Store::disabled()
            }
        }
    }

    /// Opens the store at `location` (a SQLite file, created if missing,
    /// or a PostgreSQL database), migrating it if needed, on its own
    /// writer thread, and returns at once. Never fails: a database that
    /// cannot be reached is logged by the writer, which keeps trying (see
    /// [`Options`]).
    pub fn open(location: impl Into<Location>, options: Options) -> Store {
        let location = location.into();
        let shared = Arc::new(Shared::default());
        let (sender, receiver) = crossbeam_channel::bounded(options.queue_capacity.max(1));
        let place = location.to_string();
        let started = match &location {
            Location::Sqlite(path) => spawn(
                Sqlite::new(path.clone(), options.busy_timeout),
                place,
                &options,
                receiver,
                &shared,
            ),
            Location::Postgres(url) => Postgres::new(url.clone(), options.call_timeout)
                .and_then(|backend| spawn(backend, place, &options, receiver, &shared)),
        };
        let writer = match started {
            Ok(handle) => Some(handle),
            Err(e) => {
                tracing::warn!(store = %location, error = %e, "cannot start the store's writer thread; questions are not recorded");
                None
            }
        };
        Store {
            inner: Some(Running {
                location,
                give_up_after: options.give_up_after,
                call_timeout: options.call_timeout,
                sender: writer.as_ref().map(|_| sender),
                shared,
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

    /// Where the store is, if it is on.
    pub fn location(&self) -> Option<&Location> {
        self.inner.as_ref().map(|r| &r.location)
    }

    /// Records a question; returns at once.
    pub fn record_question(&self, question: Question) {
        self.send(Record::Question(question));
    }

    /// Records a pick; returns at once.
    pub fn record_pick(&self, pick: Pick) {
        self.send(Record::Pick(pick));
    }

    /// Records a vote (replacing the same voter's earlier vote on the same
    /// question); returns at once.
    pub fn record_vote(&self, vote: Vote) {
        self.send(Record::Vote(vote));
    }

    fn send(&self, record: Record) {
        let Some(running) = &self.inner else { return };
        let c = &running.shared.counters;
        let Some(sender) = &running.sender else {
            c.failed.fetch_add(1, Ordering::Relaxed);
            return;
        };
        match sender.try_send(Event::Record(record)) {
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
                        store = %running.location,
                        dropped_since_last_warning = since,
                        dropped_total = dropped,
                        "store queue full: events dropped (the database is slow, stuck or away)"
                    );
                }
            }
            Err(TrySendError::Disconnected(_)) => {
                c.failed.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// Waits until every event recorded before this call is written, or
    /// counted lost: with the database away, the writer retries it for
    /// [`Options::give_up_after`], then gives up on it and all queued
    /// behind it (logged). For tests and shutdown; never call it while
    /// answering.
    pub fn flush(&self) {
        let Some(running) = &self.inner else { return };
        let Some(sender) = &running.sender else {
            return;
        };
        let give_up = Instant::now() + running.give_up_after;
        running.shared.waits().flushes.push(give_up);
        running.shared.retry_now.store(true, Ordering::Relaxed);
        if let Some(writer) = &running.writer {
            writer.thread().unpark();
        }
        // The writer answers by `give_up`, unless it is inside one call
        // to the database then (bounded by its timeout): past this, only
        // a writer stuck for want of CPU or in a runaway call.
        let limit = give_up + running.call_timeout + FLUSH_SLACK;
        let (done, wait) = crossbeam_channel::bounded(1);
        // Waits for room in a full queue; the writer makes room by then.
        let answered = sender.send_deadline(Event::Flush(done), limit).is_ok()
            && match wait.recv_deadline(limit) {
                Ok(()) => true,
                // The writer is gone: nothing more to wait for.
                Err(crossbeam_channel::RecvTimeoutError::Disconnected) => true,
                Err(crossbeam_channel::RecvTimeoutError::Timeout) => false,
            };
        if !answered {
            tracing::warn!(
                store = %running.location,
                waiting = self.stats().queue_depth,
                "store flush: the writer did not answer in time; what is queued may still be written"
            );
        }
        let mut waits = running.shared.waits();
        if let Some(i) = waits.flushes.iter().position(|at| *at == give_up) {
            waits.flushes.swap_remove(i);
        }
    }

    /// How many events were queued, dropped, written and lost so far, and
    /// how many wait.
    pub fn stats(&self) -> Stats {
        let Some(r) = &self.inner else {
            return Stats::default();
        };
        let c = &r.shared.counters;
        let queued = c.queued.load(Ordering::Relaxed);
        Stats {
            queued,
            dropped: c.dropped.load(Ordering::Relaxed),
            written: c.written.load(Ordering::Relaxed),
            failed: c.failed.load(Ordering::Relaxed),
            queue_depth: queued.saturating_sub(c.settled.load(Ordering::Relaxed)),
        }
    }
}

/// Starts the writer thread on `backend`.
fn spawn<B: Backend>(
    backend: B,
    place: String,
    options: &Options,
    receiver: crossbeam_channel::Receiver<Event>,
    shared: &Arc<Shared>,
) -> std::io::Result<JoinHandle<()>> {
    writer::spawn(backend, place, options.clone(), receiver, shared.clone())
}

impl Drop for Store {
    /// Writes what is queued, then stops the writer thread; with the
    /// database away, gives up after `give_up_after`.
    fn drop(&mut self) {
        if let Some(running) = &mut self.inner {
            running.shared.waits().stop = Some(Instant::now() + running.give_up_after);
            drop(running.sender.take());
            if let Some(handle) = running.writer.take() {
                handle.thread().unpark();
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
            .field("location", &self.location())
            .field("stats", &self.stats())
            .finish()
    }
}
