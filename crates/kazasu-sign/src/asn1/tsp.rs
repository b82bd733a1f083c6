//! RFC 3161 time-stamp protocol structures.

use const_oid::ObjectIdentifier;
use der::asn1::{BitString, Int, OctetString, Utf8StringRef};
use der::{Enumerated, Sequence};
use x509_cert::ext::Extensions;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::spki::AlgorithmIdentifierOwned;

use super::time::PreciseTime;

/// `id-ct-TSTInfo` (1.2.840.113549.1.9.16.1.4): the eContentType of a timestamp token.
pub const ID_CT_TST_INFO: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.1.4");

/// ```text
/// MessageImprint ::= SEQUENCE {
///     hashAlgorithm  AlgorithmIdentifier,
///     hashedMessage  OCTET STRING }
/// ```
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct MessageImprint {
    /// The hash algorithm.
    pub hash_algorithm: AlgorithmIdentifierOwned,
    /// The hash of the time-stamped data.
    pub hashed_message: OctetString,
}

/// `version INTEGER { v1(1) }`.
#[derive(Clone, Copy, Debug, Eq, PartialEq, Enumerated)]
#[asn1(type = "INTEGER")]
#[repr(u8)]
pub enum TspVersion {
    /// v1.
    V1 = 1,
}

/// ```text
/// TimeStampReq ::= SEQUENCE {
///     version         INTEGER { v1(1) },
///     messageImprint  MessageImprint,
///     reqPolicy       TSAPolicyId OPTIONAL,
///     nonce           INTEGER OPTIONAL,
///     certReq         BOOLEAN DEFAULT FALSE,
///     extensions      [0] IMPLICIT Extensions OPTIONAL }
/// ```
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct TimeStampReq {
    /// Always v1.
    pub version: TspVersion,
    /// What to time-stamp.
    pub message_imprint: MessageImprint,
    /// The policy asked for.
    #[asn1(optional = "true")]
    pub req_policy: Option<ObjectIdentifier>,
    /// A nonce the answer must echo.
    #[asn1(optional = "true")]
    pub nonce: Option<Int>,
    /// Whether the TSA should include its certificate.
    #[asn1(default = "Default::default")]
    pub cert_req: bool,
    /// Extensions.
    #[asn1(context_specific = "0", tag_mode = "IMPLICIT", optional = "true")]
    pub extensions: Option<Extensions>,
}

/// ```text
/// PKIStatusInfo ::= SEQUENCE {
///     status        PKIStatus,
///     statusString  PKIFreeText OPTIONAL,
///     failInfo      PKIFailureInfo OPTIONAL }
/// ```
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct PkiStatusInfo<'a> {
    /// 0 granted, 1 grantedWithMods, 2 rejection, 3 waiting, 4 revocationWarning,
    /// 5 revocationNotification.
    pub status: u8,
    /// Free text.
    #[asn1(optional = "true")]
    pub status_string: Option<Vec<Utf8StringRef<'a>>>,
    /// Failure bits.
    #[asn1(optional = "true")]
    pub fail_info: Option<BitString>,
}

/// ```text
/// TimeStampResp ::= SEQUENCE {
///     status          PKIStatusInfo,
///     timeStampToken  TimeStampToken OPTIONAL }
/// ```
/// The token is a `ContentInfo` (SignedData), kept as DER to be decoded with `cms`.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct TimeStampResp<'a> {
    /// The status.
    pub status: PkiStatusInfo<'a>,
    /// The token, when granted.
    #[asn1(optional = "true")]
    pub time_stamp_token: Option<der::Any>,
}

/// ```text
/// Accuracy ::= SEQUENCE {
///     seconds  INTEGER OPTIONAL,
///     millis   [0] INTEGER (1..999) OPTIONAL,
///     micros   [1] INTEGER (1..999) OPTIONAL }
/// ```
#[derive(Clone, Copy, Debug, Eq, PartialEq, Sequence, Default)]
pub struct Accuracy {
    /// Seconds.
    #[asn1(optional = "true")]
    pub seconds: Option<u32>,
    /// Milliseconds.
    #[asn1(context_specific = "0", tag_mode = "IMPLICIT", optional = "true")]
    pub millis: Option<u16>,
    /// Microseconds.
    #[asn1(context_specific = "1", tag_mode = "IMPLICIT", optional = "true")]
    pub micros: Option<u16>,
}

/// ```text
/// TSTInfo ::= SEQUENCE {
///     version         INTEGER { v1(1) },
///     policy          TSAPolicyId,
///     messageImprint  MessageImprint,
///     serialNumber    INTEGER,
///     genTime         GeneralizedTime,
///     accuracy        Accuracy OPTIONAL,
///     ordering        BOOLEAN DEFAULT FALSE,
///     nonce           INTEGER OPTIONAL,
///     tsa             [0] GeneralName OPTIONAL,
///     extensions      [1] IMPLICIT Extensions OPTIONAL }
/// ```
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct TstInfo {
    /// Always v1.
    pub version: TspVersion,
    /// The TSA's policy.
    pub policy: ObjectIdentifier,
    /// What was time-stamped.
    pub message_imprint: MessageImprint,
    /// Unique per TSA.
    pub serial_number: Int,
    /// When (fractions of a second allowed).
    pub gen_time: PreciseTime,
    /// How precise `gen_time` is.
    #[asn1(optional = "true")]
    pub accuracy: Option<Accuracy>,
    /// Whether tokens of this TSA can be ordered by `gen_time` alone.
    #[asn1(default = "Default::default")]
    pub ordering: bool,
    /// The request's nonce.
    #[asn1(optional = "true")]
    pub nonce: Option<Int>,
    /// The TSA's name (a CHOICE, so explicitly tagged).
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    pub tsa: Option<GeneralName>,
    /// Extensions.
    #[asn1(context_specific = "1", tag_mode = "IMPLICIT", optional = "true")]
    pub extensions: Option<Extensions>,
}
