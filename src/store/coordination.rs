//! What the bot's processes settle among themselves through a shared
//! Postgres store:
//!
//! - **IDENTIFY turns** ([`IdentifyGate`]): Discord allows one IDENTIFY
//!   per 5 seconds in each rate-limit bucket of the bot (`shard id %
//!   max_concurrency`), whichever process sends it. A turn is a Postgres
//!   advisory lock on the bucket, held on a connection of its own while
//!   the turn lasts; a process that dies releases it with its connection.
//!   Alone (SQLite, or no store), a process's bucket's shards are started
//!   one after another by one task ([`crate::discord`]), and a turn is only
//!   that order.
//! - **Reloads** ([`Reloads`]): a `/faq-reload` in one process is
//!   announced with `NOTIFY faqbot_reload`, and every other process
//!   reloads the same FAQ, so replicas behind a balancer never answer from
//!   different versions for long.
//!
//! A database that cannot be reached never stops the bot: a turn is then
//! taken alone (logged), and a notification is not sent (logged) while
//! listening retries in the background.

use std::time::Duration;

use tokio_postgres::AsyncMessage;

use super::{DbUrl, Location};

/// How long connecting may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// The advisory lock keys of IDENTIFY turns: this base plus the bucket.
const IDENTIFY_LOCK_BASE: i64 = 0x6661_7162_6f74_0000; // "faqbot\0\0"

/// The notification channel of reloads.
const RELOAD_CHANNEL: &str = "faqbot_reload";

/// Where IDENTIFY turns are taken.
#[derive(Debug, Clone, Default)]
pub enum IdentifyGate {
    /// This process alone.
    #[default]
    Local,
    /// Every process sharing this Postgres database.
    Postgres(DbUrl),
}

/// A turn; dropping it ends it.
#[derive(Debug)]
pub struct Turn {
    /// The connection that holds the lock (none: a turn taken alone).
    _held: Option<tokio_postgres::Client>,
}

/// Connects to `url`, the connection driven by a task of its own until
/// the client is dropped.
async fn connect(url: &DbUrl) -> Result<tokio_postgres::Client, String> {
    super::postgres::connect(url, CONNECT_TIMEOUT)
        .await
        .map_err(|e| e.to_string())
}

impl IdentifyGate {
    /// The gate for a store at `location`: shared through Postgres, else
    /// this process alone.
    pub fn for_store(location: Option<&Location>) -> IdentifyGate {
        match location {
            Some(Location::Postgres(url)) => IdentifyGate::Postgres(url.clone()),
            _ => IdentifyGate::Local,
        }
    }

    /// Waits for bucket `bucket`'s turn.
    pub async fn acquire(&self, bucket: u32) -> Turn {
        let IdentifyGate::Postgres(url) = self else {
            return Turn { _held: None };
        };
        let key = IDENTIFY_LOCK_BASE + i64::from(bucket);
        let locked = async {
            let client = connect(url).await?;
            client
                .execute("SELECT pg_advisory_lock($1)", &[&key])
                .await
                .map_err(|e| e.to_string())?;
            Ok::<_, String>(client)
        };
        match locked.await {
            Ok(client) => {
                tracing::debug!(bucket, "identify turn (Postgres advisory lock)");
                Turn {
                    _held: Some(client),
                }
            }
            Err(e) => {
                tracing::warn!(bucket, store = %url, error = %e, "cannot take the IDENTIFY turn in the shared store; starting the shard without waiting for other processes");
                Turn { _held: None }
            }
        }
    }
}

/// Reloads announced between the processes sharing a Postgres store.
#[derive(Debug, Clone)]
pub struct Reloads {
    url: DbUrl,
    /// This process, so that it skips its own announcements.
    origin: String,
}

/// Which FAQ a reload was about: a server's (`Some`), or the default.
pub type ReloadTarget = Option<u64>;

impl Reloads {
    /// Announcements through the store at `location`, if it is Postgres.
    pub fn for_store(location: Option<&Location>) -> Option<Reloads> {
        let Some(Location::Postgres(url)) = location else {
            return None;
        };
        let mut tag = [0u8; 8];
        let _ = getrandom::fill(&mut tag);
        Some(Reloads {
            url: url.clone(),
            origin: format!("{}-{:016x}", std::process::id(), u64::from_le_bytes(tag)),
        })
    }

    /// The payload for `target`: `<origin> <guild id | default>`.
    fn payload(&self, target: ReloadTarget) -> String {
        match target {
            Some(g) => format!("{} {g}", self.origin),
            None => format!("{} default", self.origin),
        }
    }

    /// What another process's payload asks for; none for this process's
    /// own or a payload that is not one.
    fn parse(&self, payload: &str) -> Option<ReloadTarget> {
        let (origin, target) = payload.split_once(' ')?;
        if origin == self.origin {
            return None;
        }
        match target {
            "default" => Some(None),
            g => g.parse().ok().map(Some),
        }
    }

    /// Tells the other processes that `target` was reloaded here. A failure
    /// is logged: they still reload on their own watcher or `/faq-reload`.
    pub async fn announce(&self, target: ReloadTarget) {
        let sent = async {
            let client = connect(&self.url).await?;
            client
                .execute(
                    "SELECT pg_notify($1, $2)",
                    &[&RELOAD_CHANNEL, &self.payload(target)],
                )
                .await
                .map_err(|e| e.to_string())
        };
        match sent.await {
            Ok(_) => tracing::debug!(?target, "reload announced to the other processes"),
            Err(e) => {
                tracing::warn!(store = %self.url, error = %e, "cannot tell the other processes of this reload")
            }
        }
    }

    /// Listens for the other processes' reloads until the task is dropped,
    /// calling `on_reload` with each target; reconnects (with a growing
    /// pause, logged once per outage) when the database goes away.
    pub async fn listen(self, on_reload: impl Fn(ReloadTarget) + Send + 'static) {
        let mut pause = Duration::from_millis(250);
        let mut reported = false;
        loop {
            match self.listen_once(&on_reload).await {
                Ok(()) => {
                    pause = Duration::from_millis(250);
                    reported = false;
                }
                Err(e) => {
                    if !reported {
                        tracing::warn!(store = %self.url, error = %e, "not hearing of other processes' reloads; retrying");
                        reported = true;
                    }
                    pause = (pause * 2).min(Duration::from_secs(30));
                }
            }
            tokio::time::sleep(pause).await;
        }
    }

    /// One connection's worth of listening: returns when it ends.
    async fn listen_once(&self, on_reload: &impl Fn(ReloadTarget)) -> Result<(), String> {
        let connecting = super::postgres::connect_with_connection(&self.url, CONNECT_TIMEOUT);
        let (client, mut connection) = tokio::time::timeout(CONNECT_TIMEOUT, connecting)
            .await
            .map_err(|_| format!("no answer within {CONNECT_TIMEOUT:?}"))?
            .map_err(|e| e.to_string())?;
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let driver = tokio::spawn(async move {
            loop {
                match std::future::poll_fn(|cx| connection.poll_message(cx)).await {
                    Some(Ok(AsyncMessage::Notification(n))) => {
                        if tx.send(n.payload().to_string()).is_err() {
                            return;
                        }
                    }
                    Some(Ok(_)) => {}
                    Some(Err(_)) | None => return,
                }
            }
        });
        client
            .batch_execute(&format!("LISTEN {RELOAD_CHANNEL}"))
            .await
            .map_err(|e| e.to_string())?;
        tracing::info!("listening for other processes' FAQ reloads");
        while let Some(payload) = rx.recv().await {
            if let Some(target) = self.parse(&payload) {
                on_reload(target);
            }
        }
        driver.abort();
        Err("the connection ended".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_process_skips_its_own_reloads_and_reads_the_others() {
        let url = DbUrl::parse("postgres://u@127.0.0.1:1/db").expect("url");
        let location = Location::Postgres(url);
        let here = Reloads::for_store(Some(&location)).expect("postgres");
        let there = Reloads::for_store(Some(&location)).expect("postgres");
        assert_ne!(here.origin, there.origin);
        assert_eq!(here.parse(&here.payload(Some(7))), None, "its own");
        assert_eq!(there.parse(&here.payload(Some(7))), Some(Some(7)));
        assert_eq!(there.parse(&here.payload(None)), Some(None));
        assert_eq!(there.parse("garbage"), None);
        assert_eq!(there.parse("x notanumber"), None);
        assert!(Reloads::for_store(Some(&Location::Sqlite("a.db".into()))).is_none());
        assert!(matches!(
            IdentifyGate::for_store(Some(&location)),
            IdentifyGate::Postgres(_)
        ));
        assert!(matches!(IdentifyGate::for_store(None), IdentifyGate::Local));
    }
}
