#![no_main]
//! Arbitrary bytes as a DER OCSPResponse: verified about the virtual card's holder (alone, against
//! a request, as a revocation source), and as an OCSPRequest to the local responder.

use std::sync::OnceLock;

use kazasu_pki::time::OffsetDateTime;
use kazasu_pki::{Certificate, RevocationQuery, RevocationSource};
use kazasu_sign::SoftwareSigner;
use kazasu_sign::ocsp::{
    CertIdHash, OcspRequest, OcspResponder, OcspSource, VerifyOptions, verify_response,
    verify_response_to,
};
use kazasu_virtual_card::pki::services::jpki_ocsp_responder;
use kazasu_virtual_card::pki::{Generation, IssueSpec, Persona, Purpose, TestPki};
use libfuzzer_sys::fuzz_target;

struct Fixture {
    root: Certificate,
    holder: Certificate,
    request: OcspRequest,
    responder: OcspResponder,
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let pki = TestPki::new(0).expect("test PKI");
        let root = pki.root(Purpose::Signature, Generation::G2023);
        let holder = pki
            .issue(&Persona::sample(), &IssueSpec::default())
            .expect("holder");
        let cred = jpki_ocsp_responder(&pki, Purpose::Signature, Generation::G2023).expect("responder");
        let root_cert = Certificate::from_der(&root.der).expect("root");
        let holder = Certificate::from_der(&holder.sign_certificate).expect("holder");
        let request = OcspRequest::with_nonce(&holder, &root_cert, CertIdHash::Sha1, Some(&[7; 16]))
            .expect("request");
        let signer = SoftwareSigner::new(cred.certificate, cred.key).expect("signer");
        Fixture {
            responder: OcspResponder::new(root_cert.clone(), signer),
            root: root_cert,
            holder,
            request,
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let f = fixture();
    let at = OffsetDateTime::from_unix_timestamp(1_780_272_000).expect("constant");
    let mut lenient = VerifyOptions::default();
    lenient.allow_sha1 = true;
    lenient.require_nonce = false;
    let _ = verify_response(data, &f.holder, &f.root, at, &lenient);
    let _ = verify_response_to(data, &f.request, &f.holder, &f.root, at, &VerifyOptions::default());
    let source = OcspSource::from_responses([data.to_vec()]);
    let _ = source.status(&RevocationQuery::new(&f.holder, &f.root, at));
    let _ = OcspRequest::from_der(data);
    let _ = f.responder.respond_at(data, at);
});
