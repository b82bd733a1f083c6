//! `kazasu cert show|verify`: JPKI certificates as a server sees them (kazasu-pki).
//!
//! Exit codes: 0 valid (or shown), 1 invalid, 2 unusable input (unreadable, garbage, truncated,
//! too large) — never a panic.

use std::io::Read;
use std::path::{Path, PathBuf};

use clap::{Args, Subcommand, ValueEnum};
use kazasu_pki::time::format_description::well_known::Rfc3339;
use kazasu_pki::time::{OffsetDateTime, Time};
use kazasu_pki::{
    Certificate, Crl, CrlSet, PersonalData, Purpose, Rejection, RevocationPolicy, RevocationStatus,
    TrustStore, ValidatedPath, Verifier, VerifierOptions,
};
use serde_json::{Value, json};

use crate::Failure;

/// Largest certificate file read (a PEM bundle of many certificates fits).
const MAX_CERT_FILE: u64 = 4 << 20;
/// Largest CRL file read (the national CRLs are tens of MB).
const MAX_CRL_FILE: u64 = 1 << 30;

#[derive(Subcommand, Debug)]
pub(crate) enum CertCommand {
    /// Show a certificate: subject, issuer, serial, validity, kind, and the personal data of a
    /// JPKI signature certificate.
    Show(ShowArgs),
    /// Validate a certificate's path to a trust anchor at a time, for a purpose.
    /// Exit 0 valid, 1 invalid, 2 unusable input.
    Verify(VerifyArgs),
}

#[derive(Args, Debug)]
pub(crate) struct ShowArgs {
    /// Certificate file, DER or PEM (the first certificate of a PEM bundle).
    #[arg(value_name = "FILE")]
    file: PathBuf,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub(crate) enum PurposeArg {
    /// 利用者証明用: authentication (KeyUsage digitalSignature, policy 1.2.392.200149.8.5.1.3.30).
    Auth,
    /// 署名用: signature (policy 1.2.392.200149.8.5.1.1.20).
    Sign,
}

impl From<PurposeArg> for Purpose {
    fn from(p: PurposeArg) -> Self {
        match p {
            PurposeArg::Auth => Purpose::Authentication,
            PurposeArg::Sign => Purpose::Signature,
        }
    }
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub(crate) enum RevocationArg {
    /// Every certificate below the anchor must be known good.
    Required,
    /// Reject revoked certificates; accept (and report) unknown status.
    BestEffort,
    /// Do not check revocation.
    Off,
}

/// Trust anchors, CRLs and time: shared by `cert verify` and `signature verify`.
#[derive(Args, Debug)]
pub(crate) struct TrustArgs {
    /// Trust anchor file (DER or PEM, PEM bundles allowed); repeatable. Default: the built-in
    /// J-LIS roots (authentication and signature, 2015 and 2023 generations).
    #[arg(long, value_name = "FILE")]
    trust: Vec<PathBuf>,
    /// Intermediate CA certificate file (DER or PEM); repeatable. JPKI needs none.
    #[arg(long, value_name = "FILE")]
    intermediate: Vec<PathBuf>,
    /// CRL file (DER or PEM); repeatable.
    #[arg(long, value_name = "FILE")]
    crl: Vec<PathBuf>,
    /// Revocation policy. Default: required when a --crl is given, off otherwise.
    #[arg(long, value_enum)]
    revocation: Option<RevocationArg>,
    /// Verification time: RFC 3339 (e.g. 2026-01-01T09:00:00+09:00), or a date YYYY-MM-DD meaning
    /// the start of that day in Japan (00:00:00+09:00). Default: now.
    #[arg(long, value_name = "TIME|DATE")]
    at: Option<String>,
}

#[derive(Args, Debug)]
pub(crate) struct VerifyArgs {
    /// Certificate file, DER or PEM.
    #[arg(value_name = "FILE")]
    file: PathBuf,
    #[command(flatten)]
    trust: TrustArgs,
    /// Purpose to validate for. Default: the certificate's own (authentication when unknown).
    #[arg(long, value_enum)]
    purpose: Option<PurposeArg>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

pub(crate) fn run(cmd: CertCommand) -> Result<(), Failure> {
    match cmd {
        CertCommand::Show(args) => show(&args),
        CertCommand::Verify(args) => verify(&args),
    }
}

/// Reads at most `limit` bytes of `path`; more is an error (exit 2).
pub(crate) fn read_limited(path: &Path, limit: u64, what: &str) -> Result<Vec<u8>, Failure> {
    let io =
        |e: std::io::Error| Failure::usage(format!("cannot read {what} {}: {e}", path.display()));
    let file = std::fs::File::open(path).map_err(io)?;
    let mut data = Vec::new();
    file.take(limit + 1).read_to_end(&mut data).map_err(io)?;
    if data.len() as u64 > limit {
        return Err(Failure::usage(format!(
            "{what} {} is larger than {limit} bytes",
            path.display()
        )));
    }
    Ok(data)
}

pub(crate) fn read_certificate(path: &Path) -> Result<Certificate, Failure> {
    let data = read_limited(path, MAX_CERT_FILE, "certificate")?;
    Certificate::parse(&data)
        .map_err(|e| Failure::usage(format!("{}: not a usable certificate: {e}", path.display())))
}

fn read_certificates(path: &Path) -> Result<Vec<Certificate>, Failure> {
    let data = read_limited(path, MAX_CERT_FILE, "certificate")?;
    Certificate::parse_all(&data)
        .map_err(|e| Failure::usage(format!("{}: not a usable certificate: {e}", path.display())))
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&Rfc3339)
        .unwrap_or_else(|_| t.unix_timestamp().to_string())
}

fn colon_hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// `--at`: RFC 3339, or `YYYY-MM-DD` = 00:00:00 JST of that day (the first instant of the day
/// in Japan, where JPKI certificates and CRLs are issued).
pub(crate) fn parse_at(s: &str) -> Result<OffsetDateTime, String> {
    crate::time_arg::parse(s, Time::MIDNIGHT)
}

/// What `verify` needs beyond the certificate.
pub(crate) struct Setup {
    pub(crate) verifier: Verifier,
    pub(crate) intermediates: Vec<Certificate>,
    pub(crate) at: OffsetDateTime,
}

impl TrustArgs {
    pub(crate) fn setup(&self) -> Result<Setup, Failure> {
        let at = match &self.at {
            Some(s) => parse_at(s).map_err(|e| Failure::usage(format!("--at {s:?}: {e}")))?,
            None => OffsetDateTime::now_utc(),
        };
        let trust = if self.trust.is_empty() {
            TrustStore::jlis()
                .map_err(|e| Failure::usage(format!("the built-in J-LIS roots: {e}")))?
        } else {
            let mut store = TrustStore::new();
            for path in &self.trust {
                for cert in read_certificates(path)? {
                    store.add(cert);
                }
            }
            store
        };
        let mut intermediates = Vec::new();
        for path in &self.intermediate {
            intermediates.extend(read_certificates(path)?);
        }
        let mut crls = CrlSet::new();
        for path in &self.crl {
            let data = read_limited(path, MAX_CRL_FILE, "CRL")?;
            let crl = Crl::parse_vec(data).map_err(|e| {
                Failure::usage(format!("{}: not a usable CRL: {e}", path.display()))
            })?;
            crls.add(crl);
        }
        let mut options = VerifierOptions::default();
        options.revocation = match self.revocation {
            Some(RevocationArg::Required) => RevocationPolicy::Required,
            Some(RevocationArg::BestEffort) => RevocationPolicy::BestEffort,
            Some(RevocationArg::Off) => RevocationPolicy::Off,
            None if self.crl.is_empty() => RevocationPolicy::Off,
            None => RevocationPolicy::Required,
        };
        Ok(Setup {
            verifier: Verifier::new(trust)
                .with_revocation(crls)
                .with_options(options),
            intermediates,
            at,
        })
    }
}

fn personal_json(p: &PersonalData) -> Value {
    json!({
        "name": p.name,
        "name_substitute": p.name_substitute,
        "sex": p.sex,
        "sex_code": p.sex.code().to_string(),
        "birth_date": p.birth_date.jpki_form(),
        "birth_date_era": p.birth_date.era,
        "birth_date_gregorian": p.birth_date.date.to_string(),
        "address": p.address,
        "address_substitute": p.address_substitute,
    })
}

pub(crate) fn certificate_json(c: &Certificate) -> Value {
    let mut v = json!({
        "kind": c.kind(),
        "subject": c.subject(),
        "issuer": c.issuer(),
        "serial": c.serial_hex(),
        "not_before": rfc3339(c.not_before()),
        "not_after": rfc3339(c.not_after()),
        "public_key": c.public_key_description(),
        "signature_algorithm": c.signature_algorithm().to_string(),
        "key_usage": c.key_usage().map(|k| k.names()),
        "policies": c.policies().map(|p| p.iter().map(ToString::to_string).collect::<Vec<_>>()),
        "subject_key_id": c.subject_key_id().map(colon_hex),
        "authority_key_id": c.authority_key_id().and_then(|a| a.key_id.as_deref()).map(colon_hex),
        "id": c.id(),
        "legacy_id": c.legacy_id().to_string(),
        "sha256_fingerprint": colon_hex(&c.fingerprint_sha256()),
    });
    if let Some(identity) = c.auth_identity() {
        v["identity"] = json!(identity);
    }
    v
}

fn show(args: &ShowArgs) -> Result<(), Failure> {
    let cert = read_certificate(&args.file)?;
    let personal = cert
        .personal_data()
        .map_err(|e| Failure::usage(format!("{}: {e}", args.file.display())))?;
    if args.json {
        let mut v = certificate_json(&cert);
        if let Some(p) = &personal {
            v["personal_data"] = personal_json(p);
        }
        println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
        return Ok(());
    }
    println!("kind:              {}", cert.kind());
    println!("subject:           {}", cert.subject());
    println!("issuer:            {}", cert.issuer());
    println!("serial:            {}", cert.serial_hex());
    println!("not before:        {}", rfc3339(cert.not_before()));
    println!("not after:         {}", rfc3339(cert.not_after()));
    println!("public key:        {}", cert.public_key_description());
    println!("signature:         {}", cert.signature_algorithm());
    if let Some(ku) = cert.key_usage() {
        println!("key usage:         {}", ku.names().join(", "));
    }
    if let Some(p) = cert.policies() {
        let p: Vec<String> = p.iter().map(ToString::to_string).collect();
        println!("policies:          {}", p.join(", "));
    }
    if let Some(ski) = cert.subject_key_id() {
        println!("subject key id:    {}", colon_hex(ski));
    }
    if let Some(aki) = cert.authority_key_id().and_then(|a| a.key_id.as_deref()) {
        println!("authority key id:  {}", colon_hex(aki));
    }
    match cert.id() {
        Some(id) => println!("id (link by):      {id}"),
        None => println!("id (link by):      (no AuthorityKeyIdentifier: see `cert verify`)"),
    }
    println!("legacy id:         {}", cert.legacy_id());
    if let Some(identity) = cert.auth_identity() {
        println!("identity (opaque): {identity}");
    }
    if let Some(p) = personal {
        println!("personal data:");
        println!("  name:               {}", p.name);
        println!("  name substitute:    {}", p.name_substitute);
        println!(
            "  sex:                {} ({})",
            p.sex.code(),
            p.sex.name_ja()
        );
        println!(
            "  birth date:         {} ({} {})",
            p.birth_date.jpki_form(),
            p.birth_date.era.name_ja(),
            p.birth_date.date
        );
        println!("  address:            {}", p.address);
        println!("  address substitute: {}", p.address_substitute);
    }
    Ok(())
}

fn revocation_json(path: &ValidatedPath) -> Value {
    if path.revocation().is_empty() {
        return json!("not checked");
    }
    Value::Array(
        path.revocation()
            .iter()
            .map(|s| match s {
                RevocationStatus::Good { source } => json!({"status": "good", "source": source}),
                RevocationStatus::Unknown(r) => {
                    json!({"status": "unknown", "reason": r.to_string()})
                }
                RevocationStatus::Revoked(e) => {
                    json!({"status": "revoked", "at": rfc3339(e.revoked_at)})
                }
                _ => json!({"status": "other"}),
            })
            .collect(),
    )
}

fn revocation_text(path: &ValidatedPath) -> String {
    if path.revocation().is_empty() {
        return "not checked (no --crl given, or --revocation off)".into();
    }
    path.revocation()
        .iter()
        .map(|s| match s {
            RevocationStatus::Good { source } => format!("good ({source})"),
            RevocationStatus::Unknown(r) => format!("unknown, accepted by policy ({r})"),
            other => format!("{other:?}"),
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Prints a verdict; `Err(exit 1)` when invalid.
pub(crate) fn report(
    result: Result<ValidatedPath, Rejection>,
    purpose: Purpose,
    at: OffsetDateTime,
    json_out: bool,
    what: &str,
) -> Result<(), Failure> {
    match result {
        Ok(path) => {
            if json_out {
                let v = json!({
                    "valid": true,
                    "purpose": purpose,
                    "at": rfc3339(at),
                    "id": path.leaf_id(),
                    "chain": path.chain().iter().map(|c| json!({
                        "subject": c.subject(),
                        "serial": c.serial_hex(),
                        "key_id": colon_hex(c.key_id()),
                    })).collect::<Vec<_>>(),
                    "revocation": revocation_json(&path),
                });
                println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
            } else {
                println!("valid: {what} for {purpose} at {}", rfc3339(at));
                let chain: Vec<String> = path
                    .chain()
                    .iter()
                    .map(|c| format!("{} [key {}]", c.subject(), colon_hex(c.key_id())))
                    .collect();
                println!("  path:       {}", chain.join("\n           <- "));
                println!("  id:         {}", path.leaf_id());
                println!("  revocation: {}", revocation_text(&path));
            }
            Ok(())
        }
        Err(rejection) => {
            if json_out {
                let v = json!({
                    "valid": false,
                    "purpose": purpose,
                    "at": rfc3339(at),
                    "reason": rejection.code(),
                    "message": rejection.to_string(),
                });
                println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
            } else {
                println!("invalid: {rejection}");
            }
            Err(Failure::refused(format!(
                "{what} is not valid: {}",
                rejection.code()
            )))
        }
    }
}

fn verify(args: &VerifyArgs) -> Result<(), Failure> {
    let cert = read_certificate(&args.file)?;
    let setup = args.trust.setup()?;
    let purpose = args
        .purpose
        .map(Purpose::from)
        .or_else(|| cert.kind().purpose())
        .unwrap_or(Purpose::Authentication);
    let result = setup
        .verifier
        .validate_with(&cert, &setup.intermediates, purpose, setup.at);
    report(result, purpose, setup.at, args.json, "certificate")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_takes_rfc3339_or_a_date_at_midnight_in_japan() {
        let t = parse_at("2026-01-01T09:00:00+09:00").unwrap();
        assert_eq!(t.unix_timestamp(), 1_767_225_600);
        let d = parse_at("2026-01-01").unwrap();
        // 2026-01-01T00:00:00+09:00 = 2025-12-31T15:00:00Z.
        assert_eq!(d.unix_timestamp(), 1_767_225_600 - 9 * 3600);
        assert_eq!(d.offset().whole_hours(), 9);
        assert_eq!(rfc3339(d), "2026-01-01T00:00:00+09:00");
        assert_eq!(parse_at("2024-02-29").unwrap().day(), 29);
        for bad in [
            "",
            "2026-1-01",
            "2026/01/01",
            "2026-01-01 ",
            "2026-13-01",
            "2026-00-10",
            "2025-02-29",
            "2026-04-31",
            "+2026-01-01",
            "２０２６-01-01",
            "next tuesday",
        ] {
            assert!(parse_at(bad).is_err(), "{bad:?}");
        }
    }
}
