//! The healthcare uses of the My Number Card, on [`kazasu_card`] and [`kazasu_pki`].
//!
//! - [`eligibility`]: online insurance eligibility confirmation (オンライン資格確認). The clinic side
//!   ([`present_card`]) reads the authentication certificate and, with the PIN, signs the service's
//!   challenge; the service ([`EligibilityService`]) verifies path, revocation, signature and a
//!   single-use challenge, finds the person through the link made at enrolment (健康保険証利用登録) and
//!   answers with the official codes. Renewed cards are found through old → new serial links; for
//!   three months after the authentication certificate expires, answers carry qualification data only.
//! - [`checkin`]: the card as a common patient card (共通診察券): link a verified card identity to the
//!   facility's patient-card number, then check in with a touch and get a queue number unique per
//!   facility and day, even with many desks at once.
//! - [`store`]: the data behind both, as traits with an embedded SQLite implementation (migrations,
//!   one transaction per change, durable, concurrent desks without lost updates).
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod audit;
pub mod checkin;
mod clinic;
pub mod eligibility;
mod error;
pub mod facility;
pub mod identity;
pub mod links;
pub mod model;
#[cfg(feature = "sandbox")]
#[cfg_attr(docsrs, doc(cfg(feature = "sandbox")))]
pub mod sandbox;
pub mod store;
mod verify;

pub use audit::{AuditEntry, LookupMode};
pub use checkin::{CheckinService, LinkApproval};
pub use clinic::{CardHolderProof, IdentityCheck, Presentation, present_card, prove_card_holder};
pub use eligibility::{EligibilityService, RateLimit};
pub use error::{HealthError, StoreError};
pub use facility::{ApprovalPurpose, FacilityTerminal, StaffApproval};
pub use links::{CardLinkSource, MemoryCardLinks, TrustedLinkImport};
pub use model::{
    AgencyCode, Binding, EligibilityAnswer, FacilityCode, InsuranceSex, InsurerNumber,
    PatientCardNumber, Person, Qualification, QualificationValidity, Receipt, Reservation,
    ResultOfQualificationConfirmation,
};
pub use store::{
    AuditStore, CheckinStore, EligibilityStore, FacilityStore, PatientRecord, RenewalStore,
    SqliteChallengeStore, SqliteStore,
};
pub use verify::{GRACE_MONTHS, VerificationSetup, grace_end};
