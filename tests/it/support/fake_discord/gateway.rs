//! The fake's gateway websocket at `/gateway` (JSON text frames only):
//! Hello (op 10), READY on Identify (op 2), ACK (op 11) for heartbeats
//! (op 1), RESUMED on a Resume (op 6) that names a live session (otherwise
//! op 9 Invalid Session); a bad `v`, encoding or compression closes with
//! 4012 or 4002, a `shard` that is not `[id, total]` with `id < total`
//! with 4010. Every frame a client sends is recorded
//! ([`FakeDiscord::gateway_frames`]). Many connections can be live at once,
//! one per shard or more; which shard each one is, and where dispatches go,
//! is kept in [`super::shards`]. What a dispatch tells later REST calls is
//! kept here ([`remember_dispatch`]).

use std::sync::Arc;

use axum::extract::ws::{CloseFrame, Message as WsMessage, WebSocket, WebSocketUpgrade};
use axum::extract::State as AxumState;
use axum::http::Uri;
use axum::response::Response;
use serde_json::{json, Value};
use tokio::sync::mpsc;

use super::payloads::{ready_payload, str_field};
use super::shards::shard_of;
use super::{stopped, KnownInteraction, Shared, State};

/// One frame a client sent on the gateway.
#[derive(Clone, Debug)]
pub struct GatewayFrame {
    /// 1 for the first websocket connection, 2 for the next, ...
    pub connection: usize,
    /// The connection's shard once the fake handled the frame (for an
    /// accepted IDENTIFY or RESUME: the shard it took; 0 before any).
    pub shard: u32,
    pub op: u64,
    pub d: Value,
}

/// What [`FakeDiscord`] asks a live connection to send.
pub(super) enum Outgoing {
    Text(String),
    Close(u16, String),
}

/// Keeps what later REST calls need to know about a dispatched event.
pub(super) fn remember_dispatch(s: &mut State, event: &str, data: &Value) {
    match event {
        "INTERACTION_CREATE" => {
            let (Some(id), Some(token)) = (str_field(data, "id"), str_field(data, "token")) else {
                return;
            };
            s.interactions.insert(
                token,
                KnownInteraction {
                    id,
                    channel_id: str_field(data, "channel_id").unwrap_or_default(),
                    guild_id: str_field(data, "guild_id"),
                    message: data.get("message").cloned(),
                },
            );
        }
        "MESSAGE_CREATE" => {
            if let Some(id) = str_field(data, "id") {
                s.messages.insert(id, data.clone());
            }
        }
        _ => {}
    }
}

pub(super) async fn gateway_upgrade(
    AxumState(shared): AxumState<Arc<Shared>>,
    uri: Uri,
    ws: WebSocketUpgrade,
) -> Response {
    let query = uri.query().unwrap_or("").to_string();
    ws.on_upgrade(move |socket| gateway_session(socket, shared, query))
}

/// What to do after a client frame.
enum Answer {
    Send(String),
    /// Send, then mark the connection ready for dispatches.
    SendReady(String),
    Close(u16, &'static str),
}

async fn gateway_session(mut socket: WebSocket, shared: Arc<Shared>, query: String) {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let mut id = 0;
    shared.state.send_modify(|s| id = s.gateway.connect(tx));

    if let Some((code, reason)) = bad_gateway_query(&query) {
        close(&mut socket, code, reason).await;
    } else {
        gateway_loop(&mut socket, &shared, id, &mut rx).await;
    }

    // Closed by either side, dropped (a killed process), or failed.
    shared.state.send_modify(|s| s.gateway.disconnect(id));
}

async fn gateway_loop(
    socket: &mut WebSocket,
    shared: &Shared,
    id: usize,
    rx: &mut mpsc::UnboundedReceiver<Outgoing>,
) {
    let hello =
        json!({"op": 10, "d": {"heartbeat_interval": shared.options.heartbeat_interval_ms}});
    if socket
        .send(WsMessage::Text(hello.to_string().into()))
        .await
        .is_err()
    {
        return;
    }
    let mut stop = shared.shutdown.subscribe();
    loop {
        tokio::select! {
            incoming = socket.recv() => {
                let text = match incoming {
                    Some(Ok(WsMessage::Text(text))) => text.to_string(),
                    Some(Ok(WsMessage::Binary(_))) => {
                        close(socket, 4002, "fake Discord speaks JSON text frames only").await;
                        return;
                    }
                    Some(Ok(WsMessage::Ping(_) | WsMessage::Pong(_))) => continue,
                    Some(Ok(WsMessage::Close(_)) | Err(_)) | None => return,
                };
                let mut answers = Vec::new();
                shared.state.send_modify(|s| answers = on_client_frame(s, shared, id, &text));
                for answer in answers {
                    match answer {
                        Answer::Send(text) => {
                            if socket.send(WsMessage::Text(text.into())).await.is_err() {
                                return;
                            }
                        }
                        Answer::SendReady(text) => {
                            if socket.send(WsMessage::Text(text.into())).await.is_err() {
                                return;
                            }
                            shared.state.send_modify(|s| {
                                if let Some(conn) = s.gateway.conn_mut(id) {
                                    conn.ready = true;
                                }
                            });
                        }
                        Answer::Close(code, reason) => {
                            close(socket, code, reason).await;
                            return;
                        }
                    }
                }
            }
            outgoing = rx.recv() => match outgoing {
                Some(Outgoing::Text(text)) => {
                    if socket.send(WsMessage::Text(text.into())).await.is_err() {
                        return;
                    }
                }
                Some(Outgoing::Close(code, reason)) => {
                    close(socket, code, &reason).await;
                    return;
                }
                // The fake is going away.
                None => return,
            },
            () = stopped(&mut stop) => {
                close(socket, 1001, "fake Discord shutting down").await;
                return;
            }
        }
    }
}

async fn close(socket: &mut WebSocket, code: u16, reason: &str) {
    let frame = CloseFrame {
        code,
        reason: reason.to_string().into(),
    };
    let _ = socket.send(WsMessage::Close(Some(frame))).await;
}

/// Discord closes with 4012 for a bad `v` and 4002 for an encoding it
/// cannot speak (here: anything but JSON).
fn bad_gateway_query(query: &str) -> Option<(u16, &'static str)> {
    for (k, v) in query.split('&').filter_map(|kv| kv.split_once('=')) {
        match (k, v) {
            ("v", v) if v != "10" => return Some((4012, "Invalid API version")),
            ("encoding", e) if e != "json" => {
                return Some((4002, "fake Discord speaks encoding=json only"))
            }
            ("compress", _) => return Some((4002, "fake Discord does not compress")),
            _ => {}
        }
    }
    None
}

fn on_client_frame(s: &mut State, shared: &Shared, id: usize, text: &str) -> Vec<Answer> {
    let Ok(frame) = serde_json::from_str::<Value>(text) else {
        return vec![Answer::Close(4002, "Decode error")];
    };
    let Some(op) = frame.get("op").and_then(Value::as_u64) else {
        return vec![Answer::Close(4001, "Unknown opcode")];
    };
    let d = frame.get("d").cloned().unwrap_or(Value::Null);
    let answers = answer_frame(s, shared, id, op, &d);
    let shard = s.gateway.conn_mut(id).map_or(0, |c| c.shard[0]);
    s.gateway.frames.push(GatewayFrame {
        connection: id,
        shard,
        op,
        d,
    });
    answers
}

fn answer_frame(s: &mut State, shared: &Shared, id: usize, op: u64, d: &Value) -> Vec<Answer> {
    match op {
        1 => vec![Answer::Send(json!({"op": 11}).to_string())],
        2 => match s.gateway.identify(id, d) {
            Ok(identified) => {
                let [shard, total] = identified.shard;
                let guilds: Vec<u64> = shared
                    .options
                    .ready_guilds
                    .iter()
                    .copied()
                    .filter(|&g| shard_of(g, total) == shard)
                    .collect();
                let ready = json!({
                    "op": 0, "s": 1, "t": "READY",
                    "d": ready_payload(
                        &identified.session_id,
                        &shared.gateway_url(),
                        &guilds,
                        identified.shard,
                    ),
                });
                vec![Answer::SendReady(ready.to_string())]
            }
            Err((code, reason)) => vec![Answer::Close(code, reason)],
        },
        6 => {
            let session_id = str_field(d, "session_id");
            match s.gateway.resume(id, session_id.as_deref()) {
                Some(seq) => {
                    let resumed = json!({"op": 0, "s": seq, "t": "RESUMED", "d": {"_trace": ["fake-discord"]}});
                    vec![Answer::SendReady(resumed.to_string())]
                }
                None => vec![Answer::Send(json!({"op": 9, "d": false}).to_string())],
            }
        }
        // Presence update, voice state, request guild members: recorded only.
        3 | 4 | 8 => vec![],
        _ => vec![Answer::Close(4001, "Unknown opcode")],
    }
}
