//! The JSON the fake and the tests send the bot: `INTERACTION_CREATE`
//! payloads ([`slash_command`], [`autocomplete`], [`message_command`],
//! [`context_menu_command`], [`component`]), `MESSAGE_CREATE` ([`message`]),
//! READY ([`ready_payload`]) and the objects in them, with every field
//! serenity 0.12.5 requires. [`FakeDiscord::dispatch`] checks each payload
//! with serenity's own deserializer first ([`check_event`]): serenity turns
//! a known event with a missing field silently into `Event::Unknown`, and
//! no handler runs.

use serde_json::{json, Map, Value};
use serenity::model::event::Event;

use super::{
    snowflake, APP_ID, BOT_USERNAME, BOT_USER_ID, CHANNEL_ID, FIND_FAQ_COMMAND, GUILD_ID,
    INVOKER_ID, USER_ID,
};

/// VIEW_CHANNEL | SEND_MESSAGES | EMBED_LINKS | READ_MESSAGE_HISTORY |
/// ADD_REACTIONS | USE_EXTERNAL_EMOJIS.
const APP_PERMISSIONS: &str = "347200";

/// Errors if serenity 0.12.5 would not turn this dispatch into the event it
/// names (it silently makes it `Event::Unknown` when a field is missing).
pub fn check_event(event: &str, data: &Value) -> Result<(), String> {
    let parsed: Event = serde_json::from_value(json!({"t": event, "d": data}))
        .map_err(|e| format!("serenity cannot parse {event}: {e}"))?;
    if !matches!(parsed, Event::Unknown(_)) {
        return Ok(());
    }
    let concrete = match event {
        "INTERACTION_CREATE" => error_as::<serenity::all::Interaction>(data, "Interaction"),
        "MESSAGE_CREATE" => error_as::<serenity::all::Message>(data, "Message"),
        "READY" => error_as::<serenity::all::Ready>(data, "Ready"),
        "GUILD_CREATE" => error_as::<serenity::all::Guild>(data, "Guild"),
        _ => None,
    };
    Err(format!(
        "serenity would parse {event} as Event::Unknown and run no handler{}",
        concrete.map(|c| format!(" ({c})")).unwrap_or_default()
    ))
}

/// Why `data` is not a `T` (named `what`), if it is not.
fn error_as<T: serde::de::DeserializeOwned>(data: &Value, what: &str) -> Option<String> {
    serde_json::from_value::<T>(data.clone())
        .err()
        .map(|e| format!("as {what}: {e}"))
}

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

/// [`slash_command`] `/name` as [`USER_ID`] types it in [`CHANNEL_ID`] of
/// [`GUILD_ID`], where the tests' bot and users are.
pub fn guild_command(name: &str, options: Value) -> Value {
    slash_command(name, options, USER_ID, CHANNEL_ID, Some(GUILD_ID))
}

/// `INTERACTION_CREATE` type 4 (autocomplete) for `/name` in the guild of
/// [`guild_command`]; `options` must hold one option with
/// `"focused": true` (see [`focused_option`]).
pub fn autocomplete(name: &str, options: Value) -> Value {
    let mut ix = guild_command(name, options);
    ix["type"] = json!(4);
    ix
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

/// The READY `d` the fake sends to shard `[id, total]` (as its IDENTIFY
/// named it); `guilds` are listed as unavailable.
pub fn ready_payload(
    session_id: &str,
    gateway_url: &str,
    guilds: &[u64],
    shard: [u32; 2],
) -> Value {
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
        "shard": shard,
        "application": {"id": APP_ID.to_string(), "flags": 0},
        "private_channels": [],
        "relationships": [],
        "presences": [],
        "user_settings": {},
        "_trace": ["fake-discord"],
    })
}

/// A Message object with every field serenity requires, filled from a
/// create-message body (`content`, `embeds`, `components`, `tts`, `flags`).
pub(super) fn new_message(
    channel_id: &str,
    guild_id: Option<&str>,
    author: Value,
    body: &Value,
) -> Value {
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

/// A string or integer field as a string.
pub(super) fn str_field(v: &Value, key: &str) -> Option<String> {
    match v.get(key)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

pub(super) fn now() -> String {
    serenity::all::Timestamp::now().to_string()
}
