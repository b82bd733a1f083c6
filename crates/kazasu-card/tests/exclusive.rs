//! The card layer's exclusive sections through the scoped `Transport::exclusive`: what runs inside
//! one scope, what a refusal costs, and what the session remembers afterwards.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::cell::RefCell;
use std::rc::Rc;

use kazasu_apdu::{Capabilities, Transport, TransportError, TransportErrorKind};
use kazasu_card::{AuthPin, CardError, DigestInfo, HashAlgorithm, Jpki, LastTry, SignPassword};
use kazasu_virtual_card::{VirtualCardBuilder, VirtualTransport};

/// What reached the card, in order.
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
enum Event {
    Begin,
    /// INS of a command, whether it carried data, and whether exclusive access was held.
    Command {
        ins: u8,
        data: bool,
        held: bool,
    },
    End,
}

/// The virtual card behind a lock that can be refused, logging every command.
struct Locked {
    card: VirtualTransport,
    log: Log,
    refuse: bool,
}

/// The log, shared with the test while the session owns the transport.
#[derive(Clone, Default)]
struct Log(Rc<RefCell<Vec<Event>>>);

impl Log {
    fn push(&self, event: Event) {
        self.0.borrow_mut().push(event);
    }

    fn events(&self) -> Vec<Event> {
        self.0.borrow().clone()
    }

    /// VERIFY commands with a PIN in them.
    fn verifies(&self) -> usize {
        self.events()
            .iter()
            .filter(|e| {
                matches!(
                    e,
                    Event::Command {
                        ins: 0x20,
                        data: true,
                        ..
                    }
                )
            })
            .count()
    }
}

/// The card while the lock is held.
struct Held<'a>(&'a mut Locked);

impl Locked {
    fn new(log: &Log) -> Self {
        let issued = VirtualCardBuilder::new(0).build().unwrap();
        Self {
            card: VirtualTransport::new(issued.card),
            log: log.clone(),
            refuse: false,
        }
    }

    fn send(&mut self, command: &[u8], held: bool) -> Result<Vec<u8>, TransportError> {
        self.log.push(Event::Command {
            ins: command[1],
            data: command.len() > 5,
            held,
        });
        self.card.transmit(command)
    }
}

impl Transport for Locked {
    fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
        self.send(command, false)
    }
    fn capabilities(&self) -> Capabilities {
        self.card.capabilities()
    }
    fn take_reset_event(&mut self) -> bool {
        self.card.take_reset_event()
    }
    fn run_exclusive(
        &mut self,
        f: &mut dyn FnMut(&mut dyn Transport),
    ) -> Result<(), TransportError> {
        if self.refuse {
            return Err(TransportError::new(
                TransportErrorKind::SharingViolation,
                "another program holds the card",
            ));
        }
        self.log.push(Event::Begin);
        f(&mut Held(self));
        self.log.push(Event::End);
        Ok(())
    }
}

impl Transport for Held<'_> {
    fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
        self.0.send(command, true)
    }
    fn capabilities(&self) -> Capabilities {
        self.0.capabilities()
    }
    fn take_reset_event(&mut self) -> bool {
        self.0.take_reset_event()
    }
}

fn pin() -> AuthPin {
    AuthPin::new("1234").unwrap()
}

#[test]
fn counter_verify_and_signature_run_inside_one_exclusive_scope() {
    let log = Log::default();
    let mut jpki = Jpki::open(Locked::new(&log)).unwrap();
    let digest = DigestInfo::of_message(HashAlgorithm::Sha256, b"challenge");
    jpki.sign_with_auth_key(&pin(), &digest, LastTry::Refuse)
        .unwrap();
    let log = log.events();
    let begin = log.iter().position(|e| *e == Event::Begin).unwrap();
    let end = log.iter().position(|e| *e == Event::End).unwrap();
    assert_eq!(log.iter().filter(|e| **e == Event::Begin).count(), 1);
    let inside = &log[begin + 1..end];
    let ins: Vec<_> = inside
        .iter()
        .map(|e| match e {
            Event::Command { ins, data, held } => {
                assert!(held, "{e:?} went around the lock");
                (*ins, *data)
            }
            other => panic!("nested {other:?}"),
        })
        .collect();
    // The counter (empty VERIFY), the VERIFY with the PIN and the signature, all in one scope.
    let counter = ins.iter().position(|c| *c == (0x20, false)).unwrap();
    let verify = ins.iter().position(|c| *c == (0x20, true)).unwrap();
    let sign = ins.iter().position(|c| c.0 == 0x2A).unwrap();
    assert!(counter < verify && verify < sign, "{ins:?}");
    // Nothing reaches the card outside the scope after it ends.
    assert_eq!(end, log.len() - 1);
}

#[test]
fn a_refused_lock_spends_no_pin_try() {
    let log = Log::default();
    let mut card = Locked::new(&log);
    card.refuse = true;
    let mut jpki = Jpki::open(card).unwrap();
    let digest = DigestInfo::of_message(HashAlgorithm::Sha256, b"challenge");
    match jpki.sign_with_auth_key(&pin(), &digest, LastTry::Refuse) {
        Err(CardError::Apdu(kazasu_apdu::ApduError::Transport(e))) => {
            assert_eq!(e.kind(), TransportErrorKind::SharingViolation);
        }
        other => panic!("expected the refusal, got {other:?}"),
    }
    assert_eq!(log.verifies(), 0);
}

#[test]
fn what_was_verified_inside_a_scope_is_remembered_after_it() {
    let log = Log::default();
    let mut jpki = Jpki::open(Locked::new(&log)).unwrap();
    let password = SignPassword::new("abc123").unwrap();
    let first = jpki
        .read_sign_certificate(&password, LastTry::Refuse)
        .unwrap();
    assert_eq!(log.verifies(), 1);
    // The second read opens a new scope; the session knows the password is verified and the
    // signature certificate's EF selected, so neither VERIFY nor SELECT is sent again.
    let before = jpki.session().stats().commands;
    let second = jpki
        .read_sign_certificate(&password, LastTry::Refuse)
        .unwrap();
    assert_eq!(first.as_der(), second.as_der());
    assert_eq!(log.verifies(), 1);
    assert_eq!(
        jpki.session().stats().commands - before,
        1,
        "one READ BINARY"
    );
}
