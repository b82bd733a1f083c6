//! A software My Number Card that real PC/SC clients accept, and the test PKI behind it.
//!
//! - [`pki`]: personas (name, address, birth date, sex, a My Number with a valid check digit, PINs) and
//!   JPKI-profile certificates and CRLs made from committed fixture keys, deterministic from a seed.
//! - [`card`]: the card itself — the JPKI AP, the 券面事項入力補助AP and the 券面事項確認AP — answering
//!   APDU bytes as `shared/spec/card.md` describes the real card, with fault injection for tests.
//! - [`kenmen`]: the data of the two card-face applications.
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
mod sample;
pub use sample::{Counterfeit, IssuedCard, KenmenAp, Tamper, VirtualCardBuilder};
