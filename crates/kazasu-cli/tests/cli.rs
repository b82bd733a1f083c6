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
fn demo_passes_every_step() {
    let out = kazasu(&["demo", "--json"], None);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["ok"], true);
    let steps = v["steps"].as_array().unwrap();
    let names: Vec<&str> = steps.iter().map(|s| s["step"].as_str().unwrap()).collect();
    for want in [
        "enrol",
        "enrol someone else's record",
        "confirm eligibility",
        "staff-visual without a facility credential",
        "staff-visual at a registered terminal",
        "register patient card",
        "check in",
        "check in again the same day",
        "renewed card",
        "card in its grace period",
        "several qualifications (複数該当)",
        "replayed assertion",
        "revoked card",
        "wrong PIN",
    ] {
        assert!(names.contains(&want), "missing step {want}: {names:?}");
    }
    assert!(steps.iter().all(|s| s["ok"] == true));
    let staff = steps
        .iter()
        .find(|s| s["step"] == "staff-visual at a registered terminal")
        .unwrap();
    assert!(
        staff["outcome"]
            .as_str()
            .unwrap()
            .starts_with("chip proven genuine"),
        "{staff}"
    );
    let human = kazasu(&["demo"], None);
    assert_eq!(human.status.code(), Some(0));
    let n = steps.len();
    assert!(text(&human.stdout).contains(&format!("{n} of {n} steps behaved as expected")));
    // A date is a demo clock too (00:00 JST), and a bad one is a usage error.
    let dated = kazasu(&["demo", "--json", "--at", "2026-11-26"], None);
    assert_eq!(dated.status.code(), Some(0), "{}", text(&dated.stderr));
    assert_eq!(
        kazasu(&["demo", "--at", "26/11/2026"], None).status.code(),
        Some(2)
    );
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

#[test]
fn card_genuine_proves_the_builtin_card_and_says_what_is_not_proven() {
    let out = kazasu(
        &["card", "genuine", "--birth-date-stdin", "--json"],
        Some("600412\n"),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["genuine"], true);
    assert_eq!(v["test_card"], true);
    assert_eq!(v["ca"], "6000023-001");
    let not_proven = v["not_proven"].to_string();
    for want in ["revocation", "DF29", "relay"] {
        assert!(not_proven.contains(want), "{not_proven}");
    }
    assert!(text(&out.stderr).contains("test hierarchy allowed, for this card only"));
    // The 補助AP path needs no secret at all.
    let out = kazasu(&["card", "genuine", "--card-info-ap"], None);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).starts_with("GENUINE CHIP"));
    // 照合番号B from standard input: the card face names the chip key.
    let persona = kazasu_virtual_card::VirtualCardBuilder::new(0)
        .build()
        .unwrap()
        .persona;
    let code_b = format!("{}\n", persona.verification_code_b().as_str());
    let out = kazasu(
        &["card", "genuine", "--verification-b-stdin", "--json"],
        Some(&code_b),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["card_key_from"], "card face (確認AP 0002)");
}

#[test]
fn card_genuine_refuses_every_counterfeit_with_its_reason() {
    for (kind, outcome) in [
        ("copied", "bad_challenge_answer"),
        ("self-made", "not_checked"),
        ("wrong-signature", "bad_certificate_signature"),
        ("production-ids", "not_checked"),
    ] {
        let out = kazasu(
            &[
                "card",
                "genuine",
                "--birth-date",
                "600412",
                "--counterfeit",
                kind,
                "--json",
            ],
            None,
        );
        assert_eq!(out.status.code(), Some(1), "{kind}: {}", text(&out.stderr));
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["genuine"], false, "{kind}");
        assert_eq!(v["outcome"], outcome, "{kind}");
    }
}

#[test]
fn card_genuine_usage_errors_and_a_wrong_birth_date() {
    // Not a date: refused before any APDU, exit 2.
    let out = kazasu(&["card", "genuine", "--birth-date", "601399"], None);
    assert_eq!(out.status.code(), Some(2));
    // A wrong birth date is a refusal by the card: a try is spent and counted.
    let out = kazasu(&["card", "genuine", "--birth-date-stdin"], Some("600413\n"));
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("wrong birth-date key"),
        "{}",
        text(&out.stderr)
    );
    assert!(!text(&out.stderr).contains("600413"));
    // --counterfeit is for the built-in card only; a CA file must hold keys.
    let out = kazasu(
        &[
            "card",
            "genuine",
            "--reader",
            "X",
            "--counterfeit",
            "copied",
            "--birth-date",
            "600412",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("cas.txt");
    std::fs::write(&empty, "# nothing\n").unwrap();
    let out = kazasu(
        &[
            "card",
            "genuine",
            "--birth-date",
            "600412",
            "--cvc-ca",
            empty.to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("no CA key"));
}

#[test]
fn card_genuine_with_a_ca_file() {
    // Without --allow-test-hierarchy a test card is refused even with its CA key; here the built-in
    // card implies it, so the CA file alone is enough. Write the test hierarchy's CA keys as a
    // verifier would configure them.
    let cas = kazasu_virtual_card::pki::CvcHierarchy::new().unwrap().cas();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("cas.txt");
    let mut lines = String::from("# test CVC CAs\n");
    for ca in &cas {
        let id = &ca.key_id.0;
        let number = std::str::from_utf8(&id[..7]).unwrap();
        let suffix = std::str::from_utf8(&id[9..12]).unwrap();
        let pad = if id[15] == 0xA8 { "-A8" } else { "" };
        lines.push_str(&format!(
            "{number}-{suffix}{pad} {} {}\n",
            hex::encode(ca.modulus()),
            hex::encode(ca.exponent())
        ));
    }
    std::fs::write(&file, lines).unwrap();
    // The file `kazasu virtual-card export` writes is accepted as it is.
    let exported = dir.path().join("pki");
    let out = kazasu(
        &["virtual-card", "export", exported.to_str().unwrap()],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = kazasu(
        &[
            "card",
            "genuine",
            "--card-info-ap",
            "--cvc-ca",
            exported.join("cvc-cas.txt").to_str().unwrap(),
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = kazasu(
        &[
            "card",
            "genuine",
            "--birth-date",
            "600412",
            "--cvc-ca",
            file.to_str().unwrap(),
            "--json",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}

#[test]
fn hpki_linkage_commands_apply_issue_sign_in_and_suspend() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("links.sqlite");
    let db = db.to_str().unwrap();
    let at = "2026-11-26T10:00:00+09:00";
    let apply = |name: &str| {
        kazasu(
            &[
                "hpki",
                "apply",
                "--db",
                db,
                "--at",
                at,
                "--pin-stdin",
                "--name",
                name,
                "--birth-date",
                "1985-04-12",
                "--sex",
                "female",
                "--profession",
                "medical-doctor",
                "--registration-number",
                "100001",
            ],
            Some("ABC123\n"),
        )
    };
    let wrong = apply("山田 太郎");
    assert_eq!(wrong.status.code(), Some(1));
    assert!(
        text(&wrong.stderr).contains("K2002"),
        "{}",
        text(&wrong.stderr)
    );
    let ok = apply("山田 花子");
    assert_eq!(ok.status.code(), Some(0), "{}", text(&ok.stderr));
    let v: serde_json::Value = serde_json::from_slice(&ok.stdout).unwrap();
    let id = v["applied"]["id"].as_str().unwrap().to_owned();
    let out = kazasu(
        &["hpki", "issue", "--db", db, "--at", at, "--linkage", &id],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let sign_in = || {
        kazasu(
            &[
                "hpki",
                "sign-in",
                "--db",
                db,
                "--at",
                at,
                "--linkage",
                &id,
                "--pin-stdin",
            ],
            Some("1234\n1234\n"),
        )
    };
    let out = sign_in();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("Medical Doctor"));
    let out = kazasu(
        &[
            "hpki",
            "check-linkage",
            "--db",
            db,
            "--at",
            at,
            "--sandbox-revoke",
            "death",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("\"cause\":\"death\""),
        "{}",
        text(&out.stdout)
    );
    let out = sign_in();
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("K4023"), "{}", text(&out.stderr));
}

#[test]
fn auth_demo_binds_logs_in_admits_once_and_refuses_relays() {
    let out = kazasu(&["auth", "demo", "--json"], None);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["ok"], true, "{v}");
    assert_eq!(v["token"], "My Number Card");
    let steps = v["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 10);
    let outcome = |i: usize| steps[i]["outcome"].as_str().unwrap().to_owned();
    assert!(outcome(2).contains("nonce_replayed"), "{}", outcome(2));
    assert!(outcome(3).contains("wrong_relying_party"), "{}", outcome(3));
    assert!(outcome(4).contains("wrong_purpose"), "{}", outcome(4));
    assert!(outcome(7).contains("already_admitted"), "{}", outcome(7));
    assert!(outcome(9).contains("revoked"), "{}", outcome(9));
}

#[test]
fn auth_demo_runs_on_each_smartphone_token() {
    for (token, name) in [
        ("android", "Android smartphone certificate"),
        ("iphone", "iPhone smartphone certificate"),
    ] {
        let out = kazasu(&["auth", "demo", "--json", "--token", token], None);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["ok"], true, "{v}");
        assert_eq!(v["token"], name);
    }
}

/// `kazasu auth serve` on a free loopback port, stopped when dropped.
struct AuthServer {
    child: std::process::Child,
    url: String,
}

impl AuthServer {
    fn start() -> Self {
        use std::io::BufRead;
        let mut child = Command::new(env!("CARGO_BIN_EXE_kazasu"))
            .args(["auth", "serve", "--listen", "127.0.0.1:0"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // The server names its address on its first line of standard error once it listens.
        let mut line = String::new();
        std::io::BufReader::new(child.stderr.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let url = line
            .split_whitespace()
            .find(|w| w.starts_with("http://"))
            .unwrap_or_else(|| panic!("no address in {line:?}"))
            .to_owned();
        Self { child, url }
    }
}

impl Drop for AuthServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn login_and_gate_against_the_example_server_on_loopback() {
    let server = AuthServer::start();
    let url = server.url.as_str();
    let json = |out: &Output| -> serde_json::Value { serde_json::from_slice(&out.stdout).unwrap() };

    // Not bound yet.
    let out = kazasu(&["login", "--server", url, "--pin-stdin"], Some("1234\n"));
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert_eq!(json(&out)["code"], "not_bound");

    let out = kazasu(
        &["login", "--server", url, "--enrol", "--pin-stdin"],
        Some("1234\nABC123\n"),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let account = json(&out)["account"].clone();
    assert_eq!(json(&out)["name"], "山田 花子");

    let out = kazasu(&["login", "--server", url, "--pin-stdin"], Some("1234\n"));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(json(&out)["account"], account);

    // The same server reached under another name: the card signed for "localhost", a relay.
    let other = url.replace("127.0.0.1", "localhost");
    let out = kazasu(
        &["login", "--server", &other, "--pin-stdin"],
        Some("1234\n"),
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert_eq!(json(&out)["code"], "wrong_relying_party");

    let out = kazasu(
        &["gate", "--server", url, "--gate", "east-1", "--pin-stdin"],
        Some("1234\n"),
    );
    assert_eq!(json(&out)["code"], "no_ticket");
    let out = kazasu(
        &["gate", "--server", url, "--buy", "--pin-stdin"],
        Some("1234\n"),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let out = kazasu(
        &["gate", "--server", url, "--gate", "east-1", "--pin-stdin"],
        Some("1234\n"),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(json(&out)["gate"], "east-1");
    let out = kazasu(
        &["gate", "--server", url, "--gate", "west-1", "--pin-stdin"],
        Some("1234\n"),
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    assert_eq!(json(&out)["code"], "already_admitted");
}
