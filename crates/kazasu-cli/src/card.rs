//! `kazasu card …`: the My Number Card's operations, on a reader or on the built-in virtual card;
//! `kazasu card hpki …` for the HPKI card.

mod hpki;

use std::io::{BufRead, Write};
use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};
use kazasu_apdu::Transport;
use kazasu_card::cvc::CvcTrust;
use kazasu_card::{
    AuthPin, CardError, CardInfo, CardInfoPin, DigestInfo, HashAlgorithm, IntegrityCheck, Jpki,
    LastTry, PinStatus, SignPassword,
};

pub(crate) use crate::genuine::GenuineArgs;
use serde_json::json;
use zeroize::Zeroizing;

use crate::Failure;

#[derive(Subcommand, Debug)]
pub(crate) enum CardCommand {
    /// Token kind and the tries left of each secret (no try is spent).
    Status {
        #[command(flatten)]
        source: Source,
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// Read a certificate (the signature certificate asks for the signature password).
    Cert {
        /// Which certificate.
        #[arg(value_enum)]
        which: WhichCert,
        #[command(flatten)]
        source: Source,
        #[command(flatten)]
        secret: SecretArgs,
        /// Write to this file instead of standard output.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// PEM instead of DER.
        #[arg(long)]
        pem: bool,
    },
    /// Sign a file's SHA-256 DigestInfo with the authentication or the signature key.
    Sign {
        /// Which key.
        #[arg(value_enum)]
        key: WhichKey,
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
    /// Prove the chip genuine without a PIN: the application's certificate verifies with a known CA,
    /// a signed record names the chip's key, and the chip signs a fresh random challenge with it
    /// (exit 0 proven, 1 refused or not checked, 2 usage or I/O).
    Genuine(GenuineArgs),
    /// The HPKI card (医師資格証 etc.): status, certificates, signatures (the built-in virtual HPKI
    /// card unless --reader is given).
    #[command(subcommand)]
    Hpki(hpki::HpkiCommand),
    /// 基本4情報 (name, address, birth date, sex) and the My Number, with the card-info PIN.
    Text {
        #[command(flatten)]
        source: Source,
        #[command(flatten)]
        secret: SecretArgs,
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub(crate) enum WhichCert {
    /// Authentication certificate (利用者証明用).
    Auth,
    /// Signature certificate (署名用; needs the signature password).
    Sign,
    /// Authentication CA certificate.
    AuthCa,
    /// Signature CA certificate.
    SignCa,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub(crate) enum WhichKey {
    /// The authentication key (auth PIN).
    Auth,
    /// The signature key (signature password).
    Sign,
}

/// Where the card is.
#[derive(Args, Debug, Clone)]
pub(crate) struct Source {
    /// PC/SC reader name; without it the built-in virtual card (seed 0) answers in process.
    #[arg(long, value_name = "NAME")]
    pub(crate) reader: Option<String>,
}

/// How secrets are entered: never as an argument.
#[derive(Args, Debug, Clone)]
pub(crate) struct SecretArgs {
    /// Read the PIN or password from one line of standard input instead of the terminal.
    #[arg(long)]
    pub(crate) pin_stdin: bool,
    /// Spend the last try if only one is left (otherwise refused to protect the card).
    #[arg(long)]
    allow_last_try: bool,
}

impl SecretArgs {
    pub(crate) fn last_try(&self) -> LastTry {
        if self.allow_last_try {
            LastTry::Allow
        } else {
            LastTry::Refuse
        }
    }

    pub(crate) fn read(&self, prompt: &str) -> Result<Zeroizing<String>, Failure> {
        if self.pin_stdin {
            let mut line = Zeroizing::new(String::new());
            std::io::stdin().lock().read_line(&mut line).map_err(|e| {
                Failure::usage(format!("cannot read the secret from standard input: {e}"))
            })?;
            let trimmed = Zeroizing::new(line.trim_end_matches(['\r', '\n']).to_owned());
            return Ok(trimmed);
        }
        Self::prompt(prompt)
    }

    /// Asks on the terminal without echo.
    pub(crate) fn prompt(prompt: &str) -> Result<Zeroizing<String>, Failure> {
        rpassword::prompt_password(prompt)
            .map(Zeroizing::new)
            .map_err(|e| {
                Failure::usage(format!(
                    "cannot read the secret from the terminal ({e}); give it on standard input (see --help)"
                ))
            })
    }
}

pub(crate) fn open(source: &Source) -> Result<Box<dyn Transport>, Failure> {
    match &source.reader {
        None => {
            eprintln!(
                "kazasu: no --reader given: using the built-in virtual card (seed 0, 山田 花子)"
            );
            crate::source::virtual_card()
        }
        Some(name) => crate::source::reader(name),
    }
}

/// Maps card errors onto exit codes: refusals 1, everything else 2.
pub(crate) fn card_failure(e: CardError) -> Failure {
    if e.is_refusal() {
        Failure::refused(e.to_string())
    } else {
        Failure::usage(e.to_string())
    }
}

fn status_text(s: PinStatus) -> String {
    match s {
        PinStatus::Verified => "verified".into(),
        PinStatus::TriesLeft(n) => format!("{n} tries left"),
        PinStatus::Blocked => "BLOCKED".into(),
    }
}

fn status_json(s: PinStatus) -> serde_json::Value {
    match s {
        PinStatus::Verified => json!({"verified": true}),
        PinStatus::TriesLeft(n) => json!({"verified": false, "tries_left": n}),
        PinStatus::Blocked => json!({"verified": false, "blocked": true, "tries_left": 0}),
    }
}

pub(crate) fn run(cmd: CardCommand) -> Result<(), Failure> {
    match cmd {
        CardCommand::Status { source, json } => status(&source, json),
        CardCommand::Cert {
            which,
            source,
            secret,
            out,
            pem,
        } => cert(which, &source, &secret, out, pem),
        CardCommand::Sign {
            key,
            input,
            out,
            source,
            secret,
        } => sign(key, &input, &out, &source, &secret),
        CardCommand::Text {
            source,
            secret,
            json,
        } => text(&source, &secret, json),
        CardCommand::Genuine(args) => crate::genuine::run(&args),
        CardCommand::Hpki(cmd) => hpki::run(cmd),
    }
}

fn status(source: &Source, as_json: bool) -> Result<(), Failure> {
    let mut jpki = Jpki::open(open(source)?).map_err(card_failure)?;
    let token = jpki.token_kind().map_err(card_failure)?;
    let pins = jpki.pin_status().map_err(card_failure)?;
    let mut info = CardInfo::from_session(jpki.into_session()).ok();
    let card_info = info.as_mut().and_then(|i| i.pin_status().ok());
    if as_json {
        let v = json!({
            "token": token.to_string(),
            "auth_pin": status_json(pins.auth),
            "sign_password": pins.sign.map(status_json),
            "card_info_pin": card_info.map(status_json),
        });
        println!("{v}");
    } else {
        println!("token:              {token}");
        println!("auth PIN:           {}", status_text(pins.auth));
        match pins.sign {
            Some(s) => println!("signature password: {}", status_text(s)),
            None => println!("signature password: (no signature certificate on this card)"),
        }
        if let Some(s) = card_info {
            println!("card-info PIN:      {}", status_text(s));
        }
    }
    Ok(())
}

fn write_out(out: Option<&PathBuf>, bytes: &[u8]) -> Result<(), Failure> {
    match out {
        Some(path) => std::fs::write(path, bytes)
            .map_err(|e| Failure::usage(format!("cannot write {}: {e}", path.display()))),
        None => std::io::stdout()
            .write_all(bytes)
            .map_err(|e| Failure::usage(format!("cannot write to standard output: {e}"))),
    }
}

fn cert(
    which: WhichCert,
    source: &Source,
    secret: &SecretArgs,
    out: Option<PathBuf>,
    pem: bool,
) -> Result<(), Failure> {
    let mut jpki = Jpki::open(open(source)?).map_err(card_failure)?;
    let der = match which {
        WhichCert::Auth => {
            // Smartphone tokens give the authentication certificate only after the PIN.
            if jpki
                .token_kind()
                .map_err(card_failure)?
                .auth_certificate_needs_pin()
            {
                let pin = secret.read("Authentication PIN (4 digits): ")?;
                let pin = AuthPin::new(&pin).map_err(|e| Failure::usage(e.to_string()))?;
                jpki.verify_auth_pin(&pin, secret.last_try())
                    .map_err(card_failure)?;
            }
            jpki.read_auth_certificate().map(|c| c.into_der())
        }
        WhichCert::AuthCa => jpki.read_auth_ca_certificate().map(|c| c.into_der()),
        WhichCert::SignCa => jpki.read_sign_ca_certificate().map(|c| c.into_der()),
        WhichCert::Sign => {
            let pw = secret.read("Signature password (6-16 characters): ")?;
            let pw = SignPassword::new(&pw).map_err(|e| Failure::usage(e.to_string()))?;
            jpki.read_sign_certificate(&pw, secret.last_try())
                .map(|c| c.into_der())
        }
    }
    .map_err(card_failure)?;
    write_certificate(out.as_ref(), &der, pem)
}

/// Writes a certificate as DER, or PEM when asked.
fn write_certificate(out: Option<&PathBuf>, der: &[u8], pem: bool) -> Result<(), Failure> {
    if pem {
        let text = pem_rfc7468::encode_string("CERTIFICATE", pem_rfc7468::LineEnding::LF, der)
            .map_err(|e| Failure::usage(format!("cannot PEM-encode: {e}")))?;
        write_out(out, text.as_bytes())
    } else {
        write_out(out, der)
    }
}

fn sign(
    key: WhichKey,
    input: &PathBuf,
    out: &PathBuf,
    source: &Source,
    secret: &SecretArgs,
) -> Result<(), Failure> {
    let data = std::fs::read(input)
        .map_err(|e| Failure::usage(format!("cannot read {}: {e}", input.display())))?;
    let digest_info = DigestInfo::of_message(HashAlgorithm::Sha256, &data);
    let mut jpki = Jpki::open(open(source)?).map_err(card_failure)?;
    let signature = match key {
        WhichKey::Auth => {
            let pin = secret.read("Authentication PIN (4 digits): ")?;
            let pin = AuthPin::new(&pin).map_err(|e| Failure::usage(e.to_string()))?;
            jpki.sign_with_auth_key(&pin, &digest_info, secret.last_try())
        }
        WhichKey::Sign => {
            let pw = secret.read("Signature password (6-16 characters): ")?;
            let pw = SignPassword::new(&pw).map_err(|e| Failure::usage(e.to_string()))?;
            jpki.sign_with_sign_key(&pw, &digest_info, secret.last_try())
        }
    }
    .map_err(card_failure)?;
    write_out(Some(out), signature.as_bytes())
}

fn text(source: &Source, secret: &SecretArgs, as_json: bool) -> Result<(), Failure> {
    let pin = secret.read("Card-info PIN (4 digits): ")?;
    let pin = CardInfoPin::new(&pin).map_err(|e| Failure::usage(e.to_string()))?;
    let builtin = source.reader.is_none();
    let mut ap = CardInfo::open(open(source)?).map_err(card_failure)?;
    // One PIN entry opens both files; the integrity record is checked against them. On a reader this
    // command knows no CA key, so the record's signature is reported "not checked" (the hashes are
    // still compared), whichever hierarchy the card is from; `kazasu card genuine` is the verifier.
    let trust = if builtin {
        crate::genuine::builtin_trust()?
    } else {
        CvcTrust::new().allow_test_hierarchy(true)
    };
    let read = ap
        .read_verified(&pin, &trust, secret.last_try())
        .map_err(card_failure)?;
    let (number, info) = (read.my_number, read.basic_info);
    let integrity = match &read.integrity {
        IntegrityCheck::Verified(v) => {
            format!("signed by CA {} ({} hierarchy)", v.issuer, v.hierarchy)
        }
        IntegrityCheck::NotChecked { issuer } => {
            format!("hashes match; signature not checked (CA {issuer} not configured)")
        }
        _ => "unknown".to_owned(),
    };
    if as_json {
        let v = json!({
            "name": info.name,
            "address": info.address,
            "birth_date": info.birth_date.to_string(),
            "sex": info.sex.to_string(),
            "my_number": number.expose(),
            "integrity": integrity,
        });
        println!("{v}");
    } else {
        println!("name:       {}", info.name);
        println!("address:    {}", info.address);
        println!("birth date: {}", info.birth_date);
        println!("sex:        {}", info.sex);
        println!("My Number:  {}", number.expose());
        println!("integrity:  {integrity}");
    }
    Ok(())
}
