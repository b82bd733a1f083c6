//! Patient consent to share medical records between facilities and regional health-information
//! networks (医療情報連携における患者の同意), signed with the My Number Card (JPKI).
//!
//! - [`model`]: the consent record — the patient by JPKI identity and the network's patient id
//!   (never an insurance number), the pattern (一括 all members, リスト a listed set, 施設ごと one
//!   facility, 個人単位 one clinician by HPKI identity), data classes (extensible), purposes, period,
//!   the performer (the patient, or a representative with relationship and their own JPKI identity:
//!   required for minors, whose authority ends at majority), the network's terms, and the 24-hour
//!   reader consent ([`ConsentKind::Reader24h`]) that ends by itself.
//! - [`document`]: the signed document: canonical human-readable text plus its structured form.
//! - [`evidence`]: CAdES B-T with the JPKI signature key (revocation data embedded), or an
//!   authentication assertion over the document's hash with domain separation; verified offline.
//! - [`ledger`]: an append-only, hash-chained ledger with network-signed checkpoints; decisions
//!   ([`ConsentLedger::check`]: Permit with the entry, or Deny with the reason), break-glass with a
//!   reason (always recorded), and the audit that re-verifies chain, checkpoints and every
//!   signature and names the first break.
//! - [`pseudonym`]: queries between networks by keyed per-network-pair pseudonyms of an opaque
//!   healthcare ID.
//! - [`fhir`]: FHIR R4 `Consent` export and import.
//! - [`store`]: the [`LedgerStore`] trait, in memory, and SQLite (feature `sqlite`, default).
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod document;
mod error;
pub mod evidence;
pub mod fhir;
pub mod ledger;
pub mod model;
pub mod pseudonym;
#[cfg(feature = "sqlite")]
mod sqlite;
pub mod store;

pub use document::{Action, ConsentDocument};
pub use error::ConsentError;
pub use evidence::{Evidence, EvidenceVerifier, VerifiedEvidence, assertion_message};
pub use ledger::{
    AuditBreak, AuditReport, Basis, ConsentLedger, ConsentState, Decision, DenyReason, NetworkKey,
    audit_store,
};
pub use model::{
    Actor, ConsentKind, ConsentRecord, DataClass, Grantee, JpkiIdentity, Patient, Pattern,
    Performer, Period, Policy, Purpose, ReaderDefaults, Status,
};
pub use pseudonym::{PairKey, PeerAnswer, PeerDirectory, PeerQuery, pair_pseudonym};
#[cfg(feature = "sqlite")]
#[cfg_attr(docsrs, doc(cfg(feature = "sqlite")))]
pub use sqlite::SqliteLedgerStore;
pub use store::{Checkpoint, LedgerRow, LedgerStore, MemoryLedgerStore};

pub use kazasu_pki;
pub use kazasu_sign;
pub use time;

/// The README's example, compiled as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
