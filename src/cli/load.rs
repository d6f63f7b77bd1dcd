//! Loading what the commands answer from: the FAQ folder, and the
//! [`Failure`] said when it, or the semantic model, cannot be loaded.

use std::path::Path;

use super::output::Failure;
use crate::faq::{load_dir, Faq};

/// Loads the FAQ for answering; on errors the failure lists them and says
/// what to do.
pub(super) fn load_faq(dir: &Path) -> Result<Faq, Failure> {
    let report = load_dir(dir);
    match report.faq {
        Some(faq) => Ok(faq),
        None => Err(faq_failed(dir, &report.diagnostics)),
    }
}

/// Why the FAQ in `dir` did not load: its errors, then what to do.
/// A folder that is not there is not an FAQ with errors.
pub(super) fn faq_failed(dir: &Path, diagnostics: &[crate::faq::Diagnostic]) -> Failure {
    let mut lines: Vec<String> = diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(ToString::to_string)
        .collect();
    lines.push(if dir.is_dir() {
        format!(
            "faqbot: the FAQ in {} has errors (above); fix them, then check with `faqbot check {}`",
            dir.display(),
            dir.display()
        )
    } else {
        format!(
            "faqbot: there is no FAQ folder at {}; pass --faq DIR, or set `faq_dir` in the config file",
            dir.display()
        )
    });
    Failure::new(lines.join("\n"))
}

/// A semantic model that cannot be loaded: said once, naming the file.
pub(super) fn model_failed(e: &crate::answer::matching::semantic::ModelError) -> Failure {
    Failure::usage(format!(
        "faqbot: {e}\nfaqbot: fix or remove `[matching] model`, or set `[matching] semantic = false` to match by words only"
    ))
}
