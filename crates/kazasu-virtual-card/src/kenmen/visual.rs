//! 券面事項確認AP (card-face AP, "visual"): the card face as pictures, signed.

use std::fmt;

use rsa::PrivateKey;

use super::images::{PHOTO_JP2, render};
use super::{pad_file, public_key_der, push_tlv, sign, tlv, with_offset_table, yyyymmdd};
use crate::pki::{Persona, PkiError};

const CARD_FACE: u16 = 0xFF20;
const BIRTH_DATE: u16 = 0xDF22;
const SEX: u16 = 0xDF23;
const PUBLIC_KEY: u16 = 0xDF24;
const NAME_IMAGE: u16 = 0xDF25;
const ADDRESS_IMAGE: u16 = 0xDF26;
const PHOTO: u16 = 0xDF27;
const FACE_SIGNATURE: u16 = 0xDF28;
const EXPIRY: u16 = 0xDF29;
const SECURITY_CODE_IMAGE: u16 = 0xDF2A;
const BASIC_INFO: u16 = 0xFF30;
const VERSION: u16 = 0xDF31;
const ISSUER: u16 = 0xDF32;
const MY_NUMBER: u16 = 0xFF40;
const MY_NUMBER_IMAGE: u16 = 0xDF41;
const MY_NUMBER_PUBLIC_KEY: u16 = 0xDF42;
const MY_NUMBER_SIGNATURE: u16 = 0xDF43;

/// `DF31` of EF `0003`: the version of this AP's data layout.
const LAYOUT_VERSION: u8 = 0x01;

/// `DF32` of EF `0003`: the organisation that issues the card. Not the holder's municipality: this
/// EF is readable without any code.
const ISSUER_NAME: &[u8] = b"J-LIS";

/// The elementary files of the 券面事項確認AP, each exactly as READ BINARY returns it (data followed
/// by `FF` filler, see [the module documentation](super)).
///
/// `Debug` shows only the sizes: these files show the holder's face and My Number.
#[derive(Clone, PartialEq, Eq)]
pub struct VisualApFiles {
    /// EF `0002`, card face: `FF 20 L { DF21 … DF2A }`.
    ///
    /// - `DF21`: nine 2-byte big-endian offsets, those of the `DF22`..`DF2A` tags counted from the
    ///   start of the `FF20` value.
    /// - `DF22` birth date `YYYYMMDD`, `DF23` sex (ISO 5218 digit), `DF24` the signer's public key
    ///   (DER SubjectPublicKeyInfo), `DF25` name image (PNG), `DF26` address image (PNG), `DF27` face
    ///   photo ([`PHOTO_JP2`](super::PHOTO_JP2)).
    /// - `DF28`: RSASSA-PKCS1-v1_5 with SHA-256 by the signer over the bytes from the `DF22` tag
    ///   through the end of `DF27` (the six complete TLVs, as they appear in the file).
    /// - `DF29` card expiry date `YYYYMMDD` and `DF2A` security-code image (PNG): not signed.
    pub card_face: Vec<u8>,
    /// EF `0003`, AP basic info: `FF 30 L { DF31 layout version (1 byte, 01), DF32 issuer "J-LIS" (ASCII) }`.
    pub ap_info: Vec<u8>,
    /// EF `0005`, My Number image: `FF 40 L { DF41 image (PNG), DF42 public key (DER
    /// SubjectPublicKeyInfo), DF43 signature }`, the signature (PKCS#1 v1.5, SHA-256) covering the
    /// complete `DF41` TLV.
    pub my_number_image: Vec<u8>,
}

impl fmt::Debug for VisualApFiles {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VisualApFiles")
            .field("card_face", &format_args!("{} bytes", self.card_face.len()))
            .field("ap_info", &format_args!("{} bytes", self.ap_info.len()))
            .field(
                "my_number_image",
                &format_args!("{} bytes", self.my_number_image.len()),
            )
            .finish()
    }
}

/// Builds the files of the 券面事項確認AP for `persona`, signing the card face and the My Number image
/// with `signer`, whose public key both files carry.
///
/// The images are the generated stand-ins of [`text_image_png`](super::text_image_png) and the photo is
/// [`PHOTO_JP2`](super::PHOTO_JP2) for every persona. The result is deterministic.
///
/// # Errors
///
/// [`PkiError::InvalidPersona`] when a year does not fit four digits or name or address are so long
/// that the file outgrows 2-byte lengths and offsets; [`PkiError::Encoding`] when an image or the
/// public key cannot be encoded; [`PkiError::Signature`] when RSA signing fails.
pub fn visual_ap_files(persona: &Persona, signer: &PrivateKey) -> Result<VisualApFiles, PkiError> {
    let public_key = public_key_der(signer)?;

    let birth = yyyymmdd(persona.birth_date, "birth_date")?;
    let expiry = yyyymmdd(persona.card_expiry, "card_expiry")?;
    let mut sex = [0u8; 4];
    let sex = persona.sex.code().encode_utf8(&mut sex);
    let name_image = render(&persona.name)?;
    let address_image = render(&persona.address)?;
    let security_code_image = render(&persona.security_code)?;

    let signed: [(u16, &[u8]); 6] = [
        (BIRTH_DATE, birth.as_bytes()),
        (SEX, sex.as_bytes()),
        (PUBLIC_KEY, &public_key),
        (NAME_IMAGE, &name_image),
        (ADDRESS_IMAGE, &address_image),
        (PHOTO, PHOTO_JP2),
    ];
    let mut signed_bytes = Vec::new();
    for (tag, value) in signed {
        push_tlv(&mut signed_bytes, tag, value, "EF 0002")?;
    }
    let face_signature = sign(signer, &signed_bytes)?;
    let mut elements = signed.to_vec();
    elements.extend_from_slice(&[
        (FACE_SIGNATURE, face_signature.as_slice()),
        (EXPIRY, expiry.as_bytes()),
        (SECURITY_CODE_IMAGE, security_code_image.as_slice()),
    ]);
    let (value, _) = with_offset_table(&elements, "EF 0002")?;
    let card_face = pad_file(tlv(CARD_FACE, &value, "EF 0002")?);

    let mut info = Vec::new();
    push_tlv(&mut info, VERSION, &[LAYOUT_VERSION], "EF 0003")?;
    push_tlv(&mut info, ISSUER, ISSUER_NAME, "EF 0003")?;
    let ap_info = pad_file(tlv(BASIC_INFO, &info, "EF 0003")?);

    let image = tlv(
        MY_NUMBER_IMAGE,
        &render(persona.my_number.as_str())?,
        "EF 0005",
    )?;
    let image_signature = sign(signer, &image)?;
    let mut record = image;
    push_tlv(&mut record, MY_NUMBER_PUBLIC_KEY, &public_key, "EF 0005")?;
    push_tlv(
        &mut record,
        MY_NUMBER_SIGNATURE,
        &image_signature,
        "EF 0005",
    )?;
    let my_number_image = pad_file(tlv(MY_NUMBER, &record, "EF 0005")?);

    Ok(VisualApFiles {
        card_face,
        ap_info,
        my_number_image,
    })
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use rsa::pkcs8::EncodePublicKey;

    use super::super::{TEXT_IMAGE_CELL_WIDTH, TEXT_IMAGE_HEIGHT, parse};
    use super::*;
    use crate::pki::{PersonaBuilder, fixture_key};

    const FACE_TAGS: [u16; 9] = [
        BIRTH_DATE,
        SEX,
        PUBLIC_KEY,
        NAME_IMAGE,
        ADDRESS_IMAGE,
        PHOTO,
        FACE_SIGNATURE,
        EXPIRY,
        SECURITY_CODE_IMAGE,
    ];

    /// What a client gets after checking everything; images as (width, height).
    #[derive(Debug, PartialEq)]
    struct Read {
        birth: String,
        sex: String,
        public_key: Vec<u8>,
        name_image: (u32, u32),
        address_image: (u32, u32),
        expiry: String,
        security_code_image: (u32, u32),
        my_number_image: (u32, u32),
        issuer: String,
    }

    fn read(files: &VisualApFiles) -> Result<Read, String> {
        let value = parse::outer(&files.card_face, CARD_FACE, true)?;
        let els = parse::with_offsets(value, &FACE_TAGS)?;
        let text = |i: usize| String::from_utf8(els[i].value.to_vec()).map_err(|e| e.to_string());
        let public_key = els[2].value;
        // The signature covers DF22..DF27 as they lie in the file, checked with the key of DF24.
        parse::verify(public_key, &value[els[0].start..els[5].end], els[6].value)?;
        if !els[5].value.starts_with(&[
            0x00, 0x00, 0x00, 0x0C, 0x6A, 0x50, 0x20, 0x20, 0x0D, 0x0A, 0x87, 0x0A,
        ]) {
            return Err("DF27 is not a JP2 file".into());
        }

        let info = parse::children(parse::outer(&files.ap_info, BASIC_INFO, true)?)?;
        if info.iter().map(|t| t.tag).collect::<Vec<_>>() != [VERSION, ISSUER]
            || info[0].value != [LAYOUT_VERSION]
        {
            return Err("unexpected EF 0003".into());
        }

        let rec = parse::children(parse::outer(&files.my_number_image, MY_NUMBER, true)?)?;
        if rec.iter().map(|t| t.tag).collect::<Vec<_>>()
            != [MY_NUMBER_IMAGE, MY_NUMBER_PUBLIC_KEY, MY_NUMBER_SIGNATURE]
        {
            return Err("unexpected EF 0005 tags".into());
        }
        let record = parse::outer(&files.my_number_image, MY_NUMBER, true)?;
        if rec[1].value != public_key {
            return Err("EF 0005 carries another key".into());
        }
        parse::verify(
            rec[1].value,
            &record[rec[0].start..rec[0].end],
            rec[2].value,
        )?;

        Ok(Read {
            birth: text(0)?,
            sex: text(1)?,
            public_key: public_key.to_vec(),
            name_image: parse::png_size(els[3].value)?,
            address_image: parse::png_size(els[4].value)?,
            expiry: text(7)?,
            security_code_image: parse::png_size(els[8].value)?,
            my_number_image: parse::png_size(rec[0].value)?,
            issuer: String::from_utf8(info[1].value.to_vec()).map_err(|e| e.to_string())?,
        })
    }

    fn size(chars: usize) -> (u32, u32) {
        (
            u32::try_from(chars).unwrap() * TEXT_IMAGE_CELL_WIDTH,
            TEXT_IMAGE_HEIGHT,
        )
    }

    #[test]
    fn sample_persona_reads_back() {
        let p = Persona::sample();
        let key = fixture_key(23).unwrap();
        let files = visual_ap_files(&p, &key).unwrap();
        let r = read(&files).unwrap();
        let spki = key.as_public_key().to_public_key_der().unwrap().into_vec();
        assert_eq!(
            r,
            Read {
                birth: "19850412".into(),
                sex: "2".into(),
                public_key: spki,
                name_image: size(5),
                address_image: size(p.address.chars().count()),
                expiry: "20340412".into(),
                security_code_image: size(4),
                my_number_image: size(12),
                issuer: "J-LIS".into(),
            }
        );
        assert_eq!(&files.card_face[..2], &[0xFF, 0x20]);
        assert_eq!(files, visual_ap_files(&p, &key).unwrap());
        assert!(format!("{files:?}").contains("bytes"));
        // The photo is the committed one, byte for byte.
        let value = parse::outer(&files.card_face, CARD_FACE, true).unwrap();
        let els = parse::with_offsets(value, &FACE_TAGS).unwrap();
        assert_eq!(els[5].value, PHOTO_JP2);
        assert_eq!(els[8].value, render(&p.security_code).unwrap());
    }

    #[test]
    fn the_signed_part_is_protected_and_the_rest_is_not() {
        let p = Persona::sample();
        let key = fixture_key(23).unwrap();
        let files = visual_ap_files(&p, &key).unwrap();
        let outer = parse::read_tlv(&files.card_face, 0).unwrap();
        let base = outer.end - outer.value.len();
        let els = parse::with_offsets(outer.value, &FACE_TAGS).unwrap();
        // Where element i's value starts and ends in the file.
        let at = |i: usize| base + els[i].end - els[i].value.len();
        let end = |i: usize| base + els[i].end;

        // A changed birth date breaks the signature.
        let mut bad = files.clone();
        bad.card_face[at(0)] = b'2';
        assert!(read(&bad).is_err());

        // A changed photo byte too.
        let mut bad = files.clone();
        bad.card_face[end(5) - 3] ^= 0x10;
        assert!(read(&bad).is_err());

        // The expiry date is outside the signed part.
        let mut ok = files.clone();
        let e = at(7);
        ok.card_face[e..e + 4].copy_from_slice(b"2099");
        assert_eq!(read(&ok).unwrap().expiry, "20990412");

        // Signed by another key, the embedded key still verifies but differs from ours.
        let other = visual_ap_files(&p, &fixture_key(22).unwrap()).unwrap();
        assert_ne!(
            read(&other).unwrap().public_key,
            read(&files).unwrap().public_key
        );

        // The My Number image signature covers the image.
        let mut bad = files;
        let outer = parse::read_tlv(&bad.my_number_image, 0).unwrap();
        let img = parse::children(outer.value).unwrap()[0];
        let base = outer.end - outer.value.len();
        let mid = base + img.end - img.value.len() / 2;
        bad.my_number_image[mid] ^= 0x01;
        assert!(read(&bad).is_err());
    }

    #[test]
    fn sizes_stay_small() {
        let p = Persona::sample();
        let files = visual_ap_files(&p, &fixture_key(23).unwrap()).unwrap();
        assert!(files.card_face.len() < 4096, "{}", files.card_face.len());
        assert_eq!(files.ap_info.len(), 16);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(16))]
        #[test]
        fn any_name_and_address_give_valid_files(name in "\\PC{1,200}", address in "\\PC{1,200}") {
            let p = PersonaBuilder::from_seed(5)
                .name(&name)
                .address(&address, "x")
                .build()
                .unwrap();
            let r = read(&visual_ap_files(&p, &fixture_key(23).unwrap()).unwrap()).unwrap();
            prop_assert_eq!(r.name_image, size(name.chars().count()));
            prop_assert_eq!(r.address_image, size(address.chars().count()));
        }
    }
}
