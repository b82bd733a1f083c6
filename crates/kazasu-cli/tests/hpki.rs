//! `kazasu card hpki …` on the built-in virtual HPKI card: exit codes, JSON, PINs from stdin only,
//! signatures that verify with the certificate the same command reads.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Write;
use std::process::{Command, Output, Stdio};

use kazasu_pki::{Certificate, HashAlgorithm};

fn kazasu(args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_kazasu"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(input) = stdin {
        // A command that exits before reading its input (a usage error) closes the pipe first.
        match child.stdin.take().unwrap().write_all(input.as_bytes()) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
            Err(e) => panic!("cannot write to kazasu's standard input: {e}"),
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
fn status_reports_both_pins_without_spending_a_try() {
    let out = kazasu(&["card", "hpki", "status", "--json"], None);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("built-in virtual HPKI card"));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["card"], "HPKI card");
    for pin in ["sign_pin", "auth_pin"] {
        assert_eq!(v[pin]["verified"], false, "{v}");
        assert!(v[pin]["tries_left"].as_u64().unwrap() >= 2, "{v}");
    }
    let human = kazasu(&["card", "hpki", "status"], None);
    assert_eq!(human.status.code(), Some(0));
    let shown = text(&human.stdout);
    assert!(shown.contains("HPKI card") && shown.contains("signature PIN:"));
}

#[test]
fn certificates_and_signatures_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::write(&data, b"prescription 0001").unwrap();
    for (which, key_arg, hash, alg) in [
        ("sign", None, None, HashAlgorithm::Sha256),
        ("auth", Some("auth"), Some("sha384"), HashAlgorithm::Sha384),
        ("sign", Some("sign"), Some("sha512"), HashAlgorithm::Sha512),
    ] {
        let cert = dir.path().join(format!("{which}.der"));
        let out = kazasu(
            &[
                "card",
                "hpki",
                "cert",
                which,
                "--out",
                cert.to_str().unwrap(),
            ],
            None,
        );
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        let cert = Certificate::from_der(&std::fs::read(&cert).unwrap()).unwrap();

        let sig = dir.path().join("sig");
        let mut args = vec![
            "card",
            "hpki",
            "sign",
            "--in",
            data.to_str().unwrap(),
            "--out",
            sig.to_str().unwrap(),
            "--pin-stdin",
        ];
        if let Some(k) = key_arg {
            args.extend(["--key", k]);
        }
        if let Some(h) = hash {
            args.extend(["--hash", h]);
        }
        let out = kazasu(&args, Some("1234\n"));
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        let sig = std::fs::read(&sig).unwrap();
        assert_eq!(sig.len(), 256);
        cert.verify_message(alg, b"prescription 0001", &sig)
            .unwrap();
        assert!(
            cert.verify_message(alg, b"prescription 0002", &sig)
                .is_err()
        );
    }
    // The two applications hold different certificates.
    let sign = kazasu(&["card", "hpki", "cert", "sign"], None);
    let auth = kazasu(&["card", "hpki", "cert", "auth", "--pem"], None);
    assert_eq!(auth.status.code(), Some(0));
    assert!(text(&auth.stdout).starts_with("-----BEGIN CERTIFICATE-----"));
    assert!(!sign.stdout.is_empty() && sign.stdout != auth.stdout);
}

#[test]
fn wrong_pin_is_refused_and_never_shown() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let sig = dir.path().join("sig");
    std::fs::write(&data, b"x").unwrap();
    let args = [
        "card",
        "hpki",
        "sign",
        "--in",
        data.to_str().unwrap(),
        "--out",
        sig.to_str().unwrap(),
        "--pin-stdin",
    ];
    let out = kazasu(&args, Some("87654321\n"));
    assert_eq!(out.status.code(), Some(1), "refused by the card");
    let err = text(&out.stderr);
    assert!(
        err.contains("wrong HPKI PIN") && err.contains("left"),
        "{err}"
    );
    assert!(!err.contains("87654321"), "the PIN never appears in errors");
    assert!(!sig.exists());
    // Not a PIN at all: a usage error, before any card command.
    let out = kazasu(&args, Some("12a4\n"));
    assert_eq!(out.status.code(), Some(2));
    let out = kazasu(&args, Some("123456789\n"));
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn usage_errors_exit_two() {
    assert_eq!(
        kazasu(&["card", "hpki", "cert"], None).status.code(),
        Some(2)
    );
    assert_eq!(
        kazasu(&["card", "hpki", "sign", "--pin-stdin"], Some("1234\n"))
            .status
            .code(),
        Some(2)
    );
    let out = kazasu(
        &[
            "card",
            "hpki",
            "sign",
            "--in",
            "/nonexistent",
            "--out",
            "/tmp/x",
            "--pin-stdin",
        ],
        Some("1234\n"),
    );
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        kazasu(&["card", "hpki", "sign", "--hash", "md5"], None)
            .status
            .code(),
        Some(2)
    );
}
