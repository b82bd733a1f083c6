//! `kazasu cert show|verify` and `kazasu signature verify` on the virtual card's test PKI.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::process::{Command, Output};

use kazasu_virtual_card::pki::{
    CrlSpec, Generation, Purpose, RevokedEntry, SignatureAlgorithm, TestPki, fixture_key,
};

fn kazasu(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kazasu"))
        .args(args)
        .output()
        .unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Exports the test PKI of seed 0 into a fresh directory.
fn exported() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let out = kazasu(&["virtual-card", "export", dir.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    dir
}

fn p(dir: &Path, name: &str) -> String {
    dir.join(name).to_str().unwrap().to_owned()
}

fn trust_args(dir: &Path) -> Vec<String> {
    [
        "auth-root-2015.pem",
        "auth-root-2023.der",
        "sign-root-2015.pem",
        "sign-root-2023.pem",
    ]
    .iter()
    .flat_map(|f| ["--trust".to_owned(), p(dir, f)])
    .collect()
}

fn run(args: Vec<String>) -> Output {
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    kazasu(&refs)
}

const AT: &str = "2025-06-01T12:00:00+09:00";

#[test]
fn show_prints_the_personal_data_of_a_signature_certificate() {
    let dir = exported();
    let out = kazasu(&["cert", "show", &p(dir.path(), "sign.pem"), "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["kind"], "jpki_signature");
    assert_eq!(v["personal_data"]["name"], "山田 花子");
    assert_eq!(v["personal_data"]["birth_date"], "319850412");
    assert_eq!(v["personal_data"]["sex"], "female");
    let out = kazasu(&["cert", "show", &p(dir.path(), "auth.der")]);
    assert_eq!(out.status.code(), Some(0));
    let s = text(&out.stdout);
    assert!(s.contains("JPKI authentication certificate"), "{s}");
    assert!(s.contains("identity (opaque):"), "{s}");
    // JPKI: the 5th birthday (04-12) after issue (2025-01-01), 23:59:59 JST.
    assert!(s.contains("not after:         2029-04-12T14:59:59Z"), "{s}");
}

#[test]
fn verify_valid_invalid_and_unusable() {
    let dir = exported();
    let d = dir.path();
    // Valid, with a CRL current at AT.
    let at = kazasu_pki::time::OffsetDateTime::from_unix_timestamp(1_748_746_800).unwrap(); // AT
    let crl = TestPki::new(0)
        .unwrap()
        .crl(
            Purpose::Authentication,
            Generation::G2023,
            &CrlSpec::valid_at(at),
        )
        .unwrap();
    std::fs::write(d.join("current.crl"), crl).unwrap();
    let mut args = vec!["cert".into(), "verify".into(), p(d, "auth.pem")];
    args.extend(trust_args(d));
    args.extend([
        "--crl".into(),
        p(d, "current.crl"),
        "--at".into(),
        AT.into(),
        "--json".into(),
    ]);
    let out = run(args.clone());
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["valid"], true);
    assert_eq!(v["purpose"], "authentication");
    assert_eq!(v["chain"].as_array().unwrap().len(), 2);
    assert_eq!(v["revocation"][0]["status"], "good");

    // A year later the CRL is stale: revocation unknown, exit 1.
    let late: Vec<String> = args
        .iter()
        .map(|a| {
            if a == AT {
                "2026-06-01T00:00:00Z".into()
            } else {
                a.clone()
            }
        })
        .collect();
    let out = run(late);
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["reason"], "revocation_unknown");

    // The signature certificate asked to authenticate.
    let mut args = vec![
        "cert".into(),
        "verify".into(),
        p(d, "sign.pem"),
        "--purpose".into(),
        "auth".into(),
    ];
    args.extend(trust_args(d));
    args.extend(["--at".into(), AT.into()]);
    let out = run(args);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stdout).starts_with("invalid: policy does not match"),
        "{}",
        text(&out.stdout)
    );

    // Default trust = the real J-LIS roots, which did not issue the test PKI.
    let out = kazasu(&["cert", "verify", &p(d, "auth.pem"), "--at", AT]);
    assert_eq!(out.status.code(), Some(1));

    // Unusable input: exit 2 with a message.
    let garbage = d.join("garbage.pem");
    std::fs::write(
        &garbage,
        "-----BEGIN CERTIFICATE-----\n@@@\n-----END CERTIFICATE-----\n",
    )
    .unwrap();
    let truncated = d.join("truncated.der");
    std::fs::write(
        &truncated,
        &std::fs::read(d.join("auth.der")).unwrap()[..300],
    )
    .unwrap();
    let empty = d.join("empty");
    std::fs::write(&empty, b"").unwrap();
    for bad in [&garbage, &truncated, &empty, &d.join("missing.pem")] {
        let out = kazasu(&["cert", "verify", bad.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(2), "{}", bad.display());
        assert!(
            text(&out.stderr).starts_with("kazasu: "),
            "{}",
            text(&out.stderr)
        );
        let out = kazasu(&["cert", "show", bad.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(2));
    }
    let out = kazasu(&[
        "cert",
        "verify",
        &p(d, "auth.pem"),
        "--crl",
        truncated.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let out = kazasu(&["cert", "verify", &p(d, "auth.pem"), "--at", "next tuesday"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn verify_reports_a_revoked_certificate() {
    let dir = exported();
    let d = dir.path();
    let pki = TestPki::new(0).unwrap();
    let serial = kazasu_pki::Certificate::parse(&std::fs::read(d.join("auth.der")).unwrap())
        .unwrap()
        .serial()
        .to_vec();
    let at = kazasu_pki::time::OffsetDateTime::from_unix_timestamp(1_748_736_000).unwrap(); // 2025-06-01
    let crl = pki
        .crl(
            Purpose::Authentication,
            Generation::G2023,
            &CrlSpec::valid_at(at).revoke(RevokedEntry::from_bytes(
                &serial,
                at - kazasu_pki::time::Duration::days(3),
            )),
        )
        .unwrap();
    std::fs::write(d.join("revoked.crl"), crl).unwrap();
    let mut args = vec!["cert".into(), "verify".into(), p(d, "auth.der")];
    args.extend(trust_args(d));
    args.extend([
        "--crl".into(),
        p(d, "revoked.crl"),
        "--at".into(),
        "2025-06-01T00:00:00Z".into(),
    ]);
    let out = run(args);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).starts_with("invalid: revoked:"),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn signature_verify() {
    let dir = exported();
    let d = dir.path();
    let message = b"challenge from the server";
    // Slot 0's authentication key is fixture key 4.
    let sig = SignatureAlgorithm::Sha256WithRsa
        .sign(&fixture_key(4).unwrap(), message)
        .unwrap();
    std::fs::write(d.join("msg"), message).unwrap();
    std::fs::write(d.join("sig"), &sig).unwrap();
    std::fs::write(
        d.join("digest"),
        kazasu_pki::HashAlgorithm::Sha256.digest(message),
    )
    .unwrap();
    let base = |input: &str| -> Vec<String> {
        let mut a = vec![
            "signature".into(),
            "verify".into(),
            "--cert".into(),
            p(d, "auth.pem"),
            "--in".into(),
            p(d, input),
            "--sig".into(),
            p(d, "sig"),
            "--at".into(),
            AT.into(),
        ];
        a.extend(trust_args(d));
        a
    };
    let out = run(base("msg"));
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    let mut digest = base("digest");
    digest.push("--digest".into());
    assert_eq!(run(digest).status.code(), Some(0));

    std::fs::write(d.join("other"), b"another message").unwrap();
    let mut json = base("other");
    json.push("--json".into());
    let out = run(json);
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["reason"], "message_signature_invalid");

    // The signature certificate is not for authentication (the default purpose).
    let mut args = base("msg");
    args[3] = p(d, "sign.pem");
    assert_eq!(run(args.clone()).status.code(), Some(1));
    // A message in place of a digest: unusable input.
    let mut args = base("msg");
    args.push("--digest".into());
    assert_eq!(run(args).status.code(), Some(2));
}

#[test]
fn at_accepts_a_date_meaning_midnight_in_japan() {
    // The holder certificates are valid from 2025-01-01T00:00:00Z = 09:00 JST. `--at 2025-01-01`
    // is 00:00 JST that day, nine hours earlier: not yet valid. `--at 2025-01-02` is valid.
    let dir = exported();
    let d = dir.path();
    let verify = |at: &str| {
        let mut args = vec!["cert".into(), "verify".into(), p(d, "auth.pem")];
        args.extend(trust_args(d));
        args.extend(["--at".into(), at.into(), "--json".into()]);
        let out = run(args);
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        (out.status.code(), v)
    };
    let (code, v) = verify("2025-01-01");
    assert_eq!(code, Some(1), "{v}");
    assert_eq!(v["reason"], "not_yet_valid");
    assert_eq!(v["at"], "2025-01-01T00:00:00+09:00");
    let (code, v) = verify("2025-01-02");
    assert_eq!(code, Some(0), "{v}");
    assert_eq!(v["at"], "2025-01-02T00:00:00+09:00");
    // The id links by the issuer's key, in the kid: form.
    assert!(v["id"].as_str().unwrap().starts_with("kid:"), "{v}");
    // The same instant written in RFC 3339 gives the same answer.
    let (code, v) = verify("2025-01-01T15:00:00Z");
    assert_eq!(code, Some(0), "{v}");
    // Not a date, not a time: unusable input.
    for bad in ["2025-02-30", "2025-1-2", "20250102"] {
        let mut args = vec!["cert".into(), "verify".into(), p(d, "auth.pem")];
        args.extend(trust_args(d));
        args.extend(["--at".into(), bad.into()]);
        let out = run(args);
        assert_eq!(out.status.code(), Some(2), "{bad}");
        assert!(text(&out.stderr).contains("--at"), "{}", text(&out.stderr));
    }
}

#[test]
fn signature_verify_accepts_a_date() {
    let dir = exported();
    let d = dir.path();
    let message = b"signed on a day";
    // Slot 0's signature key is fixture key 5.
    let sig = SignatureAlgorithm::Sha256WithRsa
        .sign(&fixture_key(5).unwrap(), message)
        .unwrap();
    std::fs::write(d.join("msg"), message).unwrap();
    std::fs::write(d.join("sig"), &sig).unwrap();
    let run_at = |at: &str| {
        let mut args = vec![
            "signature".into(),
            "verify".into(),
            "--cert".into(),
            p(d, "sign.pem"),
            "--in".into(),
            p(d, "msg"),
            "--sig".into(),
            p(d, "sig"),
            "--purpose".into(),
            "sign".into(),
            "--at".into(),
            at.into(),
            "--json".into(),
        ];
        args.extend(trust_args(d));
        let out = run(args);
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        (out.status.code(), v)
    };
    let (code, v) = run_at("2025-06-01");
    assert_eq!(code, Some(0), "{v}");
    assert_eq!(v["at"], "2025-06-01T00:00:00+09:00");
    let (code, v) = run_at("2025-01-01");
    assert_eq!(code, Some(1), "{v}");
    assert_eq!(v["reason"], "not_yet_valid");
}

#[test]
fn show_prints_the_key_based_id_and_the_legacy_id() {
    let dir = exported();
    let out = kazasu(&["cert", "show", &p(dir.path(), "auth.der"), "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let id = v["id"].as_str().unwrap();
    let aki = v["authority_key_id"]
        .as_str()
        .unwrap()
        .replace(':', "")
        .to_lowercase();
    assert_eq!(id, format!("kid:{}@{aki}", v["serial"].as_str().unwrap()));
    assert_eq!(
        v["legacy_id"],
        format!(
            "{}@{}",
            v["serial"].as_str().unwrap(),
            v["issuer"].as_str().unwrap()
        )
    );
}
