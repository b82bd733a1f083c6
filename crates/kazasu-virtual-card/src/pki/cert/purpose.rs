//! [`Purpose`]: the two JPKI certificate families of the test PKI.

use der::asn1::ObjectIdentifier;

use crate::pki::oids;

/// Which of the two JPKI certificate families a CA or holder certificate belongs to.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Purpose {
    /// 利用者証明用電子証明書: the authentication certificate (no personal data).
    Authentication,
    /// 署名用電子証明書: the signature certificate (name, address, birth date, sex).
    Signature,
}

impl Purpose {
    /// Both purposes, authentication first.
    pub const ALL: [Purpose; 2] = [Purpose::Authentication, Purpose::Signature];

    /// The `OU` that distinguishes the two root names.
    pub fn organizational_unit(self) -> &'static str {
        match self {
            Purpose::Authentication => "JPKI for user authentication",
            Purpose::Signature => "JPKI for digital signature",
        }
    }

    /// The Japanese `OU` of the 公的個人認証サービス directory name (root subjectAltName, holder issuerAltName).
    pub fn organizational_unit_ja(self) -> &'static str {
        match self {
            Purpose::Authentication => "公的個人認証サービス利用者証明用",
            Purpose::Signature => "公的個人認証サービス署名用",
        }
    }

    /// The holder certificate policy.
    pub fn policy(self) -> ObjectIdentifier {
        match self {
            Purpose::Authentication => oids::JPKI_AUTH_POLICY,
            Purpose::Signature => oids::JPKI_SIGN_POLICY,
        }
    }

    /// The OCSP responder URI put in holder certificates' AuthorityInfoAccess.
    ///
    /// The authentication URI is the one of `card.md` §6; the signature one follows the same naming
    /// (`ocspsignnorm`) and is an assumption of this test PKI.
    pub fn ocsp_uri(self) -> &'static str {
        match self {
            Purpose::Authentication => "http://ocspauthnorm.jpki.go.jp",
            Purpose::Signature => "http://ocspsignnorm.jpki.go.jp",
        }
    }
}
