//! Recursive-descent parser from tokens to [`Expr`], following the XPath 1.0 grammar.
//!
//! Hostile input is bounded: nesting (parentheses, predicates, function arguments) is
//! limited, and so is the number of binary operators, which caps the depth of the
//! left-leaning trees the evaluator recurses through.

use super::ast::{Axis, BinaryOp, Expr, Function, NodeTest, PathStart, Step};
use super::lexer::{Spanned, Token};
use super::XPathError;

/// How deeply parentheses, predicates and function calls may nest.
pub(super) const MAX_NESTING: usize = 32;
/// How many binary operators one expression may contain.
pub(super) const MAX_OPERATORS: usize = 256;

pub(super) struct Parser<'t> {
    tokens: &'t [Spanned],
    pos: usize,
    nesting: usize,
    operators: usize,
    end_offset: usize,
}

impl<'t> Parser<'t> {
    pub fn new(tokens: &'t [Spanned], end_offset: usize) -> Self {
        Parser { tokens, pos: 0, nesting: 0, operators: 0, end_offset }
    }

    /// Parses the whole token stream as one expression.
    pub fn parse(mut self) -> Result<Expr, XPathError> {
        if self.tokens.is_empty() {
            return Err(XPathError::syntax("empty expression", 0));
        }
        let expr = self.expr()?;
        if let Some(extra) = self.tokens.get(self.pos) {
            return Err(XPathError::syntax(format!("unexpected {}", describe(&extra.token)), extra.offset));
        }
        Ok(expr)
    }

    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos).map(|s| &s.token)
    }

    fn offset(&self) -> usize {
        self.tokens.get(self.pos).map_or(self.end_offset, |s| s.offset)
    }

    fn advance(&mut self) -> Option<&Token> {
        let t = self.tokens.get(self.pos).map(|s| &s.token);
        self.pos += 1;
        t
    }

    fn eat(&mut self, token: &Token) -> bool {
        if self.peek() == Some(token) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, token: &Token, what: &str) -> Result<(), XPathError> {
        if self.eat(token) {
            Ok(())
        } else {
            Err(self.unexpected(what))
        }
    }

    fn unexpected(&self, wanted: &str) -> XPathError {
        let found = self.peek().map_or_else(|| "end of expression".to_string(), describe);
        XPathError::syntax(format!("expected {wanted}, found {found}"), self.offset())
    }

    fn count_operator(&mut self) -> Result<(), XPathError> {
        self.operators += 1;
        if self.operators > MAX_OPERATORS {
            return Err(XPathError::too_complex(format!("more than {MAX_OPERATORS} operators")));
        }
        Ok(())
    }

    fn expr(&mut self) -> Result<Expr, XPathError> {
        self.nesting += 1;
        if self.nesting > MAX_NESTING {
            return Err(XPathError::too_complex(format!("nested deeper than {MAX_NESTING} levels")));
        }
        let result = self.or_expr();
        self.nesting -= 1;
        result
    }

    fn or_expr(&mut self) -> Result<Expr, XPathError> {
        let mut operands = vec![self.and_expr()?];
        while self.eat(&Token::Or) {
            self.count_operator()?;
            operands.push(self.and_expr()?);
        }
        Ok(if operands.len() == 1 { operands.remove(0) } else { Expr::Or(operands) })
    }

    fn and_expr(&mut self) -> Result<Expr, XPathError> {
        let mut operands = vec![self.equality_expr()?];
        while self.eat(&Token::And) {
            self.count_operator()?;
            operands.push(self.equality_expr()?);
        }
        Ok(if operands.len() == 1 { operands.remove(0) } else { Expr::And(operands) })
    }

    /// Parses `operand (op operand)*` left-associatively for the given operator table.
    fn binary_chain(
        &mut self,
        operand: fn(&mut Self) -> Result<Expr, XPathError>,
        operator: fn(&Token) -> Option<BinaryOp>,
    ) -> Result<Expr, XPathError> {
        let mut left = operand(self)?;
        while let Some(op) = self.peek().and_then(operator) {
            self.pos += 1;
            self.count_operator()?;
            let right = operand(self)?;
            left = Expr::Binary(op, Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn equality_expr(&mut self) -> Result<Expr, XPathError> {
        self.binary_chain(Self::relational_expr, |t| match t {
            Token::Equal => Some(BinaryOp::Equal),
            Token::NotEqual => Some(BinaryOp::NotEqual),
            _ => None,
        })
    }

    fn relational_expr(&mut self) -> Result<Expr, XPathError> {
        self.binary_chain(Self::additive_expr, |t| match t {
            Token::Less => Some(BinaryOp::Less),
            Token::LessEqual => Some(BinaryOp::LessEqual),
            Token::Greater => Some(BinaryOp::Greater),
            Token::GreaterEqual => Some(BinaryOp::GreaterEqual),
            _ => None,
        })
    }

    fn additive_expr(&mut self) -> Result<Expr, XPathError> {
        self.binary_chain(Self::multiplicative_expr, |t| match t {
            Token::Plus => Some(BinaryOp::Add),
            Token::Minus => Some(BinaryOp::Subtract),
            _ => None,
        })
    }

    fn multiplicative_expr(&mut self) -> Result<Expr, XPathError> {
        self.binary_chain(Self::unary_expr, |t| match t {
            Token::Multiply => Some(BinaryOp::Multiply),
            Token::Div => Some(BinaryOp::Divide),
            Token::Mod => Some(BinaryOp::Modulo),
            _ => None,
        })
    }

    fn unary_expr(&mut self) -> Result<Expr, XPathError> {
        let mut negations = 0usize;
        while self.eat(&Token::Minus) {
            negations += 1;
        }
        let operand = self.union_expr()?;
        // Double negation is the identity on numbers but still converts to a number.
        Ok(match negations {
            0 => operand,
            n if n % 2 == 1 => Expr::Negate(Box::new(operand)),
            _ => Expr::Negate(Box::new(Expr::Negate(Box::new(operand)))),
        })
    }

    fn union_expr(&mut self) -> Result<Expr, XPathError> {
        let first_offset = self.offset();
        let mut operands = vec![self.path_expr()?];
        while self.eat(&Token::Pipe) {
            self.count_operator()?;
            let offset = self.offset();
            let operand = self.path_expr()?;
            if !operand.yields_node_set() {
                return Err(XPathError::syntax("'|' needs node-sets on both sides", offset));
            }
            operands.push(operand);
        }
        if operands.len() == 1 {
            return Ok(operands.remove(0));
        }
        if !operands[0].yields_node_set() {
            return Err(XPathError::syntax("'|' needs node-sets on both sides", first_offset));
        }
        Ok(Expr::Union(operands))
    }

    fn starts_location_path(token: Option<&Token>) -> bool {
        matches!(
            token,
            Some(
                Token::Slash
                    | Token::DoubleSlash
                    | Token::Name(_)
                    | Token::Star
                    | Token::AxisName(_)
                    | Token::At
                    | Token::Dot
                    | Token::DotDot
                    | Token::NodeType(_)
            )
        )
    }

    fn starts_step(token: Option<&Token>) -> bool {
        matches!(
            token,
            Some(Token::Name(_) | Token::Star | Token::AxisName(_) | Token::At | Token::Dot | Token::DotDot | Token::NodeType(_))
        )
    }

    fn path_expr(&mut self) -> Result<Expr, XPathError> {
        if Self::starts_location_path(self.peek()) {
            return self.location_path();
        }
        let offset = self.offset();
        let filter = self.filter_expr()?;
        if matches!(self.peek(), Some(Token::Slash | Token::DoubleSlash)) {
            if !filter.yields_node_set() {
                return Err(XPathError::syntax("'/' must follow a node-set", offset));
            }
            let mut steps = Vec::new();
            self.relative_steps(&mut steps, true)?;
            return Ok(Expr::Path { start: PathStart::Filter(Box::new(filter)), steps });
        }
        Ok(filter)
    }

    fn location_path(&mut self) -> Result<Expr, XPathError> {
        let mut steps = Vec::new();
        let start = match self.peek() {
            Some(Token::Slash) => {
                self.pos += 1;
                if Self::starts_step(self.peek()) {
                    self.relative_steps(&mut steps, false)?;
                }
                PathStart::Root
            }
            Some(Token::DoubleSlash) => {
                self.relative_steps(&mut steps, true)?;
                PathStart::Root
            }
            _ => {
                self.relative_steps(&mut steps, false)?;
                PathStart::Context
            }
        };
        Ok(Expr::Path { start, steps })
    }

    /// Parses `Step (('/' | '//') Step)*`; with `separator_first`, a `/` or `//` is
    /// expected before the first step.
    fn relative_steps(&mut self, steps: &mut Vec<Step>, separator_first: bool) -> Result<(), XPathError> {
        let mut need_separator = separator_first;
        loop {
            if need_separator {
                match self.peek() {
                    Some(Token::Slash) => self.pos += 1,
                    Some(Token::DoubleSlash) => {
                        self.pos += 1;
                        steps.push(Step { axis: Axis::DescendantOrSelf, test: NodeTest::AnyNode, predicates: Vec::new() });
                    }
                    _ => return Ok(()),
                }
            }
            steps.push(self.step()?);
            need_separator = true;
        }
    }

    fn step(&mut self) -> Result<Step, XPathError> {
        match self.peek() {
            Some(Token::Dot) => {
                self.pos += 1;
                return Ok(Step { axis: Axis::SelfAxis, test: NodeTest::AnyNode, predicates: Vec::new() });
            }
            Some(Token::DotDot) => {
                self.pos += 1;
                return Ok(Step { axis: Axis::Parent, test: NodeTest::AnyNode, predicates: Vec::new() });
            }
            _ => {}
        }
        let axis = match self.peek().cloned() {
            Some(Token::At) => {
                self.pos += 1;
                Axis::Attribute
            }
            Some(Token::AxisName(name)) => {
                let offset = self.offset();
                self.pos += 1;
                self.expect(&Token::ColonColon, "'::'")?;
                match Axis::from_name(&name) {
                    Some(axis) => axis,
                    None if name == "namespace" => return Err(XPathError::unsupported("the namespace axis", offset)),
                    None => return Err(XPathError::syntax(format!("unknown axis '{name}'"), offset)),
                }
            }
            _ => Axis::Child,
        };
        let test = self.node_test()?;
        let predicates = self.predicates()?;
        Ok(Step { axis, test, predicates })
    }

    fn node_test(&mut self) -> Result<NodeTest, XPathError> {
        let offset = self.offset();
        match self.advance().cloned() {
            Some(Token::Star) => Ok(NodeTest::AnyName),
            Some(Token::Name(name)) => Ok(NodeTest::Name(name)),
            Some(Token::NodeType(kind)) => {
                self.expect(&Token::LParen, "'('")?;
                let test = match kind.as_str() {
                    "node" => NodeTest::AnyNode,
                    "text" => NodeTest::Text,
                    "comment" => NodeTest::Comment,
                    _ => {
                        // processing-instruction('target') is allowed to name a target.
                        if let Some(Token::Literal(_)) = self.peek() {
                            self.pos += 1;
                        }
                        NodeTest::ProcessingInstruction
                    }
                };
                self.expect(&Token::RParen, "')'")?;
                Ok(test)
            }
            _ => {
                self.pos -= 1;
                Err(XPathError::syntax(
                    format!("expected a node test, found {}", self.peek().map_or("end of expression".into(), describe)),
                    offset,
                ))
            }
        }
    }

    fn predicates(&mut self) -> Result<Vec<Expr>, XPathError> {
        let mut predicates = Vec::new();
        while self.eat(&Token::LBracket) {
            predicates.push(self.expr()?);
            self.expect(&Token::RBracket, "']'")?;
        }
        Ok(predicates)
    }

    fn filter_expr(&mut self) -> Result<Expr, XPathError> {
        let offset = self.offset();
        let primary = self.primary_expr()?;
        let predicates = self.predicates()?;
        if predicates.is_empty() {
            return Ok(primary);
        }
        if !primary.yields_node_set() {
            return Err(XPathError::syntax("predicates need a node-set to filter", offset));
        }
        Ok(Expr::Filter { primary: Box::new(primary), predicates })
    }

    fn primary_expr(&mut self) -> Result<Expr, XPathError> {
        let offset = self.offset();
        match self.advance().cloned() {
            Some(Token::LParen) => {
                let inner = self.expr()?;
                self.expect(&Token::RParen, "')'")?;
                Ok(inner)
            }
            Some(Token::Literal(text)) => Ok(Expr::Literal(text)),
            Some(Token::Number(n)) => Ok(Expr::Number(n)),
            Some(Token::FunctionName(name)) => self.function_call(&name, offset),
            _ => {
                self.pos -= 1;
                Err(self.unexpected("an expression"))
            }
        }
    }

    fn function_call(&mut self, name: &str, offset: usize) -> Result<Expr, XPathError> {
        let Some((function, min, max)) = Function::lookup(name) else {
            return Err(XPathError::unsupported(format!("the function {name}()"), offset));
        };
        self.expect(&Token::LParen, "'('")?;
        self.nesting += 1;
        if self.nesting > MAX_NESTING {
            return Err(XPathError::too_complex(format!("nested deeper than {MAX_NESTING} levels")));
        }
        let mut args = Vec::new();
        if !self.eat(&Token::RParen) {
            loop {
                args.push(self.expr()?);
                if self.eat(&Token::Comma) {
                    continue;
                }
                self.expect(&Token::RParen, "',' or ')'")?;
                break;
            }
        }
        self.nesting -= 1;
        if args.len() < min || args.len() > max {
            return Err(XPathError::syntax(format!("wrong number of arguments to {name}(): {}", args.len()), offset));
        }
        if matches!(function, Function::Count | Function::Sum) && !args[0].yields_node_set() {
            return Err(XPathError::syntax(format!("{name}() needs a node-set argument"), offset));
        }
        Ok(Expr::Call(function, args))
    }
}

fn describe(token: &Token) -> String {
    match token {
        Token::Name(n) => format!("name '{n}'"),
        Token::FunctionName(n) => format!("function '{n}'"),
        Token::NodeType(n) => format!("node type '{n}'"),
        Token::AxisName(n) => format!("axis '{n}'"),
        Token::Literal(s) => format!("string '{s}'"),
        Token::Number(n) => format!("number {n}"),
        other => format!("{other:?}"),
    }
}
