#!/bin/sh
# Conformance ratchet: runs Pacemaker's scheduler suite against our
# crm_simulate and fails if any case listed in summary.pass no longer passes
# at the summary level. Newly passing cases are reported so the list can grow.
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
list="$here/summary.pass"

if [ ! -x "$sim" ]; then
    echo "check.sh: simulator $sim not found (cargo build --release -p crm_simulate)" >&2
    exit 2
fi

json=$(mktemp)
trap 'rm -f "$json"' EXIT
# The runner exits 1 when any case fails; only the ratchet decides here.
"$runner" --sim "$sim" -j "$jobs" -q --json "$json" >/dev/null || true

python3 - "$json" "$list" <<'PY'
import json, sys
results = json.load(open(sys.argv[1]))
status = {c["name"]: c["levels"].get("summary") for c in results["cases"]}
expected = [l.strip() for l in open(sys.argv[2]) if l.strip() and not l.startswith("#")]
regressed = [n for n in expected if status.get(n) != "pass"]
newly = sorted(n for n, s in status.items() if s == "pass" and n not in set(expected))
passing = sum(1 for s in status.values() if s == "pass")
print(f"summary level: {passing}/{len(status)} pass; ratchet lists {len(expected)}")
if newly:
    print(f"{len(newly)} newly passing (add them to summary.pass):")
    for n in newly:
        print("  " + n)
if regressed:
    print(f"{len(regressed)} REGRESSED:")
    for n in regressed:
        print("  " + n)
    sys.exit(1)
PY
