//! Reloads in Discord: the moderators-only `/faq-reload` command (which
//! reloads the FAQ of the server it is used in), the watcher started with
//! the bot, and the reports of both, sent to the moderator log channel (if
//! one is configured) with no pings. Which FAQ answers which server is
//! [`crate::moderation::library`]'s; the reload itself and its report's
//! text are [`crate::moderation::reload`]'s.

use super::rest::Rest;
use std::num::NonZeroU64;
use std::sync::Arc;

use serenity::all::{ChannelId, CommandInteraction, CreateCommand, Http};

use super::build;
use super::moderator;
use super::view;
use crate::discord::config::DiscordConfig;
use crate::moderation::library::{Library, Target};
use crate::moderation::reload::{Reload, MESSAGE_CHARS};
use crate::moderation::watch::{self, Watching};
use crate::store::coordination::Reloads;

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
/// else): reloads the FAQ of the server it is used in (off the async
/// threads) and replies privately with the report, which also goes to
/// `mod_log_channel` and the log.
pub async fn run_command(
    rest: &Rest,
    http: &Http,
    cmd: &CommandInteraction,
    library: &Arc<Library>,
    mod_log_channel: Option<u64>,
    reloads: Option<&Reloads>,
) -> serenity::Result<()> {
    // Loading and indexing can take longer than the 3 s Discord gives a
    // response: acknowledge first, privately, then edit in the report.
    let guild = cmd.guild_id.map(|g| g.get());
    let shared = Arc::clone(library);
    let reload = move || (shared.reload(guild), shared.target_of(guild));
    let (outcome, target) = match moderator::deferred(rest, http, cmd, reload).await? {
        Ok(outcome) => outcome,
        Err(e) => {
            tracing::error!(error = %e, "the FAQ reload stopped unexpectedly");
            let text =
                "Something went wrong while reloading; the FAQ did not change. See the bot's log.";
            return moderator::edit(rest, http, cmd, text).await;
        }
    };
    outcome.log(&format!("/faq-reload by a moderator, {target}"));
    if let (Some(reloads), Reload::Reloaded { .. }) = (reloads, &outcome) {
        reloads
            .announce(match target {
                Target::Default => None,
                Target::Guild(g) => Some(g),
            })
            .await;
    }
    let report = outcome.render(MESSAGE_CHARS);
    moderator::edit(rest, http, cmd, &report).await?;
    if !matches!(outcome, Reload::NoSource) {
        let report = for_log_channel(library, target, &outcome);
        announce(rest, http, mod_log_channel, &report).await;
    }
    Ok(())
}

/// A reload's report for the moderator log channel: with servers' own
/// FAQs, it says first which FAQ it is about.
fn for_log_channel(library: &Library, target: Target, outcome: &Reload) -> String {
    if library.root().is_none() {
        return outcome.render(MESSAGE_CHARS);
    }
    let head = format!("{target}: ");
    let body = outcome.render(MESSAGE_CHARS.saturating_sub(head.chars().count()));
    head + &body
}

/// Starts watching the folders of every FAQ in `library`, if the settings
/// ask for it: each reload's outcome is logged, and when worth it posted to
/// the moderator log channel. Watching stops when the returned value is
/// dropped. `None` when not watching (off, nothing to watch, or the
/// watcher could not start: logged, the bot answers anyway).
pub fn start_watching(
    library: &Arc<Library>,
    settings: &DiscordConfig,
    http: Arc<Http>,
    rest: Arc<Rest>,
) -> Option<Watching> {
    if !settings.watch_faq {
        return None;
    }
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(Target, Reload)>();
    let watching = match watch::watch(Arc::clone(library), move |target, outcome| {
        let _ = tx.send((target, outcome));
    }) {
        Ok(w) => w,
        Err(e) => {
            tracing::warn!(error = %e, "cannot watch the FAQ folders; edits need /faq-reload");
            return None;
        }
    };
    let channel = settings.mod_log_channel;
    let library = Arc::clone(library);
    tokio::spawn(async move {
        while let Some((target, outcome)) = rx.recv().await {
            if outcome.worth_announcing() {
                let report = for_log_channel(&library, target, &outcome);
                announce(&rest, &http, channel, &report).await;
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
