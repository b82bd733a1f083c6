//! Test fixture: a virtual My Number Card put into one of pcscd's vpcd readers, in process.
//!
//! Needs a running pcscd with `vsmartcard-vpcd` (scripts/pcsc-e2e.sh provides one). Tests in this
//! directory that use it must run one at a time (`--test-threads=1`): there are two vpcd readers, and
//! each test owns them while it runs.
//!
//! `pcscd.rs` drives the transport with raw APDUs; `card.rs` runs every `kazasu-card` operation over
//! it. A new test file that needs pcscd should be added to the `--test` list in
//! `scripts/pcsc-e2e.sh` (every file here except `no_pcscd.rs` expects pcscd up).
#![allow(dead_code)]

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

use kazasu_pcsc::{ReaderChoice, Readers};
use kazasu_virtual_card::pki::{HolderCredentials, Persona, TestPki};
use kazasu_virtual_card::vpcd::{self, ServeEnd, VpcdOptions};
use kazasu_virtual_card::{IssuedCard, SharedCard, VirtualCard, VirtualCardBuilder};

/// The two readers vpcd gives pcscd, and the ports their cards connect to.
pub const READERS: [(&str, u16); 2] = [("Virtual PCD 00 00", 35963), ("Virtual PCD 00 01", 35964)];

/// How long to wait for pcscd to notice a card arriving or leaving.
pub const NOTICE: Duration = Duration::from_secs(20);

/// A virtual card in a vpcd reader, served by a thread of this process; pulled out when dropped.
pub struct VpcdCard {
    /// The card, to inspect it or inject faults while it is in the reader.
    pub card: SharedCard,
    /// Its holder's certificates and keys.
    pub holder: HolderCredentials,
    /// Its holder.
    pub persona: Persona,
    /// The PKI that issued its certificates.
    pub pki: TestPki,
    reader: &'static str,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<Result<ServeEnd, kazasu_virtual_card::Error>>>,
}

impl VpcdCard {
    /// A default card (seed 0: auth PIN 1234) in reader `slot` (0 or 1), once pcscd sees it.
    pub fn insert(slot: usize) -> Self {
        Self::insert_built(slot, VirtualCardBuilder::new(0).build().unwrap())
    }

    /// A card built by the caller in reader `slot`, once pcscd sees it.
    pub fn insert_built(slot: usize, issued: IssuedCard) -> Self {
        let card = Self::start(slot, issued);
        let found = Readers::establish()
            .unwrap()
            .wait_for_card(&ReaderChoice::Named(card.reader.to_owned()), NOTICE)
            .unwrap();
        assert_eq!(found.name, card.reader);
        card
    }

    /// Starts serving the card into reader `slot` without waiting for pcscd to see it (but only
    /// once pcscd has seen the reader empty, so a card just pulled is not taken for this one).
    pub fn start(slot: usize, issued: IssuedCard) -> Self {
        let (reader, port) = READERS[slot];
        Readers::establish()
            .unwrap()
            .wait_for_removal(reader, NOTICE)
            .unwrap();
        let IssuedCard {
            card,
            holder,
            persona,
            pki,
            ..
        } = issued;
        let card: SharedCard = Arc::new(Mutex::new(card));
        let stop = Arc::new(AtomicBool::new(false));
        let options = VpcdOptions {
            address: format!("127.0.0.1:{port}"),
            connect_timeout: NOTICE,
            reconnect: false,
        };
        let (served, flag) = (Arc::clone(&card), Arc::clone(&stop));
        let thread = std::thread::spawn(move || vpcd::serve(&served, &options, &flag));
        Self {
            card,
            holder,
            persona,
            pki,
            reader,
            stop,
            thread: Some(thread),
        }
    }

    /// The reader's name.
    pub fn reader(&self) -> &'static str {
        self.reader
    }

    /// The card itself, locked.
    pub fn lock(&self) -> MutexGuard<'_, VirtualCard> {
        self.card
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Pulls the card out (stops serving it) and waits until pcscd sees the reader empty.
    pub fn pull(mut self) -> ServeEnd {
        self.pull_inner()
    }

    /// Waits for the serving thread to end on its own (a fault plan removed the card).
    pub fn wait_served(mut self) -> ServeEnd {
        let end = self.thread.take().unwrap().join().unwrap().unwrap();
        self.wait_empty();
        end
    }

    fn pull_inner(&mut self) -> ServeEnd {
        self.stop.store(true, Ordering::Relaxed);
        let end = match self.thread.take() {
            Some(t) => t.join().unwrap().unwrap(),
            None => ServeEnd::Stopped,
        };
        self.wait_empty();
        end
    }

    fn wait_empty(&self) {
        if let Ok(readers) = Readers::establish() {
            readers.wait_for_removal(self.reader, NOTICE).unwrap();
        }
    }
}

impl Drop for VpcdCard {
    fn drop(&mut self) {
        if self.thread.is_some() {
            self.stop.store(true, Ordering::Relaxed);
            if let Some(t) = self.thread.take() {
                let _ = t.join();
            }
            if !std::thread::panicking() {
                self.wait_empty();
            }
        }
    }
}

/// A command APDU from hex.
pub fn apdu(hex: &str) -> kazasu_apdu::Command {
    kazasu_apdu::Command::from_bytes(&hex::decode(hex.replace(' ', "")).unwrap()).unwrap()
}

/// SELECT the JPKI AP.
pub const SELECT_JPKI: &str = "00A4040C0AD392F000260100000001";
/// SELECT EF 000A, the authentication certificate.
pub const SELECT_AUTH_CERT: &str = "00A4020C02000A";
/// SELECT EF 0018, the authentication PIN.
pub const SELECT_AUTH_PIN: &str = "00A4020C020018";
/// SELECT EF 0017, the authentication key.
pub const SELECT_AUTH_KEY: &str = "00A4020C020017";
/// An empty VERIFY: reads the tries left (or 9000 when verified) without spending one.
pub const PIN_STATUS: &str = "00200080";
/// VERIFY the default auth PIN 1234.
pub const VERIFY_1234: &str = "002000800431323334";

/// The length of a DER SEQUENCE from its header.
pub fn der_len(der: &[u8]) -> usize {
    assert_eq!(der[0], 0x30, "not a DER SEQUENCE");
    match der[1] {
        0x82 => usize::from(u16::from_be_bytes([der[2], der[3]])) + 4,
        0x81 => usize::from(der[2]) + 3,
        n if n < 0x80 => usize::from(n) + 2,
        other => panic!("unexpected DER length byte {other:02X}"),
    }
}
