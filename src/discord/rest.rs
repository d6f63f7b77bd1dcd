//! Sending the bot's replies over REST with Discord's rate limits waited
//! out: a 429 is retried after its `Retry-After` (per route, or for every
//! route when it is global) until the call's deadline, in direct and proxy
//! modes alike. Past the deadline the call gives up with one log line.
//!
//! Why not serenity's own calls: behind `[discord] proxy` serenity's
//! ratelimiter is off (it would send to discord.com, not to the proxy), and
//! serenity turns a 429 into an error without its `retry_after`. Directly,
//! its ratelimiter handles the limits it knows of first; what it passes back
//! as a 429 (an interaction callback, a limit without headers) is waited out
//! here. The bodies are serenity's builders, serialised as serenity would.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde::Serialize;

use super::callbacks::{self, Callbacks};
use serenity::all::{
    ApplicationId, ChannelId, CreateInteractionResponse, CreateInteractionResponseFollowup,
    CreateMessage, EditInteractionResponse, Http, InteractionId, Message,
};
use serenity::http::{
    ErrorResponse, HttpError, LightMethod, RatelimitingBucket, Request, Route, StatusCode,
};

/// Discord drops an interaction not answered within 3 seconds of being
/// sent; this leaves room for the trip there.
pub const RESPONSE_DEADLINE: Duration = Duration::from_millis(2_700);

/// Follow-ups and edits use the interaction's token, valid for 15 minutes.
pub const FOLLOWUP_DEADLINE: Duration = Duration::from_secs(14 * 60);

/// A channel message has no deadline of Discord's; a reply later than this
/// would land among other talk, so the bot gives up instead.
pub const MESSAGE_DEADLINE: Duration = Duration::from_secs(60);

/// What a 429 without a usable `Retry-After` is taken to mean.
const DEFAULT_RETRY_AFTER: Duration = Duration::from_secs(1);

/// The REST sender. One per bot: it remembers which routes are limited
/// until when, so that the next call to a limited route waits first.
#[derive(Debug, Default)]
pub struct Rest {
    /// For the proxy mode (serenity keeps its own client private).
    client: reqwest::Client,
    blocked: Mutex<Blocked>,
    /// Interactions that came by webhook: their first response is not
    /// sent from here.
    callbacks: Callbacks,
}

#[derive(Debug, Default)]
struct Blocked {
    /// Every route waits until then (a global limit).
    global: Option<Instant>,
    routes: HashMap<RatelimitingBucket, Instant>,
}

impl Blocked {
    /// When a call to `bucket` may go, if not now.
    fn until(&self, bucket: &RatelimitingBucket) -> Option<Instant> {
        let route = self.routes.get(bucket).copied();
        match (self.global, route) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        }
        .filter(|&t| t > Instant::now())
    }

    fn block(&mut self, bucket: RatelimitingBucket, global: bool, until: Instant) {
        let now = Instant::now();
        // Old limits are forgotten, so the map holds only live ones.
        self.routes.retain(|_, t| *t > now);
        if global {
            self.global = Some(until);
        } else {
            self.routes.insert(bucket, until);
        }
    }
}

impl Rest {
    /// The interactions that came by webhook (`faqbot serve`).
    pub fn callbacks(&self) -> &Callbacks {
        &self.callbacks
    }

    /// The first response to an interaction: to Discord's callback
    /// endpoint, or for one that came by webhook, into the HTTP response
    /// waiting for it (an edit of the deferred reply once the endpoint has
    /// acknowledged with a deferral).
    pub async fn respond(
        &self,
        http: &Http,
        id: InteractionId,
        token: &str,
        response: &CreateInteractionResponse,
    ) -> serenity::Result<()> {
        match self.callbacks.route(id) {
            callbacks::Route::Webhook(waiting) => {
                // The endpoint may have stopped waiting (the client went
                // away): nothing more to do then.
                let _ = waiting.send(response.clone());
                return Ok(());
            }
            callbacks::Route::Deferred => return self.after_deferral(http, token, response).await,
            callbacks::Route::Callback => {}
        }
        let route = Route::InteractionResponse {
            interaction_id: id,
            token,
        };
        self.call(http, LightMethod::Post, route, response, RESPONSE_DEADLINE)
            .await
            .map(|_| ())
    }

    /// `response`, for an interaction the endpoint has already acknowledged
    /// with a deferral: a message (new, or the component's own updated) is
    /// edited into the deferred reply; a deferral is already done; late
    /// autocomplete choices cannot be shown.
    async fn after_deferral(
        &self,
        http: &Http,
        token: &str,
        response: &CreateInteractionResponse,
    ) -> serenity::Result<()> {
        let body = serde_json::to_value(response).map_err(serenity::Error::Json)?;
        match body["type"].as_u64() {
            // Message, UpdateMessage: their data is an edit's body.
            Some(4 | 7) => {
                let route = |application_id| Route::WebhookOriginalInteractionResponse {
                    application_id,
                    token,
                };
                self.webhook(http, LightMethod::Patch, route, &body["data"])
                    .await
                    .map(|_| ())
            }
            Some(8) => {
                tracing::debug!("autocomplete choices came too late to be shown");
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// A follow-up message to an interaction already responded to.
    pub async fn followup(
        &self,
        http: &Http,
        token: &str,
        followup: &CreateInteractionResponseFollowup,
    ) -> serenity::Result<Message> {
        let route = |application_id| Route::WebhookFollowupMessages {
            application_id,
            token,
        };
        self.webhook(http, LightMethod::Post, route, followup).await
    }

    /// Edits the response to an interaction (after a deferral).
    pub async fn edit_response(
        &self,
        http: &Http,
        token: &str,
        edit: &EditInteractionResponse,
    ) -> serenity::Result<Message> {
        let route = |application_id| Route::WebhookOriginalInteractionResponse {
            application_id,
            token,
        };
        self.webhook(http, LightMethod::Patch, route, edit).await
    }

    /// A message in a channel (a reply to a mention, a DM, the mod log).
    pub async fn send_message(
        &self,
        http: &Http,
        channel: ChannelId,
        message: &CreateMessage,
    ) -> serenity::Result<Message> {
        let route = Route::ChannelMessages {
            channel_id: channel,
        };
        let response = self
            .call(http, LightMethod::Post, route, message, MESSAGE_DEADLINE)
            .await?;
        json(response).await
    }

    /// Sends `body` to a route of the interaction's webhook (a follow-up,
    /// or the original response), within the follow-ups' deadline, and
    /// reads back the message.
    async fn webhook<'a>(
        &self,
        http: &Http,
        method: LightMethod,
        route: impl FnOnce(ApplicationId) -> Route<'a>,
        body: &impl Serialize,
    ) -> serenity::Result<Message> {
        let application_id = http
            .application_id()
            .ok_or(HttpError::ApplicationIdMissing)?;
        let response = self
            .call(http, method, route(application_id), body, FOLLOWUP_DEADLINE)
            .await?;
        json(response).await
    }

    /// Sends `body` to `route` until it is not a 429, or until a wait
    /// would end past `within` from now.
    async fn call(
        &self,
        http: &Http,
        method: LightMethod,
        route: Route<'_>,
        body: &impl Serialize,
        within: Duration,
    ) -> serenity::Result<reqwest::Response> {
        let deadline = Instant::now() + within;
        let body = serde_json::to_vec(body)?;
        let bucket = route.ratelimiting_bucket();
        loop {
            let until = self.lock().until(&bucket);
            if let Some(until) = until {
                if until > deadline {
                    return Err(give_up(route, until));
                }
                tokio::time::sleep_until(until.into()).await;
            }
            let request = Request::new(route, method).body(Some(body.clone()));
            let response = match &http.ratelimiter {
                // Directly: serenity's ratelimiter, which knows the buckets
                // (and itself waits out a 429 whose route it knows: only up
                // to the deadline).
                Some(ratelimiter) => {
                    let left = deadline.saturating_duration_since(Instant::now());
                    match tokio::time::timeout(left, ratelimiter.perform(request)).await {
                        Ok(response) => response?,
                        Err(_) => return Err(give_up(route, deadline)),
                    }
                }
                None => {
                    let built = request
                        .build(&self.client, http.token(), http.proxy.as_deref())?
                        .build()?;
                    self.client.execute(built).await?
                }
            };
            if response.status().is_success() {
                return Ok(response);
            }
            if response.status() != StatusCode::TOO_MANY_REQUESTS {
                let method = method.reqwest_method();
                return Err(serenity::Error::Http(HttpError::UnsuccessfulRequest(
                    ErrorResponse::from_response(response, method).await,
                )));
            }
            let (wait, global) = retry_after(response).await;
            let until = Instant::now() + wait;
            self.lock().block(bucket, global, until);
            if until > deadline {
                return Err(give_up(route, until));
            }
            tracing::debug!(route = %route_name(route), wait_ms = wait.as_millis() as u64, global, "rate limited; waiting to send again");
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Blocked> {
        // The map is plain data: a panic elsewhere leaves it usable.
        self.blocked
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// A response's body, read as JSON.
async fn json<T: serde::de::DeserializeOwned>(response: reqwest::Response) -> serenity::Result<T> {
    let bytes = response.bytes().await?;
    Ok(serde_json::from_slice(&bytes)?)
}

/// How long a 429 asks to wait, and whether for every route: the
/// `Retry-After` header, else the body's `retry_after` (both in seconds).
async fn retry_after(response: reqwest::Response) -> (Duration, bool) {
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let from_header = header("retry-after").and_then(|v: String| seconds(&v));
    let global_header = header("x-ratelimit-global").is_some_and(|v| v != "false");
    let body: serde_json::Value = json(response).await.unwrap_or_default();
    let wait = from_header
        .or_else(|| {
            body["retry_after"]
                .as_f64()
                .and_then(|s| seconds(&s.to_string()))
        })
        .unwrap_or(DEFAULT_RETRY_AFTER);
    (wait, global_header || body["global"] == true)
}

/// A number of seconds as Discord writes it ("0.3", "2"); `None` if it is
/// not one, negative, or absurd (over a day).
fn seconds(text: &str) -> Option<Duration> {
    let s: f64 = text.trim().parse().ok()?;
    (s.is_finite() && (0.0..86_400.0).contains(&s)).then(|| Duration::from_secs_f64(s))
}

fn give_up(route: Route<'_>, until: Instant) -> serenity::Error {
    let wait = until.saturating_duration_since(Instant::now());
    tracing::warn!(
        route = %route_name(route),
        wait_s = wait.as_secs_f32(),
        "rate limited past the reply's deadline; giving up on this reply"
    );
    serenity::Error::Other("rate limited past the reply's deadline")
}

/// A route's name for logs: which call it is, never its token.
fn route_name(route: Route<'_>) -> &'static str {
    match route {
        Route::InteractionResponse { .. } => "interaction response",
        Route::WebhookFollowupMessages { .. } => "interaction follow-up",
        Route::WebhookOriginalInteractionResponse { .. } => "interaction edit",
        Route::ChannelMessages { .. } => "channel message",
        _ => "other",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_seconds_are_read_as_discord_writes_them() {
        assert_eq!(seconds("0.3"), Some(Duration::from_millis(300)));
        assert_eq!(seconds(" 2 "), Some(Duration::from_secs(2)));
        assert_eq!(seconds("-1"), None);
        assert_eq!(seconds("NaN"), None);
        assert_eq!(seconds("1e9"), None);
        assert_eq!(seconds("soon"), None);
    }

    #[test]
    fn a_route_limit_blocks_that_route_and_a_global_one_every_route() {
        let a = Route::ChannelMessages {
            channel_id: ChannelId::new(1),
        }
        .ratelimiting_bucket();
        let b = Route::ChannelMessages {
            channel_id: ChannelId::new(2),
        }
        .ratelimiting_bucket();
        let mut blocked = Blocked::default();
        let later = Instant::now() + Duration::from_secs(5);
        blocked.block(a, false, later);
        assert_eq!(blocked.until(&a), Some(later));
        assert_eq!(blocked.until(&b), None);
        blocked.block(b, true, later);
        assert_eq!(blocked.until(&b), Some(later));
        // A limit that has passed is no limit.
        blocked.block(a, false, Instant::now() - Duration::from_secs(1));
        assert_eq!(blocked.until(&a), Some(later), "the global one still holds");
    }
}
