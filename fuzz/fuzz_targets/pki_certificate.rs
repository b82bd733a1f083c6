#![no_main]
//! Arbitrary bytes as a DER certificate: parse, read every field, validate for both purposes.

use std::sync::OnceLock;

use kazasu_pki::time::OffsetDateTime;
use kazasu_pki::{Certificate, CertificateId, Purpose, RevocationPolicy, Verifier, VerifierOptions};
use libfuzzer_sys::fuzz_target;

fn verifier() -> &'static Verifier {
    static V: OnceLock<Verifier> = OnceLock::new();
    V.get_or_init(|| {
        let mut o = VerifierOptions::default();
        o.revocation = RevocationPolicy::Off;
        Verifier::jlis()
            .expect("built-in roots parse")
            .with_options(o)
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(cert) = Certificate::from_der(data) else {
        return;
    };
    let _ = (
        cert.subject(),
        cert.issuer(),
        cert.kind(),
        cert.legacy_id().to_string(),
    );
    // The id from the certificate alone round-trips through its text form.
    if let Some(id) = cert.id() {
        assert_eq!(id.to_string().parse::<CertificateId>().ok(), Some(id));
    }
    let _ = (
        cert.serial_hex(),
        cert.key_usage().map(|k| k.names()),
        cert.policies(),
    );
    let _ = (
        cert.authority_key_id(),
        cert.subject_key_id(),
        cert.basic_constraints(),
    );
    let _ = (cert.personal_data(), cert.ocsp_uris(), cert.auth_identity());
    let _ = (
        cert.public_key_description(),
        cert.to_pem(),
        cert.fingerprint_sha256(),
    );
    let at = OffsetDateTime::from_unix_timestamp(1_767_225_600).expect("constant");
    for purpose in [Purpose::Authentication, Purpose::Signature] {
        match verifier().validate_with(&cert, std::slice::from_ref(&cert), purpose, at) {
            Ok(path) => {
                let id = path.leaf_id();
                assert_eq!(id.to_string().parse::<CertificateId>().ok(), Some(id));
            }
            Err(e) => {
                let _ = (e.to_string(), e.code());
            }
        }
    }
    let _ = cert.verify_message(kazasu_pki::HashAlgorithm::Sha256, data, cert.signature());
});
