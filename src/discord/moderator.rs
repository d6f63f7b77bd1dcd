//! What the moderator commands (`/faq-reload`, `/faq-stats`) share: who
//! is a moderator, the private refusal, and the deferred reply for work
//! that may take longer than the 3 s Discord gives a response.

use serenity::all::{
    CommandInteraction, CreateCommand, CreateInteractionResponse, Http, Member, Permissions,
};
use tokio::task::JoinError;

use super::build;
use super::rest::Rest;
use super::view;

/// A moderator command: shown by default only to members with Manage
/// Server, and not in DMs (server admins can change who sees it; the bot
/// checks again when it runs, with [`refused`]).
pub fn command(name: &str, description: &str) -> CreateCommand {
    CreateCommand::new(name)
        .description(description)
        .default_member_permissions(Permissions::MANAGE_GUILD)
        .dm_permission(false)
}

/// Whether `member` is a moderator: Manage Server (or Administrator) in the
/// interaction's channel, or one of the configured moderator roles. Outside
/// a server (no member) nobody is.
pub fn is_moderator(member: Option<&Member>, moderator_roles: &[u64]) -> bool {
    let Some(member) = member else {
        return false;
    };
    let by_permission = member
        .permissions
        .is_some_and(|p| p.manage_guild() || p.administrator());
    let by_role = member
        .roles
        .iter()
        .any(|r| moderator_roles.contains(&r.get()));
    by_permission || by_role
}

/// Tells a non-moderator `refusal` privately, and logs that the command
/// was refused (with no user id: the store keeps none either). `true` when
/// refused.
pub async fn refused(
    rest: &Rest,
    http: &Http,
    cmd: &CommandInteraction,
    moderator_roles: &[u64],
    refusal: &str,
) -> serenity::Result<bool> {
    if is_moderator(cmd.member.as_deref(), moderator_roles) {
        return Ok(false);
    }
    tracing::info!("/{} refused: not a moderator", cmd.data.name);
    reply(rest, http, cmd, refusal).await?;
    Ok(true)
}

/// The private response `text`.
pub async fn reply(
    rest: &Rest,
    http: &Http,
    cmd: &CommandInteraction,
    text: &str,
) -> serenity::Result<()> {
    let response = CreateInteractionResponse::Message(build::response(&view::note(text)));
    rest.respond(http, cmd.id, &cmd.token, &response).await
}

/// Acknowledges `cmd` privately, then runs `work` off the async threads;
/// its result, or why it stopped. Edit the reply in with [`edit`].
pub async fn deferred<T: Send + 'static>(
    rest: &Rest,
    http: &Http,
    cmd: &CommandInteraction,
    work: impl FnOnce() -> T + Send + 'static,
) -> serenity::Result<Result<T, JoinError>> {
    rest.respond(http, cmd.id, &cmd.token, &build::defer_private())
        .await?;
    Ok(tokio::task::spawn_blocking(work).await)
}

/// Replaces the deferred reply with `text`, privately.
pub async fn edit(
    rest: &Rest,
    http: &Http,
    cmd: &CommandInteraction,
    text: &str,
) -> serenity::Result<()> {
    rest.edit_response(http, &cmd.token, &build::edit(&view::note(text)))
        .await
        .map(|_| ())
}
