//! Dates (`yyyyMMdd`) and times (`yyyyMMddHHmmss`) of the interface, in JST.

use std::fmt;

use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

use crate::OnshiError;

/// Japan Standard Time, the zone of every date and time in the interface.
pub const JST: UtcOffset = match UtcOffset::from_hms(9, 0, 0) {
    Ok(offset) => offset,
    Err(_) => UtcOffset::UTC,
};

fn digits(text: &str, len: usize) -> Option<Vec<u16>> {
    (text.len() == len && text.bytes().all(|b| b.is_ascii_digit()))
        .then(|| text.bytes().map(|b| u16::from(b - b'0')).collect())
}

fn number(d: &[u16]) -> u16 {
    d.iter().fold(0, |acc, x| acc * 10 + x)
}

fn date_of(d: &[u16]) -> Option<Date> {
    let year = i32::from(number(&d[0..4]));
    let month = Month::try_from(u8::try_from(number(&d[4..6])).ok()?).ok()?;
    let day = u8::try_from(number(&d[6..8])).ok()?;
    Date::from_calendar_date(year, month, day).ok()
}

/// A calendar day in JST, written `yyyyMMdd`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct OnshiDate(Date);

impl OnshiDate {
    /// Wraps a day; years outside 0000–9999 cannot be written and are refused.
    pub fn new(date: Date) -> Result<Self, OnshiError> {
        if (0..=9999).contains(&date.year()) {
            Ok(Self(date))
        } else {
            Err(OnshiError::invalid(
                "date",
                format!("{date} is outside 0000–9999"),
            ))
        }
    }

    /// Parses exactly eight digits `yyyyMMdd` naming a real day.
    pub fn parse(text: &str) -> Result<Self, OnshiError> {
        digits(text, 8)
            .and_then(|d| date_of(&d))
            .map(Self)
            .ok_or_else(|| OnshiError::invalid("date", format!("{text:?} is not a yyyyMMdd day")))
    }

    /// The day.
    pub fn date(self) -> Date {
        self.0
    }
}

impl fmt::Display for OnshiDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = self.0;
        write!(f, "{:04}{:02}{:02}", d.year(), u8::from(d.month()), d.day())
    }
}

/// A moment in JST, written `yyyyMMddHHmmss`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct OnshiDateTime(PrimitiveDateTime);

impl OnshiDateTime {
    /// Wraps a JST wall-clock time; years outside 0000–9999 are refused.
    pub fn new(jst: PrimitiveDateTime) -> Result<Self, OnshiError> {
        OnshiDate::new(jst.date())?;
        Ok(Self(jst.replace_nanosecond(0).unwrap_or(jst)))
    }

    /// The moment `at`, in JST (to the second).
    pub fn from_offset(at: OffsetDateTime) -> Result<Self, OnshiError> {
        let jst = at.to_offset(JST);
        Self::new(PrimitiveDateTime::new(jst.date(), jst.time()))
    }

    /// Now, in JST.
    pub fn now_jst() -> Result<Self, OnshiError> {
        Self::from_offset(OffsetDateTime::now_utc())
    }

    /// Parses exactly fourteen digits `yyyyMMddHHmmss` naming a real moment.
    pub fn parse(text: &str) -> Result<Self, OnshiError> {
        digits(text, 14)
            .and_then(|d| {
                let date = date_of(&d[..8])?;
                let part = |r: std::ops::Range<usize>| u8::try_from(number(&d[r])).ok();
                let time = Time::from_hms(part(8..10)?, part(10..12)?, part(12..14)?).ok()?;
                Some(Self(PrimitiveDateTime::new(date, time)))
            })
            .ok_or_else(|| {
                OnshiError::invalid("time", format!("{text:?} is not a yyyyMMddHHmmss time"))
            })
    }

    /// The JST wall-clock time.
    pub fn jst(self) -> PrimitiveDateTime {
        self.0
    }

    /// The moment, with its +09:00 offset.
    pub fn to_offset(self) -> OffsetDateTime {
        self.0.assume_offset(JST)
    }

    /// The JST day of the moment.
    pub fn date(self) -> OnshiDate {
        OnshiDate(self.0.date())
    }
}

impl fmt::Display for OnshiDateTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let t = self.0;
        write!(
            f,
            "{}{:02}{:02}{:02}",
            OnshiDate(t.date()),
            t.hour(),
            t.minute(),
            t.second()
        )
    }
}

macro_rules! serialize_display {
    ($($t:ty),*) => {$(
        impl serde::Serialize for $t {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }
    )*};
}
serialize_display!(OnshiDate, OnshiDateTime);
