//! One store test suite, run against every backend: each function takes a fresh database and
//! checks a contract of the store traits (results, conflicts, idempotence, corrupt rows and
//! concurrency between separate store handles, as separate server instances would hold).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, dead_code)]

use std::collections::BTreeSet;

use kazasu_auth::{AccountStore, AuthError, TicketStore, VerifiedClaim};
use kazasu_consent::{Checkpoint, ConsentError, LedgerRow, LedgerStore};
use kazasu_health::model::{
    AgencyCode, FacilityCode, InsuranceCardQuery, InsuranceSex, InsurerNumber, PatientCardNumber,
    Person, Qualification, Reservation,
};
use kazasu_health::qualification::{
    Application, Linkage, LinkageKey, LinkageState, LinkageStore, Profession, SuspensionReason,
};
use kazasu_health::store::{
    AuditStore, BulkEnrol, CheckinStore, EligibilityStore, EnrolledPerson, FacilityStore,
    PatientRecord, RenewalStore,
};
use kazasu_health::{AuditEntry, LookupMode, StoreError};
use kazasu_pki::{
    CertificateId, ChallengeProblem, ChallengeStore, LegacyCertificateId, PersonalData,
};
use time::macros::{date, datetime};
use time::{Date, Duration, OffsetDateTime};

pub const AT: OffsetDateTime = datetime!(2026-11-26 10:00 +09:00);

/// One fresh database of a backend, from which any number of store handles (each its own
/// connection or pool, as separate instances) are opened.
pub trait Db: Sync {
    type Store: EligibilityStore + CheckinStore + LinkageStore + BulkEnrol + Send + Sync;
    type Challenges: ChallengeStore;
    type Ledger: LedgerStore;
    type Auth: AccountStore + TicketStore;
    /// A new handle on the eligibility / check-in / linkage tables.
    fn store(&self) -> Self::Store;
    /// A new challenge store handle.
    fn challenges(&self, lifetime: Duration, capacity: usize) -> Self::Challenges;
    /// A new ledger handle.
    fn ledger(&self) -> Self::Ledger;
    /// A new accounts / tickets handle.
    fn auth(&self) -> Self::Auth;
    /// Runs raw SQL on the store's tables (to corrupt rows as an editor with database access
    /// would).
    fn execute(&self, sql: &str);
}

/// Generates one `#[test]` per suite function, each on a fresh database from `$fresh()`.
macro_rules! store_suite {
    ($fresh:path) => {
        store_suite!($fresh;
            people_qualifications_and_certificate_links,
            renewal_lineage_and_legacy_ids,
            terminals_nonces_and_audit,
            patients_cards_and_reservations,
            queue_numbers,
            queue_numbers_from_two_instances,
            queue_numbers_property,
            linkages,
            corrupt_rows_are_typed_errors,
            bulk_enrol_writes_what_put_person_and_link_certificate_write,
            bulk_enrol_refuses_a_conflict_whole,
            challenges_are_bounded_and_used_once,
            a_challenge_presented_to_two_instances_works_once,
            ledger_positions,
            ledger_appends_from_two_instances,
            two_consent_ledgers_on_one_database,
            accounts,
            tickets,
            a_ticket_at_two_gates_admits_once,
        );
    };
    ($fresh:path; $($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                suite::$name(&$fresh());
            }
        )*
    };
}

pub fn cert(issuer: &str, serial: u32) -> CertificateId {
    CertificateId::from_hex_parts(issuer, &format!("{serial:x}")).unwrap()
}

fn agency(n: u32) -> AgencyCode {
    AgencyCode::new(&format!("AGC{n:013}")).unwrap()
}

fn facility() -> FacilityCode {
    FacilityCode::new("1312345678").unwrap()
}

fn card(n: u32) -> PatientCardNumber {
    PatientCardNumber::new(&format!("P-{n:05}")).unwrap()
}

pub fn person(n: u32) -> (Person, Vec<Qualification>) {
    let mut p = Person::new(
        agency(n),
        format!("山田\u{3000}太郎{n}"),
        "ﾔﾏﾀﾞ ﾀﾛｳ",
        InsuranceSex::Male,
        InsuranceSex::Male,
        date!(1985 - 04 - 12),
    );
    p.address = n.is_multiple_of(2).then(|| format!("東京都千代田区{n}"));
    let mut q1 = Qualification::new(
        InsurerNumber::new("06139992").unwrap(),
        "記号1",
        format!("{n}"),
        "01",
        date!(2020 - 04 - 01),
    );
    q1.valid_until = Some(date!(2024 - 03 - 31));
    let mut q2 = Qualification::new(
        InsurerNumber::new("33120015").unwrap(),
        "記号2",
        format!("9{n}"),
        "00",
        date!(2024 - 04 - 01),
    );
    q2.elderly_recipient_contribution_ratio = Some("020".into());
    // Stored out of order: the store gives them back by valid_from.
    (p, vec![q2, q1])
}

fn sorted(mut q: Vec<Qualification>) -> Vec<Qualification> {
    q.sort_by_key(|q| q.valid_from);
    q
}

pub fn people_qualifications_and_certificate_links(db: &impl Db) {
    let s = db.store();
    let (p, q) = person(1);
    assert_eq!(s.person(&p.agency_code).unwrap(), None);
    s.put_person(&p, &q).unwrap();
    assert_eq!(
        s.person(&p.agency_code).unwrap(),
        Some((p.clone(), sorted(q.clone())))
    );
    // Replacing: new data, the old qualifications gone.
    let mut p2 = p.clone();
    p2.name = "山田\u{3000}花子".into();
    p2.sex2 = InsuranceSex::Female;
    p2.address = None;
    s.put_person(&p2, &q[..1]).unwrap();
    assert_eq!(
        s.person(&p.agency_code).unwrap(),
        Some((p2.clone(), q[..1].to_vec()))
    );
    s.put_person(&p, &q).unwrap();

    let c = cert("a1b2", 0x100);
    assert_eq!(s.resolve(&c).unwrap(), None);
    s.link_certificate(&c, &p.agency_code, AT).unwrap();
    // Idempotent for the same person, a conflict for another.
    s.link_certificate(&c, &p.agency_code, AT + Duration::hours(1))
        .unwrap();
    let (other, oq) = person(2);
    s.put_person(&other, &oq).unwrap();
    assert!(matches!(
        s.link_certificate(&c, &other.agency_code, AT),
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(s.resolve(&c).unwrap(), Some(p.agency_code.clone()));
    // Another handle (instance) sees it.
    assert_eq!(db.store().resolve(&c).unwrap(), Some(p.agency_code.clone()));

    let query = InsuranceCardQuery::new(
        InsurerNumber::new("33120015").unwrap(),
        "記号2",
        "91",
        Some("00".into()),
        date!(1985 - 04 - 12),
    );
    assert_eq!(
        s.find_by_insurance_card(&query).unwrap(),
        vec![p.agency_code.clone()]
    );
    let wrong_birth = InsuranceCardQuery::new(
        InsurerNumber::new("33120015").unwrap(),
        "記号2",
        "91",
        None,
        date!(1985 - 04 - 13),
    );
    assert!(s.find_by_insurance_card(&wrong_birth).unwrap().is_empty());

    assert_eq!(
        s.reference_number(&facility(), &p.agency_code).unwrap(),
        None
    );
    s.set_reference_number(&facility(), &p.agency_code, "R-1")
        .unwrap();
    s.set_reference_number(&facility(), &p.agency_code, "R-2")
        .unwrap();
    assert_eq!(
        s.reference_number(&facility(), &p.agency_code)
            .unwrap()
            .as_deref(),
        Some("R-2")
    );
}

pub fn renewal_lineage_and_legacy_ids(db: &impl Db) {
    let s = db.store();
    let (a, b, c) = (cert("aa", 1), cert("aa", 2), cert("bb", 3));
    assert_eq!(
        s.import_renewals(&[(a.clone(), b.clone()), (b.clone(), c.clone())])
            .unwrap(),
        2
    );
    assert_eq!(
        s.import_renewals(&[(a.clone(), b.clone())]).unwrap(),
        0,
        "known links are not new"
    );
    assert!(matches!(
        s.import_renewals(&[(cert("cc", 9), cert("cc", 10)), (c.clone(), c.clone())]),
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(
        s.lineage(&cert("cc", 10)).unwrap(),
        vec![cert("cc", 10)],
        "a refused import writes nothing"
    );
    assert_eq!(
        s.lineage(&c).unwrap(),
        vec![c.clone(), b.clone(), a.clone()]
    );
    assert_eq!(s.lineage(&a).unwrap(), vec![a.clone()]);

    // The person linked by the oldest certificate is found from the newest.
    let (p, q) = person(3);
    s.put_person(&p, &q).unwrap();
    s.link_certificate(&a, &p.agency_code, AT).unwrap();
    assert_eq!(s.resolve(&c).unwrap(), Some(p.agency_code.clone()));

    // A loop is a corrupt chain, not a hang.
    s.import_renewals(&[
        (cert("dd", 2), cert("dd", 1)),
        (cert("dd", 1), cert("dd", 2)),
    ])
    .unwrap();
    assert!(matches!(
        s.lineage(&cert("dd", 1)),
        Err(StoreError::CorruptRow { .. })
    ));

    // Rows written under a legacy id move to the real one.
    let legacy = LegacyCertificateId {
        issuer: "CN=Old CA,O=JPKI,C=JP".into(),
        serial: "77".into(),
    };
    let real = cert("ee", 0x77);
    let (p4, q4) = person(4);
    s.put_person(&p4, &q4).unwrap();
    db.execute(&format!(
        "INSERT INTO certificate_links (issuer, serial, agency_code, linked_at) VALUES ('{}', '{}', '{}', {})",
        legacy.issuer,
        legacy.serial,
        p4.agency_code.as_str(),
        "CURRENT_TIMESTAMP"
    ));
    assert_eq!(s.resolve(&real).unwrap(), None);
    assert_eq!(s.adopt_legacy_id(&legacy, &real).unwrap(), 1);
    assert_eq!(s.resolve(&real).unwrap(), Some(p4.agency_code.clone()));
    assert_eq!(s.adopt_legacy_id(&legacy, &real).unwrap(), 0);
}

pub fn terminals_nonces_and_audit(db: &impl Db) {
    let s = db.store();
    let f = facility();
    assert_eq!(s.terminal_key(&f, "desk-1").unwrap(), None);
    s.register_terminal(&f, "desk-1", b"key one", AT).unwrap();
    s.register_terminal(&f, "desk-1", b"key two", AT).unwrap();
    assert_eq!(
        s.terminal_key(&f, "desk-1").unwrap().as_deref(),
        Some(&b"key two"[..])
    );

    let until = AT + Duration::minutes(10);
    assert!(s.use_nonce(&f, b"n1", until, AT).unwrap());
    assert!(
        !db.store().use_nonce(&f, b"n1", until, AT).unwrap(),
        "used from another instance"
    );
    let other = FacilityCode::new("2712345678").unwrap();
    assert!(
        s.use_nonce(&other, b"n1", until, AT).unwrap(),
        "nonces are per facility"
    );
    // Once kept past `until` it is forgotten (the table stays bounded).
    assert!(
        s.use_nonce(
            &f,
            b"n1",
            until + Duration::hours(1),
            until + Duration::minutes(1)
        )
        .unwrap()
    );

    let mut e = AuditEntry::new(AT, f.clone(), LookupMode::Pin, "1");
    e.terminal = Some("desk-1".into());
    e.staff = Some("staff-7".into());
    e.certificate = Some(cert("ab", 5));
    e.evidence = Some("genuine".into());
    s.append_audit(&e).unwrap();
    s.append_audit(&AuditEntry::new(AT, f.clone(), LookupMode::Pin, "K3001"))
        .unwrap();
    s.append_audit(&AuditEntry::new(AT, f.clone(), LookupMode::Pin, "K3002"))
        .unwrap();
    s.append_audit(&AuditEntry::new(AT, f.clone(), LookupMode::Pin, "K2001"))
        .unwrap();
    s.append_audit(&AuditEntry::new(
        AT - Duration::hours(2),
        f.clone(),
        LookupMode::Pin,
        "1",
    ))
    .unwrap();
    s.append_audit(&AuditEntry::new(AT, other.clone(), LookupMode::Pin, "1"))
        .unwrap();
    assert_eq!(
        s.count_lookups(&f, LookupMode::Pin, AT - Duration::hours(1))
            .unwrap(),
        2
    );
    assert_eq!(
        s.count_lookups(&f, LookupMode::Pin, AT - Duration::hours(3))
            .unwrap(),
        3
    );
    let trail = s.audit_trail(Some(&f)).unwrap();
    assert_eq!(trail.len(), 5);
    assert_eq!(trail[0].at, AT, "same instant");
    assert_eq!(trail[0].terminal.as_deref(), Some("desk-1"));
    assert_eq!(trail[0].staff.as_deref(), Some("staff-7"));
    assert_eq!(trail[0].certificate, Some(cert("ab", 5)));
    assert_eq!(trail[0].evidence.as_deref(), Some("genuine"));
    assert_eq!(trail[1].result, "K3001");
    assert_eq!(s.audit_trail(None).unwrap().len(), 6);
}

pub fn patients_cards_and_reservations(db: &impl Db) {
    let s = db.store();
    let f = facility();
    assert_eq!(s.patient(&f, &card(1)).unwrap(), None);
    let rec = PatientRecord::new(
        "山田\u{3000}太郎",
        date!(1985 - 04 - 12),
        InsuranceSex::Male,
    );
    s.put_patient(&f, &card(1), &rec).unwrap();
    let rec2 = PatientRecord::new(
        "山田\u{3000}花子",
        date!(1986 - 05 - 13),
        InsuranceSex::Female,
    );
    s.put_patient(&f, &card(1), &rec2).unwrap();
    assert_eq!(s.patient(&f, &card(1)).unwrap(), Some(rec2));

    let (old, new, stranger) = (cert("c1", 1), cert("c1", 2), cert("c2", 3));
    s.link_patient_card(&f, &old, &card(1), AT).unwrap();
    s.link_patient_card(&f, &old, &card(1), AT).unwrap();
    assert!(matches!(
        s.link_patient_card(&f, &stranger, &card(1), AT),
        Err(StoreError::Conflict(_))
    ));
    // A renewed card takes the number over, and finds it through the renewal before that.
    s.import_renewals(&[(old.clone(), new.clone())]).unwrap();
    assert_eq!(s.patient_card(&f, &new).unwrap(), Some(card(1)));
    s.link_patient_card(&f, &new, &card(1), AT).unwrap();
    assert_eq!(s.patient_card(&f, &new).unwrap(), Some(card(1)));
    assert_eq!(s.patient_card(&f, &stranger).unwrap(), None);
    // Relinking a certificate to another number replaces its link.
    s.link_patient_card(&f, &stranger, &card(2), AT).unwrap();
    s.link_patient_card(&f, &stranger, &card(3), AT).unwrap();
    assert_eq!(s.patient_card(&f, &stranger).unwrap(), Some(card(3)));
    s.link_patient_card(&f, &cert("c3", 1), &card(2), AT)
        .unwrap();

    let day = date!(2026 - 11 - 26);
    s.add_reservation(&f, &card(1), &Reservation::new(day, "14:00", "内科"))
        .unwrap();
    s.add_reservation(&f, &card(1), &Reservation::new(day, "09:30", "眼科"))
        .unwrap();
    s.add_reservation(
        &f,
        &card(1),
        &Reservation::new(day.next_day().unwrap(), "09:00", "内科"),
    )
    .unwrap();
    let r = s.reservations(&f, &card(1), day).unwrap();
    assert_eq!(
        r,
        vec![
            Reservation::new(day, "09:30", "眼科"),
            Reservation::new(day, "14:00", "内科")
        ]
    );
    assert!(s.reservations(&f, &card(2), day).unwrap().is_empty());
}

pub fn queue_numbers(db: &impl Db) {
    let s = db.store();
    let f = facility();
    let day = date!(2026 - 11 - 26);
    assert_eq!(s.check_in(&f, &card(1), day, AT).unwrap(), 1);
    assert_eq!(s.check_in(&f, &card(2), day, AT).unwrap(), 2);
    assert_eq!(
        s.check_in(&f, &card(1), day, AT + Duration::hours(1))
            .unwrap(),
        1,
        "again: the same number"
    );
    assert_eq!(db.store().check_in(&f, &card(3), day, AT).unwrap(), 3);
    assert_eq!(
        s.check_in(&f, &card(3), day.next_day().unwrap(), AT)
            .unwrap(),
        1,
        "a new day starts at 1"
    );
    let other = FacilityCode::new("2712345678").unwrap();
    assert_eq!(
        s.check_in(&other, &card(3), day, AT).unwrap(),
        1,
        "per facility"
    );
}

/// Threads on two separate handles check in at one facility and day: the numbers are exactly
/// 1..=N, and checking in again gives each card its number.
pub fn queue_numbers_from_two_instances(db: &impl Db) {
    const N: u32 = 24;
    let (a, b) = (db.store(), db.store());
    let f = facility();
    let day = date!(2026 - 11 - 26);
    let got: Vec<(u32, u32)> = std::thread::scope(|sc| {
        let hs: Vec<_> = (0..N)
            .map(|i| {
                let s = if i % 2 == 0 { &a } else { &b };
                let f = &f;
                sc.spawn(move || (i, s.check_in(f, &card(i), day, AT).unwrap()))
            })
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let numbers: BTreeSet<u32> = got.iter().map(|(_, n)| *n).collect();
    assert_eq!(numbers, (1..=N).collect(), "{got:?}");
    // The same cards again, concurrently: each gets its own number back.
    let again: Vec<(u32, u32)> = std::thread::scope(|sc| {
        let hs: Vec<_> = (0..N)
            .map(|i| {
                let s = if i % 2 == 0 { &b } else { &a };
                let f = &f;
                sc.spawn(move || (i, s.check_in(f, &card(i), day, AT).unwrap()))
            })
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut got = got;
    let mut again = again;
    got.sort_unstable();
    again.sort_unstable();
    assert_eq!(got, again);
    // New cards, each presented at both instances at once: one number per card, still no gap.
    let both: Vec<(u32, u32)> = std::thread::scope(|sc| {
        let hs: Vec<_> = (N..2 * N)
            .flat_map(|i| [(i, &a), (i, &b)])
            .map(|(i, s)| {
                let f = &f;
                sc.spawn(move || (i, s.check_in(f, &card(i), day, AT).unwrap()))
            })
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for i in N..2 * N {
        let numbers: BTreeSet<u32> = both
            .iter()
            .filter(|(c, _)| *c == i)
            .map(|(_, n)| *n)
            .collect();
        assert_eq!(numbers.len(), 1, "card {i} got {numbers:?}");
    }
    let numbers: BTreeSet<u32> = both.iter().map(|(_, n)| *n).collect();
    assert_eq!(numbers, (N + 1..=2 * N).collect(), "{both:?}");
}

/// Any sequence of check-ins: the numbers are 1..=the number of distinct cards, in first-come
/// order, and a card always gets the same one.
pub fn queue_numbers_property(db: &impl Db) {
    use proptest::prelude::*;
    use proptest::test_runner::{Config, TestRunner};
    let s = db.store();
    let mut runner = TestRunner::new(Config {
        cases: 12,
        failure_persistence: None,
        ..Config::default()
    });
    let day_offset = std::cell::Cell::new(0i64);
    runner
        .run(&prop::collection::vec(0u32..8, 0..20), |cards| {
            // A fresh day per case: the database is shared between cases.
            day_offset.set(day_offset.get() + 1);
            let day: Date = date!(2030 - 01 - 01) + Duration::days(day_offset.get());
            let mut first: Vec<u32> = Vec::new();
            for c in &cards {
                let n = s.check_in(&facility(), &card(*c), day, AT).unwrap();
                let expected = match first.iter().position(|f| f == c) {
                    Some(i) => i + 1,
                    None => {
                        first.push(*c);
                        first.len()
                    }
                };
                prop_assert_eq!(n as usize, expected);
            }
            Ok(())
        })
        .unwrap();
}

fn application(n: u32) -> Application {
    Application::new(
        "山田 太郎",
        "ヤマダ タロウ",
        date!(1985 - 04 - 12),
        InsuranceSex::Male,
        Profession::MedicalDoctor,
        format!("{n}"),
        "東京病院",
    )
    .unwrap()
}

pub fn linkages(db: &impl Db) {
    let s = db.store();
    let l1 = Linkage::applied(application(1), cert("1a", 1), cert("1a", 2), AT);
    s.insert_linkage(&l1).unwrap();
    let same_sig = Linkage::applied(application(2), cert("1a", 1), cert("1a", 9), AT);
    assert!(matches!(
        s.insert_linkage(&same_sig),
        Err(StoreError::Conflict(_))
    ));
    let same_auth = Linkage::applied(application(2), cert("1a", 8), cert("1a", 2), AT);
    assert!(matches!(
        s.insert_linkage(&same_auth),
        Err(StoreError::Conflict(_))
    ));
    let same_licence = Linkage::applied(application(1), cert("1a", 7), cert("1a", 6), AT);
    assert!(matches!(
        s.insert_linkage(&same_licence),
        Err(StoreError::Conflict(_))
    ));
    let l2 = Linkage::applied(application(2), cert("2a", 1), cert("2a", 2), AT);
    s.insert_linkage(&l2).unwrap();

    assert_eq!(
        s.find_linkage(LinkageKey::Id(&l1.id)).unwrap(),
        Some(l1.clone())
    );
    assert_eq!(
        s.find_linkage(LinkageKey::JpkiSignature(&cert("1a", 1)))
            .unwrap(),
        Some(l1.clone())
    );
    assert_eq!(
        s.find_linkage(LinkageKey::JpkiAuthentication(&cert("2a", 2)))
            .unwrap(),
        Some(l2.clone())
    );
    assert_eq!(
        s.find_linkage(LinkageKey::Licence(Profession::MedicalDoctor, "2"))
            .unwrap(),
        Some(l2.clone())
    );
    assert_eq!(
        s.find_linkage(LinkageKey::Licence(Profession::Dentist, "2"))
            .unwrap(),
        None
    );

    let (hs, ha) = (cert("f0", 1), cert("f0", 2));
    s.record_issuance(&l1.id, &hs, Some(&ha), AT).unwrap();
    let active = s.find_linkage(LinkageKey::Hpki(&ha)).unwrap().unwrap();
    assert_eq!(active.state, LinkageState::Active);
    assert_eq!(active.hpki_signature, Some(hs.clone()));
    assert!(
        matches!(
            s.record_issuance(&l1.id, &hs, None, AT),
            Err(StoreError::Conflict(_))
        ),
        "not applied any more"
    );
    assert!(
        matches!(
            s.record_issuance(&l2.id, &hs, None, AT),
            Err(StoreError::Conflict(_))
        ),
        "HPKI certificate taken"
    );
    assert!(matches!(
        s.record_issuance(&l2.id, &cert("f0", 3), Some(&ha), AT),
        Err(StoreError::Conflict(_))
    ));
    let reason = SuspensionReason::LicenceRevoked {
        reason: "取消".into(),
    };
    assert!(s.suspend(&l1.id, &reason, AT).unwrap());
    assert!(
        !s.suspend(&l1.id, &reason, AT + Duration::days(1)).unwrap(),
        "the first suspension is kept"
    );
    let suspended = db
        .store()
        .find_linkage(LinkageKey::Id(&l1.id))
        .unwrap()
        .unwrap();
    assert_eq!(
        suspended.state,
        LinkageState::Suspended { reason, since: AT }
    );
    let ids: Vec<_> = s.linkages().unwrap().into_iter().map(|l| l.id).collect();
    let mut expected = vec![l1.id.clone(), l2.id.clone()];
    expected.sort_by(|a, b| a.as_str().cmp(b.as_str()));
    assert_eq!(ids, expected);
}

pub fn corrupt_rows_are_typed_errors(db: &impl Db) {
    let s = db.store();
    let (p, q) = person(5);
    s.put_person(&p, &q).unwrap();
    db.execute(&format!(
        "UPDATE persons SET sex1 = '9' WHERE agency_code = '{}'",
        p.agency_code.as_str()
    ));
    assert!(matches!(
        s.person(&p.agency_code),
        Err(StoreError::CorruptRow {
            table: "persons",
            ..
        })
    ));
    s.put_person(&p, &q).unwrap();
    db.execute("UPDATE qualifications SET branch = 'x'");
    assert!(matches!(
        s.person(&p.agency_code),
        Err(StoreError::CorruptRow {
            table: "qualifications",
            ..
        })
    ));

    s.append_audit(&AuditEntry::new(AT, facility(), LookupMode::Pin, "1"))
        .unwrap();
    db.execute("UPDATE audit SET mode = 'telepathy'");
    assert!(matches!(
        s.audit_trail(None),
        Err(StoreError::CorruptRow { table: "audit", .. })
    ));

    s.insert_linkage(&Linkage::applied(
        application(3),
        cert("3a", 1),
        cert("3a", 2),
        AT,
    ))
    .unwrap();
    db.execute("UPDATE linkages SET body = '{not json'");
    assert!(matches!(
        s.linkages(),
        Err(StoreError::CorruptRow {
            table: "linkages",
            ..
        })
    ));

    s.link_patient_card(&facility(), &cert("4a", 1), &card(4), AT)
        .unwrap();
    db.execute("UPDATE patient_cards SET serial = 'NOT HEX'");
    assert!(matches!(
        s.link_patient_card(&facility(), &cert("4a", 2), &card(4), AT),
        Err(StoreError::CorruptRow {
            table: "patient_cards",
            ..
        })
    ));
}

fn enrolled(n: u32) -> EnrolledPerson {
    let (p, q) = person(n);
    EnrolledPerson::new(p, q, cert("b0", n + 1), AT)
}

pub fn bulk_enrol_writes_what_put_person_and_link_certificate_write(db: &impl Db) {
    let s = db.store();
    // One person the normal way.
    let normal = enrolled(0);
    s.put_person(&normal.person, &normal.qualifications)
        .unwrap();
    s.link_certificate(&normal.certificate, &normal.person.agency_code, AT)
        .unwrap();
    // Person 0 again (idempotent link, same data), a person with no qualifications, and more.
    let mut bare = enrolled(1);
    bare.qualifications.clear();
    let mut people = vec![normal.clone(), bare.clone()];
    people.extend((2..200).map(enrolled));
    let loaded = s.bulk_enrol(&mut people.clone().into_iter()).unwrap();
    assert_eq!(loaded, 200);
    let other = db.store();
    for e in &people {
        assert_eq!(
            other.resolve(&e.certificate).unwrap(),
            Some(e.person.agency_code.clone())
        );
        assert_eq!(
            other.person(&e.person.agency_code).unwrap(),
            Some((e.person.clone(), sorted(e.qualifications.clone())))
        );
    }
    // Loaded data behaves as stored data: the insurance-card search and a conflicting link.
    let query = InsuranceCardQuery::new(
        InsurerNumber::new("33120015").unwrap(),
        "記号2",
        "97",
        None,
        date!(1985 - 04 - 12),
    );
    assert_eq!(s.find_by_insurance_card(&query).unwrap(), vec![agency(7)]);
    assert!(matches!(
        s.link_certificate(&cert("b0", 8), &agency(9), AT),
        Err(StoreError::Conflict(_))
    ));
    // Loading a person again replaces their data, as put_person does.
    let mut changed = enrolled(3);
    changed.person.name = "佐藤\u{3000}一郎".into();
    changed.qualifications.truncate(1);
    s.bulk_enrol(&mut std::iter::once(changed.clone())).unwrap();
    assert_eq!(
        s.person(&agency(3)).unwrap(),
        Some((changed.person, changed.qualifications))
    );
}

pub fn bulk_enrol_refuses_a_conflict_whole(db: &impl Db) {
    let s = db.store();
    let first = enrolled(0);
    s.put_person(&first.person, &first.qualifications).unwrap();
    s.link_certificate(&first.certificate, &first.person.agency_code, AT)
        .unwrap();
    // Person 5 comes with person 0's certificate.
    let mut thief = enrolled(5);
    thief.certificate = first.certificate.clone();
    let mut people = vec![enrolled(4), thief];
    assert!(matches!(
        s.bulk_enrol(&mut people.clone().into_iter()),
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(
        s.person(&agency(4)).unwrap(),
        None,
        "nothing of a refused load is stored"
    );
    // Two people of one load with one certificate.
    people = vec![enrolled(6), enrolled(7)];
    people[1].certificate = people[0].certificate.clone();
    assert!(matches!(
        s.bulk_enrol(&mut people.into_iter()),
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(s.person(&agency(6)).unwrap(), None);
}

pub fn challenges_are_bounded_and_used_once(db: &impl Db) {
    let c = db.challenges(Duration::minutes(5), 3);
    let x = c.issue(AT).unwrap();
    assert_eq!(x.len(), 32);
    c.check(&x, AT).unwrap();
    c.check(&x, AT).unwrap();
    // Issued by one instance, used at another.
    let other = db.challenges(Duration::minutes(5), 3);
    other.consume(&x, AT + Duration::minutes(1)).unwrap();
    assert_eq!(c.consume(&x, AT), Err(ChallengeProblem::Replayed));
    assert_eq!(c.check(&x, AT), Err(ChallengeProblem::Replayed));
    assert_eq!(c.consume(&[7u8; 32], AT), Err(ChallengeProblem::Unknown));
    let y = c.issue(AT).unwrap();
    let expires = AT + Duration::minutes(5);
    assert_eq!(
        c.consume(&y, expires),
        Err(ChallengeProblem::Expired {
            expired_at: expires
        })
    );
    assert_eq!(
        c.check(&y, expires),
        Err(ChallengeProblem::Expired {
            expired_at: expires
        })
    );
    c.issue(AT + Duration::minutes(1)).unwrap();
    // Full: three remembered, none expired yet.
    assert!(matches!(
        c.issue(AT + Duration::minutes(2)),
        Err(kazasu_pki::Error::ChallengeCapacity { capacity: 3 })
    ));
    // Once the first two expired, issuing makes room.
    c.issue(AT + Duration::seconds(301)).unwrap();
    assert_eq!(c.purge(AT + Duration::minutes(30)).unwrap(), 2);
    assert_eq!(c.purge(AT + Duration::minutes(30)).unwrap(), 0);
}

pub fn a_challenge_presented_to_two_instances_works_once(db: &impl Db) {
    let (a, b) = (
        db.challenges(Duration::minutes(5), 1000),
        db.challenges(Duration::minutes(5), 1000),
    );
    for _ in 0..5 {
        let x = a.issue(AT).unwrap();
        let results: Vec<Result<(), ChallengeProblem>> = std::thread::scope(|sc| {
            let hs: Vec<_> = (0..6)
                .map(|i| {
                    let s = if i % 2 == 0 { &a } else { &b };
                    let x = &x;
                    sc.spawn(move || s.consume(x, AT))
                })
                .collect();
            hs.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert_eq!(
            results.iter().filter(|r| r.is_ok()).count(),
            1,
            "{results:?}"
        );
        assert!(
            results
                .iter()
                .all(|r| r.is_ok() || *r == Err(ChallengeProblem::Replayed))
        );
    }
}

fn row(seq: u64, prev: [u8; 32], patient: &str) -> LedgerRow {
    let body = format!("{{\"seq\":{seq}}}").into_bytes();
    LedgerRow {
        seq,
        prev_hash: prev,
        hash: kazasu_consent::ledger::entry_hash(seq, &prev, &body),
        patient: patient.into(),
        body,
    }
}

pub fn ledger_positions(db: &impl Db) {
    let l = db.ledger();
    assert!(l.is_empty().unwrap());
    let r0 = row(0, [0; 32], "p1");
    l.append(&r0).unwrap();
    assert!(matches!(
        l.append(&r0),
        Err(ConsentError::PositionTaken { seq: 0 })
    ));
    assert!(matches!(
        l.append(&row(2, r0.hash, "p1")),
        Err(ConsentError::Store(_))
    ));
    let r1 = row(1, r0.hash, "p2");
    let r2 = row(2, r1.hash, "p1");
    l.append(&r1).unwrap();
    db.ledger().append(&r2).unwrap();
    assert_eq!(l.len().unwrap(), 3);
    assert_eq!(
        l.rows(0, 10).unwrap(),
        vec![r0.clone(), r1.clone(), r2.clone()]
    );
    assert_eq!(l.rows(1, 1).unwrap(), vec![r1.clone()]);
    assert!(l.rows(3, 10).unwrap().is_empty());
    assert_eq!(l.rows_for_patient("p1").unwrap(), vec![r0, r2.clone()]);
    assert!(l.rows_for_patient("nobody").unwrap().is_empty());
    // A checkpoint keeps its time's offset: the network signed that text.
    let cp = Checkpoint {
        seq: 2,
        head: r2.hash,
        at: AT,
        signature: vec![1, 2, 3],
    };
    l.add_checkpoint(&cp).unwrap();
    l.add_checkpoint(&Checkpoint {
        seq: 0,
        ..cp.clone()
    })
    .unwrap();
    let cps = db.ledger().checkpoints().unwrap();
    assert_eq!(cps.len(), 2);
    assert_eq!(cps[1], cp);
    assert_eq!(cps[1].at.offset(), AT.offset());
}

/// Writers on two handles append at the head they read, retrying when the position was taken:
/// every row lands once, at its own position, chained to the one before.
pub fn ledger_appends_from_two_instances(db: &impl Db) {
    const PER_WRITER: u64 = 10;
    let (a, b) = (db.ledger(), db.ledger());
    std::thread::scope(|sc| {
        for w in 0..4u64 {
            let l = if w % 2 == 0 { &a } else { &b };
            sc.spawn(move || {
                for k in 0..PER_WRITER {
                    loop {
                        let seq = l.len().unwrap();
                        let prev = match seq.checked_sub(1) {
                            None => [0; 32],
                            Some(last) => l.rows(last, 1).unwrap()[0].hash,
                        };
                        match l.append(&row(seq, prev, &format!("w{w}-{k}"))) {
                            Ok(()) => break,
                            Err(ConsentError::PositionTaken { .. }) => {}
                            Err(e) => panic!("{e}"),
                        }
                    }
                }
            });
        }
    });
    let rows = a.rows(0, 1000).unwrap();
    assert_eq!(rows.len() as u64, 4 * PER_WRITER);
    let mut prev = [0; 32];
    for (i, r) in rows.iter().enumerate() {
        assert_eq!(r.seq, i as u64);
        assert_eq!(r.prev_hash, prev, "row {i} chains to the one before");
        prev = r.hash;
    }
    let patients: BTreeSet<&str> = rows.iter().map(|r| r.patient.as_str()).collect();
    assert_eq!(
        patients.len() as u64,
        4 * PER_WRITER,
        "every append landed once"
    );
}

fn claim(n: u32) -> VerifiedClaim {
    VerifiedClaim {
        personal: PersonalData {
            name: format!("山田 太郎{n}"),
            name_substitute: String::new(),
            sex: kazasu_pki::Sex::Male,
            birth_date: kazasu_pki::BirthDate::parse("319850412").unwrap(),
            address: "東京都千代田区".into(),
            address_substitute: String::new(),
        },
        source: cert("5a", n),
        verified_at: AT,
    }
}

pub fn accounts(db: &impl Db) {
    let s = db.auth();
    let (auth1, auth2, auth3) = (cert("6a", 1), cert("6a", 2), cert("6a", 3));
    assert_eq!(s.find(&auth1).unwrap(), None);
    let a = s.create(&auth1, &claim(1)).unwrap();
    assert_eq!(a.authentication, auth1);
    assert_eq!(a.claim, claim(1));
    assert_eq!(
        db.auth().create(&auth1, &claim(2)),
        Err(AuthError::AlreadyBound)
    );
    assert_eq!(s.find(&auth1).unwrap(), Some(a.clone()));
    let b = s.create(&auth2, &claim(2)).unwrap();
    assert_ne!(a.id, b.id);
    // Moving onto a renewed certificate; not onto one that has an account.
    assert_eq!(s.rebind(&auth1, &auth2), Err(AuthError::AlreadyBound));
    let moved = s.rebind(&auth1, &auth3).unwrap().unwrap();
    assert_eq!(
        (moved.id, moved.authentication.clone()),
        (a.id, auth3.clone())
    );
    assert_eq!(s.find(&auth1).unwrap(), None);
    assert_eq!(
        s.rebind(&auth1, &cert("6a", 4)).unwrap(),
        None,
        "no account to move"
    );
}

pub fn tickets(db: &impl Db) {
    let s = db.auth();
    let (h1, h2, h3) = (cert("7a", 1), cert("7a", 2), cert("7a", 3));
    let t1 = s.bind("concert", &h1).unwrap();
    assert_eq!(s.bind("concert", &h1), Err(AuthError::AlreadyHasTicket));
    let t2 = s.bind("concert", &h2).unwrap();
    s.bind("match", &h3).unwrap();
    assert_ne!(t1.id, t2.id);
    assert_eq!(
        s.unused("concert", 10).unwrap(),
        vec![t1.clone(), t2.clone()]
    );
    assert_eq!(s.unused("concert", 1).unwrap(), vec![t1.clone()]);
    let adm = s.admit("concert", &h1, "gate-A", AT).unwrap();
    assert_eq!(
        (adm.ticket.clone(), adm.gate.as_str(), adm.at),
        (t1.clone(), "gate-A", AT)
    );
    assert_eq!(
        db.auth()
            .admit("concert", &h1, "gate-B", AT + Duration::minutes(1)),
        Err(AuthError::AlreadyAdmitted {
            ticket: t1.id,
            gate: "gate-A".into(),
            at: AT
        })
    );
    assert_eq!(
        s.admit("concert", &h3, "gate-A", AT),
        Err(AuthError::WrongEvent)
    );
    assert_eq!(
        s.admit("concert", &cert("7a", 9), "gate-A", AT),
        Err(AuthError::NoTicket)
    );
    assert_eq!(s.unused("concert", 10).unwrap(), vec![t2]);
}

pub fn a_ticket_at_two_gates_admits_once(db: &impl Db) {
    let (a, b) = (db.auth(), db.auth());
    for n in 0..4 {
        let holder = cert("8a", n + 1);
        a.bind("final", &holder).unwrap();
        let results: Vec<_> = std::thread::scope(|sc| {
            let hs: Vec<_> = (0..6)
                .map(|i| {
                    let s = if i % 2 == 0 { &a } else { &b };
                    let holder = &holder;
                    sc.spawn(move || s.admit("final", holder, &format!("gate-{i}"), AT))
                })
                .collect();
            hs.into_iter().map(|h| h.join().unwrap()).collect()
        });
        assert_eq!(
            results.iter().filter(|r| r.is_ok()).count(),
            1,
            "{results:?}"
        );
        assert!(
            results
                .iter()
                .all(|r| r.is_ok() || matches!(r, Err(AuthError::AlreadyAdmitted { .. })))
        );
    }
}

/// Two `ConsentLedger`s (two instances) over two handles on one database, acting from threads:
/// every act lands once, at its own position, and the chain and checkpoint audit intact.
pub fn two_consent_ledgers_on_one_database(db: &impl Db) {
    use kazasu_consent::{Actor, ConsentLedger, DataClass, Decision, EvidenceVerifier, NetworkKey};
    let key = || NetworkKey::new(kazasu_virtual_card::pki::fixture_key(7).unwrap()).unwrap();
    let ledger = |store| {
        ConsentLedger::new(
            "net-kanto",
            ["1312345678".to_owned()],
            store,
            EvidenceVerifier::new(&[], &[]).unwrap(),
            key(),
        )
        .unwrap()
    };
    let (a, b) = (ledger(db.ledger()), ledger(db.ledger()));
    const ACTS: usize = 24;
    let seqs: Vec<u64> = std::thread::scope(|sc| {
        let hs: Vec<_> = (0..ACTS)
            .map(|i| {
                let l = if i % 2 == 0 { &a } else { &b };
                sc.spawn(move || {
                    let er = Actor::Facility {
                        facility: "2799999999".into(),
                    };
                    match l
                        .break_glass(
                            &format!("p{i}"),
                            &er,
                            &DataClass::Medication,
                            "unconscious at the door",
                            AT,
                        )
                        .unwrap()
                    {
                        Decision::Permit { seq, .. } => seq,
                        other => panic!("{other:?}"),
                    }
                })
            })
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let distinct: BTreeSet<u64> = seqs.iter().copied().collect();
    assert_eq!(distinct, (0..ACTS as u64).collect(), "{seqs:?}");
    assert_eq!(a.store().len().unwrap(), ACTS as u64);
    b.checkpoint(AT).unwrap().unwrap();
    let report = a.audit(&b.public_key_der().unwrap(), true).unwrap();
    assert!(report.is_intact(), "{report:?}");
    assert_eq!((report.rows, report.checkpoints), (ACTS as u64, 1));
}
