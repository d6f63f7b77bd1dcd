//! Discord events in, replies out: the slash commands and their
//! autocomplete, the "Find FAQ answer" message command, the menus and
//! buttons, and messages that mention the bot, reply to it, arrive by DM or
//! in a help channel. Matching and rendering are done by the pure modules;
//! this file only decides which view answers which event and sends it.
//!
//! It also feeds the moderators' loop: every question matched is recorded
//! in the store (non-blocking) under a new question id, which the
//! question's buttons and menus carry, so that a pick (suggestion or menu)
//! and a 👍/👎 are recorded against it, and Why? can explain it.

use std::collections::HashMap;
use std::path::PathBuf;
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

use super::build;
use super::recent::RecentQuestions;
use super::reload::{self, RELOAD_COMMAND};
use super::rest::Rest;
use super::stats::{self, STATS_COMMAND};
use super::view::{self, Action, Choice, View};
use crate::answer::engine::Engine;
use crate::answer::matching::{Decision, Match};
use crate::answer::why::Why;
use crate::discord::config::DiscordConfig;
use crate::moderation::reload::SharedEngine;
use crate::store::{self, now_unix, Pick, Question, QuestionId, Reader, Store, Via, Vote};

/// The slash command that asks a question.
pub const FAQ_COMMAND: &str = "faq";
/// The slash command that opens the topic menu.
pub const TOPICS_COMMAND: &str = "faq-topics";
/// The message context-menu command.
pub const FIND_COMMAND: &str = "Find FAQ answer";

/// What users are told when something on our side failed.
const SOMETHING_WENT_WRONG: &str = "Something went wrong on my side; please try again in a moment.";
/// The reply to a 👍 or 👎.
pub const VOTE_NOTED: &str = "Thanks — noted.";
/// ... when votes are not recorded (the store is off).
const VOTE_NOT_RECORDED: &str = "Thanks! (Votes are not recorded on this bot right now.)";
/// What Why? says when the question is no longer known.
pub const WHY_TOO_OLD: &str =
    "This answer is too old to explain; ask again and press Why? on the new answer.";
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
        stats::command(),
    ]
}

/// How a question reached the bot (for the logs), or how an entry was
/// picked.
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

    /// The store's name for a trigger that brings a question; `None` for
    /// picks (they are recorded as picks, not questions).
    fn stored(self) -> Option<store::Trigger> {
        match self {
            Trigger::Slash => Some(store::Trigger::Slash),
            Trigger::ContextMenu => Some(store::Trigger::ContextMenu),
            Trigger::Mention => Some(store::Trigger::Mention),
            Trigger::Reply => Some(store::Trigger::Reply),
            Trigger::Dm => Some(store::Trigger::Dm),
            Trigger::HelpChannel => Some(store::Trigger::HelpChannel),
            Trigger::Picked | Trigger::Button | Trigger::Menu => None,
        }
    }
}

/// Where a question was asked, as the store keeps it.
#[derive(Debug, Clone, Copy)]
struct Place {
    guild: Option<GuildId>,
    channel: ChannelId,
}

/// A user's last question, for the cooldown: when, and whether the note
/// for this window was sent.
#[derive(Debug, Clone, Copy)]
struct Asked {
    at: Instant,
    noted: bool,
}

/// A question inside its asker's cooldown.
#[derive(Debug, Clone, Copy)]
struct Cooldown {
    /// Until the asker may ask again.
    wait: Duration,
    /// The first question of this window to be turned away.
    first_note: bool,
}

/// The bot's state: the engine (swappable), settings, the question store,
/// and the small memories behind cooldowns, "answered just above" and
/// Why?.
pub struct Bot {
    engine: SharedEngine,
    settings: DiscordConfig,
    store: Arc<Store>,
    /// Sends replies, waiting out rate limits (shared with the watcher).
    rest: Arc<Rest>,
    /// Whether a shard has been ready (its session started) yet.
    connected: tokio::sync::watch::Sender<bool>,
    me: OnceLock<UserId>,
    last_question: Mutex<HashMap<UserId, Asked>>,
    recent_answers: Mutex<HashMap<(ChannelId, String), (Instant, String)>>,
    recent_questions: Mutex<RecentQuestions>,
}

impl Bot {
    pub fn new(engine: Engine, settings: DiscordConfig, store: Arc<Store>) -> Bot {
        Bot {
            engine: SharedEngine::new(engine),
            settings,
            store,
            rest: Arc::new(Rest::default()),
            connected: tokio::sync::watch::Sender::new(false),
            me: OnceLock::new(),
            last_question: Mutex::new(HashMap::new()),
            recent_answers: Mutex::new(HashMap::new()),
            recent_questions: Mutex::new(RecentQuestions::default()),
        }
    }

    /// Becomes `true` once a shard is connected and ready.
    pub fn connected(&self) -> tokio::sync::watch::Receiver<bool> {
        self.connected.subscribe()
    }

    /// Sends `v` in `to`'s channel, as a reply to it.
    async fn reply_to(&self, ctx: &Context, to: &Message, v: &View) -> serenity::Result<Message> {
        let message = build::message(v).reference_message(to);
        self.rest
            .send_message(&ctx.http, to.channel_id, &message)
            .await
    }

    /// The REST sender, for what runs beside the handler (the watcher).
    pub fn rest(&self) -> Arc<Rest> {
        Arc::clone(&self.rest)
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

    /// `Some` when `user` asked less than the cooldown ago; else records
    /// this question.
    fn cooldown(&self, user: UserId) -> Option<Cooldown> {
        let window = Duration::from_secs(self.settings.user_cooldown_secs);
        if window.is_zero() {
            return None;
        }
        let now = Instant::now();
        let mut map = self.last_question.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(asked) = map.get_mut(&user) {
            let since = now.duration_since(asked.at);
            if since < window {
                let first_note = !asked.noted;
                asked.noted = true;
                return Some(Cooldown {
                    wait: window - since,
                    first_note,
                });
            }
        }
        map.retain(|_, a| now.duration_since(a.at) < window);
        map.insert(
            user,
            Asked {
                at: now,
                noted: false,
            },
        );
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

    /// Matches a question, logs the one line per question, records it in
    /// the store (without waiting) and remembers its text for Why?.
    /// `received`: when the event arrived, for the latency.
    fn ask(
        &self,
        engine: &Engine,
        question: &str,
        trigger: Trigger,
        place: Place,
        received: Instant,
    ) -> (Match, QuestionId) {
        let m = engine.matcher.ask(question);
        let latency = received.elapsed();
        log_question(engine, &m, trigger, latency);
        tracing::debug!(question, "question text");
        let id = match trigger.stored() {
            Some(stored) => {
                let mut q = Question::from_match(question, stored, &m, &engine.faq, latency);
                // A DM channel stands for one person: kept for no DM.
                if let Some(guild) = place.guild {
                    q.guild_id = Some(guild.get());
                    q.channel_id = Some(place.channel.get());
                }
                let id = q.id;
                self.store.record_question(q);
                id
            }
            None => QuestionId::generate(),
        };
        self.recent_questions
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(id, question);
        (m, id)
    }

    /// Whether answers get 👍/👎: only when votes are recorded.
    fn votes(&self) -> bool {
        self.store.enabled()
    }

    /// The private answer to an entry picked from suggestions or menus:
    /// with 👍/👎 naming that entry when it followed a question (browsing
    /// has none) and votes are recorded.
    fn picked_answer(&self, entry: &crate::faq::Entry, question: Option<QuestionId>) -> View {
        let v = view::answer(entry, true);
        match question {
            Some(q) if self.votes() => view::with_feedback(v, q, true, Some(&entry.id)),
            _ => v,
        }
    }

    /// Records that the asker of `question` picked `entry`; nothing when
    /// there was no question (browsing the menu).
    fn record_pick(&self, question: Option<QuestionId>, entry: &str, via: Via) {
        if let Some(question) = question {
            self.store.record_pick(Pick {
                question,
                entry: entry.to_string(),
                via,
                at: now_unix(),
            });
        }
    }

    /// The text of question `id`: from memory, else from the store (read
    /// off the async threads).
    async fn question_text(&self, id: QuestionId) -> Option<String> {
        let remembered = self
            .recent_questions
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(id)
            .map(str::to_string);
        if remembered.is_some() {
            return remembered;
        }
        let path: PathBuf = self.store.path()?.to_path_buf();
        let read = tokio::task::spawn_blocking(move || Reader::open(&path)?.question(id)).await;
        match read {
            Ok(Ok(q)) => q.map(|q| q.text),
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "Why?: cannot read the question from the store");
                None
            }
            Err(e) => {
                tracing::warn!(error = %e, "Why?: the store lookup stopped unexpectedly");
                None
            }
        }
    }

    async fn on_command(
        &self,
        ctx: &Context,
        cmd: &CommandInteraction,
        received: Instant,
    ) -> serenity::Result<()> {
        if cmd.data.name == RELOAD_COMMAND {
            return reload::run_command(&self.rest, ctx, cmd, &self.engine, &self.settings).await;
        }
        if cmd.data.name == STATS_COMMAND {
            return stats::run_command(
                &self.rest,
                ctx,
                cmd,
                &self.engine,
                &self.store,
                &self.settings,
            )
            .await;
        }
        let place = Place {
            guild: cmd.guild_id,
            channel: cmd.channel_id,
        };
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
                if let Some(c) = self.cooldown(cmd.user.id) {
                    return respond(&self.rest, ctx, cmd, &cooldown_view(c.wait)).await;
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
                        view::topic_menu(&engine.faq, 0, view::NO_WORDS, None)
                    }
                    None => {
                        let (m, id) = self.ask(&engine, question, Trigger::Slash, place, received);
                        view::for_match(&engine.faq, &m, public, Some(id), self.votes())
                    }
                };
                self.respond_answer(ctx, cmd, v).await
            }
            TOPICS_COMMAND => {
                let v = view::topic_menu(
                    &engine.faq,
                    0,
                    "Pick a topic to browse its questions:",
                    None,
                );
                respond(&self.rest, ctx, cmd, &v).await
            }
            FIND_COMMAND => {
                let Some(ResolvedTarget::Message(target)) = cmd.data.target() else {
                    return respond(
                        &self.rest,
                        ctx,
                        cmd,
                        &note("I can only look up a message's text."),
                    )
                    .await;
                };
                if let Some(c) = self.cooldown(cmd.user.id) {
                    return respond(&self.rest, ctx, cmd, &cooldown_view(c.wait)).await;
                }
                if target.content.trim().is_empty() {
                    let text = "That message has no text I can see to look up (if it was sent before I joined, or is only an image, I can't read it).";
                    return respond(&self.rest, ctx, cmd, &note(text)).await;
                }
                let place = Place {
                    channel: target.channel_id,
                    ..place
                };
                let (m, id) = self.ask(
                    &engine,
                    &target.content,
                    Trigger::ContextMenu,
                    place,
                    received,
                );
                match &m.decision {
                    Decision::Answer(s) => {
                        let entry = &engine.faq.entries[s.entry];
                        // Acknowledge privately, then answer in the channel
                        // as a reply to the message that asked.
                        respond(&self.rest, ctx, cmd, &note("Answered below.")).await?;
                        if let Some(link) = self.recent_answer(target.channel_id, &entry.id) {
                            let v = note(&format!("This was answered a moment ago: {link}"));
                            self.reply_to(ctx, target, &v).await?;
                            return Ok(());
                        }
                        let v =
                            view::with_feedback(view::answer(entry, false), id, self.votes(), None);
                        let sent = self.reply_to(ctx, target, &v).await?;
                        self.remember_answer(target.channel_id, &entry.id, sent.link());
                        Ok(())
                    }
                    _ => {
                        let v = view::for_match(&engine.faq, &m, false, Some(id), self.votes());
                        respond(&self.rest, ctx, cmd, &v).await
                    }
                }
            }
            other => {
                tracing::warn!(
                    command = other,
                    "unknown command; was it removed from the bot?"
                );
                respond(
                    &self.rest,
                    ctx,
                    cmd,
                    &note("I don't know that command any more."),
                )
                .await
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
                return respond(&self.rest, ctx, cmd, &pointer).await;
            }
        }
        respond(&self.rest, ctx, cmd, &v).await?;
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
        let response = CreateInteractionResponse::Autocomplete(response);
        self.rest
            .respond(&ctx.http, cmd.id, &cmd.token, &response)
            .await
    }

    async fn on_component(
        &self,
        ctx: &Context,
        comp: &ComponentInteraction,
    ) -> serenity::Result<()> {
        let action = Action::parse(&comp.data.custom_id);
        match action {
            Some(Action::Vote {
                question,
                up,
                entry,
            }) => return self.on_vote(ctx, comp, question, up, entry).await,
            Some(Action::Why(question)) => return self.on_why(ctx, comp, question).await,
            _ => {}
        }
        let engine = self.engine();
        let faq = &engine.faq;
        let chosen = match &comp.data.kind {
            ComponentInteractionDataKind::StringSelect { values } => {
                values.first().and_then(|v| Choice::parse(v))
            }
            _ => None,
        };
        let stale = |question| {
            view::topic_menu(
                faq,
                0,
                "That menu is out of date (the FAQ changed). Pick a topic again:",
                question,
            )
        };
        let v = match (action, chosen) {
            (Some(Action::Answer { entry, question }), _) => {
                match faq.entries.iter().position(|e| e.id == entry) {
                    Some(e) => {
                        log_pick(&engine, e, Trigger::Button);
                        self.record_pick(question, &entry, Via::Suggestion);
                        // A suggestion click answers privately, whoever clicks.
                        let v = self.picked_answer(&faq.entries[e], question);
                        let response = CreateInteractionResponse::Message(build::response(&v));
                        return self
                            .rest
                            .respond(&ctx.http, comp.id, &comp.token, &response)
                            .await;
                    }
                    None => stale(question),
                }
            }
            (Some(Action::TopicMenu { question, .. }), Some(Choice::Topic(t))) => {
                view::question_menu(faq, t, 0, question).unwrap_or_else(|| stale(question))
            }
            (Some(Action::TopicMenu { question, .. }), Some(Choice::Page(p))) => {
                view::topic_menu(faq, p, "Pick a topic to browse its questions:", question)
            }
            (
                Some(Action::QuestionMenu {
                    topic, question, ..
                }),
                Some(Choice::Page(p)),
            ) => view::question_menu(faq, topic, p, question).unwrap_or_else(|| stale(question)),
            (Some(Action::QuestionMenu { question, .. }), Some(Choice::Entry(id))) => {
                match faq.entries.iter().position(|e| e.id == id) {
                    Some(e) => {
                        log_pick(&engine, e, Trigger::Menu);
                        self.record_pick(question, &id, Via::Menu);
                        self.picked_answer(&faq.entries[e], question)
                    }
                    None => stale(question),
                }
            }
            _ => {
                // Discord sends only our own components: an id this version
                // cannot read, or a menu without a choice, is a stale or
                // damaged menu. Offer the topics again rather than leave
                // "This interaction failed".
                tracing::debug!(custom_id = %comp.data.custom_id, "a component this version cannot read");
                stale(None)
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
        self.rest
            .respond(&ctx.http, comp.id, &comp.token, &response)
            .await
    }

    /// 👍 or 👎 on an answer: recorded (the store hashes the voter's id;
    /// a later vote by the same person replaces it) and thanked privately.
    async fn on_vote(
        &self,
        ctx: &Context,
        comp: &ComponentInteraction,
        question: QuestionId,
        up: bool,
        entry: Option<String>,
    ) -> serenity::Result<()> {
        let text = if self.store.enabled() {
            self.store.record_vote(Vote {
                question,
                voter: comp.user.id.get(),
                up,
                entry,
                at: now_unix(),
            });
            VOTE_NOTED
        } else {
            VOTE_NOT_RECORDED
        };
        let response = CreateInteractionResponse::Message(build::response(&note(text)));
        self.rest
            .respond(&ctx.http, comp.id, &comp.token, &response)
            .await
    }

    /// Why?: the numbers behind the reply to a question, privately, as the
    /// FAQ is now.
    async fn on_why(
        &self,
        ctx: &Context,
        comp: &ComponentInteraction,
        question: QuestionId,
    ) -> serenity::Result<()> {
        let v = match self.question_text(question).await {
            Some(text) => {
                let engine = self.engine();
                let why = Why::new(&engine.faq, &engine.matcher, &text).to_text();
                let asked = view::cut(&text.replace(['\n', '\r'], " "), 300);
                note(&format!("Why this reply to \"{asked}\":\n{why}"))
            }
            None => note(WHY_TOO_OLD),
        };
        let response = CreateInteractionResponse::Message(build::response(&v));
        self.rest
            .respond(&ctx.http, comp.id, &comp.token, &response)
            .await
    }

    /// Messages: mentions of the bot, replies to it, DMs, help channels.
    async fn on_message(
        &self,
        ctx: &Context,
        msg: &Message,
        received: Instant,
    ) -> serenity::Result<()> {
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
        let place = Place {
            guild: msg.guild_id,
            channel: msg.channel_id,
        };
        if matches!(trigger, Trigger::HelpChannel) {
            // Only a confident answer, never a menu, and no cooldown notes.
            let (m, id) = self.ask(&engine, question, trigger, place, received);
            if let Decision::Answer(s) = m.decision {
                let entry = &engine.faq.entries[s.entry];
                if self.recent_answer(msg.channel_id, &entry.id).is_none() {
                    let v = view::with_feedback(view::answer(entry, false), id, self.votes(), None);
                    let sent = self.reply_to(ctx, msg, &v).await?;
                    self.remember_answer(msg.channel_id, &entry.id, sent.link());
                }
            }
            return Ok(());
        }
        if let Some(c) = self.cooldown(msg.author.id) {
            // A message cannot be answered privately: one public note per
            // cooldown window, and the rest of a flood gets nothing.
            if c.first_note {
                let v = cooldown_view(c.wait);
                self.reply_to(ctx, msg, &v).await?;
            }
            return Ok(());
        }
        let (m, id) = self.ask(&engine, question, trigger, place, received);
        let v = view::for_match(&engine.faq, &m, true, Some(id), self.votes());
        if let Some(id) = v.answers.clone() {
            if let Some(link) = self.recent_answer(msg.channel_id, &id) {
                let v = note(&format!("This was answered a moment ago: {link}"));
                self.reply_to(ctx, msg, &v).await?;
                return Ok(());
            }
            let sent = self.reply_to(ctx, msg, &v).await?;
            self.remember_answer(msg.channel_id, &id, sent.link());
            return Ok(());
        }
        self.reply_to(ctx, msg, &v).await?;
        Ok(())
    }

    async fn register_commands(&self, ctx: &Context) {
        if self.settings.guild_ids.is_empty() {
            match Command::set_global_commands(&ctx.http, commands()).await {
                Ok(c) => tracing::info!(commands = c.len(), "registered global commands"),
                Err(e) => tracing::error!(error = %e, "could not register the global commands"),
            }
        } else if self.settings.clear_global_commands {
            // Left from before the switch to guild_ids: each would show
            // twice in those servers.
            match Command::set_global_commands(&ctx.http, Vec::new()).await {
                Ok(_) => {
                    tracing::info!("removed the global commands (discord.clear_global_commands)")
                }
                Err(e) => tracing::error!(error = %e, "could not remove the global commands"),
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
        self.connected.send_replace(true);
        tracing::info!(user = %ready.user.name, guilds = ready.guilds.len(), "connected to Discord");
        tracing::info!(
            url = %super::invite_url(ready.application.id.get()),
            "invite the bot to a server with"
        );
        self.register_commands(&ctx).await;
    }

    async fn interaction_create(&self, ctx: Context, interaction: Interaction) {
        let received = Instant::now();
        let (result, channel, guild) = match &interaction {
            Interaction::Command(cmd) => (
                self.on_command(&ctx, cmd, received).await,
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
                Interaction::Command(cmd) => {
                    tell(&self.rest, &ctx, cmd.id, &cmd.token, sorry, followup).await
                }
                Interaction::Component(comp) => {
                    tell(&self.rest, &ctx, comp.id, &comp.token, sorry, followup).await
                }
                _ => Ok(()),
            };
            if let Err(e) = told {
                tracing::warn!(error = %e, "could not tell the user that something went wrong");
            }
        }
    }

    async fn message(&self, ctx: Context, msg: Message) {
        if let Err(e) = self.on_message(&ctx, &msg, Instant::now()).await {
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
    rest: &Rest,
    ctx: &Context,
    id: InteractionId,
    token: &str,
    sorry: CreateInteractionResponseMessage,
    followup: CreateInteractionResponseFollowup,
) -> serenity::Result<()> {
    let response = CreateInteractionResponse::Message(sorry);
    if rest.respond(&ctx.http, id, token, &response).await.is_ok() {
        return Ok(());
    }
    rest.followup(&ctx.http, token, &followup).await.map(|_| ())
}

async fn respond(
    rest: &Rest,
    ctx: &Context,
    cmd: &CommandInteraction,
    v: &View,
) -> serenity::Result<()> {
    let response = CreateInteractionResponse::Message(build::response(v));
    rest.respond(&ctx.http, cmd.id, &cmd.token, &response).await
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
        crate::answer::text::plural(secs)
    ))
}

fn log_question(engine: &Engine, m: &Match, trigger: Trigger, latency: Duration) {
    let entry = match &m.decision {
        Decision::Answer(s) => engine.faq.entries[s.entry].id.as_str(),
        _ => "",
    };
    tracing::info!(
        trigger = trigger.name(),
        outcome = m.decision.outcome().as_str(),
        entry,
        score = m.score,
        latency_us = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX),
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
