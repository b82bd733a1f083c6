//! [`Purpose`]: the certificate families.

use core::fmt;

use const_oid::ObjectIdentifier;

use crate::oid;

/// What a certificate and its key are for: the two JPKI families and the two HPKI (healthcare)
/// families. More may join, so match with a wildcard arm.
///
/// Serialized (feature `serde`) as `authentication`, `signature`, `hpki_signature` or
/// `hpki_authentication`, `time_stamping` or `ocsp_signing`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
#[non_exhaustive]
pub enum Purpose {
    /// 利用者証明用: log-in / identification (no personal data). KeyUsage digitalSignature, policy
    /// `1.2.392.200149.8.5.1.3.30`.
    Authentication,
    /// 署名用: signing documents (name, address, birth date, sex in the certificate). KeyUsage
    /// nonRepudiation, policy `1.2.392.200149.8.5.1.1.20`.
    Signature,
    /// HPKI signature (署名用, e.g. 電子医師資格証): KeyUsage nonRepudiation, a certificate policy
    /// under the HPKI arc `1.2.392.100495.1.5`.
    HpkiSignature,
    /// HPKI authentication (認証用): KeyUsage digitalSignature, a certificate policy under the HPKI
    /// arc `1.2.392.100495.1.5`.
    HpkiAuthentication,
    /// A time-stamping authority (RFC 3161): ExtendedKeyUsage exactly `id-kp-timeStamping`, critical;
    /// no certificate policy required.
    TimeStamping,
    /// A delegated OCSP responder (RFC 6960 §4.2.2.2): ExtendedKeyUsage `id-kp-OCSPSigning`; no
    /// certificate policy required.
    OcspSigning,
}

impl Purpose {
    /// The JPKI purposes, authentication first (the HPKI ones are [`Purpose::HPKI`]).
    pub const ALL: [Purpose; 2] = [Purpose::Authentication, Purpose::Signature];

    /// The HPKI purposes, signature first.
    pub const HPKI: [Purpose; 2] = [Purpose::HpkiSignature, Purpose::HpkiAuthentication];

    /// Whether this is an HPKI purpose.
    pub fn is_hpki(self) -> bool {
        matches!(self, Purpose::HpkiSignature | Purpose::HpkiAuthentication)
    }

    /// Whether this is the purpose of a service certificate (a TSA or an OCSP responder) rather
    /// than a holder's.
    pub fn is_service(self) -> bool {
        matches!(self, Purpose::TimeStamping | Purpose::OcspSigning)
    }

    /// The certificate policy a holder certificate of this purpose carries: the exact JPKI policy,
    /// or for HPKI the arc `1.2.392.100495.1.5` its holder policies sit under (each HPKI CA has its
    /// own; see [`Purpose::accepts_policy`]).
    pub fn policy(self) -> ObjectIdentifier {
        match self {
            Purpose::Authentication => oid::JPKI_AUTH_POLICY,
            Purpose::Signature => oid::JPKI_SIGN_POLICY,
            Purpose::HpkiSignature | Purpose::HpkiAuthentication => oid::HPKI_POLICY_ARC,
            Purpose::TimeStamping | Purpose::OcspSigning => oid::ANY_POLICY,
        }
    }

    /// Whether a holder certificate policy `policy` fits this purpose: equal to the JPKI policy, or
    /// strictly under the HPKI arc.
    pub fn accepts_policy(self, policy: &ObjectIdentifier) -> bool {
        if self.is_service() {
            true
        } else if self.is_hpki() {
            oid::is_under(policy, &oid::HPKI_POLICY_ARC)
        } else {
            *policy == self.policy()
        }
    }

    /// `authentication`, `signature`, `hpki_signature`, `hpki_authentication`, `time_stamping` or
    /// `ocsp_signing`.
    pub fn name(self) -> &'static str {
        match self {
            Purpose::Authentication => "authentication",
            Purpose::Signature => "signature",
            Purpose::HpkiSignature => "hpki_signature",
            Purpose::HpkiAuthentication => "hpki_authentication",
            Purpose::TimeStamping => "time_stamping",
            Purpose::OcspSigning => "ocsp_signing",
        }
    }

    /// The `OU` that tells the J-LIS CA names of the two JPKI purposes apart (`JPKI for user
    /// authentication`, `JPKI for digital signature`); empty for the HPKI purposes, whose CAs are
    /// not J-LIS's.
    pub fn organizational_unit(self) -> &'static str {
        match self {
            Purpose::Authentication => "JPKI for user authentication",
            Purpose::Signature => "JPKI for digital signature",
            _ => "",
        }
    }

    /// The Japanese `OU` of the 公的個人認証サービス directory name (the CA's subjectAltName, the
    /// holder certificate's issuerAltName); empty for the HPKI purposes.
    pub fn organizational_unit_ja(self) -> &'static str {
        match self {
            Purpose::Authentication => "公的個人認証サービス利用者証明用",
            Purpose::Signature => "公的個人認証サービス署名用",
            _ => "",
        }
    }
}

impl fmt::Display for Purpose {
    /// [`Purpose::name`].
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    #[test]
    fn policies_and_names() {
        assert_eq!(
            Purpose::Authentication.policy().to_string(),
            "1.2.392.200149.8.5.1.3.30"
        );
        assert_eq!(
            Purpose::Signature.policy().to_string(),
            "1.2.392.200149.8.5.1.1.20"
        );
        assert_eq!(Purpose::Signature.to_string(), "signature");
        assert_eq!(Purpose::HpkiSignature.to_string(), "hpki_signature");
        assert!(Purpose::HPKI.iter().all(|p| p.is_hpki()));
        assert!(!Purpose::ALL.iter().any(|p| p.is_hpki()));
        assert_ne!(
            Purpose::ALL[0].organizational_unit(),
            Purpose::ALL[1].organizational_unit()
        );
    }

    #[test]
    fn hpki_policies_are_strictly_under_the_arc() {
        let holder = ObjectIdentifier::new_unwrap("1.2.392.100495.1.5.1.1.0.1");
        assert!(Purpose::HpkiSignature.accepts_policy(&holder));
        assert!(Purpose::HpkiAuthentication.accepts_policy(&holder));
        assert!(!Purpose::HpkiSignature.accepts_policy(&oid::HPKI_POLICY_ARC));
        assert!(!Purpose::HpkiSignature.accepts_policy(&oid::JPKI_SIGN_POLICY));
        assert!(!Purpose::Signature.accepts_policy(&holder));
        assert!(Purpose::Signature.accepts_policy(&oid::JPKI_SIGN_POLICY));
        // A sibling arc sharing a textual prefix is not under it.
        let sibling = ObjectIdentifier::new_unwrap("1.2.392.100495.1.55.1");
        assert!(!Purpose::HpkiSignature.accepts_policy(&sibling));
    }

    #[cfg(feature = "serde")]
    #[test]
    fn serde_names() {
        assert_eq!(
            serde_json::to_string(&Purpose::Authentication).unwrap(),
            "\"authentication\""
        );
        assert_eq!(
            serde_json::from_str::<Purpose>("\"signature\"").unwrap(),
            Purpose::Signature
        );
    }
}
