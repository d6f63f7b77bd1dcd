//! The writer thread, written once for every [`Backend`]: the only owner
//! of the write connection. It connects (and migrates), then drains the
//! queue in batches, one transaction per batch, deletes old rows at
//! connect and every `purge_interval`, and answers flushes.
//!
//! A batch that fails for a reason that passes (a lock, a lost
//! connection) is kept and retried, connecting again, with a wait that
//! doubles from `retry_min` to `retry_max`; meanwhile new events wait in
//! the bounded queue, and what overflows it is dropped and counted there.
//! A batch that fails for a lasting reason is counted lost at once. A
//! flush or the store's shutdown waits for a kept batch at most
//! `give_up_after`: then what is kept and queued is counted lost and
//! logged. Every failure is logged at most once a minute, with counts;
//! nothing here panics on a bad database or stops the bot.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError};

use super::backend::{Backend, BackendError};
use super::queue::{Event, Shared};
use super::record::Record;
use super::{now_unix, Options, WARN_EVERY_SECS};

/// Events written in one transaction at most.
pub(super) const MAX_BATCH: usize = 256;

/// Starts the writer thread on `backend`. It logs to the subscriber
/// current here, so that its warnings go where the caller's do (tests
/// capture them). `place` names the database in logs (never a password).
pub(super) fn spawn<B: Backend>(
    backend: B,
    place: String,
    options: Options,
    receiver: Receiver<Event>,
    shared: Arc<Shared>,
) -> std::io::Result<JoinHandle<()>> {
    let dispatch = tracing::dispatcher::get_default(|d| d.clone());
    std::thread::Builder::new()
        .name("faqbot-store".into())
        .spawn(move || {
            tracing::dispatcher::with_default(&dispatch, || {
                Writer::new(backend, place, options, shared, receiver).run();
            });
        })
}

/// The run of failures since the database was last written, if any.
struct Outage {
    /// When the first of them happened.
    since: Instant,
    /// Failed attempts so far.
    attempts: u32,
    /// Whether the last failure may pass (the batch is kept).
    transient: bool,
    /// When the next attempt is due.
    retry_at: Instant,
    /// Whether a failure to connect was logged.
    connect_reported: bool,
    /// Whether the end of it was logged already (at connecting).
    end_reported: bool,
}

/// The batch being written, kept while its records cannot be written
/// yet, with the flushes queued among them (answered once every record
/// is settled).
#[derive(Default)]
struct Batch {
    records: Vec<Record>,
    flushes: Vec<crossbeam_channel::Sender<()>>,
}

impl Batch {
    fn push(&mut self, event: Event) {
        match event {
            Event::Record(r) => self.records.push(r),
            Event::Flush(done) => self.flushes.push(done),
        }
    }

    fn is_empty(&self) -> bool {
        self.records.is_empty() && self.flushes.is_empty()
    }

    fn len(&self) -> usize {
        self.records.len() + self.flushes.len()
    }

    /// Answers the flushes (the records are settled, or given up on).
    fn answer_flushes(&mut self) {
        for done in self.flushes.drain(..) {
            // The flusher may have given up waiting; nothing to do then.
            let _ = done.try_send(());
        }
    }
}

struct Writer<B: Backend> {
    backend: B,
    conn: Option<B::Conn>,
    place: String,
    options: Options,
    shared: Arc<Shared>,
    receiver: Receiver<Event>,
    pending: Batch,
    outage: Option<Outage>,
    /// When old rows were last deleted (none: not yet).
    last_purge: Option<Instant>,
    /// Events lost since the last warning, and when that was.
    lost_since_warning: u64,
    last_warning: Option<Instant>,
}

impl<B: Backend> Writer<B> {
    fn new(
        backend: B,
        place: String,
        options: Options,
        shared: Arc<Shared>,
        receiver: Receiver<Event>,
    ) -> Self {
        Writer {
            backend,
            conn: None,
            place,
            options,
            shared,
            receiver,
            pending: Batch::default(),
            outage: None,
            last_purge: None,
            lost_since_warning: 0,
            last_warning: None,
        }
    }

    fn run(mut self) {
        // Connected (and migrated) at once, not at the first question.
        if let Err(e) = self.connect() {
            self.failed(&e);
        }
        // Wake up at least this often, to purge when idle.
        let tick = self
            .options
            .purge_interval
            .clamp(Duration::from_millis(10), Duration::from_secs(60 * 60));
        loop {
            if self.pending.is_empty() {
                match self.receiver.recv_timeout(tick) {
                    Ok(event) => self.pending.push(event),
                    Err(RecvTimeoutError::Timeout) => {
                        self.maybe_purge();
                        continue;
                    }
                    // Every sender is gone and the queue is empty: done.
                    Err(RecvTimeoutError::Disconnected) => break,
                }
                while self.pending.len() < MAX_BATCH {
                    match self.receiver.try_recv() {
                        Ok(event) => self.pending.push(event),
                        Err(_) => break,
                    }
                }
            } else if self.shared.give_up_due() {
                self.give_up();
                continue;
            } else if let Some(wait) = self.wait_before_retry() {
                std::thread::park_timeout(wait);
                continue;
            }
            let kept = self.write_pending();
            // Purged before the flushes are answered, so that a flush
            // returns to a store whose retention has run too.
            self.maybe_purge();
            if !kept {
                self.pending.answer_flushes();
            }
        }
        tracing::debug!(store = %self.place, "store writer stopped");
    }

    /// How long to wait before retrying the kept batch (none: now). A
    /// flush asks for a retry at once; the wait ends early for a flush or
    /// a shutdown that gives up first.
    fn wait_before_retry(&mut self) -> Option<Duration> {
        if self.shared.take_retry_now() {
            return None;
        }
        let now = Instant::now();
        let retry_at = self.outage.as_ref().map_or(now, |o| o.retry_at);
        let until = match self.shared.give_up_at() {
            Some(give_up) => retry_at.min(give_up),
            None => retry_at,
        };
        (until > now).then(|| until - now)
    }

    /// Connects, migrates and purges; a failure is the caller's to record.
    fn connect(&mut self) -> Result<(), BackendError> {
        let conn = self.backend.connect()?;
        self.conn = Some(conn);
        if let Some(outage) = &mut self.outage {
            if std::mem::take(&mut outage.connect_reported) {
                outage.end_reported = true;
                tracing::info!(
                    store = %self.place,
                    failed_attempts = outage.attempts,
                    down_secs = outage.since.elapsed().as_secs(),
                    "store database opened after all; recording again"
                );
            }
        }
        // At the first connection, and when due (not at every reconnection).
        self.maybe_purge();
        Ok(())
    }

    /// Tries to write the pending batch's records; returns whether some
    /// are kept for a retry (a failure that passes). Otherwise each is
    /// written or counted lost.
    fn write_pending(&mut self) -> bool {
        let n = self.pending.records.len() as u64;
        if n == 0 {
            return false;
        }
        if self.conn.is_none() {
            let lasting_and_early = self
                .outage
                .as_ref()
                .is_some_and(|o| !o.transient && Instant::now() < o.retry_at);
            if lasting_and_early {
                // A database that cannot be opened, not yet due for another try.
                self.lost(n, None);
                self.pending.records.clear();
                return false;
            }
            if let Err(e) = self.connect() {
                self.failed(&e);
                if e.is_transient() {
                    return true;
                }
                self.lost(n, Some(&e));
                self.pending.records.clear();
                return false;
            }
        }
        let records = std::mem::take(&mut self.pending.records);
        match self.write(&records) {
            Ok(()) => {
                self.written(n);
                false
            }
            Err(e) if e.is_transient() => {
                self.failed(&e);
                self.forget_connection_after(&e);
                self.pending.records = records;
                true
            }
            // One bad record must not cost the others: one by one.
            Err(_) if records.len() > 1 => self.write_one_by_one(records),
            Err(e) => {
                self.lost(1, Some(&e));
                false
            }
        }
    }

    /// Drops the connection after `e` unless it is still good.
    fn forget_connection_after(&mut self, e: &BackendError) {
        if !e.connection_usable {
            self.conn = None;
        }
    }

    fn write(&mut self, records: &[Record]) -> Result<(), BackendError> {
        match &mut self.conn {
            Some(conn) => self.backend.write(conn, records),
            None => Err(BackendError::transient("not connected")),
        }
    }

    /// After a lasting failure of a whole batch: each record alone. A
    /// failure that passes, on the way, keeps the rest for a retry
    /// (returns true).
    fn write_one_by_one(&mut self, records: Vec<Record>) -> bool {
        let mut records = records.into_iter();
        while let Some(record) = records.next() {
            match self.write(std::slice::from_ref(&record)) {
                Ok(()) => self.written(1),
                Err(e) if e.is_transient() => {
                    self.failed(&e);
                    self.forget_connection_after(&e);
                    self.pending.records = std::iter::once(record).chain(records).collect();
                    return true;
                }
                Err(e) => self.lost(1, Some(&e)),
            }
        }
        false
    }

    /// Counts `n` records written, and ends an outage.
    fn written(&mut self, n: u64) {
        let c = &self.shared.counters;
        c.written.fetch_add(n, Ordering::Relaxed);
        c.settled.fetch_add(n, Ordering::Relaxed);
        if let Some(outage) = self.outage.take() {
            if outage.transient && !outage.end_reported {
                tracing::info!(
                    store = %self.place,
                    failed_attempts = outage.attempts,
                    down_secs = outage.since.elapsed().as_secs(),
                    "store database written again; the events kept meanwhile are in"
                );
            }
        }
    }

    /// Records a failed attempt (to connect or to write) and when to try
    /// again; warns at most once a minute.
    fn failed(&mut self, e: &BackendError) {
        let now = Instant::now();
        let connecting = self.conn.is_none();
        let outage = self.outage.get_or_insert(Outage {
            since: now,
            attempts: 0,
            transient: true,
            retry_at: now,
            connect_reported: false,
            end_reported: false,
        });
        outage.attempts += 1;
        outage.transient = e.is_transient();
        let doubling = 2u32.saturating_pow(outage.attempts.saturating_sub(1).min(16));
        let wait = self
            .options
            .retry_min
            .saturating_mul(doubling)
            .min(self.options.retry_max);
        outage.retry_at = now + wait;
        let attempts = outage.attempts;
        let first_connect_failure = connecting && !outage.connect_reported;
        if connecting {
            outage.connect_reported = true;
        }
        if !e.is_transient() {
            // Lasting: a failure to open is said once per run of them; a
            // failure to write is said by `lost`, with the count lost.
            if first_connect_failure {
                tracing::warn!(
                    store = %self.place,
                    error = %e,
                    retry_secs = wait.as_secs(),
                    "cannot open the store's database; questions are not recorded until it opens (the bot goes on)"
                );
            }
            return;
        }
        let waiting = self.pending.records.len() + self.receiver.len();
        if self.warning_due() {
            let what = if connecting {
                "cannot open the store's database"
            } else {
                "cannot write to the store's database"
            };
            tracing::warn!(
                store = %self.place,
                error = %e,
                events_waiting = waiting,
                failed_attempts = attempts,
                retry_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                "{what} (unreachable, locked or restarting?); the events are kept and retried, the bot goes on"
            );
            self.last_warning = Some(now);
        } else {
            tracing::debug!(store = %self.place, error = %e, "store write failed; retrying");
        }
    }

    fn warning_due(&self) -> bool {
        self.last_warning
            .is_none_or(|at| at.elapsed() >= Duration::from_secs(WARN_EVERY_SECS.unsigned_abs()))
    }

    /// Counts `count` records as lost and warns about write errors at most
    /// once a minute (a failed open was reported already).
    fn lost(&mut self, count: u64, error: Option<&BackendError>) {
        let c = &self.shared.counters;
        c.failed.fetch_add(count, Ordering::Relaxed);
        c.settled.fetch_add(count, Ordering::Relaxed);
        self.lost_since_warning += count;
        let Some(error) = error else { return };
        if self.conn.is_none() {
            return;
        }
        if self.warning_due() {
            tracing::warn!(
                store = %self.place,
                error = %error,
                events_lost = self.lost_since_warning,
                "cannot write to the store's database (read-only, full or refused?); events lost, the bot goes on"
            );
            self.lost_since_warning = 0;
            self.last_warning = Some(Instant::now());
        } else {
            tracing::debug!(error = %error, "store write failed");
        }
    }

    /// A flush or the shutdown waited long enough for a kept batch: it and
    /// everything queued behind it are counted lost, and every flush among
    /// them is answered.
    fn give_up(&mut self) {
        let mut lost = self.pending.records.len() as u64;
        self.pending.records.clear();
        while let Ok(event) = self.receiver.try_recv() {
            match event {
                Event::Record(_) => lost += 1,
                Event::Flush(done) => self.pending.flushes.push(done),
            }
        }
        // Counted before any flush is answered, so that a flusher reads
        // the counts with these in.
        let c = &self.shared.counters;
        c.failed.fetch_add(lost, Ordering::Relaxed);
        c.settled.fetch_add(lost, Ordering::Relaxed);
        let down_secs = self
            .outage
            .as_ref()
            .map_or(0, |o| o.since.elapsed().as_secs());
        tracing::warn!(
            store = %self.place,
            events_lost = lost,
            down_secs,
            waited_secs = self.options.give_up_after.as_secs_f32(),
            "gave up waiting for the store's database (a flush or shutdown): the events it kept are lost"
        );
        self.pending.answer_flushes();
    }

    /// Deletes old rows if it has never been done, or it is due: as soon
    /// as there is a connection.
    fn maybe_purge(&mut self) {
        let due = self
            .last_purge
            .is_none_or(|at| at.elapsed() >= self.options.purge_interval);
        if !due {
            return;
        }
        let days = self.options.retention_days;
        let Some(conn) = &mut self.conn else { return };
        self.last_purge = Some(Instant::now());
        if days == 0 {
            return;
        }
        let cutoff = now_unix().saturating_sub(i64::from(days) * 24 * 60 * 60);
        match self.backend.purge(conn, cutoff) {
            Ok(0) => {}
            Ok(n) => tracing::info!(
                rows = n,
                retention_days = days,
                "old rows deleted from the store"
            ),
            Err(e) => {
                tracing::warn!(store = %self.place, error = %e, "cannot delete old rows from the store")
            }
        }
    }
}
