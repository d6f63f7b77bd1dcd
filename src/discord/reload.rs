//! Reloads in Discord: the moderators-only `/faq-reload` command, the
//! watcher started with the bot, and the reports of both, sent to the
//! moderator log channel (if one is configured) with no pings. The reload
//! itself and its report's text are [`crate::moderation::reload`]'s.

use super::rest::Rest;
use std::num::NonZeroU64;
use std::sync::Arc;

use serenity::all::{ChannelId, CommandInteraction, Context, CreateCommand, Http};

use super::build;
use super::moderator;
use super::view;
use crate::discord::config::DiscordConfig;
use crate::moderation::reload::{Reload, SharedEngine, MESSAGE_CHARS};
use crate::moderation::watch::{self, Watching};

/// The moderators' command that reloads the FAQ.
pub const RELOAD_COMMAND: &str = "faq-reload";

/// What a member without the right to reload is told.
pub const NOT_A_MODERATOR: &str =
    "Only moderators (Manage Server, or a moderator role) can reload the FAQ.";

/// `/faq-reload`, for moderators.
pub fn command() -> CreateCommand {
    moderator::command(
        RELOAD_COMMAND,
        "Moderators: reload the FAQ files now and see what changed or what is wrong",
    )
}

/// Runs `/faq-reload` for a moderator (the handler has refused anyone
/// else): reloads (off the async threads) and replies privately with the
/// report, which also goes to `mod_log_channel` and the log.
pub async fn run_command(
    rest: &Rest,
    ctx: &Context,
    cmd: &CommandInteraction,
    engine: &SharedEngine,
    mod_log_channel: Option<u64>,
) -> serenity::Result<()> {
    // Loading and indexing can take longer than the 3 s Discord gives a
    // response: acknowledge first, privately, then edit in the report.
    let shared = engine.clone();
    let outcome = match moderator::deferred(rest, ctx, cmd, move || shared.reload()).await? {
        Ok(outcome) => outcome,
        Err(e) => {
            tracing::error!(error = %e, "the FAQ reload stopped unexpectedly");
            let text =
                "Something went wrong while reloading; the FAQ did not change. See the bot's log.";
            return moderator::edit(rest, ctx, cmd, text).await;
        }
    };
    outcome.log("/faq-reload by a moderator");
    let report = outcome.render(MESSAGE_CHARS);
    moderator::edit(rest, ctx, cmd, &report).await?;
    if !matches!(outcome, Reload::NoSource) {
        announce(rest, &ctx.http, mod_log_channel, &report).await;
    }
    Ok(())
}

/// Starts watching the FAQ the engine was loaded from, if the settings
/// ask for it: each reload's outcome is logged, and when worth it posted to
/// the moderator log channel. Watching stops when the returned value is
/// dropped. `None` when not watching (off, no directory, or the watcher
/// could not start: logged, the bot answers anyway).
pub fn start_watching(
    engine: &SharedEngine,
    settings: &DiscordConfig,
    http: Arc<Http>,
    rest: Arc<Rest>,
) -> Option<Watching> {
    if !settings.watch_faq {
        return None;
    }
    let dir = engine.get().source.as_ref()?.dir.clone();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Reload>();
    let watching = match watch::watch(&dir, engine.clone(), move |outcome| {
        let _ = tx.send(outcome);
    }) {
        Ok(w) => w,
        Err(e) => {
            tracing::warn!(dir = %dir.display(), error = %e, "cannot watch the FAQ directory; edits need /faq-reload");
            return None;
        }
    };
    let channel = settings.mod_log_channel;
    tokio::spawn(async move {
        while let Some(outcome) = rx.recv().await {
            if outcome.worth_announcing() {
                announce(&rest, &http, channel, &outcome.render(MESSAGE_CHARS)).await;
            }
        }
    });
    Some(watching)
}

/// Posts `report` to the moderator log channel, if one is configured.
/// A failure is logged, never raised: the reload itself has happened.
pub async fn announce(rest: &Rest, http: &Http, channel: Option<u64>, report: &str) {
    let Some(channel) = channel.and_then(NonZeroU64::new).map(ChannelId::from) else {
        return;
    };
    let msg = build::message(&view::text(report, false));
    if let Err(e) = rest.send_message(http, channel, &msg).await {
        tracing::warn!(channel = channel.get(), error = %e, "could not post the FAQ reload report to the moderator log channel");
    }
}
