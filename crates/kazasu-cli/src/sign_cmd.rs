//! `kazasu sign`, `kazasu verify-signature` and `kazasu tsa …`: CAdES signatures made with the My
//! Number Card's signature key or the HPKI card's, RFC 3161 timestamps, and their verification
//! (exit 0 valid; 1 invalid or indeterminate, the report says which; 2 usage or I/O).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::{Args, Subcommand, ValueEnum};
use kazasu_apdu::Transport;
use kazasu_card::{DigestInfo, HashAlgorithm, Hpki, HpkiAp, HpkiPin, Jpki, LastTry, SignPassword};
use kazasu_pki::{Certificate, CrlSet, HpkiVerifier, Purpose, TrustStore, Verifier};
use kazasu_sign::cms::{CmsVerifier, SignOptions, SignatureReport, ValidationData};
use kazasu_sign::tsp::{HttpTsa, LocalTsa, TimeStampAuthority};
use kazasu_sign::{DocumentSigner, SoftwareSigner, Verdict};
use serde_json::json;
use time::OffsetDateTime;

use crate::Failure;
use crate::card::{SecretArgs, Source, card_failure};
use crate::cert::{parse_at, read_limited};

const MAX_INPUT: u64 = 64 << 20;
const MAX_PEM: u64 = 4 << 20;
const MAX_CRL: u64 = 1 << 30;

/// Which card signs.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub(crate) enum CardChoice {
    /// The My Number Card's signature key (署名用電子証明書; signature password).
    Jpki,
    /// The HPKI card's signature key (nonRepudiation; PIN).
    Hpki,
}

/// `kazasu sign`.
#[derive(Args, Debug)]
pub(crate) struct SignArgs {
    /// Which card's signature key (default: the My Number Card).
    #[arg(long, value_enum, default_value_t = CardChoice::Jpki)]
    card: CardChoice,
    #[command(flatten)]
    source: Source,
    #[command(flatten)]
    secret: SecretArgs,
    /// The document to sign.
    #[arg(long = "in", value_name = "FILE")]
    input: PathBuf,
    /// Where to write the signature (CMS, DER).
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    /// Carry the document inside the signature (default: detached).
    #[arg(long, conflicts_with = "pdf")]
    attached: bool,
    /// The input is a PDF: sign it as PAdES (an incremental update with the CAdES signature in
    /// /Contents; --embed-validation adds a DSS update) and write the signed PDF.
    #[arg(long)]
    pdf: bool,
    /// Time-stamp the signature (B-T) at this RFC 3161 TSA (http://…).
    #[arg(long, value_name = "URL", conflicts_with = "tsa_local")]
    tsa: Option<String>,
    /// Time-stamp the signature with the built-in test TSA (tests only: not an accredited TSA).
    #[arg(long)]
    tsa_local: bool,
    /// Embed validation data (B-LT): the CRLs given with --crl and, for the built-in virtual cards,
    /// their test PKI's current CRLs and CA certificates.
    #[arg(long)]
    embed_validation: bool,
    /// A CRL to embed with --embed-validation (repeatable).
    #[arg(long, value_name = "FILE")]
    crl: Vec<PathBuf>,
    /// With --embed-validation: ask this OCSP responder about the signer certificate and embed
    /// the verified answer (RFC 5126 revocationValues).
    #[arg(long, value_name = "URL", requires = "embed_validation")]
    ocsp: Option<String>,
}

/// `kazasu verify-signature`.
#[derive(Args, Debug)]
pub(crate) struct VerifyArgs {
    /// The signature (CMS, DER or PEM), or a signed PDF (every signature is checked).
    #[arg(value_name = "FILE")]
    file: PathBuf,
    /// The signed document, for a detached signature.
    #[arg(long, value_name = "FILE")]
    content: Option<PathBuf>,
    /// Trust: `jpki` (the shipped J-LIS roots), `hpki` (the shipped MHLW HPKI root), or a PEM/DER
    /// root certificate file (repeatable). Default: jpki and hpki.
    #[arg(long, value_name = "jpki|hpki|FILE")]
    trust: Vec<String>,
    /// A TSA root to trust for signature timestamps (repeatable).
    #[arg(long, value_name = "FILE")]
    tsa_trust: Vec<PathBuf>,
    /// A CA certificate to build the signer's path with, when the signature lacks it (repeatable).
    #[arg(long, value_name = "FILE")]
    intermediate: Vec<PathBuf>,
    /// A CRL or ARL to check revocation with, after those embedded (repeatable).
    #[arg(long, value_name = "FILE")]
    crl: Vec<PathBuf>,
    /// Ask this OCSP responder when neither the embedded data nor the CRLs answer.
    #[arg(long, value_name = "URL")]
    ocsp: Option<String>,
    /// Time when the signature proves none (no timestamp, no signingTime): RFC 3339 or YYYY-MM-DD.
    #[arg(long, value_name = "TIME|DATE")]
    at: Option<String>,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

/// `kazasu tsa …`: RFC 3161 with the built-in test TSA.
#[derive(Subcommand, Debug)]
pub(crate) enum TsaCommand {
    /// Answer a TimeStampReq (e.g. made by `openssl ts -query`) with the test TSA: writes a
    /// TimeStampResp.
    Reply {
        /// The request (DER).
        #[arg(long, value_name = "FILE")]
        query: PathBuf,
        /// Where to write the response (DER).
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Verify a TimeStampResp or TimeStampToken over a file (exit 0 valid, 1 not).
    Verify {
        /// The response or token (DER).
        #[arg(long = "in", value_name = "FILE")]
        input: PathBuf,
        /// The time-stamped data.
        #[arg(long, value_name = "FILE")]
        data: PathBuf,
        /// A TSA root to trust (repeatable).
        #[arg(long, value_name = "FILE")]
        tsa_trust: Vec<PathBuf>,
        /// Extra certificates (the TSA's, its CAs) when the token omits them (repeatable).
        #[arg(long, value_name = "FILE")]
        untrusted: Vec<PathBuf>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// A card's signature key as a [`DocumentSigner`]: the PIN is verified and the DigestInfo signed
/// in one exclusive card session per signature.
enum CardSigner {
    Jpki {
        card: Jpki<Box<dyn Transport>>,
        password: SignPassword,
        last_try: LastTry,
        certificate: Vec<u8>,
        chain: Vec<Vec<u8>>,
    },
    Hpki {
        card: Hpki<Box<dyn Transport>>,
        pin: HpkiPin,
        last_try: LastTry,
        certificate: Vec<u8>,
        chain: Vec<Vec<u8>>,
    },
}

impl DocumentSigner for CardSigner {
    fn certificate(&self) -> &[u8] {
        match self {
            CardSigner::Jpki { certificate, .. } | CardSigner::Hpki { certificate, .. } => {
                certificate
            }
        }
    }

    fn chain(&self) -> &[Vec<u8>] {
        match self {
            CardSigner::Jpki { chain, .. } | CardSigner::Hpki { chain, .. } => chain,
        }
    }

    fn sign_digest(
        &mut self,
        hash: HashAlgorithm,
        digest: &[u8],
    ) -> Result<Vec<u8>, Box<dyn std::error::Error + Send + Sync>> {
        let digest_info = DigestInfo::from_digest(hash, digest)?;
        let signature = match self {
            CardSigner::Jpki {
                card,
                password,
                last_try,
                ..
            } => card.sign_with_sign_key(password, &digest_info, *last_try)?,
            CardSigner::Hpki {
                card,
                pin,
                last_try,
                ..
            } => card.sign(HpkiAp::Signature, pin, &digest_info, *last_try)?,
        };
        Ok(signature.as_bytes().to_vec())
    }
}

/// The signer and, for the built-in virtual cards, the validation data of their test PKI.
fn open_signer(args: &SignArgs) -> Result<(CardSigner, ValidationData), Failure> {
    let mut data = ValidationData::new();
    let now = OffsetDateTime::now_utc();
    match args.card {
        CardChoice::Jpki => {
            let transport: Box<dyn Transport> = match &args.source.reader {
                Some(name) => crate::source::reader(name)?,
                None => {
                    eprintln!(
                        "kazasu: no --reader given: using the built-in virtual card (seed 0, 山田 花子)"
                    );
                    let issued = kazasu_virtual_card::VirtualCardBuilder::new(0)
                        .build()
                        .map_err(|e| {
                            Failure::usage(format!("cannot build the virtual card: {e}"))
                        })?;
                    let material = issued
                        .pki
                        .verification_material(now)
                        .map_err(|e| Failure::usage(format!("test PKI: {e}")))?;
                    data.crls = material.crls;
                    data.certificates = material.roots;
                    Box::new(kazasu_virtual_card::VirtualTransport::new(issued.card))
                }
            };
            let mut card = Jpki::open(transport).map_err(card_failure)?;
            let password = args.secret.read("Signature password (6-16 characters): ")?;
            let password =
                SignPassword::new(&password).map_err(|e| Failure::usage(e.to_string()))?;
            let last_try = args.secret.last_try();
            let certificate = card
                .read_sign_certificate(&password, last_try)
                .map_err(card_failure)?
                .as_ref()
                .to_vec();
            let ca = card
                .read_sign_ca_certificate()
                .map_err(card_failure)?
                .as_ref()
                .to_vec();
            Ok((
                CardSigner::Jpki {
                    card,
                    password,
                    last_try,
                    certificate,
                    chain: vec![ca],
                },
                data,
            ))
        }
        CardChoice::Hpki => {
            let mut chain = Vec::new();
            let transport: Box<dyn Transport> = match &args.source.reader {
                Some(name) => crate::source::reader(name)?,
                None => {
                    eprintln!(
                        "kazasu: no --reader given: using the built-in virtual HPKI card (seed 0)"
                    );
                    let issued = kazasu_virtual_card::HpkiCardBuilder::new(0)
                        .build()
                        .map_err(|e| {
                            Failure::usage(format!("cannot build the virtual HPKI card: {e}"))
                        })?;
                    let m = issued
                        .pki
                        .verification_material(now)
                        .map_err(|e| Failure::usage(format!("HPKI test PKI: {e}")))?;
                    data.crls = m.crls;
                    data.crls.push(m.sarl);
                    data.crls.push(m.rarl);
                    data.certificates = vec![m.root];
                    chain.push(
                        issued
                            .pki
                            .ca(kazasu_virtual_card::pki::HpkiAp::Signature)
                            .der
                            .clone(),
                    );
                    Box::new(kazasu_virtual_card::VirtualTransport::new(issued.card))
                }
            };
            let mut session = kazasu_card::Session::new(transport);
            let kind = kazasu_card::CardKind::detect(&mut session).map_err(card_failure)?;
            if kind != kazasu_card::CardKind::Hpki {
                return Err(Failure::refused(format!(
                    "the card is {kind}, not an HPKI card"
                )));
            }
            let mut card = Hpki::from_session(session).map_err(card_failure)?;
            let certificate = card
                .read_sign_certificate()
                .map_err(card_failure)?
                .as_ref()
                .to_vec();
            let pin = args.secret.read("HPKI PIN (4-8 digits): ")?;
            let pin = HpkiPin::new(&pin).map_err(|e| Failure::usage(e.to_string()))?;
            Ok((
                CardSigner::Hpki {
                    card,
                    pin,
                    last_try: args.secret.last_try(),
                    certificate,
                    chain,
                },
                data,
            ))
        }
    }
}

/// The built-in test TSA on the system clock.
pub(crate) fn local_tsa() -> Result<LocalTsa, Failure> {
    let tsa = kazasu_virtual_card::pki::services::TestTsa::new()
        .map_err(|e| Failure::usage(format!("cannot build the test TSA: {e}")))?;
    let signer = SoftwareSigner::new(tsa.signer.certificate, tsa.signer.key)
        .map_err(|e| Failure::usage(format!("test TSA: {e}")))?;
    Ok(LocalTsa::new(signer))
}

pub(crate) fn sign(args: &SignArgs) -> Result<(), Failure> {
    let content = read_limited(&args.input, MAX_INPUT, "document")?;
    let (mut signer, mut data) = open_signer(args)?;
    for path in &args.crl {
        data.crls.push(read_der(path, MAX_CRL, "CRL", "X509 CRL")?);
    }
    if let Some(url) = &args.ocsp {
        data.ocsp_responses.push(fetch_ocsp(url, &signer)?);
    }
    let local;
    let http;
    let tsa: Option<&dyn TimeStampAuthority> = if args.tsa_local {
        local = local_tsa()?;
        Some(&local)
    } else if let Some(url) = &args.tsa {
        http = HttpTsa::new(url.clone());
        Some(&http)
    } else {
        None
    };
    if args.embed_validation && tsa.is_some() {
        let t = kazasu_virtual_card::pki::services::TestTsa::new()
            .map_err(|e| Failure::usage(format!("cannot build the test TSA: {e}")))?;
        if args.tsa_local {
            data.certificates.push(t.root);
        }
    }
    if args.pdf {
        return sign_pdf(args, &content, &mut signer, tsa, &data);
    }
    let mut options = SignOptions::default();
    options.attached = args.attached;
    options.signing_time = Some(OffsetDateTime::now_utc());
    options.tsa = tsa;
    if args.embed_validation {
        options.validation = Some(&data);
    }
    let cms = kazasu_sign::cms::sign(&content, &mut signer, &options).map_err(sign_failure)?;
    std::fs::write(&args.out, &cms)
        .map_err(|e| Failure::usage(format!("cannot write {}: {e}", args.out.display())))?;
    eprintln!(
        "kazasu: wrote a {} CAdES signature ({} bytes) to {}",
        level(tsa.is_some(), args.embed_validation),
        cms.len(),
        args.out.display()
    );
    Ok(())
}

fn level(timestamp: bool, validation: bool) -> &'static str {
    match (timestamp, validation) {
        (false, _) => "B-B",
        (true, false) => "B-T",
        (true, true) => "B-LT",
    }
}

fn sign_failure(e: kazasu_sign::SignError) -> Failure {
    match e {
        kazasu_sign::SignError::Signer(_) => Failure::refused(e.to_string()),
        other => Failure::usage(other.to_string()),
    }
}

/// PAdES: the signed PDF, then with --embed-validation a DSS update holding the validation data.
fn sign_pdf(
    args: &SignArgs,
    pdf: &[u8],
    signer: &mut CardSigner,
    tsa: Option<&dyn TimeStampAuthority>,
    data: &ValidationData,
) -> Result<(), Failure> {
    use kazasu_sign::pades::{PadesOptions, add_dss, sign_pdf};
    let mut options = PadesOptions::default();
    options.signing_time = Some(OffsetDateTime::now_utc());
    options.tsa = tsa;
    let mut signed = sign_pdf(pdf, signer, &options).map_err(sign_failure)?;
    if args.embed_validation {
        signed = add_dss(&signed, data).map_err(sign_failure)?;
    }
    std::fs::write(&args.out, &signed)
        .map_err(|e| Failure::usage(format!("cannot write {}: {e}", args.out.display())))?;
    eprintln!(
        "kazasu: wrote a PAdES {} PDF ({} bytes) to {}",
        level(tsa.is_some(), args.embed_validation),
        signed.len(),
        args.out.display()
    );
    Ok(())
}

/// A verified OCSP answer about the signer's certificate, from `url`.
fn fetch_ocsp(url: &str, signer: &CardSigner) -> Result<Vec<u8>, Failure> {
    use kazasu_sign::ocsp::http::{self, HttpOptions};
    use kazasu_sign::ocsp::{OcspRequest, VerifyOptions, verify_response_to};
    let cert = Certificate::from_der(signer.certificate())
        .map_err(|e| Failure::usage(format!("signer certificate: {e}")))?;
    let issuer = signer
        .chain()
        .first()
        .ok_or_else(|| Failure::usage("no issuer certificate to ask OCSP about the signer with"))
        .and_then(|d| {
            Certificate::from_der(d).map_err(|e| Failure::usage(format!("issuer certificate: {e}")))
        })?;
    let options = HttpOptions::default();
    let request = OcspRequest::new(&cert, &issuer, options.hash, true)
        .map_err(|e| Failure::usage(e.to_string()))?;
    let der = http::post(url, &request, &options).map_err(|e| Failure::usage(e.to_string()))?;
    verify_response_to(
        &der,
        &request,
        &cert,
        &issuer,
        OffsetDateTime::now_utc(),
        &VerifyOptions::default(),
    )
    .map_err(|e| Failure::refused(format!("OCSP answer refused: {e}")))?;
    Ok(der)
}

/// Reads a DER or PEM object.
fn read_der(path: &Path, limit: u64, what: &str, label: &str) -> Result<Vec<u8>, Failure> {
    let raw = read_limited(path, limit, what)?;
    if raw.starts_with(b"-----BEGIN") {
        let text = std::str::from_utf8(&raw)
            .map_err(|_| Failure::usage(format!("{}: PEM that is not text", path.display())))?;
        let (found, der) = pem_rfc7468::decode_vec(text.as_bytes())
            .map_err(|e| Failure::usage(format!("{}: {e}", path.display())))?;
        if found != label && !(label == "CMS" && found == "PKCS7") {
            return Err(Failure::usage(format!(
                "{}: PEM label {found}, expected {label}",
                path.display()
            )));
        }
        return Ok(der);
    }
    Ok(raw)
}

fn certificate(path: &Path) -> Result<Certificate, Failure> {
    let raw = read_limited(path, MAX_PEM, "certificate")?;
    Certificate::parse(&raw)
        .map_err(|e| Failure::usage(format!("{}: not a usable certificate: {e}", path.display())))
}

/// The verifier `--trust`, `--tsa-trust` and `--crl` describe.
fn verifier(args: &VerifyArgs) -> Result<CmsVerifier, Failure> {
    let trust: Vec<String> = if args.trust.is_empty() {
        vec!["jpki".into(), "hpki".into()]
    } else {
        args.trust.clone()
    };
    let mut jpki = TrustStore::new();
    let mut hpki = TrustStore::new();
    let mut any_hpki = false;
    for t in &trust {
        match t.as_str() {
            "jpki" => {
                for a in TrustStore::jlis()
                    .map_err(|e| Failure::usage(e.to_string()))?
                    .anchors()
                {
                    jpki.add(a.clone());
                }
            }
            "hpki" => {
                any_hpki = true;
                for a in TrustStore::hpki()
                    .map_err(|e| Failure::usage(e.to_string()))?
                    .anchors()
                {
                    hpki.add_for(a.clone(), Purpose::HPKI);
                }
            }
            path => {
                let c = certificate(Path::new(path))?;
                jpki.add(c.clone());
                hpki.add_for(c, Purpose::HPKI);
                any_hpki = true;
            }
        }
    }
    let mut v = CmsVerifier::new().with_jpki(Verifier::new(jpki));
    if any_hpki {
        v = v.with_hpki(HpkiVerifier::with_trust(hpki));
    }
    let tsa: Vec<Certificate> = args
        .tsa_trust
        .iter()
        .map(|p| certificate(p))
        .collect::<Result<_, _>>()?;
    if !tsa.is_empty() {
        v = v.with_tsa(tsa);
    }
    let cas: Vec<Certificate> = args
        .intermediate
        .iter()
        .map(|p| certificate(p))
        .collect::<Result<_, _>>()?;
    v = v.with_intermediates(cas);
    if !args.crl.is_empty() {
        let mut set = CrlSet::new();
        for path in &args.crl {
            let der = read_der(path, MAX_CRL, "CRL", "X509 CRL")?;
            set.add(
                kazasu_pki::Crl::from_der_vec(der)
                    .map_err(|e| Failure::usage(format!("{}: {e}", path.display())))?,
            );
        }
        v = v.with_crls(Arc::new(set));
    }
    if let Some(url) = &args.ocsp {
        let source = kazasu_sign::ocsp::OcspSource::from_responses([]).with_http(
            Some(url.clone()),
            kazasu_sign::ocsp::http::HttpOptions::default(),
        );
        v = v.with_revocation_source(Arc::new(source));
    }
    if let Some(at) = &args.at {
        v = v.at(parse_at(at).map_err(Failure::usage)?);
    }
    Ok(v)
}

pub(crate) fn verify(args: &VerifyArgs) -> Result<(), Failure> {
    let raw = read_limited(&args.file, MAX_INPUT, "signature")?;
    if raw.starts_with(b"%PDF-") {
        return verify_pdf(args, &raw);
    }
    let cms = read_der(&args.file, MAX_INPUT, "signature", "CMS")?;
    let content = match &args.content {
        Some(p) => Some(read_limited(p, MAX_INPUT, "document")?),
        None => None,
    };
    let report = verifier(args)?.verify(&cms, content.as_deref());
    print_report(&report, args.json);
    let verdict = report.verdict();
    if verdict.is_valid() {
        Ok(())
    } else {
        Err(Failure::refused(format!("signature {verdict}")))
    }
}

fn verify_pdf(args: &VerifyArgs, pdf: &[u8]) -> Result<(), Failure> {
    if args.content.is_some() {
        return Err(Failure::usage(
            "a signed PDF carries its content: drop --content",
        ));
    }
    let report = kazasu_sign::pades::verify_pdf(pdf, &verifier(args)?)
        .map_err(|e| Failure::usage(format!("{}: {e}", args.file.display())))?;
    let verdict = report.verdict();
    if args.json {
        println!("{:#}", json!({ "verdict": verdict, "report": report }));
    } else {
        println!("{report}");
    }
    if verdict.is_valid() {
        Ok(())
    } else {
        Err(Failure::refused(format!("PDF signatures {verdict}")))
    }
}

fn line(name: &str, v: &Verdict) {
    println!("{name:<20}{v}");
}

fn print_report(report: &SignatureReport, as_json: bool) {
    if as_json {
        let v = json!({
            "verdict": report.verdict(),
            "report": report,
        });
        println!("{v:#}");
        return;
    }
    println!("verdict:            {}", report.verdict());
    println!("level:              {}", report.level);
    line("structure:", &report.structure);
    line("digest:", &report.digest);
    line("signature:", &report.signature);
    line("signer certificate:", &report.signer_certificate);
    match &report.timestamp {
        Some(v) => line("timestamp:", v),
        None => println!("timestamp:          (none)"),
    }
    line("revocation:", &report.revocation);
    if let Some(t) = &report.signing_time {
        println!("signing time:       {} ({:?})", t.time, t.source);
    }
    if let Some(s) = &report.signer {
        println!("signer:             {}", s.subject);
        if let Some(name) = &s.name {
            println!("name:               {name}");
        }
        if !s.hc_roles.is_empty() {
            println!("hcRole:             {}", s.hc_roles.join(", "));
        }
    }
}

pub(crate) fn tsa(cmd: TsaCommand) -> Result<(), Failure> {
    match cmd {
        TsaCommand::Reply { query, out } => {
            let request = read_limited(&query, MAX_PEM, "TimeStampReq")?;
            let response = local_tsa()?.respond(&request);
            std::fs::write(&out, response)
                .map_err(|e| Failure::usage(format!("cannot write {}: {e}", out.display())))
        }
        TsaCommand::Verify {
            input,
            data,
            tsa_trust,
            untrusted,
            json: as_json,
        } => {
            let raw = read_limited(&input, MAX_PEM, "timestamp")?;
            let content = read_limited(&data, MAX_INPUT, "data")?;
            let token = kazasu_sign::tsp::token_of(&raw)
                .map_err(|e| Failure::refused(format!("{}: {e}", input.display())))?;
            let anchors: Vec<Certificate> = tsa_trust
                .iter()
                .map(|p| certificate(p))
                .collect::<Result<_, _>>()?;
            let mut store = TrustStore::new();
            for a in anchors {
                store.add_for(a, [Purpose::TimeStamping]);
            }
            let mut options = kazasu_pki::VerifierOptions::default();
            options.revocation = kazasu_pki::RevocationPolicy::Off;
            let trust = Verifier::new(store).with_options(options);
            let extra: Vec<Vec<u8>> = untrusted
                .iter()
                .map(|p| certificate(p).map(|c| c.der().to_vec()))
                .collect::<Result<_, _>>()?;
            let report = kazasu_sign::tsp::verify_token(
                &token,
                &content,
                (!tsa_trust.is_empty()).then_some(&trust),
                &extra,
            );
            if as_json {
                println!("{:#}", json!(report));
            } else {
                println!("verdict:  {}", report.verdict);
                if let Some(t) = report.gen_time {
                    println!("genTime:  {t}");
                }
                if let Some(t) = &report.tsa {
                    println!("TSA:      {t}");
                }
            }
            if report.verdict.is_valid() {
                Ok(())
            } else {
                Err(Failure::refused(format!("timestamp {}", report.verdict)))
            }
        }
    }
}

pub(crate) fn sample_pdf(out: &Path) -> Result<(), Failure> {
    let pdf =
        kazasu_sign::pades::sample_referral_letter().map_err(|e| Failure::usage(e.to_string()))?;
    std::fs::write(out, pdf)
        .map_err(|e| Failure::usage(format!("cannot write {}: {e}", out.display())))
}
