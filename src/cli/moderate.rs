//! The moderator's commands, for editing the FAQ: `check`, `diff`,
//! `report`, `learn` and `import`, and reading the store's recorded
//! questions for `diff`, `report` and `learn`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use super::load::{load_faq, model_failed};
use super::output::{out, outln, EXIT_USAGE};
use crate::answer::text::plural;
use crate::cli::config::Config;
use crate::faq::diagnostic;
use crate::moderation::check::check_dir;
use crate::moderation::import::{import, Format};

pub(super) fn cmd_check(
    dir: &Path,
    strict: bool,
    options: crate::moderation::check::Options,
) -> ExitCode {
    let crate::moderation::check::CheckReport {
        load: report,
        cases,
    } = check_dir(dir, options);
    for d in &report.diagnostics {
        outln!("{d}");
    }
    let (errors, warnings) = diagnostic::summary(&report.diagnostics);
    // What the files hold, broken or not: an error does not hide the rest.
    let (topics, entries) = (report.topics, report.entries);
    let cases = match cases {
        Some((run, 0)) => format!(", {run} regression question{} pass", plural(run)),
        Some((run, failed)) => format!(", {failed} of {run} regression questions fail"),
        None => String::new(),
    };
    outln!(
        "{}: {} file{}, {topics} topics, {entries} entries{cases}: {errors} error{}, {warnings} warning{}",
        dir.display(),
        report.files,
        plural(report.files),
        plural(errors),
        plural(warnings)
    );
    if errors > 0 || (strict && warnings > 0) {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

pub(super) fn cmd_diff(
    old_dir: &Path,
    new_dir: &Path,
    files: &[PathBuf],
    recorded: Vec<String>,
    json: bool,
    config: &Config,
) -> ExitCode {
    let (Some(old_faq), Some(new_faq)) = (load_faq(old_dir), load_faq(new_dir)) else {
        return ExitCode::FAILURE;
    };
    let mut questions = crate::moderation::diff::regression_questions(&[old_dir, new_dir]);
    for file in files {
        match crate::moderation::diff::read_questions(file) {
            Ok(mut more) => questions.append(&mut more),
            Err(e) => {
                eprintln!("faqbot: {e}");
                return ExitCode::from(EXIT_USAGE);
            }
        }
    }
    questions.extend(recorded);
    let (old, new) = match (
        crate::answer::engine::Engine::new(old_faq, &config.engine()),
        crate::answer::engine::Engine::new(new_faq, &config.engine()),
    ) {
        (Ok(old), Ok(new)) => (old, new),
        (Err(e), _) | (_, Err(e)) => return model_failed(&e),
    };
    let diff = crate::moderation::diff::replay(&old, &new, questions.iter().map(String::as_str));
    if json {
        let changes: Vec<serde_json::Value> = diff
            .changes
            .iter()
            .map(|c| {
                serde_json::json!({
                    "question": c.question,
                    "old": c.old.to_string(),
                    "new": c.new.to_string(),
                })
            })
            .collect();
        outln!(
            "{}",
            serde_json::json!({
                "replayed": diff.replayed,
                "changed": diff.changes.len(),
                "changes": changes,
            })
        );
    } else {
        for c in &diff.changes {
            outln!("{c}");
        }
        outln!("{}", diff.summary());
    }
    ExitCode::SUCCESS
}

/// `--since 7d` as a Unix time: now minus the duration; a bad duration
/// is said and is a usage error.
fn since_unix(since: &str) -> Result<i64, ExitCode> {
    let span = humantime::parse_duration(since).map_err(|e| {
        eprintln!("faqbot: --since {since}: {e}; write it like 7d, 24h or 2weeks");
        ExitCode::from(EXIT_USAGE)
    })?;
    Ok(crate::store::now_unix().saturating_sub(i64::try_from(span.as_secs()).unwrap_or(i64::MAX)))
}

/// Opens the store's database for reading; a failure is said.
fn open_store(path: &Path) -> Result<crate::store::Reader, ExitCode> {
    crate::store::Reader::open(path).map_err(|e| {
        eprintln!("faqbot: {e}");
        ExitCode::FAILURE
    })
}

/// The questions recorded in the store since `since`, for `diff`; none
/// when there is no store (off, or no database yet, unless --store named
/// one).
pub(super) fn recorded_questions(
    since: &str,
    store: Option<PathBuf>,
    config: &Config,
) -> Result<Vec<String>, ExitCode> {
    let from = since_unix(since)?;
    let explicit = store.is_some();
    let path = store.unwrap_or_else(|| config.store.path.clone());
    if path.as_os_str().is_empty() || (!explicit && !path.is_file()) {
        return Ok(Vec::new());
    }
    let reader = open_store(&path)?;
    Ok(reader
        .questions_since(from)
        .map_err(|e| {
            eprintln!("faqbot: {}: {e}", path.display());
            ExitCode::FAILURE
        })?
        .into_iter()
        .map(|q| q.text)
        .collect())
}

/// The report over the store's questions since `since` (a duration such
/// as `7d`), for `report` and `learn`; on failure the message is printed
/// and the exit code returned.
pub(super) fn learned(
    dir: &Path,
    since: &str,
    store: Option<PathBuf>,
    min_picks: usize,
    config: &Config,
) -> Result<crate::moderation::report::Report, ExitCode> {
    let from = since_unix(since)?;
    let path = store.unwrap_or_else(|| config.store.path.clone());
    if path.as_os_str().is_empty() {
        eprintln!("faqbot: the store is off (`[store] path = \"\"`); give one with --store FILE");
        return Err(ExitCode::from(EXIT_USAGE));
    }
    if !path.exists() {
        eprintln!(
            "faqbot: {}: no store yet; `faqbot run` records questions there (`[store] path`), or pass --store FILE",
            path.display()
        );
        return Err(ExitCode::FAILURE);
    }
    let reader = open_store(&path)?;
    let (asked, votes) = crate::moderation::report::read_store(&reader, from).map_err(|e| {
        eprintln!("faqbot: {}: {e}", path.display());
        ExitCode::FAILURE
    })?;
    let faq = load_faq(dir).ok_or(ExitCode::FAILURE)?;
    let engine =
        crate::answer::engine::Engine::new(faq, &config.engine()).map_err(|e| model_failed(&e))?;
    let limits = crate::moderation::report::Limits {
        min_picks: min_picks.max(1),
        ..crate::moderation::report::Limits::default()
    };
    Ok(crate::moderation::report::build(
        &engine, &asked, &votes, limits,
    ))
}

pub(super) fn cmd_learn(
    dir: &Path,
    proposals: &[crate::moderation::report::Proposal],
    apply: bool,
    config: &Config,
) -> ExitCode {
    if !apply {
        return match crate::moderation::learn::to_toml(dir, proposals) {
            Ok(text) => {
                out!("{text}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("faqbot: {e}");
                ExitCode::FAILURE
            }
        };
    }
    let options = crate::moderation::check::Options {
        matching: config.matching.clone(),
        params: config.scoring,
        review_after_days: 0,
        today: None,
    };
    // Every check and the regression questions must still pass.
    let validate = |dir: &Path| -> Vec<String> {
        check_dir(dir, options.clone())
            .load
            .diagnostics
            .iter()
            .filter(|d| d.is_error())
            .map(ToString::to_string)
            .collect()
    };
    match crate::moderation::learn::apply(dir, proposals, validate) {
        Ok(applied) if applied.is_empty() => {
            outln!("nothing to learn: no new alternatives");
            ExitCode::SUCCESS
        }
        Ok(applied) => {
            for a in &applied {
                outln!(
                    "{}: added {} alternative{}",
                    a.file.display(),
                    a.added,
                    plural(a.added)
                );
            }
            outln!("the FAQ passes `faqbot check {}`", dir.display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("faqbot: {e}");
            ExitCode::FAILURE
        }
    }
}
pub(super) fn cmd_import(
    file: &Path,
    format: Format,
    out: &Path,
    force: bool,
    add: bool,
) -> ExitCode {
    let imported = if add {
        crate::moderation::import::import_add(file, format, out)
    } else {
        import(file, format, out, force)
    };
    match imported {
        Ok(done) => {
            for w in &done.warnings {
                eprintln!("{w}");
            }
            outln!(
                "wrote {} entries in {} topic files to {}; check them with `faqbot check {}`",
                done.entries,
                done.files.len(),
                out.display(),
                out.display()
            );
            if let Some(previous) = &done.previous {
                outln!(
                    "the folder that was there is kept, whole, at {}",
                    previous.display()
                );
            }
            ExitCode::SUCCESS
        }
        Err(errors) => {
            for e in &errors {
                eprintln!("{e}");
            }
            eprintln!(
                "faqbot: nothing was written ({} error{})",
                errors.len(),
                plural(errors.len())
            );
            ExitCode::FAILURE
        }
    }
}
