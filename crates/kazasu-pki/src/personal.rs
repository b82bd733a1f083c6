//! The personal data of a JPKI signature certificate (基本4情報 and their substitute characters).
//!
//! They are `subjectAltName` `otherName` entries under `1.2.392.200149.8.5.5`, each a `UTF8String`:
//! `.1` name, `.2` name substitute characters, `.3` sex, `.4` birth date (`EYYYYMMDD`), `.5` address,
//! `.6` address substitute characters.

use der::Decode;
use der::asn1::{ObjectIdentifier, Utf8StringRef};
use serde::{Deserialize, Serialize};
use x509_cert::ext::pkix::name::GeneralName;

use crate::{Error, oids};

pub use kazasu_types::{Era, Sex};

/// A birth date as the signature certificate carries it: `EYYYYMMDD`, the era digit then the
/// Gregorian date (the shared [`kazasu_types::JapaneseDate`]; the era is the one the certificate
/// names, [`BirthDate::era_matches_date`] tells whether the date falls in it). Serialized as that
/// string.
pub use kazasu_types::JapaneseDate as BirthDate;

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
            sex: sex_of(&need(sex, "sex")?)?,
            birth_date: birth_date_of(&need(birth, "birth date")?)?,
            address: need(address, "address")?,
            address_substitute: address_sub.unwrap_or_default(),
        })
    }
}

/// The certificate's sex value: exactly one ISO 5218 digit.
fn sex_of(value: &str) -> Result<Sex, Error> {
    Sex::from_code(value)
        .map_err(|_| Error::PersonalData(format!("sex must be one of 0, 1, 2, 9; found {value:?}")))
}

/// The certificate's birth date value: `EYYYYMMDD`.
fn birth_date_of(value: &str) -> Result<BirthDate, Error> {
    BirthDate::parse(value).map_err(|e| Error::PersonalData(format!("birth date {value:?}: {e}")))
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
        // The shared parser's refusals (tested in kazasu-types) reach callers as PersonalData
        // errors that name the value.
        for bad in ["31985041", "619850412", "319850230"] {
            let e = birth_date_of(bad).unwrap_err().to_string();
            assert!(e.contains(bad), "{e}");
        }
        assert_eq!(Era::of(Era::Heisei.first_day()), Ok(Era::Heisei));
        assert_eq!(
            Era::of(Era::Heisei.first_day().previous_day().unwrap()),
            Ok(Era::Showa)
        );
    }

    #[test]
    fn sex_codes() {
        for s in [Sex::NotKnown, Sex::Male, Sex::Female, Sex::NotApplicable] {
            assert_eq!(Sex::from_code(&s.code().to_string()).unwrap(), s);
        }
        assert!(sex_of("3").is_err());
        assert!(sex_of("11").is_err());
        assert!(sex_of("").is_err());
        assert!(birth_date_of("619850412").is_err());
    }
}
