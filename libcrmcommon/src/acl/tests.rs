use super::*;
use crate::xml::{parse, to_compact};

const CIB: &str = r#"<cib epoch="3" num_updates="0" admin_epoch="0">
  <configuration>
    <crm_config>
      <cluster_property_set id="cib-bootstrap-options">
        <nvpair id="opt-acl" name="enable-acl" value="true"/>
        <nvpair id="opt-st" name="stonith-enabled" value="false"/>
      </cluster_property_set>
    </crm_config>
    <nodes>
      <node id="1" uname="node1"/>
    </nodes>
    <resources>
      <primitive id="dummy" class="ocf" provider="pacemaker" type="Dummy">
        <meta_attributes id="dummy-meta_attributes">
          <nvpair id="dummy-meta_attributes-target-role" name="target-role" value="Started"/>
        </meta_attributes>
      </primitive>
    </resources>
    <constraints/>
    <acls>
      <acl_target id="observer"><role id="observer"/></acl_target>
      <acl_target id="crook"><role id="crook"/></acl_target>
      <acl_target id="badidea"><role id="badidea"/></acl_target>
      <acl_user id="legacy"><read xpath="/cib/configuration/nodes"/></acl_user>
      <acl_group id="admins"><role id="admin"/></acl_group>
      <acl_target id="norules"/>
      <acl_role id="observer">
        <acl_permission id="observer-read" kind="read" xpath="/cib"/>
        <acl_permission id="observer-write-1" kind="write" xpath="//nvpair[@name='stonith-enabled']"/>
        <acl_permission id="observer-write-2" kind="write" xpath="//nvpair[@name='target-role']"/>
      </acl_role>
      <acl_role id="crook">
        <acl_permission id="crook-nothing" kind="deny" xpath="/cib"/>
      </acl_role>
      <acl_role id="badidea">
        <acl_permission id="badidea-resources" kind="read" xpath="//meta_attributes"/>
        <acl_permission id="badidea-resources-2" kind="deny" reference="dummy-meta_attributes"/>
      </acl_role>
      <acl_role id="admin">
        <acl_permission id="admin-write" kind="write" xpath="/cib/configuration"/>
        <acl_permission id="admin-deny-acls" kind="deny" object-type="acls"/>
        <acl_permission id="admin-read-status" kind="read" xpath="/cib/status"/>
      </acl_role>
    </acls>
  </configuration>
  <status>
    <node_state id="1" uname="node1"/>
  </status>
</cib>"#;

fn cib() -> Element {
    parse(CIB).unwrap()
}

fn no_groups(_: &str) -> bool {
    false
}

fn ctx(user: &str) -> AclContext {
    AclContext::for_user_with_groups(&cib(), user, &|g| user == "carol" && g == "admins")
}

fn edited(edit: impl FnOnce(&mut Element)) -> Element {
    let mut doc = cib();
    edit(&mut doc);
    doc
}

fn element<'a>(doc: &'a mut Element, xpath: &str) -> &'a mut Element {
    let path = crate::xml::xpath::select(doc, xpath).unwrap().remove(0);
    doc.at_path_mut(&path).unwrap()
}

#[test]
fn privileged_users_and_disabled_acls_are_unrestricted() {
    for user in ["root", "hacluster", ""] {
        assert!(!ctx(user).is_restricted(), "{user}");
    }
    assert!(ctx("observer").is_restricted());
    let disabled = edited(|d| {
        element(d, "//nvpair[@name='enable-acl']").set_attr("value", "false");
    });
    assert!(!AclContext::for_user_with_groups(&disabled, "crook", &no_groups).is_restricted());
    assert!(AclContext::ignoring_enable_acl(&disabled, "crook", &no_groups).is_restricted());
    let on = edited(|d| {
        element(d, "//nvpair[@name='enable-acl']").set_attr("value", "ON");
    });
    assert!(acls_enabled(&on));
}

#[test]
fn rules_unpack_roles_groups_legacy_and_object_references() {
    let xpaths = |user: &str| -> Vec<(Permission, String)> {
        ctx(user).rules().iter().map(|r| (r.permission, r.xpath.clone())).collect()
    };
    assert_eq!(
        xpaths("observer"),
        [
            (Permission::Read, "/cib".to_string()),
            (Permission::Write, "//nvpair[@name='stonith-enabled']".to_string()),
            (Permission::Write, "//nvpair[@name='target-role']".to_string())
        ]
    );
    assert_eq!(xpaths("badidea")[1], (Permission::Deny, "//*[@id='dummy-meta_attributes']".to_string()));
    assert_eq!(xpaths("legacy"), [(Permission::Read, "/cib/configuration/nodes".to_string())]);
    assert_eq!(xpaths("carol")[1], (Permission::Deny, "//acls".to_string()));
    assert!(xpaths("norules").is_empty());
    assert!(xpaths("stranger").is_empty());
}

#[test]
fn observer_reads_everything() {
    assert_eq!(ctx("observer").filter_readable(&cib()), Some(cib()));
}

#[test]
fn users_without_rules_or_denied_the_root_read_nothing() {
    assert_eq!(ctx("crook").filter_readable(&cib()), None);
    assert_eq!(ctx("norules").filter_readable(&cib()), None);
    assert_eq!(ctx("stranger").filter_readable(&cib()), None);
}

#[test]
fn partial_reads_keep_ids_on_the_way_down() {
    // Only nodes are readable: ancestors keep just their ids, everything else goes.
    let got = ctx("legacy").filter_readable(&cib()).unwrap();
    assert_eq!(to_compact(&got), r#"<cib><configuration><nodes><node id="1" uname="node1"/></nodes></configuration></cib>"#);
}

#[test]
fn deny_wins_over_read_on_the_same_element() {
    // badidea may read meta_attributes but dummy's is denied: nothing readable remains.
    assert_eq!(ctx("badidea").filter_readable(&cib()), None);
}

#[test]
fn deny_inside_a_readable_subtree_is_purged() {
    let got = ctx("carol").filter_readable(&cib()).unwrap();
    let text = to_compact(&got);
    // The denied <acls> had nothing readable inside, so it is gone altogether.
    assert!(!text.contains("<acls"), "{text}");
    assert!(text.contains(r#"<node_state id="1" uname="node1"/>"#), "{text}");
    assert!(text.starts_with("<cib><configuration><crm_config>"), "{text}");
}

#[test]
fn writes_need_write_access_on_the_element_or_an_ancestor() {
    let observer = ctx("observer");
    let old = cib();
    let allowed = edited(|d| {
        element(d, "//nvpair[@name='target-role']").set_attr("value", "Stopped");
    });
    assert_eq!(observer.check_write(&old, &allowed), Ok(()));
    let denied = edited(|d| {
        element(d, "//primitive").set_attr("type", "Stateful");
    });
    let err = observer.check_write(&old, &denied).unwrap_err();
    assert_eq!(err.action, "modify");
    assert_eq!(err.xpath, "/cib/configuration/resources/primitive[@id='dummy']");
    // No change at all is always fine, even for users who may write nothing.
    assert_eq!(ctx("crook").check_write(&old, &old), Ok(()));
    assert!(ctx("crook").check_write(&old, &allowed).is_err());
    assert!(ctx("norules").check_write(&old, &allowed).is_err());
    assert_eq!(ctx("root").check_write(&old, &denied), Ok(()));
}

#[test]
fn deletion_and_creation() {
    let observer = ctx("observer");
    let old = cib();
    let deleted = edited(|d| {
        element(d, "//meta_attributes").children.clear();
    });
    assert_eq!(observer.check_write(&old, &deleted), Ok(()), "the deleted nvpair is writable");
    let deleted_meta = edited(|d| {
        element(d, "//primitive").children.clear();
    });
    assert_eq!(observer.check_write(&old, &deleted_meta).unwrap_err().action, "delete");

    // A new target-role nvpair is writable through its own match in the new document;
    // its meta_attributes parent is scaffolding (id only).
    let created = edited(|d| {
        element(d, "//nodes/node").push_child(
            Element::new("meta_attributes")
                .with_attr("id", "node1-meta")
                .with_child(Element::new("nvpair").with_attr("id", "n1").with_attr("name", "target-role").with_attr("value", "x")),
        );
    });
    assert_eq!(observer.check_write(&old, &created), Ok(()));
    let created_other = edited(|d| {
        element(d, "//nodes/node").push_child(Element::new("instance_attributes").with_attr("id", "x").with_attr("score", "1"));
    });
    assert_eq!(observer.check_write(&old, &created_other).unwrap_err().action, "create");
}

#[test]
fn scaffolding_inside_acls_is_not_free() {
    let carol = ctx("carol");
    let old = cib();
    let role = edited(|d| {
        element(d, "//acls").push_child(Element::new("acl_role").with_attr("id", "new"));
    });
    assert_eq!(carol.check_write(&old, &role).unwrap_err().xpath, "/cib/configuration/acls/acl_role[@id='new']");
    let constraint = edited(|d| {
        element(d, "//constraints").push_child(Element::new("rsc_order").with_attr("id", "o").with_attr("first", "a"));
    });
    assert_eq!(carol.check_write(&old, &constraint), Ok(()));
    // Status is only readable for carol.
    let status = edited(|d| {
        element(d, "//node_state").set_attr("crmd", "online");
    });
    assert!(carol.check_write(&old, &status).is_err());
}

#[test]
fn access_matches_the_parent_walk() {
    let doc = cib();
    let access = ctx("observer").access(&doc);
    let of = |xpath: &str| {
        let path = crate::xml::xpath::select(&doc, xpath).unwrap().remove(0);
        access.iter().find(|(p, _)| *p == path).unwrap().1
    };
    assert_eq!(of("/cib"), Access::Readable);
    assert_eq!(of("//nvpair[@name='target-role']"), Access::Writable);
    assert_eq!(of("//nvpair[@name='enable-acl']"), Access::Readable);
    assert_eq!(access.len(), doc.count_elements());
    assert!(ctx("crook").access(&doc).iter().all(|(_, a)| *a == Access::Denied));
    assert!(ctx("root").access(&doc).iter().all(|(_, a)| *a == Access::Writable));
}

#[test]
fn a_permission_without_selection_drops_earlier_rules() {
    let doc = parse(
        r#"<cib><configuration><crm_config><cluster_property_set id="o"><nvpair id="a" name="enable-acl" value="true"/></cluster_property_set></crm_config>
        <acls><acl_target id="u"><acl_permission id="p1" kind="read" xpath="/cib"/><acl_permission id="p2" kind="read"/><acl_permission id="p3" kind="write" xpath="//nodes"/></acl_target></acls></configuration></cib>"#,
    )
    .unwrap();
    let rules: Vec<_> = AclContext::for_user_with_groups(&doc, "u", &no_groups).rules().iter().map(|r| r.xpath.clone()).collect();
    assert_eq!(rules, ["//nodes"]);
}

#[test]
fn cyclic_roles_and_bad_xpaths_are_harmless() {
    let doc = parse(
        r#"<cib><configuration><crm_config><cluster_property_set id="o"><nvpair id="a" name="enable-acl" value="1"/></cluster_property_set></crm_config>
        <acls><acl_target id="u"><role id="r1"/></acl_target>
        <acl_role id="r1"><acl_permission id="p" kind="read" xpath="//nodes[" /><role_ref id="r1"/></acl_role></acls></configuration></cib>"#,
    )
    .unwrap();
    let context = AclContext::for_user_with_groups(&doc, "u", &no_groups);
    assert_eq!(context.rules().len(), 1);
    assert_eq!(context.filter_readable(&doc), None);
}

#[test]
fn request_user_delegation() {
    // An unprivileged daemon always acts as itself.
    assert_eq!(effective_request_user("alice", Some("root"), Some("bob")), "alice");
    // A privileged daemon: unprivileged peers act as themselves, whatever they ask.
    assert_eq!(effective_request_user("root", Some("alice"), Some("root")), "alice");
    // Privileged peers (and unknown peers) may delegate.
    assert_eq!(effective_request_user("hacluster", Some("root"), Some("bob")), "bob");
    assert_eq!(effective_request_user("hacluster", None, Some("bob")), "bob");
    assert_eq!(effective_request_user("hacluster", Some("hacluster"), None), "hacluster");
    assert_eq!(effective_request_user("root", None, None), "root");
    assert!(acl_required("alice") && !acl_required("hacluster") && !acl_required(""));
}

/// Random edits of a realistic CIB: no panics, and an unchanged CIB is always writable.
#[test]
fn random_edits_never_panic() {
    let cib = parse(include_str!("../../tests/fixtures/cib-acls.xml")).unwrap();
    let users = ["alice", "bob", "crook", "badidea", "carol", "dave", "erin", "frank", "gina", "hank", "zed"];
    let contexts: Vec<AclContext> = users.iter().map(|u| AclContext::for_user_with_groups(&cib, u, &no_groups)).collect();
    let paths: Vec<Vec<usize>> = crate::xml::xpath::select(&cib, "//*").unwrap();
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = |bound: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % bound as u64) as usize
    };
    for context in &contexts {
        assert_eq!(context.check_write(&cib, &cib), Ok(()), "{}", context.user());
        let _ = context.filter_readable(&cib);
    }
    for _ in 0..300 {
        let mut new = cib.clone();
        let target = paths[next(paths.len())].clone();
        let Some(element) = new.at_path_mut(&target) else { continue };
        match next(4) {
            0 => element.set_attr("random", "x"),
            1 => {
                element.attrs.retain(|(n, _)| n != "id");
            }
            2 => {
                element.push_child(Element::new("nvpair").with_attr("id", "rnd").with_attr("value", "hank"));
            }
            _ => {
                if let Some((&last, parent)) = target.split_last() {
                    new.at_path_mut(parent).unwrap().children.remove(last);
                }
            }
        }
        let context = &contexts[next(contexts.len())];
        let _ = context.check_write(&cib, &new);
        let _ = context.check_replace(&cib, &new, &[]);
        let _ = context.check_replace(&cib, &new, &target[..target.len().min(2)]);
        let _ = context.filter_readable(&new);
        let _ = context.access(&new);
    }
}
