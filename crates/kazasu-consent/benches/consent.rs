//! Figures: decisions per second from a ledger of 1,000,000 consents, and audit time for 100,000
//! entries (chain, checkpoints and documents), plus the per-entry cost of re-verifying the CAdES
//! evidence (measured on 200 really signed entries: 100,000 signature checks per criterion sample
//! would make the run minutes long).
//!
//! `cargo bench -p kazasu-consent --bench consent`
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use kazasu_consent::evidence::sign_document;
use kazasu_consent::ledger::{Entry, EntryBody, entry_hash};
use kazasu_consent::{
    Action, Actor, ConsentDocument, ConsentKind, ConsentLedger, ConsentRecord, DataClass, Evidence,
    EvidenceVerifier, Grantee, JpkiIdentity, LedgerRow, LedgerStore, MemoryLedgerStore, NetworkKey,
    Patient, Pattern, Performer, Period, Policy, Purpose, audit_store,
};
use kazasu_pki::Certificate;
use kazasu_sign::SoftwareSigner;
use kazasu_sign::tsp::LocalTsa;
use kazasu_virtual_card::pki::services::TestTsa;
use kazasu_virtual_card::pki::{IssueSpec, PersonaBuilder, TestPki, fixture_key};
use time::OffsetDateTime;
use time::macros::{date, datetime};

const AT: OffsetDateTime = datetime!(2026-11-26 10:00 +09:00);
const NETWORK: &str = "net-bench";
const FACILITIES: usize = 1000;

struct Setup {
    roots: Vec<Vec<u8>>,
    crls: Vec<Vec<u8>>,
    tsa_root: Vec<u8>,
    tsa: LocalTsa,
    signer: SoftwareSigner,
    jpki: JpkiIdentity,
}

fn setup() -> Setup {
    let pki = TestPki::new(0).unwrap();
    let m = pki.verification_material(AT).unwrap();
    let persona = PersonaBuilder::from_seed(0).build().unwrap();
    let creds = pki.issue(&persona, &IssueSpec::default()).unwrap();
    let tsa = TestTsa::new().unwrap();
    let tsa_root = tsa.root.clone();
    Setup {
        roots: m.roots,
        crls: m.crls,
        tsa_root,
        tsa: LocalTsa::new(SoftwareSigner::new(tsa.signer.certificate, tsa.signer.key).unwrap())
            .with_clock(|| AT),
        jpki: JpkiIdentity::of(&Certificate::from_der(&creds.sign_certificate).unwrap()).unwrap(),
        signer: SoftwareSigner::new(creds.sign_certificate, creds.sign_key).unwrap(),
    }
}

fn record(s: &Setup, i: usize) -> ConsentRecord {
    let (pattern, grantees, classes) = if i.is_multiple_of(2) {
        (
            Pattern::Listed,
            vec![Grantee::Facility(format!("fac-{}", i % FACILITIES))],
            vec![DataClass::Medication, DataClass::DiagnosesAndCare],
        )
    } else {
        (Pattern::AllMembers, vec![], vec![DataClass::Labs])
    };
    ConsentRecord {
        id: format!("c{i}"),
        network: NETWORK.into(),
        kind: ConsentKind::Network,
        patient: Patient {
            network_id: format!("p{}", i / 2),
            jpki: s.jpki.clone(),
            birth_date: date!(1985 - 04 - 01),
        },
        pattern,
        grantees,
        classes,
        purposes: vec![Purpose::Treatment],
        period: Period {
            start: AT,
            end: Some(AT + time::Duration::days(365)),
        },
        performer: Performer::Patient,
        policy: Policy {
            uri: "https://net-bench.example/terms".into(),
            version: "1".into(),
        },
    }
}

/// Appends `n` consents straight to a store (as a ledger that accepted them would have written
/// them; their evidence is a placeholder: decisions and the chain audit do not read it).
fn fill(s: &Setup, store: &MemoryLedgerStore, n: usize) {
    let mut prev = [0u8; 32];
    for i in 0..n {
        let r = record(s, i);
        let doc = ConsentDocument {
            action: Action::Grant,
            at: AT,
            performer: Performer::Patient,
            record: r,
        };
        let entry = Entry {
            recorded_at: AT,
            body: EntryBody::Act {
                document: String::from_utf8(doc.to_canonical().unwrap()).unwrap(),
                evidence: Evidence::Cms { cms: vec![0x30] },
            },
        };
        let body = serde_json::to_vec(&entry).unwrap();
        let seq = i as u64;
        let hash = entry_hash(seq, &prev, &body);
        store
            .append(&LedgerRow {
                seq,
                prev_hash: prev,
                hash,
                patient: doc.record.patient.network_id,
                body,
            })
            .unwrap();
        prev = hash;
    }
}

fn ledger(s: &Setup, store: MemoryLedgerStore) -> ConsentLedger<MemoryLedgerStore> {
    ConsentLedger::new(
        NETWORK,
        (0..FACILITIES).map(|f| format!("fac-{f}")),
        store,
        EvidenceVerifier::new(&s.roots, std::slice::from_ref(&s.tsa_root)).unwrap(),
        NetworkKey::new(fixture_key(23).unwrap()).unwrap(),
    )
    .unwrap()
}

fn decisions(c: &mut Criterion) {
    let s = setup();
    let n = 1_000_000;
    let store = MemoryLedgerStore::new();
    fill(&s, &store, n);
    let ledger = ledger(&s, store);
    let mut group = c.benchmark_group("decisions");
    group.throughput(Throughput::Elements(1));
    group.sample_size(30);
    group.measurement_time(Duration::from_secs(5));
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let classes = [DataClass::Medication, DataClass::Labs, DataClass::Images];
    group.bench_function("check_in_ledger_of_1000000_consents", |b| {
        b.iter(|| {
            // xorshift: a different patient, facility and class each time.
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let patient = format!("p{}", (x % (n as u64 / 2)));
            let actor = Actor::Facility {
                facility: format!("fac-{}", (x >> 20) % FACILITIES as u64),
            };
            let class = &classes[usize::try_from((x >> 40) % 3).unwrap()];
            black_box(
                ledger
                    .check(&patient, &actor, class, &Purpose::Treatment, AT)
                    .unwrap(),
            )
        })
    });
    group.finish();
}

fn audit(c: &mut Criterion) {
    let mut s = setup();
    let mut group = c.benchmark_group("audit");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(20));

    let store = MemoryLedgerStore::new();
    fill(&s, &store, 100_000);
    let l = ledger(&s, store);
    l.checkpoint(AT).unwrap();
    let key = l.public_key_der().unwrap();
    group.throughput(Throughput::Elements(100_000));
    group.bench_function("chain_checkpoints_documents_100000_entries", |b| {
        b.iter(|| {
            let r = audit_store(l.store(), NETWORK, &key, None).unwrap();
            assert!(r.is_intact());
            black_box(r)
        })
    });

    // Really signed entries: CAdES B-T with the CRLs embedded, each re-verified by the audit.
    let signed = ledger(&s, MemoryLedgerStore::new());
    let n = 200;
    for i in 0..n {
        let doc = ConsentDocument {
            action: Action::Grant,
            at: AT,
            performer: Performer::Patient,
            record: record(&s, i),
        };
        let crls = s.crls.clone();
        let (bytes, ev) = sign_document(&doc, &mut s.signer, &s.tsa, &crls).unwrap();
        signed.record(&bytes, ev, AT).unwrap();
    }
    signed.checkpoint(AT).unwrap();
    let skey = signed.public_key_der().unwrap();
    group.throughput(Throughput::Elements(n as u64));
    group.bench_function("with_signatures_200_entries", |b| {
        b.iter(|| {
            let r = signed.audit(&skey, true).unwrap();
            assert_eq!(r.signatures, n as u64);
            black_box(r)
        })
    });
    group.finish();
}

criterion_group!(benches, decisions, audit);
criterion_main!(benches);
