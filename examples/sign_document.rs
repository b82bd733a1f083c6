//! Sign a referral letter with the (virtual) My Number Card's signature key as CAdES B-T, and
//! verify it — the adapter an integrator writes between `kazasu-card` and `kazasu-sign`.
//!
//! `cargo run --example sign_document --features sign,virtual-card` prints the report and how many
//! APDUs the card exchanged for the signature.
#![allow(clippy::print_stdout)]

use std::sync::Arc;

use kazasu::apdu::Transport;
use kazasu::card::{DigestInfo, HashAlgorithm, Jpki, LastTry, SignPassword};
use kazasu::pki::{CrlSet, TrustStore, Verifier};
use kazasu::sign::cms::{CmsVerifier, SignOptions, sign};
use kazasu::sign::tsp::LocalTsa;
use kazasu::sign::{DocumentSigner, SoftwareSigner};
use kazasu::virtual_card::pki::services::TestTsa;
use kazasu::virtual_card::{VirtualCardBuilder, VirtualTransport};

/// The My Number Card's signature key as a `DocumentSigner`.
struct JpkiSigner<T: Transport> {
    card: Jpki<T>,
    password: SignPassword,
    certificate: Vec<u8>,
}

impl<T: Transport> DocumentSigner for JpkiSigner<T> {
    fn certificate(&self) -> &[u8] {
        &self.certificate
    }

    fn sign_digest(
        &mut self,
        hash: HashAlgorithm,
        digest: &[u8],
    ) -> Result<Vec<u8>, Box<dyn std::error::Error + Send + Sync>> {
        let digest_info = DigestInfo::from_digest(hash, digest)?;
        // Refuses (without spending it) when only one try is left.
        let signature =
            self.card
                .sign_with_sign_key(&self.password, &digest_info, LastTry::Refuse)?;
        Ok(signature.as_bytes().to_vec())
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let issued = VirtualCardBuilder::new(0).build()?;
    let now = time::OffsetDateTime::now_utc();
    let material = issued.pki.verification_material(now)?;
    let transport = VirtualTransport::new(issued.card);
    let probe = transport.clone();
    let password = SignPassword::new("ABC123")?;
    let mut card = Jpki::open(transport)?;
    let certificate = card
        .read_sign_certificate(&password, LastTry::Refuse)?
        .as_ref()
        .to_vec();
    let mut signer = JpkiSigner {
        card,
        password,
        certificate,
    };

    let tsa = TestTsa::new()?;
    let tsa_root = kazasu::pki::Certificate::from_der(&tsa.root)?;
    let tsa = LocalTsa::new(SoftwareSigner::new(tsa.signer.certificate, tsa.signer.key)?);
    let letter = "紹介状: 山田 花子 様をご紹介します。".as_bytes();
    let mut options = SignOptions::default();
    options.signing_time = Some(now);
    options.tsa = Some(&tsa);

    let before = probe.with_card(|c| c.command_count());
    let cms = sign(letter, &mut signer, &options)?;
    let apdus = probe.with_card(|c| c.command_count()) - before;

    let verifier = CmsVerifier::new()
        .with_jpki(Verifier::new(TrustStore::from_der_all(&material.roots)?))
        .with_tsa([tsa_root])
        .with_crls(Arc::new(CrlSet::from_der_all(&material.crls)?));
    let report = verifier.verify(&cms, Some(letter));
    println!(
        "CAdES {} signature, {} bytes, {apdus} APDUs on the card",
        report.level,
        cms.len()
    );
    println!("verdict: {}", report.verdict());
    println!("{}", serde_json::to_string_pretty(&report)?);
    if !report.verdict().is_valid() {
        return Err("the signature does not verify".into());
    }
    Ok(())
}
