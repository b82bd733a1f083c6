#![no_main]
//! Arbitrary bytes as a subjectDirectoryAttributes value and as one hcRole attribute: an error or
//! actors, never a panic; every actor has a non-empty role string.

use kazasu_pki::{HcRole, parse_hc_role_attribute, parse_subject_directory_attributes};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(actors) = parse_subject_directory_attributes(data) {
        for a in &actors {
            assert!(!a.role.as_str().is_empty());
            assert_eq!(HcRole::from_text(a.role.as_str()), a.role);
        }
    }
    let _ = parse_hc_role_attribute(data);
});
