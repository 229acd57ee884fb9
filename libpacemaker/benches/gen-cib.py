#!/usr/bin/python3
"""Writes a large synthetic CIB for scheduler benchmarks (crm_simulate -x FILE).

usage:
  gen-cib.py primitives NODES COUNT [--converged START MONITOR_10S MONITOR_30S]
  gen-cib.py clones NODES COUNT

primitives: NODES online nodes and COUNT ocf:pacemaker:Dummy primitives, each
with a 10 s monitor. Every 40th primitive opens a group of four members;
every 10th ungrouped one prefers a node (score 100), every 25th is banned from
node1, pairs starting at i % 20 == 1 are colocated and ordered (mandatory),
every 100th (offset 7) is optionally ordered after an anonymous clone that runs
everywhere. Cluster defaults: stonith disabled, resource-stickiness 100.

Without --converged the status section only says every node is online: the
scheduler has to probe everything everywhere and start everything.
With --converged every node carries resource history as a converged cluster
would: each primitive started with a running 10 s monitor on the node it was
placed on, and a "not running" probe result everywhere else; the clone runs on
every node. The placement below satisfies all constraints, so a scheduler
should leave everything where it is. The digests must be the ones Pacemaker
computes for a parameterless Dummy start, 10 s and 30 s monitor (sched-bench.sh
harvests them from a small simulated run); with wrong digests every
resource would look changed and be restarted.

clones: NODES online nodes and COUNT anonymous clones of a Dummy (30 s monitor),
each able to run on every node. Every 10th clone is ordered after the previous
one and colocated with it; every 7th is banned from the last node. Fresh
status only (nothing has run yet).

The output is deterministic: same arguments, same bytes."""

import sys

GROUP_EVERY = 40
GROUP_SIZE = 4


def header(out, nodes):
    out.append('<cib crm_feature_set="3.16.1" validate-with="pacemaker-3.9" epoch="1" '
               'num_updates="0" admin_epoch="0" have-quorum="1" dc-uuid="1">')
    out.append('  <configuration>')
    out.append('    <crm_config>')
    out.append('      <cluster_property_set id="cib-bootstrap-options">')
    out.append('        <nvpair id="opt-stonith-enabled" name="stonith-enabled" value="false"/>')
    out.append('        <nvpair id="opt-no-quorum-policy" name="no-quorum-policy" value="stop"/>')
    out.append('      </cluster_property_set>')
    out.append('    </crm_config>')
    out.append('    <rsc_defaults>')
    out.append('      <meta_attributes id="rsc-defaults">')
    out.append('        <nvpair id="rsc-defaults-stickiness" name="resource-stickiness" value="100"/>')
    out.append('      </meta_attributes>')
    out.append('    </rsc_defaults>')
    out.append('    <nodes>')
    for n in range(1, nodes + 1):
        out.append('      <node id="%d" uname="node%d"/>' % (n, n))
    out.append('    </nodes>')


def dummy(rid, interval, indent):
    return ('%s<primitive id="%s" class="ocf" provider="pacemaker" type="Dummy">'
            '<operations><op id="%s-monitor-%ds" name="monitor" interval="%ds"/></operations>'
            '</primitive>' % (indent, rid, rid, interval, interval))


def primitives(out, nodes, count, digests):
    header(out, nodes)
    placement = {}   # primitive number -> node number (the converged layout)
    grouped = set()
    out.append('    <resources>')
    i = 1
    while i <= count:
        if i % GROUP_EVERY == 0 and i + GROUP_SIZE - 1 <= count:
            out.append('      <group id="grp%d">' % i)
            for k in range(GROUP_SIZE):
                out.append(dummy("r%d" % (i + k), 10, "        "))
                grouped.add(i + k)
                placement[i + k] = home_node(i, nodes)
            out.append('      </group>')
            i += GROUP_SIZE
            continue
        out.append(dummy("r%d" % i, 10, "      "))
        placement[i] = home_node(i, nodes)
        i += 1
    out.append('      <clone id="base-clone">')
    out.append(dummy("base", 30, "        "))
    out.append('      </clone>')
    out.append('    </resources>')
    out.append('    <constraints>')
    for i in range(1, count + 1):
        if i in grouped:
            continue
        rid = "r%d" % i
        if i % 10 == 0:
            out.append('      <rsc_location id="prefer-%s" rsc="%s" node="node%d" score="100"/>'
                       % (rid, rid, home_node(i, nodes)))
        if i % 25 == 0:
            out.append('      <rsc_location id="ban-%s" rsc="%s" node="node1" score="-INFINITY"/>'
                       % (rid, rid))
        partner = i + 1
        if i % 20 == 1 and partner <= count and partner not in grouped:
            out.append('      <rsc_colocation id="with-%s" rsc="r%d" with-rsc="%s" score="INFINITY"/>'
                       % (rid, partner, rid))
            out.append('      <rsc_order id="after-%s" first="%s" then="r%d" kind="Mandatory"/>'
                       % (rid, rid, partner))
            placement[partner] = placement[i]
        if i % 100 == 7:
            out.append('      <rsc_order id="after-base-%s" first="base-clone" then="%s" kind="Optional"/>'
                       % (rid, rid))
    out.append('    </constraints>')
    out.append('  </configuration>')
    out.append('  <status>')
    for n in range(1, nodes + 1):
        if digests is None:
            out.append(node_state_open(n) + '/>')
            continue
        out.append(node_state_open(n) + '>')
        out.append('      <lrm id="%d">' % n)
        out.append('        <lrm_resources>')
        entries = [("r%d" % i, placement[i], 10) for i in sorted(placement)]
        entries.append(("base", n, 30))
        start_digest = digests[0]
        monitor_digests = {10: digests[1], 30: digests[2]}
        for rid, where, interval in entries:
            out.append('          <lrm_resource id="%s" class="ocf" provider="pacemaker" type="Dummy">' % rid)
            if where == n:
                out.append('            ' + op(rid, "%s_last_0" % rid, "%s_start_0" % rid,
                                               "start", 0, 0, 2, start_digest))
                key = "%s_monitor_%d" % (rid, interval * 1000)
                out.append('            ' + op(rid, key, key, "monitor", interval * 1000, 0, 3,
                                               monitor_digests[interval]))
            else:
                out.append('            ' + op(rid, "%s_last_0" % rid, "%s_monitor_0" % rid,
                                               "monitor", 0, 7, 1, start_digest))
            out.append('          </lrm_resource>')
        out.append('        </lrm_resources>')
        out.append('      </lrm>')
        out.append('    </node_state>')
    out.append('  </status>')
    out.append('</cib>')


def op(rid, op_id, key, task, interval_ms, rc, call_id, digest):
    magic = '%d:1:%d:00000000-0000-0000-0000-000000000000' % (call_id, rc)
    return ('<lrm_rsc_op id="%s" operation_key="%s" operation="%s" crm-debug-origin="gen-cib" '
            'crm_feature_set="3.16.1" transition-key="%s" transition-magic="0:%d;%s" '
            'exit-reason="" call-id="%d" rc-code="%d" op-status="0" interval="%d" '
            'last-rc-change="1700000000" exec-time="1" queue-time="0" op-digest="%s"/>'
            % (op_id, key, task, magic, rc, magic, call_id, rc, interval_ms, digest))


def node_state_open(n):
    return ('    <node_state id="%d" uname="node%d" in_ccm="true" crmd="online" '
            'crm-debug-origin="gen-cib" join="member" expected="member"' % (n, n))


def home_node(i, nodes):
    """Round robin, except that node1 is avoided where a ban applies."""
    n = (i % nodes) + 1
    if i % 25 == 0 and n == 1:
        n = 2 if nodes > 1 else 1
    return n


def clones(out, nodes, count):
    header(out, nodes)
    out.append('    <resources>')
    for c in range(1, count + 1):
        out.append('      <clone id="clone%d">' % c)
        out.append(dummy("c%d" % c, 30, "        "))
        out.append('      </clone>')
    out.append('    </resources>')
    out.append('    <constraints>')
    for c in range(1, count + 1):
        if c % 10 == 0 and c > 1:
            out.append('      <rsc_order id="order-clone%d" first="clone%d" then="clone%d"/>'
                       % (c, c - 1, c))
            out.append('      <rsc_colocation id="colo-clone%d" rsc="clone%d" with-rsc="clone%d" score="INFINITY"/>'
                       % (c, c, c - 1))
        if c % 7 == 0:
            out.append('      <rsc_location id="ban-clone%d" rsc="clone%d" node="node%d" score="-INFINITY"/>'
                       % (c, c, nodes))
    out.append('    </constraints>')
    out.append('  </configuration>')
    out.append('  <status>')
    for n in range(1, nodes + 1):
        out.append(node_state_open(n) + '/>')
    out.append('  </status>')
    out.append('</cib>')


def main(argv):
    if len(argv) < 3 or argv[0] not in ("primitives", "clones"):
        sys.stderr.write(__doc__)
        return 2
    kind, nodes, count = argv[0], int(argv[1]), int(argv[2])
    digests = None
    if "--converged" in argv:
        k = argv.index("--converged")
        digests = tuple(argv[k + 1:k + 4])
        if kind != "primitives" or len(digests) != 3:
            sys.stderr.write("--converged needs START MONITOR_10S MONITOR_30S digests\n")
            return 2
    out = []
    if kind == "primitives":
        primitives(out, nodes, count, digests)
    else:
        clones(out, nodes, count)
    sys.stdout.write("\n".join(out) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
