//! A session with the card: the exchange loop, what is selected, what is verified, resets.

use kazasu_apdu::{
    ApduError, Command, Exchange, ExchangeStats, Le, LengthForm, Response, StatusWord, Transport,
    TransportErrorKind,
};
use zeroize::Zeroizing;

use crate::CardError;
use crate::secret::{Secret, SecretKind};
use crate::tlv::{Header, object_len};

/// READ BINARY addresses offsets with 15 bits.
const MAX_OFFSET: usize = 0x7FFF;

/// Whether the lockout guard may spend the last try of a secret.
///
/// A blocked JPKI PIN can only be reset at a municipal office, so software never spends the last try
/// unless the person at the reader explicitly chose to.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default)]
pub enum LastTry {
    /// Refuse with [`CardError::LastTryRefused`] when one try is left (the default).
    #[default]
    Refuse,
    /// Go on even when one try is left.
    Allow,
}

/// What the card says about a secret, read without spending a try.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum PinStatus {
    /// Verified since the card was powered.
    Verified,
    /// Not verified; this many tries left.
    TriesLeft(u8),
    /// Blocked.
    Blocked,
}

/// A session over any [`Transport`]: the exchange loop plus what the card has selected and verified,
/// so redundant SELECTs are skipped and a reset is noticed.
///
/// When the transport reports a reset, the session forgets its selections and verified secrets; reads
/// are then retried once from a fresh SELECT, while VERIFY and signing return
/// [`CardError::CardReset`] (the caller decides whether to ask for the PIN again).
#[derive(Debug)]
pub struct Session<T> {
    ex: Exchange<T>,
    ap: Option<Vec<u8>>,
    ef: Option<u16>,
    verified: Vec<(Vec<u8>, u16)>,
}

impl<T: Transport> Session<T> {
    /// A session over `transport`; nothing is assumed selected.
    pub fn new(transport: T) -> Self {
        Self {
            ex: Exchange::new(transport),
            ap: None,
            ef: None,
            verified: Vec::new(),
        }
    }

    /// Commands and bytes exchanged so far (the APDU economy of every operation is measured with this).
    pub fn stats(&self) -> ExchangeStats {
        self.ex.stats()
    }

    /// The exchange loop, for commands this crate does not wrap.
    pub fn exchange(&mut self) -> &mut Exchange<T> {
        // Anything sent directly may change the selection: forget it.
        self.ap = None;
        self.ef = None;
        &mut self.ex
    }

    /// The transport back.
    pub fn into_transport(self) -> T {
        self.ex.into_inner()
    }

    /// Forgets selections and verified secrets (after a reset, or to force fresh SELECTs).
    pub fn forget(&mut self) {
        self.ap = None;
        self.ef = None;
        self.verified.clear();
    }

    /// Forgets which EF is current (after commands that may change it without our knowing).
    pub(crate) fn forget_ef(&mut self) {
        self.ef = None;
    }

    /// Whether this session verified `pin_ef` of application `aid` since the last reset.
    pub(crate) fn is_verified(&self, aid: &[u8], pin_ef: u16) -> bool {
        self.verified.iter().any(|(a, e)| a == aid && *e == pin_ef)
    }

    /// Sends one command; a reset during it becomes [`CardError::CardReset`].
    pub(crate) fn send(
        &mut self,
        cmd: &Command,
        operation: &'static str,
    ) -> Result<Response, CardError> {
        let result = self.ex.transmit(cmd);
        let reset = self.ex.take_reset_event();
        if reset {
            tracing::debug!(target: "kazasu_card", operation, "card reset noticed; forgetting selections and PINs");
            self.forget();
        }
        match result {
            Err(ApduError::Transport(e)) if e.kind() == TransportErrorKind::CardReset => {
                Err(CardError::CardReset { operation })
            }
            Err(e) => Err(e.into()),
            // The command ran on a card that had lost our selection: its answer means nothing.
            Ok(_) if reset => Err(CardError::CardReset { operation }),
            Ok(r) => Ok(r),
        }
    }

    /// Runs an idempotent operation, once more after a reset.
    pub(crate) fn retrying<R>(
        &mut self,
        mut f: impl FnMut(&mut Self) -> Result<R, CardError>,
    ) -> Result<R, CardError> {
        match f(self) {
            Err(CardError::CardReset { .. }) => f(self),
            other => other,
        }
    }

    pub(crate) fn select_ap(
        &mut self,
        aid: &[u8],
        operation: &'static str,
    ) -> Result<(), CardError> {
        if self.ap.as_deref() == Some(aid) {
            return Ok(());
        }
        let cmd = Command::new(0x00, 0xA4, 0x04, 0x0C).with_data(aid.to_vec())?;
        let r = self.send(&cmd, operation)?;
        expect_ok(r.sw(), operation, "")?;
        self.ap = Some(aid.to_vec());
        self.ef = None;
        Ok(())
    }

    pub(crate) fn select_ef(
        &mut self,
        aid: &[u8],
        ef: u16,
        operation: &'static str,
    ) -> Result<(), CardError> {
        self.select_ap(aid, operation)?;
        if self.ef == Some(ef) {
            return Ok(());
        }
        let cmd = Command::new(0x00, 0xA4, 0x02, 0x0C).with_data(ef.to_be_bytes().to_vec())?;
        let r = self.send(&cmd, operation)?;
        expect_ok(r.sw(), operation, "")?;
        self.ef = Some(ef);
        Ok(())
    }

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

    /// Reads a secret's status with an empty VERIFY, which never spends a try.
    pub(crate) fn pin_status(
        &mut self,
        aid: &[u8],
        pin_ef: u16,
        p2: u8,
        operation: &'static str,
    ) -> Result<PinStatus, CardError> {
        self.retrying(|s| {
            s.select_ef(aid, pin_ef, operation)?;
            let r = s.send(&Command::new(0x00, 0x20, 0x00, p2), operation)?;
            let sw = r.sw();
            match (sw.value(), sw.tries_left()) {
                (0x9000, _) => Ok(PinStatus::Verified),
                (_, Some(0)) | (0x6984 | 0x6983, _) => Ok(PinStatus::Blocked),
                (_, Some(n)) => Ok(PinStatus::TriesLeft(n)),
                _ => Err(status_error(sw, operation, "")),
            }
        })
    }

    /// Verifies a secret behind the lockout guard: reads the counter first, refuses on the last try
    /// unless allowed, then sends VERIFY once (never retried: a reset leaves the outcome unknown).
    pub(crate) fn verify<S: Secret>(
        &mut self,
        aid: &[u8],
        pin_ef: u16,
        p2: u8,
        secret: &S,
        last_try: LastTry,
    ) -> Result<(), CardError> {
        let kind = S::KIND;
        match self.pin_status(aid, pin_ef, p2, "VERIFY (counter)")? {
            PinStatus::Blocked => return Err(CardError::Blocked { kind }),
            PinStatus::TriesLeft(1) if last_try == LastTry::Refuse => {
                return Err(CardError::LastTryRefused { kind });
            }
            // Even when the card says "verified" (left so by an earlier client), the PIN given now is
            // checked: the person at the reader must know it.
            PinStatus::Verified | PinStatus::TriesLeft(_) => {}
        }
        let cmd = Command::new(0x00, 0x20, 0x00, p2)
            .with_sensitive_data(Zeroizing::new(secret.bytes().to_vec()))?;
        let r = self.send(&cmd, "VERIFY")?;
        self.ex.transport_mut().note_pin_used();
        self.verified_result(aid, pin_ef, kind, r.sw())
    }

    /// Verifies `secret` unless this session already did since the last reset (opening a file
    /// twice must not cost the person a second PIN entry on the card).
    pub(crate) fn verify_once<S: Secret>(
        &mut self,
        aid: &[u8],
        pin_ef: u16,
        p2: u8,
        secret: &S,
        last_try: LastTry,
    ) -> Result<(), CardError> {
        if self.is_verified(aid, pin_ef) {
            return Ok(());
        }
        self.verify(aid, pin_ef, p2, secret, last_try)
    }

    /// Reads a key's status with an empty `00 20 00 (80|id)`, without SELECT and without spending a try.
    pub(crate) fn key_status(
        &mut self,
        aid: &[u8],
        key_ef: u16,
        operation: &'static str,
    ) -> Result<PinStatus, CardError> {
        let p2 = short_p2(key_ef)?;
        self.retrying(|s| {
            s.select_ap(aid, operation)?;
            let r = s.send(&Command::new(0x00, 0x20, 0x00, p2), operation)?;
            let sw = r.sw();
            match (sw.value(), sw.tries_left()) {
                (0x9000, _) => Ok(PinStatus::Verified),
                (_, Some(0)) | (0x6984 | 0x6983, _) => Ok(PinStatus::Blocked),
                (_, Some(n)) => Ok(PinStatus::TriesLeft(n)),
                _ => Err(status_error(sw, operation, "")),
            }
        })
    }

    /// VERIFY `00 20 00 (80|id)` without SELECT, behind the lockout guard (the counter is read first
    /// with an empty VERIFY; one try left is refused unless allowed). Skipped when this session
    /// already verified the key since the last reset.
    pub(crate) fn verify_key<S: Secret>(
        &mut self,
        aid: &[u8],
        key_ef: u16,
        secret: &S,
        last_try: LastTry,
    ) -> Result<(), CardError> {
        if self.is_verified(aid, key_ef) {
            return Ok(());
        }
        let kind = S::KIND;
        let p2 = short_p2(key_ef)?;
        match self.key_status(aid, key_ef, "VERIFY (counter)")? {
            PinStatus::Blocked => return Err(CardError::Blocked { kind }),
            PinStatus::TriesLeft(1) if last_try == LastTry::Refuse => {
                return Err(CardError::LastTryRefused { kind });
            }
            PinStatus::Verified | PinStatus::TriesLeft(_) => {}
        }
        let cmd = Command::new(0x00, 0x20, 0x00, p2)
            .with_sensitive_data(Zeroizing::new(secret.bytes().to_vec()))?;
        let r = self.send(&cmd, "VERIFY")?;
        self.ex.transport_mut().note_pin_used();
        self.verified_result(aid, key_ef, kind, r.sw())
    }

    fn verified_result(
        &mut self,
        aid: &[u8],
        key_ef: u16,
        kind: SecretKind,
        sw: StatusWord,
    ) -> Result<(), CardError> {
        self.verified.retain(|(a, e)| !(a == aid && *e == key_ef));
        match (sw.value(), sw.tries_left()) {
            (0x9000, _) => {
                self.verified.push((aid.to_vec(), key_ef));
                Ok(())
            }
            (_, Some(0)) | (0x6984 | 0x6983, _) => Err(CardError::Blocked { kind }),
            (_, Some(n)) => Err(CardError::WrongSecret {
                kind,
                tries_left: n,
            }),
            _ => Err(status_error(sw, "VERIFY", "")),
        }
    }

    /// JICSAP CHANGE KEY `80 32 00 (80|id) Lc <new>` after a VERIFY of that key in this session.
    pub(crate) fn change_key(
        &mut self,
        aid: &[u8],
        key_ef: u16,
        new: &[u8],
        kind: SecretKind,
    ) -> Result<(), CardError> {
        let operation = "CHANGE KEY";
        let p2 = short_p2(key_ef)?;
        self.select_ap(aid, operation)?;
        let cmd =
            Command::new(0x80, 0x32, 0x00, p2).with_sensitive_data(Zeroizing::new(new.to_vec()))?;
        let r = self.send(&cmd, operation)?;
        self.ex.transport_mut().note_pin_used();
        match r.sw().value() {
            0x9000 => Ok(()),
            0x6984 | 0x6983 => Err(CardError::Blocked { kind }),
            _ => Err(status_error(r.sw(), operation, "the current PIN")),
        }
    }

    /// `80 2A 00 P2 Lc <data> 00` in the selected application: P2 = `80|id` names a key EF,
    /// `00` the application's own chip key. Returns the 256-byte signature.
    pub(crate) fn compute_signature(
        &mut self,
        aid: &[u8],
        p2: u8,
        digest_info: &[u8],
        operation: &'static str,
        needs: &'static str,
    ) -> Result<Vec<u8>, CardError> {
        self.select_ap(aid, operation)?;
        let cmd = Command::new(0x80, 0x2A, 0x00, p2)
            .with_data(digest_info.to_vec())?
            .with_le(Le::MAX_SHORT);
        let r = self.send(&cmd, operation)?;
        expect_ok(r.sw(), operation, needs)?;
        if r.data().len() != 256 {
            return Err(CardError::Malformed {
                ef: u16::from(p2 & 0x1F),
                reason: format!("signature of {} bytes, expected 256", r.data().len()),
            });
        }
        Ok(r.into_data())
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

    /// CHANGE REFERENCE DATA on the selected PIN EF after a successful VERIFY.
    pub(crate) fn change_reference_data(
        &mut self,
        aid: &[u8],
        pin_ef: u16,
        new: &[u8],
        kind: SecretKind,
    ) -> Result<(), CardError> {
        self.select_ef(aid, pin_ef, "CHANGE REFERENCE DATA")?;
        let cmd = Command::new(0x00, 0x24, 0x01, 0x80)
            .with_sensitive_data(Zeroizing::new(new.to_vec()))?;
        let r = self.send(&cmd, "CHANGE REFERENCE DATA")?;
        match r.sw().value() {
            0x9000 => Ok(()),
            0x6984 | 0x6983 => Err(CardError::Blocked { kind }),
            _ => Err(status_error(
                r.sw(),
                "CHANGE REFERENCE DATA",
                "the current PIN",
            )),
        }
    }

    /// Runs `f` holding exclusive access to the card (a PC/SC transaction), released afterwards.
    ///
    /// `f` runs on a session over the exclusive path ([`Exchange::exclusive`]) that carries this
    /// one's selections, verified secrets and counters, and hands them back when it ends.
    pub(crate) fn exclusive<R>(
        &mut self,
        f: impl FnOnce(&mut Session<&mut dyn Transport>) -> Result<R, CardError>,
    ) -> Result<R, CardError> {
        let Session {
            ex,
            ap,
            ef,
            verified,
        } = self;
        ex.exclusive(|scoped| {
            let mut inner = Session {
                ex: scoped,
                ap: ap.take(),
                ef: ef.take(),
                verified: core::mem::take(verified),
            };
            let result = f(&mut inner);
            *ap = inner.ap;
            *ef = inner.ef;
            *verified = inner.verified;
            (inner.ex, result)
        })
        .map_err(|e| CardError::Apdu(ApduError::Transport(e)))?
    }
}

/// P2 naming a key or PIN EF by its short id (`80|id`).
fn short_p2(ef: u16) -> Result<u8, CardError> {
    u8::try_from(ef)
        .ok()
        .filter(|id| (1..=0x1E).contains(id))
        .map(|id| 0x80 | id)
        .ok_or(CardError::Malformed {
            ef,
            reason: "no short id for this key".into(),
        })
}

fn expect_ok(
    sw: StatusWord,
    operation: &'static str,
    needs: &'static str,
) -> Result<(), CardError> {
    if sw.is_success() {
        Ok(())
    } else {
        Err(status_error(sw, operation, needs))
    }
}

/// Maps a status word to the error that names its reason.
pub(crate) fn status_error(
    sw: StatusWord,
    operation: &'static str,
    needs: &'static str,
) -> CardError {
    match sw.value() {
        0x6982 => CardError::NotAuthorized {
            operation,
            needs: if needs.is_empty() {
                "required secret"
            } else {
                needs
            },
        },
        0x6A82 => CardError::NotFound { operation },
        _ => CardError::Refused { operation, sw },
    }
}
