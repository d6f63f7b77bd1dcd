//! Plain HTTP to the binary's own listeners (`/healthz`, `/metrics`, the
//! interactions endpoint): a free loopback port to give it, a GET, and a
//! poll until a path answers with a status.

use std::time::{Duration, Instant};

/// A loopback address nothing listens on now (free for the binary to take).
pub fn free_addr() -> std::net::SocketAddr {
    let probe = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
    probe.local_addr().expect("addr")
}

pub async fn get(addr: std::net::SocketAddr, path: &str) -> Option<(u16, String)> {
    let response = reqwest::Client::new()
        .get(format!("http://{addr}{path}"))
        .timeout(Duration::from_secs(5))
        .send()
        .await
        .ok()?;
    let status = response.status().as_u16();
    Some((status, response.text().await.ok()?))
}

/// Polls `path` until it answers with `status`, for up to 20 s.
pub async fn wait_for_status(addr: std::net::SocketAddr, path: &str, status: u16) -> String {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        match get(addr, path).await {
            Some((s, body)) if s == status => return body,
            last if Instant::now() > deadline => {
                panic!("{path} never answered {status}; last: {last:?}")
            }
            _ => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
}
