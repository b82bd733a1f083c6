//! CVCs, signed records and challenge answers built here with test keys, then verified: every rule
//! holds, and every counterfeit is refused with its own reason.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::cast_possible_truncation
)]

use kazasu_cvc::records::{
    AgeRecord, CARD_FACE_DIGEST_INFO_PREFIX, CardFaceRecord, CardKeyRecord, IntegrityRecord,
    MyNumberImageRecord, my_number_digits,
};
use kazasu_cvc::{
    Application, CaKey, CardKey, CertifiedIssuer, Challenge, Cvc, CvcError, CvcTrust, Hierarchy,
    KeyId, KeySource, SignedRecord,
};
use proptest::prelude::*;
use rsa::pkcs8::DecodePrivateKey;
use rsa::traits::PublicKeyParts;
use rsa::{Pkcs1v15Sign, PrivateKey};
use sha2::{Digest, Sha256};

fn key(name: &str) -> PrivateKey {
    let pem = match name {
        "ca" => include_str!("keys/ca.pem"),
        "issuer" => include_str!("keys/issuer.pem"),
        "card" => include_str!("keys/card.pem"),
        _ => include_str!("keys/rogue.pem"),
    };
    PrivateKey::from_pkcs8_pem(pem).unwrap()
}

fn encoded(k: &PrivateKey) -> Vec<u8> {
    let n = k.n().to_be_bytes();
    let n = &n[n.len() - 256..];
    let mut out = vec![0x90, 0x03, 0x01, 0x00, 0x01, 0x91, 0x82, 0x01, 0x00];
    out.extend_from_slice(n);
    out
}

fn card_key(k: &PrivateKey) -> CardKey {
    CardKey::parse(&encoded(k)).unwrap()
}

fn sign(k: &PrivateKey, message: &[u8]) -> Vec<u8> {
    k.sign(Pkcs1v15Sign::new::<Sha256>(), &Sha256::digest(message))
        .unwrap()
}

fn tlv(tag: &[u8], value: &[u8]) -> Vec<u8> {
    let mut out = tag.to_vec();
    let n = value.len();
    if n < 0x80 {
        out.push(n as u8);
    } else if n < 0x100 {
        out.extend_from_slice(&[0x81, n as u8]);
    } else {
        out.extend_from_slice(&[0x82, (n >> 8) as u8, n as u8]);
    }
    out.extend_from_slice(value);
    out
}

fn id(s: &str) -> KeyId {
    s.parse().unwrap()
}

fn cvc(issuer: &str, subject: &str, certified: &PrivateKey, signer: &PrivateKey) -> Vec<u8> {
    let mut body = id(issuer).as_bytes().to_vec();
    body.extend_from_slice(id(subject).as_bytes());
    body.extend_from_slice(&encoded(certified));
    let sig = sign(signer, &body);
    let inner = [tlv(&[0x5F, 0x4E], &body), tlv(&[0x5F, 0x37], &sig)].concat();
    tlv(&[0x7F, 0x21], &inner)
}

fn trust(ca_id: &str) -> CvcTrust {
    CvcTrust::new()
        .with_ca(CaKey {
            id: id(ca_id),
            key: card_key(&key("ca")),
        })
        .allow_test_hierarchy(true)
}

fn age_record(card: &PrivateKey, signer: &PrivateKey) -> Vec<u8> {
    let df11 = tlv(&[0xDF, 0x11], b"19850412");
    let df12 = tlv(&[0xDF, 0x12], &encoded(card));
    let df13 = tlv(
        &[0xDF, 0x13],
        &sign(signer, &[df11.clone(), df12.clone()].concat()),
    );
    tlv(&[0xFF, 0x10], &[df11, df12, df13].concat())
}

/// `FF20 { DF21 offsets, elements… }` with DF21 counted from the first byte of the file.
fn with_offsets(elements: &[Vec<u8>], n_offsets: usize) -> Vec<u8> {
    let df21_len = 3 + 2 * n_offsets;
    let body_len = df21_len + elements.iter().map(Vec::len).sum::<usize>();
    let header = tlv(&[0xFF, 0x20], &vec![0; body_len]).len() - body_len;
    let mut at = header + df21_len;
    let mut offsets = Vec::new();
    for e in elements.iter().take(n_offsets) {
        offsets.extend_from_slice(&(at as u16).to_be_bytes());
        at += e.len();
    }
    let mut body = tlv(&[0xDF, 0x21], &offsets);
    for e in elements {
        body.extend_from_slice(e);
    }
    tlv(&[0xFF, 0x20], &body)
}

fn card_face(card: &PrivateKey, signer: &PrivateKey) -> Vec<u8> {
    let e = |t: u8, v: &[u8]| tlv(&[0xDF, t], v);
    let (df22, df23, df24) = (e(0x22, b"19850412"), e(0x23, b"2"), e(0x24, &encoded(card)));
    let (df25, df26, df27) = (
        e(0x25, b"\x89PNGname"),
        e(0x26, b"\x89PNGaddr"),
        e(0x27, &[0x55; 300]),
    );
    let mut di = CARD_FACE_DIGEST_INFO_PREFIX.to_vec();
    di.extend_from_slice(&Sha256::digest(
        [df22.clone(), df23.clone(), df24.clone()].concat(),
    ));
    di.extend_from_slice(&Sha256::digest([df25.clone(), df26.clone()].concat()));
    di.extend_from_slice(&Sha256::digest(&df27));
    let sig = signer.sign(Pkcs1v15Sign::new_unprefixed(), &di).unwrap();
    let elements = vec![
        df22,
        df23,
        df24,
        df25,
        df26,
        df27,
        e(0x28, &sig),
        e(0x29, b"20340412"),
        e(0x2A, b"\x89PNGcode"),
    ];
    with_offsets(&elements, 9)
}

fn my_number_ef() -> Vec<u8> {
    let mut ef = vec![0xFF, 0x10, 0x0C];
    ef.extend_from_slice(b"123456789018");
    ef.extend_from_slice(&[0xFF, 0xFF]);
    ef
}

fn basic_info_ef(name: &str) -> Vec<u8> {
    let e = |t: u8, v: &[u8]| tlv(&[0xDF, t], v);
    with_offsets(
        &[
            e(0x22, name.as_bytes()),
            e(0x23, "東京都千代田区1-1".as_bytes()),
            e(0x24, b"19850412"),
            e(0x25, b"2"),
        ],
        4,
    )
}

fn integrity(my_number: &[u8], basic: &[u8], signer: &PrivateKey) -> Vec<u8> {
    // DF22 starts right after DF21; the span runs to the end of the record.
    let rec = kazasu_cvc::tlv::single(basic, 0xFF20, "").unwrap();
    let (df21, rest) = kazasu_cvc::tlv::element(rec.value).unwrap();
    let _ = df21;
    let df31 = tlv(&[0xDF, 0x31], &Sha256::digest(my_number));
    let df32 = tlv(&[0xDF, 0x32], &Sha256::digest(rest));
    let df33 = tlv(
        &[0xDF, 0x33],
        &sign(signer, &[df31.clone(), df32.clone()].concat()),
    );
    tlv(&[0xFF, 0x30], &[df31, df32, df33].concat())
}

#[test]
fn a_cvc_verifies_in_both_forms_and_names_its_ids() {
    let bytes = cvc("6000023-001", "6000023-002", &key("issuer"), &key("ca"));
    assert_eq!(bytes.len(), 568, "a CVC as an EF holds it: 568 bytes");
    assert_eq!(&bytes[..4], &[0x7F, 0x21, 0x82, 0x02]);
    let c = Cvc::parse(&bytes).unwrap();
    assert_eq!(c.issuer(), id("6000023-001"));
    assert_eq!(c.subject(), id("6000023-002"));
    assert_eq!(c.body().len(), 297);
    let v = trust("6000023-001").verify(&c).unwrap();
    assert_eq!(v.hierarchy, Hierarchy::Test);
    assert_eq!(v.key, card_key(&key("issuer")));
    // GET DATA returns the content without 7F21.
    let bare = Cvc::parse(&bytes[5..]).unwrap();
    assert_eq!(bare, c);
    // Filler or anything after the certificate is refused.
    let mut longer = bytes.clone();
    longer.push(0xFF);
    assert!(matches!(
        Cvc::parse(&longer),
        Err(CvcError::Malformed { .. })
    ));
}

#[test]
fn unknown_issuer_is_not_checked_not_a_bad_signature() {
    let c = Cvc::parse(&cvc(
        "5000023-001",
        "5000023-002",
        &key("issuer"),
        &key("ca"),
    ))
    .unwrap();
    assert_eq!(
        CvcTrust::new().verify(&c),
        Err(CvcError::UnknownIssuer {
            issuer: id("5000023-001")
        })
    );
    // Same number, other padding: another id, so not the configured CA.
    assert!(matches!(
        trust("5000023-001-A8").verify(&c),
        Err(CvcError::UnknownIssuer { .. })
    ));
    assert!(
        CvcError::UnknownIssuer {
            issuer: id("5000023-001")
        }
        .to_string()
        .starts_with("not checked")
    );
}

#[test]
fn a_self_made_cvc_has_a_bad_signature() {
    let c = Cvc::parse(&cvc(
        "5000023-001",
        "5000023-002",
        &key("issuer"),
        &key("rogue"),
    ))
    .unwrap();
    assert_eq!(
        trust("5000023-001").verify(&c),
        Err(CvcError::BadSignature {
            issuer: id("5000023-001")
        })
    );
    // One flipped body bit breaks a genuine certificate too.
    let mut bytes = cvc("5000023-001", "5000023-002", &key("issuer"), &key("ca"));
    bytes[100] ^= 1;
    assert!(matches!(
        Cvc::parse(&bytes).and_then(|c| trust("5000023-001").verify(&c)),
        Err(CvcError::BadSignature { .. } | CvcError::Malformed { .. } | CvcError::BadKey(_))
    ));
}

#[test]
fn the_test_hierarchy_is_refused_unless_allowed() {
    let c = Cvc::parse(&cvc(
        "6000023-001",
        "6000023-002",
        &key("issuer"),
        &key("ca"),
    ))
    .unwrap();
    let strict = trust("6000023-001").allow_test_hierarchy(false);
    assert_eq!(
        strict.verify(&c),
        Err(CvcError::TestHierarchyRefused {
            issuer: id("6000023-001")
        })
    );
    assert!(trust("6000023-001").verify(&c).is_ok());
    // A test CA certifying a production id is no hierarchy anyone issues.
    let mixed = Cvc::parse(&cvc(
        "6000023-001",
        "5000023-002",
        &key("issuer"),
        &key("ca"),
    ))
    .unwrap();
    assert!(matches!(
        trust("6000023-001").verify(&mixed),
        Err(CvcError::Malformed { .. })
    ));
}

#[test]
fn a_chain_from_the_master_file_root() {
    let root = Cvc::parse(&cvc(
        "5000020-001-A8",
        "5000020-002-A8",
        &key("issuer"),
        &key("ca"),
    ))
    .unwrap();
    let lower = Cvc::parse(&cvc(
        "5000020-002-A8",
        "5000020-003",
        &key("card"),
        &key("issuer"),
    ))
    .unwrap();
    let t = CvcTrust::new().with_ca(CaKey {
        id: id("5000020-001-A8"),
        key: card_key(&key("ca")),
    });
    let last = t.verify_chain(&[root.clone(), lower.clone()]).unwrap();
    assert_eq!(last.subject, id("5000020-003"));
    assert_eq!(last.key, card_key(&key("card")));
    // Links out of order, or a link signed by someone else, are refused.
    assert!(matches!(
        t.verify_chain(&[lower.clone(), root.clone()]),
        Err(CvcError::UnknownIssuer { .. })
    ));
    let forged = Cvc::parse(&cvc(
        "5000020-002-A8",
        "5000020-003",
        &key("card"),
        &key("rogue"),
    ))
    .unwrap();
    assert!(matches!(
        t.verify_chain(&[root.clone(), forged]),
        Err(CvcError::BadSignature { .. })
    ));
    let other = Cvc::parse(&cvc(
        "5000020-009-A8",
        "5000020-003",
        &key("card"),
        &key("issuer"),
    ))
    .unwrap();
    assert!(matches!(
        t.verify_chain(&[root, other]),
        Err(CvcError::BrokenChain { .. })
    ));
    assert!(t.verify_chain(&[]).is_err());
}

#[test]
fn genuine_by_age_record_and_challenge() {
    let t = trust("6000023-001");
    let cert = cvc("6000023-001", "6000023-002", &key("issuer"), &key("ca"));
    let issuer = CertifiedIssuer::verify(&t, Application::CardFace, &cert).unwrap();
    let rec = age_record(&key("card"), &key("issuer"));
    let parsed = AgeRecord::parse(&rec).unwrap();
    assert_eq!(&parsed.birth_date, b"19850412");
    let certified = issuer.card_key(SignedRecord::AgeRecord(&rec)).unwrap();
    let challenge = Challenge::random().unwrap();
    let digest_info = challenge.digest_info();
    assert_eq!(&digest_info[..2], &[0x30, 0x31]);
    // The chip signs the DigestInfo it is sent (PKCS#1 v1.5 with the T given).
    let answer = key("card")
        .sign(Pkcs1v15Sign::new_unprefixed(), &digest_info)
        .unwrap();
    let report = certified.check_answer(challenge, &answer).unwrap();
    assert_eq!(report.hierarchy, Hierarchy::Test);
    assert_eq!(report.ca, id("6000023-001"));
    assert_eq!(report.key_source, KeySource::AgeRecord);
    let text = report.to_string();
    assert!(
        text.contains("TEST card") && text.contains("revocation") && text.contains("relay"),
        "{text}"
    );
    assert!(text.contains("DF29"), "{text}");
    // Replay: the same answer against a fresh challenge is refused.
    let fresh = Challenge::random().unwrap();
    assert_eq!(
        certified.check_answer(fresh, &answer),
        Err(CvcError::BadChallengeAnswer)
    );
}

#[test]
fn copied_files_on_another_chip_fail_the_challenge() {
    let t = trust("6000023-001");
    let cert = cvc("6000023-001", "6000023-002", &key("issuer"), &key("ca"));
    let issuer = CertifiedIssuer::verify(&t, Application::CardFace, &cert).unwrap();
    let rec = age_record(&key("card"), &key("issuer"));
    let certified = issuer.card_key(SignedRecord::AgeRecord(&rec)).unwrap();
    let challenge = Challenge::from_bytes([7; 32]);
    let answer = key("rogue")
        .sign(Pkcs1v15Sign::new_unprefixed(), &challenge.digest_info())
        .unwrap();
    assert_eq!(
        certified.check_answer(challenge, &answer),
        Err(CvcError::BadChallengeAnswer)
    );
}

#[test]
fn a_record_signed_by_another_key_or_altered_is_refused() {
    let t = trust("6000023-001");
    let cert = cvc("6000023-001", "6000023-002", &key("issuer"), &key("ca"));
    let issuer = CertifiedIssuer::verify(&t, Application::CardFace, &cert).unwrap();
    let forged = age_record(&key("card"), &key("rogue"));
    assert!(matches!(
        issuer.card_key(SignedRecord::AgeRecord(&forged)),
        Err(CvcError::BadRecordSignature(_))
    ));
    let mut altered = age_record(&key("card"), &key("issuer"));
    let at = altered.windows(8).position(|w| w == b"19850412").unwrap();
    altered[at + 3] = b'6';
    assert!(matches!(
        issuer.card_key(SignedRecord::AgeRecord(&altered)),
        Err(CvcError::BadRecordSignature(_))
    ));
    // A record of the other application does not fit this certificate.
    assert!(
        issuer
            .card_key(SignedRecord::CardKeyRecord(&forged))
            .is_err()
    );
}

#[test]
fn the_certificate_must_come_from_the_applications_ca() {
    let cert = cvc("6000033-001", "6000033-002", &key("issuer"), &key("ca"));
    assert!(matches!(
        CertifiedIssuer::verify(&trust("6000033-001"), Application::CardFace, &cert),
        Err(CvcError::WrongIssuer { .. })
    ));
    assert!(CertifiedIssuer::verify(&trust("6000033-001"), Application::CardInfo, &cert).is_ok());
}

#[test]
fn card_face_digest_info_and_offsets() {
    let face = card_face(&key("card"), &key("issuer"));
    let r = CardFaceRecord::parse(&face).unwrap();
    assert_eq!(r.digest_info().len(), 19 + 96);
    assert_eq!(r.sex, b'2');
    assert_eq!(r.expiry_unsigned, Some(*b"20340412"));
    r.verify(&card_key(&key("issuer"))).unwrap();
    assert!(r.verify(&card_key(&key("rogue"))).is_err());
    // The unsigned expiry can be changed without breaking the signature: that is why it is not relied on.
    let mut later = face.clone();
    let at = later.windows(8).position(|w| w == b"20340412").unwrap();
    later[at + 3] = b'9';
    CardFaceRecord::parse(&later)
        .unwrap()
        .verify(&card_key(&key("issuer")))
        .unwrap();
    // The photo is signed.
    let mut photo = face.clone();
    let at = photo.windows(4).position(|w| w == [0x55; 4]).unwrap();
    photo[at] = 0x56;
    assert!(
        CardFaceRecord::parse(&photo)
            .unwrap()
            .verify(&card_key(&key("issuer")))
            .is_err()
    );
    // DF21 counted from the DF21 tag instead of the file start is malformed.
    let mut shifted = face.clone();
    let df21 = shifted.windows(2).position(|w| w == [0xDF, 0x21]).unwrap();
    shifted[df21 + 4] -= 4;
    assert!(matches!(
        CardFaceRecord::parse(&shifted),
        Err(CvcError::Malformed { .. })
    ));
    let t = trust("6000023-001");
    let cert = cvc("6000023-001", "6000023-002", &key("issuer"), &key("ca"));
    let issuer = CertifiedIssuer::verify(&t, Application::CardFace, &cert).unwrap();
    let k = issuer.card_key(SignedRecord::CardFace(&face)).unwrap();
    assert_eq!(k.key(), &card_key(&key("card")));
}

#[test]
fn my_number_image_record() {
    let df41 = tlv(&[0xDF, 0x41], b"\x89PNGnumber");
    let df42 = tlv(&[0xDF, 0x42], &encoded(&key("card")));
    let df43 = tlv(
        &[0xDF, 0x43],
        &sign(&key("issuer"), &[df41.clone(), df42.clone()].concat()),
    );
    let rec = tlv(&[0xFF, 0x40], &[df41, df42, df43].concat());
    let r = MyNumberImageRecord::parse(&rec).unwrap();
    r.verify(&card_key(&key("issuer"))).unwrap();
    assert!(r.verify(&card_key(&key("rogue"))).is_err());
}

#[test]
fn card_info_integrity_record() {
    let issuer = card_key(&key("issuer"));
    let number = my_number_ef();
    assert_eq!(&my_number_digits(&number).unwrap(), b"123456789018");
    let basic = basic_info_ef("山田 花子");
    let rec = IntegrityRecord::parse(&integrity(&number, &basic, &key("issuer"))).unwrap();
    let info = rec.verify(&number, &basic, &issuer).unwrap();
    assert_eq!(info.name, "山田 花子".as_bytes());
    // The filler is hashed: the 15-byte object alone does not match.
    assert!(matches!(
        rec.verify(&number[..15], &basic, &issuer),
        Err(CvcError::Malformed { .. })
    ));
    let mut other = number.clone();
    other[16] = 0x00;
    assert!(matches!(
        rec.verify(&other, &basic, &issuer),
        Err(CvcError::HashMismatch(_))
    ));
    // Swapped 基本4情報 does not match DF32.
    let swapped = basic_info_ef("偽 名前");
    assert!(matches!(
        rec.verify(&number, &swapped, &issuer),
        Err(CvcError::HashMismatch(_))
    ));
    // Hashes recomputed by a forger: the signature gives it away.
    let forged = IntegrityRecord::parse(&integrity(&number, &swapped, &key("rogue"))).unwrap();
    assert!(matches!(
        forged.verify(&number, &swapped, &issuer),
        Err(CvcError::BadRecordSignature(_))
    ));
}

#[test]
fn card_info_card_key_record_and_challenge() {
    let df51 = tlv(&[0xDF, 0x51], &encoded(&key("card")));
    let df52 = tlv(&[0xDF, 0x52], &sign(&key("issuer"), &df51));
    let rec = tlv(&[0xFF, 0x50], &[df51, df52].concat());
    assert_eq!(
        &rec[..5],
        &[0xFF, 0x50, 0x82, 0x02, 0x13],
        "the 0007 record header of a physical card"
    );
    CardKeyRecord::parse(&rec)
        .unwrap()
        .verify(&card_key(&key("issuer")))
        .unwrap();
    let cert = cvc("6000033-001", "6000033-002", &key("issuer"), &key("ca"));
    let issuer =
        CertifiedIssuer::verify(&trust("6000033-001"), Application::CardInfo, &cert).unwrap();
    let k = issuer.card_key(SignedRecord::CardKeyRecord(&rec)).unwrap();
    let challenge = Challenge::from_bytes([1; 32]);
    let answer = key("card")
        .sign(Pkcs1v15Sign::new_unprefixed(), &challenge.digest_info())
        .unwrap();
    let report = k.check_answer(challenge, &answer).unwrap();
    assert_eq!(report.key_source, KeySource::CardKeyRecord);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn parsers_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..700)) {
        let _ = Cvc::parse(&bytes);
        let _ = AgeRecord::parse(&bytes);
        let _ = CardFaceRecord::parse(&bytes);
        let _ = MyNumberImageRecord::parse(&bytes);
        let _ = IntegrityRecord::parse(&bytes);
        let _ = CardKeyRecord::parse(&bytes);
        let _ = CardKey::parse(&bytes);
        let _ = my_number_digits(&bytes);
    }

    #[test]
    fn any_flipped_byte_of_a_cvc_is_refused(pos in 0usize..568, bit in 0u8..8) {
        let mut bytes = cvc("6000023-001", "6000023-002", &key("issuer"), &key("ca"));
        bytes[pos] ^= 1 << bit;
        let verdict = Cvc::parse(&bytes).and_then(|c| trust("6000023-001").verify(&c));
        prop_assert!(verdict.is_err());
    }
}
