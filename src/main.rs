//! The `faqbot` binary: parse the command line, start logging, run.

use std::process::ExitCode;

use clap::Parser;

/// mimalloc: loading and indexing a big FAQ makes millions of small
/// allocations, which glibc's allocator spends much of the time on.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = faqbot::cli::Cli::parse();
    faqbot::cli::logging::init(cli.log_level(), cli.log_format);
    faqbot::cli::run(cli)
}
