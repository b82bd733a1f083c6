//! Algorithms and RSA PKCS#1 v1.5 verification.
//!
//! The pure-Rust `rsa` crate verifies by default. With the `aws-lc` feature, `aws-lc-rs` (AWS-LC,
//! assembly Montgomery multiplication) verifies every key of 2048–8192 bits, messages and digests
//! alike, with each key parsed once; smaller keys that a caller's policy admits still go through
//! `rsa`.

use std::cell::Cell;
use std::fmt;
use std::sync::OnceLock;

use const_oid::db::rfc5912;
use der::asn1::{AnyRef, UintRef};
use der::{Decode, Sequence};
use rsa::{BoxedUint, Pkcs1v15Sign};
use sha2::{Digest, Sha256, Sha384, Sha512};
use x509_cert::spki::AlgorithmIdentifierOwned;

thread_local! {
    static RSA_VERIFICATIONS: Cell<u64> = const { Cell::new(0) };
}

/// How many RSA signature verifications (certificates, CRLs, messages) the calling thread has
/// made so far. A diagnostic: per thread, so counting costs no shared write and a test sees only
/// its own work.
pub fn rsa_verifications() -> u64 {
    RSA_VERIFICATIONS.with(Cell::get)
}

fn count_rsa_verification() {
    RSA_VERIFICATIONS.with(|c| c.set(c.get().wrapping_add(1)));
}

/// A certificate or CRL signature algorithm.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SignatureAlgorithm {
    /// `sha1WithRSAEncryption` (refused unless a policy allows SHA-1).
    RsaPkcs1Sha1,
    /// `sha256WithRSAEncryption`, the JPKI algorithm.
    RsaPkcs1Sha256,
    /// `sha384WithRSAEncryption`.
    RsaPkcs1Sha384,
    /// `sha512WithRSAEncryption`.
    RsaPkcs1Sha512,
    /// Anything else (or an RSA algorithm with parameters other than NULL/absent): never verified.
    Other(String),
}

impl SignatureAlgorithm {
    pub(crate) fn from_identifier(alg: &AlgorithmIdentifierOwned) -> Self {
        let params_ok = match &alg.parameters {
            None => true,
            Some(p) => p.is_null(),
        };
        let known = match alg.oid {
            o if o == rfc5912::SHA_1_WITH_RSA_ENCRYPTION => Some(SignatureAlgorithm::RsaPkcs1Sha1),
            o if o == rfc5912::SHA_256_WITH_RSA_ENCRYPTION => {
                Some(SignatureAlgorithm::RsaPkcs1Sha256)
            }
            o if o == rfc5912::SHA_384_WITH_RSA_ENCRYPTION => {
                Some(SignatureAlgorithm::RsaPkcs1Sha384)
            }
            o if o == rfc5912::SHA_512_WITH_RSA_ENCRYPTION => {
                Some(SignatureAlgorithm::RsaPkcs1Sha512)
            }
            _ => None,
        };
        match known {
            Some(k) if params_ok => k,
            Some(k) => SignatureAlgorithm::Other(format!("{k} with non-NULL parameters")),
            None => SignatureAlgorithm::Other(alg.oid.to_string()),
        }
    }

    /// The hash, for the RSA PKCS#1 v1.5 algorithms.
    pub(crate) fn hash(&self) -> Option<Hash> {
        match self {
            SignatureAlgorithm::RsaPkcs1Sha1 => Some(Hash::Sha1),
            SignatureAlgorithm::RsaPkcs1Sha256 => Some(Hash::Sha256),
            SignatureAlgorithm::RsaPkcs1Sha384 => Some(Hash::Sha384),
            SignatureAlgorithm::RsaPkcs1Sha512 => Some(Hash::Sha512),
            SignatureAlgorithm::Other(_) => None,
        }
    }
}

impl fmt::Display for SignatureAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SignatureAlgorithm::RsaPkcs1Sha1 => f.write_str("sha1WithRSAEncryption"),
            SignatureAlgorithm::RsaPkcs1Sha256 => f.write_str("sha256WithRSAEncryption"),
            SignatureAlgorithm::RsaPkcs1Sha384 => f.write_str("sha384WithRSAEncryption"),
            SignatureAlgorithm::RsaPkcs1Sha512 => f.write_str("sha512WithRSAEncryption"),
            SignatureAlgorithm::Other(s) => write!(f, "unsupported algorithm {s}"),
        }
    }
}

pub use kazasu_types::HashAlgorithm;

/// Hashes this crate verifies with, SHA-1 included (certificates and CRLs under a legacy policy).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Hash {
    Sha1,
    Sha256,
    Sha384,
    Sha512,
}

impl Hash {
    /// The hash this crate verifies `h` with; `None` for one it does not know (the shared enum may grow).
    pub(crate) fn of(h: HashAlgorithm) -> Option<Hash> {
        match h {
            HashAlgorithm::Sha256 => Some(Hash::Sha256),
            HashAlgorithm::Sha384 => Some(Hash::Sha384),
            HashAlgorithm::Sha512 => Some(Hash::Sha512),
            _ => None,
        }
    }

    pub(crate) fn digest(self, message: &[u8]) -> Vec<u8> {
        match self {
            Hash::Sha1 => sha1::Sha1::digest(message).to_vec(),
            Hash::Sha256 => Sha256::digest(message).to_vec(),
            Hash::Sha384 => Sha384::digest(message).to_vec(),
            Hash::Sha512 => Sha512::digest(message).to_vec(),
        }
    }

    fn scheme(self) -> Pkcs1v15Sign {
        match self {
            Hash::Sha1 => Pkcs1v15Sign::new::<sha1::Sha1>(),
            Hash::Sha256 => Pkcs1v15Sign::new::<Sha256>(),
            Hash::Sha384 => Pkcs1v15Sign::new::<Sha384>(),
            Hash::Sha512 => Pkcs1v15Sign::new::<Sha512>(),
        }
    }
}

#[derive(Sequence)]
struct RsaPublicKeyDer<'a> {
    modulus: UintRef<'a>,
    public_exponent: UintRef<'a>,
}

/// An RSA public key as read from a certificate. The backends' parsed forms are built once, on
/// first use, and kept (so a trust anchor's key is prepared once for the life of the store).
#[derive(Debug)]
pub(crate) struct RsaKey {
    #[cfg_attr(not(feature = "aws-lc"), allow(dead_code))]
    der: Vec<u8>,
    n: Vec<u8>,
    e: Vec<u8>,
    bits: usize,
    parsed: OnceLock<Option<rsa::PublicKey>>,
    #[cfg(feature = "aws-lc")]
    fast: [OnceLock<Option<aws::ParsedPublicKey>>; 4],
}

#[cfg(feature = "aws-lc")]
mod aws {
    pub(crate) use aws_lc_rs::signature::ParsedPublicKey;
    use aws_lc_rs::{digest, signature as s};

    use super::Hash;

    /// `aws-lc-rs` verifies 2048–8192-bit keys; smaller ones (when a policy admits them) use `rsa`.
    pub(crate) const BITS: core::ops::RangeInclusive<usize> = 2048..=8192;

    pub(crate) fn slot(hash: Hash) -> usize {
        match hash {
            Hash::Sha1 => 0,
            Hash::Sha256 => 1,
            Hash::Sha384 => 2,
            Hash::Sha512 => 3,
        }
    }

    pub(crate) fn params(hash: Hash) -> &'static s::RsaParameters {
        match hash {
            Hash::Sha1 => &s::RSA_PKCS1_2048_8192_SHA1_FOR_LEGACY_USE_ONLY,
            Hash::Sha256 => &s::RSA_PKCS1_2048_8192_SHA256,
            Hash::Sha384 => &s::RSA_PKCS1_2048_8192_SHA384,
            Hash::Sha512 => &s::RSA_PKCS1_2048_8192_SHA512,
        }
    }

    pub(crate) fn digest_algorithm(hash: Hash) -> &'static digest::Algorithm {
        match hash {
            Hash::Sha1 => &digest::SHA1_FOR_LEGACY_USE_ONLY,
            Hash::Sha256 => &digest::SHA256,
            Hash::Sha384 => &digest::SHA384,
            Hash::Sha512 => &digest::SHA512,
        }
    }
}

impl RsaKey {
    /// Reads the `subjectPublicKey` bits of an `rsaEncryption` key: `RSAPublicKey ::= SEQUENCE { n, e }`.
    pub(crate) fn from_rsa_public_key(der: &[u8]) -> Result<Self, String> {
        let key = RsaPublicKeyDer::from_der(der).map_err(|e| e.to_string())?;
        let n = key.modulus.as_bytes();
        let e = key.public_exponent.as_bytes();
        let Some(&top) = n.first() else {
            return Err("RSA modulus is zero".into());
        };
        if e.is_empty() {
            return Err("RSA exponent is zero".into());
        }
        let bits = n.len() * 8 - usize::try_from(top.leading_zeros()).unwrap_or(0);
        Ok(Self {
            der: der.to_vec(),
            n: n.to_vec(),
            e: e.to_vec(),
            bits,
            parsed: OnceLock::new(),
            #[cfg(feature = "aws-lc")]
            fast: Default::default(),
        })
    }

    /// Modulus size in bits.
    pub(crate) fn bits(&self) -> usize {
        self.bits
    }

    fn rsa(&self) -> Option<&rsa::PublicKey> {
        self.parsed
            .get_or_init(|| {
                let n = BoxedUint::from_be_slice(&self.n, u32::try_from(self.n.len() * 8).ok()?)
                    .ok()?;
                let e = BoxedUint::from_be_slice(&self.e, u32::try_from(self.e.len() * 8).ok()?)
                    .ok()?;
                rsa::PublicKey::new_with_size_limits(n, e, 512..=16_384).ok()
            })
            .as_ref()
    }

    #[cfg(feature = "aws-lc")]
    fn fast(&self, hash: Hash) -> Option<&aws::ParsedPublicKey> {
        if !aws::BITS.contains(&self.bits) {
            return None;
        }
        self.fast
            .get(aws::slot(hash))?
            .get_or_init(|| aws::ParsedPublicKey::new(aws::params(hash), &self.der).ok())
            .as_ref()
    }

    /// Verifies a PKCS#1 v1.5 signature over `message`.
    pub(crate) fn verify_message(&self, hash: Hash, message: &[u8], signature: &[u8]) -> bool {
        #[cfg(feature = "aws-lc")]
        if aws::BITS.contains(&self.bits) {
            count_rsa_verification();
            return self
                .fast(hash)
                .is_some_and(|k| k.verify_sig(message, signature).is_ok());
        }
        self.verify_digest(hash, &hash.digest(message), signature)
    }

    /// Verifies a PKCS#1 v1.5 signature over a digest computed by the caller.
    pub(crate) fn verify_digest(&self, hash: Hash, digest: &[u8], signature: &[u8]) -> bool {
        count_rsa_verification();
        #[cfg(feature = "aws-lc")]
        if aws::BITS.contains(&self.bits) {
            let Ok(d) =
                aws_lc_rs::digest::Digest::import_less_safe(digest, aws::digest_algorithm(hash))
            else {
                return false;
            };
            return self
                .fast(hash)
                .is_some_and(|k| k.verify_digest_sig(&d, signature).is_ok());
        }
        self.rsa()
            .is_some_and(|k| k.verify(hash.scheme(), digest, signature).is_ok())
    }
}

/// The key of a certificate.
#[derive(Debug)]
pub(crate) enum PublicKey {
    /// `rsaEncryption`.
    Rsa(Box<RsaKey>),
    /// Anything else: named by OID, never used to verify.
    Other(String),
}

impl PublicKey {
    pub(crate) fn from_spki(
        spki: &x509_cert::spki::SubjectPublicKeyInfoOwned,
    ) -> Result<Self, String> {
        if spki.algorithm.oid != rfc5912::RSA_ENCRYPTION {
            return Ok(PublicKey::Other(spki.algorithm.oid.to_string()));
        }
        let params_ok = spki
            .algorithm
            .parameters
            .as_ref()
            .is_none_or(|p| AnyRef::from(p).is_null());
        if !params_ok {
            return Err("rsaEncryption key with non-NULL parameters".into());
        }
        let bits = spki
            .subject_public_key
            .as_bytes()
            .ok_or("public key BIT STRING has unused bits")?;
        RsaKey::from_rsa_public_key(bits).map(|k| PublicKey::Rsa(Box::new(k)))
    }

    /// "RSA-2048", or the OID of another algorithm.
    pub(crate) fn describe(&self) -> String {
        match self {
            PublicKey::Rsa(k) => format!("RSA-{}", k.bits()),
            PublicKey::Other(oid) => format!("algorithm {oid}"),
        }
    }
}
