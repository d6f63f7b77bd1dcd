//! A PostgreSQL database of its own for each test that needs one, on the
//! server `FAQBOT_TEST_PG` names (`.ci/pg` starts one and sets it). The
//! one rule, for every such test, unit or integration (the unit tests
//! include this file by path):
//!
//! - unset: the test says it was skipped, on stderr, and returns (so
//!   `cargo test` passes on a laptop without PostgreSQL);
//! - set: the test needs the server, and fails if it cannot be reached.
//!
//! Each [`TestDb`] is a new database (`CREATE DATABASE` with a unique
//! name), dropped again when the test ends, so tests run in parallel.

#![allow(dead_code)]

use std::io::Write;
use std::sync::atomic::{AtomicU32, Ordering};

/// The variable naming the server: `postgres://user@host:port/db`, the
/// database being one to connect to for creating the tests' own.
pub const ENV: &str = "FAQBOT_TEST_PG";

/// A database made for one test; dropped (forcibly) with this.
pub struct TestDb {
    admin: String,
    name: String,
    url: String,
}

impl TestDb {
    /// A new, empty database for the test `label`, or `None` when
    /// `FAQBOT_TEST_PG` is unset (said on stderr). Panics, failing the
    /// test, when it is set and the server cannot be reached.
    #[track_caller]
    pub fn create(label: &str) -> Option<TestDb> {
        let Ok(admin) = std::env::var(ENV) else {
            // Straight to stderr, past the test harness's capture, so that
            // a skip shows in every run.
            let _ = writeln!(
                std::io::stderr(),
                "skipped on PostgreSQL: {ENV} is not set ({label})"
            );
            return None;
        };
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "faqbot_t_{}_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.subsec_nanos())
        );
        if let Err(e) = admin_sql(&admin, &format!("CREATE DATABASE {name}")) {
            panic!("{ENV} is set, but PostgreSQL cannot be used there ({label}): {e}");
        }
        let url = with_database(&admin, &name);
        Some(TestDb { admin, name, url })
    }

    /// The test database's address.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The address, reached through `host_port` (a forwarder) instead.
    pub fn url_via(&self, host_port: &str) -> String {
        with_host(&self.url, host_port)
    }

    /// The server's `host:port`, as the address names it.
    pub fn host_port(&self) -> String {
        authority_host(&self.url).to_string()
    }

    /// Runs `sql` (statements, no results) on the test database.
    #[track_caller]
    pub fn execute(&self, sql: &str) {
        if let Err(e) = admin_sql(&self.url, sql) {
            panic!("{sql}: {e}");
        }
    }

    /// The first column of each row `sql` returns, as text (`::TEXT` it).
    #[track_caller]
    pub fn texts(&self, sql: &str) -> Vec<String> {
        let sql = sql.to_string();
        match on_own_runtime(&self.url, move |client| async move {
            let rows = client.query(&sql, &[]).await?;
            rows.iter().map(|r| r.try_get::<_, String>(0)).collect()
        }) {
            Ok(texts) => texts,
            Err(e) => panic!("query: {e}"),
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let drop = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
        if let Err(e) = admin_sql(&self.admin, &drop) {
            eprintln!("could not drop the test database {}: {e}", self.name);
        }
    }
}

/// Runs `f` with a client of `url`, on a runtime of its own in a thread
/// of its own (so that it works from async tests too).
fn on_own_runtime<T, F, Fut>(url: &str, f: F) -> Result<T, String>
where
    T: Send + 'static,
    F: FnOnce(tokio_postgres::Client) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = Result<T, tokio_postgres::Error>>,
{
    let url = url.to_string();
    let thread = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| e.to_string())?;
        runtime.block_on(async move {
            let connect = tokio_postgres::connect(&url, tokio_postgres::NoTls);
            let (client, connection) =
                tokio::time::timeout(std::time::Duration::from_secs(10), connect)
                    .await
                    .map_err(|_| format!("no answer from {url} in 10 s"))?
                    .map_err(|e| describe(&e))?;
            tokio::spawn(connection);
            f(client).await.map_err(|e| describe(&e))
        })
    });
    thread
        .join()
        .unwrap_or_else(|_| Err("the PostgreSQL thread panicked".into()))
}

fn admin_sql(url: &str, sql: &str) -> Result<(), String> {
    let sql = sql.to_string();
    on_own_runtime(url, move |client| async move {
        client.batch_execute(&sql).await
    })
}

/// An error with its cause (tokio-postgres keeps the server's words there).
fn describe(e: &tokio_postgres::Error) -> String {
    match std::error::Error::source(e) {
        Some(cause) => format!("{e}: {cause}"),
        None => e.to_string(),
    }
}

/// `url` with its database name replaced by `name`.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    let after_scheme = base.find("://").map_or(0, |i| i + 3);
    let base = match base[after_scheme..].find('/') {
        Some(slash) => &base[..after_scheme + slash],
        None => base,
    };
    if query.is_empty() {
        format!("{base}/{name}")
    } else {
        format!("{base}/{name}?{query}")
    }
}

/// The host and port part of `url` (after any `user@`).
fn authority_host(url: &str) -> &str {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    let rest = &url[after_scheme..];
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    let authority = &rest[..end];
    authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host)
}

/// `url` with its host and port replaced by `host_port`.
fn with_host(url: &str, host_port: &str) -> String {
    let host = authority_host(url);
    // `host` is a slice of `url`: where it starts in it.
    let at = host.as_ptr() as usize - url.as_ptr() as usize;
    format!("{}{host_port}{}", &url[..at], &url[at + host.len()..])
}
