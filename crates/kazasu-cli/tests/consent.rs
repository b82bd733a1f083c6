//! `kazasu consent …` and the demo's consent steps, as integrators run them.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn kazasu(args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_kazasu"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(input) = stdin {
        let _ = child.stdin.take().unwrap().write_all(input.as_bytes());
    } else {
        drop(child.stdin.take());
    }
    child.wait_with_output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

const AT: &str = "2026-11-26T10:00:00+09:00";
const LATER: &str = "2026-11-26T12:00:00+09:00";

#[test]
fn grant_check_export_withdraw_audit() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = dir.path().join("ledger.db");
    let l = ledger.to_str().unwrap();
    let grant = kazasu(
        &[
            "consent",
            "grant",
            "--ledger",
            l,
            "--pin-stdin",
            "--at",
            AT,
            "--patient",
            "p1",
            "--id",
            "c1",
            "--facility",
            "1310000019",
            "--class",
            "medication,labs",
        ],
        Some("ABC123\n"),
    );
    assert_eq!(grant.status.code(), Some(0), "{}", text(&grant.stderr));
    let check = |facility: &str, at: &str| {
        kazasu(
            &[
                "consent",
                "check",
                "--ledger",
                l,
                "--at",
                at,
                "--patient",
                "p1",
                "--facility",
                facility,
            ],
            None,
        )
    };
    let permit = check("1310000019", AT);
    assert_eq!(permit.status.code(), Some(0), "{}", text(&permit.stderr));
    assert!(text(&permit.stdout).contains(r#""decision":"permit""#));
    let deny = check("2799999999", AT);
    assert_eq!(deny.status.code(), Some(1));
    assert!(text(&deny.stdout).contains("actor_not_covered"));
    // A wrong signature password is refused and nothing is recorded.
    let wrong = kazasu(
        &[
            "consent",
            "grant",
            "--ledger",
            l,
            "--pin-stdin",
            "--at",
            AT,
            "--patient",
            "p1",
            "--id",
            "c2",
            "--facility",
            "x",
        ],
        Some("WRONG1\n"),
    );
    assert_eq!(wrong.status.code(), Some(1), "{}", text(&wrong.stderr));

    let export = kazasu(
        &[
            "consent",
            "export",
            "--ledger",
            l,
            "--at",
            AT,
            "--patient",
            "p1",
        ],
        None,
    );
    assert_eq!(export.status.code(), Some(0));
    let resources: serde_json::Value = serde_json::from_slice(&export.stdout).unwrap();
    assert_eq!(resources.as_array().unwrap().len(), 1);
    assert_eq!(resources[0]["status"], "active");

    let withdraw = kazasu(
        &[
            "consent",
            "withdraw",
            "--ledger",
            l,
            "--pin-stdin",
            "--at",
            LATER,
            "--patient",
            "p1",
            "--id",
            "c1",
        ],
        Some("ABC123\n"),
    );
    assert_eq!(
        withdraw.status.code(),
        Some(0),
        "{}",
        text(&withdraw.stderr)
    );
    let after = check("1310000019", LATER);
    assert_eq!(after.status.code(), Some(1));
    assert!(text(&after.stdout).contains("withdrawn"));

    let audit = kazasu(&["consent", "audit", "--ledger", l, "--at", LATER], None);
    assert_eq!(audit.status.code(), Some(0), "{}", text(&audit.stdout));
    assert!(text(&audit.stdout).contains(r#""signatures":2"#));

    // An edited row: the audit exits 1 and names entry 0.
    let conn = rusqlite::Connection::open(&ledger).unwrap();
    conn.execute(
        "UPDATE ledger SET body = replace(body, 'medication', 'images') WHERE seq = 0",
        [],
    )
    .unwrap();
    drop(conn);
    let broken = kazasu(
        &[
            "consent",
            "audit",
            "--ledger",
            l,
            "--at",
            LATER,
            "--chain-only",
        ],
        None,
    );
    assert_eq!(broken.status.code(), Some(1));
    assert!(
        text(&broken.stderr).contains("entry 0"),
        "{}",
        text(&broken.stderr)
    );
}

#[test]
fn the_demo_runs_the_consent_steps() {
    let out = kazasu(&["demo", "--json"], None);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let steps = v["steps"].as_array().unwrap();
    for want in [
        "consent to a listed set",
        "member clinic on the list asks",
        "clinic outside the list asks",
        "consent as FHIR R4",
        "consent withdrawn",
        "tampered ledger row",
        "representative consents for a child",
    ] {
        let step = steps
            .iter()
            .find(|s| s["step"] == want)
            .unwrap_or_else(|| panic!("missing {want}"));
        assert_eq!(step["ok"], true, "{step}");
    }
    let fhir = steps
        .iter()
        .find(|s| s["step"] == "consent as FHIR R4")
        .unwrap();
    assert_eq!(fhir["detail"]["resourceType"], "Consent");
    assert_eq!(fhir["detail"]["provision"]["type"], "permit");
}
