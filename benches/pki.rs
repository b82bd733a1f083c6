//! kazasu-pki: parse a certificate, validate a path, verify an authentication assertion, parse and
//! index a 1,000,000-entry CRL, look a serial up. `benches/pki-ratios.sh` sets these against OpenSSL.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use kazasu_pki::time::{Duration, OffsetDateTime};
use kazasu_pki::{
    AuthAssertion, Certificate, Crl, CrlSet, MemoryChallengeStore, Purpose, TrustStore, Verifier,
};
use kazasu_virtual_card::pki::{
    CrlSpec, GeneratedRevocations, Generation, IssueSpec, Persona, Purpose as VcPurpose,
    SignatureAlgorithm, TestPki,
};

const ENTRIES: usize = 1_000_000;
const FIRST_SERIAL: u64 = 0x0100_0000_0000_0000;

fn at() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_767_225_600).unwrap() // 2026-01-01T00:00:00Z
}

fn big_crl(pki: &TestPki) -> Vec<u8> {
    let spec = CrlSpec {
        generated: Some(GeneratedRevocations {
            count: ENTRIES,
            first_serial: FIRST_SERIAL,
            seed: 1,
        }),
        ..CrlSpec::valid_at(at())
    };
    pki.crl(VcPurpose::Authentication, Generation::G2023, &spec)
        .unwrap()
}

fn pki(c: &mut Criterion) {
    let pki = TestPki::new(0).unwrap();
    let holder = pki
        .issue(&Persona::sample(), &IssueSpec::default())
        .unwrap();
    let trust = TrustStore::from_certificates(
        pki.roots()
            .iter()
            .map(|r| Certificate::from_der(&r.der).unwrap()),
    );
    let crl_der = big_crl(&pki);
    let verifier =
        Verifier::new(trust).with_revocation(CrlSet::new().with(Crl::from_der(&crl_der).unwrap()));
    let cert = Certificate::from_der(&holder.auth_certificate).unwrap();
    // Warm the CRL signature cache so the path benchmark measures the per-request work.
    verifier
        .validate(&cert, Purpose::Authentication, at())
        .unwrap();

    let backend = if cfg!(feature = "pki-aws-lc") {
        "aws-lc"
    } else {
        "rsa"
    };
    let mut g = c.benchmark_group(format!("pki ({backend})"));
    g.bench_function("parse a certificate", |b| {
        b.iter(|| Certificate::from_der(black_box(&holder.auth_certificate)).unwrap())
    });
    g.bench_function("validate a path (auth, 1M-entry CRL)", |b| {
        b.iter(|| {
            let cert = Certificate::from_der(&holder.auth_certificate).unwrap();
            verifier
                .validate(&cert, Purpose::Authentication, at())
                .unwrap()
        })
    });
    let store = MemoryChallengeStore::new(Duration::minutes(5));
    let challenge = vec![0x5Au8; 32];
    let signature = SignatureAlgorithm::Sha256WithRsa
        .sign(&holder.auth_key, &challenge)
        .unwrap();
    g.bench_function("verify an AuthAssertion (from bytes)", |b| {
        b.iter(|| {
            store.insert(challenge.clone(), at()).unwrap();
            let a = AuthAssertion::from_parts(&holder.auth_certificate, &challenge, &signature)
                .unwrap();
            verifier.verify_assertion(&a, &store, at()).unwrap()
        })
    });
    // First time: cards the verifier has not seen (8 distinct certificates in turn, a path cache of
    // one entry, so every assertion misses). Repeat: one card, path cache on.
    let cards: Vec<(Vec<u8>, Vec<u8>)> = (0..8u64)
        .map(|n| {
            let spec = IssueSpec {
                key_slot: usize::try_from(n).unwrap(),
                serial: Some(0x6000_0000 + 2 * n),
                ..IssueSpec::default()
            };
            let h = pki.issue(&Persona::sample(), &spec).unwrap();
            let sig = SignatureAlgorithm::Sha256WithRsa
                .sign(&h.auth_key, &challenge)
                .unwrap();
            (h.auth_certificate, sig)
        })
        .collect();
    let first = verifier.clone().with_path_cache(1);
    let mut next = 0usize;
    g.bench_function(
        "verify an AuthAssertion, first time (path cache misses)",
        |b| {
            b.iter(|| {
                let (der, sig) = &cards[next % cards.len()];
                next += 1;
                store.insert(challenge.clone(), at()).unwrap();
                let a = AuthAssertion::from_parts(der, &challenge, sig).unwrap();
                first.verify_assertion(&a, &store, at()).unwrap()
            })
        },
    );
    let repeat = verifier.clone().with_path_cache(1024);
    g.bench_function(
        "verify an AuthAssertion, repeat card (path cache hit)",
        |b| {
            b.iter(|| {
                store.insert(challenge.clone(), at()).unwrap();
                let a = AuthAssertion::from_parts(&holder.auth_certificate, &challenge, &signature)
                    .unwrap();
                repeat.verify_assertion(&a, &store, at()).unwrap()
            })
        },
    );
    let crl = Crl::from_der(&crl_der).unwrap();
    let mut i = 0u64;
    g.bench_function("look a serial up (1M-entry CRL)", |b| {
        b.iter(|| {
            i = (i + 7919) % (2 * ENTRIES as u64);
            crl.contains(black_box(&(FIRST_SERIAL + i).to_be_bytes()))
        })
    });
    g.sample_size(10);
    g.bench_function("parse and index a 1,000,000-entry CRL", |b| {
        b.iter_batched(
            || crl_der.clone(),
            |der| Crl::from_der_vec(der).unwrap(),
            criterion::BatchSize::LargeInput,
        )
    });
    g.finish();
}

criterion_group!(benches, pki);
criterion_main!(benches);
