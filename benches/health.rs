//! The service side of a full eligibility confirmation: challenge, assertion verification (path,
//! revocation, signature, single-use challenge), the person lookup and the answer.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use criterion::{Criterion, criterion_group, criterion_main};
use kazasu_card::{AuthPin, HashAlgorithm, Jpki, LastTry, SignPassword};
use kazasu_health::sandbox::{Sandbox, person_record};
use kazasu_health::{
    AgencyCode, EligibilityService, EligibilityStore, Presentation, SqliteStore, prove_card_holder,
};
use kazasu_pki::{AuthAssertion, Certificate};
use kazasu_virtual_card::VirtualTransport;
use kazasu_virtual_card::pki::{IssueSpec, PersonaBuilder};
use std::hint::black_box;
use time::macros::datetime;

fn confirm(c: &mut Criterion) {
    let at = datetime!(2026-11-26 10:00 +09:00);
    let sandbox = Sandbox::new(0, at, &[]).unwrap();
    let persona = PersonaBuilder::from_seed(0).build().unwrap();
    let agency = AgencyCode::new("AGC0000000000001").unwrap();
    let service = EligibilityService::new(
        sandbox.setup.clone(),
        SqliteStore::in_memory().unwrap(),
        sandbox.card_links.clone(),
    );
    let (person, q) = person_record(&persona, &agency, at.date()).unwrap();
    service.store().put_person(&person, &q).unwrap();
    let card = VirtualTransport::new(sandbox.card(&persona, IssueSpec::default()).unwrap().card);
    let pin = AuthPin::new("1234").unwrap();
    let (proof, _) = prove_card_holder(
        card.clone(),
        &service.issue_challenge(at).unwrap(),
        &pin,
        &SignPassword::new("ABC123").unwrap(),
        LastTry::Refuse,
    )
    .unwrap();
    service.enrol(&agency, &proof, at).unwrap();
    let mut jpki = Jpki::open(card).unwrap();
    let certificate =
        Certificate::from_der(jpki.read_auth_certificate().unwrap().as_der()).unwrap();
    let mut sign = |challenge: &[u8]| {
        let sig = jpki
            .sign_message_with_auth_key(&pin, HashAlgorithm::Sha256, challenge, LastTry::Refuse)
            .unwrap();
        AuthAssertion::new(certificate.clone(), challenge.to_vec(), sig.into_bytes())
    };
    let facility = sandbox.facility().unwrap();
    // Cards sign outside the measured loop: a pool of fresh assertions, one per iteration.
    c.bench_function("health/eligibility confirmation, service side", |b| {
        b.iter_batched(
            || Presentation::Assertion(sign(&service.issue_challenge(at).unwrap())),
            |p| black_box(service.confirm(&facility, &p, at).unwrap()),
            criterion::BatchSize::SmallInput,
        )
    });
}

criterion_group!(benches, confirm);
criterion_main!(benches);
