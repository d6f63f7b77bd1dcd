//! The FAQ and its matcher together: what the bot answers from. Built once
//! per load; the bot shares it behind an `Arc` so a reload can swap it
//! (see [`crate::reload`]). An engine loaded from a directory remembers the
//! directory and the matcher's settings, so that a reload rebuilds it the
//! same way.

use std::path::{Path, PathBuf};

use crate::config::Config;
use crate::faq::{load_dir, Diagnostic, Faq};
use crate::matching::{Matcher, Params, Thresholds};

#[derive(Debug, Clone)]
pub struct Engine {
    pub faq: Faq,
    pub matcher: Matcher,
    /// Where the FAQ was loaded from; `None` for an engine built in memory.
    pub source: Option<Source>,
}

/// What an engine is rebuilt from: the FAQ directory and the matcher's
/// thresholds and weights.
#[derive(Debug, Clone, PartialEq)]
pub struct Source {
    pub dir: PathBuf,
    pub matching: Thresholds,
    pub scoring: Params,
}

impl Source {
    pub fn new(dir: &Path, config: &Config) -> Source {
        Source {
            dir: dir.to_path_buf(),
            matching: config.matching,
            scoring: config.scoring,
        }
    }
}

impl Engine {
    /// An engine for an FAQ already in memory (it cannot be reloaded).
    pub fn new(faq: Faq, config: &Config) -> Engine {
        let matcher = Matcher::with_params(&faq, config.matching, config.scoring);
        Engine {
            faq,
            matcher,
            source: None,
        }
    }

    /// Loads the FAQ in `dir`; on errors returns every error found.
    pub fn load(dir: &Path, config: &Config) -> Result<Engine, Vec<Diagnostic>> {
        Engine::load_from(&Source::new(dir, config))
    }

    /// Loads the FAQ `source` names; on errors returns every error found.
    pub fn load_from(source: &Source) -> Result<Engine, Vec<Diagnostic>> {
        let report = load_dir(&source.dir);
        match report.faq {
            Some(faq) => {
                let matcher = Matcher::with_params(&faq, source.matching, source.scoring);
                Ok(Engine {
                    faq,
                    matcher,
                    source: Some(source.clone()),
                })
            }
            None => Err(report
                .diagnostics
                .into_iter()
                .filter(Diagnostic::is_error)
                .collect()),
        }
    }
}
