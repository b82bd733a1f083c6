//! The facility API, version 1 (JSON; binary fields in lower-case hex). Every route needs the
//! connection's facility client certificate; the facility a request acts for is that
//! certificate's, never a field of the body.
//!
//! | route | body | answer |
//! |---|---|---|
//! | `POST /v1/challenges` | — | `{"challenge", "expires_in_secs"}` |
//! | `POST /v1/eligibility/enrolments` | `{"agency", "authentication": ASSERTION, "signature_certificate", "signature"}` | `{"certificate"}` |
//! | `POST /v1/eligibility/confirmations` | BOUND (purpose confirm) | the answer with the official codes (status `2` + code on refusal) |
//! | `PUT /v1/checkin/patients/{card}` | `{"name", "birth_date", "sex"}` | `{}` |
//! | `POST /v1/checkin/links` | `{"patient_card", "authentication": ASSERTION, "signature_certificate", "signature"}` | `{"certificate"}` |
//! | `POST /v1/checkin` | BOUND (purpose check-in) | the receipt with the queue number |
//! | `POST /v1/consents` | `{"document", "evidence"}` | `{"seq"}` |
//! | `POST /v1/consents/check` | `{"patient", "class", "purpose", "clinician"?}` | the decision |
//! | `POST /v1/login/enrolments` | `{"authentication": BOUND, "signature_certificate", "signature"}` | `{"account"}` |
//! | `POST /v1/login` | BOUND (purpose login) | `{"account", "certificate"}` |
//!
//! ASSERTION = `{"certificate", "challenge", "signature"}` (the card signed the challenge);
//! BOUND = `{"certificate", "message", "signature"}` (the card signed a v1 bound message naming
//! this service, the origin, the purpose and a challenge). Refusals answer 4xx with
//! `{"code", "error", "request_id"}`; a database failure answers 503 (retry: challenges are
//! single-use and check-ins idempotent, so a retried request never acts twice).

use std::sync::Arc;
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, MatchedPath, Path, Request, State};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{post, put};
use axum::{Extension, Json, Router};
use kazasu_auth::{BoundAssertion, Enrolment, Presented};
use kazasu_consent::{Actor, ConsentError, DataClass, Evidence, Purpose};
use kazasu_health::store::PatientRecord;
use kazasu_health::{
    CardHolderProof, EligibilityAnswer, HealthError, InsuranceSex, LinkApproval, PatientCardNumber,
    StoreError,
};
use kazasu_pki::{AuthAssertion, Certificate};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use time::OffsetDateTime;

use crate::app::App;
use crate::metrics::{RequestLabels, RouteLabels};
use crate::tls::Facility;

/// The request id every answer carries (`x-request-id`), also in the logs.
#[derive(Clone, Debug)]
pub struct RequestId(pub String);

/// A JSON answer with its status.
pub struct Reply(StatusCode, Value);

impl IntoResponse for Reply {
    fn into_response(self) -> Response {
        (self.0, Json(self.1)).into_response()
    }
}

fn refuse(status: StatusCode, code: &str, error: impl std::fmt::Display) -> Reply {
    Reply(status, json!({"code": code, "error": error.to_string()}))
}

fn bad(error: impl std::fmt::Display) -> Reply {
    refuse(StatusCode::BAD_REQUEST, "bad_request", error)
}

fn unavailable() -> Reply {
    // The store's message is not passed on: it may name tables, hosts or values.
    refuse(
        StatusCode::SERVICE_UNAVAILABLE,
        "store_unavailable",
        "the database did not answer; retry",
    )
}

fn ok(value: Value) -> Reply {
    Reply(StatusCode::OK, value)
}

fn health_refusal(e: &HealthError) -> Reply {
    match e {
        HealthError::Store(StoreError::Conflict(_)) => {
            refuse(StatusCode::CONFLICT, e.result_code(), e)
        }
        HealthError::Store(_) => unavailable(),
        HealthError::Invalid { .. } => refuse(StatusCode::BAD_REQUEST, e.result_code(), e),
        _ => refuse(StatusCode::FORBIDDEN, e.result_code(), e),
    }
}

fn consent_refusal(e: &ConsentError) -> Reply {
    match e {
        ConsentError::Store(_) => unavailable(),
        ConsentError::Invalid { .. } => refuse(StatusCode::BAD_REQUEST, "invalid", e),
        _ => refuse(StatusCode::FORBIDDEN, "refused", e),
    }
}

fn auth_refusal(e: &kazasu_auth::AuthError) -> Reply {
    match e {
        kazasu_auth::AuthError::Store(_) => unavailable(),
        _ => refuse(StatusCode::FORBIDDEN, e.code(), e),
    }
}

fn parse<T: DeserializeOwned>(body: &Bytes) -> Result<T, Reply> {
    serde_json::from_slice(body).map_err(|e| bad(format!("body: {e}")))
}

/// Hex on the wire.
#[derive(Deserialize)]
#[serde(transparent)]
struct Hex(#[serde(with = "hex")] Vec<u8>);

fn certificate(bytes: &Hex, field: &str) -> Result<Certificate, Reply> {
    Certificate::from_der(&bytes.0).map_err(|e| bad(format!("{field}: {e}")))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WireAssertion {
    certificate: Hex,
    challenge: Hex,
    signature: Hex,
}

impl WireAssertion {
    fn assertion(&self) -> Result<AuthAssertion, Reply> {
        Ok(AuthAssertion::new(
            certificate(&self.certificate, "certificate")?,
            self.challenge.0.clone(),
            self.signature.0.clone(),
        ))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WireBound {
    certificate: Hex,
    message: Hex,
    signature: Hex,
}

impl WireBound {
    fn bound(&self) -> Result<BoundAssertion, Reply> {
        Ok(BoundAssertion::new(
            certificate(&self.certificate, "certificate")?,
            self.message.0.clone(),
            self.signature.0.clone(),
        ))
    }
}

/// [`blocking`] for work that refuses with `Err(reply)`.
async fn answer<F: FnOnce() -> Result<Reply, Reply> + Send + 'static>(work: F) -> Reply {
    blocking(move || work().unwrap_or_else(|refusal| refusal)).await
}

/// Runs library work (signature verification, database calls) off the async threads.
async fn blocking<F: FnOnce() -> Reply + Send + 'static>(work: F) -> Reply {
    match tokio::task::spawn_blocking(work).await {
        Ok(reply) => reply,
        Err(_) => refuse(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "the request failed",
        ),
    }
}

fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

async fn challenge(State(app): State<Arc<App>>) -> Reply {
    blocking(move || match app.eligibility.issue_challenge(now()) {
        Ok(c) => ok(json!({
            "challenge": hex::encode(c),
            "expires_in_secs": app.challenge_lifetime_secs(),
        })),
        Err(e) => health_refusal(&e),
    })
    .await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EnrolBody {
    agency: String,
    authentication: WireAssertion,
    signature_certificate: Hex,
    signature: Hex,
}

async fn enrol(State(app): State<Arc<App>>, body: Bytes) -> Reply {
    answer(move || {
        let b: EnrolBody = parse(&body)?;
        let agency = kazasu_health::AgencyCode::new(&b.agency).map_err(bad)?;
        let proof = CardHolderProof::new(
            b.authentication.assertion()?,
            certificate(&b.signature_certificate, "signature_certificate")?,
            b.signature.0,
        );
        match app.eligibility.enrol(&agency, &proof, now()) {
            Ok(id) => Ok(ok(json!({"certificate": id.to_string()}))),
            Err(e) => Err(health_refusal(&e)),
        }
    })
    .await
}

async fn confirm(
    State(app): State<Arc<App>>,
    Extension(facility): Extension<Facility>,
    body: Bytes,
) -> Reply {
    blocking(move || {
        let bound = match parse::<WireBound>(&body).and_then(|b| b.bound()) {
            Ok(b) => b,
            Err(r) => return r,
        };
        match app.eligibility.confirm_bound(&facility.0, &bound, now()) {
            Ok(answer) => ok(json!(answer)),
            Err(e @ HealthError::Store(_)) => health_refusal(&e),
            // Refusals are answers of the system (status 2 with the code), as at the real one.
            Err(e) => ok(json!(EligibilityAnswer::error(&e))),
        }
    })
    .await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PatientBody {
    name: String,
    birth_date: String,
    sex: String,
}

async fn put_patient(
    State(app): State<Arc<App>>,
    Extension(facility): Extension<Facility>,
    Path(card): Path<String>,
    body: Bytes,
) -> Reply {
    answer(move || {
        let b: PatientBody = parse(&body)?;
        let card = PatientCardNumber::new(&card).map_err(bad)?;
        let birth = time::Date::parse(
            &b.birth_date,
            time::macros::format_description!("[year]-[month]-[day]"),
        )
        .map_err(|e| bad(format!("birth_date: {e}")))?;
        let sex = match b.sex.as_str() {
            "1" | "male" => InsuranceSex::Male,
            "2" | "female" => InsuranceSex::Female,
            _ => return Err(bad("sex: 1 (male) or 2 (female) expected")),
        };
        app.stores
            .health
            .put_patient(&facility.0, &card, &PatientRecord::new(b.name, birth, sex))
            .map_err(|e| health_refusal(&HealthError::Store(e)))?;
        Ok(ok(json!({})))
    })
    .await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LinkBody {
    patient_card: String,
    authentication: WireAssertion,
    signature_certificate: Hex,
    signature: Hex,
}

async fn link(
    State(app): State<Arc<App>>,
    Extension(facility): Extension<Facility>,
    body: Bytes,
) -> Reply {
    answer(move || {
        let b: LinkBody = parse(&body)?;
        let card = PatientCardNumber::new(&b.patient_card).map_err(bad)?;
        let assertion = b.authentication.assertion()?;
        let approval = LinkApproval::IdentityMatch {
            signature_certificate: certificate(&b.signature_certificate, "signature_certificate")?,
            signature: b.signature.0,
        };
        let desk = app.desk(&facility.0).map_err(|_| unavailable())?;
        match desk.link(&assertion, &card, &approval, now()) {
            Ok(id) => Ok(ok(json!({"certificate": id.to_string()}))),
            Err(e) => Err(health_refusal(&e)),
        }
    })
    .await
}

async fn check_in(
    State(app): State<Arc<App>>,
    Extension(facility): Extension<Facility>,
    body: Bytes,
) -> Reply {
    answer(move || {
        let bound = parse::<WireBound>(&body)?.bound()?;
        let desk = app.desk(&facility.0).map_err(|_| unavailable())?;
        match desk.check_in_bound(&bound, now()) {
            Ok(receipt) => Ok(ok(json!(receipt))),
            Err(e) => Err(health_refusal(&e)),
        }
    })
    .await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ConsentBody {
    document: Hex,
    evidence: Evidence,
}

async fn record_consent(
    State(app): State<Arc<App>>,
    Extension(facility): Extension<Facility>,
    body: Bytes,
) -> Reply {
    answer(move || {
        let b: ConsentBody = parse(&body)?;
        if !app.is_member(&facility.0) {
            return Err(refuse(
                StatusCode::FORBIDDEN,
                "not_a_member",
                "this facility is not a member of the network",
            ));
        }
        match app.consent.record(&b.document.0, b.evidence, now()) {
            Ok(seq) => Ok(ok(json!({"seq": seq}))),
            Err(e) => Err(consent_refusal(&e)),
        }
    })
    .await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CheckBody {
    patient: String,
    class: DataClass,
    purpose: Purpose,
    #[serde(default)]
    clinician: Option<String>,
}

async fn check_consent(
    State(app): State<Arc<App>>,
    Extension(facility): Extension<Facility>,
    body: Bytes,
) -> Reply {
    answer(move || {
        let b: CheckBody = parse(&body)?;
        // The actor is the connection's facility: a facility asks only for itself.
        let facility = facility.0.to_string();
        let actor = match b.clinician {
            Some(hpki) => Actor::Clinician { hpki, facility },
            None => Actor::Facility { facility },
        };
        match app
            .consent
            .check(&b.patient, &actor, &b.class, &b.purpose, now())
        {
            Ok(decision) => Ok(ok(json!(decision))),
            Err(e) => Err(consent_refusal(&e)),
        }
    })
    .await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LoginEnrolBody {
    authentication: WireBound,
    signature_certificate: Hex,
    signature: Hex,
}

async fn login_enrol(State(app): State<Arc<App>>, body: Bytes) -> Reply {
    answer(move || {
        let b: LoginEnrolBody = parse(&body)?;
        let enrolment = Enrolment {
            authentication: b.authentication.bound()?,
            signature_certificate: certificate(&b.signature_certificate, "signature_certificate")?,
            signature: b.signature.0,
        };
        match app.login.enrol(&enrolment, now()) {
            Ok(p) => Ok(ok(json!({"account": p.account.to_string()}))),
            Err(e) => Err(auth_refusal(&e)),
        }
    })
    .await
}

async fn login(State(app): State<Arc<App>>, body: Bytes) -> Reply {
    answer(move || {
        let bound = parse::<WireBound>(&body)?.bound()?;
        match app.login.login(&Presented::Bound(bound), now()) {
            Ok(p) => Ok(ok(json!({
                "account": p.account.to_string(),
                "certificate": p.certificate.to_string(),
            }))),
            Err(e) => Err(auth_refusal(&e)),
        }
    })
    .await
}

/// Request ids: the instance name and a random 64-bit number, so ids from several instances
/// never collide in shared logs.
fn request_id(instance: &str) -> String {
    let mut bytes = [0u8; 8];
    if getrandom::fill(&mut bytes).is_err() {
        // Ids are for correlation only; a clock-derived one is good enough when the OS has no
        // randomness to give.
        let nanos = OffsetDateTime::now_utc().unix_timestamp_nanos();
        bytes = nanos.to_be_bytes()[8..].try_into().unwrap_or_default();
    }
    format!("{instance}-{}", hex::encode(bytes))
}

/// Request id, timeout, metrics and one structured log line per request (route, status,
/// latency, facility code — no body, no personal data, no secrets).
async fn around(State(app): State<Arc<App>>, mut request: Request, next: Next) -> Response {
    let started = Instant::now();
    let id = request_id(&app.instance);
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".into());
    let facility = request
        .extensions()
        .get::<Facility>()
        .map(|f| f.0.to_string())
        .unwrap_or_default();
    let method = request.method().clone();
    request.extensions_mut().insert(RequestId(id.clone()));
    app.metrics.in_flight.inc();
    let timeout = app.request_timeout();
    let mut response = match tokio::time::timeout(timeout, next.run(request)).await {
        Ok(r) => r,
        Err(_) => refuse(
            StatusCode::SERVICE_UNAVAILABLE,
            "timeout",
            "the request took too long; retry",
        )
        .into_response(),
    };
    app.metrics.in_flight.dec();
    let status = response.status();
    let elapsed = started.elapsed();
    if let Ok(v) = HeaderValue::from_str(&id) {
        response.headers_mut().insert("x-request-id", v);
    }
    app.metrics
        .requests
        .get_or_create(&RequestLabels {
            route: route.clone(),
            status: status.as_u16(),
        })
        .inc();
    app.metrics
        .latency
        .get_or_create(&RouteLabels {
            route: route.clone(),
        })
        .observe(elapsed.as_secs_f64());
    tracing::info!(
        target: "kazasu_serve::request",
        request_id = %id,
        method = %method,
        route = %route,
        status = status.as_u16(),
        micros = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX),
        facility = %facility,
        "request"
    );
    response
}

/// Adds the request id to JSON refusals (after the handler, so every refusal carries it).
async fn tag_refusals(request: Request, next: Next) -> Response {
    let id = request.extensions().get::<RequestId>().cloned();
    let response = next.run(request).await;
    let (Some(id), false) = (id, response.status().is_success()) else {
        return response;
    };
    let (parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 64 * 1024).await else {
        return Response::from_parts(parts, axum::body::Body::empty());
    };
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(Value::Object(mut map)) => {
            map.insert("request_id".into(), Value::String(id.0));
            let mut response = (parts.status, Json(Value::Object(map))).into_response();
            for (name, value) in parts.headers.iter() {
                if name != axum::http::header::CONTENT_LENGTH {
                    response.headers_mut().insert(name.clone(), value.clone());
                }
            }
            response
        }
        _ => Response::from_parts(parts, axum::body::Body::from(bytes)),
    }
}

/// A declared length over the limit is refused before the body is touched: with
/// `Expect: 100-continue` the client then never sends it. (A body without a declared length, or
/// lying about it, is still cut at the limit while it is read.)
async fn refuse_oversized(State(app): State<Arc<App>>, request: Request, next: Next) -> Response {
    let declared = request
        .headers()
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > app.body_limit() as u64) {
        return refuse(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            format!("bodies are limited to {} bytes", app.body_limit()),
        )
        .into_response();
    }
    next.run(request).await
}

async fn not_found() -> Reply {
    refuse(StatusCode::NOT_FOUND, "not_found", "no such route")
}

/// The facility API router.
pub fn router(app: Arc<App>) -> Router {
    let limit = app.body_limit();
    Router::new()
        .route("/v1/challenges", post(challenge))
        .route("/v1/eligibility/enrolments", post(enrol))
        .route("/v1/eligibility/confirmations", post(confirm))
        .route("/v1/checkin/patients/{card}", put(put_patient))
        .route("/v1/checkin/links", post(link))
        .route("/v1/checkin", post(check_in))
        .route("/v1/consents", post(record_consent))
        .route("/v1/consents/check", post(check_consent))
        .route("/v1/login/enrolments", post(login_enrol))
        .route("/v1/login", post(login))
        .fallback(not_found)
        .layer(axum::middleware::from_fn_with_state(
            app.clone(),
            refuse_oversized,
        ))
        .layer(axum::middleware::from_fn(tag_refusals))
        .layer(axum::middleware::from_fn_with_state(app.clone(), around))
        .layer(DefaultBodyLimit::max(limit))
        .with_state(app)
}

async fn health(State(app): State<Arc<App>>) -> Reply {
    if app.draining() {
        return refuse(StatusCode::SERVICE_UNAVAILABLE, "draining", "shutting down");
    }
    let stores = app.stores.clone();
    match tokio::task::spawn_blocking(move || stores.ping()).await {
        Ok(Ok(())) => ok(json!({
            "status": "ok",
            "instance": app.instance,
            "backend": app.stores.backend,
        })),
        _ => unavailable(),
    }
}

async fn metrics(State(app): State<Arc<App>>) -> Response {
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        app.metrics.render(),
    )
        .into_response()
}

async fn reload_crls(State(app): State<Arc<App>>) -> Reply {
    match tokio::task::spawn_blocking(move || app.reload_crls()).await {
        Ok(Ok(n)) => ok(json!({"crls": n})),
        Ok(Err(e)) => refuse(StatusCode::UNPROCESSABLE_ENTITY, "crl_reload_failed", e),
        Err(_) => unavailable(),
    }
}

/// The admin router: `GET /health` (200, or 503 while draining or when the database does not
/// answer), `GET /metrics` (Prometheus) and `POST /crls/reload` (read the configured CRL files
/// again, as SIGHUP does).
pub fn admin_router(app: Arc<App>) -> Router {
    Router::new()
        .route("/health", axum::routing::get(health))
        .route("/metrics", axum::routing::get(metrics))
        .route("/crls/reload", post(reload_crls))
        .with_state(app)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn status(r: &Result<impl Sized, Reply>) -> Option<StatusCode> {
        r.as_ref().err().map(|e| e.0)
    }

    proptest! {
        // Whatever a client sends, the body decoders answer a value or a 400, never a panic.
        #[test]
        fn any_body_decodes_or_is_a_bad_request(body in proptest::collection::vec(any::<u8>(), 0..512)) {
            let body = Bytes::from(body);
            let bound = parse::<WireBound>(&body).and_then(|b| b.bound());
            prop_assert!(matches!(status(&bound), None | Some(StatusCode::BAD_REQUEST)));
            for r in [
                parse::<EnrolBody>(&body).map(|_| ()),
                parse::<LinkBody>(&body).map(|_| ()),
                parse::<PatientBody>(&body).map(|_| ()),
                parse::<ConsentBody>(&body).map(|_| ()),
                parse::<CheckBody>(&body).map(|_| ()),
                parse::<LoginEnrolBody>(&body).map(|_| ()),
            ] {
                prop_assert!(matches!(status(&r), None | Some(StatusCode::BAD_REQUEST)));
            }
        }

        // Well-formed JSON with arbitrary hex: the certificate is judged by the DER parser, and
        // anything it refuses is a 400 naming the field.
        #[test]
        fn hex_fields_reach_the_certificate_parser(
            cert in proptest::collection::vec(any::<u8>(), 0..200),
            message in proptest::collection::vec(any::<u8>(), 0..64),
        ) {
            let body = Bytes::from(
                json!({
                    "certificate": hex::encode(&cert),
                    "message": hex::encode(&message),
                    "signature": "00",
                })
                .to_string(),
            );
            match parse::<WireBound>(&body).and_then(|b| b.bound()) {
                Ok(b) => prop_assert_eq!(b.message, message),
                Err(Reply(code, v)) => {
                    prop_assert_eq!(code, StatusCode::BAD_REQUEST);
                    prop_assert!(v["error"].as_str().unwrap_or("").starts_with("certificate"));
                }
            }
        }
    }

    #[test]
    fn unknown_fields_and_bad_hex_are_bad_requests() {
        let with_facility = Bytes::from_static(
            br#"{"patient":"p","class":"medication","purpose":"TREAT","facility":"9999999999"}"#,
        );
        assert_eq!(
            status(&parse::<CheckBody>(&with_facility)),
            Some(StatusCode::BAD_REQUEST)
        );
        let bad_hex = Bytes::from_static(br#"{"certificate":"zz","message":"","signature":""}"#);
        assert_eq!(
            status(&parse::<WireBound>(&bad_hex)),
            Some(StatusCode::BAD_REQUEST)
        );
    }
}
