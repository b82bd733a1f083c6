//! A complete server directory for tests and measurements (`kazasu serve init`): the test PKI's
//! JPKI roots and CRLs (one of them as large as asked), a facility CA with facility client
//! certificates, a server certificate, a pool of test cards with their keys, the card-link feed,
//! the consent network key, a configuration file — and a database bulk-loaded with as many
//! enrolled people as asked.
//!
//! Everything here is test material: the keys are the virtual card's fixture keys or fresh ones
//! written in the clear. Never point a production server at it.

use std::path::{Path, PathBuf};
use std::time::Instant;

use kazasu_health::sandbox::person_record;
use kazasu_health::{AgencyCode, FacilityCode, InsuranceSex, PatientCardNumber, PatientRecord};
use kazasu_pki::{Certificate, CertificateId};
use kazasu_virtual_card::pki::{
    CrlSpec, GeneratedRevocations, Generation, HOLDER_SLOTS, IssueSpec, PersonaBuilder, Purpose,
    RevokedEntry, TestPki, fixture_key,
};
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use rsa::pkcs8::EncodePrivateKey;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::ServeError;
use crate::stores::Stores;

/// The consent network key: the fixture key the CLI's consent sandbox uses too.
const NETWORK_KEY: usize = 23;
/// Serials of the pool's authentication certificates start here (signature = auth + 1).
const POOL_SERIAL: u64 = 0x4b5a_0000;
/// Serials of the bulk-loaded people's (synthetic) certificates start here.
const SYNTHETIC_SERIAL: u64 = 0x0200_0000_0000_0000;
/// Serials of the large CRL's entries start here (none of them is a pool or synthetic serial).
const REVOKED_SERIAL: u64 = 0x0100_0000_0000_0000;
/// The consent network's name.
pub const NETWORK: &str = "kazasu-sandbox-network";

/// What to build.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct SandboxSpec {
    /// The directory (created; must be empty or absent).
    pub dir: PathBuf,
    /// `sqlite:kazasu.sqlite` (relative to the directory) or a `postgres://` URL.
    pub database: String,
    /// Enrolled people in the database (the pool's card holders among them).
    pub people: u64,
    /// Entries of the large authentication CRL.
    pub crl_entries: usize,
    /// Test cards written with their keys (the load generator's card holders).
    pub cards: usize,
    /// Facilities with a client certificate (each with the pool's patient cards linked).
    pub facilities: usize,
}

impl SandboxSpec {
    /// A spec with small defaults: 1,000 people, a 1,000-entry CRL, 16 cards, 2 facilities.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self {
            dir: dir.into(),
            database: "sqlite:kazasu.sqlite".into(),
            people: 1_000,
            crl_entries: 1_000,
            cards: 16,
            facilities: 2,
        }
    }
}

/// How long each part took.
#[derive(Clone, Debug, Default, Serialize)]
#[non_exhaustive]
pub struct SandboxReport {
    /// Seconds to issue the PKI, the CRLs and the cards.
    pub pki_secs: f64,
    /// Bytes of the large CRL.
    pub crl_bytes: usize,
    /// Seconds to bulk-load the people.
    pub load_secs: f64,
    /// People loaded.
    pub people: u64,
    /// The configuration file.
    pub config: PathBuf,
}

/// One pool card, as written to `cards/NNNN.json`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PoolCard {
    /// The authentication certificate, DER (hex).
    #[serde(with = "hex")]
    pub auth_certificate: Vec<u8>,
    /// Its private key, PKCS#8 DER (hex).
    #[serde(with = "hex")]
    pub auth_key: Vec<u8>,
    /// The signature certificate, DER (hex).
    #[serde(with = "hex")]
    pub sign_certificate: Vec<u8>,
    /// Its private key, PKCS#8 DER (hex).
    #[serde(with = "hex")]
    pub sign_key: Vec<u8>,
    /// The holder's agency code (個人識別番号 in the eligibility system).
    pub agency: String,
    /// The holder's patient-card number at every sandbox facility.
    pub patient_card: String,
    /// The holder's id in the consent network.
    pub patient: String,
    /// The holder's birth date, `YYYY-MM-DD`.
    pub birth_date: String,
    /// Whether the card is revoked (listed in its CRL).
    pub revoked: bool,
}

/// The facility codes of a sandbox: `1310000019`, `1310000027`, … (10 digits).
pub fn facility_codes(count: usize) -> Vec<String> {
    (0..count.max(1))
        .map(|i| format!("{:010}", 1_310_000_019u64 + 8 * i as u64))
        .collect()
}

fn fail(e: impl std::fmt::Display) -> ServeError {
    ServeError::Service(format!("sandbox: {e}"))
}

fn write(path: &Path, bytes: impl AsRef<[u8]>) -> Result<(), ServeError> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| ServeError::file(dir, e))?;
    }
    std::fs::write(path, bytes).map_err(|e| ServeError::file(path, e))
}

fn tls_material(dir: &Path, facilities: &[String]) -> Result<(), ServeError> {
    let ca_key = KeyPair::generate().map_err(fail)?;
    let mut ca = CertificateParams::new(Vec::<String>::new()).map_err(fail)?;
    ca.distinguished_name
        .push(DnType::CommonName, "kazasu sandbox facility CA");
    ca.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca_cert = ca.self_signed(&ca_key).map_err(fail)?;
    write(&dir.join("tls/facility-ca.pem"), ca_cert.pem())?;
    let issuer = Issuer::new(ca, ca_key);
    for code in facilities {
        let key = KeyPair::generate().map_err(fail)?;
        let mut params = CertificateParams::new(Vec::<String>::new()).map_err(fail)?;
        params
            .distinguished_name
            .push(DnType::CommonName, code.as_str());
        params
            .distinguished_name
            .push(DnType::OrganizationName, "kazasu sandbox clinic");
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        let cert = params.signed_by(&key, &issuer).map_err(fail)?;
        write(&dir.join(format!("tls/facility-{code}.pem")), cert.pem())?;
        write(
            &dir.join(format!("tls/facility-{code}.key")),
            key.serialize_pem(),
        )?;
    }
    // The server's own CA, so clients trust exactly this server.
    let server_ca_key = KeyPair::generate().map_err(fail)?;
    let mut server_ca = CertificateParams::new(Vec::<String>::new()).map_err(fail)?;
    server_ca
        .distinguished_name
        .push(DnType::CommonName, "kazasu sandbox server CA");
    server_ca.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    server_ca.key_usages = vec![KeyUsagePurpose::KeyCertSign];
    let server_ca_cert = server_ca.self_signed(&server_ca_key).map_err(fail)?;
    write(&dir.join("tls/server-ca.pem"), server_ca_cert.pem())?;
    let server_issuer = Issuer::new(server_ca, server_ca_key);
    let key = KeyPair::generate().map_err(fail)?;
    let mut params = CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()])
        .map_err(fail)?;
    params
        .distinguished_name
        .push(DnType::CommonName, "kazasu sandbox server");
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let cert = params.signed_by(&key, &server_issuer).map_err(fail)?;
    write(&dir.join("tls/server.pem"), cert.pem())?;
    write(&dir.join("tls/server.key"), key.serialize_pem())?;
    Ok(())
}

fn config_text(spec: &SandboxSpec, facilities: &[String]) -> String {
    let members: Vec<String> = facilities.iter().map(|f| format!("\"{f}\"")).collect();
    format!(
        r#"# kazasu serve — sandbox configuration written by `kazasu serve init` (test material only).
[server]
listen = "127.0.0.1:0"
admin_listen = "127.0.0.1:0"
instance = "sandbox"
request_body_limit = 65536
request_timeout_ms = 10000
shutdown_grace_ms = 10000

[tls]
certificate = "tls/server.pem"
key = "tls/server.key"
facility_ca = "tls/facility-ca.pem"

[database]
url = "{database}"
pool_size = 16

[trust]
anchors = ["trust/auth-2015.der", "trust/auth-2023.der", "trust/sign-2015.der", "trust/sign-2023.der"]
crls = ["crl/auth-2015.der", "crl/auth-2023.der", "crl/sign-2015.der", "crl/sign-2023.der"]
card_links = "card-links.tsv"

[service]
relying_party = "kazasu.sandbox"
origins = ["https://kazasu.sandbox"]
challenge_lifetime_secs = 600
challenge_capacity = 2000000

[consent]
network = "{NETWORK}"
members = [{members}]
key = "consent/network-key.der"
"#,
        database = spec.database,
        members = members.join(", "),
    )
}

/// Builds the directory and loads the database; see the module documentation.
pub fn init(spec: &SandboxSpec) -> Result<SandboxReport, ServeError> {
    let dir = &spec.dir;
    if dir.exists()
        && std::fs::read_dir(dir)
            .map_err(|e| ServeError::file(dir, e))?
            .next()
            .is_some()
    {
        return Err(ServeError::file(dir, "not empty"));
    }
    std::fs::create_dir_all(dir).map_err(|e| ServeError::file(dir, e))?;
    let started = Instant::now();
    let at = OffsetDateTime::now_utc();
    let pki = TestPki::new(0).map_err(fail)?;
    for (purpose, p) in [
        (Purpose::Authentication, "auth"),
        (Purpose::Signature, "sign"),
    ] {
        for (generation, g) in [(Generation::G2015, "2015"), (Generation::G2023, "2023")] {
            write(
                &dir.join(format!("trust/{p}-{g}.der")),
                &pki.root(purpose, generation).der,
            )?;
        }
    }
    let facilities = facility_codes(spec.facilities);
    tls_material(dir, &facilities)?;
    // The pool: cards whose holders are enrolled and patients at every facility. The last one is
    // revoked, so a load run sees a refusal path too.
    let mut links = String::from("# signature certificate id\tauthentication certificate id\n");
    let mut pool = Vec::new();
    let today = at
        .to_offset(time::UtcOffset::from_hms(9, 0, 0).map_err(fail)?)
        .date();
    for i in 0..spec.cards {
        let persona = PersonaBuilder::from_seed(10_000 + i as u64)
            .build()
            .map_err(fail)?;
        let holder = pki
            .issue(
                &persona,
                &IssueSpec {
                    serial: Some(POOL_SERIAL + 2 * i as u64),
                    key_slot: i % HOLDER_SLOTS,
                    ..IssueSpec::default()
                },
            )
            .map_err(fail)?;
        let auth = Certificate::from_der(&holder.auth_certificate).map_err(fail)?;
        let sign = Certificate::from_der(&holder.sign_certificate).map_err(fail)?;
        let (Some(auth_id), Some(sign_id)) = (auth.id(), sign.id()) else {
            return Err(fail("a test certificate without an authority key id"));
        };
        links.push_str(&format!("{sign_id}\t{auth_id}\n"));
        let card = PoolCard {
            auth_certificate: holder.auth_certificate.clone(),
            auth_key: holder
                .auth_key
                .to_pkcs8_der()
                .map_err(fail)?
                .as_bytes()
                .to_vec(),
            sign_certificate: holder.sign_certificate.clone(),
            sign_key: holder
                .sign_key
                .to_pkcs8_der()
                .map_err(fail)?
                .as_bytes()
                .to_vec(),
            agency: format!("POOL{i:08}"),
            patient_card: format!("P{i:07}"),
            patient: format!("patient-{i:06}"),
            birth_date: format!(
                "{:04}-{:02}-{:02}",
                persona.birth_date.year(),
                u8::from(persona.birth_date.month()),
                persona.birth_date.day()
            ),
            revoked: i + 1 == spec.cards,
        };
        write(
            &dir.join(format!("cards/{i:04}.json")),
            serde_json::to_vec_pretty(&card).map_err(fail)?,
        )?;
        let generation = Generation::G2023;
        pool.push((
            persona,
            card,
            auth_id,
            (holder.auth_serial.clone(), generation),
        ));
    }
    write(&dir.join("card-links.tsv"), links)?;
    let mut crl_bytes = 0;
    for (purpose, p) in [
        (Purpose::Authentication, "auth"),
        (Purpose::Signature, "sign"),
    ] {
        for (generation, g) in [(Generation::G2015, "2015"), (Generation::G2023, "2023")] {
            let mut crl = CrlSpec::valid_at(at);
            if purpose == Purpose::Authentication && generation == Generation::G2023 {
                crl.generated = Some(GeneratedRevocations {
                    count: spec.crl_entries,
                    first_serial: REVOKED_SERIAL,
                    seed: 1,
                });
            }
            if purpose == Purpose::Authentication
                && let Some((_, _, _, (serial, g))) = pool.last()
                && *g == generation
            {
                crl = crl.revoke(RevokedEntry::from_bytes(
                    serial,
                    at - time::Duration::days(1),
                ));
            }
            let der = pki.crl(purpose, generation, &crl).map_err(fail)?;
            if purpose == Purpose::Authentication && generation == Generation::G2023 {
                crl_bytes = der.len();
            }
            write(&dir.join(format!("crl/{p}-{g}.der")), der)?;
        }
    }
    let network_key = fixture_key(NETWORK_KEY).map_err(fail)?;
    write(
        &dir.join("consent/network-key.der"),
        network_key.to_pkcs8_der().map_err(fail)?.as_bytes(),
    )?;
    let config_path = dir.join("serve.toml");
    write(&config_path, config_text(spec, &facilities))?;
    let pki_secs = started.elapsed().as_secs_f64();

    let config = crate::Config::load(&config_path)?;
    let stores = Stores::open(&config)?;
    let loading = Instant::now();
    let Some((template, _, first_id, _)) = pool.first() else {
        return Err(fail("at least one card is needed"));
    };
    let issuer_key_id = first_id.issuer_key_id().to_vec();
    let mut people = Vec::with_capacity(pool.len());
    for (persona, card, auth_id, _) in &pool {
        let agency = AgencyCode::new(&card.agency).map_err(fail)?;
        let (person, qualifications) = person_record(persona, &agency, today).map_err(fail)?;
        people.push((person, qualifications, auth_id.clone()));
    }
    let synthetic = spec.people.saturating_sub(pool.len() as u64);
    let (template_person, template_quals) =
        person_record(template, &AgencyCode::new("TEMPLATE").map_err(fail)?, today)
            .map_err(fail)?;
    let loaded = crate::bulk::enrol(
        &stores,
        &mut people.into_iter().chain((0..synthetic).map(|n| {
            let mut person = template_person.clone();
            if let Ok(agency) = AgencyCode::new(&format!("SYN{n:010}")) {
                person.agency_code = agency;
            }
            let quals = template_quals.clone();
            let serial = (SYNTHETIC_SERIAL + n).to_be_bytes();
            let id =
                CertificateId::new(&issuer_key_id, &serial).unwrap_or_else(|_| first_id.clone());
            (person, quals, id)
        })),
    )?;
    for code in &facilities {
        let facility = FacilityCode::new(code).map_err(fail)?;
        for (persona, card, auth_id, _) in &pool {
            let patient_card = PatientCardNumber::new(&card.patient_card).map_err(fail)?;
            let sex = match persona.sex.code() {
                '1' => InsuranceSex::Male,
                _ => InsuranceSex::Female,
            };
            let birth = persona.birth_date;
            stores
                .health
                .put_patient(
                    &facility,
                    &patient_card,
                    &PatientRecord::new(persona.name.clone(), birth, sex),
                )
                .map_err(fail)?;
            stores
                .health
                .link_patient_card(&facility, auth_id, &patient_card, at)
                .map_err(fail)?;
        }
    }
    Ok(SandboxReport {
        pki_secs,
        crl_bytes,
        load_secs: loading.elapsed().as_secs_f64(),
        people: loaded,
        config: config_path,
    })
}
