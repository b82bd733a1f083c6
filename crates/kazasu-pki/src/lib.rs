//! Server-side verification of JPKI (My Number Card) and HPKI (healthcare) certificates, signatures
//! and revocation.
//!
//! Servers that never see a card decide here, fast and strictly, whether a certificate and a
//! signature can be trusted:
//!
//! - [`Certificate`]: DER/PEM parsing, classification ([`CertificateKind`]), the signature
//!   certificate's [`PersonalData`], the authentication certificate's opaque identity, and the
//!   [`CertificateId`] (issuer key identifier, serial) to link a person by.
//! - [`Verifier`]: path validation at a given time to a [`TrustStore`] (by default the J-LIS roots
//!   shipped in this crate, every generation, each trusted for its own purpose), within a budget
//!   of signature checks, rejecting by default with a named [`Rejection`]. With
//!   [`Verifier::with_path_cache`], a card seen before costs one RSA verification (its
//!   signature): validated paths are kept, keyed by the leaf's SHA-256, and reused only inside
//!   the window they hold for and under the same revocation [`RevocationSource::generation`]
//!   ([`SharedCrlSet`] bumps it when CRLs are added).
//! - [`Crl`] and [`CrlSet`]: CRLs parsed once and indexed for O(log n) lookup without a second copy
//!   of the entries; [`RevocationSource`] lets OCSP or a database come later.
//! - [`HpkiVerifier`]: HPKI (healthcare) qualifications — the path to the shipped MHLW HPKI Root
//!   CA V2 ([`HPKI_ROOT`], trusted for the HPKI purposes only; the MEDIS and JMA CAs ship as
//!   [`HPKI_INTERMEDIATES`]), the holder's policy under `1.2.392.100495.1.5`, revocation of every
//!   certificate of the path, and the [`HcRole`]s of the hcRole attribute, with a named
//!   [`QualificationRejection`].
//! - [`AuthAssertion`]: certificate + challenge + the card's signature, verified against a
//!   [`ChallengeStore`] (single use, expiring).
//!
//! ```
//! use kazasu_pki::{Certificate, CrlSet, Purpose, Verifier, VerifierOptions, RevocationPolicy};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // The built-in J-LIS roots; revocation checked against the CRLs given (none here, so off).
//! let mut options = VerifierOptions::default();
//! options.revocation = RevocationPolicy::Off;
//! let verifier = Verifier::jlis()?.with_revocation(CrlSet::new()).with_options(options);
//! let root = &verifier.trust().anchors()[0];
//! // A root is a CA, not a holder's certificate: refused as an end entity.
//! let at = time::OffsetDateTime::from_unix_timestamp(1_700_000_000)?;
//! let err = verifier.validate(root, Purpose::Authentication, at).unwrap_err();
//! assert_eq!(err.code(), "ca_as_end_entity");
//! # Ok(()) }
//! ```
//!
//! RSA PKCS#1 v1.5 verification uses the pure-Rust `rsa` crate; the `aws-lc` feature switches it to
//! `aws-lc-rs` (about 3.6 times faster: an assertion verifies in 51 µs instead of 185 µs in `cargo bench --bench pki`; on par with OpenSSL) for keys of 2048 bits and more.
#![cfg_attr(docsrs, feature(doc_cfg))]

mod assertion;
mod cert;
mod convert;
mod crl;
mod crypto;
mod error;
mod hex_form;
mod hpki;
pub mod oids;
mod path;
mod path_cache;
pub mod pem;
mod personal;
mod rejection;
mod revocation;
mod tlv;
mod trust;

pub use assertion::{
    AuthAssertion, CHALLENGE_LEN, ChallengeProblem, ChallengeStore, DEFAULT_CHALLENGE_CAPACITY,
    MemoryChallengeStore, VerifiedAssertion, random_challenge,
};
pub use cert::{
    AuthorityKeyId, CERTIFICATE_ID_PREFIX, Certificate, CertificateId, CertificateKind, KeyUsage,
    LegacyCertificateId, MAX_CERTIFICATE_LEN, Purpose,
};
pub use crl::{Crl, MAX_CRL_LEN, RevocationReason, RevokedEntry};
pub use crypto::rsa_verifications;
pub use crypto::{HashAlgorithm, SignatureAlgorithm};
pub use error::Error;
pub use hpki::{
    HcActor, HcRole, HpkiVerifier, Qualification, QualificationRejection, parse_hc_role_attribute,
    parse_subject_directory_attributes,
};
pub use path::{RevocationPolicy, ValidatedPath, Verifier, VerifierOptions};
pub use path_cache::PathCacheStats;
pub use personal::{BirthDate, Era, PersonalData, Sex};
pub use rejection::{Rejection, UnknownReason};
pub use revocation::{
    CrlSet, NoRevocation, RevocationQuery, RevocationSource, RevocationStatus, SharedCrlSet,
    TimeWindow,
};
pub use trust::{
    HPKI_INTERMEDIATES, HPKI_ROOT, HpkiCa, JLIS_ROOTS, JlisRoot, TrustStore, hpki_intermediates,
};

/// The `time` crate, whose `OffsetDateTime` this API takes and returns.
pub use time;

/// The README's example, compiled as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
