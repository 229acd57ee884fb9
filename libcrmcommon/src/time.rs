//! Times as Pacemaker prints them for people.

/// `epoch` (seconds since 1970) in local time, the way ctime() prints it without the
/// newline: `Thu Jan  1 00:00:01 1970` (Pacemaker's pcmk__epoch2str).
pub fn ctime(epoch: i64) -> String {
    // SAFETY: localtime_r only writes the tm value it is given.
    let tm = unsafe {
        let t = epoch as libc::time_t;
        let mut tm: libc::tm = std::mem::zeroed();
        libc::localtime_r(&t, &mut tm);
        tm
    };
    const DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    format!(
        "{} {} {:2} {:02}:{:02}:{:02} {}",
        DAYS[tm.tm_wday.clamp(0, 6) as usize],
        MONTHS[tm.tm_mon.clamp(0, 11) as usize],
        tm.tm_mday,
        tm.tm_hour,
        tm.tm_min,
        tm.tm_sec,
        tm.tm_year + 1900
    )
}

/// The current time, as [`ctime`] prints it.
pub fn ctime_now() -> String {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64);
    ctime(now)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_like_ctime() {
        // Only checked where local time is UTC (as on the test machines).
        if std::env::var("TZ").map_or(true, |tz| tz == "UTC" || tz.is_empty()) && ctime(0).ends_with("00:00:00 1970") {
            assert_eq!(ctime(1), "Thu Jan  1 00:00:01 1970");
            assert_eq!(ctime(1_342_571_396), "Wed Jul 18 00:29:56 2012");
        }
    }
}
