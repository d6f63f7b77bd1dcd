//! The FAQ and its matcher together: what the bot answers from. Built once
//! per load; the bot shares it behind an `Arc` so a reload can swap it
//! (see [`crate::moderation::reload`]). An engine loaded from a directory remembers the
//! directory and the matcher's settings, so that a reload rebuilds it the
//! same way.
//!
//! Building the matcher is where the semantic stage is set up: the model is
//! loaded once per process ([`semantic::shared_model`]), and every
//! phrasing's vector comes from the [`VectorCache`] or, if new, from the
//! model, in batches.

use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::answer::matching::semantic::{self, ModelError, Semantic};
use crate::answer::matching::{normalize, Matcher, Params};
use crate::answer::vector_cache::VectorCache;
use crate::cli::config::{Config, MatchingConfig};
use crate::faq::{load_dir, Diagnostic, Faq, Severity};

#[derive(Debug, Clone)]
pub struct Engine {
    pub faq: Faq,
    pub matcher: Matcher,
    /// Where the FAQ was loaded from; `None` for an engine built in memory.
    pub source: Option<Source>,
}

/// What an engine is rebuilt from: the FAQ directory and the matcher's
/// settings and weights.
#[derive(Debug, Clone, PartialEq)]
pub struct Source {
    pub dir: PathBuf,
    pub matching: MatchingConfig,
    pub scoring: Params,
}

impl Source {
    pub fn new(dir: &Path, config: &Config) -> Source {
        Source {
            dir: dir.to_path_buf(),
            matching: config.matching.clone(),
            scoring: config.scoring,
        }
    }
}

impl Engine {
    /// An engine for an FAQ already in memory (it cannot be reloaded).
    pub fn new(faq: Faq, config: &Config) -> Result<Engine, ModelError> {
        let matcher = build_matcher(&faq, &config.matching, config.scoring)?;
        Ok(Engine {
            faq,
            matcher,
            source: None,
        })
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
                let matcher = build_matcher(&faq, &source.matching, source.scoring)
                    .map_err(|e| vec![model_diagnostic(&e)])?;
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

/// A model that cannot be loaded, as an error at its file.
pub fn model_diagnostic(e: &ModelError) -> Diagnostic {
    Diagnostic {
        file: e.file.clone(),
        pos: None,
        severity: Severity::Error,
        message: format!("cannot load the semantic model: {}", e.message),
    }
}

/// The matcher for `faq` as `matching` and `scoring` say: the fuzzy index,
/// and the semantic stage unless it is off or the FAQ is too big for it.
pub fn build_matcher(
    faq: &Faq,
    matching: &MatchingConfig,
    scoring: Params,
) -> Result<Matcher, ModelError> {
    let matcher = Matcher::with_params(faq, matching.thresholds(), scoring);
    if !matching.semantic {
        return Ok(matcher);
    }
    if !matching.semantic_for(faq.entries.len()) {
        tracing::info!(
            entries = faq.entries.len(),
            semantic_max_entries = matching.semantic_max_entries,
            "the FAQ is larger than [matching] semantic_max_entries: matching by words only"
        );
        return Ok(matcher);
    }
    let model = semantic::shared_model(matching.model.as_deref())?;
    let mut cache = match matching.cache_dir() {
        Some(dir) => VectorCache::open(&dir, model.id(), model.dim()),
        None => VectorCache::none(model.dim()),
    };
    let texts: Vec<String> = faq
        .entries
        .iter()
        .flat_map(|e| e.phrasings().map(normalize::for_model))
        .collect();
    let missing: Vec<&str> = {
        let mut seen = std::collections::HashSet::new();
        texts
            .iter()
            .map(String::as_str)
            .filter(|t| cache.get(t).is_none() && seen.insert(*t))
            .collect()
    };
    if !missing.is_empty() {
        let started = Instant::now();
        let vectors = model.embed(&missing).map_err(|e| ModelError {
            file: matching
                .model
                .clone()
                .unwrap_or_else(|| PathBuf::from("the bundled model")),
            message: format!("failed on a phrasing: {e}"),
        })?;
        cache.add(&missing, &vectors);
        tracing::info!(
            phrasings = missing.len(),
            seconds = started.elapsed().as_secs_f64(),
            "embedded the new phrasings"
        );
    }
    let dim = model.dim();
    let mut vectors = Vec::with_capacity(texts.len() * dim);
    for t in &texts {
        match cache.get(t) {
            Some(v) => vectors.extend_from_slice(v),
            None => vectors.extend(std::iter::repeat_n(0.0, dim)),
        }
    }
    let counts: Vec<usize> = faq.entries.iter().map(|e| e.phrasings().count()).collect();
    let semantic = Semantic::new(model, vectors, &counts);
    Ok(matcher.with_semantic(semantic, scoring.semantic_weight))
}
