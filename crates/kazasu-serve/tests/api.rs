//! The API end to end in process: a sandbox directory, a server on SQLite, clients with and
//! without facility certificates.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use kazasu_auth::AssertionPurpose;
use kazasu_serve::load::{agent, bound_assertion, post};
use kazasu_serve::sandbox::{PoolCard, SandboxSpec, facility_codes, init};
use kazasu_serve::{Config, check, start};
use serde_json::{Value, json};

struct Server {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
    api: SocketAddr,
    admin: SocketAddr,
    runtime: tokio::runtime::Runtime,
    running: Option<kazasu_serve::Running>,
}

impl Server {
    fn new() -> Self {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("sandbox");
        let mut spec = SandboxSpec::new(&dir);
        spec.people = 40;
        spec.crl_entries = 50;
        spec.cards = 6;
        init(&spec).unwrap();
        let config = Config::load(&dir.join("serve.toml")).unwrap();
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let running = runtime.block_on(start(&config)).unwrap();
        Self {
            _tmp: tmp,
            api: running.api,
            admin: running.admin,
            dir,
            runtime,
            running: Some(running),
        }
    }

    fn card(&self, n: usize) -> PoolCard {
        serde_json::from_slice(&std::fs::read(self.dir.join(format!("cards/{n:04}.json"))).unwrap())
            .unwrap()
    }

    fn client(&self) -> ureq::Agent {
        agent(&self.dir, &facility_codes(1)[0]).unwrap()
    }

    fn bound(&self, card: &PoolCard, purpose: AssertionPurpose) -> Vec<u8> {
        let (_, v) = post(&self.client(), self.api, "/v1/challenges", b"{}").unwrap();
        let nonce = hex::decode(v["challenge"].as_str().unwrap()).unwrap();
        let a = bound_assertion(
            card,
            "kazasu.sandbox",
            "https://kazasu.sandbox",
            purpose,
            &nonce,
        )
        .unwrap();
        json!({
            "certificate": hex::encode(a.certificate.der()),
            "message": hex::encode(&a.message),
            "signature": hex::encode(&a.signature),
        })
        .to_string()
        .into_bytes()
    }

    fn stop(mut self) {
        if let Some(r) = self.running.take() {
            r.shutdown_handle().trigger();
            self.runtime.block_on(r.wait());
        }
    }
}

fn dir_of(s: &Server) -> &Path {
    &s.dir
}

#[test]
fn confirmation_answers_once_and_refuses_revoked_cards() {
    let s = Server::new();
    let client = s.client();
    let body = s.bound(&s.card(0), AssertionPurpose::Confirm);
    let (status, v) = post(&client, s.api, "/v1/eligibility/confirmations", &body).unwrap();
    assert_eq!(status, 200);
    assert_eq!(v["ProcessingResultStatus"], "1", "{v}");
    assert!(!v["ResultList"].as_array().unwrap().is_empty());
    // The same assertion again: the challenge is used.
    let (_, v) = post(&client, s.api, "/v1/eligibility/confirmations", &body).unwrap();
    assert_eq!(v["ProcessingResultStatus"], "2");
    assert_eq!(v["ProcessingResultCode"], "K1003");
    // The sandbox's last card is revoked.
    let body = s.bound(&s.card(5), AssertionPurpose::Confirm);
    let (_, v) = post(&client, s.api, "/v1/eligibility/confirmations", &body).unwrap();
    assert_eq!(v["ProcessingResultStatus"], "2");
    assert_eq!(v["ProcessingResultCode"], "K1002", "{v}");
    // A check-in assertion is not a confirmation.
    let body = s.bound(&s.card(1), AssertionPurpose::CheckIn);
    let (_, v) = post(&client, s.api, "/v1/eligibility/confirmations", &body).unwrap();
    assert_eq!(v["ProcessingResultStatus"], "2", "{v}");
    s.stop();
}

#[test]
fn check_in_numbers_and_idempotence() {
    let s = Server::new();
    let client = s.client();
    let first = s.bound(&s.card(0), AssertionPurpose::CheckIn);
    let (status, v) = post(&client, s.api, "/v1/checkin", &first).unwrap();
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["queue_number"], 1);
    let (_, v) = post(
        &client,
        s.api,
        "/v1/checkin",
        &s.bound(&s.card(1), AssertionPurpose::CheckIn),
    )
    .unwrap();
    assert_eq!(v["queue_number"], 2);
    let (_, v) = post(
        &client,
        s.api,
        "/v1/checkin",
        &s.bound(&s.card(0), AssertionPurpose::CheckIn),
    )
    .unwrap();
    assert_eq!(
        v["queue_number"], 1,
        "the same card the same day keeps its number"
    );
    let (status, v) = post(&client, s.api, "/v1/checkin", &first).unwrap();
    assert_eq!(status, 403);
    assert_eq!(v["code"], "K1003", "{v}");
    assert!(v["request_id"].as_str().unwrap().starts_with("sandbox-"));
    s.stop();
}

#[test]
fn facilities_must_present_a_certificate_of_the_facility_ca() {
    let s = Server::new();
    let ca =
        ureq::tls::Certificate::from_pem(&std::fs::read(s.dir.join("tls/server-ca.pem")).unwrap())
            .unwrap();
    let tls = ureq::tls::TlsConfig::builder()
        .provider(ureq::tls::TlsProvider::Rustls)
        .unversioned_rustls_crypto_provider(std::sync::Arc::new(
            rustls::crypto::aws_lc_rs::default_provider(),
        ))
        .root_certs(ureq::tls::RootCerts::Specific(std::sync::Arc::new(vec![
            ca,
        ])))
        .build();
    let anonymous = ureq::Agent::config_builder()
        .tls_config(tls)
        .http_status_as_error(false)
        .build()
        .new_agent();
    assert!(post(&anonymous, s.api, "/v1/challenges", b"{}").is_err());
    // The admin endpoints answer without one.
    let health: Value = ureq::get(format!("http://{}/health", s.admin))
        .call()
        .unwrap()
        .body_mut()
        .read_to_string()
        .map(|t| serde_json::from_str(&t).unwrap())
        .unwrap();
    assert_eq!(health["status"], "ok");
    let metrics = ureq::get(format!("http://{}/metrics", s.admin))
        .call()
        .unwrap()
        .body_mut()
        .read_to_string()
        .unwrap();
    assert!(
        metrics.contains("kazasu_tls_handshake_failures_total"),
        "{metrics}"
    );
    s.stop();
}

#[test]
fn bodies_are_bounded_and_checked() {
    let s = Server::new();
    let client = s.client();
    let big = vec![b'a'; 100_000];
    // The server answers 413 as soon as the body passes the limit and closes the connection; a
    // client still sending may see that as a broken pipe instead of the answer.
    match post(&client, s.api, "/v1/consents/check", &big) {
        Ok((status, _)) => assert_eq!(status, 413),
        Err(e) => assert!(e.contains("Broken pipe") || e.contains("reset"), "{e}"),
    }
    let client = s.client();
    let (status, v) = post(&client, s.api, "/v1/consents/check", b"{not json").unwrap();
    assert_eq!(status, 400, "{v}");
    let (status, v) = post(
        &client,
        s.api,
        "/v1/consents/check",
        br#"{"patient":"p","class":"medication","purpose":"TREAT","facility":"9999999999"}"#,
    )
    .unwrap();
    assert_eq!(
        status, 400,
        "a facility is the certificate's, never the body's: {v}"
    );
    let (status, v) = post(&client, s.api, "/v1/no-such-route", b"{}").unwrap();
    assert_eq!(status, 404);
    assert!(v["request_id"].is_string());
    s.stop();
}

#[test]
fn consent_withdrawal_and_queue_checks_pass_on_one_instance() {
    let s = Server::new();
    check::consent_withdrawal(dir_of(&s), s.api, s.api).unwrap();
    check::challenge_once(dir_of(&s), s.api, s.api, 3).unwrap();
    check::queue_numbers(dir_of(&s), &[s.api], 2).unwrap();
    s.stop();
}

#[test]
fn shutdown_drains() {
    let s = Server::new();
    let admin = s.admin;
    let handle = s.running.as_ref().unwrap().shutdown_handle();
    handle.trigger();
    let running = {
        let mut s = s;
        let r = s.running.take().unwrap();
        s.runtime.block_on(r.wait());
        s
    };
    assert!(running.running.is_none());
    assert!(ureq::get(format!("http://{admin}/health")).call().is_err());
}

fn sign_sha256(pkcs8: &[u8], message: &[u8]) -> Vec<u8> {
    use rsa::pkcs8::DecodePrivateKey;
    use rsa::signature::{SignatureEncoding, Signer};
    let key = rsa::PrivateKey::from_pkcs8_der(pkcs8).unwrap();
    rsa::pkcs1v15::SigningKey::<sha2::Sha256>::new(key)
        .sign(message)
        .to_vec()
}

fn challenge(s: &Server) -> Vec<u8> {
    let (_, v) = post(&s.client(), s.api, "/v1/challenges", b"{}").unwrap();
    hex::decode(v["challenge"].as_str().unwrap()).unwrap()
}

/// Both keys of the card over one challenge: what enrolment and desk linking take.
fn card_holder_proof(s: &Server, card: &PoolCard) -> (Value, Value, Value) {
    let c = challenge(s);
    let authentication = json!({
        "certificate": hex::encode(&card.auth_certificate),
        "challenge": hex::encode(&c),
        "signature": hex::encode(sign_sha256(&card.auth_key, &c)),
    });
    (
        authentication,
        json!(hex::encode(&card.sign_certificate)),
        json!(hex::encode(sign_sha256(&card.sign_key, &c))),
    )
}

#[test]
fn enrolment_binds_only_the_card_holders_own_record() {
    let s = Server::new();
    let client = s.client();
    let (card, other) = (s.card(1), s.card(2));
    let (authentication, sign_cert, sign_sig) = card_holder_proof(&s, &card);
    let (status, v) = post(
        &client,
        s.api,
        "/v1/eligibility/enrolments",
        json!({"agency": card.agency, "authentication": authentication,
               "signature_certificate": sign_cert, "signature": sign_sig})
        .to_string()
        .as_bytes(),
    )
    .unwrap();
    assert_eq!(status, 200, "{v}");
    assert!(v["certificate"].is_string());
    // The same card presented for someone else's record: the 基本4情報 do not match.
    let (authentication, sign_cert, sign_sig) = card_holder_proof(&s, &card);
    let (status, v) = post(
        &client,
        s.api,
        "/v1/eligibility/enrolments",
        json!({"agency": other.agency, "authentication": authentication,
               "signature_certificate": sign_cert, "signature": sign_sig})
        .to_string()
        .as_bytes(),
    )
    .unwrap();
    assert_eq!(status, 403, "{v}");
    assert_eq!(v["code"], "K2002", "{v}");
    // Another card's signature certificate with this card's authentication: not one card.
    let (authentication, _, _) = card_holder_proof(&s, &card);
    let c = hex::decode(authentication["challenge"].as_str().unwrap()).unwrap();
    let (status, v) = post(
        &client,
        s.api,
        "/v1/eligibility/enrolments",
        json!({"agency": card.agency, "authentication": authentication,
               "signature_certificate": hex::encode(&other.sign_certificate),
               "signature": hex::encode(sign_sha256(&other.sign_key, &c))})
        .to_string()
        .as_bytes(),
    )
    .unwrap();
    assert_eq!(status, 403, "{v}");
    s.stop();
}

#[test]
fn desk_links_a_patient_card_when_the_identity_matches() {
    let s = Server::new();
    let client = s.client();
    let card = s.card(3);
    let sign = kazasu_pki::Certificate::from_der(&card.sign_certificate).unwrap();
    let personal = sign.personal_data().unwrap().unwrap();
    let sex = match personal.sex {
        kazasu_pki::Sex::Male => "1",
        _ => "2",
    };
    let record = json!({"name": personal.name, "birth_date": card.birth_date, "sex": sex});
    let (status, v) = post_put(&s, "/v1/checkin/patients/NEW0001", &record);
    assert_eq!(status, 200, "{v}");
    let (authentication, sign_cert, sign_sig) = card_holder_proof(&s, &card);
    let (status, v) = post(
        &client,
        s.api,
        "/v1/checkin/links",
        json!({"patient_card": "NEW0001", "authentication": authentication,
               "signature_certificate": sign_cert, "signature": sign_sig})
        .to_string()
        .as_bytes(),
    )
    .unwrap();
    assert_eq!(status, 200, "{v}");
    let (_, v) = post(
        &client,
        s.api,
        "/v1/checkin",
        &s.bound(&card, AssertionPurpose::CheckIn),
    )
    .unwrap();
    assert_eq!(v["patient_card"], "NEW0001", "{v}");
    // A record of someone else: refused, nothing linked.
    let wrong = json!({"name": "別人　太郎", "birth_date": "1950-01-01", "sex": "1"});
    assert_eq!(post_put(&s, "/v1/checkin/patients/NEW0002", &wrong).0, 200);
    let (authentication, sign_cert, sign_sig) = card_holder_proof(&s, &card);
    let (status, v) = post(
        &client,
        s.api,
        "/v1/checkin/links",
        json!({"patient_card": "NEW0002", "authentication": authentication,
               "signature_certificate": sign_cert, "signature": sign_sig})
        .to_string()
        .as_bytes(),
    )
    .unwrap();
    assert_eq!(status, 403, "{v}");
    s.stop();
}

fn post_put(s: &Server, path: &str, body: &Value) -> (u16, Value) {
    let mut r = s
        .client()
        .put(format!("https://localhost:{}{path}", s.api.port()))
        .header("content-type", "application/json")
        .send(body.to_string().as_bytes())
        .unwrap();
    let status = r.status().as_u16();
    let text = r.body_mut().read_to_string().unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

#[test]
fn login_after_enrolment() {
    let s = Server::new();
    let client = s.client();
    let card = s.card(4);
    let nonce = challenge(&s);
    let a = bound_assertion(
        &card,
        "kazasu.sandbox",
        "https://kazasu.sandbox",
        AssertionPurpose::Enrol,
        &nonce,
    )
    .unwrap();
    let body = json!({
        "authentication": {
            "certificate": hex::encode(a.certificate.der()),
            "message": hex::encode(&a.message),
            "signature": hex::encode(&a.signature),
        },
        "signature_certificate": hex::encode(&card.sign_certificate),
        "signature": hex::encode(sign_sha256(&card.sign_key, &a.message)),
    });
    let (status, v) = post(
        &client,
        s.api,
        "/v1/login/enrolments",
        body.to_string().as_bytes(),
    )
    .unwrap();
    assert_eq!(status, 200, "{v}");
    let account = v["account"].clone();
    let (status, v) = post(
        &client,
        s.api,
        "/v1/login",
        &s.bound(&card, AssertionPurpose::Login),
    )
    .unwrap();
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["account"], account);
    // A confirmation assertion does not log in.
    let (status, _) = post(
        &client,
        s.api,
        "/v1/login",
        &s.bound(&card, AssertionPurpose::Confirm),
    )
    .unwrap();
    assert_eq!(status, 403);
    s.stop();
}

#[test]
fn a_new_crl_revokes_a_cached_card_at_once() {
    use kazasu_virtual_card::pki::{CrlSpec, Generation, Purpose, RevokedEntry, TestPki};
    let s = Server::new();
    let client = s.client();
    let (card, other) = (s.card(1), s.card(2));
    // Twice: the second answer comes through the validated-path cache.
    for _ in 0..2 {
        let body = s.bound(&card, AssertionPurpose::Confirm);
        let (_, v) = post(&client, s.api, "/v1/eligibility/confirmations", &body).unwrap();
        assert_eq!(v["ProcessingResultStatus"], "1", "{v}");
    }
    // J-LIS publishes a CRL listing the card; the operator puts it in place and reloads.
    let pki = TestPki::new(0).unwrap();
    let cert = kazasu_pki::Certificate::from_der(&card.auth_certificate).unwrap();
    let serial = hex::decode(cert.serial_hex()).unwrap();
    let now = time::OffsetDateTime::now_utc();
    let spec = CrlSpec::valid_at(now).revoke(RevokedEntry::from_bytes(
        &serial,
        now - time::Duration::hours(2),
    ));
    let der = pki
        .crl(Purpose::Authentication, Generation::G2023, &spec)
        .unwrap();
    std::fs::write(s.dir.join("crl/auth-2023.der"), der).unwrap();
    let reload = |s: &Server| {
        ureq::post(format!("http://{}/crls/reload", s.admin))
            .config()
            .http_status_as_error(false)
            .build()
            .send_empty()
            .unwrap()
            .status()
            .as_u16()
    };
    assert_eq!(reload(&s), 200);
    let body = s.bound(&card, AssertionPurpose::Confirm);
    let (_, v) = post(&client, s.api, "/v1/eligibility/confirmations", &body).unwrap();
    assert_eq!(
        v["ProcessingResultStatus"], "2",
        "a cached card revoked by the new CRL: {v}"
    );
    assert_eq!(v["ProcessingResultCode"], "K1002");
    // A file that does not parse is refused; the CRLs in force stay in force.
    std::fs::write(s.dir.join("crl/auth-2023.der"), b"not a CRL").unwrap();
    assert_eq!(reload(&s), 422);
    let body = s.bound(&other, AssertionPurpose::Confirm);
    let (_, v) = post(&client, s.api, "/v1/eligibility/confirmations", &body).unwrap();
    assert_eq!(v["ProcessingResultStatus"], "1", "{v}");
    let body = s.bound(&card, AssertionPurpose::Confirm);
    let (_, v) = post(&client, s.api, "/v1/eligibility/confirmations", &body).unwrap();
    assert_eq!(v["ProcessingResultCode"], "K1002", "{v}");
    s.stop();
}
