#!/bin/bash
# Scheduler benchmark: our crm_simulate against Debian's Pacemaker 2.1.5
# crm_simulate on large generated CIBs, in the same run, on the same files.
#
# Usage: libpacemaker/benches/sched-bench.sh [--quick] [--runs N] [--simulate]
#            [--only NAMES] [--timeout SECONDS] [--ours PATH]
#            [--reference PATH] [--keep DIR]
#
#   --quick       only the 16 nodes x 1000 primitives fresh input
#   --only NAMES  only these inputs (comma-separated: fresh-16x1000,
#                 converged-16x1000, fresh-32x2000, clones-100x100)
#   --runs N      runs per tool and input, interleaved; the best is reported
#                 (default 3)
#   --simulate    run both with -S (simulate the transition) instead of -R.
#                 Pacemaker's -S executes every action against a file-backed
#                 CIB and takes far longer than scheduling on the fresh inputs
#                 (over half an hour for 16 x 1000); see README.md.
#   --timeout S   give up on one run after S seconds (default 3600)
#   --ours PATH   our crm_simulate (default: built with cargo, release)
#   --reference PATH  the C crm_simulate (default /usr/sbin/crm_simulate)
#   --keep DIR    write inputs and outputs to DIR and keep them
#
# For every input it prints the best wall-clock and CPU (user + system)
# seconds of each tool, the ratios reference/ours, and whether both print the
# same Transition Summary (compared ignoring white space, as Pacemaker's own
# regression tests compare). On a machine shared with other work, the CPU
# ratio is the steadier figure.
# Exit status: 0 if every Transition Summary matched, 1 otherwise, 2 on
# usage or setup errors.
set -u

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
quick=0
runs=3
mode=-R
timeout_s=3600
ours=
reference=/usr/sbin/crm_simulate
keep=
only=

die() { echo "sched-bench: $*" >&2; exit 2; }

while [ $# -gt 0 ]; do
    case $1 in
        --quick) quick=1 ;;
        --runs) runs=${2:?--runs needs a number}; shift ;;
        --simulate) mode=-S ;;
        --timeout) timeout_s=${2:?--timeout needs seconds}; shift ;;
        --ours) ours=${2:?--ours needs a path}; shift ;;
        --reference) reference=${2:?--reference needs a path}; shift ;;
        --keep) keep=${2:?--keep needs a directory}; shift ;;
        --only) only=${2:?--only needs input names}; shift ;;
        -h|--help) sed -n '2,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown argument: $1 (see --help)" ;;
    esac
    shift
done
case $runs in ''|*[!0-9]*|0) die "--runs needs a positive number" ;; esac

[ -x "$reference" ] || die "reference crm_simulate $reference not found"
if [ -z "$ours" ]; then
    target=${CARGO_TARGET_DIR:-$repo/target}
    (cd "$repo" && cargo build --release -q -p crm_simulate) || die "cargo build failed"
    ours=$target/release/crm_simulate
fi
[ -x "$ours" ] || die "our crm_simulate $ours not found"

if [ -n "$keep" ]; then
    work=$keep
    mkdir -p "$work" || die "cannot create $work"
else
    work=$(mktemp -d) || die "mktemp failed"
    trap 'rm -rf "$work"' EXIT
fi
gen=$here/gen-cib.py

# The converged inputs need the digests Pacemaker records for a parameterless
# Dummy: take them from a small run of the reference simulator.
"$gen" primitives 2 45 > "$work/digests.xml" || die "generator failed"
LC_ALL=C "$reference" -x "$work/digests.xml" -S -Q -O "$work/digests-out.xml" \
    > /dev/null 2>&1 || die "reference crm_simulate failed on the digest input"
digest_of() {
    grep -o "operation_key=\"$1\"[^>]*" "$work/digests-out.xml" \
        | grep -o 'op-digest="[^"]*"' | head -1 | cut -d'"' -f2
}
start_digest=$(digest_of r1_start_0)
monitor10_digest=$(digest_of r1_monitor_10000)
monitor30_digest=$(digest_of base_monitor_30000)
[ -n "$start_digest" ] && [ -n "$monitor10_digest" ] && [ -n "$monitor30_digest" ] \
    || die "could not find the op digests in the reference's output"

# name|generator arguments|description
inputs="fresh-16x1000|primitives 16 1000|16 nodes, 1000 primitives, nothing running"
if [ "$quick" = 0 ]; then
    inputs="$inputs
converged-16x1000|primitives 16 1000 --converged $start_digest $monitor10_digest $monitor30_digest|16 nodes, 1000 primitives, running with history
fresh-32x2000|primitives 32 2000|32 nodes, 2000 primitives, nothing running
clones-100x100|clones 100 100|100 nodes, 100 anonymous clones, nothing running"
fi
if [ -n "$only" ]; then
    inputs=$(echo "$inputs" | grep -E "^(${only//,/|})\|")
    [ -n "$inputs" ] || die "--only matches no input"
fi

# Runs one simulator on one input; prints "wall cpu" seconds, or "timeout"/"failed".
time_run() {  # simulator input output
    local sim=$1 input=$2 out=$3 times rc
    times=$( { TIMEFORMAT='%R %U %S'; time LC_ALL=C timeout "$timeout_s" \
        "$sim" -x "$input" "$mode" > "$out" 2> "$out.stderr"; } 2>&1 )
    rc=$?
    if [ "$rc" = 124 ]; then echo timeout; return; fi
    if [ "$rc" != 0 ]; then echo failed; return; fi
    awk -v t="$times" 'BEGIN { split(t, f, " "); printf "%s %.3f\n", f[1], f[2] + f[3] }'
}

# The Transition Summary section, white space collapsed, blank lines dropped.
summary_of() {
    awk '/^Transition Summary:/ { on = 1; next }
         on && /^[^ ]/ { exit }
         on { gsub(/[ \t]+/, " "); sub(/ $/, ""); if (length($0)) print }' "$1"
}

best() {  # "wall cpu" lines -> min wall, min cpu (or the failure word)
    awk 'NF == 2 { if (!n || $1 < w) w = $1; if (!n || $2 < c) c = $2; n++ }
         NF == 1 { bad = $1 }
         END { if (n) printf "%.3f %.3f\n", w, c; else print (bad ? bad : "failed") }'
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.0fx", a / b; else print "-" }'; }

echo "# reference: $reference ($(LC_ALL=C "$reference" --version 2>/dev/null | head -1))"
echo "# ours:      $ours"
echo "# mode: crm_simulate -x FILE $mode, best of $runs, interleaved; $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-18s %9s %9s %9s %9s %8s %8s  %s\n' input C-wall C-cpu ours-wall ours-cpu wall-x cpu-x "Transition Summary"
status=0
while IFS='|' read -r name args description; do
    input=$work/$name.xml
    # shellcheck disable=SC2086  # the generator arguments are words
    "$gen" $args > "$input" || die "generator failed for $name"
    c_times=$work/$name.c.times; ours_times=$work/$name.ours.times
    : > "$c_times"; : > "$ours_times"
    for _ in $(seq "$runs"); do
        time_run "$reference" "$input" "$work/$name.c.out" >> "$c_times"
        time_run "$ours" "$input" "$work/$name.ours.out" >> "$ours_times"
    done
    c_best=$(best < "$c_times"); ours_best=$(best < "$ours_times")
    summary_of "$work/$name.c.out" > "$work/$name.c.summary"
    summary_of "$work/$name.ours.out" > "$work/$name.ours.summary"
    lines=$(wc -l < "$work/$name.c.summary")
    if [ "$(wc -w <<< "$c_best")" != 2 ]; then
        verdict="reference $c_best"; status=1
    elif [ "$(wc -w <<< "$ours_best")" != 2 ]; then
        verdict="ours $ours_best"; status=1
    elif cmp -s "$work/$name.c.summary" "$work/$name.ours.summary"; then
        verdict="MATCH ($lines lines)"
    else
        verdict="DIFFER"; status=1
    fi
    set -- $c_best $ours_best
    if [ $# = 4 ]; then
        printf '%-18s %9s %9s %9s %9s %8s %8s  %s\n' "$name" "$1" "$2" "$3" "$4" \
            "$(ratio "$1" "$3")" "$(ratio "$2" "$4")" "$verdict"
    else
        printf '%-18s %9s %9s %9s %9s %8s %8s  %s\n' "$name" - - - - - - "$verdict"
    fi
    if [ "$verdict" = DIFFER ]; then
        diff -u "$work/$name.c.summary" "$work/$name.ours.summary" \
            | sed -n '3,14s/^/    /p'
    fi
done <<< "$inputs"
echo "# inputs:"
while IFS='|' read -r name args description; do
    echo "#   $name: $description ($(wc -c < "$work/$name.xml") bytes)"
done <<< "$inputs"
exit $status
