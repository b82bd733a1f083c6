//! [`Purpose`]: the certificate families.

use core::fmt;

use const_oid::ObjectIdentifier;

use crate::oid;

/// What a certificate and its key are for. JPKI has two families; HPKI's will join them, so match
/// with a wildcard arm.
///
/// Serialized (feature `serde`) as `authentication` or `signature`.
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
}

impl Purpose {
    /// The JPKI purposes, authentication first.
    pub const ALL: [Purpose; 2] = [Purpose::Authentication, Purpose::Signature];

    /// The certificate policy a holder certificate of this purpose carries.
    pub fn policy(self) -> ObjectIdentifier {
        match self {
            Purpose::Authentication => oid::JPKI_AUTH_POLICY,
            Purpose::Signature => oid::JPKI_SIGN_POLICY,
        }
    }

    /// `authentication` or `signature`.
    pub fn name(self) -> &'static str {
        match self {
            Purpose::Authentication => "authentication",
            Purpose::Signature => "signature",
        }
    }

    /// The `OU` that tells the J-LIS CA names of the two purposes apart (`JPKI for user
    /// authentication`, `JPKI for digital signature`).
    pub fn organizational_unit(self) -> &'static str {
        match self {
            Purpose::Authentication => "JPKI for user authentication",
            Purpose::Signature => "JPKI for digital signature",
        }
    }

    /// The Japanese `OU` of the 公的個人認証サービス directory name (the CA's subjectAltName, the
    /// holder certificate's issuerAltName).
    pub fn organizational_unit_ja(self) -> &'static str {
        match self {
            Purpose::Authentication => "公的個人認証サービス利用者証明用",
            Purpose::Signature => "公的個人認証サービス署名用",
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
        assert_ne!(
            Purpose::ALL[0].organizational_unit(),
            Purpose::ALL[1].organizational_unit()
        );
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
