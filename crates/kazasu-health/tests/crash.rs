//! A desk killed mid-work loses nothing it reported as done, and leaves the database consistent.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

use kazasu_health::{CheckinStore, FacilityCode, PatientCardNumber, SqliteStore};
use time::macros::datetime;

const CHILD: &str = "KAZASU_CRASH_CHILD_DB";

fn facility() -> FacilityCode {
    FacilityCode::new("1312345678").unwrap()
}

#[test]
fn a_killed_desk_loses_nothing_it_committed() {
    let at = datetime!(2026-11-26 10:00 +09:00);
    if let Ok(path) = std::env::var(CHILD) {
        // The child: check in a new patient each time, forever, printing each queue number once its
        // transaction committed (a patient checking in again would get their number again).
        let store = SqliteStore::open(&path).unwrap();
        let mut out = std::io::stdout().lock();
        for patient in 1u64.. {
            let card = PatientCardNumber::new(&format!("P-{patient}")).unwrap();
            let n = store.check_in(&facility(), &card, at.date(), at).unwrap();
            writeln!(out, "{n}").unwrap();
            out.flush().unwrap();
        }
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("desk.sqlite3");
    // Create the schema before the child starts, so the kill lands in ordinary check-ins.
    drop(SqliteStore::open(&path).unwrap());
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "a_killed_desk_loses_nothing_it_committed",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD, &path)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut reported = Vec::new();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    while reported.len() < 40 {
        match lines.next() {
            Some(Ok(line)) => {
                if let Ok(n) = line.trim().parse::<u32>() {
                    reported.push(n);
                }
            }
            _ => break,
        }
    }
    // SIGKILL: no destructors, no clean close, possibly in the middle of a transaction.
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(
        reported.len() >= 40,
        "the child desk did not run: {reported:?}"
    );
    // (The first number may share its line with the test harness's own output.)
    assert!(
        reported.windows(2).all(|w| w[1] == w[0] + 1),
        "each new patient got the next number: {reported:?}"
    );

    let conn = rusqlite::Connection::open(&path).unwrap();
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
    let mut numbers: Vec<u32> = conn
        .prepare("SELECT queue_number FROM checkins ORDER BY queue_number")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let counter: u32 = conn
        .query_row("SELECT last FROM queue_counters", [], |r| r.get(0))
        .unwrap();
    numbers.dedup();
    for n in &reported {
        assert!(
            numbers.contains(n),
            "queue number {n} was reported done but is missing"
        );
    }
    assert_eq!(
        numbers,
        (1..=counter).collect::<Vec<u32>>(),
        "counter and check-ins agree, no gaps"
    );
    // The next desk carries on from there.
    let store = SqliteStore::open(&path).unwrap();
    let next = store
        .check_in(
            &facility(),
            &PatientCardNumber::new("P-next").unwrap(),
            at.date(),
            at,
        )
        .unwrap();
    assert_eq!(next, counter + 1);
}
