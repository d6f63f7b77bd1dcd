//! `faqbot import`: a JSON-lines file or a CSV (header row) of questions and
//! answers -> one topic file per topic that passes `faqbot check`.
//!
//! Fields (JSON keys or CSV columns): `question` and `answer` required;
//! `id`, `alternatives`, `section`, `topic`, `link`, `tags`, `owner` and
//! `reviewed` (a date, 2026-11-27) optional. In a CSV, `alternatives` and
//! `tags` hold several values separated by `|`.
//!
//! Every bad row is reported (file and line); nothing is written unless all
//! rows are good.
//!
//! - `rows`: reading the rows, JSON lines or CSV, each one checked;
//! - `convert`: rows -> topic files' text ([`convert()`], [`convert_after`]);
//! - this module: writing the files, all or none: into a new folder that
//!   takes the output folder's place (with `--force`, one that held files
//!   is moved aside whole), or beside an FAQ's own files (`--add`).

mod convert;
mod rows;

use std::path::{Path, PathBuf};

use crate::faq::{Diagnostic, Position, Severity};

pub use convert::{convert, convert_after, Converted, Existing};

/// Topic of rows that name none.
pub const DEFAULT_TOPIC: &str = "General";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    JsonLines,
    Csv,
}

impl Format {
    /// `.csv` is CSV; anything else is read as JSON lines.
    pub fn from_path(path: &Path) -> Format {
        match path.extension().and_then(|e| e.to_str()) {
            Some(e) if e.eq_ignore_ascii_case("csv") => Format::Csv,
            _ => Format::JsonLines,
        }
    }
}

/// What an import wrote.
#[derive(Debug, PartialEq, Eq)]
pub struct Imported {
    pub files: Vec<PathBuf>,
    pub entries: usize,
    /// Where the folder that was there before now is (`--force` on a
    /// folder with files): kept whole, nothing deleted.
    pub previous: Option<PathBuf>,
    /// What was read but left out (columns of no known name).
    pub warnings: Vec<Diagnostic>,
}

/// Reads `input`, converts it and writes topic files into `out`. Refuses
/// to overwrite `*.toml` files already in `out` unless `force`. Errors are
/// every problem found, each at its file (and line).
pub fn import(
    input: &Path,
    format: Format,
    out: &Path,
    force: bool,
) -> Result<Imported, Vec<Diagnostic>> {
    let text = read_input(input)?;
    let Converted { files, warnings } = convert(&text, format, &input.display().to_string())?;
    if !force {
        if let Ok(read) = std::fs::read_dir(out) {
            let existing: Vec<String> = read
                .filter_map(|e| e.ok())
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "toml"))
                .map(|p| p.display().to_string())
                .collect();
            if !existing.is_empty() {
                return Err(at_folder(
                    out,
                    format!("already holds FAQ files ({}); choose an empty directory or pass --force to overwrite", existing.join(", ")),
                ));
            }
        }
    }
    // All or nothing: every file is written into a new folder beside
    // `out`, which then takes its place; a failure leaves `out` as it was.
    let staging = beside(out, ".", "import");
    let fail = |e: Diagnostic| {
        let _ = std::fs::remove_dir_all(&staging);
        vec![e]
    };
    std::fs::create_dir_all(&staging).map_err(|e| {
        fail(Diagnostic::file_error(
            out,
            format!("cannot create a folder beside it to write into: {e}"),
        ))
    })?;
    let mut names = Vec::new();
    let mut entries = 0;
    for (name, file_text, n) in files {
        let path = staging.join(&name);
        std::fs::write(&path, file_text).map_err(|e| {
            fail(Diagnostic::file_error(
                &out.join(&name),
                format!("cannot write: {e}"),
            ))
        })?;
        names.push(name);
        entries += n;
    }
    let previous = swap_in(&staging, out).map_err(fail)?;
    Ok(Imported {
        files: names.into_iter().map(|n| out.join(n)).collect(),
        entries,
        previous,
        warnings,
    })
}

/// An error about the folder `out`, as import reports it.
fn at_folder(out: &Path, message: String) -> Vec<Diagnostic> {
    vec![Diagnostic::file_error(out, message)]
}

/// Adds the topics of `input` to the FAQ in `out` (`import --add`): new
/// files beside its own, after them in the menu and by name. All or
/// nothing: `out` must load without errors, the rows may reuse none of its
/// ids or topic names, and the folder with the new files must load too;
/// else nothing is written.
pub fn import_add(input: &Path, format: Format, out: &Path) -> Result<Imported, Vec<Diagnostic>> {
    let report = crate::faq::load_dir(out);
    let Some(faq) = &report.faq else {
        return Err(at_folder(
            out,
            format!(
                "the FAQ there has errors, so nothing is added to it; see `faqbot check {}`",
                out.display()
            ),
        ));
    };
    let text = read_input(input)?;
    let source = input.display().to_string();
    let Converted { files, warnings } = convert_after(&text, format, &source, &Existing::of(faq))?;
    let taken: Vec<String> = files
        .iter()
        .map(|(name, _, _)| name.clone())
        .filter(|name| out.join(name).exists())
        .collect();
    if !taken.is_empty() {
        return Err(at_folder(
            out,
            format!("already has {}; nothing was written", taken.join(", ")),
        ));
    }
    // The new files are written beside the folder first; then the folder as
    // it would be (its files and the new ones) is loaded whole.
    let staging = beside(out, ".", "import");
    let result = stage_and_add(out, &staging, &files);
    let _ = std::fs::remove_dir_all(&staging);
    let names = result.map_err(|e| vec![e])?;
    Ok(Imported {
        files: names.into_iter().map(|n| out.join(n)).collect(),
        entries: files.iter().map(|f| f.2).sum(),
        previous: None,
        warnings,
    })
}

/// Writes `files` into `staging` with copies of `out`'s FAQ files, checks
/// that it loads, then moves the new files into `out` (taking back those
/// already moved if one cannot be).
fn stage_and_add(
    out: &Path,
    staging: &Path,
    files: &[(String, String, usize)],
) -> Result<Vec<String>, Diagnostic> {
    let failed =
        |what: &str, e: std::io::Error| Diagnostic::file_error(out, format!("{what}: {e}"));
    std::fs::create_dir_all(staging)
        .map_err(|e| failed("cannot create a folder beside it to write into", e))?;
    for entry in std::fs::read_dir(out).map_err(|e| failed("cannot read", e))? {
        let path = entry.map_err(|e| failed("cannot read", e))?.path();
        if path.extension().is_some_and(|x| x == "toml") && path.is_file() {
            if let Some(name) = path.file_name() {
                std::fs::copy(&path, staging.join(name)).map_err(|e| failed("cannot copy", e))?;
            }
        }
    }
    for (name, text, _) in files {
        std::fs::write(staging.join(name), text).map_err(|e| failed("cannot write", e))?;
    }
    let combined = crate::faq::load_dir(staging);
    if combined.has_errors() {
        let errors: Vec<String> = errors_only(combined.diagnostics)
            .iter()
            .map(ToString::to_string)
            .collect();
        return Err(Diagnostic::file_error(
            out,
            format!(
                "with the new files the FAQ would not load, so nothing was written:\n{}",
                errors.join("\n")
            ),
        ));
    }
    let mut moved: Vec<&str> = Vec::new();
    for (name, _, _) in files {
        if let Err(e) = std::fs::rename(staging.join(name), out.join(name)) {
            for done in &moved {
                let _ = std::fs::remove_file(out.join(done));
            }
            return Err(failed(&format!("cannot put {name} in place"), e));
        }
        moved.push(name);
    }
    Ok(files.iter().map(|(name, _, _)| name.clone()).collect())
}

/// A new path beside `path`: `prefix`, its name, `what`, a time stamp and
/// this process's id.
fn beside(path: &Path, prefix: &str, what: &str) -> PathBuf {
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    let name = path
        .file_name()
        .map_or_else(|| "faq".into(), |n| n.to_string_lossy().into_owned());
    path.with_file_name(format!(
        "{prefix}{name}.{what}-{stamp}-{}",
        std::process::id()
    ))
}

/// Puts the folder `staging` at `out`. An empty `out` is replaced; one with
/// files is moved aside whole (returned), so that none of its files stays
/// among the new ones and none is lost.
fn swap_in(staging: &Path, out: &Path) -> Result<Option<PathBuf>, Diagnostic> {
    let empty = std::fs::read_dir(out).map(|mut read| read.next().is_none());
    let previous = match empty {
        Err(_) => None,
        Ok(true) => {
            std::fs::remove_dir(out).map_err(|e| {
                Diagnostic::file_error(out, format!("cannot replace the empty folder: {e}"))
            })?;
            None
        }
        Ok(false) => {
            let aside = beside(out, "", "before-import");
            std::fs::rename(out, &aside).map_err(|e| {
                Diagnostic::file_error(out, format!("cannot move the old folder aside: {e}"))
            })?;
            Some(aside)
        }
    };
    if let Err(e) = std::fs::rename(staging, out) {
        // Put the old folder back: the import changes nothing.
        if let Some(aside) = &previous {
            let _ = std::fs::rename(aside, out);
        }
        return Err(Diagnostic::file_error(
            out,
            format!("cannot put the new files in place: {e}"),
        ));
    }
    Ok(previous)
}

/// The text of the file to import, or the error that it cannot be read.
fn read_input(input: &Path) -> Result<String, Vec<Diagnostic>> {
    std::fs::read_to_string(input)
        .map_err(|e| vec![Diagnostic::file_error(input, format!("cannot read: {e}"))])
}

/// The errors among `diagnostics`.
fn errors_only(diagnostics: Vec<Diagnostic>) -> Vec<Diagnostic> {
    diagnostics
        .into_iter()
        .filter(Diagnostic::is_error)
        .collect()
}

/// For tests: problems as they are shown.
#[cfg(test)]
fn shown(problems: &[Diagnostic]) -> Vec<String> {
    problems.iter().map(ToString::to_string).collect()
}

/// A problem on `line` of the input `source` (0: no line to point at).
fn at_line(source: &str, line: usize, severity: Severity, message: String) -> Diagnostic {
    Diagnostic::new(Path::new(source), Position::line(line), severity, message)
}

/// The first `max` characters of `s`, cut without a mark (for ids, file
/// names and menu text that must fit a limit).
fn truncate_chars(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}
