//! `faqbot run`: the Discord bot, from the token and the FAQ to a clean
//! stop on Ctrl-C or SIGTERM.

use std::net::SocketAddr;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use super::load::faq_failed;
use super::output::Failure;
use crate::cli::config::Config;
use crate::discord::config::ShardSlice;
use crate::discord::Setup;
use crate::moderation::library::Library;

/// `faqbot run`: the bot on the FAQ in `dir` (and the servers' own, with
/// `[discord] faq_root`), running `slice` of the shards (default: all),
/// with `/healthz` and `/metrics` on `listen`, until it is stopped.
pub(super) fn cmd_run(
    dir: &Path,
    config: &Config,
    listen: Option<SocketAddr>,
    slice: Option<ShardSlice>,
) -> anyhow::Result<ExitCode> {
    let token = crate::discord::config::Token::from_env(&config.discord.token_env)
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
    let settings = config.discord.clone();
    // Held here, so that it is dropped (writing what is queued) after the
    // runtime has stopped, not on one of its threads.
    let store = std::sync::Arc::new(crate::store::Store::from_config(&config.store));
    if let Some(path) = store.path() {
        tracing::info!(path = %path.display(), "recording questions, picks and votes");
    }
    let mut setup = Setup::new(library, settings, Arc::clone(&store));
    setup.slice = slice;
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
        Ok::<_, Failure>(crate::discord::run(setup, token, shutdown_signal()).await)
    });
    let result = match result {
        Ok(r) => r,
        Err(failure) => {
            drop(runtime);
            drop(store);
            return Err(failure.into());
        }
    };
    drop(runtime);
    drop(store);
    result.map_err(|e| {
        Failure::new(format!(
            "faqbot: {}",
            crate::discord::explain_failure(&e, &config.discord)
        ))
    })?;
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
