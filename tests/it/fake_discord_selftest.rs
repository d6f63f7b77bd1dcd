//! Tests of the fake Discord (`support/fake_discord/`) with a minimal serenity
//! client defined here, independent of faqbot's own bot code.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use serenity::all::{
    ApplicationId, ButtonStyle, ChannelId, Client, ClientBuilder, Command, CommandOptionType,
    CommandType, ComponentInteractionDataKind, Context, CreateActionRow,
    CreateAutocompleteResponse, CreateButton, CreateCommand, CreateCommandOption, CreateEmbed,
    CreateInteractionResponse, CreateInteractionResponseFollowup, CreateInteractionResponseMessage,
    CreateMessage, CurrentApplicationInfo, CurrentUser, EditInteractionResponse, EditMessage,
    EventHandler, GatewayIntents, GuildId, Http, HttpBuilder, Interaction, InteractionId, Message,
    MessageType, RatelimitInfo, Ready, ResolvedValue, ShardManager,
};
use serenity::async_trait;
use serenity::builder::Builder;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::support::fake_discord::{
    application, autocomplete, bot_user, check_event, component, focused_option, guild_command,
    message, message_command, ready_payload, slash_command, string_option, user, Failure,
    FakeDiscord, Options, Request, APP_ID, BOT_USER_ID, CHANNEL_ID, DEFAULT_TIMEOUT,
    FIND_FAQ_COMMAND, GUILD_ID, USER_ID,
};

// ---------------------------------------------------------------------------
// A minimal bot

/// What the probe bot saw or did, reported to the test.
#[derive(Debug)]
enum Seen {
    Ready(Box<Ready>),
    /// The result of a `POST /channels/{id}/messages` the bot made.
    Sent(Box<serenity::Result<Message>>),
    Message(Box<Message>),
    Interaction(Box<Interaction>, Result<(), String>),
    /// serenity's ratelimiter waited (only without the proxy).
    Ratelimit(RatelimitInfo),
}

struct Probe {
    seen: mpsc::UnboundedSender<Seen>,
}

impl Probe {
    fn report(&self, seen: Seen) {
        // The test may have finished listening; that is fine.
        let _ = self.seen.send(seen);
    }
}

fn describe(step: &str, result: serenity::Result<impl Sized>) -> Result<(), String> {
    result.map(|_| ()).map_err(|e| format!("{step}: {e}"))
}

#[async_trait]
impl EventHandler for Probe {
    async fn ready(&self, ctx: Context, ready: Ready) {
        self.report(Seen::Ready(Box::new(ready)));
        let greeting = CreateMessage::new()
            .content("hello")
            .embed(
                CreateEmbed::new()
                    .title("FAQ")
                    .description("Ask me")
                    .field("a", "b", true),
            )
            .components(vec![CreateActionRow::Buttons(vec![CreateButton::new(
                "more",
            )
            .label("More")
            .style(ButtonStyle::Primary)])]);
        let sent = ChannelId::new(CHANNEL_ID)
            .send_message(&ctx.http, greeting)
            .await;
        self.report(Seen::Sent(Box::new(sent)));
    }

    async fn message(&self, ctx: Context, msg: Message) {
        if msg.author.bot {
            return;
        }
        let send = msg.content == "send";
        let channel = msg.channel_id;
        self.report(Seen::Message(Box::new(msg)));
        if send {
            let sent = channel.say(&ctx.http, "reply").await;
            self.report(Seen::Sent(Box::new(sent)));
        }
    }

    async fn interaction_create(&self, ctx: Context, interaction: Interaction) {
        // Each kind's one callback: the step's name and the response.
        let callback = match &interaction {
            Interaction::Command(cmd) if cmd.data.kind == CommandType::Message => {
                let target = cmd
                    .data
                    .resolved
                    .messages
                    .values()
                    .next()
                    .map(|m| m.content.clone())
                    .unwrap_or_default();
                let reply = CreateInteractionResponseMessage::new()
                    .content(format!("found: {target}"))
                    .ephemeral(true);
                Ok(("create_response", CreateInteractionResponse::Message(reply)))
            }
            Interaction::Command(cmd) => {
                let reply = CreateInteractionResponseMessage::new()
                    .content(format!("pong {}", cmd.data.name));
                Ok(("create_response", CreateInteractionResponse::Message(reply)))
            }
            Interaction::Autocomplete(_) => {
                let choices = CreateAutocompleteResponse::new()
                    .add_string_choice("How do I install it?", "install");
                Ok((
                    "autocomplete",
                    CreateInteractionResponse::Autocomplete(choices),
                ))
            }
            Interaction::Component(c) => {
                let update = CreateInteractionResponseMessage::new()
                    .content(format!("clicked {}", c.data.custom_id));
                Ok((
                    "update_message",
                    CreateInteractionResponse::UpdateMessage(update),
                ))
            }
            other => Err(format!("unexpected interaction {:?}", other.kind())),
        };
        let mut result = match callback {
            Ok((step, response)) => describe(
                step,
                response
                    .execute(&ctx.http, (interaction.id(), interaction.token()))
                    .await,
            ),
            Err(e) => Err(e),
        };
        // A slash command is then edited and followed up.
        if let Interaction::Command(cmd) = &interaction {
            if cmd.data.kind != CommandType::Message {
                let edit = EditInteractionResponse::new().content("edited");
                let followup = CreateInteractionResponseFollowup::new()
                    .content("follow-up")
                    .ephemeral(true);
                result = result
                    .and(describe(
                        "edit_response",
                        cmd.edit_response(&ctx.http, edit).await,
                    ))
                    .and(describe(
                        "create_followup",
                        cmd.create_followup(&ctx.http, followup).await,
                    ));
            }
        }
        self.report(Seen::Interaction(Box::new(interaction), result));
    }

    async fn ratelimit(&self, data: RatelimitInfo) {
        self.report(Seen::Ratelimit(data));
    }
}

fn http_for(fake: &FakeDiscord) -> Http {
    HttpBuilder::new("any.token.x")
        .proxy(fake.base_url())
        .ratelimiter_disabled(true)
        .build()
}

/// A running probe bot.
struct Bot {
    seen: mpsc::UnboundedReceiver<Seen>,
    shards: Arc<ShardManager>,
    task: JoinHandle<serenity::Result<()>>,
}

impl Bot {
    async fn start(fake: &FakeDiscord) -> Self {
        Self::start_with_http(http_for(fake)).await
    }

    async fn start_with_http(http: Http) -> Self {
        let (tx, seen) = mpsc::unbounded_channel();
        let intents = GatewayIntents::GUILD_MESSAGES | GatewayIntents::DIRECT_MESSAGES;
        let mut client: Client = ClientBuilder::new_with_http(http, intents)
            .event_handler(Probe { seen: tx })
            .await
            .expect("the client builds against the fake");
        let shards = client.shard_manager.clone();
        let task = tokio::spawn(async move { client.start().await });
        Self { seen, shards, task }
    }

    /// Starts a fake and a bot on it, and waits for READY and for the
    /// greeting sent from `ready`.
    async fn start_ready() -> (FakeDiscord, Self, Message) {
        let fake = FakeDiscord::start().await;
        let mut bot = Self::start(&fake).await;
        bot.ready().await;
        let greeting = bot
            .sent("greeting")
            .await
            .expect("the greeting from `ready` is sent");
        (fake, bot, greeting)
    }

    /// The next report `pick` takes (others are skipped), within
    /// [`DEFAULT_TIMEOUT`].
    async fn next<T>(&mut self, what: &str, pick: impl Fn(Seen) -> Option<T>) -> T {
        let deadline = tokio::time::Instant::now() + DEFAULT_TIMEOUT;
        loop {
            match tokio::time::timeout_at(deadline, self.seen.recv()).await {
                Ok(Some(seen)) => {
                    if let Some(picked) = pick(seen) {
                        return picked;
                    }
                }
                Ok(None) => panic!("the bot stopped before {what}"),
                Err(_) => panic!("the bot did not report {what} within {DEFAULT_TIMEOUT:?}"),
            }
        }
    }

    async fn ready(&mut self) -> Box<Ready> {
        self.next("READY", |s| match s {
            Seen::Ready(r) => Some(r),
            _ => None,
        })
        .await
    }

    /// The result of the bot's next `POST /channels/{id}/messages`.
    async fn sent(&mut self, what: &str) -> serenity::Result<Message> {
        self.next(what, |s| match s {
            Seen::Sent(sent) => Some(*sent),
            _ => None,
        })
        .await
    }

    async fn message(&mut self, what: &str) -> Box<Message> {
        self.next(what, |s| match s {
            Seen::Message(m) => Some(m),
            _ => None,
        })
        .await
    }

    async fn ratelimit(&mut self, what: &str) -> RatelimitInfo {
        self.next(what, |s| match s {
            Seen::Ratelimit(info) => Some(info),
            _ => None,
        })
        .await
    }

    async fn interaction(&mut self, what: &str) -> (Interaction, Result<(), String>) {
        self.next(what, |s| match s {
            Seen::Interaction(i, r) => Some((*i, r)),
            _ => None,
        })
        .await
    }

    /// Dispatches `payload` as `INTERACTION_CREATE`, expects the handler
    /// to answer it without error, and waits for the callback at the fake.
    async fn answer(&mut self, fake: &FakeDiscord, what: &str, payload: Value) -> Answered {
        let token = token_of(&payload);
        let seq = fake.dispatch("INTERACTION_CREATE", payload).await;
        let (interaction, result) = self.interaction(what).await;
        result.unwrap_or_else(|e| panic!("{what} is answered: {e}"));
        let callback = fake
            .wait_for(callback_of(&token), DEFAULT_TIMEOUT)
            .await
            .unwrap_or_else(|e| panic!("the callback to {what} was recorded: {e}"));
        Answered {
            seq,
            token,
            interaction,
            callback,
        }
    }
}

/// A bot stops when dropped, at the end of each test: it asks the shards to
/// stop (serenity takes up to 500 ms to notice, so that runs detached) and
/// aborts the client task.
impl Drop for Bot {
    fn drop(&mut self) {
        let shards = self.shards.clone();
        tokio::spawn(async move { shards.shutdown_all().await });
        self.task.abort();
    }
}

/// An interaction the probe bot answered, as [`Bot::answer`] saw it.
struct Answered {
    /// The dispatch's sequence number.
    seq: u64,
    token: String,
    interaction: Interaction,
    callback: Request,
}

/// The first request `method path` the fake recorded, within
/// [`DEFAULT_TIMEOUT`].
async fn recorded(fake: &FakeDiscord, method: &str, path: &str) -> Request {
    fake.wait_for(|r| r.is(method, path), DEFAULT_TIMEOUT)
        .await
        .unwrap_or_else(|e| panic!("{method} {path} was recorded: {e}"))
}

fn callback_of<'a>(token: &'a str) -> impl Fn(&Request) -> bool + 'a {
    move |r| r.is("POST", "/interactions/*/*/callback") && r.segment(2) == Some(token)
}

fn token_of(payload: &Value) -> String {
    payload["token"].as_str().expect("token").to_string()
}

/// The Discord error code and status of a failed serenity HTTP call.
fn http_error(err: &serenity::Error) -> (u16, isize) {
    match err {
        serenity::Error::Http(serenity::http::HttpError::UnsuccessfulRequest(resp)) => {
            (resp.status_code.as_u16(), resp.error.code)
        }
        other => panic!("expected an unsuccessful HTTP request, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------
// Tests

#[test]
fn payload_helpers_deserialize_into_serenity_types() {
    let parse_ix = |v: &Value| -> Interaction {
        serde_json::from_value(v.clone()).expect("helper payload is a serenity Interaction")
    };

    // Slash command in a guild (invoker as `member`) and in a DM (`user`).
    let question = string_option("question", "how do I install");
    let guild_cmd = guild_command("faq", json!([question]));
    let Interaction::Command(cmd) = parse_ix(&guild_cmd) else {
        panic!("slash_command is not a Command");
    };
    assert_eq!(cmd.data.name, "faq");
    assert_eq!(cmd.data.kind, CommandType::ChatInput);
    assert_eq!(cmd.guild_id, Some(GuildId::new(GUILD_ID)));
    assert_eq!(cmd.user.id.get(), USER_ID);
    assert_eq!(cmd.channel_id.get(), CHANNEL_ID);
    assert_eq!(cmd.application_id.get(), APP_ID);
    let opts = cmd.data.options();
    assert_eq!(opts[0].name, "question");
    assert!(matches!(
        opts[0].value,
        ResolvedValue::String("how do I install")
    ));

    let dm_cmd = slash_command("faq", json!([]), USER_ID, CHANNEL_ID, None);
    let Interaction::Command(cmd) = parse_ix(&dm_cmd) else {
        panic!("DM slash_command is not a Command");
    };
    assert_eq!(cmd.guild_id, None);
    assert!(cmd.member.is_none());
    assert_eq!(cmd.user.id.get(), USER_ID);

    // Autocomplete.
    let ac = autocomplete("faq", json!([focused_option("question", "inst")]));
    let Interaction::Autocomplete(ac) = parse_ix(&ac) else {
        panic!("autocomplete is not an Autocomplete");
    };
    let focused = ac.data.autocomplete().expect("a focused option");
    assert_eq!((focused.name, focused.value), ("question", "inst"));

    // MESSAGE_CREATE: guild reply with a mention, and a plain DM.
    let original = message(
        "the original",
        USER_ID,
        CHANNEL_ID,
        Some(GUILD_ID),
        vec![],
        None,
    );
    let reply = message(
        "<@1100000000000000002> how do I install?",
        USER_ID,
        CHANNEL_ID,
        Some(GUILD_ID),
        vec![bot_user()],
        Some(original.clone()),
    );
    let msg: Message = serde_json::from_value(reply.clone()).expect("message() is a Message");
    assert_eq!(msg.kind, MessageType::InlineReply);
    assert_eq!(msg.guild_id, Some(GuildId::new(GUILD_ID)));
    assert!(msg.member.is_some());
    assert_eq!(msg.author.id.get(), USER_ID);
    assert!(!msg.author.bot);
    assert_eq!(msg.mentions.len(), 1);
    assert!(msg.mentions_user_id(BOT_USER_ID));
    let referenced = msg.referenced_message.as_ref().expect("referenced_message");
    assert_eq!(referenced.content, "the original");
    assert_eq!(
        msg.message_reference.as_ref().and_then(|r| r.message_id),
        Some(referenced.id)
    );

    let dm = message(
        "hi",
        USER_ID,
        CHANNEL_ID,
        None,
        vec![user(7, "other")],
        None,
    );
    let dm: Message = serde_json::from_value(dm).expect("DM message() is a Message");
    assert_eq!(dm.guild_id, None);
    assert_eq!(dm.kind, MessageType::Regular);
    let by_bot: Message =
        serde_json::from_value(message("mine", BOT_USER_ID, CHANNEL_ID, None, vec![], None))
            .expect("bot message");
    assert!(by_bot.author.bot);

    // Message context-menu command.
    let find = message_command(&original);
    let Interaction::Command(cmd) = parse_ix(&find) else {
        panic!("message_command is not a Command");
    };
    assert_eq!(cmd.data.name, FIND_FAQ_COMMAND);
    assert_eq!(cmd.data.kind, CommandType::Message);
    let target_id = cmd.data.target_id.expect("target_id").to_message_id();
    let target = &cmd.data.resolved.messages[&target_id];
    assert_eq!(target.content, "the original");
    assert_eq!(cmd.guild_id, Some(GuildId::new(GUILD_ID)));

    // Components: a button and a string select.
    let Interaction::Component(button) = parse_ix(&component("more", None, &original)) else {
        panic!("component(button) is not a Component");
    };
    assert_eq!(button.data.custom_id, "more");
    assert!(matches!(
        button.data.kind,
        ComponentInteractionDataKind::Button
    ));
    assert_eq!(button.message.content, "the original");
    let pick = component("pick", Some(vec!["a".into(), "b".into()]), &original);
    let Interaction::Component(select) = parse_ix(&pick) else {
        panic!("component(select) is not a Component");
    };
    match &select.data.kind {
        ComponentInteractionDataKind::StringSelect { values } => assert_eq!(values, &["a", "b"]),
        other => panic!("expected a string select, got {other:?}"),
    }

    // What the fake itself sends: READY, /users/@me, /oauth2/applications/@me.
    let ready: Ready = serde_json::from_value(ready_payload(
        "s",
        "ws://127.0.0.1:1/gateway",
        &[GUILD_ID],
        [0, 1],
    ))
    .expect("READY");
    assert_eq!(ready.application.id.get(), APP_ID);
    assert_eq!(ready.user.id.get(), BOT_USER_ID);
    let me: CurrentUser = serde_json::from_value(bot_user()).expect("CurrentUser");
    assert!(me.bot);
    let app: CurrentApplicationInfo =
        serde_json::from_value(application()).expect("CurrentApplicationInfo");
    assert_eq!(app.id.get(), APP_ID);

    // Every helper also survives serenity's gateway `Event` parsing, and the
    // trap (a missing field becomes `Event::Unknown`) is caught.
    for (event, payload) in [
        ("INTERACTION_CREATE", &guild_cmd),
        ("INTERACTION_CREATE", &dm_cmd),
        ("INTERACTION_CREATE", &find),
        ("INTERACTION_CREATE", &pick),
        ("MESSAGE_CREATE", &reply),
    ] {
        check_event(event, payload).expect("helper payload is a known event");
    }
    let mut broken = guild_cmd.clone();
    broken
        .as_object_mut()
        .expect("object")
        .remove("attachment_size_limit");
    let err = check_event("INTERACTION_CREATE", &broken).expect_err("missing field is caught");
    assert!(err.contains("attachment_size_limit"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rest_routes_answer_what_serenity_expects() {
    let fake = FakeDiscord::start().await;
    let http = HttpBuilder::new("any.token.x")
        .proxy(fake.base_url())
        .ratelimiter_disabled(true)
        .application_id(ApplicationId::new(APP_ID))
        .build();

    let me = http.get_current_user().await.expect("GET /users/@me");
    assert_eq!(me.id.get(), BOT_USER_ID);
    let app = http
        .get_current_application_info()
        .await
        .expect("GET /oauth2/applications/@me");
    assert_eq!(app.id.get(), APP_ID);

    // Bulk overwrite of global and guild commands.
    let commands = vec![
        CreateCommand::new("faq")
            .description("Ask the FAQ")
            .add_option(
                CreateCommandOption::new(CommandOptionType::String, "question", "Your question")
                    .required(true)
                    .set_autocomplete(true),
            ),
        CreateCommand::new(FIND_FAQ_COMMAND).kind(CommandType::Message),
    ];
    let global = Command::set_global_commands(&http, commands.clone())
        .await
        .expect("PUT global commands");
    assert_eq!(global.len(), 2);
    assert_eq!(global[0].name, "faq");
    assert_eq!(global[0].options[0].name, "question");
    assert_eq!(global[1].kind, CommandType::Message);
    let guild = GuildId::new(GUILD_ID)
        .set_commands(&http, commands)
        .await
        .expect("PUT guild commands");
    assert_eq!(guild[0].guild_id, Some(GuildId::new(GUILD_ID)));
    assert_eq!(fake.registered_commands(None).len(), 2);
    assert_eq!(fake.registered_commands(Some(GUILD_ID)).len(), 2);
    let put = recorded(&fake, "PUT", &format!("/applications/{APP_ID}/commands")).await;
    assert_eq!(put.body[0]["name"], "faq");
    assert!(put
        .header("authorization")
        .is_some_and(|a| a.ends_with("any.token.x")));

    // Channel messages: echo, edit, and Discord's empty-message rule.
    let sent = ChannelId::new(CHANNEL_ID)
        .send_message(
            &http,
            CreateMessage::new()
                .content("hi")
                .embed(CreateEmbed::new().title("T"))
                .button(CreateButton::new("more").label("More")),
        )
        .await
        .expect("POST /channels/{id}/messages");
    assert_eq!(sent.content, "hi");
    assert_eq!(sent.author.id.get(), BOT_USER_ID);
    assert_eq!(sent.embeds[0].title.as_deref(), Some("T"));
    assert_eq!(sent.components.len(), 1);
    let edited = ChannelId::new(CHANNEL_ID)
        .edit_message(&http, sent.id, EditMessage::new().content("hi again"))
        .await
        .expect("PATCH the message");
    assert_eq!(edited.content, "hi again");
    assert!(edited.edited_timestamp.is_some());
    let empty = ChannelId::new(CHANNEL_ID)
        .send_message(&http, CreateMessage::new())
        .await
        .expect_err("an empty message is refused");
    assert_eq!(http_error(&empty), (400, 50006));

    // Unknown routes: 404 with a Discord JSON error, listed as unrouted.
    let err = http
        .get_guild(GuildId::new(GUILD_ID))
        .await
        .expect_err("no such route");
    assert_eq!(http_error(&err), (404, 0));
    let unrouted = fake.unrouted();
    assert_eq!(unrouted.len(), 1, "{unrouted:?}");
    assert_eq!(unrouted[0].path, format!("/guilds/{GUILD_ID}"));

    // An interaction the fake never dispatched is unknown.
    let err = http
        .create_interaction_response(InteractionId::new(1), "nope", &json!({"type": 1}), vec![])
        .await
        .expect_err("unknown interaction");
    assert_eq!(http_error(&err), (404, 10062));

    // One-shot 429: returned as an error (the ratelimiter is off), then fine.
    fake.fail_next("POST", "/channels/*/messages", Failure::rate_limited(0.3));
    let err = ChannelId::new(CHANNEL_ID)
        .say(&http, "limited")
        .await
        .expect_err("429");
    // Discord's 429 body has no `code`, so serenity reports a decode error.
    assert_eq!(http_error(&err), (429, -1));
    let limited = fake
        .wait_for(|r| r.status == 429, DEFAULT_TIMEOUT)
        .await
        .expect("recorded");
    assert_eq!(limited.body["content"], "limited");
    ChannelId::new(CHANNEL_ID)
        .say(&http, "after")
        .await
        .expect("the failure was one-shot");

    fake.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn direct_http_reaches_the_tls_side_as_discord_com_and_the_ratelimiter_retries_a_429() {
    let fake = FakeDiscord::start_tls().await;
    let tls_addr = fake.tls_addr().expect("started with TLS");
    assert_ne!(tls_addr, fake.addr());
    assert!(tls_addr.ip().is_loopback());

    // The greeting sent from `ready` is rate limited once.
    fake.fail_next("POST", "/channels/*/messages", Failure::rate_limited(0.3));
    let mut bot = Bot::start_with_http(fake.direct_http("any.token.x").build()).await;
    bot.ready().await;
    let info = bot.ratelimit("the ratelimit event").await;
    assert_eq!(info.timeout, Duration::from_millis(300), "{info:?}");
    assert!(!info.global, "a per-route limit: {info:?}");
    assert_eq!(
        info.path,
        format!("https://discord.com/api/v10/channels/{CHANNEL_ID}/messages")
    );
    let greeting = bot
        .sent("greeting")
        .await
        .expect("the ratelimiter retried the 429 and the greeting went out");
    assert_eq!(greeting.content, "hello");

    // REST came over TLS (the gateway look-up included), the gateway stayed
    // plain on the first port.
    let requests = fake.requests();
    assert!(requests[0].is("GET", "/gateway"), "{:?}", requests[0]);
    assert!(requests.iter().all(|r| r.tls), "{requests:?}");
    assert!(requests
        .iter()
        .all(|r| r.header("host") == Some("discord.com")));
    assert_eq!(fake.connections(), 1);
    let posts: Vec<&Request> = requests
        .iter()
        .filter(|r| r.is("POST", "/channels/*/messages"))
        .collect();
    assert_eq!(posts.len(), 2, "{posts:?}");
    assert_eq!((posts[0].status, posts[1].status), (429, 200));
    assert_eq!(posts[0].raw_body, posts[1].raw_body);
    let waited = posts[1].received - posts[0].received;
    assert!(waited >= Duration::from_millis(300), "{waited:?}");

    // A plain call, and no name but discord.com resolves.
    let http = fake.direct_http("any.token.x").build();
    let me = http.get_current_user().await.expect("GET /users/@me");
    assert_eq!(me.id.get(), BOT_USER_ID);
    let started = Instant::now();
    let elsewhere = fake
        .direct_client()
        .get("https://example.com/")
        .send()
        .await;
    assert!(elsewhere.is_err(), "{elsewhere:?}");
    assert!(started.elapsed() < DEFAULT_TIMEOUT);
    let plain = fake
        .direct_client()
        .get("http://discord.com/api/v10/users/@me")
        .send()
        .await;
    assert!(plain.is_err(), "https only: {plain:?}");

    drop(bot);
    fake.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_connects_gets_ready_and_its_rest_call_arrives() {
    let fake = FakeDiscord::start().await;
    let mut bot = Bot::start(&fake).await;

    let ready = bot.ready().await;
    assert_eq!(ready.user.id.get(), BOT_USER_ID);
    assert_eq!(ready.application.id.get(), APP_ID);

    // The greeting from `ready` arrives at the fake with its JSON body ...
    let post = recorded(&fake, "POST", &format!("/channels/{CHANNEL_ID}/messages")).await;
    assert_eq!(post.body["content"], "hello");
    assert_eq!(post.body["embeds"][0]["title"], "FAQ");
    assert_eq!(
        post.body["components"][0]["components"][0]["custom_id"],
        "more"
    );
    // ... and the answer deserializes on the bot's side.
    let sent = bot
        .sent("greeting")
        .await
        .expect("the bot got a Message back");
    assert_eq!(sent.content, "hello");
    assert_eq!(sent.embeds[0].fields[0].name, "a");
    assert_eq!(sent.components[0].components.len(), 1);

    // Handshake facts: one connection, one Identify with the token and intents.
    assert_eq!(fake.connections(), 1);
    let identify = &fake.identifies()[0];
    assert!(identify["token"]
        .as_str()
        .is_some_and(|t| t.contains("any.token.x")));
    let intents = GatewayIntents::GUILD_MESSAGES | GatewayIntents::DIRECT_MESSAGES;
    assert_eq!(identify["intents"], json!(intents.bits()));
    assert!(fake.requests()[0].is("GET", "/gateway"));
    assert!(fake.unrouted().is_empty(), "{:?}", fake.unrouted());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slash_command_reaches_the_handler_and_its_callback_is_recorded() {
    let (fake, mut bot, _greeting) = Bot::start_ready().await;

    let payload = guild_command(
        "faq",
        json!([string_option("question", "how do I install")]),
    );
    let id = payload["id"].as_str().expect("id").to_string();
    // create_response, edit_response and create_followup succeed.
    let Answered {
        token,
        interaction,
        callback,
        ..
    } = bot.answer(&fake, "the slash command", payload).await;
    assert_eq!(interaction.id().to_string(), id);
    assert_eq!(
        callback.path,
        format!("/interactions/{id}/{token}/callback")
    );
    assert_eq!(callback.status, 204);
    assert_eq!(callback.body["type"], 4);
    assert_eq!(callback.body["data"]["content"], "pong faq");

    let edit = recorded(
        &fake,
        "PATCH",
        &format!("/webhooks/{APP_ID}/{token}/messages/@original"),
    )
    .await;
    assert_eq!(edit.body["content"], "edited");
    assert_eq!(
        fake.original_response(&token).expect("original")["content"],
        "edited"
    );
    let followup = recorded(&fake, "POST", &format!("/webhooks/{APP_ID}/{token}")).await;
    assert_eq!(followup.body["content"], "follow-up");
    assert_eq!(followup.body["flags"], 64);

    // Discord refuses a second callback for the same interaction.
    let again = http_for(&fake)
        .create_interaction_response(
            InteractionId::new(id.parse().expect("numeric id")),
            &token,
            &json!({"type": 4, "data": {"content": "twice"}}),
            vec![],
        )
        .await
        .expect_err("second callback");
    assert_eq!(http_error(&again), (400, 40060));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_helper_event_reaches_the_handler() {
    let (fake, mut bot, greeting) = Bot::start_ready().await;

    // MESSAGE_CREATE
    let question = message(
        "how do I install?",
        USER_ID,
        CHANNEL_ID,
        Some(GUILD_ID),
        vec![bot_user()],
        None,
    );
    fake.dispatch("MESSAGE_CREATE", question.clone()).await;
    let msg = bot.message("MESSAGE_CREATE").await;
    assert_eq!(msg.content, "how do I install?");
    assert!(msg.mentions_user_id(BOT_USER_ID));

    // Autocomplete
    let ac = autocomplete("faq", json!([focused_option("question", "inst")]));
    let Answered {
        interaction: ix,
        callback: cb,
        ..
    } = bot.answer(&fake, "autocomplete", ac).await;
    assert!(matches!(ix, Interaction::Autocomplete(_)));
    assert_eq!(cb.body["type"], 8);
    assert_eq!(cb.body["data"]["choices"][0]["value"], "install");

    // Message context-menu command on the user's question
    let find = message_command(&question);
    let Answered {
        interaction: ix,
        callback: cb,
        ..
    } = bot.answer(&fake, "message command", find).await;
    assert!(matches!(ix, Interaction::Command(_)));
    assert_eq!(cb.body["data"]["content"], "found: how do I install?");
    assert_eq!(cb.body["data"]["flags"], 64);

    // Button on the bot's greeting, built from the JSON the fake answered.
    let greeting_json = fake
        .wait_for(
            |r| r.is("POST", "/channels/*/messages") && r.response["id"] == greeting.id.to_string(),
            DEFAULT_TIMEOUT,
        )
        .await
        .expect("greeting recorded")
        .response;
    let click = component("more", None, &greeting_json);
    let Answered {
        token: click_token,
        interaction: ix,
        callback: cb,
        ..
    } = bot.answer(&fake, "button", click).await;
    assert!(matches!(ix, Interaction::Component(_)));
    assert_eq!(cb.body["type"], 7);
    let updated = fake
        .original_response(&click_token)
        .expect("updated message");
    assert_eq!(updated["content"], "clicked more");
    assert_eq!(updated["id"], greeting_json["id"]);

    // String select
    let pick = component("pick", Some(vec!["install".into()]), &greeting_json);
    let ix = bot.answer(&fake, "select", pick).await.interaction;
    let Interaction::Component(select) = ix else {
        panic!("expected a component, got {ix:?}");
    };
    assert!(matches!(
        &select.data.kind,
        ComponentInteractionDataKind::StringSelect { values } if values == &["install"]
    ));

    assert!(fake.unrouted().is_empty(), "{:?}", fake.unrouted());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gateway_close_4000_is_followed_by_resume_and_later_dispatches_arrive() {
    let (fake, mut bot, _greeting) = Bot::start_ready().await;
    let session = fake.session_id().expect("a session after READY");
    let seq = fake
        .dispatch(
            "MESSAGE_CREATE",
            message("before", USER_ID, CHANNEL_ID, Some(GUILD_ID), vec![], None),
        )
        .await;
    bot.message("message before").await;

    fake.close_gateway(4000).await.expect("close");
    let resume = fake
        .wait_for_frame(|f| f.op == 6, DEFAULT_TIMEOUT)
        .await
        .expect("the client resumes");
    assert_eq!(resume.connection, 2);
    assert_eq!(resume.d["session_id"], json!(session));
    assert_eq!(resume.d["seq"], json!(seq));
    fake.wait_until_ready(DEFAULT_TIMEOUT)
        .await
        .expect("RESUMED sent");
    assert_eq!(fake.connections(), 2);
    assert_eq!(fake.identifies().len(), 1, "resumed, not re-identified");
    assert_eq!(fake.resumes().len(), 1);

    let payload = guild_command("faq", json!([]));
    // Answered, and its callback recorded, after the resume.
    let after = bot.answer(&fake, "command after resume", payload).await.seq;
    assert!(
        after > seq + 1,
        "RESUMED and the new dispatch continue the sequence"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_shot_403_reaches_the_client_as_an_http_error_and_the_next_request_succeeds() {
    let (fake, mut bot, _greeting) = Bot::start_ready().await;
    let send = || message("send", USER_ID, CHANNEL_ID, Some(GUILD_ID), vec![], None);

    fake.fail_next(
        "POST",
        "/channels/*/messages",
        Failure::missing_permissions(),
    );
    fake.dispatch("MESSAGE_CREATE", send()).await;
    let err = bot.sent("reply 1").await.expect_err("the injected 403");
    assert_eq!(http_error(&err), (403, 50013));
    assert!(err.to_string().contains("Missing Permissions"), "{err}");

    // The client is still alive, and the failure was used up.
    fake.dispatch("MESSAGE_CREATE", send()).await;
    let second = bot.sent("reply 2").await;
    assert_eq!(second.expect("the next request succeeds").content, "reply");
    let statuses: Vec<u16> = fake
        .requests()
        .iter()
        .filter(|r| r.is("POST", "/channels/*/messages") && r.body["content"] == "reply")
        .map(|r| r.status)
        .collect();
    assert_eq!(statuses, [403, 200]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn heartbeats_are_acknowledged_and_ready_lists_the_configured_guilds() {
    let fake = FakeDiscord::start_with(Options {
        heartbeat_interval_ms: 50,
        ready_guilds: vec![GUILD_ID],
        ..Options::default()
    })
    .await;
    let mut bot = Bot::start(&fake).await;
    let ready = bot.ready().await;
    assert_eq!(ready.guilds.len(), 1);
    assert_eq!(ready.guilds[0].id, GuildId::new(GUILD_ID));

    // serenity sends a heartbeat only if the previous one was acknowledged
    // (otherwise it restarts the shard), so a second heartbeat on the first
    // connection means the ACK arrived.
    let beats = |f: &crate::support::fake_discord::GatewayFrame| f.op == 1 && f.connection == 1;
    let count = |fake: &FakeDiscord| fake.gateway_frames().iter().filter(|f| beats(f)).count();
    fake.wait_for_frame(|f| beats(f) && count(&fake) >= 2, DEFAULT_TIMEOUT)
        .await
        .expect("two heartbeats");
    assert_eq!(fake.connections(), 1);
    assert_eq!(fake.identifies().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_and_drop_stop_the_server() {
    let (fake, bot, _greeting) = Bot::start_ready().await;
    let addr = fake.addr();
    fake.shutdown().await;
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "nothing listens after shutdown()"
    );
    drop(bot);

    let fake = FakeDiscord::start().await;
    let addr = fake.addr();
    drop(fake);
    let deadline = tokio::time::Instant::now() + DEFAULT_TIMEOUT;
    while tokio::net::TcpStream::connect(addr).await.is_ok() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "still listening after drop"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
