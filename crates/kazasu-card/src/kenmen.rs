//! Values shared by the two card-face applications: dates and sex codes.

use std::fmt;

use crate::CardError;

/// A calendar date as the card stores it (`YYYYMMDD`).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct CardDate {
    /// Year.
    pub year: u16,
    /// Month 1–12.
    pub month: u8,
    /// Day 1–31.
    pub day: u8,
}

impl CardDate {
    /// Parses `YYYYMMDD`.
    pub fn parse(s: &str) -> Option<Self> {
        if s.len() != 8 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let year = s.get(0..4)?.parse().ok()?;
        let month = s.get(4..6)?.parse().ok()?;
        let day = s.get(6..8)?.parse().ok()?;
        ((1..=12).contains(&month) && (1..=31).contains(&day)).then_some(Self { year, month, day })
    }

    pub(crate) fn from_bytes(ef: u16, bytes: &[u8]) -> Result<Self, CardError> {
        std::str::from_utf8(bytes)
            .ok()
            .and_then(Self::parse)
            .ok_or_else(|| CardError::Malformed {
                ef,
                reason: "not a YYYYMMDD date".into(),
            })
    }
}

impl fmt::Display for CardDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// Sex as the card stores it (ISO 5218): the shared [`kazasu_types::Sex`].
pub use kazasu_types::Sex;

/// The sex digit of a card file, or why it is malformed.
pub(crate) fn sex_from_digit(ef: u16, digit: u8) -> Result<Sex, CardError> {
    Sex::from_ascii(&[digit]).map_err(|_| CardError::Malformed {
        ef,
        reason: "not an ISO 5218 sex code".into(),
    })
}
