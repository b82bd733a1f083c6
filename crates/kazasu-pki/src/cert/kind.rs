//! [`CertificateKind`]: what a certificate is, judged from its policies, constraints and name.

use std::fmt;

use serde::{Deserialize, Serialize};
use x509_cert::name::Name;

use super::Purpose;
use super::extensions::Exts;
use super::name::{is_hpki_root_name, jpki_ca_name_purpose};
use crate::oids;

/// What a certificate is, judged from its policies, constraints and name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum CertificateKind {
    /// A JPKI authentication (利用者証明用) holder certificate.
    JpkiAuthentication,
    /// A JPKI signature (署名用) holder certificate.
    JpkiSignature,
    /// A J-LIS CA certificate (a root of either purpose, any generation).
    JpkiCa,
    /// An HPKI holder certificate (not a CA, a certificate policy under `1.2.392.100495.1.5`).
    HpkiHolder,
    /// An HPKI CA certificate (a CA with a policy under `1.2.392.100495.1.5`, or the MHLW HPKI root).
    HpkiCa,
    /// Anything else.
    Other,
}

impl CertificateKind {
    /// The purpose a JPKI holder certificate serves.
    pub fn purpose(self) -> Option<Purpose> {
        match self {
            CertificateKind::JpkiAuthentication => Some(Purpose::Authentication),
            CertificateKind::JpkiSignature => Some(Purpose::Signature),
            _ => None,
        }
    }
}

impl fmt::Display for CertificateKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CertificateKind::JpkiAuthentication => "JPKI authentication certificate (利用者証明用)",
            CertificateKind::JpkiSignature => "JPKI signature certificate (署名用)",
            CertificateKind::JpkiCa => "JPKI certification authority",
            CertificateKind::HpkiHolder => "HPKI holder certificate",
            CertificateKind::HpkiCa => "HPKI certification authority",
            CertificateKind::Other => "other certificate",
        })
    }
}

pub(super) fn classify(c: &Exts, subject: &Name) -> CertificateKind {
    let policies = c.policies.as_deref().unwrap_or_default();
    let ca = c.basic_constraints.as_ref().is_some_and(|b| b.ca);
    if !ca && policies.contains(&oids::JPKI_AUTH_POLICY) {
        CertificateKind::JpkiAuthentication
    } else if !ca && policies.contains(&oids::JPKI_SIGN_POLICY) {
        CertificateKind::JpkiSignature
    } else if ca && jpki_ca_name_purpose(subject).is_some() {
        CertificateKind::JpkiCa
    } else if policies
        .iter()
        .any(|p| kazasu_types::oid::is_under(p, &oids::HPKI_POLICY_ARC))
    {
        if ca {
            CertificateKind::HpkiCa
        } else {
            CertificateKind::HpkiHolder
        }
    } else if ca && is_hpki_root_name(subject) {
        CertificateKind::HpkiCa
    } else {
        CertificateKind::Other
    }
}
