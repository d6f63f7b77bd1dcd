//! Turns that the bot's processes take through the shared store: Discord
//! allows one IDENTIFY per 5 seconds in each rate-limit bucket of the bot
//! (`shard id % max_concurrency`), whichever process sends it. With a
//! Postgres store, a turn is a Postgres advisory lock on the bucket, held
//! on a connection of its own for as long as the turn lasts; a process
//! that dies releases it with its connection. Alone (SQLite, or no store),
//! a process is its only user: a bucket's shards are started one after
//! another by one task ([`crate::discord`]), so a turn is only that order.

/// Where turns are taken.
#[derive(Debug, Clone, Default)]
pub enum IdentifyGate {
    /// This process alone.
    #[default]
    Local,
}

/// A turn; dropping it ends it.
#[derive(Debug)]
pub struct Turn {
    _held: (),
}

impl IdentifyGate {
    /// Waits for bucket `bucket`'s turn.
    pub async fn acquire(&self, bucket: u32) -> Turn {
        match self {
            IdentifyGate::Local => {
                tracing::debug!(bucket, "identify turn (this process alone)");
                Turn { _held: () }
            }
        }
    }
}
