//! E-tickets: bound at purchase, admitted once at the gate (atomically across gates), offline
//! gates with a CRL snapshot and a bounded ticket list, reconciliation.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::{Arc, Barrier};

use common::{Holder, World, at};
use kazasu_auth::{
    AssertionPurpose, AuthError, BoxOffice, Gate, GateSnapshot, MemoryTicketStore, OfflineGate,
    RelyingParty, Ticket, TicketStore,
};
use kazasu_pki::Rejection;
use kazasu_pki::time::Duration;

const EVENT: &str = "budokan-2026-01-01";

fn buy(office: &BoxOffice<MemoryTicketStore>, h: &Holder, event: &str) -> Ticket {
    let nonce = office.relying_party().issue_nonce(at()).unwrap();
    office
        .purchase(
            &h.assert(AssertionPurpose::Purchase, &nonce, at()),
            event,
            at(),
        )
        .unwrap()
}

fn touch(gate: &Gate<MemoryTicketStore>, h: &Holder) -> Result<kazasu_auth::Admission, AuthError> {
    let nonce = gate.issue_nonce(at()).unwrap();
    gate.check(&h.assert(AssertionPurpose::Ticket, &nonce, at()), at())
}

fn offline_touch(gate: &OfflineGate, h: &Holder) -> Result<kazasu_auth::Admission, AuthError> {
    let nonce = gate.issue_nonce(at()).unwrap();
    gate.check(&h.assert(AssertionPurpose::Ticket, &nonce, at()), at())
}

struct Venue {
    store: Arc<MemoryTicketStore>,
    office: BoxOffice<MemoryTicketStore>,
}

fn venue(rp: RelyingParty) -> Venue {
    let store = Arc::new(MemoryTicketStore::new());
    Venue {
        office: BoxOffice::new(rp, store.clone()),
        store,
    }
}

#[test]
fn admitted_once_then_a_second_touch_is_refused() {
    let w = World::new();
    let alice = w.holder(0, 0);
    let v = venue(w.rp(&[]));
    let ticket = buy(&v.office, &alice, EVENT);
    assert_eq!(ticket.holder, alice.auth_id());
    let gate = Gate::new("east-1", EVENT, w.rp(&[]), v.store.clone());
    let admission = touch(&gate, &alice).unwrap();
    assert_eq!(
        (admission.ticket, admission.gate.as_str()),
        (ticket.clone(), "east-1")
    );
    let err = touch(&gate, &alice).unwrap_err();
    assert_eq!(
        err,
        AuthError::AlreadyAdmitted {
            ticket: ticket.id,
            gate: "east-1".into(),
            at: at()
        }
    );
    // A second ticket for the same event on the same card is refused at purchase.
    let nonce = v.office.relying_party().issue_nonce(at()).unwrap();
    assert_eq!(
        v.office
            .purchase(
                &alice.assert(AssertionPurpose::Purchase, &nonce, at()),
                EVENT,
                at()
            )
            .unwrap_err(),
        AuthError::AlreadyHasTicket
    );
}

#[test]
fn another_event_an_unbound_card_a_revoked_certificate_and_a_purchase_assertion_are_refused() {
    let w = World::new();
    let alice = w.holder(0, 0);
    let bob = w.holder(1, 1);
    let v = venue(w.rp(&[]));
    buy(&v.office, &alice, "another-event");
    let gate = Gate::new("east-1", EVENT, w.rp(&[]), v.store.clone());
    assert_eq!(touch(&gate, &alice).unwrap_err(), AuthError::WrongEvent);
    assert_eq!(touch(&gate, &bob).unwrap_err(), AuthError::NoTicket);

    buy(&v.office, &bob, EVENT);
    // Bob's card is revoked after the purchase: the gate's CRLs say so.
    let strict = Gate::new("east-2", EVENT, w.rp(&[&bob]), v.store.clone());
    assert!(matches!(
        touch(&strict, &bob).unwrap_err(),
        AuthError::Certificate(Rejection::Revoked { .. })
    ));
    // A purchase assertion is not a gate touch.
    let nonce = gate.issue_nonce(at()).unwrap();
    assert!(matches!(
        gate.check(&bob.assert(AssertionPurpose::Purchase, &nonce, at()), at())
            .unwrap_err(),
        AuthError::WrongPurpose { .. }
    ));
    // Nothing above used Bob's ticket.
    touch(&gate, &bob).unwrap();
}

#[test]
fn several_gates_at_once_admit_a_ticket_exactly_once() {
    const GATES: usize = 6;
    let w = World::new();
    let alice = w.holder(0, 0);
    let v = venue(w.rp(&[]));
    buy(&v.office, &alice, EVENT);
    // Each gate its own relying party and nonce store, one ticket store for all.
    let touches: Vec<_> = (0..GATES)
        .map(|i| {
            let gate = Gate::new(&format!("gate-{i}"), EVENT, w.rp(&[]), v.store.clone());
            let nonce = gate.issue_nonce(at()).unwrap();
            let a = alice.assert(AssertionPurpose::Ticket, &nonce, at());
            (gate, a)
        })
        .collect();
    let barrier = Arc::new(Barrier::new(GATES));
    let results: Vec<_> = std::thread::scope(|scope| {
        let handles: Vec<_> = touches
            .iter()
            .map(|(gate, a)| {
                let barrier = barrier.clone();
                scope.spawn(move || {
                    barrier.wait();
                    gate.check(a, at())
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let admitted = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(admitted, 1, "{results:?}");
    assert!(
        results
            .iter()
            .filter_map(|r| r.as_ref().err())
            .all(|e| matches!(e, AuthError::AlreadyAdmitted { .. }))
    );
}

#[test]
fn an_offline_gate_admits_from_its_snapshot_once_and_refuses_what_it_cannot_know() {
    let w = World::new();
    let alice = w.holder(0, 0);
    let bob = w.holder(1, 1);
    let carol = w.holder(2, 2);
    let v = venue(w.rp(&[]));
    buy(&v.office, &alice, EVENT);
    buy(&v.office, &bob, EVENT);
    buy(&v.office, &carol, "another-event");
    // The bound: two tickets fit, one more does not.
    assert_eq!(
        GateSnapshot::take(v.store.as_ref(), EVENT, w.crls(&[]), 1, at()).unwrap_err(),
        AuthError::OfflineListFull { capacity: 1 }
    );
    // Bob's card is on the CRL snapshot.
    let snapshot = GateSnapshot::take(v.store.as_ref(), EVENT, w.crls(&[&bob]), 2, at()).unwrap();
    assert_eq!(snapshot.len(), 2);
    // The relying party's own CRLs do not revoke Bob: the snapshot's CRLs replace them.
    let gate = OfflineGate::new("north-offline", snapshot, w.rp(&[]));
    offline_touch(&gate, &alice).unwrap();
    assert!(matches!(
        offline_touch(&gate, &alice).unwrap_err(),
        AuthError::AlreadyAdmitted { .. }
    ));
    assert!(matches!(
        offline_touch(&gate, &bob).unwrap_err(),
        AuthError::Certificate(Rejection::Revoked { .. })
    ));
    assert_eq!(
        offline_touch(&gate, &carol).unwrap_err(),
        AuthError::NoTicket
    );
    assert_eq!(gate.pending().unwrap().len(), 1);
}

#[test]
fn an_offline_gate_reconciles_and_reports_double_entries() {
    let w = World::new();
    let alice = w.holder(0, 0);
    let bob = w.holder(1, 1);
    let v = venue(w.rp(&[]));
    buy(&v.office, &alice, EVENT);
    buy(&v.office, &bob, EVENT);
    let snapshot = GateSnapshot::take(v.store.as_ref(), EVENT, w.crls(&[]), 10, at()).unwrap();
    let offline = OfflineGate::new("north-offline", snapshot, w.rp(&[]));
    offline_touch(&offline, &alice).unwrap();
    offline_touch(&offline, &bob).unwrap();
    // Meanwhile Bob's ticket was also used at an online gate (a copy of his phone's token, say).
    let online = Gate::new("east-1", EVENT, w.rp(&[]), v.store.clone());
    touch(&online, &bob).unwrap();

    let report = offline.reconcile(v.store.as_ref()).unwrap();
    assert_eq!(report.recorded.len(), 1);
    assert_eq!(report.recorded[0].ticket.holder, alice.auth_id());
    assert_eq!(report.recorded[0].gate, "north-offline");
    assert_eq!(report.conflicts.len(), 1);
    assert_eq!(report.conflicts[0].0.ticket.holder, bob.auth_id());
    assert!(matches!(
        &report.conflicts[0].1,
        AuthError::AlreadyAdmitted { gate, .. } if gate == "east-1"
    ));
    assert!(offline.pending().unwrap().is_empty());
    // Alice's offline entry now holds online too.
    assert!(matches!(
        touch(&online, &alice).unwrap_err(),
        AuthError::AlreadyAdmitted { gate, .. } if gate == "north-offline"
    ));
    assert!(v.store.unused(EVENT, 10).unwrap().is_empty());
}

#[test]
fn an_offline_gate_stops_when_its_crls_expire() {
    let w = World::new();
    let alice = w.holder(0, 0);
    let v = venue(w.rp(&[]));
    buy(&v.office, &alice, EVENT);
    let snapshot = GateSnapshot::take(v.store.as_ref(), EVENT, w.crls(&[]), 10, at()).unwrap();
    let gate = OfflineGate::new("north-offline", snapshot, w.rp(&[]));
    // The snapshot CRLs' nextUpdate is at + 23 h.
    let late = at() + Duration::hours(24);
    let nonce = gate.issue_nonce(late).unwrap();
    let err = gate
        .check(&alice.assert(AssertionPurpose::Ticket, &nonce, late), late)
        .unwrap_err();
    assert_eq!(err.code(), "revocation_unknown");
}
