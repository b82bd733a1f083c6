//! Status words (SW1 SW2) and their classes.

use core::fmt;

/// The two status bytes that end every response.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StatusWord(u16);

/// The class of a status word, as callers branch on it.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
#[non_exhaustive]
pub enum StatusClass {
    /// `9000`.
    Success,
    /// `61xx`: more data waits; fetch it with GET RESPONSE. The value is the count (`00` = 256).
    MoreData(u16),
    /// `6Cxx`: wrong Le; resend with this Le (`00` = 256).
    WrongLe(u16),
    /// `63Cx`: verification failed (or counter read), this many tries left.
    RetriesLeft(u8),
    /// Other `62xx` / `63xx`: processed with a warning.
    Warning,
    /// Any other status word: the command failed.
    Error,
}

impl StatusWord {
    /// `9000`.
    pub const OK: StatusWord = StatusWord(0x9000);
    /// `6281`: part of the returned data may be corrupted.
    pub const CORRUPTED_DATA: StatusWord = StatusWord(0x6281);
    /// `6282`: end of file reached before Le bytes were read.
    pub const END_OF_FILE: StatusWord = StatusWord(0x6282);
    /// `6581`: memory failure.
    pub const MEMORY_FAILURE: StatusWord = StatusWord(0x6581);
    /// `6700`: wrong length.
    pub const WRONG_LENGTH: StatusWord = StatusWord(0x6700);
    /// `6881`: logical channel not supported.
    pub const CHANNEL_NOT_SUPPORTED: StatusWord = StatusWord(0x6881);
    /// `6882`: secure messaging not supported.
    pub const SECURE_MESSAGING_NOT_SUPPORTED: StatusWord = StatusWord(0x6882);
    /// `6981`: command incompatible with file structure.
    pub const INCOMPATIBLE_FILE: StatusWord = StatusWord(0x6981);
    /// `6982`: security status not satisfied.
    pub const SECURITY_STATUS_NOT_SATISFIED: StatusWord = StatusWord(0x6982);
    /// `6983`: authentication method blocked (some cards use it for a blocked PIN).
    pub const AUTH_METHOD_BLOCKED: StatusWord = StatusWord(0x6983);
    /// `6984`: reference data not usable (a blocked PIN on the JPKI AP).
    pub const REFERENCE_DATA_NOT_USABLE: StatusWord = StatusWord(0x6984);
    /// `6985`: conditions of use not satisfied.
    pub const CONDITIONS_NOT_SATISFIED: StatusWord = StatusWord(0x6985);
    /// `6986`: command not allowed (no current EF).
    pub const COMMAND_NOT_ALLOWED: StatusWord = StatusWord(0x6986);
    /// `6A80`: incorrect parameters in the data field.
    pub const WRONG_DATA: StatusWord = StatusWord(0x6A80);
    /// `6A81`: function not supported.
    pub const FUNCTION_NOT_SUPPORTED: StatusWord = StatusWord(0x6A81);
    /// `6A82`: file or application not found.
    pub const FILE_NOT_FOUND: StatusWord = StatusWord(0x6A82);
    /// `6A86`: incorrect P1 or P2.
    pub const WRONG_P1P2: StatusWord = StatusWord(0x6A86);
    /// `6A88`: referenced data not found.
    pub const REFERENCED_DATA_NOT_FOUND: StatusWord = StatusWord(0x6A88);
    /// `6B00`: wrong parameters (offset outside the EF).
    pub const WRONG_PARAMETERS: StatusWord = StatusWord(0x6B00);
    /// `6D00`: instruction not supported.
    pub const INS_NOT_SUPPORTED: StatusWord = StatusWord(0x6D00);
    /// `6E00`: class not supported.
    pub const CLA_NOT_SUPPORTED: StatusWord = StatusWord(0x6E00);
    /// `6F00`: no precise diagnosis (seen as the first answer after a PC/SC power cycle).
    pub const NO_PRECISE_DIAGNOSIS: StatusWord = StatusWord(0x6F00);

    /// A status word from its 16-bit value.
    pub const fn new(value: u16) -> Self {
        Self(value)
    }

    /// A status word from SW1 and SW2.
    pub const fn from_bytes(sw1: u8, sw2: u8) -> Self {
        Self(u16::from_be_bytes([sw1, sw2]))
    }

    /// `63Cx`: the answer to a failed VERIFY or to a counter read.
    pub const fn retries_left(tries: u8) -> Self {
        Self::from_bytes(0x63, 0xC0 | (tries & 0x0F))
    }

    /// The 16-bit value.
    pub const fn value(self) -> u16 {
        self.0
    }

    /// SW1.
    pub const fn sw1(self) -> u8 {
        self.0.to_be_bytes()[0]
    }

    /// SW2.
    pub const fn sw2(self) -> u8 {
        self.0.to_be_bytes()[1]
    }

    /// Both bytes, SW1 first.
    pub const fn to_bytes(self) -> [u8; 2] {
        self.0.to_be_bytes()
    }

    /// Whether this is `9000`.
    pub const fn is_success(self) -> bool {
        self.0 == 0x9000
    }

    /// The class of this status word.
    pub fn class(self) -> StatusClass {
        let (sw1, sw2) = (self.sw1(), self.sw2());
        let count = |b: u8| if b == 0 { 256 } else { u16::from(b) };
        match sw1 {
            0x90 if sw2 == 0 => StatusClass::Success,
            0x61 => StatusClass::MoreData(count(sw2)),
            0x6C => StatusClass::WrongLe(count(sw2)),
            0x63 if sw2 & 0xF0 == 0xC0 => StatusClass::RetriesLeft(sw2 & 0x0F),
            0x62 | 0x63 => StatusClass::Warning,
            _ => StatusClass::Error,
        }
    }

    /// Tries left when this is `63Cx`.
    pub fn tries_left(self) -> Option<u8> {
        match self.class() {
            StatusClass::RetriesLeft(n) => Some(n),
            _ => None,
        }
    }

    /// A short English description of the status word.
    pub fn description(self) -> &'static str {
        match self.0 {
            0x9000 => "success",
            0x6281 => "part of the returned data may be corrupted",
            0x6282 => "end of file reached before reading Le bytes",
            0x6283 => "selected file invalidated",
            0x6581 => "memory failure",
            0x6700 => "wrong length",
            0x6881 => "logical channel not supported",
            0x6882 => "secure messaging not supported",
            0x6981 => "command incompatible with file structure",
            0x6982 => "security status not satisfied",
            0x6983 => "authentication method blocked",
            0x6984 => "reference data not usable (blocked)",
            0x6985 => "conditions of use not satisfied",
            0x6986 => "command not allowed (no current EF)",
            0x6A80 => "incorrect parameters in the data field",
            0x6A81 => "function not supported",
            0x6A82 => "file or application not found",
            0x6A86 => "incorrect parameters P1-P2",
            0x6A88 => "referenced data not found",
            0x6B00 => "wrong parameters (offset outside the EF)",
            0x6D00 => "instruction not supported",
            0x6E00 => "class not supported",
            0x6F00 => "no precise diagnosis",
            _ => match self.class() {
                StatusClass::MoreData(_) => "more response data available",
                StatusClass::WrongLe(_) => "wrong Le; resend with the exact length",
                StatusClass::RetriesLeft(_) => "verification failed; tries left in SW2",
                StatusClass::Warning => "warning",
                StatusClass::Success | StatusClass::Error => "error",
            },
        }
    }
}

impl fmt::Display for StatusWord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04X} {}", self.0, self.description())?;
        if let Some(n) = self.tries_left() {
            write!(f, " ({n} left)")?;
        }
        Ok(())
    }
}

impl fmt::Debug for StatusWord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "StatusWord({:04X})", self.0)
    }
}

impl From<u16> for StatusWord {
    fn from(value: u16) -> Self {
        Self(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    #[test]
    fn classes() {
        assert_eq!(StatusWord::OK.class(), StatusClass::Success);
        assert_eq!(StatusWord::new(0x6110).class(), StatusClass::MoreData(16));
        assert_eq!(StatusWord::new(0x6100).class(), StatusClass::MoreData(256));
        assert_eq!(StatusWord::new(0x6C07).class(), StatusClass::WrongLe(7));
        assert_eq!(StatusWord::new(0x6C00).class(), StatusClass::WrongLe(256));
        assert_eq!(StatusWord::new(0x63C2).class(), StatusClass::RetriesLeft(2));
        assert_eq!(StatusWord::new(0x63C0).tries_left(), Some(0));
        assert_eq!(StatusWord::new(0x6300).class(), StatusClass::Warning);
        assert_eq!(StatusWord::new(0x6282).class(), StatusClass::Warning);
        assert_eq!(StatusWord::new(0x6982).class(), StatusClass::Error);
        assert_eq!(StatusWord::new(0x9001).class(), StatusClass::Error);
        assert_eq!(StatusWord::new(0x6F00).class(), StatusClass::Error);
        assert_eq!(StatusWord::retries_left(3), StatusWord::new(0x63C3));
        assert!(!StatusWord::new(0x6982).is_success());
    }

    #[test]
    fn display_is_readable() {
        assert_eq!(
            StatusWord::SECURITY_STATUS_NOT_SATISFIED.to_string(),
            "6982 security status not satisfied"
        );
        assert_eq!(
            StatusWord::new(0x63C1).to_string(),
            "63C1 verification failed; tries left in SW2 (1 left)"
        );
        assert_eq!(
            StatusWord::new(0x6A82).to_string(),
            "6A82 file or application not found"
        );
        assert_eq!(StatusWord::from_bytes(0x61, 0x20).sw2(), 0x20);
    }
}
