#!/bin/bash
# CIB manager benchmark: Pacemaker 2.1.5's pacemaker-based against ours, same input, same run.
#
# Each implementation runs alone (with corosync, which both need for writes) in a private
# single-node sandbox built by ../shared/tools/refcluster (network, mount, UTS and PID
# namespaces). The CIB is generated: NODES nodes, RESOURCES primitives with constraints.
# Measured inside the node:
#   - operations per second over one IPC connection (cib-bench, which speaks the CIB client
#     protocol to whichever daemon serves cib_rw), with p50/p99 latency: nvpair value updates
#     (what crm_attribute does), structural writes (create/delete of a primitive, which are
#     schema-validated) and whole-CIB queries;
#   - the same operations through separate cibadmin processes;
#   - the daemon's resident memory (VmRSS now, VmHWM peak).
# Prints one line per figure and the ours/C ratio.
#
# Usage: compat-tests/benches/cib-bench.sh [NODES] [RESOURCES]    (as root, after a release build)
set -euo pipefail
NODES=${1:-16}
RESOURCES=${2:-1000}
MODIFY_OPS=${MODIFY_OPS:-2000}
QUERY_OPS=${QUERY_OPS:-300}
STRUCTURAL_OPS=${STRUCTURAL_OPS:-400}
CLI_OPS=${CLI_OPS:-100}

top=$(cd "$(dirname "$0")/../.." && pwd)
shared=${SHARED_DIR:-$top/../shared}
refcluster=$shared/tools/refcluster
ours=$top/target/release/pacemaker-based
bench=$top/target/release/cib-bench
[ "$(id -u)" = 0 ] || { echo "cib-bench: must run as root" >&2; exit 1; }
for f in "$ours" "$bench" "$refcluster/node.sh" /usr/lib/pacemaker/pacemaker-based; do
    [ -e "$f" ] || { echo "cib-bench: missing $f (build with cargo build --release)" >&2; exit 1; }
done

work=$(mktemp -d /tmp/cib-bench.XXXXXX)
trap 'for p in cbc cbr; do RC_STATE=$work/$p RC_PREFIX=$p RC_FAST_DOWN=1 "$refcluster/down.sh" >/dev/null 2>&1 || true; done; rm -rf "$work"' EXIT
python3 "$refcluster/gen-cib.py" "$NODES" "$RESOURCES" > "$work/cib.xml"

# run_one PREFIX DAEMON-BINARY -> writes $work/PREFIX.results
run_one() {
    local prefix=$1 daemon=$2
    export RC_STATE=$work/$prefix RC_PREFIX=$prefix
    "$refcluster/node.sh" prepare 1 1 >/dev/null
    "$refcluster/node.sh" corosync 1 >/dev/null
    local holder; holder=$(cat "$RC_STATE/node1/holder.pid")
    local E=(nsenter -t "$holder" -m -u -n -p --)
    for _ in $(seq 100); do "${E[@]}" corosync-cmapctl -g runtime.votequorum.this_node_id >/dev/null 2>&1 && break; sleep 0.1; done
    "${E[@]}" env PCMK_logfile=/var/log/pacemaker/pacemaker.log "$daemon" >/dev/null 2>&1 &
    for _ in $(seq 100); do "${E[@]}" cibadmin -Q >/dev/null 2>&1 && break; sleep 0.1; done
    "${E[@]}" cibadmin --replace --xml-file "$work/cib.xml" >/dev/null
    local pid; pid=$("${E[@]}" pgrep -f pacemaker-based | head -1)
    {
        "${E[@]}" "$bench" --modify "$MODIFY_OPS" --create-delete "$STRUCTURAL_OPS" --query "$QUERY_OPS" | tr ' ' '\n'
        local t0 t1
        t0=$(date +%s.%N)
        for i in $(seq "$CLI_OPS"); do
            "${E[@]}" cibadmin --modify --allow-create -o crm_config --xml-text \
                "<cluster_property_set id=\"cli-set\"><nvpair id=\"cli-nv\" name=\"cli-attr\" value=\"$i\"/></cluster_property_set>"
        done
        t1=$(date +%s.%N)
        echo "cibadmin_modify_per_s=$(echo "$CLI_OPS / ($t1 - $t0)" | bc -l)"
        t0=$(date +%s.%N)
        for _ in $(seq "$CLI_OPS"); do "${E[@]}" cibadmin -Q >/dev/null; done
        t1=$(date +%s.%N)
        echo "cibadmin_query_per_s=$(echo "$CLI_OPS / ($t1 - $t0)" | bc -l)"
        "${E[@]}" grep -E '^Vm(RSS|HWM)' "/proc/$pid/status" | awk '{print $1 "_kb=" $2}' | tr -d ':'
    } > "$work/$prefix.results"
    RC_FAST_DOWN=1 "$refcluster/down.sh" >/dev/null 2>&1 || true
}

run_one cbc /usr/lib/pacemaker/pacemaker-based
run_one cbr "$ours"

echo "CIB manager benchmark: $NODES nodes x $RESOURCES resources ($(wc -c < "$work/cib.xml") bytes of CIB)"
printf '%-26s %14s %14s %10s\n' figure C ours ours/C
for key in modify_per_s modify_p50_ms modify_p99_ms create_delete_per_s create_delete_p50_ms query_per_s query_p50_ms query_p99_ms \
           cibadmin_modify_per_s cibadmin_query_per_s VmRSS_kb VmHWM_kb; do
    c=$(grep "^$key=" "$work/cbc.results" | cut -d= -f2)
    r=$(grep "^$key=" "$work/cbr.results" | cut -d= -f2)
    [ -n "$c" ] && [ -n "$r" ] || continue
    printf '%-26s %14.2f %14.2f %10.2f\n' "$key" "$c" "$r" "$(echo "$r / $c" | bc -l)"
done
