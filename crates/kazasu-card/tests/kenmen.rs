//! The 券面 applications against the virtual card in process: genuineness proofs (and every
//! counterfeit refused with its reason), signed records, secure messaging, PIN changes, the 共通AP.
//! APDU budgets are asserted with `kazasu-apdu`'s counters.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use kazasu_apdu::{Command, Exchange};
use kazasu_card::cvc::{
    Application, CaKey, CardKey, Challenge, CvcError, CvcTrust, Hierarchy, KeyId, KeySource,
};
use kazasu_card::{
    BasicInfoUnlock, BirthDateKey, CARD_FACE_AID, CardError, CardFace, CardFaceKey, CardInfo,
    CardInfoPin, CardPin, CardPinAp, CommonAp, GenuineUnlock, HashAlgorithm, Jpki, LastTry,
    MfObject, PinStatus, SecretKind, Sex, VerificationCodeA, VerificationCodeB,
};
use kazasu_virtual_card::pki::{CvcHierarchy, Persona};
use kazasu_virtual_card::{
    Counterfeit, IssuedCard, KenmenAp, Tamper, VirtualCardBuilder, VirtualTransport,
};

fn trust() -> CvcTrust {
    let mut trust = CvcTrust::new().allow_test_hierarchy(true);
    for ca in CvcHierarchy::new().unwrap().cas() {
        trust.add(CaKey {
            id: KeyId::new(ca.key_id.0).unwrap(),
            key: CardKey::from_components(&ca.exponent(), &ca.modulus()).unwrap(),
        });
    }
    trust
}

/// A card built by `builder`, and the person it was issued to.
struct Issued {
    persona: Persona,
}

fn card(builder: VirtualCardBuilder) -> (VirtualTransport, Issued) {
    let IssuedCard { card, persona, .. } = builder.build().unwrap();
    (VirtualTransport::new(card), Issued { persona })
}

fn birth_key(issued: &Issued) -> BirthDateKey {
    BirthDateKey::new(&issued.persona.birth_date_key()).unwrap()
}

#[test]
fn genuine_by_the_birth_date_key_in_six_apdus() {
    let (t, issued) = card(VirtualCardBuilder::new(0));
    let key = birth_key(&issued);
    let mut face = CardFace::open(t.clone()).unwrap();
    let report = face
        .prove_genuine(
            &trust(),
            GenuineUnlock::BirthDate(&key),
            Challenge::random().unwrap(),
            LastTry::Refuse,
        )
        .unwrap();
    assert_eq!(report.application, Application::CardFace);
    assert_eq!(report.hierarchy, Hierarchy::Test);
    assert_eq!(report.ca.number(), "6000023");
    assert_eq!(report.key_source, KeySource::AgeRecord);
    // SELECT AP, READ 0004, counter, VERIFY 0011, READ 0001, 80 2A.
    assert_eq!(face.session().stats().commands, 6);
    // Least disclosure: only the birth-date key was verified; the card face stays closed.
    t.with_card(|c| {
        assert!(c.is_verified(&CARD_FACE_AID, 0x0011));
        assert!(!c.is_verified(&CARD_FACE_AID, 0x0012));
        assert!(!c.is_verified(&CARD_FACE_AID, 0x0013));
    });
    let text = report.to_string();
    for want in ["revocation", "DF29", "relay", "TEST card"] {
        assert!(text.contains(want), "{text}");
    }
}

#[test]
fn genuine_by_verification_code_b_and_by_the_card_info_ap_without_a_secret() {
    let (t, issued) = card(VirtualCardBuilder::new(1));
    let code_b = VerificationCodeB::new(&issued.persona.verification_code_b()).unwrap();
    let mut face = CardFace::open(t.clone()).unwrap();
    let report = face
        .prove_genuine(
            &trust(),
            GenuineUnlock::CodeB(&code_b),
            Challenge::random().unwrap(),
            LastTry::Refuse,
        )
        .unwrap();
    assert_eq!(report.key_source, KeySource::CardFace);
    let mut info = CardInfo::from_session(face.into_session()).unwrap();
    let before = info.session().stats().commands;
    let report = info
        .prove_genuine(&trust(), Challenge::random().unwrap())
        .unwrap();
    assert_eq!(report.application, Application::CardInfo);
    assert_eq!(report.key_source, KeySource::CardKeyRecord);
    assert_eq!(report.ca.number(), "6000033");
    // SELECT AP (done by from_session), READ 0004, READ 0007, 80 2A.
    assert_eq!(info.session().stats().commands - before, 3);
    assert_eq!(
        info.pin_status().unwrap(),
        PinStatus::TriesLeft(3),
        "no secret used"
    );
}

#[test]
fn the_test_hierarchy_is_refused_unless_allowed() {
    let (t, issued) = card(VirtualCardBuilder::new(0));
    let key = birth_key(&issued);
    let strict = trust().allow_test_hierarchy(false);
    let err = CardFace::open(t.clone())
        .unwrap()
        .prove_genuine(
            &strict,
            GenuineUnlock::BirthDate(&key),
            Challenge::random().unwrap(),
            LastTry::Refuse,
        )
        .unwrap_err();
    assert!(
        matches!(
            err,
            CardError::Verification(CvcError::TestHierarchyRefused { .. })
        ),
        "{err}"
    );
    // Refused before any secret was presented.
    assert_eq!(
        CardFace::open(t.clone())
            .unwrap()
            .key_status(CardFaceKey::BirthDate)
            .unwrap(),
        PinStatus::TriesLeft(
            t.with_card(|c| c.tries_left(&CARD_FACE_AID, 0x0011))
                .unwrap()
        )
    );
    t.with_card(|c| assert!(!c.is_verified(&CARD_FACE_AID, 0x0011)));
}

fn counterfeit(kind: Counterfeit) -> (CardError, VirtualTransport) {
    let (t, issued) = card(VirtualCardBuilder::new(0).counterfeit(kind));
    let key = birth_key(&issued);
    let err = CardFace::open(t.clone())
        .unwrap()
        .prove_genuine(
            &trust(),
            GenuineUnlock::BirthDate(&key),
            Challenge::random().unwrap(),
            LastTry::Refuse,
        )
        .unwrap_err();
    (err, t)
}

#[test]
fn genuine_files_copied_onto_another_chip_fail_the_challenge() {
    let (err, _) = counterfeit(Counterfeit::CopiedToOtherChip);
    assert!(
        matches!(err, CardError::Verification(CvcError::BadChallengeAnswer)),
        "{err}"
    );
    let (t, _) = card(VirtualCardBuilder::new(0).counterfeit(Counterfeit::CopiedToOtherChip));
    let err = CardInfo::open(t)
        .unwrap()
        .prove_genuine(&trust(), Challenge::random().unwrap())
        .unwrap_err();
    assert!(
        matches!(err, CardError::Verification(CvcError::BadChallengeAnswer)),
        "{err}"
    );
}

#[test]
fn self_made_cards_fail_the_certificate_before_any_secret_is_shown() {
    let (err, t) = counterfeit(Counterfeit::SelfMadeUnknownIssuer);
    match err {
        CardError::Verification(CvcError::UnknownIssuer { issuer }) => {
            assert_eq!(issuer.number(), "6999923");
            assert!(err_text(&CvcError::UnknownIssuer { issuer }).starts_with("not checked"));
        }
        other => panic!("{other}"),
    }
    t.with_card(|c| assert!(!c.is_verified(&CARD_FACE_AID, 0x0011), "no secret shown"));
    let (err, _) = counterfeit(Counterfeit::SelfMadeWrongSignature);
    assert!(
        matches!(err, CardError::Verification(CvcError::BadSignature { .. })),
        "{err}"
    );
    let (err, _) = counterfeit(Counterfeit::SelfMadeProductionIds);
    assert!(
        matches!(err, CardError::Verification(CvcError::UnknownIssuer { issuer }) if issuer.hierarchy() == Hierarchy::Production),
        "{err}"
    );
}

fn err_text(e: &CvcError) -> String {
    e.to_string()
}

#[test]
fn a_replayed_challenge_answer_is_refused() {
    let (t, issued) = card(VirtualCardBuilder::new(0));
    let mut face = CardFace::open(t.clone()).unwrap();
    let key = birth_key(&issued);
    // An attacker recorded the chip's answer to an earlier challenge…
    let old = Challenge::from_bytes([0x42; 32]);
    let mut ex = Exchange::new(t.clone());
    let cmd = Command::new(0x80, 0x2A, 0x00, 0x00)
        .with_data(old.digest_info().to_vec())
        .unwrap()
        .with_le(kazasu_apdu::Le::MAX_SHORT);
    let recorded = ex.transmit(&cmd).unwrap().into_data();
    assert_eq!(recorded.len(), 256);
    // …and replays it against the verifier's fresh challenge.
    let age = face.age_record(&key, LastTry::Refuse).unwrap();
    let cvc = face.certificate().unwrap();
    let issuer =
        kazasu_card::cvc::CertifiedIssuer::verify(&trust(), Application::CardFace, &cvc).unwrap();
    let certified = issuer
        .card_key(kazasu_card::cvc::SignedRecord::AgeRecord(&age.record))
        .unwrap();
    assert_eq!(certified.key(), &age.card_key);
    let fresh = Challenge::random().unwrap();
    assert_eq!(
        certified.check_answer(fresh, &recorded).unwrap_err(),
        CvcError::BadChallengeAnswer
    );
    // The answer was genuine for the old challenge.
    assert!(certified.check_answer(old, &recorded).is_ok());
}

#[test]
fn tampered_records_are_refused_by_signature() {
    for (ap, ef, tag) in [
        (KenmenAp::Visual, 0x0001, 0xDF13),
        (KenmenAp::Visual, 0x0001, 0xDF11),
        (KenmenAp::Visual, 0x0002, 0xDF27),
    ] {
        let (t, issued) = card(VirtualCardBuilder::new(0).tamper(Tamper { ap, ef, tag }));
        let key = birth_key(&issued);
        let code_b = VerificationCodeB::new(&issued.persona.verification_code_b()).unwrap();
        let unlock = if ef == 0x0001 {
            GenuineUnlock::BirthDate(&key)
        } else {
            GenuineUnlock::CodeB(&code_b)
        };
        let err = CardFace::open(t)
            .unwrap()
            .prove_genuine(
                &trust(),
                unlock,
                Challenge::random().unwrap(),
                LastTry::Refuse,
            )
            .unwrap_err();
        assert!(
            matches!(
                err,
                CardError::Verification(CvcError::BadRecordSignature(_))
            ),
            "{ef:04X}/{tag:04X}: {err}"
        );
    }
    // 補助AP: a wrong hash in the integrity record (DF31) or a broken DF33.
    for tag in [0xDF31, 0xDF33] {
        let (t, _) = card(VirtualCardBuilder::new(0).tamper(Tamper {
            ap: KenmenAp::Text,
            ef: 0x0003,
            tag,
        }));
        let err = CardInfo::open(t)
            .unwrap()
            .read_verified(
                &CardInfoPin::new("1234").unwrap(),
                &trust(),
                LastTry::Refuse,
            )
            .unwrap_err();
        assert!(
            matches!(
                err,
                CardError::Verification(
                    CvcError::HashMismatch(_) | CvcError::BadRecordSignature(_)
                )
            ),
            "{tag:04X}: {err}"
        );
    }
    // 補助AP 0007: the card key record's signature.
    let (t, _) = card(VirtualCardBuilder::new(0).tamper(Tamper {
        ap: KenmenAp::Text,
        ef: 0x0007,
        tag: 0xDF52,
    }));
    let err = CardInfo::open(t)
        .unwrap()
        .prove_genuine(&trust(), Challenge::random().unwrap())
        .unwrap_err();
    assert!(
        matches!(
            err,
            CardError::Verification(CvcError::BadRecordSignature(_))
        ),
        "{err}"
    );
}

#[test]
fn the_birth_date_key_reads_the_counter_first_and_keeps_the_last_try() {
    let (t, _) = card(VirtualCardBuilder::new(0));
    let mut face = CardFace::open(t.clone()).unwrap();
    let wrong = BirthDateKey::new("010101").unwrap();
    let PinStatus::TriesLeft(start) = face.key_status(CardFaceKey::BirthDate).unwrap() else {
        panic!("not counting tries");
    };
    for left in (1..start).rev() {
        assert!(matches!(
            face.age_record(&wrong, LastTry::Refuse),
            Err(CardError::WrongSecret { kind: SecretKind::BirthDateKey, tries_left }) if tries_left == left
        ));
    }
    let before = face.session().stats().commands;
    assert!(matches!(
        face.prove_genuine(
            &trust(),
            GenuineUnlock::BirthDate(&wrong),
            Challenge::random().unwrap(),
            LastTry::Refuse
        ),
        Err(CardError::LastTryRefused {
            kind: SecretKind::BirthDateKey
        })
    ));
    assert_eq!(
        t.with_card(|c| c.tries_left(&CARD_FACE_AID, 0x0011)),
        Some(1),
        "the last try was not spent"
    );
    // READ 0004 and the counter only.
    assert_eq!(face.session().stats().commands - before, 2);
    assert_eq!(
        face.key_status(CardFaceKey::BirthDate).unwrap(),
        PinStatus::TriesLeft(1)
    );
}

#[test]
fn card_face_access_follows_the_table() {
    let (t, issued) = card(VirtualCardBuilder::new(0));
    let p = &issued.persona;
    let mut face = CardFace::open(t.clone()).unwrap();
    // The birth-date key opens only the age record.
    let age = face
        .age_record(&birth_key(&issued), LastTry::Refuse)
        .unwrap();
    assert_eq!(age.birth_date.to_string(), "1985-04-12");
    let code_b = VerificationCodeB::new(&p.verification_code_b()).unwrap();
    let data = face
        .read(kazasu_card::CardFaceUnlock::CodeB(&code_b), LastTry::Refuse)
        .unwrap();
    assert_eq!(data.birth_date, age.birth_date);
    // B does not open the My Number image; A does, and its signature verifies.
    let mut face = CardFace::open(VirtualTransport::new(
        VirtualCardBuilder::new(0).build().unwrap().card,
    ))
    .unwrap();
    let code_a = VerificationCodeA::new(p.my_number.as_str()).unwrap();
    let image = face
        .my_number_image_verified(&code_a, &trust(), LastTry::Refuse)
        .unwrap();
    assert!(image.starts_with(b"\x89PNG"));
    let (data, _) = face
        .read_verified(
            kazasu_card::CardFaceUnlock::CodeA(&code_a),
            &trust(),
            LastTry::Refuse,
        )
        .unwrap();
    assert_eq!(data.sex, Sex::Female);
    assert_eq!(data.card_key, age.card_key, "one chip key in both records");
}

fn read_sw(info: &mut CardInfo<VirtualTransport>, ef: u8) -> u16 {
    let cmd = Command::new(0x00, 0xB0, 0x80 | ef, 0x00).with_le(kazasu_apdu::Le::MAX_SHORT);
    let mut session = std::mem::replace(
        info,
        CardInfo::open(VirtualTransport::new(
            VirtualCardBuilder::new(0).build().unwrap().card,
        ))
        .unwrap(),
    )
    .into_session();
    let sw = session.exchange().transmit(&cmd).unwrap().sw().value();
    *info = CardInfo::from_session(session).unwrap();
    sw
}

#[test]
fn card_info_access_follows_the_table() {
    // 照合番号A opens 0001 and 0003, not 0002.
    let (t, issued) = card(VirtualCardBuilder::new(0));
    let p = &issued.persona;
    let mut info = CardInfo::open(t).unwrap();
    let code_a = VerificationCodeA::new(p.my_number.as_str()).unwrap();
    let n = info
        .my_number(kazasu_card::MyNumberUnlock::CodeA(&code_a), LastTry::Refuse)
        .unwrap();
    assert_eq!(n.expose(), p.my_number.as_str());
    assert_eq!(read_sw(&mut info, 0x02), 0x6982);
    assert_eq!(read_sw(&mut info, 0x03), 0x9000);
    // 照合番号B opens 0002 and 0003, not 0001.
    let (t, issued) = card(VirtualCardBuilder::new(0));
    let mut info = CardInfo::open(t).unwrap();
    let code_b = VerificationCodeB::new(&issued.persona.verification_code_b()).unwrap();
    let basic = info
        .basic_info(BasicInfoUnlock::CodeB(&code_b), LastTry::Refuse)
        .unwrap();
    assert_eq!(basic.name, issued.persona.name);
    assert_eq!(read_sw(&mut info, 0x01), 0x6982);
    assert_eq!(read_sw(&mut info, 0x03), 0x9000);
    // 0004-0007 are free.
    let (t, _) = card(VirtualCardBuilder::new(0));
    let mut info = CardInfo::open(t).unwrap();
    for ef in 4..=7 {
        assert_eq!(read_sw(&mut info, ef), 0x9000, "EF {ef:04X}");
    }
}

#[test]
fn secure_messaging_reads_my_number_and_basic_info() {
    let (t, issued) = card(VirtualCardBuilder::new(0));
    let p = &issued.persona;
    let mut info = CardInfo::open(t.clone()).unwrap();
    let pin = CardInfoPin::new("1234").unwrap();
    let mut sm = info.secure_messaging(&pin, LastTry::Refuse).unwrap();
    assert_eq!(sm.my_number().unwrap().expose(), p.my_number.as_str());
    let basic = sm.basic_info().unwrap();
    assert_eq!(basic.name, p.name);
    assert_eq!(basic.birth_date.to_string(), "1985-04-12");
    // Several commands in a row: the counter advances in step with the card's.
    assert_eq!(sm.my_number().unwrap().expose(), p.my_number.as_str());
    drop(sm);
    t.with_card(|c| assert!(c.secure_messaging_open()));
}

#[test]
fn secure_messaging_out_of_step_is_6988_then_69fc() {
    let (t, _) = card(VirtualCardBuilder::new(0));
    let mut info = CardInfo::open(t.clone()).unwrap();
    let pin = CardInfoPin::new("1234").unwrap();
    let mut sm = info.secure_messaging(&pin, LastTry::Refuse).unwrap();
    sm.my_number().unwrap();
    // Another program sends an SM command the session does not know about: counters drift apart.
    let mut ex = Exchange::new(t.clone());
    let stray = Command::new(0x08, 0xA4, 0x02, 0x0C)
        .with_data(
            vec![0x86, 0x11, 0x01]
                .into_iter()
                .chain([0u8; 16])
                .collect::<Vec<_>>(),
        )
        .unwrap();
    let sw = ex.transmit(&stray).unwrap().sw().value();
    assert_eq!(sw, 0x6988);
    assert!(matches!(
        sm.my_number(),
        Err(CardError::SecureMessaging(
            kazasu_card::SmError::SessionEnded
        ))
    ));
}

#[test]
fn card_info_pin_change_with_change_key() {
    let (t, _) = card(VirtualCardBuilder::new(0));
    let mut info = CardInfo::open(t).unwrap();
    let old = CardInfoPin::new("1234").unwrap();
    let new = CardInfoPin::new("5678").unwrap();
    info.change_pin(&old, &new, LastTry::Refuse).unwrap();
    info.session();
    let mut info = CardInfo::from_session({
        let mut s = info.into_session();
        s.forget();
        s
    })
    .unwrap();
    assert!(matches!(
        info.basic_info(BasicInfoUnlock::Pin(&old), LastTry::Refuse),
        Err(CardError::WrongSecret {
            kind: SecretKind::CardInfoPin,
            tries_left: 2
        })
    ));
    info.basic_info(BasicInfoUnlock::Pin(&new), LastTry::Refuse)
        .unwrap();
}

#[test]
fn card_pin_change_in_the_common_ap_and_the_card_record() {
    let (t, issued) = card(VirtualCardBuilder::new(0));
    let mut common = CommonAp::open(t.clone());
    let record = common.card_record().unwrap();
    assert_eq!(record.serial.len(), 15);
    assert_eq!(record.municipality, issued.persona.municipality_code);
    assert_eq!(
        common.card_pin_status(CardPinAp::Common).unwrap(),
        PinStatus::TriesLeft(3)
    );
    let old = CardPin::new("1234").unwrap();
    let new = CardPin::new("2468").unwrap();
    common
        .change_card_pin(CardPinAp::Common, &old, &new, LastTry::Refuse)
        .unwrap();
    // One PIN object shared with the 住基AP.
    t.power_cycle();
    let mut common = CommonAp::open(t.clone());
    assert!(matches!(
        common.change_card_pin(CardPinAp::Juki, &old, &new, LastTry::Refuse),
        Err(CardError::WrongSecret { tries_left: 2, .. })
    ));
    common
        .change_card_pin(CardPinAp::Juki, &new, &old, LastTry::Refuse)
        .unwrap();
}

#[test]
fn the_master_file_chain_verifies() {
    let (t, _) = card(VirtualCardBuilder::new(0));
    let mut common = CommonAp::open(t);
    let last = common.verify_mf_chain(&trust()).unwrap();
    assert_eq!(last.hierarchy, Hierarchy::Test);
    assert!(
        !common
            .mf_object(MfObject::MunicipalityCode)
            .unwrap()
            .is_empty()
    );
    let (t, _) = card(VirtualCardBuilder::new(0).counterfeit(Counterfeit::SelfMadeUnknownIssuer));
    assert!(matches!(
        CommonAp::open(t).verify_mf_chain(&trust()),
        Err(CardError::Verification(CvcError::UnknownIssuer { .. }))
    ));
}

#[test]
fn a_jpki_signature_costs_four_apdus_after_the_certificate() {
    let (t, issued) = card(VirtualCardBuilder::new(0));
    let mut jpki = Jpki::open(t).unwrap();
    jpki.read_auth_certificate().unwrap();
    let before = jpki.session().stats().commands;
    let sig = jpki
        .sign_message_with_auth_key(
            &kazasu_card::AuthPin::new("1234").unwrap(),
            HashAlgorithm::Sha256,
            b"m",
            LastTry::Refuse,
        )
        .unwrap();
    // SELECT PIN EF, counter, VERIFY, 80 2A 00 97 (was 5 with a SELECT of the key EF).
    assert_eq!(jpki.session().stats().commands - before, 4);
    assert_eq!(sig.as_bytes().len(), 256);
    let _ = issued;
}
