//! Memory per distinct FAQ, for `docs/scaling.md`: the process's resident
//! memory after loading the semantic model, then after each of `COPIES`
//! engines of one FAQ folder (each a distinct engine, as distinct server
//! folders are), and the growth per engine. The vector cache is turned
//! off, so every engine embeds its phrasings as a new folder would on a
//! cold start.
//!
//! ```text
//! cargo run --release --example footprint -- faq 8
//! cargo run --release --example footprint -- /tmp/faq-1000 8
//! ```

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use faqbot::answer::engine::{Engine, MatchingConfig, Settings};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The process's resident memory, in MiB (Linux).
fn rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
        .map_or(0.0, |kib| kib / 1024.0)
}

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let (Some(dir), copies) = (args.next().map(PathBuf::from), args.next()) else {
        eprintln!("usage: footprint FAQ_DIR [COPIES]");
        return ExitCode::from(2);
    };
    let copies: usize = copies.and_then(|c| c.parse().ok()).unwrap_or(8);
    let settings = Settings {
        matching: MatchingConfig {
            cache: Some(PathBuf::new()),
            ..MatchingConfig::default()
        },
        ..Settings::default()
    };
    let start = rss_mib();
    if let Err(e) = faqbot::answer::matching::semantic::shared_model(None) {
        eprintln!("footprint: {e}");
        return ExitCode::FAILURE;
    }
    let with_model = rss_mib();
    println!("start {start:.1} MiB; with the model {with_model:.1} MiB");
    let mut engines = Vec::new();
    let mut last = with_model;
    for i in 1..=copies {
        let began = Instant::now();
        match Engine::load(&dir, &settings) {
            Ok(engine) => {
                let entries = engine.faq.entries.len();
                engines.push(engine);
                let now = rss_mib();
                println!(
                    "engine {i}: {entries} entries, +{:.1} MiB (total {now:.1} MiB), built in {:.2} s",
                    now - last,
                    began.elapsed().as_secs_f64()
                );
                last = now;
            }
            Err(errors) => {
                for e in errors {
                    eprintln!("{e}");
                }
                return ExitCode::FAILURE;
            }
        }
    }
    let per = (last - with_model) / copies as f64;
    println!(
        "{copies} engines of {}: {per:.2} MiB each on average (model shared: {:.1} MiB once)",
        dir.display(),
        with_model - start
    );
    ExitCode::SUCCESS
}
