//! Whether extended-length APDUs reach the card through a reader.

use pcsc::{Attribute, Card, Protocol};

use crate::ExtendedApdus;

/// The longest command a short APDU can be (header, Lc, 255 data bytes, Le): a reader that reports
/// this or less through `SCARD_ATTR_MAXINPUT` cannot carry extended APDUs.
const SHORT_APDU_MAX: u32 = 261;

/// Largest response data one extended exchange can return.
pub(crate) const EXTENDED_MAX_RESPONSE: usize = 65_536;

/// Readers known to carry short APDUs only, by a part of their name (for drivers that do not report
/// `SCARD_ATTR_MAXINPUT`).
const SHORT_ONLY_READERS: &[&str] = &["ACR122"];

/// Whether extended APDUs reach the card through this reader.
pub(crate) fn extended_supported(
    card: &Card,
    reader: &str,
    protocol: Option<Protocol>,
    choice: ExtendedApdus,
) -> bool {
    match choice {
        ExtendedApdus::On => true,
        ExtendedApdus::Off => false,
        ExtendedApdus::Auto => {
            if protocol == Some(Protocol::T0) || short_only_reader(reader) {
                return false;
            }
            match card.get_attribute_owned(Attribute::Maxinput) {
                Ok(raw) => max_input_allows_extended(&raw),
                Err(_) => true,
            }
        }
    }
}

fn short_only_reader(reader: &str) -> bool {
    SHORT_ONLY_READERS.iter().any(|r| reader.contains(r))
}

/// Reads `SCARD_ATTR_MAXINPUT` (a little-endian `u32`; `0` or unreadable means "not reported").
fn max_input_allows_extended(raw: &[u8]) -> bool {
    match raw.get(..4).and_then(|b| <[u8; 4]>::try_from(b).ok()) {
        Some(bytes) => {
            let max = u32::from_le_bytes(bytes);
            max == 0 || max > SHORT_APDU_MAX
        }
        None => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_input_of_a_short_apdu_or_less_means_short_only() {
        assert!(!max_input_allows_extended(&261u32.to_le_bytes()));
        assert!(!max_input_allows_extended(&64u32.to_le_bytes()));
        assert!(max_input_allows_extended(&262u32.to_le_bytes()));
        assert!(max_input_allows_extended(&65_544u32.to_le_bytes()));
        // Not reported.
        assert!(max_input_allows_extended(&0u32.to_le_bytes()));
        assert!(max_input_allows_extended(&[0x01]));
    }

    #[test]
    fn known_short_only_readers_by_name() {
        assert!(short_only_reader("ACS ACR122U PICC Interface 00 00"));
        assert!(!short_only_reader("Sony FeliCa Port/PaSoRi 4.0 00 00"));
    }
}
