#!/bin/sh
# Conformance ratchet: runs Pacemaker's scheduler suite against our
# crm_simulate and fails if any case listed in a ratchet file no longer
# passes at that file's level:
#   summary.pass  the "summary" level (cluster status and Transition Summary)
#   graph.pass    the "graph" level (transition graph actions and inputs)
#   graph-attrs.pass  the "graph-attrs" level (the same plus every action's
#                 attributes: parameters and CRM_meta_* values)
#   scores.pass   the "scores" level (crm_simulate -s allocation and
#                 promotion scores, compared as sorted lines)
# Newly passing cases are reported so the lists can grow.
#
# Usage: libpacemaker/conformance/check.sh [path/to/crm_simulate]
# Environment: RUNNER (default ../shared/tools/scheduler-conformance next to
# the repository), JOBS (default 1).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
sim=${1:-"$repo/target/release/crm_simulate"}
runner=${RUNNER:-"$repo/../shared/tools/scheduler-conformance"}
[ -x "$runner" ] || runner=/work/shared/tools/scheduler-conformance
jobs=${JOBS:-1}

if [ ! -x "$sim" ]; then
    echo "check.sh: simulator $sim not found (cargo build --release -p crm_simulate)" >&2
    exit 2
fi

json=$(mktemp)
trap 'rm -f "$json"' EXIT
# The runner exits 1 when any case fails; only the ratchet decides here.
"$runner" --sim "$sim" -j "$jobs" -q --json "$json" >/dev/null || true

python3 - "$json" "$here" <<'PY'
import json, os, sys
results = json.load(open(sys.argv[1]))
failed = False
for level, name in (("summary", "summary.pass"), ("graph", "graph.pass"), ("graph-attrs", "graph-attrs.pass"), ("scores", "scores.pass")):
    path = os.path.join(sys.argv[2], name)
    status = {c["name"]: c["levels"].get(level) for c in results["cases"]}
    expected = [l.strip() for l in open(path) if l.strip() and not l.startswith("#")]
    regressed = [n for n in expected if status.get(n) != "pass"]
    newly = sorted(n for n, s in status.items() if s == "pass" and n not in set(expected))
    passing = sum(1 for s in status.values() if s == "pass")
    print(f"{level} level: {passing}/{len(status)} pass; {name} lists {len(expected)}")
    if newly:
        print(f"{len(newly)} newly passing (add them to {name}):")
        for n in newly:
            print("  " + n)
    if regressed:
        print(f"{len(regressed)} REGRESSED at the {level} level:")
        for n in regressed:
            print("  " + n)
        failed = True
sys.exit(1 if failed else 0)
PY
