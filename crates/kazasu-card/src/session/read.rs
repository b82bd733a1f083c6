//! Reading files and data objects: READ BINARY of whole BER objects (extended or in 256-byte
//! chunks, by short EF id or after SELECT), GET DATA in the master file, READ RECORD.

use kazasu_apdu::{Command, Le, LengthForm, Transport};

use super::Session;
use super::status::{expect_ok, status_error};
use crate::CardError;
use crate::tlv::{Header, object_len};

/// READ BINARY addresses offsets with 15 bits.
const MAX_OFFSET: usize = 0x7FFF;

impl<T: Transport> Session<T> {
    /// Reads the BER/DER object at the start of an EF: exactly the object, never the filler after it.
    ///
    /// With extended APDUs one READ BINARY fetches the file; without, the first 256-byte read doubles
    /// as the header read and the rest comes in 256-byte chunks with an exact last Le.
    pub(crate) fn read_object(
        &mut self,
        aid: &[u8],
        ef: u16,
        operation: &'static str,
        needs: &'static str,
    ) -> Result<Vec<u8>, CardError> {
        self.retrying(|s| s.read_object_once(aid, ef, operation, needs))
    }

    /// Like [`Session::read_object`], but the first READ BINARY names the EF by its short id
    /// (`00 B0 (80|id) 00 Le`): selects and reads in one APDU. EF ids `0001`–`001E` only.
    pub(crate) fn read_object_sfi(
        &mut self,
        aid: &[u8],
        ef: u16,
        operation: &'static str,
        needs: &'static str,
    ) -> Result<Vec<u8>, CardError> {
        self.retrying(|s| s.read_object_by(aid, ef, true, operation, needs))
    }

    fn read_object_once(
        &mut self,
        aid: &[u8],
        ef: u16,
        operation: &'static str,
        needs: &'static str,
    ) -> Result<Vec<u8>, CardError> {
        self.read_object_by(aid, ef, false, operation, needs)
    }

    fn read_object_by(
        &mut self,
        aid: &[u8],
        ef: u16,
        short_id: bool,
        operation: &'static str,
        needs: &'static str,
    ) -> Result<Vec<u8>, CardError> {
        let short_id = short_id && self.ef != Some(ef) && (1..=0x1E).contains(&ef);
        if short_id {
            self.select_ap(aid, operation)?;
        } else {
            self.select_ef(aid, ef, operation)?;
        }
        let caps = self.ex.transport().capabilities();
        let chunk = if caps.supports_extended() {
            caps.max_response().clamp(256, 65_536)
        } else {
            256
        };
        let mut data = if short_id {
            let data = self.read_short(ef, chunk, operation, needs)?;
            // READ BINARY by short EF id makes the EF the current one.
            self.ef = Some(ef);
            data
        } else {
            self.read_at(0, chunk, ef, operation, needs)?
        };
        let total = match object_len(&data) {
            Header::Complete(n) => n,
            Header::NeedMore => {
                return Err(CardError::TornRead {
                    ef,
                    reason: format!("only {} bytes, not even a complete header", data.len()),
                });
            }
            Header::Invalid => {
                return Err(CardError::Malformed {
                    ef,
                    reason: "no definite-length BER object at the start".into(),
                });
            }
        };
        if total > MAX_OFFSET + chunk {
            return Err(CardError::Malformed {
                ef,
                reason: format!("object of {total} bytes is larger than READ BINARY can address"),
            });
        }
        while data.len() < total {
            let le = (total - data.len()).min(chunk);
            let part = self.read_at(data.len(), le, ef, operation, needs)?;
            if part.is_empty() {
                return Err(CardError::TornRead {
                    ef,
                    reason: format!("no data at offset {} of a {total}-byte object", data.len()),
                });
            }
            data.extend_from_slice(&part);
        }
        data.truncate(total);
        Ok(data)
    }

    /// `00 B0 (80|id) 00 Le`: reads from offset 0 of the EF named by its short id.
    pub(crate) fn read_short(
        &mut self,
        ef: u16,
        le: usize,
        operation: &'static str,
        needs: &'static str,
    ) -> Result<Vec<u8>, CardError> {
        let id = u8::try_from(ef)
            .ok()
            .filter(|id| (1..=0x1E).contains(id))
            .ok_or(CardError::Malformed {
                ef,
                reason: "no short EF id for this file".into(),
            })?;
        let le_value = Le::new(u32::try_from(le).unwrap_or(65_536))?;
        let mut cmd = Command::new(0x00, 0xB0, 0x80 | id, 0x00).with_le(le_value);
        if le > 256 {
            cmd = cmd.with_form(LengthForm::Extended);
        }
        let r = self.send(&cmd, operation)?;
        match r.sw().value() {
            0x9000 | 0x6282 => Ok(r.into_data()),
            _ => Err(status_error(r.sw(), operation, needs)),
        }
    }

    fn read_at(
        &mut self,
        offset: usize,
        le: usize,
        ef: u16,
        operation: &'static str,
        needs: &'static str,
    ) -> Result<Vec<u8>, CardError> {
        let off = u16::try_from(offset)
            .ok()
            .filter(|o| usize::from(*o) <= MAX_OFFSET)
            .ok_or_else(|| CardError::Malformed {
                ef,
                reason: format!("offset {offset} is beyond READ BINARY's 15 bits"),
            })?;
        let [p1, p2] = off.to_be_bytes();
        let le_value = Le::new(u32::try_from(le).unwrap_or(65_536))?;
        let mut cmd = Command::new(0x00, 0xB0, p1, p2).with_le(le_value);
        if le > 256 {
            cmd = cmd.with_form(LengthForm::Extended);
        }
        let r = self.send(&cmd, operation)?;
        match r.sw().value() {
            0x9000 | 0x6282 => Ok(r.into_data()),
            0x6B00 if offset > 0 => Err(CardError::TornRead {
                ef,
                reason: format!("file ends at offset {offset}, before the object does"),
            }),
            _ => {
                expect_ok(r.sw(), operation, needs)?;
                Ok(r.into_data())
            }
        }
    }

    /// GET DATA `00 CA P1 P2 00` in the master file; on `6700` sent again with an extended Le.
    pub(crate) fn mf_get_data(&mut self, tag: u16) -> Result<Vec<u8>, CardError> {
        let operation = "GET DATA";
        self.retrying(|s| {
            if s.ap.as_deref() != Some(&[][..]) {
                let r = s.send(&Command::new(0x00, 0xA4, 0x00, 0x0C), "SELECT MF")?;
                expect_ok(r.sw(), "SELECT MF", "")?;
                s.ap = Some(Vec::new());
                s.ef = None;
            }
            let [p1, p2] = tag.to_be_bytes();
            let r = s.send(
                &Command::new(0x00, 0xCA, p1, p2).with_le(Le::MAX_SHORT),
                operation,
            )?;
            let r = if r.sw().value() == 0x6700 {
                s.send(
                    &Command::new(0x00, 0xCA, p1, p2)
                        .with_le(Le::new(65_536)?)
                        .with_form(LengthForm::Extended),
                    operation,
                )?
            } else {
                r
            };
            expect_ok(r.sw(), operation, "")?;
            Ok(r.into_data())
        })
    }

    /// READ RECORD `00 B2 <n> 04 00` on the current EF of application `aid`, selecting `ef` first.
    pub(crate) fn read_record(
        &mut self,
        aid: &[u8],
        ef: u16,
        record: u8,
        operation: &'static str,
    ) -> Result<Vec<u8>, CardError> {
        self.retrying(|s| {
            s.select_ef(aid, ef, operation)?;
            let r = s.send(
                &Command::new(0x00, 0xB2, record, 0x04).with_le(Le::MAX_SHORT),
                operation,
            )?;
            expect_ok(r.sw(), operation, "")?;
            Ok(r.into_data())
        })
    }
}
