//! `faqbot learn [--apply]`: proposed alternatives (see [`crate::moderation::report`])
//! printed as TOML, or written into the right FAQ file.
//!
//! Writing goes through `toml_edit`, so a file keeps its comments, order
//! and layout: the new alternative is appended to the entry's
//! `alternatives` array (made if missing), laid out like the items
//! before it. After writing, the folder is loaded again; if that fails,
//! every file is put back as it was and the errors are returned.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use toml_edit::{DocumentMut, Item, Value};

use crate::faq::load_dir;
use crate::moderation::report::Proposal;

/// Why proposals could not be shown or written.
#[derive(Debug, thiserror::Error)]
pub enum LearnError {
    #[error("the FAQ in {} has errors; fix them first (`faqbot check {}`)", .dir.display(), .dir.display())]
    FaqHasErrors { dir: PathBuf },
    #[error("{}: cannot read: {error}", .file.display())]
    Read {
        file: PathBuf,
        error: std::io::Error,
    },
    #[error("{}: {error}", .file.display())]
    Parse {
        file: PathBuf,
        error: toml_edit::TomlError,
    },
    #[error("{}: cannot write: {error}; nothing was changed", .file.display())]
    Write {
        file: PathBuf,
        error: std::io::Error,
    },
    #[error("the FAQ would not pass its checks after learning, so nothing was changed:\n{}", .errors.join("\n"))]
    Checks { errors: Vec<String> },
}

/// [`apply`] failed: why, and the files it wrote that it could not put
/// back as they were (each is named, never silently left changed).
#[derive(Debug)]
pub struct Undone {
    pub error: LearnError,
    pub not_restored: Vec<(PathBuf, std::io::Error)>,
}

impl std::fmt::Display for Undone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.error)?;
        for (path, e) in &self.not_restored {
            write!(
                f,
                "\n{}: could not put it back as it was: {e}",
                path.display()
            )?;
        }
        Ok(())
    }
}

impl std::error::Error for Undone {}

/// The proposals grouped by the file and entry they go into, in file
/// order; `None` when an entry id is no longer in the FAQ.
fn by_file(
    dir: &Path,
    proposals: &[Proposal],
) -> Result<BTreeMap<PathBuf, BTreeMap<String, Vec<Proposal>>>, LearnError> {
    let report = load_dir(dir);
    let Some(faq) = &report.faq else {
        return Err(LearnError::FaqHasErrors {
            dir: dir.to_path_buf(),
        });
    };
    let mut out: BTreeMap<PathBuf, BTreeMap<String, Vec<Proposal>>> = BTreeMap::new();
    for p in proposals {
        let Some(i) = faq.entries.iter().position(|e| e.id == p.entry) else {
            continue;
        };
        let file = report.origins[i].file.to_path_buf();
        out.entry(file)
            .or_default()
            .entry(p.entry.clone())
            .or_default()
            .push(p.clone());
    }
    Ok(out)
}

/// The proposals as TOML a moderator can paste: per file, each entry's id
/// and the alternatives to add, with how often each was picked.
pub fn to_toml(dir: &Path, proposals: &[Proposal]) -> Result<String, LearnError> {
    let mut out = String::new();
    if proposals.is_empty() {
        out.push_str("# No alternatives to suggest yet: no question led askers to the same entry often enough.\n");
        return Ok(out);
    }
    for (file, entries) in by_file(dir, proposals)? {
        let _ = writeln!(
            out,
            "# {}: add to these entries' alternatives",
            file.display()
        );
        for (id, ps) in entries {
            let _ = writeln!(
                out,
                "[[entry]]\nid = {}\nalternatives = [",
                Value::from(id.as_str())
            );
            for p in ps {
                let _ = writeln!(
                    out,
                    "  {},  # picked {} time{}",
                    Value::from(p.question.as_str()),
                    p.picks,
                    crate::answer::text::plural(p.picks)
                );
            }
            out.push_str("]\n\n");
        }
    }
    Ok(out)
}

/// Appends `text` to the alternatives of the entry `id` in `doc`; `false`
/// if the entry is not there or already has it.
fn append(doc: &mut DocumentMut, id: &str, text: &str) -> bool {
    let Some(entries) = doc.get_mut("entry").and_then(Item::as_array_of_tables_mut) else {
        return false;
    };
    let Some(table) = entries
        .iter_mut()
        .find(|t| t.get("id").and_then(Item::as_str) == Some(id))
    else {
        return false;
    };
    let item = table
        .entry("alternatives")
        .or_insert(Item::Value(Value::Array(toml_edit::Array::new())));
    let Some(array) = item.as_array_mut() else {
        return false;
    };
    if array.iter().any(|v| v.as_str() == Some(text)) {
        return false;
    }
    // Lay the new item out like the last one: on its own line with the
    // same indent, or inline. Only the part after the last line break is
    // layout; before it may be a comment that belongs to the item before.
    let prefix = array.iter().last().and_then(|v| {
        v.decor()
            .prefix()
            .and_then(|p| p.as_str())
            .map(|p| p.rfind('\n').map_or(p.to_string(), |i| p[i..].to_string()))
    });
    let mut value = Value::from(text);
    if let Some(prefix) = prefix {
        value.decor_mut().set_prefix(prefix);
    } else if array.is_empty() {
        value.decor_mut().set_prefix("");
    }
    array.push_formatted(value);
    true
}

/// What `learn --apply` wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    pub file: PathBuf,
    pub added: usize,
}

/// The errors loading `dir` finds (the least an applied change must pass).
pub fn load_errors(dir: &Path) -> Vec<String> {
    load_dir(dir)
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(ToString::to_string)
        .collect()
}

/// Writes the proposals into the FAQ files of `dir`, then runs `validate`
/// on the folder (its errors, as lines; `faqbot learn --apply` runs every
/// check and the regression questions). On any failure (a file that cannot
/// be read or written, or errors from `validate`) every file already
/// written is restored and the error returned. Each file is written whole
/// or not at all (a new file beside it, then renamed over it), so a file
/// that could not be written is as it was, and is not "restored".
pub fn apply(
    dir: &Path,
    proposals: &[Proposal],
    validate: impl Fn(&Path) -> Vec<String>,
) -> Result<Vec<Applied>, Box<Undone>> {
    // The files written so far, with their text before.
    let mut originals: Vec<(PathBuf, String)> = Vec::new();
    let mut applied = Vec::new();
    let undo = |originals: &[(PathBuf, String)], error: LearnError| -> Box<Undone> {
        let mut not_restored = Vec::new();
        for (path, text) in originals {
            if let Err(e) = write_whole(path, text) {
                tracing::error!(file = %path.display(), error = %e, "could not restore the file");
                not_restored.push((path.clone(), e));
            }
        }
        Box::new(Undone {
            error,
            not_restored,
        })
    };
    let files = by_file(dir, proposals).map_err(|error| undo(&[], error))?;
    for (file, entries) in files {
        let text = match std::fs::read_to_string(&file) {
            Ok(text) => text,
            Err(error) => return Err(undo(&originals, LearnError::Read { file, error })),
        };
        let mut doc: DocumentMut = match text.parse() {
            Ok(d) => d,
            Err(error) => return Err(undo(&originals, LearnError::Parse { file, error })),
        };
        let mut added = 0;
        for (id, ps) in entries {
            for p in ps {
                added += usize::from(append(&mut doc, &id, &p.question));
            }
        }
        if added == 0 {
            continue;
        }
        if let Err(error) = write_whole(&file, &doc.to_string()) {
            return Err(undo(&originals, LearnError::Write { file, error }));
        }
        originals.push((file.clone(), text));
        applied.push(Applied { file, added });
    }
    let errors = validate(dir);
    if !errors.is_empty() {
        return Err(undo(&originals, LearnError::Checks { errors }));
    }
    Ok(applied)
}

/// Writes `text` as `path`'s whole content: into a new file beside it,
/// then renamed over it, so that `path` is either as it was or all new.
fn write_whole(path: &Path, text: &str) -> std::io::Result<()> {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".learn-tmp");
    let tmp = path.with_file_name(name);
    let written = std::fs::write(&tmp, text).and_then(|()| std::fs::rename(&tmp, path));
    if written.is_err() {
        // Nothing to clean up if it was never created.
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "# Visits: coming to the office.\n[topic]\nname = \"Visits\"\ndescription = \"Coming to the office\"\n\n# Opening hours change in summer.\n[[entry]]\nid = \"hours\"\nquestion = \"When is the office open?\"\nalternatives = [\n  \"opening hours\",  # the usual way\n  \"office times\",\n]\nanswer = \"Weekdays.\"\nsection = \"S\"\n\n[[entry]]\nid = \"parking\"\nquestion = \"Where can I park?\"\nanswer = \"Behind.\"\nsection = \"S\"\n";

    fn proposal(entry: &str, question: &str) -> Proposal {
        Proposal {
            entry: entry.into(),
            question: question.into(),
            picks: 2,
        }
    }

    #[test]
    fn apply_appends_in_the_files_layout_and_keeps_comments() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("01-visits.toml");
        std::fs::write(&path, FILE).expect("write");
        let applied = apply(
            dir.path(),
            &[
                proposal("hours", "when do you open"),
                proposal("parking", "car park?"),
                proposal("hours", "opening hours"),
            ],
            load_errors,
        )
        .expect("applies");
        assert_eq!(
            applied,
            vec![Applied {
                file: path.clone(),
                added: 2
            }]
        );
        let text = std::fs::read_to_string(&path).expect("read");
        assert!(
            text.starts_with("# Visits: coming to the office.\n"),
            "{text}"
        );
        assert!(
            text.contains("# Opening hours change in summer.\n"),
            "{text}"
        );
        assert!(
            text.contains("alternatives = [\n  \"opening hours\",  # the usual way\n  \"office times\",\n  \"when do you open\",\n]"),
            "{text}"
        );
        assert!(text.contains("alternatives = [\"car park?\"]"), "{text}");
        let faq = load_dir(dir.path()).faq.expect("still loads");
        assert_eq!(faq.entries[1].alternatives, ["car park?"]);
    }

    #[test]
    fn to_toml_groups_by_file_and_entry() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("01-visits.toml"), FILE).expect("write");
        let text = to_toml(dir.path(), &[proposal("hours", "when do \"you\" open")]).expect("toml");
        assert!(
            text.contains("01-visits.toml: add to these entries' alternatives"),
            "{text}"
        );
        assert!(text.contains("[[entry]]\nid = \"hours\"\nalternatives = [\n  'when do \"you\" open',  # picked 2 times\n]"), "{text}");
    }

    #[test]
    fn a_failed_validation_puts_every_file_back() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("01-visits.toml");
        std::fs::write(&path, FILE).expect("write");
        let err = apply(dir.path(), &[proposal("hours", "when do you open")], |_| {
            vec!["tests.toml:3:1: error: expected this, got that".to_string()]
        })
        .expect_err("validation fails")
        .to_string();
        assert!(err.contains("nothing was changed"), "{err}");
        assert_eq!(std::fs::read_to_string(&path).expect("read"), FILE);
    }

    /// A file that cannot be written (here: its new version cannot be made
    /// beside it, as in a read-only folder; the tests run as root, for whom
    /// permissions do not stop a write) is named as not written, is left
    /// as it was, and is not "restored".
    #[test]
    fn a_file_that_cannot_be_written_is_named_and_left_as_it_was() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("01-visits.toml");
        std::fs::write(&path, FILE).expect("write");
        std::fs::create_dir(dir.path().join("01-visits.toml.learn-tmp")).expect("mkdir");
        let err = apply(dir.path(), &[proposal("hours", "when do you open")], |_| {
            Vec::new()
        })
        .expect_err("the write fails")
        .to_string();
        assert!(
            err.starts_with(&format!("{}: cannot write: ", path.display())),
            "{err}"
        );
        assert!(err.ends_with("; nothing was changed"), "{err}");
        assert!(!err.contains("put it back"), "{err}");
        assert_eq!(std::fs::read_to_string(&path).expect("read"), FILE);
    }
}
