//! What `crm_mon --output-as=xml` says about a cluster, reduced to what the scenarios check.

use std::collections::BTreeMap;

#[derive(Debug, Clone, Default)]
pub struct NodeStatus {
    pub online: bool,
    pub standby: bool,
    pub unclean: bool,
    pub pending: bool,
}

/// One `crm_mon` snapshot.
#[derive(Debug, Clone, Default)]
pub struct Status {
    pub dc: Option<String>,
    pub nodes: BTreeMap<String, NodeStatus>,
    /// Resource id → the nodes it is active on (a clone's instances all count under the
    /// primitive's id).
    pub active: BTreeMap<String, Vec<String>>,
    /// Resources crm_mon marks failed (active, but to be recovered).
    pub failed: Vec<String>,
    /// (resource id, node) of every failed operation listed.
    pub failures: Vec<(String, String)>,
    /// Resources with a fail count on some node.
    pub fail_counts: Vec<String>,
    /// The whole XML, for messages.
    pub text: String,
}

impl Status {
    pub fn parse(text: &str) -> Result<Status, String> {
        let doc = libcrmcommon::xml::parse(text).map_err(|e| format!("crm_mon XML does not parse: {e:?}\n{text}"))?;
        let mut status = Status { text: text.to_owned(), ..Status::default() };
        for element in doc.descendants() {
            match element.name.as_str() {
                "current_dc" if element.attr("present") == Some("true") => {
                    status.dc = element.attr("name").map(str::to_owned);
                }
                "node" if element.attr("online").is_some() => {
                    let flag = |name: &str| element.attr(name) == Some("true");
                    let name = element.attr("name").unwrap_or_default().to_owned();
                    status.nodes.insert(
                        name,
                        NodeStatus {
                            online: flag("online"),
                            standby: flag("standby"),
                            unclean: flag("unclean"),
                            pending: flag("pending"),
                        },
                    );
                }
                "resource" if element.attr("active") == Some("true") => {
                    let id = element.attr("id").unwrap_or_default();
                    let id = id.split(':').next().unwrap_or(id).to_owned();
                    if element.attr("failed") == Some("true") {
                        status.failed.push(id.clone());
                    }
                    let on = element.elements().filter(|child| child.name == "node").filter_map(|node| node.attr("name"));
                    status.active.entry(id).or_default().extend(on.map(str::to_owned));
                }
                "resource_history" if element.attr("fail-count").is_some_and(|count| count != "0") => {
                    let id = element.attr("id").unwrap_or_default();
                    status.fail_counts.push(id.split(':').next().unwrap_or(id).to_owned());
                }
                "failure" => {
                    let key = element.attr("op_key").unwrap_or_default();
                    // op_key is <resource>_<action>_<interval>; resource ids may hold '_'.
                    let resource = key.rsplitn(3, '_').nth(2).unwrap_or(key);
                    let resource = resource.split(':').next().unwrap_or(resource);
                    status.failures.push((resource.to_owned(), element.attr("node").unwrap_or_default().to_owned()));
                }
                _ => {}
            }
        }
        Ok(status)
    }

    /// The nodes `resource` is active on.
    pub fn where_active(&self, resource: &str) -> &[String] {
        self.active.get(resource).map(Vec::as_slice).unwrap_or(&[])
    }

    /// The one node `resource` is active on, if it is active on exactly one and not failed.
    pub fn single_location(&self, resource: &str) -> Option<&str> {
        if self.failed.iter().any(|failed| failed == resource) {
            return None;
        }
        match self.where_active(resource) {
            [node] => Some(node),
            _ => None,
        }
    }

    pub fn has_failure(&self, resource: &str) -> bool {
        self.failures.iter().any(|(failed, _)| failed == resource)
    }

    pub fn has_fail_count(&self, resource: &str) -> bool {
        self.fail_counts.iter().any(|counted| counted == resource)
    }

    pub fn online_nodes(&self) -> Vec<&str> {
        self.nodes.iter().filter(|(_, node)| node.online).map(|(name, _)| name.as_str()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_nodes_resources_and_failures() {
        let xml = r#"<pacemaker-result api-version="2.25" request="crm_mon">
  <summary><current_dc present="true" version="2.1.5" name="node2" id="2" with_quorum="true"/></summary>
  <nodes>
    <node name="node1" id="1" online="true" standby="true" unclean="false" pending="false"/>
    <node name="node2" id="2" online="false" standby="false" unclean="true" pending="false"/>
  </nodes>
  <resources>
    <resource id="web_1" role="Started" active="true"><node name="node1" id="1" cached="true"/></resource>
    <resource id="off" role="Stopped" active="false"/>
    <resource id="broken" role="Started" active="true" failed="true"><node name="node1" id="1"/></resource>
    <clone id="cl"><resource id="cd:0" role="Started" active="true"><node name="node1" id="1"/></resource>
      <resource id="cd:1" role="Started" active="true"><node name="node2" id="2"/></resource></clone>
  </resources>
  <failures><failure op_key="web_1_monitor_2000" node="node1" exitstatus="not running"/></failures>
</pacemaker-result>"#;
        let status = Status::parse(xml).expect("parses");
        assert_eq!(status.dc.as_deref(), Some("node2"));
        assert!(status.nodes["node1"].standby && status.nodes["node2"].unclean);
        assert_eq!(status.online_nodes(), vec!["node1"]);
        assert_eq!(status.single_location("web_1"), Some("node1"));
        assert_eq!(status.where_active("cd"), ["node1", "node2"]);
        assert!(status.where_active("off").is_empty());
        assert_eq!(status.where_active("broken"), ["node1"]);
        assert_eq!(status.single_location("broken"), None);
        assert!(status.has_failure("web_1") && !status.has_failure("web"));
    }
}
