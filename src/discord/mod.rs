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
pub mod config;
pub mod handler;
pub mod moderator;
pub mod recent;
pub mod reload;
pub mod rest;
pub mod route;
pub mod stats;
pub mod view;

use std::future::Future;
use std::sync::Arc;

use serenity::all::{ClientBuilder, GatewayIntents, HttpBuilder};

use crate::moderation::library::Library;
use crate::store::Store;
use config::{DiscordConfig, Token};
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

/// Connects to Discord and answers until `shutdown` completes, then closes
/// the shards cleanly. With `settings.proxy`, every REST call (the gateway
/// look-up included) goes through the proxy, which owns rate limiting.
/// Questions, picks and votes go to `store` ([`Store::from_config`];
/// [`Store::disabled`] records nothing); the caller keeps a handle, so
/// that the store is dropped (and its queue written) outside the runtime.
pub async fn run(
    library: Arc<Library>,
    settings: DiscordConfig,
    store: Arc<Store>,
    token: Token,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), serenity::Error> {
    let mut http = HttpBuilder::new(token.expose());
    if let Some(proxy) = &settings.proxy {
        http = http
            .proxy(proxy.trim_end_matches('/'))
            .ratelimiter_disabled(true);
    }
    run_with_http(library, settings, store, http, shutdown).await
}

/// [`run`] with the HTTP client already set up: the seam where tests hand
/// in a client that reaches a fake Discord over TLS, so that serenity's own
/// ratelimiter (off behind a proxy) is exercised too. Everything after the
/// HTTP set-up is the production path.
pub async fn run_with_http(
    library: Arc<Library>,
    settings: DiscordConfig,
    store: Arc<Store>,
    http: HttpBuilder,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), serenity::Error> {
    let shards = settings.shards;
    let bot = Bot::new(library, settings.clone(), store);
    let library = bot.library();
    let rest = bot.rest();
    let patience = tokio::spawn(say_if_unreachable(bot.connected()));
    let mut client = ClientBuilder::new_with_http(http.build(), intents(&settings))
        .event_handler(bot)
        .await?;
    // Lives as long as the client runs; dropping it stops the watching.
    let _watching = reload::start_watching(&library, &settings, client.http.clone(), rest);
    let manager = client.shard_manager.clone();
    let running = async move {
        match shards {
            0 => client.start_autosharded().await,
            1 => client.start().await,
            n => client.start_shards(n).await,
        }
    };
    let stopped = tokio::select! {
        result = running => result,
        () = shutdown => {
            tracing::info!("shutting down");
            // A connected shard closes cleanly at once; one that is
            // connecting or reconnecting would keep retrying, so it is
            // given a moment and then dropped with the client.
            if tokio::time::timeout(SHUTDOWN_GRACE, manager.shutdown_all())
                .await
                .is_err()
            {
                tracing::info!("the gateway was not connected: stopped without closing it");
            }
            Ok(())
        }
    };
    patience.abort();
    stopped
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
