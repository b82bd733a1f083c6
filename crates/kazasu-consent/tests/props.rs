//! Properties: the canonical document and FHIR round-trip; no input panics the readers.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use kazasu_consent::evidence::HexBytes;
use kazasu_consent::{
    Action, ConsentDocument, ConsentKind, ConsentRecord, ConsentState, DataClass, Evidence,
    Grantee, JpkiIdentity, Patient, Pattern, Performer, Period, Policy, Purpose, Status, fhir,
};
use proptest::prelude::*;
use time::{Date, Duration, OffsetDateTime, UtcOffset};

fn text() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9][a-zA-Z0-9 ._:/山田花子-]{0,15}"
}

fn jpki() -> impl Strategy<Value = JpkiIdentity> {
    ("[0-9a-f]{2,40}", "[0-9a-f]{1,16}")
        .prop_map(|(a, b)| JpkiIdentity::new(&format!("{a}:{b}")).unwrap())
}

fn instant() -> impl Strategy<Value = OffsetDateTime> {
    (1_600_000_000i64..2_200_000_000, prop::bool::ANY).prop_map(|(s, jst)| {
        let t = OffsetDateTime::from_unix_timestamp(s).unwrap();
        if jst {
            t.to_offset(UtcOffset::from_hms(9, 0, 0).unwrap())
        } else {
            t
        }
    })
}

fn class() -> impl Strategy<Value = DataClass> {
    prop_oneof![
        Just(DataClass::Medication),
        Just(DataClass::DiagnosesAndCare),
        Just(DataClass::Surgery),
        Just(DataClass::CheckUps),
        Just(DataClass::Labs),
        Just(DataClass::Images),
        "[a-z][a-z0-9_]{0,10}x".prop_map(DataClass::Other),
    ]
}

fn purpose() -> impl Strategy<Value = Purpose> {
    prop_oneof![
        Just(Purpose::Treatment),
        Just(Purpose::EmergencyTreatment),
        Just(Purpose::Payment),
        Just(Purpose::Research),
    ]
}

fn grantee() -> impl Strategy<Value = Grantee> {
    prop_oneof![
        text().prop_map(Grantee::Facility),
        text().prop_map(Grantee::Clinician),
        text().prop_map(Grantee::Network),
    ]
}

prop_compose! {
    fn record()(
        id in text(), network in text(), patient in text(), pj in jpki(),
        birth_days in 0i64..25_000,
        pattern in prop_oneof![Just(Pattern::AllMembers), Just(Pattern::Listed), Just(Pattern::PerFacility), Just(Pattern::PerClinician)],
        listed in prop::collection::vec(grantee(), 1..4),
        one in text(),
        classes in prop::collection::vec(class(), 1..4),
        purposes in prop::collection::vec(purpose(), 1..3),
        start in instant(), days in prop::option::of(1i64..2000),
        rep in prop::option::of((text(), "[A-Z]{2,5}", jpki())),
        uri in "https://[a-z]{1,10}\\.example/[a-z]{0,8}", version in "[0-9]{1,3}",
    ) -> ConsentRecord {
        let grantees = match pattern {
            Pattern::AllMembers => vec![],
            Pattern::Listed => listed,
            Pattern::PerFacility => vec![Grantee::Facility(one)],
            Pattern::PerClinician => vec![Grantee::Clinician(one)],
        };
        ConsentRecord {
            id, network, kind: ConsentKind::Network,
            patient: Patient {
                network_id: patient, jpki: pj,
                birth_date: Date::from_calendar_date(1930, time::Month::January, 1).unwrap() + Duration::days(birth_days),
            },
            pattern, grantees, classes, purposes,
            period: Period { start, end: days.map(|d| start + Duration::days(d)) },
            performer: match rep {
                None => Performer::Patient,
                Some((name, relationship, jpki)) => Performer::Representative { name, relationship, jpki },
            },
            policy: Policy { uri, version },
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn canonical_document_round_trips(r in record(), at in instant(), withdraw in prop::bool::ANY) {
        let doc = ConsentDocument {
            action: if withdraw { Action::Withdraw } else { Action::Grant },
            at,
            performer: r.performer.clone(),
            record: r,
        };
        let bytes = doc.to_canonical().unwrap();
        let back = ConsentDocument::from_canonical(&bytes).unwrap();
        prop_assert_eq!(&back, &doc);
        prop_assert_eq!(back.to_canonical().unwrap(), bytes.clone());
        // Any change to the human-readable part is refused.
        let text = String::from_utf8(bytes).unwrap();
        let edited = text.replacen("Purpose:", "Purpose: HRESCH,", 1);
        prop_assert!(ConsentDocument::from_canonical(edited.as_bytes()).is_err());
    }

    #[test]
    fn fhir_round_trips(
        r in record(), at in instant(),
        status in prop_oneof![Just(Status::Active), Just(Status::Withdrawn), Just(Status::EnteredInError)],
        cert in prop::collection::vec(any::<u8>(), 1..64),
        sig in prop::collection::vec(any::<u8>(), 1..64),
        crls in prop::collection::vec(prop::collection::vec(any::<u8>(), 1..32), 0..3),
    ) {
        let doc = ConsentDocument { action: Action::Grant, at, performer: r.performer.clone(), record: r.clone() };
        let document = String::from_utf8(doc.to_canonical().unwrap()).unwrap();
        let evidence = Evidence::Assertion { certificate: cert, signature: sig, crls: crls.into_iter().map(HexBytes).collect() };
        let state = ConsentState {
            record: r, status, granted_seq: 0, granted_at: at, ended_seq: None,
            document: document.clone(), evidence: evidence.clone(),
        };
        let json = serde_json::to_vec(&fhir::export(&state)).unwrap();
        let back = fhir::import(&json).unwrap();
        prop_assert_eq!(back.record, state.record);
        prop_assert_eq!(back.status, status);
        prop_assert_eq!(back.evidence, evidence);
        prop_assert_eq!(back.document, document.into_bytes());
        prop_assert_eq!(back.recorded_at, at);
    }

    #[test]
    fn the_importer_never_panics_on_arbitrary_json(v in arb_json()) {
        let _ = fhir::import(&serde_json::to_vec(&v).unwrap());
    }

    #[test]
    fn the_readers_never_panic_on_bytes(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = fhir::import(&bytes);
        let _ = ConsentDocument::from_canonical(&bytes);
    }

    #[test]
    fn a_mutated_export_never_panics(r in record(), at in instant(), path in prop::collection::vec(0usize..12, 1..4), replacement in arb_json()) {
        let doc = ConsentDocument { action: Action::Grant, at, performer: r.performer.clone(), record: r.clone() };
        let state = ConsentState {
            record: r, status: Status::Active, granted_seq: 0, granted_at: at, ended_seq: None,
            document: String::from_utf8(doc.to_canonical().unwrap()).unwrap(),
            evidence: Evidence::Assertion { certificate: vec![1], signature: vec![2], crls: vec![] },
        };
        let mut v = fhir::export(&state);
        // Walk to a node (read-only), then replace it through its JSON pointer.
        let mut pointer = String::new();
        let mut node = &v;
        for i in path {
            let next = match node {
                serde_json::Value::Object(m) if !m.is_empty() => {
                    m.iter().nth(i % m.len()).map(|(k, n)| (k.replace('~', "~0").replace('/', "~1"), n))
                }
                serde_json::Value::Array(a) if !a.is_empty() => Some(((i % a.len()).to_string(), &a[i % a.len()])),
                _ => None,
            };
            match next {
                Some((token, n)) => { pointer.push('/'); pointer.push_str(&token); node = n; }
                None => break,
            }
        }
        if let Some(target) = v.pointer_mut(&pointer) {
            *target = replacement;
        }
        let _ = fhir::import(&serde_json::to_vec(&v).unwrap());
    }
}

fn arb_json() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::Bool),
        any::<i64>().prop_map(|n| serde_json::json!(n)),
        prop_oneof![
            Just("Consent".to_owned()),
            Just("active".to_owned()),
            Just("patient-privacy".to_owned()),
            Just(fhir::EXT_TERMS.to_owned()),
            Just(fhir::EXT_EVIDENCE.to_owned()),
            Just(fhir::CS_KIND.to_owned()),
            Just("cms".to_owned()),
            Just("network".to_owned()),
            ".{0,12}",
        ]
        .prop_map(serde_json::Value::String),
    ];
    leaf.prop_recursive(5, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(serde_json::Value::Array),
            prop::collection::btree_map(
                prop_oneof![
                    Just("resourceType".to_owned()),
                    Just("status".to_owned()),
                    Just("scope".to_owned()),
                    Just("coding".to_owned()),
                    Just("code".to_owned()),
                    Just("extension".to_owned()),
                    Just("url".to_owned()),
                    Just("provision".to_owned()),
                    Just("category".to_owned()),
                    Just("identifier".to_owned()),
                    Just("system".to_owned()),
                    Just("value".to_owned()),
                    "[a-zA-Z]{1,8}",
                ],
                inner,
                0..6,
            )
            .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
}
