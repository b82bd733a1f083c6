//! The data of the two card-face applications: 券面事項入力補助AP ("text") and 券面事項確認AP ("visual").
//!
//! This module builds the *contents* of their elementary files, byte for byte as a reader gets them from
//! READ BINARY (`shared/spec/card.md` §5 and §5b); serving them behind PINs and 照合番号 is the card's job.
//!
//! - [`text_ap_files`]: 券面事項入力補助AP EF `0001` (My Number), `0002` (基本4情報), `0003` (integrity
//!   record) and `0005` (AP info).
//! - [`visual_ap_files`]: 券面事項確認AP EF `0002` (card face), `0003` (AP basic info) and `0005`
//!   (My Number image).
//! - [`name_image_png`] and its siblings: the small generated PNG "images" of the card face, and
//!   [`PHOTO_JP2`], the committed JPEG 2000 face photo.
//!
//! # Encoding
//!
//! Every file is one private-class BER object with a 2-byte tag (`FF10`, `FF20`, `FF30`, `FF40`) whose
//! value is a sequence of 2-byte-tag elements (`DF21`, `DF22`, …). Lengths are BER definite lengths in
//! their shortest form: one byte below 128, else `81 xx`, else `82 xx xx`; nothing here is longer than
//! 65 535 bytes.
//!
//! # Filler
//!
//! A real card's EFs are allocated larger than their data, and READ BINARY returns the rest as filler.
//! Here EF `0001` of the text AP is exactly 17 bytes (`FF 10 0C`, 12 digits, `FF FF`) as on the card;
//! every other file is followed by `FF` bytes up to the next multiple of [`FILE_ALIGN`] bytes, with at
//! least one filler byte (so 1 to 16 of them). Readers must trim by the outer BER length.
//!
//! # Errors
//!
//! The builders return [`PkiError`]: [`PkiError::InvalidPersona`] for a field the card cannot store (a
//! year outside 0000–9999, a My Number that is not 12 digits, a name or address too long for 2-byte
//! lengths and offsets), [`PkiError::Signature`] when RSA signing fails, [`PkiError::Encoding`] when a
//! PNG image or the public key cannot be encoded.

mod images;
mod text;
mod visual;

pub use images::{
    PHOTO_JP2, TEXT_IMAGE_CELL_WIDTH, TEXT_IMAGE_HEIGHT, address_image_png, my_number_image_png,
    name_image_png, security_code_image_png, text_image_png,
};
pub use text::{TextApFiles, text_ap_files};
pub use visual::{VisualApFiles, visual_ap_files};

use rsa::PrivateKey;
use sha2::Sha256;

use crate::pki::PkiError;

/// Files other than the text AP's EF `0001` are padded with `FF` to a multiple of this many bytes.
pub const FILE_ALIGN: usize = 16;

/// The filler byte after the data of a file.
pub const FILLER: u8 = 0xFF;

/// The error for an element or file larger than 2-byte lengths and offsets allow.
fn too_large(what: &str, len: usize) -> PkiError {
    PkiError::InvalidPersona(format!("{what} would be {len} bytes, more than 65535"))
}

/// Appends a BER definite length: short form below 128, else `81 xx` or `82 xx xx`.
fn push_len(out: &mut Vec<u8>, len: usize, what: &str) -> Result<(), PkiError> {
    if let Ok(short) = u8::try_from(len) {
        if short < 0x80 {
            out.push(short);
        } else {
            out.extend_from_slice(&[0x81, short]);
        }
        Ok(())
    } else if let Ok(long) = u16::try_from(len) {
        out.push(0x82);
        out.extend_from_slice(&long.to_be_bytes());
        Ok(())
    } else {
        Err(too_large(what, len))
    }
}

/// Appends one TLV with a 2-byte tag.
fn push_tlv(out: &mut Vec<u8>, tag: u16, value: &[u8], what: &str) -> Result<(), PkiError> {
    out.extend_from_slice(&tag.to_be_bytes());
    push_len(out, value.len(), what)?;
    out.extend_from_slice(value);
    Ok(())
}

/// One TLV with a 2-byte tag.
fn tlv(tag: u16, value: &[u8], what: &str) -> Result<Vec<u8>, PkiError> {
    let mut out = Vec::with_capacity(value.len() + 5);
    push_tlv(&mut out, tag, value, what)?;
    Ok(out)
}

/// A value that starts with a `DF21` offset table followed by `elements` (tag, value), in order.
///
/// Offset *i* (2 bytes, big-endian) is where element *i*'s tag starts, counted from the start of
/// the enclosing value, i.e. from the `DF21` tag. Returns the value and the offset of each element.
fn with_offset_table(
    elements: &[(u16, &[u8])],
    what: &str,
) -> Result<(Vec<u8>, Vec<usize>), PkiError> {
    let table_len = 2 * elements.len();
    let mut body = Vec::new();
    let mut starts = Vec::with_capacity(elements.len());
    for (tag, value) in elements {
        starts.push(body.len());
        push_tlv(&mut body, *tag, value, what)?;
    }
    let mut out = Vec::with_capacity(table_len + 4 + body.len());
    out.extend_from_slice(&OFFSET_TABLE_TAG.to_be_bytes());
    push_len(&mut out, table_len, what)?;
    let header = out.len() + table_len;
    let mut offsets = Vec::with_capacity(elements.len());
    for start in starts {
        let at = header + start;
        let at16 = u16::try_from(at).map_err(|_| too_large(what, at))?;
        out.extend_from_slice(&at16.to_be_bytes());
        offsets.push(at);
    }
    out.extend_from_slice(&body);
    Ok((out, offsets))
}

/// The tag of the offset table that opens the `FF20` records.
const OFFSET_TABLE_TAG: u16 = 0xDF21;

/// Pads a file with [`FILLER`] to the next multiple of [`FILE_ALIGN`], adding at least one byte.
fn pad_file(mut file: Vec<u8>) -> Vec<u8> {
    let target = (file.len() / FILE_ALIGN + 1) * FILE_ALIGN;
    file.resize(target, FILLER);
    file
}

/// SHA-256 of `data`.
fn sha256(data: &[u8]) -> Vec<u8> {
    use sha2::Digest;
    Sha256::digest(data).to_vec()
}

/// RSASSA-PKCS1-v1_5 with SHA-256 over `message` (hashed here).
fn sign(signer: &PrivateKey, message: &[u8]) -> Result<Vec<u8>, PkiError> {
    signer
        .pkcs1v15_sign::<Sha256>(message)
        .map_err(|e| PkiError::Signature(e.to_string()))
}

/// The signer's public key as a DER SubjectPublicKeyInfo.
fn public_key_der(signer: &PrivateKey) -> Result<Vec<u8>, PkiError> {
    use rsa::pkcs8::EncodePublicKey;
    signer
        .as_public_key()
        .to_public_key_der()
        .map(|doc| doc.into_vec())
        .map_err(|e| PkiError::Encoding(format!("public key: {e}")))
}

/// `YYYYMMDD` of a date, refusing years that do not fit four digits.
fn yyyymmdd(date: time::Date, field: &str) -> Result<String, PkiError> {
    let year = date.year();
    if !(0..=9999).contains(&year) {
        return Err(PkiError::InvalidPersona(format!(
            "{field}: year {year} is not four digits"
        )));
    }
    Ok(format!(
        "{year:04}{:02}{:02}",
        u8::from(date.month()),
        date.day()
    ))
}

/// A strict reader of the files above, for tests: it is what a careful client would check.
#[cfg(test)]
mod parse {
    use rsa::pkcs1v15::{Signature, VerifyingKey};
    use rsa::signature::Verifier;
    use sha2::Sha256;

    use super::{FILE_ALIGN, FILLER};

    /// One element: tag, value, and where the tag starts within the buffer that was parsed.
    #[derive(Debug, Clone, Copy)]
    pub(super) struct Tlv<'a> {
        pub tag: u16,
        pub value: &'a [u8],
        pub start: usize,
        pub end: usize,
    }

    /// Reads one TLV at `at`: a 2-byte private-class tag and a shortest-form definite length.
    pub(super) fn read_tlv(buf: &[u8], at: usize) -> Result<Tlv<'_>, String> {
        let b = |i: usize| {
            buf.get(i)
                .copied()
                .ok_or_else(|| format!("truncated at {i}"))
        };
        let (t0, t1) = (b(at)?, b(at + 1)?);
        if t0 & 0xC0 != 0xC0 || t0 & 0x1F != 0x1F || t1 & 0x80 != 0 {
            return Err(format!(
                "{t0:02X}{t1:02X} at {at} is not a 2-byte private tag"
            ));
        }
        let l0 = b(at + 2)?;
        let (len, hdr) = match l0 {
            0..=0x7F => (usize::from(l0), 3),
            0x81 => {
                let l = usize::from(b(at + 3)?);
                if l < 0x80 {
                    return Err(format!("non-minimal length at {at}"));
                }
                (l, 4)
            }
            0x82 => {
                let l = usize::from(u16::from_be_bytes([b(at + 3)?, b(at + 4)?]));
                if l < 0x100 {
                    return Err(format!("non-minimal length at {at}"));
                }
                (l, 5)
            }
            _ => return Err(format!("length form {l0:02X} at {at}")),
        };
        let end = at + hdr + len;
        let value = buf
            .get(at + hdr..end)
            .ok_or_else(|| format!("value at {at} runs past the end ({end} > {})", buf.len()))?;
        Ok(Tlv {
            tag: u16::from_be_bytes([t0, t1]),
            value,
            start: at,
            end,
        })
    }

    /// All elements of a value, which they must fill exactly.
    pub(super) fn children(value: &[u8]) -> Result<Vec<Tlv<'_>>, String> {
        let mut out = Vec::new();
        let mut at = 0;
        while at < value.len() {
            let t = read_tlv(value, at)?;
            at = t.end;
            out.push(t);
        }
        Ok(out)
    }

    /// The outer object of a file with tag `outer`, checking the filler after it.
    pub(super) fn outer(file: &[u8], outer: u16, aligned: bool) -> Result<&[u8], String> {
        let t = read_tlv(file, 0)?;
        if t.tag != outer {
            return Err(format!("outer tag {:04X}, expected {outer:04X}", t.tag));
        }
        let filler = &file[t.end..];
        if filler.is_empty() || filler.iter().any(|&x| x != FILLER) {
            return Err("filler missing or not all FF".into());
        }
        if aligned && (!file.len().is_multiple_of(FILE_ALIGN) || filler.len() > FILE_ALIGN) {
            return Err(format!(
                "file of {} bytes is not padded as documented",
                file.len()
            ));
        }
        Ok(t.value)
    }

    /// The elements of a value that opens with a `DF21` offset table, checking that each offset points
    /// at the tag of the next element in order and that `tags` are exactly the elements' tags.
    pub(super) fn with_offsets<'a>(value: &'a [u8], tags: &[u16]) -> Result<Vec<Tlv<'a>>, String> {
        let all = children(value)?;
        let (table, rest) = all.split_first().ok_or("empty record")?;
        if table.tag != 0xDF21 || table.value.len() != 2 * tags.len() {
            return Err(format!(
                "bad offset table {:04X} of {}",
                table.tag,
                table.value.len()
            ));
        }
        if rest.len() != tags.len() {
            return Err(format!("{} elements, expected {}", rest.len(), tags.len()));
        }
        for ((pair, t), want) in table.value.chunks_exact(2).zip(rest).zip(tags) {
            let off = usize::from(u16::from_be_bytes([pair[0], pair[1]]));
            if t.tag != *want || off != t.start || value[off..off + 2] != want.to_be_bytes() {
                return Err(format!("offset {off} does not point at {want:04X}"));
            }
        }
        Ok(rest.to_vec())
    }

    /// Verifies a PKCS#1 v1.5 SHA-256 signature with the public key given as SubjectPublicKeyInfo.
    pub(super) fn verify(spki: &[u8], message: &[u8], signature: &[u8]) -> Result<(), String> {
        use rsa::pkcs8::DecodePublicKey;
        let key = rsa::PublicKey::from_public_key_der(spki).map_err(|e| e.to_string())?;
        let sig = Signature::try_from(signature).map_err(|e| e.to_string())?;
        VerifyingKey::<Sha256>::new(key)
            .verify(message, &sig)
            .map_err(|e| e.to_string())
    }

    /// Decodes a PNG, returning (width, height).
    pub(super) fn png_size(png: &[u8]) -> Result<(u32, u32), String> {
        if !png.starts_with(b"\x89PNG\r\n\x1a\n") {
            return Err("no PNG signature".into());
        }
        let mut reader = png::Decoder::new(std::io::Cursor::new(png))
            .read_info()
            .map_err(|e| e.to_string())?;
        let mut buf = vec![0; reader.output_buffer_size().ok_or("image too large")?];
        let info = reader.next_frame(&mut buf).map_err(|e| e.to_string())?;
        Ok((info.width, info.height))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_use_the_shortest_definite_form() {
        let enc = |n| {
            let mut v = Vec::new();
            push_len(&mut v, n, "t").map(|()| v)
        };
        assert_eq!(enc(0).unwrap(), [0x00]);
        assert_eq!(enc(127).unwrap(), [0x7F]);
        assert_eq!(enc(128).unwrap(), [0x81, 0x80]);
        assert_eq!(enc(255).unwrap(), [0x81, 0xFF]);
        assert_eq!(enc(256).unwrap(), [0x82, 0x01, 0x00]);
        assert_eq!(enc(65_535).unwrap(), [0x82, 0xFF, 0xFF]);
        assert!(matches!(enc(65_536), Err(PkiError::InvalidPersona(m)) if m.contains("65536")));
    }

    #[test]
    fn filler_pads_to_the_alignment_with_at_least_one_byte() {
        for n in 0..40 {
            let f = pad_file(vec![0; n]);
            assert!(f.len().is_multiple_of(FILE_ALIGN));
            assert!((1..=FILE_ALIGN).contains(&(f.len() - n)));
            assert!(f[n..].iter().all(|&b| b == FILLER));
        }
    }

    #[test]
    fn offset_tables_point_at_their_elements() {
        let big = vec![0xAB; 300];
        let (v, offs) =
            with_offset_table(&[(0xDF22, b"ab"), (0xDF23, &big), (0xDF24, b"")], "t").unwrap();
        let els = parse::with_offsets(&v, &[0xDF22, 0xDF23, 0xDF24]).unwrap();
        assert_eq!(offs, els.iter().map(|t| t.start).collect::<Vec<_>>());
        assert_eq!(offs[0], 2 + 1 + 6);
        assert_eq!(els[1].value, &big[..]);
        assert!(parse::with_offsets(&v, &[0xDF22, 0xDF24, 0xDF23]).is_err());
    }

    #[test]
    fn the_strict_reader_refuses_bad_encodings() {
        assert!(parse::read_tlv(&[0xDF, 0x22, 0x81, 0x05, 1, 2, 3, 4, 5], 0).is_err());
        assert!(parse::read_tlv(&[0xDF, 0x22, 0x03, 1, 2], 0).is_err());
        assert!(parse::read_tlv(&[0x5F, 0x22, 0x01, 1], 0).is_err());
        assert!(parse::read_tlv(&[0xDF, 0x22, 0x83, 0, 0, 1], 0).is_err());
        assert!(parse::outer(&[0xFF, 0x10, 0x01, 0x00], 0xFF10, false).is_err());
        assert!(parse::outer(&[0xFF, 0x10, 0x01, 0x00, 0x00], 0xFF10, false).is_err());
        assert!(parse::outer(&[0xFF, 0x10, 0x01, 0x00, 0xFF], 0xFF10, false).is_ok());
    }

    #[test]
    fn dates_need_four_digit_years() {
        let d = time::Date::from_calendar_date(1985, time::Month::April, 2).unwrap();
        assert_eq!(yyyymmdd(d, "d").unwrap(), "19850402");
        let bad = time::Date::from_calendar_date(-5, time::Month::April, 2).unwrap();
        assert!(matches!(
            yyyymmdd(bad, "d"),
            Err(PkiError::InvalidPersona(_))
        ));
    }
}
