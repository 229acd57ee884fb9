//! Bundles: a `<bundle>` becomes a set of implicit resources per replica
//! (a container, optionally an IP address, and when there is a resource
//! inside, a guest node connection), plus a clone of the inner resource with
//! one instance per replica, each placed on its replica's guest node.

use libcrmcommon::xml::Element;

use super::remote::{connection_xml, op_xml, ConnectionSpec};
use super::resources::unpack_one;
use crate::model::{BundleReplica, BundleSettings, Discovery, RscIdx, WorkingSet};
use crate::options::is_true;
use crate::score::INFINITY;

/// Element and attribute names of the bundle syntax.
mod names {
    pub const ENGINES: [&str; 3] = ["docker", "rkt", "podman"];
    pub const PROMOTED_MAX: &str = "promoted-max";
    /// Deprecated spelling of promoted-max.
    pub const MASTERS: &str = "masters";
    pub const REPLICAS: &str = "replicas";
    pub const REPLICAS_PER_HOST: &str = "replicas-per-host";
    pub const RUN_COMMAND: &str = "run-command";
    pub const OPTIONS: &str = "options";
    pub const IMAGE: &str = "image";
    pub const NETWORK: &str = "network";
    pub const IP_RANGE_START: &str = "ip-range-start";
    pub const HOST_NETMASK: &str = "host-netmask";
    pub const HOST_INTERFACE: &str = "host-interface";
    pub const CONTROL_PORT: &str = "control-port";
    pub const ADD_HOST: &str = "add-host";
    pub const PORT: &str = "port";
    pub const RANGE: &str = "range";
    pub const INTERNAL_PORT: &str = "internal-port";
    pub const STORAGE: &str = "storage";
    pub const SOURCE_DIR: &str = "source-dir";
    pub const SOURCE_DIR_ROOT: &str = "source-dir-root";
    pub const TARGET_DIR: &str = "target-dir";
}

/// Fixed facts of Pacemaker's build that end up in container parameters.
mod build {
    pub const DEFAULT_REMOTE_PORT: &str = "3121";
    pub const REMOTE_KEY_LOCATION: &str = "/etc/pacemaker/authkey";
    pub const BUNDLE_LOG_DIR: &str = "/var/log/pacemaker/bundles";
    pub const REMOTED: &str = "/usr/sbin/pacemaker-remoted";
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Engine {
    Docker,
    Rkt,
    Podman,
}

impl Engine {
    fn name(self) -> &'static str {
        match self {
            Engine::Docker => "docker",
            Engine::Rkt => "rkt",
            Engine::Podman => "podman",
        }
    }
}

struct Mount {
    source: String,
    target: String,
    options: Option<String>,
    /// `source-dir-root`: each replica gets its own subdirectory.
    per_replica: bool,
}

struct PortMapping {
    source: String,
    target: String,
}

/// A bundle's configuration as written.
struct BundleConfig<'a> {
    prefix: String,
    engine: Engine,
    promoted_max: usize,
    replicas: usize,
    replicas_per_host: usize,
    run_command: Option<String>,
    launcher_options: Option<String>,
    image: String,
    container_network: Option<String>,
    ip_range_start: Option<String>,
    host_netmask: Option<String>,
    host_interface: Option<String>,
    control_port: Option<String>,
    add_host: bool,
    ports: Vec<PortMapping>,
    mounts: Vec<Mount>,
    primitive: Option<&'a Element>,
}

/// The meta attribute saying whose node attributes a containerized resource uses.
const ATTRIBUTE_TARGET: &str = "container-attribute-target";

/// A non-negative integer attribute, `default` when absent and 0 when invalid
/// or negative (as Pacemaker scans these).
fn count_attr(xml: &Element, name: &str) -> Option<usize> {
    xml.attr(name).map(|v| v.trim().parse::<i64>().map(|n| n.max(0) as usize).unwrap_or(0))
}

impl<'a> BundleConfig<'a> {
    fn parse(xml: &'a Element) -> Option<BundleConfig<'a>> {
        let prefix = xml.id()?.to_string();
        let (engine, container) = names::ENGINES.iter().zip([Engine::Docker, Engine::Rkt, Engine::Podman]).find_map(
            |(name, engine)| xml.child(name).map(|c| (engine, c)),
        )?;
        let promoted_max = count_attr(container, names::PROMOTED_MAX)
            .or_else(|| count_attr(container, names::MASTERS))
            .unwrap_or(0);
        let replicas = match count_attr(container, names::REPLICAS) {
            None if promoted_max > 0 => promoted_max,
            Some(n) => n.max(1),
            None => 1,
        };
        let replicas_per_host = count_attr(container, names::REPLICAS_PER_HOST).unwrap_or(1).max(1);
        let owned = |e: &Element, name: &str| e.attr(name).map(str::to_string);
        let mut config = BundleConfig {
            prefix,
            engine,
            promoted_max,
            replicas,
            replicas_per_host,
            run_command: owned(container, names::RUN_COMMAND),
            launcher_options: owned(container, names::OPTIONS),
            image: owned(container, names::IMAGE).unwrap_or_default(),
            container_network: owned(container, names::NETWORK),
            ip_range_start: None,
            host_netmask: None,
            host_interface: None,
            control_port: None,
            add_host: true,
            ports: Vec::new(),
            mounts: Vec::new(),
            primitive: xml.child("primitive"),
        };
        if let Some(network) = xml.child(names::NETWORK) {
            config.ip_range_start = owned(network, names::IP_RANGE_START);
            config.host_netmask = owned(network, names::HOST_NETMASK);
            config.host_interface = owned(network, names::HOST_INTERFACE);
            config.control_port = owned(network, names::CONTROL_PORT);
            config.add_host = network.attr(names::ADD_HOST).and_then(crate::options::parse_boolean).unwrap_or(true);
            for mapping in network.elements() {
                let (source, target) = match mapping.attr(names::PORT) {
                    Some(port) => (Some(port), mapping.attr(names::INTERNAL_PORT)),
                    None => (mapping.attr(names::RANGE), None),
                };
                if let Some(source) = source.filter(|s| !s.is_empty()) {
                    config.ports.push(PortMapping { source: source.to_string(), target: target.unwrap_or(source).to_string() });
                }
            }
        }
        if let Some(storage) = xml.child(names::STORAGE) {
            for mapping in storage.elements() {
                let (source, per_replica) = match mapping.attr(names::SOURCE_DIR) {
                    Some(s) => (Some(s), false),
                    None => (mapping.attr(names::SOURCE_DIR_ROOT), true),
                };
                if let (Some(source), Some(target)) = (source, mapping.attr(names::TARGET_DIR)) {
                    config.mounts.push(Mount {
                        source: source.to_string(),
                        target: target.to_string(),
                        options: owned(mapping, names::OPTIONS),
                        per_replica,
                    });
                }
            }
        }
        // A control port without an IP range means one replica per host.
        if config.ip_range_start.is_none() && config.control_port.is_some() {
            config.replicas_per_host = 1;
        }
        Some(config)
    }

    /// Whether Pacemaker can reach a resource inside the containers.
    fn valid_network(&self) -> bool {
        self.ip_range_start.is_some() || self.control_port.is_some()
    }

    /// Whether the replicas run a resource inside (and so make guest nodes).
    fn has_guests(&self) -> bool {
        self.primitive.is_some() && self.valid_network()
    }

    fn guest_name(&self, offset: usize) -> String {
        format!("{}-{offset}", self.prefix)
    }

    /// Each replica's IP address: consecutive addresses from the range start.
    fn ip_addresses(&self) -> Vec<Option<String>> {
        let mut last: Option<String> = None;
        (0..self.replicas)
            .map(|_| {
                let start = self.ip_range_start.as_ref()?;
                let next = match &last {
                    None => Some(start.clone()),
                    Some(prev) => next_ip(prev),
                };
                if next.is_some() {
                    last = next.clone();
                }
                next
            })
            .collect()
    }
}

/// The IPv4 address after `last` within its /16 (octets up to 254).
fn next_ip(last: &str) -> Option<String> {
    let octets: Vec<u32> = last.split('.').map(|o| o.parse().ok()).collect::<Option<_>>()?;
    let [a, b, mut c, mut d] = <[u32; 4]>::try_from(octets).ok()?;
    if c > 253 {
        return None;
    }
    if d > 253 {
        c += 1;
        d = 1;
    } else {
        d += 1;
    }
    Some(format!("{a}.{b}.{c}.{d}"))
}

fn nvpair(set_id: &str, name: &str, value: &str) -> Element {
    Element::new("nvpair")
        .with_attr("id", format!("{set_id}-{name}"))
        .with_attr("name", name)
        .with_attr("value", value)
}

fn ocf_primitive(id: &str, agent: &str) -> Element {
    Element::new("primitive")
        .with_attr("id", id)
        .with_attr("class", "ocf")
        .with_attr("provider", "heartbeat")
        .with_attr("type", agent)
}

/// The clone of the inner resource, one instance per replica.
fn child_clone_xml(config: &BundleConfig, primitive: &Element) -> Element {
    let kind = if config.promoted_max > 0 { "master" } else { "clone" };
    let set_id = format!("{}-clone-meta", config.prefix);
    let mut meta = Element::new("meta_attributes").with_attr("id", set_id.clone());
    let unique = if config.replicas_per_host > 1 { "true" } else { "false" };
    meta.push_child(nvpair(&set_id, "ordered", "true"));
    meta.push_child(nvpair(&set_id, "clone-max", &config.replicas.to_string()));
    meta.push_child(nvpair(&set_id, "clone-node-max", &config.replicas_per_host.to_string()));
    meta.push_child(nvpair(&set_id, "globally-unique", unique));
    if config.promoted_max > 0 {
        meta.push_child(nvpair(&set_id, "promotable", "true"));
        meta.push_child(nvpair(&set_id, "promoted-max", &config.promoted_max.to_string()));
    }
    Element::new("clone")
        .with_attr("id", format!("{}-{kind}", config.prefix))
        .with_child(meta)
        .with_child(primitive.clone())
}

fn ip_xml(config: &BundleConfig, offset: usize, ipaddr: &str) -> Element {
    let id = format!("{}-ip-{ipaddr}", config.prefix);
    let set_id = format!("{}-attributes-{offset}", config.prefix);
    let mut params = Element::new("instance_attributes").with_attr("id", set_id.clone());
    params.push_child(nvpair(&set_id, "ip", ipaddr));
    if let Some(nic) = &config.host_interface {
        params.push_child(nvpair(&set_id, "nic", nic));
    }
    params.push_child(nvpair(&set_id, "cidr_netmask", config.host_netmask.as_deref().unwrap_or("32")));
    let operations = Element::new("operations").with_child(op_xml(&id, "monitor", "60s", None));
    ocf_primitive(&id, "IPaddr2").with_child(params).with_child(operations)
}

/// The container's run options, as the resource agent gets them.
fn run_options(config: &BundleConfig, offset: usize, ipaddr: Option<&str>, host_options: &str) -> String {
    let (hostname_opt, env_opt) = match config.engine {
        Engine::Docker | Engine::Podman => ("-h ", "-e "),
        Engine::Rkt => ("--hostname=", "--environment="),
    };
    let mut opts = String::new();
    if config.engine == Engine::Docker {
        opts.push_str(" --restart=no");
    }
    if config.ip_range_start.is_some() {
        opts.push_str(&format!(" {hostname_opt}{}-{offset}", config.prefix));
    }
    opts.push_str(&format!(" {env_opt}PCMK_stderr=1"));
    if let Some(net) = &config.container_network {
        opts.push_str(&format!(" --net={net}"));
    }
    let port = config.control_port.as_deref().unwrap_or(build::DEFAULT_REMOTE_PORT);
    opts.push_str(&format!(" {env_opt}PCMK_remote_port={port}"));
    for (volume, mount) in config.mounts.iter().enumerate() {
        let source = if mount.per_replica {
            format!("{}/{}-{offset}", mount.source, config.prefix)
        } else {
            mount.source.clone()
        };
        match config.engine {
            Engine::Docker | Engine::Podman => {
                opts.push_str(&format!(" -v {source}:{}", mount.target));
                if let Some(o) = &mount.options {
                    opts.push_str(&format!(":{o}"));
                }
            }
            Engine::Rkt => {
                let extra = mount.options.as_ref().map(|o| format!(",{o}")).unwrap_or_default();
                opts.push_str(&format!(
                    " --volume vol{volume},kind=host,source={source}{extra} --mount volume=vol{volume},target={}",
                    mount.target
                ));
            }
        }
    }
    for port in &config.ports {
        match (config.engine, ipaddr) {
            (Engine::Rkt, Some(ip)) => opts.push_str(&format!(" --port={}:{ip}:{}", port.target, port.source)),
            (Engine::Rkt, None) => opts.push_str(&format!(" --port={}:{}", port.target, port.source)),
            (_, Some(ip)) => opts.push_str(&format!(" -p {ip}:{}:{}", port.source, port.target)),
            // Host networking needs no port mapping.
            (_, None) if config.container_network.as_deref() != Some("host") => {
                opts.push_str(&format!(" -p {}:{}", port.source, port.target))
            }
            _ => {}
        }
    }
    if let Some(o) = &config.launcher_options {
        opts.push_str(&format!(" {o}"));
    }
    opts.push_str(&format!(" {host_options}"));
    opts
}

fn container_xml(config: &BundleConfig, offset: usize, ipaddr: Option<&str>, host_options: &str) -> Element {
    let agent = config.engine.name();
    let id = format!("{}-{agent}-{offset}", config.prefix);
    let set_id = format!("{}-attributes-{offset}", config.prefix);
    let mut params = Element::new("instance_attributes").with_attr("id", set_id.clone());
    params.push_child(nvpair(&set_id, "image", &config.image));
    params.push_child(nvpair(&set_id, "allow_pull", "true"));
    params.push_child(nvpair(&set_id, "force_kill", "false"));
    params.push_child(nvpair(&set_id, "reuse", "false"));
    params.push_child(nvpair(&set_id, "run_opts", &run_options(config, offset, ipaddr, host_options)));
    let per_replica_dirs: Vec<String> = config
        .mounts
        .iter()
        .filter(|m| m.per_replica)
        .map(|m| format!("{}/{}-{offset}", m.source, config.prefix))
        .collect();
    params.push_child(nvpair(&set_id, "mount_points", &per_replica_dirs.join(",")));
    let run_cmd = match (&config.run_command, config.has_guests()) {
        (Some(cmd), _) => Some(cmd.as_str()),
        (None, true) => Some(build::REMOTED),
        (None, false) => None,
    };
    if let Some(cmd) = run_cmd {
        params.push_child(nvpair(&set_id, "run_cmd", cmd));
    }
    // Only whether the container is alive: what runs inside is monitored itself.
    params.push_child(nvpair(&set_id, "monitor_cmd", "/bin/true"));
    let operations = Element::new("operations").with_child(op_xml(&id, "monitor", "60s", None));
    ocf_primitive(&id, agent).with_child(params).with_child(operations)
}

/// Options naming every replica's host name and address, given to every
/// container.
fn host_options(config: &BundleConfig, addresses: &[Option<String>]) -> String {
    let mut out = String::new();
    for (offset, ip) in addresses.iter().enumerate() {
        let Some(ip) = ip else { continue };
        let prefix = &config.prefix;
        match config.engine {
            Engine::Docker | Engine::Podman if config.add_host => {
                out.push_str(&format!(" --add-host={prefix}-{offset}:{ip}"))
            }
            _ => out.push_str(&format!(" --hosts-entry={ip}={prefix}-{offset}")),
        }
    }
    out
}

/// Unpacks the members of bundle `idx` from its configuration `xml`.
pub(super) fn unpack_bundle_members(ws: &mut WorkingSet, idx: RscIdx, xml: &Element, rsc_defaults: Option<&Element>) {
    let Some(mut config) = BundleConfig::parse(xml) else {
        ws.warnings.push(format!("bundle {} has no container engine", ws.resources[idx].id));
        return;
    };
    if config.primitive.is_some() && !config.valid_network() {
        ws.warnings.push(format!(
            "Cannot control {} inside {} without either ip-range-start or control-port",
            config.primitive.and_then(Element::id).unwrap_or(""),
            config.prefix
        ));
        config.primitive = None;
    }
    let child_clone = config.primitive.map(|p| child_clone_xml(&config, p));
    let child = child_clone.and_then(|c| unpack_one(ws, &c, Some(idx), rsc_defaults, None));
    if child.is_some() {
        // The connection's key and a log directory per replica are mounted
        // into every container, and the control port is published.
        config.mounts.push(Mount {
            source: build::REMOTE_KEY_LOCATION.to_string(),
            target: build::REMOTE_KEY_LOCATION.to_string(),
            options: None,
            per_replica: false,
        });
        if !config.mounts.iter().any(|m| m.target == "/var/log") {
            config.mounts.push(Mount {
                source: build::BUNDLE_LOG_DIR.to_string(),
                target: "/var/log".to_string(),
                options: None,
                per_replica: true,
            });
        }
        let port = config.control_port.clone().unwrap_or_else(|| build::DEFAULT_REMOTE_PORT.to_string());
        config.ports.push(PortMapping { source: port.clone(), target: port });
    }
    let instances = child.map(|c| ws.resources[c].children.clone()).unwrap_or_default();
    let replica_count = if child.is_some() { instances.len() } else { config.replicas };
    let addresses: Vec<Option<String>> = config.ip_addresses().into_iter().take(replica_count).collect();
    let host_opts = host_options(&config, &addresses);

    let mut replicas = Vec::new();
    for offset in 0..replica_count {
        let ipaddr = addresses.get(offset).cloned().flatten();
        let container_def = container_xml(&config, offset, ipaddr.as_deref(), &host_opts);
        let Some(container) = unpack_one(ws, &container_def, Some(idx), rsc_defaults, None) else { continue };
        ws.resources[idx].children.push(container);
        let ip = ipaddr.as_deref().and_then(|addr| {
            let ip = unpack_one(ws, &ip_xml(&config, offset, addr), Some(idx), rsc_defaults, None)?;
            ws.resources[idx].children.push(ip);
            Some(ip)
        });
        let inner = instances.get(offset).copied();
        let (remote, node) = match inner {
            Some(inner) => make_guest(ws, idx, &config, offset, ipaddr.as_deref(), container, inner, rsc_defaults),
            None => (None, None),
        };
        if let (Some(inner), Some(ip)) = (inner, &ipaddr) {
            ws.resources[inner].meta.insert("external-ip".to_string(), ip.clone());
        }
        if let Some(inner) = inner {
            // Utilization can only be configured on the inner resource, but
            // it is the container that uses the host's capacity.
            let utilization = std::mem::take(&mut ws.resources[inner].utilization);
            ws.resources[container].utilization = utilization;
        }
        replicas.push(BundleReplica { offset, ipaddr, container, ip, remote, child: inner, node });
    }
    if let Some(c) = child {
        let notify = ws.resources[c].children.iter().any(|&i| ws.resources[i].meta.get("notify").is_some_and(|v| is_true(v)));
        if notify {
            ws.resources[c].clone.notify = true;
        }
        // Pacemaker takes the last replica's container-attribute-target as
        // the bundle's and its clone's (their notifications then name hosts).
        let target = ws.resources[c].children.last().and_then(|&i| ws.resources[i].meta.get(ATTRIBUTE_TARGET).cloned());
        if let Some(target) = target {
            ws.resources[idx].meta.insert(ATTRIBUTE_TARGET.to_string(), target.clone());
            ws.resources[c].meta.insert(ATTRIBUTE_TARGET.to_string(), target);
        }
        ws.resources[idx].children.push(c);
    }
    // A bundle is unique unless each host runs one replica at most.
    ws.resources[idx].clone.unique = config.replicas_per_host > 1;
    ws.resources[idx].bundle = Some(Box::new(BundleSettings {
        image: config.image.clone(),
        replicas,
        replicas_per_host: config.replicas_per_host,
        promoted_max: config.promoted_max,
        child,
    }));
}

/// Creates a replica's guest node connection and confines the replica's
/// instance of the inner resource to that guest node.
#[allow(clippy::too_many_arguments)]
fn make_guest(
    ws: &mut WorkingSet,
    bundle: RscIdx,
    config: &BundleConfig,
    offset: usize,
    ipaddr: Option<&str>,
    container: RscIdx,
    inner: RscIdx,
    rsc_defaults: Option<&Element>,
) -> (Option<RscIdx>, Option<crate::model::NodeIdx>) {
    let mut name = config.guest_name(offset);
    if ws.rsc_by_id(&name).is_some() {
        name = format!("pcmk-internal-{}-remote-{offset}", ws.resources[inner].id);
    }
    let container_id = ws.resources[container].id.clone();
    let port = config.control_port.as_deref().unwrap_or(build::DEFAULT_REMOTE_PORT);
    // "#uname" stands for the container's host: bundles may run on remote
    // nodes, whose connection then goes through that host.
    let definition = connection_xml(&ConnectionSpec {
        name: &name,
        container: Some(&container_id),
        allow_migrate: None,
        managed: None,
        start_timeout: None,
        server: Some(ipaddr.unwrap_or("#uname")),
        port: Some(port),
    });
    // The guest node is made now (unless configured): only resources
    // unpacked from here on learn of it, as in Pacemaker.
    let node = Some(ws.node_by_name(&name).unwrap_or_else(|| {
        ws.nodes.push(super::nodes::new_node(&name, &name, true));
        ws.nodes.len() - 1
    }));
    if let Some(n) = node {
        ws.nodes[n].bundle_guest = true;
        keep_earlier_resources_off(ws, n);
        let res = &mut ws.resources[inner];
        res.allowed.clear();
        res.allowed.insert(n, 500);
        res.discovery.clear();
        res.discovery.insert(n, Discovery::Exclusive);
        res.exclusive_discovery = true;
        if let Some(clone) = res.parent {
            ws.resources[clone].allowed.insert(n, -INFINITY);
        }
    }
    let remote = unpack_one(ws, &definition, Some(bundle), rsc_defaults, None);
    if let Some(r) = remote {
        // The connection runs on a cluster node only (no nesting through a
        // node configured as remote, whether or not anything makes it).
        let remote_nodes: Vec<_> = ws.resources[r].allowed.keys().copied().filter(|&n| ws.nodes[n].is_remote).collect();
        for n in remote_nodes {
            ws.resources[r].allowed.insert(n, -INFINITY);
        }
        ws.resources[bundle].children.push(r);
        if let Some(n) = node {
            ws.nodes[n].attrs.insert("#kind".to_string(), "container".to_string());
        }
    }
    (remote, node)
}

/// A configured node that turns out to be a bundle's guest node may already
/// be among the nodes of resources unpacked before the bundle: it is banned
/// (and never looked at) there, as in Pacemaker. Resources unpacked later
/// leave guest nodes out of their defaults altogether.
fn keep_earlier_resources_off(ws: &mut WorkingSet, node: crate::model::NodeIdx) {
    fn ban(ws: &mut WorkingSet, r: RscIdx, node: crate::model::NodeIdx) {
        if let Some(score) = ws.resources[r].allowed.get_mut(&node) {
            *score = -INFINITY;
            ws.resources[r].discovery.insert(node, Discovery::Never);
        }
        for c in ws.resources[r].children.clone() {
            ban(ws, c, node);
        }
    }
    for r in ws.top_level.clone() {
        ban(ws, r, node);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replica_addresses_count_up_within_the_range() {
        assert_eq!(next_ip("192.168.122.131").as_deref(), Some("192.168.122.132"));
        assert_eq!(next_ip("10.0.1.254").as_deref(), Some("10.0.2.1"));
        assert_eq!(next_ip("10.0.254.254"), None);
        assert_eq!(next_ip("fe80::1"), None);
    }

    #[test]
    fn a_bundle_without_a_resource_inside_makes_no_guest_nodes() {
        let xml = libcrmcommon::xml::parse(
            r#"<bundle id="web"><docker image="img" replicas="2"/><network control-port="3121"/></bundle>"#,
        )
        .unwrap();
        let config = BundleConfig::parse(&xml).unwrap();
        assert_eq!(config.replicas, 2);
        assert!(!config.has_guests());
        assert_eq!(config.ip_addresses(), vec![None, None]);
    }
}
