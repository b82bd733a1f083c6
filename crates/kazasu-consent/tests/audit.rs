//! The audit finds the first break: a tampered row, a reordered row, a forged checkpoint, a
//! truncated ledger; the SQLite store keeps the ledger across opens; FHIR export and import.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use kazasu_consent::{
    Action, ConsentError, ConsentLedger, Grantee, LedgerRow, LedgerStore, MemoryLedgerStore,
    Pattern, SqliteLedgerStore, Status, audit_store, fhir,
};
use time::Duration;

/// A ledger file with five signed acts (grants, a withdrawal, a child's consent) and two
/// checkpoints.
fn filled(w: &World, path: &std::path::Path) -> ConsentLedger<SqliteLedgerStore> {
    let ledger = w.ledger(SqliteLedgerStore::open(path).unwrap());
    let r1 = w.record(
        "c1",
        "p1",
        Pattern::Listed,
        vec![Grantee::Facility(MEMBER.into())],
    );
    w.grant(&ledger, &r1);
    w.grant(&ledger, &w.record("c2", "p2", Pattern::AllMembers, vec![]));
    ledger.checkpoint(AT).unwrap();
    let (bytes, ev) = w.sign_cms(&w.doc(Action::Withdraw, &r1, AT), &w.adult);
    ledger
        .record(&bytes, ev, AT + Duration::minutes(1))
        .unwrap();
    w.grant(
        &ledger,
        &w.child_record("k1", "child-1", time::macros::date!(2015 - 04 - 01)),
    );
    ledger
        .break_glass(
            "p3",
            &kazasu_consent::Actor::Facility {
                facility: MEMBER.into(),
            },
            &kazasu_consent::DataClass::Medication,
            "emergency: patient unconscious",
            AT,
        )
        .unwrap();
    ledger.checkpoint(AT + Duration::minutes(2)).unwrap();
    ledger
}

fn raw(path: &std::path::Path) -> rusqlite::Connection {
    rusqlite::Connection::open(path).unwrap()
}

#[test]
fn an_intact_ledger_audits_clean_with_every_signature() {
    let w = World::new();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ledger.db");
    let ledger = filled(&w, &path);
    let key = ledger.public_key_der().unwrap();
    let report = ledger.audit(&key, true).unwrap();
    assert!(report.is_intact(), "{report:?}");
    assert_eq!(
        (report.rows, report.signatures, report.checkpoints),
        (5, 4, 2)
    );
    drop(ledger);
    // Reopened, the same file audits the same (offline: only roots and TSA root needed).
    let store = SqliteLedgerStore::open(&path).unwrap();
    assert_eq!(store.len().unwrap(), 5);
    let again = audit_store(&store, NETWORK, &key, Some(&w.verifier())).unwrap();
    assert_eq!(again, report);
}

#[test]
fn a_tampered_row_is_the_first_break() {
    let w = World::new();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ledger.db");
    let ledger = filled(&w, &path);
    let key = ledger.public_key_der().unwrap();
    // Someone widens the listed consent to an extra facility by editing the stored row.
    let body: Vec<u8> = raw(&path)
        .query_row("SELECT body FROM ledger WHERE seq = 0", [], |r| r.get(0))
        .unwrap();
    let edited = String::from_utf8(body)
        .unwrap()
        .replacen(MEMBER, NON_MEMBER, 1);
    raw(&path)
        .execute(
            "UPDATE ledger SET body = ?1 WHERE seq = 0",
            [edited.as_bytes()],
        )
        .unwrap();
    let report = ledger.audit(&key, true).unwrap();
    let b = report.first_break.expect("the edit is found");
    assert_eq!(b.seq, 0);
    assert!(b.problem.contains("tampered"), "{b:?}");

    // Re-hashing the edited row to hide it breaks the link to the next row instead, and the
    // signature no longer matches the document even with the chain fixed.
    let w2 = World::new();
    let dir2 = tempfile::tempdir().unwrap();
    let path2 = dir2.path().join("ledger.db");
    let ledger2 = filled(&w2, &path2);
    let rows = ledger2.store().rows(0, 10).unwrap();
    let edited = String::from_utf8(rows[1].body.clone())
        .unwrap()
        .replacen("p2", "p9", 1);
    let new_hash = kazasu_consent::ledger::entry_hash(1, &rows[1].prev_hash, edited.as_bytes());
    raw(&path2)
        .execute(
            "UPDATE ledger SET body = ?1, hash = ?2 WHERE seq = 1",
            rusqlite::params![edited.as_bytes(), &new_hash[..]],
        )
        .unwrap();
    let b = ledger2
        .audit(&key, false)
        .unwrap()
        .first_break
        .expect("found");
    assert_eq!(b.seq, 1, "{b:?}");
}

#[test]
fn a_reordered_row_is_found() {
    let w = World::new();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ledger.db");
    let ledger = filled(&w, &path);
    let key = ledger.public_key_der().unwrap();
    // Swap rows 2 and 3 (contents, hashes and links), keeping each row self-consistent.
    let rows = ledger.store().rows(0, 10).unwrap();
    let put = |seq: i64, row: &LedgerRow| {
        raw(&path)
            .execute(
                "UPDATE ledger SET prev_hash = ?1, hash = ?2, patient = ?3, body = ?4 WHERE seq = ?5",
                rusqlite::params![&row.prev_hash[..], &row.hash[..], row.patient, row.body, seq],
            )
            .unwrap();
    };
    put(2, &rows[3]);
    put(3, &rows[2]);
    let b = ledger
        .audit(&key, false)
        .unwrap()
        .first_break
        .expect("found");
    assert_eq!(b.seq, 2);
    assert!(
        b.problem.contains("chained") || b.problem.contains("tampered"),
        "{b:?}"
    );
}

#[test]
fn a_forged_checkpoint_is_found() {
    let w = World::new();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ledger.db");
    let ledger = filled(&w, &path);
    let key = ledger.public_key_der().unwrap();
    // A checkpoint signed with someone else's key over the real head.
    let real = ledger.store().checkpoints().unwrap();
    let mut forged = real[0].clone();
    forged.signature = {
        // Sign the same head with a different key (any 2048-bit key).
        let other = kazasu_consent::ConsentLedger::new(
            NETWORK,
            Vec::<String>::new(),
            MemoryLedgerStore::new(),
            w.verifier(),
            kazasu_consent::NetworkKey::new(kazasu_virtual_card::pki::fixture_key(8).unwrap())
                .unwrap(),
        )
        .unwrap();
        for r in ledger
            .store()
            .rows(0, usize::try_from(real[0].seq + 1).unwrap())
            .unwrap()
        {
            other.store().append(&r).unwrap();
        }
        other.checkpoint(forged.at).unwrap().unwrap().signature
    };
    raw(&path)
        .execute(
            "UPDATE checkpoints SET signature = ?1 WHERE seq = ?2",
            rusqlite::params![forged.signature, forged.seq as i64],
        )
        .unwrap();
    let b = ledger
        .audit(&key, true)
        .unwrap()
        .first_break
        .expect("found");
    assert_eq!(b.seq, forged.seq);
    assert!(b.problem.contains("forged"), "{b:?}");
    // A checkpoint that names a different head.
    raw(&path)
        .execute(
            "UPDATE checkpoints SET head = zeroblob(32) WHERE seq = ?1",
            [real[1].seq as i64],
        )
        .unwrap();
    let b = ledger
        .audit(&key, false)
        .unwrap()
        .first_break
        .expect("found");
    assert_eq!(b.seq, forged.seq, "the earliest break is reported");
}

#[test]
fn deleting_the_tail_is_caught_by_the_checkpoint() {
    let w = World::new();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ledger.db");
    let ledger = filled(&w, &path);
    let key = ledger.public_key_der().unwrap();
    // Remove the withdrawal and everything after it: the chain alone still links.
    raw(&path)
        .execute("DELETE FROM ledger WHERE seq >= 2", [])
        .unwrap();
    let b = ledger
        .audit(&key, false)
        .unwrap()
        .first_break
        .expect("found");
    assert!(b.problem.contains("beyond"), "{b:?}");
    assert_eq!(b.seq, 4);
}

#[test]
fn the_store_appends_only_at_the_end() {
    let store = SqliteLedgerStore::in_memory().unwrap();
    let row = LedgerRow {
        seq: 1,
        prev_hash: [0; 32],
        hash: [1; 32],
        patient: "p".into(),
        body: b"{}".to_vec(),
    };
    assert!(matches!(store.append(&row), Err(ConsentError::Store(_))));
    let mem = MemoryLedgerStore::new();
    assert!(matches!(mem.append(&row), Err(ConsentError::Store(_))));
}

#[test]
fn fhir_export_and_import_round_trip_and_refuse_an_edit() {
    let w = World::new();
    let ledger = w.ledger(MemoryLedgerStore::new());
    let r1 = w.record(
        "c1",
        "p1",
        Pattern::Listed,
        vec![
            Grantee::Facility(MEMBER.into()),
            Grantee::Clinician("hpki-dr".into()),
        ],
    );
    w.grant(&ledger, &r1);
    let child = w.child_record("k1", "child-1", time::macros::date!(2015 - 04 - 01));
    w.grant(&ledger, &child);
    for (patient, id, status) in [
        ("p1", "c1", Status::Active),
        ("child-1", "k1", Status::Active),
    ] {
        let state = ledger.states(patient, AT).unwrap().remove(id).unwrap();
        let json = fhir::export(&state);
        assert_eq!(json["resourceType"], "Consent");
        assert_eq!(json["scope"]["coding"][0]["code"], "patient-privacy");
        let text = serde_json::to_vec(&json).unwrap();
        let back = fhir::import(&text).unwrap();
        assert_eq!(back.record, state.record);
        assert_eq!(back.status, status);
        assert_eq!(back.evidence, state.evidence);
        assert_eq!(back.document, state.document.as_bytes());
        // The imported evidence verifies offline.
        let doc = kazasu_consent::ConsentDocument::from_canonical(&back.document).unwrap();
        w.verifier()
            .verify(&doc, &back.document, &back.evidence, back.recorded_at)
            .unwrap();
        // Widening the provision in the resource is refused: the signed document says otherwise.
        let mut edited = json.clone();
        edited["provision"]["class"][0]["code"] = "images".into();
        let e = fhir::import(&serde_json::to_vec(&edited).unwrap()).unwrap_err();
        assert!(e.to_string().contains("signed document"), "{e}");
    }
    // A withdrawn consent exports as inactive.
    let (bytes, ev) = w.sign_cms(&w.doc(Action::Withdraw, &r1, AT), &w.adult);
    ledger.record(&bytes, ev, AT).unwrap();
    let state = ledger.states("p1", AT).unwrap().remove("c1").unwrap();
    assert_eq!(fhir::export(&state)["status"], "inactive");
}
