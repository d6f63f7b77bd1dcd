//! Interactions that came by webhook (`faqbot serve`): their first
//! response is the body of the HTTP response to Discord's request, not a
//! call to Discord's callback endpoint. The endpoint registers each one
//! ([`Callbacks::expect`]) before the bot handles it; [`super::rest::Rest`]
//! hands the bot's first response over instead of sending it. When the
//! bot takes longer than the endpoint can wait, the endpoint acknowledges
//! with a deferral ([`Callbacks::give_up`]), and the response, when it
//! comes, is sent as an edit of that deferred reply.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serenity::all::{CreateInteractionResponse, InteractionId};
use tokio::sync::oneshot;

/// A deferral's edit must come within the token's 15 minutes; what is
/// older than that is forgotten.
const FORGET_AFTER: Duration = Duration::from_secs(15 * 60);

/// The webhook interactions waiting for their first response.
#[derive(Debug, Default)]
pub struct Callbacks {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    waiting: HashMap<InteractionId, oneshot::Sender<CreateInteractionResponse>>,
    /// Acknowledged with a deferral, and when.
    deferred: HashMap<InteractionId, Instant>,
}

/// Where interaction `id`'s first response goes.
#[derive(Debug)]
pub enum Route {
    /// Into the HTTP response that is waiting for it.
    Webhook(oneshot::Sender<CreateInteractionResponse>),
    /// The endpoint has deferred: as an edit of the deferred reply.
    Deferred,
    /// To Discord's callback endpoint (a gateway interaction).
    Callback,
}

impl Callbacks {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Interaction `id` came by webhook: its first response is handed to
    /// the receiver.
    pub fn expect(&self, id: InteractionId) -> oneshot::Receiver<CreateInteractionResponse> {
        let (tx, rx) = oneshot::channel();
        self.lock().waiting.insert(id, tx);
        rx
    }

    /// The endpoint stops waiting for `id`'s response and acknowledges it
    /// with a deferral: `true`, and the response will be an edit; `false`
    /// when the response was handed over meanwhile (it is in the receiver).
    pub fn give_up(&self, id: InteractionId) -> bool {
        let mut inner = self.lock();
        if inner.waiting.remove(&id).is_none() {
            return false;
        }
        let now = Instant::now();
        inner
            .deferred
            .retain(|_, at| now.duration_since(*at) < FORGET_AFTER);
        inner.deferred.insert(id, now);
        true
    }

    /// The bot is done with `id`: if it never responded, the receiver
    /// learns so.
    pub fn forget(&self, id: InteractionId) {
        self.lock().waiting.remove(&id);
    }

    /// Where `id`'s first response goes (asked once per response).
    pub fn route(&self, id: InteractionId) -> Route {
        let mut inner = self.lock();
        if let Some(tx) = inner.waiting.remove(&id) {
            return Route::Webhook(tx);
        }
        if inner.deferred.remove(&id).is_some() {
            return Route::Deferred;
        }
        Route::Callback
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_response_goes_to_the_webhook_until_it_is_given_up_then_it_is_an_edit() {
        let callbacks = Callbacks::default();
        let (a, b, c) = (
            InteractionId::new(1),
            InteractionId::new(2),
            InteractionId::new(3),
        );
        let _rx_a = callbacks.expect(a);
        assert!(matches!(callbacks.route(a), Route::Webhook(_)));
        assert!(!callbacks.give_up(a), "already handed over");
        assert!(matches!(callbacks.route(a), Route::Callback), "once only");

        let _rx_b = callbacks.expect(b);
        assert!(callbacks.give_up(b));
        assert!(matches!(callbacks.route(b), Route::Deferred));
        assert!(matches!(callbacks.route(b), Route::Callback));

        let rx_c = callbacks.expect(c);
        callbacks.forget(c);
        assert!(
            rx_c.blocking_recv().is_err(),
            "the receiver learns nothing will come"
        );
        assert!(matches!(
            callbacks.route(InteractionId::new(4)),
            Route::Callback
        ));
    }
}
