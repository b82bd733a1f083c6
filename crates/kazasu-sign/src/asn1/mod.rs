//! ASN.1 structures that the RustCrypto `cms` and `x509-cert` crates do not carry for `der` 0.8.
//!
//! RustCrypto's `x509-tsp` and `x509-ocsp` are released only for `der` 0.7 / `x509-cert` 0.2, which
//! cannot share types with the `cms` 0.3 and `x509-cert` 0.3 this crate builds on. Until they are
//! released for `der` 0.8, the few structures of RFC 3161, RFC 5035 and RFC 6960 used here are
//! declared with `der`'s derive macros (the encoding and decoding stay `der`'s), each with the ASN.1
//! it mirrors.

pub mod ess;
pub mod ocsp;
pub mod time;
pub mod tsp;
