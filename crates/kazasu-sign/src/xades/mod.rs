//! XAdES e-prescriptions (電子処方箋) and dispensing records: build, sign, verify.
//!
//! # Documents
//!
//! A prescription is `Document` → `Prescription` → `PrescriptionManagement` (`Version`
//! `EPS1.0`), `PrescriptionDocument` (`Id="PrescriptionDocument"`, the prescription data — the
//! CSV form — in base64) and `PrescriptionSign` holding the doctor's `ds:Signature`
//! (`Id="PrescriptionSign"`). A dispensing record is `Document` → `Dispensing` →
//! `DispensingManagement`, `DispensingDocument` (`Id="DispensingDocument"`), `ReferencePrescription`
//! (`Id="ReferencePrescription"`, the signed prescription `Document` embedded whole) and
//! `DispensingSign` holding the pharmacist's `ds:Signature` (`Id="DispensingSign"`), which covers
//! the dispensing data and the embedded signed prescription — a counter-signature of the doctor's.
//!
//! The signatures are *internal detached*: neither enveloped nor enveloping; their references
//! point at elements of the same document by `Id`: the data element, the `ds:KeyInfo`
//! (`Id="keyInfo-…"`) and the `xades:SignedProperties` (`Type` `http://uri.etsi.org/01903#SignedProperties`),
//! each with an exclusive C14N transform and SHA-256 (`http://www.w3.org/2001/04/xmlenc#sha256`);
//! `ds:SignedInfo` is canonicalised with exclusive C14N and signed with
//! `http://www.w3.org/2001/04/xmldsig-more#rsa-sha256` (RSASSA-PKCS1-v1_5).
//!
//! # Levels (ETSI TS 101 903 v1.3.2)
//!
//! - **BES**: `SignedSignatureProperties` with `SigningTime` and `SigningCertificateV2`
//!   (`CertDigest` SHA-256 of the signer certificate, `IssuerSerialV2` = base64 DER of RFC 5035
//!   `IssuerSerial`).
//! - **T**: `SignatureTimeStamp`, an RFC 3161 token whose imprint is SHA-256 of the
//!   canonicalised `ds:SignatureValue` element.
//! - **XL**: `CertificateValues` (the CA and TSA certificates) and `RevocationValues` (CRLs as
//!   `EncapsulatedCRLValue`): the signer is verified offline, at the time the timestamp proves,
//!   with only these.
//! - **A**: `ArchiveTimeStamp` over (v1.3.2 §7.7.1) the referenced data as each reference
//!   digests it, then the canonicalised `ds:SignedInfo`, `ds:SignatureValue`, `ds:KeyInfo` and the
//!   unsigned signature properties before it, in document order.
//!
//! # Verification
//!
//! [`XadesVerifier::verify`] finds every `ds:Signature`, and reports per signature one
//! [`Verdict`](crate::Verdict) per part ([`SignatureReport`]), the level reached, and a document
//! verdict: VALID only when every signature the document kind expects is there and valid and there
//! is no other. A reference must resolve to exactly one element of the document by its identifier
//! (signature wrapping), and the report names the element each covered.

mod report;
mod sign;
mod verify;
pub mod xml;

pub use report::{
    DocumentKind, DocumentReport, Level, ReferenceReport, SignatureReport, SignerReport,
};
pub use sign::{
    SignOptions, ValidationData, dispensing_document, prescription_document, sign_dispensing,
    sign_prescription,
};
pub use verify::XadesVerifier;

/// The XML-DSig namespace.
pub const DS: &str = "http://www.w3.org/2000/09/xmldsig#";
/// The XAdES v1.3.2 namespace.
pub const XADES: &str = "http://uri.etsi.org/01903/v1.3.2#";
/// `Type` of the reference to the signed properties.
pub const SIGNED_PROPERTIES_TYPE: &str = "http://uri.etsi.org/01903#SignedProperties";
/// RSASSA-PKCS1-v1_5 with SHA-256.
pub const RSA_SHA256: &str = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";
/// RSASSA-PKCS1-v1_5 with SHA-384.
pub const RSA_SHA384: &str = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384";
/// RSASSA-PKCS1-v1_5 with SHA-512.
pub const RSA_SHA512: &str = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512";
/// SHA-256 as a DigestMethod.
pub const SHA256: &str = "http://www.w3.org/2001/04/xmlenc#sha256";
/// SHA-384 as a DigestMethod.
pub const SHA384: &str = "http://www.w3.org/2001/04/xmldsig-more#sha384";
/// SHA-512 as a DigestMethod.
pub const SHA512: &str = "http://www.w3.org/2001/04/xmlenc#sha512";
/// SHA-1 as a DigestMethod (refused: too weak for signatures made today).
pub const SHA1: &str = "http://www.w3.org/2000/09/xmldsig#sha1";
/// Exclusive C14N (the profile's canonicalisation and transform).
pub const EXC_C14N: &str = xml::C14n::EXCLUSIVE;

/// Prefixes this crate writes and names in messages.
mod ns {
    /// `ds`, `xades` or the namespace itself.
    pub fn prefix(namespace: &str) -> &str {
        match namespace {
            super::DS => "ds",
            super::XADES => "xades",
            other => other,
        }
    }
}
