//! The working set the scheduler operates on: nodes, resources (an arena with
//! parent/child indices), constraints, and what the status section says.

use std::collections::{BTreeMap, HashMap};

use crate::options::ClusterOptions;
use libcrmcommon::xml::Element;

pub type NodeIdx = usize;
pub type RscIdx = usize;

/// A resource role, ordered as Pacemaker orders them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    Unknown,
    Stopped,
    Started,
    Unpromoted,
    Promoted,
}

impl Role {
    pub fn parse(text: &str) -> Option<Role> {
        match text.to_ascii_lowercase().as_str() {
            "stopped" => Some(Role::Stopped),
            "started" => Some(Role::Started),
            "unpromoted" | "slave" => Some(Role::Unpromoted),
            "promoted" | "master" => Some(Role::Promoted),
            "unknown" => Some(Role::Unknown),
            _ => None,
        }
    }

    pub fn text(self) -> &'static str {
        match self {
            Role::Unknown => "Unknown",
            Role::Stopped => "Stopped",
            Role::Started => "Started",
            Role::Unpromoted => "Unpromoted",
            Role::Promoted => "Promoted",
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct Node {
    pub id: String,
    pub uname: String,
    pub is_remote: bool,
    pub online: bool,
    pub unclean: bool,
    pub unseen: bool,
    pub pending: bool,
    pub standby: bool,
    pub standby_onfail: bool,
    pub maintenance: bool,
    pub shutdown: bool,
    pub expected_up: bool,
    /// Node attributes (configured instance attributes, then transient ones).
    pub attrs: HashMap<String, String>,
    /// Static node score from the node's `score` attribute, or -INFINITY once
    /// the node can't run anything.
    pub weight: i32,
    /// Number of resources assigned so far (tie-breaker in placement).
    pub assigned_count: usize,
    /// Primitive resources believed active here.
    pub running: Vec<RscIdx>,
    pub fence_reason: Option<String>,
    /// Fenced because it left the cluster: its fencing may be delayed by
    /// priority-fencing-delay (Pacemaker's priority_delay of pe_fence_node).
    pub fence_with_priority_delay: bool,
    /// Sum of the priorities of the resources active here (Pacemaker's
    /// node priority, used by priority-fencing-delay).
    pub priority: i32,
    /// Remaining capacity per utilization attribute.
    pub utilization: std::collections::BTreeMap<String, i64>,
    /// Pacemaker Remote nodes: the connection resource that makes this node
    /// (None for cluster nodes, and for remote node entries whose
    /// connection resource no longer exists).
    pub remote_rsc: Option<RscIdx>,
    /// The remote node must be fenced (or its guest recovered) before its
    /// connection can be trusted again.
    pub remote_requires_reset: bool,
    /// The remote node's status entry says it was fenced (`node_fenced`).
    pub remote_was_fenced: bool,
    /// Whether probes may run here (`resource-discovery-enabled`, remote
    /// and guest nodes only).
    pub rsc_discovery_enabled: bool,
    /// Its resource history has been unpacked (status is read in passes:
    /// a remote node's history only once its connection's state is known).
    pub history_unpacked: bool,
    /// A bundle's guest node: no resource looks for anything here or gets
    /// a default score for it (Pacemaker's rsc_discover_mode "never").
    pub bundle_guest: bool,
}

impl Node {
    /// Whether resources may be placed here at all.
    pub fn can_run_resources(&self) -> bool {
        self.online
            && !self.shutdown
            && !self.unclean
            && !self.standby
            && !self.maintenance
            && !self.pending
    }
}

/// Where probes may look for a resource (a location constraint's
/// `resource-discovery`), from weakest to strongest: the strongest mode of
/// the constraints naming a node applies there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub enum Discovery {
    #[default]
    Always,
    Never,
    /// Probe only on nodes of constraints with this mode (and run nowhere else).
    Exclusive,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    Primitive,
    Group,
    Clone,
    /// A container bundle: replicas of a container (with an IP address and a
    /// guest node each) and a clone of what runs inside them.
    Bundle,
}

/// One replica of a bundle: its implicit resources and guest node.
#[derive(Debug, Clone)]
pub struct BundleReplica {
    pub offset: usize,
    pub ipaddr: Option<String>,
    pub container: RscIdx,
    pub ip: Option<RscIdx>,
    /// The guest node connection (only with a resource inside).
    pub remote: Option<RscIdx>,
    /// The instance of the inner resource this replica runs.
    pub child: Option<RscIdx>,
    /// The guest node the connection makes.
    pub node: Option<NodeIdx>,
}

impl BundleReplica {
    /// The replica's resources in the order Pacemaker lists their actions.
    pub fn members(&self) -> impl Iterator<Item = RscIdx> {
        [self.ip, Some(self.container), self.remote, self.child].into_iter().flatten()
    }
}

/// What a bundle consists of beyond the resource itself.
#[derive(Debug, Clone, Default)]
pub struct BundleSettings {
    pub image: String,
    pub replicas: Vec<BundleReplica>,
    pub replicas_per_host: usize,
    pub promoted_max: usize,
    /// The clone of the inner resource (`<bundle>-clone` or `-master`).
    pub child: Option<RscIdx>,
}

/// What to do when an operation fails (on-fail).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum OnFail {
    Ignore,
    Demote,
    Recover,
    Migrate,
    Block,
    Stop,
    Standby,
    Fence,
    RestartContainer,
    ResetRemote,
}

#[derive(Debug, Clone, Default)]
pub struct OpDef {
    pub id: String,
    pub name: String,
    pub interval_ms: u64,
    /// The `role` attribute as written (None when absent); an unparsable
    /// role makes the operation unusable as a recurring action.
    pub role_text: Option<String>,
    pub role: Option<Role>,
    pub on_fail: Option<String>,
    pub enabled: bool,
    /// The operation's own settings: its nested meta_attributes, overridden
    /// by the attributes of the `<op>` element itself (without `id`), as
    /// Pacemaker merges them into an action's meta-data.
    pub meta: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default)]
pub struct CloneSettings {
    pub clone_max: usize,
    pub clone_node_max: usize,
    pub promoted_max: usize,
    pub promoted_node_max: usize,
    pub promotable: bool,
    pub unique: bool,
    pub ordered: bool,
    pub interleave: bool,
    pub notify: bool,
}

/// A recurring operation the history shows running on a node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActiveRecurring {
    pub node: NodeIdx,
    pub task: String,
    pub interval_ms: u64,
    /// The call id of its history entry (a cancellation names it).
    pub call_id: i64,
}

#[derive(Debug, Clone)]
pub struct Resource {
    pub id: String,
    /// Name as known in history (e.g. "rsc" for an anonymous clone instance "rsc:0").
    pub variant: Variant,
    pub parent: Option<RscIdx>,
    pub children: Vec<RscIdx>,
    /// XML element name the resource came from (primitive, group, clone, master).
    pub xml_name: String,
    pub class: String,
    pub provider: Option<String>,
    pub agent: String,
    pub description: Option<String>,
    pub meta: HashMap<String, String>,
    pub ops: Vec<OpDef>,
    pub clone: CloneSettings,
    pub priority: i32,
    pub stickiness: i32,
    pub migration_threshold: i32,
    pub failure_timeout_s: u64,
    pub managed: bool,
    pub is_stonith: bool,
    pub orphan: bool,
    pub failed: bool,
    /// Failure means the resource must be stopped (recovery by restart).
    pub failed_stop: bool,
    /// Nodes where a failure with on-fail=demote requires a demote,
    /// whatever else is decided (Pacemaker creates it while unpacking).
    pub demote_after_failure: Vec<NodeIdx>,
    pub blocked: bool,
    pub failure_ignored: bool,
    pub start_pending: bool,
    /// A promotable instance that history left "Started" (its last start was
    /// not followed by a demote): shown unpromoted, but Pacemaker keeps
    /// Started as the role an unmanaged instance is headed for, which leaves
    /// it a promotion priority.
    pub started_before_roles: bool,
    pub target_role: Option<Role>,
    pub role: Role,
    pub next_role: Role,
    pub running_on: Vec<NodeIdx>,
    pub known_on: Vec<NodeIdx>,
    /// Location preferences: node -> score.
    pub allowed: BTreeMap<NodeIdx, i32>,
    /// Discovery modes other than `Always` that location constraints set
    /// for nodes.
    pub discovery: BTreeMap<NodeIdx, Discovery>,
    /// Some location constraint of this resource has exclusive discovery.
    pub exclusive_discovery: bool,
    /// The node this resource is kept on after that node shut down
    /// (shutdown-lock), and when the lock started (the node's shutdown time,
    /// seconds since the epoch).
    pub lock_node: Option<NodeIdx>,
    pub lock_time: i64,
    /// Nodes whose recorded history of this resource is to be deleted from
    /// the CIB (an "lrm_delete" by the controller).
    pub history_to_clear: Vec<NodeIdx>,
    pub assigned_to: Option<NodeIdx>,
    pub provisional: bool,
    pub assigning: bool,
    pub merging: bool,
    /// Fail counts per node (summed over operations).
    pub failcount: HashMap<NodeIdx, i32>,
    /// Nodes with a failed probe result ("not installed" etc.), for display.
    pub failed_probe: HashMap<NodeIdx, i32>,
    /// For clone instances: index of instance.
    pub instance: Option<usize>,
    /// Clone-wide: which instance got a history entry on which node.
    pub needs_fencing: bool,
    /// An operation recorded as still in progress (e.g. "start").
    pub pending_task: Option<String>,
    /// The node of that operation in progress.
    pub pending_node: Option<NodeIdx>,
    /// The resource template this primitive was defined from, if any.
    pub template: Option<String>,
    /// Location scores that apply only to the promoted role: node -> score.
    pub promoted_location: std::collections::BTreeMap<NodeIdx, i32>,
    /// A ticket this resource needs for its promoted role is revoked or in
    /// standby (Pacemaker's rsc_tickets with role Promoted): a promotable
    /// clone with one is banned everywhere when its promotion preferences
    /// are merged.
    pub lacks_promotion_ticket: bool,
    /// Utilization this resource consumes on its node.
    pub utilization: std::collections::BTreeMap<String, i64>,
    /// Nodes with operation history for this resource.
    pub history_on: Vec<NodeIdx>,
    /// Anonymous clone instances: the name of the last history entry matched
    /// to this instance when it differs from the instance's id (Pacemaker's
    /// clone_name; the simulated transition names the instance by it).
    pub clone_name: Option<String>,
    /// Recurring operations the history shows active on a node since the
    /// resource's last start there.
    pub active_recurring: Vec<ActiveRecurring>,
    /// Maintenance mode applies (resource meta `maintenance` or the
    /// cluster's maintenance-mode): no recurring operations.
    pub maintenance: bool,
    /// The resource's configuration element (templates expanded), from
    /// which its parameters are read for operation digests.
    pub config_xml: Option<libcrmcommon::xml::Element>,
    /// Operations recorded since the resource's last start on each node
    /// where it is active, whose definitions are checked against the
    /// configuration (see `sched::digests`).
    pub recorded_ops: Vec<RecordedOp>,
    /// Unexpired `*_last_failure_0` entries of starts and monitors: a change of the
    /// parameters they ran with clears the fail count (Pacemaker's
    /// should_clear_for_param_change).
    pub failure_records: Vec<RecordedOp>,
    /// An `ocf:pacemaker:remote` primitive: the connection that makes the
    /// Pacemaker Remote node of the same name.
    pub is_remote_connection: bool,
    /// A remote connection's `reconnect_interval` (0 when unset).
    pub remote_reconnect_ms: u64,
    /// The resource this one runs inside (`container` meta-attribute): for
    /// a guest node's connection, the guest's container.
    pub container: Option<RscIdx>,
    /// Resources that name this one as their container.
    pub fillers: Vec<RscIdx>,
    /// An orphan whose history names a container: it is linked to it once
    /// its node's history has been read.
    pub orphan_container_filler: bool,
    /// A stop is required on the current node whatever else is decided (a
    /// container restarted for what runs inside it).
    pub stop_required: bool,
    /// Nodes whose history recorded another agent (class, provider or
    /// type) than the configured one.
    pub agent_changed_on: Vec<NodeIdx>,
    /// What the history says of live migrations (see `unpack::migration`).
    pub migration: MigrationHistory,
    /// Bundles only: their replicas and inner clone.
    pub bundle: Option<Box<BundleSettings>>,
}

/// Live migrations the history shows unfinished or failed (Pacemaker's
/// partial_migration_source/target, dangling_migrations, and the
/// allow-migrate flag a failed migration clears).
#[derive(Debug, Clone, Default)]
pub struct MigrationHistory {
    /// migrate_to succeeded on the source, migrate_from has not run on the
    /// target yet: (source, target). The migration may continue.
    pub partial: Option<(NodeIdx, NodeIdx)>,
    /// Sources of migrations that completed (or failed for good) without
    /// the resource being stopped there: they get a stop.
    pub dangling_sources: Vec<NodeIdx>,
    /// Targets of migrations left in progress on a lost source: they get a
    /// stop whatever the history there says.
    pub stop_targets: Vec<NodeIdx>,
    /// A migration failed in a way that forces a full restart: no more
    /// migrating this time.
    pub forbidden: bool,
    /// A partial migration could not continue (its source or target
    /// changed): recovered by stopping on both nodes.
    pub partial_abandoned: bool,
}

/// What an lrm_rsc_op entry recorded about an operation's parameters.
#[derive(Debug, Clone, Default)]
pub struct RecordedOp {
    pub node: NodeIdx,
    pub task: String,
    pub interval_ms: u64,
    pub call_id: String,
    /// `op-digest`: all parameters.
    pub digest_all: Option<String>,
    /// `op-restart-digest`, and `op-force-restart` (the parameters whose
    /// change needs a restart rather than a reload).
    pub digest_restart: Option<String>,
    pub force_restart: Option<String>,
    /// `op-secure-digest`, and `op-secure-params` (left out of it).
    pub digest_secure: Option<String>,
    pub secure_params: Option<String>,
    /// `crm_feature_set` of the entry.
    pub feature_set: Option<String>,
    /// `transition-magic` of the entry (quoted in messages).
    pub transition_magic: Option<String>,
}

impl Resource {
    /// Whether a recurring operation is (still, and enabled) in the
    /// configuration (Pacemaker's action_in_config); one that is not is
    /// orphaned where it runs.
    pub fn recurring_op_configured(&self, task: &str, interval_ms: u64) -> bool {
        self.ops
            .iter()
            .any(|d| d.enabled && d.name.eq_ignore_ascii_case(task) && d.interval_ms == interval_ms)
    }

    /// Whether the resource may live-migrate (`allow-migrate`; remote
    /// connections may by default, so that remote nodes can move without
    /// stopping what runs on them, but not guest nodes' connections, which
    /// move with their container).
    pub fn allows_migration(&self) -> bool {
        let configured = match self.meta.get("allow-migrate") {
            Some(v) => crate::options::is_true(v),
            // Not the connections of guest and bundle nodes, which run
            // inside their container.
            None => self.is_remote_connection && !self.meta.contains_key("container") && !self.orphan_container_filler,
        };
        configured && !self.migration.forbidden
    }

    pub fn new(id: &str, variant: Variant, xml_name: &str) -> Self {
        Resource {
            id: id.to_string(),
            variant,
            parent: None,
            children: Vec::new(),
            xml_name: xml_name.to_string(),
            class: String::new(),
            provider: None,
            agent: String::new(),
            description: None,
            meta: HashMap::new(),
            ops: Vec::new(),
            clone: CloneSettings::default(),
            priority: 0,
            stickiness: 0,
            migration_threshold: crate::score::INFINITY,
            failure_timeout_s: 0,
            managed: true,
            is_stonith: false,
            orphan: false,
            orphan_container_filler: false,
            failed: false,
            failed_stop: false,
            demote_after_failure: Vec::new(),
            blocked: false,
            failure_ignored: false,
            start_pending: false,
            started_before_roles: false,
            target_role: None,
            role: Role::Stopped,
            next_role: Role::Unknown,
            running_on: Vec::new(),
            known_on: Vec::new(),
            allowed: BTreeMap::new(),
            discovery: BTreeMap::new(),
            exclusive_discovery: false,
            lock_node: None,
            lock_time: 0,
            history_to_clear: Vec::new(),
            assigned_to: None,
            provisional: true,
            assigning: false,
            merging: false,
            failcount: HashMap::new(),
            failed_probe: HashMap::new(),
            instance: None,
            needs_fencing: true,
            utilization: std::collections::BTreeMap::new(),
            template: None,
            pending_task: None,
            pending_node: None,
            promoted_location: std::collections::BTreeMap::new(),
            lacks_promotion_ticket: false,
            active_recurring: Vec::new(),
            clone_name: None,
            history_on: Vec::new(),
            maintenance: false,
            config_xml: None,
            recorded_ops: Vec::new(),
            failure_records: Vec::new(),
            is_remote_connection: false,
            remote_reconnect_ms: 0,
            container: None,
            fillers: Vec::new(),
            stop_required: false,
            agent_changed_on: Vec::new(),
            migration: MigrationHistory::default(),
            bundle: None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Colocation {
    pub id: String,
    pub dependent: RscIdx,
    pub primary: RscIdx,
    pub score: i32,
    pub dependent_role: Role,
    pub primary_role: Role,
    pub node_attribute: Option<String>,
    pub influence: bool,
}

/// Ordering flags (a subset of Pacemaker's pe_ordering).
pub mod order_flags {
    pub const OPTIONAL: u32 = 0;
    pub const IMPLIES_THEN: u32 = 1 << 4;
    pub const IMPLIES_FIRST: u32 = 1 << 5;
    pub const RUNNABLE_LEFT: u32 = 1 << 9;
    pub const RESTART: u32 = 1 << 14;
    /// A required "then" of a promoted resource requires "first" too (its
    /// demote before its stop: Pacemaker's pe_order_promoted_implies_first).
    pub const PROMOTED_IMPLIES_FIRST: u32 = 1 << 7;
    pub const IMPLIES_FIRST_PRINTED: u32 = 1 << 17;
    pub const IMPLIES_THEN_PRINTED: u32 = 1 << 18;
    pub const ONE_OR_MORE: u32 = 1 << 20;
    pub const SERIALIZE_ONLY: u32 = 1 << 24;
    pub const ANTI_COLOCATION: u32 = 1 << 25;
    pub const ASYMMETRICAL: u32 = 1 << 26;
    /// Load orderings around a node's load_stopped pseudo-action (only
    /// relevant on the same node; not propagated).
    pub const LOAD: u32 = 1 << 27;
    /// Generated by the cluster itself (never dropped as a user ordering would be).
    pub const PRESERVE: u32 = 1 << 29;
    /// Between the halves of a live migration: no input while "first"
    /// cannot run (Pacemaker's pe_order_implies_first_migratable).
    pub const IMPLIES_FIRST_MIGRATABLE: u32 = 1 << 30;
    /// Holds only while "first" is not part of a live migration
    /// (Pacemaker's pe_order_apply_first_non_migratable).
    pub const APPLY_FIRST_NON_MIGRATABLE: u32 = 1 << 31;
    /// "first" is the start a migration makes a pseudo-action
    /// (Pacemaker's pe_order_pseudo_left).
    pub const PSEUDO_LEFT: u32 = 1 << 3;
}

/// A configured or implicit ordering between two resources' actions.
#[derive(Debug, Clone)]
pub struct RscOrder {
    pub id: String,
    /// For orderings after a clone that only need some of its instances
    /// (clone-min, require-all=false): how many.
    pub min_first_instances: usize,
    pub first: RscIdx,
    pub first_task: String,
    pub then: RscIdx,
    pub then_task: String,
    pub flags: u32,
}

/// An ordering from a resource set with require-all=false: any one of
/// `firsts` reaching `first_task` lets `thens` proceed.
#[derive(Debug, Clone)]
pub struct SetGate {
    pub id: String,
    pub firsts: Vec<RscIdx>,
    pub first_task: String,
    pub thens: Vec<RscIdx>,
    pub then_task: String,
    pub flags: u32,
}

/// Everything the scheduler knows.
#[derive(Debug, Default)]
pub struct WorkingSet {
    pub options: ClusterOptions,
    pub have_quorum: bool,
    pub nodes: Vec<Node>,
    pub resources: Vec<Resource>,
    /// Top-level resources in configuration order.
    pub top_level: Vec<RscIdx>,
    pub colocations: Vec<Colocation>,
    pub orders: Vec<RscOrder>,
    pub set_gates: Vec<SetGate>,
    pub have_stonith_resource: bool,
    /// Some resource provides or requires unfencing (Pacemaker's
    /// pe_flag_enable_unfencing).
    pub unfencing_enabled: bool,
    /// "Now" for time-based decisions (seconds since epoch): the CIB's
    /// execution-date if present, else the current time.
    pub now: i64,
    /// The CIB's execution-date, if any.
    pub original_date: Option<i64>,
    pub warnings: Vec<String>,
    /// Scheduling for a simulation, whose input may have had private
    /// parameters removed: a change of those alone is no change
    /// (Pacemaker's pe_flag_sanitized, which crm_simulate sets).
    pub sanitized: bool,
    /// Whether assignment writes down its node scores and utilization
    /// (crm_simulate -s/-U): on large clusters that costs more than the
    /// assignment itself, so only a run that shows them does.
    pub record_scores: bool,
    /// Tag id -> referenced ids (configuration/tags).
    pub tags: std::collections::HashMap<String, Vec<String>>,
    /// Some resources in the configuration could not be modelled (e.g.
    /// bundles): history of resources not found may belong to them.
    pub unsupported_resources: bool,
    /// Cluster-wide operation defaults: `<op_defaults>`, whose rules may
    /// name the resource's agent and the operation.
    pub op_defaults: Option<Element>,
    /// Ticket id -> (granted, standby), from the status section.
    pub tickets: std::collections::HashMap<String, (bool, bool)>,
    /// The earliest future time (seconds since the epoch) at which the
    /// outcome may change without any event (a lock expiring ...), by which
    /// the controller should schedule again. Graph: `recheck-by`.
    pub recheck_by: Option<i64>,
    /// Operation history entries worth pointing out (Pacemaker's data_set->failed), in
    /// the order history was unpacked.
    pub failed_ops: Vec<FailedOp>,
    /// Fail counts are kept per operation (`fail-count-rsc#start_0`), as since feature
    /// set 3.0.13, rather than per resource.
    pub per_operation_fail_counts: bool,
    /// (resource, node) whose fail count is to be cleared because all its failures there
    /// expired, in the order history showed them.
    pub expired_fail_counts: Vec<(RscIdx, NodeIdx)>,
}

/// A history entry listed among the "Failed Resource Actions": what its lrm_rsc_op said.
#[derive(Debug, Clone, Default)]
pub struct FailedOp {
    pub node: NodeIdx,
    /// `operation_key` (or the entry's id).
    pub key: String,
    /// Whether the entry had an `operation_key`: Pacemaker lists one entry without it per
    /// node (its duplicate check compares the missing keys as equal).
    pub has_operation_key: bool,
    pub task: String,
    pub interval_ms: u64,
    /// As recorded (`rc-code`, `op-status`), not as interpreted.
    pub rc: i32,
    pub status: i32,
    pub call_id: Option<String>,
    pub exit_reason: Option<String>,
    pub last_rc_change: Option<i64>,
    pub queue_time: Option<String>,
    pub exec_time: Option<String>,
}

impl WorkingSet {
    /// Whether a cluster node can be fenced (Pacemaker's pe_can_fence):
    /// fencing is enabled with a device (or watchdog) to do it, and this
    /// partition has quorum, ignores its loss, or has the node as a member.
    pub fn can_fence(&self, node: NodeIdx) -> bool {
        self.options.stonith_enabled
            && (self.have_stonith_resource || self.options.have_watchdog)
            && (self.have_quorum
                || self.options.no_quorum_policy == crate::options::NoQuorumPolicy::Ignore
                || self.nodes[node].online)
    }

    /// Asks for scheduling again by `time` unless that is not in the future
    /// or an earlier time was asked for (Pacemaker's pe__update_recheck_time).
    pub fn update_recheck_time(&mut self, time: i64) {
        if time > self.now && self.recheck_by.map_or(true, |t| t > time) {
            self.recheck_by = Some(time);
        }
    }

    pub fn node_by_name(&self, name: &str) -> Option<NodeIdx> {
        self.nodes.iter().position(|n| n.uname == name)
    }

    pub fn rsc_by_id(&self, id: &str) -> Option<RscIdx> {
        self.resources.iter().position(|r| r.id == id)
    }

    /// The name crm_simulate shows for a resource's executed actions: an
    /// anonymous clone instance goes by its history name when it has one
    /// other than the clone's base name.
    pub fn action_display_name(&self, r: RscIdx) -> &str {
        let res = &self.resources[r];
        let anonymous = self
            .enclosing_clone(r)
            .map(|c| !self.resources[c].clone.unique)
            .unwrap_or(false);
        if !anonymous {
            return &res.id;
        }
        // The transition names the instance by its configured (base) name,
        // which crm_simulate uses if some resource goes by that name in the
        // history; otherwise by the history name, else the instance id.
        let base = crate::unpack::strip_instance(&res.id);
        if self
            .resources
            .iter()
            .any(|x| x.id == base || x.clone_name.as_deref() == Some(base))
        {
            return base;
        }
        match &res.clone_name {
            Some(name) if name != base => name,
            _ => &res.id,
        }
    }

    /// The container resource a guest node runs in (None for cluster and
    /// remote nodes).
    pub fn guest_container(&self, node: NodeIdx) -> Option<RscIdx> {
        self.nodes[node].remote_rsc.and_then(|r| self.resources[r].container)
    }

    /// The node whose attributes count for a resource on `node`: for a
    /// resource with `container-attribute-target=host` on a guest node, the
    /// node its container is active on (None when it is nowhere), else
    /// `node` itself (Pacemaker's pe__node_attribute_calculated).
    pub fn attribute_node(&self, r: RscIdx, node: NodeIdx) -> Option<NodeIdx> {
        let to_host = self.resources[r]
            .meta
            .get("container-attribute-target")
            .is_some_and(|v| v.eq_ignore_ascii_case("host"));
        match self.guest_container(node) {
            Some(container) if to_host => self.resources[container].running_on.first().copied(),
            _ => Some(node),
        }
    }

    /// Whether a node is a guest node (its connection runs in a container).
    pub fn is_guest(&self, node: NodeIdx) -> bool {
        self.guest_container(node).is_some()
    }

    /// The outermost collective a resource is part of (Pacemaker's
    /// uber_parent): a bundle's members count as top-level themselves.
    pub fn top_parent(&self, mut r: RscIdx) -> RscIdx {
        while let Some(p) = self.resources[r].parent {
            if self.resources[p].variant == Variant::Bundle {
                break;
            }
            r = p;
        }
        r
    }

    pub fn is_clone(&self, r: RscIdx) -> bool {
        self.resources[r].variant == Variant::Clone
    }

    /// The clone this resource is an instance of (or is inside), if any.
    pub fn enclosing_clone(&self, r: RscIdx) -> Option<RscIdx> {
        let mut cur = self.resources[r].parent;
        while let Some(p) = cur {
            if self.resources[p].variant == Variant::Clone {
                return Some(p);
            }
            cur = self.resources[p].parent;
        }
        None
    }

    /// Whether a group starts its members one after another and stops them
    /// in reverse (its "ordered" meta-attribute, true unless set false).
    pub fn group_is_ordered(&self, g: RscIdx) -> bool {
        self.resources[g].meta.get("ordered").map(|v| crate::options::is_true(v)).unwrap_or(true)
    }

    pub fn is_promotable_member(&self, r: RscIdx) -> bool {
        // The outermost clone: a bundle's inner clone is inside the bundle.
        let mut clone = None;
        let mut cur = Some(r);
        while let Some(c) = cur {
            if self.resources[c].variant == Variant::Clone {
                clone = Some(c);
            }
            cur = self.resources[c].parent;
        }
        clone.is_some_and(|c| self.resources[c].clone.promotable)
    }

    /// All primitives under (and including) this resource, in order.
    pub fn primitives_of(&self, r: RscIdx) -> Vec<RscIdx> {
        let mut out = Vec::new();
        self.collect_primitives(r, &mut out);
        out
    }

    fn collect_primitives(&self, r: RscIdx, out: &mut Vec<RscIdx>) {
        if self.resources[r].variant == Variant::Primitive {
            out.push(r);
        } else {
            for &c in &self.resources[r].children {
                self.collect_primitives(c, out);
            }
        }
    }

    /// Whether a resource (of any variant) is active on any node.
    pub fn is_active(&self, r: RscIdx) -> bool {
        self.primitives_of(r)
            .iter()
            .any(|&p| !self.resources[p].running_on.is_empty())
    }

    /// Whether a primitive counts as active for the status display: it runs
    /// on an unclean node, on an online one, or unmanaged on an offline one
    /// (a managed resource on a node that is merely offline, such as a lost
    /// guest node not yet unclean, is not).
    pub fn counts_as_active(&self, p: RscIdx) -> bool {
        let res = &self.resources[p];
        res.running_on.iter().any(|&n| {
            let node = &self.nodes[n];
            node.unclean || node.online || !res.managed
        })
    }

    /// Union of nodes the resource's primitives run on, in first-seen order.
    /// The nodes a group or clone counts as active on (Pacemaker's
    /// running_on of a collective resource): where its primitives are
    /// active, except unmanaged ones on offline nodes.
    pub fn collective_running_on(&self, r: RscIdx) -> Vec<NodeIdx> {
        let mut out: Vec<NodeIdx> = Vec::new();
        for p in self.primitives_of(r) {
            let res = &self.resources[p];
            for &n in &res.running_on {
                if (res.managed || self.nodes[n].online) && !out.contains(&n) {
                    out.push(n);
                }
            }
        }
        out
    }

    pub fn running_nodes(&self, r: RscIdx) -> Vec<NodeIdx> {
        let mut out: Vec<NodeIdx> = Vec::new();
        for p in self.primitives_of(r) {
            for &n in &self.resources[p].running_on {
                if !out.contains(&n) {
                    out.push(n);
                }
            }
        }
        out
    }
}
