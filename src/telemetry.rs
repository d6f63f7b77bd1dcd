//! What a running bot says about itself: the metrics it counts (one
//! home for their names and labels), the Prometheus text they are
//! rendered as, and whether the process is ready ([`Status`]). The
//! counting calls are cheap and never fail; with no recorder installed
//! ([`install`] is called by `faqbot run` and `faqbot serve` only) they do
//! nothing. No Discord types and no HTTP: [`crate::discord::web`] serves
//! `/metrics` and `/healthz` from here.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use crate::answer::matching::Outcome;
use crate::store::{Stats, Trigger};

/// Questions handled, by trigger and outcome.
pub const QUESTIONS: &str = "faqbot_questions_total";
/// How long matching one question took, by trigger.
pub const QUESTION_SECONDS: &str = "faqbot_question_seconds";
/// Interaction webhooks answered by `faqbot serve`, by kind and status.
pub const INTERACTIONS: &str = "faqbot_interactions_total";
/// How long `faqbot serve` took to acknowledge an interaction.
pub const ACK_SECONDS: &str = "faqbot_interaction_ack_seconds";
/// FAQ reloads, by result (`reloaded`, `rejected`).
pub const RELOADS: &str = "faqbot_reloads_total";
/// Errors found by rejected reloads.
pub const RELOAD_ERRORS: &str = "faqbot_reload_errors_total";
/// Engines answering (the default FAQ and each distinct server folder).
pub const FAQS: &str = "faqbot_faqs";
/// Store events waiting for the writer.
pub const STORE_QUEUE: &str = "faqbot_store_queue_depth";
/// Store events by fate: queued, written, dropped (queue full), failed.
pub const STORE_EVENTS: &str = "faqbot_store_events_total";
/// 1 while a shard is connected, else 0, by shard id.
pub const SHARD_UP: &str = "faqbot_shard_up";
/// A shard's last heartbeat round trip, by shard id.
pub const SHARD_LATENCY: &str = "faqbot_shard_latency_seconds";

/// Latency buckets, in seconds: matching takes about a millisecond, an
/// acknowledgement must come within Discord's 3 s.
const BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0,
];

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Installs the process's metrics recorder (once; later calls return the
/// same handle). `None` when it cannot be (another recorder is installed):
/// logged, and `/metrics` then says so.
pub fn install() -> Option<&'static PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let built = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), BUCKETS)
                .and_then(PrometheusBuilder::install_recorder);
            match built {
                Ok(handle) => {
                    describe();
                    Some(handle)
                }
                Err(e) => {
                    tracing::warn!(error = %e, "cannot install the metrics recorder; /metrics will be empty");
                    None
                }
            }
        })
        .as_ref()
}

/// The help lines of every metric.
fn describe() {
    use metrics::{describe_counter, describe_gauge, describe_histogram, Unit};
    describe_counter!(QUESTIONS, "Questions handled, by trigger and outcome.");
    describe_histogram!(
        QUESTION_SECONDS,
        Unit::Seconds,
        "Time to match one question."
    );
    describe_counter!(
        INTERACTIONS,
        "Interaction webhooks answered, by kind and HTTP status."
    );
    describe_histogram!(
        ACK_SECONDS,
        Unit::Seconds,
        "Time from an interaction webhook to its acknowledgement."
    );
    describe_counter!(RELOADS, "FAQ reloads, by result.");
    describe_counter!(RELOAD_ERRORS, "Errors found by rejected FAQ reloads.");
    describe_gauge!(
        FAQS,
        "Engines answering: the default FAQ and each distinct server folder."
    );
    describe_gauge!(STORE_QUEUE, "Store events waiting to be written.");
    describe_counter!(
        STORE_EVENTS,
        "Store events by fate: queued, written, dropped (queue full), failed."
    );
    describe_gauge!(SHARD_UP, "1 while the shard is connected.");
    describe_gauge!(
        SHARD_LATENCY,
        Unit::Seconds,
        "The shard's last heartbeat round trip."
    );
}

/// The Prometheus text of every metric, with the store's counters, the
/// shards' states and the number of engines (`faqs`) as they are now.
/// `None` without a recorder.
pub fn render(store: Stats, status: &Status, faqs: usize) -> Option<String> {
    let handle = install()?;
    metrics::gauge!(STORE_QUEUE).set(store.queue_depth as f64);
    for (fate, n) in [
        ("queued", store.queued),
        ("written", store.written),
        ("dropped", store.dropped),
        ("failed", store.failed),
    ] {
        metrics::counter!(STORE_EVENTS, "fate" => fate).absolute(n);
    }
    for (id, shard) in status.shards() {
        let id = id.to_string();
        metrics::gauge!(SHARD_UP, "shard" => id.clone()).set(f64::from(u8::from(shard.connected)));
        if let Some(latency) = shard.latency {
            metrics::gauge!(SHARD_LATENCY, "shard" => id).set(latency.as_secs_f64());
        }
    }
    metrics::gauge!(FAQS).set(faqs as f64);
    Some(handle.render())
}

/// Drains what histograms hold between scrapes; call it now and then
/// (every few seconds) while the process runs.
pub fn upkeep() {
    if let Some(handle) = install() {
        handle.run_upkeep();
    }
}

/// One question handled.
pub fn question(trigger: Trigger, outcome: Outcome, latency: Duration) {
    metrics::counter!(QUESTIONS, "trigger" => trigger.as_str(), "outcome" => outcome.as_str())
        .increment(1);
    metrics::histogram!(QUESTION_SECONDS, "trigger" => trigger.as_str())
        .record(latency.as_secs_f64());
}

/// One reload: `errors` is 0 for a good one.
pub fn reload(reloaded: bool, errors: usize) {
    let result = if reloaded { "reloaded" } else { "rejected" };
    metrics::counter!(RELOADS, "result" => result).increment(1);
    metrics::counter!(RELOAD_ERRORS).increment(errors as u64);
}

/// One interaction webhook answered by `faqbot serve`.
pub fn interaction(kind: &'static str, status: u16, took: Duration) {
    metrics::counter!(INTERACTIONS, "kind" => kind, "status" => status.to_string()).increment(1);
    metrics::histogram!(ACK_SECONDS, "kind" => kind).record(took.as_secs_f64());
}

/// A shard as last seen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShardState {
    pub connected: bool,
    /// The connection stage, as the gateway client names it.
    pub stage: String,
    pub latency: Option<Duration>,
}

/// Whether the process is ready, and what it knows of its parts; shared
/// by what runs and what reports.
#[derive(Debug, Default)]
pub struct Status {
    /// The FAQs are loaded (set once, before answering starts).
    faqs_loaded: AtomicBool,
    /// The interactions endpoint is listening (`faqbot serve`).
    endpoint_up: AtomicBool,
    /// The shards this process runs (`faqbot run`), by id.
    shards: Mutex<BTreeMap<u32, ShardState>>,
}

impl Status {
    /// The FAQs are loaded.
    pub fn faqs_loaded(&self) {
        self.faqs_loaded.store(true, Ordering::Relaxed);
    }

    /// The interactions endpoint is up.
    pub fn endpoint_up(&self) {
        self.endpoint_up.store(true, Ordering::Relaxed);
    }

    /// The shards this process runs, before any has connected.
    pub fn expect_shards(&self, ids: impl IntoIterator<Item = u32>) {
        let mut shards = self.shards.lock().unwrap_or_else(|p| p.into_inner());
        for id in ids {
            shards.entry(id).or_insert(ShardState {
                connected: false,
                stage: "waiting".into(),
                latency: None,
            });
        }
    }

    /// What shard `id` is doing now.
    pub fn shard(&self, id: u32, state: ShardState) {
        let mut shards = self.shards.lock().unwrap_or_else(|p| p.into_inner());
        shards.insert(id, state);
    }

    pub fn shards(&self) -> BTreeMap<u32, ShardState> {
        self.shards
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Ready: the FAQs are loaded, and the endpoint is up or every shard
    /// this process runs is connected.
    pub fn ready(&self) -> bool {
        if !self.faqs_loaded.load(Ordering::Relaxed) {
            return false;
        }
        let shards = self.shards();
        self.endpoint_up.load(Ordering::Relaxed)
            || (!shards.is_empty() && shards.values().all(|s| s.connected))
    }

    /// `/healthz`'s body: ready or not, and why; `faqs`: the engines
    /// answering now.
    pub fn to_json(&self, faqs: usize) -> serde_json::Value {
        let shards: serde_json::Map<String, serde_json::Value> = self
            .shards()
            .into_iter()
            .map(|(id, s)| {
                (
                    id.to_string(),
                    serde_json::json!({
                        "connected": s.connected,
                        "stage": s.stage,
                        "latency_ms": s.latency.map(|l| l.as_millis() as u64),
                    }),
                )
            })
            .collect();
        serde_json::json!({
            "ready": self.ready(),
            "faqs_loaded": self.faqs_loaded.load(Ordering::Relaxed),
            "faqs": faqs,
            "endpoint": self.endpoint_up.load(Ordering::Relaxed),
            "shards": shards,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ready_needs_the_faqs_and_every_shard_or_the_endpoint() {
        let status = Status::default();
        assert!(!status.ready());
        status.expect_shards([2, 3]);
        status.faqs_loaded();
        assert!(!status.ready(), "no shard connected yet");
        let up = ShardState {
            connected: true,
            stage: "connected".into(),
            latency: Some(Duration::from_millis(40)),
        };
        status.shard(2, up.clone());
        assert!(!status.ready(), "shard 3 is not connected");
        status.shard(3, up);
        assert!(status.ready());
        assert_eq!(status.to_json(1)["shards"]["3"]["latency_ms"], 40);

        let serving = Status::default();
        serving.faqs_loaded();
        assert!(!serving.ready());
        serving.endpoint_up();
        assert!(serving.ready());
    }
}
