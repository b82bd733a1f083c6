//! The pictures of the 券面事項確認AP: generated stand-ins for the card-face text images, and a
//! committed face photo.
//!
//! A real card stores the name, address, security code and My Number as scanned-looking PNGs. Here
//! each is a 1-bit greyscale PNG, [`TEXT_IMAGE_HEIGHT`] pixels high and [`TEXT_IMAGE_CELL_WIDTH`]
//! pixels per character: every character gets a little bar pattern derived from the SHA-256 of the
//! character, so an image is deterministic, one character always looks the same, and different texts
//! almost always give different images. They are not legible glyphs. Because the rows of a cell repeat,
//! the images stay far below 2 KB even for 200 characters.

use sha2::{Digest, Sha256};

use crate::pki::PkiError;

/// The face photo of every virtual card: a synthetic 48×60 grey face as a JP2 file (JPEG 2000).
///
/// See `fixtures/kenmen/README.md` for how it was made.
pub const PHOTO_JP2: &[u8] = include_bytes!("../../fixtures/kenmen/photo.jp2");

/// Width in pixels of one character of a generated text image.
pub const TEXT_IMAGE_CELL_WIDTH: u32 = 8;

/// Height in pixels of every generated text image.
pub const TEXT_IMAGE_HEIGHT: u32 = 16;

/// A 1-bit greyscale PNG standing in for a picture of `text` (see the module documentation).
///
/// It is `TEXT_IMAGE_CELL_WIDTH × max(1, chars)` pixels wide. Whitespace leaves a blank cell.
/// The result is empty only if the PNG encoder fails, which it does not for such small images
/// (texts up to hundreds of millions of characters); [`super::visual_ap_files`] reports that case
/// as an error instead.
pub fn text_image_png(text: &str) -> Vec<u8> {
    render(text).unwrap_or_default()
}

/// The 氏名 (name) image of the card face.
pub fn name_image_png(name: &str) -> Vec<u8> {
    text_image_png(name)
}

/// The 住所 (address) image of the card face.
pub fn address_image_png(address: &str) -> Vec<u8> {
    text_image_png(address)
}

/// The セキュリティコード (4-digit security code) image of the card face.
pub fn security_code_image_png(code: &str) -> Vec<u8> {
    text_image_png(code)
}

/// The 個人番号 (My Number) image of the back of the card.
pub fn my_number_image_png(digits: &str) -> Vec<u8> {
    text_image_png(digits)
}

/// The ink bits (MSB = leftmost pixel) of each row of one character cell.
fn cell_rows(c: char) -> [u8; TEXT_IMAGE_HEIGHT as usize] {
    let mut rows = [0u8; TEXT_IMAGE_HEIGHT as usize];
    if c.is_whitespace() {
        return rows;
    }
    let mut utf8 = [0u8; 4];
    let mut h = Sha256::new();
    h.update(b"kazasu kenmen glyph\0");
    h.update(c.encode_utf8(&mut utf8).as_bytes());
    let h = h.finalize();
    // Columns 0 and 7 stay blank to separate cells; at least one bar in each half.
    let upper = (h[0] & 0x7E) | 0x10;
    let lower = (h[1] & 0x7E) | 0x08;
    for row in &mut rows[3..8] {
        *row = upper;
    }
    rows[8] = if h[2] & 1 == 1 { 0x7E } else { upper | lower };
    for row in &mut rows[9..13] {
        *row = lower;
    }
    rows
}

/// Encodes the image of `text`.
pub(super) fn render(text: &str) -> Result<Vec<u8>, PkiError> {
    let cells: Vec<[u8; TEXT_IMAGE_HEIGHT as usize]> = if text.is_empty() {
        vec![cell_rows(' ')]
    } else {
        text.chars().map(cell_rows).collect()
    };
    let too_large = || PkiError::Encoding(format!("{} characters are too many", cells.len()));
    let width = u32::try_from(cells.len())
        .ok()
        .and_then(|n| n.checked_mul(TEXT_IMAGE_CELL_WIDTH))
        .filter(|w| *w <= 0x7FFF_FFFF)
        .ok_or_else(too_large)?;
    // One byte per cell per row; a set bit is white in 1-bit greyscale, so invert the ink.
    let mut pixels = Vec::with_capacity(cells.len() * TEXT_IMAGE_HEIGHT as usize);
    for row in 0..TEXT_IMAGE_HEIGHT as usize {
        pixels.extend(cells.iter().map(|cell| !cell[row]));
    }
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, width, TEXT_IMAGE_HEIGHT);
    encoder.set_color(png::ColorType::Grayscale);
    encoder.set_depth(png::BitDepth::One);
    encoder.set_compression(png::Compression::High);
    let image_err = |e: png::EncodingError| PkiError::Encoding(e.to_string());
    let mut writer = encoder.write_header().map_err(image_err)?;
    writer.write_image_data(&pixels).map_err(image_err)?;
    writer.finish().map_err(image_err)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::super::parse;
    use super::*;

    #[test]
    fn images_are_deterministic_valid_pngs() {
        let a = name_image_png("山田 花子");
        assert_eq!(a, name_image_png("山田 花子"));
        assert_ne!(a, name_image_png("山田 花男"));
        assert_eq!(
            parse::png_size(&a).unwrap(),
            (5 * TEXT_IMAGE_CELL_WIDTH, 16)
        );
        assert_eq!(
            parse::png_size(&text_image_png("")).unwrap(),
            (TEXT_IMAGE_CELL_WIDTH, 16)
        );
        assert_eq!(
            parse::png_size(&my_number_image_png("123456789018")).unwrap(),
            (12 * TEXT_IMAGE_CELL_WIDTH, 16)
        );
    }

    #[test]
    fn whitespace_is_blank_and_ink_stays_inside_its_cell() {
        assert!(cell_rows(' ').iter().all(|&r| r == 0));
        assert!(cell_rows('\u{3000}').iter().all(|&r| r == 0));
        for c in ['a', '山', '😀', '0'] {
            let rows = cell_rows(c);
            assert!(rows.iter().all(|r| r & 0x81 == 0));
            assert!(rows.iter().any(|&r| r != 0));
        }
    }

    #[test]
    fn the_photo_is_a_small_jp2_file() {
        assert!(PHOTO_JP2.starts_with(&[
            0x00, 0x00, 0x00, 0x0C, 0x6A, 0x50, 0x20, 0x20, 0x0D, 0x0A, 0x87, 0x0A
        ]));
        assert_eq!(&PHOTO_JP2[16..24], b"ftypjp2 ");
        assert!(PHOTO_JP2.len() <= 4096);
        // The contiguous codestream box ends the file with the JPEG 2000 EOC marker.
        assert!(PHOTO_JP2.windows(4).any(|w| w == b"jp2c"));
        assert!(PHOTO_JP2.ends_with(&[0xFF, 0xD9]));
    }

    proptest! {
        #[test]
        fn images_stay_small_and_proportional(text in "\\PC{1,200}") {
            let png = text_image_png(&text);
            let n = u32::try_from(text.chars().count()).unwrap();
            prop_assert_eq!(parse::png_size(&png).unwrap(), (n * TEXT_IMAGE_CELL_WIDTH, 16));
            prop_assert!(png.len() < 2048, "{} bytes", png.len());
        }
    }
}
