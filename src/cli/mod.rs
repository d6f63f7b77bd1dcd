//! The command line: `faqbot check | ask | topics | eval | diff | report |
//! learn | run | import`. Parses flags (clap), reads files and standard
//! input, prints, and returns the exit code. The work itself is done by the
//! library modules.
//!
//! `args` is the command line's shape, and [`run`] sends each command to
//! its body: `ask` for the terminal asker, `moderate` and `eval` for
//! whoever edits the FAQ, `bot` for the Discord bot. Each body returns its
//! exit code, or an error that [`run`] says once on stderr (`output`).

mod args;
mod ask;
mod bot;
pub mod config;
mod eval;
mod load;
pub mod logging;
mod moderate;
mod output;

use std::path::PathBuf;
use std::process::ExitCode;

pub use args::{Cli, Command, InputFormat, StoreArgs};

use crate::cli::config::Config;
use load::load_faq;
use output::Failure;

/// Runs a parsed command line: its failure, if any, is said on stderr, and
/// the exit code returned.
pub fn run(cli: Cli) -> ExitCode {
    output::exit_code(dispatch(cli))
}

/// Reads the config, then runs the command.
fn dispatch(cli: Cli) -> anyhow::Result<ExitCode> {
    let config = Config::load(cli.config.as_deref()).map_err(Failure::usage)?;
    let faq_dir = |flag: Option<PathBuf>| flag.unwrap_or_else(|| config.faq_dir.clone());
    match cli.command {
        Command::Check {
            dir,
            faq,
            guild,
            strict,
        } => {
            let chosen = load::choose_faq(dir.or(faq), guild, &config)?;
            moderate::cmd_check(&chosen.dir, strict, &config)
        }
        Command::Ask {
            faq,
            json,
            explain,
            question,
        } => ask::cmd_ask(&load_faq(&faq_dir(faq))?, &config, json, explain, &question),
        Command::Topics { faq, json } => ask::cmd_topics(&load_faq(&faq_dir(faq))?, json),
        Command::Eval {
            faq,
            queries,
            json,
            sweep,
            misses,
            details,
        } => {
            let flags = eval::EvalFlags {
                json,
                sweep,
                misses,
                details,
            };
            eval::cmd_eval(&load_faq(&faq_dir(faq))?, &config, &queries, &flags)
        }
        Command::Diff {
            old,
            new,
            questions,
            json,
            since,
            store,
            guild,
        } => {
            // The questions of NEW's server: --guild, or the folder's.
            let scope = match guild {
                Some(g) => crate::store::Scope::Guild(g),
                None => load::choose_faq(Some(new.clone()), None, &config)?.scope,
            };
            let recorded = moderate::recorded_questions(&since, store, &scope, &config)?;
            moderate::cmd_diff(&old, &new, &questions, recorded, json, &config)
        }
        Command::Report { from, since, json } => {
            let chosen = load::choose_faq(from.faq, from.guild, &config)?;
            let scope = chosen.scope.clone();
            let report = moderate::learned(
                &chosen.dir,
                &since,
                from.store,
                &scope,
                from.min_picks,
                &config,
            )?;
            moderate::cmd_report(&report, json)
        }
        Command::Learn { from, since, apply } => {
            let chosen = load::choose_faq(from.faq, from.guild, &config)?;
            let scope = chosen.scope.clone();
            let dir = chosen.dir;
            let report =
                moderate::learned(&dir, &since, from.store, &scope, from.min_picks, &config)?;
            moderate::cmd_learn(&dir, &report.proposals, apply, &config)
        }
        Command::Run {
            faq,
            listen,
            shards,
            total_shards,
        } => {
            let slice = match (shards, total_shards) {
                (Some(range), Some(total)) => Some(
                    crate::discord::config::ShardSlice::parse(&range, total)
                        .map_err(|e| Failure::usage(format!("faqbot: {e}")))?,
                ),
                _ => None,
            };
            bot::cmd_run(&faq_dir(faq), &config, listen, slice)
        }
        Command::Serve { faq, listen } => bot::cmd_serve(&faq_dir(faq), &config, listen),
        Command::Import {
            file,
            out,
            format,
            force,
            add,
        } => moderate::cmd_import(&file, format, &out, force, add),
    }
}
