//! `kazasu hpki show` and `kazasu hpki verify` on the virtual card's HPKI test chain: exit codes,
//! JSON, and the named rejection.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use kazasu_virtual_card::pki::{
    ArlKind, CrlSpec, HcRole, HpkiAp, HpkiHolder, HpkiTestPki, IdpScope,
};
use time::macros::datetime;

const AT: &str = "2026-06-01T00:00:00Z";

fn kazasu(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kazasu"))
        .args(args)
        .output()
        .unwrap()
}

struct Chain {
    dir: PathBuf,
}

impl Chain {
    fn new(name: &str, holder: &HpkiHolder) -> Self {
        let dir =
            std::env::temp_dir().join(format!("kazasu-hpki-cli-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let at = datetime!(2026-06-01 00:00 UTC);
        let pki = HpkiTestPki::new().unwrap();
        let creds = pki.issue(holder).unwrap();
        let spec = CrlSpec::valid_at(at);
        let files = [
            ("root.der", pki.root().der.clone()),
            ("ca.der", pki.ca(HpkiAp::Signature).der.clone()),
            ("holder.der", creds.sign_certificate),
            ("ca-crl.der", pki.ca_crl(HpkiAp::Signature, &spec).unwrap()),
            (
                "sarl.der",
                pki.arl(ArlKind::Sarl, &spec, IdpScope::OnlyCaCerts)
                    .unwrap(),
            ),
        ];
        for (n, der) in files {
            std::fs::write(dir.join(n), der).unwrap();
        }
        Self { dir }
    }

    fn path(&self, name: &str) -> String {
        self.dir.join(name).to_str().unwrap().to_owned()
    }

    fn verify(&self, extra: &[&str]) -> Output {
        let (holder, root, ca) = (
            self.path("holder.der"),
            self.path("root.der"),
            self.path("ca.der"),
        );
        let mut args = vec![
            "hpki",
            "verify",
            &holder,
            "--trust",
            &root,
            "--intermediate",
            &ca,
            "--at",
            AT,
            "--json",
        ];
        args.extend_from_slice(extra);
        kazasu(&args)
    }
}

impl Drop for Chain {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap()
}

fn crl_args(c: &Chain) -> [String; 4] {
    [
        "--crl".into(),
        c.path("ca-crl.der"),
        "--crl".into(),
        c.path("sarl.der"),
    ]
}

#[test]
fn a_medical_doctor_verifies() {
    let c = Chain::new("ok", &HpkiHolder::sample());
    let crls = crl_args(&c);
    let mut extra: Vec<&str> = crls.iter().map(String::as_str).collect();
    extra.extend(["--role", "medical-doctor"]);
    let out = c.verify(&extra);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = json(&out);
    assert_eq!(v["valid"], true);
    assert_eq!(v["roles"][0], "Medical Doctor");
    assert_eq!(v["name_kanji"], HpkiHolder::sample().kanji_name);
    assert_eq!(v["revocation"].as_array().unwrap().len(), 2);
}

#[test]
fn a_pharmacist_is_refused_with_role_not_allowed() {
    let c = Chain::new(
        "pharm",
        &HpkiHolder::sample().with_roles(&[HcRole::Pharmacist]),
    );
    let crls = crl_args(&c);
    let mut extra: Vec<&str> = crls.iter().map(String::as_str).collect();
    extra.extend(["--role", "Medical Doctor"]);
    let out = c.verify(&extra);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(json(&out)["code"], "role_not_allowed");
}

#[test]
fn without_crls_revocation_is_unknown() {
    let c = Chain::new("nocrl", &HpkiHolder::sample());
    let out = c.verify(&[]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(json(&out)["code"], "revocation_unknown");
}

#[test]
fn the_shipped_root_does_not_trust_the_test_chain() {
    let c = Chain::new("untrusted", &HpkiHolder::sample());
    let (holder, ca) = (c.path("holder.der"), c.path("ca.der"));
    let out = kazasu(&[
        "hpki",
        "verify",
        &holder,
        "--intermediate",
        &ca,
        "--at",
        AT,
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(json(&out)["code"], "untrusted");
}

#[test]
fn show_prints_the_role_and_names() {
    let c = Chain::new("show", &HpkiHolder::sample());
    let out = kazasu(&["hpki", "show", &c.path("holder.der"), "--json"]);
    assert_eq!(out.status.code(), Some(0));
    let v = json(&out);
    assert_eq!(v["roles"][0], "Medical Doctor");
    assert_eq!(v["hpki_id"], HpkiHolder::sample().hpki_id);
    assert_eq!(v["kind"], "hpki_holder");
    let missing = kazasu(&[
        "hpki",
        "show",
        Path::new("/nonexistent/x.der").to_str().unwrap(),
    ]);
    assert_eq!(missing.status.code(), Some(2));
}
