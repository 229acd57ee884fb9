//! Loading a `.rng` schema (with `include`, `externalRef`, nested grammars, `define`
//! with `combine`, `ref` and `parentRef`) into simplified, hash-consed patterns.
//!
//! Definitions are resolved per grammar and memoised; element content is compiled after
//! the element itself has been given an id, so recursion through elements is fine while
//! recursion that does not pass through an element is reported as an error (RELAX NG
//! forbids it).

use super::datatypes::{DataCheck, Datatype};
use super::pattern::{NameClass, PatId, Patterns, EMPTY, NOT_ALLOWED, TEXT};
use super::rng_file::{self, RngNode};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::rc::Rc;

/// Guards against include/externalRef loops and runaway schemas.
const MAX_NESTING: usize = 64;

#[derive(Debug)]
struct Component {
    combine: Option<String>,
    body: Rc<RngNode>,
}

#[derive(Debug, Default)]
struct Grammar {
    parent: Option<usize>,
    start: Vec<Component>,
    defines: HashMap<String, Vec<Component>>,
}

enum Resolution {
    InProgress,
    Done(PatId),
}

pub(super) struct Loader {
    directory: PathBuf,
    files: HashMap<PathBuf, Rc<RngNode>>,
    grammars: Vec<Grammar>,
    resolved: HashMap<(usize, String), Resolution>,
    /// Elements whose content still has to be compiled: (element, content nodes, grammar).
    pending: Vec<(super::pattern::ElementId, Vec<Rc<RngNode>>, usize)>,
    pub patterns: Patterns,
    depth: usize,
}

/// Loads the schema in `path`; returns its patterns and start pattern.
pub(super) fn load(path: &Path) -> Result<(Patterns, PatId), String> {
    let directory = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let mut loader = Loader {
        directory,
        files: HashMap::new(),
        grammars: Vec::new(),
        resolved: HashMap::new(),
        pending: Vec::new(),
        patterns: Patterns::new(),
        depth: 0,
    };
    let root = loader.file(path)?;
    let start = loader.pattern(&root, None)?;
    while let Some((element, content, grammar)) = loader.pending.pop() {
        let content = loader.group_of(&content, grammar)?;
        loader.patterns.elements[element.0 as usize].content = content;
    }
    Ok((loader.patterns, start))
}

impl Loader {
    fn file(&mut self, path: &Path) -> Result<Rc<RngNode>, String> {
        if let Some(node) = self.files.get(path) {
            return Ok(node.clone());
        }
        let node = rng_file::read(path)?;
        self.files.insert(path.to_path_buf(), node.clone());
        Ok(node)
    }

    fn href(&mut self, node: &RngNode) -> Result<Rc<RngNode>, String> {
        let href = node.attr("href").ok_or_else(|| format!("<{}> without href", node.name))?;
        self.file(&self.directory.join(href.trim()))
    }

    /// Compiles a pattern element. `grammar` is the innermost enclosing grammar.
    fn pattern(&mut self, node: &Rc<RngNode>, grammar: Option<usize>) -> Result<PatId, String> {
        self.depth += 1;
        if self.depth > MAX_NESTING * 8 {
            return Err("schema nests too deeply (include or reference loop?)".into());
        }
        let result = self.pattern_inner(node, grammar);
        self.depth -= 1;
        result
    }

    fn pattern_inner(&mut self, node: &Rc<RngNode>, grammar: Option<usize>) -> Result<PatId, String> {
        match node.name.as_str() {
            "empty" => Ok(EMPTY),
            "text" => Ok(TEXT),
            "notAllowed" => Ok(NOT_ALLOWED),
            "group" => self.group_of(&node.children, grammar.ok_or("group outside a grammar")?),
            "interleave" => {
                let g = grammar.ok_or("interleave outside a grammar")?;
                self.fold(&node.children, g, Patterns::interleave)
            }
            "choice" => {
                let g = grammar.ok_or("choice outside a grammar")?;
                self.fold(&node.children, g, Patterns::choice)
            }
            "optional" => {
                let inner = self.group_of(&node.children, grammar.ok_or("optional outside a grammar")?)?;
                Ok(self.patterns.optional(inner))
            }
            "zeroOrMore" => {
                let inner = self.group_of(&node.children, grammar.ok_or("zeroOrMore outside a grammar")?)?;
                let more = self.patterns.one_or_more(inner);
                Ok(self.patterns.optional(more))
            }
            "oneOrMore" => {
                let inner = self.group_of(&node.children, grammar.ok_or("oneOrMore outside a grammar")?)?;
                Ok(self.patterns.one_or_more(inner))
            }
            "mixed" => {
                let inner = self.group_of(&node.children, grammar.ok_or("mixed outside a grammar")?)?;
                Ok(self.patterns.interleave(inner, TEXT))
            }
            "element" => {
                let g = grammar.ok_or("element outside a grammar")?;
                let (names, content) = self.name_class_and_rest(node)?;
                let (id, pattern) = self.patterns.new_element(names);
                self.pending.push((id, content, g));
                Ok(pattern)
            }
            "attribute" => {
                let (names, content) = self.name_class_and_rest(node)?;
                let value = if content.is_empty() {
                    TEXT
                } else {
                    self.group_of(&content, grammar.ok_or("attribute outside a grammar")?)?
                };
                Ok(self.patterns.attribute(names, value))
            }
            "data" => self.data(node, grammar),
            "value" => {
                let datatype = match node.attr("type") {
                    Some(t) => Datatype::lookup(&node.datatype_library, t)?,
                    None => Datatype::BuiltinToken,
                };
                Ok(self.patterns.value(datatype, node.text.clone()))
            }
            "ref" => {
                let g = grammar.ok_or("ref outside a grammar")?;
                self.resolve(g, name_attr(node)?)
            }
            "parentRef" => {
                let g = grammar.ok_or("parentRef outside a grammar")?;
                let parent = self.grammars[g].parent.ok_or("parentRef in a top-level grammar")?;
                self.resolve(parent, name_attr(node)?)
            }
            "externalRef" => {
                let root = self.href(node)?;
                // The referenced pattern takes the place of the reference; a grammar in it
                // has the current grammar as its parent.
                self.pattern(&root, grammar)
            }
            "grammar" => {
                let g = self.new_grammar(node, grammar)?;
                self.resolve(g, START)
            }
            other => Err(format!("RELAX NG construct <{other}> is not supported")),
        }
    }

    fn data(&mut self, node: &Rc<RngNode>, grammar: Option<usize>) -> Result<PatId, String> {
        let type_name = node.attr("type").ok_or("<data> without type")?;
        let datatype = Datatype::lookup(&node.datatype_library, type_name)?;
        let mut params = Vec::new();
        let mut except = None;
        for child in &node.children {
            match child.name.as_str() {
                "param" => params.push((name_attr(child)?.to_string(), child.text.clone())),
                "except" => {
                    let g = grammar.ok_or("except outside a grammar")?;
                    except = Some(self.fold(&child.children, g, Patterns::choice)?);
                }
                other => return Err(format!("unexpected <{other}> in <data>")),
            }
        }
        let check = DataCheck::new(datatype, &params)?;
        Ok(self.patterns.data(check, except))
    }

    /// The name class of an element or attribute (name attribute or first child) and the
    /// remaining children (its content).
    fn name_class_and_rest(&mut self, node: &Rc<RngNode>) -> Result<(NameClass, Vec<Rc<RngNode>>), String> {
        if let Some(name) = node.attr("name") {
            let name = local_name(name)?;
            return Ok((NameClass::Name(self.patterns.name_id(name)), node.children.clone()));
        }
        let (first, rest) = node.children.split_first().ok_or_else(|| format!("<{}> without a name", node.name))?;
        Ok((self.name_class(first)?, rest.to_vec()))
    }

    fn name_class(&mut self, node: &RngNode) -> Result<NameClass, String> {
        match node.name.as_str() {
            "name" => Ok(NameClass::Name(self.patterns.name_id(local_name(&node.text)?))),
            "anyName" => {
                let mut except = Vec::new();
                for child in &node.children {
                    if child.name != "except" {
                        return Err(format!("unexpected <{}> in <anyName>", child.name));
                    }
                    for excluded in &child.children {
                        match self.name_class(excluded)? {
                            NameClass::Name(n) => except.push(n),
                            _ => return Err("only names may be excluded from anyName".into()),
                        }
                    }
                }
                Ok(NameClass::AnyName { except })
            }
            "choice" => {
                let mut classes = node.children.iter().map(|c| self.name_class(c)).collect::<Result<Vec<_>, _>>()?;
                let mut result = classes.pop().ok_or("empty name class choice")?;
                while let Some(other) = classes.pop() {
                    result = NameClass::Choice(Box::new(other), Box::new(result));
                }
                Ok(result)
            }
            other => Err(format!("name class <{other}> is not supported")),
        }
    }

    fn group_of(&mut self, nodes: &[Rc<RngNode>], grammar: usize) -> Result<PatId, String> {
        self.fold(nodes, grammar, Patterns::group)
    }

    fn fold(
        &mut self,
        nodes: &[Rc<RngNode>],
        grammar: usize,
        combine: fn(&mut Patterns, PatId, PatId) -> PatId,
    ) -> Result<PatId, String> {
        let mut result: Option<PatId> = None;
        for node in nodes {
            let p = self.pattern(node, Some(grammar))?;
            result = Some(match result {
                None => p,
                Some(acc) => combine(&mut self.patterns, acc, p),
            });
        }
        result.ok_or_else(|| "empty pattern list".to_string())
    }

    fn new_grammar(&mut self, node: &Rc<RngNode>, parent: Option<usize>) -> Result<usize, String> {
        let mut grammar = Grammar { parent, ..Grammar::default() };
        let mut components = Vec::new();
        self.components(node, &mut components, 0)?;
        for (key, component) in components {
            if key == START {
                grammar.start.push(component);
            } else {
                grammar.defines.entry(key).or_default().push(component);
            }
        }
        self.grammars.push(grammar);
        Ok(self.grammars.len() - 1)
    }

    /// Collects the `start` and `define` components of a grammar (or include/div)
    /// element, expanding includes with their overrides.
    fn components(&mut self, node: &RngNode, into: &mut Vec<(String, Component)>, depth: usize) -> Result<(), String> {
        if depth > MAX_NESTING {
            return Err("includes nest too deeply (include loop?)".into());
        }
        for child in &node.children {
            match child.name.as_str() {
                "start" => into.push((START.to_string(), component(child))),
                "define" => into.push((name_attr(child)?.to_string(), component(child))),
                "div" => self.components(child, into, depth + 1)?,
                "include" => {
                    let root = self.href(child)?;
                    if root.name != "grammar" {
                        return Err(format!("included file's root is <{}>, not <grammar>", root.name));
                    }
                    let mut included = Vec::new();
                    self.components(&root, &mut included, depth + 1)?;
                    let mut overrides = Vec::new();
                    self.components(child, &mut overrides, depth + 1)?;
                    included.retain(|(key, _)| !overrides.iter().any(|(k, _)| k == key));
                    into.extend(included);
                    into.extend(overrides);
                }
                other => return Err(format!("unexpected <{other}> in a grammar")),
            }
        }
        Ok(())
    }

    /// The pattern of a define (or the start, under [`START`]) of grammar `g`.
    fn resolve(&mut self, g: usize, name: &str) -> Result<PatId, String> {
        let key = (g, name.to_string());
        match self.resolved.get(&key) {
            Some(Resolution::Done(p)) => return Ok(*p),
            Some(Resolution::InProgress) => {
                return Err(format!("definition {name:?} refers to itself without an element in between"))
            }
            None => {}
        }
        self.resolved.insert(key.clone(), Resolution::InProgress);
        let bodies: Vec<(Option<String>, Rc<RngNode>)> = {
            let grammar = &self.grammars[g];
            let list = if name == START { Some(&grammar.start) } else { grammar.defines.get(name) };
            list.ok_or_else(|| format!("reference to undefined {name:?}"))?
                .iter()
                .map(|c| (c.combine.clone(), c.body.clone()))
                .collect()
        };
        let methods: Vec<&str> = bodies.iter().filter_map(|(c, _)| c.as_deref()).collect();
        let method = methods.first().copied();
        if methods.iter().any(|m| Some(*m) != method) {
            return Err(format!("conflicting combine methods for {name:?}"));
        }
        if bodies.len() > 1 && bodies.iter().filter(|(c, _)| c.is_none()).count() > 1 {
            return Err(format!("{name:?} is defined more than once without combine"));
        }
        let mut result: Option<PatId> = None;
        for (_, body) in &bodies {
            let p = self.group_of(&body.children, g)?;
            result = Some(match (result, method) {
                (None, _) => p,
                (Some(acc), Some("interleave")) => self.patterns.interleave(acc, p),
                (Some(acc), Some("choice")) => self.patterns.choice(acc, p),
                (Some(_), other) => return Err(format!("unsupported combine method {other:?} for {name:?}")),
            });
        }
        let p = result.ok_or_else(|| format!("{name:?} has no definition"))?;
        self.resolved.insert(key, Resolution::Done(p));
        Ok(p)
    }
}

/// Key of a grammar's start in the definition tables (not a valid NCName, so it cannot
/// clash with a define).
const START: &str = "#start";

fn component(node: &Rc<RngNode>) -> Component {
    Component { combine: node.attr("combine").map(|c| c.trim().to_string()), body: node.clone() }
}

fn name_attr(node: &RngNode) -> Result<&str, String> {
    node.attr("name").map(str::trim).ok_or_else(|| format!("<{}> without name", node.name))
}

/// Pacemaker's schemas use no namespaces; a prefixed name cannot be matched by our
/// namespace-less tree the way libxml2 would, so it is refused.
fn local_name(name: &str) -> Result<&str, String> {
    let name = name.trim();
    if name.contains(':') {
        return Err(format!("qualified name {name:?} is not supported"));
    }
    Ok(name)
}
