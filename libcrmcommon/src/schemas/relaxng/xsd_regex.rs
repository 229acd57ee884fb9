//! The subset of XML Schema regular expressions that `pattern` params use.
//!
//! XSD patterns match the whole value (they are implicitly anchored). Supported:
//! literals, `.`, escapes (`\n \r \t \\ \. \- \| \( \) ...`, `\d \D \s \S \w \W`),
//! bracket classes with ranges and negation, groups, `|`, and the quantifiers
//! `* + ? {n} {n,} {n,m}`. Anything else is refused at load time, so a schema using it
//! falls back to libxml2 instead of being validated differently.
//!
//! Matching simulates the compiled automaton over sets of states (no backtracking), so
//! its cost is linear in the value's length whatever the pattern.

/// How many automaton states one pattern may compile to (bounded repetition expands).
const MAX_STATES: usize = 10_000;

#[derive(Debug, Clone)]
pub(crate) struct XsdRegex {
    states: Vec<State>,
    start: usize,
}

#[derive(Debug, Clone)]
enum State {
    Char(CharSet, usize),
    Split(usize, usize),
    Jump(usize),
    Match,
}

#[derive(Debug, Clone)]
struct CharSet {
    ranges: Vec<(char, char)>,
    negated: bool,
}

impl CharSet {
    fn single(c: char) -> CharSet {
        CharSet { ranges: vec![(c, c)], negated: false }
    }

    fn contains(&self, c: char) -> bool {
        self.ranges.iter().any(|&(lo, hi)| lo <= c && c <= hi) != self.negated
    }
}

#[derive(Debug, Clone)]
enum Node {
    Set(CharSet),
    Concat(Vec<Node>),
    Alternation(Vec<Node>),
    Repeat { node: Box<Node>, min: u32, max: Option<u32> },
}

impl XsdRegex {
    pub fn compile(pattern: &str) -> Result<XsdRegex, String> {
        let chars: Vec<char> = pattern.chars().collect();
        let mut parser = Parser { chars: &chars, pos: 0 };
        let node = parser.alternation()?;
        if parser.pos != chars.len() {
            return Err(format!("unsupported pattern syntax at offset {} in {pattern:?}", parser.pos));
        }
        let mut states = vec![State::Match];
        let start = emit(&node, 0, &mut states)?;
        Ok(XsdRegex { states, start })
    }

    pub fn is_match(&self, value: &str) -> bool {
        let mut current = Vec::new();
        let mut seen = vec![usize::MAX; self.states.len()];
        self.add_state(self.start, &mut current, &mut seen, 0);
        for (step, c) in value.chars().enumerate() {
            let mut next = Vec::new();
            for &s in &current {
                if let State::Char(set, to) = &self.states[s] {
                    if set.contains(c) {
                        self.add_state(*to, &mut next, &mut seen, step + 1);
                    }
                }
            }
            if next.is_empty() {
                return false;
            }
            current = next;
        }
        current.iter().any(|&s| matches!(self.states[s], State::Match))
    }

    /// Adds `state` and everything reachable from it without consuming input.
    fn add_state(&self, state: usize, into: &mut Vec<usize>, seen: &mut [usize], generation: usize) {
        let mut pending = vec![state];
        while let Some(s) = pending.pop() {
            if seen[s] == generation {
                continue;
            }
            seen[s] = generation;
            match &self.states[s] {
                State::Split(a, b) => {
                    pending.push(*b);
                    pending.push(*a);
                }
                State::Jump(to) => pending.push(*to),
                State::Char(..) | State::Match => into.push(s),
            }
        }
    }
}

/// Compiles `node` so that it continues at `next`; returns its entry state.
fn emit(node: &Node, next: usize, states: &mut Vec<State>) -> Result<usize, String> {
    if states.len() > MAX_STATES {
        return Err("pattern too large".into());
    }
    let push = |states: &mut Vec<State>, s: State| {
        states.push(s);
        states.len() - 1
    };
    Ok(match node {
        Node::Set(set) => push(states, State::Char(set.clone(), next)),
        Node::Concat(parts) => {
            let mut entry = next;
            for part in parts.iter().rev() {
                entry = emit(part, entry, states)?;
            }
            entry
        }
        Node::Alternation(branches) => {
            let mut entries = Vec::new();
            for branch in branches {
                entries.push(emit(branch, next, states)?);
            }
            let mut entry = entries.pop().unwrap_or(next);
            while let Some(other) = entries.pop() {
                entry = push(states, State::Split(other, entry));
            }
            entry
        }
        Node::Repeat { node, min, max } => {
            // Optional tail first (built backwards from `next`).
            let mut entry = match max {
                None => {
                    // loop: split(body -> loop, next)
                    let loop_state = push(states, State::Jump(next));
                    let body = emit(node, loop_state, states)?;
                    states[loop_state] = State::Split(body, next);
                    loop_state
                }
                Some(max) => {
                    let mut entry = next;
                    for _ in *min..*max {
                        let body = emit(node, entry, states)?;
                        entry = push(states, State::Split(body, next));
                    }
                    entry
                }
            };
            for _ in 0..*min {
                entry = emit(node, entry, states)?;
            }
            entry
        }
    })
}

struct Parser<'a> {
    chars: &'a [char],
    pos: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn alternation(&mut self) -> Result<Node, String> {
        let mut branches = vec![self.concatenation()?];
        while self.peek() == Some('|') {
            self.pos += 1;
            branches.push(self.concatenation()?);
        }
        Ok(if branches.len() == 1 { branches.remove(0) } else { Node::Alternation(branches) })
    }

    fn concatenation(&mut self) -> Result<Node, String> {
        let mut parts = Vec::new();
        while let Some(c) = self.peek() {
            if c == '|' || c == ')' {
                break;
            }
            let atom = self.atom()?;
            parts.push(self.quantified(atom)?);
        }
        Ok(Node::Concat(parts))
    }

    fn quantified(&mut self, atom: Node) -> Result<Node, String> {
        let (min, max) = match self.peek() {
            Some('*') => (0, None),
            Some('+') => (1, None),
            Some('?') => (0, Some(1)),
            Some('{') => {
                self.pos += 1;
                let min = self.number()?;
                let max = if self.peek() == Some(',') {
                    self.pos += 1;
                    if self.peek() == Some('}') {
                        None
                    } else {
                        Some(self.number()?)
                    }
                } else {
                    Some(min)
                };
                if self.peek() != Some('}') || max.is_some_and(|m| m < min) {
                    return Err("bad quantifier".into());
                }
                self.pos += 1;
                return Ok(Node::Repeat { node: Box::new(atom), min, max });
            }
            _ => return Ok(atom),
        };
        self.pos += 1;
        Ok(Node::Repeat { node: Box::new(atom), min, max })
    }

    fn number(&mut self) -> Result<u32, String> {
        let start = self.pos;
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.pos += 1;
        }
        let text: String = self.chars[start..self.pos].iter().collect();
        text.parse::<u32>().ok().filter(|n| *n <= 1000).ok_or_else(|| "bad repetition count".to_string())
    }

    fn atom(&mut self) -> Result<Node, String> {
        let c = self.peek().ok_or("unexpected end of pattern")?;
        self.pos += 1;
        match c {
            '(' => {
                let inner = self.alternation()?;
                if self.peek() != Some(')') {
                    return Err("unbalanced parenthesis".into());
                }
                self.pos += 1;
                Ok(inner)
            }
            '[' => self.class().map(Node::Set),
            '.' => Ok(Node::Set(CharSet { ranges: vec![('\n', '\n'), ('\r', '\r')], negated: true })),
            '\\' => self.escape().map(Node::Set),
            '*' | '+' | '?' | '{' | '}' | ']' | '^' | '$' => Err(format!("unsupported pattern character {c:?}")),
            c => Ok(Node::Set(CharSet::single(c))),
        }
    }

    /// After a backslash.
    fn escape(&mut self) -> Result<CharSet, String> {
        let c = self.peek().ok_or("dangling backslash")?;
        self.pos += 1;
        let digits = vec![('0', '9')];
        let spaces = vec![(' ', ' '), ('\t', '\t'), ('\n', '\n'), ('\r', '\r')];
        let word = vec![('0', '9'), ('A', 'Z'), ('_', '_'), ('a', 'z')];
        Ok(match c {
            'n' => CharSet::single('\n'),
            'r' => CharSet::single('\r'),
            't' => CharSet::single('\t'),
            'd' => CharSet { ranges: digits, negated: false },
            'D' => CharSet { ranges: digits, negated: true },
            's' => CharSet { ranges: spaces, negated: false },
            'S' => CharSet { ranges: spaces, negated: true },
            // ASCII approximation of XSD's \w; patterns using it on non-ASCII text are
            // not in Pacemaker's schemas.
            'w' => CharSet { ranges: word, negated: false },
            'W' => CharSet { ranges: word, negated: true },
            '\\' | '|' | '.' | '-' | '^' | '?' | '*' | '+' | '{' | '}' | '(' | ')' | '[' | ']' => CharSet::single(c),
            other => return Err(format!("unsupported escape \\{other}")),
        })
    }

    /// After `[`.
    fn class(&mut self) -> Result<CharSet, String> {
        let negated = self.peek() == Some('^');
        if negated {
            self.pos += 1;
        }
        let mut ranges = Vec::new();
        let mut first = true;
        loop {
            let c = self.peek().ok_or("unterminated character class")?;
            if c == ']' && !first {
                self.pos += 1;
                break;
            }
            first = false;
            if c == '[' {
                return Err("character class subtraction is not supported".into());
            }
            self.pos += 1;
            let low = if c == '\\' {
                let set = self.escape()?;
                if set.negated || set.ranges.len() != 1 || set.ranges[0].0 != set.ranges[0].1 {
                    if set.negated {
                        return Err("negated escapes inside classes are not supported".into());
                    }
                    ranges.extend(set.ranges);
                    continue;
                }
                set.ranges[0].0
            } else {
                c
            };
            // A '-' followed by something other than ']' makes a range.
            if self.peek() == Some('-') && self.chars.get(self.pos + 1).is_some_and(|&n| n != ']') {
                self.pos += 1;
                let h = self.peek().ok_or("unterminated range")?;
                self.pos += 1;
                let high = if h == '\\' {
                    let set = self.escape()?;
                    match set.ranges.as_slice() {
                        [(a, b)] if a == b && !set.negated => *a,
                        _ => return Err("bad range end".into()),
                    }
                } else {
                    h
                };
                if high < low {
                    return Err("reversed range".into());
                }
                ranges.push((low, high));
            } else {
                ranges.push((low, low));
            }
        }
        Ok(CharSet { ranges, negated })
    }
}

#[cfg(test)]
mod tests {
    use super::XsdRegex;

    #[test]
    fn pacemaker_patterns() {
        let range = XsdRegex::compile(r"([0-9\-]+)").unwrap();
        assert!(range.is_match("1-3"));
        assert!(range.is_match("5"));
        assert!(!range.is_match(""));
        assert!(!range.is_match("1,3"));
        let devices = XsdRegex::compile(r"([a-zA-Z0-9_\.\-]+)(,[a-zA-Z0-9_\.\-]+)*").unwrap();
        assert!(devices.is_match("fence-1"));
        assert!(devices.is_match("a,b.c,d_e"));
        assert!(!devices.is_match("a,,b"));
        assert!(!devices.is_match("a b"));
        assert!(!devices.is_match(",a"));
    }

    #[test]
    fn quantifiers_and_alternation() {
        let re = XsdRegex::compile("(ab|c){2,3}d?").unwrap();
        assert!(re.is_match("abc"));
        assert!(re.is_match("ccabd"));
        assert!(!re.is_match("c"));
        assert!(!re.is_match("cccc"));
        assert!(XsdRegex::compile("a{2").is_err());
        assert!(XsdRegex::compile(r"\p{L}").is_err());
    }
}
