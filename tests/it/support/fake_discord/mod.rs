//! A fake Discord on 127.0.0.1 for end-to-end tests of the bot's Discord
//! path with a real serenity 0.12.5 client. This module owns the
//! [`FakeDiscord`] type, its state and the REST half of the API tests
//! drive it with (start, wait for requests, inject failures, shut down);
//! the rest lives beside it:
//!
//! * [`rest`]: the REST routes under `/api/v10`, the record of every
//!   request ([`Request`]) and the injected failures ([`Failure`], 429s);
//! * [`messages`]: Discord's rules for interaction callbacks, webhooks and
//!   channel messages, on the messages the fake keeps;
//! * [`gateway`]: the gateway websocket (Hello, READY, heartbeats, resume);
//! * [`shards`]: the live connections by shard, their sessions, the
//!   IDENTIFY log, and where a dispatch goes (by guild, as Discord routes);
//! * [`gateway_api`]: the gateway half of the API (frames, shards, waits,
//!   dispatch, close);
//! * [`tls`]: the TLS side that plays `https://discord.com`, and the
//!   client that reaches it ([`FakeDiscord::direct_http`]);
//! * [`payloads`]: the event and interaction JSON builders.
//!
//! # Pointing a serenity client at it
//!
//! ```ignore
//! let fake = FakeDiscord::start().await;
//! let http = HttpBuilder::new("any.token.x")
//!     .proxy(fake.base_url())          // https://discord.com -> http://127.0.0.1:PORT
//!     .ratelimiter_disabled(true)      // the ratelimiter ignores the proxy
//!     .build();
//! let mut client = ClientBuilder::new_with_http(http, intents).event_handler(h).await?;
//! let run = tokio::spawn(async move { client.start().await });
//! fake.wait_until_ready(DEFAULT_TIMEOUT).await?;
//! fake.dispatch("INTERACTION_CREATE", guild_command("faq", json!([]))).await;
//! let cb = fake.wait_for(|r| r.is("POST", "/interactions/*/*/callback"), DEFAULT_TIMEOUT).await?;
//! run.abort();
//! ```
//!
//! # The real HTTP path, with serenity's ratelimiter
//!
//! Through the proxy above serenity's ratelimiter must be off. To test the
//! path a bot takes in production (REST to `https://discord.com`, 429s
//! retried by the ratelimiter), start the fake with
//! [`FakeDiscord::start_tls`]: it also serves the same routes and state over
//! TLS on a second 127.0.0.1 port, with a self-signed certificate for
//! `discord.com` made for this run. [`FakeDiscord::direct_http`] gives an
//! `HttpBuilder` (no proxy, ratelimiter on) whose reqwest client resolves
//! `discord.com` to that port, trusts only that certificate (host name
//! checked) and resolves no other name, so nothing leaves 127.0.0.1:
//!
//! ```ignore
//! let fake = FakeDiscord::start_tls().await;
//! let http = fake.direct_http("any.token.x").build();
//! // GET https://discord.com/api/v10/gateway answers the plain
//! // ws://127.0.0.1:PORT/gateway: only REST goes over TLS.
//! let mut client = ClientBuilder::new_with_http(http, intents).event_handler(h).await?;
//! ```
//!
//! # Several shards
//!
//! Start with [`FakeDiscord::start_sharded`] (or [`Options::total_shards`])
//! and each client shard connects on its own: the fake knows every
//! connection by the `[id, total]` of its IDENTIFY, answers READY with that
//! `shard`, sends a guild's events only to shard `(guild_id >> 22) % total`
//! and DMs to shard 0, and reports `total` from `GET /gateway/bot`:
//!
//! ```ignore
//! let fake = FakeDiscord::start_sharded(2).await;
//! // ... one client with start_shard(0, 2), another with start_shard(1, 2) ...
//! fake.wait_until_ready_shards(&[0, 1], DEFAULT_TIMEOUT).await?;
//! let guild = guild_on_shard(1, 2);
//! fake.dispatch("MESSAGE_CREATE", message("hi", USER_ID, CHANNEL_ID, Some(guild), vec![], None)).await;
//! fake.close_shard(1, 4000).await?;               // or kill the process:
//! fake.wait_until_disconnected(1, DEFAULT_TIMEOUT).await?;
//! assert!(matches!(fake.try_dispatch(ev, data, Duration::ZERO).await,
//!                  Err(DispatchError::NotConnected { shard: 1, .. })));
//! ```
//!
//! Dropping the [`FakeDiscord`] (or [`FakeDiscord::shutdown`]) stops the
//! server and closes every gateway connection.

// A shared harness: not every test uses every helper.
#![allow(dead_code)]

mod gateway;
mod gateway_api;
mod messages;
mod payloads;
mod rest;
mod shards;
mod tls;

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::routing::get;
use axum::Router;
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use gateway::GatewayFrame;
use gateway::{gateway_upgrade, remember_dispatch};
// The whole builder set, used or not by today's tests.
#[allow(unused_imports)]
pub use payloads::{
    application, autocomplete, bot_user, check_event, component, context_menu_command,
    focused_option, guild_command, message, message_command, ready_payload, slash_command,
    string_option, user, with_member_rights,
};
pub use rest::{Failure, Request};
use shards::Gateway;
// The whole shard API, used or not by today's tests.
#[allow(unused_imports)]
pub use shards::{
    event_guild, guild_on_shard, shard_of, DispatchError, Dispatched, Identify, IdentifyGap,
    ShardConnection,
};
use tls::{TlsListener, TlsSide, Transport};

/// The bot's application id (READY, `/applications/@me`, interactions).
pub const APP_ID: u64 = 1_100_000_000_000_000_001;
/// The bot user's id (READY, `/users/@me`, authors of the bot's messages).
pub const BOT_USER_ID: u64 = 1_100_000_000_000_000_002;
/// The bot user's name.
pub const BOT_USERNAME: &str = "faqbot";
/// A guild, channel and user for tests that need one.
pub const GUILD_ID: u64 = 1_100_000_000_000_000_100;
pub const CHANNEL_ID: u64 = 1_100_000_000_000_000_200;
pub const USER_ID: u64 = 1_100_000_000_000_000_300;
/// The user who invokes [`message_command`] and [`component`] interactions.
pub const INVOKER_ID: u64 = USER_ID;
/// Name of the message context-menu command [`message_command`] invokes.
pub const FIND_FAQ_COMMAND: &str = "Find FAQ answer";
/// A sensible bound for waits in tests.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);
/// The host the TLS side ([`FakeDiscord::start_tls`]) has a certificate for.
pub const DISCORD_HOST: &str = "discord.com";

static NEXT_ID: AtomicU64 = AtomicU64::new(1_200_000_000_000_000_000);

/// A fresh snowflake, unique within the test process.
pub fn snowflake() -> u64 {
    NEXT_ID.fetch_add(1, Ordering::Relaxed)
}

/// Settings for [`FakeDiscord::start_with`].
#[derive(Clone, Debug)]
pub struct Options {
    /// Sent in Hello (op 10). Default 45000, so no heartbeat runs in a
    /// short test.
    pub heartbeat_interval_ms: u64,
    /// Guild ids listed (as unavailable) in READY, each to the shard it
    /// belongs to ([`shard_of`]). Default none.
    pub ready_guilds: Vec<u64>,
    /// The shard count the fake expects (see
    /// [`FakeDiscord::set_total_shards`]). Default 1.
    pub total_shards: u32,
    /// `session_start_limit.max_concurrency` (see
    /// [`FakeDiscord::set_max_concurrency`]). Default 1.
    pub max_concurrency: u32,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            heartbeat_interval_ms: 45_000,
            ready_guilds: Vec::new(),
            total_shards: 1,
            max_concurrency: 1,
        }
    }
}

/// The running fake. Dropping it stops the server.
pub struct FakeDiscord {
    shared: Arc<Shared>,
    /// The plain HTTP server, and the TLS one when started with TLS.
    servers: Vec<JoinHandle<()>>,
    tls: Option<TlsSide>,
}

struct Shared {
    addr: SocketAddr,
    options: Options,
    state: watch::Sender<State>,
    shutdown: watch::Sender<bool>,
}

struct State {
    requests: Vec<Request>,
    failures: Vec<(String, String, Failure)>,
    /// Connections, sessions, frames, the IDENTIFY log.
    gateway: Gateway,
    /// Dispatched interactions by token.
    interactions: HashMap<String, KnownInteraction>,
    /// Interaction ids that got a callback.
    acknowledged: HashSet<String>,
    /// `@original` messages by interaction token.
    originals: HashMap<String, Value>,
    /// Channel messages and follow-ups by message id.
    messages: HashMap<String, Value>,
    /// Registered commands by guild id (`None` for global).
    commands: HashMap<Option<String>, Vec<Value>>,
}

impl State {
    fn new(options: &Options) -> Self {
        Self {
            requests: Vec::new(),
            failures: Vec::new(),
            gateway: Gateway::new(options.total_shards, options.max_concurrency),
            interactions: HashMap::new(),
            acknowledged: HashSet::new(),
            originals: HashMap::new(),
            messages: HashMap::new(),
            commands: HashMap::new(),
        }
    }
}

#[derive(Clone)]
struct KnownInteraction {
    id: String,
    channel_id: String,
    guild_id: Option<String>,
    message: Option<Value>,
}

impl FakeDiscord {
    /// Starts on 127.0.0.1 with an ephemeral port and default [`Options`].
    pub async fn start() -> Self {
        Self::start_with(Options::default()).await
    }

    pub async fn start_with(options: Options) -> Self {
        Self::start_inner(options, false).await
    }

    /// [`Self::start`] expecting `total` shards: guild events go to shard
    /// `(guild_id >> 22) % total`, and `GET /gateway/bot` says `total`.
    pub async fn start_sharded(total: u32) -> Self {
        Self::start_with(Options {
            total_shards: total,
            ..Options::default()
        })
        .await
    }

    /// [`Self::start`], and also serves the same routes and state over TLS
    /// on a second 127.0.0.1 port, as [`DISCORD_HOST`] with a self-signed
    /// certificate made for this run; see [`Self::direct_http`]. The gateway
    /// stays plain (`ws://127.0.0.1:PORT/gateway`, on the first port).
    pub async fn start_tls() -> Self {
        Self::start_tls_with(Options::default()).await
    }

    pub async fn start_tls_with(options: Options) -> Self {
        Self::start_inner(options, true).await
    }

    async fn start_inner(options: Options, with_tls: bool) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("fake Discord binds 127.0.0.1:0");
        let addr = listener.local_addr().expect("bound address");
        let shared = Arc::new(Shared {
            addr,
            state: watch::channel(State::new(&options)).0,
            options,
            shutdown: watch::channel(false).0,
        });
        let app = Router::new()
            .route("/gateway", get(gateway_upgrade))
            .fallback(rest::handle)
            .with_state(shared.clone());
        let mut servers = Vec::new();
        let mut tls = None;
        if with_tls {
            let (listener, side) = TlsListener::bind().await;
            tls = Some(side);
            // Requests tell the two sides apart by this extension.
            let app = app.clone().layer(axum::Extension(Transport::Tls));
            servers.push(serve(listener, app, &shared, "TLS server"));
        }
        servers.push(serve(listener, app, &shared, "server"));
        Self {
            shared,
            servers,
            tls,
        }
    }

    /// `http://127.0.0.1:PORT`: the `proxy` for serenity's `HttpBuilder`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.shared.addr)
    }

    /// `ws://127.0.0.1:PORT/gateway`.
    pub fn gateway_url(&self) -> String {
        self.shared.gateway_url()
    }

    pub fn addr(&self) -> SocketAddr {
        self.shared.addr
    }

    /// The TLS side's address (`None` unless started with
    /// [`Self::start_tls`]).
    pub fn tls_addr(&self) -> Option<SocketAddr> {
        self.tls.as_ref().map(|t| t.addr)
    }

    // ----- REST -----

    /// Every REST request so far, in arrival order.
    pub fn requests(&self) -> Vec<Request> {
        self.shared.state.borrow().requests.clone()
    }

    /// How many REST requests so far; pass it to [`Self::wait_for_from`] to
    /// wait only for later ones.
    pub fn request_count(&self) -> usize {
        self.shared.state.borrow().requests.len()
    }

    /// Requests no route matched (answered 404 by the catch-all).
    pub fn unrouted(&self) -> Vec<Request> {
        let state = self.shared.state.borrow();
        state
            .requests
            .iter()
            .filter(|r| !r.routed)
            .cloned()
            .collect()
    }

    /// The first request (already recorded or still to come) that matches.
    /// Predicates run without any lock held and may call `FakeDiscord`
    /// methods.
    pub async fn wait_for(
        &self,
        pred: impl Fn(&Request) -> bool,
        timeout: Duration,
    ) -> Result<Request, String> {
        self.wait_for_from(0, pred, timeout).await
    }

    /// The first matching request with `index >= from`.
    pub async fn wait_for_from(
        &self,
        from: usize,
        pred: impl Fn(&Request) -> bool,
        timeout: Duration,
    ) -> Result<Request, String> {
        self.wait_until(timeout, || {
            let later: Vec<Request> = {
                let state = self.shared.state.borrow();
                state.requests.iter().skip(from).cloned().collect()
            };
            later.into_iter().find(|r| pred(r))
        })
        .await
        .map_err(|()| {
            format!(
                "no matching request within {timeout:?} (from #{from}); recorded: {}",
                self.request_summary()
            )
        })
    }

    /// Waits `within` and fails if a matching request with `index >= from`
    /// arrives (e.g. "the bot does not answer its own message").
    pub async fn ensure_no_request_from(
        &self,
        from: usize,
        pred: impl Fn(&Request) -> bool,
        within: Duration,
    ) -> Result<(), String> {
        match self.wait_for_from(from, pred, within).await {
            Ok(req) => Err(format!(
                "unexpected request #{}: {} {} {}",
                req.index, req.method, req.path, req.body
            )),
            Err(_) => Ok(()),
        }
    }

    /// The next request matching `method` and `path_pattern` (without the
    /// `/api/v10` prefix; `*` matches one segment, e.g.
    /// `/channels/*/messages`) is answered with `failure`
    /// instead. Queued failures for the same route are used in order.
    pub fn fail_next(&self, method: &str, path_pattern: &str, failure: Failure) {
        self.shared.state.send_modify(|s| {
            s.failures.push((
                method.to_ascii_uppercase(),
                path_pattern.to_string(),
                failure,
            ));
        });
    }

    /// Commands registered by the last bulk overwrite (`None`: global).
    pub fn registered_commands(&self, guild_id: Option<u64>) -> Vec<Value> {
        let state = self.shared.state.borrow();
        let key = guild_id.map(|g| g.to_string());
        state.commands.get(&key).cloned().unwrap_or_default()
    }

    /// The current `@original` response message of an interaction.
    pub fn original_response(&self, token: &str) -> Option<Value> {
        self.shared.state.borrow().originals.get(token).cloned()
    }

    /// Discord's side of an interaction answered by webhook (`faqbot
    /// serve`): the interaction becomes known, and `response` (the
    /// webhook's HTTP body) is applied as its callback would be, so that
    /// its follow-ups and edits work. The error is what Discord would
    /// have said of that response.
    pub fn answered_by_webhook(&self, interaction: &Value, response: &Value) -> Result<(), String> {
        let (Some(id), Some(token)) = (interaction["id"].as_str(), interaction["token"].as_str())
        else {
            return Err("the interaction has no id or token".into());
        };
        let mut result = Ok(());
        self.shared.state.send_modify(|s| {
            remember_dispatch(s, "INTERACTION_CREATE", interaction);
            let reply = messages::callback(s, id, token, response);
            if reply.status >= 300 {
                result = Err(format!("{} {}", reply.status, reply.body));
            }
        });
        result
    }

    /// Stops the server and closes every gateway connection, waiting (up to
    /// [`DEFAULT_TIMEOUT`]) for the server task to end.
    pub async fn shutdown(mut self) {
        self.shared.shutdown.send_replace(true);
        for server in std::mem::take(&mut self.servers) {
            if tokio::time::timeout(DEFAULT_TIMEOUT, server).await.is_err() {
                eprintln!("fake Discord: graceful shutdown timed out");
            }
        }
    }

    // ----- internals -----

    fn request_summary(&self) -> String {
        let state = self.shared.state.borrow();
        let lines: Vec<String> = state
            .requests
            .iter()
            .map(|r| format!("#{} {} {} -> {}", r.index, r.method, r.path, r.status))
            .collect();
        if lines.is_empty() {
            "none".to_string()
        } else {
            lines.join("; ")
        }
    }

    /// Re-runs `check` after every state change until it yields a value.
    /// `check` runs without the state lock held (it takes its own short
    /// borrows), so user predicates may call any `FakeDiscord` method.
    async fn wait_until<T>(
        &self,
        timeout: Duration,
        mut check: impl FnMut() -> Option<T>,
    ) -> Result<T, ()> {
        let mut rx = self.shared.state.subscribe();
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            // Mark the current version seen *before* checking: a change
            // made during the check then wakes `changed()` below.
            drop(rx.borrow_and_update());
            if let Some(found) = check() {
                return Ok(found);
            }
            match tokio::time::timeout_at(deadline, rx.changed()).await {
                Ok(Ok(())) => {}
                Ok(Err(_)) | Err(_) => return Err(()),
            }
        }
    }
}

impl Drop for FakeDiscord {
    fn drop(&mut self) {
        self.shared.shutdown.send_replace(true);
        for server in self.servers.drain(..) {
            server.abort();
        }
    }
}

impl Shared {
    fn gateway_url(&self) -> String {
        format!("ws://{}/gateway", self.addr)
    }
}

/// Serves `app` on `listener` until the fake shuts down.
fn serve<L>(listener: L, app: Router, shared: &Shared, what: &'static str) -> JoinHandle<()>
where
    L: axum::serve::Listener,
    L::Addr: std::fmt::Debug,
{
    let mut stop = shared.shutdown.subscribe();
    tokio::spawn(async move {
        let serve = axum::serve(listener, app).with_graceful_shutdown(async move {
            stopped(&mut stop).await;
        });
        if let Err(err) = serve.await {
            eprintln!("fake Discord {what} error: {err}");
        }
    })
}

async fn stopped(rx: &mut watch::Receiver<bool>) {
    // An error means the sender is gone: stop as well.
    let _ = rx.wait_for(|stop| *stop).await;
}
