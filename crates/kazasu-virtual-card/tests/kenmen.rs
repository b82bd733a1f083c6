//! The 券面 applications byte for byte as the physical card has them, checked with an
//! independent reader, RSA and SHA-256 in the test.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use kazasu_virtual_card::card::{TEXT_AID, VISUAL_AID};
use kazasu_virtual_card::pki::CvcCa;
use kazasu_virtual_card::{
    Counterfeit, IssuedCard, KenmenAp, Tamper, VirtualCard, VirtualCardBuilder,
};
use rsa::PublicKey;
use rsa::pkcs1v15::Pkcs1v15Sign;
use sha2::{Digest, Sha256};

fn card() -> IssuedCard {
    VirtualCardBuilder::new(0).build().unwrap()
}

/// Offsets of DF21 as u16 values.
fn offsets(file: &[u8], table: &Found) -> Vec<usize> {
    assert_eq!(table.tag, 0xDF21);
    table
        .value(file)
        .chunks_exact(2)
        .map(|p| usize::from(u16::from_be_bytes([p[0], p[1]])))
        .collect()
}

/// The issuer key of an AP: the subject key of its EF 0004 CVC, after checking the CVC with `ca`.
fn issuer_key(c: &mut VirtualCard, issued: &IssuedCard, ca: CvcCa) -> PublicKey {
    let cvc = read_ef(c, 0x0004);
    assert_eq!(cvc.len(), 568, "a CVC EF holds exactly 568 bytes");
    let (body, signature) = cvc_parts(&cvc);
    let ca_key = issued.cvc.ca(ca);
    assert_eq!(&body[..16], &ca_key.key_id.0, "issuer key id");
    assert!(verifies(&ca_key.public_key, body, signature));
    card_key(&body[32..])
}

#[test]
fn text_ap_files_are_laid_out_and_signed_as_specified() {
    let issued = card();
    let p = issued.persona.clone();
    let mut c = VirtualCardBuilder::new(0).build().unwrap().card;
    assert_eq!(sw(&mut c, select_aid(&TEXT_AID)), 0x9000);
    assert_eq!(sw(&mut c, verify_key(0x11, "1234")), 0x9000);

    // EF 0001: FF 10 0C, 12 digits, FF FF — 17 bytes as stored.
    let ef1 = read_ef(&mut c, 0x0001);
    let mut want = vec![0xFF, 0x10, 0x0C];
    want.extend_from_slice(p.my_number.as_str().as_bytes());
    want.extend_from_slice(&[0xFF, 0xFF]);
    assert_eq!(ef1, want);

    // EF 0002: FF 20 L { DF21 08 offsets, DF22 name, DF23 address, DF24 YYYYMMDD, DF25 sex }.
    let ef2 = read_ef(&mut c, 0x0002);
    let (outer, kids) = outer_and_children(&ef2);
    assert_eq!(outer.tag, 0xFF20);
    assert_eq!(outer.value_start, 3, "short form: FF 20 L");
    assert!(ef2[outer.end..].iter().all(|b| *b == 0xFF), "filler");
    let tags: Vec<u16> = kids.iter().map(|k| k.tag).collect();
    assert_eq!(tags, [0xDF21, 0xDF22, 0xDF23, 0xDF24, 0xDF25]);
    assert_eq!(&ef2[3..6], &[0xDF, 0x21, 0x08]);
    let offs = offsets(&ef2, &kids[0]);
    // Offsets count from the first byte of the file: DF22 right after FF 20 L and DF21 08 <8 bytes>.
    assert_eq!(offs[0], 14);
    for (off, kid) in offs.iter().zip(&kids[1..]) {
        assert_eq!(*off, kid.start, "offset of {:04X}", kid.tag);
    }
    assert_eq!(kids[1].value(&ef2), p.name.as_bytes());
    assert_eq!(kids[2].value(&ef2), p.address.as_bytes());
    assert_eq!(kids[3].value(&ef2), b"19850412");
    assert_eq!(kids[4].value(&ef2), b"2");

    // EF 0003: DF31 = SHA-256(EF 0001, 17 bytes), DF32 = SHA-256(DF22 tag .. end of DF25),
    // DF33 = signature over the DF31 TLV || DF32 TLV (70 bytes) by the issuer key.
    let ef3 = read_ef(&mut c, 0x0003);
    let (outer3, rec) = outer_and_children(&ef3);
    assert_eq!(outer3.tag, 0xFF30);
    assert_eq!(
        rec.iter().map(|r| r.tag).collect::<Vec<_>>(),
        [0xDF31, 0xDF32, 0xDF33]
    );
    assert_eq!(rec[0].value(&ef3), Sha256::digest(&ef1).as_slice());
    assert_eq!(
        rec[1].value(&ef3),
        Sha256::digest(&ef2[offs[0]..kids[4].end]).as_slice()
    );
    let signed = &ef3[rec[0].start..rec[1].end];
    assert_eq!(signed.len(), 70);
    assert_eq!(rec[2].value(&ef3).len(), 256);
    let issuer = issuer_key(&mut c, &issued, CvcCa::Text);
    assert!(verifies(&issuer, signed, rec[2].value(&ef3)));
    assert!(!verifies(&issuer, &signed[2..], rec[2].value(&ef3)));

    // EF 0005: FF 40 { DF41 04 (version, extended support, vendor), DF42 16-byte key id, DF43 }.
    let ef5 = read_ef(&mut c, 0x0005);
    let (outer5, info) = outer_and_children(&ef5);
    assert_eq!(outer5.tag, 0xFF40);
    assert_eq!(
        info.iter().map(|r| r.tag).collect::<Vec<_>>(),
        [0xDF41, 0xDF42, 0xDF43]
    );
    let df41 = info[0].value(&ef5);
    assert_eq!(df41.len(), 4);
    assert_eq!(df41[1], 0x01, "extended Lc/Le supported");
    let cvc = read_ef(&mut c, 0x0004);
    assert_eq!(
        info[1].value(&ef5),
        &cvc[10 + 16..10 + 32],
        "DF42 = CVC subject id"
    );

    // EF 0006: A1 { 90 03 010001, 91 82 01 00 modulus }.
    let ef6 = read_ef(&mut c, 0x0006);
    assert_eq!(&ef6[..4], &[0xA1, 0x82, 0x01, 0x09]);
    let sm = card_key(&ef6[4..4 + 265]);

    // EF 0007: FF 50 82 02 13 { DF51 82 01 09 card key, DF52 82 01 00 sig over SHA-256(DF51 TLV) }.
    let ef7 = read_ef(&mut c, 0x0007);
    assert_eq!(&ef7[..5], &[0xFF, 0x50, 0x82, 0x02, 0x13]);
    assert_eq!(&ef7[5..10], &[0xDF, 0x51, 0x82, 0x01, 0x09]);
    assert_eq!(&ef7[275..280], &[0xDF, 0x52, 0x82, 0x01, 0x00]);
    assert!(verifies(&issuer, &ef7[5..275], &ef7[280..536]));
    let chip = card_key(&ef7[10..275]);
    assert_ne!(chip, sm, "the SM key is not the chip key");

    // The chip key answers the challenge without any credential: P2 00, no SELECT of 0013.
    let mut fresh = VirtualCardBuilder::new(0).build().unwrap().card;
    sw(&mut fresh, select_aid(&TEXT_AID));
    let (sig, s) = sign_challenge(&mut fresh, 0x00, b"verifier's own challenge");
    assert_eq!(s, 0x9000);
    assert_eq!(sig.len(), 256);
    assert!(verifies(&chip, b"verifier's own challenge", &sig));
    // And by P2 = 80|13.
    let (sig2, s) = sign_challenge(&mut fresh, 0x93, b"verifier's own challenge");
    assert_eq!((sig2, s), (sig, 0x9000));
}

#[test]
fn visual_ap_files_are_laid_out_and_signed_as_specified() {
    let issued = card();
    let p = issued.persona.clone();
    let mut c = VirtualCardBuilder::new(0).build().unwrap().card;
    sw(&mut c, select_aid(&VISUAL_AID));
    let issuer = issuer_key(&mut c, &issued, CvcCa::Visual);

    // EF 0001 age record, opened by the birth-date key 0011 (era YYMMDD: 昭和60年4月12日).
    assert_eq!(p.birth_date_key().as_str(), "600412");
    assert_eq!(sw(&mut c, select_ef(0x0001)), 0x9000);
    assert_eq!(sw(&mut c, "00B0000004"), 0x6982);
    assert_eq!(sw(&mut c, verify_key(0x11, "600412")), 0x9000);
    let ef1 = read_ef(&mut c, 0x0001);
    assert_eq!(&ef1[..5], &[0xFF, 0x10, 0x82, 0x02, 0x1E]);
    assert_eq!(&ef1[5..8], &[0xDF, 0x11, 0x08]);
    assert_eq!(&ef1[8..16], b"19850412");
    assert_eq!(&ef1[16..21], &[0xDF, 0x12, 0x82, 0x01, 0x09]);
    assert_eq!(&ef1[286..291], &[0xDF, 0x13, 0x82, 0x01, 0x00]);
    assert!(verifies(&issuer, &ef1[5..286], &ef1[291..547]));
    let chip = card_key(&ef1[21..286]);

    // The challenge with no credential at all (a fresh card, only SELECT AP).
    let mut fresh = VirtualCardBuilder::new(0).build().unwrap().card;
    sw(&mut fresh, select_aid(&VISUAL_AID));
    let (sig, s) = sign_challenge(&mut fresh, 0x00, b"nonce-1");
    assert_eq!(s, 0x9000);
    assert!(verifies(&chip, b"nonce-1", &sig));
    assert!(!verifies(&chip, b"nonce-2", &sig));

    // EF 0002 card face, opened by 照合番号B.
    assert_eq!(
        sw(&mut c, verify_key(0x12, &p.verification_code_b())),
        0x9000
    );
    let ef2 = read_ef(&mut c, 0x0002);
    let (outer, kids) = outer_and_children(&ef2);
    assert_eq!(outer.tag, 0xFF20);
    let tags: Vec<u16> = kids.iter().map(|k| k.tag).collect();
    assert_eq!(
        tags,
        [
            0xDF21, 0xDF22, 0xDF23, 0xDF24, 0xDF25, 0xDF26, 0xDF27, 0xDF28, 0xDF29, 0xDF2A
        ]
    );
    let offs = offsets(&ef2, &kids[0]);
    assert_eq!(offs.len(), 9);
    // FF 20 82 LL LL, DF21 12 <18 bytes>: DF22 at 5 + 3 + 18.
    assert_eq!(offs[0], 26);
    for (off, kid) in offs.iter().zip(&kids[1..]) {
        assert_eq!(*off, kid.start);
    }
    assert_eq!(kids[1].value(&ef2), b"19850412");
    assert_eq!(kids[2].value(&ef2), b"2");
    assert_eq!(card_key(kids[3].value(&ef2)), chip, "DF24 is the card key");
    assert!(kids[4].value(&ef2).starts_with(b"\x89PNG"));
    assert!(kids[5].value(&ef2).starts_with(b"\x89PNG"));
    assert!(
        kids[6]
            .value(&ef2)
            .starts_with(&[0, 0, 0, 0x0C, 0x6A, 0x50, 0x20, 0x20])
    );
    assert_eq!(kids[8].value(&ef2), b"20340412");
    assert!(kids[9].value(&ef2).starts_with(b"\x89PNG"));
    let seg = |a: usize, b: usize| Sha256::digest(&ef2[kids[a].start..kids[b].end]);
    let mut di = hex::decode("3071300D060960864801650304020105000460").unwrap();
    di.extend_from_slice(&seg(1, 3));
    di.extend_from_slice(&seg(4, 5));
    di.extend_from_slice(&seg(6, 6));
    assert_eq!(di.len(), 19 + 96);
    issuer
        .verify(Pkcs1v15Sign::new_unprefixed(), &di, kids[7].value(&ef2))
        .unwrap();

    // EF 0003 basic data (free): FF 30 { DF31 4 bytes, DF32 key id, DF33, DF34 municipality code }.
    let ef3 = read_ef(&mut c, 0x0003);
    let (o3, info) = outer_and_children(&ef3);
    assert_eq!(o3.tag, 0xFF30);
    assert_eq!(info[0].tag, 0xDF31);
    assert_eq!(info[0].value(&ef3).len(), 4);
    assert_eq!(info[1].tag, 0xDF32);
    assert_eq!(info[1].value(&ef3).len(), 16);
    assert_eq!(info[3].tag, 0xDF34);
    assert_eq!(info[3].value(&ef3), b"13101");

    // EF 0005 My Number image: needs 照合番号A.
    sw(&mut c, select_ef(0x0005));
    assert_eq!(sw(&mut c, "00B0000004"), 0x6982);
    assert_eq!(sw(&mut c, verify_key(0x13, p.my_number.as_str())), 0x9000);
    let ef5 = read_ef(&mut c, 0x0005);
    let (o5, rec) = outer_and_children(&ef5);
    assert_eq!(o5.tag, 0xFF40);
    assert_eq!(
        rec.iter().map(|r| r.tag).collect::<Vec<_>>(),
        [0xDF41, 0xDF42, 0xDF43]
    );
    assert_eq!(card_key(rec[1].value(&ef5)), chip);
    assert!(verifies(
        &issuer,
        &ef5[rec[0].start..rec[1].end],
        rec[2].value(&ef5)
    ));
}

/// Which files each credential opens.
#[test]
fn access_rules_per_key() {
    let issued = card();
    let p = issued.persona;
    let readable = |aid: &[u8], key: Option<(u8, &str)>, ef: u16| -> bool {
        let mut c = VirtualCardBuilder::new(0).build().unwrap().card;
        sw(&mut c, select_aid(aid));
        if let Some((id, secret)) = key {
            assert_eq!(sw(&mut c, verify_key(id, secret)), 0x9000);
        }
        sw(&mut c, select_ef(ef));
        match sw(&mut c, "00B0000001") {
            0x9000 => true,
            0x6982 => false,
            other => panic!("EF {ef:04X}: {other:04X}"),
        }
    };
    let a = p.my_number.as_str().to_owned();
    let b = p.verification_code_b().to_string();
    let birth = p.birth_date_key().to_string();
    // 補助AP: PIN opens all; A opens 0001 and 0003, not 0002; B opens 0002 and 0003.
    for ef in [1, 2, 3, 4, 5, 6, 7] {
        assert!(readable(&TEXT_AID, Some((0x11, "1234")), ef), "PIN {ef}");
    }
    let text = [
        (None, [false, false, false]),
        (Some((0x14, a.as_str())), [true, false, true]),
        (Some((0x15, b.as_str())), [false, true, true]),
    ];
    for (key, want) in text {
        for (ef, w) in [1u16, 2, 3].into_iter().zip(want) {
            assert_eq!(readable(&TEXT_AID, key, ef), w, "{key:?} {ef}");
        }
        for ef in [4, 5, 6, 7] {
            assert!(readable(&TEXT_AID, key, ef), "free {ef}");
        }
    }
    // 確認AP: A opens 0002 0003 0004 0005; B the same without 0005; birth-date key only 0001.
    let visual = [
        (None, [false, false, true, true, false]),
        (Some((0x13, a.as_str())), [false, true, true, true, true]),
        (Some((0x12, b.as_str())), [false, true, true, true, false]),
        (
            Some((0x11, birth.as_str())),
            [true, false, true, true, false],
        ),
    ];
    for (key, want) in visual {
        for (ef, w) in [1u16, 2, 3, 4, 5].into_iter().zip(want) {
            assert_eq!(readable(&VISUAL_AID, key, ef), w, "{key:?} {ef}");
        }
    }
    // 補助AP key 0012 is blocked from issue.
    let mut c = VirtualCardBuilder::new(0).build().unwrap().card;
    sw(&mut c, select_aid(&TEXT_AID));
    assert_eq!(sw(&mut c, "00200092"), 0x6984);
    // A wrong 照合番号 spends a try on that key (10 tries).
    assert_eq!(sw(&mut c, verify_key(0x14, "000000000000")), 0x63C9);
    assert_eq!(c.tries_left(&TEXT_AID, 0x0014), Some(9));
}

/// Reads the visual AP's age record and chip key and answers a challenge on `c`.
fn challenge_check(issued: &mut IssuedCard) -> (bool, bool, bool) {
    let c = &mut issued.card;
    sw(c, select_aid(&VISUAL_AID));
    let cvc = read_ef(c, 0x0004);
    let (body, signature) = cvc_parts(&cvc);
    let ca = issued.cvc.ca(CvcCa::Visual);
    let cvc_ok = body[..16] == ca.key_id.0 && verifies(&ca.public_key, body, signature);
    let issuer = card_key(&body[32..]);
    sw(c, verify_key(0x11, &issued.persona.birth_date_key()));
    let ef1 = read_ef(c, 0x0001);
    let record_ok = verifies(&issuer, &ef1[5..286], &ef1[291..547]);
    let chip = card_key(&ef1[21..286]);
    let (sig, s) = sign_challenge(c, 0x00, b"fresh nonce 42");
    assert_eq!(s, 0x9000);
    (cvc_ok, record_ok, verifies(&chip, b"fresh nonce 42", &sig))
}

#[test]
fn counterfeits_fail_where_the_specification_says() {
    let mut genuine = card();
    assert_eq!(challenge_check(&mut genuine), (true, true, true));

    // Genuine files on another chip: the challenge fails.
    let mut copied = VirtualCardBuilder::new(0)
        .counterfeit(Counterfeit::CopiedToOtherChip)
        .build()
        .unwrap();
    assert_eq!(challenge_check(&mut copied), (true, true, false));
    // The same on the text AP: DF51 of EF 0007 does not verify the chip's answer.
    let c = &mut copied.card;
    sw(c, select_aid(&TEXT_AID));
    let ef7 = read_ef(c, 0x0007);
    let (sig, _) = sign_challenge(c, 0x00, b"x");
    assert!(!verifies(&card_key(&ef7[10..275]), b"x", &sig));

    // Self-made cards: consistent inside, but the CVC fails under the configured CA.
    for kind in [
        Counterfeit::SelfMadeUnknownIssuer,
        Counterfeit::SelfMadeWrongSignature,
        Counterfeit::SelfMadeProductionIds,
    ] {
        let mut fake = VirtualCardBuilder::new(0)
            .counterfeit(kind)
            .build()
            .unwrap();
        assert_eq!(challenge_check(&mut fake), (false, true, true), "{kind:?}");
        sw(&mut fake.card, select_aid(&VISUAL_AID));
        let cvc = read_ef(&mut fake.card, 0x0004);
        let issuer_id = &cvc[10..17];
        match kind {
            Counterfeit::SelfMadeUnknownIssuer => assert_eq!(issuer_id, b"6999923"),
            Counterfeit::SelfMadeWrongSignature => assert_eq!(issuer_id, b"6000023"),
            _ => assert_eq!(issuer_id, b"5000023"),
        }
    }

    // A tampered age record: the signature no longer verifies.
    let mut tampered = VirtualCardBuilder::new(0)
        .tamper(Tamper {
            ap: KenmenAp::Visual,
            ef: 0x0001,
            tag: 0xDF11,
        })
        .build()
        .unwrap();
    assert_eq!(challenge_check(&mut tampered), (true, false, true));

    // A tampered name: DF32 no longer matches EF 0002.
    let mut t = VirtualCardBuilder::new(0)
        .tamper(Tamper {
            ap: KenmenAp::Text,
            ef: 0x0002,
            tag: 0xDF22,
        })
        .build()
        .unwrap();
    let c = &mut t.card;
    sw(c, select_aid(&TEXT_AID));
    sw(c, verify_key(0x11, "1234"));
    let ef2 = read_ef(c, 0x0002);
    let ef3 = read_ef(c, 0x0003);
    let (_, kids) = outer_and_children(&ef2);
    let (_, rec) = outer_and_children(&ef3);
    assert_ne!(
        rec[1].value(&ef3),
        Sha256::digest(&ef2[kids[1].start..kids[4].end]).as_slice()
    );
    assert!(
        VirtualCardBuilder::new(0)
            .tamper(Tamper {
                ap: KenmenAp::Text,
                ef: 0x0002,
                tag: 0xDF99,
            })
            .build()
            .is_err()
    );
}

#[test]
fn the_test_card_is_a_test_card() {
    let mut issued = card();
    for (aid, authority) in [(TEXT_AID, b"6000033"), (VISUAL_AID, b"6000023")] {
        sw(&mut issued.card, select_aid(&aid));
        let cvc = read_ef(&mut issued.card, 0x0004);
        assert_eq!(&cvc[10..17], authority);
        assert_eq!(&cvc[17..19], &[0x08, 0x05]);
        assert_eq!(&cvc[19..22], b"001");
        assert_eq!(&cvc[22..26], &[0, 0, 0, 0]);
    }
}

#[test]
fn get_challenge_gives_le_bytes() {
    let mut c = card().card;
    let (a, s) = send(&mut c, "0084000008");
    assert_eq!((a.len(), s), (8, 0x9000));
    let (b, _) = send(&mut c, "0084000008");
    assert_ne!(a, b, "every challenge differs");
    let (long, s) = send(&mut c, "0084000000");
    assert_eq!((long.len(), s), (256, 0x9000));
    assert_eq!(sw(&mut c, "0084000100"), 0x6A86);
    assert_eq!(sw(&mut c, "00840000"), 0x6700);
}
