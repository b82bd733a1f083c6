//! The exchange loop against a scripted transport.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::VecDeque;

use kazasu_apdu::{
    ApduError, Capabilities, Command, Exchange, Le, StatusWord, Transport, TransportError,
    TransportErrorKind,
};

/// Answers from a script and records what it was sent.
struct Script {
    answers: VecDeque<Result<Vec<u8>, TransportError>>,
    sent: Vec<Vec<u8>>,
    caps: Capabilities,
    reset_after: Option<usize>,
}

impl Script {
    fn new(answers: Vec<Vec<u8>>) -> Self {
        Self {
            answers: answers.into_iter().map(Ok).collect(),
            sent: Vec::new(),
            caps: Capabilities::extended(65_536),
            reset_after: None,
        }
    }
}

impl Transport for Script {
    fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
        self.sent.push(command.to_vec());
        self.answers.pop_front().unwrap_or_else(|| {
            Err(TransportError::new(
                TransportErrorKind::CardRemoved,
                "script ended",
            ))
        })
    }
    fn capabilities(&self) -> Capabilities {
        self.caps
    }
    fn take_reset_event(&mut self) -> bool {
        self.reset_after == Some(self.sent.len())
    }
}

fn read(le: u32) -> Command {
    Command::new(0, 0xB0, 0, 0).with_le(Le::new(le).unwrap())
}

#[test]
fn get_response_chain_is_joined_and_counted() {
    let mut ex = Exchange::new(Script::new(vec![
        vec![1, 2, 0x61, 0x03],
        vec![3, 4, 5, 0x61, 0x01],
        vec![6, 0x90, 0x00],
    ]));
    let r = ex.transmit(&read(2)).unwrap();
    assert_eq!(r.data(), &[1, 2, 3, 4, 5, 6]);
    assert!(r.is_success());
    let sent = &ex.transport().sent;
    assert_eq!(sent[1], vec![0x00, 0xC0, 0x00, 0x00, 0x03]);
    assert_eq!(sent[2], vec![0x00, 0xC0, 0x00, 0x00, 0x01]);
    let s = ex.stats();
    assert_eq!(s.commands, 3);
    assert_eq!(s.bytes_sent, 15);
    assert_eq!(s.bytes_received, 4 + 5 + 3);
}

#[test]
fn wrong_le_is_resent_once_with_the_card_s_length() {
    let mut ex = Exchange::new(Script::new(vec![vec![0x6C, 0x07], vec![0; 9]]));
    let mut answer = vec![7u8; 7];
    answer.extend_from_slice(&[0x90, 0]);
    ex.transport_mut().answers[1] = Ok(answer);
    let r = ex.transmit(&read(256)).unwrap();
    assert_eq!(r.data().len(), 7);
    assert_eq!(ex.transport().sent[1], vec![0, 0xB0, 0, 0, 7]);
}

#[test]
fn wrong_le_twice_is_an_error() {
    let mut ex = Exchange::new(Script::new(vec![vec![0x6C, 0x07], vec![0x6C, 0x05]]));
    assert!(matches!(
        ex.transmit(&read(256)),
        Err(ApduError::WrongLengthLoop)
    ));
}

#[test]
fn endless_61xx_is_bounded() {
    let answers = (0..100).map(|_| {
        let mut v = vec![0u8; 256];
        v.extend_from_slice(&[0x61, 0x00]);
        v
    });
    let mut ex = Exchange::new(Script::new(answers.collect())).with_response_limit(4096);
    assert!(matches!(
        ex.transmit(&read(256)),
        Err(ApduError::ResponseTooLong { limit: 4096 })
    ));
    assert!(ex.stats().commands < 30);
}

#[test]
fn errors_and_warnings_pass_through() {
    let mut ex = Exchange::new(Script::new(vec![vec![0x69, 0x82], vec![0x63, 0xC2]]));
    assert_eq!(
        ex.transmit(&read(4)).unwrap().sw(),
        StatusWord::SECURITY_STATUS_NOT_SATISFIED
    );
    assert_eq!(ex.transmit(&read(4)).unwrap().sw().tries_left(), Some(2));
}

#[test]
fn extended_refused_before_sending_on_short_transport() {
    let mut script = Script::new(vec![]);
    script.caps = Capabilities::short_only();
    let mut ex = Exchange::new(script);
    assert!(matches!(
        ex.transmit(&read(1000)),
        Err(ApduError::ExtendedUnsupported)
    ));
    assert_eq!(ex.stats().commands, 0);
}

#[test]
fn transport_errors_and_short_responses_are_typed() {
    let mut ex = Exchange::new(Script::new(vec![vec![0x90]]));
    assert!(matches!(
        ex.transmit(&read(4)),
        Err(ApduError::ResponseTooShort { len: 1 })
    ));
    match ex.transmit(&read(4)) {
        Err(ApduError::Transport(e)) => assert_eq!(e.kind(), TransportErrorKind::CardRemoved),
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn reset_events_are_latched_until_taken() {
    let mut script = Script::new(vec![vec![0x90, 0], vec![0x90, 0]]);
    script.reset_after = Some(1);
    let mut ex = Exchange::new(script);
    ex.transmit(&read(4)).unwrap();
    ex.transmit(&read(4)).unwrap();
    assert!(ex.take_reset_event());
    assert!(!ex.take_reset_event());
}
