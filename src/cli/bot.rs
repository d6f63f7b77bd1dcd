//! `faqbot run` (the gateway bot, or a slice of its shards) and `faqbot
//! serve` (the interactions endpoint): from the token and the FAQs to a
//! clean stop on Ctrl-C or SIGTERM.

use std::net::SocketAddr;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use super::load::faq_failed;
use super::output::Failure;
use crate::cli::config::Config;
use crate::discord::config::{ShardSlice, Token};
use crate::discord::Setup;
use crate::moderation::library::Library;
use crate::store::coordination::{IdentifyGate, Reloads};
use crate::store::Store;

/// What `run` and `serve` start from: the token, the FAQs, the runtime
/// and the store.
struct Started {
    token: Token,
    runtime: tokio::runtime::Runtime,
    /// Held here, so that it is dropped (writing what is queued) after the
    /// runtime has stopped, not on one of its threads.
    store: Arc<Store>,
    setup: Setup,
}

/// Reads the token, loads the default FAQ (and the servers' own, with
/// `[discord] faq_root`), opens the store and starts the runtime.
fn start(dir: &Path, config: &Config) -> Result<Started, Failure> {
    let token = Token::from_env(&config.discord.token_env)
        .map_err(|e| Failure::usage(format!("faqbot: {e}")))?;
    let engine = crate::answer::engine::Engine::load(dir, &config.engine())
        .map_err(|errors| faq_failed(dir, &errors))?;
    tracing::info!(entries = engine.faq.entries.len(), topics = engine.faq.topics.len(), faq = %dir.display(), "FAQ loaded");
    let root = config.discord.faq_root.as_deref();
    let library = Arc::new(Library::with_root(engine, root, &config.engine()));
    if let Some(root) = root {
        tracing::info!(faq_root = %root.display(), servers = library.own_faq_guilds().len(), engines = library.distinct_engines(), "servers' own FAQs loaded");
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::new(format!("faqbot: cannot start the async runtime: {e}")))?;
    let store = Arc::new(Store::from_config(&config.store));
    if let Some(location) = store.location() {
        tracing::info!(store = %location, "recording questions, picks and votes");
    }
    let mut setup = Setup::new(library, config.discord.clone(), Arc::clone(&store));
    // With a Postgres store, the processes sharing it space their IDENTIFYs
    // and hear of each other's reloads through it.
    let location = config.store.location.as_ref();
    setup.gate = IdentifyGate::for_store(location);
    setup.reloads = Reloads::for_store(location);
    Ok(Started {
        token,
        runtime,
        store,
        setup,
    })
}

impl Started {
    /// Runs `main` with `setup.web` listening on `listen` (if given), and
    /// metrics recorded then; stops the runtime, then writes the store.
    fn block_on<T, F: std::future::Future<Output = T>>(
        self,
        listen: Option<SocketAddr>,
        main: impl FnOnce(Setup, Token) -> F,
    ) -> Result<T, Failure> {
        let Started {
            token,
            runtime,
            store,
            mut setup,
        } = self;
        if listen.is_some() {
            crate::telemetry::install();
        }
        let result = runtime.block_on(async {
            if let Some(addr) = listen {
                let listener = crate::discord::web::bind(addr)
                    .await
                    .map_err(|e| Failure::usage(format!("faqbot: {e}")))?;
                setup.web = Some(listener);
            }
            Ok(main(setup, token).await)
        });
        drop(runtime);
        drop(store);
        result
    }
}

/// `faqbot run`: the bot on the FAQ in `dir` (and the servers' own, with
/// `[discord] faq_root`), running `slice` of the shards (default: all),
/// with `/healthz` and `/metrics` on `listen`, until it is stopped.
pub(super) fn cmd_run(
    dir: &Path,
    config: &Config,
    listen: Option<SocketAddr>,
    slice: Option<ShardSlice>,
) -> anyhow::Result<ExitCode> {
    let mut started = start(dir, config)?;
    started.setup.slice = slice;
    let result = started.block_on(listen, |setup, token| {
        crate::discord::run(setup, token, shutdown_signal())
    })?;
    result.map_err(|e| {
        Failure::new(format!(
            "faqbot: {}",
            crate::discord::explain_failure(&e, &config.discord)
        ))
    })?;
    Ok(ExitCode::SUCCESS)
}

/// `faqbot serve`: Discord's interaction webhooks answered on `listen`,
/// with `/healthz` and `/metrics`, until it is stopped.
pub(super) fn cmd_serve(
    dir: &Path,
    config: &Config,
    listen: SocketAddr,
) -> anyhow::Result<ExitCode> {
    if config.discord.public_key.is_none() {
        return Err(Failure::usage(format!(
            "faqbot: {}",
            crate::discord::ServeError::NoPublicKey
        ))
        .into());
    }
    let started = start(dir, config)?;
    let result = started.block_on(Some(listen), |setup, token| {
        crate::discord::serve(setup, token, shutdown_signal())
    })?;
    result.map_err(|e| Failure::new(format!("faqbot: {e}")))?;
    Ok(ExitCode::SUCCESS)
}

/// Completes on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        let mut term = match tokio::signal::unix::signal(
            tokio::signal::unix::SignalKind::terminate(),
        ) {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM; only Ctrl-C stops the bot");
                let _ = tokio::signal::ctrl_c().await;
                return;
            }
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
