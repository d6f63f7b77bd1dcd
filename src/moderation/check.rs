//! `faqbot check`: everything wrong with an FAQ directory in one pass.
//!
//! The structural checks live in [`crate::faq::load`]; this module adds the
//! checks that need the matcher: phrasings repeated across entries,
//! entries so alike that the matcher cannot tell them apart, and the
//! regression questions of `tests.toml` (see [`crate::moderation::regression`]), each
//! failing one an error.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use rayon::prelude::*;

use crate::answer::engine::MatchingConfig;
use crate::answer::engine::{build_matcher, model_diagnostic};
use crate::answer::matching::normalize::normalize;
use crate::answer::matching::{Index, Params, Thresholds};
use crate::faq::load::Origin;
use crate::faq::{load_dir, Diagnostic, LoadReport};
use crate::moderation::{questions, regression};

/// Two entries are confusable when one of them, asked with its own
/// phrasing, is not answered: another entry scores within the answer
/// margin of it (so the bot can only suggest). Only scores from this up
/// count, so that two weak matches do not make a warning.
pub const CONFUSABLE_SIMILARITY: f32 = 0.5;

/// How many rivals a phrasing names at most (its own entry may be one of
/// them); an FAQ with more near-duplicates than that has bigger problems
/// to show first.
const RIVALS: usize = 5;

/// What `faqbot check` runs with: the bot's decision rule and scoring, so
/// that regression questions are routed as the bot would route them.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub matching: MatchingConfig,
    pub params: Params,
    /// Warn about entries reviewed longer ago than this (0: never).
    pub review_after_days: u32,
    /// The day to count from (`None`: today, in UTC).
    pub today: Option<jiff::civil::Date>,
}

/// Everything `faqbot check` found.
#[derive(Debug, Default)]
pub struct CheckReport {
    pub load: LoadReport,
    /// The regression questions (`tests.toml`): how many ran and how many
    /// failed; `None` when the folder has none or the FAQ did not load.
    pub cases: Option<(usize, usize)>,
}

/// Loads `dir` and runs every check, then the regression questions.
pub fn check_dir(dir: &Path, options: Options) -> CheckReport {
    let mut report = load_dir(dir);
    let mut cases = None;
    if let Some(faq) = &report.faq {
        // The confusable-entries warning reads words: it keeps the fuzzy
        // matcher's scale whatever the semantic stage does.
        let by_words = if options.matching.semantic {
            Thresholds::default()
        } else {
            options.matching.thresholds()
        };
        let warnings = similarity_warnings(faq, &report.origins, by_words);
        report.diagnostics.extend(warnings);
        if options.review_after_days > 0 {
            let today = options.today.unwrap_or_else(|| {
                jiff::Timestamp::now()
                    .to_zoned(jiff::tz::TimeZone::UTC)
                    .date()
            });
            let stale = review_warnings(faq, &report.origins, options.review_after_days, today);
            report.diagnostics.extend(stale);
        }
        if let Some((valid, mut problems)) = questions::load_regression(dir, Some(faq)) {
            let matcher = match build_matcher(faq, &options.matching, options.params) {
                Ok(m) => m,
                Err(e) => {
                    report.diagnostics.push(model_diagnostic(&e));
                    return CheckReport {
                        load: report,
                        cases,
                    };
                }
            };
            let failures = regression::run(&valid, faq, &matcher);
            let path = dir.join(crate::faq::TESTS_FILE);
            problems.extend(failures.iter().map(|f| f.diagnostic(&path)));
            // In the file's order, as a moderator reads it.
            problems.sort_by_key(|d| d.pos);
            report.diagnostics.extend(problems);
            cases = Some((valid.len(), failures.len()));
        }
    } else if let Some((_, problems)) = questions::load_regression(dir, None) {
        // The FAQ has errors, so the cases cannot run; their own problems
        // are still worth showing in the same pass.
        report.diagnostics.extend(problems);
    }
    CheckReport {
        load: report,
        cases,
    }
}

/// Entries whose `reviewed` date is more than `after_days` before `today`
/// (or after it: a typo), oldest review first within each file's order.
fn review_warnings(
    faq: &crate::faq::Faq,
    origins: &[Origin],
    after_days: u32,
    today: jiff::civil::Date,
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for (e, entry) in faq.entries.iter().enumerate() {
        let Some(reviewed) = entry.reviewed else {
            continue;
        };
        let owner = entry.owner.as_deref().map_or_else(
            || " (no owner: add `owner` to say who keeps it current)".to_string(),
            |o| format!(" (owner: {o})"),
        );
        let days = reviewed
            .until(today)
            .map_or(0, |span| i64::from(span.get_days()));
        let message = if days < 0 {
            format!(
                "entry `{}`{owner}: reviewed {reviewed} is in the future; fix the date",
                entry.id
            )
        } else if days > i64::from(after_days) {
            format!(
                "entry `{}`{owner}: last reviewed {reviewed}, {days} days ago (more than {after_days}); check the answer against its source, then update `reviewed`",
                entry.id
            )
        } else {
            continue;
        };
        // At the date to change, not at the entry's header.
        let origin = &origins[e];
        let at = origin.reviewed.unwrap_or(origin.at);
        out.push(Diagnostic::warning(&origin.file, at, message));
    }
    out
}

fn similarity_warnings(
    faq: &crate::faq::Faq,
    origins: &[Origin],
    t: Thresholds,
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let here = |e: usize| format!("{}:{}", origins[e].file.display(), origins[e].at.line);
    let at_entry =
        |e: usize, message: String| Diagnostic::warning(&origins[e].file, origins[e].at, message);
    let mut warned: HashSet<(usize, usize)> = HashSet::new();

    // The same phrasing (after normalisation) in two entries.
    let mut owner: HashMap<String, usize> = HashMap::new();
    for (e, entry) in faq.entries.iter().enumerate() {
        for text in entry.phrasings() {
            let key = normalize(text);
            match owner.get(&key) {
                Some(&first) if first != e => {
                    if warned.insert((first, e)) {
                        out.push(at_entry(
                            e,
                            format!(
                                "entry `{}`: `{text}` is also a phrasing of entry `{}` ({}); keep it in one entry only",
                                entry.id,
                                faq.entries[first].id,
                                here(first)
                            ),
                        ));
                    }
                }
                Some(_) => {}
                None => {
                    owner.insert(key, e);
                }
            }
        }
    }

    // Phrasings of one entry that another entry matches about as well: for
    // each phrasing, its own entry's score, then the few entries that score
    // within the margin of it. The floor is high (a phrasing mostly scores
    // about 1 for its own entry), so the index walks only the postings of
    // its rarest words: sub-quadratic in the FAQ's size. Each phrasing is
    // independent: rayon spreads them over the cores, order kept.
    let index = Index::build(faq);
    let phrasings: Vec<(usize, &str)> = faq
        .entries
        .iter()
        .enumerate()
        .flat_map(|(e, entry)| entry.phrasings().map(move |text| (e, text)))
        .collect();
    let rivals: Vec<(f32, Vec<crate::answer::matching::Scored>)> = phrasings
        .par_iter()
        .map(|&(e, text)| {
            let Some(question) = index.prepare(text) else {
                return (0.0, Vec::new());
            };
            let own = question.score_of(e).map_or(0.0, |s| s.score);
            let floor = CONFUSABLE_SIMILARITY.max(own - t.margin);
            (own, question.at_least(floor, RIVALS))
        })
        .collect();
    for (&(e, text), (own, ranked)) in phrasings.iter().zip(rivals) {
        let entry = &faq.entries[e];
        for other in ranked {
            let pair = (e.min(other.entry), e.max(other.entry));
            if other.entry == e || !warned.insert(pair) {
                continue;
            }
            let o = &faq.entries[other.entry];
            let their = o.phrasings().nth(other.phrasing).unwrap_or(&o.question);
            out.push(at_entry(
                e,
                format!(
                    "entries `{}` and `{}` ({}) are too alike for the matcher to tell apart: `{text}` scores {:.2} for its own entry and {:.2} for the other (via `{their}`), so it gets no answer; reword one so they differ in their key words",
                    entry.id,
                    o.id,
                    here(other.entry),
                    own,
                    other.score
                ),
            ));
        }
    }
    out
}
