//! The personal data of a JPKI signature certificate (基本4情報 and their substitute characters).
//!
//! They are `subjectAltName` `otherName` entries under `1.2.392.200149.8.5.5`, each a `UTF8String`:
//! `.1` name, `.2` name substitute characters, `.3` sex, `.4` birth date (`EYYYYMMDD`), `.5` address,
//! `.6` address substitute characters (`card.md` §6).

use std::fmt;
use std::str::FromStr;

use der::Decode;
use der::asn1::{ObjectIdentifier, Utf8StringRef};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use time::{Date, Month};
use x509_cert::ext::pkix::name::GeneralName;

use crate::{Error, oids};

/// Sex as JPKI encodes it (ISO 5218 digit).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sex {
    /// `0`: not known.
    NotKnown,
    /// `1`: male.
    Male,
    /// `2`: female.
    Female,
    /// `9`: not applicable.
    NotApplicable,
}

impl Sex {
    /// The ISO 5218 digit.
    pub fn code(self) -> char {
        match self {
            Sex::NotKnown => '0',
            Sex::Male => '1',
            Sex::Female => '2',
            Sex::NotApplicable => '9',
        }
    }

    /// Parses the certificate's value: exactly one ISO 5218 digit.
    pub fn from_code(value: &str) -> Result<Self, Error> {
        match value {
            "0" => Ok(Sex::NotKnown),
            "1" => Ok(Sex::Male),
            "2" => Ok(Sex::Female),
            "9" => Ok(Sex::NotApplicable),
            other => Err(Error::PersonalData(format!(
                "sex must be one of 0, 1, 2, 9; found {other:?}"
            ))),
        }
    }

    /// 男 / 女 / 不明 / 適用不能.
    pub fn name_ja(self) -> &'static str {
        match self {
            Sex::NotKnown => "不明",
            Sex::Male => "男",
            Sex::Female => "女",
            Sex::NotApplicable => "適用不能",
        }
    }
}

/// The Japanese era whose digit leads a JPKI birth date.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Era {
    /// 明治, digit 1.
    Meiji,
    /// 大正, digit 2.
    Taisho,
    /// 昭和, digit 3.
    Showa,
    /// 平成, digit 4.
    Heisei,
    /// 令和, digit 5.
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
    pub fn from_digit(digit: char) -> Option<Self> {
        Era::ALL.into_iter().find(|e| e.digit() == digit)
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
        Date::from_calendar_date(y, m, d).unwrap_or(Date::MIN)
    }

    /// The era a Gregorian date falls in (`None` before Meiji).
    pub fn of(date: Date) -> Option<Self> {
        Era::ALL.into_iter().rev().find(|e| date >= e.first_day())
    }
}

/// A birth date as the signature certificate carries it: `EYYYYMMDD`, the era digit then the
/// Gregorian date. Serialized as that string.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct BirthDate {
    /// The era the certificate names.
    pub era: Era,
    /// The Gregorian date.
    pub date: Date,
}

impl BirthDate {
    /// Parses `EYYYYMMDD` (nine ASCII digits, a known era digit, a real calendar date).
    pub fn parse(value: &str) -> Result<Self, Error> {
        let bad = |why: &str| Error::PersonalData(format!("birth date {value:?}: {why}"));
        let b = value.as_bytes();
        if b.len() != 9 || !b.iter().all(u8::is_ascii_digit) {
            return Err(bad("expected nine digits EYYYYMMDD"));
        }
        let era = Era::from_digit(char::from(b[0])).ok_or_else(|| bad("unknown era digit"))?;
        let num = |r: core::ops::Range<usize>| {
            b[r].iter()
                .fold(0u16, |acc, d| acc * 10 + u16::from(d - b'0'))
        };
        let year = i32::from(num(1..5));
        let month = u8::try_from(num(5..7)).map_err(|_| bad("bad month"))?;
        let day = u8::try_from(num(7..9)).map_err(|_| bad("bad day"))?;
        let month = Month::try_from(month).map_err(|_| bad("month out of range"))?;
        let date =
            Date::from_calendar_date(year, month, day).map_err(|_| bad("not a calendar date"))?;
        Ok(Self { era, date })
    }

    /// The `EYYYYMMDD` form.
    pub fn jpki_form(&self) -> String {
        format!(
            "{}{:04}{:02}{:02}",
            self.era.digit(),
            self.date.year(),
            u8::from(self.date.month()),
            self.date.day()
        )
    }

    /// Whether the era digit names the era the date falls in (real certificates agree; this crate
    /// decodes what the certificate says and leaves the judgement to the caller).
    pub fn era_matches_date(&self) -> bool {
        Era::of(self.date) == Some(self.era)
    }

    /// The year within the era (1 = 元年), counted from the era the certificate names.
    pub fn era_year(&self) -> i32 {
        self.date.year() - self.era.first_day().year() + 1
    }
}

impl fmt::Display for BirthDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.jpki_form())
    }
}

impl FromStr for BirthDate {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        Self::parse(s)
    }
}

impl Serialize for BirthDate {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.jpki_form())
    }
}

impl<'de> Deserialize<'de> for BirthDate {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// The personal data of a JPKI signature certificate.
///
/// The substitute-character fields are empty when the certificate carries them empty or not at all.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PersonalData {
    /// 氏名.
    pub name: String,
    /// 氏名代替文字: substitutes for characters of the name outside the character set.
    pub name_substitute: String,
    /// 性別.
    pub sex: Sex,
    /// 生年月日.
    pub birth_date: BirthDate,
    /// 住所.
    pub address: String,
    /// 住所代替文字.
    pub address_substitute: String,
}

impl PersonalData {
    /// Decodes the DER of a `subjectAltName` extension value (`GeneralNames`).
    pub fn from_subject_alt_name(der: &[u8]) -> Result<Self, Error> {
        let names =
            Vec::<GeneralName>::from_der(der).map_err(|e| Error::der("subjectAltName", e))?;
        Self::from_general_names(&names)
    }

    /// Picks the JPKI `otherName` entries out of `names`. Other kinds of names, and `otherName`s
    /// outside the JPKI arc, are ignored; a JPKI entry given twice, a value that is not a
    /// `UTF8String`, or a missing name, sex, birth date or address is an error.
    pub fn from_general_names(names: &[GeneralName]) -> Result<Self, Error> {
        let mut fields: [Option<String>; 6] = Default::default();
        const OIDS: [ObjectIdentifier; 6] = [
            oids::JPKI_NAME,
            oids::JPKI_NAME_SUBSTITUTE,
            oids::JPKI_SEX,
            oids::JPKI_BIRTH_DATE,
            oids::JPKI_ADDRESS,
            oids::JPKI_ADDRESS_SUBSTITUTE,
        ];
        for name in names {
            let GeneralName::OtherName(other) = name else {
                continue;
            };
            let Some(i) = OIDS.iter().position(|o| *o == other.type_id) else {
                continue;
            };
            let value = Utf8StringRef::try_from(&other.value).map_err(|e| {
                Error::PersonalData(format!("{} is not a UTF8String: {e}", other.type_id))
            })?;
            if fields[i].replace(value.as_str().to_owned()).is_some() {
                return Err(Error::PersonalData(format!(
                    "{} appears twice",
                    other.type_id
                )));
            }
        }
        let [name, name_sub, sex, birth, address, address_sub] = fields;
        let need = |v: Option<String>, what: &str| {
            v.ok_or_else(|| Error::PersonalData(format!("no {what} (otherName missing)")))
        };
        Ok(Self {
            name: need(name, "name")?,
            name_substitute: name_sub.unwrap_or_default(),
            sex: Sex::from_code(&need(sex, "sex")?)?,
            birth_date: BirthDate::parse(&need(birth, "birth date")?)?,
            address: need(address, "address")?,
            address_substitute: address_sub.unwrap_or_default(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn birth_dates() {
        let d = BirthDate::parse("319850412").unwrap();
        assert_eq!(d.era, Era::Showa);
        assert_eq!(d.date.year(), 1985);
        assert_eq!(d.era_year(), 60);
        assert!(d.era_matches_date());
        assert_eq!(d.jpki_form(), "319850412");
        assert!(!BirthDate::parse("519850412").unwrap().era_matches_date());
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
            assert!(BirthDate::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(Era::of(Era::Heisei.first_day()), Some(Era::Heisei));
        assert_eq!(
            Era::of(Era::Heisei.first_day().previous_day().unwrap()),
            Some(Era::Showa)
        );
    }

    #[test]
    fn sex_codes() {
        for s in [Sex::NotKnown, Sex::Male, Sex::Female, Sex::NotApplicable] {
            assert_eq!(Sex::from_code(&s.code().to_string()).unwrap(), s);
        }
        assert!(Sex::from_code("3").is_err());
        assert!(Sex::from_code("11").is_err());
        assert!(Sex::from_code("").is_err());
    }
}
