//! [`BoundMessage`]: the bytes a card signs in a bound assertion (format v1), and its parser.

use std::fmt;

use kazasu_types::HashAlgorithm;
use time::OffsetDateTime;

use crate::error::{AuthError, Malformed};

/// The format tag every v1 message starts with: ASCII `kazasu-bound-assertion` and a NUL byte.
/// No other message a JPKI authentication key signs starts like this (a bare challenge is random),
/// so a signature over one kind can never be taken for the other.
pub const FORMAT_TAG: &[u8; 23] = b"kazasu-bound-assertion\0";

/// The format version this crate writes and reads.
pub const FORMAT_VERSION: u8 = 1;

/// Shortest nonce accepted, in bytes.
pub const MIN_NONCE_LEN: usize = 16;
/// Longest nonce accepted, in bytes.
pub const MAX_NONCE_LEN: usize = 64;
/// Longest relying-party id, in bytes.
pub const MAX_RP_ID_LEN: usize = 253;
/// Longest origin, in bytes.
pub const MAX_ORIGIN_LEN: usize = 1024;
/// Longest v1 message, in bytes (tag, version, purpose, time, nonce, rp id and origin at their
/// longest, with their length fields).
pub const MAX_MESSAGE_LEN: usize =
    FORMAT_TAG.len() + 1 + 1 + 8 + 1 + MAX_NONCE_LEN + 2 + MAX_RP_ID_LEN + 2 + MAX_ORIGIN_LEN;

/// What the card holder agreed to by signing. The one-byte code is part of the wire format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AssertionPurpose {
    /// Log in to an account already bound to the card (code 1).
    Login,
    /// Bind the card to an account or a record for the first time (code 2).
    Enrol,
    /// Give or withdraw consent (code 3).
    Consent,
    /// Enter an event with a ticket bound to the card (code 4).
    Ticket,
    /// Buy a ticket that will be bound to the card (code 5).
    Purchase,
    /// Confirm insurance eligibility (code 6).
    Confirm,
    /// Check in at a facility (code 7).
    CheckIn,
}

impl AssertionPurpose {
    /// Every purpose, in code order.
    pub const ALL: [AssertionPurpose; 7] = [
        AssertionPurpose::Login,
        AssertionPurpose::Enrol,
        AssertionPurpose::Consent,
        AssertionPurpose::Ticket,
        AssertionPurpose::Purchase,
        AssertionPurpose::Confirm,
        AssertionPurpose::CheckIn,
    ];

    /// The wire code.
    pub fn code(self) -> u8 {
        match self {
            AssertionPurpose::Login => 1,
            AssertionPurpose::Enrol => 2,
            AssertionPurpose::Consent => 3,
            AssertionPurpose::Ticket => 4,
            AssertionPurpose::Purchase => 5,
            AssertionPurpose::Confirm => 6,
            AssertionPurpose::CheckIn => 7,
        }
    }

    /// The purpose of a wire code.
    pub fn from_code(code: u8) -> Result<Self, Malformed> {
        Self::ALL
            .into_iter()
            .find(|p| p.code() == code)
            .ok_or(Malformed::UnknownPurpose(code))
    }

    /// A lower-case English name (`login`, `check_in`, …).
    pub fn name(self) -> &'static str {
        match self {
            AssertionPurpose::Login => "login",
            AssertionPurpose::Enrol => "enrol",
            AssertionPurpose::Consent => "consent",
            AssertionPurpose::Ticket => "ticket",
            AssertionPurpose::Purchase => "purchase",
            AssertionPurpose::Confirm => "confirm",
            AssertionPurpose::CheckIn => "check_in",
        }
    }
}

impl fmt::Display for AssertionPurpose {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A bound-assertion message, format v1: what the client builds and the card signs with its
/// authentication key (PKCS#1 v1.5 over the SHA-256 DigestInfo of [`BoundMessage::encode`]).
///
/// Byte layout (all integers big-endian; no padding; nothing after the origin):
///
/// | bytes | field |
/// |---|---|
/// | 23 | format tag: ASCII `kazasu-bound-assertion` then `00` |
/// | 1 | version: `01` |
/// | 1 | purpose code ([`AssertionPurpose::code`]: 1 login, 2 enrol, 3 consent, 4 ticket, 5 purchase, 6 confirm, 7 check-in) |
/// | 8 | issue time: signed seconds since 1970-01-01T00:00:00Z |
/// | 1 | nonce length *n*, 16 to 64 |
/// | *n* | nonce, as the relying party issued it |
/// | 2 | relying-party id length *r*, 1 to 253 |
/// | *r* | relying-party id: ASCII `0x21..=0x7E` (e.g. a host name `bank.example`) |
/// | 2 | origin length *o*, 1 to 1024 |
/// | *o* | origin: ASCII `0x21..=0x7E` (e.g. `https://bank.example`), as the client saw it |
///
/// Another implementation produces the same bytes from these rules alone; the parser refuses any
/// deviation (another tag or version, an unknown purpose, a length out of range, other bytes in
/// the strings, trailing bytes) with a named [`Malformed`] reason.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct BoundMessage {
    purpose: AssertionPurpose,
    issued_at: i64,
    nonce: Vec<u8>,
    rp_id: String,
    origin: String,
}

impl fmt::Debug for BoundMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BoundMessage")
            .field("purpose", &self.purpose)
            .field("issued_at", &self.issued_at)
            .field("nonce_len", &self.nonce.len())
            .field("rp_id", &self.rp_id)
            .field("origin", &self.origin)
            .finish()
    }
}

fn check_text(field: &'static str, text: &str, max: usize) -> Result<(), Malformed> {
    if text.is_empty() || text.len() > max {
        return Err(Malformed::FieldLength {
            field,
            length: text.len(),
        });
    }
    if !text.bytes().all(|b| (0x21..=0x7e).contains(&b)) {
        return Err(Malformed::FieldCharacters { field });
    }
    Ok(())
}

fn check_nonce(nonce: &[u8]) -> Result<(), Malformed> {
    if (MIN_NONCE_LEN..=MAX_NONCE_LEN).contains(&nonce.len()) {
        Ok(())
    } else {
        Err(Malformed::NonceLength(nonce.len()))
    }
}

impl BoundMessage {
    /// A message for `rp_id` seen at `origin`, for `purpose`, carrying the relying party's `nonce`,
    /// made at `issued_at` (whole seconds; sub-second parts are dropped).
    pub fn new(
        rp_id: &str,
        origin: &str,
        purpose: AssertionPurpose,
        nonce: &[u8],
        issued_at: OffsetDateTime,
    ) -> Result<Self, AuthError> {
        check_text("relying-party id", rp_id, MAX_RP_ID_LEN)?;
        check_text("origin", origin, MAX_ORIGIN_LEN)?;
        check_nonce(nonce)?;
        Ok(Self {
            purpose,
            issued_at: issued_at.unix_timestamp(),
            nonce: nonce.to_vec(),
            rp_id: rp_id.to_owned(),
            origin: origin.to_owned(),
        })
    }

    /// The relying-party id.
    pub fn rp_id(&self) -> &str {
        &self.rp_id
    }

    /// The origin the client saw.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The purpose.
    pub fn purpose(&self) -> AssertionPurpose {
        self.purpose
    }

    /// The relying party's nonce.
    pub fn nonce(&self) -> &[u8] {
        &self.nonce
    }

    /// The issue time, in seconds since the Unix epoch.
    pub fn issued_at_unix(&self) -> i64 {
        self.issued_at
    }

    /// The issue time; `None` when the seconds lie outside what `time` represents.
    pub fn issued_at(&self) -> Option<OffsetDateTime> {
        OffsetDateTime::from_unix_timestamp(self.issued_at).ok()
    }

    /// The v1 bytes.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(
            FORMAT_TAG.len() + 15 + self.nonce.len() + self.rp_id.len() + self.origin.len(),
        );
        out.extend_from_slice(FORMAT_TAG);
        out.push(FORMAT_VERSION);
        out.push(self.purpose.code());
        out.extend_from_slice(&self.issued_at.to_be_bytes());
        // Lengths were bounded when the message was made or parsed, so they fit.
        out.push(u8::try_from(self.nonce.len()).unwrap_or(u8::MAX));
        out.extend_from_slice(&self.nonce);
        for text in [&self.rp_id, &self.origin] {
            out.extend_from_slice(&u16::try_from(text.len()).unwrap_or(u16::MAX).to_be_bytes());
            out.extend_from_slice(text.as_bytes());
        }
        out
    }

    /// The SHA-256 DigestInfo of [`BoundMessage::encode`] (51 bytes): what the card's
    /// authentication key signs (`COMPUTE DIGITAL SIGNATURE` applies the PKCS#1 v1.5 padding).
    pub fn digest_info(&self) -> Vec<u8> {
        let hash = HashAlgorithm::Sha256;
        let mut info = hash.digest_info_prefix().to_vec();
        info.extend_from_slice(&hash.digest(&self.encode()));
        info
    }

    /// Parses v1 bytes strictly.
    pub fn parse(bytes: &[u8]) -> Result<Self, Malformed> {
        if bytes.len() > MAX_MESSAGE_LEN {
            return Err(Malformed::TooLong(bytes.len()));
        }
        let mut r = Reader(bytes);
        let tag = r.take(FORMAT_TAG.len(), "format tag")?;
        if tag != FORMAT_TAG {
            return Err(Malformed::NotBoundAssertion);
        }
        let version = r.byte("version")?;
        if version != FORMAT_VERSION {
            return Err(Malformed::UnsupportedVersion(version));
        }
        let purpose = AssertionPurpose::from_code(r.byte("purpose")?)?;
        let mut time = [0u8; 8];
        time.copy_from_slice(r.take(8, "issue time")?);
        let issued_at = i64::from_be_bytes(time);
        let nonce_len = usize::from(r.byte("nonce length")?);
        let nonce = r.take(nonce_len, "nonce")?;
        check_nonce(nonce)?;
        let rp_id = r.text("relying-party id", MAX_RP_ID_LEN)?;
        let origin = r.text("origin", MAX_ORIGIN_LEN)?;
        if !r.0.is_empty() {
            return Err(Malformed::TrailingBytes(r.0.len()));
        }
        Ok(Self {
            purpose,
            issued_at,
            nonce: nonce.to_vec(),
            rp_id,
            origin,
        })
    }
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, field: &'static str) -> Result<&'a [u8], Malformed> {
        if self.0.len() < n {
            return Err(Malformed::Truncated { field });
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }

    fn byte(&mut self, field: &'static str) -> Result<u8, Malformed> {
        Ok(self.take(1, field)?[0])
    }

    fn text(&mut self, field: &'static str, max: usize) -> Result<String, Malformed> {
        let len = self.take(2, field)?;
        let len = usize::from(u16::from_be_bytes([len[0], len[1]]));
        let raw = self.take(len, field)?;
        let text = std::str::from_utf8(raw).map_err(|_| Malformed::FieldCharacters { field })?;
        check_text(field, text, max)?;
        Ok(text.to_owned())
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn sample() -> BoundMessage {
        BoundMessage::new(
            "bank.example",
            "https://bank.example",
            AssertionPurpose::Login,
            &[7u8; 32],
            OffsetDateTime::from_unix_timestamp(1_767_225_600).unwrap(),
        )
        .unwrap()
    }

    #[test]
    fn literal_bytes_of_v1() {
        let bytes = sample().encode();
        let mut expected = b"kazasu-bound-assertion\0".to_vec();
        expected.extend_from_slice(&[0x01, 0x01]);
        expected.extend_from_slice(&[0, 0, 0, 0, 0x69, 0x55, 0xb9, 0x00]);
        expected.push(32);
        expected.extend_from_slice(&[7u8; 32]);
        expected.extend_from_slice(&[0, 12]);
        expected.extend_from_slice(b"bank.example");
        expected.extend_from_slice(&[0, 20]);
        expected.extend_from_slice(b"https://bank.example");
        assert_eq!(bytes, expected);
        assert_eq!(BoundMessage::parse(&bytes).unwrap(), sample());
        assert_eq!(sample().digest_info().len(), 51);
    }

    #[test]
    fn refusals_are_named() {
        let good = sample().encode();
        let mut b = good.clone();
        b[0] ^= 1;
        assert_eq!(BoundMessage::parse(&b), Err(Malformed::NotBoundAssertion));
        let mut b = good.clone();
        b[23] = 2;
        assert_eq!(
            BoundMessage::parse(&b),
            Err(Malformed::UnsupportedVersion(2))
        );
        let mut b = good.clone();
        b[24] = 0;
        assert_eq!(BoundMessage::parse(&b), Err(Malformed::UnknownPurpose(0)));
        let mut b = good.clone();
        b.push(0);
        assert_eq!(BoundMessage::parse(&b), Err(Malformed::TrailingBytes(1)));
        assert_eq!(
            BoundMessage::parse(&good[..good.len() - 1]),
            Err(Malformed::Truncated { field: "origin" })
        );
        let mut b = good.clone();
        b[33] = 8;
        assert!(BoundMessage::parse(&b).is_err());
        assert!(matches!(
            BoundMessage::new(
                "a b",
                "o",
                AssertionPurpose::Login,
                &[0; 16],
                OffsetDateTime::UNIX_EPOCH
            ),
            Err(AuthError::Malformed(Malformed::FieldCharacters { .. }))
        ));
        assert!(matches!(
            BoundMessage::new(
                "a",
                "o",
                AssertionPurpose::Login,
                &[0; 15],
                OffsetDateTime::UNIX_EPOCH
            ),
            Err(AuthError::Malformed(Malformed::NonceLength(15)))
        ));
    }
}
