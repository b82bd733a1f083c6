//! The library services the API calls, built once from the configuration and shared by every
//! request. Nothing here is HTTP: handlers parse, call these, and answer.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};

use kazasu_auth::{LoginService, RelyingParty};
use kazasu_consent::{ConsentLedger, EvidenceVerifier, LedgerStore, NetworkKey};
use kazasu_health::{
    CheckinService, EligibilityService, FacilityCode, MemoryCardLinks, VerificationSetup,
};
use kazasu_pki::{Certificate, CertificateId, CrlSet, SharedCrlSet, TrustStore};
use rsa::pkcs8::DecodePrivateKey;

use crate::ServeError;
use crate::config::Config;
use crate::metrics::Metrics;
use crate::stores::{HealthStore, Stores};

type Health = Arc<dyn HealthStore>;

/// Everything a request may need.
pub struct App {
    /// 資格確認 and enrolment.
    pub eligibility: EligibilityService<Health>,
    /// The consent ledger of the configured network.
    pub consent: ConsentLedger<Arc<dyn LedgerStore>>,
    /// Login with the card.
    pub login: LoginService<Arc<dyn kazasu_auth::AccountStore>>,
    /// The stores.
    pub stores: Stores,
    /// Request counters and latencies.
    pub metrics: Metrics,
    /// This instance's name.
    pub instance: String,
    setup: VerificationSetup,
    card_links: Arc<MemoryCardLinks>,
    rp_id: String,
    origins: Vec<String>,
    desks: RwLock<HashMap<FacilityCode, Arc<CheckinService<Health>>>>,
    draining: AtomicBool,
    members: std::collections::HashSet<String>,
    crls: Arc<SharedCrlSet>,
    crl_paths: Vec<PathBuf>,
    challenge_lifetime_secs: i64,
    request_timeout: std::time::Duration,
    body_limit: usize,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("instance", &self.instance)
            .field("stores", &self.stores)
            .finish_non_exhaustive()
    }
}

fn read(config: &Config, path: &std::path::Path) -> Result<Vec<u8>, ServeError> {
    let path = config.resolve(path);
    std::fs::read(&path).map_err(|e| ServeError::file(&path, e))
}

/// Lines `SIGNATURE-ID<TAB>AUTHENTICATION-ID`; `#` starts a comment.
fn card_links(text: &str) -> Result<Vec<(CertificateId, CertificateId)>, String> {
    let mut links = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (sign, auth) = line
            .split_once('\t')
            .ok_or_else(|| format!("line {}: two tab-separated ids expected", n + 1))?;
        let parse = |s: &str| {
            s.trim()
                .parse::<CertificateId>()
                .map_err(|e| format!("line {}: {e}", n + 1))
        };
        links.push((parse(sign)?, parse(auth)?));
    }
    Ok(links)
}

/// Reads and parses every CRL `paths` names: all of them, or an error naming the file.
fn read_crls(paths: &[PathBuf]) -> Result<CrlSet, ServeError> {
    let mut crls = CrlSet::new();
    for path in paths {
        let bytes = std::fs::read(path).map_err(|e| ServeError::file(path, e))?;
        crls.add(kazasu_pki::Crl::from_der(&bytes).map_err(|e| ServeError::file(path, e))?);
    }
    Ok(crls)
}

/// What the services verify with: the trust anchors (and their DER, for the consent evidence
/// verifier) and the CRLs, shared so they can be replaced while requests run.
struct TrustMaterial {
    setup: VerificationSetup,
    anchors: Vec<Vec<u8>>,
    crls: Arc<SharedCrlSet>,
    crl_paths: Vec<PathBuf>,
}

fn trust_material(config: &Config) -> Result<TrustMaterial, ServeError> {
    let mut anchors = Vec::new();
    let mut trust = TrustStore::new();
    for path in &config.trust.anchors {
        let bytes = read(config, path)?;
        for cert in Certificate::parse_all(&bytes)
            .map_err(|e| ServeError::file(&config.resolve(path), e))?
        {
            anchors.push(cert.der().to_vec());
            trust.add(cert);
        }
    }
    if trust.is_empty() {
        return Err(ServeError::Config("[trust] anchors: none given".into()));
    }
    let crl_paths: Vec<PathBuf> = config
        .trust
        .crls
        .iter()
        .map(|p| config.resolve(p))
        .collect();
    let crls = Arc::new(SharedCrlSet::new(read_crls(&crl_paths)?));
    let setup = VerificationSetup::with_shared_revocation(trust, crls.clone())
        .with_path_cache(config.trust.path_cache);
    Ok(TrustMaterial {
        setup,
        anchors,
        crls,
        crl_paths,
    })
}

/// The verification set-up (trust anchors and CRLs) `config` names.
pub fn verification_setup(config: &Config) -> Result<VerificationSetup, ServeError> {
    Ok(trust_material(config)?.setup)
}

impl App {
    /// Builds the services over `stores` as `config` says.
    pub fn new(config: &Config, stores: Stores, metrics: Metrics) -> Result<Self, ServeError> {
        let svc = |e: &dyn std::fmt::Display| ServeError::Service(e.to_string());
        let TrustMaterial {
            setup,
            anchors,
            crls,
            crl_paths,
        } = trust_material(config)?;
        let links = Arc::new(MemoryCardLinks::new());
        let auth_links = Arc::new(kazasu_auth::MemoryCardLinks::new());
        if let Some(path) = &config.trust.card_links {
            let text = String::from_utf8(read(config, path)?)
                .map_err(|e| ServeError::file(&config.resolve(path), e))?;
            for (sign, auth) in
                card_links(&text).map_err(|e| ServeError::file(&config.resolve(path), e))?
            {
                links.insert(sign.clone(), auth.clone());
                auth_links.insert_card(sign, auth).map_err(|e| svc(&e))?;
            }
        }
        let origins: Vec<&str> = config.service.origins.iter().map(String::as_str).collect();
        let rp_id = config.service.relying_party.as_str();
        let eligibility =
            EligibilityService::new(setup.clone(), stores.health.clone(), links.clone())
                .with_challenge_store(stores.challenges.clone())
                .with_relying_party(rp_id, &origins)
                .map_err(|e| svc(&e))?;
        let rp = RelyingParty::new(rp_id, &origins, setup.verifier(), stores.challenges.clone())
            .map_err(|e| svc(&e))?;
        let login = LoginService::new(rp, stores.accounts.clone(), auth_links);
        let key_bytes = read(config, &config.consent.key)?;
        let key = match std::str::from_utf8(&key_bytes) {
            Ok(pem) if pem.contains("-----BEGIN") => rsa::PrivateKey::from_pkcs8_pem(pem),
            _ => rsa::PrivateKey::from_pkcs8_der(&key_bytes),
        }
        .map_err(|e| ServeError::file(&config.resolve(&config.consent.key), e))?;
        let consent = ConsentLedger::new(
            &config.consent.network,
            config.consent.members.iter().cloned(),
            stores.ledger.clone(),
            EvidenceVerifier::new(&anchors, &[]).map_err(|e| svc(&e))?,
            NetworkKey::new(key).map_err(|e| svc(&e))?,
        )
        .map_err(|e| svc(&e))?;
        Ok(Self {
            eligibility,
            consent,
            login,
            stores,
            metrics,
            instance: config.server.instance.clone(),
            setup,
            card_links: links,
            rp_id: rp_id.to_owned(),
            origins: config.service.origins.clone(),
            desks: RwLock::new(HashMap::new()),
            draining: AtomicBool::new(false),
            members: config.consent.members.iter().cloned().collect(),
            crls,
            crl_paths,
            challenge_lifetime_secs: config.service.challenge_lifetime_secs,
            request_timeout: std::time::Duration::from_millis(config.server.request_timeout_ms),
            body_limit: config.server.request_body_limit,
        })
    }

    /// The check-in desk of `facility` (built on first use, then shared).
    pub fn desk(&self, facility: &FacilityCode) -> Result<Arc<CheckinService<Health>>, ServeError> {
        if let Some(desk) = self
            .desks
            .read()
            .map_err(|_| ServeError::Service("poisoned".into()))?
            .get(facility)
        {
            return Ok(desk.clone());
        }
        let origins: Vec<&str> = self.origins.iter().map(String::as_str).collect();
        let desk = Arc::new(
            CheckinService::new(
                facility.clone(),
                self.setup.clone(),
                self.stores.health.clone(),
            )
            .with_card_links(self.card_links.clone())
            .with_challenge_store(self.stores.challenges.clone())
            .with_relying_party(&self.rp_id, &origins)
            .map_err(|e| ServeError::Service(e.to_string()))?,
        );
        let mut desks = self
            .desks
            .write()
            .map_err(|_| ServeError::Service("poisoned".into()))?;
        Ok(desks.entry(facility.clone()).or_insert(desk).clone())
    }

    /// Marks the instance as shutting down: the health endpoint answers 503 so a load balancer
    /// stops sending, while requests in flight finish.
    pub fn start_draining(&self) {
        self.draining.store(true, Ordering::SeqCst);
    }

    /// Reads the CRL files of the configuration again and puts them in force for every service at
    /// once (all files or none: a file that does not parse leaves the CRLs in force as they were).
    /// Cached validated paths made before are not used again. Returns how many CRLs are in force.
    pub fn reload_crls(&self) -> Result<usize, ServeError> {
        let crls = read_crls(&self.crl_paths)?;
        let n = crls.len();
        self.crls.replace(crls);
        tracing::info!(target: "kazasu_serve", crls = n, "CRLs reloaded");
        Ok(n)
    }

    /// Whether `facility` is a member of the consent network.
    pub fn is_member(&self, facility: &FacilityCode) -> bool {
        self.members.contains(facility.as_str())
    }

    /// How long challenges live.
    pub fn challenge_lifetime_secs(&self) -> i64 {
        self.challenge_lifetime_secs
    }

    /// The per-request time limit.
    pub fn request_timeout(&self) -> std::time::Duration {
        self.request_timeout
    }

    /// The request body limit.
    pub fn body_limit(&self) -> usize {
        self.body_limit
    }

    /// Whether the instance is shutting down.
    pub fn draining(&self) -> bool {
        self.draining.load(Ordering::SeqCst)
    }
}

#[cfg(test)]
mod tests {
    use super::card_links;
    use kazasu_pki::CertificateId;
    use proptest::prelude::*;

    #[test]
    fn card_link_lines_are_checked() {
        assert!(card_links("# nothing\n\n").unwrap_or_default().is_empty());
        assert!(card_links("just-one-field").is_err());
        assert!(card_links("zz\tyy").is_err());
    }

    fn id() -> impl Strategy<Value = CertificateId> {
        (
            proptest::collection::vec(any::<u8>(), 1..21),
            proptest::collection::vec(any::<u8>(), 1..17),
        )
            .prop_filter_map("a valid id", |(key, serial)| {
                CertificateId::new(&key, &serial).ok()
            })
    }

    proptest! {
        #[test]
        fn any_text_is_links_or_an_error(text in ".{0,300}") {
            let _ = card_links(&text);
        }

        #[test]
        fn written_links_read_back(links in proptest::collection::vec((id(), id()), 0..8)) {
            let text: String = links.iter().map(|(s, a)| format!("{s}\t{a}\n")).collect();
            prop_assert_eq!(card_links(&text), Ok(links));
        }
    }
}
