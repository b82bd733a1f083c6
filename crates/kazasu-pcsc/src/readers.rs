//! Readers: listing them, choosing one, and waiting for a card to arrive or leave.

use std::ffi::CString;
use std::time::{Duration, Instant};

use pcsc::{Context, ReaderState, Scope, State};

use crate::{Error, Result};
use crate::{Options, PcscTransport};

/// One reader as pcscd sees it.
#[derive(Clone, PartialEq, Eq, Debug)]
#[non_exhaustive]
pub struct ReaderInfo {
    /// The reader's name, e.g. `Virtual PCD 00 00` or `SONY FeliCa Port/PaSoRi 4.0 00 00`.
    pub name: String,
    /// Whether a card is in (or on) the reader.
    pub has_card: bool,
    /// The card's ATR, when a card is present and answered.
    pub atr: Option<Vec<u8>>,
    /// The card is present but does not answer (mute).
    pub mute: bool,
    /// Another connection uses the card.
    pub in_use: bool,
    /// Another connection holds the card exclusively.
    pub exclusive: bool,
}

impl ReaderInfo {
    fn from_state(state: &ReaderState) -> Self {
        let event = state.event_state();
        let has_card = event.contains(State::PRESENT);
        let atr = (has_card && !state.atr().is_empty()).then(|| state.atr().to_vec());
        Self {
            name: state.name().to_string_lossy().into_owned(),
            has_card,
            atr,
            mute: event.contains(State::MUTE),
            in_use: event.contains(State::INUSE),
            exclusive: event.contains(State::EXCLUSIVE),
        }
    }

    /// A card that can be talked to: present and not mute.
    pub fn has_usable_card(&self) -> bool {
        self.has_card && !self.mute
    }
}

/// Which reader to use.
#[derive(Clone, PartialEq, Eq, Debug, Default)]
#[non_exhaustive]
pub enum ReaderChoice {
    /// The reader with exactly this name or, failing that, the only reader whose name contains it
    /// (case-insensitive), so `--reader PaSoRi` works.
    Named(String),
    /// The first reader, in pcscd's order, that holds a card.
    #[default]
    FirstWithCard,
}

impl ReaderChoice {
    /// [`ReaderChoice::Named`] if a name is given, otherwise [`ReaderChoice::FirstWithCard`].
    pub fn from_option(name: Option<&str>) -> Self {
        match name {
            Some(n) => ReaderChoice::Named(n.to_owned()),
            None => ReaderChoice::FirstWithCard,
        }
    }

    /// Resolves a name against the readers present: `Ok(None)` when nothing matches.
    fn resolve<'a>(name: &str, names: &'a [String]) -> Result<Option<&'a String>> {
        if let Some(exact) = names.iter().find(|n| *n == name) {
            return Ok(Some(exact));
        }
        let needle = name.to_lowercase();
        let matches: Vec<&String> = names
            .iter()
            .filter(|n| n.to_lowercase().contains(&needle))
            .collect();
        match matches.as_slice() {
            [] => Ok(None),
            [one] => Ok(Some(*one)),
            many => Err(Error::AmbiguousReader {
                name: name.to_owned(),
                matches: many.iter().map(|s| (*s).clone()).collect(),
            }),
        }
    }
}

/// Cancels a wait running on another thread (e.g. on Ctrl-C); the wait returns [`Error::Cancelled`].
#[derive(Clone)]
pub struct Canceller {
    context: Context,
}

impl std::fmt::Debug for Canceller {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Canceller").finish_non_exhaustive()
    }
}

impl Canceller {
    /// Makes the current (or next) wait of the [`Readers`] it came from return [`Error::Cancelled`].
    pub fn cancel(&self) -> Result<()> {
        self.context
            .cancel()
            .map_err(|e| Error::from_pcsc(e, "SCardCancel", None))
    }
}

/// A connection to the PC/SC service (pcscd): lists readers, waits for cards, connects.
pub struct Readers {
    context: Context,
}

impl std::fmt::Debug for Readers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Readers").finish_non_exhaustive()
    }
}

/// How long one `SCardGetStatusChange` waits when pcscd cannot report reader hot-plugging, before
/// the reader list is read again.
const REPOLL: Duration = Duration::from_millis(500);

impl Readers {
    /// Connects to pcscd. Fails with [`Error::ServiceUnavailable`] when it is not running.
    pub fn establish() -> Result<Self> {
        let context = Context::establish(Scope::User)
            .map_err(|e| Error::from_pcsc(e, "SCardEstablishContext", None))?;
        Ok(Self { context })
    }

    /// A handle that cancels this context's waits from another thread.
    pub fn canceller(&self) -> Canceller {
        Canceller {
            context: self.context.clone(),
        }
    }

    /// The names of the readers pcscd knows (empty when there are none).
    pub fn names(&self) -> Result<Vec<String>> {
        match self.context.list_readers_owned() {
            Ok(names) => Ok(names
                .iter()
                .map(|n| n.to_string_lossy().into_owned())
                .collect()),
            Err(pcsc::Error::NoReadersAvailable) => Ok(Vec::new()),
            Err(e) => Err(Error::from_pcsc(e, "SCardListReaders", None)),
        }
    }

    /// Every reader, with whether it holds a card and the card's ATR.
    pub fn list(&self) -> Result<Vec<ReaderInfo>> {
        // A reader can vanish between listing and asking for its state; list again then.
        let mut attempts = 0;
        loop {
            let names = self.names()?;
            if names.is_empty() {
                return Ok(Vec::new());
            }
            let mut states = unaware_states(&names)?;
            match self.context.get_status_change(Duration::ZERO, &mut states) {
                Ok(()) => return Ok(states.iter().map(ReaderInfo::from_state).collect()),
                Err(pcsc::Error::UnknownReader | pcsc::Error::ReaderUnavailable)
                    if attempts < 3 =>
                {
                    attempts += 1;
                }
                Err(e) => return Err(Error::from_pcsc(e, "SCardGetStatusChange", None)),
            }
        }
    }

    /// The reader `choice` designates, as it is now: no waiting.
    ///
    /// [`ReaderChoice::FirstWithCard`] fails with [`Error::NoCard`] when no reader holds a card, and
    /// [`ReaderChoice::Named`] with [`Error::UnknownReader`] when no reader has that name.
    pub fn find(&self, choice: &ReaderChoice) -> Result<ReaderInfo> {
        let readers = self.list()?;
        if readers.is_empty() {
            return Err(Error::NoReaders);
        }
        match choice {
            ReaderChoice::Named(name) => {
                let names: Vec<String> = readers.iter().map(|r| r.name.clone()).collect();
                let found = ReaderChoice::resolve(name, &names)?.cloned();
                match found {
                    Some(found) => {
                        readers
                            .into_iter()
                            .find(|r| r.name == found)
                            .ok_or(Error::UnknownReader {
                                name: name.clone(),
                                available: names,
                            })
                    }
                    None => Err(Error::UnknownReader {
                        name: name.clone(),
                        available: names,
                    }),
                }
            }
            ReaderChoice::FirstWithCard => readers
                .into_iter()
                .find(ReaderInfo::has_usable_card)
                .ok_or(Error::NoCard { reader: None }),
        }
    }

    /// Connects to the card in the reader `choice` designates (no waiting; see [`Readers::wait_for_card`]).
    pub fn connect(&self, choice: &ReaderChoice, options: &Options) -> Result<PcscTransport> {
        let reader = self.find(choice)?;
        PcscTransport::connect_reader(&reader.name, options)
    }

    /// Waits up to `timeout` until the reader `choice` designates holds a card, and returns it.
    ///
    /// Readers plugged in while waiting count: pcscd's `\\?PnP?\Notification` pseudo-reader
    /// reports them and the wait starts watching them at once. A card already present returns at
    /// once. Fails with [`Error::Timeout`] when no card arrives in time (or [`Error::UnknownReader`]
    /// when a named reader never appeared), or [`Error::Cancelled`] through a [`Canceller`].
    pub fn wait_for_card(&self, choice: &ReaderChoice, timeout: Duration) -> Result<ReaderInfo> {
        let deadline = Instant::now() + timeout;
        // The pseudo-reader, and whether its state was read once (so a change means a hot-plug).
        let mut pnp = Some((
            ReaderState::new(pcsc::PNP_NOTIFICATION(), State::UNAWARE),
            false,
        ));
        loop {
            let names = self.names()?;
            let watched: Vec<String> = match choice {
                ReaderChoice::Named(name) => ReaderChoice::resolve(name, &names)?
                    .into_iter()
                    .cloned()
                    .collect(),
                ReaderChoice::FirstWithCard => names.clone(),
            };
            let mut states = unaware_states(&watched)?;
            let mut primed = false;
            let skip = match pnp.take() {
                Some((p, was_primed)) => {
                    states.insert(0, p);
                    primed = was_primed;
                    1
                }
                None => 0,
            };
            let round = self.watch(&mut states, skip, primed, deadline, &names);
            if skip == 1 && !states.is_empty() {
                let p = states.swap_remove(0);
                // A pcscd that cannot report hot-plugging marks the pseudo-reader unknown: poll then.
                let unsupported = p
                    .event_state()
                    .intersects(State::UNKNOWN | State::IGNORE | State::UNAVAILABLE);
                if !unsupported {
                    pnp = Some((p, true));
                }
            }
            match round? {
                Round::Found(reader) => return Ok(reader),
                Round::Relist if Instant::now() < deadline => {}
                Round::Relist | Round::TimedOut => {
                    return Err(timeout_error(choice, &names, timeout));
                }
            }
        }
    }

    /// Watches `states` (the first `skip` of them the PnP pseudo-reader) until a usable card shows up,
    /// the reader list changes from `listed`, or the deadline passes.
    fn watch(
        &self,
        states: &mut [ReaderState],
        skip: usize,
        mut pnp_primed: bool,
        deadline: Instant,
        listed: &[String],
    ) -> Result<Round> {
        let polling = skip == 0;
        let mut first = true;
        loop {
            let remaining = deadline.saturating_duration_since(Instant::now());
            let wait = if first {
                Duration::ZERO
            } else if polling {
                remaining.min(REPOLL)
            } else {
                remaining
            };
            if states.is_empty() {
                std::thread::sleep(remaining.min(REPOLL));
                return Ok(Round::Relist);
            }
            if !first && remaining.is_zero() {
                return Ok(Round::TimedOut);
            }
            match self.context.get_status_change(wait, states) {
                Ok(()) => {}
                Err(pcsc::Error::Timeout) if first => {}
                Err(pcsc::Error::Timeout) if polling => return Ok(Round::Relist),
                Err(pcsc::Error::Timeout) => return Ok(Round::TimedOut),
                Err(pcsc::Error::UnknownReader | pcsc::Error::ReaderUnavailable) => {
                    return Ok(Round::Relist);
                }
                Err(e) => return Err(Error::from_pcsc(e, "SCardGetStatusChange", None)),
            }
            let readers = states.get(skip..).unwrap_or_default();
            if let Some(found) = readers
                .iter()
                .map(ReaderInfo::from_state)
                .find(ReaderInfo::has_usable_card)
            {
                return Ok(Round::Found(found));
            }
            let gone = readers.iter().any(|s| {
                s.event_state()
                    .intersects(State::UNKNOWN | State::UNAVAILABLE)
            });
            // The pseudo-reader says the reader list changed: look (a change that is not one, or
            // one already seen when the list was read, must not make this loop spin).
            let plugged = skip == 1
                && pnp_primed
                && states
                    .first()
                    .is_some_and(|p| p.event_state().contains(State::CHANGED))
                && self.names().map_or(true, |now| now != listed);
            for s in states.iter_mut() {
                s.sync_current_state();
            }
            if gone || plugged || (polling && !first) {
                return Ok(Round::Relist);
            }
            pnp_primed = true;
            first = false;
        }
    }

    /// Waits up to `timeout` until the card leaves `reader` (or the reader itself goes away).
    ///
    /// Returns at once when the reader is already empty. Fails with [`Error::Timeout`] when the card
    /// is still there at the deadline.
    pub fn wait_for_removal(&self, reader: &str, timeout: Duration) -> Result<()> {
        let deadline = Instant::now() + timeout;
        let mut states = unaware_states(&[reader.to_owned()])?;
        let mut first = true;
        let mut events = None;
        loop {
            let wait = if first {
                Duration::ZERO
            } else {
                deadline.saturating_duration_since(Instant::now())
            };
            if !first && wait.is_zero() {
                return Err(removal_timeout(timeout));
            }
            match self.context.get_status_change(wait, &mut states) {
                Ok(()) => {}
                Err(pcsc::Error::Timeout) => return Err(removal_timeout(timeout)),
                Err(pcsc::Error::UnknownReader | pcsc::Error::ReaderUnavailable) => return Ok(()),
                Err(e) => {
                    return Err(Error::from_pcsc(e, "SCardGetStatusChange", Some(reader)));
                }
            }
            let Some(state) = states.first_mut() else {
                return Ok(());
            };
            let event = state.event_state();
            if event.intersects(State::EMPTY | State::UNKNOWN | State::UNAVAILABLE)
                || !event.contains(State::PRESENT)
            {
                return Ok(());
            }
            // Pulled and put back between two looks still counts as a removal.
            let count = state.event_count();
            if events.is_some_and(|seen| seen != count) {
                return Ok(());
            }
            events = Some(count);
            state.sync_current_state();
            first = false;
        }
    }
}

/// How one watch of a fixed reader list ended.
enum Round {
    Found(ReaderInfo),
    Relist,
    TimedOut,
}

fn unaware_states(names: &[String]) -> Result<Vec<ReaderState>> {
    names
        .iter()
        .map(|n| {
            CString::new(n.as_str())
                .map(|c| ReaderState::new(c, State::UNAWARE))
                .map_err(|_| Error::UnknownReader {
                    name: n.clone(),
                    available: Vec::new(),
                })
        })
        .collect()
}

fn timeout_error(choice: &ReaderChoice, names: &[String], waited: Duration) -> Error {
    if let ReaderChoice::Named(name) = choice
        && !matches!(ReaderChoice::resolve(name, names), Ok(Some(_)))
    {
        return Error::UnknownReader {
            name: name.clone(),
            available: names.to_vec(),
        };
    }
    Error::Timeout {
        what: "a card arriving",
        waited,
        hint: "put the My Number Card on the reader (check `kazasu readers`) and try again",
    }
}

fn removal_timeout(waited: Duration) -> Error {
    Error::Timeout {
        what: "the card leaving the reader",
        waited,
        hint: "take the card off the reader",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names() -> Vec<String> {
        [
            "Virtual PCD 00 00",
            "Virtual PCD 00 01",
            "SONY FeliCa Port/PaSoRi 4.0 00 00",
        ]
        .map(String::from)
        .to_vec()
    }

    #[test]
    fn reader_names_resolve_exactly_or_by_a_unique_part() {
        let names = names();
        let pick = |n: &str| ReaderChoice::resolve(n, &names).map(|r| r.cloned());
        assert_eq!(
            pick("Virtual PCD 00 01").unwrap().as_deref(),
            Some("Virtual PCD 00 01")
        );
        assert_eq!(
            pick("pasori").unwrap().as_deref(),
            Some("SONY FeliCa Port/PaSoRi 4.0 00 00")
        );
        assert_eq!(pick("ACR122").unwrap(), None);
        match pick("Virtual PCD") {
            Err(Error::AmbiguousReader { matches, .. }) => assert_eq!(matches.len(), 2),
            other => panic!("expected an ambiguous name, got {other:?}"),
        }
        assert_eq!(ReaderChoice::from_option(None), ReaderChoice::FirstWithCard);
        assert_eq!(
            ReaderChoice::from_option(Some("PaSoRi")),
            ReaderChoice::Named("PaSoRi".into())
        );
    }

    #[test]
    fn a_named_wait_that_never_finds_its_reader_says_which_exist() {
        let e = timeout_error(
            &ReaderChoice::Named("Gone".into()),
            &names(),
            Duration::ZERO,
        );
        assert!(matches!(e, Error::UnknownReader { ref available, .. } if available.len() == 3));
        let e = timeout_error(
            &ReaderChoice::FirstWithCard,
            &names(),
            Duration::from_secs(1),
        );
        assert!(matches!(e, Error::Timeout { .. }));
        assert!(e.to_string().contains("within 1s"), "{e}");
    }
}
