//! An element's attributes, in document order, stored compactly.
//!
//! A large CIB has hundreds of thousands of attributes; as separate strings each
//! would cost two allocations. Here an element's names and values sit back to back
//! in one string, with where each ends beside them: building one is two allocations
//! whatever the count, and lookups scan one contiguous block. Elements rarely have
//! more than twenty attributes, so edits that shift the rest are cheap.

use std::fmt;

/// An element's attributes: (name, value) pairs in document order.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Attributes {
    /// Names and values concatenated: name0 value0 name1 value1 ...
    text: String,
    /// For each attribute, where its name and its value end in `text`.
    ends: Vec<(Offset, Offset)>,
}

/// An offset into an element's attribute text: 32 bits, which halves the
/// bookkeeping of large documents (an element's attributes never approach 4 GiB;
/// messages and files are bounded far below that).
type Offset = u32;

fn offset(len: usize) -> Offset {
    Offset::try_from(len).expect("an element's attribute text is under 4 GiB")
}

/// `text[from..to]` for offsets taken from `ends`.
fn slice(text: &str, from: Offset, to: Offset) -> &str {
    let (from, to) = (from as usize, to as usize);
    debug_assert!(text.is_char_boundary(from) && text.is_char_boundary(to) && from <= to && to <= text.len());
    // SAFETY: every offset in `ends` is where a whole `&str` (name or value) ended
    // when it was appended to `text`, and edits move offsets only by the lengths
    // of whole strings inserted or removed; so offsets are always in range and on
    // character boundaries, and `from <= to` holds by construction. Reading
    // attributes is the hot path of validation and unpacking; the checks `text[..]`
    // would repeat on each access are measurable there.
    unsafe { text.get_unchecked(from..to) }
}

impl Attributes {
    pub fn new() -> Self {
        Attributes::default()
    }

    /// Room for `count` attributes whose names and values total `bytes` bytes.
    pub fn with_capacity(count: usize, bytes: usize) -> Self {
        Attributes { text: String::with_capacity(bytes), ends: Vec::with_capacity(count) }
    }

    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    fn start_of(&self, i: usize) -> Offset {
        if i == 0 {
            0
        } else {
            self.ends[i - 1].1
        }
    }

    /// The `i`th attribute (in document order).
    pub fn get(&self, i: usize) -> Option<(&str, &str)> {
        let &(name_end, value_end) = self.ends.get(i)?;
        let start = self.start_of(i);
        Some((slice(&self.text, start, name_end), slice(&self.text, name_end, value_end)))
    }

    pub fn iter(&self) -> Iter<'_> {
        Iter { text: &self.text, ends: self.ends.iter(), start: 0 }
    }

    /// Index of the first attribute with this name.
    pub fn position(&self, name: &str) -> Option<usize> {
        let (text, name) = (self.text.as_bytes(), name.as_bytes());
        let mut start = 0;
        for (i, &(name_end, value_end)) in self.ends.iter().enumerate() {
            if &text[start as usize..name_end as usize] == name {
                return Some(i);
            }
            start = value_end;
        }
        None
    }

    /// The value of the first attribute with this name.
    pub fn value(&self, name: &str) -> Option<&str> {
        let (text, wanted) = (self.text.as_bytes(), name.as_bytes());
        let mut start = 0;
        for &(name_end, value_end) in &self.ends {
            if &text[start as usize..name_end as usize] == wanted {
                return Some(slice(&self.text, name_end, value_end));
            }
            start = value_end;
        }
        None
    }

    /// Appends an attribute (without checking for one of the same name).
    pub fn push(&mut self, name: &str, value: &str) {
        self.text.push_str(name);
        let name_end = offset(self.text.len());
        self.text.push_str(value);
        self.ends.push((name_end, offset(self.text.len())));
    }

    /// Replaces the value of the `i`th attribute.
    pub fn set_value(&mut self, i: usize, value: &str) {
        let (name_end, old_end) = self.ends[i];
        self.text.replace_range(name_end as usize..old_end as usize, value);
        let new_end = offset(name_end as usize + value.len());
        // The later offsets move by the change in length: they must still fit.
        offset(self.text.len());
        self.ends[i].1 = new_end;
        // Every later name and value moved by the change in length.
        for end in &mut self.ends[i + 1..] {
            end.0 = end.0 - old_end + new_end;
            end.1 = end.1 - old_end + new_end;
        }
    }

    /// Removes and returns the `i`th attribute.
    pub fn remove(&mut self, i: usize) -> (String, String) {
        let (name, value) = self.get(i).map(|(n, v)| (n.to_string(), v.to_string())).expect("attribute index in range");
        let start = self.start_of(i);
        let end = self.ends[i].1;
        self.text.replace_range(start as usize..end as usize, "");
        self.ends.remove(i);
        let removed = end - start;
        for e in &mut self.ends[i..] {
            e.0 -= removed;
            e.1 -= removed;
        }
        (name, value)
    }

    /// Inserts an attribute at position `i`.
    pub fn insert(&mut self, i: usize, name: &str, value: &str) {
        let mut pairs: Vec<(String, String)> = self.to_vec();
        pairs.insert(i, (name.to_string(), value.to_string()));
        *self = pairs.iter().collect();
    }

    /// Keeps the attributes for which `keep((name, value))` holds, in order.
    pub fn retain(&mut self, mut keep: impl FnMut((&str, &str)) -> bool) {
        let decisions: Vec<bool> = self.iter().map(&mut keep).collect();
        if decisions.iter().all(|&k| k) {
            return;
        }
        let mut kept = Attributes::with_capacity(self.len(), self.text.len());
        for ((name, value), keep) in self.iter().zip(decisions) {
            if keep {
                kept.push(name, value);
            }
        }
        *self = kept;
    }

    /// The attributes as owned pairs.
    pub fn to_vec(&self) -> Vec<(String, String)> {
        self.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect()
    }
}

impl fmt::Debug for Attributes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<N: AsRef<str>, V: AsRef<str>> FromIterator<(N, V)> for Attributes {
    fn from_iter<I: IntoIterator<Item = (N, V)>>(pairs: I) -> Self {
        let mut attributes = Attributes::new();
        for (name, value) in pairs {
            attributes.push(name.as_ref(), value.as_ref());
        }
        attributes
    }
}

impl<'a, N: AsRef<str>, V: AsRef<str>> FromIterator<&'a (N, V)> for Attributes
where
    N: 'a,
    V: 'a,
{
    fn from_iter<I: IntoIterator<Item = &'a (N, V)>>(pairs: I) -> Self {
        pairs.into_iter().map(|(n, v)| (n.as_ref(), v.as_ref())).collect()
    }
}

impl From<Vec<(String, String)>> for Attributes {
    fn from(pairs: Vec<(String, String)>) -> Self {
        pairs.iter().collect()
    }
}

impl<N: AsRef<str>, V: AsRef<str>> PartialEq<Vec<(N, V)>> for Attributes {
    fn eq(&self, other: &Vec<(N, V)>) -> bool {
        self.len() == other.len() && self.iter().zip(other).all(|((n, v), (on, ov))| n == on.as_ref() && v == ov.as_ref())
    }
}

impl<'a> IntoIterator for &'a Attributes {
    type Item = (&'a str, &'a str);
    type IntoIter = Iter<'a>;

    fn into_iter(self) -> Iter<'a> {
        self.iter()
    }
}

/// The attributes of an element, in order, as (name, value).
#[derive(Clone)]
pub struct Iter<'a> {
    text: &'a str,
    ends: std::slice::Iter<'a, (Offset, Offset)>,
    /// Where the next name from the front starts.
    start: Offset,
}

impl<'a> Iterator for Iter<'a> {
    type Item = (&'a str, &'a str);

    fn next(&mut self) -> Option<(&'a str, &'a str)> {
        let &(name_end, value_end) = self.ends.next()?;
        let item = (slice(self.text, self.start, name_end), slice(self.text, name_end, value_end));
        self.start = value_end;
        Some(item)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.ends.size_hint()
    }
}

impl DoubleEndedIterator for Iter<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        let &(name_end, value_end) = self.ends.next_back()?;
        // The name starts where the previous attribute's value ends.
        let start = self.ends.as_slice().last().map_or(self.start, |&(_, end)| end);
        Some((slice(self.text, start, name_end), slice(self.text, name_end, value_end)))
    }
}

impl ExactSizeIterator for Iter<'_> {}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Attributes {
        [("id", "a"), ("x", ""), ("name", "value")].into_iter().collect()
    }

    #[test]
    fn reads_in_order() {
        let a = sample();
        assert_eq!(a.len(), 3);
        assert_eq!(a.get(1), Some(("x", "")));
        assert_eq!(a.value("name"), Some("value"));
        assert_eq!(a.value("nope"), None);
        assert_eq!(a.position("x"), Some(1));
        assert_eq!(a.iter().rev().map(|(n, _)| n).collect::<Vec<_>>(), ["name", "x", "id"]);
    }

    #[test]
    fn edits_keep_the_others() {
        let mut a = sample();
        a.set_value(1, "longer value");
        a.set_value(0, "");
        assert_eq!(a, vec![("id", ""), ("x", "longer value"), ("name", "value")]);
        assert_eq!(a.remove(1), ("x".to_string(), "longer value".to_string()));
        assert_eq!(a, vec![("id", ""), ("name", "value")]);
        a.insert(1, "y", "2");
        a.push("z", "3");
        assert_eq!(a, vec![("id", ""), ("y", "2"), ("name", "value"), ("z", "3")]);
        a.retain(|(n, _)| n != "y");
        assert_eq!(a, vec![("id", ""), ("name", "value"), ("z", "3")]);
        assert_eq!(a.clone(), a);
    }

    #[test]
    fn boundaries_tell_apart_equal_concatenations() {
        let a: Attributes = [("ab", "c")].into_iter().collect();
        let b: Attributes = [("a", "bc")].into_iter().collect();
        assert_ne!(a, b);
    }
}
