//! Signed documents for Japanese healthcare: CMS/CAdES signatures made with the My Number Card's
//! signature key or the HPKI card (through [`DocumentSigner`], so this crate never needs a card or
//! PC/SC), RFC 3161 timestamps and OCSP ([`ocsp`]: requests, verified responses, a revocation
//! source, a local responder), verified on `kazasu-pki` with one [`Verdict`] per part.
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod asn1;
pub mod cms;
mod error;
pub mod ocsp;
pub mod pades;
mod report;
mod revocation;
mod signer;
pub mod tsp;

pub use error::SignError;
pub use report::{Verdict, overall};
pub use signer::{DocumentSigner, SoftwareSigner};

pub use kazasu_pki;

/// The README's examples, compiled as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
