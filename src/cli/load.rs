//! Loading what the commands answer from: the FAQ folder (a server's own,
//! with `--guild`), and the [`Failure`] said when it, or the semantic
//! model, cannot be loaded.

use std::path::{Path, PathBuf};

use super::output::Failure;
use crate::cli::config::Config;
use crate::faq::{load_dir, Faq};
use crate::moderation::library::{guild_folder, guild_folders};

/// Loads the FAQ for answering; on errors the failure lists them and says
/// what to do.
pub(super) fn load_faq(dir: &Path) -> Result<Faq, Failure> {
    let report = load_dir(dir);
    match report.faq {
        Some(faq) => Ok(faq),
        None => Err(faq_failed(dir, &report.diagnostics)),
    }
}

/// Why the FAQ in `dir` did not load: its errors, then what to do.
/// A folder that is not there is not an FAQ with errors.
pub(super) fn faq_failed(dir: &Path, diagnostics: &[crate::faq::Diagnostic]) -> Failure {
    let mut lines: Vec<String> = diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(ToString::to_string)
        .collect();
    lines.push(if dir.is_dir() {
        format!(
            "faqbot: the FAQ in {} has errors (above); fix them, then check with `faqbot check {}`",
            dir.display(),
            dir.display()
        )
    } else {
        format!(
            "faqbot: there is no FAQ folder at {}; pass --faq DIR, or set `faq_dir` in the config file",
            dir.display()
        )
    });
    Failure::new(lines.join("\n"))
}

/// A semantic model that cannot be loaded: said once, naming the file.
pub(super) fn model_failed(e: &crate::answer::matching::semantic::ModelError) -> Failure {
    Failure::usage(format!(
        "faqbot: {e}\nfaqbot: fix or remove `[matching] model`, or set `[matching] semantic = false` to match by words only"
    ))
}

/// Which FAQ a moderator's command acts on, and whose questions are its
/// own: what [`choose_faq`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Chosen {
    pub dir: PathBuf,
    pub whose: Whose,
}

/// Whose FAQ a folder is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Whose {
    /// One server's: its own folder, or (when it has none) the default FAQ
    /// it is answered from; its questions alone are its own.
    Guild(u64),
    /// The default FAQ, while these servers have folders of their own:
    /// every question but theirs.
    Default { others: Vec<u64> },
    /// Any other folder: every question.
    Any,
}

/// The FAQ folder for `--guild ID`, a folder given (`--faq DIR`) or
/// neither (the config's `faq_dir`). A server's folder is
/// `<faq_root>/<ID>/`; a server without one is answered from `faq_dir`.
/// `--guild` needs `[discord] faq_root`.
pub(super) fn choose_faq(
    dir: Option<PathBuf>,
    guild: Option<u64>,
    config: &Config,
) -> Result<Chosen, Failure> {
    let root = config.discord.faq_root.as_deref();
    if let Some(guild) = guild {
        let Some(root) = root else {
            return Err(Failure::usage(format!(
                "faqbot: --guild {guild} needs `[discord] faq_root` in the config file: the folder of the servers' own FAQs"
            )));
        };
        let own = guild_folder(root, guild);
        let dir = if own.is_dir() {
            own
        } else {
            tracing::info!(guild, folder = %own.display(), "the server has no FAQ folder of its own: it is answered from faq_dir");
            config.faq_dir.clone()
        };
        return Ok(Chosen {
            dir,
            whose: Whose::Guild(guild),
        });
    }
    let dir = dir.unwrap_or_else(|| config.faq_dir.clone());
    let whose = match root {
        None => Whose::Any,
        Some(root) => {
            let same = |a: &Path, b: &Path| match (a.canonicalize(), b.canonicalize()) {
                (Ok(a), Ok(b)) => a == b,
                _ => a == b,
            };
            let named = dir
                .file_name()
                .and_then(|n| n.to_str())
                .and_then(|n| n.parse::<u64>().ok());
            match named {
                Some(g) if dir.parent().is_some_and(|p| same(p, root)) => Whose::Guild(g),
                _ if same(&dir, &config.faq_dir) => Whose::Default {
                    others: guild_folders(root).map(|f| f.guilds).unwrap_or_default(),
                },
                _ => Whose::Any,
            }
        }
    };
    Ok(Chosen { dir, whose })
}
