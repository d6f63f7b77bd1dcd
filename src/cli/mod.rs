//! The command line: `faqbot check | ask | topics | eval | diff | report |
//! learn | run | import`. Parses flags (clap), reads files and standard
//! input, prints, and returns the exit code. The work itself is done by the
//! library modules.
//!
//! [`args`] is the command line's shape and [`run`] sends each command to
//! its body: [`ask`] for the terminal asker, [`moderate`] and [`eval`] for
//! whoever edits the FAQ, [`run`](mod@run) for the bot.

mod args;
mod ask;
pub mod config;
mod eval;
mod load;
pub mod logging;
mod moderate;
mod output;
mod run;

use std::path::PathBuf;
use std::process::ExitCode;

pub use args::{Cli, Command, InputFormat, StoreArgs};

use crate::answer::engine::build_matcher;
use crate::cli::config::Config;
use crate::moderation::import::Format;
use load::{load_faq, model_failed};
use output::{out, outln, EXIT_USAGE};

/// Runs a parsed command line.
pub fn run(cli: Cli) -> ExitCode {
    let config = match Config::load(cli.config.as_deref()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    let faq_dir = |flag: Option<PathBuf>| flag.unwrap_or_else(|| config.faq_dir.clone());
    match cli.command {
        Command::Check { dir, faq, strict } => {
            let options = crate::moderation::check::Options {
                matching: config.matching.clone(),
                params: config.scoring,
                review_after_days: config.review_after_days,
                today: None,
            };
            moderate::cmd_check(&faq_dir(dir.or(faq)), strict, options)
        }
        Command::Ask {
            faq,
            json,
            explain,
            question,
        } => match load_faq(&faq_dir(faq)) {
            Some(faq) => {
                let matcher = match build_matcher(&faq, &config.matching, config.scoring) {
                    Ok(m) => m,
                    Err(e) => return model_failed(&e),
                };
                if explain && !question.is_empty() {
                    ask::print_explanation(&faq, &matcher, &question.join(" "));
                }
                ask::cmd_ask(&faq, &matcher, json, &question)
            }
            None => ExitCode::FAILURE,
        },
        Command::Topics { faq, json } => match load_faq(&faq_dir(faq)) {
            Some(faq) => ask::cmd_topics(&faq, json),
            None => ExitCode::FAILURE,
        },
        Command::Eval {
            faq,
            queries,
            json,
            sweep,
            misses,
            details,
        } => match load_faq(&faq_dir(faq)) {
            Some(faq) => {
                let flags = eval::EvalFlags {
                    json,
                    sweep,
                    misses,
                    details,
                };
                eval::cmd_eval(&faq, &config, &queries, &flags)
            }
            None => ExitCode::FAILURE,
        },
        Command::Diff {
            old,
            new,
            questions,
            json,
            since,
            store,
        } => match moderate::recorded_questions(&since, store, &config) {
            Ok(recorded) => moderate::cmd_diff(&old, &new, &questions, recorded, json, &config),
            Err(code) => code,
        },
        Command::Report { from, since, json } => {
            let dir = faq_dir(from.faq);
            match moderate::learned(&dir, &since, from.store, from.min_picks, &config) {
                Ok(report) => {
                    if json {
                        outln!("{}", serde_json::to_string(&report).unwrap_or_default());
                    } else {
                        out!("{}", report.to_text());
                    }
                    ExitCode::SUCCESS
                }
                Err(code) => code,
            }
        }
        Command::Learn { from, since, apply } => {
            let dir = faq_dir(from.faq);
            match moderate::learned(&dir, &since, from.store, from.min_picks, &config) {
                Ok(report) => moderate::cmd_learn(&dir, &report.proposals, apply, &config),
                Err(code) => code,
            }
        }
        Command::Run { faq } => run::cmd_run(&faq_dir(faq), &config),
        Command::Import {
            file,
            out,
            format,
            force,
            add,
        } => {
            let format = match format {
                Some(InputFormat::Jsonl) => Format::JsonLines,
                Some(InputFormat::Csv) => Format::Csv,
                None => Format::from_path(&file),
            };
            moderate::cmd_import(&file, format, &out, force, add)
        }
    }
}
