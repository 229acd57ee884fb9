//! Decoding a CIB request and the table of operations with their properties.

use libcib::protocol::{attr, element, op};
use libcrmcommon::xml::Element;

/// What the daemon knows about each operation (Pacemaker's server op table).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpInfo {
    pub name: &'static str,
    pub modifies: bool,
    pub needs_privileges: bool,
}

const OPS: [OpInfo; 19] = [
    OpInfo { name: op::QUERY, modifies: false, needs_privileges: false },
    OpInfo { name: op::MODIFY, modifies: true, needs_privileges: true },
    OpInfo { name: op::APPLY_PATCH, modifies: true, needs_privileges: true },
    OpInfo { name: op::REPLACE, modifies: true, needs_privileges: true },
    OpInfo { name: op::CREATE, modifies: true, needs_privileges: true },
    OpInfo { name: op::DELETE, modifies: true, needs_privileges: true },
    OpInfo { name: op::SYNC_TO_ALL, modifies: false, needs_privileges: true },
    OpInfo { name: op::BUMP, modifies: true, needs_privileges: true },
    OpInfo { name: op::ERASE, modifies: true, needs_privileges: true },
    OpInfo { name: op::NOOP, modifies: false, needs_privileges: false },
    OpInfo { name: op::ABS_DELETE, modifies: true, needs_privileges: true },
    OpInfo { name: op::UPGRADE, modifies: true, needs_privileges: true },
    OpInfo { name: op::SECONDARY, modifies: false, needs_privileges: true },
    OpInfo { name: op::ALL_SECONDARY, modifies: false, needs_privileges: true },
    OpInfo { name: op::SYNC_TO_ONE, modifies: false, needs_privileges: true },
    OpInfo { name: op::PRIMARY, modifies: true, needs_privileges: true },
    OpInfo { name: op::IS_PRIMARY, modifies: false, needs_privileges: true },
    OpInfo { name: op::SHUTDOWN, modifies: false, needs_privileges: true },
    OpInfo { name: op::PING, modifies: false, needs_privileges: false },
];

pub fn op_info(name: &str) -> Option<OpInfo> {
    OPS.iter().copied().find(|o| o.name == name)
}

/// A parsed request with the fields every operation needs.
#[derive(Debug, Clone)]
pub struct CibRequest {
    pub msg: Element,
    pub op: String,
    pub call_id: Option<String>,
    pub call_options: u32,
    pub section: Option<String>,
}

impl CibRequest {
    pub fn from_element(msg: Element) -> CibRequest {
        let op = msg.attr(attr::OPERATION).unwrap_or("").to_owned();
        let call_id = msg.attr(attr::CALL_ID).map(str::to_owned);
        // Pacemaker reads the options as a signed int; negative or junk values mean none.
        let call_options = msg
            .attr(attr::CALL_OPTIONS)
            .and_then(|v| v.trim().parse::<i64>().ok())
            .map(|v| v as u32)
            .unwrap_or(0);
        let section = msg.attr(attr::SECTION).filter(|s| !s.is_empty()).map(str::to_owned);
        CibRequest { msg, op, call_id, call_options, section }
    }

    pub fn attr(&self, name: &str) -> Option<&str> {
        self.msg.attr(name)
    }

    /// The operation's input: the first element inside `cib_calldata`, unwrapped from the
    /// legacy fragment wrappers, narrowed to `section` when a whole CIB was sent.
    pub fn input(&self) -> Option<Element> {
        self.input_from(element::CALLDATA)
    }

    pub fn input_from(&self, holder: &str) -> Option<Element> {
        let root = self.msg.child(holder)?.first_element()?;
        let data = if element::INPUT_WRAPPERS.iter().any(|w| root.name.eq_ignore_ascii_case(w)) {
            root.child("cib")?
        } else {
            root
        };
        match self.section.as_deref() {
            Some(section) if data.name == "cib" && self.call_options & libcib::protocol::call_opt::XPATH == 0 => {
                let path = crate::ops::section_path(data, Some(section))?;
                data.at_path(&path).cloned()
            }
            _ => Some(data.clone()),
        }
    }
}
