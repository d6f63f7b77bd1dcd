//! `faqbot run --listen`: the shipped binary serves `/healthz` (503 until
//! its shards are connected, then 200 with what is up) and `/metrics`
//! (Prometheus text: questions by trigger and outcome, the latency
//! histogram, the store's queue, the shards' state), against the fake
//! Discord.

#![cfg(unix)]

use serde_json::Value;

use crate::support::bot::{
    ask_slash, binary_config, faqbot_run, gateway_unreachable, interact, sigterm_and_wait,
};
use crate::support::fake_discord::FakeDiscord;
use crate::support::http::{free_addr, get, wait_for_status};

/// The value of the sample `name{labels}` in Prometheus text.
fn sample(text: &str, name_and_labels: &str) -> Option<f64> {
    text.lines()
        .find(|l| l.starts_with(name_and_labels) && l[name_and_labels.len()..].starts_with(' '))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

/// `faqbot run --listen` on a free port, with `config`.
fn run_listening(config: &std::path::Path) -> (tokio::process::Child, std::net::SocketAddr) {
    let addr = free_addr();
    let child = faqbot_run(config, TOKEN)
        .arg("--listen")
        .arg(addr.to_string())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("faqbot starts");
    (child, addr)
}

/// `/healthz`'s JSON once it answers with `status`.
async fn health_when(addr: std::net::SocketAddr, status: u16) -> Value {
    let body = wait_for_status(addr, "/healthz", status).await;
    serde_json::from_str(&body).expect("JSON")
}

const TOKEN: &str = "MTEwMDAwMDAwMDAwMDAwMDAx.Gx7Yzq.health-test-token-0000000";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthz_is_ready_once_connected_and_metrics_count_questions() {
    let fake = FakeDiscord::start().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let config = binary_config(dir.path(), &fake, "user_cooldown_secs = 0\n");
    let (mut child, addr) = run_listening(&config);
    let health = health_when(addr, 200).await;
    assert_eq!(health["ready"], true, "{health}");
    assert_eq!(health["faqs_loaded"], true, "{health}");
    assert_eq!(health["shards"]["0"]["connected"], true, "{health}");

    for question in [
        "can cops just walk into an embassy",
        "who protects embassies?",
    ] {
        let cb = interact(&fake, ask_slash(question)).await;
        assert!(cb.body["data"]["embeds"][0].is_object(), "{}", cb.body);
    }
    let (status, metrics) = get(addr, "/metrics").await.expect("/metrics answers");
    assert_eq!(status, 200);
    assert_eq!(
        sample(
            &metrics,
            "faqbot_questions_total{trigger=\"slash\",outcome=\"answer\"}"
        ),
        Some(2.0),
        "{metrics}"
    );
    assert_eq!(
        sample(&metrics, "faqbot_question_seconds_count{trigger=\"slash\"}"),
        Some(2.0),
        "{metrics}"
    );
    assert!(
        metrics.contains("faqbot_question_seconds_bucket{trigger=\"slash\",le=\"0.005\"}"),
        "{metrics}"
    );
    assert_eq!(
        sample(&metrics, "faqbot_shard_up{shard=\"0\"}"),
        Some(1.0),
        "{metrics}"
    );
    assert_eq!(sample(&metrics, "faqbot_faqs"), Some(1.0), "{metrics}");
    assert!(
        sample(&metrics, "faqbot_store_queue_depth").is_some(),
        "{metrics}"
    );
    assert!(
        sample(&metrics, "faqbot_store_events_total{fate=\"queued\"}").is_some_and(|n| n >= 2.0),
        "{metrics}"
    );
    assert!(
        metrics.contains("# HELP faqbot_questions_total"),
        "{metrics}"
    );

    let exit = sigterm_and_wait(&mut child).await;
    assert!(exit.success(), "{exit:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthz_says_not_ready_while_the_gateway_cannot_be_reached() {
    let fake = FakeDiscord::start().await;
    gateway_unreachable(&fake);
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut child, addr) = run_listening(&binary_config(dir.path(), &fake, ""));
    let health = health_when(addr, 503).await;
    assert_eq!(health["ready"], false, "{health}");
    assert_eq!(health["faqs_loaded"], true, "the FAQ loaded: {health}");
    assert_eq!(health["shards"]["0"]["connected"], false, "{health}");
    let (_, metrics) = get(addr, "/metrics").await.expect("/metrics answers");
    assert_eq!(
        sample(&metrics, "faqbot_shard_up{shard=\"0\"}"),
        Some(0.0),
        "{metrics}"
    );
    let exit = sigterm_and_wait(&mut child).await;
    assert!(exit.success(), "{exit:?}");
}
