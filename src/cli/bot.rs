//! `faqbot run`: the Discord bot, from the token and the FAQ to a clean
//! stop on Ctrl-C or SIGTERM.

use std::path::Path;
use std::process::ExitCode;

use super::load::faq_failed;
use super::output::Failure;
use crate::cli::config::Config;

/// `faqbot run`: the bot on the FAQ in `dir`, until it is stopped.
pub(super) fn cmd_run(dir: &Path, config: &Config) -> anyhow::Result<ExitCode> {
    let token = crate::discord::config::Token::from_env(&config.discord.token_env)
        .map_err(|e| Failure::usage(format!("faqbot: {e}")))?;
    let engine = crate::answer::engine::Engine::load(dir, &config.engine())
        .map_err(|errors| faq_failed(dir, &errors))?;
    tracing::info!(entries = engine.faq.entries.len(), topics = engine.faq.topics.len(), faq = %dir.display(), "FAQ loaded");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::new(format!("faqbot: cannot start the async runtime: {e}")))?;
    let settings = config.discord.clone();
    // Held here, so that it is dropped (writing what is queued) after the
    // runtime has stopped, not on one of its threads.
    let store = std::sync::Arc::new(crate::store::Store::from_config(&config.store));
    if let Some(location) = store.location() {
        tracing::info!(store = %location, "recording questions, picks and votes");
    }
    let result = runtime.block_on(crate::discord::run(
        engine,
        settings,
        store.clone(),
        token,
        shutdown_signal(),
    ));
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
