//! [`TrustStore`]: the trust anchors, by default the J-LIS roots shipped in this crate.

use std::sync::OnceLock;

use crate::{Certificate, CertificateKind, Error, Purpose};

/// One shipped J-LIS root.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct JlisRoot {
    /// File name under `roots/`.
    pub file: &'static str,
    /// Authentication or signature CA.
    pub purpose: Purpose,
    /// The year the generation started.
    pub generation: u16,
    /// The PEM text.
    pub pem: &'static str,
}

/// The J-LIS root certificates shipped with this crate (public copies; 2015 and 2023 generations of
/// the authentication and the signature CA). Generations share one name and differ in key.
pub const JLIS_ROOTS: [JlisRoot; 4] = [
    JlisRoot {
        file: "auth_ca_2015.pem",
        purpose: Purpose::Authentication,
        generation: 2015,
        pem: include_str!("../roots/auth_ca_2015.pem"),
    },
    JlisRoot {
        file: "auth_ca_2023.pem",
        purpose: Purpose::Authentication,
        generation: 2023,
        pem: include_str!("../roots/auth_ca_2023.pem"),
    },
    JlisRoot {
        file: "sign_ca_2015.pem",
        purpose: Purpose::Signature,
        generation: 2015,
        pem: include_str!("../roots/sign_ca_2015.pem"),
    },
    JlisRoot {
        file: "sign_ca_2023.pem",
        purpose: Purpose::Signature,
        generation: 2023,
        pem: include_str!("../roots/sign_ca_2023.pem"),
    },
];

/// Trust anchors. Anchors are trusted as configured: their own signatures are not checked, but
/// their validity period, CA flag and keyCertSign are, like every certificate of a path.
#[derive(Clone, Debug, Default)]
pub struct TrustStore {
    anchors: Vec<Certificate>,
}

impl TrustStore {
    /// An empty store (nothing validates).
    pub fn new() -> Self {
        Self::default()
    }

    /// The built-in J-LIS roots, every generation shipped.
    pub fn jlis() -> Result<Self, Error> {
        static PARSED: OnceLock<Result<TrustStore, Error>> = OnceLock::new();
        PARSED
            .get_or_init(|| {
                JLIS_ROOTS
                    .iter()
                    .map(|r| Certificate::from_pem(r.pem))
                    .collect::<Result<Vec<_>, _>>()
                    .map(|anchors| TrustStore { anchors })
            })
            .clone()
    }

    /// A store of these anchors.
    pub fn from_certificates(anchors: impl IntoIterator<Item = Certificate>) -> Self {
        Self {
            anchors: anchors.into_iter().collect(),
        }
    }

    /// Adds an anchor (duplicates are ignored).
    pub fn add(&mut self, anchor: Certificate) {
        if !self.anchors.contains(&anchor) {
            self.anchors.push(anchor);
        }
    }

    /// Adds an anchor (builder style).
    #[must_use]
    pub fn with(mut self, anchor: Certificate) -> Self {
        self.add(anchor);
        self
    }

    /// The anchors.
    pub fn anchors(&self) -> &[Certificate] {
        &self.anchors
    }

    /// The anchors of one JPKI purpose (J-LIS CA names).
    pub fn jpki_anchors(&self, purpose: Purpose) -> impl Iterator<Item = &Certificate> {
        self.anchors.iter().filter(move |a| {
            a.kind() == CertificateKind::JpkiCa && crate::cert::jpki_ca_purpose(a) == Some(purpose)
        })
    }

    /// Number of anchors.
    pub fn len(&self) -> usize {
        self.anchors.len()
    }

    /// No anchors.
    pub fn is_empty(&self) -> bool {
        self.anchors.is_empty()
    }
}
