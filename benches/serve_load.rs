//! A bounded loopback load on `faqbot serve`: two replicas of the shipped
//! binary (release build) on the bundled FAQ, and this program as Discord
//! and as a round-robin balancer in front. It signs `FAQBOT_LOAD_N`
//! (default 2,000) `/faq` interactions with the dev2 validation questions,
//! keeps `FAQBOT_LOAD_CONCURRENCY` (default 32) in flight, and prints the
//! acknowledgement times (p50, p90, p99, max), how many were answers
//! rather than deferrals, and the throughput. Discord's own REST (the
//! application look-up, registering the commands) is a stub here.
//!
//! `cargo bench --bench serve_load`

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::routing::any;
use ed25519_dalek::{Signer, SigningKey};
use serde_json::{json, Value};

const APP_ID: u64 = 1_100_000_000_000_000_001;
const GUILD_ID: u64 = 1_100_000_000_000_000_100;

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Discord's REST, as far as `faqbot serve` needs it at start.
async fn stub_discord() -> SocketAddr {
    let app = axum::Router::new().fallback(any(|uri: axum::http::Uri| async move {
        let path = uri.path();
        if path.ends_with("/oauth2/applications/@me") {
            axum::Json(json!({
                "id": APP_ID.to_string(), "name": "faqbot", "icon": null, "description": "",
                "bot_public": true, "bot_require_code_grant": false, "verify_key": "0".repeat(64),
                "flags": 0, "owner": null, "team": null,
            }))
        } else if path.contains("/commands") {
            axum::Json(json!([]))
        } else {
            axum::Json(json!({"code": 0, "message": "not in this stub"}))
        }
    }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a port");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    addr
}

fn free_addr() -> SocketAddr {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("a port")
        .local_addr()
        .expect("addr")
}

static NEXT_ID: AtomicU64 = AtomicU64::new(1_200_000_000_000_000_000);

/// `/faq question:<question>` in the guild, as Discord sends it.
fn ask(question: &str) -> Value {
    let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
    json!({
        "id": id.to_string(), "application_id": APP_ID.to_string(), "type": 2,
        "data": {"id": "1", "name": "faq", "type": 1,
                 "options": [{"name": "question", "type": 3, "value": question}]},
        "guild_id": GUILD_ID.to_string(), "channel_id": "1100000000000000200",
        "member": {"user": {"id": "1100000000000000300", "username": "asker", "discriminator": "0",
                            "global_name": null, "avatar": null},
                   "roles": [], "joined_at": "2024-01-01T00:00:00.000000+00:00", "deaf": false,
                   "mute": false, "flags": 0, "permissions": "0"},
        "token": format!("token-{id}"), "version": 1, "locale": "en-US",
        "entitlements": [], "attachment_size_limit": 26_214_400, "app_permissions": "0",
    })
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[tokio::main]
async fn main() {
    // `cargo bench` passes `--bench`; nothing else is read from the arguments.
    let total = env_usize("FAQBOT_LOAD_N", 2000);
    let concurrency = env_usize("FAQBOT_LOAD_CONCURRENCY", 32);
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let questions: Vec<String> =
        faqbot::moderation::questions::load_cases(&root.join("tests/data/dev2_questions.toml"))
            .expect("dev2 questions")
            .into_iter()
            .map(|c| c.text)
            .collect();
    let key = SigningKey::from_bytes(&[7; 32]);
    let rest = stub_discord().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("faqbot.toml");
    std::fs::write(
        &config,
        format!(
            "faq_dir = {:?}\n[discord]\nguild_ids = [{GUILD_ID}]\nproxy = \"http://{rest}\"\npublic_key = {:?}\nuser_cooldown_secs = 0\nrepeat_window_secs = 0\n[store]\npath = {:?}\n",
            root.join("faq"),
            hex(&key.verifying_key().to_bytes()),
            dir.path().join("faqbot.db"),
        ),
    )
    .expect("config");
    let mut replicas = Vec::new();
    let mut children = Vec::new();
    for _ in 0..2 {
        let addr = free_addr();
        children.push(
            tokio::process::Command::new(env!("CARGO_BIN_EXE_faqbot"))
                .args(["--config".as_ref(), config.as_os_str()])
                .args(["serve", "--listen", &addr.to_string()])
                .env("DISCORD_TOKEN", "MTEw.bench-only.token")
                .env_remove("RUST_LOG")
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .kill_on_drop(true)
                .spawn()
                .expect("faqbot serve starts"),
        );
        replicas.push(addr);
    }
    let client = reqwest::Client::new();
    for addr in &replicas {
        let ready = async {
            loop {
                let up = client.get(format!("http://{addr}/healthz")).send().await;
                if up.is_ok_and(|r| r.status().is_success()) {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        };
        tokio::time::timeout(Duration::from_secs(60), ready)
            .await
            .expect("the replicas become ready");
    }

    let limit = Arc::new(tokio::sync::Semaphore::new(concurrency));
    let key = Arc::new(key);
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..total {
        let body = serde_json::to_vec(&ask(&questions[i % questions.len()])).expect("JSON");
        let (limit, key, client) = (limit.clone(), key.clone(), client.clone());
        let addr = replicas[i % replicas.len()];
        tasks.spawn(async move {
            let _slot = limit.acquire_owned().await.expect("semaphore");
            let timestamp = faqbot::store::now_unix().to_string();
            let signature = hex(&key.sign(&[timestamp.as_bytes(), &body].concat()).to_bytes());
            let sent = Instant::now();
            let response = client
                .post(format!("http://{addr}/interactions"))
                .header("content-type", "application/json")
                .header("X-Signature-Ed25519", signature)
                .header("X-Signature-Timestamp", timestamp)
                .body(body)
                .send()
                .await
                .expect("an answer");
            let status = response.status().as_u16();
            let text = response.text().await.unwrap_or_default();
            let kind = serde_json::from_str::<Value>(&text)
                .ok()
                .and_then(|v| v["type"].as_u64());
            (status, kind, sent.elapsed())
        });
    }
    let mut acks = Vec::with_capacity(total);
    let (mut answers, mut deferrals, mut other) = (0, 0, 0);
    while let Some(done) = tasks.join_next().await {
        let (status, kind, took) = done.expect("a request");
        match (status, kind) {
            (200, Some(4)) => answers += 1,
            (200, Some(5)) => deferrals += 1,
            _ => other += 1,
        }
        acks.push(took);
    }
    let elapsed = started.elapsed();
    acks.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "serve_load: {total} interactions, {concurrency} in flight, 2 replicas: \
         p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms; \
         {answers} answered, {deferrals} deferred, {other} other; {:.0} interactions/s",
        ms(percentile(&acks, 0.50)),
        ms(percentile(&acks, 0.90)),
        ms(percentile(&acks, 0.99)),
        ms(*acks.last().expect("some")),
        total as f64 / elapsed.as_secs_f64(),
    );
    drop(children);
}
