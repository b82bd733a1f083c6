//! `kazasu sign-eprescription` and `kazasu verify-eprescription`: XAdES e-prescriptions (電子処方箋)
//! and dispensing records signed with the HPKI card (exit 0 valid, 1 invalid or indeterminate,
//! 2 usage or I/O).

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::Args;
use kazasu_apdu::Transport;
use kazasu_card::{CardKind, DigestInfo, Hpki, HpkiAp, HpkiPin, LastTry, Session};
use kazasu_pki::{Certificate, CrlSet, HpkiVerifier, Purpose, TrustStore};
use kazasu_sign::tsp::{LocalTsa, TimeStampAuthority};
use kazasu_sign::xades::{self, SignOptions, ValidationData, XadesVerifier};
use kazasu_sign::{DocumentSigner, SoftwareSigner, Verdict};
use kazasu_virtual_card::pki::services::TestTsa;
use kazasu_virtual_card::pki::{HcRole, HpkiHolder, HpkiTestPki};
use kazasu_virtual_card::{HpkiCardBuilder, VirtualTransport};
use time::OffsetDateTime;
use zeroize::Zeroizing;

use crate::Failure;
use crate::cert::{parse_at, read_limited};

const MAX_INPUT: u64 = 32 << 20;
const MAX_CERT_FILE: u64 = 4 << 20;
const MAX_CRL_FILE: u64 = 1 << 30;

/// `kazasu sign-eprescription`.
#[derive(Args, Debug)]
pub(crate) struct SignArgs {
    /// The prescription (or, with --dispense, dispensing) data: CSV, or an unsigned
    /// prescription document whose PrescriptionDocument holds it.
    #[arg(long = "in", value_name = "CSV_OR_XML")]
    input: PathBuf,
    /// Where to write the signed document.
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    /// The card: only `hpki` (the HPKI card's signature key).
    #[arg(long, value_name = "KIND", default_value = "hpki")]
    card: String,
    /// PC/SC reader name; without it the built-in virtual HPKI card answers in process (a
    /// Medical Doctor, or with --dispense a Pharmacist; PIN 1234).
    #[arg(long, value_name = "NAME")]
    reader: Option<String>,
    /// Read the PIN from one line of standard input instead of the terminal.
    #[arg(long)]
    pin_stdin: bool,
    /// Spend the last PIN try if only one is left (otherwise refused to protect the card).
    #[arg(long)]
    allow_last_try: bool,
    /// ES-T: a timestamp from this RFC 3161 TSA (http://…).
    #[arg(long, value_name = "URL", conflicts_with = "tsa_local")]
    tsa: Option<String>,
    /// ES-T: a timestamp from the local test TSA (kazasu's test TSA certificate; not accredited).
    #[arg(long)]
    tsa_local: bool,
    /// ES-XL: embed the CA and TSA certificates and the CRLs (the virtual card's test PKI ones,
    /// plus --embed-cert / --embed-crl). Needs a TSA.
    #[arg(long)]
    xl: bool,
    /// ES-A: add an ArchiveTimeStamp (needs --xl).
    #[arg(long, requires = "xl")]
    archive: bool,
    /// A certificate to embed for ES-XL (repeatable).
    #[arg(long, value_name = "FILE")]
    embed_cert: Vec<PathBuf>,
    /// A CRL to embed for ES-XL (repeatable).
    #[arg(long, value_name = "FILE")]
    embed_crl: Vec<PathBuf>,
    /// Sign a dispensing record embedding this signed prescription (a pharmacist counter-signs).
    #[arg(long, value_name = "PRESCRIPTION.xml")]
    dispense: Option<PathBuf>,
    /// The signing time to claim (and the local TSA's time): RFC 3339 or YYYY-MM-DD. Default: now.
    #[arg(long, value_name = "TIME|DATE")]
    at: Option<String>,
    /// Write the virtual card's trust material here: hpki-root.pem, hpki-ca.pem, signer.pem,
    /// tsa-root.pem, tsa.pem and the CRLs (crl-N.der).
    #[arg(long, value_name = "DIR")]
    export_trust: Option<PathBuf>,
}

/// `kazasu verify-eprescription`.
#[derive(Args, Debug)]
pub(crate) struct VerifyArgs {
    /// The signed prescription or dispensing record.
    #[arg(value_name = "FILE")]
    file: PathBuf,
    /// HPKI anchors: `hpki` (the shipped MHLW HPKI Root CA V2, the default) or a root
    /// certificate file (repeatable; e.g. a test PKI's root).
    #[arg(long, value_name = "hpki|PEM")]
    trust: Vec<String>,
    /// A TSA root to trust for timestamps (repeatable).
    #[arg(long, value_name = "PEM")]
    tsa_trust: Vec<PathBuf>,
    /// A CRL or ARL to use besides the embedded ones (repeatable).
    #[arg(long, value_name = "FILE")]
    crl: Vec<PathBuf>,
    /// Verify the signers at this time instead of the timestamp's (RFC 3339 or YYYY-MM-DD).
    #[arg(long, value_name = "TIME|DATE")]
    at: Option<String>,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

fn pem(label: &str, der: &[u8]) -> Result<String, Failure> {
    pem_rfc7468::encode_string(label, pem_rfc7468::LineEnding::LF, der)
        .map_err(|e| Failure::usage(format!("cannot PEM-encode: {e}")))
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), Failure> {
    std::fs::write(path, bytes)
        .map_err(|e| Failure::usage(format!("cannot write {}: {e}", path.display())))
}

/// The HPKI card's signature key as a [`DocumentSigner`].
struct CardSigner {
    hpki: Hpki<Box<dyn Transport>>,
    pin: HpkiPin,
    certificate: Vec<u8>,
    chain: Vec<Vec<u8>>,
    last_try: LastTry,
}

impl DocumentSigner for CardSigner {
    fn certificate(&self) -> &[u8] {
        &self.certificate
    }

    fn chain(&self) -> &[Vec<u8>] {
        &self.chain
    }

    fn sign_digest(
        &mut self,
        hash: kazasu_sign::kazasu_pki::HashAlgorithm,
        digest: &[u8],
    ) -> Result<Vec<u8>, Box<dyn std::error::Error + Send + Sync>> {
        let info = DigestInfo::from_digest(hash, digest)?;
        let signature = self
            .hpki
            .sign(HpkiAp::Signature, &self.pin, &info, self.last_try)?;
        Ok(signature.as_bytes().to_vec())
    }
}

fn read_pin(args: &SignArgs) -> Result<Zeroizing<String>, Failure> {
    if args.pin_stdin {
        let mut line = Zeroizing::new(String::new());
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|e| Failure::usage(format!("cannot read the PIN from standard input: {e}")))?;
        return Ok(Zeroizing::new(
            line.trim_end_matches(['\r', '\n']).to_owned(),
        ));
    }
    rpassword::prompt_password("HPKI PIN (4-8 digits): ")
        .map(Zeroizing::new)
        .map_err(|e| Failure::usage(format!("cannot read the PIN: {e}")))
}

/// The virtual card's PKI and holder, when no reader is used.
struct Virtual {
    pki: HpkiTestPki,
    ca: Vec<u8>,
}

fn virtual_card(pharmacist: bool) -> Result<(Box<dyn Transport>, Virtual), Failure> {
    let mut builder = HpkiCardBuilder::new(if pharmacist { 2 } else { 0 });
    if pharmacist {
        builder = builder.holder(HpkiHolder::from_seed(2).with_roles(&[HcRole::Pharmacist]));
    }
    let issued = builder
        .build()
        .map_err(|e| Failure::usage(format!("cannot build the virtual HPKI card: {e}")))?;
    eprintln!(
        "kazasu: no --reader given: using the built-in virtual HPKI card ({})",
        if pharmacist {
            "a Pharmacist"
        } else {
            "a Medical Doctor"
        }
    );
    let ca = issued.pki.signature_ca().der.clone();
    Ok((
        Box::new(VirtualTransport::new(issued.card)),
        Virtual {
            pki: issued.pki,
            ca,
        },
    ))
}

/// The prescription data: the CSV itself, or the PrescriptionDocument of an XML input.
fn input_data(bytes: Vec<u8>) -> Result<Vec<u8>, Failure> {
    let trimmed = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .map_or(&bytes[..], |i| &bytes[i..]);
    if !trimmed.starts_with(b"<") {
        return Ok(bytes);
    }
    let doc = xades::xml::parse(&bytes).map_err(|e| Failure::usage(e.to_string()))?;
    let node = doc
        .descendants()
        .find(|n| {
            xades::xml::is(*n, None, "PrescriptionDocument")
                || xades::xml::is(*n, None, "DispensingDocument")
        })
        .ok_or_else(|| {
            Failure::usage("the XML input has no PrescriptionDocument or DispensingDocument")
        })?;
    xades::xml::base64_decode(&xades::xml::text(node))
        .map_err(|e| Failure::usage(format!("PrescriptionDocument: {e}")))
}

pub(crate) fn sign(args: &SignArgs) -> Result<(), Failure> {
    if args.card != "hpki" {
        return Err(Failure::usage(format!(
            "--card {}: only the HPKI card signs e-prescriptions",
            args.card
        )));
    }
    if args.xl && !(args.tsa_local || args.tsa.is_some()) {
        return Err(Failure::usage(
            "--xl needs a timestamp: add --tsa or --tsa-local",
        ));
    }
    let at = match &args.at {
        Some(s) => parse_at(s).map_err(|e| Failure::usage(format!("--at {s:?}: {e}")))?,
        None => OffsetDateTime::now_utc(),
    };
    let data = input_data(read_limited(&args.input, MAX_INPUT, "input")?)?;
    let prescription = match &args.dispense {
        Some(p) => Some(read_limited(p, MAX_INPUT, "prescription")?),
        None => None,
    };

    let (transport, virt) = match &args.reader {
        Some(name) => (crate::source::reader(name)?, None),
        None => {
            let (t, v) = virtual_card(prescription.is_some())?;
            (t, Some(v))
        }
    };
    let mut session = Session::new(transport);
    let kind = CardKind::detect(&mut session).map_err(crate::card::card_failure)?;
    if kind != CardKind::Hpki {
        return Err(Failure::refused(format!(
            "the card is {kind}, not an HPKI card"
        )));
    }
    let mut hpki = Hpki::from_session(session).map_err(crate::card::card_failure)?;
    let certificate = hpki
        .read_sign_certificate()
        .map_err(crate::card::card_failure)?
        .into_der();
    let pin = read_pin(args)?;
    let pin = HpkiPin::new(&pin).map_err(|e| Failure::usage(e.to_string()))?;
    let mut signer = CardSigner {
        hpki,
        pin,
        certificate: certificate.clone(),
        chain: virt
            .as_ref()
            .map(|v| vec![v.ca.clone()])
            .unwrap_or_default(),
        last_try: if args.allow_last_try {
            LastTry::Allow
        } else {
            LastTry::Refuse
        },
    };

    let test_tsa = TestTsa::new().map_err(|e| Failure::usage(format!("test TSA: {e}")))?;
    let tsa: Option<Box<dyn TimeStampAuthority>> = if args.tsa_local {
        let s = SoftwareSigner::new(
            test_tsa.signer.certificate.clone(),
            test_tsa.signer.key.clone(),
        )
        .map_err(|e| Failure::usage(format!("test TSA: {e}")))?;
        let clock_at = args.at.as_ref().map(|_| at);
        Some(Box::new(LocalTsa::new(s).with_clock(move || {
            clock_at.unwrap_or_else(OffsetDateTime::now_utc)
        })))
    } else if let Some(url) = &args.tsa {
        Some(Box::new(kazasu_sign::tsp::HttpTsa::new(url.clone())))
    } else {
        None
    };

    let mut validation = ValidationData::default();
    if args.xl {
        if let Some(v) = &virt {
            validation.certificates.push(v.ca.clone());
            validation.certificates.push(v.pki.root().der.clone());
            let m = v
                .pki
                .verification_material(at)
                .map_err(|e| Failure::usage(format!("test PKI CRLs: {e}")))?;
            validation.crls.extend(m.crls);
            validation.crls.push(m.sarl);
            validation.crls.push(m.rarl);
        }
        if args.tsa_local {
            validation
                .certificates
                .push(test_tsa.signer.certificate.clone());
            validation.certificates.push(test_tsa.root.clone());
        }
        for p in &args.embed_cert {
            let c = Certificate::parse(&read_limited(p, MAX_CERT_FILE, "certificate")?)
                .map_err(|e| Failure::usage(format!("{}: {e}", p.display())))?;
            validation.certificates.push(c.der().to_vec());
        }
        for p in &args.embed_crl {
            let c = kazasu_pki::Crl::parse_vec(read_limited(p, MAX_CRL_FILE, "CRL")?)
                .map_err(|e| Failure::usage(format!("{}: {e}", p.display())))?;
            validation.crls.push(c.der().to_vec());
        }
    }
    let options = SignOptions {
        signing_time: at,
        timestamper: tsa.as_deref(),
        validation_data: args.xl.then_some(&validation),
        archive: args.archive,
    };
    let signed = match &prescription {
        Some(p) => xades::sign_dispensing(&data, p, &mut signer, &options),
        None => xades::sign_prescription(&data, &mut signer, &options),
    }
    .map_err(|e| match e {
        kazasu_sign::SignError::Signer(_) => Failure::refused(e.to_string()),
        other => Failure::usage(other.to_string()),
    })?;
    write(&args.out, &signed)?;

    if let Some(dir) = &args.export_trust {
        let Some(v) = &virt else {
            return Err(Failure::usage(
                "--export-trust writes the virtual card's test PKI: not with --reader",
            ));
        };
        std::fs::create_dir_all(dir)
            .map_err(|e| Failure::usage(format!("cannot create {}: {e}", dir.display())))?;
        write(
            &dir.join("hpki-root.pem"),
            pem("CERTIFICATE", &v.pki.root().der)?.as_bytes(),
        )?;
        write(
            &dir.join("hpki-ca.pem"),
            pem("CERTIFICATE", &v.ca)?.as_bytes(),
        )?;
        write(
            &dir.join("signer.pem"),
            pem("CERTIFICATE", &certificate)?.as_bytes(),
        )?;
        write(
            &dir.join("tsa-root.pem"),
            pem("CERTIFICATE", &test_tsa.root)?.as_bytes(),
        )?;
        write(
            &dir.join("tsa.pem"),
            pem("CERTIFICATE", &test_tsa.signer.certificate)?.as_bytes(),
        )?;
        let m = v
            .pki
            .verification_material(at)
            .map_err(|e| Failure::usage(format!("test PKI CRLs: {e}")))?;
        let crls = m.crls.iter().chain([&m.sarl, &m.rarl]);
        for (i, crl) in crls.enumerate() {
            write(&dir.join(format!("crl-{i}.der")), crl)?;
        }
    }
    eprintln!("kazasu: wrote {}", args.out.display());
    Ok(())
}

fn verdict_line(v: &Verdict) -> String {
    v.to_string()
}

pub(crate) fn verify(args: &VerifyArgs) -> Result<(), Failure> {
    let xml = read_limited(&args.file, MAX_INPUT, "document")?;
    let hpki = if args.trust.is_empty() || args.trust.iter().all(|t| t == "hpki") {
        HpkiVerifier::new().map_err(|e| Failure::usage(format!("the shipped HPKI roots: {e}")))?
    } else {
        let mut store = if args.trust.iter().any(|t| t == "hpki") {
            TrustStore::hpki()
                .map_err(|e| Failure::usage(format!("the shipped HPKI roots: {e}")))?
        } else {
            TrustStore::new()
        };
        for t in args.trust.iter().filter(|t| *t != "hpki") {
            let path = Path::new(t);
            let cert = Certificate::parse(&read_limited(path, MAX_CERT_FILE, "certificate")?)
                .map_err(|e| Failure::usage(format!("{t}: not a usable certificate: {e}")))?;
            store.add_for(cert, Purpose::HPKI);
        }
        HpkiVerifier::with_trust(store).with_intermediates(
            kazasu_pki::hpki_intermediates()
                .map_err(|e| Failure::usage(format!("the shipped HPKI CAs: {e}")))?,
        )
    };
    let mut verifier = XadesVerifier::new(hpki);
    let mut tsa_roots = Vec::new();
    for p in &args.tsa_trust {
        tsa_roots.push(
            Certificate::parse(&read_limited(p, MAX_CERT_FILE, "certificate")?)
                .map_err(|e| Failure::usage(format!("{}: {e}", p.display())))?,
        );
    }
    if !tsa_roots.is_empty() {
        verifier = verifier.with_tsa_trust(tsa_roots);
    }
    if !args.crl.is_empty() {
        let mut set = CrlSet::new();
        for p in &args.crl {
            set.add(
                kazasu_pki::Crl::parse_vec(read_limited(p, MAX_CRL_FILE, "CRL")?).map_err(|e| {
                    Failure::usage(format!("{}: not a usable CRL: {e}", p.display()))
                })?,
            );
        }
        verifier = verifier.with_crls(Arc::new(set));
    }
    if let Some(s) = &args.at {
        verifier =
            verifier.at(parse_at(s).map_err(|e| Failure::usage(format!("--at {s:?}: {e}")))?);
    }
    let report = match verifier.verify(&xml) {
        Ok(r) => r,
        Err(e) => {
            if args.json {
                println!(
                    "{:#}",
                    serde_json::json!({"verdict": "INVALID", "reason": e.to_string()})
                );
            }
            return Err(Failure::refused(format!(
                "INVALID: {}: {e}",
                args.file.display()
            )));
        }
    };
    if args.json {
        println!(
            "{:#}",
            serde_json::to_value(&report).map_err(|e| Failure::usage(e.to_string()))?
        );
    } else {
        println!("document:  {:?}", report.kind);
        for s in &report.signatures {
            println!(
                "signature {} at {} ({}): {}",
                s.id.as_deref().unwrap_or("(no Id)"),
                s.location,
                s.role_in_document.as_deref().unwrap_or("unexpected"),
                verdict_line(&s.verdict)
            );
            println!(
                "  level:               {}",
                s.level.map_or_else(|| "none".to_owned(), |l| l.to_string())
            );
            println!("  structure:           {}", verdict_line(&s.structure));
            for r in &s.references {
                println!(
                    "  reference {} -> {}: {}",
                    r.uri,
                    r.covered.as_deref().unwrap_or("(unresolved)"),
                    verdict_line(&r.verdict)
                );
            }
            println!(
                "  signature value:     {}",
                verdict_line(&s.signature_value)
            );
            println!(
                "  signing certificate: {}",
                verdict_line(&s.signing_certificate)
            );
            println!(
                "  signer:              {} [{}] at {}: {}",
                s.signer.subject.as_deref().unwrap_or("?"),
                s.signer.roles.join(", "),
                s.signer.validated_at.as_deref().unwrap_or("?"),
                verdict_line(&s.signer.verdict)
            );
            let opt =
                |v: &Option<Verdict>| v.as_ref().map_or_else(|| "absent".to_owned(), verdict_line);
            println!("  signature timestamp: {}", opt(&s.signature_timestamp));
            println!("  validation data:     {}", opt(&s.validation_data));
            println!("  archive timestamp:   {}", opt(&s.archive_timestamp));
        }
        for m in &report.missing {
            println!("missing:   {m}");
        }
        println!("verdict:   {}", verdict_line(&report.verdict));
    }
    if report.verdict.is_valid() {
        Ok(())
    } else {
        Err(Failure::refused(format!(
            "{}: {}",
            args.file.display(),
            report.verdict
        )))
    }
}
