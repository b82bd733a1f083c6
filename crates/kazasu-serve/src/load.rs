//! The loopback load generator (`kazasu bench-serve`): a bounded run of realistic requests
//! against one or more `kazasu serve` instances built by [`crate::sandbox::init`].
//!
//! Three phases. **Reference**: the same kind of assertions verified in this process (path to the
//! root, the large CRL, the card's signature, the challenge used once) on every core, for the
//! in-process verification rate. **Prepare** (not timed): for each planned confirmation or
//! check-in, a challenge from one instance and the card's signature over a bound message — made
//! here, as the card would — so the timed phase measures the server, not the client's RSA
//! signing. With two instances, each challenge is answered at the other one. **Run** (timed,
//! stops at the request count or the duration, whichever comes first): client threads with
//! kept-alive mutual-TLS connections send the mix and record each latency.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use kazasu_auth::{AssertionPurpose, BoundAssertion, BoundMessage, RelyingParty};
use kazasu_pki::{Certificate, MemoryChallengeStore};
use rsa::pkcs8::DecodePrivateKey;
use serde::Serialize;
use serde_json::{Value, json};
use time::OffsetDateTime;

use crate::ServeError;
use crate::config::Config;
use crate::sandbox::{PoolCard, facility_codes};

/// What to run.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct LoadSpec {
    /// The sandbox directory (`serve.toml`, `cards/`, `tls/`).
    pub dir: PathBuf,
    /// The instances' API addresses.
    pub targets: Vec<SocketAddr>,
    /// Requests in the timed phase (at most).
    pub requests: usize,
    /// Longest timed phase.
    pub duration: Duration,
    /// Client threads.
    pub concurrency: usize,
    /// Percent of confirmations; the rest is split evenly between check-ins and consent checks.
    pub confirm_percent: u32,
    /// Assertions verified in process for the reference rate.
    pub reference: usize,
}

impl LoadSpec {
    /// 2,000 requests, 90 % confirmations, 8 client threads, at most 60 s.
    pub fn new(dir: impl Into<PathBuf>, targets: Vec<SocketAddr>) -> Self {
        Self {
            dir: dir.into(),
            targets,
            requests: 2_000,
            duration: Duration::from_secs(60),
            concurrency: 8,
            confirm_percent: 90,
            reference: 2_000,
        }
    }
}

/// Figures for one kind of request.
#[derive(Clone, Debug, Default, Serialize)]
#[non_exhaustive]
pub struct KindFigures {
    /// Requests sent.
    pub sent: usize,
    /// Answered 200 with a positive answer.
    pub ok: usize,
    /// Answered, refused (a status-2 answer, a 4xx, a deny decision).
    pub refused: usize,
    /// Not answered (connection failure, 5xx).
    pub failed: usize,
    /// Per second over the timed phase.
    pub per_second: f64,
    /// Median latency, ms.
    pub p50_ms: f64,
    /// 99th percentile latency, ms.
    pub p99_ms: f64,
}

/// The outcome of a run.
#[derive(Clone, Debug, Default, Serialize)]
#[non_exhaustive]
pub struct LoadReport {
    /// Instances loaded.
    pub instances: usize,
    /// In-process assertion verifications per second (every core).
    pub in_process_per_second: f64,
    /// Seconds the cards' signatures took (not part of any rate).
    pub prepare_secs: f64,
    /// Seconds of the timed phase.
    pub run_secs: f64,
    /// Challenges (timed on their own, before the cards sign).
    pub challenges: KindFigures,
    /// Confirmations.
    pub confirm: KindFigures,
    /// Check-ins.
    pub check_in: KindFigures,
    /// Consent checks.
    pub consent: KindFigures,
    /// All requests of the timed phase per second.
    pub total_per_second: f64,
    /// Served confirmations/s ÷ in-process verifications/s.
    pub ratio: f64,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Confirm,
    CheckIn,
    Consent,
}

struct Planned {
    kind: Kind,
    target: usize,
    path: &'static str,
    body: Vec<u8>,
}

fn fail(e: impl std::fmt::Display) -> ServeError {
    ServeError::Service(format!("load: {e}"))
}

fn read(path: &Path) -> Result<Vec<u8>, ServeError> {
    std::fs::read(path).map_err(|e| ServeError::file(path, e))
}

/// The sandbox's pool cards (`cards/*.json`), in file-name order.
pub(crate) fn cards(dir: &Path) -> Result<Vec<PoolCard>, ServeError> {
    let cards_dir = dir.join("cards");
    let mut names: Vec<PathBuf> = std::fs::read_dir(&cards_dir)
        .map_err(|e| ServeError::file(&cards_dir, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    names.sort();
    names
        .iter()
        .map(|p| serde_json::from_slice(&read(p)?).map_err(|e| ServeError::file(p, e)))
        .collect()
}

/// A mutual-TLS client for `facility` of the sandbox in `dir`.
pub fn agent(dir: &Path, facility: &str) -> Result<ureq::Agent, ServeError> {
    use ureq::tls::{Certificate as TlsCert, ClientCert, PrivateKey, RootCerts, TlsConfig};
    let ca = TlsCert::from_pem(&read(&dir.join("tls/server-ca.pem"))?).map_err(fail)?;
    let cert = TlsCert::from_pem(&read(&dir.join(format!("tls/facility-{facility}.pem")))?)
        .map_err(fail)?;
    let key = PrivateKey::from_pem(&read(&dir.join(format!("tls/facility-{facility}.key")))?)
        .map_err(fail)?;
    let tls = TlsConfig::builder()
        .provider(ureq::tls::TlsProvider::Rustls)
        .unversioned_rustls_crypto_provider(Arc::new(rustls::crypto::aws_lc_rs::default_provider()))
        .root_certs(RootCerts::Specific(Arc::new(vec![ca])))
        .client_cert(Some(ClientCert::new_with_certs(&[cert], key)))
        .build();
    Ok(ureq::Agent::config_builder()
        .tls_config(tls)
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .new_agent())
}

/// POSTs `body` (JSON) to `https://addr{path}`; the status and the parsed answer.
pub fn post(
    agent: &ureq::Agent,
    addr: SocketAddr,
    path: &str,
    body: &[u8],
) -> Result<(u16, Value), String> {
    let url = format!("https://localhost:{}{path}", addr.port());
    let mut response = agent
        .post(&url)
        .header("content-type", "application/json")
        .send(body)
        .map_err(|e| e.to_string())?;
    let status = response.status().as_u16();
    let text = response
        .body_mut()
        .read_to_string()
        .map_err(|e| e.to_string())?;
    let value = serde_json::from_str(&text).unwrap_or(Value::Null);
    Ok((status, value))
}

/// A bound assertion of `card` for `purpose` over `nonce`, signed here as the card would.
pub fn bound_assertion(
    card: &PoolCard,
    rp_id: &str,
    origin: &str,
    purpose: AssertionPurpose,
    nonce: &[u8],
) -> Result<BoundAssertion, ServeError> {
    let message = BoundMessage::new(rp_id, origin, purpose, nonce, OffsetDateTime::now_utc())
        .map_err(fail)?;
    let key = rsa::PrivateKey::from_pkcs8_der(&card.auth_key).map_err(fail)?;
    let signature = key
        .sign(rsa::Pkcs1v15Sign::new_unprefixed(), &message.digest_info())
        .map_err(fail)?;
    Ok(BoundAssertion::new(
        Certificate::from_der(&card.auth_certificate).map_err(fail)?,
        message.encode(),
        signature,
    ))
}

fn wire(a: &BoundAssertion) -> Vec<u8> {
    json!({
        "certificate": hex::encode(a.certificate.der()),
        "message": hex::encode(&a.message),
        "signature": hex::encode(&a.signature),
    })
    .to_string()
    .into_bytes()
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    // Nearest rank: the smallest value with at least p % of the values at or below it.
    let len = sorted.len();
    let rank = (1..=len)
        .find(|r| *r as f64 >= p / 100.0 * len as f64)
        .unwrap_or(len);
    sorted[rank - 1]
}

fn threads() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
}

/// The in-process verification rate: `count` bound assertions of the pool's cards verified by a
/// relying party built from the same trust anchors and CRLs as the server's, on every core.
pub fn in_process_rate(
    config: &Config,
    cards: &[PoolCard],
    count: usize,
) -> Result<f64, ServeError> {
    let stores_free = crate::app::verification_setup(config)?;
    let challenges = Arc::new(MemoryChallengeStore::with_capacity(
        time::Duration::minutes(30),
        count + 16,
    ));
    let origin = config
        .service
        .origins
        .first()
        .cloned()
        .ok_or_else(|| fail("no origin configured"))?;
    let rp = RelyingParty::new(
        &config.service.relying_party,
        &[origin.as_str()],
        stores_free.verifier(),
        challenges.clone(),
    )
    .map_err(fail)?;
    let now = OffsetDateTime::now_utc();
    let assertions = prepare_parallel(count, |i| {
        let card = &cards[i % cards.len()];
        let nonce = kazasu_pki::random_challenge().map_err(fail)?;
        challenges.insert(nonce.clone(), now).map_err(fail)?;
        bound_assertion(
            card,
            &config.service.relying_party,
            &origin,
            AssertionPurpose::Confirm,
            &nonce,
        )
    })?;
    let next = AtomicUsize::new(0);
    let started = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..threads() {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(a) = assertions.get(i) else { break };
                    // Refusals (the pool's revoked card) cost the same verification work.
                    let _ =
                        rp.verify_bound(a, AssertionPurpose::Confirm, OffsetDateTime::now_utc());
                }
            });
        }
    });
    Ok(count as f64 / started.elapsed().as_secs_f64())
}

fn prepare_parallel<T: Send>(
    count: usize,
    make: impl Fn(usize) -> Result<T, ServeError> + Sync,
) -> Result<Vec<T>, ServeError> {
    let next = AtomicUsize::new(0);
    let mut parts: Vec<Vec<(usize, Result<T, ServeError>)>> = Vec::new();
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads())
            .map(|_| {
                s.spawn(|| {
                    let mut out = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= count {
                            break;
                        }
                        out.push((i, make(i)));
                    }
                    out
                })
            })
            .collect();
        for h in handles {
            if let Ok(part) = h.join() {
                parts.push(part);
            }
        }
    });
    let mut all: Vec<(usize, Result<T, ServeError>)> = parts.into_iter().flatten().collect();
    if all.len() != count {
        return Err(fail("a preparation thread failed"));
    }
    all.sort_by_key(|(i, _)| *i);
    all.into_iter().map(|(_, r)| r).collect()
}

/// Runs the three phases; see the module documentation.
pub fn run(spec: &LoadSpec) -> Result<LoadReport, ServeError> {
    if spec.targets.is_empty() || spec.requests == 0 || spec.concurrency == 0 {
        return Err(fail(
            "targets, requests and concurrency must not be empty or zero",
        ));
    }
    let config = Config::load(&spec.dir.join("serve.toml"))?;
    let cards = cards(&spec.dir)?;
    if cards.is_empty() {
        return Err(fail("no cards in the sandbox"));
    }
    let facility = facility_codes(1).remove(0);
    let origin = config
        .service
        .origins
        .first()
        .cloned()
        .ok_or_else(|| fail("no origin configured"))?;
    let rp_id = config.service.relying_party.clone();
    let in_process_per_second = in_process_rate(&config, &cards, spec.reference.max(1))?;

    let n = spec.targets.len();
    let kind_of = |i: usize| {
        let slot = u32::try_from(i % 100).unwrap_or(0);
        let rest = 100u32.saturating_sub(spec.confirm_percent);
        if slot < spec.confirm_percent {
            Kind::Confirm
        } else if slot < spec.confirm_percent + rest / 2 {
            Kind::CheckIn
        } else {
            Kind::Consent
        }
    };
    let run_agents: Vec<ureq::Agent> = (0..spec.concurrency)
        .map(|_| agent(&spec.dir, &facility))
        .collect::<Result<_, _>>()?;
    // Challenges, timed: what a terminal asks for before every card touch. Issued by one instance,
    // answered at the next.
    let needs_challenge: Vec<usize> = (0..spec.requests)
        .filter(|i| kind_of(*i) != Kind::Consent)
        .collect();
    let (fetched, challenge_secs) = timed(
        &run_agents,
        needs_challenge.len(),
        Instant::now() + spec.duration,
        |agent, j| {
            let i = needs_challenge[j];
            let answer = post(agent, spec.targets[i % n], "/v1/challenges", b"{}");
            let nonce = answer.as_ref().ok().and_then(|(_, v)| {
                v.get("challenge")
                    .and_then(Value::as_str)
                    .and_then(|h| hex::decode(h).ok())
            });
            let outcome = match (&answer, &nonce) {
                (_, Some(_)) => Outcome::Ok,
                (Ok((status, _)), None) if *status < 500 => Outcome::Refused,
                _ => Outcome::Failed,
            };
            ((i, nonce), outcome)
        },
    );
    let challenges = figures_of(&fetched, challenge_secs);
    let mut nonces: Vec<Option<Vec<u8>>> = vec![None; spec.requests];
    for ((i, nonce), _, _) in fetched.into_iter().flatten() {
        nonces[i] = nonce;
    }
    if nonces
        .iter()
        .enumerate()
        .any(|(i, n)| kind_of(i) != Kind::Consent && n.is_none())
    {
        return Err(fail(
            "not every challenge was issued; see the challenge figures",
        ));
    }
    // The cards' signatures, not timed: the card signs, not the server.
    let preparing = Instant::now();
    let plan = prepare_parallel(spec.requests, |i| {
        let card = &cards[i % cards.len()];
        let kind = kind_of(i);
        let target = (i + 1) % n;
        let signed = |purpose| -> Result<Vec<u8>, ServeError> {
            let nonce = nonces[i]
                .as_deref()
                .ok_or_else(|| fail("a challenge is missing"))?;
            Ok(wire(&bound_assertion(
                card, &rp_id, &origin, purpose, nonce,
            )?))
        };
        Ok(match kind {
            Kind::Confirm => Planned {
                kind,
                target,
                path: "/v1/eligibility/confirmations",
                body: signed(AssertionPurpose::Confirm)?,
            },
            Kind::CheckIn => Planned {
                kind,
                target,
                path: "/v1/checkin",
                body: signed(AssertionPurpose::CheckIn)?,
            },
            Kind::Consent => Planned {
                kind,
                target,
                path: "/v1/consents/check",
                body: json!({"patient": card.patient, "class": "medication", "purpose": "TREAT"})
                    .to_string()
                    .into_bytes(),
            },
        })
    })?;
    let prepare_secs = preparing.elapsed().as_secs_f64();

    let (answers, run_secs) = timed(
        &run_agents,
        plan.len(),
        Instant::now() + spec.duration,
        |agent, i| {
            let p = &plan[i];
            let answer = post(agent, spec.targets[p.target], p.path, &p.body);
            (p.kind, outcome(p.kind, &answer))
        },
    );
    let results: Vec<(Kind, f64, Outcome)> = answers.into_iter().flatten().collect();
    let figures = |kind: Kind| {
        let of: Vec<Timed<()>> = results
            .iter()
            .filter(|r| r.0 == kind)
            .map(|r| Some(((), r.1, r.2)))
            .collect();
        figures_of(&of, run_secs)
    };
    let confirm = figures(Kind::Confirm);
    let ratio = confirm.per_second / in_process_per_second;
    Ok(LoadReport {
        instances: n,
        in_process_per_second,
        prepare_secs,
        run_secs,
        total_per_second: results.len() as f64 / run_secs,
        challenges,
        check_in: figures(Kind::CheckIn),
        consent: figures(Kind::Consent),
        confirm,
        ratio,
    })
}

/// A job's result, latency (ms) and outcome; `None` when it never started.
type Timed<T> = Option<(T, f64, Outcome)>;

/// Runs `count` jobs on the agents' threads until done or `deadline`: each job's result, latency
/// (ms) and outcome, in job order (`None` for jobs not started), and the seconds it took.
fn timed<T: Send>(
    agents: &[ureq::Agent],
    count: usize,
    deadline: Instant,
    job: impl Fn(&ureq::Agent, usize) -> (T, Outcome) + Sync,
) -> (Vec<Timed<T>>, f64) {
    let next = AtomicUsize::new(0);
    let started = Instant::now();
    let mut done: Vec<(usize, (T, f64, Outcome))> = Vec::with_capacity(count);
    std::thread::scope(|s| {
        let handles: Vec<_> = agents
            .iter()
            .map(|agent| {
                let next = &next;
                let job = &job;
                s.spawn(move || {
                    let mut out = Vec::new();
                    while Instant::now() < deadline {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= count {
                            break;
                        }
                        let t = Instant::now();
                        let (value, outcome) = job(agent, i);
                        out.push((i, (value, t.elapsed().as_secs_f64() * 1000.0, outcome)));
                    }
                    out
                })
            })
            .collect();
        for h in handles {
            if let Ok(part) = h.join() {
                done.extend(part);
            }
        }
    });
    let secs = started.elapsed().as_secs_f64();
    let mut ordered: Vec<Timed<T>> = (0..count).map(|_| None).collect();
    for (i, r) in done {
        ordered[i] = Some(r);
    }
    (ordered, secs)
}

fn figures_of<T>(results: &[Timed<T>], secs: f64) -> KindFigures {
    let mut lat: Vec<f64> = results.iter().flatten().map(|r| r.1).collect();
    lat.sort_by(f64::total_cmp);
    let count = |o: Outcome| results.iter().flatten().filter(|r| r.2 == o).count();
    KindFigures {
        sent: lat.len(),
        ok: count(Outcome::Ok),
        refused: count(Outcome::Refused),
        failed: count(Outcome::Failed),
        per_second: lat.len() as f64 / secs,
        p50_ms: percentile(&lat, 50.0),
        p99_ms: percentile(&lat, 99.0),
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Outcome {
    Ok,
    Refused,
    Failed,
}

fn outcome(kind: Kind, answer: &Result<(u16, Value), String>) -> Outcome {
    match answer {
        Err(_) => Outcome::Failed,
        Ok((status, _)) if *status >= 500 => Outcome::Failed,
        Ok((status, _)) if *status != 200 => Outcome::Refused,
        Ok((_, v)) => {
            let positive = match kind {
                Kind::Confirm => {
                    v.get("ProcessingResultStatus").and_then(Value::as_str) == Some("1")
                }
                Kind::CheckIn => v.get("queue_number").is_some(),
                Kind::Consent => v.get("decision").is_some(),
            };
            if positive {
                Outcome::Ok
            } else {
                Outcome::Refused
            }
        }
    }
}
