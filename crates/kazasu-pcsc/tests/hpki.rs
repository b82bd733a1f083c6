//! The HPKI card through a real pcscd: the virtual HPKI card in vpcd reader `Virtual PCD 00 01`
//! while the virtual My Number Card sits in `Virtual PCD 00 00`; `kazasu_card::Hpki` over
//! `PcscTransport`.
//!
//! Needs pcscd with vsmartcard-vpcd running and its two readers free; run one test at a time:
//! `cargo test -p kazasu-pcsc --test hpki -- --test-threads=1` (scripts/pcsc-e2e.sh does).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use common::{NOTICE, READERS, VpcdCard};
use der::{Decode, Encode};
use kazasu_card::{
    CardError, CardKind, HPKI_SIGN_AID, HashAlgorithm, Hpki, HpkiAp, HpkiPin, LastTry, PinStatus,
    SecretKind, Session,
};
use kazasu_pcsc::{ExtendedApdus, Options, PcscTransport, ReaderChoice, Readers};
use kazasu_virtual_card::vpcd::{self, ServeEnd, VpcdOptions};
use kazasu_virtual_card::{HpkiCardBuilder, IssuedHpkiCard, SharedCard};
use rsa::pkcs1v15::Pkcs1v15Sign;
use rsa::pkcs8::DecodePublicKey;

/// The virtual HPKI card served into vpcd slot 1; pulled out when dropped.
struct VpcdHpki {
    card: SharedCard,
    sign_certificate: Vec<u8>,
    auth_certificate: Vec<u8>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<Result<ServeEnd, kazasu_virtual_card::Error>>>,
}

const HPKI_SLOT: usize = 1;

impl VpcdHpki {
    fn insert(builder: HpkiCardBuilder) -> Self {
        let (reader, port) = READERS[HPKI_SLOT];
        let readers = Readers::establish().unwrap();
        readers.wait_for_removal(reader, NOTICE).unwrap();
        let IssuedHpkiCard {
            card, credentials, ..
        } = builder.build().unwrap();
        let card: SharedCard = Arc::new(Mutex::new(card));
        let stop = Arc::new(AtomicBool::new(false));
        let options = VpcdOptions {
            address: format!("127.0.0.1:{port}"),
            connect_timeout: NOTICE,
            reconnect: false,
        };
        let (served, flag) = (Arc::clone(&card), Arc::clone(&stop));
        let thread = Some(std::thread::spawn(move || {
            vpcd::serve(&served, &options, &flag)
        }));
        readers
            .wait_for_card(&ReaderChoice::Named(reader.to_owned()), NOTICE)
            .unwrap();
        Self {
            card,
            sign_certificate: credentials.sign_certificate.clone(),
            auth_certificate: credentials.auth_certificate.clone(),
            stop,
            thread,
        }
    }

    fn connect_with(&self, options: &Options) -> PcscTransport {
        PcscTransport::connect(
            &ReaderChoice::Named(READERS[HPKI_SLOT].0.to_owned()),
            options,
        )
        .unwrap()
    }

    fn connect(&self) -> PcscTransport {
        self.connect_with(&Options::default())
    }

    fn tries(&self) -> u8 {
        self.card
            .lock()
            .unwrap()
            .tries_left(&HPKI_SIGN_AID, 0x0002)
            .unwrap()
    }
}

impl Drop for VpcdHpki {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        if !std::thread::panicking()
            && let Ok(readers) = Readers::establish()
        {
            readers
                .wait_for_removal(READERS[HPKI_SLOT].0, NOTICE)
                .unwrap();
        }
    }
}

fn pin() -> HpkiPin {
    HpkiPin::new("1234").unwrap()
}

fn assert_signed(cert_der: &[u8], message: &[u8], signature: &[u8]) {
    let cert = x509_cert::Certificate::from_der(cert_der).unwrap();
    let spki = cert
        .tbs_certificate()
        .subject_public_key_info()
        .to_der()
        .unwrap();
    let key = rsa::PublicKey::from_public_key_der(&spki).unwrap();
    let digest = HashAlgorithm::Sha256.digest(message);
    key.verify(Pkcs1v15Sign::new::<sha2::Sha256>(), &digest, signature)
        .unwrap();
}

#[test]
fn both_cards_in_two_readers_are_told_apart() {
    let jpki = VpcdCard::insert(0);
    let hpki = VpcdHpki::insert(HpkiCardBuilder::new(0));

    let t = PcscTransport::connect(
        &ReaderChoice::Named(jpki.reader().to_owned()),
        &Options::default(),
    )
    .unwrap();
    assert_eq!(CardKind::hint_from_atr(t.atr()), CardKind::MyNumber);
    let mut session = Session::new(t);
    assert_eq!(CardKind::detect(&mut session).unwrap(), CardKind::MyNumber);
    assert_eq!(session.stats().commands, 1);
    drop(session);

    let t = hpki.connect();
    assert_eq!(CardKind::hint_from_atr(t.atr()), CardKind::Unknown);
    let mut session = Session::new(t);
    assert_eq!(CardKind::detect(&mut session).unwrap(), CardKind::Hpki);
    assert_eq!(session.stats().commands, 2);
    let mut card = Hpki::from_session(session).unwrap();
    assert_eq!(
        card.read_sign_certificate().unwrap().as_der(),
        hpki.sign_certificate.as_slice()
    );
    // SELECT JPKI (refused), SELECT HPKI, SELECT EF, one extended READ BINARY.
    assert_eq!(card.session().stats().commands, 4);
}

#[test]
fn hpki_reads_and_signs_through_pcscd() {
    let _jpki = VpcdCard::insert(0);
    let hpki = VpcdHpki::insert(HpkiCardBuilder::new(0));
    let mut card = Hpki::open(hpki.connect()).unwrap();
    let cert = card.read_sign_certificate().unwrap();
    assert_eq!(cert.as_der(), hpki.sign_certificate.as_slice());
    // The floor with extended APDUs: SELECT AP, SELECT EF, one READ BINARY.
    assert_eq!(card.session().stats().commands, 3);
    let before = card.session().stats().commands;
    let sig = card
        .sign_message(
            HpkiAp::Signature,
            &pin(),
            HashAlgorithm::Sha256,
            b"prescription via pcscd",
            LastTry::Refuse,
        )
        .unwrap();
    assert_eq!(card.session().stats().commands - before, 5);
    assert_signed(cert.as_der(), b"prescription via pcscd", sig.as_bytes());

    let mut card = Hpki::open_ap(hpki.connect(), HpkiAp::Authentication).unwrap();
    let cert = card.read_auth_certificate().unwrap();
    assert_eq!(cert.as_der(), hpki.auth_certificate.as_slice());
    assert_eq!(card.session().stats().commands, 3);
    let sig = card
        .sign_message(
            HpkiAp::Authentication,
            &pin(),
            HashAlgorithm::Sha256,
            b"login",
            LastTry::Refuse,
        )
        .unwrap();
    assert_signed(cert.as_der(), b"login", sig.as_bytes());
}

#[test]
fn short_apdus_read_in_chunks_through_pcscd() {
    let hpki = VpcdHpki::insert(HpkiCardBuilder::new(0));
    let options = Options::new().extended(ExtendedApdus::Off);
    let mut card = Hpki::open(hpki.connect_with(&options)).unwrap();
    let cert = card.read_sign_certificate().unwrap();
    assert_eq!(cert.as_der(), hpki.sign_certificate.as_slice());
    let n = cert.as_der().len() as u64;
    assert_eq!(card.session().stats().commands, 2 + n.div_ceil(256));
}

#[test]
fn pin_guard_through_pcscd() {
    let hpki = VpcdHpki::insert(HpkiCardBuilder::new(0));
    let mut card = Hpki::open(hpki.connect()).unwrap();
    let ap = HpkiAp::Signature;
    let full = hpki.tries();
    assert_eq!(card.pin_status(ap).unwrap(), PinStatus::TriesLeft(full));
    let wrong = HpkiPin::new("00000000").unwrap();
    for left in (1..full).rev() {
        assert!(matches!(
            card.verify_pin(ap, &wrong, LastTry::Refuse),
            Err(CardError::WrongSecret { tries_left, .. }) if tries_left == left
        ));
    }
    assert!(matches!(
        card.verify_pin(ap, &pin(), LastTry::Refuse),
        Err(CardError::LastTryRefused {
            kind: SecretKind::HpkiPin
        })
    ));
    assert_eq!(hpki.tries(), 1);
    assert!(matches!(
        card.verify_pin(ap, &wrong, LastTry::Allow),
        Err(CardError::Blocked { .. })
    ));
    assert_eq!(card.pin_status(ap).unwrap(), PinStatus::Blocked);
    assert_eq!(hpki.tries(), 0);
}
