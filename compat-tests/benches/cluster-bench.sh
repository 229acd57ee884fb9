#!/bin/bash
# Whole-cluster benchmark: an all-C Pacemaker 2.1.5 cluster against one running our daemons,
# measured in the same invocation, interleaved (C, ours, C, ours ...) so that machine load
# hits both alike.
#
# "C"    = Debian's pacemakerd and its six subdaemons.
# "ours" = our pacemakerd, pacemaker-based, pacemaker-schedulerd and pacemaker-execd with
#          Debian's pacemaker-controld, -fenced and -attrd (not rewritten yet).
# Both use Debian's corosync 3 (knet, default token) and Debian's CLI tools to observe.
#
# Every cluster is built by ../shared/tools/refcluster: each node in its own network, mount,
# UTS and PID namespaces, nodes joined by a bridge. Figures, REP repetitions each:
#   (a) cold start of 1 and of 3 nodes: from launching corosync on every node until node1's
#       crm_mon shows a DC and all nodes online, with a fresh CIB seeded with dc-deadtime=2s;
#   (b) failover with fencing: 3 nodes, a fence_dummy stonith device, 9 Dummies and fo1
#       (prefers node2); SIGKILL of every process of node2 (power loss; node3 if node2 is the
#       DC) until node1's crm_mon shows that node offline, and until fo1 is Started on another
#       node (after the victim is fenced); and, from the DC's log, where that time went:
#       corosync noticing the loss, the controller asking for fencing, fo1's start confirmed;
#   (c) RSS: VmRSS of each daemon in that same 3-node cluster, idle for 15 s after all its
#       resources started, on the DC and on a non-DC node (sampled just before the kill),
#       with the CPU time the daemons used since the cluster started.
# Prints the medians and ours/C. For every figure lower is better, so ours/C < 1 means ours
# is faster or smaller.
#
# Usage (as root, Debian 12 with pacemaker and corosync installed; builds nothing):
#   compat-tests/benches/cluster-bench.sh [REP]          REP defaults to 3
# Env: PCMK_RS_BIN_DIR  directory with our four daemons (default: target/release of this repo)
#      SHARED_DIR       where tools/refcluster lives (default: ../shared next to the repo)
#      CLUSTER_BENCH_KEEP=1  keep every node's logs and CIB (kept anyway when a run fails)
#      CLUSTER_BENCH_ONLY=cold|failover  run only (a), or only (b) and (c)
set -uo pipefail
REP=${1:-3}
top=$(cd "$(dirname "$0")/../.." && pwd)
shared=${SHARED_DIR:-$top/../shared}
refcluster=$shared/tools/refcluster
bin_dir=${PCMK_RS_BIN_DIR:-$top/target/release}
ours_daemons=(pacemaker-based pacemaker-schedulerd pacemaker-execd)

die() { echo "cluster-bench: $*" >&2; exit 1; }
note() { echo "cluster-bench: $*" >&2; }
[ "$(id -u)" = 0 ] || die "must run as root"
for f in "$refcluster/up.sh" "$refcluster/monpoll.py" /usr/sbin/pacemakerd /usr/sbin/corosync \
         /usr/lib/pacemaker/pacemaker-controld "$bin_dir/pacemakerd"; do
    [ -e "$f" ] || die "missing $f"
done
for d in "${ours_daemons[@]}"; do [ -x "$bin_dir/$d" ] || die "missing $bin_dir/$d (cargo build --release)"; done
# refcluster reads these; a value left in the caller's environment would change what is measured.
unset RC_KEEP RC_CIB RC_PROPS RC_TOKEN RC_TRANSPORT RC_LOOPBACK PCMK_CLI_DIR PCMK_debug

work=$(mktemp -d /tmp/cluster-bench.XXXXXX)
failed=0
cleanup() {
    local s
    for s in "$work"/*/; do
        [ -e "$s/cluster.env" ] && RC_STATE=${s%/} RC_FAST_DOWN=1 "$refcluster/down.sh" >/dev/null 2>&1
    done
    if [ "${CLUSTER_BENCH_KEEP:-}" = 1 ] || [ "$failed" != 0 ]; then
        note "logs and CIBs kept in $work (node logs: <run>/nodeN/log-pacemaker/pacemaker.log)"
    else
        rm -rf "$work"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Our daemon directory: Debian's six subdaemons with ours copied over three of them
# (refcluster bind-mounts it over /usr/lib/pacemaker inside each node).
mkdir -p "$work/daemons-ours"
cp -a /usr/lib/pacemaker/. "$work/daemons-ours/"
for d in "${ours_daemons[@]}"; do cp "$bin_dir/$d" "$work/daemons-ours/$d"; done

# use_impl c|ours : point refcluster at one implementation
use_impl() {
    if [ "$1" = c ]; then
        export PCMK_DAEMON_DIR=/usr/lib/pacemaker PACEMAKERD=/usr/sbin/pacemakerd RC_PREFIX=clbc
    else
        export PCMK_DAEMON_DIR=$work/daemons-ours PACEMAKERD=$bin_dir/pacemakerd RC_PREFIX=clbr
    fi
}

# Seed CIB of the failover cluster. Fencing is switched on once all nodes are in, so that
# no node can be start-up fenced because it joined late.
failover_cib() {
    local i
    echo '<cib crm_feature_set="3.16.1" validate-with="pacemaker-3.9" epoch="1" num_updates="0" admin_epoch="0"><configuration>'
    echo '<crm_config><cluster_property_set id="cib-bootstrap-options">'
    echo '<nvpair id="cib-bootstrap-options-dc-deadtime" name="dc-deadtime" value="2s"/>'
    echo '<nvpair id="cib-bootstrap-options-stonith-enabled" name="stonith-enabled" value="false"/>'
    echo '</cluster_property_set></crm_config><nodes/><resources>'
    echo '<primitive id="fence-dummy" class="stonith" type="fence_dummy"><instance_attributes id="fence-dummy-ia">'
    echo '<nvpair id="fence-dummy-hl" name="pcmk_host_list" value="node1 node2 node3"/></instance_attributes>'
    echo '<operations><op id="fence-dummy-mon" name="monitor" interval="60s"/></operations></primitive>'
    for i in rsc1 rsc2 rsc3 rsc4 rsc5 rsc6 rsc7 rsc8 rsc9 fo1; do
        echo "<primitive id=\"$i\" class=\"ocf\" provider=\"pacemaker\" type=\"Dummy\"><operations>"
        echo "<op id=\"$i-monitor-10s\" name=\"monitor\" interval=\"10s\"/></operations></primitive>"
    done
    echo '</resources><constraints><rsc_location id="loc-fo1" rsc="fo1" node="node2" score="100"/></constraints>'
    echo '</configuration><status/></cib>'
}
failover_cib > "$work/failover-cib.xml"

# record IMPL FIGURE VALUE : one sample (VALUE "FAIL" when the run did not complete)
record() { echo "$1 $2 $3" >> "$work/samples"; }

# cold_start IMPL NODES REP
cold_start() {
    local impl=$1 nodes=$2 rep=$3 out value
    use_impl "$impl"
    export RC_STATE=$work/$impl-cold$nodes-$rep
    out=$(RC_PROPS="dc-deadtime=2s" RC_UP_TIMEOUT=60 "$refcluster/up.sh" "$nodes" 2>"$RC_STATE.err")
    value=$(sed -n 's/^cold_start_s=//p' <<<"$out")
    if [ -z "$value" ]; then
        value=FAIL; failed=1
        note "$impl: cold start of $nodes node(s), run $rep did not reach a DC with all online: $(tail -3 "$RC_STATE.err" | tr '\n' ' ')"
    fi
    record "$impl" "cold_start_${nodes}_node_s" "$value"
    note "$impl: cold start $nodes node(s) run $rep: $value s"
    RC_FAST_DOWN=1 "$refcluster/down.sh" >/dev/null 2>&1
    [ "${CLUSTER_BENCH_KEEP:-}" = 1 ] || [ "$value" = FAIL ] || rm -rf "$RC_STATE" "$RC_STATE.err"
}

# usage_of_node N : "daemon rss-kB cpu-ticks" for corosync and every pacemaker process of node N
usage_of_node() {
    local pid comm ticks
    "$refcluster/node.sh" pids "$1" | while read -r pid comm; do
        case "$comm" in
            corosync|pacemaker*)
                # utime + stime: fields 14 and 15 of /proc/PID/stat, counted after "(comm)"
                ticks=$(sed 's/^.*) //' "/proc/$pid/stat" 2>/dev/null | awk '{print $12 + $13}')
                echo "$comm $(awk '/^VmRSS/{print $2}' "/proc/$pid/status" 2>/dev/null) $ticks";;
        esac
    done
}

# record_usage IMPL ROLE NODE : RSS of each daemon of NODE (ROLE dc|nondc), the total of the
# seven pacemaker processes, and the CPU time they used since the cluster started
record_usage() {
    local impl=$1 role=$2 node=$3 comm kb ticks total=0 cpu=0 hz
    hz=$(getconf CLK_TCK)
    while read -r comm kb ticks; do
        [ -n "$kb" ] || continue
        # /proc comm is cut to 15 characters (pacemaker-sched, pacemaker-contr)
        case "$comm" in
            pacemaker-sched*) comm=pacemaker-schedulerd;;
            pacemaker-contr*) comm=pacemaker-controld;;
            pacemaker-fence*) comm=pacemaker-fenced;;
        esac
        record "$impl" "rss_${role}_${comm}_kB" "$kb"
        if [ "$comm" = corosync ]; then
            record "$impl" "cpu_${role}_corosync_s_since_start" "$(awk -v t="${ticks:-0}" -v hz="$hz" 'BEGIN {printf "%.2f", t / hz}')"
        else
            total=$((total + kb)); cpu=$((cpu + ${ticks:-0}))
        fi
    done < <(usage_of_node "$node")
    record "$impl" "rss_${role}_all_7_pacemaker_kB" "$total"
    record "$impl" "cpu_${role}_all_7_pacemaker_s_since_start" "$(awk -v t="$cpu" -v hz="$hz" 'BEGIN {printf "%.2f", t / hz}')"
}

# log_time LINE : epoch seconds of a Pacemaker log line ("Nov 23 19:47:22.922 node1 ...")
log_time() { date -d "$(awk '{print $1, $2, $3}' <<<"$1")" +%s.%N 2>/dev/null; }

# record_dc_timeline IMPL DCLOG VICTIM T0 : where the failover time went, from the DC's log
# (its controller is Debian's in both clusters): kill -> the DC learns the victim is lost
# (corosync's token timeout and consensus), lost -> fencing requested (scheduler, plus 1 s
# whenever the controller sleeps in do_pe_invoke_callback because CIB updates are still
# pending), lost -> fo1's start confirmed on another node.
record_dc_timeline() {
    local impl=$1 log=$2 victim=$3 t0=$4 lost fence started tl
    lost=$(grep -m1 "pacemaker-controld.*Node $victim state is now lost" "$log")
    fence=$(grep -m1 "Requesting fencing (reboot) of node $victim" "$log")
    started=$(awk -v v="$victim" '/pacemaker-controld.*state is now lost/ && index($0, "Node " v " ") {seen = 1}
        seen && /\(fo1_start_0 on node[0-9]+\) confirmed: ok/ {print; exit}' "$log")
    [ -n "$lost" ] && [ -n "$fence" ] && [ -n "$started" ] || { note "$impl: DC log lacks the failover lines"; return; }
    tl=$(log_time "$lost")
    record "$impl" failover_kill_to_dc_sees_loss_s "$(awk -v a="$t0" -v b="$tl" 'BEGIN {printf "%.3f", b - a}')"
    record "$impl" failover_loss_to_fencing_request_s "$(awk -v a="$tl" -v b="$(log_time "$fence")" 'BEGIN {printf "%.3f", b - a}')"
    record "$impl" failover_loss_to_fo1_started_s "$(awk -v a="$tl" -v b="$(log_time "$started")" 'BEGIN {printf "%.3f", b - a}')"
}

# failover IMPL REP : (b) and (c) on a fresh 3-node cluster. The node killed is node2, or
# node3 when node2 happens to be the DC (killing the DC would add an election to the figure);
# fo1 is moved to prefer the victim first. Node1 observes.
failover() {
    local impl=$1 rep=$2 dc nondc victim holder res t0 offline moved settle r
    use_impl "$impl"
    export RC_STATE=$work/$impl-failover-$rep
    fail() {
        failed=1; note "$impl: failover run $rep: $*"
        record "$impl" failover_victim_offline_s FAIL; record "$impl" failover_fo1_started_elsewhere_s FAIL
        RC_FAST_DOWN=1 "$refcluster/down.sh" >/dev/null 2>&1
    }
    if ! RC_CIB=$work/failover-cib.xml RC_UP_TIMEOUT=60 "$refcluster/up.sh" 3 >/dev/null 2>"$RC_STATE.err"; then
        fail "cluster did not come up: $(tail -3 "$RC_STATE.err" | tr '\n' ' ')"; return
    fi
    settle=(nodes-online:3 started:fo1@node2)
    # "!none": started on any node
    for r in fence-dummy rsc1 rsc2 rsc3 rsc4 rsc5 rsc6 rsc7 rsc8 rsc9; do settle+=("started:$r!none"); done
    if ! res=$("$refcluster/monpoll.py" 1 now 60 "${settle[@]}"); then
        fail "resources did not all start: $(grep TIMEOUT <<<"$res" | tr '\n' ' ')"; return
    fi
    "$refcluster/node.sh" exec 1 crm_attribute -t crm_config -n stonith-enabled -v true >/dev/null ||
        { fail "could not enable fencing"; return; }
    dc=$("$refcluster/node.sh" exec 1 crmadmin -D -t 5000 2>/dev/null | sed -n 's/.*Designated Controller is: //p')
    case "$dc" in
        node1|node3) victim=node2;;
        node2) victim=node3
            "$refcluster/node.sh" exec 1 cibadmin --modify --scope constraints \
                --xml-text '<rsc_location id="loc-fo1" node="node3"/>' >/dev/null ||
                { fail "could not move fo1's preference to node3"; return; };;
        *) fail "no DC (crmadmin -D said '${dc:-nothing}')"; return;;
    esac
    sleep 15
    nondc=node1; [ "$dc" = node1 ] && nondc=node3
    record_usage "$impl" dc "${dc#node}"
    record_usage "$impl" nondc "${nondc#node}"
    if ! "$refcluster/monpoll.py" 1 now 30 nodes-online:3 "started:fo1@$victim" >/dev/null; then
        fail "fo1 not on $victim before the kill"; return
    fi
    # Power loss: SIGKILL to the init of the victim's PID namespace makes the kernel kill every
    # process in it at once. (node.sh kill scans /proc first, which delayed the actual kill by
    # up to 1.4 s after t0 on a loaded machine.)
    holder=$(cat "$RC_STATE/node${victim#node}/holder.pid")
    t0=$(date +%s.%N)
    kill -KILL "$holder"
    note "$impl: killed $victim at $(date -u -d "@$t0" +%T.%3N) UTC (DC $dc)"
    res=$("$refcluster/monpoll.py" 1 "$t0" 60 "offline:$victim" "started:fo1!$victim")
    offline=$(sed -n "s/^offline:$victim=//p" <<<"$res")
    moved=$(sed -n "s/^started:fo1!$victim=//p" <<<"$res")
    [ "$offline" = TIMEOUT ] && offline=FAIL
    [ "$moved" = TIMEOUT ] && moved=FAIL
    # with fencing on, fo1 can only have moved through a successful fencing of the victim
    if ! "$refcluster/node.sh" exec 1 stonith_admin --history "$victim" 2>/dev/null | grep -Eq "reboot of $victim .*successful"; then
        note "$impl: failover run $rep: no successful fencing of $victim in the fencing history"
        moved=FAIL
    fi
    { [ "$offline" = FAIL ] || [ "$moved" = FAIL ]; } && failed=1
    record "$impl" failover_victim_offline_s "$offline"
    record "$impl" failover_fo1_started_elsewhere_s "$moved"
    record_dc_timeline "$impl" "$RC_STATE/node${dc#node}/log-pacemaker/pacemaker.log" "$victim" "$t0"
    note "$impl: failover run $rep (DC $dc, killed $victim): offline $offline s, fo1 elsewhere $moved s"
    RC_FAST_DOWN=1 "$refcluster/down.sh" >/dev/null 2>&1
    [ "${CLUSTER_BENCH_KEEP:-}" = 1 ] || [ "$offline" = FAIL ] || [ "$moved" = FAIL ] || rm -rf "$RC_STATE" "$RC_STATE.err"
}

only=${CLUSTER_BENCH_ONLY:-}
load_at_start=$(cut -d' ' -f1-3 /proc/loadavg)
started=$(date -u +%FT%TZ)
for rep in $(seq "$REP"); do
    if [ "$only" != failover ]; then
        for impl in c ours; do cold_start "$impl" 1 "$rep"; done
        for impl in c ours; do cold_start "$impl" 3 "$rep"; done
    fi
    if [ "$only" != cold ]; then
        for impl in c ours; do failover "$impl" "$rep"; done
    fi
done

# median of the numeric samples; "FAIL" if any run failed
median_of() {
    local values; values=$(awk -v i="$1" -v f="$2" '$1 == i && $2 == f {print $3}' "$work/samples")
    if grep -q FAIL <<<"$values"; then echo FAIL; return; fi
    sort -n <<<"$values" | awk '{a[NR] = $1} END {if (NR) print a[int((NR + 1) / 2)]}'
}
all_of() { awk -v i="$1" -v f="$2" '$1 == i && $2 == f {printf "%s%s", sep, $3; sep = " "}' "$work/samples"; }

echo "Cluster benchmark, $started, $REP runs each, interleaved; load average at start $load_at_start, at end $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores"
echo "C = Debian's Pacemaker 2.1.5; ours = our pacemakerd, -based, -schedulerd, -execd + Debian's controld, fenced, attrd"
echo "Medians; lower is better for every figure, so ours/C < 1 means ours is faster or smaller."
echo "failover_*: seconds from the kill; failover_loss_to_*: seconds from the DC learning of the loss (DC's log)."
printf '%-42s %10s %10s %7s   %-24s %s\n' figure C ours ours/C "C runs" "ours runs"
awk '{print $2}' "$work/samples" | awk '!seen[$0]++' | while read -r figure; do
    c=$(median_of c "$figure"); o=$(median_of ours "$figure")
    ratio=-
    if [ "$c" != FAIL ] && [ "$o" != FAIL ] && [ -n "$c" ] && [ -n "$o" ]; then
        ratio=$(awk -v a="$o" -v b="$c" 'BEGIN {if (b > 0) printf "%.2f", a / b; else print "-"}')
    fi
    printf '%-42s %10s %10s %7s   %-24s %s\n' "$figure" "${c:--}" "${o:--}" "$ratio" "$(all_of c "$figure")" "$(all_of ours "$figure")"
done
[ "$failed" = 0 ] || { note "some runs failed (see above)"; exit 1; }
