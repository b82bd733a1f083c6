//! [`RelyingParty`]: issues nonces and verifies [`BoundAssertion`]s against what it expects.

use std::sync::Arc;

use kazasu_pki::{
    AuthAssertion, Certificate, CertificateId, ChallengeStore, HashAlgorithm, Purpose,
    ValidatedPath, Verifier,
};
use time::{Duration, OffsetDateTime};

use crate::error::AuthError;
use crate::message::{AssertionPurpose, BoundMessage, MAX_ORIGIN_LEN, MAX_RP_ID_LEN};

/// A card's bound assertion: its authentication certificate, the v1 message bytes
/// ([`BoundMessage::encode`]) and the card's PKCS#1 v1.5 signature over their SHA-256 DigestInfo.
#[derive(Clone, Debug)]
pub struct BoundAssertion {
    /// The authentication certificate read from the card.
    pub certificate: Certificate,
    /// The signed message bytes, exactly as signed.
    pub message: Vec<u8>,
    /// The signature.
    pub signature: Vec<u8>,
}

impl BoundAssertion {
    /// An assertion from its parts.
    pub fn new(certificate: Certificate, message: Vec<u8>, signature: Vec<u8>) -> Self {
        Self {
            certificate,
            message,
            signature,
        }
    }
}

/// What a client presented: a bound assertion, or (only where a relying party opted in with
/// [`RelyingParty::accept_legacy`]) the old form, a signature over a bare challenge.
#[derive(Clone, Debug)]
pub enum Presented {
    /// A v1 bound assertion.
    Bound(BoundAssertion),
    /// The old form: the card signed the relying party's challenge and nothing else, so nothing
    /// says for which service, origin or purpose.
    Legacy(AuthAssertion),
}

/// What a verified assertion proves.
#[derive(Clone, Debug)]
pub struct Verified {
    /// The authentication certificate's (issuer key, serial) identity.
    pub id: CertificateId,
    /// The certificate's opaque identity (its subject CN).
    pub identity: Option<String>,
    /// The validated path with its revocation status.
    pub path: ValidatedPath,
    /// The message that was verified; `None` for the old bare-challenge form.
    pub message: Option<BoundMessage>,
}

/// Whether the old bare-challenge form is read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum LegacyForm {
    /// Refused with [`AuthError::LegacyRefused`] (the default).
    #[default]
    Refuse,
    /// Accepted for any purpose, with the checks of [`Verifier::verify_assertion`] (challenge
    /// issued here, unexpired, unused; path; signature). Only for a migration period: such an
    /// assertion can be relayed between services that share the challenge format.
    Accept,
}

/// A relying party: its id, the origins it serves, the verifier and nonce store it uses, and how
/// old an assertion may be.
///
/// [`RelyingParty::verify`] refuses, each with its own [`AuthError`]: bytes that are not a v1
/// message; another relying-party id or an origin not served (relays); another purpose; an issue
/// time older than the maximum age or later than the clock skew allows; a nonce not issued here,
/// expired or used; a certificate whose path does not validate for authentication at that time
/// (revocation per the verifier's policy); a bad signature. The nonce is used up last, atomically,
/// so a concurrent replay fails and a refused assertion does not burn it.
#[derive(Clone)]
pub struct RelyingParty {
    id: String,
    origins: Vec<String>,
    verifier: Verifier,
    nonces: Arc<dyn ChallengeStore>,
    max_age: Duration,
    skew: Duration,
    legacy: LegacyForm,
}

impl std::fmt::Debug for RelyingParty {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RelyingParty")
            .field("id", &self.id)
            .field("origins", &self.origins)
            .field("max_age", &self.max_age)
            .field("skew", &self.skew)
            .field("legacy", &self.legacy)
            .finish_non_exhaustive()
    }
}

/// Default maximum age of an assertion: 5 minutes.
pub const DEFAULT_MAX_AGE: Duration = Duration::minutes(5);
/// Default clock skew allowed for issue times in the future: 30 seconds.
pub const DEFAULT_SKEW: Duration = Duration::seconds(30);

impl RelyingParty {
    /// A relying party `id` serving `origins`, verifying certificates with `verifier` and nonces
    /// with `nonces`; maximum age [`DEFAULT_MAX_AGE`], skew [`DEFAULT_SKEW`], the old form refused.
    pub fn new(
        id: &str,
        origins: &[&str],
        verifier: Verifier,
        nonces: Arc<dyn ChallengeStore>,
    ) -> Result<Self, AuthError> {
        let printable = |s: &str, max: usize| {
            !s.is_empty() && s.len() <= max && s.bytes().all(|b| (0x21..=0x7e).contains(&b))
        };
        if !printable(id, MAX_RP_ID_LEN) {
            return Err(AuthError::Invalid {
                field: "relying-party id",
                reason: "1 to 253 bytes of printable ASCII without space".into(),
            });
        }
        if origins.is_empty() || !origins.iter().all(|o| printable(o, MAX_ORIGIN_LEN)) {
            return Err(AuthError::Invalid {
                field: "origins",
                reason: "at least one, each 1 to 1024 bytes of printable ASCII without space"
                    .into(),
            });
        }
        Ok(Self {
            id: id.to_owned(),
            origins: origins.iter().map(|o| (*o).to_owned()).collect(),
            verifier,
            nonces,
            max_age: DEFAULT_MAX_AGE,
            skew: DEFAULT_SKEW,
            legacy: LegacyForm::Refuse,
        })
    }

    /// Sets the maximum age of an assertion.
    #[must_use]
    pub fn with_max_age(mut self, max_age: Duration) -> Self {
        self.max_age = max_age;
        self
    }

    /// Sets the clock skew allowed for issue times in the future.
    #[must_use]
    pub fn with_skew(mut self, skew: Duration) -> Self {
        self.skew = skew;
        self
    }

    /// Reads the old bare-challenge form ([`LegacyForm::Accept`]) or refuses it.
    #[must_use]
    pub fn accept_legacy(mut self, legacy: LegacyForm) -> Self {
        self.legacy = legacy;
        self
    }

    /// Replaces the nonce store (e.g. by one shared between instances).
    #[must_use]
    pub fn with_nonces(mut self, nonces: Arc<dyn ChallengeStore>) -> Self {
        self.nonces = nonces;
        self
    }

    /// Replaces the verifier (an offline gate swaps in its CRL snapshot).
    #[must_use]
    pub fn with_verifier(mut self, verifier: Verifier) -> Self {
        self.verifier = verifier;
        self
    }

    /// The relying-party id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The origins served; the first is the canonical one.
    pub fn origins(&self) -> &[String] {
        &self.origins
    }

    /// The certificate verifier.
    pub fn verifier(&self) -> &Verifier {
        &self.verifier
    }

    /// A fresh single-use nonce for a client to put into its message.
    pub fn issue_nonce(&self, at: OffsetDateTime) -> Result<Vec<u8>, AuthError> {
        Ok(self.nonces.issue(at)?)
    }

    /// Verifies what a client presented for `purpose` at `at`.
    pub fn verify(
        &self,
        presented: &Presented,
        purpose: AssertionPurpose,
        at: OffsetDateTime,
    ) -> Result<Verified, AuthError> {
        match presented {
            Presented::Bound(a) => self.verify_bound(a, purpose, at),
            Presented::Legacy(a) => match self.legacy {
                LegacyForm::Refuse => Err(AuthError::LegacyRefused),
                LegacyForm::Accept => {
                    let v = self
                        .verifier
                        .verify_assertion(a, self.nonces.as_ref(), at)?;
                    Ok(Verified {
                        id: v.id,
                        identity: v.identity,
                        path: v.path,
                        message: None,
                    })
                }
            },
        }
    }

    /// Verifies a bound assertion for `purpose` at `at` (see the type's documentation).
    pub fn verify_bound(
        &self,
        assertion: &BoundAssertion,
        purpose: AssertionPurpose,
        at: OffsetDateTime,
    ) -> Result<Verified, AuthError> {
        self.verify_bound_with_path_at(assertion, purpose, at, at)
    }

    /// [`RelyingParty::verify_bound`], with the certificate path validated at `path_at` instead of
    /// `at` (the message, its issue time and the nonce are still judged at `at`). For rules that
    /// look at a certificate as it was at an earlier time — e.g. a grace period after expiry, where
    /// the path must have held on the certificate's last valid second.
    pub fn verify_bound_with_path_at(
        &self,
        assertion: &BoundAssertion,
        purpose: AssertionPurpose,
        at: OffsetDateTime,
        path_at: OffsetDateTime,
    ) -> Result<Verified, AuthError> {
        let message = self.check_message(&assertion.message, purpose, at)?;
        self.nonces.check(message.nonce(), at)?;
        let path =
            self.verifier
                .validate(&assertion.certificate, Purpose::Authentication, path_at)?;
        assertion.certificate.verify_message(
            HashAlgorithm::Sha256,
            &assertion.message,
            &assertion.signature,
        )?;
        self.nonces.consume(message.nonce(), at)?;
        Ok(Verified {
            id: path.leaf_id(),
            identity: assertion.certificate.subject_common_name(),
            path,
            message: Some(message),
        })
    }

    /// Parses `bytes` and checks every field but the nonce against this relying party, `purpose`
    /// and `at`.
    pub fn check_message(
        &self,
        bytes: &[u8],
        purpose: AssertionPurpose,
        at: OffsetDateTime,
    ) -> Result<BoundMessage, AuthError> {
        let message = BoundMessage::parse(bytes)?;
        if message.rp_id() != self.id {
            return Err(AuthError::WrongRelyingParty {
                expected: self.id.clone(),
                found: message.rp_id().to_owned(),
            });
        }
        if !self.origins.iter().any(|o| o == message.origin()) {
            return Err(AuthError::WrongOrigin {
                found: message.origin().to_owned(),
            });
        }
        if message.purpose() != purpose {
            return Err(AuthError::WrongPurpose {
                expected: purpose,
                found: message.purpose(),
            });
        }
        let now = at.unix_timestamp();
        let oldest = now.saturating_sub(self.max_age.whole_seconds());
        let latest = now.saturating_add(self.skew.whole_seconds());
        let issued_at = message.issued_at_unix();
        if issued_at < oldest {
            return Err(AuthError::Stale { issued_at, oldest });
        }
        if issued_at > latest {
            return Err(AuthError::FromTheFuture { issued_at, latest });
        }
        Ok(message)
    }
}
