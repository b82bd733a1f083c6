//! Every operation against the virtual card in process, with the APDU budgets asserted.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use der::{Decode, Encode};
use kazasu_card::IntegrityCheck;
use kazasu_card::cvc::{CaKey, CardKey, CvcError, CvcTrust, KeyId};
use kazasu_card::{
    AuthPin, BasicInfoUnlock, CardError, CardFace, CardFaceUnlock, CardInfo, CardInfoPin,
    DigestInfo, HashAlgorithm, Jpki, LastTry, MyNumberUnlock, PinStatus, SecretKind, Sex,
    SignPassword, TokenKind, VerificationCodeA, VerificationCodeB,
};
use kazasu_virtual_card::card::{FaultPlan, JPKI_AID};
use kazasu_virtual_card::pki::CvcHierarchy;
use kazasu_virtual_card::pki::{Generation, HolderCredentials, Persona, Purpose, TestPki};
use kazasu_virtual_card::{
    IssuedCard, TokenKind as VirtualToken, VirtualCardBuilder, VirtualTransport,
};
use kazasu_virtual_card::{KenmenAp, Tamper};
use rsa::pkcs1v15::Pkcs1v15Sign;
use rsa::pkcs8::DecodePublicKey;

struct Fixture {
    transport: VirtualTransport,
    pki: TestPki,
    persona: Persona,
    holder: HolderCredentials,
}

fn fixture(builder: VirtualCardBuilder) -> Fixture {
    let IssuedCard {
        card,
        pki,
        persona,
        holder,
        ..
    } = builder.build().unwrap();
    Fixture {
        transport: VirtualTransport::new(card),
        pki,
        persona,
        holder,
    }
}

/// The test hierarchy's CA keys, as a verifier configures them (test hierarchy allowed).
fn test_trust() -> CvcTrust {
    let mut trust = CvcTrust::new().allow_test_hierarchy(true);
    for ca in CvcHierarchy::new().unwrap().cas() {
        trust.add(CaKey {
            id: KeyId::new(ca.key_id.0).unwrap(),
            key: CardKey::from_components(&ca.exponent(), &ca.modulus()).unwrap(),
        });
    }
    trust
}

fn sample() -> Fixture {
    fixture(VirtualCardBuilder::new(0))
}

fn pin() -> AuthPin {
    AuthPin::new("1234").unwrap()
}

fn password() -> SignPassword {
    SignPassword::new("abc123").unwrap()
}

fn verify_rsa(cert_der: &[u8], alg: HashAlgorithm, message: &[u8], signature: &[u8]) {
    let cert = x509_cert::Certificate::from_der(cert_der).unwrap();
    let spki = cert
        .tbs_certificate()
        .subject_public_key_info()
        .to_der()
        .unwrap();
    let key = rsa::PublicKey::from_public_key_der(&spki).unwrap();
    let digest = alg.digest(message);
    let scheme = match alg {
        HashAlgorithm::Sha256 => Pkcs1v15Sign::new::<sha2::Sha256>(),
        HashAlgorithm::Sha384 => Pkcs1v15Sign::new::<sha2::Sha384>(),
        HashAlgorithm::Sha512 => Pkcs1v15Sign::new::<sha2::Sha512>(),
        _ => unreachable!(),
    };
    key.verify(scheme, &digest, signature).unwrap();
}

fn tries(t: &VirtualTransport, ef: u16) -> u8 {
    t.with_card(|c| c.tries_left(&JPKI_AID, ef)).unwrap()
}

#[test]
fn auth_certificate_costs_three_apdus_with_extended_support() {
    let f = sample();
    let mut jpki = Jpki::open(f.transport).unwrap();
    let cert = jpki.read_auth_certificate().unwrap();
    assert_eq!(
        cert.as_der(),
        f.holder.auth_certificate.as_slice(),
        "filler trimmed, nothing lost"
    );
    let s = jpki.session().stats();
    assert!(s.commands <= 3, "{} APDUs", s.commands);
    // A second read in the same session skips both SELECTs.
    jpki.read_auth_certificate().unwrap();
    assert_eq!(jpki.session().stats().commands - s.commands, 1);
}

#[test]
fn auth_certificate_without_extended_costs_two_plus_chunks() {
    let f = fixture(VirtualCardBuilder::new(0).extended_apdus(false));
    let n = f.holder.auth_certificate.len() as u64;
    let mut jpki = Jpki::open(f.transport).unwrap();
    let cert = jpki.read_auth_certificate().unwrap();
    assert_eq!(cert.as_der(), f.holder.auth_certificate.as_slice());
    assert!(jpki.session().stats().commands <= 2 + n.div_ceil(256));
}

#[test]
fn t0_style_61xx_answers_are_joined() {
    let f = fixture(VirtualCardBuilder::new(0).response_chunk(Some(64)));
    let mut jpki = Jpki::open(f.transport).unwrap();
    assert_eq!(
        jpki.read_auth_certificate().unwrap().as_der(),
        f.holder.auth_certificate.as_slice()
    );
}

#[test]
fn full_authentication_after_the_certificate_costs_four() {
    let f = sample();
    let mut jpki = Jpki::open(f.transport).unwrap();
    let cert = jpki.read_auth_certificate().unwrap();
    let before = jpki.session().stats().commands;
    let challenge = b"server challenge 0001";
    let sig = jpki
        .sign_message_with_auth_key(&pin(), HashAlgorithm::Sha256, challenge, LastTry::Refuse)
        .unwrap();
    // SELECT PIN EF, counter, VERIFY, 80 2A 00 97 (the key named by P2; no SELECT of the key EF).
    assert_eq!(jpki.session().stats().commands - before, 4);
    verify_rsa(
        cert.as_der(),
        HashAlgorithm::Sha256,
        challenge,
        sig.as_bytes(),
    );
}

#[test]
fn sha384_and_sha512_and_ready_digest_infos() {
    let f = sample();
    let mut jpki = Jpki::open(f.transport).unwrap();
    for alg in [HashAlgorithm::Sha384, HashAlgorithm::Sha512] {
        let sig = jpki
            .sign_message_with_auth_key(&pin(), alg, b"m", LastTry::Refuse)
            .unwrap();
        verify_rsa(&f.holder.auth_certificate, alg, b"m", sig.as_bytes());
    }
    let di = DigestInfo::from_digest(HashAlgorithm::Sha256, &HashAlgorithm::Sha256.digest(b"x"))
        .unwrap();
    let sig = jpki
        .sign_with_sign_key(&password(), &di, LastTry::Refuse)
        .unwrap();
    verify_rsa(
        &f.holder.sign_certificate,
        HashAlgorithm::Sha256,
        b"x",
        sig.as_bytes(),
    );
}

#[test]
fn token_kinds_and_presence() {
    let mut jpki = Jpki::open(sample().transport).unwrap();
    assert_eq!(jpki.token_kind().unwrap(), TokenKind::MyNumberCard);
    let p = jpki.certificate_presence().unwrap();
    assert!(p.sign && p.auth);
    let f = fixture(VirtualCardBuilder::new(0).token(VirtualToken::AndroidSmartphone));
    let mut jpki = Jpki::open(f.transport).unwrap();
    let kind = jpki.token_kind().unwrap();
    assert_eq!(kind, TokenKind::AndroidSmartphone);
    assert!(kind.auth_certificate_needs_pin());
    assert!(matches!(
        jpki.read_auth_certificate(),
        Err(CardError::NotAuthorized { .. })
    ));
    jpki.verify_auth_pin(&pin(), LastTry::Refuse).unwrap();
    assert_eq!(
        jpki.read_auth_certificate().unwrap().as_der(),
        f.holder.auth_certificate.as_slice()
    );
}

#[test]
fn ca_certificates_are_the_issuing_roots() {
    let f = sample();
    let mut jpki = Jpki::open(f.transport).unwrap();
    assert_eq!(
        jpki.read_auth_ca_certificate().unwrap().as_der(),
        f.pki
            .root(Purpose::Authentication, Generation::G2023)
            .der
            .as_slice()
    );
    assert_eq!(
        jpki.read_sign_ca_certificate().unwrap().as_der(),
        f.pki
            .root(Purpose::Signature, Generation::G2023)
            .der
            .as_slice()
    );
}

#[test]
fn signature_certificate_needs_the_password() {
    let f = sample();
    let t = f.transport.clone();
    let mut jpki = Jpki::open(f.transport).unwrap();
    let wrong = SignPassword::new("WRONG1").unwrap();
    assert!(matches!(
        jpki.read_sign_certificate(&wrong, LastTry::Refuse),
        Err(CardError::WrongSecret {
            kind: SecretKind::SignPassword,
            tries_left: 4
        })
    ));
    assert_eq!(tries(&t, 0x001B), 4);
    let cert = jpki
        .read_sign_certificate(&password(), LastTry::Refuse)
        .unwrap();
    assert_eq!(cert.as_der(), f.holder.sign_certificate.as_slice());
    assert_eq!(tries(&t, 0x001B), 5);
}

#[test]
fn pin_status_never_spends_a_try() {
    let f = sample();
    let t = f.transport.clone();
    let mut jpki = Jpki::open(f.transport).unwrap();
    for _ in 0..5 {
        let s = jpki.pin_status().unwrap();
        assert_eq!(s.auth, PinStatus::TriesLeft(3));
        assert_eq!(s.sign, Some(PinStatus::TriesLeft(5)));
    }
    assert_eq!(tries(&t, 0x0018), 3);
    jpki.verify_auth_pin(&pin(), LastTry::Refuse).unwrap();
    assert_eq!(jpki.pin_status().unwrap().auth, PinStatus::Verified);
    let young = fixture(VirtualCardBuilder::new(0).without_signature_certificate());
    let mut jpki = Jpki::open(young.transport).unwrap();
    assert_eq!(jpki.pin_status().unwrap().sign, None);
    assert!(!jpki.certificate_presence().unwrap().sign);
}

#[test]
fn lockout_guard_down_to_the_last_try() {
    let f = sample();
    let t = f.transport.clone();
    let mut jpki = Jpki::open(f.transport).unwrap();
    let wrong = AuthPin::new("0000").unwrap();
    assert!(matches!(
        jpki.verify_auth_pin(&wrong, LastTry::Refuse),
        Err(CardError::WrongSecret {
            kind: SecretKind::AuthPin,
            tries_left: 2
        })
    ));
    assert!(matches!(
        jpki.verify_auth_pin(&wrong, LastTry::Refuse),
        Err(CardError::WrongSecret { tries_left: 1, .. })
    ));
    // One try left: the guard refuses without sending the PIN, even the right one.
    for candidate in [&wrong, &pin()] {
        let before = jpki.session().stats().commands;
        assert!(matches!(
            jpki.verify_auth_pin(candidate, LastTry::Refuse),
            Err(CardError::LastTryRefused {
                kind: SecretKind::AuthPin
            })
        ));
        assert_eq!(tries(&t, 0x0018), 1, "no try spent");
        assert!(
            jpki.session().stats().commands - before <= 2,
            "only SELECT and the counter read"
        );
    }
    assert!(matches!(
        jpki.sign_message_with_auth_key(&pin(), HashAlgorithm::Sha256, b"x", LastTry::Refuse),
        Err(CardError::LastTryRefused { .. })
    ));
    // Explicitly allowed, the right PIN restores the counter.
    jpki.verify_auth_pin(&pin(), LastTry::Allow).unwrap();
    assert_eq!(tries(&t, 0x0018), 3);
    // Explicitly allowed, a wrong last try blocks; a blocked PIN is its own error from then on.
    jpki.verify_auth_pin(&wrong, LastTry::Refuse).unwrap_err();
    jpki.verify_auth_pin(&wrong, LastTry::Refuse).unwrap_err();
    assert!(matches!(
        jpki.verify_auth_pin(&wrong, LastTry::Allow),
        Err(CardError::Blocked {
            kind: SecretKind::AuthPin
        })
    ));
    assert!(matches!(
        jpki.verify_auth_pin(&pin(), LastTry::Allow),
        Err(CardError::Blocked { .. })
    ));
    assert_eq!(jpki.pin_status().unwrap().auth, PinStatus::Blocked);
    assert!(matches!(
        jpki.sign_message_with_auth_key(&pin(), HashAlgorithm::Sha256, b"x", LastTry::Allow),
        Err(CardError::Blocked { .. })
    ));
}

#[test]
fn invalid_secrets_are_refused_before_any_apdu() {
    let jpki = Jpki::open(sample().transport).unwrap();
    let before = jpki.session().stats().commands;
    assert!(AuthPin::new("12345").is_err());
    assert!(SignPassword::new("abc").is_err());
    assert!(VerificationCodeA::new("123456789012").is_err());
    assert_eq!(jpki.session().stats().commands, before);
}

#[test]
fn change_pin_and_password() {
    let f = sample();
    let mut jpki = Jpki::open(f.transport).unwrap();
    let new = AuthPin::new("9876").unwrap();
    jpki.change_auth_pin(&pin(), &new, LastTry::Refuse).unwrap();
    assert!(matches!(
        jpki.verify_auth_pin(&pin(), LastTry::Refuse),
        Err(CardError::WrongSecret { tries_left: 2, .. })
    ));
    jpki.verify_auth_pin(&new, LastTry::Refuse).unwrap();
    let new_pw = SignPassword::new("NEWPASS77").unwrap();
    jpki.change_sign_password(&password(), &new_pw, LastTry::Refuse)
        .unwrap();
    jpki.verify_sign_password(&new_pw, LastTry::Refuse).unwrap();
}

#[test]
fn a_reset_mid_session_reselects_and_forgets_pins() {
    let f = sample();
    let t = f.transport.clone();
    let mut jpki = Jpki::open(f.transport).unwrap();
    jpki.read_sign_certificate(&password(), LastTry::Refuse)
        .unwrap();
    // The next command is lost to a power cycle: the read is retried from a fresh SELECT.
    t.with_card(|c| c.set_faults(FaultPlan::default().power_cycle_at(1)));
    let cert = jpki.read_auth_certificate().unwrap();
    assert_eq!(cert.as_der(), f.holder.auth_certificate.as_slice());
    // The password is no longer taken as verified: reading the sign certificate verifies it again.
    let before = t.with_card(|c| c.command_count());
    jpki.read_sign_certificate(&password(), LastTry::Refuse)
        .unwrap();
    let sent = t.with_card(|c| c.command_count()) - before;
    assert!(
        sent >= 4,
        "SELECT PIN, counter, VERIFY, SELECT EF, READ; sent {sent}"
    );
    // A reset while signing is reported, never retried behind the caller's back.
    t.with_card(|c| c.set_faults(FaultPlan::default().power_cycle_at(3)));
    assert!(matches!(
        jpki.sign_message_with_auth_key(&pin(), HashAlgorithm::Sha256, b"x", LastTry::Refuse),
        Err(CardError::CardReset { .. })
    ));
}

#[test]
fn a_torn_read_is_an_error_never_a_short_certificate() {
    let f = fixture(VirtualCardBuilder::new(0).extended_apdus(false));
    let t = f.transport.clone();
    let mut jpki = Jpki::open(f.transport).unwrap();
    // SELECT EF, two 256-byte reads, then the card is gone.
    t.with_card(|c| c.set_faults(FaultPlan::default().remove_at(4)));
    match jpki.read_auth_certificate() {
        Err(CardError::Apdu(kazasu_apdu::ApduError::Transport(e))) => {
            assert_eq!(e.kind(), kazasu_apdu::TransportErrorKind::CardRemoved)
        }
        other => panic!("expected card removed, got {other:?}"),
    }
}

#[test]
fn status_words_name_the_reason_and_the_operation() {
    let f = sample();
    let t = f.transport.clone();
    let mut jpki = Jpki::open(f.transport).unwrap();
    t.with_card(|c| {
        c.set_faults(FaultPlan::default().force(2, kazasu_apdu::StatusWord::new(0x6581)))
    });
    let err = jpki.read_auth_certificate().unwrap_err();
    assert!(
        matches!(
            err,
            CardError::Refused {
                operation: "read authentication certificate",
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("6581 memory failure"), "{err}");
}

#[test]
fn card_info_my_number_and_basic_info() {
    let f = sample();
    let p = &f.persona;
    let mut ap = CardInfo::open(f.transport.clone()).unwrap();
    assert_eq!(ap.pin_status().unwrap(), PinStatus::TriesLeft(3));
    let code_a = VerificationCodeA::new(p.my_number.as_str()).unwrap();
    let n = ap
        .my_number(MyNumberUnlock::CodeA(&code_a), LastTry::Refuse)
        .unwrap();
    assert_eq!(n.expose(), p.my_number.as_str());
    let code_b = VerificationCodeB::new(&p.verification_code_b()).unwrap();
    let info = ap
        .basic_info(BasicInfoUnlock::CodeB(&code_b), LastTry::Refuse)
        .unwrap();
    assert_eq!(info.name, p.name);
    assert_eq!(info.address, p.address);
    assert_eq!(info.sex, Sex::Female);
    assert_eq!(info.birth_date.to_string(), "1985-04-12");
    let mut ap = CardInfo::open(fixture(VirtualCardBuilder::new(0)).transport).unwrap();
    let card_pin = CardInfoPin::new("1234").unwrap();
    let read = ap
        .read_verified(&card_pin, &test_trust(), LastTry::Refuse)
        .unwrap();
    assert_eq!(read.my_number.expose(), p.my_number.as_str());
    assert_eq!(read.basic_info, info);
    assert!(matches!(read.integrity, IntegrityCheck::Verified(_)));
    let wrong = CardInfoPin::new("9999").unwrap();
    let mut ap = CardInfo::open(fixture(VirtualCardBuilder::new(0)).transport).unwrap();
    assert!(matches!(
        ap.my_number(MyNumberUnlock::Pin(&wrong), LastTry::Refuse),
        Err(CardError::WrongSecret {
            kind: SecretKind::CardInfoPin,
            tries_left: 2
        })
    ));
}

#[test]
fn card_info_integrity_mismatch_is_detected() {
    // Someone changed the name after the integrity record was made.
    let f = fixture(VirtualCardBuilder::new(0).tamper(Tamper {
        ap: KenmenAp::Text,
        ef: 0x0002,
        tag: 0xDF22,
    }));
    let mut ap = CardInfo::open(f.transport).unwrap();
    let err = ap
        .read_verified(
            &CardInfoPin::new("1234").unwrap(),
            &test_trust(),
            LastTry::Refuse,
        )
        .unwrap_err();
    assert!(
        matches!(err, CardError::Verification(CvcError::HashMismatch(_))),
        "{err}"
    );
    // Without the CA key the signature is "not checked", but the hashes still catch this.
    let mut ap = CardInfo::open(
        fixture(VirtualCardBuilder::new(0).tamper(Tamper {
            ap: KenmenAp::Text,
            ef: 0x0002,
            tag: 0xDF22,
        }))
        .transport,
    )
    .unwrap();
    let err = ap
        .read_verified(
            &CardInfoPin::new("1234").unwrap(),
            &CvcTrust::new().allow_test_hierarchy(true),
            LastTry::Refuse,
        )
        .unwrap_err();
    assert!(err.to_string().contains("DF32"), "{err}");
}

#[test]
fn card_face() {
    let f = sample();
    let p = &f.persona;
    let mut face = CardFace::open(f.transport).unwrap();
    let code_b = VerificationCodeB::new(&p.verification_code_b()).unwrap();
    let (data, certificate) = face
        .read_verified(
            CardFaceUnlock::CodeB(&code_b),
            &test_trust(),
            LastTry::Refuse,
        )
        .unwrap();
    assert_eq!(certificate.issuer.number(), "6000023");
    assert_eq!(data.birth_date.to_string(), "1985-04-12");
    assert_eq!(data.sex, Sex::Female);
    assert_eq!(data.expiry_unsigned.unwrap().year, 2034);
    assert!(
        data.photo_jp2
            .starts_with(&[0, 0, 0, 0x0C, 0x6A, 0x50, 0x20, 0x20])
    );
    assert!(data.name_png.starts_with(b"\x89PNG"));
    assert!(data.address_png.starts_with(b"\x89PNG"));
    // The My Number image needs code A.
    let code_a = VerificationCodeA::new(p.my_number.as_str()).unwrap();
    assert!(
        face.my_number_image(&code_a, LastTry::Refuse)
            .unwrap()
            .starts_with(b"\x89PNG")
    );
}

#[test]
fn applications_share_one_session() {
    let f = sample();
    let mut jpki = Jpki::open(f.transport).unwrap();
    jpki.read_auth_certificate().unwrap();
    let mut info = CardInfo::from_session(jpki.into_session()).unwrap();
    assert_eq!(info.pin_status().unwrap(), PinStatus::TriesLeft(3));
    let jpki = Jpki::from_session(info.into_session()).unwrap();
    assert!(jpki.session().stats().commands >= 5);
}

#[test]
fn authenticate_adapts_its_read_order_to_each_token_kind() {
    for (virtual_token, kind) in [
        (VirtualToken::MyNumberCard, TokenKind::MyNumberCard),
        (
            VirtualToken::AndroidSmartphone,
            TokenKind::AndroidSmartphone,
        ),
        (VirtualToken::IPhone, TokenKind::IPhone),
    ] {
        let f = fixture(VirtualCardBuilder::new(0).token(virtual_token));
        let mut jpki = Jpki::open(f.transport).unwrap();
        let di = DigestInfo::of_message(HashAlgorithm::Sha256, b"bound message");
        let a = jpki.authenticate(&pin(), &di, LastTry::Refuse).unwrap();
        assert_eq!(a.token, kind);
        assert_eq!(
            a.certificate.as_der(),
            f.holder.auth_certificate.as_slice(),
            "{kind}"
        );
        verify_rsa(
            &f.holder.auth_certificate,
            HashAlgorithm::Sha256,
            b"bound message",
            a.signature.as_bytes(),
        );
    }
}

#[test]
fn authenticate_with_a_wrong_pin_signs_nothing_on_any_token() {
    for virtual_token in [
        VirtualToken::MyNumberCard,
        VirtualToken::AndroidSmartphone,
        VirtualToken::IPhone,
    ] {
        let f = fixture(VirtualCardBuilder::new(0).token(virtual_token));
        let mut jpki = Jpki::open(f.transport).unwrap();
        let di = DigestInfo::of_message(HashAlgorithm::Sha256, b"x");
        let err = jpki
            .authenticate(&AuthPin::new("9999").unwrap(), &di, LastTry::Refuse)
            .unwrap_err();
        assert!(
            matches!(err, CardError::WrongSecret { tries_left: 2, .. }),
            "{virtual_token:?}: {err:?}"
        );
    }
}
