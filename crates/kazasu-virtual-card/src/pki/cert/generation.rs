//! Root [`Generation`]s: validity, serials and fixture keys modelled on the public J-LIS roots.

use time::OffsetDateTime;
use time::macros::datetime;

use super::Purpose;

/// key identifier, serial and validity.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Generation {
    /// The 2015 roots (valid 2015-10-20 to 2025-10-19 JST).
    G2015,
    /// The 2023 roots (valid 2023-07-16 to 2033-07-15 JST).
    G2023,
}

impl Generation {
    /// Both generations, oldest first.
    pub const ALL: [Generation; 2] = [Generation::G2015, Generation::G2023];

    /// The root validity `(notBefore, notAfter)`, modelled on the public J-LIS roots.
    pub fn root_validity(self) -> (OffsetDateTime, OffsetDateTime) {
        match self {
            Generation::G2015 => (
                datetime!(2015-10-20 03:00:00 UTC),
                datetime!(2025-10-19 14:59:59 UTC),
            ),
            Generation::G2023 => (
                datetime!(2023-07-16 01:00:00 UTC),
                datetime!(2033-07-15 14:59:59 UTC),
            ),
        }
    }

    /// The root certificate serial number (big-endian), modelled on the public J-LIS roots.
    pub fn root_serial(self, purpose: Purpose) -> Vec<u8> {
        match (self, purpose) {
            (Generation::G2015, _) => vec![0x01],
            (Generation::G2023, Purpose::Authentication) => vec![0x06, 0xD1, 0x80, 0x06],
            // Signature; the test PKI has no hierarchy of another purpose.
            (Generation::G2023, _) => vec![0x06, 0x7C, 0x6A, 0x21],
        }
    }
}

/// The fixture key index of a root: auth G2015 = 0, auth G2023 = 1, sign G2015 = 2, sign G2023 = 3.
pub fn root_key_index(purpose: Purpose, generation: Generation) -> usize {
    match (purpose, generation) {
        (Purpose::Authentication, Generation::G2015) => 0,
        (Purpose::Authentication, Generation::G2023) => 1,
        // Signature; the test PKI has no hierarchy of another purpose.
        (_, Generation::G2015) => 2,
        (_, Generation::G2023) => 3,
    }
}
