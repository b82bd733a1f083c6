//! The card connection: [`PcscTransport`].

use std::ffi::CString;

use kazasu_apdu::{Capabilities, Transport, TransportError};
use pcsc::{Context, Disposition, Protocol, Protocols, Scope};

use crate::extended::{EXTENDED_MAX_RESPONSE, extended_supported};
use crate::wire::{self, Slot, Tracked, Wire};
use crate::{Error, Options, ReaderChoice, Readers, Result};

/// What the connection was made with.
#[derive(Debug)]
pub(crate) struct Info {
    pub(crate) reader: String,
    pub(crate) atr: Vec<u8>,
    pub(crate) protocol: Option<Protocol>,
    pub(crate) options: Options,
    pub(crate) capabilities: Capabilities,
}

/// A card in a PC/SC reader, behind [`kazasu_apdu::Transport`].
///
/// - Extended APDUs when the reader carries them ([`ExtendedApdus`](crate::ExtendedApdus)), with a
///   response buffer of [`pcsc::MAX_BUFFER_SIZE_EXTENDED`].
/// - A card reset by another program: the next [`transmit`](Transport::transmit) reconnects, returns
///   a [`CardReset`](kazasu_apdu::TransportErrorKind::CardReset) error (the command was not executed)
///   and [`take_reset_event`](Transport::take_reset_event) reports it once, so the layer above
///   re-selects its application and retries.
/// - Exclusive access for a sequence such as SELECT / VERIFY / SIGN, always scoped:
///   [`Transport::exclusive`] (what `kazasu-card` sessions call) runs a closure inside a PC/SC
///   transaction, [`PcscTransport::transaction`] returns a guard that ends it when dropped, and
///   [`PcscTransport::with_transaction`] runs a closure on that guard. While it is held no other
///   program's commands reach the card and nobody else can reset it.
/// - A PIN presented through the connection (VERIFY, CHANGE REFERENCE DATA or RESET RETRY COUNTER
///   with data, JICSAP CHANGE KEY, or [`Transport::note_pin_used`]) makes the drop disconnect by
///   powering the card down (see [`Options::unpower_on_drop_after_pin`]); otherwise the card is left
///   as it is. A warm reset would not do: the card keeps a VERIFY until it loses power.
pub struct PcscTransport {
    pub(crate) info: Info,
    /// `None` only once disconnected.
    pub(crate) wire: Option<Wire>,
    pub(crate) tracked: Tracked,
}

impl std::fmt::Debug for PcscTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = if self.wire.is_some() {
            "connected"
        } else {
            "closed"
        };
        f.debug_struct("PcscTransport")
            .field("reader", &self.info.reader)
            .field("state", &state)
            .field("capabilities", &self.info.capabilities)
            .field("pin_used", &self.tracked.pin_used)
            .finish_non_exhaustive()
    }
}

impl PcscTransport {
    /// Connects to pcscd and to the card `choice` designates, with any protocol.
    ///
    /// To wait for the card first, use [`Readers::wait_for_card`] and then [`Readers::connect`].
    pub fn connect(choice: &ReaderChoice, options: &Options) -> Result<Self> {
        Readers::establish()?.connect(choice, options)
    }

    /// Connects to the card in `reader` through a context of its own (so a wait on another context
    /// never holds up this connection's commands).
    pub(crate) fn connect_reader(reader: &str, options: &Options) -> Result<Self> {
        let context = Context::establish(Scope::User)
            .map_err(|e| Error::from_pcsc(e, "SCardEstablishContext", None))?;
        let name = CString::new(reader).map_err(|_| Error::UnknownReader {
            name: reader.to_owned(),
            available: Vec::new(),
        })?;
        let share = options.share.mode();
        let card = context
            .connect(&name, share, Protocols::ANY)
            .map_err(|e| Error::from_pcsc(e, "SCardConnect", Some(reader)))?;
        let status = card
            .status2_owned()
            .map_err(|e| Error::from_pcsc(e, "SCardStatus", Some(reader)))?;
        let protocol = status.protocol2();
        let extended = extended_supported(&card, reader, protocol, options.extended);
        let capabilities = if extended {
            Capabilities::extended(EXTENDED_MAX_RESPONSE)
        } else {
            Capabilities::short_only()
        };
        tracing::debug!(target: "kazasu_pcsc", reader, ?protocol, extended, "connected");
        Ok(Self {
            info: Info {
                reader: reader.to_owned(),
                atr: status.atr().to_vec(),
                protocol,
                options: options.clone(),
                capabilities,
            },
            wire: Some(Wire {
                card,
                slot: Slot {
                    context,
                    reader: reader.to_owned(),
                    share,
                },
                buffer: vec![0; pcsc::MAX_BUFFER_SIZE_EXTENDED],
            }),
            tracked: Tracked::default(),
        })
    }

    /// The reader's name.
    pub fn reader(&self) -> &str {
        &self.info.reader
    }

    /// The card's ATR when the connection was made.
    pub fn atr(&self) -> &[u8] {
        &self.info.atr
    }

    /// The protocol in use (`T=1` for the My Number Card).
    pub fn protocol(&self) -> Option<Protocol> {
        self.info.protocol
    }

    /// The options the connection was made with.
    pub fn options(&self) -> &Options {
        &self.info.options
    }

    /// Whether a PIN was presented through this connection (so the drop will power the card down
    /// when [`Options::unpower_on_drop_after_pin`] is on).
    pub fn pin_used(&self) -> bool {
        self.tracked.pin_used
    }

    /// Records that a PIN was used (PIN commands are noticed anyway; this is for PINs presented
    /// another way, e.g. on a PIN pad).
    pub fn mark_pin_used(&mut self) {
        self.tracked.pin_used = true;
    }

    pub(crate) fn disconnected(info: &Info) -> Error {
        Error::Disconnected {
            reader: info.reader.clone(),
        }
    }

    /// Warm-resets the card now (`SCARD_RESET_CARD`) and stays connected: selections are lost, but
    /// a My Number Card keeps its verified PINs (a VERIFY lasts until the card loses power; see
    /// [`PcscTransport::unpower_card`]). Other connections see the reset on their next command.
    pub fn reset_card(&mut self) -> Result<()> {
        self.reconnect_with(Disposition::ResetCard)
    }

    /// Powers the card down and up again (`SCARD_UNPOWER_CARD`) and stays connected: verified PINs
    /// are cleared, selections lost. Other connections see a reset on their next command.
    pub fn unpower_card(&mut self) -> Result<()> {
        self.reconnect_with(Disposition::UnpowerCard)?;
        self.tracked.pin_used = false;
        Ok(())
    }

    fn reconnect_with(&mut self, disposition: Disposition) -> Result<()> {
        let Some(wire) = &mut self.wire else {
            return Err(Self::disconnected(&self.info));
        };
        wire.card
            .reconnect(wire.slot.share, Protocols::ANY, disposition)
            .map_err(|e| Error::from_pcsc(e, "SCardReconnect", Some(&self.info.reader)))
    }

    /// Disconnects, reporting failures (dropping disconnects too, silently). The card is powered
    /// down if a PIN was used and [`Options::unpower_on_drop_after_pin`] is on, and left as it is
    /// otherwise.
    pub fn disconnect(mut self) -> Result<()> {
        self.close()
    }

    fn close(&mut self) -> Result<()> {
        let Some(wire) = self.wire.take() else {
            return Ok(());
        };
        let disposition = if self.tracked.pin_used && self.info.options.unpower_on_drop_after_pin {
            Disposition::UnpowerCard
        } else {
            Disposition::LeaveCard
        };
        tracing::debug!(target: "kazasu_pcsc", reader = %self.info.reader, ?disposition, "disconnecting");
        match wire.card.disconnect(disposition) {
            Ok(()) => Ok(()),
            // Dropping the card handed back disconnects it with a reset (pcsc's default), the
            // best still possible.
            Err((_card, e)) => Err(Error::from_pcsc(
                e,
                "SCardDisconnect",
                Some(&self.info.reader),
            )),
        }
    }
}

impl Drop for PcscTransport {
    fn drop(&mut self) {
        if let Err(e) = self.close() {
            tracing::debug!(target: "kazasu_pcsc", error = %e, "disconnect failed");
        }
    }
}

impl Transport for PcscTransport {
    fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
        let Some(Wire { card, slot, buffer }) = &mut self.wire else {
            return Err(Self::disconnected(&self.info).into());
        };
        wire::transmit(card, slot, buffer, &mut self.tracked, command)
    }

    fn capabilities(&self) -> Capabilities {
        self.info.capabilities
    }

    fn take_reset_event(&mut self) -> bool {
        std::mem::take(&mut self.tracked.reset_seen)
    }

    /// Holds a PC/SC transaction ([`PcscTransport::transaction`]) while `f` runs on it, then ends
    /// it, leaving the card as it is. A failure to end it is only logged: the card session's next
    /// command reports what happened to the card.
    fn run_exclusive(
        &mut self,
        f: &mut dyn FnMut(&mut dyn Transport),
    ) -> Result<(), TransportError> {
        let mut transaction = self.transaction()?;
        f(&mut transaction);
        if let Err(e) = transaction.end() {
            tracing::debug!(target: "kazasu_pcsc", error = %e, "ending the transaction failed");
        }
        Ok(())
    }

    fn note_pin_used(&mut self) {
        self.tracked.pin_used = true;
    }
}
