//! Tests of the fake Discord's shards (`support/fake_discord/shards.rs`):
//! real serenity clients, each running one shard of two as a process of a
//! sharded bot would (`start_shard(id, 2)`), with a tiny handler that
//! records what it receives; and serenity's bare `Shard` where a test needs
//! a connection that identifies and then just drops, as a killed process's
//! does. Independent of faqbot's own bot code.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;
use serenity::all::{
    Client, ClientBuilder, Context, EventHandler, GatewayIntents, Http, HttpBuilder, Message,
    Ready, Shard, ShardId, ShardInfo, ShardManager,
};
use serenity::async_trait;
use tokio::sync::{mpsc, Mutex};
use tokio::task::JoinHandle;

use crate::support::fake_discord::{
    guild_on_shard, message, DispatchError, FakeDiscord, Options, ShardConnection, CHANNEL_ID,
    DEFAULT_TIMEOUT, USER_ID,
};

const TOKEN: &str = "any.token.x";

/// What a shard's handler received.
enum Got {
    Ready(Box<Ready>),
    Message(Box<Message>),
}

struct Recorder {
    got: mpsc::UnboundedSender<Got>,
}

#[async_trait]
impl EventHandler for Recorder {
    async fn ready(&self, _ctx: Context, ready: Ready) {
        let _ = self.got.send(Got::Ready(Box::new(ready)));
    }

    async fn message(&self, _ctx: Context, msg: Message) {
        let _ = self.got.send(Got::Message(Box::new(msg)));
    }
}

fn http_for(fake: &FakeDiscord) -> Http {
    HttpBuilder::new(TOKEN)
        .proxy(fake.base_url())
        .ratelimiter_disabled(true)
        .build()
}

const INTENTS: GatewayIntents = GatewayIntents::GUILD_MESSAGES
    .union(GatewayIntents::DIRECT_MESSAGES)
    .union(GatewayIntents::MESSAGE_CONTENT);

/// A serenity client running shard `id` of `total`; stopped on drop.
struct ShardBot {
    got: mpsc::UnboundedReceiver<Got>,
    shards: Arc<ShardManager>,
    task: JoinHandle<serenity::Result<()>>,
}

impl ShardBot {
    async fn start(fake: &FakeDiscord, id: u32, total: u32) -> Self {
        let (tx, got) = mpsc::unbounded_channel();
        let mut client: Client = ClientBuilder::new_with_http(http_for(fake), INTENTS)
            .event_handler(Recorder { got: tx })
            .await
            .expect("the client builds against the fake");
        let shards = client.shard_manager.clone();
        let task = tokio::spawn(async move { client.start_shard(id, total).await });
        Self { got, shards, task }
    }

    async fn next(&mut self, what: &str) -> Got {
        match tokio::time::timeout(DEFAULT_TIMEOUT, self.got.recv()).await {
            Ok(Some(got)) => got,
            Ok(None) => panic!("the client stopped before {what}"),
            Err(_) => panic!("no {what} within {DEFAULT_TIMEOUT:?}"),
        }
    }

    async fn ready(&mut self) -> Box<Ready> {
        match self.next("READY").await {
            Got::Ready(ready) => ready,
            Got::Message(m) => panic!("a message before READY: {:?}", m.content),
        }
    }

    /// The content of the next message the handler got.
    async fn message(&mut self) -> String {
        match self.next("a message").await {
            Got::Message(m) => m.content,
            Got::Ready(_) => panic!("READY again instead of a message"),
        }
    }

    /// The contents of the next `n` messages, sorted: serenity runs each
    /// event's handler in a task of its own, so they may finish out of
    /// order.
    async fn messages(&mut self, n: usize) -> Vec<String> {
        let mut contents = Vec::new();
        for _ in 0..n {
            contents.push(self.message().await);
        }
        contents.sort();
        contents
    }

    /// The contents of the messages received and not yet taken.
    fn rest(&mut self) -> Vec<String> {
        let mut rest = Vec::new();
        while let Ok(got) = self.got.try_recv() {
            if let Got::Message(m) = got {
                rest.push(m.content);
            }
        }
        rest
    }
}

impl Drop for ShardBot {
    fn drop(&mut self) {
        let shards = self.shards.clone();
        tokio::spawn(async move { shards.shutdown_all().await });
        self.task.abort();
    }
}

/// A bare serenity shard `id` of `total` that has connected and sent its
/// IDENTIFY; nothing reads from it. Dropping it drops the TCP connection
/// without a close frame, as a killed process does.
async fn bare_shard(fake: &FakeDiscord, id: u32, total: u32) -> Shard {
    let url = Arc::new(Mutex::new(fake.gateway_url()));
    let info = ShardInfo {
        id: ShardId(id),
        total,
    };
    let mut shard = Shard::new(url, TOKEN, info, INTENTS, None)
        .await
        .expect("the shard connects to the fake");
    shard.identify().await.expect("IDENTIFY sent");
    shard
}

fn guild_message(content: &str, guild_id: u64) -> serde_json::Value {
    message(content, USER_ID, CHANNEL_ID, Some(guild_id), vec![], None)
}

fn dm(content: &str) -> serde_json::Value {
    message(content, USER_ID, CHANNEL_ID, None, vec![], None)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_shards_connect_and_each_gets_its_guilds_events_and_dms_go_to_shard_0() {
    let (g0, g1) = (guild_on_shard(0, 2), guild_on_shard(1, 2));
    let fake = FakeDiscord::start_with(Options {
        total_shards: 2,
        ready_guilds: vec![g0, g1],
        ..Options::default()
    })
    .await;
    let started = Instant::now();
    let mut a = ShardBot::start(&fake, 0, 2).await;
    let mut b = ShardBot::start(&fake, 1, 2).await;
    fake.wait_until_ready_shards(&[0, 1], DEFAULT_TIMEOUT)
        .await
        .expect("both shards ready");
    assert_eq!(fake.connected_shards(), [0, 1]);

    // READY echoes each IDENTIFY's shard and lists only that shard's guilds.
    for (bot, shard, guild) in [(&mut a, 0, g0), (&mut b, 1, g1)] {
        let ready = bot.ready().await;
        let info = ready.shard.expect("READY has a shard");
        assert_eq!((info.id.0, info.total), (shard, 2));
        let guilds: Vec<u64> = ready.guilds.iter().map(|g| g.id.get()).collect();
        assert_eq!(guilds, [guild], "shard {shard}");
    }

    // Each IDENTIFY is logged with its shard, connection and time.
    let log = fake.identify_log();
    let mut shards: Vec<(u32, u32)> = log.iter().map(|i| (i.shard, i.total)).collect();
    shards.sort_unstable();
    assert_eq!(shards, [(0, 2), (1, 2)]);
    assert_ne!(log[0].connection, log[1].connection);
    let now = Instant::now();
    assert!(
        log.iter().all(|i| started <= i.at && i.at <= now),
        "{log:?}"
    );
    let connections = fake.gateway_connections();
    assert_eq!(connections.len(), 2, "{connections:?}");
    assert!(connections.iter().all(|c| c.total == 2 && c.ready));
    let identify_frames: Vec<u32> = fake
        .gateway_frames()
        .iter()
        .filter(|f| f.op == 2)
        .map(|f| f.shard)
        .collect();
    assert_eq!(identify_frames.len(), 2);
    assert!(identify_frames.contains(&0) && identify_frames.contains(&1));

    // A guild on shard 1 reaches only shard 1; a DM goes to shard 0. Each
    // session numbers its own dispatches (READY was 1).
    let for_b = guild_message("for shard 1", g1);
    assert_eq!(fake.target_shard("MESSAGE_CREATE", &for_b), 1);
    assert_eq!(fake.dispatch("MESSAGE_CREATE", for_b).await, 2);
    assert_eq!(fake.dispatch("MESSAGE_CREATE", dm("a DM")).await, 2);
    assert_eq!(
        fake.dispatch("MESSAGE_CREATE", guild_message("for shard 0", g0))
            .await,
        3
    );
    fake.dispatch("MESSAGE_CREATE", guild_message("last for shard 1", g1))
        .await;
    assert_eq!(b.messages(2).await, ["for shard 1", "last for shard 1"]);
    assert_eq!(a.messages(2).await, ["a DM", "for shard 0"]);
    assert!(a.rest().is_empty() && b.rest().is_empty());
    let sent_to: Vec<u32> = fake.dispatches().iter().map(|d| d.shard).collect();
    assert_eq!(sent_to, [1, 0, 0, 1]);
    // The guild of a GUILD_CREATE is its `id`.
    assert_eq!(
        fake.target_shard("GUILD_CREATE", &json!({"id": g1.to_string()})),
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gateway_bot_reports_the_shards_and_counts_session_starts_and_buckets() {
    let fake = FakeDiscord::start_sharded(2).await;
    let http = http_for(&fake);
    let before = http.get_bot_gateway().await.expect("GET /gateway/bot");
    assert_eq!(before.url, fake.gateway_url());
    assert_eq!(before.shards, 2);
    let limit = &before.session_start_limit;
    assert_eq!(
        (
            limit.total,
            limit.remaining,
            limit.reset_after,
            limit.max_concurrency
        ),
        (1000, 1000, 86_400_000, 1)
    );

    // Two IDENTIFYs back to back, shard 0 first.
    let _s0 = bare_shard(&fake, 0, 2).await;
    fake.wait_until_ready_shards(&[0], DEFAULT_TIMEOUT)
        .await
        .expect("shard 0 ready");
    let _s1 = bare_shard(&fake, 1, 2).await;
    fake.wait_until_ready_shards(&[0, 1], DEFAULT_TIMEOUT)
        .await
        .expect("both ready");
    let after = http.get_bot_gateway().await.expect("GET /gateway/bot");
    assert_eq!(after.session_start_limit.remaining, 998);

    // With max_concurrency 1 both are in bucket 0, too close together.
    let gaps = fake.identify_bucket_gaps();
    assert_eq!(gaps.len(), 1, "{gaps:?}");
    assert_eq!((gaps[0].bucket, gaps[0].shards), (0, (0, 1)));
    let log = fake.identify_log();
    assert_eq!(gaps[0].gap, log[1].at - log[0].at);
    assert!(gaps[0].gap < Duration::from_secs(5), "{gaps:?}");

    // With 2 each shard has its own bucket.
    fake.set_max_concurrency(2);
    assert!(fake.identify_bucket_gaps().is_empty());
    let limit = http
        .get_bot_gateway()
        .await
        .expect("GET /gateway/bot")
        .session_start_limit;
    assert_eq!((limit.max_concurrency, limit.remaining), (2, 998));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_connection_is_seen_as_disconnected_and_nothing_is_delivered_for_it() {
    let fake = FakeDiscord::start_sharded(2).await;
    let shard = bare_shard(&fake, 1, 2).await;
    fake.wait_until_ready_shards(&[1], DEFAULT_TIMEOUT)
        .await
        .expect("shard 1 ready");
    assert_eq!(fake.connected_shards(), [1]);
    assert_eq!(
        fake.gateway_connections(),
        [ShardConnection {
            connection: 1,
            shard: 1,
            total: 2,
            identified: true,
            ready: true,
        }]
    );

    // Shard 0 is not connected: its guild's events and DMs go nowhere.
    for (what, data) in [
        ("guild", guild_message("x", guild_on_shard(0, 2))),
        ("DM", dm("x")),
    ] {
        let err = fake
            .try_dispatch("MESSAGE_CREATE", data, Duration::ZERO)
            .await
            .expect_err(what);
        assert_eq!(
            err,
            DispatchError::NotConnected {
                shard: 0,
                total: 2,
                live: vec![[1, 2]],
            },
            "{what}"
        );
    }

    // The process goes away: no close frame, the TCP connection drops.
    drop(shard);
    fake.wait_until_disconnected(1, DEFAULT_TIMEOUT)
        .await
        .expect("the fake sees the drop");
    assert!(fake.connected_shards().is_empty());
    assert!(fake.gateway_connections().is_empty());
    let err = fake
        .try_dispatch(
            "MESSAGE_CREATE",
            guild_message("x", guild_on_shard(1, 2)),
            Duration::from_millis(50),
        )
        .await
        .expect_err("shard 1 is gone");
    assert!(
        matches!(err, DispatchError::NotConnected { shard: 1, ref live, .. } if live.is_empty()),
        "{err}"
    );
    assert!(fake.dispatches().is_empty());

    // A shard outside the total is refused (4010) and not counted.
    let _bad = bare_shard(&fake, 2, 2).await;
    fake.wait_for_frame(|f| f.op == 2 && f.connection == 2, DEFAULT_TIMEOUT)
        .await
        .expect("the IDENTIFY arrives");
    assert_eq!(fake.identify_log().len(), 1);
    assert!(fake.connected_shards().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closing_one_shard_leaves_the_other_and_its_resume_keeps_its_shard() {
    let g1 = guild_on_shard(1, 2);
    let fake = FakeDiscord::start_sharded(2).await;
    let mut a = ShardBot::start(&fake, 0, 2).await;
    let mut b = ShardBot::start(&fake, 1, 2).await;
    fake.wait_until_ready_shards(&[0, 1], DEFAULT_TIMEOUT)
        .await
        .expect("both shards ready");
    a.ready().await;
    b.ready().await;
    let seq = fake
        .dispatch("MESSAGE_CREATE", guild_message("before", g1))
        .await;
    assert_eq!(b.message().await, "before");
    let connection_of = |fake: &FakeDiscord, shard: u32| {
        let live = fake.gateway_connections();
        live.iter()
            .find(|c| c.shard == shard && c.ready)
            .map(|c| c.connection)
    };
    let (a_connection, b_connection) = (connection_of(&fake, 0), connection_of(&fake, 1));

    // (Whether shard 1 is seen down in between depends on how fast serenity
    // reconnects.)
    fake.close_shard(1, 4000).await.expect("closed");
    let resume = fake
        .wait_for_frame(|f| f.op == 6, DEFAULT_TIMEOUT)
        .await
        .expect("shard 1 resumes");
    assert_eq!(resume.shard, 1, "the resumed session's shard");
    assert_eq!(resume.connection, 3);
    fake.wait_until_ready_shards(&[0, 1], DEFAULT_TIMEOUT)
        .await
        .expect("RESUMED sent");
    assert_eq!(fake.identify_log().len(), 2, "resumed, not re-identified");
    assert_eq!(connection_of(&fake, 0), a_connection, "shard 0 untouched");
    assert_eq!(connection_of(&fake, 1), Some(3));
    assert_ne!(b_connection, Some(3));

    // The resumed session goes on numbering its dispatches.
    let after = fake
        .dispatch("MESSAGE_CREATE", guild_message("after", g1))
        .await;
    assert!(after > seq + 1, "RESUMED took {}, then {after}", seq + 1);
    assert_eq!(b.message().await, "after");
    fake.dispatch("MESSAGE_CREATE", dm("to shard 0")).await;
    assert_eq!(a.message().await, "to shard 0");
    assert!(a.rest().is_empty());
}
