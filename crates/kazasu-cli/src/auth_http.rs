//! The HTTP example of `kazasu-auth`: a small relying-party server (`kazasu auth serve`, axum) and its
//! clients (`kazasu login --server URL`, `kazasu gate --server URL`). The client derives the
//! relying-party id and origin from the URL it talks to — never from what the server says — so an
//! assertion it makes for one server is refused by another.
//!
//! Wire format: JSON; binary fields in lower-case hex. `POST /nonce` → `{"nonce"}`; `POST /enrol`,
//! `/login`, `/purchase`, `/gate/{name}` take `{"certificate", "message", "signature"}` (enrolment adds
//! `"sign_certificate"`, `"sign_signature"`); refusals answer 403 `{"code", "error"}`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use clap::Args;
use kazasu_auth::{
    AssertionPurpose, AuthError, BoundAssertion, BoundMessage, BoxOffice, Enrolment, Gate,
    LoginService, MemoryAccountStore, MemoryCardLinks, MemoryTicketStore, Presented, RelyingParty,
};
use kazasu_card::{DigestInfo, HashAlgorithm, Jpki};
use kazasu_health::sandbox::Sandbox;
use kazasu_pki::{Certificate, MemoryChallengeStore};
use kazasu_virtual_card::pki::{IssueSpec, PersonaBuilder};
use serde_json::{Value, json};
use time::{Duration, OffsetDateTime};

use crate::Failure;
use crate::card::{SecretArgs, Source, card_failure};

/// The one event the example server sells tickets for.
pub(crate) const EVENT: &str = "budokan-live";

#[derive(Args, Debug)]
pub(crate) struct ServeArgs {
    /// Address to listen on (port 0: any free port).
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: SocketAddr,
    /// Write the bound port here once listening (for scripts and tests).
    #[arg(long)]
    port_file: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub(crate) struct LoginArgs {
    /// The relying party, e.g. `http://127.0.0.1:8080`.
    #[arg(long)]
    server: String,
    /// Bind the card to a new account first (needs the signature password too).
    #[arg(long)]
    enrol: bool,
    #[command(flatten)]
    source: Source,
    #[command(flatten)]
    secret: SecretArgs,
}

#[derive(Args, Debug)]
pub(crate) struct GateArgs {
    /// The relying party, e.g. `http://127.0.0.1:8080`.
    #[arg(long)]
    server: String,
    /// Touch this gate (`east-1`, `west-1`).
    #[arg(long, conflicts_with = "buy")]
    gate: Option<String>,
    /// Buy a ticket for the server's event instead, bound to the card.
    #[arg(long)]
    buy: bool,
    #[command(flatten)]
    source: Source,
    #[command(flatten)]
    secret: SecretArgs,
}

struct Server {
    rp: RelyingParty,
    login: LoginService<MemoryAccountStore>,
    office: BoxOffice<MemoryTicketStore>,
    gates: Vec<Gate<MemoryTicketStore>>,
}

type Reply = (StatusCode, Json<Value>);

fn refusal(e: &AuthError) -> Reply {
    let status = match e {
        AuthError::Store(_) | AuthError::Invalid { .. } => StatusCode::INTERNAL_SERVER_ERROR,
        _ => StatusCode::FORBIDDEN,
    };
    (
        status,
        Json(json!({"code": e.code(), "error": e.to_string()})),
    )
}

fn bad_request(what: &str) -> Reply {
    (
        StatusCode::BAD_REQUEST,
        Json(json!({"code": "bad_request", "error": what})),
    )
}

fn field(body: &Value, name: &str) -> Result<Vec<u8>, Reply> {
    body.get(name)
        .and_then(Value::as_str)
        .and_then(|h| hex::decode(h).ok())
        .ok_or_else(|| bad_request(&format!("{name}: hex expected")))
}

fn assertion(body: &Value) -> Result<BoundAssertion, Reply> {
    let certificate = Certificate::from_der(&field(body, "certificate")?)
        .map_err(|e| bad_request(&format!("certificate: {e}")))?;
    Ok(BoundAssertion::new(
        certificate,
        field(body, "message")?,
        field(body, "signature")?,
    ))
}

fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

async fn nonce(State(s): State<Arc<Server>>) -> Reply {
    match s.rp.issue_nonce(now()) {
        Ok(n) => (StatusCode::OK, Json(json!({"nonce": hex::encode(n)}))),
        Err(e) => refusal(&e),
    }
}

async fn enrol(State(s): State<Arc<Server>>, Json(body): Json<Value>) -> Reply {
    let parsed = (|| {
        let authentication = assertion(&body)?;
        let signature_certificate = Certificate::from_der(&field(&body, "sign_certificate")?)
            .map_err(|e| bad_request(&format!("sign_certificate: {e}")))?;
        Ok::<_, Reply>(Enrolment {
            authentication,
            signature_certificate,
            signature: field(&body, "sign_signature")?,
        })
    })();
    let enrolment = match parsed {
        Ok(e) => e,
        Err(r) => return r,
    };
    match s.login.enrol(&enrolment, now()) {
        Ok(p) => (
            StatusCode::OK,
            Json(json!({"account": p.account.to_string(), "name": p.claim.personal.name})),
        ),
        Err(e) => refusal(&e),
    }
}

async fn login(State(s): State<Arc<Server>>, Json(body): Json<Value>) -> Reply {
    let a = match assertion(&body) {
        Ok(a) => a,
        Err(r) => return r,
    };
    match s.login.login(&Presented::Bound(a), now()) {
        Ok(p) => (
            StatusCode::OK,
            Json(json!({
                "account": p.account.to_string(),
                "name": p.claim.personal.name,
                "certificate": p.certificate.to_string(),
            })),
        ),
        Err(e) => refusal(&e),
    }
}

async fn purchase(State(s): State<Arc<Server>>, Json(body): Json<Value>) -> Reply {
    let a = match assertion(&body) {
        Ok(a) => a,
        Err(r) => return r,
    };
    match s.office.purchase(&a, EVENT, now()) {
        Ok(t) => (
            StatusCode::OK,
            Json(json!({"ticket": t.id, "event": t.event})),
        ),
        Err(e) => refusal(&e),
    }
}

async fn gate(
    State(s): State<Arc<Server>>,
    Path(name): Path<String>,
    Json(body): Json<Value>,
) -> Reply {
    let Some(g) = s.gates.iter().find(|g| g.name() == name) else {
        return (
            StatusCode::NOT_FOUND,
            Json(json!({"code": "no_such_gate", "error": name})),
        );
    };
    let a = match assertion(&body) {
        Ok(a) => a,
        Err(r) => return r,
    };
    match g.check(&a, now()) {
        Ok(adm) => (
            StatusCode::OK,
            Json(json!({"ticket": adm.ticket.id, "gate": adm.gate, "event": adm.ticket.event})),
        ),
        Err(e) => refusal(&e),
    }
}

fn server(addr: SocketAddr) -> Result<Server, Failure> {
    let fail = |e: &dyn std::fmt::Display| Failure::usage(format!("auth serve: {e}"));
    let at = now();
    let sandbox = Sandbox::new(0, at, &[]).map_err(|e| fail(&e))?;
    let patient = PersonaBuilder::from_seed(0).build().map_err(|e| fail(&e))?;
    // What J-LIS tells platform operators: which certificates one card carries (here the test
    // PKI's seed-0 card, the one `kazasu virtual-card serve` and the built-in card carry).
    let issued = sandbox
        .credentials(&patient, &IssueSpec::default())
        .map_err(|e| fail(&e))?;
    let id = |der: &[u8]| {
        Certificate::from_der(der)
            .ok()
            .and_then(|c| c.id())
            .ok_or_else(|| fail(&"a test certificate without an issuer key id"))
    };
    let links = Arc::new(MemoryCardLinks::new());
    links
        .insert_card(id(&issued.sign_certificate)?, id(&issued.auth_certificate)?)
        .map_err(|e| fail(&e))?;
    let origin = format!("http://{addr}");
    let rp = RelyingParty::new(
        &addr.ip().to_string(),
        &[&origin],
        sandbox.setup.verifier(),
        Arc::new(MemoryChallengeStore::new(Duration::minutes(5))),
    )
    .map_err(|e| fail(&e))?;
    let tickets = Arc::new(MemoryTicketStore::new());
    Ok(Server {
        login: LoginService::new(rp.clone(), MemoryAccountStore::new(), links),
        office: BoxOffice::new(rp.clone(), tickets.clone()),
        gates: ["east-1", "west-1"]
            .into_iter()
            .map(|g| Gate::new(g, EVENT, rp.clone(), tickets.clone()))
            .collect(),
        rp,
    })
}

pub(crate) fn serve(args: &ServeArgs) -> Result<(), Failure> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::usage(format!("auth serve: {e}")))?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .map_err(|e| Failure::usage(format!("cannot listen on {}: {e}", args.listen)))?;
        let addr = listener
            .local_addr()
            .map_err(|e| Failure::usage(e.to_string()))?;
        let state = Arc::new(server(addr)?);
        let app = Router::new()
            .route("/nonce", post(nonce))
            .route("/enrol", post(enrol))
            .route("/login", post(login))
            .route("/purchase", post(purchase))
            .route("/gate/{name}", post(gate))
            .with_state(state);
        eprintln!(
            "kazasu auth serve: relying party {} at http://{addr}",
            addr.ip()
        );
        if let Some(path) = &args.port_file {
            std::fs::write(path, addr.port().to_string())
                .map_err(|e| Failure::usage(format!("cannot write {}: {e}", path.display())))?;
        }
        axum::serve(listener, app)
            .await
            .map_err(|e| Failure::usage(format!("auth serve: {e}")))
    })
}

/// The relying-party id and origin of `server` as the client sees it: `http://host:port`.
fn relying_party_of(server: &str) -> Result<(String, String), Failure> {
    let rest = server
        .strip_prefix("http://")
        .ok_or_else(|| Failure::usage("--server: an http:// URL expected"))?;
    let authority = rest.split('/').next().unwrap_or(rest);
    let host = match authority.rsplit_once(':') {
        Some((h, port)) if port.chars().all(|c| c.is_ascii_digit()) => h,
        _ => authority,
    };
    if host.is_empty() {
        return Err(Failure::usage("--server: no host"));
    }
    Ok((host.to_owned(), format!("http://{authority}")))
}

struct Client {
    agent: ureq::Agent,
    origin: String,
    rp_id: String,
}

impl Client {
    fn new(server: &str) -> Result<Self, Failure> {
        let (rp_id, origin) = relying_party_of(server)?;
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(std::time::Duration::from_secs(20)))
            .build()
            .into();
        Ok(Self {
            agent,
            origin,
            rp_id,
        })
    }

    fn post(&self, path: &str, body: &Value) -> Result<(u16, Value), Failure> {
        let url = format!("{}{path}", self.origin);
        let mut response = self
            .agent
            .post(&url)
            .header("content-type", "application/json")
            .send(body.to_string())
            .map_err(|e| Failure::usage(format!("POST {url}: {e}")))?;
        let status = response.status().as_u16();
        let text = response
            .body_mut()
            .read_to_string()
            .map_err(|e| Failure::usage(format!("POST {url}: {e}")))?;
        let value = serde_json::from_str(&text)
            .map_err(|e| Failure::usage(format!("POST {url}: not JSON: {e}")))?;
        Ok((status, value))
    }

    /// Fetches a nonce, has the card sign a message for this server and `purpose`.
    fn assert(
        &self,
        source: &Source,
        secret: &SecretArgs,
        purpose: AssertionPurpose,
        pin: &kazasu_card::AuthPin,
    ) -> Result<(Value, Jpki<Box<dyn kazasu_apdu::Transport>>), Failure> {
        let (status, v) = self.post("/nonce", &json!({}))?;
        let nonce = v
            .get("nonce")
            .and_then(Value::as_str)
            .and_then(|h| hex::decode(h).ok())
            .filter(|_| status == 200)
            .ok_or_else(|| Failure::usage(format!("no nonce from the server: {v}")))?;
        let message = BoundMessage::new(&self.rp_id, &self.origin, purpose, &nonce, now())
            .map_err(|e| Failure::usage(e.to_string()))?
            .encode();
        let mut jpki = Jpki::open(crate::card::open(source)?).map_err(card_failure)?;
        let done = jpki
            .authenticate(
                pin,
                &DigestInfo::of_message(HashAlgorithm::Sha256, &message),
                secret.last_try(),
            )
            .map_err(card_failure)?;
        eprintln!(
            "kazasu: {} signed for {} ({purpose})",
            done.token, self.origin
        );
        Ok((
            json!({
                "certificate": hex::encode(done.certificate.as_der()),
                "message": hex::encode(&message),
                "signature": hex::encode(done.signature.as_bytes()),
            }),
            jpki,
        ))
    }
}

fn answer(status: u16, v: &Value) -> Result<(), Failure> {
    println!("{v}");
    if status == 200 {
        Ok(())
    } else {
        Err(Failure::refused(format!(
            "the server refused: {}",
            v.get("code").and_then(Value::as_str).unwrap_or("?")
        )))
    }
}

fn auth_pin(secret: &SecretArgs) -> Result<kazasu_card::AuthPin, Failure> {
    let pin = secret.read("Authentication PIN (4 digits): ")?;
    kazasu_card::AuthPin::new(&pin).map_err(|e| Failure::usage(e.to_string()))
}

pub(crate) fn login_cmd(args: &LoginArgs) -> Result<(), Failure> {
    let client = Client::new(&args.server)?;
    let pin = auth_pin(&args.secret)?;
    if args.enrol {
        let (mut body, mut jpki) =
            client.assert(&args.source, &args.secret, AssertionPurpose::Enrol, &pin)?;
        let pw = args.secret.read("Signature password (6-16 characters): ")?;
        let pw = kazasu_card::SignPassword::new(&pw).map_err(|e| Failure::usage(e.to_string()))?;
        let message = body
            .get("message")
            .and_then(Value::as_str)
            .and_then(|h| hex::decode(h).ok())
            .unwrap_or_default();
        let sign_certificate = jpki
            .read_sign_certificate(&pw, args.secret.last_try())
            .map_err(card_failure)?;
        let signature = jpki
            .sign_message_with_sign_key(
                &pw,
                HashAlgorithm::Sha256,
                &message,
                args.secret.last_try(),
            )
            .map_err(card_failure)?;
        body["sign_certificate"] = json!(hex::encode(sign_certificate.as_der()));
        body["sign_signature"] = json!(hex::encode(signature.as_bytes()));
        let (status, v) = client.post("/enrol", &body)?;
        return answer(status, &v);
    }
    let (body, _) = client.assert(&args.source, &args.secret, AssertionPurpose::Login, &pin)?;
    let (status, v) = client.post("/login", &body)?;
    answer(status, &v)
}

pub(crate) fn gate_cmd(args: &GateArgs) -> Result<(), Failure> {
    let client = Client::new(&args.server)?;
    let pin = auth_pin(&args.secret)?;
    let (path, purpose) = match (&args.gate, args.buy) {
        (_, true) => ("/purchase".to_owned(), AssertionPurpose::Purchase),
        (Some(g), false) => (format!("/gate/{g}"), AssertionPurpose::Ticket),
        (None, false) => return Err(Failure::usage("give --gate NAME or --buy")),
    };
    let (body, _) = client.assert(&args.source, &args.secret, purpose, &pin)?;
    let (status, v) = client.post(&path, &body)?;
    answer(status, &v)
}

#[derive(Args, Debug)]
pub(crate) struct LoadArgs {
    /// The relying party, e.g. `http://127.0.0.1:8080`.
    #[arg(long)]
    server: String,
    /// Gate touches to send (one holder, one ticket each).
    #[arg(long, default_value_t = 500)]
    touches: usize,
    /// Concurrent clients.
    #[arg(long, default_value_t = 4)]
    clients: usize,
    /// The gate to touch.
    #[arg(long, default_value = "east-1")]
    gate: String,
    /// Persona seed of the first holder (holders are `seed`, `seed + 1`, …): give another one to run
    /// again against the same server, whose earlier holders hold their tickets already.
    #[arg(long, default_value_t = 10_000)]
    seed: u64,
}

/// One prepared touch: the JSON body of a signed ticket assertion.
struct Touch {
    body: Value,
}

/// A loopback load run of the gate: `touches` holders of the test PKI (software keys standing in
/// for cards, so the server is what is measured) each buy a ticket, then sign a gate touch over a
/// fresh nonce (both untimed); the touches are then sent by `clients` threads and timed.
pub(crate) fn load(args: &LoadArgs) -> Result<(), Failure> {
    use kazasu_virtual_card::pki::{HOLDER_SLOTS, SignatureAlgorithm, TestPki};
    let fail = |e: &dyn std::fmt::Display| Failure::usage(format!("auth load: {e}"));
    let client = Client::new(&args.server)?;
    let pki = TestPki::new(0).map_err(|e| fail(&e))?;
    let mut holders = Vec::with_capacity(args.touches);
    for i in 0..args.touches {
        let seed = args.seed.saturating_add(u64::try_from(i).unwrap_or(0));
        let persona = PersonaBuilder::from_seed(seed)
            .build()
            .map_err(|e| fail(&e))?;
        let spec = IssueSpec {
            key_slot: i % HOLDER_SLOTS,
            ..IssueSpec::default()
        };
        holders.push(pki.issue(&persona, &spec).map_err(|e| fail(&e))?);
    }
    let signed = |holder: &kazasu_virtual_card::pki::HolderCredentials,
                  purpose: AssertionPurpose|
     -> Result<Value, Failure> {
        let (status, v) = client.post("/nonce", &json!({}))?;
        let nonce = v
            .get("nonce")
            .and_then(Value::as_str)
            .and_then(|h| hex::decode(h).ok())
            .filter(|_| status == 200)
            .ok_or_else(|| fail(&format!("no nonce: {v}")))?;
        let message = BoundMessage::new(&client.rp_id, &client.origin, purpose, &nonce, now())
            .map_err(|e| fail(&e))?
            .encode();
        let signature = SignatureAlgorithm::Sha256WithRsa
            .sign(&holder.auth_key, &message)
            .map_err(|e| fail(&e))?;
        Ok(json!({
            "certificate": hex::encode(&holder.auth_certificate),
            "message": hex::encode(&message),
            "signature": hex::encode(signature),
        }))
    };
    for holder in &holders {
        let (status, v) = client.post("/purchase", &signed(holder, AssertionPurpose::Purchase)?)?;
        if status != 200 {
            return Err(fail(&format!("purchase refused: {v}")));
        }
    }
    let mut touches = Vec::with_capacity(holders.len());
    for holder in &holders {
        touches.push(Touch {
            body: signed(holder, AssertionPurpose::Ticket)?,
        });
    }
    let path = format!("/gate/{}", args.gate);
    let clients = args.clients.max(1);
    let chunk = touches.len().div_ceil(clients).max(1);
    let started = std::time::Instant::now();
    let results: Vec<Result<Vec<(u16, f64)>, Failure>> = std::thread::scope(|scope| {
        let handles: Vec<_> = touches
            .chunks(chunk)
            .map(|part| {
                let (client, path) = (&client, &path);
                scope.spawn(move || {
                    part.iter()
                        .map(|t| {
                            let sent = std::time::Instant::now();
                            let (status, _) = client.post(path, &t.body)?;
                            Ok((status, sent.elapsed().as_secs_f64() * 1000.0))
                        })
                        .collect::<Result<Vec<_>, Failure>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(Failure::usage("a load client panicked")))
            })
            .collect()
    });
    let elapsed = started.elapsed().as_secs_f64();
    let mut latencies = Vec::new();
    let mut admitted = 0usize;
    for r in results {
        for (status, ms) in r? {
            admitted += usize::from(status == 200);
            latencies.push(ms);
        }
    }
    latencies.sort_by(f64::total_cmp);
    // Nearest-rank percentile, `p` in percent.
    let pct = |p: usize| {
        let n = latencies.len();
        let rank = (n * p).div_ceil(100).clamp(1, n.max(1));
        latencies.get(rank - 1).copied().unwrap_or(0.0)
    };
    let report = json!({
        "touches": latencies.len(),
        "admitted": admitted,
        "clients": clients,
        "seconds": elapsed,
        "per_second": latencies.len() as f64 / elapsed,
        "p50_ms": pct(50),
        "p99_ms": pct(99),
    });
    println!("{report}");
    if admitted == latencies.len() {
        Ok(())
    } else {
        Err(Failure::refused(format!(
            "{} of {} touches were not admitted",
            latencies.len() - admitted,
            latencies.len()
        )))
    }
}
