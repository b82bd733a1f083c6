//! Signed documents: verify a CAdES B-T signature (JPKI signer, test TSA, CRLs), and sign one with
//! the virtual My Number Card (the APDU count per signature is printed). `benches/sign-ratios.sh`
//! sets verification against `openssl cms -verify` on the same file.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use kazasu_apdu::Transport;
use kazasu_card::{DigestInfo, HashAlgorithm, Jpki, LastTry, SignPassword};
use kazasu_pki::{Certificate, CrlSet, TrustStore, Verifier};
use kazasu_sign::cms::{CmsVerifier, SignOptions, sign};
use kazasu_sign::tsp::LocalTsa;
use kazasu_sign::{DocumentSigner, SoftwareSigner};
use kazasu_virtual_card::pki::services::TestTsa;
use kazasu_virtual_card::{VirtualCardBuilder, VirtualTransport};

struct CardSigner<T: Transport> {
    card: Jpki<T>,
    password: SignPassword,
    certificate: Vec<u8>,
}

impl<T: Transport> DocumentSigner for CardSigner<T> {
    fn certificate(&self) -> &[u8] {
        &self.certificate
    }

    fn sign_digest(
        &mut self,
        hash: HashAlgorithm,
        digest: &[u8],
    ) -> Result<Vec<u8>, Box<dyn std::error::Error + Send + Sync>> {
        let di = DigestInfo::from_digest(hash, digest)?;
        Ok(self
            .card
            .sign_with_sign_key(&self.password, &di, LastTry::Refuse)?
            .as_bytes()
            .to_vec())
    }
}

fn signed_documents(c: &mut Criterion) {
    let issued = VirtualCardBuilder::new(0).build().unwrap();
    let at = time::OffsetDateTime::now_utc();
    let material = issued.pki.verification_material(at).unwrap();
    let transport = VirtualTransport::new(issued.card);
    let probe = transport.clone();
    let password = SignPassword::new("ABC123").unwrap();
    let mut card = Jpki::open(transport).unwrap();
    let certificate = card
        .read_sign_certificate(&password, LastTry::Refuse)
        .unwrap()
        .as_ref()
        .to_vec();
    let mut signer = CardSigner {
        card,
        password,
        certificate,
    };
    let tsa_fixture = TestTsa::new().unwrap();
    let tsa_root = Certificate::from_der(&tsa_fixture.root).unwrap();
    let tsa = LocalTsa::new(
        SoftwareSigner::new(tsa_fixture.signer.certificate, tsa_fixture.signer.key).unwrap(),
    );
    let letter = vec![0x42u8; 4096];
    let mut options = SignOptions::default();
    options.signing_time = Some(at);
    options.tsa = Some(&tsa);

    let before = probe.with_card(|c| c.command_count());
    let cms = sign(&letter, &mut signer, &options).unwrap();
    let apdus = probe.with_card(|c| c.command_count()) - before;
    println!("sign with the virtual card: {apdus} APDUs per CAdES signature");

    let verifier = CmsVerifier::new()
        .with_jpki(Verifier::new(
            TrustStore::from_der_all(&material.roots).unwrap(),
        ))
        .with_tsa([tsa_root])
        .with_crls(Arc::new(CrlSet::from_der_all(&material.crls).unwrap()));
    assert!(verifier.verify(&cms, Some(&letter)).verdict().is_valid());
    c.bench_function("CAdES B-T verify (4 KiB, JPKI signer, TSA, CRL)", |b| {
        b.iter(|| {
            verifier
                .verify(black_box(&cms), Some(black_box(&letter)))
                .verdict()
        })
    });
    c.bench_function(
        "CAdES B-T sign on the virtual card (4 KiB, local TSA)",
        |b| b.iter(|| sign(black_box(&letter), &mut signer, &options).unwrap()),
    );
}

criterion_group!(benches, signed_documents);
criterion_main!(benches);
