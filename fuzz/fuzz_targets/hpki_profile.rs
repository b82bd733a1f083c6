#![no_main]
//! Arbitrary bytes as an HPKI holder certificate through the whole qualification check (shipped
//! MHLW anchor and MEDIS/JMA intermediates, no revocation source): a named rejection or a
//! qualification, never a panic.

use kazasu_pki::{Certificate, HcRole, HpkiVerifier};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(cert) = Certificate::from_der(data) else {
        return;
    };
    let _ = cert.hc_actors();
    let _ = (cert.alt_name_common_name(), cert.subject_serial_number());
    let Ok(verifier) = HpkiVerifier::new() else {
        return;
    };
    let at = kazasu_pki::time::OffsetDateTime::UNIX_EPOCH + kazasu_pki::time::Duration::days(20_000);
    if let Err(r) = verifier.verify_qualification(&cert, &[], at, &[HcRole::MedicalDoctor]) {
        assert!(!r.code().is_empty());
    }
});
