#![no_main]
//! Arbitrary text as the codes and names a health service receives: insurer numbers (check digit),
//! sex codes, agency / facility / patient-card codes, and identity matching after normalisation.

use kazasu_health::identity::{RecordIdentity, match_identity, normalise};
use kazasu_health::{AgencyCode, FacilityCode, InsuranceSex, InsurerNumber, PatientCardNumber};
use kazasu_pki::{BirthDate, PersonalData, Sex};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(n) = InsurerNumber::new(text) {
        // What validates re-validates in both of its written forms.
        assert!(InsurerNumber::new(&n.padded()).is_ok());
        assert!(InsurerNumber::new(n.as_str()).is_ok());
        assert_eq!(n.padded().len(), 8);
    }
    let _ = InsuranceSex::from_code(text);
    let _ = AgencyCode::new(text);
    let _ = FacilityCode::new(text);
    let _ = PatientCardNumber::new(text);
    let normalised = normalise(text);
    assert!(!normalised.chars().any(char::is_whitespace));
    let mut middle = text.len() / 2;
    while !text.is_char_boundary(middle) {
        middle -= 1;
    }
    let (name, rest) = text.split_at(middle);
    if let Ok(birth) = BirthDate::parse("319850412") {
        let card = PersonalData {
            name: name.to_owned(),
            name_substitute: String::new(),
            sex: Sex::Female,
            birth_date: birth,
            address: rest.to_owned(),
            address_substitute: String::new(),
        };
        let record = RecordIdentity {
            name: rest,
            birth_date: birth.date,
            sex: InsuranceSex::Female,
            address: Some(name),
        };
        let _ = match_identity(&card, &record);
    }
});
