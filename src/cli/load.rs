//! Loading what the commands answer from: the FAQ folder, and the words
//! said when it, or the semantic model, cannot be loaded.

use std::path::Path;
use std::process::ExitCode;

use super::output::EXIT_USAGE;
use crate::faq::{load_dir, Faq};

/// Loads the FAQ for answering; on errors prints them and says what to do.
pub(super) fn load_faq(dir: &Path) -> Option<Faq> {
    let report = load_dir(dir);
    if let Some(faq) = report.faq {
        return Some(faq);
    }
    faq_failed(dir, &report.diagnostics);
    None
}

/// Prints why the FAQ in `dir` did not load: its errors, then what to do.
/// A folder that is not there is not an FAQ with errors.
pub(super) fn faq_failed(dir: &Path, diagnostics: &[crate::faq::Diagnostic]) {
    for d in diagnostics.iter().filter(|d| d.is_error()) {
        eprintln!("{d}");
    }
    if dir.is_dir() {
        eprintln!(
            "faqbot: the FAQ in {} has errors (above); fix them, then check with `faqbot check {}`",
            dir.display(),
            dir.display()
        );
    } else {
        eprintln!(
            "faqbot: there is no FAQ folder at {}; pass --faq DIR, or set `faq_dir` in the config file",
            dir.display()
        );
    }
}
/// A semantic model that cannot be loaded: said once, naming the file.
pub(super) fn model_failed(e: &crate::answer::matching::semantic::ModelError) -> ExitCode {
    eprintln!(
        "faqbot: {e}\nfaqbot: fix or remove `[matching] model`, or set `[matching] semantic = false` to match by words only"
    );
    ExitCode::from(EXIT_USAGE)
}
