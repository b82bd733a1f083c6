//! RFC 5035 `SigningCertificateV2` (the CAdES / XAdES signing-certificate reference).

use der::Sequence;
use der::asn1::OctetString;
use x509_cert::ext::pkix::name::GeneralNames;
use x509_cert::serial_number::SerialNumber;
use x509_cert::spki::AlgorithmIdentifierOwned;

/// ```text
/// SigningCertificateV2 ::= SEQUENCE {
///     certs        SEQUENCE OF ESSCertIDv2,
///     policies     SEQUENCE OF PolicyInformation OPTIONAL }
/// ```
/// The policies are kept as raw DER: nothing here interprets them.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct SigningCertificateV2 {
    /// The referenced certificates; the first is the signer's.
    pub certs: Vec<EssCertIdV2>,
    /// `policies`, unparsed.
    #[asn1(optional = "true")]
    pub policies: Option<der::Any>,
}

/// ```text
/// ESSCertIDv2 ::= SEQUENCE {
///     hashAlgorithm  AlgorithmIdentifier DEFAULT {algorithm id-sha256},
///     certHash       OCTET STRING,
///     issuerSerial   IssuerSerial OPTIONAL }
/// ```
/// An absent `hash_algorithm` means SHA-256 (DER omits the default).
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct EssCertIdV2 {
    /// The hash algorithm, absent for SHA-256.
    #[asn1(optional = "true")]
    pub hash_algorithm: Option<AlgorithmIdentifierOwned>,
    /// Hash of the whole certificate DER.
    pub cert_hash: OctetString,
    /// The certificate's issuer and serial.
    #[asn1(optional = "true")]
    pub issuer_serial: Option<IssuerSerial>,
}

/// ```text
/// IssuerSerial ::= SEQUENCE {
///     issuer        GeneralNames,
///     serialNumber  CertificateSerialNumber }
/// ```
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct IssuerSerial {
    /// The issuer, as a directoryName.
    pub issuer: GeneralNames,
    /// The serial number.
    pub serial_number: SerialNumber,
}

/// `id-aa-ets-revocationValues` (RFC 5126 §6.3.4): revocation data as an unsigned attribute.
pub const ID_AA_ETS_REVOCATION_VALUES: const_oid::ObjectIdentifier =
    const_oid::ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.2.24");

/// ```text
/// RevocationValues ::= SEQUENCE {
///     crlVals       [0] SEQUENCE OF CertificateList OPTIONAL,
///     ocspVals      [1] SEQUENCE OF BasicOCSPResponse OPTIONAL,
///     otherRevVals  [2] OtherRevVals OPTIONAL }
/// ```
/// (explicit tags, as RFC 5126's module says); the values are kept as DER.
#[derive(Clone, Debug, Eq, PartialEq, Sequence, Default)]
pub struct RevocationValues {
    /// CRLs.
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    pub crl_vals: Option<Vec<der::Any>>,
    /// BasicOCSPResponses.
    #[asn1(context_specific = "1", tag_mode = "EXPLICIT", optional = "true")]
    pub ocsp_vals: Option<Vec<der::Any>>,
    /// Other revocation data, unparsed.
    #[asn1(context_specific = "2", tag_mode = "EXPLICIT", optional = "true")]
    pub other_rev_vals: Option<der::Any>,
}
