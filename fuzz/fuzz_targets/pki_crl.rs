#![no_main]
//! Arbitrary bytes as a DER CRL: parse and index, look serials up, check it against a root.

use std::sync::OnceLock;

use kazasu_pki::time::OffsetDateTime;
use kazasu_pki::{Crl, CrlSet, RevocationQuery, RevocationSource, TrustStore};
use libfuzzer_sys::fuzz_target;

fn roots() -> &'static TrustStore {
    static T: OnceLock<TrustStore> = OnceLock::new();
    T.get_or_init(|| TrustStore::jlis().expect("built-in roots parse"))
}

fuzz_target!(|data: &[u8]| {
    let Ok(crl) = Crl::from_der(data) else {
        return;
    };
    let _ = (
        crl.issuer(),
        crl.len(),
        crl.this_update(),
        crl.next_update(),
        crl.crl_number(),
        crl.unsupported_critical_entry_extension(),
    );
    // Serials taken from the input itself, of every length up to 24 octets.
    for len in 0..=data.len().min(24) {
        let serial = &data[..len];
        if let Ok(Some(entry)) = crl.lookup(serial) {
            let _ = (entry.serial_hex(), entry.reason.map(|r| r.to_string()));
        }
        let _ = crl.contains(serial);
    }
    let root = &roots().anchors()[0];
    let _ = crl.verify_signature(root, true);
    let set = CrlSet::new().with(crl);
    let at = OffsetDateTime::from_unix_timestamp(1_767_225_600).expect("constant");
    let _ = set.status(&RevocationQuery::new(root, root, at));
});
