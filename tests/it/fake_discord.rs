//! A fake Discord on 127.0.0.1 for end-to-end tests of the bot's Discord
//! path with a real serenity 0.12.5 client.
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
//! fake.dispatch("INTERACTION_CREATE", slash_command("faq", json!([]), USER_ID, CHANNEL_ID, Some(GUILD_ID))).await;
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
//! # What it serves
//!
//! * `GET /api/v10/gateway` (`{"url": "ws://127.0.0.1:PORT/gateway"}`) and
//!   `GET /api/v10/gateway/bot`.
//! * The gateway websocket at `/gateway` (JSON text frames only): Hello
//!   (op 10), READY on Identify (op 2), ACK (op 11) for heartbeats (op 1),
//!   RESUMED on a Resume (op 6) that names the current session (otherwise
//!   op 9 Invalid Session). Every frame the client sends is recorded
//!   ([`FakeDiscord::gateway_frames`]). One connection is live at a time.
//! * REST under `/api/v10`, every request recorded as a [`Request`]:
//!   - `GET /users/@me`, `GET /oauth2/applications/@me`, `GET /applications/@me`;
//!   - `PUT|GET /applications/{APP_ID}/commands` and
//!     `PUT|GET /applications/{APP_ID}/guilds/{guild}/commands` (bulk
//!     overwrite echoes the commands back with ids; see
//!     [`FakeDiscord::registered_commands`]);
//!   - `POST /interactions/{id}/{token}/callback` (204);
//!   - `GET|PATCH|DELETE /webhooks/{APP_ID}/{token}/messages/@original`,
//!     `POST /webhooks/{APP_ID}/{token}` and
//!     `GET|PATCH|DELETE /webhooks/{APP_ID}/{token}/messages/{id}`;
//!   - `POST /channels/{id}/messages`, `GET|PATCH|DELETE
//!     /channels/{id}/messages/{id}`, `POST /channels/{id}/typing`,
//!     `PUT|DELETE /channels/{id}/messages/{id}/reactions/{emoji}/@me`;
//!   - anything else: 404 `{"code": 0, "message": "..."}`, recorded with
//!     `routed == false` (see [`FakeDiscord::unrouted`]).
//!
//! # Discord's rules it enforces (so the bot's mistakes show up)
//!
//! * Interactions are known only once [`FakeDiscord::dispatch`]ed. A
//!   callback for an unknown id/token gets 404 code 10062 (Unknown
//!   interaction); a second callback for one interaction gets 400 code
//!   40060 (already acknowledged); webhook (follow-up / `@original`) calls
//!   on a token that is unknown or not yet acknowledged get 404 code 10015
//!   (Unknown Webhook); `@original` that does not exist gets 404 code 10008.
//! * A wrong application id in a path gets 404 code 10002.
//! * A message (channel message, follow-up, callback type 4/7) with no
//!   content, embeds or components gets 400 code 50006; content over 2000
//!   characters gets 400 code 50035.
//!
//! # Failure injection
//!
//! [`FakeDiscord::fail_next`] makes the next request matching a method and
//! a path pattern (`*` matches one segment) fail with a [`Failure`]. With
//! the proxy set up as above serenity's ratelimiter is off, so a 429 comes
//! back to the bot as an HTTP error, not as a retry; through
//! [`FakeDiscord::direct_http`] the ratelimiter sleeps `retry-after` and
//! sends the request again (see [`Request::received`] for timing it).
//!
//! # Payload helpers
//!
//! [`slash_command`], [`autocomplete`], [`message_command`],
//! [`context_menu_command`], [`component`] build `INTERACTION_CREATE`
//! payloads, [`message`] a `MESSAGE_CREATE` payload, with every field
//! serenity 0.12.5 requires. [`FakeDiscord::dispatch`] checks each payload
//! with serenity's own deserializer first ([`check_event`]): serenity turns
//! a known event with a missing field silently into `Event::Unknown`, and
//! no handler runs.
//!
//! Dropping the [`FakeDiscord`] (or [`FakeDiscord::shutdown`]) stops the
//! server and closes the gateway connection.

// A shared harness: not every test uses every helper.
#![allow(dead_code)]

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::ws::{CloseFrame, Message as WsMessage, WebSocket, WebSocketUpgrade};
use axum::extract::State as AxumState;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde_json::{json, Map, Value};
use serenity::all::HttpBuilder;
use serenity::model::event::Event;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio_rustls::TlsAcceptor;

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

/// VIEW_CHANNEL | SEND_MESSAGES | EMBED_LINKS | READ_MESSAGE_HISTORY |
/// ADD_REACTIONS | USE_EXTERNAL_EMOJIS.
const APP_PERMISSIONS: &str = "347200";
const MAX_CONTENT: usize = 2000;

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
    /// Guild ids listed (as unavailable) in READY. Default none.
    pub ready_guilds: Vec<u64>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            heartbeat_interval_ms: 45_000,
            ready_guilds: Vec::new(),
        }
    }
}

/// One REST request the fake received, and what it answered.
#[derive(Clone, Debug)]
pub struct Request {
    /// Position in [`FakeDiscord::requests`].
    pub index: usize,
    /// `GET`, `POST`, ...
    pub method: String,
    /// The path without the `/api/v10` prefix, e.g. `/channels/1/messages`
    /// (paths outside `/api/v10` are kept whole).
    pub path: String,
    /// The raw query without `?` (serenity writes `&k=v&...`).
    pub query: String,
    /// Header names in lower case.
    pub headers: Vec<(String, String)>,
    /// The body parsed as JSON; `Null` when empty or not JSON (multipart).
    pub body: Value,
    /// The body as text (lossy).
    pub raw_body: String,
    /// The status the fake answered.
    pub status: u16,
    /// The JSON the fake answered (`Null` for 204).
    pub response: Value,
    /// False when no route matched (the catch-all answered 404).
    pub routed: bool,
    /// When the fake received it (e.g. to check that a retry waited for
    /// `retry-after`).
    pub received: Instant,
    /// True when it came over TLS (see [`FakeDiscord::start_tls`]), false
    /// when over plain HTTP (the proxy set-up).
    pub tls: bool,
}

impl Request {
    /// Method and path match; in `pattern` a `*` segment matches any one
    /// segment: `r.is("POST", "/interactions/*/*/callback")`.
    pub fn is(&self, method: &str, pattern: &str) -> bool {
        self.method.eq_ignore_ascii_case(method) && path_matches(pattern, &self.path)
    }

    /// Path segment `i` (0-based, without the API prefix): for
    /// `/channels/42/messages`, `segment(1) == Some("42")`.
    pub fn segment(&self, i: usize) -> Option<&str> {
        self.path.trim_start_matches('/').split('/').nth(i)
    }

    /// A query parameter's value (not percent-decoded).
    pub fn query_param(&self, key: &str) -> Option<&str> {
        self.query
            .split('&')
            .filter_map(|kv| kv.split_once('='))
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v)
    }

    /// A header's value; `name` is matched case-insensitively.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// One frame the client sent on the gateway.
#[derive(Clone, Debug)]
pub struct GatewayFrame {
    /// 1 for the first websocket connection, 2 for the next, ...
    pub connection: usize,
    pub op: u64,
    pub d: Value,
}

/// An error answer for [`FakeDiscord::fail_next`].
#[derive(Clone, Debug)]
pub struct Failure {
    pub status: u16,
    pub body: Value,
    pub headers: Vec<(String, String)>,
}

impl Failure {
    /// Any status with a JSON body (give it `code` and `message`, or
    /// serenity reports a decode error instead of the Discord error).
    pub fn new(status: u16, body: Value) -> Self {
        Self {
            status,
            body,
            headers: Vec::new(),
        }
    }

    /// 403 `{"code": 50013, "message": "Missing Permissions"}`.
    pub fn missing_permissions() -> Self {
        Self::new(
            403,
            json!({"code": 50013, "message": "Missing Permissions"}),
        )
    }

    /// 403 `{"code": 50001, "message": "Missing Access"}`.
    pub fn missing_access() -> Self {
        Self::new(403, json!({"code": 50001, "message": "Missing Access"}))
    }

    /// 404 `{"code": 10008, "message": "Unknown Message"}`.
    pub fn unknown_message() -> Self {
        Self::new(404, json!({"code": 10008, "message": "Unknown Message"}))
    }

    /// 500 `{"code": 0, "message": "500: Internal Server Error"}`.
    pub fn server_error() -> Self {
        Self::new(
            500,
            json!({"code": 0, "message": "500: Internal Server Error"}),
        )
    }

    /// 429 as Discord sends it for a per-route limit: `retry-after` and
    /// `x-ratelimit-*` headers and `{"message": "You are being rate
    /// limited.", "retry_after": s, "global": false}`. That body has no
    /// `code`, so with the ratelimiter off serenity reports status 429 with a
    /// decode error (code -1); with it on, serenity sleeps `retry-after` and
    /// sends the request again.
    ///
    /// No `x-ratelimit-global` header: Discord sends it only on a global
    /// limit, and serenity 0.12.5 takes any value of it (even `false`) as
    /// a global limit.
    pub fn rate_limited(retry_after_secs: f64) -> Self {
        Self::new(
            429,
            json!({
                "message": "You are being rate limited.",
                "retry_after": retry_after_secs,
                "global": false,
            }),
        )
        .with_header("retry-after", &retry_after_secs.to_string())
        .with_header("x-ratelimit-limit", "5")
        .with_header("x-ratelimit-remaining", "0")
        .with_header("x-ratelimit-reset-after", &retry_after_secs.to_string())
        .with_header("x-ratelimit-bucket", "fake-bucket")
        .with_header("x-ratelimit-scope", "user")
    }

    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }
}

/// The running fake. Dropping it stops the server.
pub struct FakeDiscord {
    shared: Arc<Shared>,
    /// The plain HTTP server, and the TLS one when started with TLS.
    servers: Vec<JoinHandle<()>>,
    tls: Option<TlsSide>,
}

/// The TLS side of a [`FakeDiscord::start_tls`] fake.
struct TlsSide {
    addr: SocketAddr,
    /// The self-signed certificate for [`DISCORD_HOST`] it presents.
    cert: CertificateDer<'static>,
}

struct Shared {
    addr: SocketAddr,
    options: Options,
    state: watch::Sender<State>,
    shutdown: watch::Sender<bool>,
}

#[derive(Default)]
struct State {
    requests: Vec<Request>,
    failures: Vec<(String, String, Failure)>,
    frames: Vec<GatewayFrame>,
    connections: usize,
    conn: Option<Conn>,
    sessions: u64,
    session_id: Option<String>,
    seq: u64,
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

struct Conn {
    id: usize,
    tx: mpsc::UnboundedSender<Outgoing>,
    identified: bool,
    ready: bool,
}

enum Outgoing {
    Text(String),
    Close(u16, String),
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
            options,
            state: watch::channel(State::default()).0,
            shutdown: watch::channel(false).0,
        });
        let app = Router::new()
            .route("/gateway", get(gateway_upgrade))
            .fallback(rest)
            .with_state(shared.clone());
        let mut servers = Vec::new();
        let mut tls = None;
        if with_tls {
            let (listener, side) = TlsListener::bind().await;
            tls = Some(side);
            // Requests tell the two sides apart by this extension.
            let app = app.clone().layer(axum::Extension(Transport::Tls));
            let mut stop = shared.shutdown.subscribe();
            servers.push(tokio::spawn(async move {
                let serve = axum::serve(listener, app).with_graceful_shutdown(async move {
                    stopped(&mut stop).await;
                });
                if let Err(err) = serve.await {
                    eprintln!("fake Discord TLS server error: {err}");
                }
            }));
        }
        let mut stop = shared.shutdown.subscribe();
        servers.push(tokio::spawn(async move {
            let serve = axum::serve(listener, app).with_graceful_shutdown(async move {
                stopped(&mut stop).await;
            });
            if let Err(err) = serve.await {
                eprintln!("fake Discord server error: {err}");
            }
        }));
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

    /// A reqwest client (the 0.12 serenity uses) for which `discord.com` is
    /// this fake's TLS side: `https://discord.com/...` reaches the fake,
    /// with the certificate checked against the one made for this run (and
    /// no built-in roots); every other host name fails to resolve, and no
    /// system proxy is used. Panics unless started with [`Self::start_tls`].
    pub fn direct_client(&self) -> reqwest::Client {
        let tls = self
            .tls
            .as_ref()
            .expect("direct_client needs a fake started with FakeDiscord::start_tls");
        let cert = reqwest::Certificate::from_der(tls.cert.as_ref())
            .expect("reqwest reads the fake's certificate");
        reqwest::Client::builder()
            .use_rustls_tls()
            .tls_built_in_root_certs(false)
            .add_root_certificate(cert)
            .https_only(true)
            .no_proxy()
            .resolve(DISCORD_HOST, tls.addr)
            .dns_resolver(Arc::new(NoDns))
            .connect_timeout(DEFAULT_TIMEOUT)
            .timeout(DEFAULT_TIMEOUT * 2)
            .build()
            .expect("reqwest builds the client for the fake")
    }

    /// An `HttpBuilder` for the real HTTP path: no proxy, serenity's
    /// ratelimiter on, and [`Self::direct_client`] as its client, so REST
    /// goes to `https://discord.com/api/v10/...` on the fake's TLS side.
    /// Panics unless started with [`Self::start_tls`].
    pub fn direct_http(&self, token: &str) -> HttpBuilder {
        HttpBuilder::new(token).client(self.direct_client())
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

    // ----- Gateway -----

    /// How many websocket connections the gateway has accepted.
    pub fn connections(&self) -> usize {
        self.shared.state.borrow().connections
    }

    /// Every frame the client sent, in order.
    pub fn gateway_frames(&self) -> Vec<GatewayFrame> {
        self.shared.state.borrow().frames.clone()
    }

    /// The `d` of every Identify (op 2).
    pub fn identifies(&self) -> Vec<Value> {
        self.frames_with_op(2)
    }

    /// The `d` of every Resume (op 6).
    pub fn resumes(&self) -> Vec<Value> {
        self.frames_with_op(6)
    }

    /// The session id sent in the last READY.
    pub fn session_id(&self) -> Option<String> {
        self.shared.state.borrow().session_id.clone()
    }

    /// Waits until a connection has received READY (or RESUMED) and is
    /// still open.
    pub async fn wait_until_ready(&self, timeout: Duration) -> Result<(), String> {
        self.wait_until(timeout, || {
            let state = self.shared.state.borrow();
            state.conn.as_ref().filter(|c| c.ready).map(|_| ())
        })
        .await
        .map_err(|()| {
            format!(
                "no bot ready on the fake gateway within {timeout:?} \
                     (connections: {}, frames: {:?})",
                self.connections(),
                self.gateway_frames()
                    .iter()
                    .map(|f| f.op)
                    .collect::<Vec<_>>()
            )
        })
    }

    /// The first frame (recorded or to come) that matches.
    pub async fn wait_for_frame(
        &self,
        pred: impl Fn(&GatewayFrame) -> bool,
        timeout: Duration,
    ) -> Result<GatewayFrame, String> {
        self.wait_until(timeout, || {
            self.gateway_frames().into_iter().find(|f| pred(f))
        })
        .await
        .map_err(|()| {
            format!(
                "no matching gateway frame within {timeout:?}; ops so far: {:?}",
                self.gateway_frames()
                    .iter()
                    .map(|f| (f.connection, f.op))
                    .collect::<Vec<_>>()
            )
        })
    }

    /// Sends a dispatch (op 0, next sequence number) to the connected bot,
    /// waiting up to [`DEFAULT_TIMEOUT`] for one to be ready. Panics if the
    /// payload would become serenity's `Event::Unknown` (see
    /// [`check_event`]) or no bot is ready. Returns the sequence number.
    pub async fn dispatch(&self, event: &str, data: Value) -> u64 {
        match self.try_dispatch(event, data, DEFAULT_TIMEOUT).await {
            Ok(seq) => seq,
            Err(err) => panic!("dispatch {event}: {err}"),
        }
    }

    /// [`Self::dispatch`] returning errors instead of panicking.
    pub async fn try_dispatch(
        &self,
        event: &str,
        data: Value,
        timeout: Duration,
    ) -> Result<u64, String> {
        check_event(event, &data)?;
        self.dispatch_unchecked(event, data, timeout).await
    }

    /// Sends a dispatch without checking that serenity can parse it.
    pub async fn dispatch_unchecked(
        &self,
        event: &str,
        data: Value,
        timeout: Duration,
    ) -> Result<u64, String> {
        self.wait_until_ready(timeout).await?;
        let mut result = Err("the gateway connection went away".to_string());
        self.shared.state.send_modify(|s| {
            let Some(conn) = s.conn.as_ref().filter(|c| c.ready) else {
                return;
            };
            let seq = s.seq + 1;
            let frame = json!({"op": 0, "s": seq, "t": event, "d": data});
            if conn.tx.send(Outgoing::Text(frame.to_string())).is_err() {
                return;
            }
            s.seq = seq;
            remember_dispatch(s, event, &data);
            result = Ok(seq);
        });
        result
    }

    /// Closes the live gateway connection with `code` (e.g. 4000: the client
    /// reconnects and resumes; 4004 and 4010-4014 are fatal to serenity).
    /// Waits up to [`DEFAULT_TIMEOUT`] for a ready connection.
    pub async fn close_gateway(&self, code: u16) -> Result<(), String> {
        self.wait_until_ready(DEFAULT_TIMEOUT).await?;
        let mut result = Err("the gateway connection went away".to_string());
        self.shared.state.send_modify(|s| {
            if let Some(conn) = s.conn.as_mut() {
                conn.ready = false;
                let reason = format!("fake Discord closed with {code}");
                if conn.tx.send(Outgoing::Close(code, reason)).is_ok() {
                    result = Ok(());
                }
            }
        });
        result
    }

    /// Stops the server and closes the gateway connection, waiting (up to
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

    fn frames_with_op(&self, op: u64) -> Vec<Value> {
        let state = self.shared.state.borrow();
        state
            .frames
            .iter()
            .filter(|f| f.op == op)
            .map(|f| f.d.clone())
            .collect()
    }

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

async fn stopped(rx: &mut watch::Receiver<bool>) {
    // An error means the sender is gone: stop as well.
    let _ = rx.wait_for(|stop| *stop).await;
}

// ===================== TLS side =====================

/// Which side a request came in on (an extension on the TLS router only).
#[derive(Clone, Copy, Debug)]
enum Transport {
    Tls,
}

/// A listener that hands axum TLS streams: TCP on 127.0.0.1, then a rustls
/// handshake (one at a time, bounded by [`DEFAULT_TIMEOUT`]) with a
/// self-signed certificate for [`DISCORD_HOST`].
struct TlsListener {
    tcp: TcpListener,
    acceptor: TlsAcceptor,
}

impl TlsListener {
    async fn bind() -> (Self, TlsSide) {
        let certified = rcgen::generate_simple_self_signed(vec![DISCORD_HOST.to_string()])
            .expect("rcgen makes a certificate for discord.com");
        let cert = certified.cert.der().clone();
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
            certified.signing_key.serialize_der(),
        ));
        // ring, as reqwest (through serenity) uses; named, so no process-wide
        // default provider is needed.
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("rustls protocol versions")
            .with_no_client_auth()
            .with_single_cert(vec![cert.clone()], key)
            .expect("rustls takes the certificate and key");
        // The fake's axum serves HTTP/1.1 only.
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        let tcp = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("fake Discord binds 127.0.0.1:0 for TLS");
        let addr = tcp.local_addr().expect("bound TLS address");
        let listener = Self {
            tcp,
            acceptor: TlsAcceptor::from(Arc::new(config)),
        };
        (listener, TlsSide { addr, cert })
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = tokio_rustls::server::TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let (tcp, peer) = match self.tcp.accept().await {
                Ok(accepted) => accepted,
                Err(err) => {
                    eprintln!("fake Discord: TLS accept failed: {err}");
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            };
            match tokio::time::timeout(DEFAULT_TIMEOUT, self.acceptor.accept(tcp)).await {
                Ok(Ok(stream)) => return (stream, peer),
                Ok(Err(err)) => eprintln!("fake Discord: TLS handshake with {peer} failed: {err}"),
                Err(_) => eprintln!("fake Discord: TLS handshake with {peer} timed out"),
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.tcp.local_addr()
    }
}

/// The DNS of [`FakeDiscord::direct_client`] for every name but
/// [`DISCORD_HOST`] (which `resolve` overrides): none, so nothing can leave
/// 127.0.0.1.
struct NoDns;

impl reqwest::dns::Resolve for NoDns {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let name = name.as_str().to_string();
        Box::pin(async move {
            Err(
                format!("fake Discord: {name} does not resolve in tests (only {DISCORD_HOST})")
                    .into(),
            )
        })
    }
}

/// `*` in `pattern` matches exactly one segment.
fn path_matches(pattern: &str, path: &str) -> bool {
    let mut pat = pattern.trim_matches('/').split('/');
    let mut segs = path.trim_matches('/').split('/');
    loop {
        match (pat.next(), segs.next()) {
            (None, None) => return true,
            (Some(p), Some(s)) if p == "*" || p == s => {}
            _ => return false,
        }
    }
}

/// Errors if serenity 0.12.5 would not turn this dispatch into the event it
/// names (it silently makes it `Event::Unknown` when a field is missing).
pub fn check_event(event: &str, data: &Value) -> Result<(), String> {
    let parsed: Event = serde_json::from_value(json!({"t": event, "d": data}))
        .map_err(|e| format!("serenity cannot parse {event}: {e}"))?;
    if !matches!(parsed, Event::Unknown(_)) {
        return Ok(());
    }
    let concrete = match event {
        "INTERACTION_CREATE" => serde_json::from_value::<serenity::all::Interaction>(data.clone())
            .err()
            .map(|e| format!("as Interaction: {e}")),
        "MESSAGE_CREATE" => serde_json::from_value::<serenity::all::Message>(data.clone())
            .err()
            .map(|e| format!("as Message: {e}")),
        "READY" => serde_json::from_value::<serenity::all::Ready>(data.clone())
            .err()
            .map(|e| format!("as Ready: {e}")),
        "GUILD_CREATE" => serde_json::from_value::<serenity::all::Guild>(data.clone())
            .err()
            .map(|e| format!("as Guild: {e}")),
        _ => None,
    };
    Err(format!(
        "serenity would parse {event} as Event::Unknown and run no handler{}",
        concrete.map(|c| format!(" ({c})")).unwrap_or_default()
    ))
}

/// Keeps what later REST calls need to know about a dispatched event.
fn remember_dispatch(s: &mut State, event: &str, data: &Value) {
    match event {
        "INTERACTION_CREATE" => {
            let (Some(id), Some(token)) = (str_field(data, "id"), str_field(data, "token")) else {
                return;
            };
            s.interactions.insert(
                token,
                KnownInteraction {
                    id,
                    channel_id: str_field(data, "channel_id").unwrap_or_default(),
                    guild_id: str_field(data, "guild_id"),
                    message: data.get("message").cloned(),
                },
            );
        }
        "MESSAGE_CREATE" => {
            if let Some(id) = str_field(data, "id") {
                s.messages.insert(id, data.clone());
            }
        }
        _ => {}
    }
}

/// A string or integer field as a string.
fn str_field(v: &Value, key: &str) -> Option<String> {
    match v.get(key)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn now() -> String {
    serenity::all::Timestamp::now().to_string()
}

// ===================== REST =====================

struct Reply {
    status: u16,
    body: Value,
    headers: Vec<(String, String)>,
    routed: bool,
}

impl Reply {
    fn ok(body: Value) -> Self {
        Self {
            status: 200,
            body,
            headers: Vec::new(),
            routed: true,
        }
    }

    fn no_content() -> Self {
        Self {
            status: 204,
            body: Value::Null,
            headers: Vec::new(),
            routed: true,
        }
    }

    fn error(status: u16, code: u64, message: &str) -> Self {
        Self {
            status,
            body: json!({"code": code, "message": message}),
            headers: Vec::new(),
            routed: true,
        }
    }

    fn unrouted(method: &str, path: &str) -> Self {
        Self {
            status: 404,
            body: json!({
                "code": 0,
                "message": format!("404: Not Found (fake Discord has no route for {method} {path})"),
            }),
            headers: Vec::new(),
            routed: false,
        }
    }

    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = if status == StatusCode::NO_CONTENT {
            status.into_response()
        } else {
            (status, axum::Json(self.body)).into_response()
        };
        for (name, value) in self.headers {
            if let (Ok(name), Ok(value)) = (
                HeaderName::from_bytes(name.as_bytes()),
                HeaderValue::from_str(&value),
            ) {
                response.headers_mut().insert(name, value);
            }
        }
        response
    }
}

async fn rest(
    AxumState(shared): AxumState<Arc<Shared>>,
    transport: Option<axum::Extension<Transport>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let received = Instant::now();
    let full_path = uri.path();
    let (api, path) = match full_path.strip_prefix("/api/v10") {
        Some(rest) if rest.starts_with('/') => (true, rest.to_string()),
        _ => (false, full_path.to_string()),
    };
    let mut request = Request {
        index: 0,
        method: method.as_str().to_string(),
        path,
        query: uri.query().unwrap_or("").to_string(),
        headers: headers
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body: serde_json::from_slice(&body).unwrap_or(Value::Null),
        raw_body: String::from_utf8_lossy(&body).into_owned(),
        status: 0,
        response: Value::Null,
        routed: true,
        received,
        tls: matches!(transport, Some(axum::Extension(Transport::Tls))),
    };
    let mut reply = None;
    shared.state.send_modify(|s| {
        let injected = s
            .failures
            .iter()
            .position(|(m, p, _)| request.is(m, p))
            .map(|i| s.failures.remove(i).2);
        let answer = match injected {
            Some(f) => Reply {
                status: f.status,
                body: f.body,
                headers: f.headers,
                routed: true,
            },
            None if api => route(s, &shared, &request),
            None => Reply::unrouted(&request.method, &request.path),
        };
        request.index = s.requests.len();
        request.status = answer.status;
        request.routed = answer.routed;
        request.response = answer.body.clone();
        s.requests.push(request.clone());
        reply = Some(answer);
    });
    reply
        .unwrap_or_else(|| Reply::error(500, 0, "fake Discord lost the request"))
        .into_response()
}

fn route(s: &mut State, shared: &Shared, req: &Request) -> Reply {
    let segs: Vec<&str> = req.path.trim_matches('/').split('/').collect();
    let app = APP_ID.to_string();
    let wrong_app = |a: &str| a != app;
    let body = &req.body;
    match (req.method.as_str(), segs.as_slice()) {
        ("GET", ["gateway"]) => Reply::ok(json!({"url": shared.gateway_url()})),
        ("GET", ["gateway", "bot"]) => Reply::ok(json!({
            "url": shared.gateway_url(),
            "shards": 1,
            "session_start_limit": {
                "total": 1000, "remaining": 999, "reset_after": 14_400_000, "max_concurrency": 1,
            },
        })),
        ("GET", ["users", "@me"]) => Reply::ok(bot_user()),
        ("GET", ["oauth2", "applications", "@me"] | ["applications", "@me"]) => {
            Reply::ok(application())
        }
        (_, ["applications", a, ..]) if wrong_app(a) => {
            Reply::error(404, 10002, "Unknown Application")
        }
        ("PUT", ["applications", _, "commands"]) => overwrite_commands(s, body, None),
        ("PUT", ["applications", _, "guilds", guild, "commands"]) => {
            overwrite_commands(s, body, Some(guild))
        }
        ("GET", ["applications", _, "commands"]) => Reply::ok(Value::Array(
            s.commands.get(&None).cloned().unwrap_or_default(),
        )),
        ("GET", ["applications", _, "guilds", guild, "commands"]) => Reply::ok(Value::Array(
            s.commands
                .get(&Some(guild.to_string()))
                .cloned()
                .unwrap_or_default(),
        )),
        ("POST", ["interactions", id, token, "callback"]) => callback(s, id, token, body),
        (_, ["webhooks", a, ..]) if wrong_app(a) => Reply::error(404, 10015, "Unknown Webhook"),
        (m, ["webhooks", _, token, "messages", "@original"]) => original(s, m, token, body),
        ("POST", ["webhooks", _, token]) => create_followup(s, token, body),
        (m @ ("GET" | "PATCH" | "DELETE"), ["webhooks", _, token, "messages", id]) => {
            if !s.interactions.contains_key(*token) {
                return Reply::error(404, 10015, "Unknown Webhook");
            }
            stored_message(s, m, id, body)
        }
        ("POST", ["channels", channel, "messages"]) => create_channel_message(s, channel, body),
        (m @ ("GET" | "PATCH" | "DELETE"), ["channels", _, "messages", id]) => {
            stored_message(s, m, id, body)
        }
        ("POST", ["channels", _, "typing"]) => Reply::no_content(),
        ("PUT" | "DELETE", ["channels", _, "messages", _, "reactions", _, "@me"]) => {
            Reply::no_content()
        }
        _ => Reply::unrouted(&req.method, &req.path),
    }
}

fn overwrite_commands(s: &mut State, body: &Value, guild: Option<&str>) -> Reply {
    let Some(commands) = body.as_array() else {
        return Reply::error(
            400,
            50035,
            "Invalid Form Body (expected an array of commands)",
        );
    };
    let mut echoed = Vec::new();
    for command in commands {
        let Some(fields) = command.as_object() else {
            return Reply::error(400, 50035, "Invalid Form Body (expected a command object)");
        };
        if !fields.get("name").is_some_and(Value::is_string) {
            return Reply::error(400, 50035, "Invalid Form Body (command without a name)");
        }
        let mut c = fields.clone();
        c.entry("id")
            .or_insert_with(|| json!(snowflake().to_string()));
        c.insert("application_id".into(), json!(APP_ID.to_string()));
        c.insert("version".into(), json!(snowflake().to_string()));
        c.entry("type").or_insert(json!(1));
        c.entry("description").or_insert(json!(""));
        c.entry("default_member_permissions").or_insert(Value::Null);
        c.entry("nsfw").or_insert(json!(false));
        match guild {
            Some(g) => {
                c.insert("guild_id".into(), json!(g));
            }
            None => {
                c.entry("dm_permission").or_insert(json!(true));
            }
        }
        echoed.push(Value::Object(c));
    }
    s.commands.insert(guild.map(str::to_string), echoed.clone());
    Reply::ok(Value::Array(echoed))
}

fn callback(s: &mut State, id: &str, token: &str, body: &Value) -> Reply {
    let Some(ix) = s.interactions.get(token).filter(|ix| ix.id == id).cloned() else {
        return Reply::error(404, 10062, "Unknown interaction");
    };
    if s.acknowledged.contains(id) {
        return Reply::error(400, 40060, "Interaction has already been acknowledged.");
    }
    let data = body.get("data").cloned().unwrap_or(Value::Null);
    let original =
        match body.get("type").and_then(Value::as_u64) {
            Some(4) => {
                if let Err(reply) = check_message_body(&data) {
                    return reply;
                }
                let mut m = new_message(&ix.channel_id, ix.guild_id.as_deref(), bot_user(), &data);
                mark_interaction_message(&mut m, 20);
                Some(m)
            }
            Some(5) => {
                let ephemeral = data.get("flags").and_then(Value::as_u64).unwrap_or(0) & 64;
                let mut m = new_message(
                    &ix.channel_id,
                    ix.guild_id.as_deref(),
                    bot_user(),
                    &json!({"flags": 128 | ephemeral}),
                );
                mark_interaction_message(&mut m, 20);
                Some(m)
            }
            Some(6) => ix.message.clone(),
            Some(7) => {
                if let Err(reply) = check_message_body(&data) {
                    return reply;
                }
                match ix.message.clone() {
                    Some(mut m) => {
                        apply_edit(&mut m, &data);
                        if let Some(mid) = str_field(&m, "id") {
                            s.messages.insert(mid, m.clone());
                        }
                        Some(m)
                    }
                    None => return Reply::error(
                        400,
                        50035,
                        "Invalid Form Body (UPDATE_MESSAGE for an interaction without a message)",
                    ),
                }
            }
            Some(1 | 8 | 9) => None,
            _ => {
                return Reply::error(
                    400,
                    50035,
                    "Invalid Form Body (bad interaction callback type)",
                )
            }
        };
    s.acknowledged.insert(id.to_string());
    if let Some(m) = original {
        s.originals.insert(token.to_string(), m);
    }
    Reply::no_content()
}

fn original(s: &mut State, method: &str, token: &str, body: &Value) -> Reply {
    let known = s
        .interactions
        .get(token)
        .is_some_and(|ix| s.acknowledged.contains(&ix.id));
    if !known {
        return Reply::error(404, 10015, "Unknown Webhook");
    }
    let Some(message) = s.originals.get_mut(token) else {
        return Reply::error(404, 10008, "Unknown Message");
    };
    match method {
        "GET" => Reply::ok(message.clone()),
        "PATCH" => edit_message(message, body),
        "DELETE" => {
            s.originals.remove(token);
            Reply::no_content()
        }
        _ => Reply::error(405, 0, "405: Method Not Allowed"),
    }
}

fn create_followup(s: &mut State, token: &str, body: &Value) -> Reply {
    let Some(ix) = s
        .interactions
        .get(token)
        .filter(|ix| s.acknowledged.contains(&ix.id))
        .cloned()
    else {
        return Reply::error(404, 10015, "Unknown Webhook");
    };
    if let Err(reply) = check_message_body(body) {
        return reply;
    }
    let mut m = new_message(&ix.channel_id, ix.guild_id.as_deref(), bot_user(), body);
    mark_interaction_message(&mut m, 0);
    if let Some(id) = str_field(&m, "id") {
        s.messages.insert(id, m.clone());
    }
    Reply::ok(m)
}

fn create_channel_message(s: &mut State, channel: &str, body: &Value) -> Reply {
    if let Err(reply) = check_message_body(body) {
        return reply;
    }
    let guild = s
        .messages
        .values()
        .find(|m| str_field(m, "channel_id").as_deref() == Some(channel))
        .and_then(|m| str_field(m, "guild_id"));
    let mut m = new_message(channel, None, bot_user(), body);
    if let Some(reference) = body.get("message_reference").filter(|r| r.is_object()) {
        let mut reference = reference.clone();
        if let Some(r) = reference.as_object_mut() {
            r.entry("channel_id").or_insert(json!(channel));
            if let Some(g) = &guild {
                r.entry("guild_id").or_insert(json!(g));
            }
        }
        let referenced = str_field(&reference, "message_id")
            .and_then(|id| s.messages.get(&id).cloned())
            .unwrap_or(Value::Null);
        m["message_reference"] = reference;
        m["referenced_message"] = referenced;
        m["type"] = json!(19);
    }
    if let Some(id) = str_field(&m, "id") {
        s.messages.insert(id, m.clone());
    }
    Reply::ok(m)
}

fn stored_message(s: &mut State, method: &str, id: &str, body: &Value) -> Reply {
    let Some(message) = s.messages.get_mut(id) else {
        return Reply::error(404, 10008, "Unknown Message");
    };
    let by_bot = str_field(&message["author"], "id") == Some(BOT_USER_ID.to_string());
    match method {
        "GET" => Reply::ok(message.clone()),
        "PATCH" if !by_bot => {
            Reply::error(403, 50005, "Cannot edit a message authored by another user")
        }
        "PATCH" => edit_message(message, body),
        "DELETE" => {
            s.messages.remove(id);
            Reply::no_content()
        }
        _ => Reply::error(405, 0, "405: Method Not Allowed"),
    }
}

/// Discord's checks on a message body: something to show, content within
/// 2000 characters.
fn check_message_body(body: &Value) -> Result<(), Reply> {
    let content = body.get("content").and_then(Value::as_str).unwrap_or("");
    let non_empty = |key: &str| {
        body.get(key)
            .and_then(Value::as_array)
            .is_some_and(|a| !a.is_empty())
    };
    if content.is_empty()
        && !non_empty("embeds")
        && !non_empty("components")
        && !non_empty("attachments")
        && !non_empty("sticker_ids")
    {
        return Err(Reply::error(400, 50006, "Cannot send an empty message"));
    }
    let chars = content.chars().count();
    if chars > MAX_CONTENT {
        let mut reply = Reply::error(400, 50035, "Invalid Form Body");
        reply.body["errors"] = json!({"content": {"_errors": [{
            "code": "BASE_TYPE_MAX_LENGTH",
            "message": format!("Must be {MAX_CONTENT} or fewer in length. (got {chars})"),
        }]}});
        return Err(reply);
    }
    Ok(())
}

/// A Message object with every field serenity requires, filled from a
/// create-message body (`content`, `embeds`, `components`, `tts`, `flags`).
fn new_message(channel_id: &str, guild_id: Option<&str>, author: Value, body: &Value) -> Value {
    let embeds: Vec<Value> = body
        .get("embeds")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .map(|mut e| {
            if let Some(o) = e.as_object_mut() {
                o.entry("type").or_insert(json!("rich"));
            }
            e
        })
        .collect();
    let mut m = json!({
        "id": snowflake().to_string(),
        "channel_id": channel_id,
        "author": author,
        "content": body.get("content").and_then(Value::as_str).unwrap_or(""),
        "timestamp": now(),
        "edited_timestamp": null,
        "tts": body.get("tts").and_then(Value::as_bool).unwrap_or(false),
        "mention_everyone": false,
        "mentions": [],
        "mention_roles": [],
        "attachments": [],
        "embeds": embeds,
        "components": body.get("components").cloned().unwrap_or(json!([])),
        "reactions": [],
        "pinned": false,
        "type": 0,
        "flags": body.get("flags").and_then(Value::as_u64).unwrap_or(0),
    });
    if let Some(g) = guild_id {
        m["guild_id"] = json!(g);
    }
    m
}

fn mark_interaction_message(m: &mut Value, kind: u64) {
    m["webhook_id"] = json!(APP_ID.to_string());
    m["application_id"] = json!(APP_ID.to_string());
    m["type"] = json!(kind);
}

/// Applies an edit body (`content`, `embeds`, `components`, `flags`).
fn apply_edit(m: &mut Value, body: &Value) {
    for key in ["content", "embeds", "components", "flags"] {
        if let Some(v) = body.get(key) {
            m[key] = v.clone();
        }
    }
    if let Some(embeds) = m.get_mut("embeds").and_then(Value::as_array_mut) {
        for e in embeds.iter_mut().filter_map(Value::as_object_mut) {
            e.entry("type").or_insert(json!("rich"));
        }
    }
    m["edited_timestamp"] = json!(now());
}

// ===================== Gateway =====================

async fn gateway_upgrade(
    AxumState(shared): AxumState<Arc<Shared>>,
    uri: Uri,
    ws: WebSocketUpgrade,
) -> Response {
    let query = uri.query().unwrap_or("").to_string();
    ws.on_upgrade(move |socket| gateway_session(socket, shared, query))
}

/// What to do after a client frame.
enum Answer {
    Send(String),
    /// Send, then mark the connection ready for dispatches.
    SendReady(String),
    Close(u16, &'static str),
}

async fn gateway_session(mut socket: WebSocket, shared: Arc<Shared>, query: String) {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let mut id = 0;
    shared.state.send_modify(|s| {
        s.connections += 1;
        id = s.connections;
        s.conn = Some(Conn {
            id,
            tx,
            identified: false,
            ready: false,
        });
    });

    if let Some((code, reason)) = bad_gateway_query(&query) {
        close(&mut socket, code, reason).await;
    } else {
        gateway_loop(&mut socket, &shared, id, &mut rx).await;
    }

    shared.state.send_modify(|s| {
        if s.conn.as_ref().is_some_and(|c| c.id == id) {
            s.conn = None;
        }
    });
}

async fn gateway_loop(
    socket: &mut WebSocket,
    shared: &Shared,
    id: usize,
    rx: &mut mpsc::UnboundedReceiver<Outgoing>,
) {
    let hello =
        json!({"op": 10, "d": {"heartbeat_interval": shared.options.heartbeat_interval_ms}});
    if socket
        .send(WsMessage::Text(hello.to_string().into()))
        .await
        .is_err()
    {
        return;
    }
    let mut stop = shared.shutdown.subscribe();
    loop {
        tokio::select! {
            incoming = socket.recv() => {
                let text = match incoming {
                    Some(Ok(WsMessage::Text(text))) => text.to_string(),
                    Some(Ok(WsMessage::Binary(_))) => {
                        close(socket, 4002, "fake Discord speaks JSON text frames only").await;
                        return;
                    }
                    Some(Ok(WsMessage::Ping(_) | WsMessage::Pong(_))) => continue,
                    Some(Ok(WsMessage::Close(_)) | Err(_)) | None => return,
                };
                let mut answers = Vec::new();
                shared.state.send_modify(|s| answers = on_client_frame(s, shared, id, &text));
                for answer in answers {
                    match answer {
                        Answer::Send(text) => {
                            if socket.send(WsMessage::Text(text.into())).await.is_err() {
                                return;
                            }
                        }
                        Answer::SendReady(text) => {
                            if socket.send(WsMessage::Text(text.into())).await.is_err() {
                                return;
                            }
                            shared.state.send_modify(|s| {
                                if let Some(conn) = s.conn.as_mut().filter(|c| c.id == id) {
                                    conn.ready = true;
                                }
                            });
                        }
                        Answer::Close(code, reason) => {
                            close(socket, code, reason).await;
                            return;
                        }
                    }
                }
            }
            outgoing = rx.recv() => match outgoing {
                Some(Outgoing::Text(text)) => {
                    if socket.send(WsMessage::Text(text.into())).await.is_err() {
                        return;
                    }
                }
                Some(Outgoing::Close(code, reason)) => {
                    close(socket, code, &reason).await;
                    return;
                }
                // Replaced by a newer connection.
                None => return,
            },
            () = stopped(&mut stop) => {
                close(socket, 1001, "fake Discord shutting down").await;
                return;
            }
        }
    }
}

async fn close(socket: &mut WebSocket, code: u16, reason: &str) {
    let frame = CloseFrame {
        code,
        reason: reason.to_string().into(),
    };
    let _ = socket.send(WsMessage::Close(Some(frame))).await;
}

/// Discord closes with 4012 for a bad `v` and 4002 for an encoding it
/// cannot speak (here: anything but JSON).
fn bad_gateway_query(query: &str) -> Option<(u16, &'static str)> {
    for (k, v) in query.split('&').filter_map(|kv| kv.split_once('=')) {
        match (k, v) {
            ("v", v) if v != "10" => return Some((4012, "Invalid API version")),
            ("encoding", e) if e != "json" => {
                return Some((4002, "fake Discord speaks encoding=json only"))
            }
            ("compress", _) => return Some((4002, "fake Discord does not compress")),
            _ => {}
        }
    }
    None
}

fn on_client_frame(s: &mut State, shared: &Shared, id: usize, text: &str) -> Vec<Answer> {
    let Ok(frame) = serde_json::from_str::<Value>(text) else {
        return vec![Answer::Close(4002, "Decode error")];
    };
    let op = frame.get("op").and_then(Value::as_u64);
    let d = frame.get("d").cloned().unwrap_or(Value::Null);
    if let Some(op) = op {
        s.frames.push(GatewayFrame {
            connection: id,
            op,
            d: d.clone(),
        });
    }
    match op {
        Some(1) => vec![Answer::Send(json!({"op": 11}).to_string())],
        Some(2) => {
            let Some(conn) = s.conn.as_mut().filter(|c| c.id == id) else {
                return vec![];
            };
            if conn.identified {
                return vec![Answer::Close(4005, "Already authenticated")];
            }
            conn.identified = true;
            s.sessions += 1;
            let session_id = format!("fake-session-{}", s.sessions);
            s.session_id = Some(session_id.clone());
            s.seq = 1;
            let ready = json!({
                "op": 0, "s": 1, "t": "READY",
                "d": ready_payload(&session_id, &shared.gateway_url(), &shared.options.ready_guilds),
            });
            vec![Answer::SendReady(ready.to_string())]
        }
        Some(6) => {
            let matches = s.session_id.is_some() && str_field(&d, "session_id") == s.session_id;
            if let Some(conn) = s.conn.as_mut().filter(|c| c.id == id) {
                conn.identified = matches;
            }
            if matches {
                s.seq += 1;
                let resumed =
                    json!({"op": 0, "s": s.seq, "t": "RESUMED", "d": {"_trace": ["fake-discord"]}});
                vec![Answer::SendReady(resumed.to_string())]
            } else {
                vec![Answer::Send(json!({"op": 9, "d": false}).to_string())]
            }
        }
        // Presence update, voice state, request guild members: recorded only.
        Some(3 | 4 | 8) => vec![],
        _ => vec![Answer::Close(4001, "Unknown opcode")],
    }
}

/// The READY `d` the fake sends.
pub fn ready_payload(session_id: &str, gateway_url: &str, guilds: &[u64]) -> Value {
    let guilds: Vec<Value> = guilds
        .iter()
        .map(|g| json!({"id": g.to_string(), "unavailable": true}))
        .collect();
    json!({
        "v": 10,
        "user": bot_user(),
        "guilds": guilds,
        "session_id": session_id,
        "resume_gateway_url": gateway_url,
        "shard": [0, 1],
        "application": {"id": APP_ID.to_string(), "flags": 0},
        "private_channels": [],
        "relationships": [],
        "presences": [],
        "user_settings": {},
        "_trace": ["fake-discord"],
    })
}

// ===================== Payload helpers =====================

/// A user object.
pub fn user(id: u64, username: &str) -> Value {
    json!({
        "id": id.to_string(),
        "username": username,
        "discriminator": "0",
        "global_name": username,
        "avatar": null,
        "bot": false,
        "public_flags": 0,
    })
}

/// The bot's own user object (as in READY and `/users/@me`).
pub fn bot_user() -> Value {
    json!({
        "id": BOT_USER_ID.to_string(),
        "username": BOT_USERNAME,
        "discriminator": "0",
        "global_name": null,
        "avatar": null,
        "bot": true,
        "system": false,
        "mfa_enabled": false,
        "verified": true,
        "email": null,
        "flags": 0,
        "public_flags": 0,
        "premium_type": 0,
        "banner": null,
        "accent_color": null,
        "locale": "en-US",
    })
}

/// `/oauth2/applications/@me`.
pub fn application() -> Value {
    json!({
        "id": APP_ID.to_string(),
        "name": BOT_USERNAME,
        "icon": null,
        "description": "FAQ bot (fake Discord)",
        "summary": "",
        "type": null,
        "bot_public": true,
        "bot_require_code_grant": false,
        "verify_key": "0".repeat(64),
        "flags": 0,
        "owner": user(USER_ID, "owner"),
        "team": null,
        "bot": bot_user(),
        "rpc_origins": [],
        "tags": [],
        "redirect_uris": [],
        "interactions_endpoint_url": null,
        "approximate_guild_count": 1,
    })
}

fn user_name(id: u64) -> String {
    if id == BOT_USER_ID {
        BOT_USERNAME.to_string()
    } else {
        format!("user{}", id % 10_000)
    }
}

fn user_for(id: u64) -> Value {
    if id == BOT_USER_ID {
        bot_user()
    } else {
        user(id, &user_name(id))
    }
}

fn member(user: Value) -> Value {
    json!({
        "user": user,
        "nick": null,
        "avatar": null,
        "roles": [],
        "joined_at": "2024-01-01T00:00:00.000000+00:00",
        "premium_since": null,
        "deaf": false,
        "mute": false,
        "flags": 0,
        "pending": false,
        "permissions": "2248473465835073",
        "communication_disabled_until": null,
    })
}

/// A string option value for a slash command's `options`.
pub fn string_option(name: &str, value: &str) -> Value {
    json!({"name": name, "type": 3, "value": value})
}

/// The focused option of an autocomplete interaction (what the user typed
/// so far).
pub fn focused_option(name: &str, partial: &str) -> Value {
    json!({"name": name, "type": 3, "value": partial, "focused": true})
}

/// The fields every interaction has; `kind` 2 command, 3 component, 4
/// autocomplete. In a guild the invoker comes as `member`, in DMs as `user`.
fn interaction_base(
    kind: u64,
    data: Value,
    user_id: u64,
    channel_id: u64,
    guild_id: Option<u64>,
) -> Map<String, Value> {
    let id = snowflake();
    let mut ix = json!({
        "id": id.to_string(),
        "application_id": APP_ID.to_string(),
        "type": kind,
        "data": data,
        "channel_id": channel_id.to_string(),
        "token": format!("fake-token-{id}"),
        "version": 1,
        "app_permissions": APP_PERMISSIONS,
        "locale": "en-US",
        "entitlements": [],
        "attachment_size_limit": 26_214_400,
    });
    match guild_id {
        Some(g) => {
            ix["guild_id"] = json!(g.to_string());
            ix["guild_locale"] = json!("en-US");
            ix["member"] = member(user_for(user_id));
            ix["channel"] = json!({
                "id": channel_id.to_string(), "type": 0, "name": "faq", "guild_id": g.to_string(),
            });
            ix["authorizing_integration_owners"] = json!({"0": g.to_string()});
            ix["context"] = json!(0);
        }
        None => {
            ix["user"] = user_for(user_id);
            ix["channel"] = json!({"id": channel_id.to_string(), "type": 1});
            ix["authorizing_integration_owners"] = json!({"0": "0"});
            ix["context"] = json!(1);
        }
    }
    match ix {
        Value::Object(map) => map,
        _ => unreachable!("json! object"),
    }
}

/// `INTERACTION_CREATE` for slash command `/name`; `options` is the
/// `data.options` array (e.g. `json!([string_option("question", "how?")])`).
pub fn slash_command(
    name: &str,
    options: Value,
    user_id: u64,
    channel_id: u64,
    guild_id: Option<u64>,
) -> Value {
    let data = json!({"id": command_id(name), "name": name, "type": 1, "options": options});
    Value::Object(interaction_base(2, data, user_id, channel_id, guild_id))
}

/// `interaction` (from [`slash_command`] and the like, in a guild) with
/// its invoker's channel permissions and roles replaced, e.g. to test
/// moderator-only commands (the default member has neither Manage Server
/// nor any role).
pub fn with_member_rights(mut interaction: Value, permissions: u64, roles: &[u64]) -> Value {
    if let Some(member) = interaction.get_mut("member") {
        member["permissions"] = json!(permissions.to_string());
        member["roles"] = json!(roles.iter().map(u64::to_string).collect::<Vec<_>>());
    }
    interaction
}

/// `INTERACTION_CREATE` type 4 (autocomplete) for `/name`; `options` must
/// hold one option with `"focused": true` (see [`focused_option`]).
pub fn autocomplete(
    name: &str,
    options: Value,
    user_id: u64,
    channel_id: u64,
    guild_id: Option<u64>,
) -> Value {
    let data = json!({"id": command_id(name), "name": name, "type": 1, "options": options});
    Value::Object(interaction_base(4, data, user_id, channel_id, guild_id))
}

/// `INTERACTION_CREATE` for the message context-menu command
/// [`FIND_FAQ_COMMAND`] on `target` (a Message JSON, e.g. from
/// [`message`]), invoked by [`INVOKER_ID`] in the target's channel.
pub fn message_command(target: &Value) -> Value {
    context_menu_command(FIND_FAQ_COMMAND, target, INVOKER_ID)
}

/// A message context-menu command (`type` 3) named `name` on `target`.
pub fn context_menu_command(name: &str, target: &Value, user_id: u64) -> Value {
    let target_id = str_field(target, "id").unwrap_or_default();
    let mut messages = Map::new();
    messages.insert(target_id.clone(), target.clone());
    let data = json!({
        "id": command_id(name),
        "name": name,
        "type": 3,
        "target_id": target_id,
        "resolved": {"messages": messages},
    });
    let (channel_id, guild_id) = location(target);
    Value::Object(interaction_base(2, data, user_id, channel_id, guild_id))
}

/// `INTERACTION_CREATE` for a component on `message` (a Message JSON, e.g.
/// a recorded request's `response`): a button (`component_type` 2) when
/// `values` is `None`, a string select (3) with those values otherwise.
/// Invoked by [`INVOKER_ID`] in the message's channel.
pub fn component(custom_id: &str, values: Option<Vec<String>>, message: &Value) -> Value {
    let data = match values {
        None => json!({"custom_id": custom_id, "component_type": 2}),
        Some(values) => json!({"custom_id": custom_id, "component_type": 3, "values": values}),
    };
    let (channel_id, guild_id) = location(message);
    let mut ix = interaction_base(3, data, INVOKER_ID, channel_id, guild_id);
    ix.insert("message".into(), message.clone());
    Value::Object(ix)
}

/// `MESSAGE_CREATE` payload. `mentions` are user objects (see [`user`],
/// [`bot_user`]); the content is not changed to mention them. With
/// `referenced_message` the message is a reply (type 19) to it.
pub fn message(
    content: &str,
    author_id: u64,
    channel_id: u64,
    guild_id: Option<u64>,
    mentions: Vec<Value>,
    referenced_message: Option<Value>,
) -> Value {
    let guild = guild_id.map(|g| g.to_string());
    let mut m = new_message(
        &channel_id.to_string(),
        guild.as_deref(),
        user_for(author_id),
        &json!({"content": content}),
    );
    m["mentions"] = Value::Array(mentions);
    if guild_id.is_some() {
        let mut partial = member(Value::Null);
        if let Some(o) = partial.as_object_mut() {
            o.remove("user");
        }
        m["member"] = partial;
    }
    if let Some(referenced) = referenced_message {
        m["message_reference"] = json!({
            "type": 0,
            "message_id": str_field(&referenced, "id"),
            "channel_id": str_field(&referenced, "channel_id"),
            "guild_id": str_field(&referenced, "guild_id"),
        });
        m["referenced_message"] = referenced;
        m["type"] = json!(19);
    }
    m
}

/// Applies a PATCH to a stored message, unless the result breaks
/// Discord's rules for a message body.
fn edit_message(message: &mut Value, body: &Value) -> Reply {
    let mut edited = message.clone();
    apply_edit(&mut edited, body);
    if let Err(reply) = check_message_body(&edited) {
        return reply;
    }
    *message = edited.clone();
    Reply::ok(edited)
}

/// The channel and guild a Message JSON lives in.
fn location(message: &Value) -> (u64, Option<u64>) {
    let parse = |key| str_field(message, key).and_then(|s| s.parse::<u64>().ok());
    (parse("channel_id").unwrap_or(CHANNEL_ID), parse("guild_id"))
}

/// A stable command id per name, as if registered once.
fn command_id(name: &str) -> String {
    // FNV-1a, kept in the snowflake range.
    let hash = name.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    (1_000_000_000_000_000_000 + hash % 100_000_000_000_000_000).to_string()
}
