//! The command line: `faqbot check | ask | topics | eval | diff | report |
//! learn | run | import`. Parses flags (clap), reads files and standard
//! input, prints, and returns the exit code. The work itself is done by the
//! library modules.

pub mod config;
pub mod logging;

use std::io::{self, BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use clap::{Parser, Subcommand, ValueEnum};

use crate::answer::engine::build_matcher;
use crate::answer::matching::Matcher;
use crate::answer::matching::Thresholds;
use crate::answer::reply::{
    read_turn, topic_menu_text, topic_questions_text, topics_json_list, Offer, Reply, Turn,
};
use crate::answer::text::plural;
use crate::cli::config::Config;
use crate::faq::{diagnostic, load_dir, Faq};
use crate::moderation::check::check_dir;
use crate::moderation::eval;
use crate::moderation::import::{import, Format};

/// Exit code for a usage or configuration mistake (clap uses it too).
const EXIT_USAGE: u8 = 2;

/// `print!` to standard output that does not panic when the output is
/// closed early (`faqbot ask < questions | head`): the command stops
/// quietly instead, as command-line tools do.
macro_rules! out {
    ($($arg:tt)*) => {{
        if let Err(e) = write!(std::io::stdout().lock(), $($arg)*) {
            stdout_failed(e);
        }
    }};
}

/// `println!` in the same way as [`out!`].
macro_rules! outln {
    ($($arg:tt)*) => {{
        if let Err(e) = writeln!(std::io::stdout().lock(), $($arg)*) {
            stdout_failed(e);
        }
    }};
}

/// Standard output is gone: a closed pipe ends the command quietly (its
/// reader wanted no more); any other failure is said on stderr.
fn stdout_failed(e: io::Error) -> ! {
    if e.kind() == io::ErrorKind::BrokenPipe {
        std::process::exit(0);
    }
    eprintln!("faqbot: cannot write the output: {e}");
    std::process::exit(1);
}

#[derive(Debug, Parser)]
#[command(
    name = "faqbot",
    version,
    about = "Answers questions from a curated FAQ (Discord bot and terminal)."
)]
pub struct Cli {
    /// Config file (default: ./faqbot.toml if it exists).
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// More log output on stderr (-v: one line per question, -vv: debug).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Log lines as text, or as one JSON object per line (for log collectors).
    #[arg(long, global = true, value_enum, default_value_t = crate::cli::logging::Format::Text)]
    pub log_format: crate::cli::logging::Format,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Validate the FAQ files and print every problem with file:line:col.
    Check {
        /// FAQ directory (also accepted as --faq).
        #[arg(value_name = "DIR")]
        dir: Option<PathBuf>,
        #[arg(long, value_name = "DIR", conflicts_with = "dir")]
        faq: Option<PathBuf>,
        /// Fail (exit 1) on warnings too.
        #[arg(long)]
        strict: bool,
    },
    /// Answer a question, or one question per line of standard input.
    Ask {
        #[arg(long, value_name = "DIR")]
        faq: Option<PathBuf>,
        /// One JSON object per question.
        #[arg(long)]
        json: bool,
        /// Also show how each word was read and the best entries' scores (on stderr).
        #[arg(long)]
        explain: bool,
        /// The question (words may be given unquoted); none: read stdin.
        #[arg(trailing_var_arg = true, value_name = "QUESTION")]
        question: Vec<String>,
    },
    /// Print the topic menu.
    Topics {
        #[arg(long, value_name = "DIR")]
        faq: Option<PathBuf>,
        #[arg(long)]
        json: bool,
    },
    /// Measure the matcher on labelled questions (JSON lines or a TOML table).
    Eval {
        #[arg(long, value_name = "DIR")]
        faq: Option<PathBuf>,
        /// `{"text", "expect": id | [ids] | null}` per line, or a `.toml` question table.
        queries: PathBuf,
        /// Print the metrics as one JSON object.
        #[arg(long)]
        json: bool,
        /// Also print the metrics over a range of answer thresholds.
        #[arg(long)]
        sweep: bool,
        /// Print every question the matcher gets wrong.
        #[arg(long)]
        misses: bool,
        /// Write one JSON line per question (expected id, top entries with
        /// scores and coverages) to this file.
        #[arg(long, value_name = "FILE")]
        details: Option<PathBuf>,
    },
    /// Show which questions an edit to the FAQ routes differently: the
    /// regression questions of both folders plus any file given, asked of
    /// OLD and NEW; only the changed ones are printed, then a count.
    Diff {
        /// The FAQ folder before the edit.
        old: PathBuf,
        /// The FAQ folder after the edit.
        new: PathBuf,
        /// More questions: a `.toml` case table, JSON lines with `text`, or
        /// one question per line. May be given more than once.
        #[arg(long, value_name = "FILE")]
        questions: Vec<PathBuf>,
        /// Print the changes and the counts as one JSON object.
        #[arg(long)]
        json: bool,
        /// Also replay what people asked (recorded in the store) this far
        /// back, when the store's database exists: 30d, 2weeks…
        #[arg(long, default_value = "30d", value_name = "DURATION")]
        since: String,
        /// The store's database (default: the config's `[store] path`).
        #[arg(long, value_name = "FILE")]
        store: Option<PathBuf>,
    },
    /// What to improve next, from the questions the bot recorded: most
    /// asked entries, unanswered questions (near duplicates grouped), near
    /// misses, most 👎, and suggested alternatives.
    Report {
        #[command(flatten)]
        from: StoreArgs,
        /// How far back to look: 7d, 24h, 2weeks…
        #[arg(long, default_value = "7d", value_name = "DURATION")]
        since: String,
        /// Print the report as one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// Print the suggested alternatives as TOML, or with --apply write them
    /// into the FAQ files (comments and layout kept; the folder must still
    /// pass `check`, else nothing is written).
    Learn {
        #[command(flatten)]
        from: StoreArgs,
        /// How far back to look: 30d, 2weeks…
        #[arg(long, default_value = "30d", value_name = "DURATION")]
        since: String,
        /// Write the alternatives into the FAQ files.
        #[arg(long)]
        apply: bool,
    },
    /// Run the Discord bot. The token comes from the environment variable
    /// named by `[discord] token_env` (default DISCORD_TOKEN).
    Run {
        #[arg(long, value_name = "DIR")]
        faq: Option<PathBuf>,
    },
    /// Turn a JSON-lines or CSV file of questions into FAQ topic files.
    Import {
        /// The input file (.jsonl/.json: JSON lines; .csv: CSV with a header row).
        file: PathBuf,
        /// Directory to write the topic files into.
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// Input format, when the file name does not tell.
        #[arg(long, value_enum)]
        format: Option<InputFormat>,
        /// Overwrite FAQ files already in the output directory.
        #[arg(long, conflicts_with = "add")]
        force: bool,
        /// Add the topics to the FAQ already in the output directory, after
        /// its own (none of its ids or topic names may be reused).
        #[arg(long)]
        add: bool,
    },
}

/// What `report` and `learn` read: the FAQ, the store, and how many picks
/// make a question an alternative.
#[derive(Debug, clap::Args)]
pub struct StoreArgs {
    /// The FAQ directory (default: the config's `faq_dir`).
    #[arg(long, value_name = "DIR")]
    faq: Option<PathBuf>,
    /// The store's database (default: the config's `[store] path`).
    #[arg(long, value_name = "FILE")]
    store: Option<PathBuf>,
    /// Picks of one entry that make a question its alternative.
    #[arg(long, default_value_t = 2, value_name = "N")]
    min_picks: usize,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum InputFormat {
    Jsonl,
    Csv,
}

impl Cli {
    /// The log level when RUST_LOG does not set one: the bot logs one line
    /// per question by default; the terminal commands only warnings.
    pub fn log_level(&self) -> &'static str {
        // serenity's shard queuer logs each failed gateway connection, every
        // 5 s while Discord cannot be reached; the bot says it once itself
        // (see `discord::run_with_http`). At -vv everything is shown.
        const INFO: &str = "info,serenity::gateway::bridge::shard_queuer=error";
        match (self.verbose, &self.command) {
            (0, Command::Run { .. }) | (1, _) => INFO,
            (0, _) => "warn",
            _ => "debug",
        }
    }
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> ExitCode {
    let config = match Config::load(cli.config.as_deref()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    let faq_dir = |flag: Option<PathBuf>| flag.unwrap_or_else(|| config.faq_dir.clone());
    match cli.command {
        Command::Check { dir, faq, strict } => {
            let options = crate::moderation::check::Options {
                matching: config.matching.clone(),
                params: config.scoring,
                review_after_days: config.review_after_days,
                today: None,
            };
            cmd_check(&faq_dir(dir.or(faq)), strict, options)
        }
        Command::Ask {
            faq,
            json,
            explain,
            question,
        } => match load_faq(&faq_dir(faq)) {
            Some(faq) => {
                let matcher = match build_matcher(&faq, &config.matching, config.scoring) {
                    Ok(m) => m,
                    Err(e) => return model_failed(&e),
                };
                if explain && !question.is_empty() {
                    print_explanation(&faq, &matcher, &question.join(" "));
                }
                cmd_ask(&faq, &matcher, json, &question)
            }
            None => ExitCode::FAILURE,
        },
        Command::Topics { faq, json } => match load_faq(&faq_dir(faq)) {
            Some(faq) => cmd_topics(&faq, json),
            None => ExitCode::FAILURE,
        },
        Command::Eval {
            faq,
            queries,
            json,
            sweep,
            misses,
            details,
        } => match load_faq(&faq_dir(faq)) {
            Some(faq) => {
                let flags = EvalFlags {
                    json,
                    sweep,
                    misses,
                    details,
                };
                cmd_eval(&faq, &config, &queries, &flags)
            }
            None => ExitCode::FAILURE,
        },
        Command::Diff {
            old,
            new,
            questions,
            json,
            since,
            store,
        } => match recorded_questions(&since, store, &config) {
            Ok(recorded) => cmd_diff(&old, &new, &questions, recorded, json, &config),
            Err(code) => code,
        },
        Command::Report { from, since, json } => {
            let dir = faq_dir(from.faq);
            match learned(&dir, &since, from.store, from.min_picks, &config) {
                Ok(report) => {
                    if json {
                        outln!("{}", serde_json::to_string(&report).unwrap_or_default());
                    } else {
                        out!("{}", report.to_text());
                    }
                    ExitCode::SUCCESS
                }
                Err(code) => code,
            }
        }
        Command::Learn { from, since, apply } => {
            let dir = faq_dir(from.faq);
            match learned(&dir, &since, from.store, from.min_picks, &config) {
                Ok(report) => cmd_learn(&dir, &report.proposals, apply, &config),
                Err(code) => code,
            }
        }
        Command::Run { faq } => cmd_run(&faq_dir(faq), &config),
        Command::Import {
            file,
            out,
            format,
            force,
            add,
        } => {
            let format = match format {
                Some(InputFormat::Jsonl) => Format::JsonLines,
                Some(InputFormat::Csv) => Format::Csv,
                None => Format::from_path(&file),
            };
            cmd_import(&file, format, &out, force, add)
        }
    }
}

fn cmd_check(dir: &Path, strict: bool, options: crate::moderation::check::Options) -> ExitCode {
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

fn cmd_diff(
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
fn recorded_questions(
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
fn learned(
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

fn cmd_learn(
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

/// Loads the FAQ for answering; on errors prints them and says what to do.
fn load_faq(dir: &Path) -> Option<Faq> {
    let report = load_dir(dir);
    if let Some(faq) = report.faq {
        return Some(faq);
    }
    faq_failed(dir, &report.diagnostics);
    None
}

/// Prints why the FAQ in `dir` did not load: its errors, then what to do.
/// A folder that is not there is not an FAQ with errors.
fn faq_failed(dir: &Path, diagnostics: &[crate::faq::Diagnostic]) {
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

fn cmd_ask(faq: &Faq, matcher: &Matcher, json: bool, words: &[String]) -> ExitCode {
    if !words.is_empty() {
        let question = words.join(" ");
        let (reply_text, _) = answer_one(
            faq,
            matcher,
            &question,
            if json { Style::Json } else { Style::Text },
        );
        out!("{reply_text}");
        return ExitCode::SUCCESS;
    }
    let stdin = io::stdin();
    let interactive = stdin.is_terminal() && !json;
    let style = match (json, interactive) {
        (true, _) => Style::Json,
        (false, true) => Style::Text,
        (false, false) => Style::Line,
    };
    if interactive {
        eprintln!("Ask a question (Ctrl-D to quit).");
    }
    let mut input = stdin.lock();
    let mut out = io::stdout().lock();
    let mut buf = Vec::new();
    let mut line_no = 0usize;
    // After suggestions or a menu, a number (or a topic's name) picks from
    // it; JSON readers get every line as a question.
    let mut offer = Offer::Nothing;
    loop {
        if interactive {
            eprint!("> ");
        }
        buf.clear();
        match input.read_until(b'\n', &mut buf) {
            Ok(0) => break,
            Ok(_) => {}
            Err(e) => {
                eprintln!("faqbot: cannot read standard input: {e}");
                return ExitCode::FAILURE;
            }
        }
        line_no += 1;
        while buf.last().is_some_and(|&b| b == b'\n' || b == b'\r') {
            buf.pop();
        }
        if buf.is_empty() {
            continue;
        }
        let question = match std::str::from_utf8(&buf) {
            Ok(q) => q.to_string(),
            Err(_) => {
                eprintln!("stdin:{line_no}: warning: not valid UTF-8; the invalid bytes were replaced with U+FFFD");
                String::from_utf8_lossy(&buf).into_owned()
            }
        };
        let turn = if style == Style::Json {
            Turn::Ask
        } else {
            read_turn(faq, &offer, &question)
        };
        let reply = match turn {
            Turn::Entry(e) => {
                offer = Offer::Nothing;
                let entry = &faq.entries[e];
                let picked = Reply::Answer {
                    entry,
                    topic: faq.topic_of(entry),
                    score: 1.0,
                    matched: &entry.question,
                };
                match style {
                    Style::Line => format!("{}\n", picked.to_line()),
                    _ => picked.to_text(faq),
                }
            }
            Turn::Topic(t) => {
                offer = Offer::Questions(t);
                let text = topic_questions_text(faq, t);
                match style {
                    Style::Line => format!(
                        "{}\n",
                        text.split_whitespace().collect::<Vec<_>>().join(" ")
                    ),
                    _ => text,
                }
            }
            Turn::Ask => {
                let (reply, next) = answer_one(faq, matcher, &question, style);
                offer = next;
                reply
            }
        };
        if let Err(e) = out.write_all(reply.as_bytes()).and_then(|()| out.flush()) {
            if e.kind() == io::ErrorKind::BrokenPipe {
                return ExitCode::SUCCESS;
            }
            eprintln!("faqbot: cannot write the answer: {e}");
            return ExitCode::FAILURE;
        }
    }
    ExitCode::SUCCESS
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Style {
    /// Several lines, for a person.
    Text,
    /// One line per question.
    Line,
    /// One JSON object per line.
    Json,
}

/// Matches one question, logs it, and renders the reply (newline-ended),
/// with what it offers for the next line to pick from.
fn answer_one(faq: &Faq, matcher: &Matcher, question: &str, style: Style) -> (String, Offer) {
    let started = Instant::now();
    let m = matcher.ask(question);
    let reply = Reply::new(faq, &m);
    let entry = match &reply {
        Reply::Answer { entry, .. } => entry.id.as_str(),
        _ => "",
    };
    tracing::info!(
        trigger = crate::store::Trigger::Terminal.as_str(),
        outcome = reply.outcome().as_str(),
        entry,
        score = m.score,
        latency_us = started.elapsed().as_micros() as u64,
        "question handled"
    );
    tracing::debug!(question, "question text");
    let text = match style {
        Style::Text => reply.to_text(faq),
        Style::Line => format!("{}\n", reply.to_line()),
        Style::Json => format!("{}\n", reply.to_json(question)),
    };
    (text, Offer::of(&m.decision))
}

fn cmd_topics(faq: &Faq, json: bool) -> ExitCode {
    if json {
        let v = serde_json::json!({ "topics": topics_json_list(&faq.topics, Some(faq)) });
        outln!("{v}");
    } else {
        out!("{}", topic_menu_text(faq));
    }
    ExitCode::SUCCESS
}

fn cmd_import(file: &Path, format: Format, out: &Path, force: bool, add: bool) -> ExitCode {
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

/// A semantic model that cannot be loaded: said once, naming the file.
fn model_failed(e: &crate::answer::matching::semantic::ModelError) -> ExitCode {
    eprintln!(
        "faqbot: {e}\nfaqbot: fix or remove `[matching] model`, or set `[matching] semantic = false` to match by words only"
    );
    ExitCode::from(EXIT_USAGE)
}

/// The output switches of `faqbot eval`.
struct EvalFlags {
    json: bool,
    sweep: bool,
    misses: bool,
    details: Option<PathBuf>,
}

fn cmd_eval(faq: &Faq, config: &Config, queries: &Path, flags: &EvalFlags) -> ExitCode {
    let (json, sweep, show_misses) = (flags.json, flags.sweep, flags.misses);
    let cases = match eval::load_cases(queries) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("faqbot: {e}");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    let t = config.matching.thresholds();
    let built = Instant::now();
    let matcher = match build_matcher(faq, &config.matching, config.scoring) {
        Ok(m) => m,
        Err(e) => return model_failed(&e),
    };
    let build_ms = built.elapsed().as_secs_f64() * 1000.0;
    let (ranked, qps) = eval::rank_all(&matcher, &cases);
    let m = eval::metrics(faq, &cases, &ranked, t);
    let points: Vec<(f32, eval::Metrics)> = if sweep {
        eval::sweep_points()
            .map(|a| {
                let t = Thresholds {
                    answer: a,
                    suggest: t.suggest.min(a),
                    suggest_others: t.suggest_others.min(a),
                    ..t
                };
                (a, eval::metrics(faq, &cases, &ranked, t))
            })
            .collect()
    } else {
        Vec::new()
    };
    if json {
        let v = serde_json::json!({
            "queries": queries.display().to_string(),
            "thresholds": t,
            "metrics": m,
            "questions_per_second": qps.round(),
            "index_build_ms": build_ms,
            "sweep": points.iter().map(|(a, m)| serde_json::json!({"answer": a, "metrics": m})).collect::<Vec<_>>(),
        });
        outln!("{v}");
    } else {
        let pct = |x: f64| format!("{:5.1}%", x * 100.0);
        let unlabelled = if m.n_unlabelled > 0 {
            format!(", {} unlabelled", m.n_unlabelled)
        } else {
            String::new()
        };
        outln!(
            "{}: {} questions ({} in scope, {} out of scope{unlabelled}); FAQ: {} entries",
            queries.display(),
            cases.len(),
            m.n_in_scope,
            m.n_oos,
            faq.entries.len()
        );
        outln!(
            "thresholds: answer {:.3}, margin {:.3}, suggest {:.3} (others {:.3})",
            t.answer,
            t.margin,
            t.suggest,
            t.suggest_others
        );
        if m.n_unlabelled > 0 {
            let [a, s, f] = m.unlabelled_outcomes;
            let share = |n: usize| pct(n as f64 / m.n_unlabelled as f64);
            outln!(
                "  unlabelled questions: {} answered, {} suggestions, {} topic menu ({a} / {s} / {f})",
                share(a),
                share(s),
                share(f)
            );
        }
        let labelled = m.n_in_scope + m.n_oos > 0;
        if labelled {
            outln!("  answered right          {}", pct(m.answer_acc));
            outln!("  answered wrong          {}", pct(m.wrong_answer));
            outln!(
                "  right entry shown       {}  (in the answer or the suggestions shown)",
                pct(m.top3_recall_shown)
            );
            outln!("  right entry in top 3    {}", pct(m.top3_recall));
            outln!("  out-of-scope answered   {}", pct(m.oos_false_answer));
            outln!("  combined accuracy       {}", pct(m.combined_acc));
            outln!("  balanced accuracy       {}", pct(m.balanced_acc));
            outln!(
            "  outcomes in scope: {} answer, {} suggest, {} fallback; out of scope: {} answer, {} suggest, {} fallback",
            m.in_scope_outcomes[0],
            m.in_scope_outcomes[1],
            m.in_scope_outcomes[2],
            m.oos_outcomes[0],
            m.oos_outcomes[1],
            m.oos_outcomes[2]
        );
        }
        outln!("  speed: {qps:.0} questions/second (one thread); index built in {build_ms:.1} ms");
        if matcher.semantic().is_some() {
            // A question the words settle skips the model (see
            // `matching::fusion`): its best entry has no semantic score.
            let skipped = ranked
                .iter()
                .filter(|r| r.top.first().is_some_and(|s| s.semantic.is_none()))
                .count();
            outln!(
                "  semantic stage: on; {skipped} of {} questions settled by words alone (model skipped)",
                cases.len()
            );
        } else {
            outln!("  semantic stage: off (words only)");
        }
        if sweep {
            outln!("\nanswer  right  wrong  shown  oos-ans  combined  balanced");
            for (a, m) in &points {
                outln!(
                    "{a:6.3} {} {} {} {}   {}    {}",
                    pct(m.answer_acc),
                    pct(m.wrong_answer),
                    pct(m.top3_recall_shown),
                    pct(m.oos_false_answer),
                    pct(m.combined_acc),
                    pct(m.balanced_acc)
                );
            }
        }
    }
    if show_misses {
        for line in eval::misses(faq, &cases, &ranked, t) {
            eprintln!("{line}");
        }
    }
    if let Some(path) = &flags.details {
        let lines: String = eval::details(faq, &cases, &ranked)
            .iter()
            .map(|v| format!("{v}\n"))
            .collect();
        if let Err(e) = std::fs::write(path, lines) {
            eprintln!("faqbot: cannot write {}: {e}", path.display());
            return ExitCode::FAILURE;
        }
    }
    ExitCode::SUCCESS
}

/// `ask --explain`: how the question was read and what scored, on stderr.
fn print_explanation(faq: &Faq, matcher: &Matcher, question: &str) {
    eprint!(
        "{}",
        crate::answer::why::Why::new(faq, matcher, question).to_text()
    );
    eprintln!("best entries:");
    for s in matcher.rank_top(question, 5).iter() {
        let e = &faq.entries[s.entry];
        let phrasing = |p: usize| e.phrasings().nth(p).unwrap_or(&e.question);
        match s.semantic {
            Some(hit) => eprintln!(
                "  {:.3} {} (via {:?}; words {:.2}, semantic {:.2} via {:?})",
                s.score,
                e.id,
                phrasing(s.phrasing),
                s.fuzzy,
                hit.cosine,
                phrasing(hit.phrasing)
            ),
            None => eprintln!("  {:.3} {} (via {:?})", s.score, e.id, phrasing(s.phrasing)),
        }
    }
}

fn cmd_run(dir: &Path, config: &Config) -> ExitCode {
    let token = match crate::discord::config::Token::from_env(&config.discord.token_env) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("faqbot: {e}");
            return ExitCode::from(EXIT_USAGE);
        }
    };
    let engine = match crate::answer::engine::Engine::load(dir, &config.engine()) {
        Ok(e) => e,
        Err(errors) => {
            faq_failed(dir, &errors);
            return ExitCode::FAILURE;
        }
    };
    tracing::info!(entries = engine.faq.entries.len(), topics = engine.faq.topics.len(), faq = %dir.display(), "FAQ loaded");
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("faqbot: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let settings = config.discord.clone();
    // Held here, so that it is dropped (writing what is queued) after the
    // runtime has stopped, not on one of its threads.
    let store = std::sync::Arc::new(crate::store::Store::from_config(&config.store));
    if let Some(path) = store.path() {
        tracing::info!(path = %path.display(), "recording questions, picks and votes");
    }
    let result = runtime.block_on(crate::discord::run(
        engine,
        settings,
        store.clone(),
        token,
        shutdown_signal(),
    ));
    drop(runtime);
    drop(store);
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!(
                "faqbot: {}",
                crate::discord::explain_failure(&e, &config.discord)
            );
            ExitCode::FAILURE
        }
    }
}

/// Completes on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    #[cfg(unix)]
    {
        let mut term = match tokio::signal::unix::signal(
            tokio::signal::unix::SignalKind::terminate(),
        ) {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM; only Ctrl-C stops the bot");
                let _ = tokio::signal::ctrl_c().await;
                return;
            }
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
