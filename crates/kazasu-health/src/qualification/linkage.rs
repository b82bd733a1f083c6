//! The linkage: one professional's JPKI certificates (signature and authentication, of one card),
//! the person as applied and checked, and after issuance the HPKI certificates — and its state.

use kazasu_pki::{CertificateId, RevocationReason};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use super::Refusal;
use super::application::Application;

/// A linkage's id: `L` and 16 hex digits of SHA-256 over the JPKI signature certificate's id, so
/// the same application always gets the same id.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct LinkageId(String);

impl LinkageId {
    /// The id of the linkage of the JPKI signature certificate `signature`.
    pub fn for_signature_certificate(signature: &CertificateId) -> Self {
        let digest = Sha256::digest(signature.to_string().as_bytes());
        let hex: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
        Self(format!("L{hex}"))
    }

    /// An id as printed (`L` + 16 lower-case hex digits).
    pub fn parse(text: &str) -> Result<Self, Refusal> {
        let ok = text.len() == 17
            && text.starts_with('L')
            && text[1..]
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if ok {
            Ok(Self(text.to_owned()))
        } else {
            Err(Refusal::NotLinked(format!(
                "{text:?} is not a linkage id (L + 16 hex digits)"
            )))
        }
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for LinkageId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// What a JPKI revocation most likely means, from the reason codes and from whether the
/// authentication certificate was revoked with the signature certificate.
///
/// J-LIS revokes the signature certificate when the holder dies and when the name or address
/// (基本4情報) changes; the authentication certificate carries no personal data, so a change of
/// name or address leaves it valid, while death ends the whole card. The HPKI CA decides; this
/// only sorts the cases.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum JpkiRevocationCause {
    /// Both certificates revoked, reason cessationOfOperation or none / unspecified: the card
    /// ended with its holder (death).
    Death,
    /// Only the signature certificate, reason affiliationChanged, superseded or none /
    /// unspecified: the name or address changed (the person applies again with the new
    /// certificate).
    PersonalDataChanged,
    /// keyCompromise on either: the card was lost or stolen.
    KeyCompromise,
    /// Any other combination (named by the reasons kept with it).
    Other,
}

impl JpkiRevocationCause {
    /// Sorts a revocation: the signature certificate's reason (`None` when it was not revoked),
    /// the authentication certificate's (`None` when it was not revoked). A reason code missing
    /// from an entry counts as unspecified.
    pub fn classify(
        signature: Option<Option<RevocationReason>>,
        authentication: Option<Option<RevocationReason>>,
    ) -> Self {
        use RevocationReason as R;
        let unspecified = |r: Option<RevocationReason>| r.unwrap_or(R::Unspecified);
        let sig = signature.map(unspecified);
        let auth = authentication.map(unspecified);
        if sig == Some(R::KeyCompromise) || auth == Some(R::KeyCompromise) {
            return Self::KeyCompromise;
        }
        match (sig, auth) {
            (Some(R::CessationOfOperation | R::Unspecified), Some(_))
            | (Some(_), Some(R::CessationOfOperation)) => Self::Death,
            (Some(R::AffiliationChanged | R::Superseded | R::Unspecified), None) => {
                Self::PersonalDataChanged
            }
            _ => Self::Other,
        }
    }

    /// A short English label.
    pub fn label(self) -> &'static str {
        match self {
            Self::Death => "holder deceased (both JPKI certificates revoked)",
            Self::PersonalDataChanged => {
                "name or address changed (only the JPKI signature certificate revoked)"
            }
            Self::KeyCompromise => "JPKI card lost or stolen (keyCompromise)",
            Self::Other => "JPKI certificate revoked",
        }
    }
}

/// Why a linkage was suspended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum SuspensionReason {
    /// A JPKI certificate of the linkage was revoked.
    JpkiRevoked {
        /// What it most likely means.
        cause: JpkiRevocationCause,
        /// The signature certificate's CRL reason (`None`: not revoked, or no reason code).
        signature_reason: Option<RevocationReason>,
        /// Whether the signature certificate was revoked.
        signature_revoked: bool,
        /// Whether the authentication certificate was revoked.
        authentication_revoked: bool,
    },
    /// The registry revoked the licence.
    LicenceRevoked {
        /// The registry's reason.
        reason: String,
    },
}

impl std::fmt::Display for SuspensionReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SuspensionReason::JpkiRevoked {
                cause,
                signature_reason,
                ..
            } => {
                write!(f, "{}", cause.label())?;
                if let Some(r) = signature_reason {
                    write!(f, ", reason {r}")?;
                }
                Ok(())
            }
            SuspensionReason::LicenceRevoked { reason } => {
                write!(f, "licence revoked in the registry: {reason}")
            }
        }
    }
}

/// Where a linkage stands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
#[non_exhaustive]
pub enum LinkageState {
    /// Applied and checked; no HPKI card issued yet.
    Applied,
    /// HPKI certificates issued and linked.
    Active,
    /// Suspended pending the HPKI CA's decision.
    Suspended {
        /// Why.
        reason: SuspensionReason,
        /// Since when (the revocation's invalidity date or revocation date, the registry's date).
        #[serde(with = "time::serde::rfc3339")]
        since: OffsetDateTime,
    },
}

impl LinkageState {
    /// `applied`, `active` or `suspended`.
    pub fn label(&self) -> &'static str {
        match self {
            LinkageState::Applied => "applied",
            LinkageState::Active => "active",
            LinkageState::Suspended { .. } => "suspended",
        }
    }
}

/// One professional's linkage.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Linkage {
    /// Its id.
    pub id: LinkageId,
    /// The person and qualification as applied (and matched against the JPKI certificate and the
    /// registry).
    pub application: Application,
    /// The JPKI signature certificate that signed the application.
    pub jpki_signature: CertificateId,
    /// The JPKI authentication certificate of the same card (from the card-link source).
    pub jpki_authentication: CertificateId,
    /// The HPKI signature certificate, after issuance.
    pub hpki_signature: Option<CertificateId>,
    /// The HPKI authentication certificate, after issuance (a card may have only the signature AP).
    pub hpki_authentication: Option<CertificateId>,
    /// When the application was accepted.
    #[serde(with = "time::serde::rfc3339")]
    pub applied_at: OffsetDateTime,
    /// When the HPKI certificates were linked.
    #[serde(with = "time::serde::rfc3339::option")]
    pub issued_at: Option<OffsetDateTime>,
    /// The state now.
    pub state: LinkageState,
}

impl Linkage {
    /// A new linkage in [`LinkageState::Applied`].
    pub fn applied(
        application: Application,
        jpki_signature: CertificateId,
        jpki_authentication: CertificateId,
        at: OffsetDateTime,
    ) -> Self {
        Self {
            id: LinkageId::for_signature_certificate(&jpki_signature),
            application,
            jpki_signature,
            jpki_authentication,
            hpki_signature: None,
            hpki_authentication: None,
            applied_at: at,
            issued_at: None,
            state: LinkageState::Applied,
        }
    }

    /// Whether the linkage was active at `at`: issued by then, and not suspended since a time at
    /// or before `at`. A suspension does not reach back: what was signed while the linkage was
    /// active stays signed while active.
    pub fn active_at(&self, at: OffsetDateTime) -> Result<(), Refusal> {
        match self.issued_at {
            Some(issued) if issued <= at => {}
            _ => {
                return Err(Refusal::SignedBeforeIssuance {
                    id: self.id.clone(),
                    signed_at: at,
                });
            }
        }
        if let LinkageState::Suspended { reason, since } = &self.state
            && *since <= at
        {
            return Err(Refusal::Suspended {
                id: self.id.clone(),
                reason: reason.clone(),
                since: *since,
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use RevocationReason as R;

    #[test]
    fn death_and_personal_data_changes_are_told_apart() {
        use JpkiRevocationCause as C;
        assert_eq!(
            C::classify(Some(Some(R::CessationOfOperation)), Some(None)),
            C::Death
        );
        assert_eq!(C::classify(Some(None), Some(None)), C::Death);
        assert_eq!(
            C::classify(Some(Some(R::AffiliationChanged)), None),
            C::PersonalDataChanged
        );
        assert_eq!(C::classify(Some(None), None), C::PersonalDataChanged);
        assert_eq!(
            C::classify(Some(Some(R::KeyCompromise)), Some(Some(R::KeyCompromise))),
            C::KeyCompromise
        );
        assert_eq!(
            C::classify(None, Some(Some(R::CessationOfOperation))),
            C::Other
        );
        assert_eq!(
            C::classify(Some(Some(R::PrivilegeWithdrawn)), None),
            C::Other
        );
    }

    #[test]
    fn ids_are_stable_and_parse() {
        let id = CertificateId::new(&[1, 2, 3], &[9]).unwrap();
        let a = LinkageId::for_signature_certificate(&id);
        assert_eq!(a, LinkageId::for_signature_certificate(&id));
        assert_eq!(LinkageId::parse(a.as_str()).ok(), Some(a));
        assert!(LinkageId::parse("L123").is_err());
        assert!(LinkageId::parse("X0123456789abcdef").is_err());
    }
}
