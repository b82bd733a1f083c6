//! 券面事項確認AP (card-face AP, "visual"): the card face as pictures, signed.

use std::fmt;

use sha2::{Digest, Sha256};

use super::images::{PHOTO_JP2, render};
use super::{
    ApKeys, ap_version_bytes, offset_record, pad_file, push_tlv, sign, sign_digest_info, tlv,
    yyyymmdd,
};
use crate::pki::{Persona, PkiError, card_key_form};

const AGE: u16 = 0xFF10;
const AGE_BIRTH_DATE: u16 = 0xDF11;
const AGE_CARD_KEY: u16 = 0xDF12;
const AGE_SIGNATURE: u16 = 0xDF13;
const CARD_FACE: u16 = 0xFF20;
const BIRTH_DATE: u16 = 0xDF22;
const SEX: u16 = 0xDF23;
const CARD_KEY: u16 = 0xDF24;
const NAME_IMAGE: u16 = 0xDF25;
const ADDRESS_IMAGE: u16 = 0xDF26;
const PHOTO: u16 = 0xDF27;
const FACE_SIGNATURE: u16 = 0xDF28;
const EXPIRY: u16 = 0xDF29;
const SECURITY_CODE_IMAGE: u16 = 0xDF2A;
const BASIC_INFO: u16 = 0xFF30;
const INFO_VERSION: u16 = 0xDF31;
const INFO_KEY_ID: u16 = 0xDF32;
const INFO_DATA_VERSION: u16 = 0xDF33;
const INFO_MUNICIPALITY: u16 = 0xDF34;
const MY_NUMBER: u16 = 0xFF40;
const MY_NUMBER_IMAGE: u16 = 0xDF41;
const MY_NUMBER_CARD_KEY: u16 = 0xDF42;
const MY_NUMBER_SIGNATURE: u16 = 0xDF43;

/// `DF33` of EF `0003`: this crate's data version.
const DATA_VERSION: u8 = 0x01;

/// The DER prefix of a SHA-256 DigestInfo whose OCTET STRING holds 96 bytes (three hashes), as `DF28`
/// of the card face signs it.
pub const FACE_DIGEST_INFO_PREFIX: [u8; 19] = [
    0x30, 0x71, 0x30, 0x0D, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05,
    0x00, 0x04, 0x60,
];

/// The elementary files of the 券面事項確認AP, each exactly as READ BINARY returns it.
///
/// `Debug` shows only the sizes: these files show the holder's face and My Number.
#[derive(Clone, PartialEq, Eq)]
pub struct VisualApFiles {
    /// EF `0001`, age record: `FF 10 82 02 1E { DF11 08 birth YYYYMMDD, DF12 82 01 09 card key, DF13 82 01 00
    /// signature }`; the signature by the issuer key over SHA-256 of `DF11 TLV ‖ DF12 TLV`.
    pub age: Vec<u8>,
    /// EF `0002`, card face: `FF 20 L { DF21 offsets, DF22 birth YYYYMMDD, DF23 sex (1 ASCII digit), DF24
    /// card key, DF25 name PNG, DF26 address PNG, DF27 photo JPEG 2000, DF28 signature, DF29 expiry
    /// YYYYMMDD, DF2A security-code PNG }`.
    ///
    /// - `DF21`: nine 2-byte big-endian offsets of the `DF22`..`DF2A` tags, counted from the first byte
    ///   of the file.
    /// - `DF28`: PKCS#1 v1.5 by the issuer key over the DigestInfo [`FACE_DIGEST_INFO_PREFIX`] ‖
    ///   SHA-256(DF22‖DF23‖DF24 TLVs) ‖ SHA-256(DF25‖DF26 TLVs) ‖ SHA-256(DF27 TLV).
    /// - `DF29` and `DF2A` are not signed; `DF21` is in no hash.
    pub card_face: Vec<u8>,
    /// EF `0003`, AP basic data (unsigned): `FF 30 L { DF31 (4 bytes: spec version, extended Lc/Le
    /// support, vendor), DF32 issuer key id (16 bytes), DF33 data version (1 byte), DF34 5-digit
    /// municipality code }`.
    pub ap_info: Vec<u8>,
    /// EF `0004`: the CVC of the issuer key (568 bytes, issuer CA `6000023`).
    pub cvc: Vec<u8>,
    /// EF `0005`, My Number image: `FF 40 L { DF41 image (PNG), DF42 card key, DF43 signature }`, the
    /// signature by the issuer key over SHA-256 of `DF41 TLV ‖ DF42 TLV`.
    pub my_number_image: Vec<u8>,
}

impl fmt::Debug for VisualApFiles {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VisualApFiles")
            .field("age", &format_args!("{} bytes", self.age.len()))
            .field("card_face", &format_args!("{} bytes", self.card_face.len()))
            .field("ap_info", &format_args!("{} bytes", self.ap_info.len()))
            .field(
                "my_number_image",
                &format_args!("{} bytes", self.my_number_image.len()),
            )
            .finish_non_exhaustive()
    }
}

/// Builds the files of the 券面事項確認AP for `persona`, signed with `keys.issuer` and carrying
/// `keys.card_key` as the chip key.
///
/// The images are the generated stand-ins of [`text_image_png`](super::text_image_png) and the photo is
/// [`PHOTO_JP2`](super::PHOTO_JP2) for every persona. `extended_apdus` is what EF `0003` announces. The
/// result is deterministic.
///
/// # Errors
///
/// [`PkiError::InvalidPersona`] when a year does not fit four digits or name and address are so long
/// that the file outgrows 2-byte lengths and offsets; [`PkiError::Encoding`] when an image cannot be
/// encoded; [`PkiError::Key`] for keys that are not RSA-2048 / 65537; [`PkiError::Signature`] when RSA
/// signing fails.
pub fn visual_ap_files(
    persona: &Persona,
    keys: &ApKeys<'_>,
    extended_apdus: bool,
) -> Result<VisualApFiles, PkiError> {
    let card_key = card_key_form(keys.card_key)?;
    let birth = yyyymmdd(persona.birth_date, "birth_date")?;
    let expiry = yyyymmdd(persona.card_expiry, "card_expiry")?;
    let mut sex = [0u8; 4];
    let sex = persona.sex.code().encode_utf8(&mut sex);
    let name_image = render(&persona.name)?;
    let address_image = render(&persona.address)?;
    let security_code_image = render(&persona.security_code)?;

    // EF 0001: the age record.
    let mut signed = tlv(AGE_BIRTH_DATE, birth.as_bytes(), "EF 0001")?;
    push_tlv(&mut signed, AGE_CARD_KEY, &card_key, "EF 0001")?;
    let age_signature = sign(keys.issuer, &signed)?;
    let mut record = signed;
    push_tlv(&mut record, AGE_SIGNATURE, &age_signature, "EF 0001")?;
    let age = pad_file(tlv(AGE, &record, "EF 0001")?);

    // EF 0002: the card face, signed in three segments.
    let mut segments = [Sha256::new(), Sha256::new(), Sha256::new()];
    let parts: [(usize, u16, &[u8]); 6] = [
        (0, BIRTH_DATE, birth.as_bytes()),
        (0, SEX, sex.as_bytes()),
        (0, CARD_KEY, &card_key),
        (1, NAME_IMAGE, &name_image),
        (1, ADDRESS_IMAGE, &address_image),
        (2, PHOTO, PHOTO_JP2),
    ];
    for (segment, tag, value) in parts {
        let element = tlv(tag, value, "EF 0002")?;
        if let Some(h) = segments.get_mut(segment) {
            h.update(&element);
        }
    }
    let mut digest_info = FACE_DIGEST_INFO_PREFIX.to_vec();
    for h in segments {
        digest_info.extend_from_slice(&h.finalize());
    }
    let face_signature = sign_digest_info(keys.issuer, &digest_info)?;
    let mut elements: Vec<(u16, &[u8])> = parts.iter().map(|(_, t, v)| (*t, *v)).collect();
    elements.extend_from_slice(&[
        (FACE_SIGNATURE, face_signature.as_slice()),
        (EXPIRY, expiry.as_bytes()),
        (SECURITY_CODE_IMAGE, security_code_image.as_slice()),
    ]);
    let (face, _) = offset_record(CARD_FACE, &elements, "EF 0002")?;
    let card_face = pad_file(face);

    // EF 0003: basic data, unsigned.
    let mut info = tlv(INFO_VERSION, &ap_version_bytes(extended_apdus), "EF 0003")?;
    push_tlv(&mut info, INFO_KEY_ID, &keys.issuer_key_id.0, "EF 0003")?;
    push_tlv(&mut info, INFO_DATA_VERSION, &[DATA_VERSION], "EF 0003")?;
    push_tlv(
        &mut info,
        INFO_MUNICIPALITY,
        persona.municipality_code.as_bytes(),
        "EF 0003",
    )?;
    let ap_info = pad_file(tlv(BASIC_INFO, &info, "EF 0003")?);

    // EF 0005: the My Number image.
    let mut signed = tlv(
        MY_NUMBER_IMAGE,
        &render(persona.my_number.as_str())?,
        "EF 0005",
    )?;
    push_tlv(&mut signed, MY_NUMBER_CARD_KEY, &card_key, "EF 0005")?;
    let image_signature = sign(keys.issuer, &signed)?;
    let mut record = signed;
    push_tlv(
        &mut record,
        MY_NUMBER_SIGNATURE,
        &image_signature,
        "EF 0005",
    )?;
    let my_number_image = pad_file(tlv(MY_NUMBER, &record, "EF 0005")?);

    Ok(VisualApFiles {
        age,
        card_face,
        ap_info,
        cvc: keys.cvc.to_vec(),
        my_number_image,
    })
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use rsa::pkcs1v15::Pkcs1v15Sign;

    use super::super::{TEXT_IMAGE_CELL_WIDTH, TEXT_IMAGE_HEIGHT, parse};
    use super::*;
    use crate::pki::cvc::{CvcCa, card_keys, issued_key_id};
    use crate::pki::{PersonaBuilder, fixture_key};

    const FACE_TAGS: [u16; 9] = [
        BIRTH_DATE,
        SEX,
        CARD_KEY,
        NAME_IMAGE,
        ADDRESS_IMAGE,
        PHOTO,
        FACE_SIGNATURE,
        EXPIRY,
        SECURITY_CODE_IMAGE,
    ];

    fn files(p: &Persona) -> VisualApFiles {
        let issuer = fixture_key(card_keys::VISUAL_ISSUER).unwrap();
        let chip = fixture_key(card_keys::VISUAL_CHIP).unwrap();
        let keys = ApKeys {
            issuer: &issuer,
            issuer_key_id: issued_key_id(CvcCa::Visual),
            cvc: &[],
            card_key: chip.as_public_key(),
        };
        visual_ap_files(p, &keys, true).unwrap()
    }

    /// Checks the card face's signature; returns the (name, address) image sizes.
    type Size = (u32, u32);

    fn check_face(f: &VisualApFiles) -> Result<(Size, Size), String> {
        let els = parse::with_offsets(&f.card_face, CARD_FACE, &FACE_TAGS)?;
        let whole = |from: usize, to: usize| &f.card_face[els[from].start..els[to].end];
        let mut di = FACE_DIGEST_INFO_PREFIX.to_vec();
        di.extend_from_slice(&Sha256::digest(whole(0, 2)));
        di.extend_from_slice(&Sha256::digest(whole(3, 4)));
        di.extend_from_slice(&Sha256::digest(whole(5, 5)));
        let issuer = fixture_key(card_keys::VISUAL_ISSUER).unwrap();
        issuer
            .as_public_key()
            .verify(Pkcs1v15Sign::new_unprefixed(), &di, els[6].value)
            .map_err(|e| e.to_string())?;
        Ok((
            parse::png_size(els[3].value)?,
            parse::png_size(els[4].value)?,
        ))
    }

    #[test]
    fn sample_persona_files_verify() {
        let p = Persona::sample();
        let f = files(&p);
        assert_eq!(&f.age[..5], &[0xFF, 0x10, 0x82, 0x02, 0x1E]);
        assert_eq!(&f.age[5..8], &[0xDF, 0x11, 0x08]);
        assert_eq!(&f.age[8..16], b"19850412");
        let (name, _) = check_face(&f).unwrap();
        assert_eq!(name, (5 * TEXT_IMAGE_CELL_WIDTH, TEXT_IMAGE_HEIGHT));
        let els = parse::with_offsets(&f.card_face, CARD_FACE, &FACE_TAGS).unwrap();
        assert_eq!(els[5].value, PHOTO_JP2);
        assert_eq!(els[7].value, b"20340412");
        assert_eq!(f, files(&p));
        assert!(format!("{f:?}").contains("bytes"));
        // The expiry is outside the signed part; the birth date is inside.
        let mut ok = f.clone();
        let e = els[7].end - 8;
        ok.card_face[e..e + 4].copy_from_slice(b"2099");
        assert!(check_face(&ok).is_ok());
        let b = els[0].end - 1;
        let mut bad = f.clone();
        bad.card_face[b] ^= 1;
        assert!(check_face(&bad).is_err());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(8))]
        #[test]
        fn any_name_and_address_give_valid_files(name in "\\PC{1,200}", address in "\\PC{1,200}") {
            let p = PersonaBuilder::from_seed(5)
                .name(&name)
                .address(&address, "x")
                .build()
                .unwrap();
            let (n, a) = check_face(&files(&p)).unwrap();
            prop_assert_eq!(n.0, u32::try_from(name.chars().count()).unwrap() * TEXT_IMAGE_CELL_WIDTH);
            prop_assert_eq!(a.0, u32::try_from(address.chars().count()).unwrap() * TEXT_IMAGE_CELL_WIDTH);
        }
    }
}
