#![no_main]
//! Arbitrary bytes as a subjectAltName with JPKI personal data, and as its text fields.

use kazasu_pki::{BirthDate, CertificateId, LegacyCertificateId, PersonalData, Sex};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(p) = PersonalData::from_subject_alt_name(data) {
        // What decodes re-encodes to the same birth date text.
        assert_eq!(
            BirthDate::parse(&p.birth_date.jpki_form()),
            Ok(p.birth_date)
        );
        let _ = (
            p.birth_date.era_matches_date(),
            p.birth_date.era_year(),
            p.sex.name_ja(),
        );
    }
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(b) = BirthDate::parse(text) {
            assert_eq!(b.jpki_form(), text);
        }
        let _ = Sex::from_code(text);
        if let Ok(id) = text.parse::<CertificateId>() {
            // Canonical: what parses prints back as the same text, and is never a legacy id.
            assert_eq!(id.to_string(), text);
            assert!(text.parse::<LegacyCertificateId>().is_err());
        }
        if let Ok(id) = text.parse::<LegacyCertificateId>() {
            assert_eq!(id.to_string().parse::<LegacyCertificateId>().ok(), Some(id));
        }
    }
});
