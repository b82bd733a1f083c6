//! The healthcare uses of the My Number Card, on [`kazasu_card`] and [`kazasu_pki`].
//!
//! - [`eligibility`]: online insurance eligibility confirmation (オンライン資格確認). Enrolment
//!   (健康保険証利用登録) needs a [`CardHolderProof`]: both keys of one card sign the service's
//!   challenge, a [`CardLinkSource`] confirms the two certificates are one card's, and the signature
//!   certificate's 基本4情報 match the person's record ([`identity`]). At the reader the card signs a
//!   single-use challenge with the PIN, or staff check the person and a registered
//!   [`FacilityTerminal`] signs their approval ([`facility`]); every lookup is audited ([`audit`]).
//!   Answers use the official codes, list every match for 複数該当, and refusals become error
//!   answers. Until the end of the third month after the month the authentication certificate
//!   expired (JST), answers carry the qualification data but no medication / care information.
//!   A service given a relying-party id ([`EligibilityService::with_relying_party`]) also takes
//!   `kazasu-auth` bound assertions ([`EligibilityService::confirm_bound`], made with
//!   [`present_bound`]): the card signs a message naming this service, the origin and the purpose
//!   `confirm`, so an assertion made for check-in, consent or another service is refused here;
//!   check-in desks likewise take purpose `check_in` ([`CheckinService::check_in_bound`]).
//! - [`checkin`]: the card as a common patient card (共通診察券): link a verified card identity to the
//!   facility's patient-card number (with the desk's approval or an identity match), then check in
//!   with a touch and get a queue number unique per facility and day, the same one on a second touch.
//! - [`store`]: the data behind both, as traits with an embedded SQLite implementation (migrations,
//!   one transaction per change, durable, concurrent desks without lost updates, shared challenges).
//! - [`qualification`] (feature `qualification`): HPKI ↔ JPKI linkage — HPKI card applications
//!   signed with the My Number Card, issuance, suspension in real time from JPKI CRLs and the
//!   licence registry, professional sign-in, referral-letter checks.
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
#[cfg(feature = "qualification")]
#[cfg_attr(docsrs, doc(cfg(feature = "qualification")))]
pub mod qualification;
#[cfg(feature = "sandbox")]
#[cfg_attr(docsrs, doc(cfg(feature = "sandbox")))]
pub mod sandbox;
pub mod store;
mod verify;

pub use audit::{AuditEntry, LookupMode};
pub use checkin::{CheckinService, LinkApproval};
pub use clinic::{
    CardHolderProof, IdentityCheck, Presentation, present_bound, present_card, prove_card_holder,
};
pub use eligibility::{EligibilityService, RateLimit};
pub use error::{HealthError, StoreError};
pub use facility::{ApprovalPurpose, FacilityTerminal, StaffApproval, genuineness_evidence};
pub use links::{CardLinkSource, MemoryCardLinks, TrustedLinkImport};
pub use model::{
    AgencyCode, Binding, EligibilityAnswer, FacilityCode, InsuranceCardQuery, InsuranceSex,
    InsurerNumber, PatientCardNumber, Person, Qualification, QualificationValidity, Receipt,
    Reservation, ResultOfQualificationConfirmation,
};
pub use store::{
    AuditStore, BulkEnrol, CheckinStore, EligibilityStore, EnrolledPerson, FacilityStore,
    PatientRecord, RenewalStore,
};
#[cfg(feature = "sqlite")]
pub use store::{SqliteChallengeStore, SqliteStore};
pub use verify::{GRACE_MONTHS, VerificationSetup, grace_end};

/// The verification layer this crate's API takes and returns (certificates, assertions, stores).
pub use kazasu_pki;
/// The `time` crate, whose types this crate's API takes and returns.
pub use time;
