//! The virtual card answers APDUs as the card specification says.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use kazasu_virtual_card::card::{FaultPlan, JPKI_AID, TEXT_AID, VISUAL_AID};
use kazasu_virtual_card::{IssuedCard, TokenKind, VirtualCard, VirtualCardBuilder};
use rsa::pkcs1v15::Pkcs1v15Sign;
use rsa::pkcs8::DecodePublicKey;
use sha2::{Digest, Sha256};

fn card() -> IssuedCard {
    VirtualCardBuilder::new(0).build().unwrap()
}

/// Sends hex, returns (data, SW).
fn send(card: &mut VirtualCard, hex: &str) -> (Vec<u8>, u16) {
    let bytes = hex::decode(hex.replace(' ', "")).unwrap();
    let r = card.process(&bytes);
    let (data, sw) = r.split_at(r.len() - 2);
    (data.to_vec(), u16::from_be_bytes([sw[0], sw[1]]))
}

fn sw(card: &mut VirtualCard, hex: impl AsRef<str>) -> u16 {
    send(card, hex.as_ref()).1
}

fn select_aid(aid: &[u8]) -> String {
    format!("00A4040C{:02X}{}", aid.len(), hex::encode(aid))
}

fn select_ef(ef: u16) -> String {
    format!("00A4020C02{ef:04X}")
}

fn verify(pin: &str) -> String {
    format!("00200080{:02X}{}", pin.len(), hex::encode(pin))
}

/// Reads a whole EF in 256-byte short reads.
fn read_all(card: &mut VirtualCard) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let (d, s) = send(card, &format!("00B0{:04X}00", out.len()));
        match s {
            0x9000 => out.extend(d),
            0x6B00 => return out,
            other => panic!("read failed {other:04X}"),
        }
    }
}

fn der_len(der: &[u8]) -> usize {
    assert_eq!(der[0], 0x30);
    assert_eq!(der[1], 0x82);
    usize::from(u16::from_be_bytes([der[2], der[3]])) + 4
}

#[test]
fn token_info_and_presence() {
    let mut c = card().card;
    assert_eq!(sw(&mut c, select_aid(&JPKI_AID)), 0x9000);
    assert_eq!(sw(&mut c, select_ef(0x0006)), 0x9000);
    let (d, s) = send(&mut c, "00B0000020");
    assert_eq!(s, 0x9000);
    assert_eq!(String::from_utf8(d).unwrap().trim_end(), "JPKIAPICCTOKEN2");
    sw(&mut c, select_ef(0x0008));
    let (d, _) = send(&mut c, "00B0000003");
    assert_eq!(d, vec![0x8F, 0x8F, 0x00]);
}

#[test]
fn auth_certificate_reads_in_one_extended_apdu_with_filler_after_it() {
    let issued = card();
    let mut c = issued.card;
    sw(&mut c, select_aid(&JPKI_AID));
    sw(&mut c, select_ef(0x000A));
    let (d, s) = send(&mut c, "00B00000000000");
    assert_eq!(s, 0x9000);
    let n = der_len(&d);
    assert_eq!(&d[..n], issued.holder.auth_certificate.as_slice());
    assert!(d.len() > n, "a real card's EF is longer than its DER");
    assert!(d[n..].iter().all(|b| *b == 0xFF));
    // The same through 256-byte chunks, and a specific Le past the end warns 6282.
    let chunked = read_all(&mut c);
    assert_eq!(chunked, d);
    let (tail, s) = send(&mut c, &format!("00B0{:04X}10", d.len() - 4));
    assert_eq!((tail.len(), s), (4, 0x6282));
    assert_eq!(sw(&mut c, format!("00B0{:04X}01", d.len())), 0x6B00);
}

#[test]
fn short_ef_identifier_reads_select_and_read_in_one() {
    let issued = card();
    let mut c = issued.card;
    sw(&mut c, select_aid(&JPKI_AID));
    let (d, s) = send(&mut c, "00B08A0004");
    assert_eq!(s, 0x9000);
    assert_eq!(d, issued.holder.auth_certificate[..4].to_vec());
    assert_eq!(sw(&mut c, "00B09F0004"), 0x6A82);
    assert_eq!(sw(&mut c, "00B0A00004"), 0x6A86);
}

#[test]
fn signature_certificate_needs_the_password() {
    let issued = card();
    let mut c = issued.card;
    sw(&mut c, select_aid(&JPKI_AID));
    sw(&mut c, select_ef(0x0001));
    assert_eq!(sw(&mut c, "00B0000004"), 0x6982);
    sw(&mut c, select_ef(0x001B));
    assert_eq!(sw(&mut c, verify("ABC123")), 0x9000);
    sw(&mut c, select_ef(0x0001));
    let (d, s) = send(&mut c, "00B00000000000");
    assert_eq!(s, 0x9000);
    assert_eq!(&d[..der_len(&d)], issued.holder.sign_certificate.as_slice());
}

#[test]
fn pin_counter_blocks_after_three_wrong_tries_and_reading_it_is_free() {
    let mut c = card().card;
    sw(&mut c, select_aid(&JPKI_AID));
    sw(&mut c, select_ef(0x0018));
    for _ in 0..5 {
        assert_eq!(
            sw(&mut c, "00200080"),
            0x63C3,
            "reading the counter never spends a try"
        );
    }
    assert_eq!(sw(&mut c, verify("0000")), 0x63C2);
    assert_eq!(
        sw(&mut c, verify("1234")),
        0x9000,
        "a right PIN restores the counter"
    );
    assert_eq!(sw(&mut c, "00200080"), 0x9000, "verified reads as 9000");
    assert_eq!(sw(&mut c, verify("0000")), 0x63C2);
    assert_eq!(
        sw(&mut c, "00200080"),
        0x63C2,
        "a wrong PIN cancels the verification"
    );
    assert_eq!(sw(&mut c, verify("0000")), 0x63C1);
    assert_eq!(
        sw(&mut c, verify("0000")),
        0x63C0,
        "the blocking try answers 63C0"
    );
    assert_eq!(
        sw(&mut c, verify("1234")),
        0x6984,
        "blocked: even the right PIN"
    );
    assert_eq!(sw(&mut c, "00200080"), 0x6984);
    c.power_cycle();
    sw(&mut c, select_aid(&JPKI_AID));
    sw(&mut c, select_ef(0x0018));
    assert_eq!(
        sw(&mut c, "00200080"),
        0x6984,
        "counters survive power cycles"
    );
}

#[test]
fn signature_password_has_five_tries() {
    let mut c = card().card;
    sw(&mut c, select_aid(&JPKI_AID));
    sw(&mut c, select_ef(0x001B));
    assert_eq!(sw(&mut c, "00200080"), 0x63C5);
    assert_eq!(sw(&mut c, verify("WRONG1")), 0x63C4);
    assert_eq!(c.tries_left(&JPKI_AID, 0x001B), Some(4));
}

fn digest_info(msg: &[u8]) -> Vec<u8> {
    let mut di = hex::decode("3031300d060960864801650304020105000420").unwrap();
    di.extend_from_slice(&Sha256::digest(msg));
    di
}

#[test]
fn signing_needs_the_pin_and_verifies_with_the_certificate() {
    let issued = card();
    let mut c = issued.card;
    let di = digest_info(b"challenge");
    let sign = format!("802A0080{:02X}{}00", di.len(), hex::encode(&di));
    sw(&mut c, select_aid(&JPKI_AID));
    sw(&mut c, select_ef(0x0017));
    assert_eq!(sw(&mut c, &sign), 0x6982);
    sw(&mut c, select_ef(0x0018));
    assert_eq!(sw(&mut c, verify("1234")), 0x9000);
    sw(&mut c, select_ef(0x0017));
    let (sig, s) = send(&mut c, &sign);
    assert_eq!(s, 0x9000);
    assert_eq!(sig.len(), 256);
    let cert =
        <x509_cert::Certificate as der::Decode>::from_der(&issued.holder.auth_certificate).unwrap();
    let spki = der::Encode::to_der(cert.tbs_certificate().subject_public_key_info()).unwrap();
    let key = rsa::PublicKey::from_public_key_der(&spki).unwrap();
    key.verify(
        Pkcs1v15Sign::new::<Sha256>(),
        &Sha256::digest(b"challenge"),
        &sig,
    )
    .unwrap();
    // A short Le gets 6C00: resend asking for 256.
    let short = format!("802A0080{:02X}{}80", di.len(), hex::encode(&di));
    assert_eq!(sw(&mut c, &short), 0x6C00);
    // The signature key is not opened by the auth PIN.
    sw(&mut c, select_ef(0x001A));
    assert_eq!(sw(&mut c, &sign), 0x6982);
    // Signing on a data EF is refused.
    sw(&mut c, select_ef(0x000A));
    assert_eq!(sw(&mut c, &sign), 0x6981);
}

/// A VERIFY lasts until the card loses power. (An earlier version cleared it on a warm reset;
/// physical cards keep it across a reset or reconnect.)
#[test]
fn verification_survives_reset_but_not_power_off() {
    let mut c = card().card;
    sw(&mut c, select_aid(&JPKI_AID));
    sw(&mut c, select_ef(0x001B));
    sw(&mut c, verify("ABC123"));
    sw(&mut c, select_aid(&JPKI_AID));
    sw(&mut c, select_ef(0x0001));
    assert_eq!(sw(&mut c, "00B0000004"), 0x9000, "re-selecting keeps it");
    c.reset();
    assert_eq!(
        sw(&mut c, "00B0000004"),
        0x6986,
        "a reset forgets the selection"
    );
    sw(&mut c, select_aid(&JPKI_AID));
    sw(&mut c, select_ef(0x0001));
    assert_eq!(sw(&mut c, "00B0000004"), 0x9000, "but not the password");
    assert!(c.reset_count() >= 1);
    c.power_cycle();
    sw(&mut c, select_aid(&JPKI_AID));
    sw(&mut c, select_ef(0x0001));
    assert_eq!(sw(&mut c, "00B0000004"), 0x6982, "power-off clears it");
    // Selecting another AP clears the JPKI AP's status.
    sw(&mut c, select_ef(0x001B));
    sw(&mut c, verify("ABC123"));
    sw(&mut c, select_aid(&TEXT_AID));
    sw(&mut c, select_aid(&JPKI_AID));
    sw(&mut c, select_ef(0x0001));
    assert_eq!(sw(&mut c, "00B0000004"), 0x6982, "another AP was selected");
    // Power off then a command: the card powers up unverified.
    sw(&mut c, select_ef(0x001B));
    sw(&mut c, verify("ABC123"));
    c.power_off();
    assert!(!c.is_powered());
    sw(&mut c, select_aid(&JPKI_AID));
    sw(&mut c, select_ef(0x001B));
    assert_eq!(sw(&mut c, "00200080"), 0x63C5);
}

#[test]
fn change_pin() {
    let mut c = card().card;
    sw(&mut c, select_aid(&JPKI_AID));
    sw(&mut c, select_ef(0x0018));
    assert_eq!(
        sw(&mut c, "0024018004".to_owned() + &hex::encode("4321")),
        0x6982
    );
    sw(&mut c, verify("1234"));
    assert_eq!(
        sw(&mut c, "0024018005".to_owned() + &hex::encode("43210")),
        0x6A80
    );
    assert_eq!(
        sw(&mut c, "0024018004".to_owned() + &hex::encode("43AB")),
        0x6A80
    );
    assert_eq!(
        sw(&mut c, "0024018004".to_owned() + &hex::encode("4321")),
        0x9000
    );
    c.power_cycle();
    sw(&mut c, select_aid(&JPKI_AID));
    sw(&mut c, select_ef(0x0018));
    assert_eq!(sw(&mut c, verify("1234")), 0x63C2);
    assert_eq!(sw(&mut c, verify("4321")), 0x9000);
    sw(&mut c, select_ef(0x001B));
    sw(&mut c, verify("ABC123"));
    assert_eq!(
        sw(&mut c, "0024018005".to_owned() + &hex::encode("abc12")),
        0x6A80
    );
    assert_eq!(
        sw(&mut c, "0024018008".to_owned() + &hex::encode("NEWPASS9")),
        0x9000
    );
}

#[test]
fn malformed_commands_get_status_words() {
    let mut c = card().card;
    assert_eq!(sw(&mut c, "00A4"), 0x6700, "short header");
    assert_eq!(sw(&mut c, "00A4040C05D392"), 0x6700, "Lc mismatch");
    assert_eq!(sw(&mut c, select_ef(0x000A)), 0x6A82, "EF without an AP");
    assert_eq!(
        sw(&mut c, "00B0000004"),
        0x6986,
        "read with nothing selected"
    );
    assert_eq!(sw(&mut c, "00A4040C05D392F00026"), 0x6A82, "unknown AID");
    assert_eq!(
        sw(&mut c, "00A4040005D392F00026"),
        0x6A86,
        "P2 other than 0C"
    );
    assert_eq!(sw(&mut c, "00A4080C020001"), 0x6A86, "P1 other than 02/04");
    sw(&mut c, select_aid(&JPKI_AID));
    assert_eq!(sw(&mut c, select_ef(0x1234)), 0x6A82);
    assert_eq!(sw(&mut c, "00A4020C03000A00"), 0x6700);
    assert_eq!(
        sw(&mut c, select_aid(&JPKI_AID).replacen("00", "01", 1)),
        0x6881,
        "channel 1"
    );
    assert_eq!(
        sw(&mut c, "0CB0000004"),
        0x6882,
        "the JPKI AP has no secure messaging"
    );
    assert_eq!(sw(&mut c, "08B0000004"), 0x6882);
    assert_eq!(sw(&mut c, "A0B0000004"), 0x6E00, "unknown class");
    assert_eq!(sw(&mut c, "00E0000004"), 0x6D00, "unknown instruction");
    assert_eq!(sw(&mut c, "00CA000004"), 0x6A88, "GET DATA of nothing");
    sw(&mut c, select_ef(0x000A));
    assert_eq!(sw(&mut c, "00B00000"), 0x6700, "READ BINARY without Le");
    assert_eq!(
        sw(&mut c, "00B0000001AA04"),
        0x6700,
        "READ BINARY with data"
    );
    sw(&mut c, select_ef(0x0018));
    assert_eq!(sw(&mut c, "00B0000004"), 0x6981, "a PIN EF cannot be read");
    assert_eq!(sw(&mut c, "00200001"), 0x6A86, "VERIFY P2 without 80");
    assert_eq!(sw(&mut c, "002000A1"), 0x6A86);
    assert_eq!(
        sw(&mut c, "00200081"),
        0x6986,
        "P2 81 names EF 0001, not a PIN"
    );
    assert_eq!(
        sw(&mut c, "0020009E"),
        0x6A82,
        "P2 9E names EF 001E: absent"
    );
    assert_eq!(sw(&mut c, "00200098"), 0x63C3, "P2 98 names the auth PIN");
    assert_eq!(
        sw(&mut c, "00C0000010"),
        0x6985,
        "GET RESPONSE with nothing pending"
    );
}

#[test]
fn readers_without_extended_apdus() {
    let mut c = VirtualCardBuilder::new(0)
        .extended_apdus(false)
        .build()
        .unwrap()
        .card;
    sw(&mut c, select_aid(&JPKI_AID));
    sw(&mut c, select_ef(0x000A));
    assert_eq!(sw(&mut c, "00B00000000000"), 0x6700);
    assert!(read_all(&mut c).len() > 1000);
}

#[test]
fn smartphone_tokens_need_the_pin_for_the_auth_certificate_and_have_no_card_face() {
    for (token, label) in [
        (TokenKind::AndroidSmartphone, &b"JPKIAPGPSETOKEN "[..]),
        (TokenKind::IPhone, &b"JPKIAPIOSTOKEN  "[..]),
    ] {
        let mut c = VirtualCardBuilder::new(0)
            .token(token)
            .build()
            .unwrap()
            .card;
        sw(&mut c, select_aid(&JPKI_AID));
        sw(&mut c, select_ef(0x0006));
        let (d, _) = send(&mut c, "00B0000020");
        // The label, space-padded to 32 bytes.
        assert!(d.starts_with(label), "{token:?}");
        assert!(d[label.len()..].iter().all(|b| *b == b' '), "{token:?}");
        sw(&mut c, select_ef(0x000A));
        assert_eq!(sw(&mut c, "00B0000004"), 0x6982);
        sw(&mut c, select_ef(0x0018));
        sw(&mut c, verify("1234"));
        sw(&mut c, select_ef(0x000A));
        assert_eq!(sw(&mut c, "00B0000004"), 0x9000);
        assert_eq!(sw(&mut c, select_aid(&TEXT_AID)), 0x6A82);
        assert_eq!(sw(&mut c, select_aid(&VISUAL_AID)), 0x6A82);
    }
}

#[test]
fn holder_under_fifteen_has_no_signature_half() {
    let mut c = VirtualCardBuilder::new(0)
        .without_signature_certificate()
        .build()
        .unwrap()
        .card;
    sw(&mut c, select_aid(&JPKI_AID));
    sw(&mut c, select_ef(0x0008));
    assert_eq!(send(&mut c, "00B0000003").0, vec![0x00, 0x8F, 0x00]);
    assert_eq!(sw(&mut c, select_ef(0x0001)), 0x6A82);
    assert_eq!(sw(&mut c, select_ef(0x001B)), 0x6A82);
}

#[test]
fn text_ap_opens_with_the_pin_or_the_verification_codes() {
    let issued = card();
    let mut c = issued.card;
    let p = issued.persona;
    assert_eq!(sw(&mut c, select_aid(&TEXT_AID)), 0x9000);
    sw(&mut c, select_ef(0x0005));
    assert_eq!(sw(&mut c, "00B0000000"), 0x9000, "AP info is free");
    sw(&mut c, select_ef(0x0001));
    assert_eq!(sw(&mut c, "00B0000011"), 0x6982);
    // 照合番号A opens the My Number, not 基本4情報.
    sw(&mut c, select_ef(0x0014));
    assert_eq!(sw(&mut c, "00200080"), 0x63CA);
    assert_eq!(sw(&mut c, verify(p.my_number.as_str())), 0x9000);
    sw(&mut c, select_ef(0x0001));
    let (d, s) = send(&mut c, "00B0000011");
    assert_eq!(s, 0x9000);
    assert_eq!(&d[..3], &[0xFF, 0x10, 0x0C]);
    assert_eq!(&d[3..15], p.my_number.as_str().as_bytes());
    sw(&mut c, select_ef(0x0002));
    assert_eq!(sw(&mut c, "00B0000004"), 0x6982);
    // 照合番号B opens 基本4情報.
    sw(&mut c, select_ef(0x0015));
    assert_eq!(sw(&mut c, verify(&p.verification_code_b())), 0x9000);
    sw(&mut c, select_ef(0x0002));
    let (d, _) = send(&mut c, "00B0000000");
    let name = p.name.as_bytes();
    assert!(d.windows(name.len()).any(|w| w == name));
    sw(&mut c, select_ef(0x0003));
    assert_eq!(
        sw(&mut c, "00B0000004"),
        0x9000,
        "照合番号B opens the integrity record"
    );
    sw(&mut c, select_ef(0x0011));
    assert_eq!(sw(&mut c, verify("1234")), 0x9000);
    sw(&mut c, select_ef(0x0003));
    assert_eq!(sw(&mut c, "00B0000004"), 0x9000);
    // Verification codes cannot be changed.
    sw(&mut c, select_ef(0x0014));
    assert_eq!(
        sw(
            &mut c,
            "002401800C".to_owned() + &hex::encode("123456789018")
        ),
        0x6985
    );
}

#[test]
fn visual_ap_opens_with_the_verification_codes() {
    let issued = card();
    let mut c = issued.card;
    let p = issued.persona;
    sw(&mut c, select_aid(&VISUAL_AID));
    sw(&mut c, select_ef(0x0002));
    assert_eq!(sw(&mut c, "00B0000004"), 0x6982);
    sw(&mut c, select_ef(0x0012));
    assert_eq!(sw(&mut c, verify(&p.verification_code_b())), 0x9000);
    sw(&mut c, select_ef(0x0002));
    let (d, s) = send(&mut c, "00B00000000000");
    assert_eq!(s, 0x9000);
    let jp2 = [
        0x00, 0x00, 0x00, 0x0C, 0x6A, 0x50, 0x20, 0x20, 0x0D, 0x0A, 0x87, 0x0A,
    ];
    assert!(d.windows(12).any(|w| w == jp2), "photo is JPEG 2000");
    sw(&mut c, select_ef(0x0005));
    assert_eq!(
        sw(&mut c, "00B0000004"),
        0x6982,
        "My Number image needs code A"
    );
    sw(&mut c, select_ef(0x0013));
    assert_eq!(sw(&mut c, verify(p.my_number.as_str())), 0x9000);
    sw(&mut c, select_ef(0x0005));
    assert_eq!(sw(&mut c, "00B0000004"), 0x9000);
}

#[test]
fn faults_remove_power_cycle_and_force() {
    let mut c = card().card;
    c.set_faults(
        FaultPlan::default()
            .force(2, kazasu_apdu::StatusWord::new(0x6F00))
            .remove_at(4),
    );
    use kazasu_virtual_card::card::Answer;
    let sel = hex::decode(select_aid(&JPKI_AID)).unwrap();
    assert!(matches!(c.transmit(&sel), Answer::Response(r) if r == [0x90, 0]));
    assert!(matches!(c.transmit(&sel), Answer::Response(r) if r == [0x6F, 0]));
    assert!(matches!(c.transmit(&sel), Answer::Response(r) if r == [0x90, 0]));
    assert_eq!(c.transmit(&sel), Answer::Removed);
    assert_eq!(c.transmit(&sel), Answer::Removed, "stays removed");
    c.insert();
    assert!(matches!(c.transmit(&sel), Answer::Response(_)));
    c.set_faults(FaultPlan::default().power_cycle_at(1));
    let before = c.reset_count();
    assert_eq!(c.transmit(&sel), Answer::PowerCycled);
    assert_eq!(c.reset_count(), before + 1);
}
