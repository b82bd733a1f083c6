//! The card connection: [`PcscTransport`] and the exclusive [`PcscTransaction`].

use std::ffi::CString;
use std::sync::mpsc::{self, Receiver, Sender};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use kazasu_apdu::{Capabilities, Transport, TransportError};
use pcsc::{
    Attribute, Card, Context, Disposition, Protocol, Protocols, ReaderState, Scope, ShareMode,
    State,
};

use crate::{Error, ReaderChoice, Readers, Result};

/// The longest command a short APDU can be (header, Lc, 255 data bytes, Le): a reader that reports
/// this or less through `SCARD_ATTR_MAXINPUT` cannot carry extended APDUs.
const SHORT_APDU_MAX: u32 = 261;

/// Largest response data one extended exchange can return.
const EXTENDED_MAX_RESPONSE: usize = 65_536;

/// Readers known to carry short APDUs only, by a part of their name (for drivers that do not report
/// `SCARD_ATTR_MAXINPUT`).
const SHORT_ONLY_READERS: &[&str] = &["ACR122"];

/// Whether to use extended-length APDUs.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default)]
#[non_exhaustive]
pub enum ExtendedApdus {
    /// Extended unless the reader says it cannot carry them (`SCARD_ATTR_MAXINPUT` ≤ 261 bytes, a
    /// known short-only reader such as the ACS ACR122U, or a T=0 connection).
    #[default]
    Auto,
    /// Always extended.
    On,
    /// Short APDUs only: the layers above read in 256-byte chunks.
    Off,
}

/// How the connection shares the card with other programs.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default)]
#[non_exhaustive]
pub enum Share {
    /// Others may connect too; hold a [`PcscTransaction`] for sequences that must not be interleaved.
    #[default]
    Shared,
    /// Nobody else may connect while this connection lives (they get a sharing violation).
    Exclusive,
}

impl Share {
    fn mode(self) -> ShareMode {
        match self {
            Share::Shared => ShareMode::Shared,
            Share::Exclusive => ShareMode::Exclusive,
        }
    }
}

/// How to connect.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
#[non_exhaustive]
pub struct Options {
    /// After a PIN was presented through this connection, disconnect by powering the card down
    /// (`SCARD_UNPOWER_CARD`) so the verified state does not outlive the session (default `true`).
    /// The card keeps a VERIFY until it loses power: a warm reset (`SCARD_RESET_CARD`), dropping
    /// the connection or reconnecting leave it verified, and pcscd keeps a card powered for a while
    /// after the last client leaves, so without the power-down the next program would find the PIN
    /// still verified.
    pub unpower_on_drop_after_pin: bool,
    /// Extended APDUs or not.
    pub extended: ExtendedApdus,
    /// Shared or exclusive.
    pub share: Share,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            unpower_on_drop_after_pin: true,
            extended: ExtendedApdus::Auto,
            share: Share::Shared,
        }
    }
}

impl Options {
    /// The defaults: shared, extended APDUs when the reader carries them, power-down after PIN use.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets [`Options::unpower_on_drop_after_pin`].
    #[must_use]
    pub fn unpower_on_drop_after_pin(mut self, on: bool) -> Self {
        self.unpower_on_drop_after_pin = on;
        self
    }

    /// Sets [`Options::extended`].
    #[must_use]
    pub fn extended(mut self, extended: ExtendedApdus) -> Self {
        self.extended = extended;
        self
    }

    /// Sets [`Options::share`].
    #[must_use]
    pub fn share(mut self, share: Share) -> Self {
        self.share = share;
        self
    }
}

/// Where the card is: the reader, the context the connection was made through, the share mode.
struct Slot {
    context: Context,
    reader: String,
    share: ShareMode,
}

/// The card handle and its response buffer. The connection owns it; while a transaction is held,
/// the worker thread that holds the transaction owns it and gives it back when the transaction ends.
struct Wire {
    card: Card,
    slot: Slot,
    buffer: Vec<u8>,
}

/// What one exchange gave, and whether the card turned out to have been reset by someone else.
struct Outcome {
    result: Result<Vec<u8>>,
    reset: bool,
}

/// How long a failed exchange waits for pcscd to notice that the card left (pcscd polls some
/// readers, vpcd's among them, a few times a second).
const REMOVAL_SETTLE: Duration = Duration::from_secs(2);

/// Sends one APDU on `card` (the handle, or a transaction on it). A reset by someone else is reported
/// as `Err(None)`: the caller reconnects with what it holds.
fn send(
    card: &Card,
    slot: &Slot,
    buffer: &mut [u8],
    command: &[u8],
) -> std::result::Result<Vec<u8>, Option<Error>> {
    match card.transmit(command, buffer) {
        Ok(response) if response.len() >= 2 => Ok(response.to_vec()),
        // No status word: the card (or the link to it) went away mid-exchange.
        Ok(_) => Err(Some(diagnose(card, slot, None))),
        Err(pcsc::Error::ResetCard) => Err(None),
        Err(e) => Err(Some(diagnose(card, slot, Some(e)))),
    }
}

/// Turns a failed exchange into what happened to the card. pcscd reports a card pulled mid-exchange
/// as `RemovedCard` only once it has noticed; before that a driver may answer with nothing or with a
/// communication failure. So unless the failure says what it is, look at the reader, giving pcscd a
/// moment to notice a removal: a card that left is [`Error::CardRemoved`], whatever the first report.
fn diagnose(card: &Card, slot: &Slot, cause: Option<pcsc::Error>) -> Error {
    let reader = slot.reader.as_str();
    let mapped = match cause {
        Some(e) => Error::from_pcsc(e, "SCardTransmit", Some(reader)),
        None => Error::NoResponse {
            reader: reader.to_owned(),
        },
    };
    if !matches!(
        mapped,
        Error::Pcsc { .. } | Error::CardUnresponsive { .. } | Error::NoResponse { .. }
    ) {
        return mapped;
    }
    let removed = match card.status2_owned() {
        Err(pcsc::Error::RemovedCard | pcsc::Error::NoSmartcard) => true,
        Ok(status) if status.status().contains(pcsc::Status::ABSENT) => true,
        _ => card_leaves(&slot.context, reader, REMOVAL_SETTLE),
    };
    if removed {
        Error::CardRemoved {
            reader: reader.to_owned(),
        }
    } else {
        mapped
    }
}

/// Whether the reader is empty now or becomes empty within `settle`.
fn card_leaves(context: &Context, reader: &str, settle: Duration) -> bool {
    let Ok(name) = CString::new(reader) else {
        return false;
    };
    let mut states = [ReaderState::new(name, State::UNAWARE)];
    let deadline = Instant::now() + settle;
    let mut wait = Duration::ZERO;
    loop {
        match context.get_status_change(wait, &mut states) {
            Ok(()) => {}
            Err(pcsc::Error::UnknownReader | pcsc::Error::ReaderUnavailable) => return true,
            Err(_) => return false,
        }
        let [state] = &mut states;
        let event = state.event_state();
        if event.intersects(State::EMPTY | State::UNKNOWN | State::UNAVAILABLE) {
            return true;
        }
        state.sync_current_state();
        wait = deadline.saturating_duration_since(Instant::now());
        if wait.is_zero() {
            return false;
        }
    }
}

/// The outcome of an exchange that met a reset: the result of reconnecting, leaving the card as is.
fn after_reset(reconnected: std::result::Result<(), pcsc::Error>, reader: &str) -> Outcome {
    let error = match reconnected {
        Ok(()) => {
            tracing::debug!(target: "kazasu_pcsc", reader, "card reset by another program; reconnected");
            Error::CardReset {
                reader: reader.to_owned(),
            }
        }
        Err(e) => Error::from_pcsc(e, "SCardReconnect", Some(reader)),
    };
    Outcome {
        result: Err(error),
        reset: true,
    }
}

impl Outcome {
    fn of(
        sent: std::result::Result<Vec<u8>, Option<Error>>,
        reconnect: impl FnOnce() -> std::result::Result<(), pcsc::Error>,
        reader: &str,
    ) -> Self {
        match sent {
            Ok(response) => Outcome {
                result: Ok(response),
                reset: false,
            },
            Err(Some(e)) => Outcome {
                result: Err(e),
                reset: false,
            },
            Err(None) => after_reset(reconnect(), reader),
        }
    }
}

impl Wire {
    fn transmit(&mut self, command: &[u8]) -> Outcome {
        let Wire { card, slot, buffer } = self;
        let sent = send(card, slot, buffer, command);
        Outcome::of(
            sent,
            || card.reconnect(slot.share, Protocols::ANY, Disposition::LeaveCard),
            &slot.reader,
        )
    }

    fn reset(&mut self, disposition: Disposition) -> Result<()> {
        self.card
            .reconnect(self.slot.share, Protocols::ANY, disposition)
            .map_err(|e| Error::from_pcsc(e, "SCardReconnect", Some(&self.slot.reader)))
    }
}

enum Request {
    Transmit(Vec<u8>),
    /// Reconnect with this disposition (`ResetCard` or `UnpowerCard`).
    Reset(Disposition),
    End,
}

enum Reply {
    /// The transaction started; `true` if the card had been reset by someone else before.
    Began(Result<bool>),
    Transmitted(Outcome),
    Reset(Result<()>),
    Ended(Result<()>),
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
        Ok(tx) => Ok((tx, false)),
        Err((card, pcsc::Error::ResetCard)) => {
            card.reconnect(share, Protocols::ANY, Disposition::LeaveCard)
                .map_err(|e| error(e, "SCardReconnect"))?;
            let tx = card
                .transaction()
                .map_err(|e| error(e, "SCardBeginTransaction"))?;
            Ok((tx, true))
        }
        Err((_, e)) => Err(error(e, "SCardBeginTransaction")),
    }
}

/// The worker thread: holds a PC/SC transaction on the card and runs the connection's commands
/// through it until told to end (or the connection goes away), then hands the card back.
///
/// `pcsc::Transaction` borrows the card, so it cannot live next to the card in one struct without
/// `unsafe`; holding it on this thread's stack keeps the code safe while the transaction spans
/// separate `begin_exclusive` / `end_exclusive` calls.
fn hold(mut wire: Wire, requests: &Receiver<Request>, replies: &Sender<Reply>) -> Wire {
    serve_transaction(&mut wire, requests, replies);
    wire
}

fn serve_transaction(wire: &mut Wire, requests: &Receiver<Request>, replies: &Sender<Reply>) {
    let Wire { card, slot, buffer } = wire;
    let (share, reader) = (slot.share, slot.reader.as_str());
    let (mut tx, reset) = match begin(card, share, reader) {
        Ok(began) => began,
        Err(e) => {
            let _ = replies.send(Reply::Began(Err(e)));
            return;
        }
    };
    if replies.send(Reply::Began(Ok(reset))).is_ok() {
        while let Ok(request) = requests.recv() {
            let reply = match request {
                Request::Transmit(command) => {
                    let sent = send(&tx, slot, buffer, &command);
                    Reply::Transmitted(Outcome::of(
                        sent,
                        || tx.reconnect(share, Protocols::ANY, Disposition::LeaveCard),
                        reader,
                    ))
                }
                Request::Reset(disposition) => Reply::Reset(
                    tx.reconnect(share, Protocols::ANY, disposition)
                        .map_err(|e| Error::from_pcsc(e, "SCardReconnect", Some(reader))),
                ),
                Request::End => break,
            };
            if replies.send(reply).is_err() {
                break;
            }
        }
    }
    let ended = tx
        .end(Disposition::LeaveCard)
        .map_err(|(_tx, e)| Error::from_pcsc(e, "SCardEndTransaction", Some(reader)));
    let _ = replies.send(Reply::Ended(ended));
}

/// The thread holding a transaction, and the channels to it.
struct Worker {
    requests: Sender<Request>,
    replies: Receiver<Reply>,
    thread: JoinHandle<Wire>,
}

enum Conn {
    Direct(Wire),
    Exclusive(Worker),
    Closed,
}

/// What the connection was made with.
#[derive(Debug)]
struct Info {
    reader: String,
    atr: Vec<u8>,
    protocol: Option<Protocol>,
    options: Options,
    capabilities: Capabilities,
}

/// A card in a PC/SC reader, behind [`kazasu_apdu::Transport`].
///
/// - Extended APDUs when the reader carries them ([`ExtendedApdus`]), with a response buffer of
///   [`pcsc::MAX_BUFFER_SIZE_EXTENDED`].
/// - A card reset by another program: the next [`transmit`](Transport::transmit) reconnects, returns
///   a [`CardReset`](kazasu_apdu::TransportErrorKind::CardReset) error (the command was not executed)
///   and [`take_reset_event`](Transport::take_reset_event) reports it once, so the layer above
///   re-selects its application and retries.
/// - Exclusive access for a sequence such as SELECT / VERIFY / SIGN: [`Transport::begin_exclusive`] /
///   [`Transport::end_exclusive`] (what `kazasu-card` sessions call), or [`PcscTransport::transaction`]
///   (a guard) and [`PcscTransport::with_transaction`] (a closure). While it is held no other
///   program's commands reach the card and nobody else can reset it. The PC/SC transaction is held by
///   a helper thread for its duration, which owns the card handle meanwhile (see the crate docs).
/// - A PIN presented through the connection (VERIFY, CHANGE REFERENCE DATA or RESET RETRY COUNTER
///   with data, JICSAP CHANGE KEY, or [`Transport::note_pin_used`]) makes the drop disconnect by
///   powering the card down (see [`Options::unpower_on_drop_after_pin`]); otherwise the card is left
///   as it is. A warm reset would not do: the card keeps a VERIFY until it loses power.
pub struct PcscTransport {
    info: Info,
    conn: Conn,
    reset_seen: bool,
    pin_used: bool,
    depth: usize,
}

impl std::fmt::Debug for PcscTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let conn = match self.conn {
            Conn::Direct(_) => "connected",
            Conn::Exclusive(_) => "in a transaction",
            Conn::Closed => "closed",
        };
        f.debug_struct("PcscTransport")
            .field("reader", &self.info.reader)
            .field("state", &conn)
            .field("capabilities", &self.info.capabilities)
            .field("pin_used", &self.pin_used)
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
            conn: Conn::Direct(Wire {
                card,
                slot: Slot {
                    context,
                    reader: reader.to_owned(),
                    share,
                },
                buffer: vec![0; pcsc::MAX_BUFFER_SIZE_EXTENDED],
            }),
            reset_seen: false,
            pin_used: false,
            depth: 0,
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
        self.pin_used
    }

    /// Records that a PIN was used (PIN commands are noticed anyway; this is for PINs presented
    /// another way, e.g. on a PIN pad).
    pub fn mark_pin_used(&mut self) {
        self.pin_used = true;
    }

    /// Whether an exclusive transaction is held.
    pub fn in_transaction(&self) -> bool {
        self.depth > 0
    }

    fn disconnected(&self) -> Error {
        Error::Disconnected {
            reader: self.info.reader.clone(),
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
        let result = self.reconnect_with(Disposition::UnpowerCard);
        if result.is_ok() {
            self.pin_used = false;
        }
        result
    }

    fn reconnect_with(&mut self, disposition: Disposition) -> Result<()> {
        match &mut self.conn {
            Conn::Direct(wire) => wire.reset(disposition),
            Conn::Exclusive(worker) => match worker.ask(Request::Reset(disposition)) {
                Some(Reply::Reset(result)) => result,
                _ => Err(self.lost_worker()),
            },
            Conn::Closed => Err(self.disconnected()),
        }
    }

    /// Starts an exclusive PC/SC transaction (nested calls are counted): until the matching
    /// [`end_transaction`](PcscTransport::end_transaction), no other program's commands reach the
    /// card and nobody else can reset it.
    ///
    /// If the card was reset by someone else before, the connection is re-established, the
    /// transaction starts anyway and [`Transport::take_reset_event`] reports the reset.
    pub fn begin_transaction(&mut self) -> Result<()> {
        if self.depth > 0 {
            self.depth += 1;
            return Ok(());
        }
        let wire = match std::mem::replace(&mut self.conn, Conn::Closed) {
            Conn::Direct(wire) => wire,
            other => {
                self.conn = other;
                return Err(self.disconnected());
            }
        };
        let (requests, worker_requests) = mpsc::channel();
        let (worker_replies, replies) = mpsc::channel();
        let thread = std::thread::Builder::new()
            .name("kazasu-pcsc-transaction".into())
            .spawn(move || hold(wire, &worker_requests, &worker_replies))
            .map_err(|source| Error::Thread { source })?;
        let worker = Worker {
            requests,
            replies,
            thread,
        };
        match worker.replies.recv() {
            Ok(Reply::Began(Ok(reset))) => {
                self.reset_seen |= reset;
                self.conn = Conn::Exclusive(worker);
                self.depth = 1;
                Ok(())
            }
            Ok(Reply::Began(Err(e))) => {
                if let Ok(wire) = worker.thread.join() {
                    self.conn = Conn::Direct(wire);
                }
                Err(e)
            }
            _ => {
                self.conn = Conn::Exclusive(worker);
                Err(self.lost_worker())
            }
        }
    }

    /// Ends the transaction [`begin_transaction`](PcscTransport::begin_transaction) started (the
    /// outermost one, when nested), leaving the card as it is.
    pub fn end_transaction(&mut self) -> Result<()> {
        match self.depth {
            0 => return Ok(()),
            1 => {}
            _ => {
                self.depth -= 1;
                return Ok(());
            }
        }
        self.depth = 0;
        let worker = match std::mem::replace(&mut self.conn, Conn::Closed) {
            Conn::Exclusive(worker) => worker,
            other => {
                self.conn = other;
                return Ok(());
            }
        };
        let ended = match worker.ask(Request::End) {
            Some(Reply::Ended(result)) => result,
            _ => Err(self.disconnected()),
        };
        match worker.thread.join() {
            Ok(wire) => self.conn = Conn::Direct(wire),
            Err(_) => return Err(self.disconnected()),
        }
        ended
    }

    /// The transaction thread is gone (it can only panic inside the `pcsc` crate): the card handle
    /// went with it, so the connection is closed.
    fn lost_worker(&mut self) -> Error {
        if let Conn::Exclusive(worker) = std::mem::replace(&mut self.conn, Conn::Closed) {
            drop(worker.requests);
            if let Ok(wire) = worker.thread.join() {
                self.conn = Conn::Direct(wire);
            }
        }
        self.depth = 0;
        self.disconnected()
    }

    /// Starts an exclusive transaction that ends when the guard is dropped (or through
    /// [`PcscTransaction::end`]). The guard is a [`Transport`] and dereferences to the connection.
    pub fn transaction(&mut self) -> Result<PcscTransaction<'_>> {
        self.begin_transaction()?;
        Ok(PcscTransaction {
            transport: self,
            open: true,
        })
    }

    /// Runs `f` inside an exclusive transaction and ends it.
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
        f: impl FnOnce(&mut PcscTransport) -> std::result::Result<R, E>,
    ) -> std::result::Result<R, E>
    where
        E: From<Error>,
    {
        self.begin_transaction()?;
        let out = f(self);
        let ended = self.end_transaction();
        let value = out?;
        ended?;
        Ok(value)
    }

    /// Disconnects, reporting failures (dropping disconnects too, silently). The card is powered
    /// down if a PIN was used and [`Options::unpower_on_drop_after_pin`] is on, and left as it is
    /// otherwise.
    pub fn disconnect(mut self) -> Result<()> {
        self.close()
    }

    fn close(&mut self) -> Result<()> {
        if self.depth > 0 {
            self.depth = 1;
            if let Err(e) = self.end_transaction() {
                tracing::debug!(target: "kazasu_pcsc", error = %e, "ending the transaction failed");
            }
        }
        let Conn::Direct(wire) = std::mem::replace(&mut self.conn, Conn::Closed) else {
            return Ok(());
        };
        let disposition = if self.pin_used && self.info.options.unpower_on_drop_after_pin {
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

impl Worker {
    /// Sends a request and waits for its reply; `None` if the thread is gone.
    fn ask(&self, request: Request) -> Option<Reply> {
        self.requests.send(request).ok()?;
        self.replies.recv().ok()
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
        if presents_pin(command) {
            self.pin_used = true;
        }
        let outcome = match &mut self.conn {
            Conn::Direct(wire) => wire.transmit(command),
            Conn::Exclusive(worker) => match worker.ask(Request::Transmit(command.to_vec())) {
                Some(Reply::Transmitted(outcome)) => outcome,
                _ => return Err(self.lost_worker().into()),
            },
            Conn::Closed => return Err(self.disconnected().into()),
        };
        self.reset_seen |= outcome.reset;
        outcome.result.map_err(TransportError::from)
    }

    fn capabilities(&self) -> Capabilities {
        self.info.capabilities
    }

    fn take_reset_event(&mut self) -> bool {
        std::mem::take(&mut self.reset_seen)
    }

    fn begin_exclusive(&mut self) -> Result<(), TransportError> {
        self.begin_transaction().map_err(TransportError::from)
    }

    fn end_exclusive(&mut self) {
        if let Err(e) = self.end_transaction() {
            tracing::debug!(target: "kazasu_pcsc", error = %e, "ending the transaction failed");
        }
    }

    fn note_pin_used(&mut self) {
        self.pin_used = true;
    }
}

/// An exclusive transaction on a [`PcscTransport`], ended when dropped (or through
/// [`PcscTransaction::end`]). It is a [`Transport`] and dereferences to the connection, so a card
/// session runs on it unchanged.
pub struct PcscTransaction<'a> {
    transport: &'a mut PcscTransport,
    open: bool,
}

impl std::fmt::Debug for PcscTransaction<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PcscTransaction")
            .field("reader", &self.transport.info.reader)
            .finish_non_exhaustive()
    }
}

impl PcscTransaction<'_> {
    /// Ends the transaction, leaving the card as it is, and reports failures.
    pub fn end(mut self) -> Result<()> {
        self.open = false;
        self.transport.end_transaction()
    }
}

impl Drop for PcscTransaction<'_> {
    fn drop(&mut self) {
        if self.open {
            self.transport.end_exclusive();
        }
    }
}

impl std::ops::Deref for PcscTransaction<'_> {
    type Target = PcscTransport;

    fn deref(&self) -> &PcscTransport {
        self.transport
    }
}

impl std::ops::DerefMut for PcscTransaction<'_> {
    fn deref_mut(&mut self) -> &mut PcscTransport {
        self.transport
    }
}

impl Transport for PcscTransaction<'_> {
    fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
        self.transport.transmit(command)
    }

    fn capabilities(&self) -> Capabilities {
        self.transport.capabilities()
    }

    fn take_reset_event(&mut self) -> bool {
        self.transport.take_reset_event()
    }

    fn begin_exclusive(&mut self) -> Result<(), TransportError> {
        Transport::begin_exclusive(self.transport)
    }

    fn end_exclusive(&mut self) {
        Transport::end_exclusive(self.transport);
    }

    fn note_pin_used(&mut self) {
        self.transport.pin_used = true;
    }
}

/// Whether a command presents a PIN: VERIFY, CHANGE REFERENCE DATA, RESET RETRY COUNTER or JICSAP
/// CHANGE KEY (`80 32`) with command data (6 bytes or more), in clear or under secure messaging. An empty VERIFY only reads the retry counter. `FF` is the class of
/// reader pseudo-APDUs.
fn presents_pin(command: &[u8]) -> bool {
    match command {
        [cla, ins, _, _, _, _, ..] if *cla != 0xFF => {
            matches!(ins, 0x20 | 0x21 | 0x24 | 0x2C) || (*cla == 0x80 && *ins == 0x32)
        }
        _ => false,
    }
}

/// Whether extended APDUs reach the card through this reader.
fn extended_supported(
    card: &Card,
    reader: &str,
    protocol: Option<Protocol>,
    choice: ExtendedApdus,
) -> bool {
    match choice {
        ExtendedApdus::On => true,
        ExtendedApdus::Off => false,
        ExtendedApdus::Auto => {
            if protocol == Some(Protocol::T0) {
                return false;
            }
            if SHORT_ONLY_READERS.iter().any(|r| reader.contains(r)) {
                return false;
            }
            match card.get_attribute_owned(Attribute::Maxinput) {
                Ok(raw) => match raw.get(..4).and_then(|b| <[u8; 4]>::try_from(b).ok()) {
                    Some(bytes) => {
                        let max = u32::from_le_bytes(bytes);
                        max == 0 || max > SHORT_APDU_MAX
                    }
                    None => true,
                },
                Err(_) => true,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_unpower_after_pin_share_and_pick_extended_automatically() {
        let o = Options::default();
        assert!(o.unpower_on_drop_after_pin);
        assert_eq!(o.share, Share::Shared);
        assert_eq!(o.extended, ExtendedApdus::Auto);
        let o = Options::new()
            .unpower_on_drop_after_pin(false)
            .share(Share::Exclusive)
            .extended(ExtendedApdus::Off);
        assert!(!o.unpower_on_drop_after_pin);
        assert_eq!(o.share.mode(), ShareMode::Exclusive);
    }

    #[test]
    fn pin_commands_are_noticed() {
        // VERIFY "1234" on the current EF.
        assert!(presents_pin(&[
            0x00, 0x20, 0x00, 0x80, 0x04, 0x31, 0x32, 0x33, 0x34
        ]));
        // CHANGE REFERENCE DATA, RESET RETRY COUNTER.
        assert!(presents_pin(&[0x00, 0x24, 0x01, 0x80, 0x01, 0x31]));
        assert!(presents_pin(&[0x00, 0x2C, 0x00, 0x80, 0x01, 0x31]));
        // JICSAP CHANGE KEY, and VERIFY under secure messaging (class 08).
        assert!(presents_pin(&[0x80, 0x32, 0x00, 0x91, 0x01, 0x31]));
        assert!(presents_pin(&[0x08, 0x20, 0x00, 0x95, 0x13, 0x86]));
        // An empty VERIFY only reads the tries left.
        assert!(!presents_pin(&[0x00, 0x20, 0x00, 0x80]));
        assert!(!presents_pin(&[0x00, 0x20, 0x00, 0x80, 0x00]));
        // READ BINARY, and a reader pseudo-APDU.
        assert!(!presents_pin(&[0x00, 0xB0, 0x00, 0x00, 0x00]));
        assert!(!presents_pin(&[0xFF, 0x20, 0x00, 0x00, 0x01, 0x00]));
    }
}
