//! Card-verifiable certificates (CVC) and the signed records of the My Number Card's two 券面
//! applications: parse them, verify them against CA keys the caller supplies, and prove that a chip
//! holds the key its records certify by having it sign the verifier's own challenge.
//!
//! No card and no PC/SC here: bytes in, verdicts out (`kazasu-card` reads the bytes from a card).
//! `no_std` with `alloc`; the `getrandom` feature (default) adds [`Challenge::random`].
//!
//! - [`Cvc`]: `7F21 { 5F4E body(297), 5F37 signature(256) }`, or the GET DATA form without the
//!   `7F21` wrapper. The body is issuer [`KeyId`] ‖ subject [`KeyId`] ‖ a [`CardKey`]
//!   (`90 03 e 91 82 01 00 n`); the signature is PKCS#1 v1.5 SHA-256 over the 297 body bytes.
//! - [`CvcTrust`]: the CA key table. J-LIS does not publish these keys, so the verifier takes them as
//!   configuration. An issuer not in the table is [`CvcError::UnknownIssuer`] ("not checked", never
//!   "bad signature"); the JPKI test hierarchy (`6…`) is refused unless allowed.
//! - [`records`]: the age record, card face, My Number image (確認AP) and the integrity and card-key
//!   records (補助AP), each verified by signature — hashes alone prove nothing.
//! - [`CertifiedIssuer`] → [`CertifiedCardKey`] → [`GenuinenessReport`]: the genuineness check.
//!
//! ```
//! use kazasu_cvc::{CvcError, CvcTrust, Cvc};
//!
//! // An empty trust table checks nothing: any certificate is "not checked", not "bad".
//! # fn certificate() -> Vec<u8> { Vec::new() }
//! match Cvc::parse(&certificate()).and_then(|c| CvcTrust::new().verify(&c)) {
//!     Ok(v) => println!("certified {}", v.subject),
//!     Err(CvcError::UnknownIssuer { issuer }) => println!("not checked: {issuer}"),
//!     Err(e) => println!("refused: {e}"),
//! }
//! ```
#![no_std]
#![cfg_attr(docsrs, feature(doc_cfg))]

extern crate alloc;

mod card_key;
mod challenge;
mod cvc;
mod error;
mod genuine;
mod key_id;
pub mod records;
pub mod tlv;
mod trust;

pub use card_key::{CARD_KEY_LEN, CardKey, hex};
pub use challenge::{CHALLENGE_LEN, Challenge};
pub use cvc::{BODY_LEN, Cvc, SIGNATURE_LEN};
pub use error::CvcError;
pub use genuine::{
    Application, CertifiedCardKey, CertifiedIssuer, GenuinenessReport, KeySource, SignedRecord,
};
pub use key_id::{Hierarchy, KeyId};
pub use trust::{CaKey, CvcTrust, VerifiedCvc};
