//! `faqbot check`: everything wrong with an FAQ directory in one pass.
//!
//! The structural checks live in [`crate::faq::load`]; this module adds the
//! checks that need the matcher: phrasings repeated across entries, and
//! entries so alike that the matcher cannot tell them apart.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use crate::faq::{load_dir, Diagnostic, LoadReport};
use crate::matching::normalize::normalize;
use crate::matching::Index;

/// Two entries are confusable when a phrasing of one scores at least this
/// against the other: the same content words, give or take a rare one, so
/// a question near either gets both with almost the same score and the
/// margin rule can only suggest.
pub const CONFUSABLE_SIMILARITY: f32 = 0.8;

/// Loads `dir` and runs every check.
pub fn check_dir(dir: &Path) -> LoadReport {
    let mut report = load_dir(dir);
    if let Some(faq) = &report.faq {
        let warnings = similarity_warnings(faq, &report.origins);
        report.diagnostics.extend(warnings);
    }
    report
}

fn similarity_warnings(
    faq: &crate::faq::Faq,
    origins: &[(std::path::PathBuf, crate::faq::Position)],
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let here = |e: usize| format!("{}:{}", origins[e].0.display(), origins[e].1.line);
    let mut warned: HashSet<(usize, usize)> = HashSet::new();

    // The same phrasing (after normalisation) in two entries.
    let mut owner: HashMap<String, usize> = HashMap::new();
    for (e, entry) in faq.entries.iter().enumerate() {
        for text in entry.phrasings() {
            let key = normalize(text);
            match owner.get(&key) {
                Some(&first) if first != e => {
                    if warned.insert((first, e)) {
                        out.push(Diagnostic::warning(
                            &origins[e].0,
                            origins[e].1,
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

    // Phrasings of one entry that match another entry almost perfectly.
    let index = Index::build(faq);
    for (e, entry) in faq.entries.iter().enumerate() {
        for text in entry.phrasings() {
            for other in index.rank(text) {
                if other.score < CONFUSABLE_SIMILARITY {
                    break;
                }
                let pair = (e.min(other.entry), e.max(other.entry));
                if other.entry == e || !warned.insert(pair) {
                    continue;
                }
                let o = &faq.entries[other.entry];
                let their = o.phrasings().nth(other.phrasing).unwrap_or(&o.question);
                out.push(Diagnostic::warning(
                    &origins[e].0,
                    origins[e].1,
                    format!(
                        "entries `{}` and `{}` ({}) are too alike for the matcher to tell apart: `{text}` scores {:.2} against `{their}`; reword one so they differ in their key words",
                        entry.id,
                        o.id,
                        here(other.entry),
                        other.score
                    ),
                ));
            }
        }
    }
    out
}
