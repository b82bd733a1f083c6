#![no_main]
//! Arbitrary bytes as PEM (or DER): armour, base64, labels, several blocks.

use kazasu_pki::{Certificate, Crl, pem};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(blocks) = pem::decode_blocks(data) {
        for (label, der) in blocks {
            assert!(!label.contains("-----"));
            let _ = Certificate::from_der(&der);
        }
    }
    let _ = pem::sniff(data);
    let _ = Certificate::parse_all(data);
    let _ = Certificate::parse(data);
    let _ = Crl::parse(data);
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = Certificate::from_pem(text);
        let _ = Crl::from_pem(text);
    }
});
