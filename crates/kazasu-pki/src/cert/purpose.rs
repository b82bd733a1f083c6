//! [`Purpose`]: the two JPKI certificate families.

use std::fmt;

use der::asn1::ObjectIdentifier;
use serde::{Deserialize, Serialize};

use crate::oids;

/// The two JPKI certificate families (HPKI purposes will join them).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Purpose {
    /// 利用者証明用: log-in / identification. KeyUsage digitalSignature, policy `1.2.392.200149.8.5.1.3.30`.
    Authentication,
    /// 署名用: signing documents. Policy `1.2.392.200149.8.5.1.1.20`.
    Signature,
}

impl Purpose {
    /// The certificate policy a holder certificate of this purpose must carry.
    pub fn policy(self) -> ObjectIdentifier {
        match self {
            Purpose::Authentication => oids::JPKI_AUTH_POLICY,
            Purpose::Signature => oids::JPKI_SIGN_POLICY,
        }
    }

    /// `authentication` or `signature`.
    pub fn name(self) -> &'static str {
        match self {
            Purpose::Authentication => "authentication",
            Purpose::Signature => "signature",
        }
    }
}

impl fmt::Display for Purpose {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
