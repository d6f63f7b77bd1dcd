//! The bot's HTTP side: `GET /healthz` (200 when ready, else 503, with
//! what is and is not up as JSON) and `GET /metrics` (Prometheus text),
//! served by `faqbot run --listen` and by `faqbot serve`, which also
//! mounts the interactions endpoint on the same router. What is counted
//! and what "ready" means are [`crate::telemetry`]'s; this module only
//! serves them.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use crate::moderation::library::Library;
use crate::store::Store;
use crate::telemetry::{self, Status};

/// What `/healthz` and `/metrics` read.
#[derive(Clone)]
pub struct Probes {
    pub status: Arc<Status>,
    pub store: Arc<Store>,
    /// For the number of engines answering, which reloads change.
    pub library: Arc<Library>,
}

/// The router with `/healthz` and `/metrics`.
pub fn router(probes: Probes) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .with_state(probes)
}

async fn healthz(State(probes): State<Probes>) -> Response {
    let status = if probes.status.ready() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let faqs = probes.library.distinct_engines();
    (status, axum::Json(probes.status.to_json(faqs))).into_response()
}

async fn metrics(State(probes): State<Probes>) -> Response {
    let faqs = probes.library.distinct_engines();
    match telemetry::render(probes.store.stats(), &probes.status, faqs) {
        Some(text) => (
            [(
                header::CONTENT_TYPE,
                "text/plain; version=0.0.4; charset=utf-8",
            )],
            text,
        )
            .into_response(),
        None => (
            StatusCode::SERVICE_UNAVAILABLE,
            "metrics are not being recorded in this process (see the log)\n",
        )
            .into_response(),
    }
}

/// Binds `addr`; the error says which address could not be used.
pub async fn bind(addr: SocketAddr) -> std::io::Result<tokio::net::TcpListener> {
    tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| std::io::Error::new(e.kind(), format!("cannot listen on {addr}: {e}")))
}

/// Serves `router` on `listener` until `shutdown` completes; histograms
/// are drained every few seconds meanwhile. Errors accepting connections
/// are logged by the server and do not stop it.
pub async fn serve(
    listener: tokio::net::TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let upkeep = tokio::spawn(async {
        let mut every = tokio::time::interval(std::time::Duration::from_secs(5));
        loop {
            every.tick().await;
            telemetry::upkeep();
        }
    });
    if let Ok(addr) = listener.local_addr() {
        tracing::info!(%addr, "serving /healthz and /metrics");
    }
    let served = axum::serve(listener, router)
        .with_graceful_shutdown(shutdown)
        .await;
    upkeep.abort();
    served
}
