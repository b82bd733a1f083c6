//! Typed secrets: validated before any APDU is sent, zeroized on drop, never printed.

use std::fmt;

use zeroize::Zeroizing;

use crate::CardError;
use crate::mynumber::check_digit;

/// Which secret an error or a status is about.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
#[non_exhaustive]
pub enum SecretKind {
    /// The JPKI authentication PIN (利用者証明用, 4 digits, 3 tries).
    AuthPin,
    /// The JPKI signature password (署名用, 6–16 of `A–Z0–9`, 5 tries).
    SignPassword,
    /// The 券面事項入力補助AP PIN (4 digits).
    CardInfoPin,
    /// 照合番号A: the My Number.
    VerificationCodeA,
    /// 照合番号B: birth date, expiry year and security code.
    VerificationCodeB,
    /// The birth-date key of the 券面事項確認AP (和暦 `YYMMDD`): opens only the age record.
    BirthDateKey,
    /// The 個人番号カード用 PIN (共通AP / 住基AP key `001C`, 4 digits).
    CardPin,
    /// The PIN of an HPKI card application (4–8 digits).
    HpkiPin,
}

impl fmt::Display for SecretKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SecretKind::AuthPin => "authentication PIN",
            SecretKind::SignPassword => "signature password",
            SecretKind::CardInfoPin => "card-info PIN",
            SecretKind::VerificationCodeA => "verification code A",
            SecretKind::VerificationCodeB => "verification code B",
            SecretKind::BirthDateKey => "birth-date key",
            SecretKind::CardPin => "card PIN",
            SecretKind::HpkiPin => "HPKI PIN",
        })
    }
}

/// A secret the card checks with VERIFY.
pub trait Secret {
    /// Which secret this is.
    const KIND: SecretKind;
    /// The bytes VERIFY carries (ASCII).
    fn bytes(&self) -> &[u8];
}

fn invalid(kind: SecretKind, reason: &'static str) -> CardError {
    CardError::InvalidSecret { kind, reason }
}

macro_rules! secret_type {
    ($(#[$doc:meta])* $name:ident, $kind:expr) => {
        $(#[$doc])*
        #[derive(Clone)]
        pub struct $name(Zeroizing<Vec<u8>>);

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(concat!(stringify!($name), "(REDACTED)"))
            }
        }

        impl Secret for $name {
            const KIND: SecretKind = $kind;
            fn bytes(&self) -> &[u8] {
                &self.0
            }
        }
    };
}

secret_type!(
    /// The 4-digit JPKI authentication PIN.
    AuthPin,
    SecretKind::AuthPin
);
secret_type!(
    /// The JPKI signature password: 6–16 of `A–Z0–9`. Lower-case input is upper-cased, as the card stores upper case.
    SignPassword,
    SecretKind::SignPassword
);
secret_type!(
    /// The 4-digit PIN of the 券面事項入力補助AP.
    CardInfoPin,
    SecretKind::CardInfoPin
);
secret_type!(
    /// 照合番号A: the 12-digit My Number, check digit verified.
    VerificationCodeA,
    SecretKind::VerificationCodeA
);
secret_type!(
    /// 照合番号B: birth date (era `YYMMDD`), card expiry year (`YYYY`) and the 4-digit security code.
    VerificationCodeB,
    SecretKind::VerificationCodeB
);

secret_type!(
    /// The birth-date key of the 券面事項確認AP: the holder's birth date in the Japanese era as
    /// `YYMMDD` (6 digits, as printed on the card). It opens only the age record (least disclosure).
    BirthDateKey,
    SecretKind::BirthDateKey
);
secret_type!(
    /// The 個人番号カード用 PIN (4 digits) of the 共通AP and 住基AP (key `001C`).
    CardPin,
    SecretKind::CardPin
);

secret_type!(
    /// The PIN of an HPKI card application: 4 to 8 digits.
    HpkiPin,
    SecretKind::HpkiPin
);

fn digits(s: &str, n: usize) -> bool {
    s.len() == n && s.bytes().all(|b| b.is_ascii_digit())
}

impl AuthPin {
    /// Exactly 4 ASCII digits.
    pub fn new(pin: &str) -> Result<Self, CardError> {
        if !digits(pin, 4) {
            return Err(invalid(SecretKind::AuthPin, "must be exactly 4 digits"));
        }
        Ok(Self(Zeroizing::new(pin.as_bytes().to_vec())))
    }
}

impl CardInfoPin {
    /// Exactly 4 ASCII digits.
    pub fn new(pin: &str) -> Result<Self, CardError> {
        if !digits(pin, 4) {
            return Err(invalid(SecretKind::CardInfoPin, "must be exactly 4 digits"));
        }
        Ok(Self(Zeroizing::new(pin.as_bytes().to_vec())))
    }
}

/// Whether `yymmdd` (6 ASCII digits) has a month 1–12 and a day 1–31.
fn era_date(yymmdd: &str) -> bool {
    let in_range = |s: Option<&str>, lo: u8, hi: u8| {
        s.and_then(|s| s.parse::<u8>().ok())
            .is_some_and(|v| (lo..=hi).contains(&v))
    };
    digits(yymmdd, 6) && in_range(yymmdd.get(2..4), 1, 12) && in_range(yymmdd.get(4..6), 1, 31)
}

impl BirthDateKey {
    /// 6 digits: era year, month, day (`YYMMDD`).
    pub fn new(era_yymmdd: &str) -> Result<Self, CardError> {
        if !digits(era_yymmdd, 6) {
            return Err(invalid(
                SecretKind::BirthDateKey,
                "must be 6 digits (era YYMMDD)",
            ));
        }
        if !era_date(era_yymmdd) {
            return Err(invalid(
                SecretKind::BirthDateKey,
                "is not a date (era YYMMDD)",
            ));
        }
        Ok(Self(Zeroizing::new(era_yymmdd.as_bytes().to_vec())))
    }
}

impl CardPin {
    /// Exactly 4 ASCII digits.
    pub fn new(pin: &str) -> Result<Self, CardError> {
        if !digits(pin, 4) {
            return Err(invalid(SecretKind::CardPin, "must be exactly 4 digits"));
        }
        Ok(Self(Zeroizing::new(pin.as_bytes().to_vec())))
    }
}

impl HpkiPin {
    /// 4 to 8 ASCII digits.
    pub fn new(pin: &str) -> Result<Self, CardError> {
        if !(4..=8).contains(&pin.len()) || !pin.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid(SecretKind::HpkiPin, "must be 4 to 8 digits"));
        }
        Ok(Self(Zeroizing::new(pin.as_bytes().to_vec())))
    }
}

impl SignPassword {
    /// 6–16 characters of `A–Z0–9`; `a–z` are upper-cased first.
    pub fn new(password: &str) -> Result<Self, CardError> {
        let upper = Zeroizing::new(password.to_ascii_uppercase().into_bytes());
        if !(6..=16).contains(&upper.len()) {
            return Err(invalid(
                SecretKind::SignPassword,
                "must be 6 to 16 characters",
            ));
        }
        if !upper
            .iter()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        {
            return Err(invalid(
                SecretKind::SignPassword,
                "may only hold A-Z and 0-9",
            ));
        }
        Ok(Self(upper))
    }
}

impl VerificationCodeA {
    /// The 12-digit My Number; the check digit must be right.
    pub fn new(my_number: &str) -> Result<Self, CardError> {
        if !digits(my_number, 12) {
            return Err(invalid(SecretKind::VerificationCodeA, "must be 12 digits"));
        }
        let (first, last) = my_number.split_at(11);
        if check_digit(first).map(|d| d.to_string()) != Some(last.to_owned()) {
            return Err(invalid(
                SecretKind::VerificationCodeA,
                "check digit is wrong",
            ));
        }
        Ok(Self(Zeroizing::new(my_number.as_bytes().to_vec())))
    }
}

impl VerificationCodeB {
    /// 14 digits: birth date as era `YYMMDD`, the card's expiry year `YYYY`, the 4-digit security code.
    pub fn new(code: &str) -> Result<Self, CardError> {
        if !digits(code, 14) {
            return Err(invalid(SecretKind::VerificationCodeB, "must be 14 digits"));
        }
        if !code.get(..6).is_some_and(era_date) {
            return Err(invalid(
                SecretKind::VerificationCodeB,
                "birth date part is not a date",
            ));
        }
        Ok(Self(Zeroizing::new(code.as_bytes().to_vec())))
    }

    /// Builds the code from its three parts.
    pub fn from_parts(
        era_birth_yymmdd: &str,
        expiry_year: u16,
        security_code: &str,
    ) -> Result<Self, CardError> {
        Self::new(&Zeroizing::new(format!(
            "{era_birth_yymmdd}{expiry_year:04}{security_code}"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_happens_before_any_apdu() {
        assert!(AuthPin::new("1234").is_ok());
        for bad in ["123", "12345", "12a4", "", "１２３４"] {
            assert!(matches!(
                AuthPin::new(bad),
                Err(CardError::InvalidSecret {
                    kind: SecretKind::AuthPin,
                    ..
                })
            ));
        }
        assert_eq!(SignPassword::new("abc123").unwrap().bytes(), b"ABC123");
        assert!(SignPassword::new("ABC12").is_err());
        assert!(SignPassword::new("ABCDEFGHIJKLMNOPQ").is_err());
        assert!(SignPassword::new("ABC-123").is_err());
        assert!(CardInfoPin::new("0000").is_ok());
        assert!(VerificationCodeA::new("123456789018").is_ok());
        assert!(VerificationCodeA::new("123456789012").is_err());
        assert!(VerificationCodeB::new("60041220341234").is_ok());
        assert!(VerificationCodeB::new("60134020341234").is_err());
        assert!(VerificationCodeB::from_parts("600412", 2034, "1234").is_ok());
        assert!(BirthDateKey::new("600412").is_ok());
        for bad in ["60041", "6004123", "601312", "600400", "60o412", ""] {
            assert!(matches!(
                BirthDateKey::new(bad),
                Err(CardError::InvalidSecret {
                    kind: SecretKind::BirthDateKey,
                    ..
                })
            ));
        }
        assert!(CardPin::new("1234").is_ok());
        assert!(CardPin::new("123").is_err());
        for good in ["1234", "12345678", "000000"] {
            assert!(HpkiPin::new(good).is_ok());
        }
        for bad in ["123", "123456789", "12a4", "", "１２３４", "1234 "] {
            assert!(matches!(
                HpkiPin::new(bad),
                Err(CardError::InvalidSecret {
                    kind: SecretKind::HpkiPin,
                    ..
                })
            ));
        }
    }

    #[test]
    fn secrets_never_print() {
        let shown = format!(
            "{:?} {:?} {:?}",
            AuthPin::new("1234").unwrap(),
            SignPassword::new("ABC123").unwrap(),
            VerificationCodeA::new("123456789018").unwrap()
        );
        let shown = format!(
            "{shown} {:?} {:?}",
            BirthDateKey::new("600412").unwrap(),
            CardPin::new("4321").unwrap()
        );
        let shown = format!("{shown} {:?}", HpkiPin::new("87654321").unwrap());
        assert!(!shown.contains("87654321"));
        assert!(!shown.contains("600412") && !shown.contains("4321"));
        assert!(
            !shown.contains("1234") && !shown.contains("ABC123") && !shown.contains("123456789018")
        );
        assert!(shown.contains("REDACTED"));
    }
}
