//! Splitting an XPath 1.0 expression into tokens, including the context-dependent
//! disambiguation rules of XPath 1.0 section 3.7 (`*` as multiply vs. name test,
//! `and`/`or`/`mod`/`div` as operators vs. element names, function names vs. node types).

use super::XPathError;

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Token {
    LParen,
    RParen,
    LBracket,
    RBracket,
    Dot,
    DotDot,
    At,
    Comma,
    ColonColon,
    Slash,
    DoubleSlash,
    Pipe,
    Plus,
    Minus,
    Equal,
    NotEqual,
    Less,
    LessEqual,
    Greater,
    GreaterEqual,
    /// `*` used as a name test.
    Star,
    /// `*` used as the multiplication operator.
    Multiply,
    And,
    Or,
    Mod,
    Div,
    /// An element or attribute name used as a name test.
    Name(String),
    FunctionName(String),
    /// `node`, `text`, `comment` or `processing-instruction` followed by `(`.
    NodeType(String),
    AxisName(String),
    Literal(String),
    Number(f64),
}

/// A token and the byte offset where it starts, for error messages.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Spanned {
    pub token: Token,
    pub offset: usize,
}

const NODE_TYPES: [&str; 4] = ["node", "text", "comment", "processing-instruction"];

fn is_name_start(c: char) -> bool {
    c.is_alphabetic() || c == '_' || (!c.is_ascii() && !c.is_whitespace())
}

fn is_name_char(c: char) -> bool {
    is_name_start(c) || c.is_ascii_digit() || c == '-' || c == '.'
}

fn is_xml_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

/// Whether a token counts as an operator for the disambiguation rules: after one of
/// these (or at the start), `*` is a name test and `and` etc. are names.
fn allows_name_next(previous: Option<&Token>) -> bool {
    use Token::*;
    match previous {
        None => true,
        Some(t) => matches!(
            t,
            At | ColonColon
                | LParen
                | LBracket
                | Comma
                | And
                | Or
                | Mod
                | Div
                | Multiply
                | Slash
                | DoubleSlash
                | Pipe
                | Plus
                | Minus
                | Equal
                | NotEqual
                | Less
                | LessEqual
                | Greater
                | GreaterEqual
        ),
    }
}

pub(super) fn tokenize(expr: &str) -> Result<Vec<Spanned>, XPathError> {
    let chars: Vec<(usize, char)> = expr.char_indices().collect();
    let mut tokens: Vec<Spanned> = Vec::new();
    let mut i = 0;
    let peek = |i: usize| chars.get(i).map(|&(_, c)| c);
    while i < chars.len() {
        let (offset, c) = chars[i];
        if is_xml_space(c) {
            i += 1;
            continue;
        }
        let previous = tokens.last().map(|s| &s.token);
        let token = match c {
            '(' => {
                i += 1;
                Token::LParen
            }
            ')' => {
                i += 1;
                Token::RParen
            }
            '[' => {
                i += 1;
                Token::LBracket
            }
            ']' => {
                i += 1;
                Token::RBracket
            }
            '@' => {
                i += 1;
                Token::At
            }
            ',' => {
                i += 1;
                Token::Comma
            }
            '|' => {
                i += 1;
                Token::Pipe
            }
            '+' => {
                i += 1;
                Token::Plus
            }
            '-' => {
                i += 1;
                Token::Minus
            }
            '=' => {
                i += 1;
                Token::Equal
            }
            '$' => {
                return Err(XPathError::unsupported("variable references ($name)", offset));
            }
            '!' => {
                if peek(i + 1) == Some('=') {
                    i += 2;
                    Token::NotEqual
                } else {
                    return Err(XPathError::syntax("'!' must be followed by '='", offset));
                }
            }
            '<' => {
                if peek(i + 1) == Some('=') {
                    i += 2;
                    Token::LessEqual
                } else {
                    i += 1;
                    Token::Less
                }
            }
            '>' => {
                if peek(i + 1) == Some('=') {
                    i += 2;
                    Token::GreaterEqual
                } else {
                    i += 1;
                    Token::Greater
                }
            }
            '/' => {
                if peek(i + 1) == Some('/') {
                    i += 2;
                    Token::DoubleSlash
                } else {
                    i += 1;
                    Token::Slash
                }
            }
            ':' => {
                if peek(i + 1) == Some(':') {
                    i += 2;
                    Token::ColonColon
                } else {
                    return Err(XPathError::syntax("unexpected ':'", offset));
                }
            }
            '*' => {
                i += 1;
                if allows_name_next(previous) {
                    Token::Star
                } else {
                    Token::Multiply
                }
            }
            '\'' | '"' => {
                let quote = c;
                let start = i + 1;
                let mut end = start;
                while end < chars.len() && chars[end].1 != quote {
                    end += 1;
                }
                if end >= chars.len() {
                    return Err(XPathError::syntax("unterminated string literal", offset));
                }
                let text: String = chars[start..end].iter().map(|&(_, c)| c).collect();
                i = end + 1;
                Token::Literal(text)
            }
            '.' => {
                if peek(i + 1) == Some('.') {
                    i += 2;
                    Token::DotDot
                } else if peek(i + 1).is_some_and(|c| c.is_ascii_digit()) {
                    let (number, next) = lex_number(&chars, i);
                    i = next;
                    Token::Number(number)
                } else {
                    i += 1;
                    Token::Dot
                }
            }
            c if c.is_ascii_digit() => {
                let (number, next) = lex_number(&chars, i);
                i = next;
                Token::Number(number)
            }
            c if is_name_start(c) => {
                let start = i;
                while i < chars.len() && is_name_char(chars[i].1) {
                    i += 1;
                }
                let name: String = chars[start..i].iter().map(|&(_, c)| c).collect();
                // A single ':' right after a name makes it a namespace-prefixed QName.
                if peek(i) == Some(':') && peek(i + 1) != Some(':') {
                    return Err(XPathError::unsupported("namespace prefixes (prefix:name)", offset));
                }
                classify_name(name, previous, &chars, i)
            }
            other => {
                return Err(XPathError::syntax(format!("unexpected character {other:?}"), offset));
            }
        };
        tokens.push(Spanned { token, offset });
    }
    Ok(tokens)
}

/// Decides what a bare name is from what precedes and follows it.
fn classify_name(name: String, previous: Option<&Token>, chars: &[(usize, char)], next: usize) -> Token {
    if !allows_name_next(previous) {
        match name.as_str() {
            "and" => return Token::And,
            "or" => return Token::Or,
            "mod" => return Token::Mod,
            "div" => return Token::Div,
            _ => {}
        }
    }
    let mut j = next;
    while j < chars.len() && is_xml_space(chars[j].1) {
        j += 1;
    }
    match chars.get(j).map(|&(_, c)| c) {
        Some('(') => {
            if NODE_TYPES.contains(&name.as_str()) {
                Token::NodeType(name)
            } else {
                Token::FunctionName(name)
            }
        }
        Some(':') if chars.get(j + 1).map(|&(_, c)| c) == Some(':') => Token::AxisName(name),
        _ => Token::Name(name),
    }
}

/// Lexes `Digits ('.' Digits?)? | '.' Digits` starting at `start`.
fn lex_number(chars: &[(usize, char)], start: usize) -> (f64, usize) {
    let mut i = start;
    while i < chars.len() && chars[i].1.is_ascii_digit() {
        i += 1;
    }
    if i < chars.len() && chars[i].1 == '.' {
        i += 1;
        while i < chars.len() && chars[i].1.is_ascii_digit() {
            i += 1;
        }
    }
    let text: String = chars[start..i].iter().map(|&(_, c)| c).collect();
    // Only digits and at most one dot: always parses (possibly to infinity when huge).
    let value = text.parse::<f64>().unwrap_or(f64::NAN);
    (value, i)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(expr: &str) -> Vec<Token> {
        tokenize(expr).unwrap().into_iter().map(|s| s.token).collect()
    }

    #[test]
    fn star_and_operator_names_depend_on_context() {
        assert_eq!(
            kinds("//*[@a * 2 = 4]"),
            vec![
                Token::DoubleSlash,
                Token::Star,
                Token::LBracket,
                Token::At,
                Token::Name("a".into()),
                Token::Multiply,
                Token::Number(2.0),
                Token::Equal,
                Token::Number(4.0),
                Token::RBracket
            ]
        );
        assert_eq!(kinds("and and and")[..], [Token::Name("and".into()), Token::And, Token::Name("and".into())]);
        assert_eq!(kinds("/div")[1], Token::Name("div".into()));
    }

    #[test]
    fn names_functions_axes_and_node_types() {
        assert_eq!(
            kinds("child::node() | count (x)"),
            vec![
                Token::AxisName("child".into()),
                Token::ColonColon,
                Token::NodeType("node".into()),
                Token::LParen,
                Token::RParen,
                Token::Pipe,
                Token::FunctionName("count".into()),
                Token::LParen,
                Token::Name("x".into()),
                Token::RParen
            ]
        );
        assert_eq!(kinds("lrm_rsc_op.x-y")[0], Token::Name("lrm_rsc_op.x-y".into()));
    }

    #[test]
    fn literals_numbers_and_errors() {
        assert_eq!(kinds(r#"'a"b' "c'd""#), vec![Token::Literal("a\"b".into()), Token::Literal("c'd".into())]);
        assert_eq!(kinds(".5 1. 12.25 .."), vec![Token::Number(0.5), Token::Number(1.0), Token::Number(12.25), Token::DotDot]);
        assert!(tokenize("'open").is_err());
        assert!(tokenize("$var").is_err());
        assert!(tokenize("x:y").is_err());
        assert!(tokenize("a ! b").is_err());
        assert!(tokenize("#").is_err());
    }
}
