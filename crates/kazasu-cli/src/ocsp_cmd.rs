//! `kazasu ocsp …`: OCSP requests, checks against a responder, and the test PKIs' responder.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use clap::{Args, Subcommand, ValueEnum};
use kazasu_pki::time::OffsetDateTime;
use kazasu_pki::time::format_description::well_known::Rfc3339;
use kazasu_pki::{Certificate, RevocationReason};
use kazasu_sign::SignError;
use kazasu_sign::SoftwareSigner;
use kazasu_sign::ocsp::http::{HttpOptions, check};
use kazasu_sign::ocsp::{
    CertIdHash, OcspRequest, OcspResponder, OcspServer, OcspStatus, ResponderKind, VerifyOptions,
};
use kazasu_virtual_card::pki::services::{
    ServiceCredential, hpki_ocsp_responder, jpki_ocsp_responder,
};
use kazasu_virtual_card::pki::{Generation, HpkiAp, Purpose};
use kazasu_virtual_card::{HpkiCardBuilder, VirtualCardBuilder};
use serde_json::json;

use crate::Failure;
use crate::cert::{parse_at, read_certificate};

#[derive(Subcommand, Debug)]
pub(crate) enum OcspCommand {
    /// Write a DER OCSP request for a certificate (SHA-1 CertID unless --sha256).
    Request(RequestArgs),
    /// Ask a responder about a certificate and verify the answer (exit 0 good; 1 revoked,
    /// unknown or a refused response; 2 usage or I/O, the responder unreachable included).
    Check(CheckArgs),
    /// Serve the virtual card's test PKI (JPKI or HPKI) with its delegated OCSP responders on a
    /// loopback port; prints the URL and runs until killed.
    Serve(ServeArgs),
}

#[derive(Args, Debug)]
pub(crate) struct RequestArgs {
    /// The certificate to ask about, DER or PEM.
    #[arg(long, value_name = "FILE")]
    cert: PathBuf,
    /// Its issuer's certificate.
    #[arg(long, value_name = "FILE")]
    issuer: PathBuf,
    /// SHA-256 CertID instead of SHA-1.
    #[arg(long)]
    sha256: bool,
    /// Add a random nonce.
    #[arg(long)]
    nonce: bool,
    /// Where to write the DER request.
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
}

#[derive(Args, Debug)]
pub(crate) struct CheckArgs {
    /// The certificate to ask about, DER or PEM.
    #[arg(long, value_name = "FILE")]
    cert: PathBuf,
    /// Its issuer's certificate (the CA, already trusted).
    #[arg(long, value_name = "FILE")]
    issuer: PathBuf,
    /// The responder's URL (default: the certificate's AIA OCSP URI).
    #[arg(long, value_name = "URL")]
    url: Option<String>,
    /// Verification time: RFC 3339, or YYYY-MM-DD (00:00 JST). Default now.
    #[arg(long, value_name = "TIME", value_parser = parse_at)]
    at: Option<OffsetDateTime>,
    /// SHA-256 CertID instead of SHA-1.
    #[arg(long)]
    sha256: bool,
    /// Send no nonce (for responders that serve pre-produced answers).
    #[arg(long)]
    no_nonce: bool,
    /// Accept SHA-1 response signatures.
    #[arg(long)]
    allow_sha1: bool,
    /// Seconds to wait for the responder.
    #[arg(long, default_value_t = 10)]
    timeout: u64,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum PkiArg {
    /// The four JPKI test roots, each with its delegated responder.
    Jpki,
    /// The HPKI test signature and authentication CAs, each with its delegated responder.
    Hpki,
}

#[derive(Args, Debug)]
pub(crate) struct ServeArgs {
    /// Loopback port (0: any free port).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Which test PKI.
    #[arg(long, value_enum, default_value_t = PkiArg::Jpki)]
    pki: PkiArg,
    /// Seed of the virtual card whose PKI is served (as `virtual-card export --seed`).
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Revoke the holder's signature certificate (keyCompromise, 2025-06-01T00:00:00Z); the
    /// authentication certificate stays good.
    #[arg(long)]
    revoke_sample: bool,
}

pub(crate) fn run(cmd: OcspCommand) -> Result<(), Failure> {
    match cmd {
        OcspCommand::Request(args) => request(&args),
        OcspCommand::Check(args) => check_cmd(&args),
        OcspCommand::Serve(args) => serve(&args),
    }
}

fn hash(sha256: bool) -> CertIdHash {
    if sha256 {
        CertIdHash::Sha256
    } else {
        CertIdHash::Sha1
    }
}

fn request(args: &RequestArgs) -> Result<(), Failure> {
    let cert = read_certificate(&args.cert)?;
    let issuer = read_certificate(&args.issuer)?;
    let req = OcspRequest::new(&cert, &issuer, hash(args.sha256), args.nonce)
        .map_err(|e| Failure::usage(e.to_string()))?;
    std::fs::write(&args.out, req.der())
        .map_err(|e| Failure::usage(format!("cannot write {}: {e}", args.out.display())))?;
    Ok(())
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&Rfc3339)
        .unwrap_or_else(|_| t.unix_timestamp().to_string())
}

fn check_cmd(args: &CheckArgs) -> Result<(), Failure> {
    let cert = read_certificate(&args.cert)?;
    let issuer = read_certificate(&args.issuer)?;
    let url = kazasu_sign::ocsp::http::responder_url(&cert, args.url.as_deref())
        .map_err(|e| Failure::usage(e.to_string()))?;
    let at = args.at.unwrap_or_else(OffsetDateTime::now_utc);
    let mut http = HttpOptions::default();
    http.timeout = Duration::from_secs(args.timeout);
    http.hash = hash(args.sha256);
    http.nonce = !args.no_nonce;
    let mut verify = VerifyOptions::default();
    verify.allow_sha1 = args.allow_sha1;
    let (out, code) = match check(&url, &cert, &issuer, at, &http, &verify) {
        Ok(v) => {
            let responder = match &v.responder {
                ResponderKind::Delegated(c) => c.subject().to_owned(),
                _ => issuer.subject().to_owned(),
            };
            let mut out = json!({
                "status": v.status.label(),
                "url": url,
                "at": rfc3339(at),
                "this_update": rfc3339(v.this_update),
                "next_update": v.next_update.map(rfc3339),
                "produced_at": rfc3339(v.produced_at),
                "responder": responder,
                "delegated": matches!(v.responder, ResponderKind::Delegated(_)),
                "cert_id_hash": v.cert_id_hash.to_string(),
            });
            if let OcspStatus::Revoked { revoked_at, reason } = &v.status {
                out["revoked_at"] = json!(rfc3339(*revoked_at));
                out["reason"] = json!(reason.map(|r: RevocationReason| r.to_string()));
            }
            let code = u8::from(v.status != OcspStatus::Good);
            (out, code)
        }
        Err(SignError::Ocsp(r)) => (
            json!({"status": "invalid", "code": r.code(), "reason": r.to_string(), "url": url}),
            1,
        ),
        Err(e) => return Err(Failure::usage(e.to_string())),
    };
    if args.json {
        println!("{out}");
    } else {
        let status = out["status"].as_str().unwrap_or_default();
        let detail = match status {
            "revoked" => format!(
                " at {}{}",
                out["revoked_at"].as_str().unwrap_or_default(),
                out["reason"]
                    .as_str()
                    .map(|r| format!(", reason {r}"))
                    .unwrap_or_default()
            ),
            "invalid" => format!(": {}", out["reason"].as_str().unwrap_or_default()),
            _ => format!(
                " (responder \"{}\", thisUpdate {})",
                out["responder"].as_str().unwrap_or_default(),
                out["this_update"].as_str().unwrap_or_default()
            ),
        };
        println!("{}: {status}{detail}", args.cert.display());
    }
    match code {
        0 => Ok(()),
        _ => Err(Failure::refused(format!(
            "OCSP status of {}: {}",
            args.cert.display(),
            out["status"].as_str().unwrap_or_default()
        ))),
    }
}

fn responder(ca: &[u8], cred: ServiceCredential) -> Result<OcspResponder, Failure> {
    let ca = Certificate::from_der(ca).map_err(|e| Failure::usage(e.to_string()))?;
    let signer = SoftwareSigner::new(cred.certificate, cred.key)
        .map_err(|e| Failure::usage(e.to_string()))?;
    Ok(OcspResponder::new(ca, signer))
}

/// The sample revocation of `--revoke-sample`.
fn sample_revocation() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_748_736_000).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

fn responders(args: &ServeArgs) -> Result<Vec<OcspResponder>, Failure> {
    let fail =
        |e: &dyn std::fmt::Display| Failure::usage(format!("cannot build the test PKI: {e}"));
    let mut out = Vec::new();
    match args.pki {
        PkiArg::Jpki => {
            let issued = VirtualCardBuilder::new(args.seed)
                .build()
                .map_err(|e| fail(&e))?;
            let sign =
                Certificate::from_der(&issued.holder.sign_certificate).map_err(|e| fail(&e))?;
            for purpose in [Purpose::Signature, Purpose::Authentication] {
                for generation in [Generation::G2023, Generation::G2015] {
                    let cred = jpki_ocsp_responder(&issued.pki, purpose, generation)
                        .map_err(|e| fail(&e))?;
                    let mut r = responder(&issued.pki.root(purpose, generation).der, cred)?;
                    if args.revoke_sample && r.ca().subject_der() == sign.issuer_der() {
                        r.revoke(
                            sign.serial(),
                            sample_revocation(),
                            Some(RevocationReason::KeyCompromise),
                        );
                    }
                    out.push(r);
                }
            }
        }
        PkiArg::Hpki => {
            let issued = HpkiCardBuilder::new(args.seed)
                .build()
                .map_err(|e| fail(&e))?;
            let sign = Certificate::from_der(&issued.credentials.sign_certificate)
                .map_err(|e| fail(&e))?;
            for ap in [HpkiAp::Signature, HpkiAp::Authentication] {
                let cred = hpki_ocsp_responder(&issued.pki, ap).map_err(|e| fail(&e))?;
                let mut r = responder(&issued.pki.ca(ap).der, cred)?;
                if args.revoke_sample && ap == HpkiAp::Signature {
                    r.revoke(
                        sign.serial(),
                        sample_revocation(),
                        Some(RevocationReason::KeyCompromise),
                    );
                }
                out.push(r);
            }
        }
    }
    Ok(out)
}

fn serve(args: &ServeArgs) -> Result<(), Failure> {
    let responders = responders(args)?;
    let stop = Arc::new(AtomicBool::new(false));
    {
        let stop = Arc::clone(&stop);
        ctrlc::set_handler(move || stop.store(true, Ordering::Relaxed))
            .map_err(|e| Failure::usage(format!("cannot install the signal handler: {e}")))?;
    }
    let server = OcspServer::start(responders, &format!("127.0.0.1:{}", args.port))
        .map_err(|e| Failure::usage(e.to_string()))?;
    println!("{}", server.url());
    // Whoever started us reads the URL from the pipe now, not at exit.
    let _ = std::io::stdout().flush();
    eprintln!(
        "kazasu: OCSP responder for the {:?} test PKI at {}{}",
        args.pki,
        server.url(),
        if args.revoke_sample {
            " (the holder's signature certificate is revoked)"
        } else {
            ""
        }
    );
    while !stop.load(Ordering::Relaxed) {
        std::thread::sleep(Duration::from_millis(100));
    }
    server.stop();
    Ok(())
}
