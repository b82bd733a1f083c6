//! Command/response transcripts kept as data files and replayed in tests.
//!
//! Format, one exchange per two lines, hex without spaces; `#` starts a comment:
//!
//! ```text
//! # SELECT JPKI AP
//! > 00A4040C0AD392F000260100000001
//! < 9000
//! ```

use std::fmt::Write as _;

use kazasu_apdu::{Transport, TransportError};

/// One recorded exchange.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Exchange {
    /// An optional comment shown above the exchange.
    pub note: Option<String>,
    /// Command APDU bytes.
    pub command: Vec<u8>,
    /// Response APDU bytes.
    pub response: Vec<u8>,
}

/// A sequence of exchanges.
#[derive(Clone, PartialEq, Eq, Debug, Default)]
pub struct Transcript {
    /// The exchanges, in order.
    pub exchanges: Vec<Exchange>,
}

/// A transcript file that does not parse.
#[derive(Debug, thiserror::Error)]
#[error("transcript line {line}: {reason}")]
pub struct TranscriptError {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong.
    pub reason: String,
}

impl Transcript {
    /// Parses the text format.
    pub fn parse(text: &str) -> Result<Self, TranscriptError> {
        let mut out = Transcript::default();
        let mut note: Option<String> = None;
        let mut command: Option<Vec<u8>> = None;
        for (i, raw) in text.lines().enumerate() {
            let line = raw.trim();
            let err = |reason: &str| TranscriptError {
                line: i + 1,
                reason: reason.to_owned(),
            };
            if line.is_empty() {
                continue;
            }
            if let Some(c) = line.strip_prefix('#') {
                note = Some(c.trim().to_owned());
            } else if let Some(h) = line.strip_prefix('>') {
                if command.is_some() {
                    return Err(err("two commands without a response"));
                }
                command = Some(hex::decode(h.trim()).map_err(|e| err(&e.to_string()))?);
            } else if let Some(h) = line.strip_prefix('<') {
                let Some(c) = command.take() else {
                    return Err(err("response without a command"));
                };
                let response = hex::decode(h.trim()).map_err(|e| err(&e.to_string()))?;
                out.exchanges.push(Exchange {
                    note: note.take(),
                    command: c,
                    response,
                });
            } else {
                return Err(err("expected '#', '>' or '<'"));
            }
        }
        if command.is_some() {
            return Err(TranscriptError {
                line: text.lines().count(),
                reason: "last command has no response".into(),
            });
        }
        Ok(out)
    }

    /// The text format.
    pub fn render(&self) -> String {
        let mut s = String::new();
        for e in &self.exchanges {
            if let Some(n) = &e.note {
                let _ = writeln!(s, "# {n}");
            }
            let _ = writeln!(s, "> {}", hex::encode_upper(&e.command));
            let _ = writeln!(s, "< {}", hex::encode_upper(&e.response));
        }
        s
    }
}

/// Wraps a transport and records every exchange.
#[derive(Debug)]
pub struct Recorder<T> {
    inner: T,
    transcript: Transcript,
    next_note: Option<String>,
}

impl<T> Recorder<T> {
    /// Starts recording over `inner`.
    pub fn new(inner: T) -> Self {
        Self {
            inner,
            transcript: Transcript::default(),
            next_note: None,
        }
    }

    /// Attaches a comment to the next exchange.
    pub fn note(&mut self, note: impl Into<String>) {
        self.next_note = Some(note.into());
    }

    /// What was recorded so far.
    pub fn transcript(&self) -> &Transcript {
        &self.transcript
    }

    /// Stops recording.
    pub fn into_parts(self) -> (T, Transcript) {
        (self.inner, self.transcript)
    }
}

impl<T: Transport> Transport for Recorder<T> {
    fn transmit(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
        let response = self.inner.transmit(command)?;
        self.transcript.exchanges.push(Exchange {
            note: self.next_note.take(),
            command: command.to_vec(),
            response: response.clone(),
        });
        Ok(response)
    }

    fn capabilities(&self) -> kazasu_apdu::Capabilities {
        self.inner.capabilities()
    }

    fn take_reset_event(&mut self) -> bool {
        self.inner.take_reset_event()
    }

    fn run_exclusive(
        &mut self,
        f: &mut dyn FnMut(&mut dyn Transport),
    ) -> Result<(), TransportError> {
        // Exchanges on the exclusive path are recorded too, in the same transcript.
        let Recorder {
            inner,
            transcript,
            next_note,
        } = self;
        inner.run_exclusive(&mut |t| {
            let mut scoped = Recorder {
                inner: t,
                transcript: std::mem::take(transcript),
                next_note: next_note.take(),
            };
            f(&mut scoped);
            *transcript = scoped.transcript;
            *next_note = scoped.next_note;
        })
    }

    fn note_pin_used(&mut self) {
        self.inner.note_pin_used()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn exchanges_inside_exclusive_access_are_recorded_in_order() {
        let card = crate::VirtualCardBuilder::new(0).build().unwrap().card;
        let mut rec = Recorder::new(crate::VirtualTransport::new(card));
        let select_mf = [0x00, 0xA4, 0x00, 0x0C];
        rec.note("before");
        rec.transmit(&select_mf).unwrap();
        rec.note("inside");
        let answer = rec.exclusive(|t| t.transmit(&select_mf)).unwrap().unwrap();
        rec.transmit(&select_mf).unwrap();
        let (_, t) = rec.into_parts();
        let notes: Vec<_> = t.exchanges.iter().map(|e| e.note.as_deref()).collect();
        assert_eq!(notes, [Some("before"), Some("inside"), None]);
        assert_eq!(t.exchanges[1].response, answer);
    }

    proptest! {
        #[test]
        fn render_then_parse_is_identity(
            exchanges in proptest::collection::vec(
                (proptest::option::of("[a-zA-Z0-9 ()]{1,20}"), proptest::collection::vec(any::<u8>(), 4..40),
                 proptest::collection::vec(any::<u8>(), 2..40)),
                0..8)
        ) {
            let t = Transcript {
                exchanges: exchanges
                    .into_iter()
                    .map(|(note, command, response)| Exchange {
                        note: note.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty()),
                        command,
                        response,
                    })
                    .collect(),
            };
            prop_assert_eq!(Transcript::parse(&t.render()).unwrap(), t);
        }

        #[test]
        fn parse_never_panics(text in "\\PC{0,200}") {
            let _ = Transcript::parse(&text);
        }
    }

    #[test]
    fn malformed_transcripts_are_typed_errors() {
        assert_eq!(Transcript::parse("< 9000").unwrap_err().line, 1);
        assert_eq!(Transcript::parse("> 00A4\n> 00B0").unwrap_err().line, 2);
        assert!(Transcript::parse("> 0G").is_err());
        assert!(Transcript::parse("> 00A4").is_err());
        assert!(Transcript::parse("hello").is_err());
    }
}
