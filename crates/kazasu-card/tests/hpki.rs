//! The HPKI card against the virtual HPKI card in process, with the APDU budgets asserted.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use der::{Decode, Encode};
use kazasu_card::{
    CardError, CardKind, DigestInfo, HPKI_AUTH_AID, HPKI_SIGN_AID, HashAlgorithm, Hpki, HpkiAp,
    HpkiPin, Jpki, LastTry, PinStatus, SecretKind, Session,
};
use kazasu_virtual_card::{HpkiCardBuilder, IssuedHpkiCard, VirtualCardBuilder, VirtualTransport};
use rsa::pkcs1v15::Pkcs1v15Sign;
use rsa::pkcs8::DecodePublicKey;

const PIN_EF: u16 = 0x0002;

struct Fixture {
    transport: VirtualTransport,
    sign_certificate: Vec<u8>,
    auth_certificate: Vec<u8>,
}

fn fixture(builder: HpkiCardBuilder) -> Fixture {
    let IssuedHpkiCard {
        card, credentials, ..
    } = builder.build().unwrap();
    Fixture {
        transport: VirtualTransport::new(card),
        sign_certificate: credentials.sign_certificate.clone(),
        auth_certificate: credentials.auth_certificate.clone(),
    }
}

fn sample() -> Fixture {
    fixture(HpkiCardBuilder::new(0))
}

fn pin() -> HpkiPin {
    HpkiPin::new("1234").unwrap()
}

fn wrong() -> HpkiPin {
    HpkiPin::new("99999999").unwrap()
}

fn tries(t: &VirtualTransport, ap: HpkiAp) -> u8 {
    let aid = match ap {
        HpkiAp::Signature => HPKI_SIGN_AID,
        HpkiAp::Authentication => HPKI_AUTH_AID,
    };
    t.with_card(|c| c.tries_left(&aid, PIN_EF)).unwrap()
}

/// Verifies a PKCS#1 v1.5 signature with the certificate's key, using `rsa` directly.
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

#[test]
fn certificates_cost_three_apdus_with_extended_length() {
    let f = sample();
    let mut hpki = Hpki::open(f.transport.clone()).unwrap();
    let cert = hpki.read_sign_certificate().unwrap();
    assert_eq!(cert.as_der(), f.sign_certificate.as_slice());
    // SELECT AP, SELECT EF 0016, one extended READ BINARY.
    assert_eq!(hpki.session().stats().commands, 3);
    // A second read in the same session skips both SELECTs.
    hpki.read_sign_certificate().unwrap();
    assert_eq!(hpki.session().stats().commands, 4);

    let mut hpki = Hpki::open_ap(f.transport, HpkiAp::Authentication).unwrap();
    let cert = hpki.read_auth_certificate().unwrap();
    assert_eq!(cert.as_der(), f.auth_certificate.as_slice());
    assert_eq!(hpki.session().stats().commands, 3);
    assert_ne!(f.sign_certificate, f.auth_certificate);
}

#[test]
fn certificates_without_extended_length_cost_two_plus_chunks() {
    let f = fixture(HpkiCardBuilder::new(0).extended_apdus(false));
    for ap in HpkiAp::ALL {
        let mut hpki = Hpki::open_ap(f.transport.clone(), ap).unwrap();
        let (der, want) = match ap {
            HpkiAp::Signature => (
                hpki.read_sign_certificate().unwrap().into_der(),
                &f.sign_certificate,
            ),
            HpkiAp::Authentication => (
                hpki.read_auth_certificate().unwrap().into_der(),
                &f.auth_certificate,
            ),
        };
        assert_eq!(&der, want);
        let n = der.len() as u64;
        assert!(n > 256, "a certificate spans chunks");
        assert_eq!(hpki.session().stats().commands, 2 + n.div_ceil(256));
    }
}

#[test]
fn signatures_verify_with_the_certificate_key() {
    let f = sample();
    let mut hpki = Hpki::open(f.transport.clone()).unwrap();
    hpki.read_sign_certificate().unwrap();
    let before = hpki.session().stats().commands;
    let message = b"prescription 0001";
    let sig = hpki
        .sign_message(
            HpkiAp::Signature,
            &pin(),
            HashAlgorithm::Sha256,
            message,
            LastTry::Refuse,
        )
        .unwrap();
    // SELECT PIN EF, counter, VERIFY, SELECT key EF, 80 2A 00 80.
    assert_eq!(hpki.session().stats().commands - before, 5);
    verify_rsa(
        &f.sign_certificate,
        HashAlgorithm::Sha256,
        message,
        sig.as_bytes(),
    );

    for alg in [HashAlgorithm::Sha384, HashAlgorithm::Sha512] {
        for ap in HpkiAp::ALL {
            let sig = hpki
                .sign_message(ap, &pin(), alg, b"m", LastTry::Refuse)
                .unwrap();
            let cert = match ap {
                HpkiAp::Signature => &f.sign_certificate,
                HpkiAp::Authentication => &f.auth_certificate,
            };
            verify_rsa(cert, alg, b"m", sig.as_bytes());
        }
    }

    // A DigestInfo the caller built: from a digest, and as ready DER.
    let di = DigestInfo::from_digest(HashAlgorithm::Sha256, &HashAlgorithm::Sha256.digest(b"x"))
        .unwrap();
    let sig = hpki
        .sign(HpkiAp::Authentication, &pin(), &di, LastTry::Refuse)
        .unwrap();
    verify_rsa(
        &f.auth_certificate,
        HashAlgorithm::Sha256,
        b"x",
        sig.as_bytes(),
    );
    let di =
        DigestInfo::from_der(DigestInfo::of_message(HashAlgorithm::Sha512, b"y").as_der()).unwrap();
    let sig = hpki
        .sign(HpkiAp::Signature, &pin(), &di, LastTry::Refuse)
        .unwrap();
    verify_rsa(
        &f.sign_certificate,
        HashAlgorithm::Sha512,
        b"y",
        sig.as_bytes(),
    );
    // The wrong key's certificate does not verify it.
    let cert = x509_cert::Certificate::from_der(&f.auth_certificate).unwrap();
    let spki = cert
        .tbs_certificate()
        .subject_public_key_info()
        .to_der()
        .unwrap();
    let key = rsa::PublicKey::from_public_key_der(&spki).unwrap();
    assert!(
        key.verify(
            Pkcs1v15Sign::new::<sha2::Sha512>(),
            &HashAlgorithm::Sha512.digest(b"y"),
            sig.as_bytes()
        )
        .is_err()
    );
}

#[test]
fn pin_status_spends_nothing() {
    let f = sample();
    let mut hpki = Hpki::open(f.transport.clone()).unwrap();
    let s = hpki.pin_statuses().unwrap();
    let full = tries(&f.transport, HpkiAp::Signature);
    assert_eq!(s.sign, Some(PinStatus::TriesLeft(full)));
    assert_eq!(
        s.auth,
        Some(PinStatus::TriesLeft(tries(
            &f.transport,
            HpkiAp::Authentication
        )))
    );
    for _ in 0..3 {
        hpki.pin_status(HpkiAp::Signature).unwrap();
    }
    assert_eq!(tries(&f.transport, HpkiAp::Signature), full);
    hpki.verify_pin(HpkiAp::Signature, &pin(), LastTry::Refuse)
        .unwrap();
    assert_eq!(
        hpki.pin_status(HpkiAp::Signature).unwrap(),
        PinStatus::Verified
    );
    // The other application's PIN is its own.
    assert_eq!(
        hpki.pin_status(HpkiAp::Authentication).unwrap(),
        PinStatus::TriesLeft(tries(&f.transport, HpkiAp::Authentication))
    );
}

#[test]
fn wrong_pins_count_last_try_is_refused_then_blocked() {
    let f = sample();
    let t = f.transport.clone();
    let ap = HpkiAp::Signature;
    let mut hpki = Hpki::open(f.transport).unwrap();
    let full = tries(&t, ap);
    assert!(full >= 2);
    for left in (1..full).rev() {
        match hpki.verify_pin(ap, &wrong(), LastTry::Refuse) {
            Err(CardError::WrongSecret {
                kind: SecretKind::HpkiPin,
                tries_left,
            }) => assert_eq!(tries_left, left),
            other => panic!("expected a wrong PIN, got {other:?}"),
        }
        assert_eq!(tries(&t, ap), left);
    }
    // The authentication application's counter did not move.
    assert_eq!(tries(&t, HpkiAp::Authentication), full);

    // One try left: the guard reads the counter and sends no VERIFY, not even with the right PIN.
    let before = hpki.session().stats().commands;
    assert!(matches!(
        hpki.verify_pin(ap, &pin(), LastTry::Refuse),
        Err(CardError::LastTryRefused {
            kind: SecretKind::HpkiPin
        })
    ));
    assert!(matches!(
        hpki.sign_message(ap, &pin(), HashAlgorithm::Sha256, b"m", LastTry::Refuse),
        Err(CardError::LastTryRefused { .. })
    ));
    assert_eq!(
        hpki.session().stats().commands - before,
        2,
        "two counter reads"
    );
    assert_eq!(tries(&t, ap), 1);

    // Spending it on purpose with a wrong PIN blocks the PIN.
    assert!(matches!(
        hpki.verify_pin(ap, &wrong(), LastTry::Allow),
        Err(CardError::Blocked {
            kind: SecretKind::HpkiPin
        })
    ));
    assert_eq!(hpki.pin_status(ap).unwrap(), PinStatus::Blocked);
    // Blocked: the right PIN is refused before any VERIFY, signing too.
    let before = hpki.session().stats().commands;
    assert!(matches!(
        hpki.verify_pin(ap, &pin(), LastTry::Allow),
        Err(CardError::Blocked { .. })
    ));
    let err = hpki
        .sign_message(ap, &pin(), HashAlgorithm::Sha256, b"m", LastTry::Allow)
        .unwrap_err();
    assert!(matches!(err, CardError::Blocked { .. }));
    assert!(!err.to_string().contains("municipal"), "{err}");
    assert_eq!(hpki.session().stats().commands - before, 2);
    assert_eq!(tries(&t, ap), 0);
    // The certificate stays readable without a PIN.
    hpki.read_sign_certificate().unwrap();
}

#[test]
fn a_right_pin_resets_the_counter() {
    let f = sample();
    let t = f.transport.clone();
    let mut hpki = Hpki::open(f.transport).unwrap();
    let ap = HpkiAp::Authentication;
    let full = tries(&t, ap);
    assert!(hpki.verify_pin(ap, &wrong(), LastTry::Refuse).is_err());
    assert_eq!(tries(&t, ap), full - 1);
    hpki.verify_pin(ap, &pin(), LastTry::Refuse).unwrap();
    assert_eq!(tries(&t, ap), full);
}

#[test]
fn detection_tells_the_cards_apart_without_spending_anything() {
    let f = sample();
    let mut session = Session::new(f.transport.clone());
    assert_eq!(CardKind::detect(&mut session).unwrap(), CardKind::Hpki);
    // SELECT JPKI AP (refused), SELECT HPKI signature AP.
    assert_eq!(session.stats().commands, 2);
    let mut hpki = Hpki::from_session(session).unwrap();
    hpki.read_sign_certificate().unwrap();
    // No second SELECT of the application: SELECT EF, READ BINARY.
    assert_eq!(hpki.session().stats().commands, 4);
    assert_eq!(
        tries(&f.transport, HpkiAp::Signature),
        tries(&f.transport, HpkiAp::Authentication)
    );

    let jpki_card = VirtualTransport::new(VirtualCardBuilder::new(0).build().unwrap().card);
    let mut session = Session::new(jpki_card.clone());
    assert_eq!(CardKind::detect(&mut session).unwrap(), CardKind::MyNumber);
    assert_eq!(session.stats().commands, 1);
    let mut jpki = Jpki::from_session(session).unwrap();
    jpki.read_auth_certificate().unwrap();
    assert_eq!(jpki.session().stats().commands, 3);

    // Each library refuses the other card by name.
    assert!(matches!(
        Hpki::open(jpki_card),
        Err(CardError::NotFound { .. })
    ));
    assert!(matches!(
        Jpki::open(f.transport.clone()),
        Err(CardError::NotFound { .. })
    ));

    assert_eq!(
        CardKind::hint_from_atr(VirtualCardBuilder::new(0).build().unwrap().card.atr()),
        CardKind::MyNumber
    );
    assert_eq!(
        CardKind::hint_from_atr(f.transport.with_card(|c| c.atr())),
        CardKind::Unknown,
        "no HPKI ATR is known: SELECT decides"
    );
}

#[test]
fn pins_never_print() {
    let shown = format!("{:?}", HpkiPin::new("24681357").unwrap());
    assert!(!shown.contains("24681357"));
    assert!(shown.contains("REDACTED"));
}
