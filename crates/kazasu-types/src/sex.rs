//! [`Sex`]: the ISO 5218 code.

use core::fmt;
use core::str::FromStr;

use crate::Error;

/// Sex as the card's applications and the signature certificate store it: one ISO 5218 digit.
///
/// Serialized (feature `serde`) as `not_known`, `male`, `female`, `not_applicable`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
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
    /// All four codes, in digit order.
    pub const ALL: [Sex; 4] = [Sex::NotKnown, Sex::Male, Sex::Female, Sex::NotApplicable];

    /// The ISO 5218 digit.
    pub fn code(self) -> char {
        char::from(self.ascii())
    }

    /// The ISO 5218 digit as the ASCII byte the card stores.
    pub fn ascii(self) -> u8 {
        match self {
            Sex::NotKnown => b'0',
            Sex::Male => b'1',
            Sex::Female => b'2',
            Sex::NotApplicable => b'9',
        }
    }

    /// Parses exactly one ISO 5218 digit (`"0"`, `"1"`, `"2"` or `"9"`).
    pub fn from_code(code: &str) -> Result<Self, Error> {
        Self::from_ascii(code.as_bytes())
    }

    /// Parses the card's bytes: exactly one ASCII ISO 5218 digit.
    pub fn from_ascii(code: &[u8]) -> Result<Self, Error> {
        match code {
            [digit] => Sex::ALL
                .into_iter()
                .find(|s| s.ascii() == *digit)
                .ok_or(Error::Sex),
            _ => Err(Error::Sex),
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

impl fmt::Display for Sex {
    /// `male`, `female`, `not applicable` or `unknown`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Sex::NotKnown => "unknown",
            Sex::Male => "male",
            Sex::Female => "female",
            Sex::NotApplicable => "not applicable",
        })
    }
}

impl FromStr for Sex {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        Self::from_code(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;
    use proptest::prelude::*;

    #[test]
    fn digits_round_trip() {
        for s in Sex::ALL {
            assert_eq!(Sex::from_code(&s.code().to_string()), Ok(s));
            assert_eq!(Sex::from_ascii(&[s.ascii()]), Ok(s));
        }
        assert_eq!(Sex::from_code("1"), Ok(Sex::Male));
        assert_eq!(Sex::from_code("2"), Ok(Sex::Female));
        assert_eq!(Sex::from_code("9"), Ok(Sex::NotApplicable));
        assert_eq!(Sex::from_code("0"), Ok(Sex::NotKnown));
        for bad in ["", "3", "11", " 1", "１"] {
            assert_eq!(Sex::from_code(bad), Err(Error::Sex), "{bad:?}");
        }
    }

    #[cfg(feature = "serde")]
    #[test]
    fn serde_names() {
        assert_eq!(
            serde_json::to_string(&Sex::NotKnown).unwrap(),
            "\"not_known\""
        );
        assert_eq!(
            serde_json::from_str::<Sex>("\"not_applicable\"").unwrap(),
            Sex::NotApplicable
        );
    }

    proptest! {
        #[test]
        fn parsing_never_panics_and_accepts_only_the_four_digits(s in "\\PC{0,4}") {
            let ok = Sex::from_code(&s).is_ok();
            prop_assert_eq!(ok, matches!(s.as_str(), "0" | "1" | "2" | "9"));
        }
    }
}
