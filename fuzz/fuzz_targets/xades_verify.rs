#![no_main]
//! Arbitrary bytes as an e-prescription: a typed error or a report, never a panic or a hang; and
//! whatever parses canonicalises to bytes that parse and canonicalise to themselves.

use std::sync::OnceLock;

use kazasu_pki::{Certificate, HpkiVerifier, Purpose, TrustStore};
use kazasu_sign::xades::XadesVerifier;
use kazasu_sign::xades::xml::{self, C14n};
use kazasu_virtual_card::pki::HpkiTestPki;
use kazasu_virtual_card::pki::services::TestTsa;
use libfuzzer_sys::fuzz_target;

fn verifier() -> &'static XadesVerifier {
    static V: OnceLock<XadesVerifier> = OnceLock::new();
    V.get_or_init(|| {
        let pki = HpkiTestPki::new().expect("test PKI");
        let root = Certificate::from_der(&pki.root().der).expect("root");
        let tsa = Certificate::from_der(&TestTsa::new().expect("TSA").root).expect("TSA root");
        XadesVerifier::new(HpkiVerifier::with_trust(
            TrustStore::new().with_for(root, Purpose::HPKI),
        ))
        .with_tsa_trust([tsa])
    })
}

fuzz_target!(|data: &[u8]| {
    if let Ok(report) = verifier().verify(data) {
        if report.verdict.is_valid() {
            assert!(!report.signatures.is_empty());
        }
    }
    if let Ok(doc) = xml::parse(data) {
        for uri in [C14n::EXCLUSIVE, C14n::INCLUSIVE_WITH_COMMENTS] {
            let c14n = C14n::from_uri(uri, None).expect("known URI");
            if let Ok(once) = c14n.document(&doc) {
                let again = xml::parse(&once).expect("canonical XML parses");
                assert_eq!(c14n.document(&again).expect("canonicalises again"), once);
            }
        }
    }
});
