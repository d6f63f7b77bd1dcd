//! The Discord bot: the only module that knows serenity.
//!
//! - [`config`]: the `[discord]` settings and the token;
//! - [`route`]: the bot's decisions, pure: an event, the engine and the
//!   bot's memory (cooldowns, "answered just above", Why?) in, actions out;
//! - [`handler`]: serenity's events read into route's, and its actions
//!   performed;
//! - [`rest`]: every reply sent, with 429s waited out;
//! - [`view`]: what the bot shows, as plain data cut to Discord's limits,
//!   and the custom ids its buttons and menus carry;
//! - [`build`]: views -> serenity builders, every one with no pings;
//! - [`moderator`]: who is a moderator, the refusal, the deferred reply;
//! - [`reload`]: `/faq-reload`, the FAQ watcher, and their reports to the
//!   moderator log channel;
//! - [`stats`]: `/faq-stats`, the moderators' summary read from the store;
//! - [`recent`]: the texts of recent questions, for the Why? button;
//! - this module: building the client (directly, or through a REST proxy)
//!   and running it until the shutdown signal.

pub mod build;
pub mod callbacks;
pub mod config;
pub mod endpoint;
mod gateway;
pub mod handler;
pub mod moderator;
pub mod recent;
pub mod reload;
pub mod rest;
pub mod route;
pub mod stats;
pub mod view;
pub mod web;

use std::future::Future;
use std::sync::Arc;

use serenity::all::{GatewayIntents, HttpBuilder};

use crate::moderation::library::Library;
use crate::store::coordination::{IdentifyGate, Reloads};
use crate::store::Store;
use crate::telemetry::Status;
use config::{DiscordConfig, ShardSlice, Token};
use handler::Bot;

/// The gateway intents: none of them privileged, unless help channels are
/// configured (matching every message there needs the message content).
pub fn intents(settings: &DiscordConfig) -> GatewayIntents {
    let mut intents =
        GatewayIntents::GUILDS | GatewayIntents::GUILD_MESSAGES | GatewayIntents::DIRECT_MESSAGES;
    if !settings.help_channels.is_empty() {
        intents |= GatewayIntents::MESSAGE_CONTENT;
    }
    intents
}

/// The bot permissions faqbot needs: View Channels, Send Messages, Embed
/// Links, Read Message History and Send Messages in Threads.
pub const PERMISSIONS: u64 = 1024 + 2048 + 16384 + 65536 + 274_877_906_944;

/// The URL that adds application `application_id` to a server with the
/// scopes and [`PERMISSIONS`] faqbot needs.
pub fn invite_url(application_id: u64) -> String {
    format!(
        "https://discord.com/oauth2/authorize?client_id={application_id}&scope=bot%20applications.commands&permissions={PERMISSIONS}"
    )
}

/// What to tell the operator when [`run`] fails: the error, and for the
/// failures Discord reports with a gateway close code, what to change.
pub fn explain_failure(e: &serenity::Error, settings: &DiscordConfig) -> String {
    use serenity::gateway::GatewayError;
    match e {
        serenity::Error::Gateway(GatewayError::DisallowedGatewayIntents) => {
            let why = if settings.help_channels.is_empty() {
                "faqbot asked for an intent this application may not use"
            } else {
                "`[discord] help_channels` needs the Message Content intent, which this application may not use"
            };
            format!(
                "Discord closed the gateway with 4014 (disallowed intents): {why}. \
                 Enable \"Message Content Intent\" under Bot > Privileged Gateway Intents in the \
                 Developer Portal, or set `help_channels = []` (mentions, replies, DMs and slash \
                 commands work without it)"
            )
        }
        serenity::Error::Gateway(GatewayError::InvalidGatewayIntents) => format!(
            "Discord closed the gateway with 4013 (invalid intents): {e}; this faqbot build asked for intents Discord does not know"
        ),
        serenity::Error::Gateway(GatewayError::InvalidAuthentication) => format!(
            "Discord rejected the token (close 4004): check the variable `{}` holds this bot's token (Developer Portal > Bot > Reset Token)",
            settings.token_env
        ),
        other => format!("the Discord connection failed: {other}"),
    }
}

/// What the bot runs with, besides the HTTP client: [`Setup::new`] for
/// one process running every shard, with no HTTP side.
pub struct Setup {
    pub library: Arc<Library>,
    pub settings: DiscordConfig,
    /// Questions, picks and votes go here ([`Store::from_config`];
    /// [`Store::disabled`] records nothing). The caller keeps a handle, so
    /// that the store is dropped (and its queue written) outside the
    /// runtime.
    pub store: Arc<Store>,
    /// Readiness and shard states, for `/healthz` and `/metrics`.
    pub status: Arc<Status>,
    /// The shards this process runs; `None`: `settings.shards` of them
    /// (all), or as many as Discord recommends when that is 0.
    pub slice: Option<ShardSlice>,
    /// How IDENTIFYs are spaced with other processes.
    pub gate: IdentifyGate,
    /// How `/faq-reload`s reach the other processes (a Postgres store).
    pub reloads: Option<Reloads>,
    /// Where `/healthz` and `/metrics` are served, if anywhere.
    pub web: Option<tokio::net::TcpListener>,
}

impl Setup {
    pub fn new(library: Arc<Library>, settings: DiscordConfig, store: Arc<Store>) -> Setup {
        Setup {
            library,
            settings,
            store,
            status: Arc::new(Status::default()),
            slice: None,
            gate: IdentifyGate::Local,
            reloads: None,
            web: None,
        }
    }
}

/// Makes the HTTP client of each shard (serenity's clients each own one)
/// and of the FAQ watcher's reports.
pub type MakeHttp = Arc<dyn Fn() -> HttpBuilder + Send + Sync>;

/// Connects to Discord and answers until `shutdown` completes, then closes
/// the shards cleanly. With `settings.proxy`, every REST call (the gateway
/// look-up included) goes through the proxy, which owns rate limiting.
pub async fn run(
    setup: Setup,
    token: Token,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), serenity::Error> {
    let proxy = setup.settings.proxy.clone();
    let make_http: MakeHttp = Arc::new(move || http_builder(&token, proxy.as_deref()));
    run_with_http(setup, make_http, shutdown).await
}

/// [`run`] with the HTTP clients made by `make_http`: the seam where tests
/// hand in clients that reach a fake Discord over TLS, so that serenity's
/// own ratelimiter (off behind a proxy) is exercised too. Everything after
/// the HTTP set-up is the production path.
pub async fn run_with_http(
    setup: Setup,
    make_http: MakeHttp,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), serenity::Error> {
    let Setup {
        library,
        settings,
        store,
        status,
        slice,
        gate,
        reloads,
        web,
    } = setup;
    let http = Arc::new(make_http().build());
    let (slice, max_concurrency) = plan_shards(&http, &settings, slice).await?;
    tracing::info!(shards = %slice, max_concurrency, dms = slice.has_dms(), "running shards");
    status.expect_shards(slice.ids());
    let (bot, listening) = start_bot(&library, &settings, &store, &status, reloads);
    let patience = tokio::spawn(say_if_unreachable(bot.connected()));
    // Lives as long as the bot runs; dropping it stops the watching.
    let _watching = reload::start_watching(&library, &settings, http, bot.rest());
    let mut shards = gateway::start(
        bot,
        intents(&settings),
        slice,
        max_concurrency,
        make_http,
        Arc::new(gate),
    );
    let managers = shards.managers();
    let reporting = {
        let status = Arc::clone(&status);
        tokio::spawn(async move {
            let mut every = tokio::time::interval(std::time::Duration::from_secs(1));
            loop {
                every.tick().await;
                gateway::Shards::report(&managers, &status).await;
            }
        })
    };
    let (stop_web, web_stopped) = tokio::sync::oneshot::channel::<()>();
    let web = web.map(|listener| {
        let router = web::router(web::Probes {
            status: Arc::clone(&status),
            store: Arc::clone(&store),
            library: Arc::clone(&library),
        });
        tokio::spawn(web::serve(listener, router, async {
            let _ = web_stopped.await;
        }))
    });
    let stopped = tokio::select! {
        result = shards.wait() => result,
        () = shutdown => {
            tracing::info!("shutting down");
            Ok(())
        }
    };
    shards.shutdown(SHUTDOWN_GRACE).await;
    reporting.abort();
    patience.abort();
    if let Some(listening) = listening {
        listening.abort();
    }
    let _ = stop_web.send(());
    if let Some(web) = web {
        if let Ok(Err(e)) = web.await {
            tracing::warn!(error = %e, "the health and metrics server stopped with an error");
        }
    }
    stopped
}

/// Why `faqbot serve` cannot run.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("`faqbot serve` needs `[discord] public_key`: the Public Key from the Developer Portal (General Information), to verify Discord's requests")]
    NoPublicKey,
    #[error("{0}")]
    BadKey(String),
    #[error("`faqbot serve` needs an address to listen on (--listen)")]
    NoListener,
    #[error("the HTTP server stopped: {0}")]
    Io(#[from] std::io::Error),
}

/// Answers Discord's interaction webhooks on `setup.web` (with `/healthz`
/// and `/metrics` beside them) until `shutdown` completes; REST (follow-ups,
/// edits, registering the commands) goes out as in [`run`]. No gateway:
/// mentions, DMs and help channels need `faqbot run`.
pub async fn serve(
    setup: Setup,
    token: Token,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ServeError> {
    let Setup {
        library,
        settings,
        store,
        status,
        reloads,
        web,
        ..
    } = setup;
    let key = settings
        .public_key
        .as_deref()
        .ok_or(ServeError::NoPublicKey)?;
    let verifier = config::verifier(key).map_err(ServeError::BadKey)?;
    let listener = web.ok_or(ServeError::NoListener)?;
    let http = Arc::new(http_builder(&token, settings.proxy.as_deref()).build());
    let (bot, listening) = start_bot(&library, &settings, &store, &status, reloads);
    // Follow-ups and edits name the application; so does registering.
    match http.get_current_application_info().await {
        Ok(app) => {
            http.set_application_id(app.id);
            bot.register_commands(&http).await;
        }
        Err(e) => {
            tracing::warn!(error = %e, "cannot read the application from Discord: the commands are not registered now, and follow-ups wait for the first interaction")
        }
    }
    let _watching = reload::start_watching(&library, &settings, Arc::clone(&http), bot.rest());
    let endpoint = Arc::new(endpoint::Endpoint {
        bot,
        http,
        verifier,
    });
    let router = endpoint::router(endpoint).merge(web::router(web::Probes {
        status: Arc::clone(&status),
        store,
        library,
    }));
    status.endpoint_up();
    tracing::info!("answering Discord's interaction webhooks on POST /interactions");
    let served = web::serve(listener, router, shutdown).await;
    if let Some(listening) = listening {
        listening.abort();
    }
    served?;
    Ok(())
}

/// The HTTP client for `token`: with `proxy`, every REST call goes
/// through it, and it owns rate limiting (serenity's ratelimiter is off).
fn http_builder(token: &Token, proxy: Option<&str>) -> HttpBuilder {
    let http = HttpBuilder::new(token.expose());
    match proxy {
        Some(proxy) => http
            .proxy(proxy.trim_end_matches('/'))
            .ratelimiter_disabled(true),
        None => http,
    }
}

/// The bot both `run` and `serve` answer with (the FAQs loaded, now),
/// announcing its reloads, and the task that hears the other processes'
/// reloads (if any).
fn start_bot(
    library: &Arc<Library>,
    settings: &DiscordConfig,
    store: &Arc<Store>,
    status: &Arc<Status>,
    reloads: Option<Reloads>,
) -> (Arc<Bot>, Option<tokio::task::JoinHandle<()>>) {
    status.faqs_loaded();
    let listening = listen_for_reloads(reloads.clone(), library);
    let bot = Bot::new(
        Arc::clone(library),
        settings.clone(),
        Arc::clone(store),
        Arc::clone(status),
    )
    .announcing(reloads);
    (Arc::new(bot), listening)
}

/// Reloads, off the async threads, each FAQ another process announces it
/// has reloaded; the task to stop, if there is anything to listen to.
fn listen_for_reloads(
    reloads: Option<Reloads>,
    library: &Arc<Library>,
) -> Option<tokio::task::JoinHandle<()>> {
    let library = Arc::clone(library);
    Some(tokio::spawn(reloads?.listen(move |target| {
        let library = Arc::clone(&library);
        tokio::task::spawn_blocking(move || {
            library.reload(target).log("announced by another process");
        });
    })))
}

/// The shards to run, and Discord's `max_concurrency`: the slice given,
/// else `settings.shards` (0: as many as Discord recommends). Discord is
/// asked (`GET /gateway/bot`, which also tells the day's IDENTIFY budget,
/// logged) only when there is more than one shard or it must recommend.
async fn plan_shards(
    http: &serenity::all::Http,
    settings: &DiscordConfig,
    slice: Option<ShardSlice>,
) -> Result<(ShardSlice, u32), serenity::Error> {
    let slice = match (slice, settings.shards) {
        (Some(s), _) => Some(s),
        (None, 0) => None,
        (None, n) => Some(ShardSlice::all(n)),
    };
    if slice.is_some_and(|s| s.total == 1) {
        return Ok((ShardSlice::all(1), 1));
    }
    let gateway = match http.get_bot_gateway().await {
        Ok(g) => g,
        Err(e) => match slice {
            // Recommending needs the answer; a given slice does not.
            None => return Err(e),
            Some(s) => {
                tracing::warn!(error = %e, "cannot read Discord's session start limit; spacing IDENTIFYs as for max_concurrency 1");
                return Ok((s, 1));
            }
        },
    };
    let limit = &gateway.session_start_limit;
    tracing::info!(
        remaining = limit.remaining,
        total = limit.total,
        resets_in_s = limit.reset_after / 1000,
        max_concurrency = limit.max_concurrency,
        recommended_shards = gateway.shards,
        "Discord's IDENTIFY budget"
    );
    let max_concurrency = u32::try_from(limit.max_concurrency).unwrap_or(1).max(1);
    Ok((
        slice.unwrap_or_else(|| ShardSlice::all(gateway.shards)),
        max_concurrency,
    ))
}

/// How long the bot waits for its first gateway session before saying that
/// Discord cannot be reached (a connection takes about a second).
const GATEWAY_PATIENCE: std::time::Duration = std::time::Duration::from_secs(5);

/// Says once, clearly, when no shard is connected [`GATEWAY_PATIENCE`]
/// after the start (in place of serenity's line per failed attempt, which
/// the default log filter leaves out), and once when it then connects.
async fn say_if_unreachable(mut connected: tokio::sync::watch::Receiver<bool>) {
    let in_time = tokio::time::timeout(GATEWAY_PATIENCE, connected.wait_for(|&c| c))
        .await
        .is_ok();
    if in_time {
        return;
    }
    tracing::error!(
        waited_s = GATEWAY_PATIENCE.as_secs(),
        "cannot reach Discord's gateway: no connection yet; still trying every 5 s. Check the network, a firewall, or `[discord] proxy` (RUST_LOG=serenity=warn shows each attempt)"
    );
    if connected.wait_for(|&c| c).await.is_ok() {
        tracing::info!("reached Discord's gateway after all");
    }
}

/// How long a stop waits for the shards to close the gateway.
const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_millis(1000);
