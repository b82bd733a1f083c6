//! `--at` values: an RFC 3339 time, or a calendar date in Japan (JPKI certificates and CRLs are
//! issued there, and holder certificates end at 23:59:59 JST).

use time::format_description::well_known::Rfc3339;
use time::{Date, OffsetDateTime, Time, UtcOffset};

/// Parses `text` as RFC 3339 (`2026-11-26T10:00:00+09:00`) or as a date (`2026-11-26`), which means
/// `time_of_day` in Japan Standard Time on that day.
pub(crate) fn parse(text: &str, time_of_day: Time) -> Result<OffsetDateTime, String> {
    if let Ok(t) = OffsetDateTime::parse(text, &Rfc3339) {
        return Ok(t);
    }
    let bad = || format!("{text:?} is neither an RFC 3339 time nor a date (YYYY-MM-DD)");
    // Exactly four year digits: no sign, no extended years.
    if text.len() != 10 || !text.bytes().all(|b| b.is_ascii_digit() || b == b'-') {
        return Err(bad());
    }
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let date = Date::parse(text, &format).map_err(|_| bad())?;
    let jst = UtcOffset::from_hms(9, 0, 0).map_err(|e| e.to_string())?;
    Ok(date.with_time(time_of_day).assume_offset(jst))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use time::macros::datetime;

    #[test]
    fn dates_and_times() {
        assert_eq!(
            parse("2026-11-26T10:00:00+09:00", Time::MIDNIGHT).unwrap(),
            datetime!(2026-11-26 10:00 +9)
        );
        assert_eq!(
            parse("2026-11-26", Time::MIDNIGHT).unwrap(),
            datetime!(2026-11-26 00:00 +9)
        );
        assert!(parse("26/11/2026", Time::MIDNIGHT).is_err());
        assert!(parse("2026-02-30", Time::MIDNIGHT).is_err());
    }
}
