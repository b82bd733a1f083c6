//! A software My Number Card and HPKI card that real PC/SC clients accept, and the test PKIs behind them.
//!
//! - [`pki`]: personas (name, address, birth date, sex, a My Number with a valid check digit, PINs) and
//!   JPKI-profile certificates and CRLs made from committed fixture keys, deterministic from a seed.
//!   [`pki::cvc`] builds the card-verifiable certificates of the test CVC hierarchy.
//! - [`card`]: the card itself — the JPKI AP, the 券面事項入力補助AP (with secure messaging), the
//!   券面事項確認AP, the 共通AP, the 住基AP and the master file — answering APDU bytes as the card
//!   specification describes the real card, with fault injection for tests.
//! - [`kenmen`]: the data of the two card-face applications and the 共通AP record.
//! - [`VirtualCardBuilder`]: a ready card for a persona, genuine or a [`Counterfeit`], optionally with
//!   [`Tamper`]ed records.
//! - [`HpkiCardBuilder`]: an HPKI card (signature and authentication APs) for a holder of the HPKI
//!   test PKI ([`pki::hpki`]), answering through the same [`VirtualCard`] type.
//! - [`VirtualTransport`]: the card in process, behind `kazasu_apdu::Transport`.
//! - [`vpcd`]: the card in a real `pcscd` reader through `vsmartcard-vpcd`.
//! - [`transcript`]: command/response transcripts as data files.
//!
//! This crate implements the card side on its own from the card specification; it never reuses the
//! command code of `kazasu-card`, so the two sides check each other.
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod card;
mod error;
pub mod kenmen;
pub mod pki;
pub mod transcript;
mod transport;
pub mod vpcd;

pub use card::{CardConfig, TokenKind, VirtualCard};
pub use error::Error;
pub use transport::{SharedCard, VirtualTransport};
mod hpki_sample;
mod sample;
pub use hpki_sample::{HpkiCardBuilder, IssuedHpkiCard};
pub use sample::{Counterfeit, IssuedCard, KenmenAp, Tamper, VirtualCardBuilder};
