//! Real-time loss of status at national scale: a 1,000,000-entry JPKI CRL against 300,000 linkages.
//!
//! `revoked_by` looks each linkage certificate of the CRL's issuer up in the CRL's serial index;
//! 1,000 of the linkages are listed. The index over the linkages is built once per check
//! (`index 300k linkages`) and the CRL parsed and indexed once when it arrives (not measured here:
//! `kazasu-pki`'s benches cover CRL parsing).
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use kazasu_health::qualification::{LinkageId, LinkageIndex};
use kazasu_pki::{CertificateId, Crl};
use kazasu_virtual_card::pki::{CrlSpec, GeneratedRevocations, Generation, Purpose, TestPki};
use time::macros::datetime;

const CRL_ENTRIES: usize = 1_000_000;
const LINKAGES: u64 = 300_000;
const LISTED: u64 = 1_000;
const FIRST_REVOKED: u64 = 0x0100_0000;

fn suspension(c: &mut Criterion) {
    let at = datetime!(2026-11-26 10:00 +09:00);
    let pki = TestPki::new(0).unwrap();
    let sign_root =
        kazasu_pki::Certificate::from_der(&pki.root(Purpose::Signature, Generation::G2023).der)
            .unwrap();
    let auth_root = kazasu_pki::Certificate::from_der(
        &pki.root(Purpose::Authentication, Generation::G2023).der,
    )
    .unwrap();
    let mut spec = CrlSpec::valid_at(at);
    spec.generated = Some(GeneratedRevocations {
        count: CRL_ENTRIES,
        first_serial: FIRST_REVOKED,
        seed: 7,
    });
    let crl = Crl::from_der_vec(
        pki.crl(Purpose::Signature, Generation::G2023, &spec)
            .unwrap(),
    )
    .unwrap();
    assert_eq!(crl.len(), CRL_ENTRIES);
    // 1,000 linkages whose signature certificate is listed, spread over the CRL; the rest not.
    let ids: Vec<(LinkageId, CertificateId, CertificateId)> = (0..LINKAGES)
        .map(|i| {
            let serial = if i < LISTED {
                FIRST_REVOKED + i * (CRL_ENTRIES as u64 / LISTED)
            } else {
                0x4000_0000 + i
            };
            let sign = CertificateId::new(sign_root.key_id(), &serial.to_be_bytes()).unwrap();
            let auth =
                CertificateId::new(auth_root.key_id(), &(0x8000_0000 + i).to_be_bytes()).unwrap();
            (LinkageId::for_signature_certificate(&sign), sign, auth)
        })
        .collect();
    let index = LinkageIndex::from_certificates(ids.iter().map(|(l, s, a)| (l.clone(), s, a)));
    let hits = index.revoked_by(&crl, sign_root.key_id()).unwrap();
    assert_eq!(hits.len() as u64, LISTED);

    let mut group = c.benchmark_group("suspension");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(10));
    group.bench_function("1M-entry CRL against 300k linkages", |b| {
        b.iter(|| {
            black_box(
                index
                    .revoked_by(black_box(&crl), sign_root.key_id())
                    .unwrap(),
            )
        })
    });
    group.bench_function("index 300k linkages", |b| {
        b.iter(|| {
            black_box(LinkageIndex::from_certificates(
                ids.iter().map(|(l, s, a)| (l.clone(), s, a)),
            ))
        })
    });
    group.finish();
}

criterion_group!(benches, suspension);
criterion_main!(benches);
