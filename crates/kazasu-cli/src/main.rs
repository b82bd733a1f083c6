//! `kazasu`: the command-line face of the kazasu crates.
//!
//! Exit codes: 0 success, 1 refused by the card or a guard (or verification failed), 2 usage or I/O error.

mod auth;
mod auth_http;
mod card;
mod cert;
mod consent_cmd;
mod demo;
mod eprescription_cmd;
mod genuine;
mod hpki;
mod hpki_link;
mod ocsp_cmd;
mod onshi;
mod readers;
mod serve_cmd;
mod sign_cmd;
mod signature;
mod source;
mod time_arg;
mod virtual_card;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// My Number Card (JPKI) and HPKI card tools for healthcare software.
#[derive(Parser, Debug)]
#[command(name = "kazasu", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// The main job end to end on the built-in virtual card: enrolment, eligibility, patient card,
    /// check-in, and the cases that must be refused.
    Demo(demo::DemoArgs),
    /// The relying-party side beyond the clinic: bound assertions, login, e-tickets (`auth demo`),
    /// and an example relying-party HTTP server (`auth serve`).
    #[command(subcommand)]
    Auth(auth::AuthCommand),
    /// Log in to a `kazasu auth serve` relying party with the card (`--enrol` binds it first).
    Login(auth_http::LoginArgs),
    /// Buy a ticket from a `kazasu auth serve` relying party (`--buy`) or touch one of its gates.
    Gate(auth_http::GateArgs),
    /// My Number Card and HPKI card (`card hpki …`) operations (the built-in virtual cards unless
    /// --reader is given).
    #[command(subcommand)]
    Card(card::CardCommand),
    /// List PC/SC readers and whether each holds a card (needs the `pcsc` feature).
    Readers(readers::ReadersArgs),
    /// JPKI certificates: show, and validate a path at a time (exit 0 valid, 1 invalid, 2 unusable).
    #[command(subcommand)]
    Cert(cert::CertCommand),
    /// HPKI (healthcare) certificates: show, and verify the qualification (hcRole) one proves
    /// (exit 0 qualified, 1 rejected, 2 unusable).
    #[command(subcommand)]
    Hpki(hpki::HpkiCommand),
    /// PKCS#1 v1.5 signatures: verify with a validated certificate (exit 0 valid, 1 invalid, 2 unusable).
    #[command(subcommand)]
    Signature(signature::SignatureCommand),
    /// A test double of the オンライン資格確認 terminal's file interface (req/res/face folders).
    #[command(subcommand)]
    Onshi(onshi::OnshiCommand),
    /// Sign a document (CAdES, CMS) with the My Number Card's or the HPKI card's signature key.
    Sign(sign_cmd::SignArgs),
    /// Verify a CAdES signature: one verdict per part (exit 0 valid, 1 invalid or indeterminate).
    #[command(name = "verify-signature")]
    VerifySignature(sign_cmd::VerifyArgs),
    /// Write a one-page sample referral letter (紹介状) PDF, to sign in tests and demos.
    #[command(name = "sample-pdf")]
    SamplePdf {
        /// Where to write it.
        #[arg(long, value_name = "FILE")]
        out: std::path::PathBuf,
    },
    /// RFC 3161 timestamps with the built-in test TSA.
    #[command(subcommand)]
    Tsa(sign_cmd::TsaCommand),
    /// OCSP (RFC 6960): requests, checks against a responder, the test PKIs' responder.
    #[command(subcommand)]
    Ocsp(ocsp_cmd::OcspCommand),
    /// Sign an e-prescription (XAdES, HPKI card), or with --dispense a dispensing record.
    SignEprescription(eprescription_cmd::SignArgs),
    /// Verify an e-prescription or dispensing record: every signature part by part (exit 0 valid,
    /// 1 invalid or indeterminate, 2 unusable).
    VerifyEprescription(eprescription_cmd::VerifyArgs),
    /// Patient consent to share records: sign, withdraw, decide, export as FHIR, audit the ledger.
    #[command(subcommand)]
    Consent(consent_cmd::ConsentCommand),
    /// The services over HTTP (mutual TLS for facilities) on SQLite or PostgreSQL, until SIGTERM.
    Serve(serve_cmd::ServeArgs),
    /// Write a sandbox server directory (test PKI, TLS, cards, configuration) and bulk-load its
    /// database.
    #[command(name = "serve-init")]
    ServeInit(serve_cmd::InitArgs),
    /// A bounded loopback load run against `kazasu serve` instances of a sandbox directory.
    #[command(name = "bench-serve")]
    BenchServe(serve_cmd::BenchArgs),
    /// Properties of several `kazasu serve` instances on one database, checked through the API.
    #[command(subcommand, name = "serve-check")]
    ServeCheck(serve_cmd::CheckCommand),
    /// The built-in virtual My Number Card.
    #[command(subcommand, name = "virtual-card")]
    VirtualCard(virtual_card::VirtualCardCommand),
}

/// A failure the CLI reports: a message and the exit code.
#[derive(Debug)]
pub(crate) struct Failure {
    code: u8,
    message: String,
}

impl Failure {
    /// Refused by the card or a guard, or verification failed: exit 1.
    pub(crate) fn refused(message: impl Into<String>) -> Self {
        Self {
            code: 1,
            message: message.into(),
        }
    }

    /// What went wrong.
    pub(crate) fn message(&self) -> &str {
        &self.message
    }

    /// Usage or I/O error: exit 2.
    pub(crate) fn usage(message: impl Into<String>) -> Self {
        Self {
            code: 2,
            message: message.into(),
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing(matches!(cli.command, Command::Serve(_)));
    let result = match cli.command {
        Command::Card(cmd) => card::run(cmd),
        Command::Cert(cmd) => cert::run(cmd),
        Command::Hpki(cmd) => hpki::run(cmd),
        Command::Signature(cmd) => signature::run(cmd),
        Command::Demo(args) => demo::run(args),
        Command::Auth(cmd) => auth::run(cmd),
        Command::Login(args) => auth_http::login_cmd(&args),
        Command::Gate(args) => auth_http::gate_cmd(&args),
        Command::Onshi(cmd) => onshi::run(cmd),
        Command::Readers(args) => readers::run(args),
        Command::VirtualCard(cmd) => virtual_card::run(cmd),
        Command::Sign(args) => sign_cmd::sign(&args),
        Command::VerifySignature(args) => sign_cmd::verify(&args),
        Command::Tsa(cmd) => sign_cmd::tsa(cmd),
        Command::SamplePdf { out } => sign_cmd::sample_pdf(&out),
        Command::Ocsp(cmd) => ocsp_cmd::run(cmd),
        Command::SignEprescription(args) => eprescription_cmd::sign(&args),
        Command::VerifyEprescription(args) => eprescription_cmd::verify(&args),
        Command::Consent(cmd) => consent_cmd::run(cmd),
        Command::Serve(args) => serve_cmd::serve(&args),
        Command::ServeInit(args) => serve_cmd::init(&args),
        Command::BenchServe(args) => serve_cmd::bench(&args),
        Command::ServeCheck(cmd) => serve_cmd::check(cmd),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            eprintln!("kazasu: {}", f.message);
            ExitCode::from(f.code)
        }
    }
}

fn init_tracing(server: bool) {
    // KAZASU_LOG=kazasu_apdu=trace shows every APDU (PINs redacted).
    let filter = tracing_subscriber::EnvFilter::try_from_env("KAZASU_LOG").unwrap_or_else(|_| {
        tracing_subscriber::EnvFilter::new(if server { "info" } else { "warn" })
    });
    if server {
        // The server logs one JSON object per line: request ids, routes, status, latency, the
        // facility code — never bodies, names or secrets.
        let _ = tracing_subscriber::fmt()
            .json()
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .try_init();
        return;
    }
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}
