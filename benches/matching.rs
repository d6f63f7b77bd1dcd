//! Time to answer one question (`Matcher::ask`) and to build the index, at
//! the seed FAQ's size and on synthetic FAQs of 1,000 to 100,000 entries.
//! `cargo bench`; criterion prints the median per question.
//!
//! When the benchmark data is on the machine it is timed too, with its own
//! queries: CLINC150 (`$FAQBOT_BENCH_DIR/clinc150`, default
//! `../shared/bench`; val queries) and `make_scale.py`'s typo'd FAQs
//! (`$FAQBOT_SCALE_DIR`, default `/tmp/bench-scale`).

use std::path::{Path, PathBuf};

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use faqbot::answer::matching::{Matcher, Thresholds};
use faqbot::faq::{load_dir, Faq};
use faqbot::moderation::questions::load_cases;

#[path = "../tests/it/support/synthetic.rs"]
mod synthetic;
use faqbot::moderation::import::{import, Format};
use synthetic::synthetic_faq;

/// The allocator the `faqbot` binary uses (see `src/main.rs`), so that what
/// is timed is what ships.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Questions for an FAQ: its own phrasings with a letter dropped (the
/// typo'd in-scope case) and the same words shuffled between entries.
fn questions(faq: &Faq) -> Vec<String> {
    let step = (faq.entries.len() / 50).max(1);
    let mut out = Vec::new();
    for (i, e) in faq.entries.iter().enumerate().step_by(step) {
        let mut q = e.question.clone();
        if q.len() > 6 {
            q.remove(q.len() / 2);
        }
        out.push(q);
        let other = &faq.entries[(i * 7 + 3) % faq.entries.len()];
        out.push(format!(
            "{} {}",
            e.alternatives.first().unwrap_or(&e.question),
            other.question
        ));
    }
    out
}

fn ask(c: &mut Criterion) {
    let mut group = c.benchmark_group("ask");
    let seed = load_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("faq").as_path())
        .faq
        .expect("the bundled FAQ is valid");
    let mut faqs = vec![("seed", seed)];
    for n in [1_000, 10_000, 100_000] {
        faqs.push((
            if n == 1_000 {
                "1k"
            } else if n == 10_000 {
                "10k"
            } else {
                "100k"
            },
            synthetic_faq(n, 150),
        ));
    }
    let mut faqs: Vec<(String, Faq, Vec<String>)> = faqs
        .into_iter()
        .map(|(name, faq)| {
            let qs = questions(&faq);
            (name.to_string(), faq, qs)
        })
        .collect();
    faqs.extend(benchmark_data());
    for (name, faq, qs) in &faqs {
        let matcher = Matcher::new(faq, Thresholds::default());
        let mut i = 0;
        group.bench_function(
            BenchmarkId::new(
                "question",
                format!("{name} ({} entries)", faq.entries.len()),
            ),
            |b| {
                b.iter(|| {
                    i = (i + 1) % qs.len();
                    matcher.ask(&qs[i])
                })
            },
        );
    }
    group.finish();
}

/// The benchmark FAQs found on this machine, imported, with their queries.
fn benchmark_data() -> Vec<(String, Faq, Vec<String>)> {
    let bench = std::env::var_os("FAQBOT_BENCH_DIR").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/bench"),
        PathBuf::from,
    );
    let scale = std::env::var_os("FAQBOT_SCALE_DIR")
        .map_or_else(|| PathBuf::from("/tmp/bench-scale"), PathBuf::from);
    let mut sets = vec![(
        "clinc150".to_string(),
        bench.join("clinc150/faq.jsonl"),
        bench.join("clinc150/val.jsonl"),
    )];
    for n in [1_000, 10_000, 100_000] {
        sets.push((
            format!("make_scale {n}"),
            scale.join(format!("faq_{n}.jsonl")),
            scale.join(format!("queries_{n}.jsonl")),
        ));
    }
    sets.into_iter()
        .filter_map(|(name, faq, queries)| {
            let out = std::env::temp_dir().join(format!("faqbot-bench-{}", name.replace(' ', "-")));
            import(&faq, Format::JsonLines, &out, true).ok()?;
            let faq = load_dir(&out).faq?;
            let qs = load_cases(&queries)
                .ok()?
                .into_iter()
                .map(|c| c.text)
                .collect();
            Some((name, faq, qs))
        })
        .collect()
}

fn build(c: &mut Criterion) {
    let mut group = c.benchmark_group("index");
    group.sample_size(10);
    let faq = synthetic_faq(10_000, 150);
    group.bench_function("build 10k entries", |b| {
        b.iter(|| Matcher::new(&faq, Thresholds::default()))
    });
    group.finish();
}

criterion_group!(benches, ask, build);
criterion_main!(benches);
