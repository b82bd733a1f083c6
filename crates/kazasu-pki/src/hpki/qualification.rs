//! [`HpkiVerifier::verify_qualification`]: is this an HPKI holder certificate, trusted now, not
//! revoked, stating one of the roles required?

use time::OffsetDateTime;

use crate::crl::RevocationReason;
use crate::rejection::{UnknownReason, rfc3339};
use crate::revocation::RevocationSource;
use crate::{
    Certificate, CertificateKind, Error, HcRole, Purpose, Rejection, RevocationStatus, TrustStore,
    ValidatedPath, Verifier, VerifierOptions, oids,
};

/// Why a certificate does not prove a healthcare qualification. [`QualificationRejection::code`]
/// names each one.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum QualificationRejection {
    /// Not an HPKI holder certificate: a CA, a JPKI certificate, or one with neither an HPKI
    /// policy nor an hcRole.
    #[error("not an HPKI holder certificate: \"{subject}\" {reason}")]
    NotHpki {
        /// Subject of the certificate.
        subject: String,
        /// Why.
        reason: String,
    },
    /// The certificate states an hcRole but carries no certificate policy under
    /// `1.2.392.100495.1.5`.
    #[error("no HPKI certificate policy (under 1.2.392.100495.1.5) in \"{subject}\"; it has {}", if .found.is_empty() { "none".to_owned() } else { .found.join(", ") })]
    PolicyMissing {
        /// Subject of the certificate.
        subject: String,
        /// The policies present.
        found: Vec<String>,
    },
    /// The path does not lead to an HPKI trust anchor (unknown issuer, an anchor of another
    /// PKI, a bad signature, an issuer that may not issue certificates…).
    #[error("untrusted: {0}")]
    Untrusted(Rejection),
    /// A certificate of the path (`subject`) has expired.
    #[error("\"{subject}\" expired at {}", rfc3339(.not_after))]
    Expired {
        /// Which certificate.
        subject: String,
        /// Its notAfter.
        not_after: OffsetDateTime,
        /// The verification time.
        at: OffsetDateTime,
    },
    /// A certificate of the path (`subject`) is not valid yet.
    #[error("\"{subject}\" is not valid before {}", rfc3339(.not_before))]
    NotYetValid {
        /// Which certificate.
        subject: String,
        /// Its notBefore.
        not_before: OffsetDateTime,
        /// The verification time.
        at: OffsetDateTime,
    },
    /// A certificate of the path (the holder's, or a CA's by the root's ARL) is revoked.
    #[error("\"{subject}\" (serial {serial}) was revoked at {}", rfc3339(.revoked_at))]
    Revoked {
        /// Which certificate.
        subject: String,
        /// Its serial, lower-case hex.
        serial: String,
        /// revocationDate.
        revoked_at: OffsetDateTime,
        /// reasonCode, if given.
        reason: Option<RevocationReason>,
    },
    /// The revocation status of a certificate of the path could not be established.
    #[error("revocation status of \"{subject}\" unknown: {reason}")]
    RevocationUnknown {
        /// Which certificate.
        subject: String,
        /// Why.
        reason: UnknownReason,
    },
    /// The hcRole attribute is malformed.
    #[error("\"{subject}\": {error}")]
    RoleMalformed {
        /// Subject of the certificate.
        subject: String,
        /// The parse error.
        error: Error,
    },
    /// The certificate states no hcRole.
    #[error("\"{subject}\" states no hcRole")]
    RoleMissing {
        /// Subject of the certificate.
        subject: String,
    },
    /// The certificate's roles are none of those required.
    #[error("\"{subject}\" is {} and the roles allowed are {}", join(.roles), join(.allowed))]
    RoleNotAllowed {
        /// Subject of the certificate.
        subject: String,
        /// The roles it states.
        roles: Vec<HcRole>,
        /// The roles required (any one).
        allowed: Vec<HcRole>,
    },
    /// Any other path validation failure (key usage, key size, unknown critical extension…).
    #[error("{0}")]
    Invalid(Rejection),
}

fn join(roles: &[HcRole]) -> String {
    roles
        .iter()
        .map(HcRole::as_str)
        .collect::<Vec<_>>()
        .join(", ")
}

impl QualificationRejection {
    /// A stable snake_case code: `not_hpki`, `policy_missing`, `untrusted`, `expired`,
    /// `not_yet_valid`, `revoked`, `revocation_unknown`, `role_malformed`, `role_missing`,
    /// `role_not_allowed`, or for [`QualificationRejection::Invalid`] the path rejection's code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotHpki { .. } => "not_hpki",
            Self::PolicyMissing { .. } => "policy_missing",
            Self::Untrusted(_) => "untrusted",
            Self::Expired { .. } => "expired",
            Self::NotYetValid { .. } => "not_yet_valid",
            Self::Revoked { .. } => "revoked",
            Self::RevocationUnknown { .. } => "revocation_unknown",
            Self::RoleMalformed { .. } => "role_malformed",
            Self::RoleMissing { .. } => "role_missing",
            Self::RoleNotAllowed { .. } => "role_not_allowed",
            Self::Invalid(r) => r.code(),
        }
    }
}

impl From<Rejection> for QualificationRejection {
    fn from(r: Rejection) -> Self {
        match r {
            Rejection::Expired {
                subject,
                not_after,
                at,
            } => Self::Expired {
                subject,
                not_after,
                at,
            },
            Rejection::NotYetValid {
                subject,
                not_before,
                at,
            } => Self::NotYetValid {
                subject,
                not_before,
                at,
            },
            Rejection::Revoked {
                subject,
                serial,
                revoked_at,
                reason,
            } => Self::Revoked {
                subject,
                serial,
                revoked_at,
                reason,
            },
            Rejection::RevocationUnknown { subject, reason } => {
                Self::RevocationUnknown { subject, reason }
            }
            Rejection::PolicyMismatch { subject, found, .. } => {
                Self::PolicyMissing { subject, found }
            }
            r @ (Rejection::UntrustedIssuer { .. }
            | Rejection::AnchorPurposeMismatch { .. }
            | Rejection::NameChainingBroken { .. }
            | Rejection::AkiSkiMismatch { .. }
            | Rejection::BadSignature { .. }
            | Rejection::IssuerNotCa { .. }
            | Rejection::IssuerWithoutKeyCertSign { .. }
            | Rejection::PathLengthExceeded { .. }
            | Rejection::PathTooLong { .. }) => Self::Untrusted(r),
            r => Self::Invalid(r),
        }
    }
}

/// A qualification that verified.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Qualification {
    /// Every role the certificate states, in order.
    pub roles: Vec<HcRole>,
    /// The stated roles that are among those required (all roles when none were required).
    pub matched_roles: Vec<HcRole>,
    /// The holder's name, romanized (subject CN).
    pub name_romanized: Option<String>,
    /// The holder's name in kanji (CN of the subjectAltName directoryName).
    pub name_kanji: Option<String>,
    /// The HPKI ID (subject serialNumber), when present.
    pub hpki_id: Option<String>,
    /// The issuing CA (RFC 4514 subject of the holder certificate's issuer).
    pub issuing_ca: String,
    /// The trust anchor the path ends in.
    pub anchor: String,
    /// [`Purpose::HpkiSignature`] (nonRepudiation) or [`Purpose::HpkiAuthentication`].
    pub purpose: Purpose,
    /// The validated path; its [`ValidatedPath::revocation`] is the evidence, holder first, then
    /// each CA (by the root's ARL).
    pub path: ValidatedPath,
}

impl Qualification {
    /// The revocation evidence, holder first.
    pub fn revocation(&self) -> &[RevocationStatus] {
        self.path.revocation()
    }
}

/// Verifies HPKI qualifications: by default to the MHLW HPKI Root CA V2, with the shipped MEDIS
/// and JMA CAs as known intermediates, revocation required (so a revocation source must be set:
/// the CA's CRL for the holder and the root's ARL for the CA).
#[derive(Clone, Debug)]
pub struct HpkiVerifier {
    verifier: Verifier,
    known_intermediates: Vec<Certificate>,
}

impl HpkiVerifier {
    /// The shipped HPKI anchor and known intermediates, strict options, no revocation source yet.
    pub fn new() -> Result<Self, Error> {
        Ok(Self {
            verifier: Verifier::new(TrustStore::hpki()?),
            known_intermediates: crate::hpki_intermediates()?,
        })
    }

    /// Another set of anchors (e.g. a test PKI's root, trusted with
    /// [`TrustStore::add_for`]`(root, Purpose::HPKI)`), no known intermediates.
    pub fn with_trust(trust: TrustStore) -> Self {
        Self {
            verifier: Verifier::new(trust),
            known_intermediates: Vec::new(),
        }
    }

    /// Sets the revocation source.
    #[must_use]
    pub fn with_revocation(mut self, source: impl RevocationSource + 'static) -> Self {
        self.verifier = self.verifier.with_revocation(source);
        self
    }

    /// Sets the path validation options.
    #[must_use]
    pub fn with_options(mut self, options: VerifierOptions) -> Self {
        self.verifier = self.verifier.with_options(options);
        self
    }

    /// Adds known intermediates, tried after those passed to each verification.
    #[must_use]
    pub fn with_intermediates(mut self, cas: impl IntoIterator<Item = Certificate>) -> Self {
        self.known_intermediates.extend(cas);
        self
    }

    /// The underlying path verifier.
    pub fn verifier(&self) -> &Verifier {
        &self.verifier
    }

    /// Whether `cert` proves one of `required_roles` (any role when empty) at `at`.
    ///
    /// In order: the certificate is an HPKI holder certificate (not a CA, not JPKI, an HPKI policy
    /// or an hcRole present); its hcRole decodes; it has a policy under `1.2.392.100495.1.5` (only
    /// the holder's policy decides: HPKI CAs assert others); the path to an anchor trusted for the
    /// HPKI purpose its key usage gives (nonRepudiation: signature, else authentication) validates
    /// at `at`, every certificate of it within validity and not revoked (the CA's CRL for the
    /// holder, the root's ARL for the CA); it states a role, and one that is required.
    pub fn verify_qualification(
        &self,
        cert: &Certificate,
        intermediates: &[Certificate],
        at: OffsetDateTime,
        required_roles: &[HcRole],
    ) -> Result<Qualification, QualificationRejection> {
        let subject = || cert.subject().to_owned();
        let not_hpki = |reason: &str| QualificationRejection::NotHpki {
            subject: subject(),
            reason: reason.to_owned(),
        };
        match cert.kind() {
            CertificateKind::JpkiAuthentication | CertificateKind::JpkiSignature => {
                return Err(not_hpki("is a JPKI certificate"));
            }
            _ if cert.is_ca() => return Err(not_hpki("is a CA certificate")),
            _ => {}
        }
        let actors = cert
            .hc_actors()
            .map_err(|error| QualificationRejection::RoleMalformed {
                subject: subject(),
                error,
            })?;
        let policies = cert.policies().unwrap_or_default();
        let hpki_policy = policies
            .iter()
            .any(|p| kazasu_types::oid::is_under(p, &oids::HPKI_POLICY_ARC));
        if !hpki_policy {
            if actors.is_empty() {
                return Err(not_hpki("has neither an HPKI policy nor an hcRole"));
            }
            return Err(QualificationRejection::PolicyMissing {
                subject: subject(),
                found: policies.iter().map(ToString::to_string).collect(),
            });
        }
        let purpose = if cert.key_usage().is_some_and(|k| k.non_repudiation()) {
            Purpose::HpkiSignature
        } else {
            Purpose::HpkiAuthentication
        };
        let pool: Vec<Certificate> = intermediates
            .iter()
            .chain(self.known_intermediates.iter())
            .cloned()
            .collect();
        let path = self.verifier.validate_with(cert, &pool, purpose, at)?;
        let roles: Vec<HcRole> = actors.into_iter().map(|a| a.role).collect();
        if roles.is_empty() {
            return Err(QualificationRejection::RoleMissing { subject: subject() });
        }
        let matched_roles: Vec<HcRole> = roles
            .iter()
            .filter(|r| required_roles.is_empty() || required_roles.contains(r))
            .cloned()
            .collect();
        if matched_roles.is_empty() {
            return Err(QualificationRejection::RoleNotAllowed {
                subject: subject(),
                roles,
                allowed: required_roles.to_vec(),
            });
        }
        Ok(Qualification {
            roles,
            matched_roles,
            name_romanized: cert.subject_common_name(),
            name_kanji: cert.alt_name_common_name(),
            hpki_id: cert.subject_serial_number(),
            issuing_ca: cert.issuer().to_owned(),
            anchor: path.anchor().subject().to_owned(),
            purpose,
            path,
        })
    }
}
