//! The `kazasu` binary as integrators run it: exit codes, JSON, secrets from stdin only.
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
        // A command that fails before reading stdin closes the pipe: that is its answer, not the
        // test's failure (its exit code is what the test checks).
        let written = child.stdin.take().unwrap().write_all(input.as_bytes());
        if let Err(e) = written {
            assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "{e}");
        }
    } else {
        drop(child.stdin.take());
    }
    child.wait_with_output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn demo_passes_every_step() {
    let out = kazasu(&["demo", "--json"], None);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["ok"], true);
    let steps = v["steps"].as_array().unwrap();
    let names: Vec<&str> = steps.iter().map(|s| s["step"].as_str().unwrap()).collect();
    for want in [
        "enrol",
        "confirm eligibility",
        "register patient card",
        "check in",
        "renewed card",
        "replayed assertion",
        "revoked card",
        "wrong PIN",
    ] {
        assert!(names.contains(&want), "missing step {want}: {names:?}");
    }
    assert!(steps.iter().all(|s| s["ok"] == true));
    let human = kazasu(&["demo"], None);
    assert_eq!(human.status.code(), Some(0));
    assert!(text(&human.stdout).contains("8 of 8 steps behaved as expected"));
}

#[test]
fn card_status_json_reads_counters_without_spending_tries() {
    let out = kazasu(&["card", "status", "--json"], None);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["token"], "My Number Card");
    assert_eq!(v["auth_pin"]["tries_left"], 3);
    assert_eq!(v["sign_password"]["tries_left"], 5);
}

#[test]
fn card_text_with_the_right_and_the_wrong_pin() {
    let out = kazasu(&["card", "text", "--pin-stdin", "--json"], Some("1234\n"));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["name"], "山田 花子");
    assert_eq!(v["birth_date"], "1985-04-12");
    let out = kazasu(&["card", "text", "--pin-stdin"], Some("0000\n"));
    assert_eq!(out.status.code(), Some(1), "refused by the card");
    assert!(text(&out.stderr).contains("2 tries left"));
    assert!(
        !text(&out.stderr).contains("0000"),
        "the PIN never appears in errors"
    );
    let out = kazasu(&["card", "text", "--pin-stdin"], Some("12345\n"));
    assert_eq!(out.status.code(), Some(2), "invalid input is a usage error");
}

#[test]
fn card_sign_and_cert_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let sig = dir.path().join("sig");
    let cert = dir.path().join("auth.pem");
    std::fs::write(&data, b"challenge").unwrap();
    let out = kazasu(
        &[
            "card",
            "sign",
            "auth",
            "--in",
            data.to_str().unwrap(),
            "--out",
            sig.to_str().unwrap(),
            "--pin-stdin",
        ],
        Some("1234\n"),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(std::fs::read(&sig).unwrap().len(), 256);
    let out = kazasu(
        &[
            "card",
            "cert",
            "auth",
            "--pem",
            "--out",
            cert.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(0));
    assert!(
        std::fs::read_to_string(&cert)
            .unwrap()
            .starts_with("-----BEGIN CERTIFICATE-----")
    );
    let out = kazasu(&["card", "cert", "sign", "--pin-stdin"], Some("WRONG1\n"));
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("4 tries left"));
}

#[test]
fn usage_errors_exit_two() {
    assert_eq!(
        kazasu(&["card", "sign", "auth"], None).status.code(),
        Some(2)
    );
    assert_eq!(kazasu(&["no-such-command"], None).status.code(), Some(2));
    let out = kazasu(
        &[
            "card",
            "sign",
            "auth",
            "--in",
            "/nonexistent",
            "--out",
            "/tmp/x",
            "--pin-stdin",
        ],
        Some("1234\n"),
    );
    assert_eq!(out.status.code(), Some(2));
}
