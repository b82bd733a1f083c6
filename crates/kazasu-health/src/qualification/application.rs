//! The HPKI card application (発行申請) a professional signs with the My Number Card.
//!
//! The signed content is the application as compact JSON ([`Application::to_signed_content`]),
//! read back with [`Application::parse`]: at most [`MAX_APPLICATION_LEN`] bytes, unknown fields
//! refused, every field checked.

use serde::{Deserialize, Serialize};
use time::Date;

use super::Refusal;
use super::registry::Profession;
use crate::model::InsuranceSex;

/// Applications larger than this are refused before parsing.
pub const MAX_APPLICATION_LEN: usize = 16 * 1024;

/// What a professional applies with.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct Application {
    /// Name as on the My Number Card (family name, space, given name).
    pub name: String,
    /// Name in katakana.
    pub kana: String,
    /// Date of birth.
    pub birth_date: Date,
    /// Sex (`1` 男, `2` 女).
    pub sex: InsuranceSex,
    /// The qualification applied for.
    pub profession: Profession,
    /// Its registration number (籍登録番号): 1 to 10 digits.
    pub registration_number: String,
    /// The facility the professional works at.
    pub facility: String,
}

fn bad(reason: impl Into<String>) -> Refusal {
    Refusal::ApplicationUnreadable(reason.into())
}

fn text(field: &str, value: &str, max: usize) -> Result<(), Refusal> {
    if value.trim().is_empty() {
        return Err(bad(format!("{field} is empty")));
    }
    if value.chars().count() > max {
        return Err(bad(format!("{field} is longer than {max} characters")));
    }
    if value.chars().any(char::is_control) {
        return Err(bad(format!("{field} holds control characters")));
    }
    Ok(())
}

impl Application {
    /// An application; checked like a parsed one.
    pub fn new(
        name: impl Into<String>,
        kana: impl Into<String>,
        birth_date: Date,
        sex: InsuranceSex,
        profession: Profession,
        registration_number: impl Into<String>,
        facility: impl Into<String>,
    ) -> Result<Self, Refusal> {
        let a = Self {
            name: name.into(),
            kana: kana.into(),
            birth_date,
            sex,
            profession,
            registration_number: registration_number.into(),
            facility: facility.into(),
        };
        a.check()?;
        Ok(a)
    }

    fn check(&self) -> Result<(), Refusal> {
        text("name", &self.name, 64)?;
        text("kana", &self.kana, 64)?;
        text("facility", &self.facility, 128)?;
        let n = &self.registration_number;
        if n.is_empty() || n.len() > 10 || !n.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad("registration number must be 1 to 10 digits"));
        }
        Ok(())
    }

    /// The bytes the professional signs (compact JSON).
    pub fn to_signed_content(&self) -> Vec<u8> {
        // Serialising plain strings, a date and enums cannot fail.
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// Reads signed content back: size-limited, unknown fields refused, every field checked.
    pub fn parse(bytes: &[u8]) -> Result<Self, Refusal> {
        if bytes.len() > MAX_APPLICATION_LEN {
            return Err(bad(format!(
                "{} bytes, more than {MAX_APPLICATION_LEN}",
                bytes.len()
            )));
        }
        let a: Self = serde_json::from_slice(bytes).map_err(|e| bad(e.to_string()))?;
        a.check()?;
        Ok(a)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use proptest::prelude::*;
    use time::macros::date;

    fn sample() -> Application {
        Application::new(
            "山田 花子",
            "ヤマダ ハナコ",
            date!(1985 - 04 - 12),
            InsuranceSex::Female,
            Profession::MedicalDoctor,
            "100001",
            "kazasu 中央病院",
        )
        .unwrap()
    }

    #[test]
    fn round_trips() {
        let a = sample();
        assert_eq!(Application::parse(&a.to_signed_content()).unwrap(), a);
    }

    #[test]
    fn bad_fields_are_named() {
        let mut a = sample();
        a.registration_number = "12a".into();
        let e = Application::parse(&a.to_signed_content()).unwrap_err();
        assert!(e.to_string().contains("registration number"), "{e}");
        let mut a = sample();
        a.name = " ".into();
        assert!(Application::parse(&a.to_signed_content()).is_err());
        let with_extra = br#"{"name":"a","kana":"a","birth_date":"1985-04-12","sex":"2","profession":"medical-doctor","registration_number":"1","facility":"f","x":1}"#;
        assert!(Application::parse(with_extra).is_err());
        assert!(Application::parse(&vec![b' '; MAX_APPLICATION_LEN + 1]).is_err());
    }

    proptest! {
        #[test]
        fn never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            let _ = Application::parse(&bytes);
        }

        #[test]
        fn valid_applications_round_trip(
            name in "[一-龥ァ-ン]{1,8} [一-龥ァ-ン]{1,8}",
            number in "[0-9]{1,10}",
        ) {
            let mut a = sample();
            a.name = name;
            a.registration_number = number;
            prop_assert_eq!(Application::parse(&a.to_signed_content()).unwrap(), a);
        }
    }
}
