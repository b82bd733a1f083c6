//! HPKI ↔ JPKI linkage: a professional's identity proven with the My Number Card, the
//! qualification with the HPKI card, and the checks that follow.
//!
//! - **Application (発行申請).** The professional signs an [`Application`] (name, kana, birth date,
//!   sex, profession, registration number, facility) as CMS with the My Number Card's signature
//!   key. [`QualificationDesk::apply`] verifies the signature, the certificate's path and
//!   revocation for the signature purpose, matches its 基本4情報 with the application
//!   (normalised; substitute characters go to a person), asks a [`QualificationRegistry`] about
//!   the licence, finds the same card's authentication certificate through the
//!   [`crate::CardLinkSource`], and records a [`Linkage`]. Every refusal is a named [`Refusal`]
//!   (or an identity / PKI refusal of [`crate::HealthError`]) and writes nothing.
//! - **Issuance.** [`QualificationDesk::record_issuance`] links the HPKI certificates the CA
//!   issued once they prove the qualification applied for and name the applicant.
//! - **Real-time loss of status.** [`QualificationDesk::apply_crls`] takes new JPKI CRLs, checks
//!   they come from a trusted JPKI CA, finds every linkage whose JPKI certificates are listed
//!   ([`LinkageIndex`]) and marks it `Suspended { reason, since }`, telling death (both
//!   certificates revoked) from a change of name or address (only the signature certificate) by
//!   [`JpkiRevocationCause`]. [`QualificationDesk::check_registry`] does the same for licences
//!   the registry revoked.
//! - **Sign-in.** [`QualificationDesk::sign_in`]: an HPKI assertion and a JPKI authentication
//!   assertion over one challenge, both mapping to one active linkage; the answer carries the
//!   hcRoles.
//! - **Referral letters (紹介状).** [`QualificationDesk::check_referral`]: a valid signature, a
//!   signing time proven by a timestamp, hcRole Medical Doctor or Dentist, and the linkage active
//!   at the signing time — a letter signed before a suspension stays valid.
//!
//! Linkages live behind [`LinkageStore`]: [`MemoryLinkageStore`], or the embedded SQLite store
//! with the `sqlite` feature.

mod application;
mod desk;
mod linkage;
mod refusal;
mod registry;
#[cfg(feature = "sandbox")]
#[cfg_attr(docsrs, doc(cfg(feature = "sandbox")))]
pub mod sandbox;
mod store;
mod suspension;

pub use application::{Application, MAX_APPLICATION_LEN};
pub use desk::{QualificationDesk, REFERRAL_ROLES, ReferralCheck, SignedIn, Suspension};
pub use linkage::{JpkiRevocationCause, Linkage, LinkageId, LinkageState, SuspensionReason};
pub use refusal::Refusal;
pub use registry::{
    LicenceRecord, LicenceStatus, MemoryRegistry, Profession, QualificationRegistry,
};
pub use store::{
    LinkageKey, LinkageStore, MemoryLinkageStore, apply_issuance, apply_suspension, insert_conflict,
};
pub use suspension::{JpkiCertificate, LinkageIndex, RevocationHit};
