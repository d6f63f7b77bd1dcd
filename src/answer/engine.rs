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

use serde::Deserialize;

use crate::answer::matching::semantic::{self, ModelError, Semantic};
use crate::answer::matching::{normalize, Matcher, Params, Thresholds};
use crate::answer::vector_cache::VectorCache;
use crate::faq::{load_dir, Diagnostic, Faq, Severity};

#[derive(Debug, Clone)]
pub struct Engine {
    pub faq: Faq,
    pub matcher: Matcher,
    /// Where the FAQ was loaded from; `None` for an engine built in memory.
    pub source: Option<Source>,
}

/// What an engine is built with: the config file's `[matching]` and
/// `[scoring]` tables.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Settings {
    pub matching: MatchingConfig,
    pub scoring: Params,
}

/// The `[matching]` table: how the matcher decides, and whether it reads
/// meaning as well as words.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MatchingConfig {
    /// Overrides of the decision thresholds; unset, the defaults of the
    /// matcher in use (they differ with and without the semantic stage).
    pub answer: Option<f32>,
    pub margin: Option<f32>,
    pub suggest: Option<f32>,
    pub suggest_others: Option<f32>,
    /// Whether the sentence-embedding model adds meaning to the words.
    /// false: the fuzzy matcher alone.
    pub semantic: bool,
    /// A folder with another model of the same architecture (config.json,
    /// tokenizer.json, model.safetensors); unset: the bundled model.
    pub model: Option<PathBuf>,
    /// Where phrasings' vectors are cached between runs; unset: the user's
    /// cache folder (`$XDG_CACHE_HOME/faqbot`, else `~/.cache/faqbot`).
    /// `""` turns the cache off.
    pub cache: Option<PathBuf>,
    /// FAQs with more entries than this are matched by words alone (the
    /// model's cold build grows with the FAQ); 0: no limit.
    pub semantic_max_entries: usize,
}

/// Above this many entries the semantic stage is off unless the config
/// says otherwise: embedding 100,000 entries' phrasings takes hours on
/// two cores, 20,000 about 20 minutes once, then the cache serves.
pub const DEFAULT_SEMANTIC_MAX_ENTRIES: usize = 20_000;

impl Default for MatchingConfig {
    fn default() -> Self {
        MatchingConfig {
            answer: None,
            margin: None,
            suggest: None,
            suggest_others: None,
            semantic: true,
            model: None,
            cache: None,
            semantic_max_entries: DEFAULT_SEMANTIC_MAX_ENTRIES,
        }
    }
}

impl MatchingConfig {
    /// The decision thresholds: the overrides, else the defaults of the
    /// matcher in use.
    pub fn thresholds(&self) -> Thresholds {
        let d = if self.semantic {
            Thresholds::semantic()
        } else {
            Thresholds::default()
        };
        let suggest = self.suggest.unwrap_or(d.suggest);
        Thresholds {
            answer: self.answer.unwrap_or(d.answer),
            margin: self.margin.unwrap_or(d.margin),
            suggest,
            // Unset, the others' bar keeps its default ratio to `suggest`.
            suggest_others: self
                .suggest_others
                .unwrap_or(suggest * d.suggest_others / d.suggest.max(f32::EPSILON)),
        }
    }

    /// The vector cache's folder, if there is one.
    pub fn cache_dir(&self) -> Option<PathBuf> {
        match &self.cache {
            Some(p) if p.as_os_str().is_empty() => None,
            Some(p) => Some(p.clone()),
            None => std::env::var_os("XDG_CACHE_HOME")
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
                .or_else(|| {
                    std::env::var_os("HOME")
                        .filter(|v| !v.is_empty())
                        .map(|h| PathBuf::from(h).join(".cache"))
                })
                .map(|c| c.join("faqbot")),
        }
    }

    /// Whether an FAQ of `entries` entries gets the semantic stage.
    pub fn semantic_for(&self, entries: usize) -> bool {
        self.semantic && (self.semantic_max_entries == 0 || entries <= self.semantic_max_entries)
    }
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
    pub fn new(dir: &Path, settings: &Settings) -> Source {
        Source {
            dir: dir.to_path_buf(),
            matching: settings.matching.clone(),
            scoring: settings.scoring,
        }
    }
}

impl Engine {
    /// An engine for an FAQ already in memory (it cannot be reloaded).
    pub fn new(faq: Faq, settings: &Settings) -> Result<Engine, ModelError> {
        let matcher = build_matcher(&faq, &settings.matching, settings.scoring)?;
        Ok(Engine {
            faq,
            matcher,
            source: None,
        })
    }

    /// Loads the FAQ in `dir`; on errors returns every error found.
    pub fn load(dir: &Path, settings: &Settings) -> Result<Engine, Vec<Diagnostic>> {
        Engine::load_from(&Source::new(dir, settings))
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
