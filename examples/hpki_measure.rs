//! Writes the virtual card's HPKI test chain (root, signature CA, a Medical Doctor's signature
//! certificate, the CA's CRL and the root's SARL and RARL, current at `--at` below) as PEM into a directory,
//! for `benches/hpki-ratios.sh`, which times `kazasu hpki verify` against `openssl verify -crl_check`,
//! and `scripts/judges.sh`, where openssl judges the chain. A second holder, `holder-revoked.pem`,
//! is listed on the CA's CRL.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use kazasu_virtual_card::pki::{
    ArlKind, CrlSpec, HpkiAp, HpkiHolder, HpkiTestPki, IdpScope, RevokedEntry,
};

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
    let revoked_holder = HpkiHolder::from_seed(7);
    let revoked = pki.issue(&revoked_holder).unwrap();
    let spec = CrlSpec::valid_at(at);
    let ca_spec = CrlSpec::valid_at(at).revoke(RevokedEntry::from_bytes(
        &revoked_holder.serial_for(HpkiAp::Signature).to_be_bytes(),
        at - kazasu_pki::time::Duration::days(3),
    ));
    let files = [
        ("root.pem", "CERTIFICATE", pki.root().der.clone()),
        (
            "ca.pem",
            "CERTIFICATE",
            pki.ca(HpkiAp::Signature).der.clone(),
        ),
        ("holder.pem", "CERTIFICATE", holder.sign_certificate),
        (
            "holder-revoked.pem",
            "CERTIFICATE",
            revoked.sign_certificate,
        ),
        (
            "ca-crl.pem",
            "X509 CRL",
            pki.ca_crl(HpkiAp::Signature, &ca_spec).unwrap(),
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
