//! Reading FAQ files: a directory of `*.toml` topic files -> a [`Faq`], or
//! every problem found, each with file, line and column.
//!
//! Reading a file (bytes, UTF-8) is kept apart from parsing its text
//! ([`parse_file`] takes `(&str, path)`), so tests feed text directly.
//!
//! A file's text is read in two steps (`parse`): its shape, key by key
//! ([`super::raw`]), then its content (`validate`). Neither stops at the
//! first problem, so a mistake in one entry, or in one key, does not hide
//! the others: a moderator sees every problem in one run. (A TOML *syntax*
//! error still stops the reading of that file: nothing after it can be
//! trusted; `toml_errors` words it.) Then the files are assembled
//! ([`assemble`], here): ids are compared across files, broken entries
//! included, and topics ordered.
//!
//! Files are read and parsed in parallel by rayon (they are independent,
//! and parsing is most of the loading time); the results are then taken in
//! file-name order, so diagnostics and entries come out as if read one by
//! one.

mod parse;
mod toml_errors;
mod validate;

pub use parse::{parse_file, FileDraft};

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;

use self::parse::{parse_partial, Partial};
use super::diagnostic::{Diagnostic, LineIndex, Position};
use super::limits;
use super::{Entry, Faq, Topic};

/// What loading a directory found: the FAQ when there were no errors, and
/// every diagnostic (errors and warnings) in file order.
#[derive(Debug, Default)]
pub struct LoadReport {
    pub faq: Option<Faq>,
    pub diagnostics: Vec<Diagnostic>,
    /// How many `*.toml` files were read.
    pub files: usize,
    /// How many `[topic]` and `[[entry]]` tables the files have, valid or
    /// not (so that a summary counts what is there, errors or none).
    pub topics: usize,
    pub entries: usize,
    /// Where each entry was defined, parallel to `faq.entries` (for
    /// warnings that name two entries).
    pub origins: Vec<Origin>,
}

/// Where an entry is written.
#[derive(Debug, Clone)]
pub struct Origin {
    /// Its file (one shared path per file, not one copy per entry).
    pub file: Arc<Path>,
    /// Its `[[entry]]` table.
    pub at: Position,
    /// Its `reviewed` date, when it has one.
    pub reviewed: Option<Position>,
}

impl LoadReport {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Loads every `*.toml` file of `dir` (sorted by name; other files, and
/// the regression questions in `tests.toml`, are ignored).
pub fn load_dir(dir: &Path) -> LoadReport {
    let mut report = LoadReport::default();
    let paths = match std::fs::read_dir(dir) {
        Ok(read) => {
            let mut named: Vec<PathBuf> = read
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| {
                    p.extension().is_some_and(|x| x == "toml")
                        && p.file_name().is_some_and(|n| n != super::TESTS_FILE)
                })
                .collect();
            named.sort();
            // A `*.toml` the bot cannot read as a file is an error at its
            // path, not a topic that silently vanishes.
            named.retain(|p| match not_a_file(p) {
                Some(problem) => {
                    report.diagnostics.push(Diagnostic::file_error(p, problem));
                    false
                }
                None => true,
            });
            named
        }
        Err(e) => {
            report.diagnostics.push(Diagnostic::file_error(
                dir,
                format!("cannot read the FAQ directory: {e}; pass the right one with --faq DIR"),
            ));
            return report;
        }
    };
    if paths.is_empty() {
        report.diagnostics.push(Diagnostic::file_error(
            dir,
            "no FAQ files (*.toml) in this directory; add one file per topic (see the README)",
        ));
        return report;
    }

    let mut drafts = Vec::new();
    for (path, read) in paths.iter().zip(read_and_parse_all(&paths)) {
        report.files += 1;
        match read {
            Err(d) => report.diagnostics.push(d),
            Ok((located, mut diags)) => {
                report.diagnostics.append(&mut diags);
                drafts.push((path.clone(), located));
            }
        }
    }
    assemble(&mut report, drafts);
    report
}

/// Why `path` (named like an FAQ file) cannot be read as one, if it cannot:
/// a symbolic link that leads nowhere or loops, a directory, or a FIFO,
/// socket or device (never opened: reading a FIFO would wait forever).
pub(crate) fn not_a_file(path: &Path) -> Option<String> {
    match std::fs::metadata(path) {
        Ok(m) if m.is_file() => None,
        Ok(m) if m.is_dir() => {
            Some("a directory named like a TOML file; FAQ files must be plain files".into())
        }
        Ok(_) => Some(
            "not a plain file (a FIFO, socket or device); FAQ files must be plain files".into(),
        ),
        Err(e) => {
            let link = std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
            Some(if link {
                format!("a symbolic link that leads nowhere or loops ({e}); point it at a file or remove it")
            } else {
                format!("cannot read: {e}")
            })
        }
    }
}

/// A file's valid content with each entry's position (its text is no
/// longer needed).
type Located = Partial<Position>;

/// One file read and parsed: its valid content and its problems, or the
/// one problem that stopped its reading.
type FileResult = Result<(Located, Vec<Diagnostic>), Diagnostic>;

/// Reads and parses every file, spread over the cores by rayon (the files
/// are independent; parsing is most of the loading time). Results come
/// back in the order of `paths`, whatever thread did the work. The pool is
/// the load's own and ends with it: on rayon's global pool the idle
/// threads kept their allocator heaps, and a 100,000-entry FAQ peaked at
/// 205–212 MB instead of 175–191 MB (`/usr/bin/time faqbot ask --faq
/// /tmp/scale-100000 < /dev/null`, three runs each).
fn read_and_parse_all(paths: &[PathBuf]) -> Vec<FileResult> {
    let parse = || paths.par_iter().map(|p| read_and_parse(p)).collect();
    match rayon::ThreadPoolBuilder::new().build() {
        Ok(pool) => pool.install(parse),
        Err(_) => parse(),
    }
}

fn read_and_parse(path: &Path) -> FileResult {
    let bytes = std::fs::read(path)
        .map_err(|e| Diagnostic::file_error(path, format!("cannot read the file: {e}")))?;
    let text = decode(bytes, path)?;
    let (partial, diags) = parse_partial(&text, path);
    let lines = LineIndex::new(&text);
    let located = Partial {
        topic: partial.topic,
        has_topic: partial.has_topic,
        entries: partial
            .entries
            .into_iter()
            .map(|d| d.locate(|offset| lines.position(&text, offset)))
            .collect(),
    };
    Ok((located, diags))
}

/// File bytes -> text, or an error at the first byte that is not UTF-8.
fn decode(mut bytes: Vec<u8>, path: &Path) -> Result<String, Diagnostic> {
    if bytes.starts_with(b"\xEF\xBB\xBF") {
        bytes.drain(..3);
    }
    String::from_utf8(bytes).map_err(|e| {
        let bytes = e.as_bytes();
        let valid_up_to = e.utf8_error().valid_up_to();
        // The prefix is valid UTF-8 by definition of valid_up_to.
        let prefix = String::from_utf8_lossy(&bytes[..valid_up_to]);
        let pos = Position::of_offset(&prefix, prefix.len());
        Diagnostic::error(
            path,
            pos,
            format!(
                "the file is not valid UTF-8 (byte 0x{:02X}); save it as UTF-8",
                bytes[valid_up_to]
            ),
        )
    })
}

/// Cross-file checks (duplicate ids and topic names, menu sizes), then the
/// final [`Faq`] in menu order if nothing is wrong.
fn assemble(report: &mut LoadReport, drafts: Vec<(PathBuf, Located)>) {
    // Ids are compared in file-name order, whether or not the file or the
    // entry is valid: a broken entry's id still clashes. One shared path
    // per file: at 100k entries a path per id would be 100k allocations
    // made only to be freed again.
    let mut seen_ids: HashMap<String, (Arc<Path>, Position)> = HashMap::new();
    // (topic, its valid entries with their positions, entry tables declared)
    type FileEntries = (Topic, Vec<(Entry, Origin)>, usize);
    let mut files: Vec<FileEntries> = Vec::new();
    for (file, partial) in drafts {
        report.topics += usize::from(partial.has_topic);
        report.entries += partial.entries.len();
        let shared: Arc<Path> = Arc::from(file.as_path());
        let declared = partial.entries.len();
        let mut kept = Vec::with_capacity(declared);
        for drafted in partial.entries {
            if let Some(id) = drafted.id() {
                if let Some((first_file, first_pos)) = seen_ids.get(id) {
                    report.diagnostics.push(Diagnostic::error(
                        &file,
                        drafted.at,
                        format!(
                            "duplicate id `{id}`: already used at {}:{}:{}; ids must be unique across all files, rename one",
                            first_file.display(),
                            first_pos.line,
                            first_pos.col
                        ),
                    ));
                    continue;
                }
                seen_ids.insert(id.to_string(), (Arc::clone(&shared), drafted.at));
            }
            if let Ok(entry) = drafted.read {
                let origin = Origin {
                    file: Arc::clone(&shared),
                    at: drafted.at,
                    reviewed: drafted.reviewed_at,
                };
                kept.push((entry, origin));
            }
        }
        if let Some(topic) = partial.topic {
            files.push((topic, kept, declared));
        }
    }
    files.sort_by(|a, b| (a.0.order, &a.0.file).cmp(&(b.0.order, &b.0.file)));
    let mut seen_topics: HashMap<String, PathBuf> = HashMap::new();
    drop(seen_ids);
    let mut faq = Faq::default();
    let total: usize = files.iter().map(|f| f.1.len()).sum();
    faq.entries.reserve_exact(total);
    let mut origins = Vec::with_capacity(total);
    for (mut topic, entries, declared) in files {
        let file = topic.file.clone();
        let key = topic.name.to_lowercase();
        if let Some(first) = seen_topics.get(&key) {
            report.diagnostics.push(Diagnostic::error(
                &file,
                Position::START,
                format!(
                    "topic `{}` is also declared in {}; give each topic file its own name, or merge the two files",
                    topic.name,
                    first.display()
                ),
            ));
        } else {
            seen_topics.insert(key, file.clone());
        }
        if entries.is_empty() {
            if declared > 0 {
                // Its entries are all invalid and already reported.
                continue;
            }
            report.diagnostics.push(Diagnostic::warning(
                &file,
                Position::START,
                format!(
                    "topic `{}` has no entries, so it is left out of the topic menu; add [[entry]] tables",
                    topic.name
                ),
            ));
            continue;
        }
        if entries.len() > limits::MENU_OPTIONS {
            report.diagnostics.push(Diagnostic::warning(
                &file,
                Position::START,
                format!(
                    "topic `{}` has {} entries; a Discord select menu shows {}, so its question menu will need pages (consider splitting the topic)",
                    topic.name,
                    entries.len(),
                    limits::MENU_OPTIONS
                ),
            ));
        }
        let topic_idx = faq.topics.len();
        for (mut entry, origin) in entries {
            entry.topic = topic_idx;
            topic.entries.push(faq.entries.len());
            faq.entries.push(entry);
            origins.push(origin);
        }
        faq.topics.push(topic);
    }
    if faq.topics.len() > limits::MENU_OPTIONS {
        let file = faq.topics[limits::MENU_OPTIONS].file.clone();
        report.diagnostics.push(Diagnostic::warning(
            &file,
            Position::START,
            format!(
                "{} topics; Discord's topic menu shows {} at a time, so the menu will need pages (consider merging topics)",
                faq.topics.len(),
                limits::MENU_OPTIONS
            ),
        ));
    }
    if !report.has_errors() {
        report.faq = Some(faq);
        report.origins = origins;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_utf8_is_reported_at_the_bad_byte() {
        let d = decode(
            b"[topic]\nname = \"caf\xE9\"\n".to_vec(),
            Path::new("t.toml"),
        )
        .expect_err("not utf-8");
        assert_eq!(
            d.to_string(),
            "t.toml:2:12: error: the file is not valid UTF-8 (byte 0xE9); save it as UTF-8"
        );
    }
}
