//! Deterministic random edits of XML trees, for differential tests against the C tools.

use libcrmcommon::xml::{Element, XmlNode};

/// xorshift64*: small, deterministic, good enough to pick edits.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub fn below(&mut self, n: usize) -> usize {
        if n == 0 { 0 } else { (self.next() % n as u64) as usize }
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

fn element_addresses(e: &Element, here: &mut Vec<usize>, out: &mut Vec<Vec<usize>>) {
    out.push(here.clone());
    for (i, child) in e.children.iter().enumerate() {
        if let XmlNode::Element(c) = child {
            here.push(i);
            element_addresses(c, here, out);
            here.pop();
        }
    }
}

fn random_element(rng: &mut Rng) -> Element {
    let mut e = Element::new(rng.pick(&["nvpair", "op", "rule", "node", "primitive"]));
    if rng.below(3) > 0 {
        e.set_attr("id", random_text(rng, "r"));
    }
    e.set_attr(rng.pick(&["name", "value", "score"]), random_text(rng, "v"));
    if rng.below(4) == 0 {
        e.push_child(random_element(rng));
    }
    e
}

/// Mostly plain short values, sometimes with characters that stress paths, escaping and
/// digests: quotes, slashes, brackets, whitespace, non-ASCII.
fn random_text(rng: &mut Rng, prefix: &str) -> String {
    let odd = ["'", "\"", "/", "[", "]", " ", "\t", "\n", "&", "<", "é", "€", "@id='x'"];
    if rng.below(5) == 0 {
        format!("{prefix}{}{}", odd[rng.below(odd.len())], rng.below(3))
    } else {
        format!("{prefix}{}", rng.below(6))
    }
}

/// Applies `edits` random edits to `root` (never to the root's name).
pub fn mutate(root: &mut Element, rng: &mut Rng, edits: usize) {
    for _ in 0..edits {
        let mut addresses = Vec::new();
        element_addresses(root, &mut Vec::new(), &mut addresses);
        let address = addresses[rng.below(addresses.len())].clone();
        let Some(target) = root.at_path_mut(&address) else { continue };
        match rng.below(9) {
            0 => {
                let name = rng.pick(&["id", "name", "value", "score", "description", "epoch"]);
                let value = random_text(rng, "x");
                target.set_attr(name, value);
            }
            1 => {
                if !target.attrs.is_empty() {
                    let i = rng.below(target.attrs.len());
                    target.attrs.remove(i);
                }
            }
            2 => {
                if target.attrs.len() > 1 {
                    let i = rng.below(target.attrs.len());
                    let a = target.attrs.remove(i);
                    let j = rng.below(target.attrs.len() + 1);
                    target.attrs.insert(j, &a.0, &a.1);
                }
            }
            3 | 4 => {
                let at = rng.below(target.children.len() + 1);
                target.children.insert(at, XmlNode::Element(random_element(rng)));
            }
            5 => {
                let at = rng.below(target.children.len() + 1);
                target.children.insert(at, XmlNode::Comment(format!(" c{} ", rng.below(3))));
            }
            6 => {
                if !target.children.is_empty() {
                    let i = rng.below(target.children.len());
                    target.children.remove(i);
                }
            }
            _ => {
                if target.children.len() > 1 {
                    let i = rng.below(target.children.len());
                    let child = target.children.remove(i);
                    let j = rng.below(target.children.len() + 1);
                    target.children.insert(j, child);
                }
            }
        }
    }
}
