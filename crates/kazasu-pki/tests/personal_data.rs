#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Property tests of the personal-data decoding.

use der::Encode;
use kazasu_pki::time::{Date, Month};
use kazasu_pki::{BirthDate, Era, PersonalData, Sex, oids};
use kazasu_virtual_card::pki::jpki_other_names;
use proptest::prelude::*;

fn sex() -> impl Strategy<Value = Sex> {
    prop_oneof![
        Just(Sex::NotKnown),
        Just(Sex::Male),
        Just(Sex::Female),
        Just(Sex::NotApplicable)
    ]
}

fn era() -> impl Strategy<Value = Era> {
    prop::sample::select(Era::ALL.to_vec())
}

fn date() -> impl Strategy<Value = Date> {
    (1868i32..=2100, 1u8..=12, 1u8..=31).prop_map(|(y, m, d)| {
        let month = Month::try_from(m).unwrap();
        let last = month.length(y);
        Date::from_calendar_date(y, month, d.min(last)).unwrap()
    })
}

fn personal() -> impl Strategy<Value = PersonalData> {
    (
        "\\PC{1,40}",
        "\\PC{0,10}",
        sex(),
        era(),
        date(),
        "\\PC{1,80}",
        "\\PC{0,10}",
    )
        .prop_map(
            |(name, name_substitute, sex, era, date, address, address_substitute)| PersonalData {
                name,
                name_substitute,
                sex,
                birth_date: BirthDate { era, date },
                address,
                address_substitute,
            },
        )
}

fn encode(p: &PersonalData, order: &[usize]) -> Vec<u8> {
    let sex = p.sex.code().to_string();
    let birth = p.birth_date.jpki_form();
    let all = [
        (oids::JPKI_NAME, p.name.as_str()),
        (oids::JPKI_NAME_SUBSTITUTE, p.name_substitute.as_str()),
        (oids::JPKI_SEX, sex.as_str()),
        (oids::JPKI_BIRTH_DATE, birth.as_str()),
        (oids::JPKI_ADDRESS, p.address.as_str()),
        (oids::JPKI_ADDRESS_SUBSTITUTE, p.address_substitute.as_str()),
    ];
    let entries: Vec<_> = order.iter().map(|&i| all[i]).collect();
    jpki_other_names(&entries).unwrap().to_der().unwrap()
}

proptest! {
    #[test]
    fn round_trips_in_any_order(p in personal(), order in Just((0..6).collect::<Vec<usize>>()).prop_shuffle()) {
        let der = encode(&p, &order);
        prop_assert_eq!(PersonalData::from_subject_alt_name(&der).unwrap(), p);
    }

    #[test]
    fn a_missing_required_field_is_an_error(p in personal(), drop in prop::sample::select(vec![0usize, 2, 3, 4])) {
        let order: Vec<usize> = (0..6).filter(|&i| i != drop).collect();
        prop_assert!(PersonalData::from_subject_alt_name(&encode(&p, &order)).is_err());
    }

    #[test]
    fn a_duplicated_field_is_an_error(p in personal(), dup in 0usize..6) {
        let mut order: Vec<usize> = (0..6).collect();
        order.push(dup);
        prop_assert!(PersonalData::from_subject_alt_name(&encode(&p, &order)).is_err());
    }

    #[test]
    fn substitutes_may_be_absent(p in personal()) {
        let der = encode(&p, &[0, 2, 3, 4]);
        let got = PersonalData::from_subject_alt_name(&der).unwrap();
        prop_assert_eq!(got.name_substitute, "");
        prop_assert_eq!(got.address_substitute, "");
        prop_assert_eq!(got.name, p.name);
    }

    #[test]
    fn birth_dates_round_trip(era in era(), date in date()) {
        let b = BirthDate { era, date };
        let s = b.jpki_form();
        prop_assert_eq!(s.len(), 9);
        prop_assert_eq!(BirthDate::parse(&s).unwrap(), b);
    }

    #[test]
    fn birth_date_parsing_never_panics(s in "\\PC{0,12}") {
        let _ = BirthDate::parse(&s);
    }

    #[test]
    fn nine_digit_strings_parse_only_when_valid(s in "[0-9]{9}") {
        match BirthDate::parse(&s) {
            Ok(b) => prop_assert_eq!(b.jpki_form(), s),
            Err(_) => {
                let era_ok = ('1'..='5').contains(&s.chars().next().unwrap());
                let y: i32 = s[1..5].parse().unwrap();
                let m: u8 = s[5..7].parse().unwrap();
                let d: u8 = s[7..9].parse().unwrap();
                let date_ok = Month::try_from(m).ok().and_then(|m| Date::from_calendar_date(y, m, d).ok()).is_some();
                prop_assert!(!(era_ok && date_ok));
            }
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        let _ = PersonalData::from_subject_alt_name(&bytes);
    }
}
