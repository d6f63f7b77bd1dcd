#!/usr/bin/env python3
"""faqbot against rapidfuzz on the synthetic scale FAQs, in the same run.

Usage:
  python3 ../shared/bench/make_scale.py /tmp/bench-scale      # the data
  cargo build --release
  python3 -m venv /tmp/rf && /tmp/rf/bin/pip install rapidfuzz==3.14.6
  /tmp/rf/bin/python bench/compare_rapidfuzz.py /tmp/bench-scale [--sizes 1000,10000,100000] [--budget 30]

For each size it imports faq_N.jsonl with `faqbot import`, times faqbot on
queries_N.jsonl with `faqbot eval --json --details` (one thread, ranking
time only, index built beforehand), and times rapidfuzz
`process.extractOne(q, choices, scorer=fuzz.token_set_ratio)` over the same
phrasings (question + alternatives, processed once with
utils.default_process), running queries in file order until done or
--budget seconds have passed. Prints one JSON line per size: both
questions/second, their ratio, and both top-1 accuracies on the in-scope
(typo'd) queries.
"""
import argparse
import json
import os
import subprocess
import tempfile
import time

from rapidfuzz import fuzz, process, utils


def load(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def faqbot_run(binary, faq_jsonl, queries_jsonl):
    with tempfile.TemporaryDirectory() as tmp:
        faq_dir = os.path.join(tmp, "faq")
        subprocess.run([binary, "import", faq_jsonl, "--out", faq_dir], check=True, capture_output=True)
        details = os.path.join(tmp, "details.jsonl")
        out = subprocess.run([binary, "eval", "--faq", faq_dir, queries_jsonl, "--json", "--details", details],
                             check=True, capture_output=True, text=True).stdout
        rows = load(details)
    qps = json.loads(out)["questions_per_second"]
    in_scope = [r for r in rows if r["expect"]]
    right = sum(1 for r in in_scope if r["top"] and r["top"][0]["id"] in r["expect"])
    return qps, right / len(in_scope) if in_scope else None


def rapidfuzz_run(faq, queries, budget):
    choices, owner = [], []
    for e in faq:
        for t in [e["question"]] + e.get("alternatives", []):
            choices.append(utils.default_process(t))
            owner.append(e["id"])
    done = right = n_in = 0
    t0 = time.perf_counter()
    for q in queries:
        r = process.extractOne(utils.default_process(q["text"]), choices,
                               scorer=fuzz.token_set_ratio, processor=None)
        done += 1
        if q["expect"] is not None:
            n_in += 1
            right += owner[r[2]] == q["expect"]
        if done >= 20 and time.perf_counter() - t0 > budget:
            break
    return done / (time.perf_counter() - t0), right / n_in if n_in else None, done


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("scale_dir")
    ap.add_argument("--sizes", default="1000,10000,100000")
    ap.add_argument("--budget", type=float, default=30)
    ap.add_argument("--faqbot", default="target/release/faqbot")
    a = ap.parse_args()
    for n in (int(x) for x in a.sizes.split(",")):
        faq_path = os.path.join(a.scale_dir, f"faq_{n}.jsonl")
        queries_path = os.path.join(a.scale_dir, f"queries_{n}.jsonl")
        fb_qps, fb_top1 = faqbot_run(a.faqbot, faq_path, queries_path)
        rf_qps, rf_top1, rf_done = rapidfuzz_run(load(faq_path), load(queries_path), a.budget)
        print(json.dumps({
            "entries": n,
            "faqbot_qps": round(fb_qps),
            "rapidfuzz_token_set_qps": round(rf_qps, 2),
            "rapidfuzz_queries_timed": rf_done,
            "speedup": round(fb_qps / rf_qps, 1),
            "faqbot_top1_in_scope": fb_top1,
            "rapidfuzz_top1_in_scope": rf_top1,
        }), flush=True)


if __name__ == "__main__":
    main()
