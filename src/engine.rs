//! The FAQ and its matcher together: what the bot answers from. Built once
//! per load; the bot shares it behind an `Arc` so a reload can swap it.

use std::path::Path;

use crate::config::Config;
use crate::faq::{load_dir, Diagnostic, Faq};
use crate::matching::Matcher;

#[derive(Debug, Clone)]
pub struct Engine {
    pub faq: Faq,
    pub matcher: Matcher,
}

impl Engine {
    pub fn new(faq: Faq, config: &Config) -> Engine {
        let matcher = Matcher::with_params(&faq, config.matching, config.scoring);
        Engine { faq, matcher }
    }

    /// Loads the FAQ in `dir`; on errors returns every error found.
    pub fn load(dir: &Path, config: &Config) -> Result<Engine, Vec<Diagnostic>> {
        let report = load_dir(dir);
        match report.faq {
            Some(faq) => Ok(Engine::new(faq, config)),
            None => Err(report
                .diagnostics
                .into_iter()
                .filter(Diagnostic::is_error)
                .collect()),
        }
    }
}
