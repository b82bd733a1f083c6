//! What the services trust, and what they refuse: enrolment proves the card is the holder's,
//! staff-approved requests come from registered facility terminals, check-in links need approval,
//! and the grace period after expiry is judged as of the expiry.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use kazasu_card::{AuthPin, LastTry, SignPassword};
use kazasu_health::facility::APPROVAL_SKEW_SECONDS;
use kazasu_health::sandbox::{Sandbox, person_record};
use kazasu_health::{
    AgencyCode, ApprovalPurpose, AuditStore, Binding, CardHolderProof, CheckinService,
    CheckinStore, EligibilityService, EligibilityStore, FacilityCode, FacilityStore,
    FacilityTerminal, HealthError, IdentityCheck, InsuranceSex, LinkApproval, LookupMode,
    MemoryCardLinks, PatientCardNumber, PatientRecord, Presentation, RateLimit, SqliteStore,
    StaffApproval, TrustedLinkImport, VerificationSetup, present_card, prove_card_holder,
};
use kazasu_pki::{AuthAssertion, Certificate, CertificateId, Crl, CrlSet, Rejection};
use kazasu_virtual_card::VirtualTransport;
use kazasu_virtual_card::pki::{
    CrlSpec, Ext, Generation, IssueSpec, Persona, PersonaBuilder, Purpose as PkiPurpose,
    RevokedEntry, Sex, fixture_key, jpki_other_names, oids,
};
use time::macros::{date, datetime};
use time::{Duration, OffsetDateTime};

const AT: OffsetDateTime = datetime!(2026-11-26 10:00 +09:00);

fn agency(n: u32) -> AgencyCode {
    AgencyCode::new(&format!("AGC{n:013}")).unwrap()
}

fn pin() -> AuthPin {
    AuthPin::new("1234").unwrap()
}

fn slot(key_slot: usize) -> IssueSpec {
    IssueSpec {
        key_slot,
        ..IssueSpec::default()
    }
}

/// 山田 花子 (seed 0), her sandbox, and an eligibility service that holds her record as agency 1.
struct World {
    sandbox: Sandbox,
    persona: Persona,
    facility: FacilityCode,
    terminal: FacilityTerminal,
    service: EligibilityService<SqliteStore>,
}

fn register(store: &dyn FacilityStore, terminal: &FacilityTerminal) {
    store
        .register_terminal(
            terminal.facility(),
            terminal.terminal(),
            &terminal.public_key_der().unwrap(),
            AT,
        )
        .unwrap();
}

fn world_at(at: OffsetDateTime) -> World {
    let sandbox = Sandbox::new(0, at, &[]).unwrap();
    let persona = PersonaBuilder::from_seed(0).build().unwrap();
    let store = SqliteStore::in_memory().unwrap();
    let (person, q) = person_record(&persona, &agency(1), at.date()).unwrap();
    store.put_person(&person, &q).unwrap();
    let terminal = sandbox.terminal().unwrap();
    register(&store, &terminal);
    World {
        facility: sandbox.facility().unwrap(),
        terminal,
        service: EligibilityService::new(sandbox.setup.clone(), store, sandbox.card_links.clone()),
        sandbox,
        persona,
    }
}

fn world() -> World {
    world_at(AT)
}

fn card(sandbox: &Sandbox, persona: &Persona, spec: IssueSpec) -> VirtualTransport {
    VirtualTransport::new(sandbox.card(persona, spec).unwrap().card)
}

fn proof(card: &VirtualTransport, challenge: &[u8]) -> CardHolderProof {
    prove_card_holder(
        card.clone(),
        challenge,
        &pin(),
        &SignPassword::new("ABC123").unwrap(),
        LastTry::Refuse,
    )
    .unwrap()
    .0
}

fn assertion(card: &VirtualTransport, challenge: &[u8]) -> AuthAssertion {
    let check = IdentityCheck::Pin {
        pin: &pin(),
        last_try: LastTry::Refuse,
    };
    match present_card(card.clone(), challenge, check).unwrap().0 {
        Presentation::Assertion(a) => a,
        other => panic!("{other:?}"),
    }
}

/// Puts a record for `agency`: 山田 花子's, changed by `edit`.
fn put_record(w: &World, agency: &AgencyCode, edit: impl FnOnce(&mut kazasu_health::Person)) {
    let (mut person, q) = person_record(&w.persona, agency, AT.date()).unwrap();
    edit(&mut person);
    w.service.store().put_person(&person, &q).unwrap();
}

/// Enrols `card` to `agency` with a fresh proof; on refusal, checks nothing was written.
fn try_enrol(w: &World, card: &VirtualTransport, agency: &AgencyCode) -> Result<(), HealthError> {
    let challenge = w.service.issue_challenge(AT).unwrap();
    let p = proof(card, &challenge);
    enrol_proof(w, &p, agency)
}

fn enrol_proof(w: &World, p: &CardHolderProof, agency: &AgencyCode) -> Result<(), HealthError> {
    let id = p.authentication.certificate.id().unwrap();
    let result = w.service.enrol(agency, p, AT).map(|enrolled| {
        assert_eq!(enrolled, id);
    });
    let resolved = w.service.store().resolve(&id).unwrap();
    match &result {
        Ok(()) => assert_eq!(resolved.as_ref(), Some(agency)),
        Err(_) => assert_eq!(resolved, None, "a refused enrolment wrote a link"),
    }
    result
}

#[test]
fn enrolment_with_another_persons_agency_code_is_refused() {
    let w = world();
    // Someone else, with a valid card of their own, tries to enrol it to 山田 花子's record.
    let other = PersonaBuilder::from_seed(3).build().unwrap();
    assert_ne!(other.name, w.persona.name);
    let theirs = card(&w.sandbox, &other, slot(3));
    let err = try_enrol(&w, &theirs, &agency(1)).unwrap_err();
    assert!(
        matches!(err, HealthError::Mismatch { field: "name" }),
        "{err}"
    );
}

#[test]
fn enrolment_compares_birth_date_sex_and_the_address_where_the_record_has_one() {
    let w = world();
    let mine = card(&w.sandbox, &w.persona, IssueSpec::default());
    put_record(&w, &agency(2), |p| {
        p.birth_date = p.birth_date.next_day().unwrap();
    });
    let err = try_enrol(&w, &mine, &agency(2)).unwrap_err();
    assert!(
        matches!(
            err,
            HealthError::Mismatch {
                field: "birth date"
            }
        ),
        "{err}"
    );
    put_record(&w, &agency(3), |p| {
        p.sex1 = InsuranceSex::Male;
        p.sex2 = InsuranceSex::Female;
    });
    let err = try_enrol(&w, &mine, &agency(3)).unwrap_err();
    assert!(
        matches!(err, HealthError::Mismatch { field: "sex" }),
        "{err}"
    );
    put_record(&w, &agency(4), |p| {
        p.address = Some("大阪府大阪市北区中之島一丁目3番20号".into());
    });
    let err = try_enrol(&w, &mine, &agency(4)).unwrap_err();
    assert!(
        matches!(err, HealthError::Mismatch { field: "address" }),
        "{err}"
    );
    // The same address in full-width digits with an ideographic space matches.
    assert_eq!(w.persona.address, "東京都千代田区霞が関二丁目1番2号");
    put_record(&w, &agency(5), |p| {
        p.address = Some("東京都千代田区\u{3000}霞が関二丁目１番２号".into());
    });
    try_enrol(&w, &mine, &agency(5)).unwrap();
    // A record without an address is matched on the other three (another card of hers).
    let second = card(&w.sandbox, &w.persona, slot(1));
    try_enrol(&w, &second, &agency(1)).unwrap();
}

/// The signature certificate of `spec`'s card, reissued with these personal-data fields.
fn sign_certificate(w: &World, spec: &IssueSpec, fields: [&str; 4]) -> Certificate {
    let [name, name_substitute, address, address_substitute] = fields;
    let mut template = w.sandbox.pki.sign_template(&w.persona, spec).unwrap();
    let sex = w.persona.sex.code().to_string();
    let birth = w.persona.birth_date_jpki();
    template.subject_alt_name = Ext::non_critical(
        jpki_other_names(&[
            (oids::JPKI_NAME, name),
            (oids::JPKI_NAME_SUBSTITUTE, name_substitute),
            (oids::JPKI_SEX, sex.as_str()),
            (oids::JPKI_BIRTH_DATE, birth.as_str()),
            (oids::JPKI_ADDRESS, address),
            (oids::JPKI_ADDRESS_SUBSTITUTE, address_substitute),
        ])
        .unwrap(),
    );
    Certificate::from_der(&w.sandbox.pki.issue_with(&template).unwrap()).unwrap()
}

#[test]
fn substitute_characters_need_a_person_to_compare() {
    let w = world();
    let spec = IssueSpec::default();
    let mine = card(&w.sandbox, &w.persona, spec.clone());
    let address = w.persona.address.clone();
    put_record(&w, &agency(2), |p| p.address = Some(address.clone()));
    // Same key and serial as the card's own signature certificate: only the personal data differs.
    let with = |fields: [&str; 4]| {
        let challenge = w.service.issue_challenge(AT).unwrap();
        let mut p = proof(&mine, &challenge);
        p.signature_certificate = sign_certificate(&w, &spec, fields);
        p
    };
    let name = w.persona.name.as_str();
    let err = enrol_proof(&w, &with([name, name, &address, ""]), &agency(1)).unwrap_err();
    assert!(
        matches!(err, HealthError::NeedsReview { field: "name" }),
        "{err}"
    );
    let err = enrol_proof(&w, &with(["〓田 花子", "", &address, ""]), &agency(1)).unwrap_err();
    assert!(
        matches!(err, HealthError::NeedsReview { field: "name" }),
        "{err}"
    );
    let err = enrol_proof(&w, &with([name, "", &address, &address]), &agency(2)).unwrap_err();
    assert!(
        matches!(err, HealthError::NeedsReview { field: "address" }),
        "{err}"
    );
    // The address substitute does not matter where the record has no address; and the reissued
    // certificate itself is acceptable.
    enrol_proof(&w, &with([name, "", &address, &address]), &agency(1)).unwrap();
}

#[test]
fn enrolment_needs_both_certificates_from_one_card() {
    let w = world();
    let mine = card(&w.sandbox, &w.persona, IssueSpec::default());
    // Her other card: the same person, so only the card-link check can tell.
    let other = card(&w.sandbox, &w.persona, slot(1));
    let challenge = w.service.issue_challenge(AT).unwrap();
    let p = proof(&mine, &challenge);
    let q = proof(&other, &challenge);
    let mixed = CardHolderProof::new(
        p.authentication.clone(),
        q.signature_certificate,
        q.signature,
    );
    let err = enrol_proof(&w, &mixed, &agency(1)).unwrap_err();
    assert!(matches!(err, HealthError::NotSameCard), "{err}");
    // A service whose card-link source knows nothing refuses an honest proof.
    let blind = EligibilityService::new(
        w.sandbox.setup.clone(),
        SqliteStore::in_memory().unwrap(),
        Arc::new(MemoryCardLinks::new()),
    );
    let (person, quals) = person_record(&w.persona, &agency(1), AT.date()).unwrap();
    blind.store().put_person(&person, &quals).unwrap();
    let challenge = blind.issue_challenge(AT).unwrap();
    let p = proof(&mine, &challenge);
    let err = blind.enrol(&agency(1), &p, AT).unwrap_err();
    assert!(matches!(err, HealthError::NotSameCard), "{err}");
    let id = p.authentication.certificate.id().unwrap();
    assert_eq!(blind.store().resolve(&id).unwrap(), None);
    // The same proof's card, at the service that knows the links, enrols.
    try_enrol(&w, &mine, &agency(1)).unwrap();
}

fn auth_certificate(w: &World, persona: &Persona, spec: &IssueSpec) -> Certificate {
    Certificate::from_der(
        &w.sandbox
            .credentials(persona, spec)
            .unwrap()
            .auth_certificate,
    )
    .unwrap()
}

fn import(w: &World, id: CertificateId, agency: AgencyCode) {
    let n = w
        .service
        .import_trusted_links(
            &TrustedLinkImport::from_trusted_feed("insurer feed (test)", vec![(id, agency)]),
            AT,
        )
        .unwrap();
    assert_eq!(n, 1);
}

#[test]
fn a_trusted_feed_links_a_card_without_the_holder() {
    let w = world();
    let mine = card(&w.sandbox, &w.persona, IssueSpec::default());
    let presented = |w: &World| {
        let challenge = w.service.issue_challenge(AT).unwrap();
        Presentation::Assertion(assertion(&mine, &challenge))
    };
    let err = w
        .service
        .confirm(&w.facility, &presented(&w), AT)
        .unwrap_err();
    assert!(matches!(err, HealthError::NotEnrolled), "{err}");
    let id = auth_certificate(&w, &w.persona, &IssueSpec::default())
        .id()
        .unwrap();
    import(&w, id.clone(), agency(1));
    assert_eq!(w.service.store().resolve(&id).unwrap(), Some(agency(1)));
    let answer = w.service.confirm(&w.facility, &presented(&w), AT).unwrap();
    assert_eq!(answer.binding, Some(Binding::CardHolder));
    assert_eq!(answer.result_list[0].name, "山田\u{3000}花子");
}

fn staff_checked(certificate: &Certificate, approval: StaffApproval) -> Presentation {
    Presentation::StaffChecked {
        certificate: certificate.clone(),
        approval,
    }
}

#[test]
fn staff_visual_lookups_need_a_registered_terminals_fresh_approval_and_are_audited() {
    let w = world();
    let mine = auth_certificate(&w, &w.persona, &IssueSpec::default());
    import(&w, mine.id().unwrap(), agency(1));
    let other = auth_certificate(&w, &w.persona, &slot(1));
    let lookup = ApprovalPurpose::StaffVisualLookup;
    let approve = |t: &FacilityTerminal, staff: &str, cert: &Certificate, at| {
        t.approve(staff, lookup.clone(), cert, at).unwrap()
    };
    let refused = |presented: &Presentation| {
        let err = w.service.confirm(&w.facility, presented, AT).unwrap_err();
        assert!(
            matches!(err, HealthError::FacilityNotAuthenticated(_)),
            "{err}"
        );
    };
    // A machine calling itself the clinic's reception, with a key nobody registered.
    let rogue = FacilityTerminal::new(
        w.facility.clone(),
        w.terminal.terminal(),
        fixture_key(21).unwrap(),
    )
    .unwrap();
    refused(&staff_checked(
        &mine,
        approve(&rogue, "nurse-01", &mine, AT),
    ));
    // The registered terminal, but approving another card.
    refused(&staff_checked(
        &mine,
        approve(&w.terminal, "nurse-02", &other, AT),
    ));
    // A registered terminal of another facility.
    let elsewhere = FacilityCode::new("2710000015").unwrap();
    let theirs = FacilityTerminal::new(elsewhere, "desk-9", fixture_key(20).unwrap()).unwrap();
    register(w.service.store(), &theirs);
    refused(&staff_checked(
        &mine,
        approve(&theirs, "nurse-03", &mine, AT),
    ));
    // Too old, and from the future.
    let skew = Duration::seconds(APPROVAL_SKEW_SECONDS + 1);
    refused(&staff_checked(
        &mine,
        approve(&w.terminal, "nurse-04", &mine, AT - skew),
    ));
    refused(&staff_checked(
        &mine,
        approve(&w.terminal, "nurse-04", &mine, AT + skew),
    ));
    // A fresh approval of this card by the registered terminal: answered, once.
    let good = staff_checked(&mine, approve(&w.terminal, "nurse-05", &mine, AT));
    let answer = w.service.confirm(&w.facility, &good, AT).unwrap();
    assert_eq!(answer.binding, Some(Binding::StaffChecked));
    assert_eq!(answer.result_list[0].name, "山田\u{3000}花子");
    refused(&good);

    let trail = w.service.store().audit_trail(Some(&w.facility)).unwrap();
    let rows: Vec<(LookupMode, Option<&str>, Option<&str>, &str)> = trail
        .iter()
        .map(|e| {
            (
                e.mode,
                e.terminal.as_deref(),
                e.staff.as_deref(),
                e.result.as_str(),
            )
        })
        .collect();
    let sv = LookupMode::StaffVisual;
    let desk = Some(w.terminal.terminal());
    assert_eq!(
        rows,
        vec![
            (sv, desk, Some("nurse-01"), "K3001"),
            (sv, desk, Some("nurse-02"), "K3001"),
            (sv, Some("desk-9"), Some("nurse-03"), "K3001"),
            (sv, desk, Some("nurse-04"), "K3001"),
            (sv, desk, Some("nurse-04"), "K3001"),
            (sv, desk, Some("nurse-05"), "1"),
            (sv, desk, Some("nurse-05"), "K3001"),
        ]
    );
    assert!(trail.iter().all(|e| e.certificate == mine.id()));
    assert!(trail.iter().all(|e| e.facility == w.facility && e.at == AT));
}

#[test]
fn staff_visual_lookups_are_rate_limited_per_facility() {
    let w = world();
    let service = EligibilityService::new(
        w.sandbox.setup.clone(),
        SqliteStore::in_memory().unwrap(),
        w.sandbox.card_links.clone(),
    )
    .with_staff_visual_limit(RateLimit::new(2, Duration::minutes(10)));
    let (person, q) = person_record(&w.persona, &agency(1), AT.date()).unwrap();
    service.store().put_person(&person, &q).unwrap();
    register(service.store(), &w.terminal);
    let mine = auth_certificate(&w, &w.persona, &IssueSpec::default());
    service
        .import_trusted_links(
            &TrustedLinkImport::from_trusted_feed("test", vec![(mine.id().unwrap(), agency(1))]),
            AT,
        )
        .unwrap();
    let look = |at: OffsetDateTime| {
        let approval = w
            .terminal
            .approve("nurse-07", ApprovalPurpose::StaffVisualLookup, &mine, at)
            .unwrap();
        service.confirm(&w.facility, &staff_checked(&mine, approval), at)
    };
    // A sender without a registered key cannot use up the facility's quota.
    let rogue = FacilityTerminal::new(
        w.facility.clone(),
        w.terminal.terminal(),
        fixture_key(21).unwrap(),
    )
    .unwrap();
    for _ in 0..3 {
        let approval = rogue
            .approve("intruder", ApprovalPurpose::StaffVisualLookup, &mine, AT)
            .unwrap();
        let err = service
            .confirm(&w.facility, &staff_checked(&mine, approval), AT)
            .unwrap_err();
        assert!(
            matches!(err, HealthError::FacilityNotAuthenticated(_)),
            "{err}"
        );
    }
    look(AT).unwrap();
    look(AT + Duration::minutes(1)).unwrap();
    let err = look(AT + Duration::minutes(2)).unwrap_err();
    assert!(
        matches!(
            &err,
            HealthError::RateLimited { facility, limit: 2, window_seconds: 600 }
                if facility == w.facility.as_str()
        ),
        "{err}"
    );
    assert_eq!(err.result_code(), "K3002");
    // PIN lookups are not counted against it.
    let pin_card = card(&w.sandbox, &w.persona, IssueSpec::default());
    let challenge = service.issue_challenge(AT + Duration::minutes(2)).unwrap();
    let a = assertion(&pin_card, &challenge);
    service
        .confirm(
            &w.facility,
            &Presentation::Assertion(a),
            AT + Duration::minutes(2),
        )
        .unwrap();
    // Once the window has passed, the facility may look again.
    look(AT + Duration::minutes(13)).unwrap();
}

fn desk(w: &World) -> CheckinService<SqliteStore> {
    let store = SqliteStore::in_memory().unwrap();
    register(&store, &w.terminal);
    CheckinService::new(w.facility.clone(), w.sandbox.setup.clone(), store)
        .with_card_links(w.sandbox.card_links.clone())
}

#[test]
fn a_check_in_link_needs_an_identity_match_or_the_approval_for_that_number() {
    let w = world();
    let d = desk(&w);
    let mine = card(&w.sandbox, &w.persona, IssueSpec::default());
    let (a, b, c) = (
        PatientCardNumber::new("P-A").unwrap(),
        PatientCardNumber::new("P-B").unwrap(),
        PatientCardNumber::new("P-C").unwrap(),
    );
    let hers = PatientRecord::new("山田 花子", w.persona.birth_date, InsuranceSex::Female);
    d.store().put_patient(&w.facility, &a, &hers).unwrap();
    d.store()
        .put_patient(
            &w.facility,
            &b,
            &PatientRecord::new("佐藤 太郎", date!(1952 - 11 - 03), InsuranceSex::Male),
        )
        .unwrap();
    let not_linked = || {
        let challenge = d.issue_challenge(AT).unwrap();
        let err = d.check_in(&assertion(&mine, &challenge), AT).unwrap_err();
        assert!(matches!(err, HealthError::NotLinked { .. }), "{err}");
    };
    // Identity match against someone else's record: refused, nothing linked.
    let challenge = d.issue_challenge(AT).unwrap();
    let p = proof(&mine, &challenge);
    let err = d
        .link(&p.authentication, &b, &LinkApproval::from_proof(&p), AT)
        .unwrap_err();
    assert!(
        matches!(err, HealthError::Mismatch { field: "name" }),
        "{err}"
    );
    not_linked();
    // The desk approved linking number C; the request asks for B.
    let challenge = d.issue_challenge(AT).unwrap();
    let assertion_b = assertion(&mine, &challenge);
    let for_c = w
        .terminal
        .approve(
            "clerk-02",
            ApprovalPurpose::LinkPatientCard(c.clone()),
            &assertion_b.certificate,
            AT,
        )
        .unwrap();
    let err = d
        .link(&assertion_b, &b, &LinkApproval::Staff(for_c), AT)
        .unwrap_err();
    assert!(
        matches!(err, HealthError::FacilityNotAuthenticated(_)),
        "{err}"
    );
    not_linked();
    // Identity match against her own record: linked, and a touch checks her in as P-A.
    let challenge = d.issue_challenge(AT).unwrap();
    let p = proof(&mine, &challenge);
    let id = d
        .link(&p.authentication, &a, &LinkApproval::from_proof(&p), AT)
        .unwrap();
    assert_eq!(Some(id), p.authentication.certificate.id());
    let challenge = d.issue_challenge(AT).unwrap();
    assert_eq!(
        d.check_in(&assertion(&mine, &challenge), AT)
            .unwrap()
            .patient_card,
        a
    );
    // Every attempt is audited as a link, refusals with their codes.
    let results: Vec<(LookupMode, String)> = d
        .store()
        .audit_trail(Some(&w.facility))
        .unwrap()
        .into_iter()
        .map(|e| (e.mode, e.result))
        .collect();
    let link = LookupMode::PatientCardLink;
    assert_eq!(
        results,
        vec![
            (link, "K2002".to_owned()),
            (link, "K3001".to_owned()),
            (link, "1".to_owned())
        ]
    );
}

/// A verification setup on the sandbox's roots whose authentication CRLs (generation 2023) are
/// exactly `crls`, plus the sandbox's usual ones for the signature CA.
fn setup_with_auth_crls(sandbox: &Sandbox, crls: &[CrlSpec]) -> VerificationSetup {
    let mut set = CrlSet::new();
    for spec in crls {
        let der = sandbox
            .pki
            .crl(PkiPurpose::Authentication, Generation::G2023, spec)
            .unwrap();
        set.add(Crl::from_der(&der).unwrap());
    }
    VerificationSetup::new(sandbox.setup.trust.clone(), set)
        .with_options(sandbox.setup.options.clone())
}

#[test]
fn the_grace_period_runs_to_the_end_of_the_third_month_after_expiry_jst() {
    // Expired 2026-04-12 (JST): usable through 2026-07-31 23:59:59 JST.
    let last = datetime!(2026-07-31 23:59:59 +09:00);
    let w = world_at(last);
    let expiring = IssueSpec {
        key_slot: 2,
        not_after: Some(datetime!(2026-04-12 23:59:59 +09:00)),
        ..IssueSpec::default()
    };
    let mine = card(&w.sandbox, &w.persona, expiring.clone());
    let id = auth_certificate(&w, &w.persona, &expiring).id().unwrap();
    import(&w, id, agency(1));
    let challenge = w.service.issue_challenge(last).unwrap();
    let answer = w
        .service
        .confirm(
            &w.facility,
            &Presentation::Assertion(assertion(&mine, &challenge)),
            last,
        )
        .unwrap();
    assert_eq!(answer.binding, Some(Binding::ExpiredCertificateGrace));
    assert!(!answer.sharing_available);
    let r = &answer.result_list[0];
    assert_eq!(r.name, "山田\u{3000}花子");
    assert_eq!(r.name_kana, "ﾔﾏﾀﾞ ﾊﾅｺ");
    assert_eq!(r.birthdate, "19850412");
    assert_eq!(r.insurer_number, "06139992");
    // One second later it is August in Japan (still July 31 in UTC): over.
    let over = datetime!(2026-08-01 00:00:00 +09:00);
    let challenge = w.service.issue_challenge(over).unwrap();
    let err = w
        .service
        .confirm(
            &w.facility,
            &Presentation::Assertion(assertion(&mine, &challenge)),
            over,
        )
        .unwrap_err();
    assert!(
        matches!(err, HealthError::GraceOver { expired } if expired == date!(2026-04-12)),
        "{err}"
    );
    assert_eq!(err.result_code(), "K1004");
}

#[test]
fn a_card_revoked_before_it_expired_gets_no_grace_even_once_the_crl_dropped_it() {
    let now = datetime!(2026-06-15 10:00 +09:00);
    let w = world_at(now);
    let expiry = datetime!(2026-04-12 23:59:59 +09:00);
    let expiring = IssueSpec {
        key_slot: 2,
        not_after: Some(expiry),
        ..IssueSpec::default()
    };
    let credentials = w.sandbox.credentials(&w.persona, &expiring).unwrap();
    let mine = card(&w.sandbox, &w.persona, expiring);
    let id = Certificate::from_der(&credentials.auth_certificate)
        .unwrap()
        .id()
        .unwrap();
    let at_expiry = |listed: bool| {
        let mut spec = CrlSpec::valid_at(expiry);
        spec.crl_number = 1;
        if listed {
            spec = spec.revoke(RevokedEntry::from_bytes(
                &credentials.auth_serial,
                expiry - Duration::days(10),
            ));
        }
        spec
    };
    // Today's CRL no longer lists the expired certificate (CRLs drop expired certificates).
    let mut current = CrlSpec::valid_at(now);
    current.crl_number = 2;
    let confirm = |listed: bool| {
        let service = EligibilityService::new(
            setup_with_auth_crls(&w.sandbox, &[at_expiry(listed), current.clone()]),
            SqliteStore::in_memory().unwrap(),
            w.sandbox.card_links.clone(),
        );
        let (person, q) = person_record(&w.persona, &agency(1), now.date()).unwrap();
        service.store().put_person(&person, &q).unwrap();
        service
            .import_trusted_links(
                &TrustedLinkImport::from_trusted_feed("test", vec![(id.clone(), agency(1))]),
                now,
            )
            .unwrap();
        let challenge = service.issue_challenge(now).unwrap();
        service.confirm(
            &w.facility,
            &Presentation::Assertion(assertion(&mine, &challenge)),
            now,
        )
    };
    let err = confirm(true).unwrap_err();
    assert!(
        matches!(err, HealthError::Rejected(Rejection::Revoked { .. })),
        "{err}"
    );
    // The same setup without the entry at expiry answers: the refusal came from that CRL.
    let answer = confirm(false).unwrap();
    assert_eq!(answer.binding, Some(Binding::ExpiredCertificateGrace));
}

#[test]
fn sex_codes_follow_the_card() {
    // A persona whose card says "not applicable" (ISO 5218 9) is Sex1 3 (未設定), and enrols
    // against a record saying so, but not against one saying 2.
    let w = world();
    let persona = PersonaBuilder::from_seed(0)
        .sex(Sex::NotApplicable)
        .my_number("123456789018")
        .build()
        .unwrap();
    let theirs = card(&w.sandbox, &persona, slot(4));
    let (mut person, q) = person_record(&persona, &agency(7), AT.date()).unwrap();
    assert_eq!(person.sex1, InsuranceSex::Unset);
    w.service.store().put_person(&person, &q).unwrap();
    person.agency_code = agency(8);
    person.sex1 = InsuranceSex::Female;
    w.service.store().put_person(&person, &q).unwrap();
    let err = try_enrol(&w, &theirs, &agency(8)).unwrap_err();
    assert!(
        matches!(err, HealthError::Mismatch { field: "sex" }),
        "{err}"
    );
    try_enrol(&w, &theirs, &agency(7)).unwrap();
}

#[test]
fn an_identity_match_link_needs_both_certificates_from_one_card() {
    let w = world();
    let a = PatientCardNumber::new("P-A").unwrap();
    let hers = PatientRecord::new("山田 花子", w.persona.birth_date, InsuranceSex::Female);
    let mine = card(&w.sandbox, &w.persona, IssueSpec::default());
    let other = card(
        &w.sandbox,
        &w.persona,
        IssueSpec {
            key_slot: 1,
            ..IssueSpec::default()
        },
    );
    // Card X's signature key and card Y's authentication key: the holder of X must not be able to
    // link Y to X's patient record.
    let d = desk(&w);
    d.store().put_patient(&w.facility, &a, &hers).unwrap();
    let challenge = d.issue_challenge(AT).unwrap();
    let from_x = proof(&other, &challenge);
    let y = assertion(&mine, &challenge);
    let mixed = CardHolderProof::new(
        y.clone(),
        from_x.signature_certificate.clone(),
        from_x.signature.clone(),
    );
    let err = d
        .link(&y, &a, &LinkApproval::from_proof(&mixed), AT)
        .unwrap_err();
    assert!(matches!(err, HealthError::NotSameCard), "{err}");
    let id = y.certificate.id().unwrap();
    assert_eq!(d.store().patient_card(&w.facility, &id).unwrap(), None);
    // A desk told no card links accepts only the staff's approval.
    let store = SqliteStore::in_memory().unwrap();
    register(&store, &w.terminal);
    store.put_patient(&w.facility, &a, &hers).unwrap();
    let plain = CheckinService::new(w.facility.clone(), w.sandbox.setup.clone(), store);
    let challenge = plain.issue_challenge(AT).unwrap();
    let p = proof(&mine, &challenge);
    let err = plain
        .link(&p.authentication, &a, &LinkApproval::from_proof(&p), AT)
        .unwrap_err();
    assert!(matches!(err, HealthError::NotSameCard), "{err}");
}

#[test]
fn the_chip_genuineness_result_is_signed_with_the_approval_and_kept_as_evidence() {
    use kazasu_card::cvc::Challenge;
    use kazasu_card::{BirthDateKey, CardFace, GenuineUnlock};
    let w = world();
    let service = EligibilityService::new(
        w.sandbox.setup.clone(),
        SqliteStore::in_memory().unwrap(),
        w.sandbox.card_links.clone(),
    )
    .require_genuineness(true);
    let (person, q) = person_record(&w.persona, &agency(1), AT.date()).unwrap();
    service.store().put_person(&person, &q).unwrap();
    register(service.store(), &w.terminal);
    let mine = auth_certificate(&w, &w.persona, &IssueSpec::default());
    service
        .import_trusted_links(
            &TrustedLinkImport::from_trusted_feed("test", vec![(mine.id().unwrap(), agency(1))]),
            AT,
        )
        .unwrap();
    // The chip, proven genuine with the birth date printed on the card (no PIN).
    let transport = card(&w.sandbox, &w.persona, IssueSpec::default());
    let key = BirthDateKey::new(&w.persona.birth_date_key()).unwrap();
    let report = CardFace::open(transport)
        .unwrap()
        .prove_genuine(
            &w.sandbox.cvc_trust().unwrap(),
            GenuineUnlock::BirthDate(&key),
            Challenge::random().unwrap(),
            LastTry::Refuse,
        )
        .unwrap();
    // Without the result this service refuses the staff-visual mode.
    let bare = w
        .terminal
        .approve("nurse-07", ApprovalPurpose::StaffVisualLookup, &mine, AT)
        .unwrap();
    let err = service
        .confirm(&w.facility, &staff_checked(&mine, bare), AT)
        .unwrap_err();
    assert!(matches!(err, HealthError::GenuinenessRequired), "{err}");
    assert_eq!(err.result_code(), "K3003");
    // The evidence is part of what the terminal signed: it cannot be added afterwards.
    let mut forged = w
        .terminal
        .approve("nurse-07", ApprovalPurpose::StaffVisualLookup, &mine, AT)
        .unwrap();
    forged.genuineness = Some(kazasu_health::genuineness_evidence(&report));
    let err = service
        .confirm(&w.facility, &staff_checked(&mine, forged), AT)
        .unwrap_err();
    assert!(
        matches!(err, HealthError::FacilityNotAuthenticated(_)),
        "{err}"
    );
    // Signed with the approval: answered, and the audit row keeps the evidence.
    let approval = w
        .terminal
        .approve_with(
            "nurse-07",
            ApprovalPurpose::StaffVisualLookup,
            &mine,
            Some(&report),
            AT,
        )
        .unwrap();
    service
        .confirm(&w.facility, &staff_checked(&mine, approval), AT)
        .unwrap();
    let trail = service.store().audit_trail(Some(&w.facility)).unwrap();
    let last = trail.last().unwrap();
    assert_eq!(last.result, "1");
    let evidence = last.evidence.as_deref().unwrap();
    assert!(evidence.starts_with("chip genuine: "), "{evidence}");
    assert!(evidence.contains(&report.ca.to_string()), "{evidence}");
    assert!(
        trail[..trail.len() - 1]
            .iter()
            .all(|e| e.evidence.is_none()),
        "refusals without evidence record none"
    );
}
