//! `kazasu card hpki …`: the HPKI card's operations, on a reader or on the built-in virtual HPKI card.

use std::path::PathBuf;

use clap::{Subcommand, ValueEnum};
use kazasu_apdu::Transport;
use kazasu_card::{CardKind, HashAlgorithm, Hpki, HpkiAp, HpkiPin, Session};
use kazasu_virtual_card::{HpkiCardBuilder, VirtualTransport};
use serde_json::json;

use super::{
    SecretArgs, Source, card_failure, status_json, status_text, write_certificate, write_out,
};
use crate::Failure;

#[derive(Subcommand, Debug)]
pub(crate) enum HpkiCommand {
    /// Which card is in the reader, and the tries left of each application's PIN (no try is spent).
    Status {
        #[command(flatten)]
        source: Source,
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// Read a certificate (no PIN needed).
    Cert {
        /// Which certificate.
        #[arg(value_enum)]
        which: WhichAp,
        #[command(flatten)]
        source: Source,
        /// Write to this file instead of standard output.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// PEM instead of DER.
        #[arg(long)]
        pem: bool,
    },
    /// Sign a file's DigestInfo with the signature key (or the authentication key) after the PIN.
    Sign {
        /// Which key.
        #[arg(long, value_enum, default_value = "sign")]
        key: WhichAp,
        /// The hash inside the DigestInfo.
        #[arg(long, value_enum, default_value = "sha256")]
        hash: Hash,
        /// The file to sign.
        #[arg(long = "in", value_name = "FILE")]
        input: PathBuf,
        /// Where to write the 256-byte signature.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        #[command(flatten)]
        source: Source,
        #[command(flatten)]
        secret: SecretArgs,
    },
}

/// One of the card's two applications.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub(crate) enum WhichAp {
    /// The signature application (署名用; nonRepudiation).
    Sign,
    /// The authentication application (認証用).
    Auth,
}

impl WhichAp {
    fn ap(self) -> HpkiAp {
        match self {
            WhichAp::Sign => HpkiAp::Signature,
            WhichAp::Auth => HpkiAp::Authentication,
        }
    }
}

/// The hash algorithm of the DigestInfo the card signs.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub(crate) enum Hash {
    /// SHA-256.
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
}

impl Hash {
    fn algorithm(self) -> HashAlgorithm {
        match self {
            Hash::Sha256 => HashAlgorithm::Sha256,
            Hash::Sha384 => HashAlgorithm::Sha384,
            Hash::Sha512 => HashAlgorithm::Sha512,
        }
    }
}

pub(crate) fn run(cmd: HpkiCommand) -> Result<(), Failure> {
    match cmd {
        HpkiCommand::Status { source, json } => status(&source, json),
        HpkiCommand::Cert {
            which,
            source,
            out,
            pem,
        } => cert(which, &source, out, pem),
        HpkiCommand::Sign {
            key,
            hash,
            input,
            out,
            source,
            secret,
        } => sign(key, hash, &input, &out, &source, &secret),
    }
}

/// The built-in virtual HPKI card (seed 0; PIN 1234 for both applications), fresh each invocation.
fn virtual_hpki_card() -> Result<Box<dyn Transport>, Failure> {
    eprintln!("kazasu: no --reader given: using the built-in virtual HPKI card (seed 0)");
    let issued = HpkiCardBuilder::new(0)
        .build()
        .map_err(|e| Failure::usage(format!("cannot build the virtual HPKI card: {e}")))?;
    Ok(Box::new(VirtualTransport::new(issued.card)))
}

fn open(source: &Source) -> Result<Box<dyn Transport>, Failure> {
    match &source.reader {
        None => virtual_hpki_card(),
        Some(name) => crate::source::reader(name),
    }
}

/// Opens the HPKI card, telling the person when the reader holds another card.
fn open_hpki(source: &Source) -> Result<Hpki<Box<dyn Transport>>, Failure> {
    let mut session = Session::new(open(source)?);
    let kind = CardKind::detect(&mut session).map_err(card_failure)?;
    not_hpki(kind)?;
    Hpki::from_session(session).map_err(card_failure)
}

fn not_hpki(kind: CardKind) -> Result<(), Failure> {
    match kind {
        CardKind::Hpki => Ok(()),
        CardKind::MyNumber => Err(Failure::refused(
            "the card is a My Number Card, not an HPKI card (see `kazasu card status`)",
        )),
        _ => Err(Failure::refused(
            "the card has neither an HPKI nor a JPKI application",
        )),
    }
}

fn status(source: &Source, as_json: bool) -> Result<(), Failure> {
    let mut hpki = open_hpki(source)?;
    let pins = hpki.pin_statuses().map_err(card_failure)?;
    if as_json {
        let v = json!({
            "card": CardKind::Hpki.to_string(),
            "sign_pin": pins.sign.map(status_json),
            "auth_pin": pins.auth.map(status_json),
        });
        println!("{v}");
    } else {
        let line = |s: Option<kazasu_card::PinStatus>| {
            s.map_or_else(|| "(no such application on this card)".into(), status_text)
        };
        println!("card:               {}", CardKind::Hpki);
        println!("signature PIN:      {}", line(pins.sign));
        println!("authentication PIN: {}", line(pins.auth));
    }
    Ok(())
}

fn cert(which: WhichAp, source: &Source, out: Option<PathBuf>, pem: bool) -> Result<(), Failure> {
    let mut hpki = open_hpki(source)?;
    let der = match which {
        WhichAp::Sign => hpki.read_sign_certificate().map(|c| c.into_der()),
        WhichAp::Auth => hpki.read_auth_certificate().map(|c| c.into_der()),
    }
    .map_err(card_failure)?;
    write_certificate(out.as_ref(), &der, pem)
}

fn sign(
    key: WhichAp,
    hash: Hash,
    input: &PathBuf,
    out: &PathBuf,
    source: &Source,
    secret: &SecretArgs,
) -> Result<(), Failure> {
    let data = std::fs::read(input)
        .map_err(|e| Failure::usage(format!("cannot read {}: {e}", input.display())))?;
    let mut hpki = open_hpki(source)?;
    let pin = secret.read("HPKI PIN (4-8 digits): ")?;
    let pin = HpkiPin::new(&pin).map_err(|e| Failure::usage(e.to_string()))?;
    let signature = hpki
        .sign_message(key.ap(), &pin, hash.algorithm(), &data, secret.last_try())
        .map_err(card_failure)?;
    write_out(Some(out), signature.as_bytes())
}
