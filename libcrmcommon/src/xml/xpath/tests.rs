use super::*;
use crate::xml::{parse, XmlNode};

const DOC: &str = r#"<cib epoch="1">
  <configuration>
    <crm_config>
      <cluster_property_set id="opts">
        <nvpair id="opts-acl" name="enable-acl" value="true"/>
        <nvpair id="opts-st" name="stonith-enabled" value="false"/>
      </cluster_property_set>
    </crm_config>
    <resources>
      <!-- a comment -->
      <primitive id="a" class="ocf" type="Dummy">
        <meta_attributes id="a-meta">
          <nvpair id="a-meta-role" name="target-role" value="Stopped"/>
        </meta_attributes>
      </primitive>
      <group id="g">
        <primitive id="b" class="ocf" type="Dummy"/>
        <primitive id="c" class="stonith" type="fence_x"/>
      </group>
    </resources>
  </configuration>
  <status/>
</cib>"#;

fn doc() -> Element {
    parse(DOC).unwrap()
}

/// The ids (or names, for elements without one) of what `expr` selects.
fn ids(expr: &str) -> Vec<String> {
    let root = doc();
    select(&root, expr)
        .unwrap_or_else(|e| panic!("{expr}: {e}"))
        .iter()
        .map(|p| {
            let e = root.at_path(p).unwrap();
            e.id().map_or_else(|| e.name.clone(), str::to_string)
        })
        .collect()
}

#[test]
fn absolute_and_descendant_paths() {
    assert_eq!(ids("/cib"), ["cib"]);
    assert_eq!(ids("/"), ["cib"]);
    assert_eq!(ids("/cib/configuration/resources/primitive"), ["a"]);
    assert_eq!(ids("//primitive"), ["a", "b", "c"]);
    assert_eq!(ids("/cib//group/primitive[@class='stonith']"), ["c"]);
    assert_eq!(ids("/nope"), Vec::<String>::new());
    assert_eq!(ids("//*[@id='g']/*"), ["b", "c"]);
}

#[test]
fn root_is_the_empty_path_and_paths_index_children_including_comments() {
    let root = doc();
    assert_eq!(select(&root, "/cib").unwrap(), vec![Vec::<usize>::new()]);
    // resources' children: [comment, primitive a, group g]
    assert_eq!(select(&root, "//primitive[@id='a']").unwrap(), vec![vec![0, 1, 1]]);
    assert_eq!(select(&root, "//group/primitive[2]").unwrap(), vec![vec![0, 1, 2, 1]]);
}

#[test]
fn predicates_and_operators() {
    assert_eq!(ids("//nvpair[@name='enable-acl' and @value='true']"), ["opts-acl"]);
    assert_eq!(ids("//nvpair[@name='x' or @value=\"false\"]"), ["opts-st"]);
    assert_eq!(ids("//primitive[@class!='ocf']"), ["c"]);
    assert_eq!(ids("//primitive[not(@class='ocf')]"), ["c"]);
    assert_eq!(ids("//*[@class][not(parent::group)]"), ["a"]);
    assert_eq!(ids("//primitive[contains(@type, 'fence')]"), ["c"]);
    assert_eq!(ids("//nvpair[starts-with(@id, 'opts-')]"), ["opts-acl", "opts-st"]);
    assert_eq!(ids("//*[name()='group' or local-name()='status']"), ["g", "status"]);
    assert_eq!(ids("//primitive[translate(@type,'DUMY','dumy')='dummy']"), ["a", "b"]);
    assert_eq!(ids("//nvpair[(@name='enable-acl' or @name='stonith-enabled') and @value='true']"), ["opts-acl"]);
}

#[test]
fn positions() {
    assert_eq!(ids("//primitive[1]"), ["a", "b"]);
    assert_eq!(ids("(//primitive)[1]"), ["a"]);
    assert_eq!(ids("(//primitive)[last()]"), ["c"]);
    assert_eq!(ids("//group/primitive[last()]"), ["c"]);
    assert_eq!(ids("//primitive[position() > 1]"), ["c"]);
    // Reverse axes count outwards from the context node.
    assert_eq!(ids("//primitive[@id='b']/ancestor::*[1]"), ["g"]);
    assert_eq!(ids("//primitive[@id='c']/preceding-sibling::*[1]"), ["b"]);
}

#[test]
fn other_axes() {
    assert_eq!(ids("//primitive[@id='b']/.."), ["g"]);
    assert_eq!(ids("//primitive[@id='b']/../../primitive"), ["a"]);
    assert_eq!(ids("//group/."), ["g"]);
    assert_eq!(ids("//primitive[@id='b']/ancestor-or-self::*[@id]"), ["g", "b"]);
    assert_eq!(ids("//primitive[@id='a']/following-sibling::*"), ["g"]);
    assert_eq!(ids("//primitive[@id='a']/following::primitive"), ["b", "c"]);
    assert_eq!(ids("//primitive[@id='c']/preceding::primitive"), ["a", "b"]);
    assert_eq!(ids("//group/descendant-or-self::*"), ["g", "b", "c"]);
    assert_eq!(ids("/cib/child::configuration/self::configuration"), ["configuration"]);
}

#[test]
fn attributes_comments_and_the_document_select_their_owner() {
    assert_eq!(ids("//nvpair/@value"), ["opts-acl", "opts-st", "a-meta-role"]);
    assert_eq!(ids("//primitive[@id='a']/@*"), ["a"]);
    assert_eq!(ids("//comment()"), ["resources"]);
    // The comment's owner precedes elements matched before it in the union.
    assert_eq!(ids("//crm_config | /cib/configuration/resources/comment()"), ["crm_config", "resources"]);
    assert_eq!(ids("//text()"), Vec::<String>::new());
}

#[test]
fn unions_are_in_document_order_without_duplicates() {
    assert_eq!(ids("//group | //primitive[@id='a'] | //group"), ["a", "g"]);
    assert_eq!(ids("//status|/cib"), ["cib", "status"]);
}

#[test]
fn comparisons_with_numbers_and_node_sets() {
    let root = parse(r#"<r><n v="10"/><n v="9"/><n v="x"/><m v="9"/></r>"#).unwrap();
    let count = |e: &str| select(&root, e).unwrap().len();
    assert_eq!(count("//n[@v > 9]"), 1);
    assert_eq!(count("//n[@v >= '9']"), 2);
    assert_eq!(count("//n[@v = 9.0]"), 1);
    assert_eq!(count("//n[@v = //m/@v]"), 1);
    assert_eq!(count("//n[@v != //m/@v]"), 2);
    assert_eq!(count("//n[@v < //m/@v]"), 0);
    assert_eq!(count("//n[@v = true()]"), 3);
    assert_eq!(count("//n[@missing = false()]"), 3);
    assert_eq!(count("//n[string-length(@v) = 2 and @v mod 3 = 1]"), 1);
    assert_eq!(count("//n[-@v = -9]"), 1);
    assert_eq!(count("//*[count(@*) = 1][2]"), 1);
    assert_eq!(count("/r[count(n) = 3 and sum(n[@v != 'x']/@v) = 19]"), 1);
    assert_eq!(count("//n[concat(@v, 'a') = '9a']"), 1);
    assert_eq!(count("//n[substring(@v, 1, 1) = '1' and substring-before('a=b', '=') = 'a']"), 1);
    assert_eq!(count("//n[normalize-space('  a  b ') = 'a b' and floor(1.5) = 1 and ceiling(1.5) = 2 and round(1.5) = 2]"), 3);
    assert_eq!(count("//n[number(@v) = number(@v)]"), 2);
    assert_eq!(count("//n[boolean(@v) and string(@v) = @v and 6 div 2 = 3 and 2 * 2 = 4]"), 3);
}

#[test]
fn unsupported_constructs_are_named() {
    for (expr, what) in [
        ("//node[@id=$x]", "variable"),
        ("//pcmk:node", "namespace prefix"),
        ("//node[id('x')]", "id()"),
        ("//node[lang('en')]", "lang()"),
        ("//node[frobnicate()]", "frobnicate()"),
        ("namespace::*", "namespace axis"),
    ] {
        match XPath::compile(expr) {
            Err(XPathError::Unsupported { construct, .. }) => {
                assert!(construct.contains(what.trim_end_matches("()")), "{expr}: {construct}")
            }
            other => panic!("{expr}: {other:?}"),
        }
    }
}

#[test]
fn malformed_and_non_node_set_expressions_fail() {
    for bad in [
        "", "/cib[", "//", "/cib]", "//nvpair[@name=]", "'x", "//a | 'b'", "1 | //a", "//a[1", "count()",
        "contains('a')", "foo::bar", "//a/", "@", "a/[1]", "(1)[1]", "'x'/a", "..a", "1 +",
    ] {
        assert!(XPath::compile(bad).is_err(), "accepted {bad:?}");
    }
    assert_eq!(XPath::compile("count(//a)").unwrap_err(), XPathError::NotANodeSet);
    assert_eq!(XPath::compile("1 = 1").unwrap_err(), XPathError::NotANodeSet);
    // A type error only visible at run time.
    assert!(select(&doc(), "//a[name('x')]").is_ok());
    assert!(matches!(select(&doc(), "//primitive[name('x')]"), Err(XPathError::Evaluation(_))));
}

#[test]
fn hostile_expressions_are_bounded() {
    let long = format!("//a[@id='{}']", "x".repeat(MAX_EXPRESSION_LEN));
    assert!(matches!(XPath::compile(&long), Err(XPathError::TooComplex(_))));
    let nested = format!("{}1{}", "(".repeat(100), ")".repeat(100));
    assert!(matches!(XPath::compile(&nested), Err(XPathError::TooComplex(_))));
    let predicates = format!("//a{}", "[b".repeat(60) + &"]".repeat(60));
    assert!(matches!(XPath::compile(&predicates), Err(XPathError::TooComplex(_))));
    let operators = format!("//a[{}]", vec!["1"; 400].join(" + "));
    assert!(matches!(XPath::compile(&operators), Err(XPathError::TooComplex(_))));

    // A quadratic-per-level scan over a wide tree runs out of budget instead of hanging.
    let mut wide = Element::new("r");
    for i in 0..300 {
        let mut child = Element::new("x").with_attr("id", i.to_string());
        for j in 0..10 {
            child.push_child(Element::new("y").with_attr("id", j.to_string()));
        }
        wide.push_child(child);
    }
    let slow = XPath::compile("//*[//*[//*[@id = 'none']]]").unwrap();
    assert_eq!(slow.select_with_budget(&wide, 2_000_000), Err(XPathError::TooExpensive));
    assert!(XPath::compile("//*[@id='5']").unwrap().select(&wide).is_ok());
}

#[test]
fn deep_trees_do_not_overflow() {
    let mut root = Element::new("d");
    for _ in 0..20_000 {
        let mut parent = Element::new("d");
        parent.push_child(root);
        root = parent;
    }
    let found = select(&root, "//d[not(d)]").unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].len(), 20_000);
    // Element's derived Drop recurses; take the tree apart iteratively instead.
    let mut pending = vec![root];
    while let Some(mut element) = pending.pop() {
        pending.extend(element.children.drain(..).filter_map(|c| match c {
            XmlNode::Element(e) => Some(e),
            XmlNode::Comment(_) => None,
        }));
    }
}

#[test]
fn element_xpath_matches_pacemaker_format() {
    let root = doc();
    let path = &select(&root, "//primitive[@id='c']").unwrap()[0];
    assert_eq!(
        element_xpath(&root, path).unwrap(),
        "/cib/configuration/resources/group[@id='g']/primitive[@id='c']"
    );
    assert_eq!(element_xpath(&root, &[]).unwrap(), "/cib");
    assert_eq!(element_xpath(&root, &[0, 1, 0]), None, "a comment is not an element");
    assert_eq!(element_xpath(&root, &[9]), None);
    // Round trip: the generated path selects the element again.
    assert_eq!(select(&root, &element_xpath(&root, path).unwrap()).unwrap(), vec![path.clone()]);
}

#[test]
fn outermost_drops_nested_matches() {
    let root = doc();
    let matches = select(&root, "//primitive | //group | //meta_attributes/nvpair").unwrap();
    let kept: Vec<String> = outermost(&matches)
        .iter()
        .map(|p| root.at_path(p).unwrap().id().unwrap_or_default().to_string())
        .collect();
    assert_eq!(kept, ["a", "g"]);
    // The root swallows everything.
    assert_eq!(outermost(&select(&root, "//* | /cib").unwrap()), vec![Vec::<usize>::new()]);
}

#[test]
fn top_level_relative_paths_match_nothing_like_pacemaker() {
    assert_eq!(ids("cib/configuration"), Vec::<String>::new());
    assert_eq!(ids("."), Vec::<String>::new());
    assert_eq!(ids("./cib | child::cib"), Vec::<String>::new());
    // Inside predicates the context node is the candidate, as usual.
    assert_eq!(ids("/cib[configuration/resources]"), ["cib"]);
}

#[test]
fn select_matches_keeps_one_entry_per_matched_node() {
    let root = doc();
    let raw = XPath::compile("//primitive[@id='a']/@* | //group").unwrap().select_matches(&root).unwrap();
    // primitive a has three attributes (id, class, type), each standing for a.
    assert_eq!(raw.len(), 4);
    assert!(raw[..3].iter().all(|p| p == &raw[0]));
    assert_eq!(root.at_path(&raw[3]).unwrap().id(), Some("g"));
}

/// Random token soup must never panic, and whatever compiles must evaluate (or fail
/// cleanly) within the budget.
#[test]
fn random_expressions_never_panic() {
    const PIECES: &[&str] = &[
        "/", "//", "*", ".", "..", "@", "@id", "[", "]", "(", ")", "|", "=", "!=", "<", ">=", "+", "-", "div", "mod",
        "and", "or", "'x'", "\"a\"", "1", "2.5", "primitive", "nvpair", "group", "child::", "ancestor::", "following::",
        "preceding::", "attribute::", "self::", "node()", "comment()", "text()", "last()", "position()", "count(", "name(",
        "contains(", "substring(", "translate(", "not(", ",", " ", "::", "$", ":", "!", "\u{e9}",
    ];
    let root = doc();
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut compiled = 0;
    for _ in 0..30_000 {
        let len = (next() % 12) as usize + 1;
        let expr: String = (0..len).map(|_| PIECES[(next() % PIECES.len() as u64) as usize]).collect();
        if let Ok(xpath) = XPath::compile(&expr) {
            compiled += 1;
            let _ = xpath.select_with_budget(&root, 1_000_000);
            let _ = xpath.select_matches(&root);
        }
    }
    assert!(compiled > 1000, "only {compiled} random expressions compiled");
}
