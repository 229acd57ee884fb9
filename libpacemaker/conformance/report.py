#!/usr/bin/env python3
"""Prints the CONFORMANCE.md tables from a scheduler-conformance --json file.

Usage: report.py RESULTS.json [CORPUS_DIR]
"""
import collections
import json
import os
import sys

LEVELS = ["summary", "exec", "summary-exact", "scores", "graph", "graph-attrs", "graph-exact", "clean"]

results = json.load(open(sys.argv[1]))
corpus = sys.argv[2] if len(sys.argv) > 2 else "/work/shared/scheduler-corpus"
cases = results["cases"]

print("| level | pass | fail |")
print("|---|---:|---:|")
for level in LEVELS:
    passed = sum(1 for c in cases if c["levels"].get(level) == "pass")
    print(f"| {level} | {passed} | {len(cases) - passed} |")

# Upstream groups have no names; label each by its first case.
groups = collections.OrderedDict()
tsv = os.path.join(corpus, "cases.tsv")
if os.path.exists(tsv):
    for line in open(tsv):
        if line.startswith("#") or not line.strip():
            continue
        name, group = line.rstrip("\n").split("\t")[:2]
        groups.setdefault(group, []).append(name)
status = {c["name"]: c["levels"] for c in cases}
print()
print("| group (first case) | cases | summary | graph |")
print("|---|---:|---:|---:|")
for group, names in groups.items():
    names = [n for n in names if n in status]
    s = sum(1 for n in names if status[n].get("summary") == "pass")
    g = sum(1 for n in names if status[n].get("graph") == "pass")
    print(f"| {group} ({names[0] if names else '-'}) | {len(names)} | {s} | {g} |")
