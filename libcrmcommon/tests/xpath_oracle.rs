//! Compares our XPath selections with libxml2's (`xmllint --xpath`) on a realistic CIB,
//! for the expressions Pacemaker's tools, daemons, crmsh and pcs send, plus a spread of
//! general XPath 1.0 constructs.
//!
//! To learn which elements libxml2 selected, every element of a copy of the fixture gets
//! a numbering attribute `oracle-n` (in document order), and xmllint evaluates
//! `(EXPR)/ancestor-or-self::*[1]/@oracle-n`: the matched element itself, or the owner of
//! a matched attribute or comment, exactly the mapping Pacemaker's `getXpathResult` makes.

use std::path::PathBuf;
use std::process::Command;

use libcrmcommon::xml::{self, xpath, Element};

const NUMBER_ATTR: &str = "oracle-n";

fn fixture() -> Element {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/cib-realistic.xml");
    xml::parse(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Numbers every element (pre-order) and returns the numbered copy plus, for each
/// number, the element's child-index path.
fn numbered(root: &Element) -> (Element, Vec<Vec<usize>>) {
    fn walk(e: &mut Element, path: &mut Vec<usize>, paths: &mut Vec<Vec<usize>>) {
        e.set_attr(NUMBER_ATTR, paths.len().to_string());
        paths.push(path.clone());
        for (i, child) in e.children.iter_mut().enumerate() {
            if let Some(c) = child.as_element_mut() {
                path.push(i);
                walk(c, path, paths);
                path.pop();
            }
        }
    }
    let mut copy = root.clone();
    let mut paths = Vec::new();
    walk(&mut copy, &mut Vec::new(), &mut paths);
    (copy, paths)
}

fn xmllint_available() -> bool {
    Command::new("xmllint").arg("--version").output().is_ok_and(|o| o.status.success())
}

fn libxml2_select(file: &std::path::Path, expr: &str, paths: &[Vec<usize>]) -> Vec<Vec<usize>> {
    let wrapped = format!("({expr})/ancestor-or-self::*[1]/@{NUMBER_ATTR}");
    let out = Command::new("xmllint").arg("--noblanks").arg("--xpath").arg(&wrapped).arg(file).output().unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        assert!(stderr.contains("XPath set is empty"), "xmllint failed on {expr}: {stderr}");
        return Vec::new();
    }
    let mut found: Vec<usize> = stdout
        .split_whitespace()
        .map(|attr| {
            let value = attr.trim_start_matches(&format!("{NUMBER_ATTR}=")).trim_matches('"');
            value.parse().unwrap_or_else(|_| panic!("unexpected xmllint output {attr:?}"))
        })
        .collect();
    found.sort_unstable();
    found.into_iter().map(|n| paths[n].clone()).collect()
}

/// What clients really send, with values filled in from the fixture.
const CLIENT_EXPRESSIONS: &[&str] = &[
    // cibadmin help texts and crmsh/pcs queries
    "/cib/configuration/resources/clone[@id='dummy-clone']/primitive[@id='dummy']",
    "//nvpair[@name='target-role']",
    "//nvpair[@name='is-managed']",
    "/cib/status/node_state",
    "//primitive",
    "/cib/status/node_state[@id='1']",
    "/cib/status/node_state[@id=1]",
    "//nodes/node[@uname='node2']",
    "//group/primitive[@id=\"fs\"]/..",
    "//clone/primitive[@id=\"dummy\"]/..",
    "//master/primitive[@id=\"dummy\"]/..",
    "//bundle[@id='web']",
    "//group[@id=\"web\"]",
    "//nodes",
    "//crm_config",
    // attrd, controller
    "//node_state[@uname='node1']/transient_attributes",
    "//node_state[@uname='node1']/lrm",
    "//node_state[@uname='node1']//lrm_rsc_op|//node_state[@uname='node1']//lrm_resource[not(@shutdown-lock)]",
    "//node_state[@uname='node1']/*",
    "//node_state[@uname='node1']//lrm_rsc_op|//node_state[@uname='node1']//lrm_resource[not(@shutdown-lock)]|//node_state[@uname='node1']/transient_attributes",
    "//node_state[@uname='node1']/lrm/lrm_resources/lrm_resource[@id='ip']",
    "/cib/status/node_state[@uname='node1']/lrm/lrm_resources/lrm_resource[@id='ip']/lrm_rsc_op[@id='ip_last_0' and @call-id='12']",
    "/cib/status/node_state[@uname='node1']/lrm/lrm_resources/lrm_resource[@id='ip']/lrm_rsc_op[@id='ip_last_failure_0' and @operation_key='ip_monitor_10000']",
    "/cib/configuration/nodes/node[@uname='node1'][@id!='3']",
    "/cib/configuration/crm_config//cluster_property_set//nvpair[@name='stonith-watchdog-timeout']",
    "/cib/configuration/alerts",
    // fencer
    "//nvpair[@name='stonith-watchdog-timeout']",
    "//nodes/node[@uname='node1']/instance_attributes/nvpair[@name='site' and @value='Paris']",
    // crm_attribute / crm_node via cib_attrs.c
    "/cib/configuration/crm_config//cluster_property_set//nvpair[@name='stonith-enabled']",
    "/cib/configuration/nodes//node[@id='1']//instance_attributes//nvpair[@name='site']",
    "/cib/status//node_state[@id='1']//transient_attributes//nvpair[@name='master-dummy']",
    "/cib/configuration/nodes//node[@id='1']//instance_attributes[@id='nodes-1']//nvpair[@id='nodes-1-site' and @name='site']",
    "/cib/status//tickets//nvpair",
    "/cib/configuration/nodes/node[translate(@uname,'ABCDEFGHIJKLMNOPQRSTUVWXYZ','abcdefghijklmnopqrstuvwxyz') ='node1']|/cib/configuration/resources/primitive[@class='ocf'][@provider='pacemaker'][@type='remote'][translate(@id,'ABCDEFGHIJKLMNOPQRSTUVWXYZ','abcdefghijklmnopqrstuvwxyz') ='node1']|/cib/configuration/resources/primitive/meta_attributes/nvpair[@name='remote-node'][translate(@value,'ABCDEFGHIJKLMNOPQRSTUVWXYZ','abcdefghijklmnopqrstuvwxyz') ='node1']|/cib/status/node_state[@remote_node='true'][translate(@id,'ABCDEFGHIJKLMNOPQRSTUVWXYZ','abcdefghijklmnopqrstuvwxyz') ='node1']",
    "/cib/configuration/nodes/node[translate(@uname,'ABCDEFGHIJKLMNOPQRSTUVWXYZ','abcdefghijklmnopqrstuvwxyz') ='guest1']|/cib/configuration/resources/primitive/meta_attributes/nvpair[@name='remote-node'][translate(@value,'ABCDEFGHIJKLMNOPQRSTUVWXYZ','abcdefghijklmnopqrstuvwxyz') ='guest1']",
    "/cib/status/node_state[@remote_node='true'][translate(@id,'ABCDEFGHIJKLMNOPQRSTUVWXYZ','abcdefghijklmnopqrstuvwxyz') ='remote1']",
    // crm_resource
    "/cib/configuration/resources//*[@id=\"ip\"]/meta_attributes//nvpair[@name=\"target-role\"]",
    "/cib/configuration/resources//*[@id=\"web\"]/meta_attributes[@id=\"web-meta_attributes\"]//nvpair[@id=\"web-meta_attributes-is-managed\" and @name=\"is-managed\"]",
    "//rsc_location[@id='cli-prefer-ip'][rule[@id='cli-prefer-rule-ip']/expression[@attribute='#uname' and @value='node1']]",
    "//rsc_location[@node='node2' and @rsc='web']|//rsc_location[@rsc='web']/rule[expression[@attribute='#uname' and @value='node2']]//date_expression[@id='cli-ban-web-on-node2-lifetime']",
    "//rsc_location[@rsc='ip']/rule[expression[@attribute='#uname' and @value='node1']]//date_expression[@id='cli-prefer-lifetime-end-ip']",
    "//primitive[@id='ip']//op[@on-fail='block']",
    "//node_state[@uname='node1']//lrm_resource[@id='ip']/lrm_rsc_op[@operation='monitor'][@interval='10000']",
    "//status/node_state[@uname='node1']//lrm_resource[@id='ip']",
    // crm_ticket
    "/cib/configuration/constraints/rsc_ticket[@ticket=\"ticketA\"]",
    "/cib/status/tickets/ticket_state[@id=\"ticketA\"]",
    // node and unfencing searches in the scheduler and libcrmcommon
    "//cib/configuration/nodes/node[not(@type) or @type='member']",
    "//cib//configuration//primitive//meta_attributes//nvpair[@name='remote-node']",
    "//cib//configuration//primitive[@type='remote'][@provider='pacemaker']",
    "//cib//status//node_state[@remote_node='true']",
    "/cib/configuration/resources//meta_attributes/nvpair[(@name='provides'or @name='requires') and @value='unfencing']|/cib/configuration/rsc_defaults/meta_attributes/nvpair[(@name='provides'or @name='requires') and @value='unfencing']",
    "//crm_config | //nvpair[contains(@id,'/crm_config/')]",
    "//nvpair[@name='dc-version']",
    "//nvpair[@name='cluster-infrastructure']",
    // ACL permissions (examples and what acl.c builds from reference / object-type)
    "/cib",
    "//nvpair[@name='stonith-enabled']",
    "//meta_attributes",
    "//*[@id='ip']",
    "//primitive[@id='ip']",
    "//primitive[@class]",
    "//nvpair[@id='ip-meta_attributes-target-role']",
];

/// General XPath 1.0 coverage.
const GENERAL_EXPRESSIONS: &[&str] = &[
    "//nvpair/@value",
    "//ticket_state/@granted",
    "//primitive[1]",
    "//primitive[last()]",
    "(//nvpair)[3]",
    "(//nvpair)[last()]",
    "//lrm_rsc_op[position() > 1]",
    "//*[local-name()='node']",
    "//*[name()='op' and @interval='10s']",
    "//comment()",
    "/cib/configuration/resources/node()",
    "//primitive[@id='ip']/ancestor::*",
    "//primitive[@id='dummy']/ancestor::*[2]",
    "//op/parent::operations",
    "//primitive[@id='fs']/following-sibling::*",
    "//primitive[@id='apache']/preceding-sibling::primitive",
    "//primitive[@id='apache']/preceding::nvpair[1]",
    "//rsc_order/following::*[1]",
    "//nvpair[starts-with(@name, 'fail-count-')]",
    "//nvpair[@value > 20]",
    "//nvpair[@value <= '10']",
    "//lrm_rsc_op[@call-id >= 13 and @rc-code != 0]",
    "//node[count(instance_attributes/nvpair) = 2]",
    "//rsc_location[@score = '-INFINITY']",
    "//nvpair[substring-after(@id, 'ip-') = 'instance_attributes-ip']",
    "//nvpair[substring-before(@id, '-') = 'fence1']",
    "//node[@uname = //node_state[@crmd='online']/@uname]",
    "//node[@uname != //node_state/@uname]",
    "//lrm_rsc_op[@call-id < //lrm_rsc_op[@operation='promote']/@call-id]",
    "//*[@id='dummy'][ancestor::clone]",
    "/descendant::nvpair[5]",
    "//primitive[not(@provider)]",
    "//tag/obj_ref[2]",
    "//primitive[@id='ip']/self::primitive",
    "//*[contains(@value, '/')]",
    "//*[@id='']",
    "//node_state[@uname=\"node1\"]/lrm//lrm_rsc_op[@rc-code=\"7\"]/..",
    "//nvpair[normalize-space(translate(@value,'-',' '))='2.1.5 a3f44794f94']",
    "//lrm_rsc_op[@interval mod 3 = 1]",
    "//lrm_rsc_op[@exec-time div 10 = 5]",
    "//lrm_rsc_op[-@rc-code = -7]",
    "//nvpair[string-length(@value) = 2]",
    "//nvpair[substring(@value, 2, 3) = '92.']",
    "//node_state[sum(.//lrm_rsc_op/@rc-code) > 0]",
    "//nvpair[@value = 0]",
    "//nvpair[@value = true()]",
    "//node[boolean(@type) = false()]",
    "//*[@oracle-n-missing or @id = concat('ip', '_', 'last_0')]",
    "//primitive[@id='ip'] | //primitive[@id='ip']/operations/op | /cib",
    "(//primitive | //group)[2]",
    "(//primitive)[@class='stonith']/instance_attributes",
    "//node_state[@id = ../node_state[last()]/@id]",
    "//lrm_resource[lrm_rsc_op[@rc-code = 7] and not(@shutdown-lock)]",
    "//*[floor(@rc-code div 2) = 3 or round(@queue-time + 0.5) = 1 or ceiling(@exec-time div 100) = 1][@call-id]",
    "//primitive[@id='ip']/*/nvpair[1]",
    "//status//*[@id = ancestor::node_state/@id]",
    "/child::cib/descendant-or-self::node()[self::rsc_ticket]",
    "//expression/ancestor-or-self::rsc_location",
    "/*/*[2]/*",
    "//primitive/preceding::node[1]",
    // positional predicates after `//` (must not be treated as descendant::…)
    "//lrm_rsc_op[@call-id][2]",
    "//nvpair[string-length(@value) - 1]",
    "//op[round(1.2)]",
    "//nvpair[contains(@id, position())]",
    "//nvpair[@id = concat('fs-instance_attributes-', 'device')][1]",
    "//meta_attributes[nvpair[1][@name='target-role']]",
    // axes from attribute and comment nodes
    "//primitive[@id='ip']/@class/following::op[1]",
    "//op/@interval/preceding::nvpair[1]",
    "//primitive[@id='ip']/@class/preceding::*[2]",
    "//nvpair/@value/..",
    "//@provider/ancestor::group",
    "//primitive/@type/parent::*[@class='stonith']",
    "//@*[. = 'ip']",
    "//@id[starts-with(., 'fs')]/..",
    "//@id/self::node()[. = 'web']",
    "//@id/descendant-or-self::node()[. = 'fs']",
    "//@id/following-sibling::*",
    "//comment()/following-sibling::*[1]",
    "//comment()/preceding::*[1]",
    "//comment()/following::primitive[2]",
    "//comment()/parent::resources",
];

#[test]
fn selections_match_libxml2() {
    if !xmllint_available() {
        eprintln!("xmllint not found; skipping the libxml2 comparison");
        return;
    }
    let cib = fixture();
    let (copy, paths) = numbered(&cib);
    let dir = std::env::temp_dir().join(format!("xpath-oracle-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("cib.xml");
    std::fs::write(&file, xml::to_formatted(&copy)).unwrap();

    let mut failures = Vec::new();
    let mut nonempty = 0;
    for expr in CLIENT_EXPRESSIONS.iter().chain(GENERAL_EXPRESSIONS) {
        let ours = xpath::select(&cib, expr).unwrap_or_else(|e| panic!("{expr}: {e}"));
        let theirs = libxml2_select(&file, expr, &paths);
        if !theirs.is_empty() {
            nonempty += 1;
        }
        if ours != theirs {
            failures.push(format!("{expr}\n  ours:    {ours:?}\n  libxml2: {theirs:?}"));
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert!(failures.is_empty(), "{} mismatches:\n{}", failures.len(), failures.join("\n"));
    // Guard against a broken harness that makes both sides trivially empty.
    assert!(nonempty > 100, "only {nonempty} expressions matched anything");
}

/// Expressions whose Pacemaker-specific handling differs from xmllint's: no context
/// node at the top level, and duplicates for attribute matches.
const PACEMAKER_SPECIFIC: &[&str] = &[
    "cib/configuration/nodes",
    ".",
    "./cib",
    "child::cib",
    "/",
    "//nvpair[@name='target-role']/@*",
    "//primitive[@id='ip']/@class | //primitive[@id='ip']",
    "(//op/@*)[2]",
];

fn cibadmin_available() -> bool {
    Command::new("cibadmin").arg("--version").output().is_ok_and(|o| o.status.success())
}

/// `cibadmin --query --xpath EXPR --node-path` on a file-backed CIB lists Pacemaker's
/// own matches (after its attribute-to-element mapping, duplicates kept) as element
/// XPaths; compare them with `select_matches` + `element_xpath`.
#[test]
fn matches_and_paths_match_pacemaker() {
    if !cibadmin_available() {
        eprintln!("cibadmin not found; skipping the Pacemaker comparison");
        return;
    }
    let cib = fixture();
    let dir = std::env::temp_dir().join(format!("xpath-cibadmin-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("cib.xml");
    std::fs::write(&file, xml::to_formatted(&cib)).unwrap();

    let mut failures = Vec::new();
    for expr in CLIENT_EXPRESSIONS.iter().chain(GENERAL_EXPRESSIONS).chain(PACEMAKER_SPECIFIC) {
        let out = Command::new("cibadmin")
            .env("CIB_file", &file)
            .args(["--query", "--node-path", "--xpath", expr])
            .output()
            .unwrap();
        let theirs: Vec<String> = if out.status.success() {
            String::from_utf8(out.stdout).unwrap().lines().map(str::to_string).collect()
        } else {
            // No match: "No such device or address" (ENXIO).
            assert_eq!(out.status.code(), Some(105), "{expr}: {}", String::from_utf8_lossy(&out.stderr));
            Vec::new()
        };
        let ours: Vec<String> = xpath::XPath::compile(expr)
            .unwrap()
            .select_matches(&cib)
            .unwrap()
            .iter()
            .map(|path| xpath::element_xpath(&cib, path).unwrap())
            .collect();
        if ours != theirs {
            failures.push(format!("{expr}\n  ours:      {ours:?}\n  pacemaker: {theirs:?}"));
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert!(failures.is_empty(), "{} mismatches:\n{}", failures.len(), failures.join("\n"));
}
