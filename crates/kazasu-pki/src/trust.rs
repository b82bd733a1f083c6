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

/// One shipped HPKI CA certificate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HpkiCa {
    /// File name under `roots/hpki/`.
    pub file: &'static str,
    /// What it is.
    pub description: &'static str,
    /// The PEM text.
    pub pem: &'static str,
}

/// The MHLW HPKI Root CA V2 (public copy), the default HPKI trust anchor: self-signed, valid
/// 2014-01-17 to 2044-01-16, SHA-256 of the DER
/// `6ed2796b1b101736d952185787cb36da9ce80522cc8cb7b5ce728b61be1b674c`. It anchors the HPKI purposes
/// only; a J-LIS root never anchors an HPKI certificate and this root never a JPKI one.
pub const HPKI_ROOT: HpkiCa = HpkiCa {
    file: "mhlw_hpki_root_ca_v2.pem",
    description: "MHLW HPKI Root CA V2 (HPKI trust anchor)",
    pem: include_str!("../roots/hpki/mhlw_hpki_root_ca_v2.pem"),
};

/// The HPKI CA certificates shipped as known intermediates (public copies, all issued by
/// [`HPKI_ROOT`]): they are candidates for path building, never anchors.
pub const HPKI_INTERMEDIATES: [HpkiCa; 3] = [
    HpkiCa {
        file: "medis_sign_ca2.pem",
        description: "HPKI-01-MedisSignCA2-forNonRepudiation (MEDIS signing CA, policy 1.2.392.100495.1.5.1.1.3.1)",
        pem: include_str!("../roots/hpki/medis_sign_ca2.pem"),
    },
    HpkiCa {
        file: "medis_auth_ca2.pem",
        description: "HPKI-01-MedisAuthCA2-forAuthentication-forIndividual (MEDIS authentication CA, policy 1.2.392.100495.1.5.1.2.3.1)",
        pem: include_str!("../roots/hpki/medis_auth_ca2.pem"),
    },
    HpkiCa {
        file: "jma_hpki_jv2_sign_ca.pem",
        description: "HPKI-01-HPKI_JV2-forNonRepudiation (Japan Medical Association signing CA)",
        pem: include_str!("../roots/hpki/jma_hpki_jv2_sign_ca.pem"),
    },
];

/// The parsed [`HPKI_INTERMEDIATES`].
pub fn hpki_intermediates() -> Result<Vec<Certificate>, Error> {
    HPKI_INTERMEDIATES
        .iter()
        .map(|c| Certificate::from_pem(c.pem))
        .collect()
}

/// Trust anchors, each trusted for a set of [`Purpose`]s.
///
/// Anchors are trusted as configured: their own signatures are not checked, but their validity
/// period, CA flag and keyCertSign are, like every certificate of a path. A path validates for a
/// purpose only when its anchor is trusted for that purpose, so a signature certificate chaining
/// to the authentication root (or the reverse) is refused even if the keys verify.
///
/// Where the purposes come from:
///
/// - [`TrustStore::add`], [`TrustStore::with`], [`TrustStore::from_certificates`] and
///   [`TrustStore::jlis`] derive them from the name: a J-LIS CA name
///   (`C=JP, O=JPKI, OU=<purpose>, OU=Japan Agency for Local Authority Information Systems`) with
///   `OU=JPKI for user authentication` is trusted for [`Purpose::Authentication`], with
///   `OU=JPKI for digital signature` for [`Purpose::Signature`]. The MHLW HPKI root name
///   (`C=JP, O=Ministry of Health, Labour and Welfare, OU=Director-General for Policy Planning and
///   Evaluation, OU=MHLW HPKI Root CA V2`) is trusted for [`Purpose::HpkiSignature`] and
///   [`Purpose::HpkiAuthentication`] and nothing else. **Any other anchor is trusted for
///   no purpose** (every path to it is rejected with [`crate::Rejection::AnchorPurposeMismatch`])
///   until its purposes are given.
/// - [`TrustStore::add_for`] / [`TrustStore::with_for`] state them explicitly (they are added to
///   those the anchor already has).
#[derive(Clone, Debug, Default)]
pub struct TrustStore {
    anchors: Vec<Certificate>,
    /// `purposes[i]` are the purposes `anchors[i]` is trusted for.
    purposes: Vec<Vec<Purpose>>,
}

/// The purposes an anchor's name gives it (a J-LIS CA name: its one purpose; the MHLW HPKI root
/// CA name: the HPKI purposes; otherwise none).
fn derived_purposes(anchor: &Certificate) -> Vec<Purpose> {
    if crate::cert::is_hpki_root(anchor) {
        return Purpose::HPKI.to_vec();
    }
    crate::cert::jpki_ca_purpose(anchor).into_iter().collect()
}

impl TrustStore {
    /// An empty store (nothing validates).
    pub fn new() -> Self {
        Self::default()
    }

    /// The built-in J-LIS roots, every generation shipped, each trusted for the purpose its name
    /// (and [`JlisRoot::purpose`]) says.
    pub fn jlis() -> Result<Self, Error> {
        static PARSED: OnceLock<Result<TrustStore, Error>> = OnceLock::new();
        PARSED
            .get_or_init(|| {
                let mut store = TrustStore::new();
                for root in &JLIS_ROOTS {
                    store.add_for(Certificate::from_pem(root.pem)?, [root.purpose]);
                }
                Ok(store)
            })
            .clone()
    }

    /// The built-in HPKI anchor, [`HPKI_ROOT`], trusted for the HPKI purposes only.
    pub fn hpki() -> Result<Self, Error> {
        static PARSED: OnceLock<Result<TrustStore, Error>> = OnceLock::new();
        PARSED
            .get_or_init(|| {
                Ok(
                    TrustStore::new()
                        .with_for(Certificate::from_pem(HPKI_ROOT.pem)?, Purpose::HPKI),
                )
            })
            .clone()
    }

    /// A store of these anchors, purposes derived from their names (see [`TrustStore`]).
    pub fn from_certificates(anchors: impl IntoIterator<Item = Certificate>) -> Self {
        let mut store = Self::new();
        for anchor in anchors {
            store.add(anchor);
        }
        store
    }

    /// Adds an anchor trusted for the purposes its name gives it: a J-LIS CA name gives its
    /// purpose, any other name none (see [`TrustStore`]; use [`TrustStore::add_for`] for those).
    /// Adding an anchor already present changes nothing.
    pub fn add(&mut self, anchor: Certificate) {
        let purposes = derived_purposes(&anchor);
        self.add_for(anchor, purposes);
    }

    /// Adds an anchor trusted for `purposes` (added to those it has if already present).
    pub fn add_for(&mut self, anchor: Certificate, purposes: impl IntoIterator<Item = Purpose>) {
        let index = match self.anchors.iter().position(|a| *a == anchor) {
            Some(i) => i,
            None => {
                self.anchors.push(anchor);
                self.purposes.push(Vec::new());
                self.anchors.len() - 1
            }
        };
        if let Some(have) = self.purposes.get_mut(index) {
            for p in purposes {
                if !have.contains(&p) {
                    have.push(p);
                }
            }
        }
    }

    /// Adds an anchor with purposes derived from its name (builder style).
    #[must_use]
    pub fn with(mut self, anchor: Certificate) -> Self {
        self.add(anchor);
        self
    }

    /// Adds an anchor trusted for `purposes` (builder style).
    #[must_use]
    pub fn with_for(
        mut self,
        anchor: Certificate,
        purposes: impl IntoIterator<Item = Purpose>,
    ) -> Self {
        self.add_for(anchor, purposes);
        self
    }

    /// The anchors.
    pub fn anchors(&self) -> &[Certificate] {
        &self.anchors
    }

    /// The purposes `anchor` is trusted for (empty when it is not an anchor of this store).
    pub fn purposes(&self, anchor: &Certificate) -> &[Purpose] {
        self.anchors
            .iter()
            .position(|a| a == anchor)
            .and_then(|i| self.purposes.get(i))
            .map_or(&[], Vec::as_slice)
    }

    /// The anchors with their purposes, in the order added.
    pub fn iter(&self) -> impl Iterator<Item = (&Certificate, &[Purpose])> {
        self.anchors
            .iter()
            .zip(self.purposes.iter().map(Vec::as_slice))
    }

    /// The J-LIS CA anchors trusted for `purpose`.
    pub fn jpki_anchors(&self, purpose: Purpose) -> impl Iterator<Item = &Certificate> {
        self.iter()
            .filter(move |(a, p)| a.kind() == CertificateKind::JpkiCa && p.contains(&purpose))
            .map(|(a, _)| a)
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
