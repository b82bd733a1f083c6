#![no_main]
//! Arbitrary bytes as a CMS signature: parse, then verify with JPKI and TSA trust, over content
//! taken from the input (attached and detached paths both run).

use std::sync::OnceLock;

use kazasu_pki::{TrustStore, Verifier};
use kazasu_sign::cms::{CmsVerifier, ParsedSignedData};
use libfuzzer_sys::fuzz_target;

fn verifier() -> &'static CmsVerifier {
    static V: OnceLock<CmsVerifier> = OnceLock::new();
    V.get_or_init(|| {
        let roots = TrustStore::jlis().expect("built-in roots parse");
        let tsa = roots.anchors().to_vec();
        CmsVerifier::new()
            .with_jpki(Verifier::new(roots))
            .with_tsa(tsa)
            .at(kazasu_pki::time::OffsetDateTime::from_unix_timestamp(1_767_225_600).expect("constant"))
    })
}

fuzz_target!(|data: &[u8]| {
    if let Ok(parsed) = ParsedSignedData::from_der(data) {
        for info in parsed.signer_infos() {
            let _ = parsed.signer_certificate(info);
        }
    }
    let report = verifier().verify(data, None);
    let _ = (report.verdict(), serde_json::to_string(&report));
    let content = &data[..data.len().min(64)];
    let _ = verifier().verify(data, Some(content)).verdict();
    let _ = verifier().verify_all(data, Some(content));
});
