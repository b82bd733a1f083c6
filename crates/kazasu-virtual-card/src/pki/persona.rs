//! Personas: the person a virtual card belongs to.

use std::fmt;

use time::{Date, Month};
use zeroize::Zeroizing;

use super::PkiError;

pub use kazasu_types::{Era, JapaneseDate, MyNumber, Sex};

/// The person a virtual card is issued to. Personal data as it appears on the card and in the
/// signature certificate; secrets are zeroized on drop.
#[derive(Clone)]
pub struct Persona {
    /// Name in kanji, family name first, separated by a space.
    pub name: String,
    /// Address.
    pub address: String,
    /// Municipality (the `L=` of the signature certificate subject).
    pub municipality: String,
    /// The municipality's 5-digit local government code (全国地方公共団体コード without its check digit),
    /// as the card's master file and 共通AP record carry it.
    pub municipality_code: String,
    /// Date of birth.
    pub birth_date: Date,
    /// Sex.
    pub sex: Sex,
    /// The My Number.
    pub my_number: MyNumber,
    /// The 4-digit security code printed on the card face (part of 照合番号B).
    pub security_code: String,
    /// The card's expiry date.
    pub card_expiry: Date,
    /// Authentication PIN (4 digits).
    pub auth_pin: Zeroizing<String>,
    /// Signature password (6–16 of `A–Z0–9`).
    pub sign_password: Zeroizing<String>,
    /// 券面事項入力補助AP PIN (4 digits).
    pub card_info_pin: Zeroizing<String>,
    /// 個人番号カード用 PIN (4 digits): key `001C` of the 共通AP and the 住基AP.
    pub resident_pin: Zeroizing<String>,
}

impl fmt::Debug for Persona {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Persona")
            .field("name", &self.name)
            .field("birth_date", &self.birth_date)
            .field("sex", &self.sex)
            .field("my_number", &self.my_number)
            .field("pins", &"REDACTED")
            .finish_non_exhaustive()
    }
}

impl Persona {
    /// The default persona (seed 0) with the documented PINs: auth `1234`, signature `ABC123`, card-info `1234`.
    pub fn sample() -> Self {
        // Every field of seed 0 is valid by construction.
        PersonaBuilder::from_seed(0)
            .build()
            .unwrap_or_else(|_| unreachable_persona())
    }

    /// 照合番号A: the My Number.
    pub fn verification_code_a(&self) -> Zeroizing<String> {
        Zeroizing::new(self.my_number.as_str().to_owned())
    }

    /// 照合番号B: birth date as era `YYMMDD`, the card's expiry year, and the security code.
    pub fn verification_code_b(&self) -> Zeroizing<String> {
        let birth = JapaneseDate::from_date(self.birth_date)
            .map(|d| d.era_yymmdd())
            .unwrap_or_else(|_| "000000".into());
        Zeroizing::new(format!(
            "{birth}{:04}{}",
            self.card_expiry.year(),
            self.security_code
        ))
    }

    /// The birth date as era `YYMMDD` (6 ASCII digits): the 券面事項確認AP's birth-date key `0011`.
    pub fn birth_date_key(&self) -> Zeroizing<String> {
        Zeroizing::new(
            JapaneseDate::from_date(self.birth_date)
                .map(|d| d.era_yymmdd())
                .unwrap_or_else(|_| "000000".into()),
        )
    }

    /// Birth date in the signature certificate's `EYYYYMMDD` form.
    pub fn birth_date_jpki(&self) -> String {
        JapaneseDate::from_date(self.birth_date)
            .map(|d| d.jpki_form())
            .unwrap_or_default()
    }

    /// Birth date as `YYYYMMDD` (the 基本4情報 form).
    pub fn birth_date_yyyymmdd(&self) -> String {
        format!(
            "{:04}{:02}{:02}",
            self.birth_date.year(),
            u8::from(self.birth_date.month()),
            self.birth_date.day()
        )
    }
}

fn unreachable_persona() -> Persona {
    // Only reached if the built-in table were edited into something invalid.
    Persona {
        name: String::new(),
        address: String::new(),
        municipality: String::new(),
        municipality_code: "00000".into(),
        birth_date: Date::MIN,
        sex: Sex::NotKnown,
        my_number: MyNumber::from_digit_values(&[0; 11]),
        security_code: "0000".into(),
        card_expiry: Date::MIN,
        auth_pin: Zeroizing::new("1234".into()),
        sign_password: Zeroizing::new("ABC123".into()),
        card_info_pin: Zeroizing::new("1234".into()),
        resident_pin: Zeroizing::new("1234".into()),
    }
}

const PEOPLE: [(&str, Sex, (i32, u8, u8)); 8] = [
    ("山田 花子", Sex::Female, (1985, 4, 12)),
    ("佐藤 太郎", Sex::Male, (1952, 11, 3)),
    ("鈴木 一郎", Sex::Male, (1973, 1, 30)),
    ("高橋 美咲", Sex::Female, (1999, 8, 21)),
    ("田中 健太", Sex::Male, (2012, 6, 5)),
    ("伊藤 さくら", Sex::Female, (1940, 3, 17)),
    ("渡辺 翼", Sex::NotApplicable, (1990, 12, 1)),
    ("中村 陽子", Sex::Female, (1968, 7, 9)),
];

const PLACES: [(&str, &str, &str); 4] = [
    ("東京都千代田区霞が関二丁目1番2号", "千代田区", "13101"),
    ("大阪府大阪市北区中之島一丁目3番20号", "大阪市", "27100"),
    ("北海道札幌市中央区北1条西2丁目1番地", "札幌市", "01100"),
    ("福岡県福岡市中央区天神一丁目8番1号", "福岡市", "40130"),
];

/// Builds a [`Persona`], starting from deterministic defaults derived from a seed.
#[derive(Clone, Debug)]
pub struct PersonaBuilder {
    persona: Persona,
    /// A My Number set by [`PersonaBuilder::my_number`], checked in [`PersonaBuilder::build`].
    my_number: Option<Result<MyNumber, kazasu_types::Error>>,
}

/// splitmix64: a tiny deterministic generator for test data (not for secrets).
pub(crate) fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl PersonaBuilder {
    /// Defaults derived from `seed`: seed 0 is 山田 花子 of 千代田区; PINs are the documented defaults.
    pub fn from_seed(seed: u64) -> Self {
        let mut s = seed;
        let pick = |s: &mut u64, n: usize| usize::try_from(splitmix64(s) % n as u64).unwrap_or(0);
        let (name, sex, (y, m, d)) = PEOPLE[if seed == 0 {
            0
        } else {
            pick(&mut s, PEOPLE.len())
        }];
        let (address, municipality, municipality_code) = PLACES[if seed == 0 {
            0
        } else {
            pick(&mut s, PLACES.len())
        }];
        let mut first = [0u8; 11];
        for d in &mut first {
            *d = u8::try_from(splitmix64(&mut s) % 10).unwrap_or(0);
        }
        let my_number = MyNumber::from_digit_values(&first);
        let security_code = format!("{:04}", splitmix64(&mut s) % 10_000);
        let month = Month::try_from(m).unwrap_or(Month::January);
        let birth_date = Date::from_calendar_date(y, month, d).unwrap_or(Date::MIN);
        let card_expiry = Date::from_calendar_date(2034, month, d.min(28)).unwrap_or(Date::MIN);
        Self {
            persona: Persona {
                name: name.into(),
                address: address.into(),
                municipality: municipality.into(),
                municipality_code: municipality_code.into(),
                birth_date,
                sex,
                my_number,
                security_code,
                card_expiry,
                auth_pin: Zeroizing::new("1234".into()),
                sign_password: Zeroizing::new("ABC123".into()),
                card_info_pin: Zeroizing::new("1234".into()),
                resident_pin: Zeroizing::new("1234".into()),
            },
            my_number: None,
        }
    }

    /// Sets the name (kanji, family name first).
    #[must_use]
    pub fn name(mut self, name: &str) -> Self {
        self.persona.name = name.into();
        self
    }

    /// Sets the address and the municipality it lies in.
    #[must_use]
    pub fn address(mut self, address: &str, municipality: &str) -> Self {
        self.persona.address = address.into();
        self.persona.municipality = municipality.into();
        self
    }

    /// Sets the 5-digit municipality code ([`PersonaBuilder::address`] leaves it unchanged).
    #[must_use]
    pub fn municipality_code(mut self, code: &str) -> Self {
        self.persona.municipality_code = code.into();
        self
    }

    /// Sets the 個人番号カード用 PIN (4 digits) of the 共通AP and the 住基AP.
    #[must_use]
    pub fn resident_pin(mut self, pin: &str) -> Self {
        self.persona.resident_pin = Zeroizing::new(pin.into());
        self
    }

    /// Sets the date of birth.
    #[must_use]
    pub fn birth_date(mut self, date: Date) -> Self {
        self.persona.birth_date = date;
        self
    }

    /// Sets the sex.
    #[must_use]
    pub fn sex(mut self, sex: Sex) -> Self {
        self.persona.sex = sex;
        self
    }

    /// Sets the My Number (validated in [`PersonaBuilder::build`]).
    #[must_use]
    pub fn my_number(mut self, digits: &str) -> Self {
        self.my_number = Some(MyNumber::parse(digits));
        self
    }

    /// Sets the card's expiry date.
    #[must_use]
    pub fn card_expiry(mut self, date: Date) -> Self {
        self.persona.card_expiry = date;
        self
    }

    /// Sets the three secrets: auth PIN, signature password, card-info PIN.
    #[must_use]
    pub fn pins(mut self, auth_pin: &str, sign_password: &str, card_info_pin: &str) -> Self {
        self.persona.auth_pin = Zeroizing::new(auth_pin.into());
        self.persona.sign_password = Zeroizing::new(sign_password.into());
        self.persona.card_info_pin = Zeroizing::new(card_info_pin.into());
        self
    }

    /// Validates and returns the persona.
    pub fn build(self) -> Result<Persona, PkiError> {
        let mut p = self.persona;
        if let Some(n) = self.my_number {
            p.my_number = n.map_err(|e| PkiError::InvalidPersona(e.to_string()))?;
        }
        let four_digits = |s: &str| s.len() == 4 && s.bytes().all(|b| b.is_ascii_digit());
        if !four_digits(&p.auth_pin)
            || !four_digits(&p.card_info_pin)
            || !four_digits(&p.resident_pin)
        {
            return Err(PkiError::InvalidPersona("PINs must be 4 digits".into()));
        }
        let pw = p.sign_password.as_bytes();
        if !(6..=16).contains(&pw.len())
            || !pw
                .iter()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        {
            return Err(PkiError::InvalidPersona(
                "signature password must be 6-16 of A-Z0-9".into(),
            ));
        }
        if p.municipality_code.len() != 5
            || !p.municipality_code.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(PkiError::InvalidPersona(
                "municipality code must be 5 digits".into(),
            ));
        }
        if JapaneseDate::from_date(p.birth_date).is_err() {
            return Err(PkiError::InvalidPersona("birth date before Meiji".into()));
        }
        if p.name.is_empty() || p.address.is_empty() {
            return Err(PkiError::InvalidPersona(
                "name and address are required".into(),
            ));
        }
        Ok(p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_my_numbers_come_from_the_shared_types() {
        // 照合番号B and the birth-date key use the era YYMMDD of the shared JapaneseDate.
        let p = PersonaBuilder::from_seed(0)
            .birth_date(Date::from_calendar_date(1985, Month::April, 12).unwrap())
            .build()
            .unwrap();
        assert_eq!(p.birth_date_key().as_str(), "600412");
        assert_eq!(p.birth_date_jpki(), "319850412");
        assert!(
            PersonaBuilder::from_seed(0)
                .birth_date(Date::from_calendar_date(1800, Month::January, 1).unwrap())
                .build()
                .is_err()
        );
        let p = PersonaBuilder::from_seed(0)
            .my_number("123456789018")
            .build()
            .unwrap();
        assert_eq!(p.my_number.as_str(), "123456789018");
    }

    #[test]
    fn seeded_personas_are_valid_and_deterministic() {
        for seed in 0..200 {
            let a = PersonaBuilder::from_seed(seed).build().unwrap();
            let b = PersonaBuilder::from_seed(seed).build().unwrap();
            assert_eq!(a.my_number, b.my_number);
            assert_eq!(a.verification_code_b().len(), 14);
        }
        let p = Persona::sample();
        assert_eq!(p.name, "山田 花子");
        assert_eq!(p.auth_pin.as_str(), "1234");
        assert!(!format!("{p:?}").contains(p.my_number.as_str()));
    }

    #[test]
    fn bad_secrets_are_refused() {
        assert!(
            PersonaBuilder::from_seed(1)
                .pins("12345", "ABC123", "1234")
                .build()
                .is_err()
        );
        assert!(
            PersonaBuilder::from_seed(1)
                .pins("1234", "abc123", "1234")
                .build()
                .is_err()
        );
        assert!(
            PersonaBuilder::from_seed(1)
                .my_number("123456789012")
                .build()
                .is_err()
        );
    }
}
