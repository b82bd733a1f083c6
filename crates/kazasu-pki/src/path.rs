//! [`Verifier`]: certification path validation at a given time, rejecting by default.

use std::sync::Arc;

use const_oid::db::rfc5280;
use time::OffsetDateTime;

use crate::crypto::{PublicKey, SignatureAlgorithm};
use crate::hex_form::colon_hex;
use crate::path_cache::{Entry, Key, PathCache, PathCacheStats};
use crate::revocation::{
    NoRevocation, RevocationQuery, RevocationSource, RevocationStatus, TimeWindow,
};
use crate::{Certificate, CertificateId, Error, HashAlgorithm, Purpose, Rejection, TrustStore};

/// What one validation may still spend on path building.
struct Budget {
    signatures: usize,
    candidates: usize,
    max_signatures: usize,
    max_candidates: usize,
}

impl Budget {
    fn new(options: &VerifierOptions) -> Self {
        Self {
            signatures: 0,
            candidates: 0,
            max_signatures: options.max_signature_checks,
            max_candidates: options.max_issuer_candidates,
        }
    }

    fn spend_signature(&mut self) -> Result<(), Rejection> {
        if self.signatures >= self.max_signatures {
            return Err(Rejection::SignatureBudgetExceeded {
                limit: self.max_signatures,
            });
        }
        self.signatures += 1;
        Ok(())
    }

    fn spend_candidate(&mut self) -> Result<(), Rejection> {
        if self.candidates >= self.max_candidates {
            return Err(Rejection::IssuerCandidateBudgetExceeded {
                limit: self.max_candidates,
            });
        }
        self.candidates += 1;
        Ok(())
    }
}

/// What to do about revocation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum RevocationPolicy {
    /// Every non-anchor certificate of the path must be known good (the default).
    #[default]
    Required,
    /// Revoked certificates are rejected; unknown status is accepted and reported.
    BestEffort,
    /// Revocation is not checked.
    Off,
}

/// Policy knobs of a [`Verifier`]. The defaults are strict.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct VerifierOptions {
    /// Revocation handling (default [`RevocationPolicy::Required`]).
    pub revocation: RevocationPolicy,
    /// Accept `sha1WithRSAEncryption` on certificates and CRLs (default `false`).
    pub allow_sha1: bool,
    /// Smallest RSA modulus accepted, in bits (default 2048).
    pub min_rsa_bits: usize,
    /// Most certificates in a path, leaf and anchor included (default 6).
    pub max_path_len: usize,
    /// Most certificate signatures path building may verify for one validation (default 32).
    /// Exceeding it is [`Rejection::SignatureBudgetExceeded`]: a store or a set of intermediates
    /// full of same-name, same-key-id CAs cannot make validation expensive. A JPKI holder
    /// certificate needs one.
    pub max_signature_checks: usize,
    /// Most candidate issuers (anchors and intermediates whose name and key identifier match)
    /// path building may try for one validation, at every level together (default 128).
    /// Exceeding it is [`Rejection::IssuerCandidateBudgetExceeded`].
    pub max_issuer_candidates: usize,
}

impl Default for VerifierOptions {
    fn default() -> Self {
        Self {
            revocation: RevocationPolicy::Required,
            allow_sha1: false,
            min_rsa_bits: 2048,
            max_path_len: 6,
            max_signature_checks: 32,
            max_issuer_candidates: 128,
        }
    }
}

/// A path that validated: leaf first, trust anchor last.
#[derive(Clone, Debug)]
pub struct ValidatedPath {
    chain: Arc<[Certificate]>,
    purpose: Purpose,
    at: OffsetDateTime,
    revocation: Arc<[RevocationStatus]>,
}

impl ValidatedPath {
    /// Leaf first, anchor last.
    pub fn chain(&self) -> &[Certificate] {
        &self.chain
    }

    /// The validated end-entity certificate.
    pub fn leaf(&self) -> &Certificate {
        &self.chain[0]
    }

    /// The trust anchor the path ends in.
    pub fn anchor(&self) -> &Certificate {
        &self.chain[self.chain.len() - 1]
    }

    /// The leaf's [`CertificateId`]: its serial and the key identifier of the issuer path
    /// validation chose (which equals the leaf's AuthorityKeyIdentifier `keyIdentifier` when it
    /// has one). Always available, unlike [`Certificate::id`].
    pub fn leaf_id(&self) -> CertificateId {
        let leaf = self.leaf();
        leaf.id_issued_by(self.chain.get(1).unwrap_or(leaf))
    }

    /// The purpose validated for.
    pub fn purpose(&self) -> Purpose {
        self.purpose
    }

    /// The verification time.
    pub fn at(&self) -> OffsetDateTime {
        self.at
    }

    /// Revocation status of each non-anchor certificate, leaf first; empty when revocation was not
    /// checked ([`RevocationPolicy::Off`]).
    pub fn revocation(&self) -> &[RevocationStatus] {
        &self.revocation
    }
}

/// Validates certification paths to a [`TrustStore`] at a given time, for a purpose.
///
/// Checks, each failing with its own [`Rejection`]: unknown critical extensions; key algorithm and
/// size; validity of every certificate (the anchor included) at the time given; the leaf is not a
/// CA; the leaf's KeyUsage, ExtendedKeyUsage and policy against the purpose; issuer selection by
/// name and key identifier (generations sharing a name are told apart by AKI/SKI and then by
/// signature), within a budget of signature checks and candidate issuers; signature algorithm and
/// signature; the issuer's CA flag, keyCertSign and path length; the anchor is trusted for the
/// purpose; revocation per policy.
///
/// # Path cache
///
/// Off by default. [`Verifier::with_path_cache`] keeps the paths validated for certificates seen
/// before, so that a card presented again costs no certificate signature check and no revocation
/// lookup (an assertion then costs one RSA verification, the card's signature). An entry is keyed
/// by the SHA-256 of the leaf's DER, the intermediates offered and the purpose (the anchors, the
/// options and the revocation source are the verifier's own: changing them through
/// [`Verifier::with_options`] or [`Verifier::with_revocation`] starts an empty cache) and is used
/// only when
///
/// - the leaf's DER equals the cached leaf's byte for byte;
/// - the verification time lies inside the window the validation holds for: every certificate
///   of the path valid, and no CRL of the path's issuers starting or ending its validity in
///   between ([`RevocationSource::status_window`]);
/// - the revocation source's [`RevocationSource::generation`] is the one the validation saw (a
///   [`crate::SharedCrlSet`] bumps it when CRLs are added or replaced, so a card revoked by the
///   new CRL is refused at once).
///
/// Only successes are cached; a rejection is always recomputed. Paths checked against a source
/// that tracks no generation (the trait's default) are not cached. Clones of a verifier share
/// its cache, which is sharded and bounded (CLOCK eviction) for servers verifying from many
/// threads.
#[derive(Clone)]
pub struct Verifier {
    trust: TrustStore,
    revocation: Arc<dyn RevocationSource>,
    options: VerifierOptions,
    path_cache: Option<Arc<PathCache>>,
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verifier")
            .field("anchors", &self.trust.len())
            .field("options", &self.options)
            .field("path_cache", &self.path_cache)
            .finish_non_exhaustive()
    }
}

impl Verifier {
    /// A verifier with these anchors, strict options and no revocation source (so, with the
    /// default [`RevocationPolicy::Required`], every path is rejected until one is added).
    pub fn new(trust: TrustStore) -> Self {
        Self {
            trust,
            revocation: Arc::new(NoRevocation),
            options: VerifierOptions::default(),
            path_cache: None,
        }
    }

    /// [`Verifier::new`] with the built-in J-LIS roots.
    pub fn jlis() -> Result<Self, Error> {
        Ok(Self::new(TrustStore::jlis()?))
    }

    /// Sets the revocation source.
    #[must_use]
    pub fn with_revocation(mut self, source: impl RevocationSource + 'static) -> Self {
        self.revocation = Arc::new(source);
        self.renew_path_cache();
        self
    }

    /// Sets the revocation source, shared.
    #[must_use]
    pub fn with_shared_revocation(mut self, source: Arc<dyn RevocationSource>) -> Self {
        self.revocation = source;
        self.renew_path_cache();
        self
    }

    /// Sets the options.
    #[must_use]
    pub fn with_options(mut self, options: VerifierOptions) -> Self {
        self.options = options;
        self.renew_path_cache();
        self
    }

    /// Keeps up to `capacity` validated paths of certificates seen before (see the
    /// [path cache](Verifier#path-cache)); `0` turns the cache off. Starts empty. From 64 entries
    /// on, the cache is split into 16 shards and `capacity` is rounded up to a multiple of 16.
    #[must_use]
    pub fn with_path_cache(mut self, capacity: usize) -> Self {
        self.path_cache = (capacity > 0).then(|| Arc::new(PathCache::new(capacity)));
        self
    }

    /// The path cache's counters; `None` without a cache.
    pub fn path_cache_stats(&self) -> Option<PathCacheStats> {
        self.path_cache.as_ref().map(|c| c.stats())
    }

    /// Empties the path cache (for this verifier and its clones).
    pub fn clear_path_cache(&self) {
        if let Some(c) = &self.path_cache {
            c.clear();
        }
    }

    /// The certificate of `input` (DER or PEM): with a path cache, the one it holds for exactly
    /// these DER bytes (as validated for `purpose` without intermediates), so that a card
    /// presented again is not parsed again; otherwise parsed (its SHA-256, computed for the
    /// lookup, kept for the validation's).
    pub(crate) fn certificate_for(
        &self,
        input: &[u8],
        purpose: Purpose,
    ) -> Result<Certificate, Error> {
        let Some(cache) = self.path_cache.as_deref() else {
            return Certificate::parse(input);
        };
        let key = Key::of_der(input, purpose);
        if let Some(cert) = cache.leaf(&key, input) {
            return Ok(cert);
        }
        let cert = Certificate::parse(input)?;
        if cert.der() == input {
            cert.remember_sha256(key.leaf_sha256());
        }
        Ok(cert)
    }

    /// A fresh cache of the same capacity: entries made under other settings must not answer.
    fn renew_path_cache(&mut self) {
        if let Some(c) = &self.path_cache {
            self.path_cache = Some(Arc::new(PathCache::new(c.capacity())));
        }
    }

    /// The generation cached paths must carry, `None` when paths may not be cached.
    fn cache_generation(&self) -> Option<u64> {
        match self.options.revocation {
            RevocationPolicy::Off => Some(0),
            _ => self.revocation.generation(),
        }
    }

    /// The options.
    pub fn options(&self) -> &VerifierOptions {
        &self.options
    }

    /// The trust anchors.
    pub fn trust(&self) -> &TrustStore {
        &self.trust
    }

    /// Validates `cert` for `purpose` at `at`, with no intermediates (JPKI holder certificates are
    /// issued by the roots directly).
    pub fn validate(
        &self,
        cert: &Certificate,
        purpose: Purpose,
        at: OffsetDateTime,
    ) -> Result<ValidatedPath, Rejection> {
        self.validate_with(cert, &[], purpose, at)
    }

    /// Validates `cert` for `purpose` at `at`, building the path through `intermediates` if needed.
    pub fn validate_with(
        &self,
        cert: &Certificate,
        intermediates: &[Certificate],
        purpose: Purpose,
        at: OffsetDateTime,
    ) -> Result<ValidatedPath, Rejection> {
        let cached = self
            .path_cache
            .as_deref()
            .zip(self.cache_generation())
            .map(|(cache, generation)| (cache, generation, Key::new(cert, intermediates, purpose)));
        if let Some((cache, generation, key)) = &cached
            && let Some(e) = cache.get(key, cert.der(), at, *generation)
        {
            return Ok(ValidatedPath {
                chain: Arc::clone(&e.chain),
                purpose,
                at,
                revocation: Arc::clone(&e.revocation),
            });
        }
        let (path, window) = self.validate_uncached(cert, intermediates, purpose, at)?;
        if let Some((cache, generation, key)) = cached
            && let Some(window) = window
        {
            cache.insert(
                key,
                Entry {
                    chain: Arc::clone(&path.chain),
                    revocation: Arc::clone(&path.revocation),
                    window,
                    generation,
                },
            );
        }
        Ok(path)
    }

    /// Validates without the cache; also returns the window the answer holds for (`None` when
    /// the revocation source cannot say).
    fn validate_uncached(
        &self,
        cert: &Certificate,
        intermediates: &[Certificate],
        purpose: Purpose,
        at: OffsetDateTime,
    ) -> Result<(ValidatedPath, Option<TimeWindow>), Rejection> {
        self.check_common(cert, at)?;
        if cert.is_ca() {
            return Err(Rejection::CaAsEndEntity {
                subject: cert.subject().to_owned(),
            });
        }
        check_purpose(cert, purpose)?;
        let mut chain = Vec::with_capacity(2);
        chain.push(cert.clone());
        let mut budget = Budget::new(&self.options);
        self.extend(&mut chain, intermediates, purpose, at, &mut budget)?;
        let (revocation, revocation_window) = self.check_revocation(&chain, at)?;
        let window = revocation_window.map(|w| {
            chain.iter().fold(w, |w, c| {
                w.intersect(TimeWindow::inclusive(c.not_before(), c.not_after()))
            })
        });
        Ok((
            ValidatedPath {
                chain: chain.into(),
                purpose,
                at,
                revocation: revocation.into(),
            },
            window,
        ))
    }

    /// Validates `cert` (as [`Verifier::validate`]) and then verifies a PKCS#1 v1.5 signature over
    /// `message` with its key.
    pub fn verify_message(
        &self,
        cert: &Certificate,
        purpose: Purpose,
        at: OffsetDateTime,
        hash: HashAlgorithm,
        message: &[u8],
        signature: &[u8],
    ) -> Result<ValidatedPath, Rejection> {
        let path = self.validate(cert, purpose, at)?;
        // The path's leaf is `cert`'s bytes; on a cache hit its key is already prepared.
        path.leaf().verify_message(hash, message, signature)?;
        Ok(path)
    }

    /// Validates `cert` and then verifies a PKCS#1 v1.5 signature over a pre-computed `digest`.
    pub fn verify_digest(
        &self,
        cert: &Certificate,
        purpose: Purpose,
        at: OffsetDateTime,
        hash: HashAlgorithm,
        digest: &[u8],
        signature: &[u8],
    ) -> Result<ValidatedPath, Rejection> {
        let path = self.validate(cert, purpose, at)?;
        path.leaf().verify_digest(hash, digest, signature)?;
        Ok(path)
    }

    /// Checks every certificate of a path undergoes: critical extensions, key, validity.
    fn check_common(&self, cert: &Certificate, at: OffsetDateTime) -> Result<(), Rejection> {
        if let Some(oid) = cert.unknown_critical_extensions().first() {
            return Err(Rejection::UnknownCriticalExtension {
                subject: cert.subject().to_owned(),
                oid: oid.to_string(),
            });
        }
        self.check_key(cert)?;
        if at < cert.not_before() {
            return Err(Rejection::NotYetValid {
                subject: cert.subject().to_owned(),
                not_before: cert.not_before(),
                at,
            });
        }
        if at > cert.not_after() {
            return Err(Rejection::Expired {
                subject: cert.subject().to_owned(),
                not_after: cert.not_after(),
                at,
            });
        }
        Ok(())
    }

    fn check_key(&self, cert: &Certificate) -> Result<(), Rejection> {
        match cert.public_key() {
            PublicKey::Rsa(k) if k.bits() < self.options.min_rsa_bits => {
                Err(Rejection::KeyTooSmall {
                    subject: cert.subject().to_owned(),
                    bits: k.bits(),
                    minimum: self.options.min_rsa_bits,
                })
            }
            PublicKey::Rsa(_) => Ok(()),
            PublicKey::Other(oid) => Err(Rejection::AlgorithmNotAllowed {
                subject: cert.subject().to_owned(),
                algorithm: format!("public key algorithm {oid}"),
            }),
        }
    }

    /// Extends `chain` (whose last element still needs an issuer) up to a trust anchor.
    fn extend(
        &self,
        chain: &mut Vec<Certificate>,
        intermediates: &[Certificate],
        purpose: Purpose,
        at: OffsetDateTime,
        budget: &mut Budget,
    ) -> Result<(), Rejection> {
        let max = self.options.max_path_len;
        if chain.len() >= max {
            return Err(Rejection::PathTooLong { max });
        }
        let child = chain[chain.len() - 1].clone();
        let pool = self.trust.anchors().iter().map(|a| (a, true)).chain(
            intermediates
                .iter()
                .filter(|i| !chain.contains(i))
                .map(|i| (i, false)),
        );
        let named: Vec<(&Certificate, bool)> = pool
            .clone()
            .filter(|(c, _)| c.subject_der() == child.issuer_der())
            .collect();
        let aki = child.authority_key_id_key_id();
        if named.is_empty() {
            if let Some(kid) = aki
                && let Some((signer, _)) = pool.clone().find(|(c, _)| c.key_id() == kid)
            {
                return Err(Rejection::NameChainingBroken {
                    subject: child.subject().to_owned(),
                    issuer: child.issuer().to_owned(),
                    signer: signer.subject().to_owned(),
                });
            }
            return Err(Rejection::UntrustedIssuer {
                subject: child.subject().to_owned(),
                issuer: child.issuer().to_owned(),
            });
        }
        let candidates: Vec<(&Certificate, bool)> = match aki {
            Some(kid) => named
                .into_iter()
                .filter(|(c, _)| c.key_id() == kid)
                .collect(),
            None => named,
        };
        if candidates.is_empty() {
            return Err(Rejection::AkiSkiMismatch {
                subject: child.subject().to_owned(),
                issuer: child.issuer().to_owned(),
                authority_key_id: colon_hex(aki.unwrap_or_default()),
            });
        }
        let mut first_err = None;
        for (issuer, is_anchor) in candidates {
            budget.spend_candidate()?;
            if is_anchor {
                // Before any signature work: an anchor of another purpose is never the answer.
                let trusted_for = self.trust.purposes(issuer);
                if !trusted_for.contains(&purpose) {
                    first_err.get_or_insert(Rejection::AnchorPurposeMismatch {
                        anchor: issuer.subject().to_owned(),
                        purpose,
                        anchor_purposes: trusted_for.to_vec(),
                    });
                    continue;
                }
            }
            let below = chain.len() - 1;
            match self.check_link(&child, issuer, below, at, budget) {
                Err(e) if e.is_budget() => return Err(e),
                Err(e) => {
                    first_err.get_or_insert(e);
                    continue;
                }
                Ok(()) => {}
            }
            chain.push(issuer.clone());
            if is_anchor {
                return Ok(());
            }
            match self.extend(chain, intermediates, purpose, at, budget) {
                Ok(()) => return Ok(()),
                Err(e) if e.is_budget() => return Err(e),
                Err(e) => {
                    chain.pop();
                    first_err.get_or_insert(e);
                }
            }
        }
        Err(first_err.unwrap_or(Rejection::UntrustedIssuer {
            subject: child.subject().to_owned(),
            issuer: child.issuer().to_owned(),
        }))
    }

    /// Checks that `issuer` issued `child`; `below` is the number of intermediate CAs under `issuer`.
    fn check_link(
        &self,
        child: &Certificate,
        issuer: &Certificate,
        below: usize,
        at: OffsetDateTime,
        budget: &mut Budget,
    ) -> Result<(), Rejection> {
        let alg = child.signature_algorithm();
        if child.tbs_signature_algorithm() != alg {
            return Err(Rejection::AlgorithmMismatch {
                subject: child.subject().to_owned(),
                inner: child.tbs_signature_algorithm().to_string(),
                outer: alg.to_string(),
            });
        }
        let allowed = match alg {
            SignatureAlgorithm::RsaPkcs1Sha1 => self.options.allow_sha1,
            SignatureAlgorithm::Other(_) => false,
            _ => true,
        };
        if !allowed {
            return Err(Rejection::AlgorithmNotAllowed {
                subject: child.subject().to_owned(),
                algorithm: alg.to_string(),
            });
        }
        self.check_key(issuer)?;
        budget.spend_signature()?;
        if !child.signed_by(issuer) {
            return Err(Rejection::BadSignature {
                subject: child.subject().to_owned(),
            });
        }
        if !issuer.is_ca() {
            return Err(Rejection::IssuerNotCa {
                issuer: issuer.subject().to_owned(),
                subject: child.subject().to_owned(),
            });
        }
        if !issuer.key_usage().is_some_and(|ku| ku.key_cert_sign()) {
            return Err(Rejection::IssuerWithoutKeyCertSign {
                issuer: issuer.subject().to_owned(),
                subject: child.subject().to_owned(),
            });
        }
        if let Some((_, Some(limit))) = issuer.basic_constraints()
            && below > usize::from(limit)
        {
            return Err(Rejection::PathLengthExceeded {
                issuer: issuer.subject().to_owned(),
            });
        }
        self.check_common(issuer, at)
    }

    /// The status of every non-anchor certificate, and the window over which they all hold.
    fn check_revocation(
        &self,
        chain: &[Certificate],
        at: OffsetDateTime,
    ) -> Result<(Vec<RevocationStatus>, Option<TimeWindow>), Rejection> {
        if self.options.revocation == RevocationPolicy::Off {
            return Ok((Vec::new(), Some(TimeWindow::ALWAYS)));
        }
        let mut out = Vec::with_capacity(chain.len().saturating_sub(1));
        let mut window = Some(TimeWindow::ALWAYS);
        for pair in chain.windows(2) {
            let (cert, issuer) = (&pair[0], &pair[1]);
            let mut q = RevocationQuery::new(cert, issuer, at);
            q.allow_sha1 = self.options.allow_sha1;
            let (status, holds) = self.revocation.status_window(&q);
            window = window.zip(holds).map(|(a, b)| a.intersect(b));
            match &status {
                RevocationStatus::Revoked(entry) => {
                    return Err(Rejection::Revoked {
                        subject: cert.subject().to_owned(),
                        serial: cert.serial_hex(),
                        revoked_at: entry.revoked_at,
                        reason: entry.reason,
                    });
                }
                RevocationStatus::Unknown(reason)
                    if self.options.revocation == RevocationPolicy::Required =>
                {
                    return Err(Rejection::RevocationUnknown {
                        subject: cert.subject().to_owned(),
                        reason: reason.clone(),
                    });
                }
                _ => {}
            }
            out.push(status);
        }
        Ok((out, window))
    }
}

/// The leaf's KeyUsage, ExtendedKeyUsage and policy against the purpose.
fn check_purpose(cert: &Certificate, purpose: Purpose) -> Result<(), Rejection> {
    let ku = cert.key_usage().unwrap_or_default();
    let mismatch = |required: &str| Rejection::KeyUsageMismatch {
        subject: cert.subject().to_owned(),
        purpose,
        required: required.to_owned(),
    };
    match purpose {
        Purpose::Authentication => {
            if !ku.digital_signature() {
                return Err(mismatch("KeyUsage digitalSignature"));
            }
            if let Some(eku) = cert.extended_key_usage()
                && !eku.iter().any(|o| {
                    *o == rfc5280::ID_KP_CLIENT_AUTH || *o == rfc5280::ANY_EXTENDED_KEY_USAGE
                })
            {
                return Err(mismatch("ExtendedKeyUsage clientAuth"));
            }
        }
        // JPKI and HPKI signature certificates assert nonRepudiation (contentCommitment).
        Purpose::Signature | Purpose::HpkiSignature => {
            if !ku.non_repudiation() {
                return Err(mismatch("KeyUsage nonRepudiation"));
            }
        }
        Purpose::HpkiAuthentication => {
            if !ku.digital_signature() {
                return Err(mismatch("KeyUsage digitalSignature"));
            }
        }
        // RFC 3161 §2.3: exactly one EKU, id-kp-timeStamping, and the extension critical.
        Purpose::TimeStamping => {
            if !(ku.digital_signature() || ku.non_repudiation()) && cert.key_usage().is_some() {
                return Err(mismatch("KeyUsage digitalSignature or nonRepudiation"));
            }
            match cert.extended_key_usage() {
                Some([only]) if *only == rfc5280::ID_KP_TIME_STAMPING => {}
                _ => return Err(mismatch("ExtendedKeyUsage timeStamping (and nothing else)")),
            }
            if !cert.extended_key_usage_critical() {
                return Err(mismatch("a critical ExtendedKeyUsage"));
            }
            return Ok(());
        }
        // RFC 6960 §4.2.2.2: a delegated responder carries id-kp-OCSPSigning.
        Purpose::OcspSigning => {
            if !ku.digital_signature() && cert.key_usage().is_some() {
                return Err(mismatch("KeyUsage digitalSignature"));
            }
            if !cert
                .extended_key_usage()
                .is_some_and(|eku| eku.contains(&rfc5280::ID_KP_OCSP_SIGNING))
            {
                return Err(mismatch("ExtendedKeyUsage OCSPSigning"));
            }
            return Ok(());
        }
        // A purpose this verifier has no key-usage rule for is refused, never waved through.
        _ => return Err(mismatch("a purpose this verifier knows")),
    }
    // Only the end entity's policy decides: HPKI CAs assert other policies than their holders, so
    // an RFC 5280 policy tree over the path would be empty.
    let policies = cert.policies().unwrap_or_default();
    if !policies.iter().any(|p| purpose.accepts_policy(p)) {
        return Err(Rejection::PolicyMismatch {
            subject: cert.subject().to_owned(),
            purpose,
            expected: if purpose.is_hpki() {
                format!("a policy under {}", purpose.policy())
            } else {
                purpose.policy().to_string()
            },
            found: policies.iter().map(ToString::to_string).collect(),
        });
    }
    Ok(())
}
