//! `faqbot serve`: Discord's interactions endpoint. Discord POSTs every
//! interaction (PING, slash commands, autocomplete, buttons and select
//! menus) to the URL set in the Developer Portal, signed with Ed25519; the
//! endpoint verifies the signature with `[discord] public_key` (401 when it
//! is missing or wrong), answers PING itself, and hands the rest to the
//! same [`Bot`] the gateway feeds. The bot's first response becomes the
//! HTTP response ([`super::callbacks`]); when it is not ready within
//! [`ACK_DEADLINE`], the endpoint acknowledges with a deferral and the
//! answer is edited in when it comes, so Discord's 3-second deadline is
//! always met.
//!
//! A replica keeps nothing another replica needs: questions, picks and
//! votes go to the shared store, the FAQs are shared folders, and Why? on
//! an answer another replica gave reads its question from the store.
//! Cooldowns and "answered just above" are each replica's own. Mentions,
//! DMs and help channels are not interactions: they need `faqbot run`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use serde_json::{json, Value};
use serenity::all::{Http, Interaction};
use serenity::interactions_endpoint::Verifier;

use super::handler::Bot;
use crate::telemetry;

/// How long the endpoint waits for the bot's response before it defers:
/// Discord allows 3 s from sending, and the answer must travel back.
pub const ACK_DEADLINE: Duration = Duration::from_millis(2_000);

/// The endpoint's parts.
pub struct Endpoint {
    pub bot: Arc<Bot>,
    pub http: Arc<Http>,
    pub verifier: Verifier,
}

/// `POST /interactions` (and `POST /`, for a URL given without a path).
pub fn router(endpoint: Arc<Endpoint>) -> Router {
    Router::new()
        .route("/interactions", post(interactions))
        .route("/", post(interactions))
        .with_state(endpoint)
}

/// What kind of interaction a webhook carries, for metrics and deferrals.
fn kind(body: &Value) -> &'static str {
    match body["type"].as_u64() {
        Some(1) => "ping",
        Some(2) => "command",
        Some(3) => "component",
        Some(4) => "autocomplete",
        Some(5) => "modal",
        _ => "unknown",
    }
}

/// The acknowledgement sent when the bot's answer is late: "thinking…"
/// (privately) for a command, a silent acknowledgement for a component,
/// no choices for autocomplete.
fn deferral(kind: &str) -> Value {
    match kind {
        "component" => json!({"type": 6}),
        "autocomplete" => json!({"type": 8, "data": {"choices": []}}),
        _ => json!({"type": 5, "data": {"flags": 64}}),
    }
}

async fn interactions(
    State(endpoint): State<Arc<Endpoint>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let started = Instant::now();
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let signed = match (
        header("X-Signature-Ed25519"),
        header("X-Signature-Timestamp"),
    ) {
        (Some(signature), Some(timestamp)) => endpoint
            .verifier
            .verify(signature, timestamp, &body)
            .is_ok(),
        _ => false,
    };
    if !signed {
        telemetry::interaction("unsigned", 401, started.elapsed());
        return (StatusCode::UNAUTHORIZED, "invalid request signature").into_response();
    }
    let value: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => {
            tracing::warn!(error = %e, "an interaction webhook that is not JSON");
            telemetry::interaction("unknown", 400, started.elapsed());
            return (StatusCode::BAD_REQUEST, "not JSON").into_response();
        }
    };
    let kind = kind(&value);
    if kind == "ping" {
        telemetry::interaction(kind, 200, started.elapsed());
        return axum::Json(json!({"type": 1})).into_response();
    }
    let interaction: Interaction = match serde_json::from_value(value) {
        Ok(i) => i,
        Err(e) => {
            tracing::warn!(error = %e, kind, "an interaction webhook this version cannot read");
            telemetry::interaction(kind, 400, started.elapsed());
            return (StatusCode::BAD_REQUEST, "unknown interaction").into_response();
        }
    };
    let id = interaction.id();
    if endpoint.http.application_id().is_none() {
        let app = match &interaction {
            Interaction::Command(c) | Interaction::Autocomplete(c) => Some(c.application_id),
            Interaction::Component(c) => Some(c.application_id),
            _ => None,
        };
        if let Some(app) = app {
            endpoint.http.set_application_id(app);
        }
    }
    let rest = endpoint.bot.rest();
    let mut response = rest.callbacks().expect(id);
    let working = Arc::clone(&endpoint);
    tokio::spawn(async move {
        working
            .bot
            .on_interaction(&working.http, &interaction, started)
            .await;
        working.bot.rest().callbacks().forget(id);
    });
    let answered = match tokio::time::timeout(ACK_DEADLINE, &mut response).await {
        Ok(answered) => answered.ok(),
        Err(_late) => {
            if rest.callbacks().give_up(id) {
                tracing::info!(
                    kind,
                    waited_ms = ACK_DEADLINE.as_millis() as u64,
                    "the answer is late: deferred, it will be edited in"
                );
                telemetry::interaction(kind, 200, started.elapsed());
                return axum::Json(deferral(kind)).into_response();
            }
            // Handed over just as the wait ended.
            response.await.ok()
        }
    };
    match answered {
        Some(answer) => {
            telemetry::interaction(kind, 200, started.elapsed());
            axum::Json(answer).into_response()
        }
        None => {
            telemetry::interaction(kind, 500, started.elapsed());
            (StatusCode::INTERNAL_SERVER_ERROR, "no response").into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn late_answers_are_deferred_as_each_kind_allows() {
        assert_eq!(
            deferral("command"),
            json!({"type": 5, "data": {"flags": 64}})
        );
        assert_eq!(deferral("component"), json!({"type": 6}));
        assert_eq!(deferral("autocomplete")["type"], 8);
        assert_eq!(kind(&json!({"type": 1})), "ping");
        assert_eq!(kind(&json!({"type": 4})), "autocomplete");
        assert_eq!(kind(&json!({})), "unknown");
    }
}
