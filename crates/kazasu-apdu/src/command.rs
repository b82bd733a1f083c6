//! Command APDUs: validated construction, encoding and decoding of ISO 7816-4 cases 1–4.

use alloc::vec::Vec;
use core::fmt;
use zeroize::Zeroizing;

use crate::ApduError;

/// The largest Lc: 65535 data bytes (extended form).
pub const MAX_LC: usize = 65_535;

/// Expected response length Le, 1..=65536. Short APDUs carry up to 256 (encoded `00`),
/// extended ones up to 65536 (encoded `00 00`).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug)]
pub struct Le(u32);

impl Le {
    /// The largest short Le, 256 bytes.
    pub const MAX_SHORT: Le = Le(256);
    /// The largest extended Le, 65536 bytes.
    pub const MAX_EXTENDED: Le = Le(65_536);

    /// Validates `value` as an Le.
    pub fn new(value: u32) -> Result<Self, ApduError> {
        if (1..=65_536).contains(&value) {
            Ok(Self(value))
        } else {
            Err(ApduError::InvalidLe { value })
        }
    }

    /// Le as a number of bytes.
    pub fn get(self) -> u32 {
        self.0
    }

    /// Whether a short APDU can carry this Le.
    pub fn fits_short(self) -> bool {
        self.0 <= 256
    }

    fn short_byte(self) -> u8 {
        // 256 is encoded as 00; every other valid short value fits.
        u8::try_from(self.0).unwrap_or(0)
    }

    fn extended_bytes(self) -> [u8; 2] {
        // 65536 is encoded as 00 00.
        u16::try_from(self.0).unwrap_or(0).to_be_bytes()
    }

    fn from_short_byte(b: u8) -> Self {
        Self(if b == 0 { 256 } else { u32::from(b) })
    }

    fn from_extended_bytes(hi: u8, lo: u8) -> Self {
        let v = u16::from_be_bytes([hi, lo]);
        Self(if v == 0 { 65_536 } else { u32::from(v) })
    }
}

/// Whether length fields are encoded in one byte (short) or in the extended form.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum LengthForm {
    /// Lc and Le in one byte each.
    Short,
    /// Lc in three bytes (`00 HH LL`), Le in two or three.
    Extended,
}

/// Command data. PINs and other secrets travel as [`CommandData::Sensitive`]: zeroized on drop,
/// never printed.
#[derive(Clone)]
pub enum CommandData {
    /// Ordinary data, printed in traces.
    Plain(Vec<u8>),
    /// Secret data (PINs, passwords); `Debug` and traces show `REDACTED`.
    Sensitive(Zeroizing<Vec<u8>>),
}

impl CommandData {
    /// The bytes.
    pub fn as_bytes(&self) -> &[u8] {
        match self {
            CommandData::Plain(v) => v,
            CommandData::Sensitive(v) => v,
        }
    }

    /// Whether the data must not be shown.
    pub fn is_sensitive(&self) -> bool {
        matches!(self, CommandData::Sensitive(_))
    }

    /// Number of bytes.
    pub fn len(&self) -> usize {
        self.as_bytes().len()
    }

    /// Whether there is no data.
    pub fn is_empty(&self) -> bool {
        self.as_bytes().is_empty()
    }
}

impl PartialEq for CommandData {
    fn eq(&self, other: &Self) -> bool {
        self.is_sensitive() == other.is_sensitive() && self.as_bytes() == other.as_bytes()
    }
}

impl Eq for CommandData {}

impl fmt::Debug for CommandData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CommandData::Plain(v) => {
                f.write_str("Plain(")?;
                write_hex(f, v)?;
                f.write_str(")")
            }
            CommandData::Sensitive(_) => f.write_str("Sensitive(REDACTED)"),
        }
    }
}

pub(crate) fn write_hex(f: &mut fmt::Formatter<'_>, bytes: &[u8]) -> fmt::Result {
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 {
            f.write_str(" ")?;
        }
        write!(f, "{b:02X}")?;
    }
    Ok(())
}

/// A command APDU.
///
/// Built with validated lengths; the length form is chosen from the data and Le (extended only when
/// needed) unless [`Command::with_form`] forces extended. The `Display` form shows the header, Lc,
/// the data in hex (or `REDACTED`) and Le.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Command {
    cla: u8,
    ins: u8,
    p1: u8,
    p2: u8,
    data: CommandData,
    le: Option<Le>,
    force_extended: bool,
}

impl Command {
    /// A case 1 command: header only.
    pub fn new(cla: u8, ins: u8, p1: u8, p2: u8) -> Self {
        Self {
            cla,
            ins,
            p1,
            p2,
            data: CommandData::Plain(Vec::new()),
            le: None,
            force_extended: false,
        }
    }

    /// Sets plain command data (at most 65535 bytes; empty means none).
    pub fn with_data(mut self, data: impl Into<Vec<u8>>) -> Result<Self, ApduError> {
        let data = data.into();
        check_lc(data.len())?;
        self.data = CommandData::Plain(data);
        Ok(self)
    }

    /// Sets secret command data such as a PIN (at most 65535 bytes).
    pub fn with_sensitive_data(mut self, data: Zeroizing<Vec<u8>>) -> Result<Self, ApduError> {
        check_lc(data.len())?;
        self.data = CommandData::Sensitive(data);
        Ok(self)
    }

    /// Sets the expected response length.
    #[must_use]
    pub fn with_le(mut self, le: Le) -> Self {
        self.le = Some(le);
        self
    }

    /// Removes Le (no response data expected).
    #[must_use]
    pub fn without_le(mut self) -> Self {
        self.le = None;
        self
    }

    /// Forces the extended form even when short lengths would do; `Short` returns to the automatic choice.
    #[must_use]
    pub fn with_form(mut self, form: LengthForm) -> Self {
        self.force_extended = form == LengthForm::Extended;
        self
    }

    /// Class byte.
    pub fn cla(&self) -> u8 {
        self.cla
    }
    /// Instruction byte.
    pub fn ins(&self) -> u8 {
        self.ins
    }
    /// First parameter.
    pub fn p1(&self) -> u8 {
        self.p1
    }
    /// Second parameter.
    pub fn p2(&self) -> u8 {
        self.p2
    }
    /// The command data (empty when there is none).
    pub fn data(&self) -> &CommandData {
        &self.data
    }
    /// Takes the command data out (a card moves PIN bytes into a zeroizing buffer this way).
    pub fn into_data(self) -> CommandData {
        self.data
    }

    /// Expected response length, if any.
    pub fn le(&self) -> Option<Le> {
        self.le
    }

    /// The ISO 7816-4 case: 1 (no data, no Le), 2 (Le only), 3 (data only), 4 (data and Le).
    pub fn case(&self) -> u8 {
        match (self.data.is_empty(), self.le.is_some()) {
            (true, false) => 1,
            (true, true) => 2,
            (false, false) => 3,
            (false, true) => 4,
        }
    }

    /// The form the length fields take on the wire.
    pub fn form(&self) -> LengthForm {
        let needs = self.data.len() > 255 || self.le.is_some_and(|le| !le.fits_short());
        if needs || (self.force_extended && self.case() != 1) {
            LengthForm::Extended
        } else {
            LengthForm::Short
        }
    }

    /// Number of bytes [`Command::to_bytes`] produces.
    pub fn encoded_len(&self) -> usize {
        let n = self.data.len();
        let ext = self.form() == LengthForm::Extended;
        let lc = match (n, ext) {
            (0, _) => 0,
            (_, false) => 1,
            (_, true) => 3,
        };
        let le = match (self.le, ext, n) {
            (None, _, _) => 0,
            (Some(_), false, _) => 1,
            (Some(_), true, 0) => 3,
            (Some(_), true, _) => 2,
        };
        4 + lc + n + le
    }

    /// Encodes the command. The buffer is zeroized on drop because it may hold a PIN.
    pub fn to_bytes(&self) -> Zeroizing<Vec<u8>> {
        let mut out = Zeroizing::new(Vec::with_capacity(self.encoded_len()));
        out.extend_from_slice(&[self.cla, self.ins, self.p1, self.p2]);
        let data = self.data.as_bytes();
        let ext = self.form() == LengthForm::Extended;
        if !data.is_empty() {
            if ext {
                // check_lc guarantees data.len() <= 65535.
                let lc = u16::try_from(data.len()).unwrap_or(u16::MAX);
                out.push(0);
                out.extend_from_slice(&lc.to_be_bytes());
            } else {
                out.push(u8::try_from(data.len()).unwrap_or(u8::MAX));
            }
            out.extend_from_slice(data);
        }
        if let Some(le) = self.le {
            if ext {
                if data.is_empty() {
                    out.push(0);
                }
                out.extend_from_slice(&le.extended_bytes());
            } else {
                out.push(le.short_byte());
            }
        }
        out
    }

    /// Decodes a command APDU, telling the ISO 7816-4 case from the lengths.
    ///
    /// The data is returned as [`CommandData::Plain`]; a card that receives PINs should move it into
    /// a zeroizing buffer.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, ApduError> {
        let [cla, ins, p1, p2, body @ ..] = bytes else {
            return Err(ApduError::TooShort { len: bytes.len() });
        };
        let mut cmd = Command::new(*cla, *ins, *p1, *p2);
        let n = body.len();
        let mut extended = false;
        match body {
            [] => {}
            [le] => cmd.le = Some(Le::from_short_byte(*le)),
            [lc, rest @ ..] if *lc != 0 => {
                let lc = usize::from(*lc);
                if rest.len() == lc {
                    cmd.data = CommandData::Plain(rest.to_vec());
                } else if rest.len() == lc + 1 {
                    cmd.data = CommandData::Plain(rest[..lc].to_vec());
                    cmd.le = Some(Le::from_short_byte(rest[lc]));
                } else {
                    return Err(ApduError::LcMismatch {
                        lc,
                        available: rest.len(),
                    });
                }
            }
            [_, hi, lo] => {
                extended = true;
                cmd.le = Some(Le::from_extended_bytes(*hi, *lo));
            }
            [_, hi, lo, rest @ ..] => {
                extended = true;
                let lc = usize::from(u16::from_be_bytes([*hi, *lo]));
                if lc == 0 {
                    return Err(ApduError::ZeroExtendedLc);
                }
                if rest.len() == lc {
                    cmd.data = CommandData::Plain(rest.to_vec());
                } else if rest.len() == lc + 2 {
                    cmd.data = CommandData::Plain(rest[..lc].to_vec());
                    cmd.le = Some(Le::from_extended_bytes(rest[lc], rest[lc + 1]));
                } else {
                    return Err(ApduError::LcMismatch {
                        lc,
                        available: rest.len(),
                    });
                }
            }
            _ => return Err(ApduError::ExtendedTruncated { body: n }),
        }
        // Remember the extended form only where the automatic choice would have been short, so that
        // decode(encode(c)) == c for every command.
        cmd.force_extended = false;
        if extended && cmd.form() == LengthForm::Short {
            cmd.force_extended = true;
        }
        Ok(cmd)
    }
}

fn check_lc(len: usize) -> Result<(), ApduError> {
    if len > MAX_LC {
        Err(ApduError::DataTooLong { len })
    } else {
        Ok(())
    }
}

impl fmt::Display for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:02X} {:02X} {:02X} {:02X}",
            self.cla, self.ins, self.p1, self.p2
        )?;
        if !self.data.is_empty() {
            write!(f, " Lc={}", self.data.len())?;
            match &self.data {
                CommandData::Plain(v) => {
                    f.write_str(" [")?;
                    write_hex(f, v)?;
                    f.write_str("]")?;
                }
                CommandData::Sensitive(_) => f.write_str(" [REDACTED]")?,
            }
        }
        if let Some(le) = self.le {
            write!(f, " Le={}", le.get())?;
        }
        if self.form() == LengthForm::Extended {
            f.write_str(" (extended)")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;
    use alloc::vec;

    #[test]
    fn cases_encode_as_iso_says() {
        let c1 = Command::new(0, 0xA4, 4, 0x0C);
        assert_eq!(c1.to_bytes().as_slice(), &[0, 0xA4, 4, 0x0C]);
        let c2 = Command::new(0, 0xB0, 0, 0).with_le(Le::new(256).unwrap());
        assert_eq!(c2.to_bytes().as_slice(), &[0, 0xB0, 0, 0, 0]);
        let c2e = Command::new(0, 0xB0, 0, 0).with_le(Le::new(65_536).unwrap());
        assert_eq!(c2e.to_bytes().as_slice(), &[0, 0xB0, 0, 0, 0, 0, 0]);
        let c3 = Command::new(0, 0xA4, 2, 0x0C)
            .with_data(vec![0, 0x0A])
            .unwrap();
        assert_eq!(c3.to_bytes().as_slice(), &[0, 0xA4, 2, 0x0C, 2, 0, 0x0A]);
        let c4 = Command::new(0x80, 0x2A, 0, 0x80)
            .with_data(vec![1, 2])
            .unwrap()
            .with_le(Le::MAX_SHORT);
        assert_eq!(c4.to_bytes().as_slice(), &[0x80, 0x2A, 0, 0x80, 2, 1, 2, 0]);
        let c4e = c4.clone().with_form(LengthForm::Extended);
        assert_eq!(
            c4e.to_bytes().as_slice(),
            &[0x80, 0x2A, 0, 0x80, 0, 0, 2, 1, 2, 1, 0]
        );
        for c in [c1, c2, c2e, c3, c4, c4e] {
            assert_eq!(c.to_bytes().len(), c.encoded_len());
            assert_eq!(Command::from_bytes(&c.to_bytes()).unwrap(), c);
        }
    }

    #[test]
    fn invalid_lengths_are_typed_errors() {
        assert!(matches!(Le::new(0), Err(ApduError::InvalidLe { value: 0 })));
        assert!(matches!(Le::new(65_537), Err(ApduError::InvalidLe { .. })));
        assert!(matches!(
            Command::new(0, 0, 0, 0).with_data(vec![0; 65_536]),
            Err(ApduError::DataTooLong { len: 65_536 })
        ));
        assert!(matches!(
            Command::from_bytes(&[0, 0xA4, 0]),
            Err(ApduError::TooShort { len: 3 })
        ));
        assert!(matches!(
            Command::from_bytes(&[0, 0xA4, 2, 0x0C, 3, 0]),
            Err(ApduError::LcMismatch {
                lc: 3,
                available: 1
            })
        ));
        assert!(matches!(
            Command::from_bytes(&[0, 0xB0, 0, 0, 0, 0]),
            Err(ApduError::ExtendedTruncated { body: 2 })
        ));
        assert!(matches!(
            Command::from_bytes(&[0, 0xB0, 0, 0, 0, 0, 0, 1]),
            Err(ApduError::ZeroExtendedLc)
        ));
    }

    #[test]
    fn pins_never_print() {
        let pin = Command::new(0, 0x20, 0, 0x80)
            .with_sensitive_data(Zeroizing::new(b"1234".to_vec()))
            .unwrap();
        let shown = format!("{pin} {pin:?}");
        assert!(shown.contains("REDACTED"));
        assert!(!shown.contains("31 32 33 34"));
        assert!(!shown.contains("49, 50"));
        assert_eq!(pin.to_bytes().as_slice(), b"\x00\x20\x00\x80\x041234");
    }
}
