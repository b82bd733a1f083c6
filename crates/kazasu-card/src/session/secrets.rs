//! Secrets on the card: their status without spending a try, VERIFY behind the lockout guard,
//! and changing them.

use kazasu_apdu::{Command, StatusWord, Transport};
use zeroize::Zeroizing;

use super::Session;
use super::status::status_error;
use crate::CardError;
use crate::secret::{Secret, SecretKind};

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

impl<T: Transport> Session<T> {
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
            status_of(r.sw(), operation)
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
            status_of(r.sw(), operation)
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

/// What the answer to an empty VERIFY says about a secret: `9000` verified, `63Cx` x tries left,
/// `63C0` / `6984` / `6983` blocked.
fn status_of(sw: StatusWord, operation: &'static str) -> Result<PinStatus, CardError> {
    match (sw.value(), sw.tries_left()) {
        (0x9000, _) => Ok(PinStatus::Verified),
        (_, Some(0)) | (0x6984 | 0x6983, _) => Ok(PinStatus::Blocked),
        (_, Some(n)) => Ok(PinStatus::TriesLeft(n)),
        _ => Err(status_error(sw, operation, "")),
    }
}
