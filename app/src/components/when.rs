//! Moments as the pages name them: in the reader's own time zone, "Today",
//! "Yesterday", "Monday 30 November" (with the year when it is not this one)
//! for a day and "14:05" for a time (the history panel); and how long ago,
//! "5 minutes ago" (lists).

/// The parts of a moment in local time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Local {
    pub year: i64,
    /// 1–12.
    pub month: u32,
    pub day: u32,
    /// 0 = Monday.
    pub weekday: u32,
    pub hour: u32,
    pub minute: u32,
    /// Days since the Unix epoch, in local time.
    pub days: i64,
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const WEEKDAYS: [&str; 7] = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];

/// `ms` since the epoch, `offset_minutes` east of UTC.
pub fn local(ms: i64, offset_minutes: i64) -> Local {
    let local_ms = ms + offset_minutes * 60_000;
    let days = local_ms.div_euclid(86_400_000);
    let in_day = local_ms.rem_euclid(86_400_000) / 60_000;
    // Howard Hinnant's days-to-civil.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    // 1970-01-01 was a Thursday.
    let weekday = (days + 3).rem_euclid(7) as u32;
    Local { year, month, day, weekday, hour: (in_day / 60) as u32, minute: (in_day % 60) as u32, days }
}

/// The heading of a day's versions, seen at `now`.
pub fn day_heading(at: Local, now: Local) -> String {
    match now.days - at.days {
        0 => "Today".into(),
        1 => "Yesterday".into(),
        _ if at.year == now.year => {
            format!("{} {} {}", WEEKDAYS[at.weekday as usize], at.day, MONTHS[at.month as usize - 1])
        }
        _ => format!("{} {} {} {}", WEEKDAYS[at.weekday as usize], at.day, MONTHS[at.month as usize - 1], at.year),
    }
}

/// "09:05".
pub fn clock(at: Local) -> String {
    format!("{:02}:{:02}", at.hour, at.minute)
}

/// The reader's offset from UTC in minutes at `ms` (0 on the server, which
/// never shows these).
pub fn offset_minutes(ms: i64) -> i64 {
    #[cfg(feature = "hydrate")]
    {
        // getTimezoneOffset is minutes *behind* UTC.
        -(js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ms as f64)).get_timezone_offset() as i64)
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = ms;
        0
    }
}

/// "2026-12-04 10:30 UTC": the same on the server and in every browser.
pub fn utc_stamp(ms: i64) -> String {
    let at = local(ms, 0);
    format!("{:04}-{:02}-{:02} {} UTC", at.year, at.month, at.day, clock(at))
}

/// "just now", "5 minutes ago", "3 days ago".
pub fn relative_time(now_ms: i64, then_ms: i64) -> String {
    let seconds = (now_ms - then_ms).max(0) / 1000;
    let plural = |n: i64, unit: &str| format!("{n} {unit}{} ago", if n == 1 { "" } else { "s" });
    match seconds {
        0..=44 => "just now".to_string(),
        45..=3599 => plural((seconds / 60).max(1), "minute"),
        3600..=86_399 => plural(seconds / 3600, "hour"),
        86_400..=2_591_999 => plural(seconds / 86_400, "day"),
        _ => plural(seconds / 2_592_000, "month"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_read_as_people_say_them() {
        // 2026-12-04 10:30 UTC, a Friday.
        let now_ms = 1_796_380_200_000;
        let now = local(now_ms, 0);
        assert_eq!((now.year, now.month, now.day, now.weekday, now.hour, now.minute), (2026, 12, 4, 4, 10, 30));
        assert_eq!(day_heading(local(now_ms - 3_600_000, 0), now), "Today");
        assert_eq!(day_heading(local(now_ms - 86_400_000, 0), now), "Yesterday");
        assert_eq!(day_heading(local(now_ms - 4 * 86_400_000, 0), now), "Monday 30 November");
        assert_eq!(day_heading(local(now_ms - 340 * 86_400_000, 0), now), "Monday 29 December 2025");
        // Half past midnight in Berlin is still the evening before in UTC.
        let late = local(1_796_340_600_000, 60);
        assert_eq!((late.day, clock(late)), (4, "00:30".into()));
        assert_eq!(local(1_796_340_600_000, 0).day, 3);
        assert_eq!(utc_stamp(now_ms), "2026-12-04 10:30 UTC");
    }

    #[test]
    fn relative_times_read_naturally() {
        assert_eq!(relative_time(10_000, 9_000), "just now");
        assert_eq!(relative_time(60_000 * 5, 0), "5 minutes ago");
        assert_eq!(relative_time(3_600_000, 0), "1 hour ago");
        assert_eq!(relative_time(86_400_000 * 3, 0), "3 days ago");
    }
}
