//! Several ledgers (service instances) over one store: every act lands once, the chain stays whole.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;

use common::*;
use kazasu_consent::{
    Action, Actor, ConsentError, ConsentLedger, DataClass, LedgerRow, LedgerStore,
    MemoryLedgerStore, Pattern, SqliteLedgerStore,
};

fn race<S: LedgerStore + Sync>(w: &World, a: &ConsentLedger<S>, b: &ConsentLedger<S>) {
    // Distinct grants, one contested grant (four copies), and break-glass acts, from both ledgers.
    let distinct: Vec<_> = (0..6)
        .map(|i| {
            let r = w.record(
                &format!("c{i}"),
                &format!("p{i}"),
                Pattern::AllMembers,
                vec![],
            );
            w.sign_cms(&w.doc(Action::Grant, &r, AT), &w.adult)
        })
        .collect();
    let contested = w.record("same", "p-same", Pattern::AllMembers, vec![]);
    let copies: Vec<_> = (0..4)
        .map(|_| w.sign_cms(&w.doc(Action::Grant, &contested, AT), &w.adult))
        .collect();
    let er = Actor::Facility {
        facility: NON_MEMBER.to_owned(),
    };
    let (grants, contested_ok, glass) = std::thread::scope(|s| {
        let grants: Vec<_> = distinct
            .iter()
            .enumerate()
            .map(|(i, (bytes, ev))| {
                let l = if i % 2 == 0 { a } else { b };
                s.spawn(move || l.record(bytes, ev.clone(), AT))
            })
            .collect();
        let contested: Vec<_> = copies
            .iter()
            .enumerate()
            .map(|(i, (bytes, ev))| {
                let l = if i % 2 == 0 { a } else { b };
                s.spawn(move || l.record(bytes, ev.clone(), AT))
            })
            .collect();
        let glass: Vec<_> = (0..6)
            .map(|i| {
                let l = if i % 2 == 0 { a } else { b };
                let er = er.clone();
                s.spawn(move || {
                    l.break_glass(
                        &format!("p{i}"),
                        &er,
                        &DataClass::Medication,
                        "unconscious at the door",
                        AT,
                    )
                })
            })
            .collect();
        let grants: Vec<_> = grants.into_iter().map(|h| h.join().unwrap()).collect();
        let contested: Vec<_> = contested.into_iter().map(|h| h.join().unwrap()).collect();
        let glass: Vec<_> = glass.into_iter().map(|h| h.join().unwrap()).collect();
        (grants, contested, glass)
    });
    let mut seqs: Vec<u64> = grants.into_iter().map(Result::unwrap).collect();
    seqs.extend(glass.into_iter().map(|d| match d.unwrap() {
        kazasu_consent::Decision::Permit { seq, .. } => seq,
        other => panic!("{other:?}"),
    }));
    let won: Vec<u64> = contested_ok
        .iter()
        .filter_map(|r| r.as_ref().ok().copied())
        .collect();
    assert_eq!(
        won.len(),
        1,
        "the contested grant landed once: {contested_ok:?}"
    );
    for lost in contested_ok.iter().filter(|r| r.is_err()) {
        assert!(matches!(lost, Err(ConsentError::Refused(_))), "{lost:?}");
    }
    seqs.extend(won);
    seqs.sort_unstable();
    let total = a.store().len().unwrap();
    assert_eq!(
        seqs,
        (0..total).collect::<Vec<_>>(),
        "each act has its own position"
    );
    assert_eq!(total, 13);
    a.checkpoint(AT).unwrap();
    let report = b.audit(&a.public_key_der().unwrap(), true).unwrap();
    assert!(report.is_intact(), "{report:?}");
    assert_eq!(report.rows, 13);
    assert_eq!(b.states("p-same", AT).unwrap().len(), 1);
}

#[test]
fn two_ledgers_over_one_memory_store() {
    let w = World::new();
    let store = Arc::new(MemoryLedgerStore::new());
    let a = w.ledger(store.clone());
    let b = w.ledger(store);
    race(&w, &a, &b);
}

#[test]
fn two_ledgers_over_one_sqlite_file() {
    let w = World::new();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ledger.db");
    let a = w.ledger(SqliteLedgerStore::open(&path).unwrap());
    let b = w.ledger(SqliteLedgerStore::open(&path).unwrap());
    race(&w, &a, &b);
}

#[test]
fn a_taken_position_is_told_apart_from_a_gap() {
    let row = |seq| LedgerRow {
        seq,
        prev_hash: [0; 32],
        hash: [1; 32],
        patient: "p".into(),
        body: b"{}".to_vec(),
    };
    let stores: Vec<Box<dyn LedgerStore>> = vec![
        Box::new(MemoryLedgerStore::new()),
        Box::new(SqliteLedgerStore::in_memory().unwrap()),
    ];
    for store in stores {
        store.append(&row(0)).unwrap();
        assert!(matches!(
            store.append(&row(0)),
            Err(ConsentError::PositionTaken { seq: 0 })
        ));
        assert!(matches!(store.append(&row(2)), Err(ConsentError::Store(_))));
        store.append(&row(1)).unwrap();
        assert_eq!(store.len().unwrap(), 2);
    }
}
