//! What [`super::XadesVerifier::verify`] reports.

use serde::Serialize;
use time::OffsetDateTime;

use crate::Verdict;

/// Which document: decided by the root's first element (`Prescription` or `Dispensing`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum DocumentKind {
    /// `Document/Prescription`: expects `PrescriptionSign` (a doctor or dentist).
    Prescription,
    /// `Document/Dispensing`: expects `DispensingSign` (a pharmacist) and the embedded
    /// prescription's `PrescriptionSign`.
    Dispensing,
    /// Anything else: no signature is expected, so the document is never VALID.
    Unknown,
}

/// The XAdES level a signature reached: every part it needs is VALID.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[non_exhaustive]
pub enum Level {
    /// Core signature and signed properties (with SigningCertificateV2) valid.
    #[serde(rename = "BES")]
    Bes,
    /// BES and a valid SignatureTimeStamp.
    #[serde(rename = "T")]
    T,
    /// T and the signer verified with the embedded CertificateValues and RevocationValues alone.
    #[serde(rename = "XL")]
    Xl,
    /// XL and a valid ArchiveTimeStamp.
    #[serde(rename = "A")]
    A,
}

impl std::fmt::Display for Level {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Level::Bes => "BES",
            Level::T => "T",
            Level::Xl => "XL",
            Level::A => "A",
        })
    }
}

/// One `ds:Reference`.
#[derive(Clone, Debug, Serialize)]
#[non_exhaustive]
pub struct ReferenceReport {
    /// The `URI` attribute as written.
    pub uri: String,
    /// The `Type` attribute, if any.
    pub reference_type: Option<String>,
    /// The element the reference covered (a slash path from the root), when it resolved to
    /// exactly one.
    pub covered: Option<String>,
    /// The DigestMethod URI.
    pub digest_method: Option<String>,
    /// The transform URIs, in order.
    pub transforms: Vec<String>,
    /// The outcome: INVALID names the failed step (resolution, transform, digest method,
    /// DigestValue, digest).
    pub verdict: Verdict,
}

/// The signer certificate and the qualification it proves.
#[derive(Clone, Debug, Serialize)]
#[non_exhaustive]
pub struct SignerReport {
    /// Subject of the KeyInfo certificate.
    pub subject: Option<String>,
    /// Its serial, hex.
    pub serial: Option<String>,
    /// The hcRoles the certificate states.
    pub roles: Vec<String>,
    /// The roles this signature needs (any one).
    pub required_roles: Vec<String>,
    /// The time the path was validated at (RFC 3339).
    pub validated_at: Option<String>,
    /// HPKI path, purpose, validity, revocation and hcRole at that time.
    pub verdict: Verdict,
}

/// Everything checked for one `ds:Signature`.
#[derive(Clone, Debug, Serialize)]
#[non_exhaustive]
pub struct SignatureReport {
    /// The signature's `Id`.
    pub id: Option<String>,
    /// Where it sits (a slash path from the root).
    pub location: String,
    /// `PrescriptionSign`, `DispensingSign`, or `None` for a signature the document does not
    /// expect.
    pub role_in_document: Option<String>,
    /// Placement and shape: expected by the document kind, the required children and
    /// properties, the references the profile needs.
    pub structure: Verdict,
    /// Each reference.
    pub references: Vec<ReferenceReport>,
    /// `ds:SignatureValue` over the canonicalised `ds:SignedInfo` with the KeyInfo certificate.
    pub signature_value: Verdict,
    /// `SigningCertificateV2` (digest and issuer/serial) against the KeyInfo certificate.
    pub signing_certificate: Verdict,
    /// The signer certificate: HPKI path and hcRole at the signing time.
    pub signer: SignerReport,
    /// The claimed `SigningTime` (RFC 3339).
    pub signing_time: Option<String>,
    /// `SignatureTimeStamp`, when present.
    pub signature_timestamp: Option<Verdict>,
    /// The time the signature timestamp proves (RFC 3339).
    pub timestamp_time: Option<String>,
    /// `CertificateValues` / `RevocationValues` sufficing for the offline check, when present.
    pub validation_data: Option<Verdict>,
    /// `ArchiveTimeStamp`, when present.
    pub archive_timestamp: Option<Verdict>,
    /// The highest level whose parts are all VALID.
    pub level: Option<Level>,
    /// The worst of every part present.
    pub verdict: Verdict,
}

/// The report of a whole document.
#[derive(Clone, Debug, Serialize)]
#[non_exhaustive]
pub struct DocumentReport {
    /// Prescription or dispensing record.
    pub kind: DocumentKind,
    /// Every `ds:Signature`, in document order.
    pub signatures: Vec<SignatureReport>,
    /// Expected signatures that are missing (`PrescriptionSign`, `DispensingSign`).
    pub missing: Vec<String>,
    /// VALID only when every expected signature is present and VALID and there is no other.
    pub verdict: Verdict,
}

pub(crate) fn rfc3339(t: OffsetDateTime) -> String {
    use time::format_description::well_known::Rfc3339;
    t.format(&Rfc3339)
        .unwrap_or_else(|_| t.unix_timestamp().to_string())
}
