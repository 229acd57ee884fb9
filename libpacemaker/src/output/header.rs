//! Lines crm_simulate prints before "Current cluster status".

use crate::model::{Role, Variant, WorkingSet};

/// Converts seconds since the epoch to "YYYY-MM-DD HH:MM:SSZ" (UTC).
pub fn format_epoch(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (h, m, s) = (rem / 3600, (rem % 3600) / 60, rem % 60);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let mth = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + if mth <= 2 { 1 } else { 0 };
    format!("{y:04}-{mth:02}-{d:02} {h:02}:{m:02}:{s:02}Z")
}

/// (instances, disabled, blocked) as Pacemaker counts them.
pub fn count_instances(ws: &WorkingSet) -> (usize, usize, usize) {
    let (mut n, mut disabled, mut blocked) = (0, 0, 0);
    for r in 0..ws.resources.len() {
        let res = &ws.resources[r];
        if res.variant != Variant::Primitive {
            continue;
        }
        if res.orphan && res.role <= Role::Stopped {
            continue;
        }
        n += 1;
        let target = res.meta.get("target-role").and_then(|t| Role::parse(t));
        if target == Some(Role::Stopped)
            || (target == Some(Role::Unpromoted) && ws.is_promotable_member(r))
        {
            disabled += 1;
        }
        if res.blocked {
            blocked += 1;
        }
    }
    (n, disabled, blocked)
}

/// Everything printed before the "Current cluster status" heading.
pub fn preamble(ws: &WorkingSet, original_date: Option<i64>) -> String {
    let mut out = String::new();
    if let Some(date) = original_date {
        out.push_str(&format!(
            "Using the original execution date of: {}\n",
            format_epoch(date)
        ));
    }
    let mut printed = false;
    if ws.options.maintenance_mode {
        out.push_str("\n              *** Resource management is DISABLED ***\n");
        out.push_str("  The cluster will not attempt to start, stop or recover services\n");
        printed = true;
    }
    let (n, disabled, blocked) = count_instances(ws);
    if disabled > 0 || blocked > 0 {
        if printed {
            out.push('\n');
        }
        out.push_str(&format!(
            "{disabled} of {n} resource instances DISABLED and {blocked} BLOCKED from further action due to failure\n"
        ));
        printed = true;
    }
    if printed {
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn epoch_formatting() {
        assert_eq!(super::format_epoch(0), "1970-01-01 00:00:00Z");
        assert_eq!(super::format_epoch(1_648_835_858), "2022-04-01 17:57:38Z");
    }
}
