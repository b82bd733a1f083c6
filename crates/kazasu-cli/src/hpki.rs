//! `kazasu hpki`: HPKI (healthcare) certificates — show one, and verify the qualification it
//! proves (exit 0 qualified, 1 rejected with the reason named, 2 unusable input).

use std::path::PathBuf;

use clap::{Args, Subcommand};
use kazasu_pki::{
    Certificate, Crl, CrlSet, HcRole, HpkiVerifier, Purpose, Qualification, RevocationStatus,
    TrustStore,
};
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::Failure;
use crate::cert::{parse_at, read_certificate, read_limited};

const MAX_CERT_FILE: u64 = 4 << 20;
const MAX_CRL_FILE: u64 = 1 << 30;

/// `kazasu hpki …`.
#[derive(Subcommand, Debug)]
pub(crate) enum HpkiCommand {
    /// Show an HPKI certificate: names, HPKI ID, roles (hcRole), policies, validity.
    Show(ShowArgs),
    /// Verify the qualification an HPKI holder certificate proves: path to the MHLW HPKI root
    /// (or --trust), the holder's policy, key usage, validity, revocation of every certificate of
    /// the path (required: give the CA's CRL and the root's ARL with --crl), and the role.
    Verify(VerifyArgs),
    /// HPKI card application (発行申請) signed with the My Number Card's signature key: verified,
    /// matched with the card and the registry, and linked (sandbox desk; --db keeps linkages).
    Apply(crate::hpki_link::ApplyArgs),
    /// Link the HPKI card the sandbox CA issues (or the one in --hpki-reader) to an application.
    Issue(crate::hpki_link::IssueArgs),
    /// Sign a professional in: HPKI and My Number Card assertions over one challenge, one active
    /// linkage; answers with the roles.
    SignIn(crate::hpki_link::SignInArgs),
    /// Apply new JPKI CRLs (and the registry) to every linkage; print their states.
    CheckLinkage(crate::hpki_link::CheckArgs),
}

/// `kazasu hpki show`.
#[derive(Args, Debug)]
pub(crate) struct ShowArgs {
    /// The certificate (DER or PEM).
    #[arg(value_name = "CERT")]
    cert: PathBuf,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// `kazasu hpki verify`.
#[derive(Args, Debug)]
pub(crate) struct VerifyArgs {
    /// The holder certificate (DER or PEM).
    #[arg(value_name = "CERT")]
    cert: PathBuf,
    /// An intermediate CA certificate (repeatable; the shipped MEDIS and JMA CAs are always known).
    #[arg(long, value_name = "FILE")]
    intermediate: Vec<PathBuf>,
    /// A CRL or ARL (repeatable): the CA's CRL for the holder, the root's ARL for the CA.
    #[arg(long, value_name = "FILE")]
    crl: Vec<PathBuf>,
    /// A role that qualifies (repeatable; any one suffices; none: any role). The scheme string
    /// (`"Medical Doctor"`) or a typed role in kebab case (`medical-doctor`, `dentist`,
    /// `pharmacist`, `director-of-hospital`, `director-of-clinic`).
    #[arg(long, value_name = "NAME")]
    role: Vec<String>,
    /// Trust this root for the HPKI purposes instead of the shipped MHLW HPKI Root CA V2
    /// (repeatable; e.g. a test PKI's root).
    #[arg(long, value_name = "FILE")]
    trust: Vec<PathBuf>,
    /// Verification time: RFC 3339, or YYYY-MM-DD (00:00 JST). Default: now.
    #[arg(long, value_name = "TIME|DATE")]
    at: Option<String>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

pub(crate) fn run(cmd: HpkiCommand) -> Result<(), Failure> {
    match cmd {
        HpkiCommand::Show(args) => show(&args),
        HpkiCommand::Verify(args) => verify(&args),
        HpkiCommand::Apply(args) => crate::hpki_link::apply(&args),
        HpkiCommand::Issue(args) => crate::hpki_link::issue(&args),
        HpkiCommand::SignIn(args) => crate::hpki_link::sign_in(&args),
        HpkiCommand::CheckLinkage(args) => crate::hpki_link::check_linkage(&args),
    }
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&Rfc3339)
        .unwrap_or_else(|_| t.unix_timestamp().to_string())
}

fn show(args: &ShowArgs) -> Result<(), Failure> {
    let cert = read_certificate(&args.cert)?;
    let roles = cert
        .hc_roles()
        .map_err(|e| Failure::refused(format!("{}: {e}", args.cert.display())))?;
    let role_names: Vec<&str> = roles.iter().map(HcRole::as_str).collect();
    let policies: Vec<String> = cert
        .policies()
        .unwrap_or_default()
        .iter()
        .map(ToString::to_string)
        .collect();
    let key_usage = cert.key_usage().map(|k| k.names()).unwrap_or_default();
    if args.json {
        let v = json!({
            "subject": cert.subject(),
            "issuer": cert.issuer(),
            "kind": cert.kind(),
            "serial": cert.serial_hex(),
            "name_romanized": cert.subject_common_name(),
            "name_kanji": cert.alt_name_common_name(),
            "hpki_id": cert.subject_serial_number(),
            "roles": role_names,
            "policies": policies,
            "key_usage": key_usage,
            "not_before": rfc3339(cert.not_before()),
            "not_after": rfc3339(cert.not_after()),
        });
        println!("{v:#}");
        return Ok(());
    }
    let or_none = |o: Option<String>| o.unwrap_or_else(|| "(none)".into());
    println!("subject:        {}", cert.subject());
    println!("issuer:         {}", cert.issuer());
    println!("kind:           {}", cert.kind());
    println!("serial:         {}", cert.serial_hex());
    println!("name (romaji):  {}", or_none(cert.subject_common_name()));
    println!("name (kanji):   {}", or_none(cert.alt_name_common_name()));
    println!("HPKI ID:        {}", or_none(cert.subject_serial_number()));
    println!(
        "roles:          {}",
        if role_names.is_empty() {
            "(none)".into()
        } else {
            role_names.join(", ")
        }
    );
    println!("policies:       {}", policies.join(", "));
    println!("key usage:      {}", key_usage.join(", "));
    println!(
        "validity:       {} .. {}",
        rfc3339(cert.not_before()),
        rfc3339(cert.not_after())
    );
    Ok(())
}

fn status_json(s: &RevocationStatus) -> Value {
    match s {
        RevocationStatus::Good { source } => json!({"status": "good", "source": source}),
        RevocationStatus::Revoked(e) => json!({"status": "revoked", "at": rfc3339(e.revoked_at)}),
        RevocationStatus::Unknown(r) => json!({"status": "unknown", "reason": r.to_string()}),
        _ => json!({"status": "other"}),
    }
}

fn qualification_json(q: &Qualification) -> Value {
    let names = |roles: &[HcRole]| roles.iter().map(ToString::to_string).collect::<Vec<_>>();
    let chain: Vec<&str> = q.path.chain().iter().map(Certificate::subject).collect();
    json!({
        "valid": true,
        "purpose": q.purpose,
        "roles": names(&q.roles),
        "matched_roles": names(&q.matched_roles),
        "name_romanized": q.name_romanized,
        "name_kanji": q.name_kanji,
        "hpki_id": q.hpki_id,
        "issuing_ca": q.issuing_ca,
        "anchor": q.anchor,
        "chain": chain,
        "revocation": q.revocation().iter().map(status_json).collect::<Vec<_>>(),
        "at": rfc3339(q.path.at()),
    })
}

fn verify(args: &VerifyArgs) -> Result<(), Failure> {
    let at = match &args.at {
        Some(s) => parse_at(s).map_err(|e| Failure::usage(format!("--at {s:?}: {e}")))?,
        None => OffsetDateTime::now_utc(),
    };
    let cert = read_certificate(&args.cert)?;
    let mut intermediates = Vec::new();
    for path in &args.intermediate {
        intermediates.push(read_certificate(path)?);
    }
    let mut crls = CrlSet::new();
    for path in &args.crl {
        let data = read_limited(path, MAX_CRL_FILE, "CRL")?;
        crls.add(
            Crl::parse_vec(data).map_err(|e| {
                Failure::usage(format!("{}: not a usable CRL: {e}", path.display()))
            })?,
        );
    }
    let verifier = if args.trust.is_empty() {
        HpkiVerifier::new()
            .map_err(|e| Failure::usage(format!("the shipped HPKI certificates: {e}")))?
    } else {
        let mut store = TrustStore::new();
        for path in &args.trust {
            let data = read_limited(path, MAX_CERT_FILE, "certificate")?;
            let cert = Certificate::parse(&data).map_err(|e| {
                Failure::usage(format!("{}: not a usable certificate: {e}", path.display()))
            })?;
            store.add_for(cert, Purpose::HPKI);
        }
        HpkiVerifier::with_trust(store).with_intermediates(
            kazasu_pki::hpki_intermediates()
                .map_err(|e| Failure::usage(format!("the shipped HPKI CAs: {e}")))?,
        )
    }
    .with_revocation(crls);
    let roles: Vec<HcRole> = args
        .role
        .iter()
        .map(|r| {
            r.parse()
                .unwrap_or_else(|e: std::convert::Infallible| match e {})
        })
        .collect();
    match verifier.verify_qualification(&cert, &intermediates, at, &roles) {
        Ok(q) => {
            if args.json {
                println!("{:#}", qualification_json(&q));
            } else {
                let names: Vec<&str> = q.roles.iter().map(HcRole::as_str).collect();
                println!("qualified: {}", names.join(", "));
                println!(
                    "holder:    {} / {}",
                    q.name_romanized.as_deref().unwrap_or("(no romanized name)"),
                    q.name_kanji.as_deref().unwrap_or("(no kanji name)")
                );
                println!("HPKI ID:   {}", q.hpki_id.as_deref().unwrap_or("(none)"));
                println!("issuer:    {}", q.issuing_ca);
                println!("anchor:    {}", q.anchor);
                println!("purpose:   {}", q.purpose);
                for (c, s) in q.path.chain().iter().zip(q.revocation()) {
                    let s = match s {
                        RevocationStatus::Good { source } => format!("good ({source})"),
                        other => format!("{other:?}"),
                    };
                    println!("revocation of {}: {s}", c.subject());
                }
            }
            Ok(())
        }
        Err(r) => {
            if args.json {
                println!(
                    "{:#}",
                    json!({"valid": false, "code": r.code(), "reason": r.to_string()})
                );
            }
            Err(Failure::refused(format!("{}: {r}", r.code())))
        }
    }
}
