//! A downstream application's first hour with kazasu, needing no crate it did not ask for:
//!
//! 1. read a card's authentication certificate and hand it to the verifier;
//! 2. verify an authentication assertion (the card signs a single-use challenge with the PIN);
//! 3. run an online eligibility confirmation against a store of the insurer's data.
//!
//! The card is the built-in virtual card and its test PKI (a clinic would open a reader with the
//! `pcsc` feature instead). Run: `cargo run -p kazasu-downstream-example`.
#![allow(clippy::print_stdout)]

use std::error::Error;
use std::sync::Arc;

use kazasu::card::{AuthPin, HashAlgorithm, Jpki, LastTry};
use kazasu::health::{
    AgencyCode, EligibilityService, EligibilityStore, FacilityCode, IdentityCheck, InsuranceSex,
    InsurerNumber, MemoryCardLinks, Person, Qualification, SqliteStore, TrustedLinkImport,
    VerificationSetup, present_card,
};
use kazasu::pki::time::{Date, Month, OffsetDateTime};
use kazasu::pki::{
    AuthAssertion, Certificate, ChallengeStore, CrlSet, MemoryChallengeStore, Purpose, TrustStore,
    Verifier,
};
use kazasu::virtual_card::VirtualTransport;
use kazasu::virtual_card::pki::TestPki;
use kazasu::virtual_card::{VirtualCardBuilder, pki::PersonaBuilder};

fn main() -> Result<(), Box<dyn Error>> {
    let at = OffsetDateTime::from_unix_timestamp(1_795_654_800)?; // 2026-11-26T10:00:00+09:00
    let card = VirtualTransport::new(VirtualCardBuilder::new(0).build()?.card);
    let pin = AuthPin::new("1234")?;

    // What the verifier trusts: the test PKI's roots and current CRLs (the J-LIS roots and CRLs in
    // production: `Verifier::jlis()`).
    let material = TestPki::new(0)?.verification_material(at)?;
    let verifier = Verifier::new(TrustStore::from_der_all(&material.roots)?)
        .with_revocation(CrlSet::from_der_all(&material.crls)?);

    // 1. The certificate, straight from the card into the verifier.
    let mut jpki = Jpki::open(card.clone())?;
    let certificate = Certificate::try_from(jpki.read_auth_certificate()?.as_ref())?;
    let path = verifier.validate(&certificate, Purpose::Authentication, at)?;
    println!(
        "1. certificate {} valid, issued by {}",
        path.leaf_id(),
        path.anchor().subject()
    );

    // 2. An assertion over a single-use challenge, signed by the card with the PIN.
    let challenges = MemoryChallengeStore::new(kazasu::pki::time::Duration::minutes(5));
    let challenge = challenges.issue(at)?;
    let signature =
        jpki.sign_message_with_auth_key(&pin, HashAlgorithm::Sha256, &challenge, LastTry::Refuse)?;
    let assertion = AuthAssertion::new(certificate.clone(), challenge, signature.into_bytes());
    let verified = verifier.verify_assertion(&assertion, &challenges, at)?;
    println!(
        "2. assertion verified for {} (a replay would be refused)",
        verified.id
    );

    // 3. Eligibility: the insurer's record of the card holder, linked to the card by the
    //    insurer's feed, then a confirmation at the reader.
    let setup = VerificationSetup::from_der(&material.roots, &material.crls)?;
    let service = EligibilityService::new(
        setup,
        SqliteStore::in_memory()?,
        Arc::new(MemoryCardLinks::new()),
    );
    let persona = PersonaBuilder::from_seed(0).build()?;
    let agency = AgencyCode::new("AGC0000000000001")?;
    let person = Person::new(
        agency.clone(),
        persona.name.replace(' ', "\u{3000}"),
        "ﾔﾏﾀﾞ ﾊﾅｺ",
        InsuranceSex::Female,
        InsuranceSex::Female,
        persona.birth_date,
    );
    let qualification = Qualification::new(
        InsurerNumber::new("06139992")?,
        "12",
        "3456",
        "00",
        Date::from_calendar_date(2020, Month::April, 1)?,
    );
    service.store().put_person(&person, &[qualification])?;
    service.import_trusted_links(
        &TrustedLinkImport::from_trusted_feed("insurer feed", vec![(verified.id, agency)]),
        at,
    )?;
    let challenge = service.issue_challenge(at)?;
    let (presented, stats) = present_card(
        card,
        &challenge,
        IdentityCheck::Pin {
            pin: &pin,
            last_try: LastTry::Refuse,
        },
    )?;
    let answer = service.confirm(&FacilityCode::new("1310000019")?, &presented, at)?;
    let result = answer.result_list.first().ok_or("no result")?;
    println!(
        "3. QualificationValidity {} for {} (insurer {}), {} APDUs at the reader",
        answer.qualification_validity.map_or("?", |v| v.code()),
        result.name,
        result.insurer_number,
        stats.commands
    );
    Ok(())
}
