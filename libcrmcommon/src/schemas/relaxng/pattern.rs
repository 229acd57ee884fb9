//! Simplified RELAX NG patterns, hash-consed into one arena so that equal patterns share
//! an id (which makes memoising derivatives by id possible).
//!
//! Element patterns are the exception: each `<element>` of the schema gets its own
//! [`ElementId`] whose content is filled in after the grammar is resolved, which is how
//! recursive definitions are represented without cycles in the hash-consing.

use super::datatypes::{DataCheck, Datatype};
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct PatId(pub u32);
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct ElementId(pub u32);
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct AttributeId(pub u32);
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct DataId(pub u32);
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct NameId(pub u32);

/// Every element or attribute name the schema does not mention; only `anyName` matches it.
pub(crate) const OTHER_NAME: NameId = NameId(u32::MAX);

pub(crate) const NOT_ALLOWED: PatId = PatId(0);
pub(crate) const EMPTY: PatId = PatId(1);
pub(crate) const TEXT: PatId = PatId(2);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Pattern {
    NotAllowed,
    Empty,
    Text,
    Choice(PatId, PatId),
    Interleave(PatId, PatId),
    Group(PatId, PatId),
    OneOrMore(PatId),
    Element(ElementId),
    Attribute(AttributeId),
    Data(DataId),
    DataExcept(DataId, PatId),
    /// A `<value>`: its type and text (an index into [`Patterns::values`]).
    Value(u32),
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum NameClass {
    Name(NameId),
    AnyName { except: Vec<NameId> },
    Choice(Box<NameClass>, Box<NameClass>),
}

impl NameClass {
    pub fn contains(&self, name: NameId) -> bool {
        match self {
            NameClass::Name(n) => *n == name,
            NameClass::AnyName { except } => !except.contains(&name),
            NameClass::Choice(a, b) => a.contains(name) || b.contains(name),
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct ElementDef {
    pub names: NameClass,
    pub content: PatId,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct AttributeDef {
    pub names: NameClass,
    pub value: PatId,
}

#[derive(Debug, Clone)]
pub(crate) struct ValueDef {
    pub datatype: Datatype,
    pub text: String,
}

/// A small, fast, non-cryptographic hasher for integer keys (the "Fx" scheme).
#[derive(Default, Clone, Copy)]
pub(crate) struct FastHasher(u64);

impl Hasher for FastHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Names are hashed for every element and attribute validated: whole words
        // first, then the zero-padded rest (the same values as padding every chunk).
        let mut words = bytes.chunks_exact(8);
        for word in &mut words {
            self.write_u64(u64::from_le_bytes(word.try_into().expect("8-byte chunk")));
        }
        let rest = words.remainder();
        if !rest.is_empty() {
            let mut word = [0u8; 8];
            word[..rest.len()].copy_from_slice(rest);
            self.write_u64(u64::from_le_bytes(word));
        }
    }

    fn write_u8(&mut self, i: u8) {
        self.write_u64(u64::from(i));
    }

    fn write_u32(&mut self, i: u32) {
        self.write_u64(u64::from(i));
    }

    fn write_u64(&mut self, i: u64) {
        self.0 = (self.0.rotate_left(5) ^ i).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }

    fn write_usize(&mut self, i: usize) {
        self.write_u64(i as u64);
    }
}

pub(crate) type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<FastHasher>>;

/// The arena of patterns of one schema, plus the tables they refer to.
#[derive(Debug, Clone)]
pub(crate) struct Patterns {
    nodes: Vec<Pattern>,
    nullable: Vec<bool>,
    index: FastMap<Pattern, PatId>,
    pub elements: Vec<ElementDef>,
    pub attributes: Vec<AttributeDef>,
    attribute_index: HashMap<AttributeDef, AttributeId>,
    pub datas: Vec<DataCheck>,
    pub values: Vec<ValueDef>,
    names: FastMap<String, NameId>,
    name_texts: Vec<String>,
}

impl Patterns {
    pub fn new() -> Patterns {
        let mut patterns = Patterns {
            nodes: Vec::new(),
            nullable: Vec::new(),
            index: FastMap::default(),
            elements: Vec::new(),
            attributes: Vec::new(),
            attribute_index: HashMap::new(),
            datas: Vec::new(),
            values: Vec::new(),
            names: FastMap::default(),
            name_texts: Vec::new(),
        };
        for p in [Pattern::NotAllowed, Pattern::Empty, Pattern::Text] {
            patterns.intern(p);
        }
        patterns
    }

    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn get(&self, id: PatId) -> Pattern {
        self.nodes[id.0 as usize]
    }

    pub fn nullable(&self, id: PatId) -> bool {
        self.nullable[id.0 as usize]
    }

    fn intern(&mut self, pattern: Pattern) -> PatId {
        if let Some(&id) = self.index.get(&pattern) {
            return id;
        }
        let nullable = match pattern {
            Pattern::Empty | Pattern::Text => true,
            Pattern::Choice(a, b) => self.nullable(a) || self.nullable(b),
            Pattern::Group(a, b) | Pattern::Interleave(a, b) => self.nullable(a) && self.nullable(b),
            Pattern::OneOrMore(p) => self.nullable(p),
            _ => false,
        };
        let id = PatId(self.nodes.len() as u32);
        self.nodes.push(pattern);
        self.nullable.push(nullable);
        self.index.insert(pattern, id);
        id
    }

    pub fn choice(&mut self, a: PatId, b: PatId) -> PatId {
        if a == NOT_ALLOWED || a == b {
            return b;
        }
        if b == NOT_ALLOWED {
            return a;
        }
        // Choice is commutative; a canonical order lets equal choices share an id.
        let (a, b) = if a < b { (a, b) } else { (b, a) };
        // choice(x, choice(x, y)) is choice(x, y).
        if let Pattern::Choice(x, y) = self.get(b) {
            if x == a || y == a {
                return b;
            }
        }
        if let Pattern::Choice(x, y) = self.get(a) {
            if x == b || y == b {
                return a;
            }
        }
        self.intern(Pattern::Choice(a, b))
    }

    pub fn group(&mut self, a: PatId, b: PatId) -> PatId {
        if a == NOT_ALLOWED || b == NOT_ALLOWED {
            return NOT_ALLOWED;
        }
        if a == EMPTY {
            return b;
        }
        if b == EMPTY {
            return a;
        }
        self.intern(Pattern::Group(a, b))
    }

    pub fn interleave(&mut self, a: PatId, b: PatId) -> PatId {
        if a == NOT_ALLOWED || b == NOT_ALLOWED {
            return NOT_ALLOWED;
        }
        if a == EMPTY {
            return b;
        }
        if b == EMPTY {
            return a;
        }
        let (a, b) = if a < b { (a, b) } else { (b, a) };
        self.intern(Pattern::Interleave(a, b))
    }

    pub fn one_or_more(&mut self, p: PatId) -> PatId {
        if p == NOT_ALLOWED || p == EMPTY {
            return p;
        }
        self.intern(Pattern::OneOrMore(p))
    }

    pub fn optional(&mut self, p: PatId) -> PatId {
        self.choice(p, EMPTY)
    }

    pub fn new_element(&mut self, names: NameClass) -> (ElementId, PatId) {
        let id = ElementId(self.elements.len() as u32);
        self.elements.push(ElementDef { names, content: NOT_ALLOWED });
        (id, self.intern(Pattern::Element(id)))
    }

    pub fn attribute(&mut self, names: NameClass, value: PatId) -> PatId {
        let def = AttributeDef { names, value };
        let id = match self.attribute_index.get(&def) {
            Some(&id) => id,
            None => {
                let id = AttributeId(self.attributes.len() as u32);
                self.attributes.push(def.clone());
                self.attribute_index.insert(def, id);
                id
            }
        };
        self.intern(Pattern::Attribute(id))
    }

    pub fn data(&mut self, check: DataCheck, except: Option<PatId>) -> PatId {
        let id = DataId(self.datas.len() as u32);
        self.datas.push(check);
        match except {
            Some(except) => self.intern(Pattern::DataExcept(id, except)),
            None => self.intern(Pattern::Data(id)),
        }
    }

    pub fn value(&mut self, datatype: Datatype, text: String) -> PatId {
        let index = self.values.len() as u32;
        self.values.push(ValueDef { datatype, text });
        self.intern(Pattern::Value(index))
    }

    /// The id of a name used in the schema (allocating it).
    pub fn name_id(&mut self, name: &str) -> NameId {
        if let Some(&id) = self.names.get(name) {
            return id;
        }
        let id = NameId(self.name_texts.len() as u32);
        self.names.insert(name.to_string(), id);
        self.name_texts.push(name.to_string());
        id
    }

    /// The id of a document's name; names the schema never mentions share [`OTHER_NAME`].
    pub fn lookup_name(&self, name: &str) -> NameId {
        self.names.get(name).copied().unwrap_or(OTHER_NAME)
    }

    pub fn name_text(&self, id: NameId) -> &str {
        self.name_texts.get(id.0 as usize).map_or("*", String::as_str)
    }

    /// A readable rendering of a name class for messages.
    pub fn describe_names(&self, names: &NameClass) -> String {
        match names {
            NameClass::Name(n) => self.name_text(*n).to_string(),
            NameClass::AnyName { .. } => "any name".to_string(),
            NameClass::Choice(a, b) => format!("{}|{}", self.describe_names(a), self.describe_names(b)),
        }
    }
}
