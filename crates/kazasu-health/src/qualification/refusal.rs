//! Why the linkage flow refused: one named reason each, with a stable code.

use time::OffsetDateTime;

use super::linkage::{LinkageId, SuspensionReason};
use super::registry::Profession;

/// A refusal of the HPKI ↔ JPKI linkage flow. Every refusal writes nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Refusal {
    /// The application's CMS signature did not verify (structure, digest, signature value).
    #[error("the application's signature is not valid: {0}")]
    ApplicationSignature(String),
    /// The application was not signed with a My Number Card signature certificate.
    #[error(
        "the application must be signed with the My Number Card's signature certificate, not {kind}"
    )]
    NotJpkiSignature {
        /// What signed it (`hpki_holder`, `jpki_authentication`, …).
        kind: String,
    },
    /// The signed content is not an application this desk reads.
    #[error("the signed application is unreadable: {0}")]
    ApplicationUnreadable(String),
    /// J-LIS knows no authentication certificate issued on the same card as the signature
    /// certificate.
    #[error("no authentication certificate is known for the signature certificate {signature}")]
    CardLinkUnknown {
        /// The signature certificate.
        signature: String,
    },
    /// The registry has no licence with this number for this profession.
    #[error("the registry has no {profession} licence number {number}")]
    LicenceNotFound {
        /// The profession applied for.
        profession: Profession,
        /// The registration number.
        number: String,
    },
    /// The licence was revoked in the registry.
    #[error("the {profession} licence number {number} was revoked on {since}")]
    LicenceRevoked {
        /// The profession.
        profession: Profession,
        /// The registration number.
        number: String,
        /// Since when.
        since: OffsetDateTime,
    },
    /// The registry's record of the licence differs from the application.
    #[error("the registry's {field} for this licence differs from the application")]
    RegistryMismatch {
        /// `name`, `birth date` or `sex`.
        field: &'static str,
    },
    /// The JPKI signature certificate or the licence is already linked.
    #[error("already linked: {0}")]
    AlreadyLinked(String),
    /// No linkage has this id, or no linkage holds the certificate presented.
    #[error("not linked: {0}")]
    NotLinked(String),
    /// The linkage is not in the state the request needs.
    #[error("linkage {id} is {state}, not {needed}")]
    WrongState {
        /// The linkage.
        id: LinkageId,
        /// Its state.
        state: &'static str,
        /// The state needed.
        needed: &'static str,
    },
    /// The linkage is suspended (at the time that matters: now, or the letter's signing time).
    #[error("linkage {id} is suspended since {since}: {reason}")]
    Suspended {
        /// The linkage.
        id: LinkageId,
        /// Why.
        reason: SuspensionReason,
        /// Since when.
        since: OffsetDateTime,
    },
    /// The HPKI certificate does not prove the qualification (path, policy, revocation, role).
    #[error("the HPKI certificate does not prove the qualification: {0}")]
    HpkiRejected(String),
    /// The HPKI certificate names someone else than the linked person.
    #[error("the HPKI certificate's {field} differs from the linked person's")]
    HpkiHolderMismatch {
        /// Which field.
        field: &'static str,
    },
    /// Sign-in: the two assertions were not made over one challenge, or the HPKI signature over
    /// it does not verify.
    #[error("sign-in assertion refused: {0}")]
    Assertion(String),
    /// Sign-in: the HPKI and JPKI certificates belong to two different linkages.
    #[error("the HPKI certificate belongs to linkage {hpki}, the JPKI certificate to {jpki}")]
    LinkageMismatch {
        /// The HPKI certificate's linkage.
        hpki: LinkageId,
        /// The JPKI certificate's linkage.
        jpki: LinkageId,
    },
    /// A CRL that no trusted JPKI CA signed, or one not yet valid.
    #[error("the CRL is not usable: {0}")]
    Crl(String),
    /// A referral letter whose signature is not valid.
    #[error("the letter's signature is not valid: {0}")]
    LetterSignature(String),
    /// A referral letter whose signing time no timestamp proves.
    #[error("the letter carries no valid signature timestamp: its signing time is not proven")]
    LetterNotTimestamped,
    /// The letter's signer holds none of the roles the document needs.
    #[error("the signer's roles {held:?} include none of {required:?}")]
    RoleNotAccepted {
        /// The signer's hcRoles.
        held: Vec<String>,
        /// Those that would do.
        required: Vec<String>,
    },
    /// The letter was signed before the HPKI certificates were linked.
    #[error("the letter was signed at {signed_at}, before linkage {id} was active")]
    SignedBeforeIssuance {
        /// The linkage.
        id: LinkageId,
        /// The signing time.
        signed_at: OffsetDateTime,
    },
}

impl Refusal {
    /// The stable result code (`K4xxx`, next to the health layer's `K0xxx`–`K3xxx`).
    pub fn code(&self) -> &'static str {
        match self {
            Refusal::ApplicationSignature(_) => "K4001",
            Refusal::NotJpkiSignature { .. } => "K4002",
            Refusal::ApplicationUnreadable(_) => "K4003",
            Refusal::CardLinkUnknown { .. } => "K4004",
            Refusal::LicenceNotFound { .. } => "K4010",
            Refusal::LicenceRevoked { .. } => "K4011",
            Refusal::RegistryMismatch { .. } => "K4012",
            Refusal::AlreadyLinked(_) => "K4020",
            Refusal::NotLinked(_) => "K4021",
            Refusal::WrongState { .. } => "K4022",
            Refusal::Suspended { .. } => "K4023",
            Refusal::HpkiRejected(_) => "K4030",
            Refusal::HpkiHolderMismatch { .. } => "K4031",
            Refusal::Assertion(_) => "K4040",
            Refusal::LinkageMismatch { .. } => "K4041",
            Refusal::Crl(_) => "K4050",
            Refusal::LetterSignature(_) => "K4060",
            Refusal::LetterNotTimestamped => "K4061",
            Refusal::RoleNotAccepted { .. } => "K4062",
            Refusal::SignedBeforeIssuance { .. } => "K4063",
        }
    }
}
