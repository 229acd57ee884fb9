//! The XPath 1.0 core function library (minus `id()` and `lang()`, which need DTD and
//! `xml:lang` information Pacemaker documents never carry).

use super::ast::{Expr, Function};
use super::document::NodeId;
use super::eval::{Context, Evaluator};
use super::value::{is_xml_space, xpath_round, Value};
use super::XPathError;

impl Evaluator<'_, '_> {
    pub(super) fn call(&mut self, function: Function, args: &[Expr], ctx: Context) -> Result<Value, XPathError> {
        use Function::*;
        Ok(match function {
            Last => Value::Number(ctx.size as f64),
            Position => Value::Number(ctx.position as f64),
            Count => Value::Number(self.eval_nodes(arg(args, 0)?, ctx)?.len() as f64),
            LocalName | Name | NamespaceUri => {
                let node = self.optional_node_arg(args, ctx)?;
                let name = node.map_or("", |n| self.doc.name(n));
                Value::String(match function {
                    LocalName => name.rsplit(':').next().unwrap_or(name).to_string(),
                    Name => name.to_string(),
                    _ => std::string::String::new(),
                })
            }
            String => Value::String(self.string_arg_or_context(args, ctx)?),
            Concat => {
                let mut out = std::string::String::new();
                for a in args {
                    let value = self.eval(a, ctx)?;
                    out.push_str(&self.string(&value));
                }
                Value::String(out)
            }
            StartsWith => {
                let (s, prefix) = self.two_strings(args, ctx)?;
                Value::Boolean(s.starts_with(&prefix))
            }
            Contains => {
                let (s, needle) = self.two_strings(args, ctx)?;
                Value::Boolean(s.contains(&needle))
            }
            SubstringBefore => {
                let (s, needle) = self.two_strings(args, ctx)?;
                Value::String(s.find(&needle).map_or_else(std::string::String::new, |i| s[..i].to_string()))
            }
            SubstringAfter => {
                let (s, needle) = self.two_strings(args, ctx)?;
                Value::String(s.find(&needle).map_or_else(std::string::String::new, |i| s[i + needle.len()..].to_string()))
            }
            Substring => {
                let s = self.string_arg(args, 0, ctx)?;
                let start = self.number_arg(args, 1, ctx)?;
                let length = match args.get(2) {
                    Some(_) => Some(self.number_arg(args, 2, ctx)?),
                    None => None,
                };
                Value::String(substring(&s, start, length))
            }
            StringLength => Value::Number(self.string_arg_or_context(args, ctx)?.chars().count() as f64),
            NormalizeSpace => {
                let s = self.string_arg_or_context(args, ctx)?;
                Value::String(s.split(is_xml_space).filter(|w| !w.is_empty()).collect::<Vec<_>>().join(" "))
            }
            Translate => {
                let s = self.string_arg(args, 0, ctx)?;
                let from: Vec<char> = self.string_arg(args, 1, ctx)?.chars().collect();
                let to: Vec<char> = self.string_arg(args, 2, ctx)?.chars().collect();
                Value::String(
                    s.chars()
                        .filter_map(|c| match from.iter().position(|&f| f == c) {
                            Some(i) => to.get(i).copied(),
                            None => Some(c),
                        })
                        .collect(),
                )
            }
            Boolean => {
                let value = self.eval(arg(args, 0)?, ctx)?;
                Value::Boolean(self.boolean(&value))
            }
            Not => {
                let value = self.eval(arg(args, 0)?, ctx)?;
                Value::Boolean(!self.boolean(&value))
            }
            True => Value::Boolean(true),
            False => Value::Boolean(false),
            Number => match args.first() {
                Some(a) => {
                    let value = self.eval(a, ctx)?;
                    Value::Number(self.number(&value))
                }
                None => Value::Number(self.number(&Value::Nodes(ctx.nodes()))),
            },
            Sum => {
                let nodes = self.eval_nodes(arg(args, 0)?, ctx)?;
                let total = nodes.iter().map(|&n| self.number(&Value::Nodes(vec![n]))).sum();
                Value::Number(total)
            }
            Floor => Value::Number(self.number_arg(args, 0, ctx)?.floor()),
            Ceiling => Value::Number(self.number_arg(args, 0, ctx)?.ceil()),
            Round => Value::Number(xpath_round(self.number_arg(args, 0, ctx)?)),
        })
    }

    /// The first node of the optional node-set argument, or the context node.
    fn optional_node_arg(&mut self, args: &[Expr], ctx: Context) -> Result<Option<NodeId>, XPathError> {
        match args.first() {
            None => Ok(ctx.node),
            Some(a) => Ok(self.eval_nodes(a, ctx)?.first().copied()),
        }
    }

    fn string_arg(&mut self, args: &[Expr], index: usize, ctx: Context) -> Result<String, XPathError> {
        let value = self.eval(arg(args, index)?, ctx)?;
        Ok(self.string(&value))
    }

    fn string_arg_or_context(&mut self, args: &[Expr], ctx: Context) -> Result<String, XPathError> {
        match args.first() {
            Some(_) => self.string_arg(args, 0, ctx),
            None => Ok(self.string(&Value::Nodes(ctx.nodes()))),
        }
    }

    fn number_arg(&mut self, args: &[Expr], index: usize, ctx: Context) -> Result<f64, XPathError> {
        let value = self.eval(arg(args, index)?, ctx)?;
        Ok(self.number(&value))
    }

    fn two_strings(&mut self, args: &[Expr], ctx: Context) -> Result<(String, String), XPathError> {
        Ok((self.string_arg(args, 0, ctx)?, self.string_arg(args, 1, ctx)?))
    }
}

fn arg(args: &[Expr], index: usize) -> Result<&Expr, XPathError> {
    // Arity is checked at compile time; this only guards against a parser bug.
    args.get(index).ok_or_else(|| XPathError::Evaluation("missing function argument".into()))
}

/// `substring()` with the spec's rounding rules: characters at 1-based positions p with
/// round(start) <= p < round(start) + round(length).
fn substring(s: &str, start: f64, length: Option<f64>) -> String {
    let first = xpath_round(start);
    let end = length.map_or(f64::INFINITY, |l| first + xpath_round(l));
    s.chars()
        .enumerate()
        .filter(|&(i, _)| {
            let p = (i + 1) as f64;
            p >= first && p < end
        })
        .map(|(_, c)| c)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::substring;

    #[test]
    fn substring_follows_the_spec_examples() {
        assert_eq!(substring("12345", 2.0, Some(3.0)), "234");
        assert_eq!(substring("12345", 2.0, None), "2345");
        assert_eq!(substring("12345", 1.5, Some(2.6)), "234");
        assert_eq!(substring("12345", 0.0, Some(3.0)), "12");
        assert_eq!(substring("12345", f64::NAN, Some(3.0)), "");
        assert_eq!(substring("12345", 1.0, Some(f64::NAN)), "");
        assert_eq!(substring("12345", -42.0, Some(f64::INFINITY)), "12345");
        assert_eq!(substring("12345", f64::NEG_INFINITY, Some(f64::INFINITY)), "");
    }
}
