//! Card-verifiable certificates: `7F21 { 5F4E body(297), 5F37 signature(256) }`.

use alloc::vec::Vec;

use crate::CvcError;
use crate::card_key::{CARD_KEY_LEN, CardKey};
use crate::key_id::KeyId;
use crate::tlv::{element, single};

/// Length of a CVC body: issuer key id (16) ‖ subject key id (16) ‖ card key (265).
pub const BODY_LEN: usize = 16 + 16 + CARD_KEY_LEN;
/// Length of a CVC signature (RSA-2048).
pub const SIGNATURE_LEN: usize = 256;

/// A card-verifiable certificate: the issuer (証明者鍵ID) certifies the subject's RSA key.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Cvc {
    body: Vec<u8>,
    issuer: KeyId,
    subject: KeyId,
    key: CardKey,
    signature: Vec<u8>,
}

impl Cvc {
    /// Parses a certificate as an EF stores it (`7F21 …`) or as GET DATA returns it (the `5F4E` and
    /// `5F37` elements without the wrapper). Exactly one certificate: nothing may follow it.
    pub fn parse(bytes: &[u8]) -> Result<Self, CvcError> {
        let bad = |reason| CvcError::Malformed { reason };
        let content = match bytes.first() {
            Some(0x7F) => single(bytes, 0x7F21, "CVC: expected tag 7F21")?.value,
            Some(0x5F) => bytes,
            _ => return Err(bad("CVC: expected 7F21, or 5F4E for the GET DATA form")),
        };
        let (body, rest) = element(content)?;
        let (signature, rest) = element(rest)?;
        if body.tag != 0x5F4E || signature.tag != 0x5F37 || !rest.is_empty() {
            return Err(bad("CVC: expected exactly 5F4E body then 5F37 signature"));
        }
        if body.value.len() != BODY_LEN {
            return Err(bad("CVC: the body is not 297 bytes"));
        }
        if signature.value.len() != SIGNATURE_LEN {
            return Err(bad("CVC: the signature is not 256 bytes"));
        }
        let issuer = KeyId::from_slice(&body.value[..16])?;
        let subject = KeyId::from_slice(&body.value[16..32])?;
        let key = CardKey::parse(&body.value[32..])?;
        Ok(Self {
            body: body.value.to_vec(),
            issuer,
            subject,
            key,
            signature: signature.value.to_vec(),
        })
    }

    /// The issuer's key id (証明者鍵ID).
    pub fn issuer(&self) -> KeyId {
        self.issuer
    }

    /// The subject's key id: whose key this certifies.
    pub fn subject(&self) -> KeyId {
        self.subject
    }

    /// The certified key.
    pub fn key(&self) -> &CardKey {
        &self.key
    }

    /// The 297 signed bytes.
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// The 256 signature bytes.
    pub fn signature(&self) -> &[u8] {
        &self.signature
    }

    /// Whether `issuer_key` made the signature (PKCS#1 v1.5 SHA-256 over the 297 body bytes).
    pub fn is_signed_by(&self, issuer_key: &CardKey) -> bool {
        issuer_key.verifies_sha256(&self.body, &self.signature)
    }
}
