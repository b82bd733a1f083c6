//! Scoped exclusive access: `Transport::exclusive`, its dyn-compatible core and `Exchange::exclusive`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use kazasu_apdu::{Capabilities, Command, Exchange, Transport, TransportError, TransportErrorKind};

/// What happened on a [`Locking`] card, in order.
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
enum Event {
    Begin,
    /// A command, and whether exclusive access was held when it arrived.
    Command {
        held: bool,
    },
    End,
}

/// A card path with a lock: commands sent through the scoped transport are marked as held.
#[derive(Default)]
struct Locking {
    log: Vec<Event>,
    refuse: bool,
    reset: bool,
}

/// The path while the lock is held.
struct Held<'a> {
    card: &'a mut Locking,
}

impl Transport for Locking {
    fn transmit(&mut self, _: &[u8]) -> Result<Vec<u8>, TransportError> {
        self.log.push(Event::Command { held: false });
        Ok(vec![0x90, 0x00])
    }
    fn capabilities(&self) -> Capabilities {
        Capabilities::short_only()
    }
    fn take_reset_event(&mut self) -> bool {
        std::mem::take(&mut self.reset)
    }
    fn run_exclusive(
        &mut self,
        f: &mut dyn FnMut(&mut dyn Transport),
    ) -> Result<(), TransportError> {
        if self.refuse {
            return Err(TransportError::new(
                TransportErrorKind::SharingViolation,
                "held by another client",
            ));
        }
        self.log.push(Event::Begin);
        f(&mut Held { card: self });
        self.log.push(Event::End);
        Ok(())
    }
}

impl Transport for Held<'_> {
    fn transmit(&mut self, _: &[u8]) -> Result<Vec<u8>, TransportError> {
        self.card.log.push(Event::Command { held: true });
        Ok(vec![0x90, 0x00])
    }
    fn capabilities(&self) -> Capabilities {
        Capabilities::short_only()
    }
    fn take_reset_event(&mut self) -> bool {
        self.card.take_reset_event()
    }
}

/// A broken implementation that ends exclusive access without running the operation.
struct Skips;

impl Transport for Skips {
    fn transmit(&mut self, _: &[u8]) -> Result<Vec<u8>, TransportError> {
        Ok(vec![0x90, 0x00])
    }
    fn capabilities(&self) -> Capabilities {
        Capabilities::short_only()
    }
    fn run_exclusive(
        &mut self,
        _: &mut dyn FnMut(&mut dyn Transport),
    ) -> Result<(), TransportError> {
        Ok(())
    }
}

const SELECT: [u8; 4] = [0x00, 0xA4, 0x00, 0x0C];

#[test]
fn the_operation_runs_inside_the_scope_and_its_result_comes_back() {
    let mut card = Locking::default();
    card.transmit(&SELECT).unwrap();
    let sw = card
        .exclusive(|t| {
            t.transmit(&SELECT).unwrap();
            // Nested exclusive access on the held path runs on it, without a second lock.
            t.run_exclusive(&mut |inner| {
                inner.transmit(&SELECT).unwrap();
            })
            .unwrap();
            t.transmit(&SELECT).unwrap()
        })
        .unwrap();
    card.transmit(&SELECT).unwrap();
    assert_eq!(sw, [0x90, 0x00]);
    assert_eq!(
        card.log,
        [
            Event::Command { held: false },
            Event::Begin,
            Event::Command { held: true },
            Event::Command { held: true },
            Event::Command { held: true },
            Event::End,
            Event::Command { held: false },
        ]
    );
}

#[test]
fn refused_exclusive_access_does_not_run_the_operation() {
    let mut card = Locking {
        refuse: true,
        ..Locking::default()
    };
    let mut ran = false;
    let e = card.exclusive(|_| ran = true).unwrap_err();
    assert_eq!(e.kind(), TransportErrorKind::SharingViolation);
    assert!(!ran);
    assert!(card.log.is_empty());
}

#[test]
fn an_implementation_that_skips_the_operation_is_an_error_not_a_missing_result() {
    let e = Skips.exclusive(|_| 7).unwrap_err();
    assert_eq!(e.kind(), TransportErrorKind::Other);
}

#[test]
fn paths_without_other_clients_run_the_operation_on_themselves() {
    let mut card = Held {
        card: &mut Locking::default(),
    };
    let sw = card.exclusive(|t| t.transmit(&SELECT).unwrap()).unwrap();
    assert_eq!(sw, [0x90, 0x00]);
    assert_eq!(card.card.log, [Event::Command { held: true }]);
}

#[test]
fn boxed_and_borrowed_trait_objects_reach_the_implementation() {
    let mut boxed: Box<dyn Transport> = Box::new(Locking::default());
    boxed.exclusive(|t| t.transmit(&SELECT).unwrap()).unwrap();
    let mut card = Locking::default();
    {
        // A `&mut dyn Transport` is itself a sized transport: call through the trait.
        let mut borrowed: &mut dyn Transport = &mut card;
        Transport::exclusive(&mut borrowed, |t| t.transmit(&SELECT).unwrap()).unwrap();
    }
    assert_eq!(
        card.log,
        [Event::Begin, Event::Command { held: true }, Event::End]
    );
    // The box forwarded too: a command inside is answered by the held path.
    let mut held = false;
    boxed
        .run_exclusive(&mut |t| held = t.transmit(&SELECT).is_ok())
        .unwrap();
    assert!(held);
}

#[test]
fn an_exclusive_exchange_goes_on_with_the_same_counters() {
    let mut ex = Exchange::new(Locking::default());
    ex.transmit(&Command::new(0x00, 0xA4, 0x00, 0x0C)).unwrap();
    let before = ex
        .exclusive(|mut scoped| {
            let before = scoped.stats().commands;
            scoped
                .transmit(&Command::new(0x00, 0xA4, 0x00, 0x0C))
                .unwrap();
            (scoped, before)
        })
        .unwrap();
    assert_eq!(
        before, 1,
        "the scoped exchange started from the outer counters"
    );
    assert_eq!(
        ex.stats().commands,
        2,
        "the scoped command was counted here"
    );
    assert_eq!(
        ex.transport().log,
        [
            Event::Command { held: false },
            Event::Begin,
            Event::Command { held: true },
            Event::End,
        ]
    );
}

#[test]
fn a_reset_seen_inside_the_scope_is_reported_after_it() {
    let mut ex = Exchange::new(Locking::default());
    // The card was reset by someone else; the next command notices.
    ex.transport_mut().reset = true;
    ex.exclusive(|mut scoped| {
        scoped
            .transmit(&Command::new(0x00, 0xA4, 0x00, 0x0C))
            .unwrap();
        (scoped, ())
    })
    .unwrap();
    assert!(!ex.transport().reset, "the scoped exchange took the event");
    assert!(ex.take_reset_event(), "and handed it back");
    assert!(!ex.take_reset_event(), "once");
}
