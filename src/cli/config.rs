//! The operator's config file (`faqbot.toml`, or `--config PATH`): where
//! the FAQ lives, the matcher's thresholds, the Discord settings and the
//! question store; and
//! the bot token, read from the environment into a type that never prints
//! it. Unknown keys are errors, and a bad file is reported with its line
//! and column, never ignored.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::answer::engine::{MatchingConfig, Settings};
use crate::answer::matching::Params;
#[cfg(test)]
use crate::answer::matching::Thresholds;
use crate::discord::config::DiscordConfig;
use crate::faq::Position;
use crate::store::StoreConfig;

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

impl Config {
    /// What the engine is built with: the `[matching]` and `[scoring]`
    /// tables.
    pub fn engine(&self) -> Settings {
        Settings {
            matching: self.matching.clone(),
            scoring: self.scoring,
        }
    }

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
        use crate::store::Location;
        let c = Config::parse(
            "[store]\npath = \"/var/lib/faqbot/q.db\"\nretention_days = 7\n",
            Path::new("c.toml"),
        )
        .expect("ok");
        assert_eq!(
            c.store.location,
            Some(Location::Sqlite(PathBuf::from("/var/lib/faqbot/q.db")))
        );
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
    fn a_store_url_selects_postgres_and_never_shows_its_password() {
        use crate::store::Location;
        for scheme in ["postgres", "postgresql"] {
            let c = Config::parse(
                &format!("[store]\nurl = \"{scheme}://faqbot:s3cret@db:5432/faqbot\"\n"),
                Path::new("c.toml"),
            )
            .expect("ok");
            let Some(Location::Postgres(url)) = &c.store.location else {
                panic!("postgres: {:?}", c.store)
            };
            assert_eq!(
                url.expose(),
                format!("{scheme}://faqbot:s3cret@db:5432/faqbot")
            );
            assert!(!format!("{c:?}").contains("s3cret"), "{c:?}");
        }
        let cases = [
            (
                "[store]\npath = \"q.db\"\nurl = \"postgres://u:s3cret@h/db\"\n",
                "sets both `path` (a SQLite file) and `url`",
            ),
            (
                "[store]\nurl = \"q.db\"\n",
                "url must start with postgres://",
            ),
            (
                "[store]\nurl = \"postgres://u:s3cret@h:port/db\"\n",
                "not a valid PostgreSQL address",
            ),
            (
                "[store]\npath = \"postgres://u:s3cret@h/db\"\n",
                "is a database address: write it as `url`",
            ),
            ("[store]\nurl = \"\"\n", "location is empty"),
        ];
        for (toml, expected) in cases {
            let e = Config::parse(toml, Path::new("c.toml")).expect_err(toml);
            let message = e.to_string();
            assert!(message.starts_with("c.toml:"), "{message}");
            assert!(message.contains(expected), "{toml}: {message}");
            assert!(!message.contains("s3cret"), "{message}");
        }
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
