//! The fast walk against the reference one (`patchset::reference`), on random trees built
//! to hit its shortcuts and their exceptions: long child lists (hash index), repeated
//! names and ids and id-less siblings (ambiguous matching), comments (positional
//! matching), equal subtrees (skipped) and moves (skip-aware positions).

use crate::patchset::{bump_and_create, create, reference, CreateOptions};
use crate::xml::{self, Element, XmlNode};

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 { 0 } else { (self.next() % n as u64) as usize }
    }

    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
}

const NAMES: [&str; 4] = ["a", "b", "c", "configuration"];
const IDS: [&str; 5] = ["x", "y", "z", "X", "w"];
const ATTRS: [&str; 5] = ["p", "q", "r", "id", "s"];
const TEXTS: [&str; 3] = ["note", "NOTE", "other"];

fn random_element(rng: &mut Rng, depth: usize) -> Element {
    let mut e = Element::new(NAMES[rng.below(NAMES.len())]);
    if rng.chance(70) {
        // Mostly distinct ids, sometimes repeated ones.
        let id = if rng.chance(80) { format!("id{}", rng.below(1000)) } else { IDS[rng.below(IDS.len())].to_owned() };
        e.set_attr("id", id);
    }
    for _ in 0..rng.below(3) {
        e.set_attr(ATTRS[rng.below(ATTRS.len())], rng.below(3).to_string());
    }
    if depth < 3 {
        // Long lists (past the hash index threshold) near the top only, to keep trees small.
        let count = if depth <= 1 && rng.chance(15) { 16 + rng.below(30) } else { rng.below(4) };
        for _ in 0..count {
            if rng.chance(10) {
                e.children.push(XmlNode::Comment(TEXTS[rng.below(TEXTS.len())].to_owned()));
            } else {
                e.push_child(random_element(rng, depth + 1));
            }
        }
    }
    e
}

/// Addresses (child index paths) of every element.
fn addresses(e: &Element, here: &mut Vec<usize>, out: &mut Vec<Vec<usize>>) {
    out.push(here.clone());
    for (i, child) in e.children.iter().enumerate() {
        if let XmlNode::Element(c) = child {
            here.push(i);
            addresses(c, here, out);
            here.pop();
        }
    }
}

fn mutate(root: &mut Element, rng: &mut Rng) {
    let mut all = Vec::new();
    addresses(root, &mut Vec::new(), &mut all);
    let address = all[rng.below(all.len())].clone();
    let Some(target) = root.at_path_mut(&address) else { return };
    let n = target.children.len();
    match rng.below(10) {
        0 => target.set_attr(ATTRS[rng.below(ATTRS.len())], rng.below(4).to_string()),
        1 => {
            let name = ATTRS[rng.below(ATTRS.len())];
            target.remove_attr(name);
        }
        2 if target.attrs.len() > 1 => {
            let (name, value) = target.attrs.remove(0);
            target.attrs.push(&name, &value);
        }
        3 if n > 0 => {
            target.children.remove(rng.below(n));
        }
        4 => {
            let child = random_element(rng, 2);
            target.children.insert(rng.below(n + 1), XmlNode::Element(child));
        }
        5 if n > 1 => {
            let from = rng.below(n);
            let moved = target.children.remove(from);
            target.children.insert(rng.below(n), moved);
        }
        6 if n > 0 => {
            let copy = target.children[rng.below(n)].clone();
            target.children.insert(rng.below(n + 1), copy);
        }
        7 => target.children.insert(rng.below(n + 1), XmlNode::Comment(TEXTS[rng.below(TEXTS.len())].to_owned())),
        8 if n > 1 => target.children.swap(rng.below(n), rng.below(n)),
        _ => target.set_attr("id", IDS[rng.below(IDS.len())]),
    }
}

fn random_cib(rng: &mut Rng) -> Element {
    let mut cib = Element::new("cib").with_attr("epoch", "3").with_attr("num_updates", "7").with_attr("admin_epoch", "0");
    for _ in 0..1 + rng.below(3) {
        cib.push_child(random_element(rng, 0));
    }
    if rng.chance(50) {
        cib.children.insert(0, XmlNode::Element(Element::new("configuration").with_child(random_element(rng, 1))));
    }
    cib
}

fn compact(diff: Option<Element>) -> Option<String> {
    diff.map(|d| xml::to_compact(&d))
}

#[test]
fn fast_walk_matches_the_reference_walk() {
    for seed in 1..=2000u64 {
        let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
        let old = random_cib(&mut rng);
        let mut new = old.clone();
        for _ in 0..rng.below(5) {
            mutate(&mut new, &mut rng);
        }
        for lazy in [false, true] {
            let options = CreateOptions { ignore_attribute_moves: lazy, ..Default::default() };
            assert_eq!(
                compact(create(&old, &new, &options)),
                compact(reference::create(&old, &new, lazy)),
                "seed {seed} lazy {lazy}\nold {}\nnew {}",
                xml::to_compact(&old),
                xml::to_compact(&new)
            );
        }
        let mut expected_new = new.clone();
        let expected_bump = reference::bump_versions(&old, &mut expected_new);
        let expected_diff = reference::create(&old, &expected_new, false);
        let mut ours_new = new.clone();
        let (ours_diff, ours_bump) = bump_and_create(&old, &mut ours_new, &CreateOptions::default());
        assert_eq!(ours_bump, expected_bump, "seed {seed}");
        assert_eq!(ours_new, expected_new, "seed {seed}");
        assert_eq!(compact(ours_diff), compact(expected_diff), "seed {seed}\nnew {}", xml::to_compact(&new));
    }
}

#[test]
fn bump_and_create_adds_the_digest_of_the_bumped_cib() {
    let old = xml::parse("<cib epoch='1' num_updates='2' admin_epoch='0' crm_feature_set='3.16.2'><configuration/><status/></cib>")
        .expect("parses");
    let mut new = old.clone();
    if let Some(status) = new.child_mut("status") {
        status.push_child(Element::new("node_state").with_attr("id", "1"));
    }
    let options = CreateOptions { with_digest: true, ..Default::default() };
    let (diff, _) = bump_and_create(&old, &mut new, &options);
    let mut separately = old.clone();
    if let Some(status) = separately.child_mut("status") {
        status.push_child(Element::new("node_state").with_attr("id", "1"));
    }
    crate::patchset::bump_versions(&old, &mut separately);
    assert_eq!(new, separately);
    assert_eq!(compact(diff), compact(create(&old, &separately, &options)));
}
