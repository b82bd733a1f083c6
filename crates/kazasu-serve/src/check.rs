//! `kazasu serve-check`: what must hold when several instances share one database, checked from
//! the outside through the API (and the crash run the test script kills an instance during).

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use kazasu_auth::AssertionPurpose;
use kazasu_consent::{
    Action, ConsentDocument, ConsentKind, ConsentRecord, DataClass, Evidence, JpkiIdentity,
    Patient, Pattern, Performer, Period, Policy, Purpose, evidence::HexBytes,
};
use kazasu_pki::Certificate;
use rsa::pkcs8::DecodePrivateKey;
use rsa::signature::{SignatureEncoding, Signer};
use serde::Serialize;
use serde_json::{Value, json};
use time::OffsetDateTime;

use crate::config::Config;
use crate::load::{agent, bound_assertion, post};
use crate::sandbox::{NETWORK, PoolCard, facility_codes};

/// A property that did not hold, or a run that could not be made.
pub type CheckError = String;

type Answer = Result<(u16, Value), String>;

struct Ctx {
    cards: Vec<PoolCard>,
    rp_id: String,
    origin: String,
}

fn ctx(dir: &Path) -> Result<Ctx, CheckError> {
    let config = Config::load(&dir.join("serve.toml")).map_err(|e| e.to_string())?;
    let cards = crate::load::cards(dir).map_err(|e| e.to_string())?;
    Ok(Ctx {
        cards,
        rp_id: config.service.relying_party.clone(),
        origin: config
            .service
            .origins
            .first()
            .cloned()
            .ok_or("no origin configured")?,
    })
}

fn challenge(agent: &ureq::Agent, at: SocketAddr) -> Result<Vec<u8>, CheckError> {
    let (status, v) = post(agent, at, "/v1/challenges", b"{}")?;
    v.get("challenge")
        .and_then(Value::as_str)
        .and_then(|h| hex::decode(h).ok())
        .ok_or_else(|| format!("challenge: status {status}: {v}"))
}

fn body(
    card: &PoolCard,
    c: &Ctx,
    purpose: AssertionPurpose,
    nonce: &[u8],
) -> Result<Vec<u8>, CheckError> {
    let a =
        bound_assertion(card, &c.rp_id, &c.origin, purpose, nonce).map_err(|e| e.to_string())?;
    Ok(json!({
        "certificate": hex::encode(a.certificate.der()),
        "message": hex::encode(&a.message),
        "signature": hex::encode(&a.signature),
    })
    .to_string()
    .into_bytes())
}

fn confirmed(answer: &Result<(u16, Value), String>) -> bool {
    matches!(answer, Ok((200, v)) if v.get("ProcessingResultStatus").and_then(Value::as_str) == Some("1"))
}

/// A challenge issued by `a` and presented to `a` and `b` at once, `rounds` times: exactly one
/// confirmation each time, the other refused as a used challenge.
pub fn challenge_once(
    dir: &Path,
    a: SocketAddr,
    b: SocketAddr,
    rounds: usize,
) -> Result<String, CheckError> {
    let c = ctx(dir)?;
    let facility = facility_codes(1).remove(0);
    let agents = [
        agent(dir, &facility).map_err(|e| e.to_string())?,
        agent(dir, &facility).map_err(|e| e.to_string())?,
    ];
    let card = c
        .cards
        .iter()
        .find(|k| !k.revoked)
        .ok_or("no usable card")?;
    for round in 0..rounds {
        let nonce = challenge(&agents[0], a)?;
        let payload = body(card, &c, AssertionPurpose::Confirm, &nonce)?;
        let (ra, rb) = std::thread::scope(|s| {
            let ha = s.spawn(|| post(&agents[0], a, "/v1/eligibility/confirmations", &payload));
            let hb = s.spawn(|| post(&agents[1], b, "/v1/eligibility/confirmations", &payload));
            (ha.join(), hb.join())
        });
        let (ra, rb) = (
            ra.map_err(|_| "a client thread failed")?,
            rb.map_err(|_| "a client thread failed")?,
        );
        let answered = [confirmed(&ra), confirmed(&rb)];
        if answered.iter().filter(|x| **x).count() != 1 {
            return Err(format!(
                "round {round}: one challenge was answered {} times ({ra:?} / {rb:?})",
                answered.iter().filter(|x| **x).count()
            ));
        }
        let refused = if answered[0] { &rb } else { &ra };
        let code = refused.as_ref().ok().and_then(|(_, v)| {
            v.get("ProcessingResultCode")
                .and_then(Value::as_str)
                .map(str::to_owned)
        });
        if code.as_deref() != Some("K1003") {
            return Err(format!(
                "round {round}: the second use was not refused as a used challenge: {refused:?}"
            ));
        }
    }
    Ok(format!(
        "challenge issued by one instance, presented to both at once: answered exactly once in {rounds} of {rounds} rounds, the other refused K1003"
    ))
}

/// Every usable pool card checks in at the last sandbox facility through both instances at once:
/// one queue number per card (both instances give the same), numbers 1..=N with no gap. Run on a
/// facility and day nobody else checks in.
pub fn queue_numbers(
    dir: &Path,
    targets: &[SocketAddr],
    facilities: usize,
) -> Result<String, CheckError> {
    let c = ctx(dir)?;
    let facility = facility_codes(facilities).pop().ok_or("no facility")?;
    let cards: Vec<&PoolCard> = c.cards.iter().filter(|k| !k.revoked).collect();
    let mut jobs = Vec::new();
    let setup = agent(dir, &facility).map_err(|e| e.to_string())?;
    for (i, card) in cards.iter().enumerate() {
        for (t, target) in targets.iter().enumerate() {
            let nonce = challenge(&setup, targets[(t + 1) % targets.len()])?;
            jobs.push((
                i,
                *target,
                body(card, &c, AssertionPurpose::CheckIn, &nonce)?,
            ));
        }
    }
    let next = AtomicUsize::new(0);
    let receipts: Mutex<Vec<(usize, Answer)>> = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..jobs.len().min(16) {
            s.spawn(|| {
                let Ok(agent) = agent(dir, &facility) else {
                    return;
                };
                loop {
                    let n = next.fetch_add(1, Ordering::Relaxed);
                    let Some((card, target, payload)) = jobs.get(n) else {
                        break;
                    };
                    let r = post(&agent, *target, "/v1/checkin", payload);
                    if let Ok(mut all) = receipts.lock() {
                        all.push((*card, r));
                    }
                }
            });
        }
    });
    let receipts = receipts.into_inner().map_err(|_| "poisoned")?;
    let mut by_card: BTreeMap<usize, Vec<u64>> = BTreeMap::new();
    for (card, r) in &receipts {
        match r {
            Ok((200, v)) => by_card.entry(*card).or_default().push(
                v.get("queue_number")
                    .and_then(Value::as_u64)
                    .ok_or("a receipt without a queue number")?,
            ),
            other => return Err(format!("a check-in was not answered: {other:?}")),
        }
    }
    let mut numbers = Vec::new();
    for (card, got) in &by_card {
        if got.len() != targets.len() || got.iter().any(|n| *n != got[0]) {
            return Err(format!(
                "card {card} got different queue numbers {got:?} from the instances"
            ));
        }
        numbers.push(got[0]);
    }
    numbers.sort_unstable();
    let expected: Vec<u64> = (1..=cards.len() as u64).collect();
    if numbers != expected {
        return Err(format!(
            "queue numbers are not 1..={}: {numbers:?}",
            cards.len()
        ));
    }
    Ok(format!(
        "{} cards checked in through {} instances at once: numbers 1..={} without gap, each card one number",
        cards.len(),
        targets.len(),
        cards.len()
    ))
}

fn consent_document(
    card: &PoolCard,
    action: Action,
    id: &str,
    at: OffsetDateTime,
) -> Result<ConsentDocument, CheckError> {
    let cert = Certificate::from_der(&card.auth_certificate).map_err(|e| e.to_string())?;
    let birth = time::Date::parse(
        &card.birth_date,
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .map_err(|e| e.to_string())?;
    let record = ConsentRecord {
        id: id.to_owned(),
        network: NETWORK.into(),
        kind: ConsentKind::Network,
        patient: Patient {
            network_id: card.patient.clone(),
            jpki: JpkiIdentity::of(&cert).map_err(|e| e.to_string())?,
            birth_date: birth,
        },
        pattern: Pattern::AllMembers,
        grantees: Vec::new(),
        classes: vec![DataClass::Medication],
        purposes: vec![Purpose::Treatment],
        period: Period {
            start: at - time::Duration::minutes(1),
            end: Some(at + time::Duration::days(365)),
        },
        performer: Performer::Patient,
        policy: Policy {
            uri: "https://kazasu.sandbox/terms".into(),
            version: "1".into(),
        },
    };
    Ok(ConsentDocument {
        action,
        at,
        performer: Performer::Patient,
        record,
    })
}

fn consent_body(dir: &Path, card: &PoolCard, doc: &ConsentDocument) -> Result<Vec<u8>, CheckError> {
    let bytes = doc.to_canonical().map_err(|e| e.to_string())?;
    let key = rsa::PrivateKey::from_pkcs8_der(&card.auth_key).map_err(|e| e.to_string())?;
    let signer = rsa::pkcs1v15::SigningKey::<sha2::Sha256>::new(key);
    let signature = signer
        .sign(&kazasu_consent::assertion_message(&bytes))
        .to_vec();
    // The CRL of the card's issuer that shows it unrevoked now, for the offline re-check.
    let cert = Certificate::from_der(&card.auth_certificate).map_err(|e| e.to_string())?;
    let mut crls = Vec::new();
    for name in ["auth-2015", "auth-2023"] {
        let der = std::fs::read(dir.join(format!("crl/{name}.der"))).map_err(|e| e.to_string())?;
        if let Ok(crl) = kazasu_pki::Crl::from_der(&der)
            && crl.issuer() == cert.issuer()
        {
            crls.push(HexBytes(der));
        }
    }
    let evidence = Evidence::Assertion {
        certificate: card.auth_certificate.clone(),
        signature,
        crls,
    };
    Ok(
        json!({"document": hex::encode(bytes), "evidence": evidence})
            .to_string()
            .into_bytes(),
    )
}

fn decision(agent: &ureq::Agent, at: SocketAddr, patient: &str) -> Result<Value, CheckError> {
    let (status, v) = post(
        agent,
        at,
        "/v1/consents/check",
        json!({"patient": patient, "class": "medication", "purpose": "TREAT"})
            .to_string()
            .as_bytes(),
    )?;
    if status != 200 {
        return Err(format!("consent check: status {status}: {v}"));
    }
    Ok(v)
}

/// A consent granted through `a` permits at `b`; withdrawn through `a`, it is refused at `b` on
/// the very next request.
pub fn consent_withdrawal(dir: &Path, a: SocketAddr, b: SocketAddr) -> Result<String, CheckError> {
    let c = ctx(dir)?;
    // The evidence embeds the card issuer's CRL (the consent ledger re-checks offline), so run
    // this on a sandbox whose authentication CRL is small (`serve-init --crl-entries 100`).
    let adult = |k: &&PoolCard| {
        time::Date::parse(
            &k.birth_date,
            time::macros::format_description!("[year]-[month]-[day]"),
        )
        .is_ok_and(|b| kazasu_health::sandbox::age_on(b, OffsetDateTime::now_utc().date()) >= 20)
    };
    let facility = facility_codes(1).remove(0);
    let client = agent(dir, &facility).map_err(|e| e.to_string())?;
    // A patient nobody consented for yet, so the answers below are this consent's alone.
    let mut card = None;
    for k in c.cards.iter().filter(|k| !k.revoked).filter(adult) {
        if decision(&client, b, &k.patient)?
            .get("decision")
            .and_then(Value::as_str)
            == Some("deny")
        {
            card = Some(k);
            break;
        }
    }
    let card = card.ok_or("no adult card without a consent left in the sandbox")?;
    let now = OffsetDateTime::now_utc();
    let id = format!("check-{}", now.unix_timestamp_nanos());
    let grant = consent_document(card, Action::Grant, &id, now)?;
    let (status, v) = post(
        &client,
        a,
        "/v1/consents",
        &consent_body(dir, card, &grant)?,
    )?;
    if status != 200 {
        return Err(format!("grant through A: status {status}: {v}"));
    }
    let permit = decision(&client, b, &card.patient)?;
    if permit.get("decision").and_then(Value::as_str) != Some("permit")
        || permit.get("consent_id").and_then(Value::as_str) != Some(id.as_str())
    {
        return Err(format!("granted through A, but B says {permit}"));
    }
    let later = OffsetDateTime::now_utc();
    let withdraw = ConsentDocument {
        action: Action::Withdraw,
        at: later,
        ..grant.clone()
    };
    let (status, v) = post(
        &client,
        a,
        "/v1/consents",
        &consent_body(dir, card, &withdraw)?,
    )?;
    if status != 200 {
        return Err(format!("withdrawal through A: status {status}: {v}"));
    }
    let deny = decision(&client, b, &card.patient)?;
    if deny.get("decision").and_then(Value::as_str) != Some("deny") {
        return Err(format!("withdrawn through A, but B still says {deny}"));
    }
    Ok(format!(
        "consent granted through A permitted at B; withdrawn through A, refused at B on the next request ({deny})"
    ))
}

/// What the crash run saw.
#[derive(Debug, Default, Serialize)]
pub struct CrashReport {
    /// Requests planned.
    pub requests: usize,
    /// Answered on the first try.
    pub answered_first: usize,
    /// Failed on the first try (the killed instance) and retried at another.
    pub retried: usize,
    /// Retries answered (the first try had not committed).
    pub retry_answered: usize,
    /// Retries refused as already used (the first try had committed; its answer was lost).
    pub retry_replayed: usize,
    /// Answered confirmations presented again afterwards.
    pub confirmations_rechecked: usize,
    /// Of those, answered again instead of refused as used (a lost commit or a double answer;
    /// must be 0).
    pub answered_twice: usize,
    /// Check-in receipts re-read after the run.
    pub receipts_checked: usize,
    /// Receipts whose number changed when re-read (a lost commit; must be 0).
    pub receipts_lost: usize,
}

/// Confirmations and check-ins spread over `targets` (prepared first; prints `RUNNING` on stdout
/// when the timed part starts, for the script that kills an instance). A request whose instance
/// died is retried once at the next one. Afterwards every card that got a receipt checks in again
/// at the first target: the same number means the first commit survived.
pub fn crash(
    dir: &Path,
    targets: &[SocketAddr],
    requests: usize,
    facility_index: usize,
) -> Result<CrashReport, CheckError> {
    let c = ctx(dir)?;
    let facility = facility_codes(facility_index + 1)
        .pop()
        .ok_or("no facility")?;
    let setup = agent(dir, &facility).map_err(|e| e.to_string())?;
    let cards: Vec<&PoolCard> = c.cards.iter().filter(|k| !k.revoked).collect();
    let mut plan = Vec::new();
    for i in 0..requests {
        let card = i % cards.len();
        let checkin = i % 4 == 0;
        let purpose = if checkin {
            AssertionPurpose::CheckIn
        } else {
            AssertionPurpose::Confirm
        };
        let nonce = challenge(&setup, targets[i % targets.len()])?;
        plan.push((
            card,
            checkin,
            i % targets.len(),
            body(cards[card], &c, purpose, &nonce)?,
        ));
    }
    println!("RUNNING");
    let next = AtomicUsize::new(0);
    let report = Mutex::new(CrashReport {
        requests,
        ..CrashReport::default()
    });
    let receipts: Mutex<HashMap<usize, u64>> = Mutex::new(HashMap::new());
    let answered: Mutex<Vec<usize>> = Mutex::new(Vec::new());
    let note = |n: usize, checkin: bool, card: usize, answer: &Result<(u16, Value), String>| {
        if checkin {
            if let Ok((200, v)) = answer
                && let (Some(q), Ok(mut m)) = (
                    v.get("queue_number").and_then(Value::as_u64),
                    receipts.lock(),
                )
            {
                m.insert(card, q);
            }
        } else if confirmed(answer)
            && let Ok(mut a) = answered.lock()
        {
            a.push(n);
        }
    };
    std::thread::scope(|s| {
        for _ in 0..8 {
            s.spawn(|| {
                let Ok(agent) = agent(dir, &facility) else {
                    return;
                };
                loop {
                    let n = next.fetch_add(1, Ordering::Relaxed);
                    let Some((card, checkin, t, payload)) = plan.get(n) else {
                        break;
                    };
                    let path = if *checkin {
                        "/v1/checkin"
                    } else {
                        "/v1/eligibility/confirmations"
                    };
                    let first = post(&agent, targets[*t], path, payload);
                    let dead = first.as_ref().map_or(true, |(s, _)| *s >= 500);
                    if !dead {
                        note(n, *checkin, *card, &first);
                        if let Ok(mut r) = report.lock() {
                            r.answered_first += 1;
                        }
                        continue;
                    }
                    let second = post(&agent, targets[(*t + 1) % targets.len()], path, payload);
                    let ok = if *checkin {
                        matches!(&second, Ok((200, _)))
                    } else {
                        confirmed(&second)
                    };
                    note(n, *checkin, *card, &second);
                    if let Ok(mut r) = report.lock() {
                        r.retried += 1;
                        if ok {
                            r.retry_answered += 1;
                        } else {
                            r.retry_replayed += 1;
                        }
                    }
                }
            });
        }
    });
    let mut report = report.into_inner().map_err(|_| "poisoned")?;
    let receipts = receipts.into_inner().map_err(|_| "poisoned")?;
    let answered = answered.into_inner().map_err(|_| "poisoned")?;
    // Every confirmation answered, presented again at the surviving instance: its challenge must be
    // used (the answer's commit survived) and the answer never given a second time.
    for n in &answered {
        let (_, _, _, payload) = &plan[*n];
        let again = post(&setup, targets[0], "/v1/eligibility/confirmations", payload)?;
        report.confirmations_rechecked += 1;
        let used = matches!(&again, (200, v) if v.get("ProcessingResultCode").and_then(Value::as_str) == Some("K1003"));
        if !used {
            report.answered_twice += 1;
        }
    }
    // Every card with a receipt checks in again at the surviving instance: the same number means
    // the check-in it was answered for is in the database.
    for (card, number) in &receipts {
        let nonce = challenge(&setup, targets[0])?;
        let payload = body(cards[*card], &c, AssertionPurpose::CheckIn, &nonce)?;
        let (status, v) = post(&setup, targets[0], "/v1/checkin", &payload)?;
        report.receipts_checked += 1;
        if status != 200 || v.get("queue_number").and_then(Value::as_u64) != Some(*number) {
            report.receipts_lost += 1;
        }
    }
    Ok(report)
}
