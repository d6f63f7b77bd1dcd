//! Times [`faqbot::faq::load_dir`] alone (no matcher index), for measuring
//! the loading side of the "100,000 entries in < 2 s" target:
//!
//! ```text
//! cargo run --release --example load_time -- /tmp/scale-100000 5
//! ```
//!
//! Prints each run's time, then the fastest and the median.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// The allocator the `faqbot` binary uses (see `src/main.rs`), so that what
/// is timed is what ships.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let Some(dir) = args.next().map(PathBuf::from) else {
        eprintln!("usage: load_time FAQ_DIR [RUNS]");
        return ExitCode::FAILURE;
    };
    let runs = args
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(5usize)
        .max(1);
    let mut times: Vec<Duration> = Vec::new();
    for run in 1..=runs {
        let start = Instant::now();
        let report = faqbot::faq::load_dir(&dir);
        let took = start.elapsed();
        let entries = report.faq.as_ref().map_or(0, |f| f.entries.len());
        println!(
            "run {run}: {took:.3?} ({} files, {entries} entries, {} diagnostics)",
            report.files,
            report.diagnostics.len()
        );
        times.push(took);
    }
    times.sort();
    println!(
        "fastest {:.3?}, median {:.3?}",
        times[0],
        times[times.len() / 2]
    );
    ExitCode::SUCCESS
}
