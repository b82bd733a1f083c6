//! The relying-party side of the My Number Card's authentication key (利用者証明用電子証明書):
//! assertions bound to the service, the origin and the purpose they were made for, login with
//! account binding, and e-tickets admitted once at the gate.
//!
//! A bare signed challenge says nothing about who asked for it, so a signature one service
//! collects can be relayed to another. Here the card signs a [`BoundMessage`] (format v1,
//! documented byte by byte on the type): a domain-separating format tag and version, the
//! relying-party id, the origin the client saw, the [`AssertionPurpose`], the relying party's
//! single-use nonce and the issue time. [`RelyingParty::verify`] checks each against what it
//! expects and names the reason of every refusal in [`AuthError`].
//!
//! - [`RelyingParty`]: nonces, verification of [`BoundAssertion`]s (the old bare-challenge form
//!   only with [`LegacyForm::Accept`]).
//! - [`LoginService`]: first use binds a card to an account, proofing the identity with the
//!   signature certificate's 基本4情報 ([`VerifiedClaim`]); later logins need the authentication
//!   assertion only; renewed certificates are followed through [`CardLinks`]; the answer is a
//!   [`Principal`]. Accounts live behind [`AccountStore`] ([`MemoryAccountStore`]).
//! - [`BoxOffice`], [`Gate`], [`OfflineGate`]: tickets bound to a card at purchase, admitted once
//!   (atomically across gates sharing a [`TicketStore`]), and an offline gate working from a
//!   [`GateSnapshot`] (CRLs and a bounded ticket list) that reconciles when back online.
//! - `SqliteAuthStore` (feature `sqlite`): accounts and tickets in one SQLite database that several
//!   processes may open; admission is atomic across connections.
//!
//! The crate never talks to a card: the client side builds the message
//! ([`BoundMessage::digest_info`] is what the card's authentication key signs) and hands over the
//! certificate, the message bytes and the signature.
//!
//! ```
//! use kazasu_auth::{AssertionPurpose, BoundMessage};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let at = time::OffsetDateTime::from_unix_timestamp(1_767_225_600)?;
//! let message = BoundMessage::new(
//!     "bank.example",
//!     "https://bank.example",
//!     AssertionPurpose::Login,
//!     &[0x42; 32],
//!     at,
//! )?;
//! let bytes = message.encode();
//! assert!(bytes.starts_with(b"kazasu-bound-assertion\0\x01"));
//! assert_eq!(BoundMessage::parse(&bytes)?, message);
//! // The card signs this DigestInfo with its authentication key.
//! assert_eq!(message.digest_info().len(), 51);
//! # Ok(()) }
//! ```
#![cfg_attr(docsrs, feature(doc_cfg))]

mod error;
mod login;
mod message;
mod relying_party;
#[cfg(feature = "sqlite")]
mod sqlite;
mod ticket;

pub use error::{AuthError, Malformed};
pub use login::{
    Account, AccountId, AccountStore, CardLinks, Enrolment, LoginService, MAX_RENEWAL_STEPS,
    MemoryAccountStore, MemoryCardLinks, Principal, VerifiedClaim,
};
pub use message::{
    AssertionPurpose, BoundMessage, FORMAT_TAG, FORMAT_VERSION, MAX_MESSAGE_LEN, MAX_NONCE_LEN,
    MAX_ORIGIN_LEN, MAX_RP_ID_LEN, MIN_NONCE_LEN,
};
pub use relying_party::{
    BoundAssertion, DEFAULT_MAX_AGE, DEFAULT_SKEW, LegacyForm, Presented, RelyingParty, Verified,
};
#[cfg(feature = "sqlite")]
#[cfg_attr(docsrs, doc(cfg(feature = "sqlite")))]
pub use sqlite::SqliteAuthStore;
pub use ticket::{
    Admission, BoxOffice, Gate, GateSnapshot, MemoryTicketStore, OfflineGate, Reconciliation,
    Ticket, TicketStore,
};

/// The `time` crate, whose types this API takes and returns.
pub use time;

/// The README's example, compiled as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
