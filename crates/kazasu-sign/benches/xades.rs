//! XAdES figures: verifying a typical ES-XL prescription (µs per document, every part: references,
//! SignatureValue, SigningCertificateV2, HPKI path with the embedded CRLs, the signature
//! timestamp), and exclusive C14N throughput (MB/s) over a document.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use kazasu_pki::{Certificate, HpkiVerifier, Purpose, TrustStore};
use kazasu_sign::SoftwareSigner;
use kazasu_sign::tsp::LocalTsa;
use kazasu_sign::xades::xml::{self, C14n};
use kazasu_sign::xades::{Level, SignOptions, ValidationData, XadesVerifier, sign_prescription};
use kazasu_virtual_card::pki::services::TestTsa;
use kazasu_virtual_card::pki::{HpkiAp, HpkiHolder, HpkiTestPki};
use time::macros::datetime;

fn es_xl() -> (Vec<u8>, XadesVerifier) {
    let at = datetime!(2026-06-01 00:00 UTC);
    let pki = HpkiTestPki::new().unwrap();
    let creds = pki.issue(&HpkiHolder::sample()).unwrap();
    let ca = pki.ca(HpkiAp::Signature).der.clone();
    let mut signer = SoftwareSigner::new(creds.sign_certificate, creds.sign_key)
        .unwrap()
        .with_chain(vec![ca.clone()]);
    let tsa_fixture = TestTsa::new().unwrap();
    let tsa = LocalTsa::new(
        SoftwareSigner::new(
            tsa_fixture.signer.certificate.clone(),
            tsa_fixture.signer.key.clone(),
        )
        .unwrap(),
    )
    .with_clock(move || at);
    let m = pki.verification_material(at).unwrap();
    let mut crls = m.crls.clone();
    crls.push(m.sarl.clone());
    crls.push(m.rarl.clone());
    let data = ValidationData {
        certificates: vec![
            ca,
            pki.root().der.clone(),
            tsa_fixture.signer.certificate.clone(),
            tsa_fixture.root.clone(),
        ],
        crls,
    };
    // A prescription of a typical size: a dozen drug lines of CSV.
    let mut csv = String::from("1,1,13,1234567,医療 太郎,20260601\n");
    for i in 0..12 {
        csv.push_str(&format!(
            "201,{i},ロキソプロフェンナトリウム錠60mg,3,錠,1日3回毎食後,7日分\n"
        ));
    }
    let doc = sign_prescription(
        csv.as_bytes(),
        &mut signer,
        &SignOptions {
            signing_time: at,
            timestamper: Some(&tsa),
            validation_data: Some(&data),
            archive: false,
        },
    )
    .unwrap();
    let root = Certificate::from_der(&pki.root().der).unwrap();
    let verifier = XadesVerifier::new(HpkiVerifier::with_trust(
        TrustStore::new().with_for(root, Purpose::HPKI),
    ))
    .with_tsa_trust([Certificate::from_der(&tsa_fixture.root).unwrap()]);
    let report = verifier.verify(&doc).unwrap();
    assert_eq!(report.signatures[0].level, Some(Level::Xl), "{report:#?}");
    if let Ok(path) = std::env::var("KAZASU_XADES_BENCH_DOC") {
        std::fs::write(path, &doc).unwrap();
    }
    (doc, verifier)
}

fn bench(c: &mut Criterion) {
    let (doc, verifier) = es_xl();
    let mut g = c.benchmark_group("xades");
    g.throughput(Throughput::Elements(1));
    g.bench_function("verify ES-XL prescription", |b| {
        b.iter(|| verifier.verify(black_box(&doc)).unwrap())
    });
    let parsed = xml::parse(&doc).unwrap();
    let exc = C14n::from_uri(C14n::EXCLUSIVE, None).unwrap();
    let out_len = exc.document(&parsed).unwrap().len();
    g.throughput(Throughput::Bytes(out_len as u64));
    g.bench_function("exclusive C14N of the document", |b| {
        b.iter(|| exc.document(black_box(&parsed)).unwrap())
    });
    g.throughput(Throughput::Bytes(doc.len() as u64));
    g.bench_function("parse the document", |b| {
        b.iter(|| xml::parse(black_box(&doc)).map(|d| d.root().id()).unwrap())
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
