//! Discord events in, replies out: the slash commands and their
//! autocomplete, the "Find FAQ answer" message command, the menus and
//! buttons, and messages that mention the bot, reply to it, arrive by DM or
//! in a help channel. Matching and rendering are done by the pure modules;
//! this file only decides which view answers which event and sends it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use serenity::all::{
    ChannelId, Command, CommandInteraction, CommandOptionType, CommandType, ComponentInteraction,
    ComponentInteractionDataKind, Context, CreateAutocompleteResponse, CreateCommand,
    CreateCommandOption, CreateInteractionResponse, CreateInteractionResponseFollowup,
    CreateInteractionResponseMessage, EventHandler, GuildId, Interaction, InteractionId, Message,
    MessageFlags, Ready, ResolvedTarget, ResolvedValue, UserId,
};
use serenity::async_trait;
use serenity::builder::Builder;

use super::build;
use super::reload::{self, RELOAD_COMMAND};
use super::view::{self, Action, Choice, View};
use crate::config::DiscordConfig;
use crate::engine::Engine;
use crate::matching::{Decision, Match};
use crate::reload::SharedEngine;

/// The slash command that asks a question.
pub const FAQ_COMMAND: &str = "faq";
/// The slash command that opens the topic menu.
pub const TOPICS_COMMAND: &str = "faq-topics";
/// The message context-menu command.
pub const FIND_COMMAND: &str = "Find FAQ answer";

/// What users are told when something on our side failed.
const SOMETHING_WENT_WRONG: &str = "Something went wrong on my side; please try again in a moment.";
/// ... and when Discord refused for lack of permissions in the channel.
const MISSING_PERMISSIONS: &str = "I don't have permission to post in this channel; ask a moderator to give me View Channel, Send Messages, Embed Links and Read Message History here.";

/// The commands the bot registers.
pub fn commands() -> Vec<CreateCommand> {
    vec![
        CreateCommand::new(FAQ_COMMAND)
            .description("Ask the FAQ a question")
            .add_option(
                CreateCommandOption::new(CommandOptionType::String, "question", "Your question")
                    .required(true)
                    .set_autocomplete(true)
                    .max_length(1000),
            )
            .add_option(CreateCommandOption::new(
                CommandOptionType::Boolean,
                "private",
                "Only you see the answer",
            )),
        CreateCommand::new(TOPICS_COMMAND).description("Browse the FAQ by topic"),
        CreateCommand::new(FIND_COMMAND).kind(CommandType::Message),
        reload::command(),
    ]
}

/// How a question reached the bot (for the logs).
#[derive(Debug, Clone, Copy)]
enum Trigger {
    Slash,
    Picked,
    ContextMenu,
    Mention,
    Reply,
    Dm,
    HelpChannel,
    Button,
    Menu,
}

impl Trigger {
    fn name(self) -> &'static str {
        match self {
            Trigger::Slash => "slash",
            Trigger::Picked => "autocomplete-pick",
            Trigger::ContextMenu => "context-menu",
            Trigger::Mention => "mention",
            Trigger::Reply => "reply",
            Trigger::Dm => "dm",
            Trigger::HelpChannel => "help-channel",
            Trigger::Button => "button",
            Trigger::Menu => "menu",
        }
    }
}

/// The bot's state: the engine (swappable), settings, and the small
/// memories behind cooldowns and "answered just above".
pub struct Bot {
    engine: SharedEngine,
    settings: DiscordConfig,
    me: OnceLock<UserId>,
    last_question: Mutex<HashMap<UserId, Instant>>,
    recent_answers: Mutex<HashMap<(ChannelId, String), (Instant, String)>>,
}

impl Bot {
    pub fn new(engine: Engine, settings: DiscordConfig) -> Bot {
        Bot {
            engine: SharedEngine::new(engine),
            settings,
            me: OnceLock::new(),
            last_question: Mutex::new(HashMap::new()),
            recent_answers: Mutex::new(HashMap::new()),
        }
    }

    /// The current engine (the lock is held only to clone the `Arc`).
    pub fn engine(&self) -> Arc<Engine> {
        self.engine.get()
    }

    /// Replaces the engine.
    pub fn set_engine(&self, engine: Engine) {
        self.engine.set(engine);
    }

    /// A handle on the engine this bot answers from, for reloading it from
    /// elsewhere (the FAQ watcher).
    pub fn shared_engine(&self) -> SharedEngine {
        self.engine.clone()
    }

    /// `Some(wait)` when `user` asked less than the cooldown ago; else
    /// records this question.
    fn cooldown(&self, user: UserId) -> Option<Duration> {
        let window = Duration::from_secs(self.settings.user_cooldown_secs);
        if window.is_zero() {
            return None;
        }
        let now = Instant::now();
        let mut map = self.last_question.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(&last) = map.get(&user) {
            let since = now.duration_since(last);
            if since < window {
                return Some(window - since);
            }
        }
        map.retain(|_, t| now.duration_since(*t) < window);
        map.insert(user, now);
        None
    }

    /// The link to the same answer given in this channel within the repeat
    /// window, if any.
    fn recent_answer(&self, channel: ChannelId, entry: &str) -> Option<String> {
        let window = Duration::from_secs(self.settings.repeat_window_secs);
        if window.is_zero() {
            return None;
        }
        let now = Instant::now();
        let mut map = self
            .recent_answers
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        map.retain(|_, (t, _)| now.duration_since(*t) < window);
        map.get(&(channel, entry.to_string()))
            .map(|(_, link)| link.clone())
    }

    fn remember_answer(&self, channel: ChannelId, entry: &str, link: String) {
        if self.settings.repeat_window_secs == 0 {
            return;
        }
        let mut map = self
            .recent_answers
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        map.insert((channel, entry.to_string()), (Instant::now(), link));
    }

    /// Matches a question and logs the one line per question.
    fn ask(&self, engine: &Engine, question: &str, trigger: Trigger) -> Match {
        let started = Instant::now();
        let m = engine.matcher.ask(question);
        log_question(engine, &m, trigger, started);
        tracing::debug!(question, "question text");
        m
    }

    async fn on_command(&self, ctx: &Context, cmd: &CommandInteraction) -> serenity::Result<()> {
        if cmd.data.name == RELOAD_COMMAND {
            return reload::run_command(ctx, cmd, &self.engine, &self.settings).await;
        }
        let engine = self.engine();
        match cmd.data.name.as_str() {
            FAQ_COMMAND => {
                let mut question = "";
                let mut private = None;
                for option in cmd.data.options() {
                    match (option.name, option.value) {
                        ("question", ResolvedValue::String(q)) => question = q,
                        ("private", ResolvedValue::Boolean(p)) => private = Some(p),
                        _ => {}
                    }
                }
                if let Some(wait) = self.cooldown(cmd.user.id) {
                    return respond(ctx, cmd, &cooldown_view(wait)).await;
                }
                let public = private.map_or(self.settings.public_answers, |p| !p);
                // A question picked from the autocomplete list names its entry.
                let picked = question
                    .strip_prefix(view::ENTRY_CHOICE_PREFIX)
                    .and_then(|id| engine.faq.entries.iter().position(|e| e.id == id));
                let v = match picked {
                    Some(e) => {
                        log_pick(&engine, e, Trigger::Picked);
                        view::answer(&engine.faq.entries[e], !public)
                    }
                    None if question.trim().is_empty() => {
                        view::topic_menu(&engine.faq, 0, view::NO_WORDS)
                    }
                    None => {
                        let m = self.ask(&engine, question, Trigger::Slash);
                        view::for_match(&engine.faq, &m, public)
                    }
                };
                self.respond_answer(ctx, cmd, v).await
            }
            TOPICS_COMMAND => {
                let v = view::topic_menu(&engine.faq, 0, "Pick a topic to browse its questions:");
                respond(ctx, cmd, &v).await
            }
            FIND_COMMAND => {
                let Some(ResolvedTarget::Message(target)) = cmd.data.target() else {
                    return respond(ctx, cmd, &note("I can only look up a message's text.")).await;
                };
                if let Some(wait) = self.cooldown(cmd.user.id) {
                    return respond(ctx, cmd, &cooldown_view(wait)).await;
                }
                if target.content.trim().is_empty() {
                    let text = "That message has no text I can see to look up (if it was sent before I joined, or is only an image, I can't read it).";
                    return respond(ctx, cmd, &note(text)).await;
                }
                let m = self.ask(&engine, &target.content, Trigger::ContextMenu);
                match &m.decision {
                    Decision::Answer(s) => {
                        let entry = &engine.faq.entries[s.entry];
                        // Acknowledge privately, then answer in the channel
                        // as a reply to the message that asked.
                        respond(ctx, cmd, &note("Answered below.")).await?;
                        if let Some(link) = self.recent_answer(target.channel_id, &entry.id) {
                            let v = note(&format!("This was answered a moment ago: {link}"));
                            let msg = build::message(&v).reference_message(target);
                            target.channel_id.send_message(&ctx.http, msg).await?;
                            return Ok(());
                        }
                        let v = view::answer(entry, false);
                        let sent = target
                            .channel_id
                            .send_message(&ctx.http, build::message(&v).reference_message(target))
                            .await?;
                        self.remember_answer(target.channel_id, &entry.id, sent.link());
                        Ok(())
                    }
                    _ => respond(ctx, cmd, &view::for_match(&engine.faq, &m, false)).await,
                }
            }
            other => {
                tracing::warn!(
                    command = other,
                    "unknown command; was it removed from the bot?"
                );
                respond(ctx, cmd, &note("I don't know that command any more.")).await
            }
        }
    }

    /// Sends an answer, or points to the same answer given just before.
    async fn respond_answer(
        &self,
        ctx: &Context,
        cmd: &CommandInteraction,
        v: View,
    ) -> serenity::Result<()> {
        let entry_id = v.answers.clone();
        let public = !v.ephemeral;
        if let (true, Some(id)) = (public, &entry_id) {
            if let Some(link) = self.recent_answer(cmd.channel_id, id) {
                let pointer = note(&format!(
                    "This was answered in this channel a moment ago: {link}"
                ));
                return respond(ctx, cmd, &pointer).await;
            }
        }
        respond(ctx, cmd, &v).await?;
        if let (true, Some(id)) = (public, entry_id) {
            // Only needed to point repeats at this answer: not worth failing for.
            match cmd.get_response(&ctx.http).await {
                Ok(sent) => self.remember_answer(cmd.channel_id, &id, sent.link()),
                Err(e) => {
                    tracing::warn!(error = %e, "could not look up the answer just sent; repeats will not point to it")
                }
            }
        }
        Ok(())
    }

    async fn on_autocomplete(
        &self,
        ctx: &Context,
        cmd: &CommandInteraction,
    ) -> serenity::Result<()> {
        let engine = self.engine();
        let typed = cmd.data.autocomplete().map(|o| o.value).unwrap_or_default();
        let choices = view::autocomplete(&engine.faq, &engine.matcher, typed);
        let mut response = CreateAutocompleteResponse::new();
        for (name, value) in choices {
            response = response.add_string_choice(name, value);
        }
        cmd.create_response(&ctx.http, CreateInteractionResponse::Autocomplete(response))
            .await
    }

    async fn on_component(
        &self,
        ctx: &Context,
        comp: &ComponentInteraction,
    ) -> serenity::Result<()> {
        let engine = self.engine();
        let faq = &engine.faq;
        let chosen = match &comp.data.kind {
            ComponentInteractionDataKind::StringSelect { values } => {
                values.first().and_then(|v| Choice::parse(v))
            }
            _ => None,
        };
        let stale = || {
            view::topic_menu(
                faq,
                0,
                "That menu is out of date (the FAQ changed). Pick a topic again:",
            )
        };
        let v = match (Action::parse(&comp.data.custom_id), chosen) {
            (Some(Action::Answer(id)), _) => match faq.entries.iter().position(|e| e.id == id) {
                Some(e) => {
                    log_pick(&engine, e, Trigger::Button);
                    // A suggestion click answers privately, whoever clicks.
                    let v = view::answer(&faq.entries[e], true);
                    return comp
                        .create_response(
                            &ctx.http,
                            CreateInteractionResponse::Message(build::response(&v)),
                        )
                        .await;
                }
                None => stale(),
            },
            (Some(Action::TopicMenu { .. }), Some(Choice::Topic(t))) => {
                view::question_menu(faq, t, 0).unwrap_or_else(stale)
            }
            (Some(Action::TopicMenu { .. }), Some(Choice::Page(p))) => {
                view::topic_menu(faq, p, "Pick a topic to browse its questions:")
            }
            (Some(Action::QuestionMenu { topic, .. }), Some(Choice::Page(p))) => {
                view::question_menu(faq, topic, p).unwrap_or_else(stale)
            }
            (Some(Action::QuestionMenu { .. }), Some(Choice::Entry(id))) => {
                match faq.entries.iter().position(|e| e.id == id) {
                    Some(e) => {
                        log_pick(&engine, e, Trigger::Menu);
                        view::answer(&faq.entries[e], true)
                    }
                    None => stale(),
                }
            }
            _ => {
                tracing::debug!(custom_id = %comp.data.custom_id, "component that is not ours");
                return Ok(());
            }
        };
        // Menus update in place (topic -> questions -> answer) when they are
        // the asker's own private message; a menu on a public message (a
        // reply to a mention) opens a private copy for whoever clicks.
        let private_message = comp
            .message
            .flags
            .is_some_and(|f| f.contains(MessageFlags::EPHEMERAL));
        let response = if private_message {
            CreateInteractionResponse::UpdateMessage(build::response(&v))
        } else {
            CreateInteractionResponse::Message(build::response(&View {
                ephemeral: true,
                ..v
            }))
        };
        comp.create_response(&ctx.http, response).await
    }

    /// Messages: mentions of the bot, replies to it, DMs, help channels.
    async fn on_message(&self, ctx: &Context, msg: &Message) -> serenity::Result<()> {
        if msg.author.bot {
            return Ok(());
        }
        let Some(&me) = self.me.get() else {
            return Ok(());
        };
        let mentioned = msg.mentions.iter().any(|u| u.id == me);
        let replied_to_me = msg
            .referenced_message
            .as_ref()
            .is_some_and(|r| r.author.id == me);
        let trigger = if msg.guild_id.is_none() {
            Trigger::Dm
        } else if mentioned {
            Trigger::Mention
        } else if replied_to_me {
            Trigger::Reply
        } else if self.settings.help_channels.contains(&msg.channel_id.get()) {
            Trigger::HelpChannel
        } else {
            return Ok(());
        };
        // Mentions are not words: the matcher's normaliser drops them.
        let question = msg.content.as_str();
        let engine = self.engine();
        if matches!(trigger, Trigger::HelpChannel) {
            // Only a confident answer, never a menu, and no cooldown notes.
            let m = self.ask(&engine, question, trigger);
            if let Decision::Answer(s) = m.decision {
                let entry = &engine.faq.entries[s.entry];
                if self.recent_answer(msg.channel_id, &entry.id).is_none() {
                    let sent = msg
                        .channel_id
                        .send_message(
                            &ctx.http,
                            build::message(&view::answer(entry, false)).reference_message(msg),
                        )
                        .await?;
                    self.remember_answer(msg.channel_id, &entry.id, sent.link());
                }
            }
            return Ok(());
        }
        if let Some(wait) = self.cooldown(msg.author.id) {
            let v = cooldown_view(wait);
            msg.channel_id
                .send_message(&ctx.http, build::message(&v).reference_message(msg))
                .await?;
            return Ok(());
        }
        let m = self.ask(&engine, question, trigger);
        let v = view::for_match(&engine.faq, &m, true);
        if let Some(id) = v.answers.clone() {
            if let Some(link) = self.recent_answer(msg.channel_id, &id) {
                let v = note(&format!("This was answered a moment ago: {link}"));
                msg.channel_id
                    .send_message(&ctx.http, build::message(&v).reference_message(msg))
                    .await?;
                return Ok(());
            }
            let sent = msg
                .channel_id
                .send_message(&ctx.http, build::message(&v).reference_message(msg))
                .await?;
            self.remember_answer(msg.channel_id, &id, sent.link());
            return Ok(());
        }
        msg.channel_id
            .send_message(&ctx.http, build::message(&v).reference_message(msg))
            .await?;
        Ok(())
    }

    async fn register_commands(&self, ctx: &Context) {
        if self.settings.guild_ids.is_empty() {
            match Command::set_global_commands(&ctx.http, commands()).await {
                Ok(c) => tracing::info!(commands = c.len(), "registered global commands"),
                Err(e) => tracing::error!(error = %e, "could not register the global commands"),
            }
        }
        for &g in &self.settings.guild_ids {
            match GuildId::new(g).set_commands(&ctx.http, commands()).await {
                Ok(c) => tracing::info!(guild = g, commands = c.len(), "registered guild commands"),
                Err(e) => {
                    tracing::error!(guild = g, error = %e, "could not register the guild commands; is the bot in that server, with the applications.commands scope?")
                }
            }
        }
    }
}

#[async_trait]
impl EventHandler for Bot {
    async fn ready(&self, ctx: Context, ready: Ready) {
        let _ = self.me.set(ready.user.id);
        tracing::info!(user = %ready.user.name, guilds = ready.guilds.len(), "connected to Discord");
        self.register_commands(&ctx).await;
    }

    async fn interaction_create(&self, ctx: Context, interaction: Interaction) {
        let (result, channel, guild) = match &interaction {
            Interaction::Command(cmd) => (
                self.on_command(&ctx, cmd).await,
                cmd.channel_id,
                cmd.guild_id,
            ),
            Interaction::Autocomplete(cmd) => (
                self.on_autocomplete(&ctx, cmd).await,
                cmd.channel_id,
                cmd.guild_id,
            ),
            Interaction::Component(comp) => (
                self.on_component(&ctx, comp).await,
                comp.channel_id,
                comp.guild_id,
            ),
            _ => return,
        };
        if let Err(e) = result {
            report(&e, channel, guild);
            // Tell the user: as the response if none was sent yet, else as a
            // private follow-up.
            let text = if is_forbidden(&e) {
                MISSING_PERMISSIONS
            } else {
                SOMETHING_WENT_WRONG
            };
            let sorry = CreateInteractionResponseMessage::new()
                .content(text)
                .ephemeral(true)
                .allowed_mentions(build::no_pings());
            let followup = CreateInteractionResponseFollowup::new()
                .content(text)
                .ephemeral(true)
                .allowed_mentions(build::no_pings());
            let told = match &interaction {
                Interaction::Command(cmd) => tell(&ctx, cmd.id, &cmd.token, sorry, followup).await,
                Interaction::Component(comp) => {
                    tell(&ctx, comp.id, &comp.token, sorry, followup).await
                }
                _ => Ok(()),
            };
            if let Err(e) = told {
                tracing::warn!(error = %e, "could not tell the user that something went wrong");
            }
        }
    }

    async fn message(&self, ctx: Context, msg: Message) {
        if let Err(e) = self.on_message(&ctx, &msg).await {
            report(&e, msg.channel_id, msg.guild_id);
        }
    }

    async fn resume(&self, _ctx: Context, _: serenity::all::ResumedEvent) {
        tracing::info!("gateway session resumed");
    }
}

/// Sends `sorry` as the interaction's response, or as a follow-up when a
/// response was already sent.
async fn tell(
    ctx: &Context,
    id: InteractionId,
    token: &str,
    sorry: CreateInteractionResponseMessage,
    followup: CreateInteractionResponseFollowup,
) -> serenity::Result<()> {
    let response = CreateInteractionResponse::Message(sorry);
    if response.execute(&ctx.http, (id, token)).await.is_ok() {
        return Ok(());
    }
    followup.execute(&ctx.http, (None, token)).await.map(|_| ())
}

async fn respond(ctx: &Context, cmd: &CommandInteraction, v: &View) -> serenity::Result<()> {
    cmd.create_response(
        &ctx.http,
        CreateInteractionResponse::Message(build::response(v)),
    )
    .await
}

/// A short private note.
fn note(text: &str) -> View {
    View {
        content: Some(view::cut(text, view::limits::CONTENT)),
        embed: None,
        rows: Vec::new(),
        ephemeral: true,
        answers: None,
    }
}

fn cooldown_view(wait: Duration) -> View {
    let secs = wait.as_secs_f32().ceil().max(1.0) as u64;
    note(&format!(
        "You're asking faster than I can keep up; please wait {secs} second{} and ask again.",
        if secs == 1 { "" } else { "s" }
    ))
}

fn log_question(engine: &Engine, m: &Match, trigger: Trigger, started: Instant) {
    let entry = match &m.decision {
        Decision::Answer(s) => engine.faq.entries[s.entry].id.as_str(),
        _ => "",
    };
    tracing::info!(
        trigger = trigger.name(),
        outcome = m.decision.outcome(),
        entry,
        score = m.score,
        latency_us = started.elapsed().as_micros() as u64,
        "question handled"
    );
}

/// A pick from a list (autocomplete, button, menu) answers an entry
/// directly: logged like a question, with score 1.
fn log_pick(engine: &Engine, entry: usize, trigger: Trigger) {
    tracing::info!(
        trigger = trigger.name(),
        outcome = "answer",
        entry = engine.faq.entries[entry].id.as_str(),
        score = 1.0,
        latency_us = 0u64,
        "question handled"
    );
}

/// Whether Discord refused a request for lack of permissions (403).
fn is_forbidden(e: &serenity::Error) -> bool {
    matches!(e, serenity::Error::Http(serenity::all::HttpError::UnsuccessfulRequest(r)) if r.status_code.as_u16() == 403)
}

/// Logs a failed Discord call: missing permissions get a hint, everything
/// else the error. Never panics, never includes the token.
fn report(e: &serenity::Error, channel: ChannelId, guild: Option<GuildId>) {
    let guild = guild.map(|g| g.get()).unwrap_or(0);
    if is_forbidden(e) {
        tracing::warn!(
            guild,
            channel = channel.get(),
            error = %e,
            "missing permissions: give the bot View Channel, Send Messages, Embed Links and Read Message History in this channel"
        );
        return;
    }
    tracing::error!(guild, channel = channel.get(), error = %e, "a Discord request failed");
}
