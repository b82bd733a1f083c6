//! HPKI: parse the hcRole of a subjectDirectoryAttributes value; verify a qualification (path
//! root → CA → holder, the CA's CRL and the root's ARL, role). `benches/hpki-ratios.sh` sets the
//! verification against `openssl verify -crl_check_all` on the same chain.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use kazasu_pki::time::OffsetDateTime;
use kazasu_pki::{
    Certificate, Crl, CrlSet, HcRole, HpkiVerifier, Purpose, TrustStore,
    parse_subject_directory_attributes,
};
use kazasu_virtual_card::pki::{ArlKind, CrlSpec, HpkiAp, HpkiHolder, HpkiTestPki, IdpScope};

/// The real subjectDirectoryAttributes value of a Medical Doctor's certificate.
const MEDICAL_DOCTOR: &[u8] = b"\x30\x34\x30\x32\x06\x06\x28\x81\x85\x42\x00\x01\x31\x28\x31\x26\x30\x24\xA0\x22\x31\x20\xA0\x0C\x06\x0A\x2A\x83\x08\x86\x91\x0F\x01\x06\x01\x01\xA2\x10\x0C\x0EMedical Doctor";

fn hpki(c: &mut Criterion) {
    c.bench_function("hcRole parse (Medical Doctor)", |b| {
        b.iter(|| parse_subject_directory_attributes(black_box(MEDICAL_DOCTOR)).unwrap())
    });

    let at = OffsetDateTime::from_unix_timestamp(1_780_272_000).unwrap();
    let pki = HpkiTestPki::new().unwrap();
    let holder = pki.issue(&HpkiHolder::sample()).unwrap();
    let spec = CrlSpec::valid_at(at);
    let root = Certificate::from_der(&pki.root().der).unwrap();
    let ca = Certificate::from_der(&pki.ca(HpkiAp::Signature).der).unwrap();
    let crls = CrlSet::new()
        .with(Crl::from_der(&pki.ca_crl(HpkiAp::Signature, &spec).unwrap()).unwrap())
        .with(
            Crl::from_der(
                &pki.arl(ArlKind::Sarl, &spec, IdpScope::OnlyCaCerts)
                    .unwrap(),
            )
            .unwrap(),
        );
    let verifier = HpkiVerifier::with_trust(TrustStore::new().with_for(root, Purpose::HPKI))
        .with_revocation(crls);
    let intermediates = [ca];
    let der = holder.sign_certificate;
    c.bench_function(
        "HPKI qualification (parse + path + CRL + ARL + role)",
        |b| {
            b.iter(|| {
                let cert = Certificate::from_der(black_box(&der)).unwrap();
                verifier
                    .verify_qualification(&cert, &intermediates, at, &[HcRole::MedicalDoctor])
                    .unwrap()
            })
        },
    );
}

criterion_group!(benches, hpki);
criterion_main!(benches);
