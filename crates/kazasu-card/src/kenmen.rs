//! Shared parsing for the two card-face applications: private-class BER records and dates.

use std::fmt;

use iso7816_tlv::ber::{Tlv, Value};

use crate::CardError;

/// One child of a record: its 2-byte tag, its raw bytes (tag, length, value) and its value.
pub(crate) struct Child<'a> {
    pub(crate) tag: u16,
    pub(crate) raw: &'a [u8],
    pub(crate) value: Vec<u8>,
}

/// Splits a constructed record `FFxx L { … }` into its children, keeping each child's raw bytes
/// (hashes and signatures cover the bytes exactly as the card stores them).
pub(crate) fn record(ef: u16, outer_tag: u16, bytes: &[u8]) -> Result<Vec<Child<'_>>, CardError> {
    let malformed = |reason: String| CardError::Malformed { ef, reason };
    let (outer, rest) = Tlv::parse(bytes);
    let outer = outer.map_err(|e| malformed(format!("record does not parse: {e:?}")))?;
    if !rest.is_empty() {
        return Err(malformed("bytes after the record".into()));
    }
    if tag16(&outer) != Some(outer_tag) {
        return Err(malformed(format!("expected tag {outer_tag:04X}")));
    }
    let (header_len, _) =
        crate::tlv::header(bytes).map_err(|_| malformed("record header".into()))?;
    let mut cursor = bytes.get(header_len..).unwrap_or_default();
    let mut out = Vec::new();
    while !cursor.is_empty() {
        let (child, rest) = Tlv::parse(cursor);
        let child = child.map_err(|e| malformed(format!("child does not parse: {e:?}")))?;
        let consumed = cursor.len() - rest.len();
        let raw = cursor.get(..consumed).unwrap_or_default();
        let tag = tag16(&child).ok_or_else(|| malformed("child tag is not two bytes".into()))?;
        let value = match child.value() {
            Value::Primitive(v) => v.clone(),
            Value::Constructed(_) => {
                return Err(malformed(format!("child {tag:04X} is constructed")));
            }
        };
        out.push(Child { tag, raw, value });
        cursor = rest;
    }
    Ok(out)
}

fn tag16(tlv: &Tlv) -> Option<u16> {
    match tlv.tag().to_bytes() {
        [a, b] => Some(u16::from_be_bytes([*a, *b])),
        _ => None,
    }
}

/// The value of the child with `tag`.
pub(crate) fn field<'a>(
    ef: u16,
    children: &'a [Child<'_>],
    tag: u16,
) -> Result<&'a [u8], CardError> {
    children
        .iter()
        .find(|c| c.tag == tag)
        .map(|c| c.value.as_slice())
        .ok_or_else(|| CardError::Malformed {
            ef,
            reason: format!("no {tag:04X} field"),
        })
}

pub(crate) fn text(ef: u16, children: &[Child<'_>], tag: u16) -> Result<String, CardError> {
    String::from_utf8(field(ef, children, tag)?.to_vec()).map_err(|_| CardError::Malformed {
        ef,
        reason: format!("{tag:04X} is not UTF-8"),
    })
}

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

    pub(crate) fn field(ef: u16, children: &[Child<'_>], tag: u16) -> Result<Self, CardError> {
        let s = text(ef, children, tag)?;
        Self::parse(&s).ok_or_else(|| CardError::Malformed {
            ef,
            reason: format!("{tag:04X} is not a YYYYMMDD date"),
        })
    }
}

impl fmt::Display for CardDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// Sex as the card stores it (ISO 5218).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Sex {
    /// `1`.
    Male,
    /// `2`.
    Female,
    /// `9`: not applicable.
    NotApplicable,
    /// `0`: not known.
    Unknown,
}

impl Sex {
    /// From the ISO 5218 digit.
    pub fn from_code(code: &[u8]) -> Option<Self> {
        match code {
            b"1" => Some(Sex::Male),
            b"2" => Some(Sex::Female),
            b"9" => Some(Sex::NotApplicable),
            b"0" => Some(Sex::Unknown),
            _ => None,
        }
    }

    pub(crate) fn field(ef: u16, children: &[Child<'_>], tag: u16) -> Result<Self, CardError> {
        Self::from_code(field(ef, children, tag)?).ok_or_else(|| CardError::Malformed {
            ef,
            reason: format!("{tag:04X} is not an ISO 5218 code"),
        })
    }
}

impl fmt::Display for Sex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Sex::Male => "male",
            Sex::Female => "female",
            Sex::NotApplicable => "not applicable",
            Sex::Unknown => "unknown",
        })
    }
}
