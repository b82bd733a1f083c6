//! 券面事項入力補助AP (card-info input support AP, "text"): the files a reader gets as text.

use std::fmt;

use rsa::PublicKey;

use super::{
    ApKeys, ap_version_bytes, offset_record, pad_file, push_tlv, sha256, sign, tlv, yyyymmdd,
};
use crate::pki::{Persona, PkiError, card_key_form};

const MY_NUMBER: u16 = 0xFF10;
const BASIC_INFO: u16 = 0xFF20;
const NAME: u16 = 0xDF22;
const ADDRESS: u16 = 0xDF23;
const BIRTH_DATE: u16 = 0xDF24;
const SEX: u16 = 0xDF25;
const INTEGRITY: u16 = 0xFF30;
const MY_NUMBER_HASH: u16 = 0xDF31;
const BASIC_INFO_HASH: u16 = 0xDF32;
const INTEGRITY_SIGNATURE: u16 = 0xDF33;
const AP_INFO: u16 = 0xFF40;
const AP_INFO_VERSION: u16 = 0xDF41;
const AP_INFO_KEY_ID: u16 = 0xDF42;
const AP_INFO_DATA_VERSION: u16 = 0xDF43;
const CARD_KEY_RECORD: u16 = 0xFF50;
const CARD_KEY: u16 = 0xDF51;
const CARD_KEY_SIGNATURE: u16 = 0xDF52;

/// `DF43` of EF `0005`: this crate's data version (the card specification leaves `DF43` open).
const DATA_VERSION: u8 = 0x01;

/// The elementary files of the 券面事項入力補助AP, each exactly as READ BINARY returns it.
///
/// `Debug` shows only the sizes: these files hold the My Number and the 基本4情報.
#[derive(Clone, PartialEq, Eq)]
pub struct TextApFiles {
    /// EF `0001`: `FF 10 0C` + the 12 ASCII digits of the My Number + `FF FF` (always 17 bytes).
    pub my_number: Vec<u8>,
    /// EF `0002`, 基本4情報: `FF 20 L { DF21 offsets, DF22 name, DF23 address, DF24 birth date, DF25 sex }`.
    ///
    /// `DF21` holds four 2-byte big-endian offsets, those of the `DF22`..`DF25` tags counted from the
    /// first byte of the file (for a short file the first is 14). Name and address are UTF-8, the birth
    /// date is `YYYYMMDD` and the sex is the ISO 5218 digit, all ASCII.
    pub basic_info: Vec<u8>,
    /// EF `0003`, integrity record: `FF 30 L { DF31, DF32, DF33 }`.
    ///
    /// - `DF31`: SHA-256 of all 17 bytes of EF `0001`, filler included.
    /// - `DF32`: SHA-256 of EF `0002` from the `DF22` tag through the end of `DF25`.
    /// - `DF33`: RSASSA-PKCS1-v1_5 with SHA-256 by the issuer key over the 70 bytes `DF31 TLV ‖ DF32 TLV`.
    pub integrity: Vec<u8>,
    /// EF `0004`: the CVC of the issuer key (568 bytes, issuer CA `6000033`).
    pub cvc: Vec<u8>,
    /// EF `0005`, AP basic data (unsigned): `FF 40 L { DF41 (4 bytes: spec version, extended Lc/Le
    /// support, vendor), DF42 the issuer key id (16 bytes), DF43 data version (1 byte) }`.
    pub ap_info: Vec<u8>,
    /// EF `0006`: `A1 82 01 09 { 90 03 01 00 01, 91 82 01 00 modulus }` — the RSA key a terminal
    /// encrypts its secure-messaging key to.
    pub sm_public_key: Vec<u8>,
    /// EF `0007`: `FF 50 82 02 13 { DF51 82 01 09 card key, DF52 82 01 00 signature }`, the signature by
    /// the issuer key over SHA-256 of the `DF51` TLV.
    pub card_key: Vec<u8>,
}

impl fmt::Debug for TextApFiles {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TextApFiles")
            .field("my_number", &format_args!("{} bytes", self.my_number.len()))
            .field(
                "basic_info",
                &format_args!("{} bytes", self.basic_info.len()),
            )
            .field("integrity", &format_args!("{} bytes", self.integrity.len()))
            .field("ap_info", &hex::encode_upper(&self.ap_info))
            .finish_non_exhaustive()
    }
}

/// Builds the files of the 券面事項入力補助AP for `persona`.
///
/// `keys.issuer` signs the integrity record and the card-key record; `keys.card_key` is the chip key
/// EF `0007` carries; `sm_key` is the key EF `0006` publishes; `extended_apdus` is what EF `0005`
/// announces. The result is deterministic (PKCS#1 v1.5 signatures are).
///
/// # Errors
///
/// [`PkiError::InvalidPersona`] when the My Number is not 12 ASCII digits, a year does not fit four
/// digits, or name and address together exceed what 2-byte lengths and offsets reach;
/// [`PkiError::Key`] for keys that are not RSA-2048 / 65537; [`PkiError::Signature`] when signing fails.
pub fn text_ap_files(
    persona: &Persona,
    keys: &ApKeys<'_>,
    sm_key: &PublicKey,
    extended_apdus: bool,
) -> Result<TextApFiles, PkiError> {
    let digits = persona.my_number.as_str();
    if digits.len() != 12 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(PkiError::InvalidPersona(
            "my_number: not 12 ASCII digits".into(),
        ));
    }
    let mut my_number = tlv(MY_NUMBER, digits.as_bytes(), "EF 0001")?;
    my_number.extend_from_slice(&[0xFF, 0xFF]);

    let birth = yyyymmdd(persona.birth_date, "birth_date")?;
    let mut sex = [0u8; 4];
    let sex = persona.sex.code().encode_utf8(&mut sex);
    let (basic, spans) = offset_record(
        BASIC_INFO,
        &[
            (NAME, persona.name.as_bytes()),
            (ADDRESS, persona.address.as_bytes()),
            (BIRTH_DATE, birth.as_bytes()),
            (SEX, sex.as_bytes()),
        ],
        "EF 0002",
    )?;
    let from = spans.first().map_or(0, |s| s.0);
    let to = spans.last().map_or(0, |s| s.1);
    let basic_info_hash = sha256(basic.get(from..to).unwrap_or_default());
    let basic_info = pad_file(basic);

    let my_number_hash = sha256(&my_number);
    let mut signed = Vec::with_capacity(70);
    push_tlv(&mut signed, MY_NUMBER_HASH, &my_number_hash, "EF 0003")?;
    push_tlv(&mut signed, BASIC_INFO_HASH, &basic_info_hash, "EF 0003")?;
    let signature = sign(keys.issuer, &signed)?;
    let mut record = signed;
    push_tlv(&mut record, INTEGRITY_SIGNATURE, &signature, "EF 0003")?;
    let integrity = pad_file(tlv(INTEGRITY, &record, "EF 0003")?);

    let mut info = Vec::new();
    push_tlv(
        &mut info,
        AP_INFO_VERSION,
        &ap_version_bytes(extended_apdus),
        "EF 0005",
    )?;
    push_tlv(&mut info, AP_INFO_KEY_ID, &keys.issuer_key_id.0, "EF 0005")?;
    push_tlv(&mut info, AP_INFO_DATA_VERSION, &[DATA_VERSION], "EF 0005")?;
    let ap_info = pad_file(tlv(AP_INFO, &info, "EF 0005")?);

    let mut sm = vec![0xA1];
    super::push_len(&mut sm, 265, "EF 0006")?;
    sm.extend_from_slice(&card_key_form(sm_key)?);
    let sm_public_key = pad_file(sm);

    let key_tlv = tlv(CARD_KEY, &card_key_form(keys.card_key)?, "EF 0007")?;
    let key_signature = sign(keys.issuer, &key_tlv)?;
    let mut key_record = key_tlv;
    push_tlv(
        &mut key_record,
        CARD_KEY_SIGNATURE,
        &key_signature,
        "EF 0007",
    )?;
    let card_key = pad_file(tlv(CARD_KEY_RECORD, &key_record, "EF 0007")?);

    Ok(TextApFiles {
        my_number,
        basic_info,
        integrity,
        cvc: keys.cvc.to_vec(),
        ap_info,
        sm_public_key,
        card_key,
    })
}

#[cfg(test)]
mod tests {
    use rsa::pkcs1v15::Pkcs1v15Sign;
    use sha2::{Digest, Sha256};

    use super::super::parse;
    use super::*;
    use crate::pki::cvc::{CvcCa, card_keys, issued_key_id};
    use crate::pki::{CvcHierarchy, PersonaBuilder, fixture_key};

    fn files(p: &Persona) -> TextApFiles {
        let issuer = fixture_key(card_keys::TEXT_ISSUER).unwrap();
        let chip = fixture_key(card_keys::TEXT_CHIP).unwrap();
        let sm = fixture_key(card_keys::TEXT_SECURE_MESSAGING).unwrap();
        let id = issued_key_id(CvcCa::Text);
        let cvc = CvcHierarchy::new()
            .unwrap()
            .issue(CvcCa::Text, &id, issuer.as_public_key())
            .unwrap();
        let keys = ApKeys {
            issuer: &issuer,
            issuer_key_id: id,
            cvc: &cvc,
            card_key: chip.as_public_key(),
        };
        text_ap_files(p, &keys, sm.as_public_key(), true).unwrap()
    }

    #[test]
    fn offsets_count_from_the_first_byte_and_the_integrity_record_verifies() {
        let p = Persona::sample();
        let f = files(&p);
        let els = parse::with_offsets(&f.basic_info, BASIC_INFO, &[NAME, ADDRESS, BIRTH_DATE, SEX])
            .unwrap();
        assert_eq!(els[0].value, p.name.as_bytes());
        let rec = parse::children(parse::outer(&f.integrity, INTEGRITY, true).unwrap()).unwrap();
        assert_eq!(rec[0].value, Sha256::digest(&f.my_number).as_slice());
        assert_eq!(
            rec[1].value,
            Sha256::digest(&f.basic_info[els[0].start..els[3].end]).as_slice()
        );
        let value = parse::outer(&f.integrity, INTEGRITY, true).unwrap();
        let signed = &value[..rec[1].end];
        assert_eq!(signed.len(), 70);
        let issuer = fixture_key(card_keys::TEXT_ISSUER).unwrap();
        issuer
            .as_public_key()
            .verify(
                Pkcs1v15Sign::new::<Sha256>(),
                &Sha256::digest(signed),
                rec[2].value,
            )
            .unwrap();
        assert!(format!("{f:?}").contains("bytes"));
    }

    #[test]
    fn long_and_oversized_fields() {
        let name = "髙".repeat(100);
        let p = PersonaBuilder::from_seed(1).name(&name).build().unwrap();
        let f = files(&p);
        assert_eq!(f.basic_info[2], 0x82);
        let els = parse::with_offsets(&f.basic_info, BASIC_INFO, &[NAME, ADDRESS, BIRTH_DATE, SEX])
            .unwrap();
        assert_eq!(els[0].value, name.as_bytes());
        assert_eq!(els[0].start, 5 + 3 + 8);
        let mut p = Persona::sample();
        p.address = "a".repeat(70_000);
        let issuer = fixture_key(card_keys::TEXT_ISSUER).unwrap();
        let keys = ApKeys {
            issuer: &issuer,
            issuer_key_id: issued_key_id(CvcCa::Text),
            cvc: &[],
            card_key: issuer.as_public_key(),
        };
        assert!(matches!(
            text_ap_files(&p, &keys, issuer.as_public_key(), true),
            Err(PkiError::InvalidPersona(_))
        ));
    }
}
