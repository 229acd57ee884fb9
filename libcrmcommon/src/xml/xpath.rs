//! XPath 1.0 over [`Element`] trees, as the CIB manager and the ACL engine need it.
//!
//! Clients address the CIB with XPath (`cibadmin --xpath`, `crm_attribute`,
//! `crm_resource`, the controller's history cleanup, ACL permissions…). Pacemaker hands
//! those to libxml2, so this is a complete XPath 1.0 expression language (all axes but
//! `namespace`, the core functions but `id()`/`lang()`), evaluated over our tree, with the
//! result mapped the way Pacemaker's `getXpathResult` maps libxml2's: attributes and
//! comments stand for their owning element and `/` stands for the root element.
//!
//! Like Pacemaker's `xpath_search`, expressions are evaluated without a context node:
//! relative paths at the top level (`cib/configuration`, `.`) select nothing; only
//! absolute paths (and filters of them) do. Where libxml2 departs from the XPath 1.0
//! spec, we follow libxml2 (the `following` axis of an attribute starts after its
//! owner's subtree).
//!
//! Not supported, reported as [`XPathError::Unsupported`]: variables, namespace prefixes,
//! the namespace axis, `lang()`, unknown functions, and `id()` (in Pacemaker it finds
//! attributes the CIB schema types as IDs; no client we know of uses it). Our trees hold
//! no text nodes, so `text()` never matches and elements have empty string-values
//! (Pacemaker's own documents carry no text either).
//!
//! Pacemaker itself treats a malformed or non-node-set expression as matching nothing
//! (a query answers -ENXIO, a delete succeeds); callers wanting that compatibility map
//! every [`XPathError`] accordingly.
//!
//! Hostile input is bounded: expressions longer than [`MAX_EXPRESSION_LEN`] are refused,
//! nesting and operator counts are capped at compile time, and evaluation stops with
//! [`XPathError::TooExpensive`] after [`DEFAULT_BUDGET`] units of work.

mod ast;
mod document;
mod eval;
mod functions;
mod lexer;
mod parser;
mod value;

use std::fmt;

use super::Element;
use ast::Expr;
use document::Document;
use eval::Evaluator;

/// Longest expression accepted, in bytes.
pub const MAX_EXPRESSION_LEN: usize = 4096;

/// Work units (nodes visited, predicates evaluated) one selection may spend. Generous
/// for whole-CIB scans (tens of thousands of nodes, a few passes) but stops pathological
/// nested scans quickly.
pub const DEFAULT_BUDGET: u64 = 50_000_000;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum XPathError {
    /// Malformed expression.
    Syntax { message: String, offset: usize },
    /// Valid XPath 1.0 this implementation deliberately does not handle.
    Unsupported { construct: String, offset: usize },
    /// Too long or too deeply nested to compile.
    TooComplex(String),
    /// The expression is valid but does not select nodes (e.g. `count(//node)`).
    NotANodeSet,
    /// Evaluation exceeded its work budget.
    TooExpensive,
    /// A run-time type error, e.g. `name('x')`.
    Evaluation(String),
}

impl XPathError {
    fn syntax(message: impl Into<String>, offset: usize) -> Self {
        XPathError::Syntax { message: message.into(), offset }
    }

    fn unsupported(construct: impl Into<String>, offset: usize) -> Self {
        XPathError::Unsupported { construct: construct.into(), offset }
    }

    fn too_complex(message: impl Into<String>) -> Self {
        XPathError::TooComplex(message.into())
    }
}

impl fmt::Display for XPathError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            XPathError::Syntax { message, offset } => write!(f, "invalid XPath at offset {offset}: {message}"),
            XPathError::Unsupported { construct, offset } => {
                write!(f, "unsupported XPath construct at offset {offset}: {construct}")
            }
            XPathError::TooComplex(message) => write!(f, "XPath expression too complex: {message}"),
            XPathError::NotANodeSet => write!(f, "XPath expression does not select nodes"),
            XPathError::TooExpensive => write!(f, "XPath evaluation exceeded its work limit"),
            XPathError::Evaluation(message) => write!(f, "XPath evaluation error: {message}"),
        }
    }
}

impl std::error::Error for XPathError {}

/// A compiled XPath expression that selects nodes.
#[derive(Debug, Clone)]
pub struct XPath {
    expr: Expr,
    source: String,
}

impl XPath {
    /// Compiles an expression; it must be one that yields a node-set.
    pub fn compile(expression: &str) -> Result<XPath, XPathError> {
        if expression.len() > MAX_EXPRESSION_LEN {
            return Err(XPathError::too_complex(format!("longer than {MAX_EXPRESSION_LEN} bytes")));
        }
        let tokens = lexer::tokenize(expression)?;
        let mut expr = parser::Parser::new(&tokens, expression.len()).parse()?;
        ast::optimize(&mut expr);
        if !expr.yields_node_set() {
            return Err(XPathError::NotANodeSet);
        }
        Ok(XPath { expr, source: expression.to_string() })
    }

    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// The matched elements as child-index paths from `root` (`root` itself is the empty
    /// path), in document order and without duplicates. Attribute and comment matches
    /// count as their owning element; `/` counts as `root`.
    pub fn select(&self, root: &Element) -> Result<Vec<Vec<usize>>, XPathError> {
        self.select_with_budget(root, DEFAULT_BUDGET)
    }

    pub fn select_with_budget(&self, root: &Element, budget: u64) -> Result<Vec<Vec<usize>>, XPathError> {
        let doc = Document::new(root).ok_or_else(|| XPathError::Evaluation("document too large to index".into()))?;
        let mut elements = self.owners(&doc, budget)?;
        // A comment's owner precedes the comment's earlier siblings: re-sort.
        elements.sort_unstable();
        elements.dedup();
        Ok(elements.into_iter().map(|e| doc.child_path(e)).collect())
    }

    /// One entry per matched node, in libxml2's (document) order, each attribute or
    /// comment replaced by its owning element and duplicates kept, exactly the list
    /// Pacemaker's `cib_process_xpath` walks: `//nvpair/@*` yields each nvpair once per
    /// attribute, and a query answer with more than one entry is wrapped in
    /// `<xpath-query>`.
    pub fn select_matches(&self, root: &Element) -> Result<Vec<Vec<usize>>, XPathError> {
        let doc = Document::new(root).ok_or_else(|| XPathError::Evaluation("document too large to index".into()))?;
        Ok(self.owners(&doc, DEFAULT_BUDGET)?.into_iter().map(|e| doc.child_path(e)).collect())
    }

    fn owners(&self, doc: &Document<'_>, budget: u64) -> Result<Vec<document::NodeId>, XPathError> {
        let mut evaluator = Evaluator::new(doc, budget);
        let ctx = evaluator.root_context();
        let nodes = evaluator.eval_nodes(&self.expr, ctx)?;
        Ok(nodes.into_iter().map(|n| doc.owning_element(n)).collect())
    }
}

/// Compiles and evaluates `expression` against `root` in one go.
pub fn select(root: &Element, expression: &str) -> Result<Vec<Vec<usize>>, XPathError> {
    XPath::compile(expression)?.select(root)
}

/// Drops every match that lies inside another match, as Pacemaker's
/// `dedupXpathResults` does before deleting all matches (`cib_multiple`). The input is
/// in document order, as [`XPath::select`] returns it; so is the output. Delete the
/// survivors last to first so earlier paths stay valid.
pub fn outermost(paths: &[Vec<usize>]) -> Vec<Vec<usize>> {
    let all: std::collections::HashSet<&[usize]> = paths.iter().map(Vec::as_slice).collect();
    paths
        .iter()
        .filter(|path| !(0..path.len()).any(|len| all.contains(&path[..len])))
        .cloned()
        .collect()
}

/// Pacemaker's XPath for an element (`pcmk__element_xpath`): each element from the root
/// down as `/name`, followed by `[@id='…']` when it has an id. The id is inserted
/// verbatim, as Pacemaker does. `None` if `path` does not lead to an element.
pub fn element_xpath(root: &Element, path: &[usize]) -> Option<String> {
    let mut out = String::new();
    let mut append = |e: &Element| {
        out.push('/');
        out.push_str(&e.name);
        if let Some(id) = e.id() {
            out.push_str("[@id='");
            out.push_str(id);
            out.push_str("']");
        }
    };
    append(root);
    let mut current = root;
    for &i in path {
        current = current.children.get(i)?.as_element()?;
        append(current);
    }
    Some(out)
}

#[cfg(test)]
mod tests;
