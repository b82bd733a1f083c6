//! `GeneralizedTime` with fractional seconds, as TSAs write `genTime` (RFC 3161 §2.4.2 allows
//! `YYYYMMDDhhmmss[.s...]Z`; `der`'s `GeneralizedTime` accepts whole seconds only).

use der::{DecodeValue, EncodeValue, FixedTag, Header, Length, Reader, Tag, Writer};
use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time};

/// A `GeneralizedTime` in UTC with up to nine fractional digits (no trailing zeros, as DER wants).
#[derive(Clone, Copy, Debug, Eq, PartialEq, Ord, PartialOrd)]
pub struct PreciseTime(pub OffsetDateTime);

impl PreciseTime {
    /// The time, UTC.
    pub fn to_offset(self) -> OffsetDateTime {
        self.0
    }

    fn text(&self) -> String {
        let t = self.0.to_offset(time::UtcOffset::UTC);
        let mut s = format!(
            "{:04}{:02}{:02}{:02}{:02}{:02}",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute(),
            t.second()
        );
        let nanos = t.nanosecond();
        if nanos != 0 {
            let frac = format!("{nanos:09}");
            s.push('.');
            s.push_str(frac.trim_end_matches('0'));
        }
        s.push('Z');
        s
    }

    /// Parses the text form.
    pub fn parse(text: &[u8]) -> Option<Self> {
        let (main, rest) = (text.get(..14)?, text.get(14..)?);
        if !main.iter().all(u8::is_ascii_digit) {
            return None;
        }
        let num = |r: std::ops::Range<usize>| -> Option<u32> {
            std::str::from_utf8(main.get(r)?).ok()?.parse().ok()
        };
        let year = i32::try_from(num(0..4)?).ok()?;
        let month = Month::try_from(u8::try_from(num(4..6)?).ok()?).ok()?;
        let day = u8::try_from(num(6..8)?).ok()?;
        let hour = u8::try_from(num(8..10)?).ok()?;
        let minute = u8::try_from(num(10..12)?).ok()?;
        let second = u8::try_from(num(12..14)?).ok()?;
        let (frac, z) = match rest.split_first()? {
            (b'.', tail) => {
                let digits = tail.get(..tail.len().checked_sub(1)?)?;
                if digits.is_empty()
                    || digits.len() > 9
                    || !digits.iter().all(u8::is_ascii_digit)
                    || digits.last() == Some(&b'0')
                {
                    return None;
                }
                let mut nanos: u32 = 0;
                for (i, d) in digits.iter().enumerate() {
                    nanos += u32::from(d - b'0') * 10u32.pow(8 - u32::try_from(i).ok()?);
                }
                (nanos, tail.last()?)
            }
            (z, []) => (0, z),
            _ => return None,
        };
        if *z != b'Z' {
            return None;
        }
        let date = Date::from_calendar_date(year, month, day).ok()?;
        let t = Time::from_hms_nano(hour, minute, second, frac).ok()?;
        Some(Self(PrimitiveDateTime::new(date, t).assume_utc()))
    }
}

impl FixedTag for PreciseTime {
    const TAG: Tag = Tag::GeneralizedTime;
}

impl<'a> DecodeValue<'a> for PreciseTime {
    type Error = der::Error;

    fn decode_value<R: Reader<'a>>(reader: &mut R, header: Header) -> der::Result<Self> {
        let len = usize::try_from(header.length())?;
        if len > 32 {
            return Err(der::ErrorKind::Length {
                tag: Tag::GeneralizedTime,
            }
            .into());
        }
        let mut buf = [0u8; 32];
        let bytes = buf.get_mut(..len).ok_or_else(|| {
            der::Error::from(der::ErrorKind::Length {
                tag: Tag::GeneralizedTime,
            })
        })?;
        reader.read_into(bytes)?;
        Self::parse(bytes).ok_or_else(|| der::ErrorKind::DateTime.into())
    }
}

impl EncodeValue for PreciseTime {
    fn value_len(&self) -> der::Result<Length> {
        Length::try_from(self.text().len())
    }

    fn encode_value(&self, writer: &mut impl Writer) -> der::Result<()> {
        writer.write(self.text().as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use der::{Decode, Encode};
    use proptest::prelude::*;

    #[test]
    fn fractions_round_trip_and_bad_forms_fail() {
        let t = PreciseTime::parse(b"20261130093000.125Z").unwrap();
        assert_eq!(t.0.nanosecond(), 125_000_000);
        assert_eq!(t.text(), "20261130093000.125Z");
        assert!(PreciseTime::parse(b"20261130093000Z").is_some());
        for bad in [
            &b"20261130093000.120Z"[..],
            b"20261130093000.Z",
            b"20261130093000",
            b"20261330093000Z",
            b"2026113009300Z",
            b"20261130093000+0900",
            b"20261130093000.1234567890Z",
        ] {
            assert!(PreciseTime::parse(bad).is_none(), "{bad:?}");
        }
    }

    proptest! {
        #[test]
        fn der_round_trip(secs in 0i64..4_102_444_800, nanos in 0u32..1_000_000_000) {
            let t = PreciseTime(OffsetDateTime::from_unix_timestamp(secs).unwrap()
                .replace_nanosecond(nanos).unwrap());
            let der = t.to_der().unwrap();
            prop_assert_eq!(PreciseTime::from_der(&der).unwrap(), t);
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..40)) {
            let _ = PreciseTime::parse(&bytes);
        }
    }
}
