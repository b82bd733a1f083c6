//! `kazasu signature verify`: a PKCS#1 v1.5 signature, after validating the signer's certificate.

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};
use kazasu_pki::{HashAlgorithm, Purpose};

use crate::Failure;
use crate::cert::{PurposeArg, TrustArgs, read_certificate, read_limited, report};

/// Largest message read.
const MAX_MESSAGE_FILE: u64 = 256 << 20;
/// Largest signature read (RSA-16384 is 2 KB).
const MAX_SIGNATURE_FILE: u64 = 64 << 10;

#[derive(Subcommand, Debug)]
pub(crate) enum SignatureCommand {
    /// Verify a signature: the certificate's path is validated as with `cert verify` (default
    /// purpose: authentication), then the signature. Exit 0 valid, 1 invalid, 2 unusable input.
    Verify(VerifyArgs),
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub(crate) enum HashArg {
    /// SHA-256 (what the My Number Card signs with).
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
}

#[derive(Args, Debug)]
pub(crate) struct VerifyArgs {
    /// The signer's certificate, DER or PEM.
    #[arg(long, value_name = "FILE")]
    cert: PathBuf,
    /// The signed message (or, with --digest, its hash as raw bytes).
    #[arg(long = "in", value_name = "FILE")]
    input: PathBuf,
    /// The raw signature bytes.
    #[arg(long, value_name = "FILE")]
    sig: PathBuf,
    #[command(flatten)]
    trust: TrustArgs,
    /// Purpose the certificate must serve.
    #[arg(long, value_enum, default_value_t = PurposeArg::Auth)]
    purpose: PurposeArg,
    /// Hash of the PKCS#1 v1.5 signature.
    #[arg(long, value_enum, default_value_t = HashArg::Sha256)]
    hash: HashArg,
    /// --in holds the digest, not the message.
    #[arg(long)]
    digest: bool,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

pub(crate) fn run(cmd: SignatureCommand) -> Result<(), Failure> {
    match cmd {
        SignatureCommand::Verify(args) => verify(&args),
    }
}

fn verify(args: &VerifyArgs) -> Result<(), Failure> {
    let cert = read_certificate(&args.cert)?;
    let input = read_limited(&args.input, MAX_MESSAGE_FILE, "message")?;
    let signature = read_limited(&args.sig, MAX_SIGNATURE_FILE, "signature")?;
    let hash = match args.hash {
        HashArg::Sha256 => HashAlgorithm::Sha256,
        HashArg::Sha384 => HashAlgorithm::Sha384,
        HashArg::Sha512 => HashAlgorithm::Sha512,
    };
    if args.digest && input.len() != hash.output_len() {
        return Err(Failure::usage(format!(
            "--digest: {} holds {} bytes; a {hash} digest is {}",
            args.input.display(),
            input.len(),
            hash.output_len()
        )));
    }
    let setup = args.trust.setup()?;
    let purpose = Purpose::from(args.purpose);
    let result = if args.digest {
        setup
            .verifier
            .validate_with(&cert, &setup.intermediates, purpose, setup.at)
            .and_then(|path| cert.verify_digest(hash, &input, &signature).map(|()| path))
    } else {
        setup
            .verifier
            .validate_with(&cert, &setup.intermediates, purpose, setup.at)
            .and_then(|path| cert.verify_message(hash, &input, &signature).map(|()| path))
    };
    report(result, purpose, setup.at, args.json, "signature")
}
