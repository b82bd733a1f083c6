//! [`Rejection`]: why a certificate, a path, a signature or an assertion is not trusted.

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::crl::RevocationReason;
use crate::{HashAlgorithm, Purpose};

/// RFC 3339 for messages.
pub(crate) fn rfc3339(t: &OffsetDateTime) -> String {
    t.format(&Rfc3339)
        .unwrap_or_else(|_| t.unix_timestamp().to_string())
}

/// Why the revocation status of a certificate could not be established.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UnknownReason {
    /// No revocation source was configured.
    #[error("no revocation source is configured")]
    NoSource,
    /// No CRL names the certificate's issuer.
    #[error("no CRL from this issuer")]
    NoCrlForIssuer,
    /// CRLs carry the issuer's name but another key identifier: they belong to another CA generation.
    #[error("the CRLs with this issuer's name are from another CA key (another generation)")]
    CrlNotApplicable,
    /// The CRL's signature does not verify with the issuer's key.
    #[error("the CRL's signature does not verify with the issuer's key")]
    CrlBadSignature,
    /// The CRL is signed with an algorithm the policy does not allow.
    #[error("the CRL is signed with {0}, which the policy does not allow")]
    CrlAlgorithmNotAllowed(String),
    /// The issuer's certificate lacks the cRLSign key usage.
    #[error("the issuer's certificate does not allow cRLSign")]
    CrlIssuerNotAuthorized,
    /// The CRL's nextUpdate has passed.
    #[error("the CRL expired at {}", rfc3339(.next_update))]
    CrlExpired {
        /// nextUpdate.
        next_update: OffsetDateTime,
    },
    /// The CRL's thisUpdate is in the future.
    #[error("the CRL is not valid before {}", rfc3339(.this_update))]
    CrlNotYetValid {
        /// thisUpdate.
        this_update: OffsetDateTime,
    },
    /// The CRL's issuingDistributionPoint scope does not cover the certificate (another
    /// distribution point, only user or only CA certificates, only some reasons, an indirect CRL):
    /// it is no evidence either way.
    #[error("the CRL's scope does not cover the certificate: {0}")]
    CrlOutOfScope(String),
    /// The CRL has a critical extension this crate does not process (e.g. delta CRL indicator).
    #[error("the CRL has an unsupported critical extension {0}")]
    CrlUnsupportedCriticalExtension(String),
    /// The CRL has no nextUpdate: nothing says when it stops being current, so it is not used.
    #[error("the CRL has no nextUpdate, so its freshness cannot be judged")]
    CrlWithoutNextUpdate,
    /// An entry of the CRL has a critical extension this crate does not process (e.g.
    /// certificateIssuer of an indirect CRL). RFC 5280 §5.3: such a CRL must not be used to
    /// decide any certificate's status — a certificate it lists is still reported revoked.
    #[error("an entry of the CRL (serial {serial}) has an unsupported critical extension {oid}")]
    CrlUnsupportedCriticalEntryExtension {
        /// The serial of the entry, lower-case hex.
        serial: String,
        /// The extension OID.
        oid: String,
    },
    /// No OCSP response for the certificate: none of the responses at hand is about it, or there
    /// is no responder to ask (no URL given and no OCSP URI in the certificate).
    #[error("no OCSP response for this certificate: {0}")]
    NoOcspResponse(String),
    /// An OCSP response about the certificate was refused (bad signature, unauthorised responder,
    /// wrong nonce, stale…); the reason from the OCSP verifier.
    #[error("the OCSP response is not acceptable: {0}")]
    OcspInvalid(String),
    /// The OCSP responder answered `unknown`: it does not know the certificate.
    #[error("the OCSP responder does not know the certificate")]
    OcspUnknownCertificate,
    /// A revocation source failed (e.g. a database); text from the source.
    #[error("the revocation source failed: {0}")]
    SourceFailed(String),
}

/// Why a certificate, path, signature or assertion is rejected. Every check fails closed with one
/// of these; `Display` gives an English reason and [`Rejection::code`] a stable machine-readable one.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Rejection {
    /// A certificate's signature does not verify with its issuer's key.
    #[error("bad signature: the signature on \"{subject}\" does not verify with its issuer's key")]
    BadSignature {
        /// Subject of the certificate whose signature failed.
        subject: String,
    },
    /// A signature or key algorithm the policy does not allow (SHA-1, non-RSA keys, unknown OIDs).
    #[error("algorithm not allowed: \"{subject}\" uses {algorithm}")]
    AlgorithmNotAllowed {
        /// Subject of the certificate (or CRL issuer).
        subject: String,
        /// The algorithm.
        algorithm: String,
    },
    /// An RSA key smaller than the policy's minimum.
    #[error(
        "algorithm not allowed: \"{subject}\" has an RSA-{bits} key; at least {minimum} bits are required"
    )]
    KeyTooSmall {
        /// Subject of the certificate.
        subject: String,
        /// Its modulus size.
        bits: usize,
        /// The policy minimum.
        minimum: usize,
    },
    /// The signature algorithm inside the signed part differs from the outer one.
    #[error(
        "algorithm mismatch: \"{subject}\" names {inner} inside and {outer} outside the signed part"
    )]
    AlgorithmMismatch {
        /// Subject of the certificate.
        subject: String,
        /// tbsCertificate.signature.
        inner: String,
        /// Certificate.signatureAlgorithm.
        outer: String,
    },
    /// A certificate of the path is not valid yet at the verification time.
    #[error("not yet valid: \"{subject}\" is valid from {} (verification time {})", rfc3339(.not_before), rfc3339(.at))]
    NotYetValid {
        /// Subject of the certificate.
        subject: String,
        /// Its notBefore.
        not_before: OffsetDateTime,
        /// The verification time.
        at: OffsetDateTime,
    },
    /// A certificate of the path has expired at the verification time.
    #[error("expired: \"{subject}\" was valid until {} (verification time {})", rfc3339(.not_after), rfc3339(.at))]
    Expired {
        /// Subject of the certificate.
        subject: String,
        /// Its notAfter.
        not_after: OffsetDateTime,
        /// The verification time.
        at: OffsetDateTime,
    },
    /// A certificate that issued another is not a CA (BasicConstraints absent or CA:FALSE).
    #[error("issuer not a CA: \"{issuer}\" signed \"{subject}\" but is not a CA certificate")]
    IssuerNotCa {
        /// The issuing certificate's subject.
        issuer: String,
        /// The issued certificate's subject.
        subject: String,
    },
    /// A CA certificate (BasicConstraints CA:TRUE) presented as the end-entity certificate.
    #[error("CA certificate as end entity: \"{subject}\" is a CA certificate, not a holder's")]
    CaAsEndEntity {
        /// Subject of the certificate.
        subject: String,
    },
    /// The path ends in a trust anchor that is not trusted for the purpose (e.g. a signature
    /// certificate chaining to the J-LIS authentication root).
    #[error("anchor not trusted for {purpose}: \"{anchor}\" is trusted for {}", if .anchor_purposes.is_empty() { "no purpose".to_owned() } else { .anchor_purposes.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ") })]
    AnchorPurposeMismatch {
        /// Subject of the anchor.
        anchor: String,
        /// The purpose asked for.
        purpose: Purpose,
        /// The purposes the anchor is trusted for.
        anchor_purposes: Vec<Purpose>,
    },
    /// Path building verified more signatures than [`crate::VerifierOptions::max_signature_checks`]
    /// allows (many same-name, same-key-id issuers; a crafted set of intermediates).
    #[error("path building gave up after {limit} signature checks")]
    SignatureBudgetExceeded {
        /// The limit.
        limit: usize,
    },
    /// Path building tried more candidate issuers than
    /// [`crate::VerifierOptions::max_issuer_candidates`] allows.
    #[error("path building gave up after trying {limit} candidate issuers")]
    IssuerCandidateBudgetExceeded {
        /// The limit.
        limit: usize,
    },
    /// A CA certificate that issued another does not assert keyCertSign.
    #[error(
        "issuer without keyCertSign: \"{issuer}\" signed \"{subject}\" but its KeyUsage lacks keyCertSign"
    )]
    IssuerWithoutKeyCertSign {
        /// The issuing certificate's subject.
        issuer: String,
        /// The issued certificate's subject.
        subject: String,
    },
    /// A CA's pathLenConstraint is exceeded.
    #[error("path length constraint of \"{issuer}\" exceeded")]
    PathLengthExceeded {
        /// The constraining CA.
        issuer: String,
    },
    /// The path would be longer than the policy allows (or loops).
    #[error("no path within {max} certificates")]
    PathTooLong {
        /// The limit.
        max: usize,
    },
    /// The certificate's KeyUsage (or ExtendedKeyUsage) does not allow the purpose.
    #[error(
        "key usage does not match the purpose: \"{subject}\" is used for {purpose}, which needs {required}"
    )]
    KeyUsageMismatch {
        /// Subject of the certificate.
        subject: String,
        /// The purpose asked for.
        purpose: Purpose,
        /// What the purpose needs.
        required: String,
    },
    /// The certificate does not carry the policy OID of the purpose.
    #[error("policy does not match the purpose: {purpose} needs policy {expected}; \"{subject}\" has {}", if .found.is_empty() { "no certificate policies".to_owned() } else { .found.join(", ") })]
    PolicyMismatch {
        /// Subject of the certificate.
        subject: String,
        /// The purpose asked for.
        purpose: Purpose,
        /// The policy OID the purpose needs (for HPKI: `a policy under 1.2.392.100495.1.5`).
        expected: String,
        /// The policies present (empty when the extension is absent).
        found: Vec<String>,
    },
    /// A critical extension this crate does not process.
    #[error("unknown critical extension {oid} in \"{subject}\"")]
    UnknownCriticalExtension {
        /// Subject of the certificate.
        subject: String,
        /// The extension OID.
        oid: String,
    },
    /// The AuthorityKeyIdentifier names a key no CA of that name has.
    #[error(
        "AKI/SKI mismatch: \"{subject}\" names issuer key {authority_key_id}, which no certificate named \"{issuer}\" has"
    )]
    AkiSkiMismatch {
        /// Subject of the certificate.
        subject: String,
        /// Its issuer name.
        issuer: String,
        /// The AKI keyIdentifier, colon hex.
        authority_key_id: String,
    },
    /// The issuer name does not equal the subject name of the CA whose key the certificate names.
    #[error(
        "name chaining broken: \"{subject}\" names issuer \"{issuer}\" but its issuer key belongs to \"{signer}\""
    )]
    NameChainingBroken {
        /// Subject of the certificate.
        subject: String,
        /// The issuer name it carries.
        issuer: String,
        /// The subject of the CA whose key identifier matches.
        signer: String,
    },
    /// No trust anchor (or intermediate leading to one) issued the certificate.
    #[error(
        "untrusted issuer: \"{issuer}\" (issuer of \"{subject}\") is not a trust anchor and no given certificate leads to one"
    )]
    UntrustedIssuer {
        /// Subject of the certificate.
        subject: String,
        /// The issuer name it carries.
        issuer: String,
    },
    /// The certificate is revoked.
    #[error("revoked: \"{subject}\" (serial {serial}) was revoked at {}{}", rfc3339(.revoked_at), .reason.map(|r| format!(", reason {r}")).unwrap_or_default())]
    Revoked {
        /// Subject of the certificate.
        subject: String,
        /// Its serial, hex.
        serial: String,
        /// revocationDate.
        revoked_at: OffsetDateTime,
        /// reasonCode, if the entry has one.
        reason: Option<RevocationReason>,
    },
    /// Revocation status is required but could not be established.
    #[error("revocation status unknown for \"{subject}\": {reason}")]
    RevocationUnknown {
        /// Subject of the certificate.
        subject: String,
        /// Why.
        reason: UnknownReason,
    },
    /// The signature over the message, digest or challenge does not verify with the certificate's key.
    #[error("the signature does not verify with the certificate's key")]
    MessageSignatureInvalid,
    /// A digest of the wrong length for its hash.
    #[error("a {hash} digest is {expected} bytes, not {found}")]
    DigestLengthMismatch {
        /// The hash.
        hash: HashAlgorithm,
        /// Its length.
        expected: usize,
        /// The length given.
        found: usize,
    },
    /// The challenge was not issued by this server (or has been purged).
    #[error("the challenge was not issued here")]
    ChallengeUnknown,
    /// The challenge was issued but has expired.
    #[error("the challenge expired at {}", rfc3339(.expired_at))]
    ChallengeExpired {
        /// When it expired.
        expired_at: OffsetDateTime,
    },
    /// The challenge has already been used (a replayed assertion).
    #[error("the challenge has already been used (replay)")]
    ChallengeReplayed,
}

impl Rejection {
    /// A stable snake_case code for machines (`bad_signature`, `expired`, `revoked`, …).
    pub fn code(&self) -> &'static str {
        match self {
            Rejection::BadSignature { .. } => "bad_signature",
            Rejection::AlgorithmNotAllowed { .. } => "algorithm_not_allowed",
            Rejection::KeyTooSmall { .. } => "key_too_small",
            Rejection::AlgorithmMismatch { .. } => "algorithm_mismatch",
            Rejection::NotYetValid { .. } => "not_yet_valid",
            Rejection::Expired { .. } => "expired",
            Rejection::IssuerNotCa { .. } => "issuer_not_ca",
            Rejection::IssuerWithoutKeyCertSign { .. } => "issuer_without_key_cert_sign",
            Rejection::CaAsEndEntity { .. } => "ca_as_end_entity",
            Rejection::AnchorPurposeMismatch { .. } => "anchor_purpose_mismatch",
            Rejection::SignatureBudgetExceeded { .. } => "signature_budget_exceeded",
            Rejection::IssuerCandidateBudgetExceeded { .. } => "issuer_candidate_budget_exceeded",
            Rejection::PathLengthExceeded { .. } => "path_length_exceeded",
            Rejection::PathTooLong { .. } => "path_too_long",
            Rejection::KeyUsageMismatch { .. } => "key_usage_mismatch",
            Rejection::PolicyMismatch { .. } => "policy_mismatch",
            Rejection::UnknownCriticalExtension { .. } => "unknown_critical_extension",
            Rejection::AkiSkiMismatch { .. } => "aki_ski_mismatch",
            Rejection::NameChainingBroken { .. } => "name_chaining_broken",
            Rejection::UntrustedIssuer { .. } => "untrusted_issuer",
            Rejection::Revoked { .. } => "revoked",
            Rejection::RevocationUnknown { .. } => "revocation_unknown",
            Rejection::MessageSignatureInvalid => "message_signature_invalid",
            Rejection::DigestLengthMismatch { .. } => "digest_length_mismatch",
            Rejection::ChallengeUnknown => "challenge_unknown",
            Rejection::ChallengeExpired { .. } => "challenge_expired",
            Rejection::ChallengeReplayed => "challenge_replayed",
        }
    }

    /// Whether this rejection ends path building at once (a budget ran out) rather than ruling
    /// out one candidate issuer.
    pub(crate) fn is_budget(&self) -> bool {
        matches!(
            self,
            Rejection::SignatureBudgetExceeded { .. }
                | Rejection::IssuerCandidateBudgetExceeded { .. }
        )
    }
}
