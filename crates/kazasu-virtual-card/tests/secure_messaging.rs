//! Secure messaging on the 券面事項入力補助AP (the spec's key transport, counter IV and failure codes), with the terminal side written here from the
//! specification (AES, CBC and OAEP straight from RustCrypto, nothing from the crate's SM module).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use aes::Aes128;
use aes::cipher::block_padding::Iso7816;
use aes::cipher::{BlockCipherEncrypt, BlockModeDecrypt, BlockModeEncrypt, KeyInit, KeyIvInit};
use common::*;
use kazasu_virtual_card::card::{JPKI_AID, TEXT_AID};
use kazasu_virtual_card::{VirtualCard, VirtualCardBuilder};
use proptest::prelude::*;
use rsa::oaep::Oaep;
use sha2::Sha256;

/// The terminal's half of a session.
struct Terminal {
    key: [u8; 16],
    counter: u128,
}

impl Terminal {
    fn iv(&self, n: u128) -> [u8; 16] {
        let mut block = n.to_be_bytes().into();
        Aes128::new(&self.key.into()).encrypt_block(&mut block);
        block.into()
    }

    fn encrypt(&self, n: u128, plain: &[u8]) -> Vec<u8> {
        cbc::Encryptor::<Aes128>::new(&self.key.into(), &self.iv(n).into())
            .encrypt_padded_vec::<Iso7816>(plain)
    }

    fn decrypt(&self, n: u128, c: &[u8]) -> Vec<u8> {
        cbc::Decryptor::<Aes128>::new(&self.key.into(), &self.iv(n).into())
            .decrypt_padded_vec::<Iso7816>(c)
            .unwrap()
    }

    /// `86 L 01 <E(plain)>` with the current counter (which then moves on).
    fn object(&mut self, plain: &[u8]) -> Vec<u8> {
        let c = self.encrypt(self.counter, plain);
        let mut o = vec![0x86, u8::try_from(c.len() + 1).unwrap(), 0x01];
        o.extend_from_slice(&c);
        o
    }

    fn select_ef(&mut self, card: &mut VirtualCard, fid: u16) -> u16 {
        let o = self.object(&fid.to_be_bytes());
        assert_eq!(o.len(), 0x13);
        let mut apdu = vec![0x08, 0xA4, 0x02, 0x0C, 0x13];
        apdu.extend_from_slice(&o);
        self.counter += 1;
        send_bytes(card, &apdu).1
    }

    fn verify(&mut self, card: &mut VirtualCard, id: u8, secret: &str) -> u16 {
        let o = self.object(secret.as_bytes());
        let mut apdu = vec![0x08, 0x20, 0x00, 0x80 | id, u8::try_from(o.len()).unwrap()];
        apdu.extend_from_slice(&o);
        self.counter += 1;
        send_bytes(card, &apdu).1
    }

    /// SM READ BINARY of `len` bytes at `offset` (0 = whole file): plaintext and SW.
    fn read(&mut self, card: &mut VirtualCard, offset: u16, len: u16) -> (Vec<u8>, u16) {
        let [p1, p2] = offset.to_be_bytes();
        let [hi, lo] = len.to_be_bytes();
        let apdu = [
            0x08, 0xB0, p1, p2, 0x00, 0x00, 0x05, 0x96, 0x03, 0x00, hi, lo, 0x00, 0x00,
        ];
        let n = self.counter;
        self.counter += 1;
        let (data, sw) = send_bytes(card, &apdu);
        if data.is_empty() {
            return (data, sw);
        }
        let o = tlv_at(&data, 0);
        assert_eq!(o.tag, 0x86);
        assert_eq!(o.end, data.len(), "one data object only");
        let v = o.value(&data);
        assert_eq!(v[0], 0x01, "padding indicator");
        (self.decrypt(n, &v[1..]), sw)
    }
}

/// SELECT the 補助AP, VERIFY the PIN in clear, read EF 0006 and send the key.
fn open(card: &mut VirtualCard, secret: [u8; 32]) -> Terminal {
    assert_eq!(sw(card, select_aid(&TEXT_AID)), 0x9000);
    assert_eq!(sw(card, verify_key(0x11, "1234")), 0x9000);
    let ef6 = read_ef(card, 0x0006);
    let key = card_key(&ef6[4..269]);
    let mut plain = vec![0xA0, 0x22, 0x80, 0x20];
    plain.extend_from_slice(&secret);
    let c = key
        .encrypt(&mut rand::rng(), Oaep::<Sha256>::new(), &plain)
        .unwrap();
    assert_eq!(c.len(), 256);
    let mut apdu = vec![0x80, 0xAE, 0x00, 0x00, 0x00, 0x01, 0x00];
    apdu.extend_from_slice(&c);
    let (data, s) = send_bytes(card, &apdu);
    assert_eq!((data.len(), s), (0, 0x9000));
    assert!(card.secure_messaging_open());
    let mut k = [0u8; 16];
    k.copy_from_slice(&secret[..16]);
    Terminal { key: k, counter: 1 }
}

fn fresh() -> (VirtualCard, kazasu_virtual_card::pki::Persona) {
    let issued = VirtualCardBuilder::new(0).build().unwrap();
    (issued.card, issued.persona)
}

#[test]
fn round_trip_reads_what_the_plain_read_gives() {
    let (mut c, p) = fresh();
    let plain_ef1 = {
        sw(&mut c, select_aid(&TEXT_AID));
        sw(&mut c, verify_key(0x11, "1234"));
        read_ef(&mut c, 0x0001)
    };
    let plain_ef2 = read_ef(&mut c, 0x0002);
    let mut t = open(&mut c, [0x42; 32]);
    assert_eq!(t.select_ef(&mut c, 0x0001), 0x9000);
    let (d, s) = t.read(&mut c, 0, 0);
    assert_eq!(s, 0x9000);
    assert_eq!(d, plain_ef1, "whole file, 17 bytes");
    assert_eq!(&d[3..15], p.my_number.as_str().as_bytes());
    assert_eq!(t.select_ef(&mut c, 0x0002), 0x9000);
    let (d, s) = t.read(&mut c, 0, 0);
    assert_eq!((d.as_slice(), s), (plain_ef2.as_slice(), 0x9000));
    let (d, s) = t.read(&mut c, 3, 5);
    assert_eq!((d.as_slice(), s), (&plain_ef2[3..8], 0x9000));
    // VERIFY under SM (照合番号B), then a counter query in clear shows it verified.
    assert_eq!(t.verify(&mut c, 0x15, &p.verification_code_b()), 0x9000);
    assert_eq!(sw(&mut c, "00200095"), 0x9000);
    // A wrong 照合番号 under SM spends a try.
    assert_eq!(t.verify(&mut c, 0x14, "000000000000"), 0x63C9);
    // A SELECT of an AP ends the session.
    assert_eq!(sw(&mut c, select_aid(&TEXT_AID)), 0x9000);
    assert!(!c.secure_messaging_open());
    assert_eq!(t.select_ef(&mut c, 0x0001), 0x6982, "no session any more");
}

#[test]
fn refused_reads_answer_plain_status_words() {
    let (mut c, _) = fresh();
    let mut t = open(&mut c, [9; 32]);
    // The PIN was verified; read a file that does not exist.
    assert_eq!(t.select_ef(&mut c, 0x0009), 0x6A82);
    assert_eq!(t.select_ef(&mut c, 0x0001), 0x9000);
    let (d, s) = t.read(&mut c, 0x0100, 1);
    assert_eq!((d.len(), s), (0, 0x6B00));
}

#[test]
fn a_wrong_counter_kills_the_session() {
    let (mut c, _) = fresh();
    let mut t = open(&mut c, [0x11; 32]);
    assert_eq!(t.select_ef(&mut c, 0x0001), 0x9000);
    // Skip one counter value: the card decrypts with another IV, the padding breaks.
    t.counter += 1;
    assert_eq!(t.select_ef(&mut c, 0x0002), 0x6988);
    assert!(!c.secure_messaging_open());
    assert_eq!(
        t.select_ef(&mut c, 0x0002),
        0x69FC,
        "dead until a new exchange"
    );
    let (_, s) = t.read(&mut c, 0, 0);
    assert_eq!(s, 0x69FC);
    // A new key exchange revives it.
    let mut t = open(&mut c, [0x12; 32]);
    assert_eq!(t.select_ef(&mut c, 0x0001), 0x9000);
}

#[test]
fn the_counter_moves_even_on_a_rejected_command() {
    let (mut c, _) = fresh();
    let mut t = open(&mut c, [0x21; 32]);
    assert_eq!(
        t.select_ef(&mut c, 0x0009),
        0x6A82,
        "rejected, counter 1 used"
    );
    assert_eq!(t.select_ef(&mut c, 0x0001), 0x9000, "counter 2");
    // SM instruction the card does not carry: rejected, counter 3 used, session alive.
    let (_, s) = send(&mut c, "082A000000");
    assert_eq!(s, 0x6D00);
    t.counter += 1;
    let (d, s) = t.read(&mut c, 0, 0);
    assert_eq!((d.len(), s), (17, 0x9000));
}

#[test]
fn wrong_tag_and_class_0c() {
    let (mut c, _) = fresh();
    let mut t = open(&mut c, [0x31; 32]);
    assert_eq!(sw(&mut c, "0CB0000000"), 0x6987, "class 0C");
    // A wrong tag (87 for 86).
    let mut o = t.object(&[0x00, 0x01]);
    o[0] = 0x87;
    let mut apdu = vec![0x08, 0xA4, 0x02, 0x0C, 0x13];
    apdu.extend_from_slice(&o);
    assert_eq!(send_bytes(&mut c, &apdu).1, 0x6988);
    assert_eq!(t.select_ef(&mut c, 0x0001), 0x69FC);
    // Outside any session an SM command is refused; the JPKI AP has no SM at all.
    let (mut c, _) = fresh();
    sw(&mut c, select_aid(&TEXT_AID));
    assert_eq!(sw(&mut c, "08B0000000000596030000000000"), 0x6982);
    sw(&mut c, select_aid(&JPKI_AID));
    assert_eq!(sw(&mut c, "08B0000000000596030000000000"), 0x6882);
}

#[test]
fn reset_and_power_off_end_the_session() {
    let (mut c, _) = fresh();
    let mut t = open(&mut c, [0x51; 32]);
    c.reset();
    assert!(!c.secure_messaging_open());
    sw(&mut c, select_aid(&TEXT_AID));
    assert_eq!(t.select_ef(&mut c, 0x0001), 0x6982);
    assert!(
        c.is_verified(&TEXT_AID, 0x0011),
        "the PIN survives the reset"
    );
    let _t = open(&mut c, [0x52; 32]);
    c.power_cycle();
    assert!(!c.secure_messaging_open());
    assert!(!c.is_verified(&TEXT_AID, 0x0011));
}

#[test]
fn a_bad_key_exchange_is_refused() {
    let (mut c, _) = fresh();
    sw(&mut c, select_aid(&TEXT_AID));
    let mut apdu = vec![0x80, 0xAE, 0x00, 0x00, 0x00, 0x01, 0x00];
    apdu.extend_from_slice(&[0x55; 256]);
    assert_eq!(send_bytes(&mut c, &apdu).1, 0x6A80);
    assert!(!c.secure_messaging_open());
    sw(&mut c, select_aid(&JPKI_AID));
    assert_eq!(send_bytes(&mut c, &apdu).1, 0x6D00, "only the 補助AP");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    /// Any class-08 bytes in an open session get a status word; nothing panics.
    #[test]
    fn arbitrary_sm_commands_get_status_words(
        ins in prop_oneof![Just(0x20u8), Just(0xA4), Just(0xB0), any::<u8>()],
        p1 in any::<u8>(),
        p2 in any::<u8>(),
        data in proptest::collection::vec(any::<u8>(), 0..40),
    ) {
        let (mut c, _) = fresh();
        let _t = open(&mut c, [0x61; 32]);
        let mut apdu = vec![0x08, ins, p1, p2];
        if !data.is_empty() {
            apdu.push(u8::try_from(data.len()).unwrap());
            apdu.extend_from_slice(&data);
        }
        let r = c.process(&apdu);
        prop_assert!(r.len() >= 2);
    }
}
