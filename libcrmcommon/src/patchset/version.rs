//! CIB version bookkeeping: `admin_epoch`, `epoch` and `num_updates` on the `<cib>` root.

use crate::xml::Element;

/// The three version attributes, most significant first.
pub const VERSION_ATTRS: [&str; 3] = ["admin_epoch", "epoch", "num_updates"];

/// An integer attribute read the way `crm_element_value_int` reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum IntAttr {
    Missing,
    /// Present but not an integer in `int` range; C then stores -1.
    Invalid,
    Value(i32),
}

impl IntAttr {
    /// The value C ends up with when the variable started as `default`.
    pub fn or(self, default: i32) -> i32 {
        match self {
            IntAttr::Missing => default,
            IntAttr::Invalid => -1,
            IntAttr::Value(v) => v,
        }
    }
}

/// `strtoll` base 10 as Pacemaker checks it: leading whitespace and sign accepted,
/// trailing junk tolerated, no digits or overflow rejected, then narrowed to `int`.
pub(crate) fn int_attr(e: &Element, name: &str) -> IntAttr {
    let Some(text) = e.attr(name) else { return IntAttr::Missing };
    let s = text.trim_start_matches(|c: char| c.is_ascii_whitespace() || c == '\u{b}' || c == '\u{c}');
    let (negative, digits_start) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let digits_len = digits_start.bytes().take_while(u8::is_ascii_digit).count();
    if digits_len == 0 {
        return IntAttr::Invalid;
    }
    let magnitude: Option<i128> = digits_start[..digits_len].parse::<i128>().ok();
    match magnitude.map(|m| if negative { -m } else { m }) {
        Some(v) if (i64::MIN as i128..=i64::MAX as i128).contains(&v) => {
            i32::try_from(v).map(IntAttr::Value).unwrap_or(IntAttr::Invalid)
        }
        _ => IntAttr::Invalid,
    }
}

/// The version triple of a CIB, each field defaulting as C's callers default it.
pub(crate) fn triple(e: &Element, defaults: [i32; 3]) -> [i32; 3] {
    let mut out = defaults;
    for (slot, name) in out.iter_mut().zip(VERSION_ATTRS) {
        *slot = int_attr(e, name).or(*slot);
    }
    out
}

/// What [`bump`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VersionBump {
    /// Nothing changed between the trees; versions left alone.
    Unchanged,
    /// Only outside `/cib/configuration`: `num_updates` incremented.
    Status,
    /// Something under `/cib/configuration` changed: `epoch` incremented and
    /// `num_updates` reset to 0.
    Configuration,
}

/// Applies Pacemaker's version rule to `new` (`xml_create_patchset` with
/// `manage_version`): a configuration change bumps `epoch` and zeroes `num_updates`,
/// any other change increments `num_updates`. Missing counters count as 0, unparsable
/// ones as -1, as in C.
pub(crate) fn bump(new: &mut Element, config_changed: bool) -> VersionBump {
    if config_changed {
        new.set_attr("num_updates", "0");
        let epoch = int_attr(new, "epoch").or(0);
        new.set_attr("epoch", epoch.wrapping_add(1).to_string());
        VersionBump::Configuration
    } else {
        let updates = int_attr(new, "num_updates").or(0);
        new.set_attr("num_updates", updates.wrapping_add(1).to_string());
        VersionBump::Status
    }
}

/// `cib_perform_op`'s guard against an operation taking the CIB backwards: the new
/// `admin_epoch` may not be lower, nor (with equal `admin_epoch`) the new `epoch`.
/// `num_updates` may go down. Missing counters count as 0, unparsable ones as -1.
pub fn check_not_older(current: &Element, new: &Element) -> Result<(), super::PatchError> {
    for name in ["admin_epoch", "epoch"] {
        let (old, now) = (int_attr(current, name).or(0), int_attr(new, name).or(0));
        if old > now {
            return Err(super::PatchError::OldData);
        }
        if old < now {
            break;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_like_crm_element_value_int() {
        let e = Element::new("cib")
            .with_attr("a", " 12x")
            .with_attr("b", "x")
            .with_attr("c", "99999999999")
            .with_attr("d", "-3");
        assert_eq!(int_attr(&e, "a"), IntAttr::Value(12));
        assert_eq!(int_attr(&e, "b"), IntAttr::Invalid);
        assert_eq!(int_attr(&e, "c"), IntAttr::Invalid);
        assert_eq!(int_attr(&e, "d"), IntAttr::Value(-3));
        assert_eq!(int_attr(&e, "z"), IntAttr::Missing);
    }

    #[test]
    fn going_backwards_is_refused() {
        let cib = |a: &str, e: &str, n: &str| {
            Element::new("cib").with_attr("admin_epoch", a).with_attr("epoch", e).with_attr("num_updates", n)
        };
        assert!(check_not_older(&cib("1", "5", "5"), &cib("1", "5", "0")).is_ok());
        assert!(check_not_older(&cib("1", "5", "5"), &cib("2", "0", "0")).is_ok());
        assert!(check_not_older(&cib("1", "5", "5"), &cib("1", "4", "9")).is_err());
        assert!(check_not_older(&cib("1", "5", "5"), &cib("0", "9", "9")).is_err());
        assert!(check_not_older(&cib("1", "5", "5"), &Element::new("cib")).is_err());
    }

    #[test]
    fn bump_rules() {
        let mut e = Element::new("cib").with_attr("epoch", "4").with_attr("num_updates", "9");
        assert_eq!(bump(&mut e, false), VersionBump::Status);
        assert_eq!(e.attr("num_updates"), Some("10"));
        assert_eq!(bump(&mut e, true), VersionBump::Configuration);
        assert_eq!((e.attr("epoch"), e.attr("num_updates")), (Some("5"), Some("0")));
        let mut bare = Element::new("cib");
        bump(&mut bare, true);
        assert_eq!(bare.attrs, vec![("num_updates", "0"), ("epoch", "1")]);
    }
}
