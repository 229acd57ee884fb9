//! crm_simulate's plain text layout. With -s or -U, Pacemaker 2.1.5's
//! crm_simulate does not ask for its "fancy" text output: lists lose their
//! headers, bullets and indentation, and node lists show only their names.

/// Rewrites the usual (fancy) crm_simulate text in the plain layout.
pub fn plain_layout(fancy: &str) -> String {
    let mut out = String::with_capacity(fancy.len());
    let mut in_node_list = false;
    for line in fancy.split_inclusive('\n') {
        let (body, newline) = match line.strip_suffix('\n') {
            Some(b) => (b, "\n"),
            None => (line, ""),
        };
        let indented = body.starts_with(' ');
        // List items lose their indentation and bullet; other text (the
        // maintenance-mode banner) keeps its layout.
        let item = match body.trim_start().strip_prefix("* ") {
            Some(item) => item,
            None => body,
        };
        if is_list_header(body) {
            in_node_list = item == "Node List:";
            continue;
        }
        if !indented {
            in_node_list = false;
        }
        let item = if in_node_list { node_names_only(item) } else { item };
        out.push_str(item);
        out.push_str(newline);
    }
    out
}

/// A list's title: a line of its own ending in ':' (a section title such as
/// "Transition Summary:", or a group or clone heading).
fn is_list_header(line: &str) -> bool {
    !line.is_empty() && line.ends_with(':') && !line.contains('\t')
}

/// "Online: [ n1 n2 ]" as plain node lists show it: "[ n1 n2 ]".
fn node_names_only(item: &str) -> &str {
    match item.find(": [") {
        Some(i) if !item[..i].contains(' ') => &item[i + 2..],
        _ => item,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_go_and_items_lose_bullets() {
        let fancy = "Current cluster status:\n  * Node List:\n    * Node n3: UNCLEAN (offline)\n    * Online: [ n1 n2 ]\n\n  * Full List of Resources:\n    * Clone Set: c [p]:\n      * Started: [ n1 n2 ]\n\nTransition Summary:\n  * Stop       p:0     ( n1 )\n";
        assert_eq!(
            plain_layout(fancy),
            "Node n3: UNCLEAN (offline)\n[ n1 n2 ]\n\nStarted: [ n1 n2 ]\n\nStop       p:0     ( n1 )\n"
        );
    }
}
