//! The operator's config file (`faqbot.toml`, or `--config PATH`): where
//! the FAQ lives and the matcher's thresholds. Unknown keys are errors, and
//! a bad file is reported with its line and column, never ignored.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::faq::Position;
use crate::matching::{Params, Thresholds};

/// The config file read when `--config` is not given, if it exists.
pub const DEFAULT_CONFIG_FILE: &str = "faqbot.toml";

/// The FAQ directory when neither `--faq` nor the config names one.
pub const DEFAULT_FAQ_DIR: &str = "faq";

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// The directory of FAQ topic files, relative to the working directory.
    pub faq_dir: PathBuf,
    /// Overrides of the matcher's decision thresholds.
    pub matching: Thresholds,
    /// Overrides of the matcher's scoring weights.
    pub scoring: Params,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            faq_dir: PathBuf::from(DEFAULT_FAQ_DIR),
            matching: Thresholds::default(),
            scoring: Params::default(),
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
            .validate()
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
        let text = include_str!("../config.example.toml");
        let c = Config::parse(text, Path::new("config.example.toml")).expect("example parses");
        assert_eq!(
            c,
            Config::default(),
            "config.example.toml must show the defaults"
        );
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
        assert_eq!(c.matching.answer, 0.7);
        assert_eq!(c.matching.suggest, Thresholds::default().suggest);
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
