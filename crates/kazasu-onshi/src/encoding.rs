//! UTF-8 and Shift_JIS: which one a file is in, and the conversions (through `encoding_rs`).

use std::fmt;

use quick_xml::Reader;
use quick_xml::events::Event;

use crate::OnshiError;

/// The two encodings of the file interface (CharacterCodeIdentifier `0` and `1`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default, serde::Serialize)]
pub enum TextEncoding {
    /// UTF-8, CharacterCodeIdentifier `0`.
    #[default]
    Utf8,
    /// Shift_JIS (the Windows variant, as `encoding_rs` implements it), CharacterCodeIdentifier `1`.
    ShiftJis,
}

impl TextEncoding {
    /// The name written in the XML declaration.
    pub fn label(self) -> &'static str {
        match self {
            TextEncoding::Utf8 => "UTF-8",
            TextEncoding::ShiftJis => "Shift_JIS",
        }
    }

    /// The CharacterCodeIdentifier for it.
    pub fn identifier(self) -> crate::codes::CharacterCode {
        match self {
            TextEncoding::Utf8 => crate::codes::CharacterCode::Utf8,
            TextEncoding::ShiftJis => crate::codes::CharacterCode::ShiftJis,
        }
    }

    /// The encoding a CharacterCodeIdentifier names (`None` for codes this version does not know).
    pub fn from_identifier(code: &crate::codes::CharacterCode) -> Option<Self> {
        match code {
            crate::codes::CharacterCode::Utf8 => Some(TextEncoding::Utf8),
            crate::codes::CharacterCode::ShiftJis => Some(TextEncoding::ShiftJis),
            _ => None,
        }
    }

    /// The encoding named by an XML declaration's `encoding` label (`None` if it is another one).
    pub fn from_label(label: &str) -> Option<Self> {
        let encoding = encoding_rs::Encoding::for_label(label.trim().as_bytes())?;
        if encoding == encoding_rs::UTF_8 {
            Some(TextEncoding::Utf8)
        } else if encoding == encoding_rs::SHIFT_JIS {
            Some(TextEncoding::ShiftJis)
        } else {
            None
        }
    }

    pub(crate) fn encode(self, text: String) -> Result<Vec<u8>, OnshiError> {
        match self {
            TextEncoding::Utf8 => Ok(text.into_bytes()),
            TextEncoding::ShiftJis => {
                let mut out = Vec::with_capacity(text.len());
                let mut run = String::new();
                for c in text.chars() {
                    match user_defined_bytes(c) {
                        Some(pair) => {
                            encode_run(&run, &mut out)?;
                            run.clear();
                            out.extend_from_slice(&pair);
                        }
                        None => run.push(c),
                    }
                }
                encode_run(&run, &mut out)?;
                Ok(out)
            }
        }
    }
}

impl fmt::Display for TextEncoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// The encoding a file declares: its XML declaration's `encoding` (UTF-8 without one, as XML says).
/// A UTF-8 byte order mark with a Shift_JIS declaration, UTF-16 and other encodings are errors.
pub fn sniff_encoding(bytes: &[u8]) -> Result<TextEncoding, OnshiError> {
    if bytes.starts_with(b"\xFE\xFF") || bytes.starts_with(b"\xFF\xFE") {
        return Err(OnshiError::UnsupportedEncoding("UTF-16".into()));
    }
    let (bom, rest) = match bytes.strip_prefix(UTF8_BOM) {
        Some(rest) => (true, rest),
        None => (false, bytes),
    };
    // Only the declaration is read here: it is ASCII in both encodings.
    let mut reader = Reader::from_reader(rest);
    let mut buf = Vec::new();
    let declared = match reader.read_event_into(&mut buf) {
        Ok(Event::Decl(decl)) => match decl.encoding() {
            None => TextEncoding::Utf8,
            Some(Ok(label)) => TextEncoding::from_label(&label)
                .ok_or_else(|| OnshiError::UnsupportedEncoding(label.into_owned()))?,
            Some(Err(e)) => return Err(OnshiError::Xml(e.to_string())),
        },
        _ => TextEncoding::Utf8,
    };
    if bom && declared != TextEncoding::Utf8 {
        return Err(OnshiError::EncodingMismatch {
            identifier: "UTF-8 byte order mark".into(),
            encoding: declared,
        });
    }
    Ok(declared)
}

/// The Shift_JIS bytes of a character of the user-defined area (外字, lead bytes `F0`–`F9`).
///
/// The WHATWG decoder `encoding_rs` implements reads those bytes as the private-use characters
/// U+E000–U+E757 but its encoder does not write them back; names with 外字 must survive a round trip,
/// so this maps them back (pointer = 8836 + offset, then the usual pointer → byte pair rule).
fn user_defined_bytes(c: char) -> Option<[u8; 2]> {
    let offset = u32::from(c).checked_sub(0xE000).filter(|o| *o <= 0x757)?;
    let pointer = 8836 + offset;
    let (lead, trail) = (pointer / 188, pointer % 188);
    let lead = lead + if lead < 0x1F { 0x81 } else { 0xC1 };
    let trail = trail + if trail < 0x3F { 0x40 } else { 0x41 };
    Some([u8::try_from(lead).ok()?, u8::try_from(trail).ok()?])
}

/// Encodes text without user-defined characters, refusing what Shift_JIS cannot hold.
fn encode_run(text: &str, out: &mut Vec<u8>) -> Result<(), OnshiError> {
    if text.is_empty() {
        return Ok(());
    }
    let (bytes, _, had_errors) = encoding_rs::SHIFT_JIS.encode(text);
    if had_errors {
        // encoding_rs would have written numeric character references: refuse instead, the value
        // would not come back as it was.
        let c = text
            .chars()
            .find(|c| {
                let mut buf = [0u8; 4];
                encoding_rs::SHIFT_JIS.encode(c.encode_utf8(&mut buf)).2
            })
            .map_or(String::from("?"), |c| format!("U+{:04X}", u32::from(c)));
        return Err(OnshiError::Unwritable(format!(
            "the character {c} has no Shift_JIS code"
        )));
    }
    out.extend_from_slice(&bytes);
    Ok(())
}

/// Decodes the file in its declared encoding, without any replacement character.
pub(crate) fn decode(bytes: &[u8]) -> Result<(String, TextEncoding), OnshiError> {
    let encoding = sniff_encoding(bytes)?;
    let text = match encoding {
        TextEncoding::Utf8 => {
            let body = bytes.strip_prefix(UTF8_BOM).unwrap_or(bytes);
            std::str::from_utf8(body)
                .map_err(|_| OnshiError::MalformedText(encoding))?
                .to_owned()
        }
        TextEncoding::ShiftJis => encoding_rs::SHIFT_JIS
            .decode_without_bom_handling_and_without_replacement(bytes)
            .ok_or(OnshiError::MalformedText(encoding))?
            .into_owned(),
    };
    Ok((text, encoding))
}

#[cfg(test)]
mod user_defined_tests {
    use super::*;

    #[test]
    fn every_user_defined_character_round_trips() {
        for lead in 0xF0u8..=0xF9 {
            for trail in (0x40u8..=0x7E).chain(0x80..=0xFC) {
                let bytes = [lead, trail];
                let text = encoding_rs::SHIFT_JIS
                    .decode_without_bom_handling_and_without_replacement(&bytes)
                    .map(std::borrow::Cow::into_owned);
                let Some(text) = text else { continue };
                let again = TextEncoding::ShiftJis.encode(text.clone());
                assert_eq!(again.as_deref().ok(), Some(&bytes[..]), "{text:?}");
            }
        }
        // Past the user-defined area: not Shift_JIS.
        assert!(
            TextEncoding::ShiftJis
                .encode("\u{E758}".to_owned())
                .is_err()
        );
        assert_eq!(
            TextEncoding::ShiftJis
                .encode("山\u{E000}田".to_owned())
                .ok(),
            Some(vec![0x8E, 0x52, 0xF0, 0x40, 0x93, 0x63])
        );
    }
}
