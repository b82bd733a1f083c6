//! 券面事項入力補助AP (card-info input support AP, "text"): the files a reader gets as text.

use std::fmt;

use rsa::PrivateKey;

use super::{pad_file, push_tlv, sha256, sign, tlv, with_offset_table, yyyymmdd};
use crate::pki::{Persona, PkiError};

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
const AP_INFO_FLAGS: u16 = 0xDF41;

/// Byte 0 of `DF41` in EF `0005`: the version of this AP's data layout.
const AP_INFO_VERSION: u8 = 0x01;

/// The elementary files of the 券面事項入力補助AP, each exactly as READ BINARY returns it
/// (data followed by `FF` filler, see [the module documentation](super)).
///
/// `Debug` shows only the sizes: these files hold the My Number and the 基本4情報.
#[derive(Clone, PartialEq, Eq)]
pub struct TextApFiles {
    /// EF `0001`: `FF 10 0C` + the 12 ASCII digits of the My Number + `FF FF` (always 17 bytes).
    pub my_number: Vec<u8>,
    /// EF `0002`, 基本4情報: `FF 20 L { DF21 offsets, DF22 name, DF23 address, DF24 birth date, DF25 sex }`.
    ///
    /// `DF21` holds four 2-byte big-endian offsets, those of the `DF22`..`DF25` tags counted from the
    /// start of the `FF20` value (so the first is 11). Name and address are UTF-8, the birth date is
    /// `YYYYMMDD` and the sex is the ISO 5218 digit, all ASCII.
    pub basic_info: Vec<u8>,
    /// EF `0003`, integrity record: `FF 30 L { DF31, DF32, DF33 }`.
    ///
    /// - `DF31`: SHA-256 of all 17 bytes of EF `0001`, filler included.
    /// - `DF32`: SHA-256 of EF `0002` from the `DF22` tag through the end of `DF25` (the `DF21` offset
    ///   table, the `FF20` header and the filler are not covered).
    /// - `DF33`: RSASSA-PKCS1-v1_5 with SHA-256 by the signer over the 64 bytes `DF31 value ‖ DF32 value`
    ///   (the two hashes are concatenated and that message is hashed again for the signature).
    pub integrity: Vec<u8>,
    /// EF `0005`, AP info: `FF 40 L { DF41 (4 bytes) }`.
    ///
    /// `DF41` byte 0 is the layout version (`01`), byte 1 is `01` when the card takes extended Lc/Le
    /// APDUs and `00` when not, bytes 2–3 are `00` (reserved).
    pub ap_info: Vec<u8>,
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
            .finish()
    }
}

/// Builds the files of the 券面事項入力補助AP for `persona`, signing the integrity record with `signer`.
///
/// `extended_apdus` is what EF `0005` announces about extended Lc/Le support. The result is
/// deterministic (PKCS#1 v1.5 signatures are).
///
/// # Errors
///
/// [`PkiError::InvalidPersona`] when the My Number is not 12 ASCII digits, a year does not fit four
/// digits, or name and address together exceed what 2-byte lengths and offsets reach;
/// [`PkiError::Signature`] when RSA signing fails (e.g. a key too small for SHA-256).
pub fn text_ap_files(
    persona: &Persona,
    signer: &PrivateKey,
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
    let (value, offsets) = with_offset_table(
        &[
            (NAME, persona.name.as_bytes()),
            (ADDRESS, persona.address.as_bytes()),
            (BIRTH_DATE, birth.as_bytes()),
            (SEX, sex.as_bytes()),
        ],
        "EF 0002",
    )?;
    let signed_from = offsets.first().copied().unwrap_or_default();
    let basic_info_hash = sha256(value.get(signed_from..).unwrap_or_default());
    let basic_info = pad_file(tlv(BASIC_INFO, &value, "EF 0002")?);

    let my_number_hash = sha256(&my_number);
    let signature = sign(
        signer,
        &[my_number_hash.as_slice(), &basic_info_hash].concat(),
    )?;
    let mut record = Vec::new();
    push_tlv(&mut record, MY_NUMBER_HASH, &my_number_hash, "EF 0003")?;
    push_tlv(&mut record, BASIC_INFO_HASH, &basic_info_hash, "EF 0003")?;
    push_tlv(&mut record, INTEGRITY_SIGNATURE, &signature, "EF 0003")?;
    let integrity = pad_file(tlv(INTEGRITY, &record, "EF 0003")?);

    let flags = [AP_INFO_VERSION, u8::from(extended_apdus), 0x00, 0x00];
    let ap_info = pad_file(tlv(
        AP_INFO,
        &tlv(AP_INFO_FLAGS, &flags, "EF 0005")?,
        "EF 0005",
    )?);

    Ok(TextApFiles {
        my_number,
        basic_info,
        integrity,
        ap_info,
    })
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use rsa::pkcs8::EncodePublicKey;

    use super::super::parse;
    use super::*;
    use crate::pki::{PersonaBuilder, Sex, fixture_key};

    /// What a client reads back, after checking everything it can.
    #[derive(Debug, PartialEq)]
    struct Read {
        my_number: String,
        name: String,
        address: String,
        birth: String,
        sex: String,
        extended: bool,
    }

    fn read(files: &TextApFiles, signer_spki: &[u8]) -> Result<Read, String> {
        let f = &files.my_number;
        if f.len() != 17 || f[15..] != [0xFF, 0xFF] {
            return Err("EF 0001 is not 17 bytes ending FF FF".into());
        }
        let digits = parse::outer(f, MY_NUMBER, false)?;
        if digits.len() != 12 || !digits.iter().all(u8::is_ascii_digit) {
            return Err("My Number is not 12 digits".into());
        }

        let value = parse::outer(&files.basic_info, BASIC_INFO, true)?;
        let els = parse::with_offsets(value, &[NAME, ADDRESS, BIRTH_DATE, SEX])?;
        let utf8 = |i: usize| String::from_utf8(els[i].value.to_vec()).map_err(|e| e.to_string());

        let record = parse::children(parse::outer(&files.integrity, INTEGRITY, true)?)?;
        let tags: Vec<u16> = record.iter().map(|t| t.tag).collect();
        if tags != [MY_NUMBER_HASH, BASIC_INFO_HASH, INTEGRITY_SIGNATURE] {
            return Err(format!("integrity tags {tags:04X?}"));
        }
        if record[0].value != sha256(f).as_slice() {
            return Err("DF31 does not match EF 0001".into());
        }
        if record[1].value != sha256(&value[els[0].start..els[3].end]).as_slice() {
            return Err("DF32 does not match EF 0002".into());
        }
        let message = [record[0].value, record[1].value].concat();
        parse::verify(signer_spki, &message, record[2].value)?;

        let info = parse::children(parse::outer(&files.ap_info, AP_INFO, true)?)?;
        let flags = info
            .iter()
            .find(|t| t.tag == AP_INFO_FLAGS)
            .ok_or("no DF41")?
            .value;
        Ok(Read {
            my_number: String::from_utf8(digits.to_vec()).map_err(|e| e.to_string())?,
            name: utf8(0)?,
            address: utf8(1)?,
            birth: utf8(2)?,
            sex: utf8(3)?,
            extended: *flags.get(1).ok_or("DF41 too short")? == 1,
        })
    }

    fn spki(key: &PrivateKey) -> Vec<u8> {
        key.as_public_key().to_public_key_der().unwrap().into_vec()
    }

    #[test]
    fn sample_persona_reads_back() {
        let p = Persona::sample();
        let key = fixture_key(23).unwrap();
        let files = text_ap_files(&p, &key, true).unwrap();
        let r = read(&files, &spki(&key)).unwrap();
        assert_eq!(
            r,
            Read {
                my_number: p.my_number.as_str().into(),
                name: "山田 花子".into(),
                address: "東京都千代田区霞が関二丁目1番2号".into(),
                birth: "19850412".into(),
                sex: "2".into(),
                extended: true,
            }
        );
        assert_eq!(&files.my_number[..3], &[0xFF, 0x10, 0x0C]);
        assert_eq!(&files.basic_info[..2], &[0xFF, 0x20]);
        assert_eq!(&files.basic_info[3..6], &[0xDF, 0x21, 0x08]);
        assert_eq!(&files.basic_info[6..8], &[0x00, 0x0B]);
        // 35 + 35 + (DF 33 82 01 00 + 256) = 331 = 0x14B.
        assert_eq!(&files.integrity[..5], &[0xFF, 0x30, 0x82, 0x01, 0x4B]);
        assert_eq!(
            &files.ap_info[..],
            &[
                0xFF, 0x40, 0x07, 0xDF, 0x41, 0x04, 0x01, 0x01, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0xFF,
                0xFF, 0xFF
            ]
        );
        // Deterministic, and Debug keeps the My Number out.
        assert_eq!(files, text_ap_files(&p, &key, true).unwrap());
        assert!(!format!("{files:?}").contains(p.my_number.as_str()));
    }

    #[test]
    fn ap_info_announces_extended_apdus_or_not() {
        let p = PersonaBuilder::from_seed(3)
            .sex(Sex::Unknown)
            .build()
            .unwrap();
        let key = fixture_key(23).unwrap();
        let files = text_ap_files(&p, &key, false).unwrap();
        let r = read(&files, &spki(&key)).unwrap();
        assert!(!r.extended);
        assert_eq!(r.sex, "0");
        assert_eq!(files.ap_info[7], 0x00);
    }

    #[test]
    fn tampering_and_other_keys_are_detected() {
        let p = Persona::sample();
        let key = fixture_key(23).unwrap();
        let files = text_ap_files(&p, &key, true).unwrap();
        assert!(read(&files, &spki(&fixture_key(22).unwrap())).is_err());

        let mut bad = files.clone();
        bad.my_number[5] = b'0' + (bad.my_number[5] - b'0' + 1) % 10;
        assert!(read(&bad, &spki(&key)).unwrap_err().contains("DF31"));

        let mut bad = files.clone();
        let last_sex = bad.basic_info.iter().rposition(|&b| b != 0xFF).unwrap();
        bad.basic_info[last_sex] = b'1';
        assert!(read(&bad, &spki(&key)).unwrap_err().contains("DF32"));

        let mut bad = files;
        // The signature is the last element: flip a bit in its middle.
        let last_sig = bad.integrity.iter().rposition(|&b| b != 0xFF).unwrap();
        bad.integrity[last_sig - 100] ^= 0x01;
        assert!(read(&bad, &spki(&key)).is_err());
    }

    #[test]
    fn long_fields_use_long_lengths() {
        let name = "髙".repeat(100);
        let address = "𠮷野家".repeat(40);
        let p = PersonaBuilder::from_seed(1)
            .name(&name)
            .address(&address, "x")
            .build()
            .unwrap();
        let key = fixture_key(23).unwrap();
        let files = text_ap_files(&p, &key, true).unwrap();
        assert_eq!(files.basic_info[2], 0x82);
        let r = read(&files, &spki(&key)).unwrap();
        assert_eq!((r.name, r.address), (name, address));
    }

    #[test]
    fn oversized_fields_are_refused() {
        let mut p = Persona::sample();
        p.address = "a".repeat(70_000);
        let key = fixture_key(23).unwrap();
        assert!(matches!(
            text_ap_files(&p, &key, true),
            Err(PkiError::InvalidPersona(_))
        ));
    }

    fn field() -> impl Strategy<Value = String> {
        let ch = prop_oneof![
            any::<char>(),
            proptest::char::range('\u{3041}', '\u{30FF}'),
            proptest::char::range('\u{4E00}', '\u{9FFF}'),
            proptest::char::range('\u{20000}', '\u{2A6DF}'),
        ];
        proptest::collection::vec(ch, 1..200).prop_map(|v| v.into_iter().collect())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]
        #[test]
        fn any_name_and_address_parse_back(name in field(), address in field()) {
            let p = PersonaBuilder::from_seed(7)
                .name(&name)
                .address(&address, "x")
                .build()
                .unwrap();
            let key = fixture_key(23).unwrap();
            let files = text_ap_files(&p, &key, true).unwrap();
            let r = read(&files, &spki(&key)).unwrap();
            prop_assert_eq!(r.name, name);
            prop_assert_eq!(r.address, address);
        }
    }
}
