//! Gate checks per second: one touch = parse and check the bound message, the nonce, the path to
//! the test root with revocation from current CRLs, the RSA-2048 signature, then the atomic
//! admission in the ticket store. Signing (the card's work) happens in the untimed setup.
//! `cargo bench -p kazasu-auth --bench gate`; criterion prints the rate as `thrpt` (elem/s).
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::sync::Arc;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use kazasu_auth::{
    AssertionPurpose, BoundAssertion, BoundMessage, Gate, MemoryTicketStore, RelyingParty,
    TicketStore,
};
use kazasu_pki::time::{Duration, OffsetDateTime};
use kazasu_pki::{Certificate, Crl, CrlSet, MemoryChallengeStore, TrustStore, Verifier};
use kazasu_virtual_card::pki::{
    CrlSpec, Generation, IssueSpec, Persona, Purpose as VcPurpose, SignatureAlgorithm, TestPki,
};

const RP: &str = "tickets.example";
const ORIGIN: &str = "https://tickets.example";
const EVENT: &str = "budokan-2026-01-01";

fn at() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_767_225_600).unwrap() // 2026-01-01T00:00:00Z
}

fn gate(c: &mut Criterion) {
    let pki = TestPki::new(0).unwrap();
    let holder = pki
        .issue(&Persona::sample(), &IssueSpec::default())
        .unwrap();
    let cert = Certificate::from_der(&holder.auth_certificate).unwrap();
    let trust = TrustStore::from_certificates(
        pki.roots()
            .iter()
            .map(|r| Certificate::from_der(&r.der).unwrap()),
    );
    let mut crls = CrlSet::new();
    for p in VcPurpose::ALL {
        for g in Generation::ALL {
            crls.add(Crl::from_der_vec(pki.crl(p, g, &CrlSpec::valid_at(at())).unwrap()).unwrap());
        }
    }
    let verifier = Verifier::new(trust).with_revocation(crls);
    let nonces = Arc::new(MemoryChallengeStore::with_capacity(
        Duration::minutes(5),
        10_000_000,
    ));
    let rp = RelyingParty::new(RP, &[ORIGIN], verifier, nonces).unwrap();
    let id = cert.id().unwrap();

    let mut group = c.benchmark_group("auth");
    group.throughput(Throughput::Elements(1));
    group.sample_size(20);
    group.measurement_time(std::time::Duration::from_secs(3));
    group.bench_function("gate check (online, bound assertion, admit once)", |b| {
        b.iter_batched(
            || {
                // A fresh ticket store with the card's ticket, and a touch signed over a new nonce.
                let store = Arc::new(MemoryTicketStore::new());
                store.bind(EVENT, &id).unwrap();
                let gate = Gate::new("east-1", EVENT, rp.clone(), store);
                let nonce = gate.issue_nonce(at()).unwrap();
                let message = BoundMessage::new(RP, ORIGIN, AssertionPurpose::Ticket, &nonce, at())
                    .unwrap()
                    .encode();
                let signature = SignatureAlgorithm::Sha256WithRsa
                    .sign(&holder.auth_key, &message)
                    .unwrap();
                (gate, BoundAssertion::new(cert.clone(), message, signature))
            },
            |(gate, touch)| black_box(gate.check(&touch, at()).unwrap()),
            BatchSize::SmallInput,
        );
    });
    group.finish();
}

criterion_group!(benches, gate);
criterion_main!(benches);
