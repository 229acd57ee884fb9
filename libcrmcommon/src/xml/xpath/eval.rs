//! Evaluating a compiled expression over a [`Document`] index.
//!
//! Every node an axis visits and every predicate evaluation is charged to a budget, so
//! a hostile expression (deeply nested `//*[.//*[…]]`) fails with an error instead of
//! running for hours.

use std::collections::HashSet;

use super::ast::{Axis, BinaryOp, Expr, NodeTest, PathStart, Step};
use super::document::{Document, NodeId, NodeKind, DOCUMENT};
use super::value::{boolean_to_string, number_to_string, string_to_number, Value};
use super::XPathError;

/// The evaluation context of XPath 1.0: a node, its position and the context size.
#[derive(Debug, Clone, Copy)]
pub(super) struct Context {
    /// `None` at the top level: Pacemaker evaluates with no context node, so relative
    /// paths there (`cib/configuration`, `.`) select nothing.
    pub node: Option<NodeId>,
    pub position: usize,
    pub size: usize,
}

impl Context {
    /// The context node as a node-set (empty without one).
    pub fn nodes(&self) -> Vec<NodeId> {
        self.node.into_iter().collect()
    }
}

pub(super) struct Evaluator<'d, 'a> {
    pub doc: &'d Document<'a>,
    budget: u64,
}

impl<'d, 'a> Evaluator<'d, 'a> {
    pub fn new(doc: &'d Document<'a>, budget: u64) -> Self {
        Evaluator { doc, budget }
    }

    pub fn charge(&mut self, units: u64) -> Result<(), XPathError> {
        match self.budget.checked_sub(units) {
            Some(left) => {
                self.budget = left;
                Ok(())
            }
            None => {
                self.budget = 0;
                Err(XPathError::TooExpensive)
            }
        }
    }

    pub fn root_context(&self) -> Context {
        Context { node: None, position: 1, size: 1 }
    }

    pub fn eval(&mut self, expr: &Expr, ctx: Context) -> Result<Value, XPathError> {
        self.charge(1)?;
        Ok(match expr {
            Expr::Or(operands) => {
                for operand in operands {
                    let value = self.eval(operand, ctx)?;
                    if self.boolean(&value) {
                        return Ok(Value::Boolean(true));
                    }
                }
                Value::Boolean(false)
            }
            Expr::And(operands) => {
                for operand in operands {
                    let value = self.eval(operand, ctx)?;
                    if !self.boolean(&value) {
                        return Ok(Value::Boolean(false));
                    }
                }
                Value::Boolean(true)
            }
            Expr::Binary(op, left, right) => {
                if let Some(result) = self.compare_attribute_with_constant(*op, left, right, ctx) {
                    return Ok(Value::Boolean(result));
                }
                let left = self.eval(left, ctx)?;
                let right = self.eval(right, ctx)?;
                self.binary(*op, left, right)?
            }
            Expr::Negate(operand) => {
                let value = self.eval(operand, ctx)?;
                Value::Number(-self.number(&value))
            }
            Expr::Union(operands) => {
                let mut all = Vec::new();
                for operand in operands {
                    let nodes = self.eval_nodes(operand, ctx)?;
                    self.charge(nodes.len() as u64)?;
                    all.extend(nodes);
                }
                all.sort_unstable();
                all.dedup();
                Value::Nodes(all)
            }
            Expr::Path { start, steps } => {
                let mut nodes = match start {
                    PathStart::Root => vec![DOCUMENT],
                    PathStart::Context => ctx.nodes(),
                    PathStart::Filter(inner) => self.eval_nodes(inner, ctx)?,
                };
                for step in steps {
                    if nodes.is_empty() {
                        break;
                    }
                    nodes = self.apply_step(&nodes, step)?;
                }
                Value::Nodes(nodes)
            }
            Expr::Filter { primary, predicates } => {
                let mut nodes = self.eval_nodes(primary, ctx)?;
                for predicate in predicates {
                    nodes = self.filter(nodes, predicate)?;
                }
                Value::Nodes(nodes)
            }
            Expr::Literal(text) => Value::String(text.clone()),
            Expr::Number(n) => Value::Number(*n),
            Expr::Call(function, args) => self.call(*function, args, ctx)?,
        })
    }

    pub fn eval_nodes(&mut self, expr: &Expr, ctx: Context) -> Result<Vec<NodeId>, XPathError> {
        match self.eval(expr, ctx)? {
            Value::Nodes(nodes) => Ok(nodes),
            _ => Err(XPathError::Evaluation("expected a node-set".into())),
        }
    }

    fn apply_step(&mut self, input: &[NodeId], step: &Step) -> Result<Vec<NodeId>, XPathError> {
        // Sorting rather than a per-step "seen" bitmap keeps the cost proportional to the
        // (budgeted) nodes visited, not to the document size, when steps run inside
        // predicates for many context nodes.
        let mut out = Vec::new();
        let mut candidates = Vec::new();
        for &context in input {
            candidates.clear();
            self.collect_axis(context, step.axis, &step.test, &mut candidates)?;
            for predicate in &step.predicates {
                candidates = self.filter(std::mem::take(&mut candidates), predicate)?;
            }
            out.extend_from_slice(&candidates);
        }
        out.sort_unstable();
        out.dedup();
        Ok(out)
    }

    /// Keeps the nodes (in their given order, which defines `position()`) for which the
    /// predicate holds: a number means "position equals", anything else its boolean.
    fn filter(&mut self, nodes: Vec<NodeId>, predicate: &Expr) -> Result<Vec<NodeId>, XPathError> {
        let size = nodes.len();
        let mut kept = Vec::new();
        for (i, &node) in nodes.iter().enumerate() {
            let ctx = Context { node: Some(node), position: i + 1, size };
            let keep = match self.eval(predicate, ctx)? {
                Value::Number(n) => n == (i + 1) as f64,
                other => self.boolean(&other),
            };
            if keep {
                kept.push(node);
            }
        }
        Ok(kept)
    }

    fn matches(&self, node: NodeId, axis: Axis, test: &NodeTest) -> bool {
        let kind = self.doc.kind(node);
        let principal = match axis {
            Axis::Attribute => matches!(kind, NodeKind::Attribute { .. }),
            _ => matches!(kind, NodeKind::Element(_)),
        };
        match test {
            NodeTest::AnyNode => true,
            NodeTest::AnyName => principal,
            NodeTest::Name(name) => principal && self.doc.name(node) == name,
            NodeTest::Comment => matches!(kind, NodeKind::Comment(_)),
            // Our trees keep no text nodes or processing instructions.
            NodeTest::Text | NodeTest::ProcessingInstruction => false,
        }
    }

    /// Appends the nodes of `axis` from `context` passing `test`, in axis order
    /// (reverse document order for reverse axes).
    fn collect_axis(&mut self, context: NodeId, axis: Axis, test: &NodeTest, out: &mut Vec<NodeId>) -> Result<(), XPathError> {
        let doc = self.doc;
        let mut visited: u64 = 0;
        let mut consider = |node: NodeId, out: &mut Vec<NodeId>| {
            visited += 1;
            if self.matches(node, axis, test) {
                out.push(node);
            }
        };
        match axis {
            Axis::SelfAxis => consider(context, out),
            Axis::Child => {
                let mut child = doc.first_child(context);
                while let Some(c) = child {
                    consider(c, out);
                    child = doc.next_sibling(c);
                }
            }
            Axis::Attribute => {
                for attribute in doc.attributes(context) {
                    consider(attribute, out);
                }
            }
            Axis::Descendant | Axis::DescendantOrSelf => {
                if axis == Axis::DescendantOrSelf {
                    consider(context, out);
                }
                for node in doc.descendants(context) {
                    consider(node, out);
                }
            }
            Axis::Parent => {
                if let Some(p) = doc.parent(context) {
                    consider(p, out);
                }
            }
            Axis::Ancestor | Axis::AncestorOrSelf => {
                if axis == Axis::AncestorOrSelf {
                    consider(context, out);
                }
                let mut current = doc.parent(context);
                while let Some(p) = current {
                    consider(p, out);
                    current = doc.parent(p);
                }
            }
            Axis::FollowingSibling => {
                let mut sibling = doc.next_sibling(context);
                while let Some(s) = sibling {
                    consider(s, out);
                    sibling = doc.next_sibling(s);
                }
            }
            Axis::PrecedingSibling => {
                let mut sibling = doc.previous_sibling(context);
                while let Some(s) = sibling {
                    consider(s, out);
                    sibling = doc.previous_sibling(s);
                }
            }
            Axis::Following => {
                for node in doc.following(context) {
                    consider(node, out);
                }
            }
            Axis::Preceding => {
                let mut ancestors = HashSet::new();
                let mut current = doc.parent(context);
                while let Some(p) = current {
                    ancestors.insert(p);
                    current = doc.parent(p);
                }
                // Entries (never attributes) before the context, nearest first. For an
                // attribute that starts below its owner, an ancestor.
                for index in (0..Document::entry_index(context)).rev() {
                    let node = Document::entry_node(index);
                    if !ancestors.contains(&node) {
                        consider(node, out);
                    }
                }
            }
        }
        self.charge(visited)
    }

    /// Fast path for the predicate nearly every CIB query uses, `@name = 'value'` (any
    /// comparison of one attribute of the context node with a literal or number),
    /// avoiding node-set construction. Same result as the general path.
    fn compare_attribute_with_constant(&self, op: BinaryOp, left: &Expr, right: &Expr, ctx: Context) -> Option<bool> {
        if !matches!(
            op,
            BinaryOp::Equal | BinaryOp::NotEqual | BinaryOp::Less | BinaryOp::LessEqual | BinaryOp::Greater | BinaryOp::GreaterEqual
        ) {
            return None;
        }
        let (attribute, constant, swapped) = match (single_attribute(left), single_attribute(right)) {
            (Some(name), None) => (name, right, false),
            (None, Some(name)) => (name, left, true),
            _ => return None,
        };
        let constant = match constant {
            Expr::Literal(text) if matches!(op, BinaryOp::Equal | BinaryOp::NotEqual) => Value::String(text.clone()),
            Expr::Literal(text) => Value::Number(string_to_number(text)),
            Expr::Number(n) => Value::Number(*n),
            _ => return None,
        };
        // The attribute axis is empty on non-elements, and namespace declarations are
        // not attributes; an empty node-set compares false with anything.
        let Some(NodeKind::Element(element)) = ctx.node.map(|n| self.doc.kind(n)) else { return Some(false) };
        if attribute == "xmlns" || attribute.starts_with("xmlns:") {
            return Some(false);
        }
        let Some(value) = element.attr(attribute) else { return Some(false) };
        // A node-set of one attribute: the comparison holds if it holds for its value.
        let mine = match constant {
            Value::Number(_) => Value::Number(string_to_number(value)),
            _ => Value::String(value.to_string()),
        };
        Some(if swapped { self.compare_atoms(op, &constant, &mine) } else { self.compare_atoms(op, &mine, &constant) })
    }

    // ---- conversions ----

    pub fn string(&self, value: &Value) -> String {
        match value {
            Value::Nodes(nodes) => nodes.first().map_or_else(String::new, |&n| self.doc.string_value(n).to_string()),
            Value::Boolean(b) => boolean_to_string(*b).to_string(),
            Value::Number(n) => number_to_string(*n),
            Value::String(s) => s.clone(),
        }
    }

    pub fn number(&self, value: &Value) -> f64 {
        match value {
            Value::Nodes(_) => string_to_number(&self.string(value)),
            Value::Boolean(b) => f64::from(u8::from(*b)),
            Value::Number(n) => *n,
            Value::String(s) => string_to_number(s),
        }
    }

    pub fn boolean(&self, value: &Value) -> bool {
        match value {
            Value::Nodes(nodes) => !nodes.is_empty(),
            Value::Boolean(b) => *b,
            Value::Number(n) => *n != 0.0 && !n.is_nan(),
            Value::String(s) => !s.is_empty(),
        }
    }

    // ---- operators ----

    fn binary(&mut self, op: BinaryOp, left: Value, right: Value) -> Result<Value, XPathError> {
        let arithmetic = |f: fn(f64, f64) -> f64, this: &Self| Value::Number(f(this.number(&left), this.number(&right)));
        Ok(match op {
            BinaryOp::Add => arithmetic(|a, b| a + b, self),
            BinaryOp::Subtract => arithmetic(|a, b| a - b, self),
            BinaryOp::Multiply => arithmetic(|a, b| a * b, self),
            BinaryOp::Divide => arithmetic(|a, b| a / b, self),
            // XPath mod truncates like C's fmod, which is Rust's `%` on floats.
            BinaryOp::Modulo => arithmetic(|a, b| a % b, self),
            _ => Value::Boolean(self.compare(op, &left, &right)?),
        })
    }

    /// Comparison per XPath 1.0 section 3.4, including the existential semantics of
    /// node-sets.
    fn compare(&mut self, op: BinaryOp, left: &Value, right: &Value) -> Result<bool, XPathError> {
        match (left, right) {
            (Value::Nodes(a), Value::Nodes(b)) => self.compare_node_sets(op, a, b),
            (Value::Nodes(a), other) => self.compare_node_set_with(op, a, other, false),
            (other, Value::Nodes(b)) => self.compare_node_set_with(op, b, other, true),
            _ => Ok(self.compare_atoms(op, left, right)),
        }
    }

    fn compare_atoms(&self, op: BinaryOp, left: &Value, right: &Value) -> bool {
        match op {
            BinaryOp::Equal | BinaryOp::NotEqual => {
                let equal = if matches!(left, Value::Boolean(_)) || matches!(right, Value::Boolean(_)) {
                    self.boolean(left) == self.boolean(right)
                } else if matches!(left, Value::Number(_)) || matches!(right, Value::Number(_)) {
                    self.number(left) == self.number(right)
                } else {
                    self.string(left) == self.string(right)
                };
                equal == (op == BinaryOp::Equal)
            }
            _ => compare_numbers(op, self.number(left), self.number(right)),
        }
    }

    /// A node-set against a non-node-set value; `swapped` when the node-set is on the
    /// right of the operator.
    fn compare_node_set_with(&mut self, op: BinaryOp, nodes: &[NodeId], other: &Value, swapped: bool) -> Result<bool, XPathError> {
        if let Value::Boolean(b) = other {
            let set = Value::Boolean(!nodes.is_empty());
            let other = Value::Boolean(*b);
            return Ok(if swapped { self.compare_atoms(op, &other, &set) } else { self.compare_atoms(op, &set, &other) });
        }
        self.charge(nodes.len() as u64)?;
        let other = match other {
            // A relational comparison with a string compares numbers.
            Value::String(s) if !matches!(op, BinaryOp::Equal | BinaryOp::NotEqual) => Value::Number(string_to_number(s)),
            v => v.clone(),
        };
        for &node in nodes {
            let text = self.doc.string_value(node);
            let mine = match other {
                Value::Number(_) => Value::Number(string_to_number(text)),
                _ => Value::String(text.to_string()),
            };
            let holds = if swapped { self.compare_atoms(op, &other, &mine) } else { self.compare_atoms(op, &mine, &other) };
            if holds {
                return Ok(true);
            }
        }
        Ok(false)
    }

    fn compare_node_sets(&mut self, op: BinaryOp, a: &[NodeId], b: &[NodeId]) -> Result<bool, XPathError> {
        self.charge((a.len() + b.len()) as u64)?;
        if a.is_empty() || b.is_empty() {
            return Ok(false);
        }
        let doc = self.doc;
        match op {
            BinaryOp::Equal => {
                let right: HashSet<&str> = b.iter().map(|&n| doc.string_value(n)).collect();
                Ok(a.iter().any(|&n| right.contains(doc.string_value(n))))
            }
            BinaryOp::NotEqual => {
                // Some pair differs unless every string on both sides is the same one.
                let first = doc.string_value(a[0]);
                Ok(a.iter().chain(b).any(|&n| doc.string_value(n) != first))
            }
            _ => {
                let numbers = |set: &[NodeId]| -> Vec<f64> {
                    set.iter().map(|&n| string_to_number(doc.string_value(n))).filter(|x| !x.is_nan()).collect()
                };
                let (left, right) = (numbers(a), numbers(b));
                let (Some(left_min), Some(left_max)) = (min(&left), max(&left)) else { return Ok(false) };
                let (Some(right_min), Some(right_max)) = (min(&right), max(&right)) else { return Ok(false) };
                Ok(match op {
                    BinaryOp::Less => left_min < right_max,
                    BinaryOp::LessEqual => left_min <= right_max,
                    BinaryOp::Greater => left_max > right_min,
                    _ => left_max >= right_min,
                })
            }
        }
    }
}

fn min(values: &[f64]) -> Option<f64> {
    values.iter().copied().reduce(f64::min)
}

fn max(values: &[f64]) -> Option<f64> {
    values.iter().copied().reduce(f64::max)
}

fn compare_numbers(op: BinaryOp, a: f64, b: f64) -> bool {
    match op {
        BinaryOp::Less => a < b,
        BinaryOp::LessEqual => a <= b,
        BinaryOp::Greater => a > b,
        BinaryOp::GreaterEqual => a >= b,
        BinaryOp::Equal => a == b,
        _ => a != b,
    }
}

/// The attribute name if `expr` is exactly `@name` (relative, no predicates).
fn single_attribute(expr: &Expr) -> Option<&str> {
    match expr {
        Expr::Path { start: PathStart::Context, steps } => match steps.as_slice() {
            [Step { axis: Axis::Attribute, test: NodeTest::Name(name), predicates }] if predicates.is_empty() => Some(name),
            _ => None,
        },
        _ => None,
    }
}
