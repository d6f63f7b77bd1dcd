//! Times answering questions one by one (`Matcher::rank_top` for the top
//! [`MAX_SUGGESTIONS`], as `faqbot eval` and the bot do), for measuring the
//! "a question at 100,000 entries in < 1 ms" target per question rather
//! than as `eval`'s mean:
//!
//! ```text
//! cargo run --release --example ask_time -- /tmp/scale-100000 \
//!     /tmp/bench-scale/queries_100000.jsonl 5
//! ```
//!
//! Each question is asked RUNS times and keeps its fastest time (the least
//! disturbed by other work on the machine); prints the median, mean, 90th
//! percentile and slowest of those.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use faqbot::answer::matching::{Matcher, Thresholds, MAX_SUGGESTIONS};

/// The allocator the `faqbot` binary uses (see `src/main.rs`), so that what
/// is timed is what ships.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let (Some(dir), Some(queries)) = (
        args.next().map(PathBuf::from),
        args.next().map(PathBuf::from),
    ) else {
        eprintln!("usage: ask_time FAQ_DIR QUERIES [RUNS]");
        return ExitCode::FAILURE;
    };
    let runs = args
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or(5usize)
        .max(1);
    let Some(faq) = faqbot::faq::load_dir(&dir).faq else {
        eprintln!("{}: not a valid FAQ", dir.display());
        return ExitCode::FAILURE;
    };
    let cases = match faqbot::moderation::questions::load_cases(&queries) {
        Ok(cases) if !cases.is_empty() => cases,
        Ok(_) => {
            eprintln!("{}: no questions", queries.display());
            return ExitCode::FAILURE;
        }
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let matcher = Matcher::new(&faq, Thresholds::default());
    let mut best = vec![Duration::MAX; cases.len()];
    for _ in 0..runs {
        for (c, best) in cases.iter().zip(&mut best) {
            let start = Instant::now();
            std::hint::black_box(matcher.rank_top(&c.text, MAX_SUGGESTIONS));
            *best = (*best).min(start.elapsed());
        }
    }
    let mean = best.iter().sum::<Duration>() / best.len() as u32;
    best.sort();
    let at = |q: f64| best[((best.len() - 1) as f64 * q).round() as usize];
    println!(
        "{} entries, {} questions x {runs}: median {:.3?}, mean {mean:.3?}, p90 {:.3?}, max {:.3?}",
        faq.entries.len(),
        best.len(),
        at(0.5),
        at(0.9),
        at(1.0)
    );
    ExitCode::SUCCESS
}
