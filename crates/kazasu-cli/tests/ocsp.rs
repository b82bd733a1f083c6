//! `kazasu ocsp`: request, serve and check against each other through the binary.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Output, Stdio};

fn kazasu(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kazasu"))
        .args(args)
        .output()
        .unwrap()
}

/// Kills the server when the test ends, whatever happens.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn serve_answers_check_good_and_revoked() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    assert!(kazasu(&["virtual-card", "export", d]).status.success());
    let p = |name: &str| format!("{d}/{name}");

    let out = kazasu(&[
        "ocsp",
        "request",
        "--cert",
        &p("sign.pem"),
        "--issuer",
        &p("sign-root-2023.pem"),
        "--sha256",
        "--nonce",
        "--out",
        &p("req.der"),
    ]);
    assert!(out.status.success(), "{out:?}");
    let req = std::fs::read(p("req.der")).unwrap();
    let parsed = kazasu_sign::ocsp::OcspRequest::from_der(&req).unwrap();
    assert_eq!(parsed.nonce().unwrap().len(), 32);

    let mut child = Command::new(env!("CARGO_BIN_EXE_kazasu"))
        .args(["ocsp", "serve", "--revoke-sample"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let _server = Server(child);
    let url = line.trim();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");

    let good = kazasu(&[
        "ocsp",
        "check",
        "--cert",
        &p("auth.pem"),
        "--issuer",
        &p("auth-root-2023.pem"),
        "--url",
        url,
        "--json",
    ]);
    assert_eq!(good.status.code(), Some(0), "{good:?}");
    let json: serde_json::Value = serde_json::from_slice(&good.stdout).unwrap();
    assert_eq!(json["status"], "good");
    assert_eq!(json["delegated"], true);

    let revoked = kazasu(&[
        "ocsp",
        "check",
        "--cert",
        &p("sign.pem"),
        "--issuer",
        &p("sign-root-2023.pem"),
        "--url",
        url,
        "--json",
    ]);
    assert_eq!(revoked.status.code(), Some(1), "{revoked:?}");
    let json: serde_json::Value = serde_json::from_slice(&revoked.stdout).unwrap();
    assert_eq!(json["status"], "revoked");
    assert_eq!(json["reason"], "keyCompromise");

    // Asked about with the wrong issuer: a usage error before anything is sent.
    let wrong = kazasu(&[
        "ocsp",
        "check",
        "--cert",
        &p("sign.pem"),
        "--issuer",
        &p("auth-root-2023.pem"),
        "--url",
        url,
    ]);
    assert_eq!(wrong.status.code(), Some(2), "{wrong:?}");
    // Verified at a time before the answer was produced: refused as invalid.
    let early = kazasu(&[
        "ocsp",
        "check",
        "--cert",
        &p("auth.pem"),
        "--issuer",
        &p("auth-root-2023.pem"),
        "--url",
        url,
        "--at",
        "2026-01-01",
        "--json",
    ]);
    assert_eq!(early.status.code(), Some(1), "{early:?}");
    let json: serde_json::Value = serde_json::from_slice(&early.stdout).unwrap();
    assert_eq!(json["code"], "not_yet_valid");
}
