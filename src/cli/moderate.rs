//! The moderator's commands, for editing the FAQ: `check`, `diff`,
//! `report`, `learn` and `import`, and reading the store's recorded
//! questions for `diff`, `report` and `learn`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use super::args::InputFormat;
use super::load::{load_faq, model_failed};
use super::output::{out, outln, Failure};
use crate::answer::engine::Engine;
use crate::answer::text::plural;
use crate::cli::config::Config;
use crate::faq::diagnostic;
use crate::moderation::check::{check_dir, CheckReport, Options};
use crate::moderation::import::{import, import_add, Format};
use crate::moderation::report::{Limits, Proposal, Report};
use crate::store::{Location, Reader, Scope};

/// What `check` checks with: the config's matcher, and entries reviewed
/// longer ago than `review_after_days` are warned about (0: never).
fn check_options(config: &Config, review_after_days: u32) -> Options {
    Options {
        matching: config.matching.clone(),
        params: config.scoring,
        review_after_days,
        today: None,
    }
}

/// `faqbot check`: every problem in the folder, then a summary line; fails
/// on an error, or with `strict` on a warning too.
pub(super) fn cmd_check(dir: &Path, strict: bool, config: &Config) -> anyhow::Result<ExitCode> {
    let CheckReport {
        load: report,
        cases,
    } = check_dir(dir, check_options(config, config.review_after_days));
    for d in &report.diagnostics {
        outln!("{d}")?;
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
    )?;
    Ok(if errors > 0 || (strict && warnings > 0) {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// `faqbot diff`: the questions OLD and NEW route differently, from both
/// folders' regression questions, the `files` and the `recorded` ones.
pub(super) fn cmd_diff(
    old_dir: &Path,
    new_dir: &Path,
    files: &[PathBuf],
    recorded: Vec<String>,
    json: bool,
    config: &Config,
) -> anyhow::Result<ExitCode> {
    let (old_faq, new_faq) = match (load_faq(old_dir), load_faq(new_dir)) {
        (Ok(old), Ok(new)) => (old, new),
        // Both folders' problems are said, not only the first's.
        (Err(old), Err(new)) => return Err(Failure::new(format!("{old}\n{new}")).into()),
        (Err(e), Ok(_)) | (Ok(_), Err(e)) => return Err(e.into()),
    };
    let mut questions = crate::moderation::diff::regression_questions(&[old_dir, new_dir]);
    for file in files {
        let mut more = crate::moderation::diff::read_questions(file)
            .map_err(|e| Failure::usage(format!("faqbot: {e}")))?;
        questions.append(&mut more);
    }
    questions.extend(recorded);
    let (old, new) = match (
        Engine::new(old_faq, &config.engine()),
        Engine::new(new_faq, &config.engine()),
    ) {
        (Ok(old), Ok(new)) => (old, new),
        (Err(e), _) | (_, Err(e)) => return Err(model_failed(&e).into()),
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
        )?;
    } else {
        for c in &diff.changes {
            outln!("{c}")?;
        }
        outln!("{}", diff.summary())?;
    }
    Ok(ExitCode::SUCCESS)
}

/// `--since 7d` as a Unix time: now minus the duration; a bad duration
/// is a usage error.
fn since_unix(since: &str) -> Result<i64, Failure> {
    let span = humantime::parse_duration(since).map_err(|e| {
        Failure::usage(format!(
            "faqbot: --since {since}: {e}; write it like 7d, 24h or 2weeks"
        ))
    })?;
    Ok(crate::store::now_unix().saturating_sub(i64::try_from(span.as_secs()).unwrap_or(i64::MAX)))
}

/// Opens the store for reading.
fn open_store(location: &Location) -> Result<Reader, Failure> {
    Reader::open(location).map_err(|e| Failure::new(format!("faqbot: {e}")))
}

/// A failure reading the store at `location` (shown without a password).
fn read_failed(location: &Location, e: impl std::fmt::Display) -> Failure {
    Failure::new(format!("faqbot: {location}: {e}"))
}

/// The store `--store` names (a file or a postgres:// address), else the
/// config's; none when the store is off. A bad `--store` is a usage
/// error, said without the address's password.
fn store_location(store: Option<&str>, config: &Config) -> Result<Option<Location>, Failure> {
    match store {
        Some("") => Ok(None),
        Some(text) => Location::parse(text)
            .map(Some)
            .map_err(|e| Failure::usage(format!("faqbot: --store: {e}"))),
        None => Ok(config.store.location.clone()),
    }
}

/// The questions recorded in the store since `since`, for `diff`; none
/// when there is no store (off, or no SQLite file yet, unless --store
/// named one).
pub(super) fn recorded_questions(
    since: &str,
    store: Option<String>,
    scope: &Scope,
    config: &Config,
) -> Result<Vec<String>, Failure> {
    let from = since_unix(since)?;
    let explicit = store.is_some();
    let Some(location) = store_location(store.as_deref(), config)? else {
        return Ok(Vec::new());
    };
    if !explicit && location.path().is_some_and(|p| !p.is_file()) {
        return Ok(Vec::new());
    }
    let reader = open_store(&location)?;
    Ok(reader
        .questions_since(from, scope)
        .map_err(|e| read_failed(&location, e))?
        .into_iter()
        .map(|q| q.text)
        .collect())
}

/// The report over the store's questions in `scope` since `since` (a
/// duration such as `7d`), for `report` and `learn`.
pub(super) fn learned(
    dir: &Path,
    since: &str,
    store: Option<String>,
    scope: &Scope,
    min_picks: usize,
    config: &Config,
) -> Result<Report, Failure> {
    let from = since_unix(since)?;
    let Some(location) = store_location(store.as_deref(), config)? else {
        return Err(Failure::usage(
            "faqbot: the store is off (`[store] path = \"\"`); give one with --store FILE|URL",
        ));
    };
    if let Some(path) = location.path().filter(|p| !p.exists()) {
        return Err(Failure::new(format!(
            "faqbot: {}: no store yet; `faqbot run` records questions there (`[store] path`), or pass --store FILE|URL",
            path.display()
        )));
    }
    let reader = open_store(&location)?;
    let (asked, votes) = crate::moderation::report::read_store(&reader, from, scope)
        .map_err(|e| read_failed(&location, e))?;
    let faq = load_faq(dir)?;
    let engine = Engine::new(faq, &config.engine()).map_err(|e| model_failed(&e))?;
    let limits = Limits {
        min_picks: min_picks.max(1),
        ..Limits::default()
    };
    Ok(crate::moderation::report::build(
        &engine, &asked, &votes, limits,
    ))
}

/// `faqbot report`: the report, as text or JSON.
pub(super) fn cmd_report(report: &Report, json: bool) -> anyhow::Result<ExitCode> {
    if json {
        outln!("{}", serde_json::to_string(report).unwrap_or_default())?;
    } else {
        out!("{}", report.to_text())?;
    }
    Ok(ExitCode::SUCCESS)
}

/// `faqbot learn`: the proposed alternatives as TOML, or with `apply`
/// written into the FAQ files if the folder still passes `check`.
pub(super) fn cmd_learn(
    dir: &Path,
    proposals: &[Proposal],
    apply: bool,
    config: &Config,
) -> anyhow::Result<ExitCode> {
    let failed = |e: &dyn std::fmt::Display| Failure::new(format!("faqbot: {e}"));
    if !apply {
        let text = crate::moderation::learn::to_toml(dir, proposals).map_err(|e| failed(&e))?;
        out!("{text}")?;
        return Ok(ExitCode::SUCCESS);
    }
    let options = check_options(config, 0);
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
    let applied =
        crate::moderation::learn::apply(dir, proposals, validate).map_err(|e| failed(&e))?;
    if applied.is_empty() {
        outln!("nothing to learn: no new alternatives")?;
        return Ok(ExitCode::SUCCESS);
    }
    for a in &applied {
        outln!(
            "{}: added {} alternative{}",
            a.file.display(),
            a.added,
            plural(a.added)
        )?;
    }
    outln!("the FAQ passes `faqbot check {}`", dir.display())?;
    Ok(ExitCode::SUCCESS)
}

/// `faqbot import`: FAQ topic files written into `out` from `file`, read
/// as `format` or as its name tells; with `add`, after the FAQ already
/// there.
pub(super) fn cmd_import(
    file: &Path,
    format: Option<InputFormat>,
    out: &Path,
    force: bool,
    add: bool,
) -> anyhow::Result<ExitCode> {
    let format = match format {
        Some(InputFormat::Jsonl) => Format::JsonLines,
        Some(InputFormat::Csv) => Format::Csv,
        None => Format::from_path(file),
    };
    let imported = if add {
        import_add(file, format, out)
    } else {
        import(file, format, out, force)
    };
    let done = imported.map_err(|errors| {
        let n = errors.len();
        let mut lines: Vec<String> = errors.iter().map(ToString::to_string).collect();
        lines.push(format!(
            "faqbot: nothing was written ({n} error{})",
            plural(n)
        ));
        Failure::new(lines.join("\n"))
    })?;
    for w in &done.warnings {
        eprintln!("{w}");
    }
    outln!(
        "wrote {} entries in {} topic files to {}; check them with `faqbot check {}`",
        done.entries,
        done.files.len(),
        out.display(),
        out.display()
    )?;
    if let Some(previous) = &done.previous {
        outln!(
            "the folder that was there is kept, whole, at {}",
            previous.display()
        )?;
    }
    Ok(ExitCode::SUCCESS)
}
