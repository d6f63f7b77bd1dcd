#!/usr/bin/env python3
"""How many benchmark questions share no content word with their entry.

A word matcher finds an entry through the words a question shares with its
phrasings; a question that shares no content word (after Snowball stemming,
counting faqbot's synonym groups) can only be found through function words.
This prints the share of such in-scope questions: the part of a benchmark
no word matcher can be expected to rank well.

Usage (needs nltk for the stemmer: pip install nltk):
    python3 bench/word_overlap.py ../shared/bench/clinc150/faq.jsonl \
        ../shared/bench/clinc150/queries.jsonl
"""
import json
import os
import re
import sys

from nltk.stem.snowball import SnowballStemmer

HERE = os.path.dirname(os.path.abspath(__file__))
stem = SnowballStemmer("english").stem

src = open(os.path.join(HERE, "..", "src", "matching", "normalize.rs"), encoding="utf-8").read()
block = src[src.index("const STOPWORDS"):]
STOP = set(re.findall(r'"([^"]+)"', block[: block.index("];")]))

SYN = {}
for line in open(os.path.join(HERE, "..", "src", "matching", "synonyms.txt"), encoding="utf-8"):
    if line.startswith("#") or not line.strip():
        continue
    group = [stem(w) for w in line.split()]
    for w in group:
        SYN.setdefault(w, set()).update(group)


def content(text):
    out = set()
    for w in re.findall(r"[a-z0-9]+", text.lower()):
        if w not in STOP:
            s = stem(w)
            out.add(s)
            out |= SYN.get(s, set())
    return out


faq = {}
with open(sys.argv[1], encoding="utf-8") as f:
    for line in f:
        e = json.loads(line)
        faq[e["id"]] = set().union(*(content(p) for p in [e["question"]] + e.get("alternatives", [])))
n = none = 0
with open(sys.argv[2], encoding="utf-8") as f:
    for line in f:
        q = json.loads(line)
        if q["expect"] is None:
            continue
        n += 1
        none += not (content(q["text"]) & faq[q["expect"]])
print(f"{n} in-scope questions; {none} ({none / n * 100:.1f} %) share no content word with their entry")
