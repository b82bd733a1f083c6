//! The card behind `kazasu_apdu::Transport`, through the exchange loop; transcripts replayed.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use kazasu_apdu::{
    ApduError, Command, Exchange, Le, LengthForm, StatusWord, Transport, TransportErrorKind,
};
use kazasu_virtual_card::card::{FaultPlan, JPKI_AID};
use kazasu_virtual_card::transcript::{Recorder, Transcript};
use kazasu_virtual_card::{VirtualCardBuilder, VirtualTransport};

fn select_ap() -> Command {
    Command::new(0, 0xA4, 4, 0x0C)
        .with_data(JPKI_AID.to_vec())
        .unwrap()
}

fn select_ef(id: u16) -> Command {
    Command::new(0, 0xA4, 2, 0x0C)
        .with_data(id.to_be_bytes().to_vec())
        .unwrap()
}

fn read(offset: u16, le: u32) -> Command {
    let [p1, p2] = offset.to_be_bytes();
    Command::new(0, 0xB0, p1, p2).with_le(Le::new(le).unwrap())
}

#[test]
fn get_response_chains_deliver_a_whole_certificate() {
    let issued = VirtualCardBuilder::new(0)
        .response_chunk(Some(200))
        .build()
        .unwrap();
    let cert = issued.holder.auth_certificate.clone();
    let mut ex = Exchange::new(VirtualTransport::new(issued.card));
    ex.transmit(&select_ap()).unwrap();
    ex.transmit(&select_ef(0x000A)).unwrap();
    let r = ex
        .transmit(&read(0, 65_536).with_form(LengthForm::Extended))
        .unwrap();
    assert!(r.is_success());
    assert_eq!(&r.data()[..cert.len()], cert.as_slice());
    // 3 commands of our own: the first 200 bytes come with the READ, then GET RESPONSE fetches
    // what each 61xx announces (up to 256 bytes).
    let get_responses = (r.data().len() - 200).div_ceil(256) as u64;
    assert!(get_responses >= 4);
    assert_eq!(ex.stats().commands, 3 + get_responses);
}

#[test]
fn wrong_le_is_handled_by_the_exchange_loop() {
    let issued = VirtualCardBuilder::new(0).build().unwrap();
    let mut ex = Exchange::new(VirtualTransport::new(issued.card));
    ex.transmit(&select_ap()).unwrap();
    ex.transmit(&select_ef(0x0018)).unwrap();
    let pin = Command::new(0, 0x20, 0, 0x80)
        .with_sensitive_data(zeroize::Zeroizing::new(b"1234".to_vec()))
        .unwrap();
    assert!(ex.transmit(&pin).unwrap().is_success());
    ex.transmit(&select_ef(0x0017)).unwrap();
    let mut di = hex::decode("3031300d060960864801650304020105000420").unwrap();
    di.extend_from_slice(&[7; 32]);
    let sign = Command::new(0x80, 0x2A, 0, 0x80)
        .with_data(di)
        .unwrap()
        .with_le(Le::new(128).unwrap());
    let before = ex.stats().commands;
    let r = ex.transmit(&sign).unwrap();
    assert_eq!(r.data().len(), 256);
    assert_eq!(ex.stats().commands - before, 2, "6C00 then the resend");
}

#[test]
fn short_only_transport_refuses_extended_before_sending() {
    let issued = VirtualCardBuilder::new(0)
        .extended_apdus(false)
        .build()
        .unwrap();
    let t = VirtualTransport::new(issued.card);
    assert!(!t.capabilities().supports_extended());
    let mut ex = Exchange::new(t);
    ex.transmit(&select_ap()).unwrap();
    assert!(matches!(
        ex.transmit(&read(0, 1000)),
        Err(ApduError::ExtendedUnsupported)
    ));
}

#[test]
fn removal_mid_read_is_a_transport_error() {
    let issued = VirtualCardBuilder::new(0).build().unwrap();
    let t = VirtualTransport::new(issued.card);
    t.with_card(|c| c.set_faults(FaultPlan::default().remove_at(3)));
    let mut ex = Exchange::new(t);
    ex.transmit(&select_ap()).unwrap();
    ex.transmit(&select_ef(0x000A)).unwrap();
    match ex.transmit(&read(0, 256)) {
        Err(ApduError::Transport(e)) => assert_eq!(e.kind(), TransportErrorKind::CardRemoved),
        other => panic!("{other:?}"),
    }
}

#[test]
fn power_cycle_is_reported_and_forgets_the_pin() {
    let issued = VirtualCardBuilder::new(0).build().unwrap();
    let t = VirtualTransport::new(issued.card);
    let mut ex = Exchange::new(t);
    ex.transmit(&select_ap()).unwrap();
    ex.transmit(&select_ef(0x001B)).unwrap();
    let pw = Command::new(0, 0x20, 0, 0x80)
        .with_data(b"ABC123".to_vec())
        .unwrap();
    assert!(ex.transmit(&pw).unwrap().is_success());
    assert!(!ex.take_reset_event());
    ex.transport()
        .with_card(|c| c.set_faults(FaultPlan::default().power_cycle_at(1)));
    match ex.transmit(&select_ef(0x0001)) {
        Err(ApduError::Transport(e)) => assert_eq!(e.kind(), TransportErrorKind::CardReset),
        other => panic!("{other:?}"),
    }
    assert!(ex.take_reset_event());
    ex.transmit(&select_ap()).unwrap();
    ex.transmit(&select_ef(0x0001)).unwrap();
    assert_eq!(
        ex.transmit(&read(0, 4)).unwrap().sw(),
        StatusWord::SECURITY_STATUS_NOT_SATISFIED
    );
}

/// The transport's warm reset keeps the password verified; power-off clears it.
#[test]
fn transport_reset_keeps_and_power_off_clears_the_password() {
    let issued = VirtualCardBuilder::new(0).build().unwrap();
    let mut ex = Exchange::new(VirtualTransport::new(issued.card));
    let pw = Command::new(0, 0x20, 0, 0x80)
        .with_data(b"ABC123".to_vec())
        .unwrap();
    let counter = Command::new(0, 0x20, 0, 0x80);
    ex.transmit(&select_ap()).unwrap();
    ex.transmit(&select_ef(0x001B)).unwrap();
    assert!(ex.transmit(&pw).unwrap().is_success());
    ex.transport().reset();
    assert!(ex.take_reset_event(), "a reset is reported");
    ex.transmit(&select_ap()).unwrap();
    ex.transmit(&select_ef(0x001B)).unwrap();
    assert_eq!(ex.transmit(&counter).unwrap().sw(), StatusWord::OK);
    ex.transport().power_off();
    assert!(!ex.transport().with_card(|c| c.is_powered()));
    ex.transmit(&select_ap()).unwrap();
    ex.transmit(&select_ef(0x001B)).unwrap();
    assert_eq!(ex.transmit(&counter).unwrap().sw().tries_left(), Some(5));
    assert!(ex.take_reset_event(), "the power-up is reported");
    assert!(ex.transmit(&pw).unwrap().is_success());
    ex.transport().power_cycle();
    ex.transmit(&select_ap()).unwrap();
    ex.transmit(&select_ef(0x001B)).unwrap();
    assert_eq!(ex.transmit(&counter).unwrap().sw().tries_left(), Some(5));
}

#[test]
fn two_clients_share_one_card() {
    let issued = VirtualCardBuilder::new(0).build().unwrap();
    let a = VirtualTransport::new(issued.card);
    let b = VirtualTransport::shared(a.card().clone());
    let mut ea = Exchange::new(a);
    let mut eb = Exchange::new(b);
    ea.transmit(&select_ap()).unwrap();
    ea.transmit(&select_ef(0x0018)).unwrap();
    let wrong = Command::new(0, 0x20, 0, 0x80)
        .with_data(b"0000".to_vec())
        .unwrap();
    ea.transmit(&wrong).unwrap();
    // The other client sees the same counter.
    eb.transmit(&select_ap()).unwrap();
    eb.transmit(&select_ef(0x0018)).unwrap();
    let status = Command::new(0, 0x20, 0, 0x80);
    assert_eq!(eb.transmit(&status).unwrap().sw().tries_left(), Some(2));
}

/// Replays every committed transcript against a fresh card (seed 0): the card must answer byte for byte.
/// `KAZASU_RECORD_TRANSCRIPTS=1` rewrites them from the current card instead.
#[test]
fn committed_transcripts_replay_exactly() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/transcripts");
    if std::env::var_os("KAZASU_RECORD_TRANSCRIPTS").is_some() {
        record(&dir);
    }
    let mut replayed = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "apdu") {
            continue;
        }
        let t = Transcript::parse(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let mut transport = VirtualTransport::new(VirtualCardBuilder::new(0).build().unwrap().card);
        for (i, e) in t.exchanges.iter().enumerate() {
            let got = transport.transmit(&e.command).unwrap();
            assert_eq!(
                hex::encode_upper(&got),
                hex::encode_upper(&e.response),
                "{} exchange {i} ({:?})",
                path.display(),
                e.note
            );
        }
        replayed += 1;
    }
    assert!(replayed >= 3, "transcripts missing in {}", dir.display());
}

fn record(dir: &std::path::Path) {
    let cmd = |h: &str| hex::decode(h).unwrap();
    type Flow<'a> = (&'a str, Vec<(&'a str, Vec<u8>)>);
    let di = {
        use sha2::Digest;
        let mut d = hex::decode("3031300D060960864801650304020105000420").unwrap();
        d.extend_from_slice(&sha2::Sha256::digest(b"a verifier's own challenge"));
        d
    };
    let challenge = format!("802A000033{}00", hex::encode_upper(&di));
    let flows: [Flow<'_>; 3] = [
        (
            "kenmen_genuineness.apdu",
            vec![
                (
                    "SELECT 券面事項確認AP",
                    cmd("00A4040C0AD3921000310001010402"),
                ),
                (
                    "READ the CVC (EF 0004) by short EF id, extended Le",
                    cmd("00B08400000000"),
                ),
                ("birth-date key tries left", cmd("00200091")),
                (
                    "VERIFY the birth-date key (era YYMMDD)",
                    cmd("0020009106363030343132"),
                ),
                ("READ the age record (EF 0001)", cmd("00B08100000000")),
                (
                    "the chip signs the verifier's challenge (no PIN)",
                    cmd(&challenge),
                ),
                ("READ the card face without 照合番号", cmd("00B08200000000")),
            ],
        ),
        (
            "auth_signature.apdu",
            vec![
                ("SELECT JPKI AP", cmd("00A4040C0AD392F000260100000001")),
                ("SELECT auth certificate", cmd("00A4020C02000A")),
                ("READ BINARY header", cmd("00B0000004")),
                ("SELECT auth PIN", cmd("00A4020C020018")),
                ("PIN tries left", cmd("00200080")),
                ("VERIFY auth PIN (test PIN 1234)", cmd("002000800431323334")),
                ("SELECT auth key", cmd("00A4020C020017")),
                (
                    "COMPUTE DIGITAL SIGNATURE over a SHA-256 DigestInfo of a fixed digest",
                    cmd(
                        "802A0080333031300D0609608648016503040201050004200E7A0C7E5C2B0C6E4C6A4F5D1E8D0B0E1B3C5A7D9F1E2D3C4B5A69788796A5B400",
                    ),
                ),
            ],
        ),
        (
            "errors.apdu",
            vec![
                ("unknown AID", cmd("00A4040C05D392F00026")),
                ("EF before any AP", cmd("00A4020C02000A")),
                ("SELECT JPKI AP", cmd("00A4040C0AD392F000260100000001")),
                (
                    "signature certificate without the password",
                    cmd("00A4020C020001"),
                ),
                ("READ BINARY refused", cmd("00B0000004")),
                ("wrong password", cmd("002000800657524F4E4731")),
                ("offset past the end", cmd("00A4020C02000B")),
                ("READ past the end", cmd("00B07F0001")),
                ("logical channel 1", cmd("01A4040C0AD392F000260100000001")),
            ],
        ),
    ];
    std::fs::create_dir_all(dir).unwrap();
    for (name, steps) in flows {
        let mut rec = Recorder::new(VirtualTransport::new(
            VirtualCardBuilder::new(0).build().unwrap().card,
        ));
        for (note, c) in steps {
            rec.note(note);
            rec.transmit(&c).unwrap();
        }
        let (_, t) = rec.into_parts();
        std::fs::write(dir.join(name), format!("# transcript of the seed-0 virtual card; regenerate with KAZASU_RECORD_TRANSCRIPTS=1\n{}", t.render())).unwrap();
    }
}
