//! Whole clusters over corosync, one and three nodes, with our daemons mixed in every way
//! issue 5 asks for (each alone, all together, a rolling upgrade where node 1 still runs
//! Debian's), and the same scenarios on an all-C cluster as the oracle.
//!
//! Scenarios, in order: a resource starts; a recurring monitor fails and the resource is
//! recovered; a resource with migration-threshold=1 leaves its node after one failure;
//! standby and online; `crm_resource --move` and `--clear`; a clone and a group; each of the
//! mix's daemons killed with SIGKILL and respawned. On three nodes, with fencing enabled
//! (fence_dummy behind the harness' power switch, so a fenced member really goes off), also:
//! corosync killed on a node; a whole node killed, fenced and its resources recovered
//! elsewhere; the node rejoining with a stale CIB.
//!
//! Throughout, every poll checks that no primitive runs on two nodes at once (from the
//! agents' state files in each member), and after every kill that every member's CIB on
//! disk still parses and matches its signature.

mod cluster_run;

use cluster_run::{ClusterRun, Size};
use compat_tests::{Daemon, Mix};

fn scenarios(size: Size, mix: Mix) {
    let Some(mut run) = ClusterRun::start(size, mix) else { return };
    run.resource_starts();
    run.monitor_failure_is_recovered();
    run.migration_threshold_moves_away();
    run.standby_and_online();
    run.move_and_clear();
    run.clone_and_group();
    run.daemons_killed_and_respawned();
    if size == Size::Three {
        run.corosync_killed();
        run.node_killed_fenced_and_rejoins_with_stale_cib();
    }
    run.finish();
}

macro_rules! mixes {
    ($($name:ident: $size:expr, $mix:expr;)*) => {
        $(
            #[test]
            fn $name() {
                scenarios($size, $mix);
            }
        )*
    };
}

mixes! {
    one_node_all_c: Size::One, Mix::AllC;
    one_node_pacemakerd_alone: Size::One, Mix::Alone(Daemon::Pacemakerd);
    one_node_based_alone: Size::One, Mix::Alone(Daemon::Based);
    one_node_schedulerd_alone: Size::One, Mix::Alone(Daemon::Schedulerd);
    one_node_execd_alone: Size::One, Mix::Alone(Daemon::Execd);
    one_node_all_ours: Size::One, Mix::AllOurs;
    three_nodes_all_c: Size::Three, Mix::AllC;
    three_nodes_pacemakerd_alone: Size::Three, Mix::Alone(Daemon::Pacemakerd);
    three_nodes_based_alone: Size::Three, Mix::Alone(Daemon::Based);
    three_nodes_schedulerd_alone: Size::Three, Mix::Alone(Daemon::Schedulerd);
    three_nodes_execd_alone: Size::Three, Mix::Alone(Daemon::Execd);
    three_nodes_all_ours: Size::Three, Mix::AllOurs;
    three_nodes_rolling_upgrade: Size::Three, Mix::RollingUpgrade;
}
