//! Helpers shared by the compat test files (each tests/*.rs includes this module).
#![allow(dead_code)]

use compat_tests::{cib, Element, Node};

/// `(admin_epoch, epoch, num_updates)` of the node's CIB.
pub fn version(node: &Node) -> (i64, i64, i64) {
    cib::version(&node.run(&["cibadmin", "-Q", "--no-children"]).expect_ok().xml())
}

/// One section of the configuration (`cibadmin -Q -o <section>`), parsed.
pub fn section(node: &Node, name: &str) -> Element {
    node.run(&["cibadmin", "-Q", "-o", name]).expect_ok().xml()
}

/// The compact serialization of `element`: comparing it pins names, attribute order and
/// values and child order in one assertion.
pub fn compact(element: &Element) -> String {
    compat_tests::cib::compact(element)
}

/// The primitive the resource tests start from.
pub const DUMMY_D1: &str = r#"<primitive id="d1" class="ocf" provider="heartbeat" type="Dummy"/>"#;

/// A fresh-looking CIB with node1 (id 1, as corosync numbers it) in the nodes section,
/// which node attribute tools need to map the name to an id.
pub const CIB_WITH_NODE1: &str = r#"<cib crm_feature_set="3.16.1" validate-with="pacemaker-3.9" epoch="5" num_updates="0" admin_epoch="0">
  <configuration>
    <crm_config/>
    <nodes>
      <node id="1" uname="node1"/>
    </nodes>
    <resources/>
    <constraints/>
  </configuration>
  <status/>
</cib>
"#;

pub fn seed_node1(opts: &mut compat_tests::NodeOpts) {
    opts.cib_xml = Some(CIB_WITH_NODE1.to_owned());
}
