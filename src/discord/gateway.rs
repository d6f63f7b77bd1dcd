//! The gateway side of `faqbot run`: the shards this process runs (all of
//! the bot's, or a slice of them when several processes share the bot),
//! one serenity client per shard, each started under Discord's IDENTIFY
//! rule: in each rate-limit bucket (`shard id % max_concurrency`), one
//! IDENTIFY per 5 seconds. Buckets start side by side; within one, a shard
//! starts only once the one before it is ready and 5 s have passed. The
//! [`IdentifyGate`] makes that hold across processes too when they share a
//! Postgres store (an advisory lock per bucket), and within this process
//! otherwise.
//!
//! Reconnects are serenity's: a resumed session sends no IDENTIFY, and a
//! re-IDENTIFY after an invalid session is spaced by serenity within its
//! shard only (see `docs/scaling.md`).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serenity::all::{Client, ClientBuilder, GatewayIntents, HttpBuilder, ShardManager};
use serenity::gateway::ConnectionStage;
use tokio::sync::mpsc;
use tokio::task::JoinSet;

use super::config::ShardSlice;
use super::handler::Bot;
use crate::store::coordination::IdentifyGate;
use crate::telemetry::{ShardState, Status};

/// Discord's spacing of IDENTIFYs within one rate-limit bucket.
pub const IDENTIFY_INTERVAL: Duration = Duration::from_secs(5);

/// How long a shard may take from its start to READY before the next one
/// in its bucket starts anyway (it is still retrying, by serenity).
const READY_PATIENCE: Duration = Duration::from_secs(60);

/// The shards of this process: their managers (for status and shutdown),
/// the clients being started, and those running.
pub(super) struct Shards {
    total: u32,
    managers: Arc<Mutex<Vec<Arc<ShardManager>>>>,
    starters: JoinSet<()>,
    started: mpsc::UnboundedReceiver<(u32, serenity::Result<Client>)>,
    starting: bool,
    running: JoinSet<(u32, serenity::Result<()>)>,
}

/// Starts every shard of `slice` in the background, bucket by bucket;
/// [`Shards::wait`] runs them.
pub(super) fn start(
    bot: Arc<Bot>,
    intents: GatewayIntents,
    slice: ShardSlice,
    max_concurrency: u32,
    make_http: Arc<dyn Fn() -> HttpBuilder + Send + Sync>,
    gate: Arc<IdentifyGate>,
) -> Shards {
    let managers = Arc::new(Mutex::new(Vec::new()));
    let (started_tx, started) = mpsc::unbounded_channel();
    let mut starters = JoinSet::new();
    let max_concurrency = max_concurrency.max(1);
    for bucket in 0..max_concurrency {
        let ids: Vec<u32> = slice
            .ids()
            .filter(|id| id % max_concurrency == bucket)
            .collect();
        if ids.is_empty() {
            continue;
        }
        let (bot, make_http, gate) = (Arc::clone(&bot), Arc::clone(&make_http), Arc::clone(&gate));
        let (managers, started) = (Arc::clone(&managers), started_tx.clone());
        starters.spawn(async move {
            for id in ids {
                let _turn = gate.acquire(bucket).await;
                tracing::info!(shard = id, total = slice.total, bucket, "starting shard");
                let client = ClientBuilder::new_with_http(make_http().build(), intents)
                    .event_handler_arc(Arc::clone(&bot))
                    .await;
                if let Ok(client) = &client {
                    lock(&managers).push(Arc::clone(&client.shard_manager));
                }
                let built = client.is_ok();
                if started.send((id, client)).is_err() || !built {
                    return;
                }
                let ready = tokio::time::timeout(READY_PATIENCE, bot.wait_ready(id)).await;
                if ready.is_err() {
                    tracing::warn!(
                        shard = id,
                        waited_s = READY_PATIENCE.as_secs(),
                        "shard not ready yet; starting the next one in its bucket anyway"
                    );
                }
                // Holding the turn until then keeps this bucket's next
                // IDENTIFY, here or in another process, 5 s after READY,
                // so after this one's IDENTIFY.
                tokio::time::sleep(IDENTIFY_INTERVAL).await;
            }
        });
    }
    Shards {
        total: slice.total,
        managers,
        starters,
        started,
        starting: true,
        running: JoinSet::new(),
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Shards {
    /// Runs the shards as they are started. Returns the first error a
    /// shard stops with (Discord refused the token or the intents, or a
    /// client could not be built), or `Ok` once every shard has stopped.
    pub(super) async fn wait(&mut self) -> serenity::Result<()> {
        loop {
            tokio::select! {
                next = self.started.recv(), if self.starting => match next {
                    Some((id, Ok(mut client))) => {
                        let total = self.total;
                        self.running.spawn(async move { (id, client.start_shard(id, total).await) });
                    }
                    Some((id, Err(e))) => {
                        tracing::error!(shard = id, error = %e, "cannot start the shard");
                        return Err(e);
                    }
                    None => self.starting = false,
                },
                Some(done) = self.running.join_next() => match done {
                    Ok((id, Err(e))) => {
                        tracing::error!(shard = id, error = %e, "the shard stopped");
                        return Err(e);
                    }
                    Ok((_, Ok(()))) => {}
                    Err(e) => tracing::error!(error = %e, "a shard's task stopped unexpectedly"),
                },
                else => return Ok(()),
            }
        }
    }

    /// Writes every shard's stage and latency into `status`.
    pub(super) async fn report(managers: &Mutex<Vec<Arc<ShardManager>>>, status: &Status) {
        let managers: Vec<Arc<ShardManager>> = lock(managers).clone();
        for manager in managers {
            let runners = manager.runners.lock().await;
            for (id, info) in runners.iter() {
                status.shard(
                    id.0,
                    ShardState {
                        connected: info.stage == ConnectionStage::Connected,
                        stage: info.stage.to_string(),
                        latency: info.latency,
                    },
                );
            }
        }
    }

    /// The shards' managers, for [`Shards::report`] from elsewhere.
    pub(super) fn managers(&self) -> Arc<Mutex<Vec<Arc<ShardManager>>>> {
        Arc::clone(&self.managers)
    }

    /// Closes every shard: a connected one closes cleanly at once; one
    /// connecting or reconnecting gets `grace`, then is dropped.
    pub(super) async fn shutdown(mut self, grace: Duration) {
        self.starters.abort_all();
        let managers: Vec<Arc<ShardManager>> = lock(&self.managers).clone();
        let mut closing = JoinSet::new();
        for m in managers {
            closing.spawn(async move { m.shutdown_all().await });
        }
        let all = async { while closing.join_next().await.is_some() {} };
        if tokio::time::timeout(grace, all).await.is_err() {
            tracing::info!("a shard was not connected: stopped without closing it");
        }
        self.running.abort_all();
    }
}
