//! A session with the card: the exchange loop, what is selected, what is verified, resets, and
//! exclusive access. The operations live in submodules by what they do.

mod read;
mod secrets;
mod sign;
mod status;

use kazasu_apdu::{
    ApduError, Command, Exchange, ExchangeStats, Response, Transport, TransportErrorKind,
};

use crate::CardError;

pub use secrets::{LastTry, PinStatus};
use status::expect_ok;
pub(crate) use status::status_error;

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

    /// The application this session last selected, if it knows.
    pub(crate) fn selected_ap(&self) -> Option<&[u8]> {
        self.ap.as_deref()
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
