//! The vpcd client against a stand-in for pcscd's vpcd driver: framing, control messages, removal.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use kazasu_virtual_card::card::{ATR, FaultPlan};
use kazasu_virtual_card::vpcd::{ServeEnd, VpcdOptions, serve};
use kazasu_virtual_card::{SharedCard, VirtualCardBuilder};

fn frame(stream: &mut TcpStream, payload: &[u8]) {
    let mut f = u16::try_from(payload.len()).unwrap().to_be_bytes().to_vec();
    f.extend_from_slice(payload);
    stream.write_all(&f).unwrap();
}

fn answer(stream: &mut TcpStream) -> Option<Vec<u8>> {
    let mut len = [0u8; 2];
    stream.read_exact(&mut len).ok()?;
    let mut payload = vec![0u8; usize::from(u16::from_be_bytes(len))];
    stream.read_exact(&mut payload).ok()?;
    Some(payload)
}

fn start(
    card: SharedCard,
    reconnect: bool,
) -> (
    TcpListener,
    Arc<AtomicBool>,
    std::thread::JoinHandle<ServeEnd>,
) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let options = VpcdOptions {
        address: listener.local_addr().unwrap().to_string(),
        connect_timeout: Duration::from_secs(10),
        reconnect,
    };
    let stop = Arc::new(AtomicBool::new(false));
    let s = Arc::clone(&stop);
    let handle = std::thread::spawn(move || serve(&card, &options, &s).unwrap());
    (listener, stop, handle)
}

#[test]
fn control_messages_and_apdus() {
    let card = Arc::new(Mutex::new(VirtualCardBuilder::new(0).build().unwrap().card));
    let (listener, stop, handle) = start(Arc::clone(&card), false);
    let (mut pcscd, _) = listener.accept().unwrap();
    pcscd
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    frame(&mut pcscd, &[0x01]);
    frame(&mut pcscd, &[0x04]);
    assert_eq!(answer(&mut pcscd).unwrap(), ATR.to_vec());
    frame(
        &mut pcscd,
        &hex::decode("00A4040C0AD392F000260100000001").unwrap(),
    );
    assert_eq!(answer(&mut pcscd).unwrap(), vec![0x90, 0x00]);
    frame(&mut pcscd, &hex::decode("00A4020C02001B").unwrap());
    answer(&mut pcscd).unwrap();
    frame(&mut pcscd, &hex::decode("0020008006414243313233").unwrap());
    assert_eq!(answer(&mut pcscd).unwrap(), vec![0x90, 0x00]);
    // A reset (what pcscd does for SCardDisconnect(SCARD_RESET_CARD)) keeps the password verified
    // (a VERIFY lasts until the card loses power).
    frame(&mut pcscd, &[0x02]);
    frame(
        &mut pcscd,
        &hex::decode("00A4040C0AD392F000260100000001").unwrap(),
    );
    answer(&mut pcscd).unwrap();
    frame(&mut pcscd, &hex::decode("00A4020C02001B").unwrap());
    answer(&mut pcscd).unwrap();
    frame(&mut pcscd, &hex::decode("00200080").unwrap());
    assert_eq!(answer(&mut pcscd).unwrap(), vec![0x90, 0x00]);
    // Power off and on (SCARD_UNPOWER_CARD) forgets it.
    frame(&mut pcscd, &[0x00]);
    frame(&mut pcscd, &[0x01]);
    frame(
        &mut pcscd,
        &hex::decode("00A4040C0AD392F000260100000001").unwrap(),
    );
    answer(&mut pcscd).unwrap();
    frame(&mut pcscd, &hex::decode("00A4020C02001B").unwrap());
    answer(&mut pcscd).unwrap();
    frame(&mut pcscd, &hex::decode("00200080").unwrap());
    assert_eq!(answer(&mut pcscd).unwrap(), vec![0x63, 0xC5]);
    // An extended READ BINARY answer longer than 256 bytes passes in one frame.
    frame(&mut pcscd, &hex::decode("00A4020C02000A").unwrap());
    answer(&mut pcscd).unwrap();
    frame(&mut pcscd, &hex::decode("00B00000000000").unwrap());
    assert!(answer(&mut pcscd).unwrap().len() > 1000);
    // pcscd going away ends a non-reconnecting server.
    drop(pcscd);
    assert_eq!(handle.join().unwrap(), ServeEnd::Disconnected);
    assert!(!stop.load(Ordering::Relaxed));
}

#[test]
fn removal_closes_the_socket_and_stop_ends_serving() {
    let card = Arc::new(Mutex::new(VirtualCardBuilder::new(0).build().unwrap().card));
    card.lock()
        .unwrap()
        .set_faults(FaultPlan::default().remove_at(2));
    let (listener, _stop, handle) = start(Arc::clone(&card), true);
    let (mut pcscd, _) = listener.accept().unwrap();
    pcscd
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    frame(
        &mut pcscd,
        &hex::decode("00A4040C0AD392F000260100000001").unwrap(),
    );
    assert_eq!(answer(&mut pcscd).unwrap(), vec![0x90, 0x00]);
    frame(&mut pcscd, &hex::decode("00A4020C02000A").unwrap());
    assert_eq!(
        answer(&mut pcscd),
        None,
        "the card left: no answer, socket closed"
    );
    assert_eq!(handle.join().unwrap(), ServeEnd::CardRemoved);

    // A running server stops when asked, even while connected and idle.
    let card = Arc::new(Mutex::new(VirtualCardBuilder::new(1).build().unwrap().card));
    let (listener, stop, handle) = start(card, true);
    let (_pcscd, _) = listener.accept().unwrap();
    stop.store(true, Ordering::Relaxed);
    assert_eq!(handle.join().unwrap(), ServeEnd::Stopped);
}

#[test]
fn nobody_listening_is_a_typed_error_after_the_timeout() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap().to_string();
    drop(listener);
    let card = Arc::new(Mutex::new(VirtualCardBuilder::new(0).build().unwrap().card));
    let options = VpcdOptions {
        address,
        connect_timeout: Duration::from_millis(300),
        reconnect: false,
    };
    let err = serve(&card, &options, &AtomicBool::new(false)).unwrap_err();
    assert!(err.to_string().contains("is pcscd running"), "{err}");
}
