//! The signed records of the two 券面 applications, parsed with the exact bytes each signature or
//! hash covers, and verified against the key the application's certificate certifies.
//!
//! | Record | Covered | Check |
//! |---|---|---|
//! | 確認AP `0001` age record | DF11 TLV ‖ DF12 TLV | DF13: sha256WithRSA |
//! | 確認AP `0002` card face | SHA-256(DF22‖DF23‖DF24) ‖ SHA-256(DF25‖DF26) ‖ SHA-256(DF27) in a DigestInfo | DF28 |
//! | 確認AP `0005` My Number image | DF41 TLV ‖ DF42 TLV | DF43: sha256WithRSA |
//! | 補助AP `0003` integrity | DF31 = SHA-256(EF `0001`, 17 bytes), DF32 = SHA-256(EF `0002` DF22…DF25); DF31 TLV ‖ DF32 TLV | DF33: sha256WithRSA |
//! | 補助AP `0007` card key | DF51 TLV | DF52: sha256WithRSA |
//!
//! DF21 (offsets) is in no signed segment; DF29 (expiry) and DF2A (security-code image) are unsigned.
//! A hash alone proves nothing: every check here ends in a signature by the certified issuer key.

use alloc::vec::Vec;

use sha2::{Digest, Sha256};

use crate::CvcError;
use crate::card_key::CardKey;
use crate::tlv::{Element, children, element, one, optional, single};

/// The DER prefix of the card face's DigestInfo: SHA-256 OID, a 96-byte OCTET STRING.
pub const CARD_FACE_DIGEST_INFO_PREFIX: [u8; 19] = [
    0x30, 0x71, 0x30, 0x0D, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05,
    0x00, 0x04, 0x60,
];

/// Length of 補助AP EF `0001` as stored and hashed: `FF 10 0C`, 12 digits, 2 filler bytes.
pub const MY_NUMBER_EF_LEN: usize = 17;

fn bad(reason: &'static str) -> CvcError {
    CvcError::Malformed { reason }
}

/// A record `FFxx L { … }`: its children, and where each starts in the file.
struct Record<'a> {
    children: Vec<Element<'a>>,
    offsets: Vec<usize>,
}

fn record<'a>(bytes: &'a [u8], tag: u32, what: &'static str) -> Result<Record<'a>, CvcError> {
    let outer = single(bytes, tag, what)?;
    let kids = children(outer.value)?;
    let header = outer.raw.len() - outer.value.len();
    let mut offsets = Vec::with_capacity(kids.len());
    let mut at = header;
    for k in &kids {
        offsets.push(at);
        at += k.raw.len();
    }
    Ok(Record {
        children: kids,
        offsets,
    })
}

impl<'a> Record<'a> {
    fn one(&self, tag: u32, missing: &'static str) -> Result<Element<'a>, CvcError> {
        one(&self.children, tag, missing)
    }

    /// Checks DF21: big-endian u16 offsets counted from the first byte of the file (the outer
    /// `FF xx L` header included), the i-th pointing at the tag `DF22 + i`.
    fn check_offsets(&self) -> Result<(), CvcError> {
        let df21 = self.one(0xDF21, "no DF21 offsets")?.value;
        if df21.is_empty() || df21.len() % 2 != 0 {
            return Err(bad("DF21: not a list of 2-byte offsets"));
        }
        for (i, pair) in (0u32..).zip(df21.chunks_exact(2)) {
            let offset = usize::from(u16::from_be_bytes([pair[0], pair[1]]));
            let at = self
                .offsets
                .iter()
                .position(|o| *o == offset)
                .ok_or(bad("DF21: an offset points inside an element"))?;
            if self.children.get(at).map(|c| c.tag) != Some(0xDF22 + i) {
                return Err(bad("DF21: an offset points at the wrong element"));
            }
        }
        Ok(())
    }
}

fn key_field(e: Element<'_>) -> Result<CardKey, CvcError> {
    CardKey::parse(e.value)
}

fn signature_field(e: Element<'_>) -> Result<Vec<u8>, CvcError> {
    if e.value.len() != 256 {
        return Err(bad("signature is not 256 bytes"));
    }
    Ok(e.value.to_vec())
}

fn concat(parts: &[&[u8]]) -> Vec<u8> {
    parts.iter().flat_map(|p| p.iter().copied()).collect()
}

fn date(e: Element<'_>) -> Result<[u8; 8], CvcError> {
    let d: [u8; 8] = e.value.try_into().map_err(|_| bad("date is not 8 bytes"))?;
    if !d.iter().all(u8::is_ascii_digit) {
        return Err(bad("date is not YYYYMMDD digits"));
    }
    Ok(d)
}

/// 確認AP EF `0001`: the age record, opened by the birth-date key.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct AgeRecord {
    /// Birth date `YYYYMMDD` (DF11).
    pub birth_date: [u8; 8],
    /// The chip's own key (DF12).
    pub card_key: CardKey,
    /// DF13.
    pub signature: Vec<u8>,
    signed: Vec<u8>,
}

impl AgeRecord {
    /// Parses `FF10 { DF11 birth date, DF12 card key, DF13 signature }`.
    pub fn parse(bytes: &[u8]) -> Result<Self, CvcError> {
        let r = record(bytes, 0xFF10, "age record: expected tag FF10")?;
        let df11 = r.one(0xDF11, "age record: no DF11 birth date")?;
        let df12 = r.one(0xDF12, "age record: no DF12 card key")?;
        let df13 = r.one(0xDF13, "age record: no DF13 signature")?;
        Ok(Self {
            birth_date: date(df11)?,
            card_key: key_field(df12)?,
            signature: signature_field(df13)?,
            signed: concat(&[df11.raw, df12.raw]),
        })
    }

    /// Verifies DF13 with the issuer key (the key the 確認AP's CVC certifies).
    pub fn verify(&self, issuer_key: &CardKey) -> Result<(), CvcError> {
        if issuer_key.verifies_sha256(&self.signed, &self.signature) {
            Ok(())
        } else {
            Err(CvcError::BadRecordSignature("the age record (確認AP 0001)"))
        }
    }
}

/// 確認AP EF `0002`: the card face, opened by 照合番号A or B. Values are raw; DF29 and DF2A are
/// not covered by the signature.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct CardFaceRecord {
    /// Birth date `YYYYMMDD` (DF22).
    pub birth_date: [u8; 8],
    /// Sex, one ISO 5218 ASCII digit (DF23).
    pub sex: u8,
    /// The chip's own key (DF24).
    pub card_key: CardKey,
    /// Name image, PNG (DF25).
    pub name_png: Vec<u8>,
    /// Address image, PNG (DF26).
    pub address_png: Vec<u8>,
    /// Photo, JPEG 2000 (DF27).
    pub photo: Vec<u8>,
    /// DF28.
    pub signature: Vec<u8>,
    /// Expiry `YYYYMMDD` (DF29) — not signed.
    pub expiry_unsigned: Option<[u8; 8]>,
    /// Security-code image, PNG (DF2A) — not signed.
    pub security_code_png_unsigned: Option<Vec<u8>>,
    digest_info: Vec<u8>,
}

impl CardFaceRecord {
    /// Parses `FF20 { DF21 offsets, DF22 … DF2A }`, checking DF21's offsets.
    pub fn parse(bytes: &[u8]) -> Result<Self, CvcError> {
        let r = record(bytes, 0xFF20, "card face: expected tag FF20")?;
        r.check_offsets()?;
        let f = |tag, missing| r.one(tag, missing);
        let df22 = f(0xDF22, "card face: no DF22 birth date")?;
        let df23 = f(0xDF23, "card face: no DF23 sex")?;
        let df24 = f(0xDF24, "card face: no DF24 card key")?;
        let df25 = f(0xDF25, "card face: no DF25 name image")?;
        let df26 = f(0xDF26, "card face: no DF26 address image")?;
        let df27 = f(0xDF27, "card face: no DF27 photo")?;
        let df28 = f(0xDF28, "card face: no DF28 signature")?;
        let sex = match df23.value {
            [s] if s.is_ascii_digit() => *s,
            _ => return Err(bad("card face: DF23 is not one digit")),
        };
        let expiry_unsigned = optional(&r.children, 0xDF29)?.map(date).transpose()?;
        let security_code_png_unsigned = optional(&r.children, 0xDF2A)?.map(|e| e.value.to_vec());
        let mut digest_info = CARD_FACE_DIGEST_INFO_PREFIX.to_vec();
        digest_info.extend_from_slice(&Sha256::digest(concat(&[df22.raw, df23.raw, df24.raw])));
        digest_info.extend_from_slice(&Sha256::digest(concat(&[df25.raw, df26.raw])));
        digest_info.extend_from_slice(&Sha256::digest(df27.raw));
        Ok(Self {
            birth_date: date(df22)?,
            sex,
            card_key: key_field(df24)?,
            name_png: df25.value.to_vec(),
            address_png: df26.value.to_vec(),
            photo: df27.value.to_vec(),
            signature: signature_field(df28)?,
            expiry_unsigned,
            security_code_png_unsigned,
            digest_info,
        })
    }

    /// The DigestInfo DF28 signs (prefix and the three digests, 115 bytes).
    pub fn digest_info(&self) -> &[u8] {
        &self.digest_info
    }

    /// Verifies DF28 with the issuer key.
    pub fn verify(&self, issuer_key: &CardKey) -> Result<(), CvcError> {
        if issuer_key.verifies_digest_info(&self.digest_info, &self.signature) {
            Ok(())
        } else {
            Err(CvcError::BadRecordSignature("the card face (確認AP 0002)"))
        }
    }
}

/// 確認AP EF `0005`: the My Number image, opened by 照合番号A only.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct MyNumberImageRecord {
    /// The image, PNG (DF41).
    pub image_png: Vec<u8>,
    /// The chip's own key (DF42).
    pub card_key: CardKey,
    /// DF43.
    pub signature: Vec<u8>,
    signed: Vec<u8>,
}

impl MyNumberImageRecord {
    /// Parses `FF40 { DF41 image, DF42 card key, DF43 signature }`.
    pub fn parse(bytes: &[u8]) -> Result<Self, CvcError> {
        let r = record(bytes, 0xFF40, "My Number image: expected tag FF40")?;
        let df41 = r.one(0xDF41, "My Number image: no DF41 image")?;
        let df42 = r.one(0xDF42, "My Number image: no DF42 card key")?;
        let df43 = r.one(0xDF43, "My Number image: no DF43 signature")?;
        Ok(Self {
            image_png: df41.value.to_vec(),
            card_key: key_field(df42)?,
            signature: signature_field(df43)?,
            signed: concat(&[df41.raw, df42.raw]),
        })
    }

    /// Verifies DF43 with the issuer key.
    pub fn verify(&self, issuer_key: &CardKey) -> Result<(), CvcError> {
        if issuer_key.verifies_sha256(&self.signed, &self.signature) {
            Ok(())
        } else {
            Err(CvcError::BadRecordSignature(
                "the My Number image (確認AP 0005)",
            ))
        }
    }
}

/// 補助AP EF `0002`: 基本4情報, values raw.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct BasicInfoRecord {
    /// Name, UTF-8 bytes (DF22).
    pub name: Vec<u8>,
    /// Address, UTF-8 bytes (DF23).
    pub address: Vec<u8>,
    /// Birth date `YYYYMMDD` (DF24).
    pub birth_date: [u8; 8],
    /// Sex, one ISO 5218 ASCII digit (DF25).
    pub sex: u8,
    hashed: Vec<u8>,
}

impl BasicInfoRecord {
    /// Parses `FF20 { DF21 offsets, DF22 name, DF23 address, DF24 birth date, DF25 sex }`, checking
    /// DF21's offsets.
    pub fn parse(bytes: &[u8]) -> Result<Self, CvcError> {
        let r = record(bytes, 0xFF20, "基本4情報: expected tag FF20")?;
        r.check_offsets()?;
        let df22 = r.one(0xDF22, "基本4情報: no DF22 name")?;
        let df23 = r.one(0xDF23, "基本4情報: no DF23 address")?;
        let df24 = r.one(0xDF24, "基本4情報: no DF24 birth date")?;
        let df25 = r.one(0xDF25, "基本4情報: no DF25 sex")?;
        let start = position(&r, 0xDF22)?;
        let end_at = position(&r, 0xDF25)?;
        let end = r.offsets[end_at] + df25.raw.len();
        let begin = r.offsets[start];
        if begin >= end {
            return Err(bad("基本4情報: DF25 comes before DF22"));
        }
        let hashed = bytes
            .get(begin..end)
            .ok_or(bad("基本4情報: span"))?
            .to_vec();
        let sex = match df25.value {
            [s] if s.is_ascii_digit() => *s,
            _ => return Err(bad("基本4情報: DF25 is not one digit")),
        };
        Ok(Self {
            name: df22.value.to_vec(),
            address: df23.value.to_vec(),
            birth_date: date(df24)?,
            sex,
            hashed,
        })
    }

    /// The bytes DF32 hashes: from the DF22 tag to the end of DF25, as stored.
    pub fn hashed_span(&self) -> &[u8] {
        &self.hashed
    }
}

fn position(r: &Record<'_>, tag: u32) -> Result<usize, CvcError> {
    r.children
        .iter()
        .position(|c| c.tag == tag)
        .ok_or(bad("missing element"))
}

/// 補助AP EF `0003`: hashes of EF `0001` and `0002` and the issuer's signature over them.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct IntegrityRecord {
    /// DF31: SHA-256 of EF `0001` as stored (17 bytes).
    pub my_number_hash: [u8; 32],
    /// DF32: SHA-256 of EF `0002` from DF22 to the end of DF25.
    pub basic_info_hash: [u8; 32],
    /// DF33.
    pub signature: Vec<u8>,
    signed: Vec<u8>,
}

impl IntegrityRecord {
    /// Parses `FF30 { DF31 32 bytes, DF32 32 bytes, DF33 signature }`.
    pub fn parse(bytes: &[u8]) -> Result<Self, CvcError> {
        let r = record(bytes, 0xFF30, "integrity record: expected tag FF30")?;
        let df31 = r.one(0xDF31, "integrity record: no DF31")?;
        let df32 = r.one(0xDF32, "integrity record: no DF32")?;
        let df33 = r.one(0xDF33, "integrity record: no DF33")?;
        let hash = |e: Element<'_>| -> Result<[u8; 32], CvcError> {
            e.value
                .try_into()
                .map_err(|_| bad("integrity record: a hash is not 32 bytes"))
        };
        Ok(Self {
            my_number_hash: hash(df31)?,
            basic_info_hash: hash(df32)?,
            signature: signature_field(df33)?,
            signed: concat(&[df31.raw, df32.raw]),
        })
    }

    /// Recomputes DF31 from EF `0001` (`my_number_ef`, exactly the 17 stored bytes) and DF32 from
    /// EF `0002` (`basic_info_ef`, the whole record), then verifies DF33 with the issuer key.
    pub fn verify(
        &self,
        my_number_ef: &[u8],
        basic_info_ef: &[u8],
        issuer_key: &CardKey,
    ) -> Result<BasicInfoRecord, CvcError> {
        if my_number_ef.len() != MY_NUMBER_EF_LEN {
            return Err(bad("EF 0001 is not the 17 stored bytes"));
        }
        if Sha256::digest(my_number_ef).as_slice() != self.my_number_hash {
            return Err(CvcError::HashMismatch("the My Number does not match DF31"));
        }
        let basic = BasicInfoRecord::parse(basic_info_ef)?;
        if Sha256::digest(basic.hashed_span()).as_slice() != self.basic_info_hash {
            return Err(CvcError::HashMismatch("基本4情報 does not match DF32"));
        }
        if !issuer_key.verifies_sha256(&self.signed, &self.signature) {
            return Err(CvcError::BadRecordSignature(
                "the integrity record (補助AP 0003)",
            ));
        }
        Ok(basic)
    }
}

/// 補助AP EF `0007`: the chip's key signed by the issuer.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct CardKeyRecord {
    /// The chip's own key (DF51).
    pub card_key: CardKey,
    /// DF52.
    pub signature: Vec<u8>,
    signed: Vec<u8>,
}

impl CardKeyRecord {
    /// Parses `FF50 { DF51 card key, DF52 signature }`.
    pub fn parse(bytes: &[u8]) -> Result<Self, CvcError> {
        let r = record(bytes, 0xFF50, "card key record: expected tag FF50")?;
        let df51 = r.one(0xDF51, "card key record: no DF51")?;
        let df52 = r.one(0xDF52, "card key record: no DF52")?;
        Ok(Self {
            card_key: key_field(df51)?,
            signature: signature_field(df52)?,
            signed: df51.raw.to_vec(),
        })
    }

    /// Verifies DF52 with the issuer key.
    pub fn verify(&self, issuer_key: &CardKey) -> Result<(), CvcError> {
        if issuer_key.verifies_sha256(&self.signed, &self.signature) {
            Ok(())
        } else {
            Err(CvcError::BadRecordSignature(
                "the card key record (補助AP 0007)",
            ))
        }
    }
}

/// Parses 補助AP EF `0001` (`FF 10 0C` + 12 ASCII digits + filler): the 12 digit bytes.
pub fn my_number_digits(ef: &[u8]) -> Result<[u8; 12], CvcError> {
    let (e, _filler) = element(ef)?;
    if e.tag != 0xFF10 {
        return Err(bad("My Number: expected tag FF10"));
    }
    let digits: [u8; 12] = e
        .value
        .try_into()
        .map_err(|_| bad("My Number: not 12 bytes"))?;
    if !digits.iter().all(u8::is_ascii_digit) {
        return Err(bad("My Number: not digits"));
    }
    Ok(digits)
}
