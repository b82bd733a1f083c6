//! Through a real pcscd: the virtual My Number Card in a vpcd reader, driven through `PcscTransport`.
//!
//! Needs pcscd with vsmartcard-vpcd running and its two readers free; run one test at a time:
//! `cargo test -p kazasu-pcsc --test pcscd -- --test-threads=1` (scripts/pcsc-e2e.sh does).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use common::{
    PIN_STATUS, READERS, SELECT_AUTH_CERT, SELECT_AUTH_KEY, SELECT_AUTH_PIN, SELECT_JPKI,
    VERIFY_1234, VpcdCard, apdu, der_len,
};
use kazasu_apdu::{
    ApduError, Capabilities, Command, Exchange, Le, Transport, TransportError, TransportErrorKind,
};
use kazasu_pcsc::{Error, ExtendedApdus, Options, PcscTransport, ReaderChoice, Readers, Share};
use kazasu_virtual_card::VirtualCardBuilder;
use kazasu_virtual_card::card::{ATR, FaultPlan};
use kazasu_virtual_card::vpcd::ServeEnd;
use rsa::pkcs1v15::Pkcs1v15Sign;
use rsa::pkcs8::DecodePublicKey;
use sha2::{Digest, Sha256};

fn named(reader: &str) -> ReaderChoice {
    ReaderChoice::Named(reader.to_owned())
}

fn connect(reader: &str) -> PcscTransport {
    PcscTransport::connect(&named(reader), &Options::default()).unwrap()
}

/// Sends a command and returns its status word.
fn sw<T: Transport>(ex: &mut Exchange<T>, hex: &str) -> u16 {
    ex.transmit(&apdu(hex)).unwrap().sw().value()
}

/// Sends a command and returns the transport error it failed with.
fn transport_error<T: Transport>(ex: &mut Exchange<T>, hex: &str) -> TransportError {
    match ex.transmit(&apdu(hex)) {
        Err(ApduError::Transport(e)) => e,
        other => panic!("expected a transport error, got {other:?}"),
    }
}

/// Reads the selected EF in short 256-byte chunks up to the end of the DER object it holds.
/// Returns nothing unless the whole object was read.
fn read_short<T: Transport>(ex: &mut Exchange<T>) -> Result<Vec<u8>, ApduError> {
    let mut out = Vec::new();
    let mut want = None;
    while want.is_none_or(|n| out.len() < n) {
        let offset = u16::try_from(out.len()).unwrap();
        let [p1, p2] = offset.to_be_bytes();
        let r = ex.transmit(&Command::new(0x00, 0xB0, p1, p2).with_le(Le::MAX_SHORT))?;
        assert_eq!(r.sw().value(), 0x9000, "READ BINARY at {offset}");
        out.extend_from_slice(r.data());
        if want.is_none() {
            want = Some(der_len(&out));
        }
    }
    out.truncate(want.unwrap_or_default());
    Ok(out)
}

/// One extended READ BINARY of the whole selected EF.
fn read_extended<T: Transport>(ex: &mut Exchange<T>) -> Result<Vec<u8>, ApduError> {
    let r = ex.transmit(&Command::new(0x00, 0xB0, 0x00, 0x00).with_le(Le::new(65_536)?))?;
    assert_eq!(r.sw().value(), 0x9000);
    let data = r.into_data();
    let n = der_len(&data);
    Ok(data[..n].to_vec())
}

fn digest_info(message: &[u8]) -> Vec<u8> {
    let mut di = hex::decode("3031300d060960864801650304020105000420").unwrap();
    di.extend_from_slice(&Sha256::digest(message));
    di
}

fn sign_command(message: &[u8]) -> Command {
    Command::new(0x80, 0x2A, 0x00, 0x80)
        .with_data(digest_info(message))
        .unwrap()
        .with_le(Le::MAX_SHORT)
}

fn assert_signed_by(certificate: &[u8], message: &[u8], signature: &[u8]) {
    let cert = <x509_cert::Certificate as der::Decode>::from_der(certificate).unwrap();
    let spki = der::Encode::to_der(cert.tbs_certificate().subject_public_key_info()).unwrap();
    let key = rsa::PublicKey::from_public_key_der(&spki).unwrap();
    key.verify(
        Pkcs1v15Sign::new::<Sha256>(),
        &Sha256::digest(message),
        signature,
    )
    .unwrap();
}

/// SELECT the JPKI AP and the auth PIN, then read its status without spending a try.
fn auth_pin_status<T: Transport>(ex: &mut Exchange<T>) -> u16 {
    assert_eq!(sw(ex, SELECT_JPKI), 0x9000);
    assert_eq!(sw(ex, SELECT_AUTH_PIN), 0x9000);
    sw(ex, PIN_STATUS)
}

#[test]
fn lists_both_vpcd_readers_and_the_one_holding_the_card() {
    let card = VpcdCard::insert(0);
    let readers = Readers::establish().unwrap();
    let list = readers.list().unwrap();
    let with = list.iter().find(|r| r.name == READERS[0].0).unwrap();
    let without = list.iter().find(|r| r.name == READERS[1].0).unwrap();
    assert!(with.has_card && with.has_usable_card());
    assert_eq!(with.atr.as_deref(), Some(&ATR[..]));
    assert!(!without.has_card);
    assert_eq!(without.atr, None);
    assert_eq!(
        readers.find(&ReaderChoice::FirstWithCard).unwrap().name,
        card.reader()
    );
}

#[test]
fn reads_the_auth_certificate_with_one_extended_read_binary() {
    let card = VpcdCard::insert(0);
    let transport = connect(card.reader());
    assert_eq!(transport.capabilities(), Capabilities::extended(65_536));
    assert_eq!(transport.atr(), &ATR[..]);
    assert_eq!(transport.protocol(), Some(kazasu_pcsc::pcsc::Protocol::T1));
    let mut ex = Exchange::new(transport);
    assert_eq!(sw(&mut ex, SELECT_JPKI), 0x9000);
    assert_eq!(sw(&mut ex, SELECT_AUTH_CERT), 0x9000);
    let cert = read_extended(&mut ex).unwrap();
    assert_eq!(cert, card.holder.auth_certificate);
    // The floor: SELECT AP, SELECT EF, one READ BINARY.
    assert_eq!(ex.stats().commands, 3);
}

#[test]
fn reads_in_short_chunks_when_forced_short() {
    let issued = VirtualCardBuilder::new(0)
        .extended_apdus(false)
        .build()
        .unwrap();
    let card = VpcdCard::insert_built(0, issued);
    let options = Options::new().extended(ExtendedApdus::Off);
    let transport = PcscTransport::connect(&named(card.reader()), &options).unwrap();
    assert_eq!(transport.capabilities(), Capabilities::short_only());
    let mut ex = Exchange::new(transport);
    assert_eq!(sw(&mut ex, SELECT_JPKI), 0x9000);
    assert_eq!(sw(&mut ex, SELECT_AUTH_CERT), 0x9000);
    // The exchange refuses an extended command on a short-only path before sending it.
    assert!(matches!(
        read_extended(&mut ex),
        Err(ApduError::ExtendedUnsupported)
    ));
    let cert = read_short(&mut ex).unwrap();
    assert_eq!(cert, card.holder.auth_certificate);
    assert_eq!(ex.stats().commands, 2 + cert.len().div_ceil(256) as u64);
}

#[test]
fn verifies_the_pin_and_signs_inside_a_transaction() {
    let card = VpcdCard::insert(0);
    let mut transport = connect(card.reader());
    let message = b"kazasu challenge";
    let signature = transport
        .with_transaction(|t| {
            let mut ex = Exchange::new(t);
            assert_eq!(auth_pin_status(&mut ex), 0x63C3);
            assert_eq!(sw(&mut ex, VERIFY_1234), 0x9000);
            assert_eq!(sw(&mut ex, SELECT_AUTH_KEY), 0x9000);
            let r = ex.transmit(&sign_command(message))?;
            assert_eq!(r.sw().value(), 0x9000);
            Ok::<_, Box<dyn std::error::Error>>(r.into_data())
        })
        .unwrap();
    assert!(transport.pin_used(), "VERIFY with a PIN was noticed");
    assert_signed_by(&card.holder.auth_certificate, message, &signature);

    // The same through `Transport::exclusive`, the scoped form a kazasu-card session calls (here
    // on a boxed trait object, as a program choosing its card source at run time holds it), and
    // through the guard.
    let mut boxed: Box<dyn Transport + '_> = Box::new(&mut transport);
    let again = boxed
        .exclusive(|t| {
            let mut ex = Exchange::new(t);
            assert_eq!(sw(&mut ex, SELECT_AUTH_KEY), 0x9000);
            ex.transmit(&sign_command(message)).unwrap()
        })
        .unwrap();
    drop(boxed);
    assert_eq!(again.sw().value(), 0x9000);
    {
        let mut guard = transport.transaction().unwrap();
        assert_eq!(guard.reader(), card.reader());
        let mut ex = Exchange::new(&mut guard);
        assert_eq!(sw(&mut ex, SELECT_AUTH_PIN), 0x9000);
        assert_eq!(sw(&mut ex, PIN_STATUS), 0x9000, "still verified");
    }
}

#[test]
fn another_client_waits_while_a_transaction_is_held() {
    let card = VpcdCard::insert(0);
    let mut a = connect(card.reader());
    let b = connect(card.reader());
    let resetter = Transport::exclusive(&mut a, |t| {
        let mut ex = Exchange::new(t);
        assert_eq!(auth_pin_status(&mut ex), 0x63C3);
        assert_eq!(sw(&mut ex, VERIFY_1234), 0x9000);
        // B tries to reset the card in the middle of A's VERIFY-then-SIGN: it has to wait.
        let mut b = b;
        let resetter = std::thread::spawn(move || {
            b.reset_card().unwrap();
            b
        });
        assert_eq!(sw(&mut ex, SELECT_AUTH_KEY), 0x9000);
        let signed = ex.transmit(&sign_command(b"in one piece")).unwrap();
        assert_eq!(signed.sw().value(), 0x9000, "the PIN stayed verified");
        resetter
    })
    .unwrap();
    let b = resetter.join().unwrap();
    // Now B's reset went through: A is told. A warm reset does not clear a VERIFY (only losing
    // power does), so the PIN is still verified on the card.
    let mut ex = Exchange::new(&mut a);
    let e = transport_error(&mut ex, PIN_STATUS);
    assert_eq!(e.kind(), TransportErrorKind::CardReset);
    assert!(ex.take_reset_event());
    assert_eq!(auth_pin_status(&mut ex), 0x9000);
    drop(b);
}

#[test]
fn a_warm_reset_leaves_the_pin_verified_and_only_power_clears_it() {
    let card = VpcdCard::insert(0);
    let mut a = connect(card.reader());
    let mut ex = Exchange::new(&mut a);
    assert_eq!(auth_pin_status(&mut ex), 0x63C3);
    assert_eq!(sw(&mut ex, VERIFY_1234), 0x9000);
    // SCARD_RESET_CARD: a warm reset.
    let mut b = connect(card.reader());
    b.reset_card().unwrap();
    let mut ex = Exchange::new(&mut b);
    assert_eq!(
        auth_pin_status(&mut ex),
        0x9000,
        "still verified after a warm reset"
    );
    // SCARD_UNPOWER_CARD: the card loses power, and the VERIFY with it.
    b.unpower_card().unwrap();
    let mut ex = Exchange::new(&mut b);
    assert_eq!(
        auth_pin_status(&mut ex),
        0x63C3,
        "unverified after a power-down"
    );
    drop(a);
}

#[test]
fn disconnecting_after_pin_use_powers_the_card_down() {
    let card = VpcdCard::insert(0);
    // An idle client keeps the card powered, as another program on the machine would.
    let mut idle = connect(card.reader());
    let mut a = connect(card.reader());
    let mut ex = Exchange::new(&mut a);
    assert_eq!(auth_pin_status(&mut ex), 0x63C3);
    assert_eq!(sw(&mut ex, VERIFY_1234), 0x9000);
    assert!(a.pin_used());
    a.disconnect().unwrap();

    let mut ex = Exchange::new(connect(card.reader()));
    assert_eq!(
        auth_pin_status(&mut ex),
        0x63C3,
        "the next client finds the PIN unverified"
    );
    // The idle client was told about the power cycle.
    let e = idle
        .transmit(&hex::decode(SELECT_JPKI).unwrap())
        .unwrap_err();
    assert_eq!(e.kind(), TransportErrorKind::CardReset);
    assert!(idle.take_reset_event());
}

#[test]
fn keeps_the_pin_verified_when_told_not_to_power_down() {
    let card = VpcdCard::insert(0);
    let mut idle = connect(card.reader());
    let options = Options::new().unpower_on_drop_after_pin(false);
    let mut a = PcscTransport::connect(&named(card.reader()), &options).unwrap();
    let mut ex = Exchange::new(&mut a);
    assert_eq!(auth_pin_status(&mut ex), 0x63C3);
    assert_eq!(sw(&mut ex, VERIFY_1234), 0x9000);
    drop(a);

    let mut ex = Exchange::new(connect(card.reader()));
    assert_eq!(
        auth_pin_status(&mut ex),
        0x9000,
        "left verified, as configured"
    );
    assert_eq!(
        idle.transmit(&hex::decode(SELECT_JPKI).unwrap()).unwrap(),
        vec![0x90, 0x00]
    );
    assert!(!idle.take_reset_event());
}

#[test]
fn a_reset_by_another_client_is_reported_once_and_the_session_reselects() {
    let card = VpcdCard::insert(0);
    let mut a = Exchange::new(connect(card.reader()));
    assert_eq!(sw(&mut a, SELECT_JPKI), 0x9000);
    assert_eq!(sw(&mut a, SELECT_AUTH_CERT), 0x9000);
    let resets_before = card.lock().reset_count();

    let mut b = connect(card.reader());
    b.reset_card().unwrap();
    assert!(card.lock().reset_count() > resets_before);

    let e = transport_error(&mut a, "00B0000004");
    assert_eq!(e.kind(), TransportErrorKind::CardReset);
    assert!(e.message().contains("select the application again"));
    assert!(a.take_reset_event());
    assert!(!a.take_reset_event(), "reported once");
    // The command was not executed; after re-selecting, the read works.
    assert_eq!(sw(&mut a, SELECT_JPKI), 0x9000);
    assert_eq!(sw(&mut a, SELECT_AUTH_CERT), 0x9000);
    assert_eq!(read_extended(&mut a).unwrap(), card.holder.auth_certificate);
    // A reset met when a transaction starts is absorbed and reported too.
    b.reset_card().unwrap();
    let mut transaction = a.transport_mut().transaction().unwrap();
    assert!(transaction.take_reset_event());
    assert!(!transaction.take_reset_event(), "reported once");
    assert_eq!(
        transaction
            .transmit(&hex::decode(SELECT_JPKI).unwrap())
            .unwrap(),
        [0x90, 0x00]
    );
    transaction.end().unwrap();
}

#[test]
fn card_pulled_mid_read_is_a_typed_error_with_no_partial_data() {
    let issued = VirtualCardBuilder::new(0)
        .extended_apdus(false)
        .build()
        .unwrap();
    let card = VpcdCard::insert_built(0, issued);
    let options = Options::new().extended(ExtendedApdus::Off);
    let mut ex = Exchange::new(PcscTransport::connect(&named(card.reader()), &options).unwrap());
    assert_eq!(sw(&mut ex, SELECT_JPKI), 0x9000);
    assert_eq!(sw(&mut ex, SELECT_AUTH_CERT), 0x9000);
    // The first chunk arrives, then the card leaves the reader.
    card.lock().set_faults(FaultPlan::default().remove_at(2));
    let read = read_short(&mut ex);
    match read {
        Err(ApduError::Transport(e)) => {
            assert_eq!(e.kind(), TransportErrorKind::CardRemoved, "{e}");
            assert!(e.message().contains("removed"), "{e}");
        }
        other => panic!("expected CardRemoved and no data, got {other:?}"),
    }
    // Every later command says the same.
    assert_eq!(
        transport_error(&mut ex, SELECT_JPKI).kind(),
        TransportErrorKind::CardRemoved
    );
    assert_eq!(card.wait_served(), ServeEnd::CardRemoved);
}

#[test]
fn card_process_stopped_during_a_transaction_is_card_removed() {
    let card = VpcdCard::insert(0);
    let mut transport = connect(card.reader());
    let mut transaction = transport.transaction().unwrap();
    let mut ex = Exchange::new(&mut transaction);
    assert_eq!(sw(&mut ex, SELECT_JPKI), 0x9000);
    // Stop the card's process (here: its thread) while the transaction is held.
    assert_eq!(card.pull(), ServeEnd::Stopped);
    let e = transport_error(&mut ex, SELECT_AUTH_CERT);
    assert_eq!(e.kind(), TransportErrorKind::CardRemoved, "{e}");
    // Ending the transaction on a card that left reports it rather than hanging or panicking.
    let _ = transaction.end();
    let e = transport
        .transmit(&hex::decode(SELECT_JPKI).unwrap())
        .unwrap_err();
    assert_eq!(e.kind(), TransportErrorKind::CardRemoved, "{e}");
}

#[test]
fn two_clients_use_the_card_at_once() {
    let card = VpcdCard::insert(0);
    let reader = card.reader();
    let expected = Arc::new(card.holder.auth_certificate.clone());
    let clients: Vec<_> = (0..2)
        .map(|_| {
            let expected = Arc::clone(&expected);
            std::thread::spawn(move || {
                let mut transport = connect(reader);
                for _ in 0..10 {
                    let cert = transport
                        .with_transaction(|t| {
                            let mut ex = Exchange::new(t);
                            assert_eq!(sw(&mut ex, SELECT_JPKI), 0x9000);
                            assert_eq!(sw(&mut ex, SELECT_AUTH_CERT), 0x9000);
                            read_extended(&mut ex).map_err(
                                |e| -> Box<dyn std::error::Error + Send + Sync> {
                                    e.to_string().into()
                                },
                            )
                        })
                        .unwrap();
                    assert_eq!(&cert, expected.as_ref());
                }
            })
        })
        .collect();
    for c in clients {
        c.join().unwrap();
    }
}

#[test]
fn an_exclusive_connection_makes_others_fail_with_a_sharing_violation() {
    let card = VpcdCard::insert(0);
    let options = Options::new().share(Share::Exclusive);
    let holder = PcscTransport::connect(&named(card.reader()), &options).unwrap();
    let e = PcscTransport::connect(&named(card.reader()), &Options::default()).unwrap_err();
    assert!(matches!(e, Error::SharingViolation { .. }), "{e:?}");
    assert!(e.to_string().contains("exclusively"), "{e}");
    assert_eq!(
        TransportError::from(e).kind(),
        TransportErrorKind::SharingViolation
    );
    drop(holder);
    let mut ex = Exchange::new(connect(card.reader()));
    assert_eq!(sw(&mut ex, SELECT_JPKI), 0x9000);
}

#[test]
fn waiting_for_a_card_times_out_when_none_arrives() {
    let readers = Readers::establish().unwrap();
    for choice in [named(READERS[1].0), ReaderChoice::FirstWithCard] {
        let e = readers
            .wait_for_card(&choice, Duration::from_millis(300))
            .unwrap_err();
        assert!(matches!(e, Error::Timeout { .. }), "{e:?}");
        assert!(e.to_string().contains("put the My Number Card"), "{e}");
        assert_eq!(TransportError::from(e).kind(), TransportErrorKind::Timeout);
    }
    // A reader that does not exist is named in the error, with the ones that do.
    let e = readers
        .wait_for_card(&named("No Such Reader"), Duration::from_millis(100))
        .unwrap_err();
    match e {
        Error::UnknownReader { available, .. } => {
            assert!(available.iter().any(|r| r == READERS[0].0));
        }
        other => panic!("expected UnknownReader, got {other:?}"),
    }
}

#[test]
fn waiting_for_a_card_returns_when_it_arrives() {
    let readers = Readers::establish().unwrap();
    let card = VpcdCard::start(1, VirtualCardBuilder::new(0).build().unwrap());
    let found = readers
        .wait_for_card(&ReaderChoice::FirstWithCard, common::NOTICE)
        .unwrap();
    assert_eq!(found.name, READERS[1].0);
    assert_eq!(found.atr.as_deref(), Some(&ATR[..]));
    let transport = readers
        .connect(&ReaderChoice::FirstWithCard, &Options::default())
        .unwrap();
    assert_eq!(transport.reader(), card.reader());
}

#[test]
fn waiting_for_removal() {
    let card = VpcdCard::insert(0);
    let readers = Readers::establish().unwrap();
    let e = readers
        .wait_for_removal(card.reader(), Duration::from_millis(300))
        .unwrap_err();
    assert!(matches!(e, Error::Timeout { .. }), "{e:?}");
    let reader = card.reader();
    let puller = std::thread::spawn(move || {
        let mut transport = connect(reader);
        let mut ex = Exchange::new(&mut transport);
        assert_eq!(sw(&mut ex, SELECT_JPKI), 0x9000);
        card.pull()
    });
    readers.wait_for_removal(reader, common::NOTICE).unwrap();
    assert_eq!(puller.join().unwrap(), ServeEnd::Stopped);
    // An empty reader returns at once.
    readers
        .wait_for_removal(reader, Duration::from_millis(1))
        .unwrap();
}

#[test]
fn choosing_readers_by_name() {
    let card = VpcdCard::insert(1);
    let readers = Readers::establish().unwrap();
    let first = readers
        .connect(&ReaderChoice::FirstWithCard, &Options::default())
        .unwrap();
    assert_eq!(first.reader(), card.reader());
    // A unique part of the name, in any case, is enough.
    let part = readers
        .connect(&named("pcd 00 01"), &Options::default())
        .unwrap();
    assert_eq!(part.reader(), card.reader());
    match readers.connect(&named("Virtual PCD"), &Options::default()) {
        Err(Error::AmbiguousReader { matches, .. }) => assert_eq!(matches.len(), 2),
        other => panic!("expected AmbiguousReader, got {other:?}"),
    }
    match readers.connect(&named("No Such Reader"), &Options::default()) {
        Err(e @ Error::UnknownReader { .. }) => {
            assert!(e.to_string().contains("Virtual PCD 00 00"), "{e}");
        }
        other => panic!("expected UnknownReader, got {other:?}"),
    }
    // The other reader is empty.
    match readers.connect(&named(READERS[0].0), &Options::default()) {
        Err(e @ Error::NoCard { .. }) => {
            assert!(e.to_string().contains("put the My Number Card"), "{e}");
            assert_eq!(
                TransportError::from(e).kind(),
                TransportErrorKind::CardRemoved
            );
        }
        other => panic!("expected NoCard, got {other:?}"),
    }
}

#[test]
fn a_wait_can_be_cancelled() {
    let readers = Readers::establish().unwrap();
    let canceller = readers.canceller();
    let done = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&done);
    // Cancel until the wait has returned: a cancel that lands before the wait starts is lost.
    let cancelling = std::thread::spawn(move || {
        while !flag.load(Ordering::Relaxed) {
            canceller.cancel().unwrap();
            std::thread::sleep(Duration::from_millis(50));
        }
    });
    let e = readers
        .wait_for_card(&named(READERS[1].0), Duration::from_secs(60))
        .unwrap_err();
    done.store(true, Ordering::Relaxed);
    cancelling.join().unwrap();
    assert!(matches!(e, Error::Cancelled), "{e:?}");
}
