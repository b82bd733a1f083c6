#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The built-in J-LIS roots.

use std::collections::HashSet;

use kazasu_pki::{Certificate, CertificateKind, HashAlgorithm, JLIS_ROOTS, Purpose, TrustStore};

const AUTH_NAME: &str = "OU=Japan Agency for Local Authority Information Systems,OU=JPKI for user authentication,O=JPKI,C=JP";
const SIGN_NAME: &str = "OU=Japan Agency for Local Authority Information Systems,OU=JPKI for digital signature,O=JPKI,C=JP";

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

#[test]
fn every_shipped_root_parses_with_its_name_and_key_identifier() {
    let store = TrustStore::jlis().unwrap();
    assert_eq!(store.len(), JLIS_ROOTS.len());
    let expected_ski = [
        (
            "auth_ca_2015.pem",
            "9567951B5CA70D84A0FFF1D85A87F1AAB1340385",
        ),
        (
            "auth_ca_2023.pem",
            "1AC100F596A3BC8C4B3DF195E32699249E9E308A",
        ),
        (
            "sign_ca_2015.pem",
            "0D034CBB34D0714F45E45A1CAFD8FD143FAB54A7",
        ),
        (
            "sign_ca_2023.pem",
            "D21EA55895617E93ADBF966B941AB4EDF653F08F",
        ),
    ];
    for (root, cert) in JLIS_ROOTS.iter().zip(store.anchors()) {
        assert_eq!(&Certificate::from_pem(root.pem).unwrap(), cert);
        let name = match root.purpose {
            Purpose::Authentication => AUTH_NAME,
            _ => SIGN_NAME,
        };
        assert_eq!(cert.subject(), name, "{}", root.file);
        assert_eq!(cert.issuer(), name);
        assert_eq!(cert.kind(), CertificateKind::JpkiCa);
        assert!(cert.is_ca());
        let ku = cert.key_usage().unwrap();
        assert!(ku.key_cert_sign() && ku.crl_sign());
        assert_eq!(cert.rsa_bits(), Some(2048));
        let (file, ski) = expected_ski.iter().find(|(f, _)| *f == root.file).unwrap();
        assert_eq!(hex(cert.subject_key_id().unwrap()), *ski, "{file}");
        assert_eq!(cert.key_id(), cert.subject_key_id().unwrap());
        assert_eq!(i32::from(root.generation), cert.not_before().year());
        assert!(cert.unknown_critical_extensions().is_empty());
        // Self-signed with its own key.
        cert.verify_message(HashAlgorithm::Sha256, cert.tbs_der(), cert.signature())
            .unwrap();
    }
}

#[test]
fn generations_share_a_name_and_differ_in_key() {
    let store = TrustStore::jlis().unwrap();
    let anchors = store.anchors();
    let names: HashSet<&str> = anchors.iter().map(Certificate::subject).collect();
    assert_eq!(names.len(), 2);
    let skis: HashSet<&[u8]> = anchors.iter().map(Certificate::key_id).collect();
    assert_eq!(skis.len(), 4);
    let serials: HashSet<String> = anchors.iter().map(Certificate::serial_hex).collect();
    assert_eq!(serials.len(), 3, "both 2015 roots have serial 1");
    for purpose in [Purpose::Authentication, Purpose::Signature] {
        let gens: Vec<&Certificate> = store.jpki_anchors(purpose).collect();
        assert_eq!(gens.len(), 2);
        let (old, new) = (gens[0], gens[1]);
        assert_eq!(old.subject_der(), new.subject_der());
        assert_ne!(old.key_id(), new.key_id());
        assert!(old.not_after() < new.not_after());
        // The signature of one generation does not verify with the other's key.
        assert!(
            new.verify_message(HashAlgorithm::Sha256, old.tbs_der(), old.signature())
                .is_err()
        );
    }
}
