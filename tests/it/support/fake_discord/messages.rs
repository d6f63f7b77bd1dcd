//! Discord's rules for what the bot sends, on the messages the fake keeps
//! (so the bot's mistakes show up):
//!
//! * Interactions are known only once [`FakeDiscord::dispatch`]ed. A
//!   callback for an unknown id/token gets 404 code 10062 (Unknown
//!   interaction); a second callback for one interaction gets 400 code
//!   40060 (already acknowledged); webhook (follow-up / `@original`) calls
//!   on a token that is unknown or not yet acknowledged get 404 code 10015
//!   (Unknown Webhook); `@original` that does not exist gets 404 code 10008.
//! * A message (channel message, follow-up, callback type 4/7) with no
//!   content, embeds or components gets 400 code 50006; content over 2000
//!   characters gets 400 code 50035.
//! * Only the bot's own messages can be edited (403 code 50005).

use serde_json::{json, Value};

use super::payloads::{bot_user, new_message, now, str_field};
use super::rest::Reply;
use super::{State, APP_ID, BOT_USER_ID};

const MAX_CONTENT: usize = 2000;

pub(super) fn callback(s: &mut State, id: &str, token: &str, body: &Value) -> Reply {
    let Some(ix) = s.interactions.get(token).filter(|ix| ix.id == id).cloned() else {
        return Reply::error(404, 10062, "Unknown interaction");
    };
    if s.acknowledged.contains(id) {
        return Reply::error(400, 40060, "Interaction has already been acknowledged.");
    }
    let data = body.get("data").cloned().unwrap_or(Value::Null);
    let original =
        match body.get("type").and_then(Value::as_u64) {
            Some(4) => {
                if let Err(reply) = check_message_body(&data) {
                    return reply;
                }
                let mut m = new_message(&ix.channel_id, ix.guild_id.as_deref(), bot_user(), &data);
                mark_interaction_message(&mut m, 20);
                Some(m)
            }
            Some(5) => {
                let ephemeral = data.get("flags").and_then(Value::as_u64).unwrap_or(0) & 64;
                let mut m = new_message(
                    &ix.channel_id,
                    ix.guild_id.as_deref(),
                    bot_user(),
                    &json!({"flags": 128 | ephemeral}),
                );
                mark_interaction_message(&mut m, 20);
                Some(m)
            }
            Some(6) => ix.message.clone(),
            Some(7) => {
                if let Err(reply) = check_message_body(&data) {
                    return reply;
                }
                match ix.message.clone() {
                    Some(mut m) => {
                        apply_edit(&mut m, &data);
                        if let Some(mid) = str_field(&m, "id") {
                            s.messages.insert(mid, m.clone());
                        }
                        Some(m)
                    }
                    None => return Reply::error(
                        400,
                        50035,
                        "Invalid Form Body (UPDATE_MESSAGE for an interaction without a message)",
                    ),
                }
            }
            Some(1 | 8 | 9) => None,
            _ => {
                return Reply::error(
                    400,
                    50035,
                    "Invalid Form Body (bad interaction callback type)",
                )
            }
        };
    s.acknowledged.insert(id.to_string());
    if let Some(m) = original {
        s.originals.insert(token.to_string(), m);
    }
    Reply::no_content()
}

pub(super) fn original(s: &mut State, method: &str, token: &str, body: &Value) -> Reply {
    let known = s
        .interactions
        .get(token)
        .is_some_and(|ix| s.acknowledged.contains(&ix.id));
    if !known {
        return Reply::error(404, 10015, "Unknown Webhook");
    }
    let Some(message) = s.originals.get_mut(token) else {
        return Reply::error(404, 10008, "Unknown Message");
    };
    match method {
        "GET" => Reply::ok(message.clone()),
        "PATCH" => edit_message(message, body),
        "DELETE" => {
            s.originals.remove(token);
            Reply::no_content()
        }
        _ => Reply::error(405, 0, "405: Method Not Allowed"),
    }
}

pub(super) fn create_followup(s: &mut State, token: &str, body: &Value) -> Reply {
    let Some(ix) = s
        .interactions
        .get(token)
        .filter(|ix| s.acknowledged.contains(&ix.id))
        .cloned()
    else {
        return Reply::error(404, 10015, "Unknown Webhook");
    };
    if let Err(reply) = check_message_body(body) {
        return reply;
    }
    let mut m = new_message(&ix.channel_id, ix.guild_id.as_deref(), bot_user(), body);
    mark_interaction_message(&mut m, 0);
    if let Some(id) = str_field(&m, "id") {
        s.messages.insert(id, m.clone());
    }
    Reply::ok(m)
}

pub(super) fn create_channel_message(s: &mut State, channel: &str, body: &Value) -> Reply {
    if let Err(reply) = check_message_body(body) {
        return reply;
    }
    let guild = s
        .messages
        .values()
        .find(|m| str_field(m, "channel_id").as_deref() == Some(channel))
        .and_then(|m| str_field(m, "guild_id"));
    let mut m = new_message(channel, None, bot_user(), body);
    if let Some(reference) = body.get("message_reference").filter(|r| r.is_object()) {
        let mut reference = reference.clone();
        if let Some(r) = reference.as_object_mut() {
            r.entry("channel_id").or_insert(json!(channel));
            if let Some(g) = &guild {
                r.entry("guild_id").or_insert(json!(g));
            }
        }
        let referenced = str_field(&reference, "message_id")
            .and_then(|id| s.messages.get(&id).cloned())
            .unwrap_or(Value::Null);
        m["message_reference"] = reference;
        m["referenced_message"] = referenced;
        m["type"] = json!(19);
    }
    if let Some(id) = str_field(&m, "id") {
        s.messages.insert(id, m.clone());
    }
    Reply::ok(m)
}

pub(super) fn stored_message(s: &mut State, method: &str, id: &str, body: &Value) -> Reply {
    let Some(message) = s.messages.get_mut(id) else {
        return Reply::error(404, 10008, "Unknown Message");
    };
    let by_bot = str_field(&message["author"], "id") == Some(BOT_USER_ID.to_string());
    match method {
        "GET" => Reply::ok(message.clone()),
        "PATCH" if !by_bot => {
            Reply::error(403, 50005, "Cannot edit a message authored by another user")
        }
        "PATCH" => edit_message(message, body),
        "DELETE" => {
            s.messages.remove(id);
            Reply::no_content()
        }
        _ => Reply::error(405, 0, "405: Method Not Allowed"),
    }
}

/// Discord's checks on a message body: something to show, content within
/// 2000 characters.
fn check_message_body(body: &Value) -> Result<(), Reply> {
    let content = body.get("content").and_then(Value::as_str).unwrap_or("");
    let non_empty = |key: &str| {
        body.get(key)
            .and_then(Value::as_array)
            .is_some_and(|a| !a.is_empty())
    };
    if content.is_empty()
        && !non_empty("embeds")
        && !non_empty("components")
        && !non_empty("attachments")
        && !non_empty("sticker_ids")
    {
        return Err(Reply::error(400, 50006, "Cannot send an empty message"));
    }
    let chars = content.chars().count();
    if chars > MAX_CONTENT {
        let mut reply = Reply::error(400, 50035, "Invalid Form Body");
        reply.body["errors"] = json!({"content": {"_errors": [{
            "code": "BASE_TYPE_MAX_LENGTH",
            "message": format!("Must be {MAX_CONTENT} or fewer in length. (got {chars})"),
        }]}});
        return Err(reply);
    }
    Ok(())
}

fn mark_interaction_message(m: &mut Value, kind: u64) {
    m["webhook_id"] = json!(APP_ID.to_string());
    m["application_id"] = json!(APP_ID.to_string());
    m["type"] = json!(kind);
}

/// Applies an edit body (`content`, `embeds`, `components`, `flags`).
fn apply_edit(m: &mut Value, body: &Value) {
    for key in ["content", "embeds", "components", "flags"] {
        if let Some(v) = body.get(key) {
            m[key] = v.clone();
        }
    }
    if let Some(embeds) = m.get_mut("embeds").and_then(Value::as_array_mut) {
        for e in embeds.iter_mut().filter_map(Value::as_object_mut) {
            e.entry("type").or_insert(json!("rich"));
        }
    }
    m["edited_timestamp"] = json!(now());
}

/// Applies a PATCH to a stored message, unless the result breaks
/// Discord's rules for a message body.
fn edit_message(message: &mut Value, body: &Value) -> Reply {
    let mut edited = message.clone();
    apply_edit(&mut edited, body);
    if let Err(reply) = check_message_body(&edited) {
        return reply;
    }
    *message = edited.clone();
    Reply::ok(edited)
}
