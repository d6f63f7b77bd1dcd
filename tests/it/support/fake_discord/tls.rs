//! The fake's TLS side, for the real HTTP path through serenity's
//! ratelimiter: a listener that speaks TLS as `discord.com` with a
//! self-signed certificate made for this run, and the reqwest client
//! ([`FakeDiscord::direct_client`], [`FakeDiscord::direct_http`]) that
//! reaches it and nothing else.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use serenity::all::HttpBuilder;
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio_rustls::TlsAcceptor;

use super::{FakeDiscord, DEFAULT_TIMEOUT, DISCORD_HOST};

impl FakeDiscord {
    /// A reqwest client (the 0.12 serenity uses) for which `discord.com` is
    /// this fake's TLS side: `https://discord.com/...` reaches the fake,
    /// with the certificate checked against the one made for this run (and
    /// no built-in roots); every other host name fails to resolve, and no
    /// system proxy is used. Panics unless started with [`Self::start_tls`].
    pub fn direct_client(&self) -> reqwest::Client {
        let tls = self
            .tls
            .as_ref()
            .expect("direct_client needs a fake started with FakeDiscord::start_tls");
        let cert = reqwest::Certificate::from_der(tls.cert.as_ref())
            .expect("reqwest reads the fake's certificate");
        reqwest::Client::builder()
            .use_rustls_tls()
            .tls_built_in_root_certs(false)
            .add_root_certificate(cert)
            .https_only(true)
            .no_proxy()
            .resolve(DISCORD_HOST, tls.addr)
            .dns_resolver(Arc::new(NoDns))
            .connect_timeout(DEFAULT_TIMEOUT)
            .timeout(DEFAULT_TIMEOUT * 2)
            .build()
            .expect("reqwest builds the client for the fake")
    }

    /// An `HttpBuilder` for the real HTTP path: no proxy, serenity's
    /// ratelimiter on, and [`Self::direct_client`] as its client, so REST
    /// goes to `https://discord.com/api/v10/...` on the fake's TLS side.
    /// Panics unless started with [`Self::start_tls`].
    pub fn direct_http(&self, token: &str) -> HttpBuilder {
        HttpBuilder::new(token).client(self.direct_client())
    }
}

/// The TLS side of a [`FakeDiscord::start_tls`] fake.
pub(super) struct TlsSide {
    pub(super) addr: SocketAddr,
    /// The self-signed certificate for [`DISCORD_HOST`] it presents.
    pub(super) cert: CertificateDer<'static>,
}

/// Which side a request came in on (an extension on the TLS router only).
#[derive(Clone, Copy, Debug)]
pub(super) enum Transport {
    Tls,
}

/// A listener that hands axum TLS streams: TCP on 127.0.0.1, then a rustls
/// handshake (one at a time, bounded by [`DEFAULT_TIMEOUT`]) with a
/// self-signed certificate for [`DISCORD_HOST`].
pub(super) struct TlsListener {
    tcp: TcpListener,
    acceptor: TlsAcceptor,
}

impl TlsListener {
    pub(super) async fn bind() -> (Self, TlsSide) {
        let certified = rcgen::generate_simple_self_signed(vec![DISCORD_HOST.to_string()])
            .expect("rcgen makes a certificate for discord.com");
        let cert = certified.cert.der().clone();
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
            certified.signing_key.serialize_der(),
        ));
        // ring, as reqwest (through serenity) uses; named, so no process-wide
        // default provider is needed.
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("rustls protocol versions")
            .with_no_client_auth()
            .with_single_cert(vec![cert.clone()], key)
            .expect("rustls takes the certificate and key");
        // The fake's axum serves HTTP/1.1 only.
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        let tcp = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("fake Discord binds 127.0.0.1:0 for TLS");
        let addr = tcp.local_addr().expect("bound TLS address");
        let listener = Self {
            tcp,
            acceptor: TlsAcceptor::from(Arc::new(config)),
        };
        (listener, TlsSide { addr, cert })
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = tokio_rustls::server::TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let (tcp, peer) = match self.tcp.accept().await {
                Ok(accepted) => accepted,
                Err(err) => {
                    eprintln!("fake Discord: TLS accept failed: {err}");
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            };
            match tokio::time::timeout(DEFAULT_TIMEOUT, self.acceptor.accept(tcp)).await {
                Ok(Ok(stream)) => return (stream, peer),
                Ok(Err(err)) => eprintln!("fake Discord: TLS handshake with {peer} failed: {err}"),
                Err(_) => eprintln!("fake Discord: TLS handshake with {peer} timed out"),
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.tcp.local_addr()
    }
}

/// The DNS of [`FakeDiscord::direct_client`] for every name but
/// [`DISCORD_HOST`] (which `resolve` overrides): none, so nothing can leave
/// 127.0.0.1.
pub(super) struct NoDns;

impl reqwest::dns::Resolve for NoDns {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let name = name.as_str().to_string();
        Box::pin(async move {
            Err(
                format!("fake Discord: {name} does not resolve in tests (only {DISCORD_HOST})")
                    .into(),
            )
        })
    }
}
