//! Validation by derivatives (after James Clark, "An algorithm for RELAX NG
//! validation"), specialised for trees without text.
//!
//! Instead of threading `after` patterns through start and end tags, a child element is
//! validated on its own against each element pattern that may accept it here (element
//! content does not depend on context in RELAX NG), and the parent's pattern is then
//! derived by "one of these element patterns matched". Attributes work the same way.
//! Every derivative is memoised by (pattern id, set of matched ids), so a schema's
//! states are computed once and later validations are mostly hash lookups.
//!
//! libxml2 also checks xsd `ID`s for uniqueness and `IDREF`s for targets across the
//! document; attributes that matched such a type are recorded and checked at the end.

use super::datatypes::{self, IdKind};
use super::pattern::{AttributeId, ElementId, FastMap, NameId, PatId, Pattern, Patterns, EMPTY, NOT_ALLOWED};
use super::ValidationError;
use crate::xml::{Element, XmlNode};
use std::sync::Arc;

/// Past this many patterns (derivatives accumulate), the engine starts afresh from the
/// loaded schema to bound memory.
const MAX_PATTERNS: usize = 250_000;

/// A loaded schema and everything learnt while validating with it.
#[derive(Clone)]
pub(super) struct Engine {
    pristine: Arc<Patterns>,
    patterns: Patterns,
    start: PatId,
    memo: Memo,
}

/// What a child element or attribute of a given name can do to a pattern.
#[derive(Clone)]
struct Step {
    /// Ids of the element (or attribute) patterns that accept the name.
    candidates: Arc<[u32]>,
    /// The derivative when the only candidate matched (with exactly one candidate, the
    /// common case, no set has to be formed).
    single: PatId,
}

#[derive(Default, Clone)]
struct Memo {
    element_steps: FastMap<(PatId, NameId), Step>,
    attribute_steps: FastMap<(PatId, NameId), Step>,
    element_deriv: FastMap<(PatId, u32), PatId>,
    attribute_deriv: FastMap<(PatId, u32), PatId>,
    close: FastMap<PatId, PatId>,
    ends_empty: FastMap<PatId, bool>,
    /// Sets of matched ids, interned so derivatives can be keyed by a number.
    set_ids: FastMap<Vec<u32>, u32>,
    sets: Vec<Arc<[u32]>>,
}

impl Memo {
    fn set_id(&mut self, members: &[u32]) -> u32 {
        if let Some(&id) = self.set_ids.get(members) {
            return id;
        }
        let id = self.sets.len() as u32;
        self.sets.push(members.into());
        self.set_ids.insert(members.to_vec(), id);
        id
    }
}

/// Why (and where) a subtree did not match; the path is collected while unwinding.
struct Failure {
    /// Path segments from the failing element up to (not including) the root's parent.
    reversed_path: Vec<String>,
    message: String,
}

impl Failure {
    fn at(element: &Element, message: String) -> Failure {
        Failure { reversed_path: vec![segment(element)], message }
    }

    fn within(mut self, element: &Element) -> Failure {
        self.reversed_path.push(segment(element));
        self
    }
}

fn segment(element: &Element) -> String {
    match element.id() {
        Some(id) => format!("{}[@id='{id}']", element.name),
        None => element.name.clone(),
    }
}

/// One attribute that matched an `ID` or `IDREF` type: (element address, attribute
/// index) identifies it, since the same attribute may be checked more than once.
struct IdUse<'d> {
    attribute: (usize, usize),
    element: &'d Element,
    name: &'d str,
    value: &'d str,
    kind: IdKind,
}

#[derive(Default)]
struct Run<'d> {
    id_uses: Vec<IdUse<'d>>,
}

impl Engine {
    pub fn new(patterns: Patterns, start: PatId) -> Engine {
        Engine { pristine: Arc::new(patterns.clone()), patterns, start, memo: Memo::default() }
    }

    pub fn validate(&mut self, document: &Element) -> Result<(), ValidationError> {
        if self.patterns.len() > MAX_PATTERNS {
            self.patterns = (*self.pristine).clone();
            self.memo = Memo::default();
        }
        let mut run = Run::default();
        let start = self.start;
        let result = self.child_element(start, document, &mut run).and_then(|after| {
            if self.patterns.nullable(after) {
                Ok(())
            } else {
                Err(Failure::at(document, "the document is incomplete".into()))
            }
        });
        if let Err(failure) = result {
            let mut path = String::new();
            for part in failure.reversed_path.iter().rev() {
                path.push('/');
                path.push_str(part);
            }
            return Err(ValidationError { path, message: failure.message });
        }
        check_ids(&run)
    }

    /// Derives `p` by the child `element`: validates the element against each element
    /// pattern of `p` that accepts its name.
    fn child_element<'d>(&mut self, p: PatId, element: &'d Element, run: &mut Run<'d>) -> Result<PatId, Failure> {
        let name = self.patterns.lookup_name(&element.name);
        let (count, first, single) = self.element_step(p, name);
        if count == 0 {
            let expected = self.expected_elements(p);
            return Err(Failure::at(
                element,
                format!("element <{}> is not allowed here; expected {}", element.name, expected),
            ));
        }
        let derived = if count == 1 {
            self.validate_element(ElementId(first), element, run)?;
            single
        } else {
            let candidates = self.memo.element_steps[&(p, name)].candidates.clone();
            let mut matched: Vec<u32> = Vec::with_capacity(candidates.len());
            let mut first_failure = None;
            for &candidate in candidates.iter() {
                match self.validate_element(ElementId(candidate), element, run) {
                    Ok(()) => matched.push(candidate),
                    Err(failure) => {
                        first_failure.get_or_insert(failure);
                    }
                }
            }
            if matched.is_empty() {
                return Err(first_failure.unwrap_or_else(|| Failure::at(element, "element does not match".into())));
            }
            let set = self.memo.set_id(&matched);
            self.element_deriv(p, set)
        };
        if derived == NOT_ALLOWED {
            return Err(Failure::at(element, format!("element <{}> is not allowed here", element.name)));
        }
        Ok(derived)
    }

    fn validate_element<'d>(&mut self, id: ElementId, element: &'d Element, run: &mut Run<'d>) -> Result<(), Failure> {
        let mut p = self.patterns.elements[id.0 as usize].content;
        for (index, (name, value)) in element.attrs.iter().enumerate() {
            let name_id = self.patterns.lookup_name(name);
            let (count, first, single) = self.attribute_step(p, name_id);
            if count == 0 {
                return Err(Failure::at(element, format!("attribute {name:?} is not allowed here")));
            }
            let note_id_use = |run: &mut Run<'d>, kind: Option<IdKind>| {
                if let Some(kind) = kind {
                    let attribute = (element as *const Element as usize, index);
                    run.id_uses.push(IdUse { attribute, element, name, value, kind });
                }
            };
            if count == 1 {
                let value_pattern = self.patterns.attributes[first as usize].value;
                let mut kind = None;
                let ok = self.value_matches(value_pattern, value, &mut kind);
                note_id_use(run, kind);
                if !ok {
                    return Err(Failure::at(element, format!("attribute {name:?} has an invalid value {value:?}")));
                }
                p = single;
            } else {
                let candidates = self.memo.attribute_steps[&(p, name_id)].candidates.clone();
                let mut matched: Vec<u32> = Vec::with_capacity(candidates.len());
                for &candidate in candidates.iter() {
                    let value_pattern = self.patterns.attributes[candidate as usize].value;
                    let mut kind = None;
                    if self.value_matches(value_pattern, value, &mut kind) {
                        matched.push(candidate);
                    }
                    note_id_use(run, kind);
                }
                if matched.is_empty() {
                    return Err(Failure::at(element, format!("attribute {name:?} has an invalid value {value:?}")));
                }
                let set = self.memo.set_id(&matched);
                p = self.attribute_deriv(p, set);
            }
            if p == NOT_ALLOWED {
                return Err(Failure::at(element, format!("attribute {name:?} is not allowed in this combination")));
            }
        }
        let before_close = p;
        p = self.close(p);
        if p == NOT_ALLOWED {
            let missing = self.expected_attributes(before_close);
            return Err(Failure::at(element, format!("a required attribute is missing (one of: {missing})")));
        }
        let mut any_child = false;
        for child in &element.children {
            if let XmlNode::Element(child) = child {
                any_child = true;
                p = self.child_element(p, child, run).map_err(|f| f.within(element))?;
            }
        }
        let complete = if any_child { self.patterns.nullable(p) } else { self.ends_empty(p) };
        if !complete {
            let expected = self.expected_elements(p);
            return Err(Failure::at(element, format!("element <{}> is incomplete; expected {expected}", element.name)));
        }
        Ok(())
    }

    /// (number of candidates, first candidate, derivative if only it matched).
    fn element_step(&mut self, p: PatId, name: NameId) -> (usize, u32, PatId) {
        if let Some(step) = self.memo.element_steps.get(&(p, name)) {
            return (step.candidates.len(), step.candidates.first().copied().unwrap_or(0), step.single);
        }
        let mut found: Vec<u32> = Vec::new();
        self.collect_elements(p, &mut |patterns, id| {
            if patterns.elements[id.0 as usize].names.contains(name) && !found.contains(&id.0) {
                found.push(id.0);
            }
        });
        found.sort_unstable();
        let single = match found.as_slice() {
            [only] => {
                let set = self.memo.set_id(&[*only]);
                self.element_deriv(p, set)
            }
            _ => NOT_ALLOWED,
        };
        let result = (found.len(), found.first().copied().unwrap_or(0), single);
        self.memo.element_steps.insert((p, name), Step { candidates: found.into(), single });
        result
    }

    /// Calls `f` for every element pattern that could match the next child of `p`.
    fn collect_elements(&self, p: PatId, f: &mut dyn FnMut(&Patterns, ElementId)) {
        match self.patterns.get(p) {
            Pattern::Choice(a, b) | Pattern::Interleave(a, b) => {
                self.collect_elements(a, f);
                self.collect_elements(b, f);
            }
            Pattern::Group(a, b) => {
                self.collect_elements(a, f);
                if self.patterns.nullable(a) {
                    self.collect_elements(b, f);
                }
            }
            Pattern::OneOrMore(q) => self.collect_elements(q, f),
            Pattern::Element(id) => f(&self.patterns, id),
            _ => {}
        }
    }

    /// (number of candidates, first candidate, derivative if only it matched).
    fn attribute_step(&mut self, p: PatId, name: NameId) -> (usize, u32, PatId) {
        if let Some(step) = self.memo.attribute_steps.get(&(p, name)) {
            return (step.candidates.len(), step.candidates.first().copied().unwrap_or(0), step.single);
        }
        let mut found: Vec<u32> = Vec::new();
        self.collect_attributes(p, &mut |patterns, id| {
            if patterns.attributes[id.0 as usize].names.contains(name) && !found.contains(&id.0) {
                found.push(id.0);
            }
        });
        found.sort_unstable();
        let single = match found.as_slice() {
            [only] => {
                let set = self.memo.set_id(&[*only]);
                self.attribute_deriv(p, set)
            }
            _ => NOT_ALLOWED,
        };
        let result = (found.len(), found.first().copied().unwrap_or(0), single);
        self.memo.attribute_steps.insert((p, name), Step { candidates: found.into(), single });
        result
    }

    fn collect_attributes(&self, p: PatId, f: &mut dyn FnMut(&Patterns, AttributeId)) {
        match self.patterns.get(p) {
            Pattern::Choice(a, b) | Pattern::Interleave(a, b) | Pattern::Group(a, b) => {
                self.collect_attributes(a, f);
                self.collect_attributes(b, f);
            }
            Pattern::OneOrMore(q) => self.collect_attributes(q, f),
            Pattern::Attribute(id) => f(&self.patterns, id),
            _ => {}
        }
    }

    fn element_deriv(&mut self, p: PatId, set: u32) -> PatId {
        if let Some(&d) = self.memo.element_deriv.get(&(p, set)) {
            return d;
        }
        let d = match self.patterns.get(p) {
            Pattern::Choice(a, b) => {
                let (da, db) = (self.element_deriv(a, set), self.element_deriv(b, set));
                self.patterns.choice(da, db)
            }
            Pattern::Group(a, b) => {
                let da = self.element_deriv(a, set);
                let x = self.patterns.group(da, b);
                if self.patterns.nullable(a) {
                    let db = self.element_deriv(b, set);
                    self.patterns.choice(x, db)
                } else {
                    x
                }
            }
            Pattern::Interleave(a, b) => {
                let (da, db) = (self.element_deriv(a, set), self.element_deriv(b, set));
                let left = self.patterns.interleave(da, b);
                let right = self.patterns.interleave(a, db);
                self.patterns.choice(left, right)
            }
            Pattern::OneOrMore(q) => {
                let dq = self.element_deriv(q, set);
                let rest = self.patterns.optional(p);
                self.patterns.group(dq, rest)
            }
            Pattern::Element(id) => {
                if self.memo.sets[set as usize].contains(&id.0) {
                    EMPTY
                } else {
                    NOT_ALLOWED
                }
            }
            _ => NOT_ALLOWED,
        };
        self.memo.element_deriv.insert((p, set), d);
        d
    }

    fn attribute_deriv(&mut self, p: PatId, set: u32) -> PatId {
        if let Some(&d) = self.memo.attribute_deriv.get(&(p, set)) {
            return d;
        }
        let d = match self.patterns.get(p) {
            Pattern::Choice(a, b) => {
                let (da, db) = (self.attribute_deriv(a, set), self.attribute_deriv(b, set));
                self.patterns.choice(da, db)
            }
            Pattern::Group(a, b) => {
                let (da, db) = (self.attribute_deriv(a, set), self.attribute_deriv(b, set));
                let left = self.patterns.group(da, b);
                let right = self.patterns.group(a, db);
                self.patterns.choice(left, right)
            }
            Pattern::Interleave(a, b) => {
                let (da, db) = (self.attribute_deriv(a, set), self.attribute_deriv(b, set));
                let left = self.patterns.interleave(da, b);
                let right = self.patterns.interleave(a, db);
                self.patterns.choice(left, right)
            }
            Pattern::OneOrMore(q) => {
                let dq = self.attribute_deriv(q, set);
                let rest = self.patterns.optional(p);
                self.patterns.group(dq, rest)
            }
            Pattern::Attribute(id) => {
                if self.memo.sets[set as usize].contains(&id.0) {
                    EMPTY
                } else {
                    NOT_ALLOWED
                }
            }
            _ => NOT_ALLOWED,
        };
        self.memo.attribute_deriv.insert((p, set), d);
        d
    }

    /// The pattern after the start tag is closed: attributes still expected fail.
    fn close(&mut self, p: PatId) -> PatId {
        if let Some(&d) = self.memo.close.get(&p) {
            return d;
        }
        let d = match self.patterns.get(p) {
            Pattern::Choice(a, b) => {
                let (ca, cb) = (self.close(a), self.close(b));
                self.patterns.choice(ca, cb)
            }
            Pattern::Group(a, b) => {
                let (ca, cb) = (self.close(a), self.close(b));
                self.patterns.group(ca, cb)
            }
            Pattern::Interleave(a, b) => {
                let (ca, cb) = (self.close(a), self.close(b));
                self.patterns.interleave(ca, cb)
            }
            Pattern::OneOrMore(q) => {
                let cq = self.close(q);
                self.patterns.one_or_more(cq)
            }
            Pattern::Attribute(_) => NOT_ALLOWED,
            _ => p,
        };
        self.memo.close.insert(p, d);
        d
    }

    /// Whether an element whose content pattern is `p` may end without children: its
    /// (absent) text counts as an empty string, as in Clark's algorithm.
    fn ends_empty(&mut self, p: PatId) -> bool {
        if let Some(&ok) = self.memo.ends_empty.get(&p) {
            return ok;
        }
        let mut ignored = None;
        let ok = self.patterns.nullable(p) || self.text_matches(p, "", &mut ignored);
        self.memo.ends_empty.insert(p, ok);
        ok
    }

    /// RELAX NG's value matching of an attribute value.
    fn value_matches(&self, p: PatId, value: &str, id_kind: &mut Option<IdKind>) -> bool {
        let blank = || value.chars().all(|c| matches!(c, ' ' | '\t' | '\n' | '\r'));
        self.text_matches(p, value, id_kind) || (self.patterns.nullable(p) && blank())
    }

    /// Whether the derivative of `p` by the text `value` is nullable; notes whether an
    /// `ID`/`IDREF` type accepted it.
    fn text_matches(&self, p: PatId, value: &str, id_kind: &mut Option<IdKind>) -> bool {
        match self.patterns.get(p) {
            Pattern::Text => true,
            Pattern::Choice(a, b) => {
                let ma = self.text_matches(a, value, id_kind);
                let mb = self.text_matches(b, value, id_kind);
                ma || mb
            }
            Pattern::Group(a, b) | Pattern::Interleave(a, b) => {
                (self.patterns.nullable(b) && self.text_matches(a, value, id_kind))
                    || (self.patterns.nullable(a) && self.text_matches(b, value, id_kind))
            }
            Pattern::OneOrMore(q) => self.text_matches(q, value, id_kind),
            Pattern::Data(id) => self.data_matches(id.0, value, id_kind),
            Pattern::DataExcept(id, except) => {
                self.data_matches(id.0, value, id_kind) && !self.text_matches(except, value, &mut None)
            }
            Pattern::Value(index) => {
                let def = &self.patterns.values[index as usize];
                def.datatype.equal(&def.text, value)
            }
            _ => false,
        }
    }

    fn data_matches(&self, index: u32, value: &str, id_kind: &mut Option<IdKind>) -> bool {
        let check = &self.patterns.datas[index as usize];
        let ok = check.allows(value);
        if ok {
            if let Some(kind) = check.datatype.id_kind() {
                *id_kind = Some(kind);
            }
        }
        ok
    }

    fn expected_elements(&self, p: PatId) -> String {
        let mut names: Vec<String> = Vec::new();
        self.collect_elements(p, &mut |patterns, id| {
            let name = patterns.describe_names(&patterns.elements[id.0 as usize].names);
            if !names.contains(&name) {
                names.push(name);
            }
        });
        if names.is_empty() {
            "no more elements".to_string()
        } else {
            format!("one of <{}>", names.join(">, <"))
        }
    }

    fn expected_attributes(&self, p: PatId) -> String {
        let mut names: Vec<String> = Vec::new();
        self.collect_attributes(p, &mut |patterns, id| {
            let name = patterns.describe_names(&patterns.attributes[id.0 as usize].names);
            if !names.contains(&name) {
                names.push(name);
            }
        });
        names.join(", ")
    }
}

/// libxml2's document-wide checks: an ID value may be registered once (surrounding
/// blanks stripped), and every IDREF must name a registered ID.
fn check_ids(run: &Run<'_>) -> Result<(), ValidationError> {
    let mut ids: FastMap<&str, (usize, usize)> = FastMap::default();
    ids.reserve(run.id_uses.len());
    for use_ in run.id_uses.iter().filter(|u| u.kind == IdKind::Id) {
        let value = datatypes::strip(use_.value);
        match ids.get(value) {
            Some(owner) if *owner != use_.attribute => {
                return Err(ValidationError {
                    path: format!("//{}", segment(use_.element)),
                    message: format!("ID {value:?} (attribute {:?}) is already defined", use_.name),
                });
            }
            Some(_) => {}
            None => {
                ids.insert(value, use_.attribute);
            }
        }
    }
    for use_ in run.id_uses.iter().filter(|u| u.kind == IdKind::IdRef) {
        let value = datatypes::strip(use_.value);
        if !ids.contains_key(value) {
            return Err(ValidationError {
                path: format!("//{}", segment(use_.element)),
                message: format!("attribute {:?} references an unknown ID {value:?}", use_.name),
            });
        }
    }
    Ok(())
}
