//! [`AuthAssertion`]: a card's answer to a server challenge, and the challenges a server issued.

use std::collections::HashMap;
use std::sync::Mutex;

use time::{Duration, OffsetDateTime};

use crate::{
    Certificate, CertificateId, Error, HashAlgorithm, Purpose, Rejection, ValidatedPath, Verifier,
};

/// What is wrong with a presented challenge.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ChallengeProblem {
    /// Never issued here (or already purged).
    Unknown,
    /// Issued, but expired at this time.
    Expired {
        /// When it expired.
        expired_at: OffsetDateTime,
    },
    /// Already used once.
    Replayed,
}

impl From<ChallengeProblem> for Rejection {
    fn from(p: ChallengeProblem) -> Self {
        match p {
            ChallengeProblem::Unknown => Rejection::ChallengeUnknown,
            ChallengeProblem::Expired { expired_at } => Rejection::ChallengeExpired { expired_at },
            ChallengeProblem::Replayed => Rejection::ChallengeReplayed,
        }
    }
}

/// Where a server keeps the challenges it issued: each valid until it expires, and good for one use.
/// Implementations must be safe to share between threads; a store shared by several service
/// instances (a database) lets a challenge issued by one be answered to another.
///
/// Stores are bounded: issuing needs no authentication, so memory (or rows) must not grow with
/// requests. Expired challenges are purged, and a full store refuses to issue
/// ([`Error::ChallengeCapacity`]) rather than grow.
pub trait ChallengeStore: Send + Sync {
    /// Makes a fresh random challenge, valid from `at` for the store's lifetime.
    fn issue(&self, at: OffsetDateTime) -> Result<Vec<u8>, Error>;

    /// Forgets challenges expired at `at`; returns how many.
    fn purge(&self, at: OffsetDateTime) -> Result<usize, Error>;

    /// Whether `challenge` could be used at `at`, without using it.
    fn check(&self, challenge: &[u8], at: OffsetDateTime) -> Result<(), ChallengeProblem>;

    /// Uses `challenge` at `at`: atomically checks it and marks it used.
    fn consume(&self, challenge: &[u8], at: OffsetDateTime) -> Result<(), ChallengeProblem>;
}

#[derive(Clone, Copy, Debug)]
struct Issued {
    expires_at: OffsetDateTime,
    used: bool,
}

/// An in-memory [`ChallengeStore`] (one server process). Used challenges are remembered until they
/// expire so a replay is told apart from an unknown challenge; [`MemoryChallengeStore::purge`]
/// forgets expired ones.
#[derive(Debug)]
pub struct MemoryChallengeStore {
    lifetime: Duration,
    capacity: usize,
    issued: Mutex<HashMap<Vec<u8>, Issued>>,
}

/// Length of the challenges [`ChallengeStore::issue`] makes.
pub const CHALLENGE_LEN: usize = 32;

/// How many live challenges a [`MemoryChallengeStore`] keeps by default.
pub const DEFAULT_CHALLENGE_CAPACITY: usize = 100_000;

/// 32 random bytes from the operating system.
pub fn random_challenge() -> Result<Vec<u8>, Error> {
    let mut challenge = vec![0u8; CHALLENGE_LEN];
    getrandom::fill(&mut challenge).map_err(|e| Error::Random(e.to_string()))?;
    Ok(challenge)
}

impl MemoryChallengeStore {
    /// A store whose challenges live for `lifetime`, holding at most
    /// [`DEFAULT_CHALLENGE_CAPACITY`] of them.
    pub fn new(lifetime: Duration) -> Self {
        Self::with_capacity(lifetime, DEFAULT_CHALLENGE_CAPACITY)
    }

    /// A store holding at most `capacity` live (unexpired) challenges.
    pub fn with_capacity(lifetime: Duration, capacity: usize) -> Self {
        Self {
            lifetime,
            capacity: capacity.max(1),
            issued: Mutex::new(HashMap::new()),
        }
    }

    /// Records a challenge made elsewhere, valid from `at` for the lifetime. When the store is full,
    /// expired challenges are purged first; if it is still full the challenge is refused.
    pub fn insert(&self, challenge: Vec<u8>, at: OffsetDateTime) -> Result<(), Error> {
        let issued = Issued {
            expires_at: at + self.lifetime,
            used: false,
        };
        let mut map = self.issued.lock().map_err(|_| Error::ChallengeCapacity {
            capacity: self.capacity,
        })?;
        if map.len() >= self.capacity {
            map.retain(|_, i| at < i.expires_at);
        }
        if map.len() >= self.capacity {
            return Err(Error::ChallengeCapacity {
                capacity: self.capacity,
            });
        }
        map.insert(challenge, issued);
        Ok(())
    }

    /// Challenges remembered (issued or used, not purged).
    pub fn len(&self) -> usize {
        self.issued.lock().map(|m| m.len()).unwrap_or(0)
    }

    /// None remembered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn judge(issued: Option<&Issued>, at: OffsetDateTime) -> Result<(), ChallengeProblem> {
        let issued = issued.ok_or(ChallengeProblem::Unknown)?;
        if issued.used {
            return Err(ChallengeProblem::Replayed);
        }
        if at >= issued.expires_at {
            return Err(ChallengeProblem::Expired {
                expired_at: issued.expires_at,
            });
        }
        Ok(())
    }
}

impl ChallengeStore for MemoryChallengeStore {
    fn issue(&self, at: OffsetDateTime) -> Result<Vec<u8>, Error> {
        let challenge = random_challenge()?;
        self.insert(challenge.clone(), at)?;
        Ok(challenge)
    }

    fn purge(&self, at: OffsetDateTime) -> Result<usize, Error> {
        let Ok(mut map) = self.issued.lock() else {
            return Ok(0);
        };
        let before = map.len();
        map.retain(|_, i| at < i.expires_at);
        Ok(before - map.len())
    }

    fn check(&self, challenge: &[u8], at: OffsetDateTime) -> Result<(), ChallengeProblem> {
        // A poisoned lock means another thread panicked mid-update: refuse rather than guess.
        let map = self.issued.lock().map_err(|_| ChallengeProblem::Unknown)?;
        Self::judge(map.get(challenge), at)
    }

    fn consume(&self, challenge: &[u8], at: OffsetDateTime) -> Result<(), ChallengeProblem> {
        let mut map = self.issued.lock().map_err(|_| ChallengeProblem::Unknown)?;
        let entry = map.get_mut(challenge);
        Self::judge(entry.as_deref(), at)?;
        if let Some(e) = entry {
            e.used = true;
        }
        Ok(())
    }
}

/// A card's proof of possession: its authentication certificate, the server's challenge, and the
/// card's PKCS#1 v1.5 signature over the challenge (the card signs the DigestInfo of its hash).
#[derive(Clone, Debug)]
pub struct AuthAssertion {
    /// The authentication certificate read from the card.
    pub certificate: Certificate,
    /// The challenge the server issued.
    pub challenge: Vec<u8>,
    /// The signature over the challenge.
    pub signature: Vec<u8>,
    /// The hash the card signed with (SHA-256 unless told otherwise).
    pub hash: HashAlgorithm,
}

impl AuthAssertion {
    /// An assertion signed over SHA-256 of the challenge.
    pub fn new(certificate: Certificate, challenge: Vec<u8>, signature: Vec<u8>) -> Self {
        Self {
            certificate,
            challenge,
            signature,
            hash: HashAlgorithm::Sha256,
        }
    }

    /// Parses the certificate (DER or PEM) and builds an assertion signed over SHA-256.
    pub fn from_parts(
        certificate: &[u8],
        challenge: &[u8],
        signature: &[u8],
    ) -> Result<Self, Error> {
        Ok(Self::new(
            Certificate::parse(certificate)?,
            challenge.to_vec(),
            signature.to_vec(),
        ))
    }

    /// Sets the hash.
    #[must_use]
    pub fn with_hash(mut self, hash: HashAlgorithm) -> Self {
        self.hash = hash;
        self
    }
}

/// A verified assertion: who it is and how we know.
#[derive(Clone, Debug)]
pub struct VerifiedAssertion {
    /// The (issuer key, serial) identity to link the person by ([`ValidatedPath::leaf_id`]).
    pub id: CertificateId,
    /// The opaque identity of the authentication certificate (its subject CN).
    pub identity: Option<String>,
    /// The validated path, with its revocation status.
    pub path: ValidatedPath,
}

impl Verifier {
    /// [`AuthAssertion::from_parts`] for this verifier: with a path cache
    /// ([`Verifier::with_path_cache`]), a certificate whose exact DER bytes were validated before
    /// is taken from the cache instead of being parsed again (looked up by SHA-256, compared byte
    /// for byte), which makes a repeat assertion cost little more than the card's signature.
    /// Other input (new cards, PEM) is parsed as [`AuthAssertion::from_parts`] does.
    pub fn assertion_from_parts(
        &self,
        certificate: &[u8],
        challenge: &[u8],
        signature: &[u8],
    ) -> Result<AuthAssertion, Error> {
        Ok(AuthAssertion::new(
            self.certificate_for(certificate, Purpose::Authentication)?,
            challenge.to_vec(),
            signature.to_vec(),
        ))
    }

    /// Verifies an authentication assertion at `at`: the challenge is one `challenges` issued, not
    /// expired and not used; the certificate's path validates for [`Purpose::Authentication`] with
    /// revocation per policy; the signature over the challenge verifies. Then the challenge is used
    /// up (atomically, so a concurrent replay fails).
    pub fn verify_assertion(
        &self,
        assertion: &AuthAssertion,
        challenges: &dyn ChallengeStore,
        at: OffsetDateTime,
    ) -> Result<VerifiedAssertion, Rejection> {
        challenges.check(&assertion.challenge, at)?;
        let path = self.validate(&assertion.certificate, Purpose::Authentication, at)?;
        // The path's leaf has the assertion certificate's bytes; after a path-cache hit it is the
        // certificate seen before, whose key is already prepared for verification.
        let leaf = path.leaf();
        leaf.verify_message(assertion.hash, &assertion.challenge, &assertion.signature)?;
        challenges.consume(&assertion.challenge, at)?;
        Ok(VerifiedAssertion {
            id: path.leaf_id(),
            identity: leaf.subject_common_name(),
            path,
        })
    }
}
