//! The HPKI ↔ JPKI linkage flow end to end on the sandbox, and every refusal.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use kazasu_health::HealthError;
use kazasu_health::qualification::sandbox::{
    HpkiSandbox, JpkiEvent, desk, jpki_crls_for, jpki_signer, professionals, registry, sex_of,
};
use kazasu_health::qualification::{
    Application, JpkiRevocationCause, LinkageKey, LinkageState, LinkageStore, MemoryLinkageStore,
    MemoryRegistry, Profession, QualificationDesk, Refusal, SuspensionReason,
};
use kazasu_health::sandbox::Sandbox;
use kazasu_pki::{AuthAssertion, Certificate};
use kazasu_sign::cms::{SignOptions, sign};
use kazasu_sign::{DocumentSigner, SoftwareSigner};
use kazasu_types::HashAlgorithm;
use kazasu_virtual_card::IssuedHpkiCard;
use kazasu_virtual_card::pki::{HolderCredentials, IssueSpec, Persona, PersonaBuilder};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

const AT: OffsetDateTime = datetime!(2026-11-26 10:00 +9);

struct World {
    sandbox: Sandbox,
    hpki: HpkiSandbox,
    registry: Arc<MemoryRegistry>,
}

impl World {
    fn new() -> Self {
        Self {
            sandbox: Sandbox::new(0, AT, &[]).unwrap(),
            hpki: HpkiSandbox::new(AT).unwrap(),
            registry: Arc::new(registry(AT).unwrap()),
        }
    }

    fn desk<S: LinkageStore>(&self, store: S) -> QualificationDesk<S> {
        desk(&self.sandbox, &self.hpki, self.registry.clone(), store)
    }

    fn holder(&self, persona: &Persona) -> HolderCredentials {
        self.sandbox
            .credentials(persona, &IssueSpec::default())
            .unwrap()
    }

    fn application(&self, persona: &Persona, profession: Profession, number: &str) -> Application {
        Application::new(
            persona.name.clone(),
            "テスト",
            persona.birth_date,
            sex_of(persona),
            profession,
            number,
            "kazasu 中央病院",
        )
        .unwrap()
    }

    fn signed(&self, holder: &HolderCredentials, application: &Application) -> Vec<u8> {
        let mut signer = jpki_signer(&self.sandbox, holder).unwrap();
        let mut options = SignOptions::default();
        options.attached = true;
        options.signing_time = Some(AT);
        sign(&application.to_signed_content(), &mut signer, &options).unwrap()
    }
}

fn doctor() -> (Persona, Profession, &'static str) {
    let p = &professionals().unwrap()[0];
    (p.persona.clone(), p.profession, p.registration_number)
}

fn refusal(r: Result<impl std::fmt::Debug, HealthError>) -> Refusal {
    match r {
        Err(HealthError::Qualification(q)) => q,
        other => panic!("expected a qualification refusal, got {other:?}"),
    }
}

fn assertion(cert: &[u8], key: &rsa::PrivateKey, challenge: &[u8]) -> AuthAssertion {
    let mut s = SoftwareSigner::new(cert.to_vec(), key.clone()).unwrap();
    let sig = s
        .sign_digest(
            HashAlgorithm::Sha256,
            &HashAlgorithm::Sha256.digest(challenge),
        )
        .unwrap();
    AuthAssertion::new(
        Certificate::from_der(cert).unwrap(),
        challenge.to_vec(),
        sig,
    )
}

/// Applies and issues for the sandbox doctor.
fn active_doctor<S: LinkageStore>(
    w: &World,
    d: &QualificationDesk<S>,
) -> (
    HolderCredentials,
    IssuedHpkiCard,
    kazasu_health::qualification::Linkage,
) {
    let (persona, profession, number) = doctor();
    let holder = w.holder(&persona);
    let linkage = d
        .apply(
            &w.signed(&holder, &w.application(&persona, profession, number)),
            AT,
        )
        .unwrap();
    let card = w.hpki.issue_card(&linkage, 0).unwrap();
    let sign = Certificate::from_der(&card.credentials.sign_certificate).unwrap();
    let auth = Certificate::from_der(&card.credentials.auth_certificate).unwrap();
    let linkage = d
        .record_issuance(&linkage.id, &sign, Some(&auth), AT)
        .unwrap();
    (holder, card, linkage)
}

#[test]
fn application_links_both_jpki_certificates_and_the_person() {
    let w = World::new();
    let d = w.desk(kazasu_health::SqliteStore::in_memory().unwrap());
    let (persona, profession, number) = doctor();
    let holder = w.holder(&persona);
    let linkage = d
        .apply(
            &w.signed(&holder, &w.application(&persona, profession, number)),
            AT,
        )
        .unwrap();
    assert_eq!(linkage.state, LinkageState::Applied);
    let sign = Certificate::from_der(&holder.sign_certificate).unwrap();
    let auth = Certificate::from_der(&holder.auth_certificate).unwrap();
    assert_eq!(linkage.jpki_signature, sign.id().unwrap());
    assert_eq!(linkage.jpki_authentication, auth.id().unwrap());
    let found = d
        .store()
        .find_linkage(LinkageKey::JpkiAuthentication(&auth.id().unwrap()))
        .unwrap()
        .unwrap();
    assert_eq!(found, linkage);
}

#[test]
fn a_mismatched_application_is_refused_and_writes_nothing() {
    let w = World::new();
    let d = w.desk(MemoryLinkageStore::new());
    let (persona, profession, number) = doctor();
    let holder = w.holder(&persona);
    let mut other = w.application(&persona, profession, number);
    other.name = "山田 太郎".into();
    assert!(matches!(
        d.apply(&w.signed(&holder, &other), AT),
        Err(HealthError::Mismatch { field: "name" })
    ));
    let mut other = w.application(&persona, profession, number);
    other.birth_date += Duration::days(1);
    assert!(matches!(
        d.apply(&w.signed(&holder, &other), AT),
        Err(HealthError::Mismatch {
            field: "birth date"
        })
    ));
    assert!(d.store().linkages().unwrap().is_empty());
}

#[test]
fn substitute_characters_go_to_a_person() {
    let w = World::new();
    let registry = Arc::new(MemoryRegistry::new());
    let d = desk(&w.sandbox, &w.hpki, registry, MemoryLinkageStore::new());
    let persona = PersonaBuilder::from_seed(7)
        .name("〓田 一郎")
        .build()
        .unwrap();
    let holder = w.holder(&persona);
    let app = w.application(&persona, Profession::MedicalDoctor, "100009");
    assert!(matches!(
        d.apply(&w.signed(&holder, &app), AT),
        Err(HealthError::NeedsReview { field: "name" })
    ));
    assert!(d.store().linkages().unwrap().is_empty());
}

#[test]
fn registry_refusals_are_named() {
    let w = World::new();
    let d = w.desk(MemoryLinkageStore::new());
    let people = professionals().unwrap();
    let revoked = &people[3];
    let holder = w.holder(&revoked.persona);
    let app = w.application(
        &revoked.persona,
        revoked.profession,
        revoked.registration_number,
    );
    assert!(matches!(
        refusal(d.apply(&w.signed(&holder, &app), AT)),
        Refusal::LicenceRevoked { .. }
    ));
    let app = w.application(&revoked.persona, Profession::MedicalDoctor, "999999");
    assert!(matches!(
        refusal(d.apply(&w.signed(&holder, &app), AT)),
        Refusal::LicenceNotFound { .. }
    ));
    // Someone else's licence number, with one's own (matching) card data.
    let dentist = &people[1];
    let app = w.application(
        &revoked.persona,
        dentist.profession,
        dentist.registration_number,
    );
    assert!(matches!(
        refusal(d.apply(&w.signed(&holder, &app), AT)),
        Refusal::RegistryMismatch { field: "name" }
    ));
    assert!(d.store().linkages().unwrap().is_empty());
}

#[test]
fn signature_and_certificate_refusals_are_named() {
    let w = World::new();
    let d = w.desk(MemoryLinkageStore::new());
    let (persona, profession, number) = doctor();
    let holder = w.holder(&persona);
    let app = w.application(&persona, profession, number);
    // A flipped byte in the content.
    let mut signed = w.signed(&holder, &app);
    let content = app.to_signed_content();
    let at = signed
        .windows(content.len())
        .position(|win| win == content.as_slice())
        .unwrap();
    signed[at + 2] ^= 1;
    assert!(matches!(
        refusal(d.apply(&signed, AT)),
        Refusal::ApplicationSignature(_)
    ));
    // Signed with an HPKI card instead of the My Number Card.
    let card = kazasu_virtual_card::HpkiCardBuilder::new(0)
        .build()
        .unwrap();
    let mut hpki = SoftwareSigner::new(
        card.credentials.sign_certificate.clone(),
        card.credentials.sign_key.clone(),
    )
    .unwrap()
    .with_chain(vec![w.hpki.signature_ca()]);
    let mut options = SignOptions::default();
    options.attached = true;
    let by_hpki = sign(&content, &mut hpki, &options).unwrap();
    assert!(matches!(
        refusal(d.apply(&by_hpki, AT)),
        Refusal::NotJpkiSignature { .. }
    ));
    // Not an application.
    let mut signer = jpki_signer(&w.sandbox, &holder).unwrap();
    let junk = sign(b"{\"hello\":1}", &mut signer, &options).unwrap();
    assert!(matches!(
        refusal(d.apply(&junk, AT)),
        Refusal::ApplicationUnreadable(_)
    ));
    // A revoked signature certificate.
    let victim = PersonaBuilder::from_seed(6).build().unwrap();
    let spec = IssueSpec {
        key_slot: 2,
        ..IssueSpec::default()
    };
    let revoked = w.sandbox.credentials(&victim, &spec).unwrap();
    let crls = jpki_crls_for(
        &w.sandbox,
        &revoked,
        JpkiEvent::Death,
        AT - Duration::days(2),
        AT,
    )
    .unwrap();
    let mut setup_crls = kazasu_pki::CrlSet::new();
    for c in crls {
        setup_crls.add(c);
    }
    let mut sandbox = Sandbox::new(0, AT, &[]).unwrap();
    sandbox.setup.revocation = Arc::new(setup_crls);
    sandbox.credentials(&victim, &spec).unwrap();
    let d2 = desk(
        &sandbox,
        &w.hpki,
        w.registry.clone(),
        MemoryLinkageStore::new(),
    );
    let app = w.application(&victim, Profession::MedicalDoctor, "100001");
    assert!(matches!(
        d2.apply(&w.signed(&revoked, &app), AT),
        Err(HealthError::Rejected(kazasu_pki::Rejection::Revoked { .. }))
    ));
    assert!(d.store().linkages().unwrap().is_empty());
}

#[test]
fn an_unknown_card_link_and_a_second_application_are_refused() {
    let w = World::new();
    let d = w.desk(MemoryLinkageStore::new());
    let (persona, profession, number) = doctor();
    // Issued without J-LIS knowing the card's pair of certificates.
    let spec = IssueSpec {
        key_slot: 1,
        ..IssueSpec::default()
    };
    let unknown = w.sandbox.pki.issue(&persona, &spec).unwrap();
    let app = w.application(&persona, profession, number);
    assert!(matches!(
        refusal(d.apply(&w.signed(&unknown, &app), AT)),
        Refusal::CardLinkUnknown { .. }
    ));
    let holder = w.holder(&persona);
    d.apply(&w.signed(&holder, &app), AT).unwrap();
    assert!(matches!(
        refusal(d.apply(&w.signed(&holder, &app), AT)),
        Refusal::AlreadyLinked(_)
    ));
    assert_eq!(d.store().linkages().unwrap().len(), 1);
}

#[test]
fn issuance_needs_the_role_and_the_name_applied_for() {
    let w = World::new();
    let d = w.desk(MemoryLinkageStore::new());
    let (persona, profession, number) = doctor();
    let holder = w.holder(&persona);
    let linkage = d
        .apply(
            &w.signed(&holder, &w.application(&persona, profession, number)),
            AT,
        )
        .unwrap();
    // A pharmacist's certificate for a doctor's linkage.
    let mut wrong = linkage.clone();
    wrong.application.profession = Profession::Pharmacist;
    let card = w.hpki.issue_card(&wrong, 1).unwrap();
    let sign = Certificate::from_der(&card.credentials.sign_certificate).unwrap();
    assert!(matches!(
        refusal(d.record_issuance(&linkage.id, &sign, None, AT)),
        Refusal::HpkiRejected(_)
    ));
    // Someone else's name.
    let mut other = linkage.clone();
    other.application.name = "医療 太郎".into();
    let card = w.hpki.issue_card(&other, 1).unwrap();
    let sign = Certificate::from_der(&card.credentials.sign_certificate).unwrap();
    assert!(matches!(
        refusal(d.record_issuance(&linkage.id, &sign, None, AT)),
        Refusal::HpkiHolderMismatch { field: "name" }
    ));
    assert_eq!(
        d.store()
            .find_linkage(LinkageKey::Id(&linkage.id))
            .unwrap()
            .unwrap()
            .state,
        LinkageState::Applied
    );
    let card = w.hpki.issue_card(&linkage, 0).unwrap();
    let sign = Certificate::from_der(&card.credentials.sign_certificate).unwrap();
    let auth = Certificate::from_der(&card.credentials.auth_certificate).unwrap();
    let active = d
        .record_issuance(&linkage.id, &sign, Some(&auth), AT)
        .unwrap();
    assert_eq!(active.state, LinkageState::Active);
    assert_eq!(active.hpki_signature, sign.id());
    // Issued once only.
    assert!(matches!(
        refusal(d.record_issuance(&linkage.id, &sign, None, AT)),
        Refusal::WrongState { .. }
    ));
}

#[test]
fn death_and_name_change_are_told_apart_and_untrusted_crls_refused() {
    let w = World::new();
    let d = w.desk(kazasu_health::SqliteStore::in_memory().unwrap());
    let (holder, _card, linkage) = active_doctor(&w, &d);
    // A CRL the HPKI CA signed is no JPKI CRL.
    let hpki_crl =
        kazasu_pki::Crl::from_der(&w.hpki.pki.verification_material(AT).unwrap().crls[0]).unwrap();
    assert!(matches!(
        refusal(d.apply_crls(&[hpki_crl], AT)),
        Refusal::Crl(_)
    ));
    let change = jpki_crls_for(
        &w.sandbox,
        &holder,
        JpkiEvent::PersonalDataChanged,
        AT,
        AT + Duration::hours(1),
    )
    .unwrap();
    let s = d.apply_crls(&change, AT + Duration::hours(1)).unwrap();
    assert_eq!(s.len(), 1);
    assert_eq!(s[0].linkage, linkage.id);
    assert!(matches!(
        s[0].reason,
        SuspensionReason::JpkiRevoked {
            cause: JpkiRevocationCause::PersonalDataChanged,
            authentication_revoked: false,
            ..
        }
    ));
    // Already suspended: the first suspension is kept.
    let death = jpki_crls_for(
        &w.sandbox,
        &holder,
        JpkiEvent::Death,
        AT,
        AT + Duration::hours(2),
    )
    .unwrap();
    assert!(
        d.apply_crls(&death, AT + Duration::hours(2))
            .unwrap()
            .is_empty()
    );

    let w2 = World::new();
    let d2 = w2.desk(MemoryLinkageStore::new());
    let (holder, _card, _) = active_doctor(&w2, &d2);
    let died = AT + Duration::minutes(30);
    let death = jpki_crls_for(
        &w2.sandbox,
        &holder,
        JpkiEvent::Death,
        died,
        AT + Duration::hours(1),
    )
    .unwrap();
    let s = d2.apply_crls(&death, AT + Duration::hours(1)).unwrap();
    assert_eq!(s.len(), 1);
    assert_eq!(s[0].since, died);
    assert!(matches!(
        s[0].reason,
        SuspensionReason::JpkiRevoked {
            cause: JpkiRevocationCause::Death,
            authentication_revoked: true,
            ..
        }
    ));
}

#[test]
fn a_licence_revoked_in_the_registry_suspends() {
    let w = World::new();
    let d = w.desk(MemoryLinkageStore::new());
    let (_, _, linkage) = active_doctor(&w, &d);
    assert!(d.check_registry().unwrap().is_empty());
    assert!(w.registry.revoke(
        Profession::MedicalDoctor,
        "100001",
        AT + Duration::hours(1),
        "免許取消"
    ));
    let s = d.check_registry().unwrap();
    assert_eq!(s.len(), 1);
    assert_eq!(s[0].linkage, linkage.id);
    assert!(matches!(
        s[0].reason,
        SuspensionReason::LicenceRevoked { .. }
    ));
}

#[test]
fn sign_in_needs_both_cards_on_one_active_linkage() {
    let w = World::new();
    let d = w.desk(MemoryLinkageStore::new());
    let (holder, card, linkage) = active_doctor(&w, &d);
    let c = d.issue_challenge(AT).unwrap();
    let hpki = assertion(
        &card.credentials.auth_certificate,
        &card.credentials.auth_key,
        &c,
    );
    let jpki = assertion(&holder.auth_certificate, &holder.auth_key, &c);
    let ok = d.sign_in(&hpki, &jpki, AT).unwrap();
    assert_eq!(ok.linkage, linkage.id);
    assert_eq!(ok.roles, vec!["Medical Doctor".to_owned()]);
    // The challenge is used up.
    assert!(matches!(
        d.sign_in(&hpki, &jpki, AT),
        Err(HealthError::Rejected(
            kazasu_pki::Rejection::ChallengeReplayed
        ))
    ));
    // The signature AP's key where a card has only that.
    let c = d.issue_challenge(AT).unwrap();
    let hpki_sign = assertion(
        &card.credentials.sign_certificate,
        &card.credentials.sign_key,
        &c,
    );
    d.sign_in(
        &hpki_sign,
        &assertion(&holder.auth_certificate, &holder.auth_key, &c),
        AT,
    )
    .unwrap();
    // Two challenges.
    let c1 = d.issue_challenge(AT).unwrap();
    let c2 = d.issue_challenge(AT).unwrap();
    assert!(matches!(
        refusal(d.sign_in(
            &assertion(
                &card.credentials.auth_certificate,
                &card.credentials.auth_key,
                &c1
            ),
            &assertion(&holder.auth_certificate, &holder.auth_key, &c2),
            AT
        )),
        Refusal::Assertion(_)
    ));
    // A signature by another key.
    let c = d.issue_challenge(AT).unwrap();
    let mut forged = assertion(
        &card.credentials.auth_certificate,
        &card.credentials.auth_key,
        &c,
    );
    forged.signature = assertion(
        &card.credentials.sign_certificate,
        &card.credentials.sign_key,
        &c,
    )
    .signature;
    assert!(matches!(
        refusal(d.sign_in(
            &forged,
            &assertion(&holder.auth_certificate, &holder.auth_key, &c),
            AT
        )),
        Refusal::Assertion(_)
    ));
    // Someone else's My Number Card.
    let other = w.holder(&professionals().unwrap()[1].persona);
    let c = d.issue_challenge(AT).unwrap();
    assert!(matches!(
        refusal(d.sign_in(
            &assertion(
                &card.credentials.auth_certificate,
                &card.credentials.auth_key,
                &c
            ),
            &assertion(&other.auth_certificate, &other.auth_key, &c),
            AT
        )),
        Refusal::NotLinked(_)
    ));
    // Suspended.
    let death = jpki_crls_for(
        &w.sandbox,
        &holder,
        JpkiEvent::Death,
        AT,
        AT + Duration::hours(1),
    )
    .unwrap();
    d.apply_crls(&death, AT + Duration::hours(1)).unwrap();
    let c = d.issue_challenge(AT).unwrap();
    assert!(matches!(
        refusal(d.sign_in(
            &assertion(
                &card.credentials.auth_certificate,
                &card.credentials.auth_key,
                &c
            ),
            &assertion(&holder.auth_certificate, &holder.auth_key, &c),
            AT
        )),
        Refusal::Suspended { .. }
    ));
}

fn letter(w: &World, card: &IssuedHpkiCard, at: OffsetDateTime, timestamped: bool) -> Vec<u8> {
    let mut signer = SoftwareSigner::new(
        card.credentials.sign_certificate.clone(),
        card.credentials.sign_key.clone(),
    )
    .unwrap()
    .with_chain(vec![w.hpki.signature_ca()]);
    let tsa = w.hpki.tsa_at(at).unwrap();
    let mut options = SignOptions::default();
    options.signing_time = Some(at);
    if timestamped {
        options.tsa = Some(&tsa);
    }
    sign(b"referral letter", &mut signer, &options).unwrap()
}

#[test]
fn referral_letters_are_judged_at_their_timestamp() {
    let w = World::new();
    let d = w.desk(MemoryLinkageStore::new());
    let (holder, card, linkage) = active_doctor(&w, &d);
    let before = letter(&w, &card, AT + Duration::minutes(10), true);
    let ok = d
        .check_referral_cms(&before, Some(b"referral letter"), AT)
        .unwrap();
    assert_eq!(ok.linkage, linkage.id);
    assert_eq!(ok.state_now, "active");
    // Died at +1 h; the CRL comes at +2 h.
    let death = jpki_crls_for(
        &w.sandbox,
        &holder,
        JpkiEvent::Death,
        AT + Duration::hours(1),
        AT + Duration::hours(2),
    )
    .unwrap();
    d.apply_crls(&death, AT + Duration::hours(2)).unwrap();
    let still = d
        .check_referral_cms(&before, Some(b"referral letter"), AT + Duration::hours(3))
        .unwrap();
    assert_eq!(still.state_now, "suspended");
    let after = letter(&w, &card, AT + Duration::hours(2), true);
    assert!(matches!(
        refusal(d.check_referral_cms(&after, Some(b"referral letter"), AT + Duration::hours(3))),
        Refusal::Suspended { .. }
    ));
    // No timestamp: the claimed time proves nothing.
    let claimed = letter(&w, &card, AT + Duration::minutes(10), false);
    assert!(matches!(
        refusal(d.check_referral_cms(&claimed, Some(b"referral letter"), AT)),
        Refusal::LetterNotTimestamped
    ));
    // Another document than the one signed.
    assert!(matches!(
        refusal(d.check_referral_cms(&before, Some(b"another letter"), AT)),
        Refusal::LetterSignature(_)
    ));
}

#[test]
fn a_pharmacist_cannot_sign_a_referral_letter() {
    let w = World::new();
    let d = w.desk(MemoryLinkageStore::new());
    let p = &professionals().unwrap()[2];
    let holder = w.holder(&p.persona);
    let linkage = d
        .apply(
            &w.signed(
                &holder,
                &w.application(&p.persona, p.profession, p.registration_number),
            ),
            AT,
        )
        .unwrap();
    let card = w.hpki.issue_card(&linkage, 2).unwrap();
    let sign_cert = Certificate::from_der(&card.credentials.sign_certificate).unwrap();
    d.record_issuance(&linkage.id, &sign_cert, None, AT)
        .unwrap();
    let l = letter(&w, &card, AT + Duration::minutes(5), true);
    match refusal(d.check_referral_cms(&l, Some(b"referral letter"), AT)) {
        Refusal::RoleNotAccepted { held, .. } => assert_eq!(held, vec!["Pharmacist".to_owned()]),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_letter_by_an_unlinked_hpki_card_is_refused() {
    let w = World::new();
    let d = w.desk(MemoryLinkageStore::new());
    let card = kazasu_virtual_card::HpkiCardBuilder::new(0)
        .build()
        .unwrap();
    let l = letter(&w, &card, AT + Duration::minutes(5), true);
    assert!(matches!(
        refusal(d.check_referral_cms(&l, Some(b"referral letter"), AT)),
        Refusal::NotLinked(_)
    ));
}

fn pdf_letter(w: &World, card: &IssuedHpkiCard, at: OffsetDateTime) -> Vec<u8> {
    let mut signer = SoftwareSigner::new(
        card.credentials.sign_certificate.clone(),
        card.credentials.sign_key.clone(),
    )
    .unwrap()
    .with_chain(vec![w.hpki.signature_ca()]);
    let tsa = w.hpki.tsa_at(at).unwrap();
    let mut options = kazasu_sign::pades::PadesOptions::default();
    options.signing_time = Some(at);
    options.tsa = Some(&tsa);
    let pdf = kazasu_sign::pades::sample_referral_letter().unwrap();
    kazasu_sign::pades::sign_pdf(&pdf, &mut signer, &options).unwrap()
}

#[test]
fn pades_referral_letters_before_and_after_a_suspension() {
    let w = World::new();
    let d = w.desk(MemoryLinkageStore::new());
    let (holder, card, linkage) = active_doctor(&w, &d);
    let before = pdf_letter(&w, &card, AT + Duration::minutes(10));
    assert_eq!(
        d.check_referral_pdf(&before, AT).unwrap().linkage,
        linkage.id
    );
    let death = jpki_crls_for(
        &w.sandbox,
        &holder,
        JpkiEvent::Death,
        AT + Duration::hours(1),
        AT + Duration::hours(2),
    )
    .unwrap();
    d.apply_crls(&death, AT + Duration::hours(2)).unwrap();
    assert_eq!(
        d.check_referral_pdf(&before, AT + Duration::hours(3))
            .unwrap()
            .state_now,
        "suspended"
    );
    let after = pdf_letter(&w, &card, AT + Duration::hours(2));
    assert!(matches!(
        refusal(d.check_referral_pdf(&after, AT + Duration::hours(3))),
        Refusal::Suspended { .. }
    ));
    // Changed after signing: a byte of the signed range flipped.
    let mut tampered = before.clone();
    tampered[20] ^= 1;
    assert!(matches!(
        refusal(d.check_referral_pdf(&tampered, AT)),
        Refusal::LetterSignature(_)
    ));
    // A PDF without a signature.
    assert!(matches!(
        refusal(d.check_referral_pdf(&kazasu_sign::pades::sample_referral_letter().unwrap(), AT)),
        Refusal::LetterSignature(_)
    ));
}
