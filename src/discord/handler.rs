//! Discord events in, replies out: the slash commands and their
//! autocomplete, the "Find FAQ answer" message command, the menus and
//! buttons, and messages that mention the bot, reply to it, arrive by DM or
//! in a help channel. This file reads each event out of serenity's types
//! into a [`route::Event`], lets [`route::route`] decide, and performs the
//! [`Action`]s it returns: sending (through [`Rest`]), recording in the
//! store (non-blocking), remembering where an answer was sent. The
//! moderator commands ([`reload`], [`stats`]) run their own flows.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::Instant;

use serenity::all::{
    ChannelId, Command, CommandInteraction, CommandOptionType, CommandType, ComponentInteraction,
    ComponentInteractionDataKind, Context, CreateAutocompleteResponse, CreateCommand,
    CreateCommandOption, CreateInteractionResponse, CreateInteractionResponseFollowup,
    CreateInteractionResponseMessage, EventHandler, GuildId, Http, Interaction, InteractionId,
    Message, MessageFlags, Ready, ResolvedTarget, ResolvedValue, UserId,
};
use serenity::async_trait;

use super::build;
use super::moderator;
use super::reload::{self, RELOAD_COMMAND};
use super::rest::Rest;
use super::route::{self, Action, Addressed, Env, Event, Memory, Place, Record};
use super::stats::{self, STATS_COMMAND};
use super::view;
use crate::answer::engine::Engine;
use crate::discord::config::DiscordConfig;
use crate::moderation::library::{Answering, Library};
use crate::store::coordination::Reloads;
use crate::store::{QuestionId, Reader, Store};
use crate::telemetry::{self, ShardState, Status};

pub use super::route::{VOTE_NOTED, WHY_TOO_OLD};

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
        stats::command(),
    ]
}

/// The bot's state: the FAQs (each swappable), settings, the question
/// store, and the [`Memory`] behind cooldowns, "answered just above" and
/// Why?.
pub struct Bot {
    library: Arc<Library>,
    settings: DiscordConfig,
    store: Arc<Store>,
    /// Sends replies, waiting out rate limits (shared with the watcher).
    rest: Arc<Rest>,
    /// Whether a shard has been ready (its session started) yet.
    connected: tokio::sync::watch::Sender<bool>,
    /// The shards that have been ready, by id.
    ready_shards: tokio::sync::watch::Sender<BTreeSet<u32>>,
    /// What `/healthz` and `/metrics` report.
    status: Arc<Status>,
    /// Where `/faq-reload`s are announced to the other processes.
    reloads: Option<Reloads>,
    me: OnceLock<UserId>,
    memory: Mutex<Memory>,
}

/// What the actions of one event answer: the interaction to respond to
/// (its id, token and channel), and the message replies go to.
#[derive(Clone, Copy, Default)]
struct Origin<'a> {
    interaction: Option<(InteractionId, &'a str, ChannelId)>,
    message: Option<&'a Message>,
}

impl<'a> Origin<'a> {
    /// An interaction, responded to in `channel`.
    fn interaction(id: InteractionId, token: &'a str, channel: ChannelId) -> Origin<'a> {
        Origin {
            interaction: Some((id, token, channel)),
            message: None,
        }
    }
}

impl Bot {
    pub fn new(
        library: Arc<Library>,
        settings: DiscordConfig,
        store: Arc<Store>,
        status: Arc<Status>,
    ) -> Bot {
        Bot {
            library,
            ready_shards: tokio::sync::watch::Sender::new(BTreeSet::new()),
            status,
            reloads: None,
            settings,
            store,
            rest: Arc::new(Rest::default()),
            connected: tokio::sync::watch::Sender::new(false),
            me: OnceLock::new(),
            memory: Mutex::new(Memory::default()),
        }
    }

    /// Becomes `true` once a shard is connected and ready.
    pub fn connected(&self) -> tokio::sync::watch::Receiver<bool> {
        self.connected.subscribe()
    }

    /// The bot, announcing its `/faq-reload`s through `reloads`.
    pub fn announcing(mut self, reloads: Option<Reloads>) -> Bot {
        self.reloads = reloads;
        self
    }

    /// Completes once shard `id` has been ready.
    pub async fn wait_ready(&self, id: u32) {
        let mut ready = self.ready_shards.subscribe();
        // An error means the bot is gone: nothing to wait for.
        let _ = ready.wait_for(|r| r.contains(&id)).await;
    }

    /// The REST sender, for what runs beside the handler (the watcher).
    pub fn rest(&self) -> Arc<Rest> {
        Arc::clone(&self.rest)
    }

    /// The FAQs this bot answers from, for reloading them from elsewhere
    /// (the FAQ watcher).
    pub fn library(&self) -> Arc<Library> {
        Arc::clone(&self.library)
    }

    fn memory(&self) -> MutexGuard<'_, Memory> {
        self.memory.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Routes `event`, from `guild` (None: a DM), against the current
    /// engine of that server's FAQ and performs what it decides; `now`:
    /// when the event arrived.
    async fn handle(
        &self,
        http: &Http,
        guild: Option<GuildId>,
        origin: Origin<'_>,
        event: &Event<'_>,
        now: Instant,
    ) -> serenity::Result<()> {
        let engine = match self.library.engine_for(guild.map(GuildId::get)) {
            Answering::Engine(engine) => engine,
            Answering::Unavailable => {
                let actions = route::unavailable(event);
                return self.perform(http, None, origin, actions).await;
            }
        };
        let env = Env {
            engine: &engine,
            settings: &self.settings,
            votes: self.store.enabled(),
        };
        let actions = route::route(event, &env, &mut self.memory(), now);
        self.perform(http, Some(&engine), origin, actions).await
    }

    /// Performs `actions` in order, answering `origin` from `engine`;
    /// stops at the first that fails.
    async fn perform(
        &self,
        http: &Http,
        engine: Option<&Engine>,
        origin: Origin<'_>,
        actions: Vec<Action>,
    ) -> serenity::Result<()> {
        for action in actions {
            match action {
                Action::Respond { view, remember } => {
                    let response = CreateInteractionResponse::Message(build::response(&view));
                    let Some(channel) = self.respond(http, origin, &response).await? else {
                        continue;
                    };
                    if let (Some(entry), Some((_, token, _))) = (remember, origin.interaction) {
                        // Only needed to point repeats at this answer: not
                        // worth failing for.
                        match http.get_original_interaction_response(token).await {
                            Ok(sent) => self.remember_answer(channel, &entry, sent.link()),
                            Err(e) => {
                                tracing::warn!(error = %e, "could not look up the answer just sent; repeats will not point to it")
                            }
                        }
                    }
                }
                Action::Update(view) => {
                    let response = CreateInteractionResponse::UpdateMessage(build::response(&view));
                    self.respond(http, origin, &response).await?;
                }
                Action::Choices(choices) => {
                    let mut response = CreateAutocompleteResponse::new();
                    for (name, value) in choices {
                        response = response.add_string_choice(name, value);
                    }
                    let response = CreateInteractionResponse::Autocomplete(response);
                    self.respond(http, origin, &response).await?;
                }
                Action::Reply { view, remember } => {
                    let Some(to) = origin.message else {
                        tracing::error!("a reply without a message to reply to; not sent");
                        continue;
                    };
                    let message = build::message(&view).reference_message(to);
                    let sent = self
                        .rest
                        .send_message(http, to.channel_id, &message)
                        .await?;
                    if let Some(entry) = remember {
                        self.remember_answer(to.channel_id, &entry, sent.link());
                    }
                }
                Action::Record(Record::Question(q)) => {
                    let latency = std::time::Duration::from_micros(q.latency_us);
                    telemetry::question(q.trigger, q.outcome, latency);
                    self.store.record_question(q)
                }
                Action::Record(Record::Pick(p)) => self.store.record_pick(p),
                Action::Record(Record::Vote(v)) => self.store.record_vote(v),
                Action::ExplainFromStore(question) => {
                    let text = match engine {
                        Some(_) => self.stored_question(question).await,
                        None => None,
                    };
                    let view = match (engine, text) {
                        (Some(engine), Some(text)) => route::why_view(engine, &text),
                        _ => view::note(WHY_TOO_OLD),
                    };
                    let response = CreateInteractionResponse::Message(build::response(&view));
                    self.respond(http, origin, &response).await?;
                }
            }
        }
        Ok(())
    }

    /// Sends `response` to `origin`'s interaction; its channel, or `None`
    /// (logged) when the event was not an interaction.
    async fn respond(
        &self,
        http: &Http,
        origin: Origin<'_>,
        response: &CreateInteractionResponse,
    ) -> serenity::Result<Option<ChannelId>> {
        let Some((id, token, channel)) = origin.interaction else {
            tracing::error!("an interaction response without an interaction; not sent");
            return Ok(None);
        };
        self.rest.respond(http, id, token, response).await?;
        Ok(Some(channel))
    }

    fn remember_answer(&self, channel: ChannelId, entry: &str, link: String) {
        let window = route::repeat_window(&self.settings);
        self.memory()
            .remember_answer(channel.get(), entry, link, window, Instant::now());
    }

    /// The text of question `id` from the store (read off the async
    /// threads), for Why? once the memory has forgotten it.
    async fn stored_question(&self, id: QuestionId) -> Option<String> {
        let location = self.store.location()?.clone();
        let read = tokio::task::spawn_blocking(move || Reader::open(location)?.question(id)).await;
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
        http: &Http,
        cmd: &CommandInteraction,
        received: Instant,
    ) -> serenity::Result<()> {
        // The moderator commands: refused, privately, to anyone else.
        let refusal = match cmd.data.name.as_str() {
            RELOAD_COMMAND => Some(reload::NOT_A_MODERATOR),
            STATS_COMMAND => Some(stats::NOT_A_MODERATOR),
            _ => None,
        };
        if let Some(refusal) = refusal {
            let roles = &self.settings.moderator_roles;
            if moderator::refused(&self.rest, http, cmd, roles, refusal).await? {
                return Ok(());
            }
            let (rest, library) = (&self.rest, &self.library);
            return if cmd.data.name == RELOAD_COMMAND {
                let announce = self.reloads.as_ref();
                reload::run_command(
                    rest,
                    http,
                    cmd,
                    library,
                    self.settings.mod_log_channel,
                    announce,
                )
                .await
            } else {
                stats::run_command(rest, http, cmd, library, &self.store).await
            };
        }
        let place = Place {
            guild: cmd.guild_id.map(GuildId::get),
            channel: cmd.channel_id.get(),
        };
        let mut origin = Origin::interaction(cmd.id, &cmd.token, cmd.channel_id);
        let user = cmd.user.id.get();
        let event = match cmd.data.name.as_str() {
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
                Event::Ask {
                    user,
                    place,
                    question,
                    private,
                }
            }
            TOPICS_COMMAND => Event::Topics,
            FIND_COMMAND => {
                let target = match cmd.data.target() {
                    Some(ResolvedTarget::Message(m)) => Some(m),
                    _ => None,
                };
                origin.message = target;
                Event::Find {
                    user,
                    place,
                    target: target.map(|m| (m.channel_id.get(), m.content.as_str())),
                }
            }
            other => Event::UnknownCommand(other),
        };
        self.handle(http, cmd.guild_id, origin, &event, received)
            .await
    }

    async fn on_autocomplete(&self, http: &Http, cmd: &CommandInteraction) -> serenity::Result<()> {
        let typed = cmd.data.autocomplete().map(|o| o.value).unwrap_or_default();
        let origin = Origin::interaction(cmd.id, &cmd.token, cmd.channel_id);
        let event = Event::Autocomplete(typed);
        self.handle(http, cmd.guild_id, origin, &event, Instant::now())
            .await
    }

    async fn on_component(&self, http: &Http, comp: &ComponentInteraction) -> serenity::Result<()> {
        let chosen = match &comp.data.kind {
            ComponentInteractionDataKind::StringSelect { values } => {
                values.first().map(String::as_str)
            }
            _ => None,
        };
        let event = Event::Component {
            user: comp.user.id.get(),
            custom_id: &comp.data.custom_id,
            chosen,
            on_private_message: comp
                .message
                .flags
                .is_some_and(|f| f.contains(MessageFlags::EPHEMERAL)),
        };
        let origin = Origin::interaction(comp.id, &comp.token, comp.channel_id);
        self.handle(http, comp.guild_id, origin, &event, Instant::now())
            .await
    }

    /// Messages: mentions of the bot, replies to it, DMs, help channels.
    async fn on_message(
        &self,
        http: &Http,
        msg: &Message,
        received: Instant,
    ) -> serenity::Result<()> {
        // Until the bot knows who it is, nothing can be told apart.
        let Some(&me) = self.me.get() else {
            return Ok(());
        };
        let event = Event::Message {
            author: msg.author.id.get(),
            author_is_bot: msg.author.bot,
            place: Place {
                guild: msg.guild_id.map(GuildId::get),
                channel: msg.channel_id.get(),
            },
            text: &msg.content,
            addressed: Addressed {
                dm: msg.guild_id.is_none(),
                mentioned: msg.mentions.iter().any(|u| u.id == me),
                replied_to_me: msg
                    .referenced_message
                    .as_ref()
                    .is_some_and(|r| r.author.id == me),
            },
        };
        let origin = Origin {
            interaction: None,
            message: Some(msg),
        };
        self.handle(http, msg.guild_id, origin, &event, received)
            .await
    }

    pub(super) async fn register_commands(&self, http: &Http) {
        if self.settings.guild_ids.is_empty() {
            match Command::set_global_commands(http, commands()).await {
                Ok(c) => tracing::info!(commands = c.len(), "registered global commands"),
                Err(e) => tracing::error!(error = %e, "could not register the global commands"),
            }
        } else if self.settings.clear_global_commands {
            // Left from before the switch to guild_ids: each would show
            // twice in those servers.
            match Command::set_global_commands(http, Vec::new()).await {
                Ok(_) => {
                    tracing::info!("removed the global commands (discord.clear_global_commands)")
                }
                Err(e) => tracing::error!(error = %e, "could not remove the global commands"),
            }
        }
        for &g in &self.settings.guild_ids {
            match GuildId::new(g).set_commands(http, commands()).await {
                Ok(c) => tracing::info!(guild = g, commands = c.len(), "registered guild commands"),
                Err(e) => {
                    tracing::error!(guild = g, error = %e, "could not register the guild commands; is the bot in that server, with the applications.commands scope?")
                }
            }
        }
    }

    /// Answers an interaction, from the gateway or from the interactions
    /// endpoint (`faqbot serve`); `received`: when it arrived. A failure is
    /// logged, and the user told that something went wrong.
    pub async fn on_interaction(&self, http: &Http, interaction: &Interaction, received: Instant) {
        let (result, channel, guild) = match interaction {
            Interaction::Command(cmd) => (
                self.on_command(http, cmd, received).await,
                cmd.channel_id,
                cmd.guild_id,
            ),
            Interaction::Autocomplete(cmd) => (
                self.on_autocomplete(http, cmd).await,
                cmd.channel_id,
                cmd.guild_id,
            ),
            Interaction::Component(comp) => (
                self.on_component(http, comp).await,
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
            let told = match interaction {
                Interaction::Command(cmd) => {
                    tell(&self.rest, http, cmd.id, &cmd.token, sorry, followup).await
                }
                Interaction::Component(comp) => {
                    tell(&self.rest, http, comp.id, &comp.token, sorry, followup).await
                }
                _ => Ok(()),
            };
            if let Err(e) = told {
                tracing::warn!(error = %e, "could not tell the user that something went wrong");
            }
        }
    }
}

#[async_trait]
impl EventHandler for Bot {
    async fn ready(&self, ctx: Context, ready: Ready) {
        let _ = self.me.set(ready.user.id);
        let shard = ctx.shard_id.0;
        self.status.shard(
            shard,
            ShardState {
                connected: true,
                stage: "connected".into(),
                latency: None,
            },
        );
        self.connected.send_replace(true);
        self.ready_shards.send_modify(|r| {
            r.insert(shard);
        });
        tracing::info!(user = %ready.user.name, guilds = ready.guilds.len(), shard, "connected to Discord");
        // The commands are the application's, not a shard's: registered
        // once, by whichever process runs shard 0.
        if shard == 0 {
            tracing::info!(
                url = %super::invite_url(ready.application.id.get()),
                "invite the bot to a server with"
            );
            self.register_commands(&ctx.http).await;
        }
    }

    async fn interaction_create(&self, ctx: Context, interaction: Interaction) {
        self.on_interaction(&ctx.http, &interaction, Instant::now())
            .await;
    }

    async fn message(&self, ctx: Context, msg: Message) {
        if let Err(e) = self.on_message(&ctx.http, &msg, Instant::now()).await {
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
    http: &Http,
    id: InteractionId,
    token: &str,
    sorry: CreateInteractionResponseMessage,
    followup: CreateInteractionResponseFollowup,
) -> serenity::Result<()> {
    let response = CreateInteractionResponse::Message(sorry);
    if rest.respond(http, id, token, &response).await.is_ok() {
        return Ok(());
    }
    rest.followup(http, token, &followup).await.map(|_| ())
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
