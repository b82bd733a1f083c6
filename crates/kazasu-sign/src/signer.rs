//! [`DocumentSigner`]: what signs — a card's signature key, or a software key for tests and servers.
//!
//! The trait is the only thing this crate knows about cards: it never needs PC/SC or
//! `kazasu-card`. A card adapter (JPKI signature key with its password, HPKI signature key with its
//! PIN) implements it by wrapping the digest in a DigestInfo and having the card sign it.

use kazasu_types::HashAlgorithm;
use rsa::Pkcs1v15Sign;
use sha2::{Sha256, Sha384, Sha512};

use crate::SignError;

/// Something that holds a private key and the certificate of its public key.
pub trait DocumentSigner {
    /// The signer's certificate, DER.
    fn certificate(&self) -> &[u8];

    /// The CA certificates to carry with the signature (issuer first), DER.
    fn chain(&self) -> &[Vec<u8>] {
        &[]
    }

    /// Signs `digest` (computed with `hash`) with RSASSA-PKCS1-v1_5: the signer builds the
    /// DigestInfo. Errors are boxed so card errors pass through unchanged (they never carry PINs).
    fn sign_digest(
        &mut self,
        hash: HashAlgorithm,
        digest: &[u8],
    ) -> Result<Vec<u8>, Box<dyn std::error::Error + Send + Sync>>;
}

impl<T: DocumentSigner + ?Sized> DocumentSigner for &mut T {
    fn certificate(&self) -> &[u8] {
        (**self).certificate()
    }

    fn chain(&self) -> &[Vec<u8>] {
        (**self).chain()
    }

    fn sign_digest(
        &mut self,
        hash: HashAlgorithm,
        digest: &[u8],
    ) -> Result<Vec<u8>, Box<dyn std::error::Error + Send + Sync>> {
        (**self).sign_digest(hash, digest)
    }
}

/// A [`DocumentSigner`] over an RSA private key in memory: for tests, local services (the test
/// TSA) and servers that sign with a key of their own.
#[derive(Clone)]
pub struct SoftwareSigner {
    certificate: Vec<u8>,
    chain: Vec<Vec<u8>>,
    key: rsa::PrivateKey,
}

impl std::fmt::Debug for SoftwareSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SoftwareSigner")
            .field("certificate_len", &self.certificate.len())
            .field("chain", &self.chain.len())
            .field("key", &"REDACTED")
            .finish()
    }
}

impl SoftwareSigner {
    /// A signer with `key` and its `certificate` (DER); checks that they belong together.
    pub fn new(certificate: Vec<u8>, key: rsa::PrivateKey) -> Result<Self, SignError> {
        let cert = kazasu_pki::Certificate::from_der(&certificate)?;
        let digest = HashAlgorithm::Sha256.digest(b"kazasu key check");
        let signature = key
            .sign(Pkcs1v15Sign::new::<Sha256>(), &digest)
            .map_err(|e| SignError::Signer(Box::new(e)))?;
        cert.verify_digest(HashAlgorithm::Sha256, &digest, &signature)
            .map_err(|_| SignError::Unsupported {
                what: "signer",
                detail: "the private key does not match the certificate".into(),
            })?;
        Ok(Self {
            certificate,
            chain: Vec::new(),
            key,
        })
    }

    /// Adds the CA certificates to carry (issuer first).
    #[must_use]
    pub fn with_chain(mut self, chain: Vec<Vec<u8>>) -> Self {
        self.chain = chain;
        self
    }
}

impl DocumentSigner for SoftwareSigner {
    fn certificate(&self) -> &[u8] {
        &self.certificate
    }

    fn chain(&self) -> &[Vec<u8>] {
        &self.chain
    }

    fn sign_digest(
        &mut self,
        hash: HashAlgorithm,
        digest: &[u8],
    ) -> Result<Vec<u8>, Box<dyn std::error::Error + Send + Sync>> {
        let scheme = match hash {
            HashAlgorithm::Sha256 => Pkcs1v15Sign::new::<Sha256>(),
            HashAlgorithm::Sha384 => Pkcs1v15Sign::new::<Sha384>(),
            HashAlgorithm::Sha512 => Pkcs1v15Sign::new::<Sha512>(),
            other => return Err(format!("hash {other} is not supported").into()),
        };
        Ok(self.key.sign(scheme, digest)?)
    }
}
