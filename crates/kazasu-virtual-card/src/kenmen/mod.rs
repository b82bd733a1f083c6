//! The data of the two card-face applications — 券面事項入力補助AP ("text") and 券面事項確認AP ("visual") —
//! and of the 共通AP record and the master file.
//!
//! This module builds the *contents* of their elementary files, byte for byte as a reader gets them from
//! READ BINARY; serving them behind PINs and 照合番号 is the card's job.
//!
//! - [`text_ap_files`]: 券面事項入力補助AP EF `0001`–`0007`.
//! - [`visual_ap_files`]: 券面事項確認AP EF `0001`–`0005`.
//! - [`common_record`]: record 1 of the 共通AP EF `0001`.
//! - [`name_image_png`] and its siblings: the small generated PNG "images" of the card face, and
//!   [`PHOTO_JP2`], the committed JPEG 2000 face photo.
//!
//! # Encoding
//!
//! Every file is one private-class BER object with a 2-byte tag (`FF10`, `FF20`, …; EF `0006` of the text
//! AP is an `A1` object) whose value is a sequence of 2-byte-tag elements (`DF21`, `DF22`, …). Lengths are
//! BER definite lengths in their shortest form: one byte below 128, else `81 xx`, else `82 xx xx`. Keys
//! stored in records are in *card-key form* ([`card_key_form`](crate::pki::card_key_form)).
//!
//! The `DF21` offset tables hold big-endian 2-byte offsets of the elements' tags counted **from the first
//! byte of the file** (the outer `FF 20 L` header included).
//!
//! # Filler
//!
//! A real card's EFs are allocated larger than their data, and READ BINARY returns the rest as filler.
//! Here EF `0001` of the text AP is exactly 17 bytes (`FF 10 0C`, 12 digits, `FF FF`) as on the card and
//! the CVC files (EF `0004`) are exactly 568 bytes; every other file is followed by `FF` bytes up to the
//! next multiple of [`FILE_ALIGN`] bytes, with at least one filler byte (so 1 to 16 of them). Readers
//! must trim by the outer BER length.
//!
//! # Errors
//!
//! The builders return [`PkiError`]: [`PkiError::InvalidPersona`] for a field the card cannot store (a
//! year outside 0000–9999, a My Number that is not 12 digits, a name or address too long for 2-byte
//! lengths and offsets), [`PkiError::Signature`] when RSA signing fails, [`PkiError::Encoding`] when a
//! PNG image cannot be encoded, [`PkiError::Key`] for a key that is not RSA-2048 with e = 65537.

mod images;
mod text;
mod visual;

pub use images::{
    PHOTO_JP2, TEXT_IMAGE_CELL_WIDTH, TEXT_IMAGE_HEIGHT, address_image_png, my_number_image_png,
    name_image_png, security_code_image_png, text_image_png,
};
pub use text::{TextApFiles, text_ap_files};
pub use visual::{FACE_DIGEST_INFO_PREFIX, VisualApFiles, visual_ap_files};

use rsa::{PrivateKey, PublicKey};
use sha2::Sha256;

use crate::pki::{CvcKeyId, PkiError};

/// The keys and certificate an AP's files are made with.
#[derive(Clone, Copy, Debug)]
pub struct ApKeys<'a> {
    /// The issuer key: signs the records (its public half is what the EF `0004` CVC certifies).
    pub issuer: &'a PrivateKey,
    /// The issuer key's 16-byte id (the CVC subject), written into the AP basic data.
    pub issuer_key_id: CvcKeyId,
    /// EF `0004`: the CVC of the issuer key.
    pub cvc: &'a [u8],
    /// The chip's own key (public half) as the records carry it: the key that answers the challenge.
    pub card_key: &'a PublicKey,
}

/// `DF41`/`DF31` of the AP basic data: spec version, extended Lc/Le support, vendor (2 bytes).
///
/// The layout version `01` and vendor `00 01` are this crate's choice; byte 1 is `01` when the card takes
/// extended Lc/Le APDUs and `00` when not.
pub fn ap_version_bytes(extended_apdus: bool) -> [u8; 4] {
    [0x01, u8::from(extended_apdus), 0x00, 0x01]
}

/// Record 1 of the 共通AP EF `0001`: `01 1C` + 28 ASCII digits = card serial (15) + municipality code (5) +
/// expiry `YYYYMMDD`.
///
/// # Errors
///
/// [`PkiError::InvalidPersona`] when the serial is not 15 digits, the code not 5 digits or the year not four.
pub fn common_record(
    card_serial: &str,
    municipality_code: &str,
    expiry: time::Date,
) -> Result<Vec<u8>, PkiError> {
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(card_serial, 15) || !digits(municipality_code, 5) {
        return Err(PkiError::InvalidPersona(
            "card serial must be 15 digits and the municipality code 5".into(),
        ));
    }
    let mut out = vec![0x01, 0x1C];
    out.extend_from_slice(card_serial.as_bytes());
    out.extend_from_slice(municipality_code.as_bytes());
    out.extend_from_slice(yyyymmdd(expiry, "card_expiry")?.as_bytes());
    Ok(out)
}

/// Files other than the text AP's EF `0001` are padded with `FF` to a multiple of this many bytes.
pub const FILE_ALIGN: usize = 16;

/// The filler byte after the data of a file.
pub const FILLER: u8 = 0xFF;

/// The error for an element or file larger than 2-byte lengths and offsets allow.
fn too_large(what: &str, len: usize) -> PkiError {
    PkiError::InvalidPersona(format!("{what} would be {len} bytes, more than 65535"))
}

/// Appends a BER definite length: short form below 128, else `81 xx` or `82 xx xx`.
///
/// `push_len`, `push_tlv`, `tlv` and [`offset_record`] are the one BER-TLV writer of both card-face
/// APs. `iso7816-tlv` is not used: the `DF21` offset tables need where each element lands in the
/// encoded object, which its encoder does not report, and its parser re-encodes what it reads in
/// the shortest form (`82 00 03` comes back as `03`), so it cannot hand back the stored bytes
/// that the integrity records hash.
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

/// Where an element's TLV starts and ends in a file.
type Span = (usize, usize);

/// The whole object `outer { DF21 offsets, elements… }`, each offset (2 bytes, big-endian) being where
/// element *i*'s tag starts counted from the first byte of the object (outer header included).
/// Returns the object and the `(start, end)` of each element's TLV within it.
fn offset_record(
    outer: u16,
    elements: &[(u16, &[u8])],
    what: &str,
) -> Result<(Vec<u8>, Vec<Span>), PkiError> {
    let table_len = 2 * elements.len();
    let mut body = Vec::new();
    let mut spans = Vec::with_capacity(elements.len());
    for (tag, value) in elements {
        let start = body.len();
        push_tlv(&mut body, *tag, value, what)?;
        spans.push((start, body.len()));
    }
    let mut table_header = Vec::new();
    push_len(&mut table_header, table_len, what)?;
    let value_len = 2 + table_header.len() + table_len + body.len();
    let mut outer_len = Vec::new();
    push_len(&mut outer_len, value_len, what)?;
    let base = 2 + outer_len.len() + 2 + table_header.len() + table_len;
    let mut out = Vec::with_capacity(base + body.len());
    out.extend_from_slice(&outer.to_be_bytes());
    out.extend_from_slice(&outer_len);
    out.extend_from_slice(&OFFSET_TABLE_TAG.to_be_bytes());
    out.extend_from_slice(&table_header);
    let mut absolute = Vec::with_capacity(spans.len());
    for (start, end) in spans {
        let at = base + start;
        let at16 = u16::try_from(at).map_err(|_| too_large(what, at))?;
        out.extend_from_slice(&at16.to_be_bytes());
        absolute.push((at, base + end));
    }
    out.extend_from_slice(&body);
    if out.len() > usize::from(u16::MAX) {
        return Err(too_large(what, out.len()));
    }
    Ok((out, absolute))
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

/// RSASSA-PKCS1-v1_5 over a DigestInfo given whole (the card's "unprefixed" signing).
fn sign_digest_info(signer: &PrivateKey, digest_info: &[u8]) -> Result<Vec<u8>, PkiError> {
    signer
        .sign(rsa::pkcs1v15::Pkcs1v15Sign::new_unprefixed(), digest_info)
        .map_err(|e| PkiError::Signature(e.to_string()))
}

/// Flips the lowest bit of the last value byte of the first element tagged `tag` inside the outer
/// object of `file` (a tampered record); `false` when there is no such element.
pub(crate) fn flip_element(file: &mut [u8], tag: u16) -> bool {
    let Some((value_start, value_end)) = outer_value(file) else {
        return false;
    };
    let mut at = value_start;
    while at < value_end {
        let Some((t, start, end)) = element(file, at) else {
            return false;
        };
        if t == tag
            && end > start
            && let Some(b) = file.get_mut(end - 1)
        {
            *b ^= 0x01;
            return true;
        }
        at = end;
    }
    false
}

/// Where the value of the outer object of `file` lies.
fn outer_value(file: &[u8]) -> Option<(usize, usize)> {
    let first = *file.first()?;
    // A one-byte tag (`A1`) or a two-byte private tag (`FFxx`).
    let tag_len = if first & 0x1F == 0x1F { 2 } else { 1 };
    let (len, hdr) = length(file, tag_len)?;
    Some((tag_len + hdr, tag_len + hdr + len))
}

/// One 2-byte-tag element at `at`: (tag, value start, value end).
fn element(buf: &[u8], at: usize) -> Option<(u16, usize, usize)> {
    let tag = u16::from_be_bytes([*buf.get(at)?, *buf.get(at + 1)?]);
    let (len, hdr) = length(buf, at + 2)?;
    let start = at + 2 + hdr;
    Some((tag, start, start + len))
}

/// A BER definite length at `at`: (length, bytes it took).
fn length(buf: &[u8], at: usize) -> Option<(usize, usize)> {
    match *buf.get(at)? {
        l @ 0..=0x7F => Some((usize::from(l), 1)),
        0x81 => Some((usize::from(*buf.get(at + 1)?), 2)),
        0x82 => Some((
            usize::from(u16::from_be_bytes([*buf.get(at + 1)?, *buf.get(at + 2)?])),
            3,
        )),
        _ => None,
    }
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

    /// The elements of the `outer` object of `file`, which opens with a `DF21` offset table: each offset
    /// must point (from byte 0 of the file) at the tag of the next element in order, and `tags` must be
    /// exactly the elements' tags. `start`/`end` of the result are positions in `file`.
    pub(super) fn with_offsets<'a>(
        file: &'a [u8],
        outer: u16,
        tags: &[u16],
    ) -> Result<Vec<Tlv<'a>>, String> {
        let o = read_tlv(file, 0)?;
        if o.tag != outer {
            return Err(format!("outer tag {:04X}", o.tag));
        }
        let object = &file[..o.end];
        let mut at = o.end - o.value.len();
        let mut all = Vec::new();
        while at < o.end {
            let t = read_tlv(object, at)?;
            at = t.end;
            all.push(t);
        }
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
            if t.tag != *want || off != t.start || file[off..off + 2] != want.to_be_bytes() {
                return Err(format!("offset {off} does not point at {want:04X}"));
            }
        }
        Ok(rest.to_vec())
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
    fn offset_tables_point_at_their_elements_from_byte_zero() {
        let big = vec![0xAB; 300];
        let (v, spans) = offset_record(
            0xFF20,
            &[(0xDF22, b"ab"), (0xDF23, &big), (0xDF24, b"")],
            "t",
        )
        .unwrap();
        let els = parse::with_offsets(&v, 0xFF20, &[0xDF22, 0xDF23, 0xDF24]).unwrap();
        assert_eq!(
            spans,
            els.iter().map(|t| (t.start, t.end)).collect::<Vec<_>>()
        );
        // FF 20 82 xx xx, DF21 06 and six offset bytes: DF22 at 5 + 3 + 6.
        assert_eq!(spans[0].0, 14);
        assert_eq!(&v[8..10], &[0x00, 0x0E]);
        assert_eq!(els[1].value, &big[..]);
        assert!(parse::with_offsets(&v, 0xFF20, &[0xDF22, 0xDF24, 0xDF23]).is_err());
        // A short record: FF 20 L, DF21 04: DF22 at 3 + 3 + 4.
        let (v, spans) = offset_record(0xFF20, &[(0xDF22, b"a"), (0xDF23, b"b")], "t").unwrap();
        assert_eq!(spans[0].0, 10);
        assert_eq!(&v[..7], &[0xFF, 0x20, 15, 0xDF, 0x21, 4, 0x00]);
    }

    #[test]
    fn flipping_an_element_changes_one_bit_of_its_value() {
        let (mut v, spans) =
            offset_record(0xFF20, &[(0xDF22, b"ab"), (0xDF23, b"cd")], "t").unwrap();
        let before = v.clone();
        assert!(flip_element(&mut v, 0xDF23));
        assert_eq!(v[spans[1].1 - 1], b'd' ^ 1);
        assert_eq!(before.iter().zip(&v).filter(|(a, b)| a != b).count(), 1);
        assert!(!flip_element(&mut v, 0xDF29));
        assert!(!flip_element(&mut [], 0xDF29));
    }

    #[test]
    fn common_record_is_two_header_bytes_and_28_digits() {
        let d = time::Date::from_calendar_date(2034, time::Month::April, 12).unwrap();
        let r = common_record("600000000000001", "13101", d).unwrap();
        assert_eq!(&r[..2], &[0x01, 0x1C]);
        assert_eq!(&r[2..], b"6000000000000011310120340412");
        assert!(common_record("1", "13101", d).is_err());
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
