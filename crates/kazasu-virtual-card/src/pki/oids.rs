//! Object identifiers used by the JPKI certificate and CRL profile.
//!
//! The JPKI-specific arcs (`1.2.392.200149.8.5…`) are those of `shared/spec/card.md` §6; the rest are
//! the usual PKIX / PKCS#1 identifiers, restated here so the profile reads in one place.

use der::asn1::ObjectIdentifier;

pub use kazasu_types::oid::{
    JPKI_ADDRESS, JPKI_ADDRESS_SUBSTITUTE, JPKI_AUTH_POLICY, JPKI_BIRTH_DATE, JPKI_NAME,
    JPKI_NAME_SUBSTITUTE, JPKI_OTHER_NAME_ARC, JPKI_SEX, JPKI_SIGN_POLICY,
};

/// An extension OID no verifier knows (under the RFC 5612 documentation enterprise number 32473);
/// [`super::CertTemplate::unknown_critical_extension`] adds it, marked critical.
pub const TEST_UNKNOWN_EXTENSION: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.3.6.1.4.1.32473.1.1");

/// `rsaEncryption`.
pub const RSA_ENCRYPTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
/// `sha1WithRSAEncryption`.
pub const SHA1_WITH_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.5");
/// `sha256WithRSAEncryption`.
pub const SHA256_WITH_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.11");
/// `sha384WithRSAEncryption`.
pub const SHA384_WITH_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.12");
/// `sha512WithRSAEncryption`.
pub const SHA512_WITH_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.13");

/// `id-kp-clientAuth`.
pub const KP_CLIENT_AUTH: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.2");
/// `id-ad-ocsp` (access method of the AuthorityInfoAccess OCSP entry).
pub const AD_OCSP: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.48.1");

/// Attribute type `countryName` (C).
pub const AT_COUNTRY: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.6");
/// Attribute type `organizationName` (O).
pub const AT_ORGANIZATION: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.10");
/// Attribute type `organizationalUnitName` (OU).
pub const AT_ORGANIZATIONAL_UNIT: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.11");
/// Attribute type `commonName` (CN).
pub const AT_COMMON_NAME: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.3");
/// Attribute type `localityName` (L).
pub const AT_LOCALITY: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.7");

/// Extension `subjectKeyIdentifier`.
pub const EXT_SUBJECT_KEY_ID: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.14");
/// Extension `keyUsage`.
pub const EXT_KEY_USAGE: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.15");
/// Extension `subjectAltName`.
pub const EXT_SUBJECT_ALT_NAME: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.17");
/// Extension `issuerAltName`.
pub const EXT_ISSUER_ALT_NAME: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.18");
/// Extension `basicConstraints`.
pub const EXT_BASIC_CONSTRAINTS: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.19");
/// CRL extension `cRLNumber`.
pub const EXT_CRL_NUMBER: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.20");
/// CRL entry extension `reasonCode`.
pub const EXT_CRL_REASON: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.21");
/// Extension `cRLDistributionPoints`.
pub const EXT_CRL_DISTRIBUTION_POINTS: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.31");
/// Extension `certificatePolicies`.
pub const EXT_CERTIFICATE_POLICIES: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.32");
/// Extension `authorityKeyIdentifier`.
pub const EXT_AUTHORITY_KEY_ID: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.35");
/// Extension `extKeyUsage`.
pub const EXT_EXTENDED_KEY_USAGE: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.37");
/// Extension `authorityInfoAccess`.
pub const EXT_AUTHORITY_INFO_ACCESS: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.1.1");

/// Attribute type `serialNumber` (the HPKI holder subject carries the HPKI ID in it).
pub const AT_SERIAL_NUMBER: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.4.5");
/// Extension `subjectDirectoryAttributes` (the HPKI hcRole sits in it).
pub const EXT_SUBJECT_DIRECTORY_ATTRIBUTES: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("2.5.29.9");
/// CRL extension `issuingDistributionPoint` (critical in the HPKI root's ARLs).
pub const EXT_ISSUING_DISTRIBUTION_POINT: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("2.5.29.28");
/// Policy qualifier `id-qt-cps`.
pub const QT_CPS: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.2.1");
/// The arc every HPKI certificate policy sits under.
pub const HPKI_POLICY_ARC: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.392.100495.1.5");
/// Policy of the HPKI signature CAs (as in the public MEDIS and JMA signing CA certificates).
pub const HPKI_SIGN_CA_POLICY: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.392.100495.1.5.1.1.3.1");
/// Policy of the HPKI authentication CAs (as in the public MEDIS authentication CA certificate).
pub const HPKI_AUTH_CA_POLICY: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.392.100495.1.5.1.2.3.1");
/// Policy of an HPKI signature holder certificate (seen in a MEDIS sample certificate).
pub const HPKI_SIGN_HOLDER_POLICY: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.392.100495.1.5.1.1.0.1");
/// Policy the test PKI gives HPKI authentication holder certificates: the signature holder policy with
/// the authentication branch (`.2`) of the CA policies. Modelled, not seen in a real certificate.
pub const HPKI_AUTH_HOLDER_POLICY: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.392.100495.1.5.1.2.0.1");
/// Attribute type `hcRole` of ISO 17090 (`id-hcpki-at-healthcareactor`).
pub const HC_ROLE_ATTRIBUTE: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.0.17090.0.1");
/// The coding scheme of the Japanese HPKI role strings.
pub const HPKI_ROLE_CODING_SCHEME: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.2.392.100495.1.6.1.1");

#[cfg(test)]
mod tests {
    use super::*;
    use der::oid::AssociatedOid;

    #[test]
    fn pkix_constants_agree_with_x509_cert() {
        use x509_cert::ext::pkix;
        assert_eq!(EXT_KEY_USAGE, pkix::KeyUsage::OID);
        assert_eq!(EXT_BASIC_CONSTRAINTS, pkix::BasicConstraints::OID);
        assert_eq!(EXT_SUBJECT_ALT_NAME, pkix::SubjectAltName::OID);
        assert_eq!(EXT_ISSUER_ALT_NAME, pkix::IssuerAltName::OID);
        assert_eq!(
            EXT_CRL_DISTRIBUTION_POINTS,
            pkix::CrlDistributionPoints::OID
        );
        assert_eq!(EXT_CERTIFICATE_POLICIES, pkix::CertificatePolicies::OID);
        assert_eq!(EXT_AUTHORITY_KEY_ID, pkix::AuthorityKeyIdentifier::OID);
        assert_eq!(EXT_SUBJECT_KEY_ID, pkix::SubjectKeyIdentifier::OID);
        assert_eq!(EXT_EXTENDED_KEY_USAGE, pkix::ExtendedKeyUsage::OID);
        assert_eq!(
            EXT_AUTHORITY_INFO_ACCESS,
            pkix::AuthorityInfoAccessSyntax::OID
        );
        assert_eq!(EXT_CRL_NUMBER, pkix::CrlNumber::OID);
        assert_eq!(EXT_CRL_REASON, pkix::CrlReason::OID);
        assert_eq!(
            EXT_SUBJECT_DIRECTORY_ATTRIBUTES,
            pkix::SubjectDirectoryAttributes::OID
        );
        // x509-cert 0.3.0 associates IssuingDistributionPoint with id-pe-subjectInfoAccess
        // (1.3.6.1.5.5.7.1.11), not RFC 5280's id-ce-issuingDistributionPoint: look the extension up
        // by our OID, never with `get_extension::<IssuingDistributionPoint>()`.
        assert_eq!(EXT_ISSUING_DISTRIBUTION_POINT.to_string(), "2.5.29.28");
        assert_ne!(
            EXT_ISSUING_DISTRIBUTION_POINT,
            pkix::crl::dp::IssuingDistributionPoint::OID
        );
        assert!(
            JPKI_NAME
                .as_bytes()
                .starts_with(JPKI_OTHER_NAME_ARC.as_bytes())
        );
    }
}
