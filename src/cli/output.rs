//! How a command speaks and how it ends: its results on standard output
//! ([`out!`], [`outln!`]), its failure as a [`Failure`] worded for stderr,
//! and [`exit_code`], which says the failure once at the top and picks the
//! exit code.
//!
//! A write to standard output returns its `io::Error` (with what was being
//! written as context) for the command to pass up with `?`, as ripgrep
//! does: when the output is closed early (`faqbot ask < questions | head`),
//! [`exit_code`] ends the command quietly instead, as command-line tools do.

use std::fmt;
use std::io::{self, Write};
use std::process::ExitCode;

use anyhow::Context;

/// Exit code for a usage or configuration mistake (clap uses it too).
pub(super) const EXIT_USAGE: u8 = 2;

/// Why a command failed, worded as it is said on stderr (one or more
/// lines), and the exit code it ends with.
#[derive(Debug)]
pub(super) struct Failure {
    message: String,
    code: u8,
}

impl Failure {
    /// A failure that exits 1.
    pub(super) fn new(message: impl fmt::Display) -> Failure {
        Failure {
            message: message.to_string(),
            code: 1,
        }
    }

    /// A usage or configuration mistake: exits [`EXIT_USAGE`].
    pub(super) fn usage(message: impl fmt::Display) -> Failure {
        Failure {
            message: message.to_string(),
            code: EXIT_USAGE,
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Failure {}

/// Writes to standard output; a failure says it was the output that could
/// not be written. The body of [`out!`] and [`outln!`].
pub(super) fn print(args: fmt::Arguments<'_>) -> anyhow::Result<()> {
    io::stdout()
        .lock()
        .write_fmt(args)
        .context("cannot write the output")
}

/// `print!` to standard output that returns the write's error instead of
/// panicking: `out!(…)?`.
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::cli::output::print(format_args!($($arg)*))
    };
}

/// `println!` in the same way as [`out!`].
macro_rules! outln {
    ($($arg:tt)*) => {
        $crate::cli::output::print(format_args!("{}\n", format_args!($($arg)*)))
    };
}

pub(super) use {out, outln};

/// The exit code of a command's result, once its failure is said on
/// stderr: a [`Failure`] as worded, with its code. Any other error is from
/// writing standard output: a closed pipe ends the command quietly and
/// successfully (its reader wanted no more); anything else is said.
pub(super) fn exit_code(result: anyhow::Result<ExitCode>) -> ExitCode {
    let err = match result {
        Ok(code) => return code,
        Err(err) => err,
    };
    if let Some(failure) = err.downcast_ref::<Failure>() {
        eprintln!("{failure}");
        return ExitCode::from(failure.code);
    }
    if err
        .downcast_ref::<io::Error>()
        .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
    {
        return ExitCode::SUCCESS;
    }
    eprintln!("faqbot: {err:#}");
    ExitCode::FAILURE
}
