//! Matching a card holder's 基本4情報 (from the JPKI signature certificate) against a record.
//!
//! Names and addresses are compared after normalisation: Unicode NFKC (full-width Latin and digits
//! become ASCII, half-width katakana become full-width), then every kind of space removed (ASCII
//! space, U+3000 and the rest), so `山田　花子` matches `山田 花子`. What normalisation cannot decide
//! is never matched silently: a certificate that carries substitute characters (代替文字) for the
//! field, or characters from the private-use area (外字) or the replacement marks `〓` / U+FFFD, is
//! [`HealthError::NeedsReview`] — a person compares it.

use kazasu_pki::PersonalData;
use time::Date;
use unicode_normalization::UnicodeNormalization;

use crate::HealthError;
use crate::model::InsuranceSex;

/// What a record says about a person, to be matched with the card holder.
#[derive(Clone, Copy, Debug)]
pub struct RecordIdentity<'a> {
    /// Name.
    pub name: &'a str,
    /// Date of birth.
    pub birth_date: Date,
    /// Sex as printed on the card (Sex1).
    pub sex: InsuranceSex,
    /// Address, where the record has it.
    pub address: Option<&'a str>,
}

/// A name or address reduced to what comparison should see.
pub fn normalise(text: &str) -> String {
    text.nfkc().filter(|c| !c.is_whitespace()).collect()
}

fn undecidable(text: &str) -> bool {
    text.chars().any(
        |c| matches!(c, '\u{E000}'..='\u{F8FF}' | '\u{F0000}'..='\u{10FFFF}' | '〓' | '\u{FFFD}'),
    )
}

fn text_field(
    field: &'static str,
    card: &str,
    substitute: &str,
    record: &str,
) -> Result<(), HealthError> {
    if !substitute.trim().is_empty() || undecidable(card) {
        return Err(HealthError::NeedsReview { field });
    }
    if normalise(card) != normalise(record) {
        return Err(HealthError::Mismatch { field });
    }
    Ok(())
}

/// Checks the certificate's personal data against `record`: name, birth date, sex, and the address
/// only where the record has one. The first difference is the refusal.
pub fn match_identity(card: &PersonalData, record: &RecordIdentity<'_>) -> Result<(), HealthError> {
    text_field("name", &card.name, &card.name_substitute, record.name)?;
    if card.birth_date.date != record.birth_date {
        return Err(HealthError::Mismatch {
            field: "birth date",
        });
    }
    if InsuranceSex::from_jpki(card.sex) != record.sex {
        return Err(HealthError::Mismatch { field: "sex" });
    }
    if let Some(address) = record.address {
        text_field("address", &card.address, &card.address_substitute, address)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use kazasu_pki::{BirthDate, Sex};
    use proptest::prelude::*;
    use time::macros::date;

    fn card(name: &str, name_sub: &str, address: &str) -> PersonalData {
        PersonalData {
            name: name.into(),
            name_substitute: name_sub.into(),
            sex: Sex::Female,
            birth_date: BirthDate::parse("319850412").unwrap(),
            address: address.into(),
            address_substitute: String::new(),
        }
    }

    fn record<'a>(name: &'a str, address: Option<&'a str>) -> RecordIdentity<'a> {
        RecordIdentity {
            name,
            birth_date: date!(1985 - 04 - 12),
            sex: InsuranceSex::Female,
            address,
        }
    }

    #[test]
    fn widths_and_spaces_do_not_matter() {
        let c = card("山田 花子", "", "東京都千代田区霞が関２－１－２");
        match_identity(
            &c,
            &record("山田\u{3000}花子", Some("東京都千代田区霞が関2-1-2")),
        )
        .unwrap();
        match_identity(&c, &record("山田花子", None)).unwrap();
        let latin = card("ＳＭＩＴＨ　ＪＯＨＮ", "", "");
        match_identity(&latin, &record("SMITH JOHN", None)).unwrap();
        assert_eq!(normalise("ﾔﾏﾀﾞ ﾊﾅｺ"), normalise("ヤマダ　ハナコ"));
    }

    #[test]
    fn each_difference_is_named() {
        let c = card("山田 花子", "", "東京都");
        assert!(matches!(
            match_identity(&c, &record("山田 太郎", None)),
            Err(HealthError::Mismatch { field: "name" })
        ));
        let mut r = record("山田 花子", None);
        r.birth_date = date!(1985 - 04 - 13);
        assert!(matches!(
            match_identity(&c, &r),
            Err(HealthError::Mismatch {
                field: "birth date"
            })
        ));
        let mut r = record("山田 花子", None);
        r.sex = InsuranceSex::Male;
        assert!(matches!(
            match_identity(&c, &r),
            Err(HealthError::Mismatch { field: "sex" })
        ));
        assert!(matches!(
            match_identity(&c, &record("山田 花子", Some("大阪府"))),
            Err(HealthError::Mismatch { field: "address" })
        ));
    }

    #[test]
    fn substitute_characters_are_flagged_not_matched() {
        let c = card("髙橋 一郎", "高橋 一郎", "");
        assert!(matches!(
            match_identity(&c, &record("髙橋 一郎", None)),
            Err(HealthError::NeedsReview { field: "name" })
        ));
        let gaiji = card("\u{E001}田 一郎", "", "");
        assert!(matches!(
            match_identity(&gaiji, &record("\u{E001}田 一郎", None)),
            Err(HealthError::NeedsReview { field: "name" })
        ));
        let geta = card("〓田 一郎", "", "");
        assert!(matches!(
            match_identity(&geta, &record("〓田 一郎", None)),
            Err(HealthError::NeedsReview { field: "name" })
        ));
    }

    proptest! {
        #[test]
        fn normalisation_ignores_inserted_spaces(s in "[一-龥ァ-ンA-Za-z0-9]{1,12}", at in 0usize..12) {
            let chars: Vec<char> = s.chars().collect();
            let split = at.min(chars.len());
            let spaced: String = chars[..split].iter().chain(['\u{3000}'].iter()).chain(chars[split..].iter()).collect();
            prop_assert_eq!(normalise(&s), normalise(&spaced));
        }

        #[test]
        fn never_panics(s in "\\PC{0,40}") {
            let _ = normalise(&s);
            let _ = undecidable(&s);
        }
    }
}
