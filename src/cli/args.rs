//! The command line's shape: the clap types for the global flags
//! ([`Cli`]), each command and its flags ([`Command`]), and the log level
//! they ask for.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

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
        /// The FAQ of this server: its folder under `[discord] faq_root`.
        #[arg(long, value_name = "ID", conflicts_with_all = ["dir", "faq"])]
        guild: Option<u64>,
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
        /// The store: a SQLite file or a postgres:// address (default:
        /// the config's `[store]`).
        #[arg(long, value_name = "FILE|URL")]
        store: Option<String>,
        /// Replay only this server's recorded questions (default: those of
        /// NEW's server when it is a folder under `[discord] faq_root`).
        #[arg(long, value_name = "ID")]
        guild: Option<u64>,
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
        /// Serve `/healthz` and `/metrics` (Prometheus) on this address.
        #[arg(long, value_name = "ADDR")]
        listen: Option<std::net::SocketAddr>,
        /// Run only these shards of the bot's, e.g. 0-3 (with
        /// --total-shards); direct messages arrive on shard 0.
        #[arg(long, value_name = "FIRST-LAST", requires = "total_shards")]
        shards: Option<String>,
        /// How many shards the bot has across all its processes.
        #[arg(long, value_name = "N", requires = "shards")]
        total_shards: Option<u32>,
    },
    /// Answer Discord's interaction webhooks over HTTP (slash commands,
    /// autocomplete, buttons, menus), verified with `[discord] public_key`;
    /// any number of replicas can share a Postgres store and the FAQ
    /// folders. Also serves /healthz and /metrics.
    Serve {
        #[arg(long, value_name = "DIR")]
        faq: Option<PathBuf>,
        /// The address to listen on, e.g. 0.0.0.0:8080.
        #[arg(long, value_name = "ADDR")]
        listen: std::net::SocketAddr,
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
    /// The FAQ directory (default: the config's `faq_dir`). A server's
    /// folder under `[discord] faq_root` reads that server's questions
    /// only; `faq_dir` reads those of every server without one.
    #[arg(long, value_name = "DIR")]
    pub(super) faq: Option<PathBuf>,
    /// This server's FAQ and questions only (its folder under
    /// `[discord] faq_root`, else the default FAQ it is answered from).
    #[arg(long, value_name = "ID", conflicts_with = "faq")]
    pub(super) guild: Option<u64>,
    /// The store: a SQLite file or a postgres:// address (default: the
    /// config's `[store]`). Read as text and parsed after, so that a bad
    /// address is never echoed with its password.
    #[arg(long, value_name = "FILE|URL")]
    pub(super) store: Option<String>,
    /// Picks of one entry that make a question its alternative.
    #[arg(long, default_value_t = 2, value_name = "N")]
    pub(super) min_picks: usize,
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
            (0, Command::Run { .. } | Command::Serve { .. }) | (1, _) => INFO,
            (0, _) => "warn",
            _ => "debug",
        }
    }
}
