//! What the commands print on standard output, and what happens when it is
//! closed or cannot be written.

use std::io;

/// Exit code for a usage or configuration mistake (clap uses it too).
pub(super) const EXIT_USAGE: u8 = 2;

/// `print!` to standard output that does not panic when the output is
/// closed early (`faqbot ask < questions | head`): the command stops
/// quietly instead, as command-line tools do.
macro_rules! out {
    ($($arg:tt)*) => {{
        if let Err(e) = std::io::Write::write_fmt(&mut std::io::stdout().lock(), format_args!($($arg)*)) {
            $crate::cli::output::stdout_failed(e);
        }
    }};
}

/// `println!` in the same way as [`out!`].
macro_rules! outln {
    ($($arg:tt)*) => {{
        if let Err(e) = std::io::Write::write_fmt(&mut std::io::stdout().lock(), format_args!("{}\n", format_args!($($arg)*))) {
            $crate::cli::output::stdout_failed(e);
        }
    }};
}

/// Standard output is gone: a closed pipe ends the command quietly (its
/// reader wanted no more); any other failure is said on stderr.
pub(super) fn stdout_failed(e: io::Error) -> ! {
    if e.kind() == io::ErrorKind::BrokenPipe {
        std::process::exit(0);
    }
    eprintln!("faqbot: cannot write the output: {e}");
    std::process::exit(1);
}

pub(super) use {out, outln};
