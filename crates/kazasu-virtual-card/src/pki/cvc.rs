//! Card-verifiable certificates (CVC) of the card-face applications and the master file, and the test CVC
//! hierarchy that issues them.
//!
//! # Encoding
//!
//! A CVC is `7F 21 82 02 33 { 5F 4E 82 01 29 <body>, 5F 37 82 01 00 <signature> }` (568 bytes). The body
//! (297 bytes) is the 16-byte issuer key id, the 16-byte subject key id and the subject's RSA public key in
//! the 265-byte *card-key form* `90 03 01 00 01 91 82 01 00 <256-byte modulus>`. The signature is RSASSA-PKCS1-v1_5
//! with SHA-256 over the 297 body bytes.
//!
//! A key id ([`CvcKeyId`]) is 7 ASCII digits (the authority), `08 05`, 3 ASCII digits (`001` for a CA) and 4
//! padding bytes: `00 00 00 A8` for the master-file ids, else `00 00 00 00`. Ids starting with `6` belong to
//! the JPKI *test* hierarchy, which is what this crate builds.
//!
//! # The test hierarchy ([`CvcHierarchy`])
//!
//! | [`CvcCa`] | key id | fixture key | role |
//! |---|---|---|---|
//! | [`CvcCa::MasterFileRoot`] | `6000020`·`0805`·`001`·`000000A8` | 24 | signs the intermediate (GET DATA `00F8`) |
//! | [`CvcCa::MasterFileIntermediate`] | `6000020`·`0805`·`002`·`000000A8` | 25 | GET DATA `00F7`; signs the lower key (GET DATA `7F21`) |
//! | [`CvcCa::Visual`] | `6000023`·`0805`·`001`·`00000000` | 26 | signs the 券面事項確認AP issuer key (EF `0004`) |
//! | [`CvcCa::Text`] | `6000033`·`0805`·`001`·`00000000` | 27 | signs the 券面事項入力補助AP issuer key (EF `0004`) |
//!
//! The card specification gives the ids `6000020/23/33` and the `001` of CA ids; the serial `002` of the
//! master-file intermediate and the `101` of the keys below a CA are this crate's choice. The CA keys are the
//! same for every seed: verifiers configure them with [`CvcHierarchy::ca`].

use rsa::traits::PublicKeyParts;
use rsa::{PrivateKey, PublicKey};
use sha2::Sha256;

use super::{PkiError, fixture_key};

/// Length of a key in card-key form: `90 03 01 00 01 91 82 01 00` and a 256-byte modulus.
pub const CARD_KEY_LEN: usize = 265;
/// Length of a CVC body: issuer id, subject id, card-key form.
pub const CVC_BODY_LEN: usize = 16 + 16 + CARD_KEY_LEN;
/// Length of a whole CVC (`7F21` object).
pub const CVC_LEN: usize = 568;

/// A 16-byte CVC key id (証明者鍵ID / subject key id).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct CvcKeyId(pub [u8; 16]);

impl std::fmt::Debug for CvcKeyId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CvcKeyId({})", hex::encode_upper(self.0))
    }
}

impl CvcKeyId {
    /// `authority` (7 ASCII digits) ‖ `08 05` ‖ `serial` (3 ASCII digits) ‖ padding (`00 00 00 A8` when
    /// `master_file`, else `00 00 00 00`).
    ///
    /// # Errors
    ///
    /// [`PkiError::Invalid`] when `authority` is not 7 digits or `serial` not 3.
    pub fn new(authority: &str, serial: &str, master_file: bool) -> Result<Self, PkiError> {
        let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
        if !digits(authority, 7) || !digits(serial, 3) {
            return Err(PkiError::Invalid(format!(
                "CVC key id needs 7 + 3 digits, got {authority:?} / {serial:?}"
            )));
        }
        let mut id = [0u8; 16];
        id[..7].copy_from_slice(authority.as_bytes());
        id[7..9].copy_from_slice(&[0x08, 0x05]);
        id[9..12].copy_from_slice(serial.as_bytes());
        if master_file {
            id[15] = 0xA8;
        }
        Ok(Self(id))
    }

    /// The 7-digit authority (e.g. `6000023`), if the first 7 bytes are ASCII digits.
    pub fn authority(&self) -> Option<&str> {
        std::str::from_utf8(&self.0[..7])
            .ok()
            .filter(|s| s.bytes().all(|b| b.is_ascii_digit()))
    }

    /// Whether the id belongs to the JPKI test hierarchy (authority starting with `6`).
    pub fn is_test(&self) -> bool {
        self.0[0] == b'6'
    }
}

/// The CAs of the test CVC hierarchy (see [the module documentation](self)).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
#[non_exhaustive]
pub enum CvcCa {
    /// `6000020`, serial `001`: the master-file root.
    MasterFileRoot,
    /// `6000020`, serial `002`: the master-file intermediate.
    MasterFileIntermediate,
    /// `6000023`: the 券面事項確認AP CA.
    Visual,
    /// `6000033`: the 券面事項入力補助AP CA.
    Text,
}

impl CvcCa {
    /// All four.
    pub const ALL: [CvcCa; 4] = [
        CvcCa::MasterFileRoot,
        CvcCa::MasterFileIntermediate,
        CvcCa::Visual,
        CvcCa::Text,
    ];

    /// The fixture key of this CA.
    pub fn fixture_index(self) -> usize {
        match self {
            CvcCa::MasterFileRoot => 24,
            CvcCa::MasterFileIntermediate => 25,
            CvcCa::Visual => 26,
            CvcCa::Text => 27,
        }
    }

    /// The CA's 16-byte key id.
    pub fn key_id(self) -> CvcKeyId {
        let (authority, serial, mf): (&[u8; 7], &[u8; 3], bool) = match self {
            CvcCa::MasterFileRoot => (b"6000020", b"001", true),
            CvcCa::MasterFileIntermediate => (b"6000020", b"002", true),
            CvcCa::Visual => (b"6000023", b"001", false),
            CvcCa::Text => (b"6000033", b"001", false),
        };
        let mut id = [0u8; 16];
        id[..7].copy_from_slice(authority);
        id[7..9].copy_from_slice(&[0x08, 0x05]);
        id[9..12].copy_from_slice(serial);
        if mf {
            id[15] = 0xA8;
        }
        CvcKeyId(id)
    }
}

/// Fixture keys of the card-face applications and the master file other than the CAs.
pub mod card_keys {
    /// 券面事項確認AP issuer key (signs its records; certified by CA `6000023` in EF `0004`).
    pub const VISUAL_ISSUER: usize = 28;
    /// 券面事項入力補助AP issuer key (signs its records; certified by CA `6000033` in EF `0004`).
    pub const TEXT_ISSUER: usize = super::super::CARD_SIGNER_KEY;
    /// The master-file lower key, certified by the intermediate (GET DATA `7F21`).
    pub const MASTER_FILE_LOWER: usize = 29;
    /// The chip key of the 券面事項確認AP (key `001A`).
    pub const VISUAL_CHIP: usize = 30;
    /// The chip key of the 券面事項入力補助AP (key `0013`).
    pub const TEXT_CHIP: usize = 31;
    /// The 券面事項入力補助AP key a terminal encrypts its secure-messaging key to (EF `0006`).
    pub const TEXT_SECURE_MESSAGING: usize = 32;
    /// The chip key of a *counterfeit* card (genuine files copied onto another chip).
    pub const OTHER_CHIP: usize = 33;
    /// The record-signing key of a *self-made* card.
    pub const ROGUE_ISSUER: usize = 34;
    /// The CA key of a *self-made* card (not in the hierarchy).
    pub const ROGUE_CA: usize = 35;
}

/// The subject id of the key below a CA: the CA's authority with serial `101`.
pub fn issued_key_id(ca: CvcCa) -> CvcKeyId {
    let mut id = ca.key_id();
    id.0[9..12].copy_from_slice(b"101");
    id.0[12..].copy_from_slice(&[0; 4]);
    id
}

/// A CA of the hierarchy: its key id and public key.
#[derive(Clone, Debug)]
pub struct CvcCaKey {
    /// The 16-byte key id.
    pub key_id: CvcKeyId,
    /// The RSA-2048 public key (e = 65537).
    pub public_key: PublicKey,
}

impl CvcCaKey {
    /// The modulus, 256 bytes big-endian.
    pub fn modulus(&self) -> Vec<u8> {
        left_pad(&self.public_key.n_bytes(), 256)
    }

    /// The public exponent, big-endian without leading zeros (`01 00 01`).
    pub fn exponent(&self) -> Vec<u8> {
        self.public_key.e_bytes().to_vec()
    }
}

/// The test CVC hierarchy: CA keys (public, for verifiers; private, to issue) and certificates.
#[derive(Clone, Debug)]
pub struct CvcHierarchy {
    keys: [PrivateKey; 4],
}

impl CvcHierarchy {
    /// Loads the four CA fixture keys.
    ///
    /// # Errors
    ///
    /// [`PkiError::BadFixture`] if a committed key is damaged.
    pub fn new() -> Result<Self, PkiError> {
        Ok(Self {
            keys: [
                fixture_key(CvcCa::MasterFileRoot.fixture_index())?,
                fixture_key(CvcCa::MasterFileIntermediate.fixture_index())?,
                fixture_key(CvcCa::Visual.fixture_index())?,
                fixture_key(CvcCa::Text.fixture_index())?,
            ],
        })
    }

    fn private(&self, ca: CvcCa) -> &PrivateKey {
        let [root, intermediate, visual, text] = &self.keys;
        match ca {
            CvcCa::MasterFileRoot => root,
            CvcCa::MasterFileIntermediate => intermediate,
            CvcCa::Visual => visual,
            CvcCa::Text => text,
        }
    }

    /// The key id and public key of `ca`, to configure a verifier.
    pub fn ca(&self, ca: CvcCa) -> CvcCaKey {
        CvcCaKey {
            key_id: ca.key_id(),
            public_key: self.private(ca).to_public_key(),
        }
    }

    /// All four CAs.
    pub fn cas(&self) -> Vec<CvcCaKey> {
        CvcCa::ALL.iter().map(|c| self.ca(*c)).collect()
    }

    /// The private key of `ca` (test material, public on purpose).
    pub fn ca_private_key(&self, ca: CvcCa) -> PrivateKey {
        self.private(ca).clone()
    }

    /// A CVC by `ca` for `subject_key` with id `subject`.
    ///
    /// # Errors
    ///
    /// As [`build_cvc`].
    pub fn issue(
        &self,
        ca: CvcCa,
        subject: &CvcKeyId,
        subject_key: &PublicKey,
    ) -> Result<Vec<u8>, PkiError> {
        build_cvc(&ca.key_id(), subject, subject_key, self.private(ca))
    }
}

fn left_pad(bytes: &[u8], len: usize) -> Vec<u8> {
    let mut out = vec![0u8; len.saturating_sub(bytes.len())];
    out.extend_from_slice(bytes);
    out
}

/// `90 03 01 00 01 91 82 01 00 <modulus>`: an RSA-2048 key with e = 65537 in the form the card stores it.
///
/// # Errors
///
/// [`PkiError::Key`] for a key that is not 2048 bits or whose exponent is not 65537.
pub fn card_key_form(key: &PublicKey) -> Result<Vec<u8>, PkiError> {
    let n = key.n_bytes();
    let e = key.e_bytes();
    if n.len() != 256 || e.as_ref() != [0x01, 0x00, 0x01] {
        return Err(PkiError::Key(format!(
            "card keys are RSA-2048 with e = 65537 (got {} modulus bytes, e = {})",
            n.len(),
            hex::encode(&e)
        )));
    }
    let mut out = Vec::with_capacity(CARD_KEY_LEN);
    out.extend_from_slice(&[0x90, 0x03, 0x01, 0x00, 0x01, 0x91, 0x82, 0x01, 0x00]);
    out.extend_from_slice(&n);
    Ok(out)
}

/// The public key in a 265-byte card-key form (the inverse of [`card_key_form`]).
///
/// # Errors
///
/// [`PkiError::Key`] when the bytes are not `90 03 01 00 01 91 82 01 00` and a 256-byte modulus.
pub fn public_key_from_card_key_form(form: &[u8]) -> Result<PublicKey, PkiError> {
    let modulus = form
        .strip_prefix(&[0x90, 0x03, 0x01, 0x00, 0x01, 0x91, 0x82, 0x01, 0x00])
        .filter(|m| m.len() == 256)
        .ok_or_else(|| PkiError::Key("not a 265-byte card key".into()))?;
    let n = rsa::BoxedUint::from_be_slice(modulus, 2048)
        .map_err(|e| PkiError::Key(format!("modulus: {e:?}")))?;
    let e = rsa::BoxedUint::from_be_slice(&[0x01, 0x00, 0x01], 32)
        .map_err(|e| PkiError::Key(format!("exponent: {e:?}")))?;
    PublicKey::new(n, e).map_err(|e| PkiError::Key(e.to_string()))
}

/// A CVC: `7F21 { 5F4E body, 5F37 signature }`, signed by `signer` (which need not belong to `issuer`:
/// that is how a wrong signature is made).
///
/// # Errors
///
/// [`PkiError::Key`] when `subject_key` is not an RSA-2048 / 65537 key; [`PkiError::Signature`] when
/// signing fails or the signer is not RSA-2048.
pub fn build_cvc(
    issuer: &CvcKeyId,
    subject: &CvcKeyId,
    subject_key: &PublicKey,
    signer: &PrivateKey,
) -> Result<Vec<u8>, PkiError> {
    let mut body = Vec::with_capacity(CVC_BODY_LEN);
    body.extend_from_slice(&issuer.0);
    body.extend_from_slice(&subject.0);
    body.extend_from_slice(&card_key_form(subject_key)?);
    let signature = signer
        .pkcs1v15_sign::<Sha256>(&body)
        .map_err(|e| PkiError::Signature(e.to_string()))?;
    if signature.len() != 256 {
        return Err(PkiError::Signature(format!(
            "CVC signatures are 256 bytes, the signer gave {}",
            signature.len()
        )));
    }
    let mut out = Vec::with_capacity(CVC_LEN);
    out.extend_from_slice(&[0x7F, 0x21, 0x82, 0x02, 0x33]);
    out.extend_from_slice(&[0x5F, 0x4E, 0x82, 0x01, 0x29]);
    out.extend_from_slice(&body);
    out.extend_from_slice(&[0x5F, 0x37, 0x82, 0x01, 0x00]);
    out.extend_from_slice(&signature);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rsa::pkcs1v15::Pkcs1v15Sign;
    use sha2::Digest;

    #[test]
    fn key_ids_are_laid_out_as_specified() {
        let id = CvcKeyId::new("6000023", "001", false).unwrap();
        assert_eq!(id.0, *b"6000023\x08\x05001\0\0\0\0");
        assert_eq!(id, CvcCa::Visual.key_id());
        let mf = CvcCa::MasterFileRoot.key_id();
        assert_eq!(&mf.0[12..], &[0, 0, 0, 0xA8]);
        assert_eq!(mf.authority(), Some("6000020"));
        assert!(mf.is_test());
        assert!(CvcKeyId::new("600002", "001", false).is_err());
        assert!(CvcKeyId::new("600002x", "001", false).is_err());
        assert!(CvcKeyId::new("6000020", "01", false).is_err());
    }

    #[test]
    fn a_cvc_is_568_bytes_and_verifies_with_the_ca() {
        let h = CvcHierarchy::new().unwrap();
        let subject = issued_key_id(CvcCa::Visual);
        let key = fixture_key(card_keys::VISUAL_ISSUER).unwrap();
        let cvc = h
            .issue(CvcCa::Visual, &subject, key.as_public_key())
            .unwrap();
        assert_eq!(cvc.len(), CVC_LEN);
        assert_eq!(
            &cvc[..10],
            &[0x7F, 0x21, 0x82, 0x02, 0x33, 0x5F, 0x4E, 0x82, 0x01, 0x29]
        );
        let body = &cvc[10..10 + CVC_BODY_LEN];
        assert_eq!(&body[..16], &CvcCa::Visual.key_id().0);
        assert_eq!(&body[16..32], &subject.0);
        assert_eq!(
            &body[32..41],
            &[0x90, 0x03, 0x01, 0x00, 0x01, 0x91, 0x82, 0x01, 0x00]
        );
        assert_eq!(body[41..].to_vec(), key.as_public_key().n_bytes().to_vec());
        assert_eq!(
            &cvc[10 + CVC_BODY_LEN..15 + CVC_BODY_LEN],
            &[0x5F, 0x37, 0x82, 0x01, 0x00]
        );
        let signature = &cvc[15 + CVC_BODY_LEN..];
        let ca = h.ca(CvcCa::Visual).public_key;
        ca.verify(
            Pkcs1v15Sign::new::<Sha256>(),
            &Sha256::digest(body),
            signature,
        )
        .unwrap();
        // Another CA's key does not verify it.
        let other = h.ca(CvcCa::Text).public_key;
        assert!(
            other
                .verify(
                    Pkcs1v15Sign::new::<Sha256>(),
                    &Sha256::digest(body),
                    signature
                )
                .is_err()
        );
    }

    #[test]
    fn card_key_form_refuses_other_keys() {
        let weak = super::super::weak_fixture_key().unwrap();
        assert!(matches!(
            card_key_form(weak.as_public_key()),
            Err(PkiError::Key(_))
        ));
        let k = fixture_key(30).unwrap();
        let form = card_key_form(k.as_public_key()).unwrap();
        assert_eq!(form.len(), CARD_KEY_LEN);
        assert_eq!(
            &public_key_from_card_key_form(&form).unwrap(),
            k.as_public_key()
        );
        assert!(public_key_from_card_key_form(&form[1..]).is_err());
        let h = CvcHierarchy::new().unwrap();
        let ca = h.ca(CvcCa::Text);
        assert_eq!(ca.exponent(), vec![1, 0, 1]);
        assert_eq!(ca.modulus().len(), 256);
    }
}
