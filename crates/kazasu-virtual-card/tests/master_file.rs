//! The master file's GET DATA objects, the 共通AP record, the shared 個人番号カード用 PIN, CHANGE KEY,
//! and JPKI signing / VERIFY with P2 = 80|id.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use kazasu_virtual_card::card::{ATR, COMMON_AID, JPKI_AID, RESIDENT_AID, TEXT_AID};
use kazasu_virtual_card::pki::CvcCa;
use kazasu_virtual_card::vpcd::{VpcdOptions, serve};
use kazasu_virtual_card::{TokenKind, VirtualCardBuilder};
use rsa::pkcs1v15::Pkcs1v15Sign;
use rsa::pkcs8::DecodePublicKey;
use sha2::{Digest, Sha256};

#[test]
fn get_data_objects_and_short_le() {
    let issued = VirtualCardBuilder::new(0).build().unwrap();
    let mut c = issued.card;
    assert_eq!(sw(&mut c, "00A4000C"), 0x9000, "select MF");
    let (d, s) = send(&mut c, "00CA00F000");
    assert_eq!((d.as_slice(), s), (b"13101".as_slice(), 0x9000));
    let (d, s) = send(&mut c, "00CA00F200");
    assert_eq!((d.as_slice(), s), (b"20340412".as_slice(), 0x9000));
    let (d, s) = send(&mut c, "00CA004500");
    assert_eq!((d, s), (issued.card_serial.as_bytes().to_vec(), 0x9000));
    assert_eq!(issued.card_serial.len(), 15);
    let (d, s) = send(&mut c, "00CA5F5100");
    assert_eq!((d.as_slice(), s), (ATR.as_slice(), 0x9000));
    // Key id of the intermediate.
    let (intermediate_id, s) = send(&mut c, "00CA00F700");
    assert_eq!(s, 0x9000);
    assert_eq!(
        intermediate_id,
        issued.cvc.ca(CvcCa::MasterFileIntermediate).key_id.0
    );
    assert_eq!(&intermediate_id[..9], b"6000020\x08\x05");
    assert_eq!(&intermediate_id[12..], &[0, 0, 0, 0xA8]);

    // The CVCs do not fit a short Le: 6700, then extended Le.
    assert_eq!(sw(&mut c, "00CA00F800"), 0x6700);
    assert_eq!(sw(&mut c, "00CA00F805"), 0x6700);
    assert_eq!(sw(&mut c, "00CA00F8"), 0x6700, "no Le at all");
    let (root_cvc, s) = send(&mut c, "00CA00F8000000");
    assert_eq!(s, 0x9000);
    let (body, sig) = cvc_parts(&root_cvc);
    let root = issued.cvc.ca(CvcCa::MasterFileRoot);
    assert_eq!(&body[..16], &root.key_id.0);
    assert_eq!(&body[16..32], intermediate_id.as_slice());
    assert!(verifies(&root.public_key, body, sig));
    let intermediate_key = card_key(&body[32..]);
    assert_eq!(
        intermediate_key,
        issued.cvc.ca(CvcCa::MasterFileIntermediate).public_key
    );
    let (lower, s) = send(&mut c, "00CA7F21000000");
    assert_eq!(s, 0x9000);
    let (body, sig) = cvc_parts(&lower);
    assert_eq!(&body[..16], intermediate_id.as_slice());
    assert!(verifies(&intermediate_key, body, sig));
    assert_eq!(sw(&mut c, "00CA123400"), 0x6A88);

    // Readers without extended APDUs never get the CVCs.
    let mut short = VirtualCardBuilder::new(0)
        .extended_apdus(false)
        .build()
        .unwrap()
        .card;
    assert_eq!(sw(&mut short, "00CA00F800"), 0x6700);
    assert_eq!(sw(&mut short, "00CA00F8000000"), 0x6700);
    // The Android token has no master-file objects and no 共通AP.
    let mut android = VirtualCardBuilder::new(0)
        .token(TokenKind::AndroidSmartphone)
        .build()
        .unwrap()
        .card;
    assert_eq!(sw(&mut android, "00CA00F000"), 0x6A88);
    assert_eq!(sw(&mut android, select_aid(&COMMON_AID)), 0x6A82);
}

#[test]
fn common_ap_record() {
    let issued = VirtualCardBuilder::new(3).build().unwrap();
    let mut c = issued.card;
    assert_eq!(sw(&mut c, select_aid(&COMMON_AID)), 0x9000);
    assert_eq!(sw(&mut c, select_ef(0x0001)), 0x9000);
    let (d, s) = send(&mut c, "00B2010400");
    assert_eq!(s, 0x9000);
    assert_eq!(&d[..2], &[0x01, 0x1C]);
    assert_eq!(d.len(), 30);
    let digits = std::str::from_utf8(&d[2..]).unwrap();
    assert!(digits.bytes().all(|b| b.is_ascii_digit()));
    assert_eq!(&digits[..15], issued.card_serial);
    assert_eq!(&digits[15..20], issued.persona.municipality_code);
    let expiry = issued.persona.card_expiry;
    assert_eq!(
        &digits[20..],
        format!(
            "{:04}{:02}{:02}",
            expiry.year(),
            u8::from(expiry.month()),
            expiry.day()
        )
    );
    // By short EF id in P2, the wrong record, a short Le, a binary read.
    assert_eq!(send(&mut c, "00B2010C00").0, d);
    assert_eq!(sw(&mut c, "00B2020400"), 0x6A83);
    assert_eq!(sw(&mut c, "00B2000400"), 0x6A86);
    assert_eq!(sw(&mut c, "00B201040A"), 0x6C1E);
    assert_eq!(sw(&mut c, "00B0000001"), 0x6981);
}

#[test]
fn resident_pin_is_shared_and_changes_with_change_key() {
    let mut c = VirtualCardBuilder::new(0).build().unwrap().card;
    sw(&mut c, select_aid(&COMMON_AID));
    assert_eq!(sw(&mut c, "0020009C"), 0x63C3);
    assert_eq!(sw(&mut c, verify_key(0x1C, "0000")), 0x63C2);
    // The 住基AP sees the same counter.
    sw(&mut c, select_aid(&RESIDENT_AID));
    assert_eq!(sw(&mut c, "0020009C"), 0x63C2);
    assert_eq!(c.tries_left(&RESIDENT_AID, 0x001C), Some(2));
    // CHANGE KEY before VERIFY: 6982; after it: 9000.
    assert_eq!(
        sw(&mut c, format!("8032009C04{}", hex::encode("5678"))),
        0x6982
    );
    assert_eq!(sw(&mut c, verify_key(0x1C, "1234")), 0x9000);
    assert_eq!(
        sw(&mut c, format!("8032009C03{}", hex::encode("567"))),
        0x6A80
    );
    assert_eq!(
        sw(&mut c, format!("8032019C04{}", hex::encode("5678"))),
        0x6A86
    );
    assert_eq!(
        sw(&mut c, format!("8032009C04{}", hex::encode("5678"))),
        0x9000
    );
    // The new PIN holds in the other AP too, and after a power cycle.
    c.power_cycle();
    sw(&mut c, select_aid(&COMMON_AID));
    assert_eq!(sw(&mut c, verify_key(0x1C, "1234")), 0x63C2);
    assert_eq!(sw(&mut c, verify_key(0x1C, "5678")), 0x9000);
    // Selecting the 住基AP cleared the 共通AP's status (selecting another AP).
    sw(&mut c, select_aid(&RESIDENT_AID));
    assert!(!c.is_verified(&COMMON_AID, 0x001C));
}

#[test]
fn text_ap_pin_changes_with_change_key_on_the_selected_ef() {
    let mut c = VirtualCardBuilder::new(0).build().unwrap().card;
    sw(&mut c, select_aid(&TEXT_AID));
    sw(&mut c, select_ef(0x0011));
    assert_eq!(
        sw(&mut c, verify_key(0x00, "1234")),
        0x9000,
        "P2 80 = selected EF"
    );
    assert_eq!(
        sw(&mut c, format!("8032008004{}", hex::encode("9876"))),
        0x9000
    );
    c.power_cycle();
    sw(&mut c, select_aid(&TEXT_AID));
    assert_eq!(sw(&mut c, verify_key(0x11, "9876")), 0x9000);
    // 照合番号 cannot be changed.
    assert_eq!(
        sw(
            &mut c,
            verify_key(
                0x14,
                VirtualCardBuilder::new(0)
                    .build()
                    .unwrap()
                    .persona
                    .my_number
                    .as_str()
            )
        ),
        0x9000
    );
    assert_eq!(
        sw(&mut c, format!("8032009404{}", hex::encode("1111"))),
        0x6985
    );
}

#[test]
fn jpki_signs_with_the_key_named_in_p2() {
    let issued = VirtualCardBuilder::new(0).build().unwrap();
    let mut c = issued.card;
    sw(&mut c, select_aid(&JPKI_AID));
    // VERIFY 0018 by P2 98, then sign with key 0017 named by P2 97 — no SELECT EF at all.
    let (sig, s) = sign_challenge(&mut c, 0x97, b"m");
    assert_eq!((sig.len(), s), (0, 0x6982));
    assert_eq!(sw(&mut c, verify_key(0x18, "1234")), 0x9000);
    let (sig, s) = sign_challenge(&mut c, 0x97, b"m");
    assert_eq!(s, 0x9000);
    let cert =
        <x509_cert::Certificate as der::Decode>::from_der(&issued.holder.auth_certificate).unwrap();
    let spki = der::Encode::to_der(cert.tbs_certificate().subject_public_key_info()).unwrap();
    let key = rsa::PublicKey::from_public_key_der(&spki).unwrap();
    key.verify(Pkcs1v15Sign::new::<Sha256>(), &Sha256::digest(b"m"), &sig)
        .unwrap();
    // The signature key needs its own password; P1 other than 00 is not modelled.
    assert_eq!(sign_challenge(&mut c, 0x9A, b"m").1, 0x6982);
    let di = digest_info(b"m");
    assert_eq!(
        sw(
            &mut c,
            format!("802A0197{:02X}{}00", di.len(), hex::encode(&di))
        ),
        0x6A86
    );
    // The JPKI AP has no chip key: P2 00 with nothing selected.
    assert_eq!(sign_challenge(&mut c, 0x00, b"m").1, 0x6986);
}

/// Through the vpcd protocol: control `02` (reset) keeps the 補助AP PIN, `00` (power off) clears it.
#[test]
fn vpcd_reset_keeps_and_power_off_clears_the_text_ap_pin() {
    use std::io::{Read, Write};
    use std::net::TcpListener;
    use std::sync::atomic::AtomicBool;
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    let card = Arc::new(Mutex::new(VirtualCardBuilder::new(0).build().unwrap().card));
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let options = VpcdOptions {
        address: listener.local_addr().unwrap().to_string(),
        connect_timeout: Duration::from_secs(10),
        reconnect: false,
    };
    let stop = Arc::new(AtomicBool::new(false));
    let (shared, s) = (Arc::clone(&card), Arc::clone(&stop));
    let handle = std::thread::spawn(move || serve(&shared, &options, &s).unwrap());
    let (mut pcscd, _) = listener.accept().unwrap();
    pcscd
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut frame = |payload: &[u8], answer: bool| -> Vec<u8> {
        let mut f = u16::try_from(payload.len()).unwrap().to_be_bytes().to_vec();
        f.extend_from_slice(payload);
        pcscd.write_all(&f).unwrap();
        if !answer {
            return Vec::new();
        }
        let mut h = [0u8; 2];
        pcscd.read_exact(&mut h).unwrap();
        let mut body = vec![0u8; usize::from(u16::from_be_bytes(h))];
        pcscd.read_exact(&mut body).unwrap();
        body
    };
    let select = hex::decode(select_aid(&TEXT_AID)).unwrap();
    let status = hex::decode("00200091").unwrap();
    frame(&[0x01], false);
    assert_eq!(frame(&select, true), [0x90, 0x00]);
    assert_eq!(
        frame(&hex::decode(verify_key(0x11, "1234")).unwrap(), true),
        [0x90, 0x00]
    );
    frame(&[0x02], false);
    assert_eq!(frame(&select, true), [0x90, 0x00]);
    assert_eq!(frame(&status, true), [0x90, 0x00], "reset keeps it");
    frame(&[0x00], false);
    frame(&[0x01], false);
    assert_eq!(frame(&select, true), [0x90, 0x00]);
    assert_eq!(frame(&status, true), [0x63, 0xC3], "power-off clears it");
    drop(pcscd);
    handle.join().unwrap();
}
