//! The compiled form of an XPath expression.

// `self` is a keyword, hence `SelfAxis`.
#[allow(clippy::enum_variant_names)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Axis {
    Child,
    Descendant,
    DescendantOrSelf,
    Parent,
    Ancestor,
    AncestorOrSelf,
    FollowingSibling,
    PrecedingSibling,
    Following,
    Preceding,
    Attribute,
    SelfAxis,
}

impl Axis {
    pub fn from_name(name: &str) -> Option<Axis> {
        Some(match name {
            "child" => Axis::Child,
            "descendant" => Axis::Descendant,
            "descendant-or-self" => Axis::DescendantOrSelf,
            "parent" => Axis::Parent,
            "ancestor" => Axis::Ancestor,
            "ancestor-or-self" => Axis::AncestorOrSelf,
            "following-sibling" => Axis::FollowingSibling,
            "preceding-sibling" => Axis::PrecedingSibling,
            "following" => Axis::Following,
            "preceding" => Axis::Preceding,
            "attribute" => Axis::Attribute,
            "self" => Axis::SelfAxis,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum NodeTest {
    /// `*`: any node of the axis' principal type (attributes on the attribute axis,
    /// elements elsewhere).
    AnyName,
    Name(String),
    AnyNode,
    Text,
    Comment,
    ProcessingInstruction,
}

#[derive(Debug, Clone, PartialEq)]
pub(super) struct Step {
    pub axis: Axis,
    pub test: NodeTest,
    pub predicates: Vec<Expr>,
}

#[derive(Debug, Clone, PartialEq)]
pub(super) enum PathStart {
    /// `/…`: the document node.
    Root,
    /// A relative location path: the context node.
    Context,
    /// A filter expression (`(…)[…]`, a function call…) followed by `/` steps.
    Filter(Box<Expr>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum BinaryOp {
    Equal,
    NotEqual,
    Less,
    LessEqual,
    Greater,
    GreaterEqual,
    Add,
    Subtract,
    Multiply,
    Divide,
    Modulo,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Function {
    Last,
    Position,
    Count,
    LocalName,
    NamespaceUri,
    Name,
    String,
    Concat,
    StartsWith,
    Contains,
    SubstringBefore,
    SubstringAfter,
    Substring,
    StringLength,
    NormalizeSpace,
    Translate,
    Boolean,
    Not,
    True,
    False,
    Number,
    Sum,
    Floor,
    Ceiling,
    Round,
}

impl Function {
    /// The function with this name and its allowed argument counts (min, max).
    pub fn lookup(name: &str) -> Option<(Function, usize, usize)> {
        use Function::*;
        Some(match name {
            "last" => (Last, 0, 0),
            "position" => (Position, 0, 0),
            "count" => (Count, 1, 1),
            "local-name" => (LocalName, 0, 1),
            "namespace-uri" => (NamespaceUri, 0, 1),
            "name" => (Name, 0, 1),
            "string" => (String, 0, 1),
            "concat" => (Concat, 2, usize::MAX),
            "starts-with" => (StartsWith, 2, 2),
            "contains" => (Contains, 2, 2),
            "substring-before" => (SubstringBefore, 2, 2),
            "substring-after" => (SubstringAfter, 2, 2),
            "substring" => (Substring, 2, 3),
            "string-length" => (StringLength, 0, 1),
            "normalize-space" => (NormalizeSpace, 0, 1),
            "translate" => (Translate, 3, 3),
            "boolean" => (Boolean, 1, 1),
            "not" => (Not, 1, 1),
            "true" => (True, 0, 0),
            "false" => (False, 0, 0),
            "number" => (Number, 0, 1),
            "sum" => (Sum, 1, 1),
            "floor" => (Floor, 1, 1),
            "ceiling" => (Ceiling, 1, 1),
            "round" => (Round, 1, 1),
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Expr {
    Or(Vec<Expr>),
    And(Vec<Expr>),
    Binary(BinaryOp, Box<Expr>, Box<Expr>),
    Negate(Box<Expr>),
    Union(Vec<Expr>),
    Path { start: PathStart, steps: Vec<Step> },
    /// A primary expression with predicates, evaluated in document order.
    Filter { primary: Box<Expr>, predicates: Vec<Expr> },
    Literal(String),
    Number(f64),
    Call(Function, Vec<Expr>),
}

impl Expr {
    /// Whether the expression always evaluates to a node-set (statically known in
    /// XPath 1.0: only paths, unions and filters over node-sets do).
    pub fn yields_node_set(&self) -> bool {
        match self {
            Expr::Union(_) => true,
            Expr::Path { start, .. } => match start {
                PathStart::Root | PathStart::Context => true,
                PathStart::Filter(inner) => inner.yields_node_set(),
            },
            Expr::Filter { primary, .. } => primary.yields_node_set(),
            _ => false,
        }
    }
}

/// Whether evaluating `expr` as a predicate depends on the context position or size:
/// it calls `position()`/`last()` in its own context, or may yield a number (which a
/// predicate compares with the position). Predicates of nested steps and filters have
/// their own context and do not count.
fn depends_on_position(expr: &Expr) -> bool {
    uses_context_position(expr) || may_be_number(expr)
}

fn uses_context_position(expr: &Expr) -> bool {
    match expr {
        Expr::Call(Function::Position | Function::Last, _) => true,
        Expr::Call(_, args) => args.iter().any(uses_context_position),
        Expr::Or(items) | Expr::And(items) | Expr::Union(items) => items.iter().any(uses_context_position),
        Expr::Binary(_, left, right) => uses_context_position(left) || uses_context_position(right),
        Expr::Negate(inner) => uses_context_position(inner),
        Expr::Path { start: PathStart::Filter(inner), .. } => uses_context_position(inner),
        Expr::Path { .. } => false,
        Expr::Filter { primary, .. } => uses_context_position(primary),
        Expr::Literal(_) | Expr::Number(_) => false,
    }
}

fn may_be_number(expr: &Expr) -> bool {
    match expr {
        Expr::Number(_) | Expr::Negate(_) => true,
        Expr::Binary(op, _, _) => {
            matches!(op, BinaryOp::Add | BinaryOp::Subtract | BinaryOp::Multiply | BinaryOp::Divide | BinaryOp::Modulo)
        }
        Expr::Call(function, _) => matches!(
            function,
            Function::Last
                | Function::Position
                | Function::Count
                | Function::StringLength
                | Function::Number
                | Function::Sum
                | Function::Floor
                | Function::Ceiling
                | Function::Round
        ),
        _ => false,
    }
}

/// Rewrites `//name[…]` (`descendant-or-self::node()/child::name[…]`) into the
/// equivalent and much cheaper `descendant::name[…]`, which is only equivalent when
/// the predicates ignore positions (`//a[1]` means "first a child", not "first a").
pub(super) fn optimize(expr: &mut Expr) {
    match expr {
        Expr::Or(items) | Expr::And(items) | Expr::Union(items) => items.iter_mut().for_each(optimize),
        Expr::Binary(_, left, right) => {
            optimize(left);
            optimize(right);
        }
        Expr::Negate(inner) => optimize(inner),
        Expr::Call(_, args) => args.iter_mut().for_each(optimize),
        Expr::Filter { primary, predicates } => {
            optimize(primary);
            predicates.iter_mut().for_each(optimize);
        }
        Expr::Path { start, steps } => {
            if let PathStart::Filter(inner) = start {
                optimize(inner);
            }
            for step in steps.iter_mut() {
                step.predicates.iter_mut().for_each(optimize);
            }
            fuse_descendant_steps(steps);
        }
        Expr::Literal(_) | Expr::Number(_) => {}
    }
}

fn fuse_descendant_steps(steps: &mut Vec<Step>) {
    let mut i = 0;
    while i + 1 < steps.len() {
        let any_descendant_or_self = steps[i].axis == Axis::DescendantOrSelf
            && steps[i].test == NodeTest::AnyNode
            && steps[i].predicates.is_empty();
        let next = &steps[i + 1];
        if any_descendant_or_self && next.axis == Axis::Child && !next.predicates.iter().any(depends_on_position) {
            steps.remove(i);
            steps[i].axis = Axis::Descendant;
        }
        i += 1;
    }
}
