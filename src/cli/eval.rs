//! `faqbot eval`: the matcher measured on labelled questions, printed as
//! text or JSON, with a threshold sweep, the misses and per-question
//! details on request.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use super::load::model_failed;
use super::output::{outln, Failure};
use crate::answer::engine::build_matcher;
use crate::answer::matching::Thresholds;
use crate::cli::config::Config;
use crate::faq::Faq;
use crate::moderation::eval;

/// The output switches of `faqbot eval`.
pub(super) struct EvalFlags {
    pub(super) json: bool,
    pub(super) sweep: bool,
    pub(super) misses: bool,
    pub(super) details: Option<PathBuf>,
}

/// `faqbot eval`: the config's matcher on the questions in `queries`.
pub(super) fn cmd_eval(
    faq: &Faq,
    config: &Config,
    queries: &Path,
    flags: &EvalFlags,
) -> anyhow::Result<ExitCode> {
    let (json, sweep, show_misses) = (flags.json, flags.sweep, flags.misses);
    let cases = crate::moderation::questions::load_cases(queries)
        .map_err(|e| Failure::usage(format!("faqbot: {e}")))?;
    let t = config.matching.thresholds();
    let built = Instant::now();
    let matcher =
        build_matcher(faq, &config.matching, config.scoring).map_err(|e| model_failed(&e))?;
    let build_ms = built.elapsed().as_secs_f64() * 1000.0;
    let (ranked, qps) = eval::rank_all(&matcher, &cases);
    let m = eval::metrics(faq, &cases, &ranked, t);
    let points: Vec<(f32, eval::Metrics)> = if sweep {
        eval::sweep_points()
            .map(|a| {
                let t = Thresholds {
                    answer: a,
                    suggest: t.suggest.min(a),
                    suggest_others: t.suggest_others.min(a),
                    ..t
                };
                (a, eval::metrics(faq, &cases, &ranked, t))
            })
            .collect()
    } else {
        Vec::new()
    };
    if json {
        let v = serde_json::json!({
            "queries": queries.display().to_string(),
            "thresholds": t,
            "metrics": m,
            "questions_per_second": qps.round(),
            "index_build_ms": build_ms,
            "sweep": points.iter().map(|(a, m)| serde_json::json!({"answer": a, "metrics": m})).collect::<Vec<_>>(),
        });
        outln!("{v}")?;
    } else {
        let pct = |x: f64| format!("{:5.1}%", x * 100.0);
        let unlabelled = if m.n_unlabelled > 0 {
            format!(", {} unlabelled", m.n_unlabelled)
        } else {
            String::new()
        };
        outln!(
            "{}: {} questions ({} in scope, {} out of scope{unlabelled}); FAQ: {} entries",
            queries.display(),
            cases.len(),
            m.n_in_scope,
            m.n_oos,
            faq.entries.len()
        )?;
        outln!(
            "thresholds: answer {:.3}, margin {:.3}, suggest {:.3} (others {:.3})",
            t.answer,
            t.margin,
            t.suggest,
            t.suggest_others
        )?;
        if m.n_unlabelled > 0 {
            let [a, s, f] = m.unlabelled_outcomes;
            let share = |n: usize| pct(n as f64 / m.n_unlabelled as f64);
            outln!(
                "  unlabelled questions: {} answered, {} suggestions, {} topic menu ({a} / {s} / {f})",
                share(a),
                share(s),
                share(f)
            )?;
        }
        let labelled = m.n_in_scope + m.n_oos > 0;
        if labelled {
            outln!("  answered right          {}", pct(m.answer_acc))?;
            outln!("  answered wrong          {}", pct(m.wrong_answer))?;
            outln!(
                "  right entry shown       {}  (in the answer or the suggestions shown)",
                pct(m.top3_recall_shown)
            )?;
            outln!("  right entry in top 3    {}", pct(m.top3_recall))?;
            outln!("  out-of-scope answered   {}", pct(m.oos_false_answer))?;
            outln!("  combined accuracy       {}", pct(m.combined_acc))?;
            outln!("  balanced accuracy       {}", pct(m.balanced_acc))?;
            outln!(
            "  outcomes in scope: {} answer, {} suggest, {} fallback; out of scope: {} answer, {} suggest, {} fallback",
            m.in_scope_outcomes[0],
            m.in_scope_outcomes[1],
            m.in_scope_outcomes[2],
            m.oos_outcomes[0],
            m.oos_outcomes[1],
            m.oos_outcomes[2]
        )?;
        }
        outln!("  speed: {qps:.0} questions/second (one thread); index built in {build_ms:.1} ms")?;
        if matcher.semantic().is_some() {
            // A question the words settle skips the model (see
            // `matching::fusion`): its best entry has no semantic score.
            let skipped = ranked
                .iter()
                .filter(|r| r.top.first().is_some_and(|s| s.semantic.is_none()))
                .count();
            outln!(
                "  semantic stage: on; {skipped} of {} questions settled by words alone (model skipped)",
                cases.len()
            )?;
        } else {
            outln!("  semantic stage: off (words only)")?;
        }
        if sweep {
            outln!("\nanswer  right  wrong  shown  oos-ans  combined  balanced")?;
            for (a, m) in &points {
                outln!(
                    "{a:6.3} {} {} {} {}   {}    {}",
                    pct(m.answer_acc),
                    pct(m.wrong_answer),
                    pct(m.top3_recall_shown),
                    pct(m.oos_false_answer),
                    pct(m.combined_acc),
                    pct(m.balanced_acc)
                )?;
            }
        }
    }
    if show_misses {
        for line in eval::misses(faq, &cases, &ranked, t) {
            eprintln!("{line}");
        }
    }
    if let Some(path) = &flags.details {
        let lines: String = eval::details(faq, &cases, &ranked)
            .iter()
            .map(|v| format!("{v}\n"))
            .collect();
        std::fs::write(path, lines)
            .map_err(|e| Failure::new(format!("faqbot: cannot write {}: {e}", path.display())))?;
    }
    Ok(ExitCode::SUCCESS)
}
