//! The domain types of Japan's My Number Card (JPKI) that the kazasu crates share, in one place so
//! the card layer, server-side verification, the virtual card and the healthcare flows agree on them:
//!
//! - [`Sex`]: the ISO 5218 digit the card and the signature certificate carry;
//! - [`Era`] and [`JapaneseDate`]: the eras (明治 to 令和) with their first days, the `EYYYYMMDD` form
//!   of the signature certificate's birth date and the era `YYMMDD` form of 照合番号B;
//! - [`MyNumber`] and [`check_digit`]: the 12-digit 個人番号, zeroized on drop and never printed;
//! - [`Purpose`]: the certificate families (authentication, signature) and their policies;
//! - [`HashAlgorithm`]: SHA-256/384/512 with their OIDs, lengths and DigestInfo prefixes;
//! - [`oid`]: the JPKI object identifiers.
//!
//! `no_std` (with `alloc`). Features: `serde` (serialization), `digest` (hashing through `sha2`).

#![no_std]
#![cfg_attr(docsrs, feature(doc_cfg))]

extern crate alloc;

mod era;
mod error;
mod hash;
mod my_number;
pub mod oid;
mod purpose;
mod sex;

pub use const_oid::ObjectIdentifier;
pub use era::{Era, JapaneseDate};
pub use error::Error;
pub use hash::HashAlgorithm;
pub use my_number::{MyNumber, check_digit};
pub use purpose::Purpose;
pub use sex::Sex;
