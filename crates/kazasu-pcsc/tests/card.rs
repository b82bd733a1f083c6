//! Every `kazasu-card` operation through a real pcscd: the virtual card in a vpcd reader, a
//! `kazasu_card` session over `PcscTransport` (its exclusive sections are real PC/SC transactions).
//!
//! Needs pcscd with vsmartcard-vpcd running and its two readers free; run one test at a time:
//! `cargo test -p kazasu-pcsc --test card -- --test-threads=1` (scripts/pcsc-e2e.sh does).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::VpcdCard;
use der::{Decode, Encode};
use kazasu_apdu::TransportErrorKind;
use kazasu_card::cvc::{CaKey, CardKey, Challenge, CvcTrust, KeyId};
use kazasu_card::{
    AuthPin, BasicInfoUnlock, BirthDateKey, CardError, CardFace, CardFaceKey, CardFaceUnlock,
    CardInfo, CardInfoPin, GenuineUnlock, HashAlgorithm, IntegrityCheck, Jpki, LastTry,
    MyNumberUnlock, PinStatus, SecretKind, Sex, SignPassword, TokenKind, VerificationCodeA,
    VerificationCodeB,
};
use kazasu_pcsc::{ExtendedApdus, Options, PcscTransport, ReaderChoice};
use kazasu_virtual_card::card::FaultPlan;
use kazasu_virtual_card::pki::CvcHierarchy;
use kazasu_virtual_card::pki::{Generation, Purpose};
use kazasu_virtual_card::vpcd::ServeEnd;
use kazasu_virtual_card::{Counterfeit, VirtualCardBuilder};
use rsa::pkcs1v15::Pkcs1v15Sign;
use rsa::pkcs8::DecodePublicKey;

fn connect_with(card: &VpcdCard, options: &Options) -> PcscTransport {
    PcscTransport::connect(&ReaderChoice::Named(card.reader().to_owned()), options).unwrap()
}

fn connect(card: &VpcdCard) -> PcscTransport {
    connect_with(card, &Options::default())
}

fn pin() -> AuthPin {
    AuthPin::new("1234").unwrap()
}

fn password() -> SignPassword {
    SignPassword::new("ABC123").unwrap()
}

fn assert_signed(cert_der: &[u8], message: &[u8], signature: &[u8]) {
    let cert = x509_cert::Certificate::from_der(cert_der).unwrap();
    let spki = cert
        .tbs_certificate()
        .subject_public_key_info()
        .to_der()
        .unwrap();
    let key = rsa::PublicKey::from_public_key_der(&spki).unwrap();
    let digest = HashAlgorithm::Sha256.digest(message);
    key.verify(Pkcs1v15Sign::new::<sha2::Sha256>(), &digest, signature)
        .unwrap();
}

#[test]
fn jpki_reads_through_pcscd() {
    let card = VpcdCard::insert(0);
    let mut jpki = Jpki::open(connect(&card)).unwrap();
    let cert = jpki.read_auth_certificate().unwrap();
    assert_eq!(cert.as_der(), card.holder.auth_certificate.as_slice());
    // The floor with extended APDUs: SELECT AP, SELECT EF, one READ BINARY.
    assert_eq!(jpki.session().stats().commands, 3);
    assert_eq!(jpki.token_kind().unwrap(), TokenKind::MyNumberCard);
    let presence = jpki.certificate_presence().unwrap();
    assert!(presence.auth && presence.sign);
    assert_eq!(
        jpki.read_auth_ca_certificate().unwrap().as_der(),
        card.pki
            .root(Purpose::Authentication, Generation::G2023)
            .der
            .as_slice()
    );
    assert_eq!(
        jpki.read_sign_ca_certificate().unwrap().as_der(),
        card.pki
            .root(Purpose::Signature, Generation::G2023)
            .der
            .as_slice()
    );
    let status = jpki.pin_status().unwrap();
    assert_eq!(status.auth, PinStatus::TriesLeft(3));
    assert_eq!(status.sign, Some(PinStatus::TriesLeft(5)));
}

#[test]
fn jpki_reads_in_short_chunks_on_a_short_only_reader() {
    let issued = VirtualCardBuilder::new(0)
        .extended_apdus(false)
        .build()
        .unwrap();
    let card = VpcdCard::insert_built(0, issued);
    let options = Options::new().extended(ExtendedApdus::Off);
    let mut jpki = Jpki::open(connect_with(&card, &options)).unwrap();
    let cert = jpki.read_auth_certificate().unwrap();
    assert_eq!(cert.as_der(), card.holder.auth_certificate.as_slice());
    let n = card.holder.auth_certificate.len() as u64;
    assert!(jpki.session().stats().commands <= 2 + n.div_ceil(256));
}

#[test]
fn jpki_signs_with_both_keys_and_leaves_no_pin_verified() {
    let card = VpcdCard::insert(0);
    let mut jpki = Jpki::open(connect(&card)).unwrap();
    let wrong = AuthPin::new("0000").unwrap();
    assert!(matches!(
        jpki.sign_message_with_auth_key(&wrong, HashAlgorithm::Sha256, b"x", LastTry::Refuse),
        Err(CardError::WrongSecret {
            kind: SecretKind::AuthPin,
            tries_left: 2
        })
    ));
    let challenge = b"server challenge through pcscd";
    let sig = jpki
        .sign_message_with_auth_key(&pin(), HashAlgorithm::Sha256, challenge, LastTry::Refuse)
        .unwrap();
    assert_signed(&card.holder.auth_certificate, challenge, sig.as_bytes());
    let sign_cert = jpki
        .read_sign_certificate(&password(), LastTry::Refuse)
        .unwrap();
    assert_eq!(sign_cert.as_der(), card.holder.sign_certificate.as_slice());
    let document = b"consent form";
    let sig = jpki
        .sign_message_with_sign_key(
            &password(),
            HashAlgorithm::Sha256,
            document,
            LastTry::Refuse,
        )
        .unwrap();
    assert_signed(&card.holder.sign_certificate, document, sig.as_bytes());
    let transport = jpki.into_session().into_transport();
    assert!(transport.pin_used());
    drop(transport);
    // The next program finds nothing verified (the right PIN also restored the counter).
    let mut next = Jpki::open(connect(&card)).unwrap();
    let status = next.pin_status().unwrap();
    assert_eq!(status.auth, PinStatus::TriesLeft(3));
    assert_eq!(status.sign, Some(PinStatus::TriesLeft(5)));
}

#[test]
fn jpki_changes_the_pin_and_the_password() {
    let card = VpcdCard::insert(0);
    let mut jpki = Jpki::open(connect(&card)).unwrap();
    let new = AuthPin::new("9876").unwrap();
    jpki.change_auth_pin(&pin(), &new, LastTry::Refuse).unwrap();
    jpki.verify_auth_pin(&new, LastTry::Refuse).unwrap();
    let new_password = SignPassword::new("NEWPASS77").unwrap();
    jpki.change_sign_password(&password(), &new_password, LastTry::Refuse)
        .unwrap();
    jpki.verify_sign_password(&new_password, LastTry::Refuse)
        .unwrap();
    assert_eq!(
        card.lock()
            .tries_left(&kazasu_virtual_card::card::JPKI_AID, 0x0018),
        Some(3)
    );
}

#[test]
fn card_info_and_card_face_through_pcscd() {
    let card = VpcdCard::insert(0);
    let p = &card.persona;
    let mut info = CardInfo::open(connect(&card)).unwrap();
    assert_eq!(info.pin_status().unwrap(), PinStatus::TriesLeft(3));
    let code_a = VerificationCodeA::new(p.my_number.as_str()).unwrap();
    let number = info
        .my_number(MyNumberUnlock::CodeA(&code_a), LastTry::Refuse)
        .unwrap();
    assert_eq!(number.expose(), p.my_number.as_str());
    let code_b = VerificationCodeB::new(&p.verification_code_b()).unwrap();
    let basic = info
        .basic_info(BasicInfoUnlock::CodeB(&code_b), LastTry::Refuse)
        .unwrap();
    assert_eq!(basic.name, p.name);
    assert_eq!(basic.address, p.address);
    let read = info
        .read_verified(
            &CardInfoPin::new("1234").unwrap(),
            &test_trust(),
            LastTry::Refuse,
        )
        .unwrap();
    assert_eq!(read.my_number.expose(), p.my_number.as_str());
    assert_eq!(read.basic_info, basic);
    assert!(matches!(read.integrity, IntegrityCheck::Verified(_)));

    let mut face = CardFace::from_session(info.into_session()).unwrap();
    let data = face
        .read(CardFaceUnlock::CodeB(&code_b), LastTry::Refuse)
        .unwrap();
    assert_eq!(data.sex, Sex::Female);
    assert_eq!(data.birth_date.to_string(), "1985-04-12");
    assert!(data.name_png.starts_with(b"\x89PNG"));
    let image = face
        .my_number_image_verified(&code_a, &test_trust(), LastTry::Refuse)
        .unwrap();
    assert!(image.starts_with(b"\x89PNG"));
}

/// The test hierarchy's CVC CA keys, as a verifier configures them.
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

#[test]
fn genuineness_through_pcscd_and_each_counterfeit_refused() {
    let card = VpcdCard::insert(0);
    let key = BirthDateKey::new(&card.persona.birth_date_key()).unwrap();
    let mut face = CardFace::open(connect(&card)).unwrap();
    let report = face
        .prove_genuine(
            &test_trust(),
            GenuineUnlock::BirthDate(&key),
            Challenge::random().unwrap(),
            LastTry::Refuse,
        )
        .unwrap();
    assert_eq!(report.ca.number(), "6000023");
    // SELECT AP, READ 0004, counter, VERIFY, READ 0001, 80 2A: through pcscd as in process.
    assert_eq!(face.session().stats().commands, 6);
    drop(face);
    drop(card);
    for (kind, want) in [
        (Counterfeit::CopiedToOtherChip, "challenge"),
        (Counterfeit::SelfMadeUnknownIssuer, "not checked"),
    ] {
        let issued = VirtualCardBuilder::new(0)
            .counterfeit(kind)
            .build()
            .unwrap();
        let card = VpcdCard::insert_built(0, issued);
        let key = BirthDateKey::new(&card.persona.birth_date_key()).unwrap();
        let err = CardFace::open(connect(&card))
            .unwrap()
            .prove_genuine(
                &test_trust(),
                GenuineUnlock::BirthDate(&key),
                Challenge::random().unwrap(),
                LastTry::Refuse,
            )
            .unwrap_err();
        assert!(matches!(err, CardError::Verification(_)), "{err}");
        assert!(err.to_string().contains(want), "{kind:?}: {err}");
    }
}

#[test]
fn after_a_session_that_used_the_birth_date_key_the_next_client_finds_it_unverified() {
    let card = VpcdCard::insert(0);
    let key = BirthDateKey::new(&card.persona.birth_date_key()).unwrap();
    let mut face = CardFace::open(connect(&card)).unwrap();
    face.age_record(&key, LastTry::Refuse).unwrap();
    assert_eq!(
        face.key_status(CardFaceKey::BirthDate).unwrap(),
        PinStatus::Verified
    );
    // The session ends: kazasu-pcsc powers the card down (SCARD_UNPOWER_CARD).
    drop(face);
    let mut next = CardFace::open(connect(&card)).unwrap();
    assert!(matches!(
        next.key_status(CardFaceKey::BirthDate).unwrap(),
        PinStatus::TriesLeft(_)
    ));
}

#[test]
fn secure_messaging_through_pcscd() {
    let card = VpcdCard::insert(0);
    let mut info = CardInfo::open(connect(&card)).unwrap();
    let mut sm = info
        .secure_messaging(&CardInfoPin::new("1234").unwrap(), LastTry::Refuse)
        .unwrap();
    assert_eq!(
        sm.my_number().unwrap().expose(),
        card.persona.my_number.as_str()
    );
    assert_eq!(sm.basic_info().unwrap().name, card.persona.name);
}

#[test]
fn a_reset_by_another_program_mid_session_reselects_and_forgets_pins() {
    let card = VpcdCard::insert(0);
    let mut jpki = Jpki::open(connect(&card)).unwrap();
    jpki.verify_auth_pin(&pin(), LastTry::Refuse).unwrap();
    assert_eq!(jpki.pin_status().unwrap().auth, PinStatus::Verified);
    let mut other = connect(&card);
    other.reset_card().unwrap();
    // The read meets the reset, re-selects and is retried once.
    let cert = jpki.read_auth_certificate().unwrap();
    assert_eq!(cert.as_der(), card.holder.auth_certificate.as_slice());
    // A warm reset leaves the card's VERIFY in force (the session still re-verifies before use);
    // only a power-down clears it.
    assert_eq!(jpki.pin_status().unwrap().auth, PinStatus::Verified);
    other.unpower_card().unwrap();
    let _ = jpki.read_auth_certificate().unwrap();
    assert_eq!(jpki.pin_status().unwrap().auth, PinStatus::TriesLeft(3));
}

#[test]
fn card_pulled_mid_read_is_an_error_and_never_a_short_certificate() {
    let issued = VirtualCardBuilder::new(0)
        .extended_apdus(false)
        .build()
        .unwrap();
    let card = VpcdCard::insert_built(0, issued);
    let options = Options::new().extended(ExtendedApdus::Off);
    let mut jpki = Jpki::open(connect_with(&card, &options)).unwrap();
    // SELECT EF, two 256-byte reads, then the card is gone.
    card.lock().set_faults(FaultPlan::default().remove_at(4));
    match jpki.read_auth_certificate() {
        Err(CardError::Apdu(kazasu_apdu::ApduError::Transport(e))) => {
            assert_eq!(e.kind(), TransportErrorKind::CardRemoved, "{e}");
        }
        other => panic!("expected the card removed, got {other:?}"),
    }
    assert_eq!(card.wait_served(), ServeEnd::CardRemoved);
}
