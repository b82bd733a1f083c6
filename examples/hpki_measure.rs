//! Writes the virtual card's HPKI test chain (root, signature CA, a Medical Doctor's signature
//! certificate, the CA's CRL and the root's SARL and RARL, current at `--at` below) as PEM into a directory,
//! for `benches/hpki-ratios.sh`, which times `kazasu hpki verify` against `openssl verify -crl_check`.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use kazasu_virtual_card::pki::{ArlKind, CrlSpec, HpkiAp, HpkiHolder, HpkiTestPki, IdpScope};

/// 2026-06-01T00:00:00Z, the time the script verifies at.
const AT: i64 = 1_780_272_000;

fn pem(label: &'static str, der: &[u8]) -> String {
    kazasu_pki::pem::encode(label, der).unwrap()
}

fn main() {
    let dir = std::env::args().nth(1).expect("usage: hpki_measure DIR");
    let at = kazasu_pki::time::OffsetDateTime::from_unix_timestamp(AT).unwrap();
    let pki = HpkiTestPki::new().unwrap();
    let holder = pki.issue(&HpkiHolder::sample()).unwrap();
    let spec = CrlSpec::valid_at(at);
    let files = [
        ("root.pem", "CERTIFICATE", pki.root().der.clone()),
        (
            "ca.pem",
            "CERTIFICATE",
            pki.ca(HpkiAp::Signature).der.clone(),
        ),
        ("holder.pem", "CERTIFICATE", holder.sign_certificate),
        (
            "ca-crl.pem",
            "X509 CRL",
            pki.ca_crl(HpkiAp::Signature, &spec).unwrap(),
        ),
        (
            "sarl.pem",
            "X509 CRL",
            pki.arl(ArlKind::Sarl, &spec, IdpScope::OnlyCaCerts)
                .unwrap(),
        ),
        (
            "rarl.pem",
            "X509 CRL",
            pki.arl(ArlKind::Rarl, &spec, IdpScope::OnlyCaCerts)
                .unwrap(),
        ),
    ];
    for (name, label, der) in files {
        std::fs::write(format!("{dir}/{name}"), pem(label, &der)).unwrap();
    }
}
