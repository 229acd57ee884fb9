//! Change notifications sent to subscribed clients.

use libcib::protocol::{attr, element, msg_type};
use libcrmcommon::xml::Element;

/// Which notifications a client asked for.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct NotifyFlags(u8);

impl NotifyFlags {
    pub const POST: NotifyFlags = NotifyFlags(0x1);
    pub const PRE: NotifyFlags = NotifyFlags(0x2);
    pub const CONFIRM: NotifyFlags = NotifyFlags(0x4);
    pub const DIFF: NotifyFlags = NotifyFlags(0x8);
    pub const REPLACE: NotifyFlags = NotifyFlags(0x10);

    /// The flag for a `cib_notify_type` value (compared case-insensitively, as Pacemaker does).
    pub fn for_type(name: &str) -> Option<NotifyFlags> {
        let table = [
            (msg_type::POST_NOTIFY, Self::POST),
            (msg_type::PRE_NOTIFY, Self::PRE),
            (msg_type::UPDATE_CONFIRM, Self::CONFIRM),
            (msg_type::DIFF_NOTIFY, Self::DIFF),
            (msg_type::REPLACE_NOTIFY, Self::REPLACE),
        ];
        table.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, f)| *f)
    }

    pub fn set(&mut self, flag: NotifyFlags, on: bool) {
        if on {
            self.0 |= flag.0;
        } else {
            self.0 &= !flag.0;
        }
    }

    pub fn contains(&self, flag: NotifyFlags) -> bool {
        self.0 & flag.0 == flag.0
    }
}

fn generation(holder: &str, cib: &Element) -> Element {
    let mut tuple = Element::new(element::GENERATION_TUPLE);
    tuple.attrs = cib.attrs.clone();
    Element::new(holder).with_child(tuple)
}

/// `<notify t="cib_notify" subt="cib_diff_notify" …>` for one applied (or failed) change.
pub fn diff_notification(op: &str, input: Option<&Element>, result: i32, diff: &Element, cib: &Element) -> Element {
    let mut n = Element::new(element::NOTIFY)
        .with_attr(attr::TYPE, msg_type::NOTIFY)
        .with_attr(attr::SUBTYPE, msg_type::DIFF_NOTIFY)
        .with_attr(attr::OPERATION, op)
        .with_attr(attr::RC, result.to_string());
    if let Some(id) = diff.id() {
        n.set_attr(attr::OBJECT_ID, id);
    }
    let object_type = input.map(|i| i.name.clone()).unwrap_or_else(|| diff.name.clone());
    n.set_attr(attr::OBJECT_TYPE, object_type);
    n.push_child(generation(element::GENERATION, cib));
    if let Some(i) = input {
        n.push_child(Element::new(element::UPDATE).with_child(i.clone()));
    }
    n.push_child(Element::new(element::UPDATE_RESULT).with_child(diff.clone()));
    n
}

/// `<notify-replace …>` after a replace or erase changed nodes, alerts or status.
pub fn replace_notification(result: i32, change_sections: u32, cib: &Element) -> Element {
    Element::new(element::REPLACE_NOTIFY)
        .with_attr(attr::TYPE, msg_type::NOTIFY)
        .with_attr(attr::SUBTYPE, msg_type::REPLACE_NOTIFY)
        .with_attr(attr::OPERATION, libcib::protocol::op::REPLACE)
        .with_attr(attr::RC, result.to_string())
        .with_attr(attr::CHANGE_SECTION, change_sections.to_string())
        .with_child(generation(element::REPLACE_GENERATION, cib))
}
