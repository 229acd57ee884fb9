//! The simplified XPaths of v2 patchsets: `/cib/configuration/primitive[@id='x']`.
//!
//! Writing follows `pcmk__element_xpath` (the id is inserted verbatim, quotes and all).
//! Reading follows `search_v2_xpath`, which splits the path with two `sscanf` patterns;
//! its odd corners are kept, since peers running C resolve paths that way:
//! a component is everything up to the next `/`, the rest of the path stops at the first
//! whitespace, a component without a well-formed `[@id='` predicate is matched by its tag
//! alone, and a path that stops parsing part-way resolves to the last element reached.

use super::arena::{Arena, NodeId, Payload};

/// Path of a child named `name` with optional `id` under the element at `parent_path`
/// (the root's parent path is empty).
pub(crate) fn child_path(parent_path: &str, name: &str, id: Option<&str>) -> String {
    let mut path = String::with_capacity(parent_path.len() + name.len() + 16);
    path.push_str(parent_path);
    path.push('/');
    path.push_str(name);
    if let Some(id) = id {
        path.push_str("[@id='");
        path.push_str(id);
        path.push_str("']");
    }
    path
}

/// One step of a path: a tag and an optional id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Step {
    pub tag: String,
    pub id: Option<String>,
}

/// How far a path could be parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ParsedPath {
    pub steps: Vec<Step>,
    /// A component had no tag at all (`[@id='x']`): C's search then yields nothing.
    pub broken: bool,
}

/// Splits a path as `search_v2_xpath` does.
pub(crate) fn parse(path: &str) -> ParsedPath {
    let mut steps = Vec::new();
    let mut current = path;
    // "/%[^/]%s": a literal slash, then one or more non-slash characters ...
    while let Some(after_slash) = current.strip_prefix('/') {
        let section_len = after_slash.find('/').unwrap_or(after_slash.len());
        if section_len == 0 {
            break;
        }
        let section = &after_slash[..section_len];
        // ... then, after optional whitespace, a run of non-whitespace characters.
        let rest = after_slash[section_len..].trim_start_matches(|c: char| c.is_ascii_whitespace());
        let remainder_len = rest.find(|c: char| c.is_ascii_whitespace()).unwrap_or(rest.len());
        let remainder = &rest[..remainder_len];

        match parse_section(section) {
            Some(step) => steps.push(step),
            None => return ParsedPath { steps, broken: true },
        }
        if remainder.is_empty() {
            break;
        }
        current = remainder;
    }
    ParsedPath { steps, broken: false }
}

/// "%[^[][@id='%[^']": a tag of one or more non-`[` characters, then optionally the
/// literal `[@id='` and an id of one or more non-quote characters.
fn parse_section(section: &str) -> Option<Step> {
    let tag_len = section.find('[').unwrap_or(section.len());
    if tag_len == 0 {
        return None;
    }
    let tag = section[..tag_len].to_owned();
    let id = section[tag_len..]
        .strip_prefix("[@id='")
        .map(|rest| &rest[..rest.find('\'').unwrap_or(rest.len())])
        .filter(|id| !id.is_empty())
        .map(str::to_owned);
    Some(Step { tag, id })
}

/// Resolves `path` in `tree` (`search_v2_xpath`). `comment_position`, when set,
/// requires a comment reached by the last step to sit at that position among its
/// siblings. Returns `None` when nothing matches, and also when no step could be parsed:
/// C then "finds" the document node itself, which no change can sensibly target.
pub(crate) fn resolve(tree: &Arena, path: &str, comment_position: Option<usize>) -> Option<NodeId> {
    let parsed = parse(path);
    if parsed.broken || parsed.steps.is_empty() {
        return None;
    }
    let last = parsed.steps.len() - 1;
    // The first step is matched against the document node, whose only child is the root.
    let mut current = tree.root;
    if !step_matches(tree, tree.root, &parsed.steps[0], 0, if last == 0 { comment_position } else { None }) {
        return None;
    }
    for (n, step) in parsed.steps.iter().enumerate().skip(1) {
        let position = if n == last { comment_position } else { None };
        let children = &tree.node(current).children;
        current = *children
            .iter()
            .enumerate()
            .find(|&(i, &child)| step_matches(tree, child, step, i, position))?
            .1;
    }
    Some(current)
}

/// `first_matching_xml_child`'s test: comments are named "comment" and have no id.
fn step_matches(tree: &Arena, node: NodeId, step: &Step, index: usize, comment_position: Option<usize>) -> bool {
    match &tree.node(node).payload {
        Payload::Element { name, attrs } => {
            *name == step.tag
                && match step.id.as_deref() {
                    None => true,
                    Some(id) => attrs.iter().any(|(n, v)| n == "id" && v == id),
                }
        }
        Payload::Comment(_) => {
            step.tag == super::tracking::COMMENT_NODE_NAME
                && step.id.is_none()
                && comment_position.unwrap_or(index) == index
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(tag: &str, id: Option<&str>) -> Step {
        Step { tag: tag.into(), id: id.map(Into::into) }
    }

    #[test]
    fn parses_like_sscanf() {
        assert_eq!(
            // The remainder stops at whitespace, even inside an id.
            parse("/cib/configuration/primitive[@id='a b']").steps,
            vec![step("cib", None), step("configuration", None), step("primitive", Some("a"))]
        );
        // The remainder stops at whitespace.
        assert_eq!(parse("/cib/x y/z").steps, vec![step("cib", None), step("x", None)]);
        // Malformed predicates fall back to the tag.
        assert_eq!(parse("/cib[foo]").steps, vec![step("cib", None)]);
        assert_eq!(parse("/cib[@id='']").steps, vec![step("cib", None)]);
        // An empty component stops parsing.
        assert_eq!(parse("/cib//x").steps, vec![step("cib", None)]);
        assert!(parse("/cib/[@id='x']").broken);
        assert!(parse("cib").steps.is_empty());
    }

    #[test]
    fn resolves_elements_and_positioned_comments() {
        let root = crate::xml::parse("<cib><c><!--a--><x id='1'/><!--b--></c></cib>").unwrap();
        let tree = Arena::from_element(&root);
        let c = tree.node(tree.root).children[0];
        let child = |i: usize| Some(tree.node(c).children[i]);
        assert_eq!(resolve(&tree, "/cib", None), Some(tree.root));
        assert_eq!(resolve(&tree, "/cib/c/x[@id='1']", None), child(1));
        assert_eq!(resolve(&tree, "/cib/c/x[@id='2']", None), None);
        assert_eq!(resolve(&tree, "/cib/c/comment", None), child(0));
        assert_eq!(resolve(&tree, "/cib/c/comment", Some(2)), child(2));
        assert_eq!(resolve(&tree, "/cib/c/comment", Some(1)), None);
        assert_eq!(resolve(&tree, "/cob", None), None);
    }
}
