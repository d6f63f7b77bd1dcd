//! The operator's config file (`faqbot.toml`, or `--config PATH`): where
//! the FAQ lives, the matcher's thresholds, the Discord settings and the
//! question store; and
//! the bot token, read from the environment into a type that never prints
//! it. Unknown keys are errors, and a bad file is reported with its line
//! and column, never ignored.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::answer::matching::{Params, Thresholds};
use crate::faq::Position;

/// The config file read when `--config` is not given, if it exists.
pub const DEFAULT_CONFIG_FILE: &str = "faqbot.toml";

/// The FAQ directory when neither `--faq` nor the config names one.
pub const DEFAULT_FAQ_DIR: &str = "faq";

/// An answer checked against its source more than about half a year ago is
/// worth a second look: policies and contacts change.
pub const DEFAULT_REVIEW_AFTER_DAYS: u32 = 180;

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// The directory of FAQ topic files, relative to the working directory.
    pub faq_dir: PathBuf,
    /// `faqbot check` warns about entries whose `reviewed` date is older
    /// than this many days (0: never).
    pub review_after_days: u32,
    /// The matcher: its decision thresholds and its semantic stage.
    pub matching: MatchingConfig,
    /// Overrides of the matcher's scoring weights.
    pub scoring: Params,
    /// How the bot behaves in Discord.
    pub discord: DiscordConfig,
    /// Where questions, picks and votes are recorded.
    pub store: StoreConfig,
}

/// The `[matching]` table: how the matcher decides, and whether it reads
/// meaning as well as words.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MatchingConfig {
    /// Overrides of the decision thresholds; unset, the defaults of the
    /// matcher in use (they differ with and without the semantic stage).
    pub answer: Option<f32>,
    pub margin: Option<f32>,
    pub suggest: Option<f32>,
    pub suggest_others: Option<f32>,
    /// Whether the sentence-embedding model adds meaning to the words.
    /// false: the fuzzy matcher alone.
    pub semantic: bool,
    /// A folder with another model of the same architecture (config.json,
    /// tokenizer.json, model.safetensors); unset: the bundled model.
    pub model: Option<PathBuf>,
    /// Where phrasings' vectors are cached between runs; unset: the user's
    /// cache folder (`$XDG_CACHE_HOME/faqbot`, else `~/.cache/faqbot`).
    /// `""` turns the cache off.
    pub cache: Option<PathBuf>,
    /// FAQs with more entries than this are matched by words alone (the
    /// model's cold build grows with the FAQ); 0: no limit.
    pub semantic_max_entries: usize,
}

/// Above this many entries the semantic stage is off unless the config
/// says otherwise: embedding 100,000 entries' phrasings takes hours on
/// two cores, 20,000 about 20 minutes once, then the cache serves.
pub const DEFAULT_SEMANTIC_MAX_ENTRIES: usize = 20_000;

impl Default for MatchingConfig {
    fn default() -> Self {
        MatchingConfig {
            answer: None,
            margin: None,
            suggest: None,
            suggest_others: None,
            semantic: true,
            model: None,
            cache: None,
            semantic_max_entries: DEFAULT_SEMANTIC_MAX_ENTRIES,
        }
    }
}

impl MatchingConfig {
    /// The decision thresholds: the overrides, else the defaults of the
    /// matcher in use.
    pub fn thresholds(&self) -> Thresholds {
        let d = if self.semantic {
            Thresholds::semantic()
        } else {
            Thresholds::default()
        };
        let suggest = self.suggest.unwrap_or(d.suggest);
        Thresholds {
            answer: self.answer.unwrap_or(d.answer),
            margin: self.margin.unwrap_or(d.margin),
            suggest,
            // Unset, the others' bar keeps its default ratio to `suggest`.
            suggest_others: self
                .suggest_others
                .unwrap_or(suggest * d.suggest_others / d.suggest.max(f32::EPSILON)),
        }
    }

    /// The vector cache's folder, if there is one.
    pub fn cache_dir(&self) -> Option<PathBuf> {
        match &self.cache {
            Some(p) if p.as_os_str().is_empty() => None,
            Some(p) => Some(p.clone()),
            None => std::env::var_os("XDG_CACHE_HOME")
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
                .or_else(|| {
                    std::env::var_os("HOME")
                        .filter(|v| !v.is_empty())
                        .map(|h| PathBuf::from(h).join(".cache"))
                })
                .map(|c| c.join("faqbot")),
        }
    }

    /// Whether an FAQ of `entries` entries gets the semantic stage.
    pub fn semantic_for(&self, entries: usize) -> bool {
        self.semantic && (self.semantic_max_entries == 0 || entries <= self.semantic_max_entries)
    }
}

/// The `[store]` table: the SQLite database of questions, picks and votes
/// (see [`crate::store`]).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StoreConfig {
    /// The database file, relative to the working directory; created if
    /// missing. Empty (`path = ""`): the store is off and nothing is recorded.
    pub path: PathBuf,
    /// Rows older than this many days are deleted (at start, then daily);
    /// 0 keeps everything.
    pub retention_days: u32,
}

/// The database file when the config names none.
pub const DEFAULT_STORE_PATH: &str = "faqbot.db";

impl StoreConfig {
    /// Whether anything is recorded (`path` is not empty).
    pub fn enabled(&self) -> bool {
        !self.path.as_os_str().is_empty()
    }
}

impl Default for StoreConfig {
    fn default() -> Self {
        StoreConfig {
            path: PathBuf::from(DEFAULT_STORE_PATH),
            retention_days: 30,
        }
    }
}

/// The `[discord]` table.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DiscordConfig {
    /// The environment variable that holds the bot token.
    pub token_env: String,
    /// Guilds to register the slash commands in (instantly); empty:
    /// register them globally (Discord may take up to an hour to show them).
    pub guild_ids: Vec<u64>,
    /// With `guild_ids`: also remove the bot's global commands at start
    /// (left from before the switch to `guild_ids`, they show each command
    /// twice in those servers).
    pub clear_global_commands: bool,
    /// Channels where every message is matched and a confident answer is
    /// posted (needs the privileged Message Content intent).
    pub help_channels: Vec<u64>,
    /// Roles allowed to use the moderator commands (`/faq-reload`), besides
    /// members with the Manage Server permission.
    pub moderator_roles: Vec<u64>,
    /// Channel where FAQ reloads are reported to moderators (errors with
    /// file and line, or what changed); unset: only the log and the
    /// `/faq-reload` reply.
    pub mod_log_channel: Option<u64>,
    /// Whether the FAQ directory is watched and reloaded on every change.
    pub watch_faq: bool,
    /// Seconds a user waits between two questions (0: no cooldown).
    pub user_cooldown_secs: u64,
    /// Seconds during which the same answer in the same channel points to
    /// the earlier one instead of being repeated (0: always answer).
    pub repeat_window_secs: u64,
    /// Whether `/faq` answers are visible to everyone (`private:true` on the
    /// command makes one private); menus and suggestions are always private.
    pub public_answers: bool,
    /// Number of shards; 0 lets Discord recommend it (large bots only need
    /// more than 1).
    pub shards: u32,
    /// Optional base address of an HTTP proxy for Discord's REST API (such
    /// as nirn-proxy or twilight-http-proxy), e.g. "http://127.0.0.1:8080":
    /// every REST call goes through it, and it owns rate limiting.
    pub proxy: Option<String>,
}

/// The token variable read when the config names none.
pub const DEFAULT_TOKEN_ENV: &str = "DISCORD_TOKEN";

impl Default for DiscordConfig {
    fn default() -> Self {
        DiscordConfig {
            token_env: DEFAULT_TOKEN_ENV.to_string(),
            guild_ids: Vec::new(),
            clear_global_commands: false,
            help_channels: Vec::new(),
            moderator_roles: Vec::new(),
            mod_log_channel: None,
            watch_faq: true,
            user_cooldown_secs: 3,
            repeat_window_secs: 60,
            public_answers: true,
            shards: 1,
            proxy: None,
        }
    }
}

/// The bot token. Its `Debug` and `Display` print `[redacted]`, so that
/// logging a config or an error can never leak it.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl Token {
    /// Reads the token from environment variable `var`: missing, empty or
    /// not shaped like a bot token (three dot-separated parts) is an error
    /// that names the variable, never the value.
    pub fn from_env(var: &str) -> Result<Token, String> {
        match std::env::var(var) {
            Ok(value) => Token::parse(&value).map_err(|why| format!("{var} {why}")),
            Err(std::env::VarError::NotPresent) => Err(format!(
                "{var} is not set: put the bot token from the Discord developer portal in it (see the README, \"Run it in your server\")"
            )),
            Err(std::env::VarError::NotUnicode(_)) => Err(format!("{var} is not valid text; copy the bot token again")),
        }
    }

    /// Checks the shape of a token given directly (tests, a secret store);
    /// the error says what is wrong, never the value.
    pub fn parse(value: &str) -> Result<Token, &'static str> {
        let value = value.trim();
        let value = value.strip_prefix("Bot ").unwrap_or(value);
        if value.is_empty() {
            return Err("is empty: put the bot token from the Discord developer portal in it");
        }
        let parts: Vec<&str> = value.split('.').collect();
        let shaped = parts.len() == 3
            && parts.iter().all(|p| !p.is_empty())
            && value
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c));
        if !shaped {
            return Err("does not look like a bot token (three parts separated by dots); copy it again from the developer portal's Bot page");
        }
        Ok(Token(value.to_string()))
    }

    /// The token itself, for the Discord client only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token([redacted])")
    }
}

impl std::fmt::Display for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            faq_dir: PathBuf::from(DEFAULT_FAQ_DIR),
            review_after_days: DEFAULT_REVIEW_AFTER_DAYS,
            matching: MatchingConfig::default(),
            scoring: Params::default(),
            discord: DiscordConfig::default(),
            store: StoreConfig::default(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{path}: cannot read the config file: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}:{line}:{col}: error: {message}")]
    Parse {
        path: PathBuf,
        line: usize,
        col: usize,
        message: String,
    },
    #[error("{path}: error: {message}")]
    Invalid { path: PathBuf, message: String },
}

impl DiscordConfig {
    fn validate(&self) -> Result<(), String> {
        if self.token_env.trim().is_empty() {
            return Err(
                "discord.token_env is empty; name the environment variable that holds the token"
                    .into(),
            );
        }
        if self.clear_global_commands && self.guild_ids.is_empty() {
            return Err(
                "discord.clear_global_commands = true needs guild_ids: without them the global commands are the bot's only ones"
                    .into(),
            );
        }
        if self.mod_log_channel == Some(0) {
            return Err(
                "discord.mod_log_channel = 0 is not a channel id; copy the channel's id (Developer Mode, right-click the channel, Copy Channel ID)"
                    .into(),
            );
        }
        if let Some(proxy) = &self.proxy {
            if !(proxy.starts_with("http://") || proxy.starts_with("https://")) {
                return Err(format!(
                    "discord.proxy = {proxy:?} is not an http:// or https:// address"
                ));
            }
        }
        Ok(())
    }
}

impl Config {
    /// Loads `path` if given (it must exist), else `faqbot.toml` if it
    /// exists, else the defaults.
    pub fn load(path: Option<&Path>) -> Result<Config, ConfigError> {
        let path = match path {
            Some(p) => p.to_path_buf(),
            None => {
                let p = PathBuf::from(DEFAULT_CONFIG_FILE);
                if !p.is_file() {
                    return Ok(Config::default());
                }
                p
            }
        };
        let text = std::fs::read_to_string(&path).map_err(|source| ConfigError::Read {
            path: path.clone(),
            source,
        })?;
        Config::parse(&text, &path)
    }

    /// Parses a config file's text (`path` only names it in errors).
    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let config: Config = toml::from_str(text).map_err(|e| {
            let pos = Position::of_offset(text, e.span().map_or(0, |s| s.start));
            ConfigError::Parse {
                path: path.to_path_buf(),
                line: pos.line,
                col: pos.col,
                message: e.message().trim().to_string(),
            }
        })?;
        config
            .matching
            .thresholds()
            .validate()
            .and_then(|()| config.discord.validate())
            .map_err(|message| ConfigError::Invalid {
                path: path.to_path_buf(),
                message,
            })?;
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_example_config_is_valid_and_shows_the_defaults() {
        let text = include_str!("../../config.example.toml");
        let c = Config::parse(text, Path::new("config.example.toml")).expect("example parses");
        assert_eq!(
            c,
            Config::default(),
            "config.example.toml must show the defaults"
        );
    }

    #[test]
    fn tokens_never_print_and_bad_ones_name_the_variable() {
        let t = Token::parse("MTIz.NDU2.Nzg5-_x").expect("shaped like a token");
        assert_eq!(format!("{t:?}"), "Token([redacted])");
        assert_eq!(t.to_string(), "[redacted]");
        assert_eq!(t.expose(), "MTIz.NDU2.Nzg5-_x");
        assert!(Token::parse("Bot a.b.c").is_ok());
        assert!(Token::parse("").is_err());
        assert!(Token::parse("no-dots-here").is_err());
        assert!(Token::parse("a.b.c d").is_err());
        let e = Token::from_env("FAQBOT_TEST_SURELY_UNSET_VARIABLE").expect_err("unset");
        assert!(
            e.starts_with("FAQBOT_TEST_SURELY_UNSET_VARIABLE is not set"),
            "{e}"
        );
    }

    #[test]
    fn discord_settings_are_read_and_checked() {
        let c = Config::parse(
            "[discord]\nguild_ids = [1, 2]\nproxy = \"http://127.0.0.1:9\"\npublic_answers = false\n",
            Path::new("c.toml"),
        )
        .expect("ok");
        assert_eq!(c.discord.guild_ids, [1, 2]);
        assert_eq!(c.discord.mod_log_channel, None);
        assert!(!c.discord.public_answers);
        let c = Config::parse(
            "[discord]\nmod_log_channel = 7\nwatch_faq = false\n",
            Path::new("c.toml"),
        )
        .expect("ok");
        assert_eq!(c.discord.mod_log_channel, Some(7));
        assert!(!c.discord.watch_faq);
        let e = Config::parse("[discord]\nmod_log_channel = 0\n", Path::new("c.toml"))
            .expect_err("channel 0");
        assert!(e.to_string().contains("discord.mod_log_channel"), "{e}");
        let e = Config::parse(
            "[discord]\nclear_global_commands = true\n",
            Path::new("c.toml"),
        )
        .expect_err("nothing would be left");
        assert!(e.to_string().contains("needs guild_ids"), "{e}");
        let e = Config::parse("[discord]\nproxy = \"127.0.0.1:9\"\n", Path::new("c.toml"))
            .expect_err("bad proxy");
        assert!(e.to_string().contains("discord.proxy"), "{e}");
    }

    #[test]
    fn store_settings_are_read_and_an_empty_path_turns_it_off() {
        let c = Config::parse(
            "[store]\npath = \"/var/lib/faqbot/q.db\"\nretention_days = 7\n",
            Path::new("c.toml"),
        )
        .expect("ok");
        assert_eq!(c.store.path, PathBuf::from("/var/lib/faqbot/q.db"));
        assert_eq!(c.store.retention_days, 7);
        assert!(c.store.enabled());
        assert!(Config::default().store.enabled());
        let off = Config::parse("[store]\npath = \"\"\n", Path::new("c.toml")).expect("ok");
        assert!(!off.store.enabled());
        let e = Config::parse(
            "[store]\npath = \"x.db\"\nretention = 7\n",
            Path::new("c.toml"),
        )
        .expect_err("unknown key");
        assert!(
            e.to_string()
                .starts_with("c.toml:3:1: error: unknown field `retention`"),
            "{e}"
        );
        let e = Config::parse("[store]\nretention_days = -1\n", Path::new("c.toml"))
            .expect_err("negative days");
        assert!(e.to_string().starts_with("c.toml:2:"), "{e}");
    }

    #[test]
    fn empty_file_gives_defaults() {
        assert_eq!(
            Config::parse("", Path::new("c.toml")).expect("ok"),
            Config::default()
        );
    }

    #[test]
    fn thresholds_can_be_overridden() {
        let c = Config::parse(
            "faq_dir = \"x\"\n[matching]\nanswer = 0.7\n",
            Path::new("c.toml"),
        )
        .expect("ok");
        assert_eq!(c.faq_dir, PathBuf::from("x"));
        assert_eq!(c.matching.answer, Some(0.7));
        assert_eq!(c.matching.thresholds().answer, 0.7);
        assert_eq!(
            c.matching.thresholds().suggest,
            Thresholds::semantic().suggest
        );
    }

    #[test]
    fn the_other_suggestions_bar_follows_suggest_unless_set() {
        let t = |toml: &str| {
            Config::parse(toml, Path::new("c.toml"))
                .expect("ok")
                .matching
                .thresholds()
        };
        // With meaning: half of `suggest`, whether default or set.
        assert_eq!(t("").suggest_others, 0.115);
        assert_eq!(t("[matching]\nsuggest = 0.4\n").suggest_others, 0.2);
        // Words alone: equal to `suggest`, the fuzzy matcher's old rule.
        let fuzzy = t("[matching]\nsemantic = false\nsuggest = 0.4\n");
        assert_eq!(fuzzy.suggest_others, fuzzy.suggest);
        assert_eq!(
            t("[matching]\nsuggest_others = 0.05\n").suggest_others,
            0.05
        );
        let e = Config::parse("[matching]\nsuggest_others = 0.3\n", Path::new("c.toml"))
            .expect_err("above suggest");
        assert!(e.to_string().contains("matching.suggest_others"), "{e}");
    }

    #[test]
    fn unknown_keys_name_the_line() {
        let e = Config::parse(
            "faq_dir = \"x\"\n[matching]\nanswr = 0.7\n",
            Path::new("c.toml"),
        )
        .expect_err("unknown key");
        let msg = e.to_string();
        assert!(
            msg.starts_with("c.toml:3:1: error: unknown field `answr`"),
            "{msg}"
        );
    }

    #[test]
    fn nonsense_thresholds_are_rejected() {
        let e = Config::parse(
            "[matching]\nanswer = 0.2\nsuggest = 0.5\n",
            Path::new("c.toml"),
        )
        .expect_err("suggest above answer");
        assert!(e.to_string().contains("matching.suggest"), "{e}");
    }
}
