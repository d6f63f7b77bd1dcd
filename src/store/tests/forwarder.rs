//! A loopback TCP forwarder to put between a store and PostgreSQL, to be
//! cut (every connection closed, new ones closed at once) and restored:
//! a database going away and coming back, on a real network path.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use tokio::net::{TcpListener, TcpStream};
use tokio::task::AbortHandle;

/// Forwards `127.0.0.1:port()` to the upstream until dropped.
pub(crate) struct Forwarder {
    addr: SocketAddr,
    up: Arc<AtomicBool>,
    links: Arc<Mutex<Vec<AbortHandle>>>,
    /// Connections refused (closed at once) while cut.
    pub(crate) refused: Arc<AtomicUsize>,
    runtime: Option<tokio::runtime::Runtime>,
}

impl Forwarder {
    /// Listens on a free loopback port and forwards to `upstream`
    /// (`host:port`).
    pub(crate) fn start(upstream: &str) -> Forwarder {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime");
        let listener = runtime
            .block_on(TcpListener::bind("127.0.0.1:0"))
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let up = Arc::new(AtomicBool::new(true));
        let links: Arc<Mutex<Vec<AbortHandle>>> = Arc::default();
        let refused = Arc::new(AtomicUsize::new(0));
        let upstream = upstream.to_string();
        let (up2, links2, refused2) = (up.clone(), links.clone(), refused.clone());
        runtime.spawn(async move {
            loop {
                let Ok((mut client, _)) = listener.accept().await else {
                    continue;
                };
                if !up2.load(Ordering::SeqCst) {
                    // Cut: the connection is closed at once.
                    refused2.fetch_add(1, Ordering::SeqCst);
                    drop(client);
                    continue;
                }
                let upstream = upstream.clone();
                let link = tokio::spawn(async move {
                    if let Ok(mut server) = TcpStream::connect(&upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
                links2.lock().expect("links").push(link.abort_handle());
            }
        });
        Forwarder {
            addr,
            up,
            links,
            refused,
            runtime: Some(runtime),
        }
    }

    /// `127.0.0.1:PORT`, to put in a database address.
    pub(crate) fn host_port(&self) -> String {
        self.addr.to_string()
    }

    /// Closes every forwarded connection, and every new one at once.
    pub(crate) fn cut(&self) {
        self.up.store(false, Ordering::SeqCst);
        for link in self.links.lock().expect("links").drain(..) {
            link.abort();
        }
    }

    /// Forwards new connections again.
    pub(crate) fn restore(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}

impl Drop for Forwarder {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}
