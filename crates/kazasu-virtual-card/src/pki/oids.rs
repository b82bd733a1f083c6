//! Object identifiers used by the JPKI certificate and CRL profile.
//!
//! The JPKI-specific arcs (`1.2.392.200149.8.5…`) come from `kazasu-types`. The
//! PKIX / PKCS#1 identifiers are named from `const-oid`'s database (`der::oid::db::rfc5280`,
//! `rfc5912`, `rfc4519`; `x509-cert` turns the database on) rather than restated here.

use der::asn1::ObjectIdentifier;

pub use kazasu_types::oid::{
    JPKI_ADDRESS, JPKI_ADDRESS_SUBSTITUTE, JPKI_AUTH_POLICY, JPKI_BIRTH_DATE, JPKI_NAME,
    JPKI_NAME_SUBSTITUTE, JPKI_OTHER_NAME_ARC, JPKI_SEX, JPKI_SIGN_POLICY,
};

/// An extension OID no verifier knows (under the RFC 5612 documentation enterprise number 32473);
/// [`super::CertTemplate::unknown_critical_extension`] adds it, marked critical.
pub const TEST_UNKNOWN_EXTENSION: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.3.6.1.4.1.32473.1.1");

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
pub use kazasu_types::oid::HC_ROLE as HC_ROLE_ATTRIBUTE;
pub use kazasu_types::oid::{HPKI_POLICY_ARC, HPKI_ROLE_CODING_SCHEME};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jpki_other_name_arc_prefixes_the_name_oid() {
        assert!(
            JPKI_NAME
                .as_bytes()
                .starts_with(JPKI_OTHER_NAME_ARC.as_bytes())
        );
    }
}
