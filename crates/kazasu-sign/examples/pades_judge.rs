//! Signs and verifies PDFs with the virtual card's test PKIs, for the independent judges
//! (`pdfsig`, `qpdf`) in `scripts/judges-pades.sh`.
//!
//! ```text
//! pades_judge sample OUT.pdf
//! pades_judge material DIR            # trust anchors and the signers' certificates and keys (PEM)
//! pades_judge sign jpki|hpki [--tsa] IN.pdf OUT.pdf
//! pades_judge verify IN.pdf           # exit 0 valid, 1 not
//! ```
//!
//! The signers are the JPKI test PKI (seed 7, the sample persona) and the HPKI test PKI's sample
//! medical doctor — the same as kazasu-sign's tests.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::process::ExitCode;
use std::sync::Arc;

use kazasu_pki::{Certificate, CrlSet, HpkiVerifier, Purpose, TrustStore, Verifier};
use kazasu_sign::cms::CmsVerifier;
use kazasu_sign::pades::{self, PadesOptions};
use kazasu_sign::tsp::LocalTsa;
use kazasu_sign::{SoftwareSigner, Verdict};
use kazasu_virtual_card::pki::services::TestTsa;
use kazasu_virtual_card::pki::{
    CrlSpec, HpkiAp, HpkiHolder, HpkiTestPki, IssueSpec, Persona, TestPki,
};
use rsa::pkcs8::{EncodePrivateKey, LineEnding};
use time::OffsetDateTime;

type Error = Box<dyn std::error::Error>;

fn pem(label: &'static str, der: &[u8]) -> String {
    kazasu_pki::pem::encode(label, der).unwrap_or_default()
}

struct Fixtures {
    jpki: TestPki,
    jpki_creds: kazasu_virtual_card::pki::HolderCredentials,
    hpki: HpkiTestPki,
    hpki_creds: kazasu_virtual_card::pki::HpkiCredentials,
    tsa: TestTsa,
}

fn fixtures() -> Result<Fixtures, Error> {
    let jpki = TestPki::new(7)?;
    let jpki_creds = jpki.issue(&Persona::sample(), &IssueSpec::default())?;
    let hpki = HpkiTestPki::new()?;
    let hpki_creds = hpki.issue(&HpkiHolder::sample())?;
    Ok(Fixtures {
        jpki,
        jpki_creds,
        hpki,
        hpki_creds,
        tsa: TestTsa::new()?,
    })
}

fn run(args: &[String]) -> Result<ExitCode, Error> {
    let f = fixtures()?;
    let now = OffsetDateTime::now_utc();
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["sample", out] => {
            std::fs::write(out, pades::sample_referral_letter()?)?;
        }
        ["material", dir] => {
            let dir = std::path::Path::new(dir);
            std::fs::create_dir_all(dir)?;
            for (i, root) in f.jpki.roots().iter().enumerate() {
                std::fs::write(
                    dir.join(format!("jpki-root-{i}.pem")),
                    pem("CERTIFICATE", &root.der),
                )?;
            }
            std::fs::write(
                dir.join("hpki-root.pem"),
                pem("CERTIFICATE", &f.hpki.root().der),
            )?;
            std::fs::write(
                dir.join("hpki-ca.pem"),
                pem("CERTIFICATE", &f.hpki.ca(HpkiAp::Signature).der),
            )?;
            std::fs::write(dir.join("tsa-root.pem"), pem("CERTIFICATE", &f.tsa.root))?;
            std::fs::write(
                dir.join("jpki-signer.pem"),
                pem("CERTIFICATE", &f.jpki_creds.sign_certificate),
            )?;
            std::fs::write(
                dir.join("jpki-signer-key.pem"),
                f.jpki_creds
                    .sign_key
                    .to_pkcs8_pem(LineEnding::LF)?
                    .as_bytes(),
            )?;
            std::fs::write(
                dir.join("hpki-signer.pem"),
                pem("CERTIFICATE", &f.hpki_creds.sign_certificate),
            )?;
            std::fs::write(
                dir.join("hpki-signer-key.pem"),
                f.hpki_creds
                    .sign_key
                    .to_pkcs8_pem(LineEnding::LF)?
                    .as_bytes(),
            )?;
        }
        ["sign", who, rest @ ..] => {
            let (tsa, files) = match rest {
                ["--tsa", files @ ..] => (true, files),
                files => (false, files),
            };
            let [input, output] = files else {
                return Err("usage: sign jpki|hpki [--tsa] IN OUT".into());
            };
            let mut signer = match *who {
                "jpki" => SoftwareSigner::new(
                    f.jpki_creds.sign_certificate.clone(),
                    f.jpki_creds.sign_key.clone(),
                )?,
                "hpki" => SoftwareSigner::new(
                    f.hpki_creds.sign_certificate.clone(),
                    f.hpki_creds.sign_key.clone(),
                )?
                .with_chain(vec![f.hpki.ca(HpkiAp::Signature).der.clone()]),
                other => return Err(format!("unknown signer {other}").into()),
            };
            let local = LocalTsa::new(SoftwareSigner::new(
                f.tsa.signer.certificate.clone(),
                f.tsa.signer.key.clone(),
            )?);
            let mut options = PadesOptions::default();
            if tsa {
                options.tsa = Some(&local);
            }
            let pdf = std::fs::read(input)?;
            std::fs::write(output, pades::sign_pdf(&pdf, &mut signer, &options)?)?;
        }
        ["verify", input] => {
            let pdf = std::fs::read(input)?;
            let material = f.jpki.verification_material(now)?;
            let hpki = f.hpki.verification_material(now)?;
            let mut crls = material.crls.clone();
            crls.extend(hpki.crls.iter().cloned());
            crls.push(hpki.sarl.clone());
            crls.push(hpki.rarl.clone());
            for root in f.jpki.roots() {
                crls.push(
                    f.jpki
                        .crl(root.purpose, root.generation, &CrlSpec::valid_at(now))?,
                );
            }
            let hpki_root = Certificate::from_der(&f.hpki.root().der)?;
            let verifier = CmsVerifier::new()
                .with_jpki(Verifier::new(TrustStore::from_der_all(&material.roots)?))
                .with_hpki(HpkiVerifier::with_trust(
                    TrustStore::new().with_for(hpki_root, Purpose::HPKI),
                ))
                .with_tsa([Certificate::from_der(&f.tsa.root)?])
                .with_crls(Arc::new(CrlSet::from_der_all(&crls)?));
            let report = pades::verify_pdf(&pdf, &verifier)?;
            print!("{report}");
            return Ok(if report.verdict() == Verdict::Valid {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            });
        }
        _ => {
            return Err(
                "usage: sample OUT | material DIR | sign jpki|hpki [--tsa] IN OUT | verify IN"
                    .into(),
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("pades_judge: {e}");
            ExitCode::from(2)
        }
    }
}
