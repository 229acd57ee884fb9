//! Files and scripts of a multi-node test cluster: corosync.conf with a node list on the
//! test bridge, the namespace setup of a member, the switch namespace, and seed CIBs.

use crate::sandbox::{shell_quote, REAPER};
use std::path::Path;

/// `totem.cluster_name` of every test cluster.
pub const CLUSTER_NAME: &str = "compatmulti";
/// The /24 the members' `eth0` addresses come from. It only exists inside the test's
/// private network namespaces, so every test can use the same one.
pub const SUBNET: &str = "10.213.0";
/// Name of the bridge inside the switch namespace.
pub const BRIDGE: &str = "br0";

/// Hostname and corosync node name of member `index` (1-based).
pub fn member_name(index: usize) -> String {
    format!("node{index}")
}

/// Address of member `index` on the test bridge.
pub fn member_address(index: usize) -> String {
    format!("{SUBNET}.{index}")
}

/// corosync.conf for `members` nodes on the bridge, with a 1 s token so that a lost member
/// is noticed in about 2 s.
pub fn corosync_config(members: usize) -> String {
    let nodes: Vec<(String, String)> = (1..=members).map(|index| (member_name(index), member_address(index))).collect();
    crate::corosync::render(CLUSTER_NAME, Some(1000), &nodes)
}

/// The switch: a network namespace holding only the bridge the members are plugged into.
pub fn switch_script(ready: &Path) -> String {
    format!(
        "ip link set lo up
ip link add {BRIDGE} type bridge
ip link set {BRIDGE} up
touch {ready}
{REAPER}
",
        ready = shell_quote(&ready.display().to_string())
    )
}

/// A minimal CIB with the given cluster options in `cib-bootstrap-options`.
pub fn seed_cib(options: &[(&str, &str)]) -> String {
    SeedCib { options, ..SeedCib::default() }.xml()
}

/// A CIB a test starts its nodes from: the cluster options and resources it needs, and
/// otherwise empty sections, so that each test states only what it depends on.
#[derive(Debug, Clone, Copy)]
pub struct SeedCib<'a> {
    /// `crm_feature_set` of the writer the CIB pretends to come from.
    pub feature_set: &'a str,
    /// `validate-with`: an old schema makes the controller upgrade it.
    pub schema: &'a str,
    pub epoch: u32,
    /// Name and value of each `nvpair` in `cib-bootstrap-options`.
    pub options: &'a [(&'a str, &'a str)],
    /// The content of the resources section (empty: no resources).
    pub resources: &'a str,
}

impl Default for SeedCib<'_> {
    fn default() -> Self {
        SeedCib { feature_set: "3.16.1", schema: "pacemaker-3.9", epoch: 1, options: &[], resources: "" }
    }
}

impl SeedCib<'_> {
    pub fn xml(&self) -> String {
        let mut pairs = String::new();
        for (name, value) in self.options {
            pairs.push_str(&format!(
                "        <nvpair id=\"cib-bootstrap-options-{name}\" name=\"{name}\" value=\"{value}\"/>\n"
            ));
        }
        let resources = if self.resources.is_empty() {
            "<resources/>".to_owned()
        } else {
            format!("<resources>\n{}\n    </resources>", self.resources.trim_matches('\n'))
        };
        let SeedCib { feature_set, schema, epoch, .. } = self;
        format!(
            "<cib crm_feature_set=\"{feature_set}\" validate-with=\"{schema}\" epoch=\"{epoch}\" num_updates=\"0\" admin_epoch=\"0\">
  <configuration>
    <crm_config>
      <cluster_property_set id=\"cib-bootstrap-options\">
{pairs}      </cluster_property_set>
    </crm_config>
    <nodes/>
    {resources}
    <constraints/>
  </configuration>
  <status/>
</cib>
"
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_cib_holds_the_options_and_resources_asked_for() {
        let xml = SeedCib { epoch: 5, options: &[("dc-deadtime", "2s")], resources: "\n<primitive id=\"d1\"/>\n", ..SeedCib::default() }.xml();
        let cib = crate::cib::parse(&xml).expect("a seed CIB parses");
        assert_eq!(cib.attr("epoch"), Some("5"));
        let names: Vec<&str> = cib.descendants().map(|e| e.name.as_str()).collect();
        assert!(names.contains(&"primitive") && names.contains(&"nvpair"), "{xml}");
        assert!(seed_cib(&[]).contains("    <resources/>\n"));
    }

    #[test]
    fn two_node_config_lists_both_members_on_the_bridge() {
        let config = corosync_config(2);
        assert!(config.contains("name: node2\n        nodeid: 2\n        ring0_addr: 10.213.0.2"));
        assert!(config.contains("two_node: 1"));
        assert!(!corosync_config(3).contains("two_node"));
    }

    #[test]
    fn seed_cib_parses_and_holds_the_options() {
        let cib = crate::cib::parse(&seed_cib(&[("dc-deadtime", "2s")])).expect("seed parses");
        assert_eq!(crate::cib::nvpair_value(&cib, "dc-deadtime"), Some("2s"));
    }
}
