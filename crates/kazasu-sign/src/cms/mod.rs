//! CMS / CAdES signatures (RFC 5652, ETSI EN 319 122): [`sign`] with a [`crate::DocumentSigner`]
//! (B-B; B-T with a [`crate::tsp::TimeStampAuthority`]; B-LT with [`ValidationData`]: CRLs and
//! certificates in SignedData, OCSP answers in revocationValues), and
//! [`CmsVerifier`] with one [`crate::Verdict`] per part in a [`SignatureReport`].

mod attributes;
mod parse;
mod sign;
mod verify;

pub(crate) use attributes::{digest_algorithm, hash_from_oid};
pub use attributes::{signing_certificate_v2, signing_certificate_v2_matches};
pub use parse::{MAX_CMS_LEN, ParsedSignedData};
pub use sign::{SignOptions, ValidationData, sign, sign_digest};
pub(crate) use verify::check_signer_info;
pub use verify::{CmsVerifier, SignatureReport, SignerSummary, SigningTime, SigningTimeSource};

use const_oid::ObjectIdentifier;

/// `id-data`.
pub const ID_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.1");
/// `id-signedData`.
pub const ID_SIGNED_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.2");
/// `id-contentType` (signed attribute).
pub const ID_CONTENT_TYPE: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.3");
/// `id-messageDigest` (signed attribute).
pub const ID_MESSAGE_DIGEST: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.4");
/// `id-signingTime` (signed attribute).
pub const ID_SIGNING_TIME: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.5");
/// `id-aa-signingCertificate` (RFC 2634, SHA-1 ESSCertID; read, never written).
pub const ID_AA_SIGNING_CERTIFICATE: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.2.12");
/// `id-aa-signingCertificateV2` (RFC 5035).
pub const ID_AA_SIGNING_CERTIFICATE_V2: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.2.47");
/// `id-aa-signatureTimeStampToken` (RFC 3161 appendix A, CAdES-T).
pub const ID_AA_SIGNATURE_TIME_STAMP_TOKEN: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.2.14");
/// `id-ri-ocsp-response` (RFC 5940): an OCSP response among the `crls` of SignedData.
pub const ID_RI_OCSP_RESPONSE: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.16.2");
