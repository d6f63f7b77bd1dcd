//! Times the semantic model on one question at a time: tokenizing, the
//! forward pass, and the whole embedding, median over the questions of a
//! file (JSON lines with `text`, or one question per line).
//!
//! ```text
//! RAYON_NUM_THREADS=1 CANDLE_NUM_THREADS=1 cargo run --release --example embed_time -- \
//!     ../shared/bench/clinc150/val.jsonl 300
//! ```

use std::time::{Duration, Instant};

use faqbot::answer::matching::semantic::Model;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let mut args = std::env::args().skip(1);
    let file = args
        .next()
        .unwrap_or_else(|| "../shared/bench/clinc150/val.jsonl".into());
    let n: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(300);
    let text = std::fs::read_to_string(&file).unwrap_or_default();
    let questions: Vec<String> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l)
                .ok()
                .and_then(|v| v.get("text").and_then(|t| t.as_str()).map(String::from))
                .unwrap_or_else(|| l.to_string())
        })
        .take(n)
        .collect();
    let started = Instant::now();
    let model = match Model::bundled() {
        Ok(m) => m,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    };
    println!("model loaded in {:?}", started.elapsed());
    let mut times: Vec<Duration> = Vec::new();
    for q in &questions {
        let t = Instant::now();
        let _ = model.embed(&[q.as_str()]);
        times.push(t.elapsed());
    }
    times.sort();
    let median = times[times.len() / 2];
    let mean = times.iter().sum::<Duration>() / times.len() as u32;
    println!(
        "{} questions: median {:.2} ms, mean {:.2} ms, p90 {:.2} ms",
        times.len(),
        median.as_secs_f64() * 1e3,
        mean.as_secs_f64() * 1e3,
        times[times.len() * 9 / 10].as_secs_f64() * 1e3
    );
}
