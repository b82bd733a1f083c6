//! Exclusive access: a PC/SC transaction held on the caller's stack, as the [`PcscTransaction`]
//! guard borrowed from the connection.

use kazasu_apdu::{Capabilities, Transport, TransportError};
use pcsc::{Card, Disposition, ShareMode};

use crate::connection::Info;
use crate::wire::{self, Slot, Tracked, Wire};
use crate::{Error, PcscTransport, Result};

/// An exclusive PC/SC transaction on a [`PcscTransport`], ended when dropped (or through
/// [`PcscTransaction::end`]).
///
/// It borrows the connection, so nothing else can use the connection while it is held. It is a
/// [`Transport`], so an [`Exchange`](kazasu_apdu::Exchange) or a card session runs on it unchanged;
/// [`Transport::exclusive`] on it runs on it (the transaction is already held). Resets and PIN use
/// seen through it count for the connection.
pub struct PcscTransaction<'a> {
    transaction: pcsc::Transaction<'a>,
    slot: &'a Slot,
    buffer: &'a mut [u8],
    tracked: &'a mut Tracked,
    info: &'a Info,
}

impl std::fmt::Debug for PcscTransaction<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PcscTransaction")
            .field("reader", &self.info.reader)
            .finish_non_exhaustive()
    }
}

impl PcscTransport {
    /// Starts an exclusive PC/SC transaction that ends when the guard is dropped (or through
    /// [`PcscTransaction::end`]): until then no other program's commands reach the card and nobody
    /// else can reset it.
    ///
    /// If the card was reset by someone else before, the connection is re-established, the
    /// transaction starts anyway and [`Transport::take_reset_event`] reports the reset.
    pub fn transaction(&mut self) -> Result<PcscTransaction<'_>> {
        let PcscTransport {
            info,
            wire,
            tracked,
        } = self;
        let Some(Wire { card, slot, buffer }) = wire else {
            return Err(PcscTransport::disconnected(info));
        };
        let (transaction, reset) = begin(card, slot.share, &slot.reader)?;
        tracked.reset_seen |= reset;
        Ok(PcscTransaction {
            transaction,
            slot,
            buffer,
            tracked,
            info,
        })
    }

    /// Runs `f` inside an exclusive transaction and ends it; a failure to end it is reported when
    /// `f` succeeded.
    ///
    /// ```no_run
    /// use kazasu_apdu::{Command, Exchange};
    /// use kazasu_pcsc::{Options, PcscTransport, ReaderChoice};
    ///
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let mut reader = PcscTransport::connect(&ReaderChoice::FirstWithCard, &Options::default())?;
    /// let sw = reader.with_transaction(|card| {
    ///     let mut ex = Exchange::new(card);
    ///     let jpki = [0xD3, 0x92, 0xF0, 0x00, 0x26, 0x01, 0x00, 0x00, 0x00, 0x01];
    ///     ex.transmit(&Command::new(0x00, 0xA4, 0x04, 0x0C).with_data(jpki.to_vec())?)?;
    ///     ex.transmit(&Command::new(0x00, 0xA4, 0x02, 0x0C).with_data(vec![0x00, 0x18])?)?;
    ///     // An empty VERIFY reads the tries left without spending one.
    ///     Ok::<_, Box<dyn std::error::Error>>(ex.transmit(&Command::new(0x00, 0x20, 0x00, 0x80))?.sw())
    /// })?;
    /// println!("auth PIN: {sw}");
    /// # Ok(()) }
    /// ```
    pub fn with_transaction<R, E>(
        &mut self,
        f: impl FnOnce(&mut PcscTransaction<'_>) -> std::result::Result<R, E>,
    ) -> std::result::Result<R, E>
    where
        E: From<Error>,
    {
        let mut transaction = self.transaction()?;
        let out = f(&mut transaction);
        let ended = transaction.end();
        let value = out?;
        ended?;
        Ok(value)
    }
}

impl PcscTransaction<'_> {
    /// The reader's name.
    pub fn reader(&self) -> &str {
        &self.info.reader
    }

    /// Whether a PIN was presented through the connection (this transaction included).
    pub fn pin_used(&self) -> bool {
        self.tracked.pin_used
    }

    /// Ends the transaction, leaving the card as it is, and reports failures.
    pub fn end(self) -> Result<()> {
        let reader = self.info.reader.as_str();
        // On failure the transaction handed back is dropped, which tries once more.
        self.transaction
            .end(Disposition::LeaveCard)
            .map_err(|(_transaction, e)| Error::from_pcsc(e, "SCardEndTransaction", Some(reader)))
    }
}

impl Transport for PcscTransaction<'_> {
    fn transmit(&mut self, command: &[u8]) -> std::result::Result<Vec<u8>, TransportError> {
        wire::transmit(
            &mut self.transaction,
            self.slot,
            self.buffer,
            self.tracked,
            command,
        )
    }

    fn capabilities(&self) -> Capabilities {
        self.info.capabilities
    }

    fn take_reset_event(&mut self) -> bool {
        std::mem::take(&mut self.tracked.reset_seen)
    }

    fn note_pin_used(&mut self) {
        self.tracked.pin_used = true;
    }
}

/// Starts a transaction; a reset by someone else since the last command is absorbed by
/// reconnecting first (and reported as `true`).
fn begin<'a>(
    card: &'a mut Card,
    share: ShareMode,
    reader: &str,
) -> Result<(pcsc::Transaction<'a>, bool)> {
    let error = |e, operation| Error::from_pcsc(e, operation, Some(reader));
    match card.transaction2() {
        Ok(transaction) => Ok((transaction, false)),
        Err((card, pcsc::Error::ResetCard)) => {
            card.reconnect(share, pcsc::Protocols::ANY, Disposition::LeaveCard)
                .map_err(|e| error(e, "SCardReconnect"))?;
            let transaction = card
                .transaction()
                .map_err(|e| error(e, "SCardBeginTransaction"))?;
            Ok((transaction, true))
        }
        Err((_, e)) => Err(error(e, "SCardBeginTransaction")),
    }
}
