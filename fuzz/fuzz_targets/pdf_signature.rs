#![no_main]
//! Arbitrary bytes as a signed PDF: find every signature in every revision, check its ByteRange,
//! describe what was appended after it, and verify it with a verifier that trusts nothing.

use kazasu_sign::cms::CmsVerifier;
use kazasu_sign::pades;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(found) = pades::signatures(data) else {
        return;
    };
    for signature in &found {
        let _ = signature.signed_bytes(data);
        let _ = format!("{signature:?}");
    }
    if let Ok(report) = pades::verify_pdf(data, &CmsVerifier::new()) {
        let _ = (report.verdict(), report.to_string());
    }
});
