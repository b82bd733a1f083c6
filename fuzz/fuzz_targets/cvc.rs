#![no_main]
//! Card-verifiable certificates and key ids: never panic; a certificate that parses re-exposes
//! exactly its 297-byte body and 256-byte signature, and verifying it against an empty or a one-key
//! table gives a typed answer.

use kazasu_cvc::{CaKey, Cvc, CvcTrust, KeyId};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(cvc) = Cvc::parse(data) {
        assert_eq!(cvc.body().len(), 297);
        assert_eq!(cvc.signature().len(), 256);
        assert_eq!(&cvc.body()[..16], cvc.issuer().as_bytes());
        let _ = CvcTrust::new().verify(&cvc);
        // A table holding the certified key under the issuer's id: still a typed answer.
        let trust = CvcTrust::new()
            .allow_test_hierarchy(true)
            .with_ca(CaKey { id: cvc.issuer(), key: cvc.key().clone() });
        let _ = trust.verify(&cvc);
        let _ = trust.verify_chain(&[cvc.clone(), cvc]);
    }
    if let Some(id) = data.get(..16) {
        if let Ok(k) = KeyId::from_slice(id) {
            let again: KeyId = k.to_string().parse().unwrap();
            assert_eq!(again, k);
        }
    }
});
