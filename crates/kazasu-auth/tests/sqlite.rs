//! The SQLite store: the same contracts as the in-memory stores, and admission atomic across
//! connections to one file.
#![cfg(feature = "sqlite")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::{Arc, Barrier};

use common::{World, at};
use kazasu_auth::{
    AccountStore, AssertionPurpose, AuthError, CardLinks, Enrolment, LoginService, MemoryCardLinks,
    Presented, SqliteAuthStore, TicketStore,
};
use kazasu_pki::time::Duration;

#[test]
fn accounts_survive_reopening_and_follow_a_renewal() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("auth.sqlite");
    let w = World::new();
    let alice = w.holder(0, 0);
    let renewed = w.holder(0, 2);
    let links = Arc::new(MemoryCardLinks::new());
    links.insert_card(alice.sign_id(), alice.auth_id()).unwrap();
    let s = LoginService::new(
        w.rp(&[]),
        SqliteAuthStore::open(&path).unwrap(),
        links.clone(),
    );
    let nonce = s.relying_party().issue_nonce(at()).unwrap();
    let authentication = alice.assert(AssertionPurpose::Enrol, &nonce, at());
    let enrolled = s
        .enrol(
            &Enrolment {
                signature: alice.sign_sign(&authentication.message),
                signature_certificate: alice.sign.clone(),
                authentication,
            },
            at(),
        )
        .unwrap();
    drop(s);

    // Another process opens the file.
    let store = SqliteAuthStore::open(&path).unwrap();
    let account = store.find(&alice.auth_id()).unwrap().unwrap();
    assert_eq!(account.id, enrolled.account);
    assert_eq!(account.claim, enrolled.claim);
    assert_eq!(
        store.create(&alice.auth_id(), &enrolled.claim).unwrap_err(),
        AuthError::AlreadyBound
    );
    links
        .insert_renewal(alice.auth_id(), renewed.auth_id())
        .unwrap();
    assert_eq!(
        links.renewed_from(&renewed.auth_id()).unwrap(),
        Some(alice.auth_id())
    );
    let s = LoginService::new(w.rp(&[]), store, links);
    let nonce = s.relying_party().issue_nonce(at()).unwrap();
    let p = s
        .login(
            &Presented::Bound(renewed.assert(AssertionPurpose::Login, &nonce, at())),
            at(),
        )
        .unwrap();
    assert_eq!(
        (p.account, p.renewed_from),
        (enrolled.account, Some(alice.auth_id()))
    );
    assert_eq!(s.store().find(&alice.auth_id()).unwrap(), None);
    assert_eq!(
        s.store()
            .rebind(&alice.auth_id(), &renewed.auth_id())
            .unwrap_err(),
        AuthError::AlreadyBound
    );
}

#[test]
fn tickets_are_admitted_once_across_connections() {
    const GATES: usize = 4;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tickets.sqlite");
    let w = World::new();
    let alice = w.holder(0, 0);
    let bob = w.holder(1, 1);
    let store = SqliteAuthStore::open(&path).unwrap();
    let ticket = store.bind("ev", &alice.auth_id()).unwrap();
    assert_eq!(
        store.bind("ev", &alice.auth_id()).unwrap_err(),
        AuthError::AlreadyHasTicket
    );
    store.bind("other", &bob.auth_id()).unwrap();
    assert_eq!(
        store.admit("ev", &bob.auth_id(), "g", at()).unwrap_err(),
        AuthError::WrongEvent
    );
    assert_eq!(
        store
            .admit("ev", &w.holder(2, 2).auth_id(), "g", at())
            .unwrap_err(),
        AuthError::NoTicket
    );
    assert_eq!(store.unused("ev", 10).unwrap(), vec![ticket.clone()]);

    // Each gate its own connection to the file.
    let gates: Vec<SqliteAuthStore> = (0..GATES)
        .map(|_| SqliteAuthStore::open(&path).unwrap())
        .collect();
    let barrier = Arc::new(Barrier::new(GATES));
    let id = alice.auth_id();
    let results: Vec<_> = std::thread::scope(|scope| {
        let handles: Vec<_> = gates
            .iter()
            .enumerate()
            .map(|(i, g)| {
                let (barrier, id) = (barrier.clone(), id.clone());
                scope.spawn(move || {
                    barrier.wait();
                    g.admit("ev", &id, &format!("gate-{i}"), at() + Duration::seconds(1))
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(
        results.iter().filter(|r| r.is_ok()).count(),
        1,
        "{results:?}"
    );
    let winner = results.iter().find_map(|r| r.as_ref().ok()).unwrap();
    assert_eq!(winner.ticket, ticket);
    for r in results.iter().filter_map(|r| r.as_ref().err()) {
        assert!(
            matches!(r, AuthError::AlreadyAdmitted { gate, at: when, .. } if *gate == winner.gate && *when == winner.at),
            "{r:?}"
        );
    }
    assert!(store.unused("ev", 10).unwrap().is_empty());
}
