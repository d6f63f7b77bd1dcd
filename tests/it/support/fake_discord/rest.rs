//! The fake's REST side under `/api/v10`: every request recorded as a
//! [`Request`] and answered by an injected [`Failure`] (429s with
//! `retry-after` included), a route, or the catch-all 404. What it serves:
//!
//! * `GET /api/v10/gateway` (`{"url": "ws://127.0.0.1:PORT/gateway"}`) and
//!   `GET /api/v10/gateway/bot` (also `shards`, the count the fake expects,
//!   and `session_start_limit`: 1000 starts, one fewer `remaining` per
//!   accepted IDENTIFY, `max_concurrency` as set; see [`super::shards`]);
//! * `GET /users/@me`, `GET /oauth2/applications/@me`, `GET /applications/@me`;
//! * `PUT|GET /applications/{APP_ID}/commands` and
//!   `PUT|GET /applications/{APP_ID}/guilds/{guild}/commands` (bulk
//!   overwrite echoes the commands back with ids; see
//!   [`FakeDiscord::registered_commands`]);
//! * `POST /interactions/{id}/{token}/callback` (204);
//! * `GET|PATCH|DELETE /webhooks/{APP_ID}/{token}/messages/@original`,
//!   `POST /webhooks/{APP_ID}/{token}` and
//!   `GET|PATCH|DELETE /webhooks/{APP_ID}/{token}/messages/{id}`;
//! * `POST /channels/{id}/messages`, `GET|PATCH|DELETE
//!   /channels/{id}/messages/{id}`, `POST /channels/{id}/typing`,
//!   `PUT|DELETE /channels/{id}/messages/{id}/reactions/{emoji}/@me`;
//! * anything else: 404 `{"code": 0, "message": "..."}`, recorded with
//!   `routed == false` (see [`FakeDiscord::unrouted`]).
//!
//! A wrong application id in a path gets 404 code 10002. The rules for
//! messages and interactions are in [`super::messages`].
//!
//! # Failure injection
//!
//! [`FakeDiscord::fail_next`] makes the next request matching a method and
//! a path pattern (`*` matches one segment) fail with a [`Failure`]. With
//! the proxy set up serenity's ratelimiter is off, so a 429 comes back to
//! the bot as an HTTP error, not as a retry; through
//! [`FakeDiscord::direct_http`] the ratelimiter sleeps `retry-after` and
//! sends the request again (see [`Request::received`] for timing it).

use std::sync::Arc;
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::State as AxumState;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

use super::messages::{
    callback, create_channel_message, create_followup, original, stored_message,
};
use super::payloads::{application, bot_user};
use super::{snowflake, Shared, State, Transport, APP_ID};

/// One REST request the fake received, and what it answered.
#[derive(Clone, Debug)]
pub struct Request {
    /// Position in [`FakeDiscord::requests`].
    pub index: usize,
    /// `GET`, `POST`, ...
    pub method: String,
    /// The path without the `/api/v10` prefix, e.g. `/channels/1/messages`
    /// (paths outside `/api/v10` are kept whole).
    pub path: String,
    /// The raw query without `?` (serenity writes `&k=v&...`).
    pub query: String,
    /// Header names in lower case.
    pub headers: Vec<(String, String)>,
    /// The body parsed as JSON; `Null` when empty or not JSON (multipart).
    pub body: Value,
    /// The body as text (lossy).
    pub raw_body: String,
    /// The status the fake answered.
    pub status: u16,
    /// The JSON the fake answered (`Null` for 204).
    pub response: Value,
    /// False when no route matched (the catch-all answered 404).
    pub routed: bool,
    /// When the fake received it (e.g. to check that a retry waited for
    /// `retry-after`).
    pub received: Instant,
    /// True when it came over TLS (see [`FakeDiscord::start_tls`]), false
    /// when over plain HTTP (the proxy set-up).
    pub tls: bool,
}

impl Request {
    /// Method and path match; in `pattern` a `*` segment matches any one
    /// segment: `r.is("POST", "/interactions/*/*/callback")`.
    pub fn is(&self, method: &str, pattern: &str) -> bool {
        self.method.eq_ignore_ascii_case(method) && path_matches(pattern, &self.path)
    }

    /// Path segment `i` (0-based, without the API prefix): for
    /// `/channels/42/messages`, `segment(1) == Some("42")`.
    pub fn segment(&self, i: usize) -> Option<&str> {
        self.path.trim_start_matches('/').split('/').nth(i)
    }

    /// A query parameter's value (not percent-decoded).
    pub fn query_param(&self, key: &str) -> Option<&str> {
        self.query
            .split('&')
            .filter_map(|kv| kv.split_once('='))
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v)
    }

    /// A header's value; `name` is matched case-insensitively.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// `*` in `pattern` matches exactly one segment.
fn path_matches(pattern: &str, path: &str) -> bool {
    let mut pat = pattern.trim_matches('/').split('/');
    let mut segs = path.trim_matches('/').split('/');
    loop {
        match (pat.next(), segs.next()) {
            (None, None) => return true,
            (Some(p), Some(s)) if p == "*" || p == s => {}
            _ => return false,
        }
    }
}

/// An error answer for [`FakeDiscord::fail_next`].
#[derive(Clone, Debug)]
pub struct Failure {
    pub status: u16,
    pub body: Value,
    pub headers: Vec<(String, String)>,
}

impl Failure {
    /// Any status with a JSON body (give it `code` and `message`, or
    /// serenity reports a decode error instead of the Discord error).
    pub fn new(status: u16, body: Value) -> Self {
        Self {
            status,
            body,
            headers: Vec::new(),
        }
    }

    /// 403 `{"code": 50013, "message": "Missing Permissions"}`.
    pub fn missing_permissions() -> Self {
        Self::new(
            403,
            json!({"code": 50013, "message": "Missing Permissions"}),
        )
    }

    /// 403 `{"code": 50001, "message": "Missing Access"}`.
    pub fn missing_access() -> Self {
        Self::new(403, json!({"code": 50001, "message": "Missing Access"}))
    }

    /// 404 `{"code": 10008, "message": "Unknown Message"}`.
    pub fn unknown_message() -> Self {
        Self::new(404, json!({"code": 10008, "message": "Unknown Message"}))
    }

    /// 500 `{"code": 0, "message": "500: Internal Server Error"}`.
    pub fn server_error() -> Self {
        Self::new(
            500,
            json!({"code": 0, "message": "500: Internal Server Error"}),
        )
    }

    /// 429 as Discord sends it for a per-route limit: `retry-after` and
    /// `x-ratelimit-*` headers and `{"message": "You are being rate
    /// limited.", "retry_after": s, "global": false}`. That body has no
    /// `code`, so with the ratelimiter off serenity reports status 429 with a
    /// decode error (code -1); with it on, serenity sleeps `retry-after` and
    /// sends the request again.
    ///
    /// No `x-ratelimit-global` header: Discord sends it only on a global
    /// limit, and serenity 0.12.5 takes any value of it (even `false`) as
    /// a global limit.
    pub fn rate_limited(retry_after_secs: f64) -> Self {
        Self::new(
            429,
            json!({
                "message": "You are being rate limited.",
                "retry_after": retry_after_secs,
                "global": false,
            }),
        )
        .with_header("retry-after", &retry_after_secs.to_string())
        .with_header("x-ratelimit-limit", "5")
        .with_header("x-ratelimit-remaining", "0")
        .with_header("x-ratelimit-reset-after", &retry_after_secs.to_string())
        .with_header("x-ratelimit-bucket", "fake-bucket")
        .with_header("x-ratelimit-scope", "user")
    }

    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }
}

pub(super) struct Reply {
    pub(super) status: u16,
    pub(super) body: Value,
    pub(super) headers: Vec<(String, String)>,
    pub(super) routed: bool,
}

impl Reply {
    pub(super) fn ok(body: Value) -> Self {
        Self {
            status: 200,
            body,
            headers: Vec::new(),
            routed: true,
        }
    }

    pub(super) fn no_content() -> Self {
        Self {
            status: 204,
            body: Value::Null,
            headers: Vec::new(),
            routed: true,
        }
    }

    pub(super) fn error(status: u16, code: u64, message: &str) -> Self {
        Self {
            status,
            body: json!({"code": code, "message": message}),
            headers: Vec::new(),
            routed: true,
        }
    }

    fn unrouted(method: &str, path: &str) -> Self {
        Self {
            status: 404,
            body: json!({
                "code": 0,
                "message": format!("404: Not Found (fake Discord has no route for {method} {path})"),
            }),
            headers: Vec::new(),
            routed: false,
        }
    }

    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = if status == StatusCode::NO_CONTENT {
            status.into_response()
        } else {
            (status, axum::Json(self.body)).into_response()
        };
        for (name, value) in self.headers {
            if let (Ok(name), Ok(value)) = (
                HeaderName::from_bytes(name.as_bytes()),
                HeaderValue::from_str(&value),
            ) {
                response.headers_mut().insert(name, value);
            }
        }
        response
    }
}

/// Every REST request: recorded, then answered by an injected failure,
/// a route, or the catch-all 404.
pub(super) async fn handle(
    AxumState(shared): AxumState<Arc<Shared>>,
    transport: Option<axum::Extension<Transport>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let received = Instant::now();
    let full_path = uri.path();
    let (api, path) = match full_path.strip_prefix("/api/v10") {
        Some(rest) if rest.starts_with('/') => (true, rest.to_string()),
        _ => (false, full_path.to_string()),
    };
    let mut request = Request {
        index: 0,
        method: method.as_str().to_string(),
        path,
        query: uri.query().unwrap_or("").to_string(),
        headers: headers
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body: serde_json::from_slice(&body).unwrap_or(Value::Null),
        raw_body: String::from_utf8_lossy(&body).into_owned(),
        status: 0,
        response: Value::Null,
        routed: true,
        received,
        tls: matches!(transport, Some(axum::Extension(Transport::Tls))),
    };
    let mut reply = None;
    shared.state.send_modify(|s| {
        let injected = s
            .failures
            .iter()
            .position(|(m, p, _)| request.is(m, p))
            .map(|i| s.failures.remove(i).2);
        let answer = match injected {
            Some(f) => Reply {
                status: f.status,
                body: f.body,
                headers: f.headers,
                routed: true,
            },
            None if api => route(s, &shared, &request),
            None => Reply::unrouted(&request.method, &request.path),
        };
        request.index = s.requests.len();
        request.status = answer.status;
        request.routed = answer.routed;
        request.response = answer.body.clone();
        s.requests.push(request.clone());
        reply = Some(answer);
    });
    reply
        .unwrap_or_else(|| Reply::error(500, 0, "fake Discord lost the request"))
        .into_response()
}

fn route(s: &mut State, shared: &Shared, req: &Request) -> Reply {
    let segs: Vec<&str> = req.path.trim_matches('/').split('/').collect();
    let app = APP_ID.to_string();
    let wrong_app = |a: &str| a != app;
    let body = &req.body;
    match (req.method.as_str(), segs.as_slice()) {
        ("GET", ["gateway"]) => Reply::ok(json!({"url": shared.gateway_url()})),
        ("GET", ["gateway", "bot"]) => Reply::ok(s.gateway.gateway_bot(&shared.gateway_url())),
        ("GET", ["users", "@me"]) => Reply::ok(bot_user()),
        ("GET", ["oauth2", "applications", "@me"] | ["applications", "@me"]) => {
            Reply::ok(application())
        }
        (_, ["applications", a, ..]) if wrong_app(a) => {
            Reply::error(404, 10002, "Unknown Application")
        }
        ("PUT", ["applications", _, "commands"]) => overwrite_commands(s, body, None),
        ("PUT", ["applications", _, "guilds", guild, "commands"]) => {
            overwrite_commands(s, body, Some(guild))
        }
        ("GET", ["applications", _, "commands"]) => Reply::ok(Value::Array(
            s.commands.get(&None).cloned().unwrap_or_default(),
        )),
        ("GET", ["applications", _, "guilds", guild, "commands"]) => Reply::ok(Value::Array(
            s.commands
                .get(&Some(guild.to_string()))
                .cloned()
                .unwrap_or_default(),
        )),
        ("POST", ["interactions", id, token, "callback"]) => callback(s, id, token, body),
        (_, ["webhooks", a, ..]) if wrong_app(a) => Reply::error(404, 10015, "Unknown Webhook"),
        (m, ["webhooks", _, token, "messages", "@original"]) => original(s, m, token, body),
        ("POST", ["webhooks", _, token]) => create_followup(s, token, body),
        (m @ ("GET" | "PATCH" | "DELETE"), ["webhooks", _, token, "messages", id]) => {
            if !s.interactions.contains_key(*token) {
                return Reply::error(404, 10015, "Unknown Webhook");
            }
            stored_message(s, m, id, body)
        }
        ("POST", ["channels", channel, "messages"]) => create_channel_message(s, channel, body),
        (m @ ("GET" | "PATCH" | "DELETE"), ["channels", _, "messages", id]) => {
            stored_message(s, m, id, body)
        }
        ("POST", ["channels", _, "typing"]) => Reply::no_content(),
        ("PUT" | "DELETE", ["channels", _, "messages", _, "reactions", _, "@me"]) => {
            Reply::no_content()
        }
        _ => Reply::unrouted(&req.method, &req.path),
    }
}

fn overwrite_commands(s: &mut State, body: &Value, guild: Option<&str>) -> Reply {
    let Some(commands) = body.as_array() else {
        return Reply::error(
            400,
            50035,
            "Invalid Form Body (expected an array of commands)",
        );
    };
    let mut echoed = Vec::new();
    for command in commands {
        let Some(fields) = command.as_object() else {
            return Reply::error(400, 50035, "Invalid Form Body (expected a command object)");
        };
        if !fields.get("name").is_some_and(Value::is_string) {
            return Reply::error(400, 50035, "Invalid Form Body (command without a name)");
        }
        let mut c = fields.clone();
        c.entry("id")
            .or_insert_with(|| json!(snowflake().to_string()));
        c.insert("application_id".into(), json!(APP_ID.to_string()));
        c.insert("version".into(), json!(snowflake().to_string()));
        c.entry("type").or_insert(json!(1));
        c.entry("description").or_insert(json!(""));
        c.entry("default_member_permissions").or_insert(Value::Null);
        c.entry("nsfw").or_insert(json!(false));
        match guild {
            Some(g) => {
                c.insert("guild_id".into(), json!(g));
            }
            None => {
                c.entry("dm_permission").or_insert(json!(true));
            }
        }
        echoed.push(Value::Object(c));
    }
    s.commands.insert(guild.map(str::to_string), echoed.clone());
    Reply::ok(Value::Array(echoed))
}
