//! [`Era`] and [`JapaneseDate`]: the Japanese eras and dates named by them.

use alloc::format;
use alloc::string::String;
use core::fmt;
use core::str::FromStr;

use time::{Date, Month};

use crate::Error;

/// A Japanese era (元号) since 明治, with the digit JPKI writes before a date (`EYYYYMMDD`).
///
/// Serialized (feature `serde`) as `meiji`, `taisho`, `showa`, `heisei`, `reiwa`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum Era {
    /// 明治, digit 1, from 1868-10-23.
    Meiji,
    /// 大正, digit 2, from 1912-07-30.
    Taisho,
    /// 昭和, digit 3, from 1926-12-25.
    Showa,
    /// 平成, digit 4, from 1989-01-08.
    Heisei,
    /// 令和, digit 5, from 2019-05-01.
    Reiwa,
}

impl Era {
    /// All eras, oldest first.
    pub const ALL: [Era; 5] = [Era::Meiji, Era::Taisho, Era::Showa, Era::Heisei, Era::Reiwa];

    /// The era digit (`1`–`5`).
    pub fn digit(self) -> char {
        match self {
            Era::Meiji => '1',
            Era::Taisho => '2',
            Era::Showa => '3',
            Era::Heisei => '4',
            Era::Reiwa => '5',
        }
    }

    /// The era of a digit.
    pub fn from_digit(digit: char) -> Result<Self, Error> {
        Era::ALL
            .into_iter()
            .find(|e| e.digit() == digit)
            .ok_or(Error::EraDigit)
    }

    /// 明治, 大正, 昭和, 平成, 令和.
    pub fn name_ja(self) -> &'static str {
        match self {
            Era::Meiji => "明治",
            Era::Taisho => "大正",
            Era::Showa => "昭和",
            Era::Heisei => "平成",
            Era::Reiwa => "令和",
        }
    }

    /// The first day of the era.
    pub fn first_day(self) -> Date {
        let (y, m, d) = match self {
            Era::Meiji => (1868, Month::October, 23),
            Era::Taisho => (1912, Month::July, 30),
            Era::Showa => (1926, Month::December, 25),
            Era::Heisei => (1989, Month::January, 8),
            Era::Reiwa => (2019, Month::May, 1),
        };
        // Every one of these is a calendar date; the fallback is never taken.
        Date::from_calendar_date(y, m, d).unwrap_or(Date::MIN)
    }

    /// The era a Gregorian date falls in ([`Error::BeforeMeiji`] before 1868-10-23).
    pub fn of(date: Date) -> Result<Self, Error> {
        Era::ALL
            .into_iter()
            .rev()
            .find(|e| date >= e.first_day())
            .ok_or(Error::BeforeMeiji)
    }
}

impl fmt::Display for Era {
    /// The Japanese name (明治 … 令和).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name_ja())
    }
}

/// A Gregorian date together with the era named for it.
///
/// The signature certificate writes a birth date as `EYYYYMMDD` (era digit, then the Gregorian
/// date); [`JapaneseDate::parse`] keeps the era the text names even when the date falls in another
/// one ([`JapaneseDate::era_matches_date`] tells), so a decoder reports what it read. Serialized
/// (feature `serde`) as that `EYYYYMMDD` string.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct JapaneseDate {
    /// The era named for the date.
    pub era: Era,
    /// The Gregorian date.
    pub date: Date,
}

impl JapaneseDate {
    /// `date` with the era it falls in ([`Error::BeforeMeiji`] before 1868-10-23).
    pub fn from_date(date: Date) -> Result<Self, Error> {
        Ok(Self {
            era: Era::of(date)?,
            date,
        })
    }

    /// Parses `EYYYYMMDD`: nine ASCII digits, a known era digit, a real calendar date.
    pub fn parse(value: &str) -> Result<Self, Error> {
        let b = value.as_bytes();
        if b.len() != 9 || !b.iter().all(u8::is_ascii_digit) {
            return Err(Error::EraDate("expected nine digits EYYYYMMDD"));
        }
        let era =
            Era::from_digit(char::from(b[0])).map_err(|_| Error::EraDate("unknown era digit"))?;
        let num = |digits: &[u8]| {
            digits
                .iter()
                .fold(0u16, |acc, d| acc * 10 + u16::from(d - b'0'))
        };
        let year = i32::from(num(&b[1..5]));
        let month = u8::try_from(num(&b[5..7])).map_err(|_| Error::EraDate("bad month"))?;
        let day = u8::try_from(num(&b[7..9])).map_err(|_| Error::EraDate("bad day"))?;
        let month = Month::try_from(month).map_err(|_| Error::EraDate("month out of range"))?;
        let date = Date::from_calendar_date(year, month, day)
            .map_err(|_| Error::EraDate("not a calendar date"))?;
        Ok(Self { era, date })
    }

    /// The `EYYYYMMDD` form of the signature certificate.
    pub fn jpki_form(&self) -> String {
        format!(
            "{}{:04}{:02}{:02}",
            self.era.digit(),
            self.date.year(),
            u8::from(self.date.month()),
            self.date.day()
        )
    }

    /// Whether the era named is the era the date falls in (real certificates agree).
    pub fn era_matches_date(&self) -> bool {
        Era::of(self.date) == Ok(self.era)
    }

    /// The year within the era named (1 = 元年).
    pub fn era_year(&self) -> i32 {
        self.date.year() - self.era.first_day().year() + 1
    }

    /// `YYMMDD` with the era year (和暦), as 照合番号B and the 券面事項確認AP's birth-date key use it.
    pub fn era_yymmdd(&self) -> String {
        format!(
            "{:02}{:02}{:02}",
            self.era_year().rem_euclid(100),
            u8::from(self.date.month()),
            self.date.day()
        )
    }
}

impl fmt::Display for JapaneseDate {
    /// The `EYYYYMMDD` form.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.jpki_form())
    }
}

impl FromStr for JapaneseDate {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        Self::parse(s)
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for JapaneseDate {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.jpki_form())
    }
}

#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for JapaneseDate {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use time::macros::date;

    #[test]
    fn era_boundaries() {
        assert_eq!(Era::of(date!(1989 - 01 - 07)), Ok(Era::Showa));
        assert_eq!(Era::of(date!(1989 - 01 - 08)), Ok(Era::Heisei));
        assert_eq!(Era::of(date!(2019 - 04 - 30)), Ok(Era::Heisei));
        assert_eq!(Era::of(date!(2019 - 05 - 01)), Ok(Era::Reiwa));
        assert_eq!(Era::of(date!(1868 - 10 - 22)), Err(Error::BeforeMeiji));
        assert_eq!(Era::of(date!(1868 - 10 - 23)), Ok(Era::Meiji));
        for e in Era::ALL {
            assert_eq!(Era::of(e.first_day()), Ok(e));
            assert_eq!(Era::from_digit(e.digit()), Ok(e));
        }
        assert_eq!(Era::from_digit('0'), Err(Error::EraDigit));
        assert_eq!(Era::from_digit('6'), Err(Error::EraDigit));
    }

    #[test]
    fn japanese_dates() {
        let j = JapaneseDate::from_date(date!(1985 - 04 - 12)).unwrap();
        assert_eq!(j.era, Era::Showa);
        assert_eq!(j.era_year(), 60);
        assert_eq!(j.jpki_form(), "319850412");
        assert_eq!(j.era_yymmdd(), "600412");
        assert_eq!(
            JapaneseDate::from_date(date!(1989 - 01 - 08))
                .unwrap()
                .era_year(),
            1
        );
        assert_eq!(
            JapaneseDate::from_date(date!(2019 - 04 - 30))
                .unwrap()
                .era_year(),
            31
        );
        assert_eq!(
            JapaneseDate::from_date(date!(1800 - 01 - 01)),
            Err(Error::BeforeMeiji)
        );
        let parsed = JapaneseDate::parse("319850412").unwrap();
        assert_eq!(parsed, j);
        assert!(parsed.era_matches_date());
        let wrong = JapaneseDate::parse("519850412").unwrap();
        assert!(!wrong.era_matches_date());
        for bad in [
            "",
            "31985041",
            "3198504121",
            "619850412",
            "019850412",
            "319850230",
            "319851312",
            "3198504a2",
            "３19850412",
        ] {
            assert!(JapaneseDate::parse(bad).is_err(), "{bad}");
        }
    }

    #[cfg(feature = "serde")]
    #[test]
    fn serde_as_the_jpki_form() {
        let j = JapaneseDate::parse("420010101").unwrap();
        assert_eq!(serde_json::to_string(&j).unwrap(), "\"420010101\"");
        assert_eq!(
            serde_json::from_str::<JapaneseDate>("\"420010101\"").unwrap(),
            j
        );
        assert!(serde_json::from_str::<JapaneseDate>("\"920010101\"").is_err());
        assert_eq!(serde_json::to_string(&Era::Reiwa).unwrap(), "\"reiwa\"");
    }

    proptest! {
        #[test]
        fn dates_round_trip_through_the_jpki_form(days in 0i32..100_000) {
            let date = Era::Meiji.first_day() + time::Duration::days(i64::from(days));
            let j = JapaneseDate::from_date(date).unwrap();
            prop_assert!(j.era_matches_date());
            prop_assert!(j.era_year() >= 1);
            prop_assert_eq!(JapaneseDate::parse(&j.jpki_form()).unwrap(), j);
            prop_assert_eq!(j.era_yymmdd().len(), 6);
        }

        #[test]
        fn parsing_never_panics(s in "\\PC{0,12}", digits in "[0-9]{9}") {
            let _ = JapaneseDate::parse(&s);
            if let Ok(j) = JapaneseDate::parse(&digits) {
                prop_assert_eq!(j.jpki_form(), digits);
            }
        }
    }
}
