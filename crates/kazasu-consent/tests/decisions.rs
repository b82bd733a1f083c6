//! Every decision path, the evidence rules, and queries between networks.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use kazasu_consent::{
    Action, Actor, Basis, ConsentError, DataClass, Decision, DenyReason, Grantee, LedgerStore,
    MemoryLedgerStore, PairKey, Pattern, PeerAnswer, PeerDirectory, PeerQuery, Performer, Purpose,
    ReaderDefaults, pair_pseudonym,
};
use time::Duration;
use time::macros::date;

fn facility(f: &str) -> Actor {
    Actor::Facility { facility: f.into() }
}

fn clinician(hpki: &str, f: &str) -> Actor {
    Actor::Clinician {
        hpki: hpki.into(),
        facility: f.into(),
    }
}

fn deny(reason: DenyReason) -> Decision {
    Decision::Deny { reason }
}

#[test]
fn listed_set_permits_the_member_clinic_and_refuses_others() {
    let w = World::new();
    let ledger = w.ledger(MemoryLedgerStore::new());
    let r = w.record(
        "c1",
        "p1",
        Pattern::Listed,
        vec![Grantee::Facility(MEMBER.into())],
    );
    let seq = w.grant(&ledger, &r);
    let med = DataClass::Medication;
    let treat = Purpose::Treatment;
    assert_eq!(
        ledger
            .check("p1", &facility(MEMBER), &med, &treat, AT)
            .unwrap(),
        Decision::Permit {
            seq,
            consent_id: "c1".into(),
            basis: Basis::Consent
        }
    );
    // A clinician working at the listed facility is covered too.
    assert!(
        ledger
            .check("p1", &clinician("hpki-1", MEMBER), &med, &treat, AT)
            .unwrap()
            .is_permit()
    );
    // A member not on the list, and a non-member.
    assert_eq!(
        ledger
            .check("p1", &facility(MEMBER2), &med, &treat, AT)
            .unwrap(),
        deny(DenyReason::ActorNotCovered)
    );
    assert_eq!(
        ledger
            .check("p1", &facility(NON_MEMBER), &med, &treat, AT)
            .unwrap(),
        deny(DenyReason::ActorNotCovered)
    );
    assert_eq!(
        ledger
            .check("p1", &facility(MEMBER), &DataClass::Images, &treat, AT)
            .unwrap(),
        deny(DenyReason::ClassNotCovered)
    );
    assert_eq!(
        ledger
            .check("p1", &facility(MEMBER), &med, &Purpose::Research, AT)
            .unwrap(),
        deny(DenyReason::PurposeNotCovered)
    );
    assert_eq!(
        ledger
            .check("p2", &facility(MEMBER), &med, &treat, AT)
            .unwrap(),
        deny(DenyReason::NoConsent)
    );
    assert_eq!(
        ledger
            .check(
                "p1",
                &facility(MEMBER),
                &med,
                &treat,
                AT - Duration::days(1)
            )
            .unwrap(),
        deny(DenyReason::NoConsent),
        "a consent recorded later does not exist yet"
    );
}

#[test]
fn all_members_covers_members_only_and_never_other_networks() {
    let w = World::new();
    let ledger = w.ledger(MemoryLedgerStore::new());
    w.grant(&ledger, &w.record("c1", "p1", Pattern::AllMembers, vec![]));
    let med = DataClass::Medication;
    let t = Purpose::Treatment;
    assert!(
        ledger
            .check("p1", &facility(MEMBER), &med, &t, AT)
            .unwrap()
            .is_permit()
    );
    assert!(
        ledger
            .check("p1", &facility(MEMBER2), &med, &t, AT)
            .unwrap()
            .is_permit()
    );
    assert!(
        ledger
            .check("p1", &clinician("h", MEMBER2), &med, &t, AT)
            .unwrap()
            .is_permit()
    );
    assert_eq!(
        ledger
            .check("p1", &facility(NON_MEMBER), &med, &t, AT)
            .unwrap(),
        deny(DenyReason::ActorNotCovered)
    );
    assert_eq!(
        ledger
            .check(
                "p1",
                &Actor::Network {
                    network: "net-kinki".into()
                },
                &med,
                &t,
                AT
            )
            .unwrap(),
        deny(DenyReason::ActorNotCovered)
    );
}

#[test]
fn per_clinician_covers_that_clinician_only() {
    let w = World::new();
    let ledger = w.ledger(MemoryLedgerStore::new());
    w.grant(
        &ledger,
        &w.record(
            "c1",
            "p1",
            Pattern::PerClinician,
            vec![Grantee::Clinician("hpki-dr-sato".into())],
        ),
    );
    let med = DataClass::Medication;
    let t = Purpose::Treatment;
    assert!(
        ledger
            .check("p1", &clinician("hpki-dr-sato", NON_MEMBER), &med, &t, AT)
            .unwrap()
            .is_permit()
    );
    assert_eq!(
        ledger
            .check("p1", &clinician("hpki-dr-ito", MEMBER), &med, &t, AT)
            .unwrap(),
        deny(DenyReason::ActorNotCovered)
    );
    assert_eq!(
        ledger.check("p1", &facility(MEMBER), &med, &t, AT).unwrap(),
        deny(DenyReason::ActorNotCovered)
    );
}

#[test]
fn per_facility_needs_exactly_one_facility() {
    let w = World::new();
    let ledger = w.ledger(MemoryLedgerStore::new());
    let r = w.record(
        "c1",
        "p1",
        Pattern::PerFacility,
        vec![
            Grantee::Facility(MEMBER.into()),
            Grantee::Facility(MEMBER2.into()),
        ],
    );
    let (bytes, ev) = w.sign_cms(&w.doc(Action::Grant, &r, AT), &w.adult);
    assert!(matches!(
        ledger.record(&bytes, ev, AT),
        Err(ConsentError::Invalid {
            field: "grantees",
            ..
        })
    ));
    let r = w.record(
        "c1",
        "p1",
        Pattern::PerFacility,
        vec![Grantee::Facility(MEMBER2.into())],
    );
    w.grant(&ledger, &r);
    assert!(
        ledger
            .check(
                "p1",
                &facility(MEMBER2),
                &DataClass::Labs,
                &Purpose::Treatment,
                AT
            )
            .unwrap()
            .is_permit()
    );
}

#[test]
fn period_bounds_not_yet_valid_and_expired() {
    let w = World::new();
    let ledger = w.ledger(MemoryLedgerStore::new());
    let mut r = w.record("c1", "p1", Pattern::AllMembers, vec![]);
    r.period.start = AT + Duration::days(2);
    r.period.end = Some(AT + Duration::days(10));
    w.grant(&ledger, &r);
    let check = |at| {
        ledger
            .check(
                "p1",
                &facility(MEMBER),
                &DataClass::Medication,
                &Purpose::Treatment,
                at,
            )
            .unwrap()
    };
    assert_eq!(check(AT + Duration::days(1)), deny(DenyReason::NotYetValid));
    assert!(check(AT + Duration::days(5)).is_permit());
    assert_eq!(check(AT + Duration::days(10)), deny(DenyReason::Expired));
}

#[test]
fn withdrawal_is_a_new_entry_and_refuses_from_then_on() {
    let w = World::new();
    let ledger = w.ledger(MemoryLedgerStore::new());
    let r = w.record(
        "c1",
        "p1",
        Pattern::Listed,
        vec![Grantee::Facility(MEMBER.into())],
    );
    w.grant(&ledger, &r);
    let later = AT + Duration::hours(2);
    let (bytes, ev) = w.sign_cms(&w.doc(Action::Withdraw, &r, later), &w.adult);
    let wseq = ledger.record(&bytes, ev, later).unwrap();
    assert_eq!(
        ledger.store().len().unwrap_or(0),
        2,
        "append-only: two rows"
    );
    let check = |at| {
        ledger
            .check(
                "p1",
                &facility(MEMBER),
                &DataClass::Medication,
                &Purpose::Treatment,
                at,
            )
            .unwrap()
    };
    assert_eq!(
        check(later + Duration::minutes(1)),
        deny(DenyReason::Withdrawn { seq: wseq })
    );
    assert!(
        check(AT + Duration::hours(1)).is_permit(),
        "before the withdrawal the consent held"
    );
    // Withdrawing twice, or withdrawing what was never granted, is refused.
    let (bytes, ev) = w.sign_cms(&w.doc(Action::Withdraw, &r, later), &w.adult);
    assert!(matches!(
        ledger.record(&bytes, ev, later + Duration::minutes(5)),
        Err(ConsentError::Refused(_))
    ));
    let other = w.record("c9", "p1", Pattern::AllMembers, vec![]);
    let (bytes, ev) = w.sign_cms(&w.doc(Action::Withdraw, &other, later), &w.adult);
    assert!(matches!(
        ledger.record(&bytes, ev, later),
        Err(ConsentError::Refused(_))
    ));
}

#[test]
fn a_duplicate_grant_is_refused() {
    let w = World::new();
    let ledger = w.ledger(MemoryLedgerStore::new());
    let r = w.record("c1", "p1", Pattern::AllMembers, vec![]);
    w.grant(&ledger, &r);
    let (bytes, ev) = w.sign_cms(&w.doc(Action::Grant, &r, AT), &w.adult);
    assert!(matches!(
        ledger.record(&bytes, ev, AT),
        Err(ConsentError::Refused(_))
    ));
}

#[test]
fn entered_in_error_refuses() {
    let w = World::new();
    let ledger = w.ledger(MemoryLedgerStore::new());
    w.grant(&ledger, &w.record("c1", "p1", Pattern::AllMembers, vec![]));
    ledger
        .mark_entered_in_error("p1", "c1", "wrong patient at the desk", AT)
        .unwrap();
    assert_eq!(
        ledger
            .check(
                "p1",
                &facility(MEMBER),
                &DataClass::Medication,
                &Purpose::Treatment,
                AT
            )
            .unwrap(),
        deny(DenyReason::EnteredInError)
    );
}

#[test]
fn minors_need_a_representative_whose_authority_ends_at_majority() {
    let w = World::new();
    let ledger = w.ledger(MemoryLedgerStore::new());
    // 17 at the grant, 18 on 2027-06-01.
    let birth = date!(2009 - 06 - 01);
    let mut alone = w.child_record("k1", "child-1", birth);
    alone.performer = Performer::Patient;
    alone.patient.jpki = w.adult.sign_id.clone();
    let (bytes, ev) = w.sign_cms(&w.doc(Action::Grant, &alone, AT), &w.adult);
    assert!(
        matches!(ledger.record(&bytes, ev, AT), Err(ConsentError::Refused(_))),
        "a minor alone"
    );

    let r = w.child_record("k1", "child-1", birth);
    w.grant(&ledger, &r);
    let check = |at| {
        ledger
            .check(
                "child-1",
                &facility(MEMBER),
                &DataClass::Medication,
                &Purpose::Treatment,
                at,
            )
            .unwrap()
    };
    assert!(check(AT + Duration::days(30)).is_permit());
    assert_eq!(
        check(time::macros::datetime!(2027-06-01 09:00 +09:00)),
        deny(DenyReason::RepresentativeAuthorityEnded)
    );
}

#[test]
fn the_representative_must_sign_with_their_own_key() {
    let w = World::new();
    let ledger = w.ledger(MemoryLedgerStore::new());
    let r = w.child_record("k1", "child-1", date!(2015 - 04 - 01));
    // Signed by a stranger instead of the named parent.
    let (bytes, ev) = w.sign_cms(&w.doc(Action::Grant, &r, AT), &w.stranger);
    let e = ledger.record(&bytes, ev, AT).unwrap_err();
    assert!(
        matches!(e, ConsentError::Evidence(ref m) if m.contains("names")),
        "{e}"
    );
}

#[test]
fn authentication_assertion_evidence_with_domain_separation() {
    let w = World::new();
    let ledger = w.ledger(MemoryLedgerStore::new());
    let mut r = w.record("c1", "p1", Pattern::AllMembers, vec![]);
    r.patient.jpki = w.adult.auth_id.clone();
    let doc = w.doc(Action::Grant, &r, AT);
    // A bare signature over the document's hash (no domain label) is not a consent.
    let bytes = doc.to_canonical().unwrap();
    let key = rsa::pkcs1v15::SigningKey::<sha2::Sha256>::new(w.adult.creds.auth_key.clone());
    use rsa::signature::{SignatureEncoding, Signer};
    let bare = key.sign(&bytes).to_vec();
    let ev = kazasu_consent::evidence::assertion_evidence(
        &w.adult.creds.auth_certificate,
        &bare,
        &w.crls,
    );
    assert!(matches!(
        ledger.record(&bytes, ev, AT),
        Err(ConsentError::Evidence(_))
    ));
    // Without the CRLs of the time it cannot be verified offline.
    let (bytes, ev) = w.sign_assertion(&doc, &w.adult);
    let ev_no_crl = match ev.clone() {
        kazasu_consent::Evidence::Assertion {
            certificate,
            signature,
            ..
        } => kazasu_consent::Evidence::Assertion {
            certificate,
            signature,
            crls: vec![],
        },
        other => other,
    };
    assert!(matches!(
        ledger.record(&bytes, ev_no_crl, AT),
        Err(ConsentError::Evidence(_))
    ));
    ledger.record(&bytes, ev, AT).unwrap();
    assert!(
        ledger
            .check(
                "p1",
                &facility(MEMBER),
                &DataClass::Labs,
                &Purpose::Treatment,
                AT
            )
            .unwrap()
            .is_permit()
    );
}

#[test]
fn cms_evidence_must_carry_this_document_and_a_timestamp() {
    let w = World::new();
    let ledger = w.ledger(MemoryLedgerStore::new());
    let r = w.record("c1", "p1", Pattern::AllMembers, vec![]);
    let other = w.record("c2", "p1", Pattern::AllMembers, vec![]);
    let (bytes, _) = w.sign_cms(&w.doc(Action::Grant, &r, AT), &w.adult);
    let (_, other_ev) = w.sign_cms(&w.doc(Action::Grant, &other, AT), &w.adult);
    assert!(matches!(
        ledger.record(&bytes, other_ev, AT),
        Err(ConsentError::Evidence(_))
    ));
    // B-B (no timestamp) is refused.
    let mut signer = kazasu_sign::SoftwareSigner::new(
        w.adult.creds.sign_certificate.clone(),
        w.adult.creds.sign_key.clone(),
    )
    .unwrap();
    let mut o = kazasu_sign::cms::SignOptions::default();
    o.attached = true;
    let cms = kazasu_sign::cms::sign(&bytes, &mut signer, &o).unwrap();
    let e = ledger
        .record(&bytes, kazasu_consent::Evidence::Cms { cms }, AT)
        .unwrap_err();
    assert!(e.to_string().contains("timestamp"), "{e}");
}

#[test]
fn reader_consent_lasts_24_hours_at_one_facility() {
    let w = World::new();
    let ledger = w.ledger(MemoryLedgerStore::new());
    let defaults = ReaderDefaults {
        facility: MEMBER.into(),
        classes: vec![DataClass::Medication, DataClass::CheckUps],
    };
    let mut patient = w.record("x", "p1", Pattern::AllMembers, vec![]).patient;
    patient.jpki = w.adult.auth_id.clone();
    let policy = w.record("x", "p1", Pattern::AllMembers, vec![]).policy;
    let r = defaults.consent("reader-1", NETWORK, patient, policy, AT);
    let (bytes, ev) = w.sign_assertion(&w.doc(Action::Grant, &r, AT), &w.adult);
    let seq = ledger.record(&bytes, ev, AT).unwrap();
    let check = |f: &str, c: DataClass, at| {
        ledger
            .check("p1", &facility(f), &c, &Purpose::Treatment, at)
            .unwrap()
    };
    assert_eq!(
        check(MEMBER, DataClass::Medication, AT + Duration::hours(23)),
        Decision::Permit {
            seq,
            consent_id: "reader-1".into(),
            basis: Basis::ReaderConsent
        }
    );
    assert_eq!(
        check(MEMBER, DataClass::Medication, AT + Duration::hours(24)),
        deny(DenyReason::Expired)
    );
    assert_eq!(
        check(MEMBER2, DataClass::Medication, AT),
        deny(DenyReason::ActorNotCovered)
    );
    assert_eq!(
        check(MEMBER, DataClass::Surgery, AT),
        deny(DenyReason::ClassNotCovered)
    );
    // A reader consent cannot be stretched past 24 hours or to labs.
    let mut long = r.clone();
    long.id = "reader-2".into();
    long.period.end = Some(AT + Duration::hours(48));
    let (bytes, ev) = w.sign_assertion(&w.doc(Action::Grant, &long, AT), &w.adult);
    assert!(matches!(
        ledger.record(&bytes, ev, AT),
        Err(ConsentError::Invalid { .. })
    ));
    let mut labs = r;
    labs.id = "reader-3".into();
    labs.classes.push(DataClass::Labs);
    let (bytes, ev) = w.sign_assertion(&w.doc(Action::Grant, &labs, AT), &w.adult);
    assert!(matches!(
        ledger.record(&bytes, ev, AT),
        Err(ConsentError::Invalid { .. })
    ));
}

#[test]
fn break_glass_needs_a_reason_and_is_recorded() {
    let w = World::new();
    let ledger = w.ledger(MemoryLedgerStore::new());
    let er = clinician("hpki-er", NON_MEMBER);
    assert_eq!(
        ledger
            .check(
                "p1",
                &er,
                &DataClass::Medication,
                &Purpose::EmergencyTreatment,
                AT
            )
            .unwrap(),
        deny(DenyReason::NoConsent)
    );
    assert!(matches!(
        ledger.break_glass("p1", &er, &DataClass::Medication, "  ", AT),
        Err(ConsentError::Refused(_))
    ));
    assert!(matches!(
        ledger.break_glass("p1", &er, &DataClass::Medication, "urgent", AT),
        Err(ConsentError::Refused(_))
    ));
    assert_eq!(
        ledger.store().len().unwrap_or(9),
        0,
        "refusals write nothing"
    );
    let d = ledger
        .break_glass(
            "p1",
            &er,
            &DataClass::Medication,
            "unconscious patient, anaphylaxis suspected",
            AT,
        )
        .unwrap();
    assert_eq!(
        d,
        Decision::Permit {
            seq: 0,
            consent_id: String::new(),
            basis: Basis::BreakGlass
        }
    );
    let rows = ledger.store().rows_for_patient("p1").unwrap();
    assert_eq!(rows.len(), 1);
    assert!(String::from_utf8_lossy(&rows[0].body).contains("anaphylaxis"));
    // Break-glass does not become a consent.
    assert_eq!(
        ledger
            .check(
                "p1",
                &er,
                &DataClass::Medication,
                &Purpose::EmergencyTreatment,
                AT
            )
            .unwrap(),
        deny(DenyReason::NoConsent)
    );
}

#[test]
fn networks_ask_each_other_by_pair_pseudonym() {
    let w = World::new();
    // Network B (ours) holds the consent; A asks.
    let ledger_b = w.ledger(MemoryLedgerStore::new());
    let a = "net-kinki";
    let c = "net-tohoku";
    let key_ab = [7u8; 32];
    let key_bc = [9u8; 32];
    let mut dir_b = PeerDirectory::new(NETWORK);
    dir_b.add_peer(a, PairKey::new(&key_ab).unwrap()).unwrap();
    dir_b.add_peer(c, PairKey::new(&key_bc).unwrap()).unwrap();
    let hid = b"opaque-healthcare-id-0001";
    dir_b.enrol("p1", hid).unwrap();
    w.grant(
        &ledger_b,
        &w.record(
            "c1",
            "p1",
            Pattern::Listed,
            vec![Grantee::Network(a.into()), Grantee::Facility(MEMBER.into())],
        ),
    );

    // A derives the same pseudonym on its side, with the pair key only.
    let p_a = pair_pseudonym(&PairKey::new(&key_ab).unwrap(), a, NETWORK, hid).unwrap();
    assert_eq!(p_a, dir_b.pseudonym(a, hid).unwrap(), "symmetric");
    let p_c = pair_pseudonym(&PairKey::new(&key_bc).unwrap(), c, NETWORK, hid).unwrap();
    assert_ne!(p_a, p_c, "pairs cannot join their pseudonyms");
    assert!(!p_a.windows(hid.len()).any(|w| w == hid));

    let q = |from: &str, pseudonym| PeerQuery {
        from: from.into(),
        pseudonym,
        class: DataClass::Medication,
        purpose: Purpose::Treatment,
    };
    assert_eq!(
        dir_b.answer(&ledger_b, &q(a, p_a), AT).unwrap(),
        PeerAnswer::Permit {
            consent_id: "c1".into()
        }
    );
    assert_eq!(
        dir_b.answer(&ledger_b, &q(c, p_c), AT).unwrap(),
        PeerAnswer::Deny {
            reason: DenyReason::ActorNotCovered
        },
        "the consent does not name C"
    );
    assert_eq!(
        dir_b.answer(&ledger_b, &q(a, [0; 32]), AT).unwrap(),
        PeerAnswer::Deny {
            reason: DenyReason::NoConsent
        }
    );
    // A's pseudonym presented as C's does not resolve.
    assert_eq!(
        dir_b.answer(&ledger_b, &q(c, p_a), AT).unwrap(),
        PeerAnswer::Deny {
            reason: DenyReason::NoConsent
        }
    );
    assert!(dir_b.answer(&ledger_b, &q("net-unknown", p_a), AT).is_err());
    assert!(PairKey::new(&[1u8; 16]).is_err());
}

#[test]
fn the_timestamp_must_fit_the_stated_and_recorded_times() {
    let w = World::new();
    let ledger = w.ledger(MemoryLedgerStore::new());
    let r = w.record("c1", "p1", Pattern::AllMembers, vec![]);
    let doc = w.doc(Action::Grant, &r, AT);
    let (bytes, ev) = w.sign_cms(&doc, &w.adult);
    // Recorded a day before the timestamp says the signature existed.
    let e = ledger
        .record(&bytes, ev.clone(), AT - Duration::days(1))
        .unwrap_err();
    assert!(e.to_string().contains("timestamp"), "{e}");
    // A document claiming a later time than its timestamp proves.
    let late = w.doc(Action::Grant, &r, AT + Duration::hours(3));
    let bytes = late.to_canonical().unwrap();
    *w.clock.lock().unwrap() = AT;
    let mut signer = kazasu_sign::SoftwareSigner::new(
        w.adult.creds.sign_certificate.clone(),
        w.adult.creds.sign_key.clone(),
    )
    .unwrap();
    let (_, ev_late) =
        kazasu_consent::evidence::sign_document(&late, &mut signer, &w.tsa, &w.crls).unwrap();
    assert!(
        ledger
            .record(&bytes, ev_late, AT + Duration::hours(4))
            .is_err()
    );
    ledger.record(&doc.to_canonical().unwrap(), ev, AT).unwrap();
}

#[test]
fn concurrent_grants_of_one_consent_record_it_once() {
    let w = World::new();
    let ledger = w.ledger(MemoryLedgerStore::new());
    let r = w.record("c1", "p1", Pattern::AllMembers, vec![]);
    let signed: Vec<_> = (0..4)
        .map(|_| w.sign_cms(&w.doc(Action::Grant, &r, AT), &w.adult))
        .collect();
    let results: Vec<bool> = std::thread::scope(|s| {
        let handles: Vec<_> = signed
            .iter()
            .map(|(bytes, ev)| s.spawn(|| ledger.record(bytes, ev.clone(), AT).is_ok()))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(results.iter().filter(|ok| **ok).count(), 1, "{results:?}");
    assert_eq!(ledger.store().len().unwrap(), 1);
}
