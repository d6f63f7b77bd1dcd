//! Loading what the commands answer from: the FAQ folder (a server's own,
//! with `--guild`), and the [`Failure`] said when it, or the semantic
//! model, cannot be loaded.

use std::path::{Path, PathBuf};

use super::output::Failure;
use crate::cli::config::Config;
use crate::faq::{load_dir, Faq};
use crate::moderation::library::{guild_folder, guild_folders};
use crate::store::Scope;

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

/// Which FAQ a moderator's command acts on, and whose recorded
/// questions are its own: what [`choose_faq`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Chosen {
    pub dir: PathBuf,
    /// One server's questions (its own folder, or the default FAQ it is
    /// answered from); for the default FAQ while servers have folders of
    /// their own, every question but theirs; else every question.
    pub scope: Scope,
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
            scope: Scope::Guild(guild),
        });
    }
    let dir = dir.unwrap_or_else(|| config.faq_dir.clone());
    let scope = match root {
        None => Scope::All,
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
                Some(g) if dir.parent().is_some_and(|p| same(p, root)) => Scope::Guild(g),
                _ if same(&dir, &config.faq_dir) => {
                    Scope::Without(guild_folders(root).map(|f| f.guilds).unwrap_or_default())
                }
                _ => Scope::All,
            }
        }
    };
    Ok(Chosen { dir, scope })
}
