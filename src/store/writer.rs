//! The writer thread: the only owner of the write connection. It opens
//! (and migrates) the database, then drains the queue in batches, one
//! transaction per batch, deletes old rows at open and every
//! `purge_interval`, and answers flushes. Every database error is logged
//! (at most once a minute, with counts) and the events lost are counted;
//! nothing here panics on a bad database or stops the bot.

use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::mpsc::{Receiver, RecvTimeoutError, SyncSender};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rusqlite::{params, Connection};
use sha2::{Digest, Sha256};

use super::schema::{self, open_for_writing};
use super::{now_unix, Counters, Event, Options, Pick, Question, Vote, WARN_EVERY_SECS};

/// Events written in one transaction at most.
const MAX_BATCH: usize = 256;

/// Starts the writer thread. It logs to the subscriber current here, so
/// that its warnings go where the caller's do (tests capture them).
pub(super) fn spawn(
    path: PathBuf,
    options: Options,
    receiver: Receiver<Event>,
    counters: Arc<Counters>,
) -> std::io::Result<JoinHandle<()>> {
    let dispatch = tracing::dispatcher::get_default(|d| d.clone());
    std::thread::Builder::new()
        .name("faqbot-store".into())
        .spawn(move || {
            tracing::dispatcher::with_default(&dispatch, || {
                Writer::new(path, options, counters).run(&receiver);
            });
        })
}

/// The open database, with the salt its voters are hashed with.
struct Db {
    conn: Connection,
    salt: Vec<u8>,
}

struct Writer {
    path: PathBuf,
    options: Options,
    counters: Arc<Counters>,
    db: Option<Db>,
    /// When opening was last tried (None: never).
    last_open_attempt: Option<Instant>,
    /// Whether the current run of failed opens has been reported.
    open_failure_reported: bool,
    last_purge: Instant,
    /// Events lost to write errors since the last warning, and when that was.
    failed_since_warning: u64,
    last_failure_warning: Option<Instant>,
}

impl Writer {
    fn new(path: PathBuf, options: Options, counters: Arc<Counters>) -> Writer {
        Writer {
            path,
            options,
            counters,
            db: None,
            last_open_attempt: None,
            open_failure_reported: false,
            last_purge: Instant::now(),
            failed_since_warning: 0,
            last_failure_warning: None,
        }
    }

    fn run(mut self, receiver: &Receiver<Event>) {
        self.try_open();
        // Wake up at least this often, to purge when idle.
        let tick = self
            .options
            .purge_interval
            .clamp(Duration::from_millis(10), Duration::from_secs(60 * 60));
        loop {
            let first = match receiver.recv_timeout(tick) {
                Ok(event) => event,
                Err(RecvTimeoutError::Timeout) => {
                    self.maybe_purge();
                    continue;
                }
                // Every sender is gone and the queue is empty: done.
                Err(RecvTimeoutError::Disconnected) => break,
            };
            let mut batch = vec![first];
            while batch.len() < MAX_BATCH {
                match receiver.try_recv() {
                    Ok(event) => batch.push(event),
                    Err(_) => break,
                }
            }
            let flushes = self.handle(batch);
            // Purged before the flushes are answered, so that a flush
            // returns to a store whose retention has run too.
            self.maybe_purge();
            for done in flushes {
                // The flusher may have given up waiting; nothing to do then.
                let _ = done.try_send(());
            }
        }
        tracing::debug!(path = %self.path.display(), "store writer stopped");
    }

    /// Opens the database if it is not open and it is time to try.
    fn try_open(&mut self) {
        if self.db.is_some() {
            return;
        }
        if let Some(last) = self.last_open_attempt {
            if last.elapsed() < self.options.reopen_interval {
                return;
            }
        }
        self.last_open_attempt = Some(Instant::now());
        match open_for_writing(&self.path, self.options.busy_timeout) {
            Ok((conn, salt)) => {
                if self.open_failure_reported {
                    tracing::info!(path = %self.path.display(), "store database opened after all; recording again");
                }
                self.open_failure_reported = false;
                self.db = Some(Db { conn, salt });
                self.purge_now();
            }
            Err(e) => {
                if !self.open_failure_reported {
                    tracing::warn!(
                        path = %self.path.display(),
                        error = %e,
                        retry_secs = self.options.reopen_interval.as_secs(),
                        "cannot open the store's database; questions are not recorded until it opens (the bot goes on)"
                    );
                    self.open_failure_reported = true;
                } else {
                    tracing::debug!(path = %self.path.display(), error = %e, "store database still cannot be opened");
                }
            }
        }
    }

    /// Writes a batch in one transaction; returns the flushes in it, to
    /// be answered.
    fn handle(&mut self, batch: Vec<Event>) -> Vec<SyncSender<()>> {
        self.try_open();
        let mut flushes: Vec<SyncSender<()>> = Vec::new();
        let mut events = Vec::with_capacity(batch.len());
        for event in batch {
            match event {
                Event::Flush(done) => flushes.push(done),
                other => events.push(other),
            }
        }
        if !events.is_empty() {
            match &mut self.db {
                None => self.lost(events.len() as u64, None),
                Some(db) => {
                    let (written, failed, error) = write_events(db, &events);
                    self.counters.written.fetch_add(written, Ordering::Relaxed);
                    if failed > 0 {
                        self.lost(failed, error);
                    }
                }
            }
        }
        flushes
    }

    /// Counts `count` events as lost and warns about write errors at most
    /// once a minute (a failed open was reported already).
    fn lost(&mut self, count: u64, error: Option<rusqlite::Error>) {
        self.counters.failed.fetch_add(count, Ordering::Relaxed);
        let Some(error) = error else { return };
        self.failed_since_warning += count;
        let due = self
            .last_failure_warning
            .is_none_or(|at| at.elapsed() >= Duration::from_secs(WARN_EVERY_SECS.unsigned_abs()));
        if due {
            tracing::warn!(
                path = %self.path.display(),
                error = %error,
                events_lost = self.failed_since_warning,
                "cannot write to the store's database (locked, read-only or full?); events lost, the bot goes on"
            );
            self.failed_since_warning = 0;
            self.last_failure_warning = Some(Instant::now());
        } else {
            tracing::debug!(error = %error, "store write failed");
        }
    }

    fn maybe_purge(&mut self) {
        if self.last_purge.elapsed() >= self.options.purge_interval {
            self.purge_now();
        }
    }

    fn purge_now(&mut self) {
        self.last_purge = Instant::now();
        let Some(db) = &self.db else { return };
        match schema::purge(&db.conn, self.options.retention_days, now_unix()) {
            Ok(0) => {}
            Ok(n) => tracing::info!(
                rows = n,
                retention_days = self.options.retention_days,
                "old rows deleted from the store"
            ),
            Err(e) => {
                tracing::warn!(path = %self.path.display(), error = %e, "cannot delete old rows from the store")
            }
        }
    }
}

/// Writes `events` in one transaction; if one of them breaks a constraint
/// (a repeated question id), writes them one by one so that it does not
/// cost the others. Returns how many were written, how many failed, and
/// the first error.
fn write_events(db: &mut Db, events: &[Event]) -> (u64, u64, Option<rusqlite::Error>) {
    match write_batch(db, events) {
        Ok(()) => (events.len() as u64, 0, None),
        Err(e) if is_constraint(&e) => {
            let (mut written, mut failed, mut first_error) = (0, 0, None);
            for event in events {
                match write_batch(db, std::slice::from_ref(event)) {
                    Ok(()) => written += 1,
                    Err(e) => {
                        failed += 1;
                        first_error.get_or_insert(e);
                    }
                }
            }
            (written, failed, first_error)
        }
        Err(e) => (0, events.len() as u64, Some(e)),
    }
}

fn is_constraint(e: &rusqlite::Error) -> bool {
    e.sqlite_error_code() == Some(rusqlite::ErrorCode::ConstraintViolation)
}

/// Writes `events` in one transaction: all or none.
fn write_batch(db: &mut Db, events: &[Event]) -> rusqlite::Result<()> {
    let tx = db.conn.transaction()?;
    for event in events {
        match event {
            Event::Question(q) => insert_question(&tx, q)?,
            Event::Pick(p) => insert_pick(&tx, p)?,
            Event::Vote(v) => upsert_vote(&tx, v, &db.salt)?,
            Event::Flush(_) => {}
        }
    }
    tx.commit()
}

/// Discord ids and question ids are u64; SQLite integers are i64. The
/// bits are stored as they are (`as` in both directions), so every u64
/// round-trips.
pub(super) fn to_sql_int(n: u64) -> i64 {
    n as i64
}

pub(super) fn from_sql_int(n: i64) -> u64 {
    n as u64
}

fn insert_question(conn: &Connection, q: &Question) -> rusqlite::Result<()> {
    let (runner_up, runner_up_score) = match &q.runner_up {
        Some((entry, score)) => (Some(entry.as_str()), Some(f64::from(*score))),
        None => (None, None),
    };
    conn.prepare_cached(
        "INSERT INTO questions (id, at, text, guild_id, channel_id, trigger, outcome,
                                entry, score, runner_up, runner_up_score, latency_us)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
    )?
    .execute(params![
        to_sql_int(q.id.0),
        q.at,
        stored_text(&q.text),
        q.guild_id.map(to_sql_int),
        q.channel_id.map(to_sql_int),
        q.trigger.as_str(),
        q.outcome.as_str(),
        q.entry,
        f64::from(q.score),
        runner_up,
        runner_up_score,
        to_sql_int(q.latency_us),
    ])?;
    Ok(())
}

fn insert_pick(conn: &Connection, p: &Pick) -> rusqlite::Result<()> {
    conn.prepare_cached("INSERT INTO picks (question_id, entry, via, at) VALUES (?1, ?2, ?3, ?4)")?
        .execute(params![
            to_sql_int(p.question.0),
            p.entry,
            p.via.as_str(),
            p.at
        ])?;
    Ok(())
}

/// One vote per voter per question: a second vote replaces the first.
fn upsert_vote(conn: &Connection, v: &Vote, salt: &[u8]) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO votes (question_id, voter, value, at, entry) VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (question_id, voter) DO UPDATE
         SET value = excluded.value, at = excluded.at, entry = excluded.entry",
    )?
    .execute(params![
        to_sql_int(v.question.0),
        voter_hash(salt, v.voter).as_slice(),
        if v.up { 1 } else { -1 },
        v.at,
        v.entry,
    ])?;
    Ok(())
}

/// SHA-256(salt || the user id in decimal): the same voter always gets the
/// same hash in one database, and the id cannot be read back from it.
pub(super) fn voter_hash(salt: &[u8], user: u64) -> [u8; 32] {
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
