//! Helpers shared by the integration tests: APDU sending and an independent little TLV reader.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use kazasu_virtual_card::VirtualCard;
use rsa::PublicKey;
use rsa::pkcs1v15::Pkcs1v15Sign;
use sha2::{Digest, Sha256};

/// Sends hex, returns (data, SW).
pub fn send(card: &mut VirtualCard, hex: &str) -> (Vec<u8>, u16) {
    let bytes = hex::decode(hex.replace(' ', "")).unwrap();
    send_bytes(card, &bytes)
}

/// Sends bytes, returns (data, SW).
pub fn send_bytes(card: &mut VirtualCard, bytes: &[u8]) -> (Vec<u8>, u16) {
    let r = card.process(bytes);
    let (data, sw) = r.split_at(r.len() - 2);
    (data.to_vec(), u16::from_be_bytes([sw[0], sw[1]]))
}

pub fn sw(card: &mut VirtualCard, hex: impl AsRef<str>) -> u16 {
    send(card, hex.as_ref()).1
}

pub fn select_aid(aid: &[u8]) -> String {
    format!("00A4040C{:02X}{}", aid.len(), hex::encode(aid))
}

pub fn select_ef(ef: u16) -> String {
    format!("00A4020C02{ef:04X}")
}

/// VERIFY of key `id` named in P2 (`80|id`), no SELECT.
pub fn verify_key(id: u8, secret: &str) -> String {
    format!(
        "002000{:02X}{:02X}{}",
        0x80 | id,
        secret.len(),
        hex::encode(secret)
    )
}

/// Reads the whole selected EF with one extended READ BINARY; panics on anything but 9000.
pub fn read_whole(card: &mut VirtualCard) -> Vec<u8> {
    let (d, s) = send(card, "00B00000000000");
    assert_eq!(s, 0x9000, "read failed {s:04X}");
    d
}

/// Selects `ef` and reads it whole.
pub fn read_ef(card: &mut VirtualCard, ef: u16) -> Vec<u8> {
    assert_eq!(sw(card, select_ef(ef)), 0x9000);
    read_whole(card)
}

/// A TLV as found: tag, where the TLV starts and ends, where the value starts.
#[derive(Clone, Copy, Debug)]
pub struct Found {
    pub tag: u16,
    pub start: usize,
    pub value_start: usize,
    pub end: usize,
}

impl Found {
    pub fn value<'a>(&self, buf: &'a [u8]) -> &'a [u8] {
        &buf[self.value_start..self.end]
    }
    pub fn whole<'a>(&self, buf: &'a [u8]) -> &'a [u8] {
        &buf[self.start..self.end]
    }
}

/// Reads one TLV at `at`: one-byte tags unless the low 5 bits are all set (then two bytes).
pub fn tlv_at(buf: &[u8], at: usize) -> Found {
    let t0 = buf[at];
    let (tag, mut i) = if t0 & 0x1F == 0x1F {
        (u16::from_be_bytes([t0, buf[at + 1]]), at + 2)
    } else {
        (u16::from(t0), at + 1)
    };
    let len = match buf[i] {
        l @ 0..=0x7F => {
            i += 1;
            usize::from(l)
        }
        0x81 => {
            i += 2;
            usize::from(buf[i - 1])
        }
        0x82 => {
            i += 3;
            usize::from(u16::from_be_bytes([buf[i - 2], buf[i - 1]]))
        }
        other => panic!("length form {other:02X}"),
    };
    assert!(i + len <= buf.len(), "TLV at {at} runs past the end");
    Found {
        tag,
        start: at,
        value_start: i,
        end: i + len,
    }
}

/// The outer object of a file and its children (positions in `file`).
pub fn outer_and_children(file: &[u8]) -> (Found, Vec<Found>) {
    let outer = tlv_at(file, 0);
    let mut at = outer.value_start;
    let mut children = Vec::new();
    while at < outer.end {
        let c = tlv_at(file, at);
        at = c.end;
        children.push(c);
    }
    assert_eq!(at, outer.end);
    (outer, children)
}

/// The card-key form `90 03 01 00 01 91 82 01 00 <256>` as an RSA public key.
pub fn card_key(form: &[u8]) -> PublicKey {
    assert_eq!(form.len(), 265);
    assert_eq!(
        &form[..9],
        &[0x90, 0x03, 0x01, 0x00, 0x01, 0x91, 0x82, 0x01, 0x00]
    );
    let n = rsa::BoxedUint::from_be_slice(&form[9..], 2048).unwrap();
    let e = rsa::BoxedUint::from_be_slice(&[1, 0, 1], 32).unwrap();
    PublicKey::new(n, e).unwrap()
}

/// PKCS#1 v1.5 SHA-256 verification of `signature` over `message`.
pub fn verifies(key: &PublicKey, message: &[u8], signature: &[u8]) -> bool {
    key.verify(
        Pkcs1v15Sign::new::<Sha256>(),
        &Sha256::digest(message),
        signature,
    )
    .is_ok()
}

/// The parts of a CVC (568 bytes, or its content without the `7F21` wrapper): (body, signature).
pub fn cvc_parts(cvc: &[u8]) -> (&[u8], &[u8]) {
    let content = if cvc.starts_with(&[0x7F, 0x21]) {
        assert_eq!(&cvc[..5], &[0x7F, 0x21, 0x82, 0x02, 0x33]);
        assert_eq!(cvc.len(), 568);
        &cvc[5..]
    } else {
        cvc
    };
    assert_eq!(content.len(), 563);
    assert_eq!(&content[..5], &[0x5F, 0x4E, 0x82, 0x01, 0x29]);
    assert_eq!(&content[302..307], &[0x5F, 0x37, 0x82, 0x01, 0x00]);
    (&content[5..302], &content[307..])
}

/// SHA-256 DigestInfo of `message`.
pub fn digest_info(message: &[u8]) -> Vec<u8> {
    let mut di = hex::decode("3031300d060960864801650304020105000420").unwrap();
    di.extend_from_slice(&Sha256::digest(message));
    di
}

/// `80 2A 00 P2 33 <DigestInfo(SHA-256(challenge))> 00`: the chip's answer and SW.
pub fn sign_challenge(card: &mut VirtualCard, p2: u8, challenge: &[u8]) -> (Vec<u8>, u16) {
    let di = digest_info(challenge);
    send(
        card,
        &format!("802A00{p2:02X}{:02X}{}00", di.len(), hex::encode(&di)),
    )
}
