#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Properties of the hcRole parser: what the virtual card's encoder writes parses back to the same
//! roles; any byte string is an error or actors, never a panic; truncations never parse.

use kazasu_pki::{HcRole, parse_subject_directory_attributes};
use kazasu_virtual_card::pki as vc;
use proptest::prelude::*;

fn role_text() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("Medical Doctor".to_owned()),
        Just("Dentist".to_owned()),
        Just("Pharmacist".to_owned()),
        Just("Director of Hospital".to_owned()),
        Just("Director of Clinic".to_owned()),
        "[A-Za-z][A-Za-z ]{0,40}",
        "[ぁ-ん]{1,10}",
    ]
}

proptest! {
    #[test]
    fn encoded_roles_parse_back(roles in prop::collection::vec(role_text(), 1..5)) {
        let refs: Vec<&str> = roles.iter().map(String::as_str).collect();
        let der = vc::hc_role_extension_value(vc::oids::HPKI_ROLE_CODING_SCHEME, &refs).unwrap();
        let actors = parse_subject_directory_attributes(&der).unwrap();
        // SET OF: DER sorts the actors, so compare as multisets.
        let mut got: Vec<String> = actors.into_iter().map(|a| a.role.to_string()).collect();
        let mut want: Vec<String> = roles.iter().map(|r| HcRole::from_text(r).to_string()).collect();
        got.sort();
        want.sort();
        prop_assert_eq!(got, want);
        for n in 0..der.len() {
            prop_assert!(parse_subject_directory_attributes(&der[..n]).is_err());
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(data in prop::collection::vec(any::<u8>(), 0..256)) {
        let _ = parse_subject_directory_attributes(&data);
    }

    #[test]
    fn one_flipped_byte_never_panics(
        roles in prop::collection::vec(role_text(), 1..3),
        at in any::<prop::sample::Index>(),
        x in any::<u8>(),
    ) {
        let refs: Vec<&str> = roles.iter().map(String::as_str).collect();
        let mut der = vc::hc_role_extension_value(vc::oids::HPKI_ROLE_CODING_SCHEME, &refs).unwrap();
        let i = at.index(der.len());
        der[i] ^= x;
        if let Ok(actors) = parse_subject_directory_attributes(&der) {
            prop_assert!(actors.iter().all(|a| !a.role.as_str().is_empty()));
        }
    }
}
