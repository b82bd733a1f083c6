//! `kazasu virtual-card …`: serve the virtual card to pcscd, export its PKI.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use clap::{Args, Subcommand, ValueEnum};
use kazasu_virtual_card::pki::{
    ArlKind, CrlSpec, Generation, HpkiAp, HpkiTestPki, IdpScope, Purpose, services,
};
use kazasu_virtual_card::vpcd::{self, ServeEnd, VpcdOptions};
use kazasu_virtual_card::{
    Counterfeit, HpkiCardBuilder, IssuedCard, IssuedHpkiCard, SharedCard, TokenKind,
    VirtualCardBuilder,
};

use crate::Failure;

#[derive(Subcommand, Debug)]
pub(crate) enum VirtualCardCommand {
    /// Put the virtual card into a real pcscd reader through vsmartcard-vpcd.
    Serve(ServeArgs),
    /// Write the test PKI (roots, the holder's certificates, CRLs) as DER and PEM, and the test CVC CA keys.
    Export(ExportArgs),
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Token {
    /// My Number Card (JPKIAPICCTOKEN2) with the card-face applications.
    Mynumber,
    /// Android smartphone certificate (JPKIAPGPSETOKEN).
    Android,
    /// iPhone smartphone certificate (JPKIAPIOSTOKEN).
    Iphone,
}

#[derive(Args, Debug)]
pub(crate) struct CardArgs {
    /// Seed of the test PKI and persona (0 = 山田 花子; PINs: auth 1234, signature ABC123, card-info 1234).
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Token kind.
    #[arg(long, value_enum, default_value_t = Token::Mynumber)]
    token: Token,
    /// Refuse extended APDUs, like readers without them (ACS ACR122U).
    #[arg(long)]
    no_extended: bool,
    /// Make a counterfeit card, to see a verifier refuse it.
    #[arg(long, value_enum)]
    counterfeit: Option<Fake>,
    /// Also an HPKI card (医師資格証; Medical Doctor, PIN 1234 on both APs): `serve` puts it into a second
    /// vpcd reader (`--hpki-vpcd`), `export` writes its PKI as `hpki-*` files.
    #[arg(long)]
    hpki: bool,
    /// The HPKI card holder's kanji name instead of the seed's, with the romanized name and key
    /// slot the sandbox HPKI CA gives slot 0 (`kazasu hpki issue --hpki-reader` links a card
    /// named like the applicant, e.g. "山田 花子" for the seed-0 My Number Card).
    #[arg(long, value_name = "KANJI", requires = "hpki")]
    hpki_name: Option<String>,
}

/// The counterfeits of `kazasu_virtual_card::Counterfeit`.
#[derive(Clone, Copy, Debug, ValueEnum)]
enum Fake {
    /// Genuine card-face files copied onto another chip (the challenge fails).
    Copied,
    /// Self-made: CVCs by an unknown CA id (6999923…).
    UnknownIssuer,
    /// Self-made: CVCs under the genuine CA ids with a wrong signature.
    WrongSignature,
    /// Self-made: production-looking CA ids (5000023…) signed by an unknown key.
    ProductionIds,
}

#[derive(Args, Debug)]
pub(crate) struct ServeArgs {
    /// Address of pcscd's vpcd driver.
    #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:35963")]
    vpcd: String,
    /// Address of the vpcd reader for the HPKI card (`--hpki`; vpcd slot 1 by default).
    #[arg(long, value_name = "HOST:PORT", default_value = "127.0.0.1:35964")]
    hpki_vpcd: String,
    #[command(flatten)]
    card: CardArgs,
    /// Also write the test PKI into this directory before serving.
    #[arg(long, value_name = "DIR")]
    export_pki: Option<PathBuf>,
    /// Exit when pcscd closes the connection instead of reconnecting.
    #[arg(long)]
    once: bool,
    /// Seconds to keep trying to reach pcscd.
    #[arg(long, default_value_t = 30)]
    connect_timeout: u64,
}

#[derive(Args, Debug)]
pub(crate) struct ExportArgs {
    /// Directory to write into (created if missing).
    #[arg(value_name = "DIR")]
    dir: PathBuf,
    #[command(flatten)]
    card: CardArgs,
    /// Also write the test private keys (the holder's signature key, the HPKI signature key, the
    /// test TSA's key), so independent tools (openssl) can sign as the test identities do.
    /// Test keys only: a real card's keys never leave it.
    #[arg(long)]
    test_keys: bool,
}

pub(crate) fn run(cmd: VirtualCardCommand) -> Result<(), Failure> {
    match cmd {
        VirtualCardCommand::Serve(args) => serve(args),
        VirtualCardCommand::Export(args) => {
            let issued = build(&args.card)?;
            export(&issued, &args.dir)?;
            export_tsa(&args.dir, args.test_keys)?;
            if args.test_keys {
                write_key(&args.dir, "sign-key", &issued.holder.sign_key)?;
            }
            if args.card.hpki {
                let hpki = build_hpki(&args.card)?;
                export_hpki(&hpki, &args.dir)?;
                if args.test_keys {
                    write_key(&args.dir, "hpki-sign-key", &hpki.credentials.sign_key)?;
                }
            }
            println!("wrote the test PKI to {}", args.dir.display());
            Ok(())
        }
    }
}

fn build(args: &CardArgs) -> Result<IssuedCard, Failure> {
    let token = match args.token {
        Token::Mynumber => TokenKind::MyNumberCard,
        Token::Android => TokenKind::AndroidSmartphone,
        Token::Iphone => TokenKind::IPhone,
    };
    let mut builder = VirtualCardBuilder::new(args.seed)
        .token(token)
        .extended_apdus(!args.no_extended);
    if let Some(fake) = args.counterfeit {
        builder = builder.counterfeit(match fake {
            Fake::Copied => Counterfeit::CopiedToOtherChip,
            Fake::UnknownIssuer => Counterfeit::SelfMadeUnknownIssuer,
            Fake::WrongSignature => Counterfeit::SelfMadeWrongSignature,
            Fake::ProductionIds => Counterfeit::SelfMadeProductionIds,
        });
    }
    builder
        .build()
        .map_err(|e| Failure::usage(format!("cannot build the virtual card: {e}")))
}

fn build_hpki(args: &CardArgs) -> Result<IssuedHpkiCard, Failure> {
    let mut builder = HpkiCardBuilder::new(args.seed);
    if let Some(name) = &args.hpki_name {
        let mut holder = kazasu_virtual_card::pki::HpkiHolder::from_seed(0);
        holder.kanji_name = name.clone();
        holder.romanized_name = "Kazasu Holder 0".into();
        builder = HpkiCardBuilder::new(0).holder(holder);
    }
    builder
        .extended_apdus(!args.no_extended)
        .build()
        .map_err(|e| Failure::usage(format!("cannot build the virtual HPKI card: {e}")))
}

fn serve(args: ServeArgs) -> Result<(), Failure> {
    let issued = build(&args.card)?;
    let hpki = if args.card.hpki {
        Some(build_hpki(&args.card)?)
    } else {
        None
    };
    if let Some(dir) = &args.export_pki {
        export(&issued, dir)?;
        export_tsa(dir, false)?;
        if let Some(h) = &hpki {
            export_hpki(h, dir)?;
        }
    }
    let IssuedCard { card, persona, .. } = issued;
    let card = Arc::new(Mutex::new(card));
    let stop = Arc::new(AtomicBool::new(false));
    {
        let stop = Arc::clone(&stop);
        ctrlc::set_handler(move || stop.store(true, Ordering::Relaxed))
            .map_err(|e| Failure::usage(format!("cannot install the signal handler: {e}")))?;
    }
    eprintln!(
        "kazasu: virtual My Number Card of {} served to vpcd at {} (auth PIN 1234, signature password ABC123 unless the persona says otherwise)",
        persona.name, args.vpcd
    );
    let options = VpcdOptions {
        address: args.vpcd.clone(),
        connect_timeout: Duration::from_secs(args.connect_timeout),
        reconnect: !args.once,
    };
    let hpki_thread = match hpki {
        Some(h) => {
            eprintln!(
                "kazasu: virtual HPKI card of {} ({}) served to vpcd at {} (PIN 1234 on both APs)",
                h.holder.romanized_name,
                h.holder.roles.join(", "),
                args.hpki_vpcd
            );
            let card: SharedCard = Arc::new(Mutex::new(h.card));
            let options = VpcdOptions {
                address: args.hpki_vpcd.clone(),
                ..options.clone()
            };
            let stop = Arc::clone(&stop);
            Some(std::thread::spawn(move || {
                let end = vpcd::serve(&card, &options, &stop);
                // The JPKI card's loop ends the process; stop it too when this reader goes away.
                stop.store(true, Ordering::Relaxed);
                end
            }))
        }
        None => None,
    };
    let end = vpcd::serve(&card, &options, &stop);
    stop.store(true, Ordering::Relaxed);
    if let Some(t) = hpki_thread {
        match t.join() {
            Ok(Ok(ServeEnd::CardRemoved)) => eprintln!("kazasu: HPKI card removed"),
            Ok(Err(e)) => return Err(Failure::usage(format!("HPKI card: {e}"))),
            Ok(Ok(_)) => {}
            Err(_) => return Err(Failure::usage("the HPKI card's vpcd thread failed")),
        }
    }
    match end {
        Ok(ServeEnd::Stopped | ServeEnd::Disconnected) => Ok(()),
        Ok(ServeEnd::CardRemoved) => {
            eprintln!("kazasu: card removed");
            Ok(())
        }
        Ok(_) => Ok(()),
        Err(e) => Err(Failure::usage(e.to_string())),
    }
}

fn write(dir: &Path, name: &str, label: &str, der: &[u8]) -> Result<(), Failure> {
    let io =
        |e: std::io::Error| Failure::usage(format!("cannot write {}/{name}: {e}", dir.display()));
    std::fs::write(dir.join(format!("{name}.der")), der).map_err(io)?;
    let pem = pem_rfc7468::encode_string(label, pem_rfc7468::LineEnding::LF, der)
        .map_err(|e| Failure::usage(format!("cannot PEM-encode {name}: {e}")))?;
    std::fs::write(dir.join(format!("{name}.pem")), pem).map_err(io)?;
    Ok(())
}

/// A test private key as PKCS#8 PEM.
fn write_key(dir: &Path, name: &str, key: &rsa::PrivateKey) -> Result<(), Failure> {
    use rsa::pkcs8::EncodePrivateKey;
    let pem = key
        .to_pkcs8_pem(rsa::pkcs8::LineEnding::LF)
        .map_err(|e| Failure::usage(format!("cannot encode {name}: {e}")))?;
    std::fs::write(dir.join(format!("{name}.pem")), pem.as_bytes())
        .map_err(|e| Failure::usage(format!("cannot write {}/{name}.pem: {e}", dir.display())))
}

/// The test TSA: its root and certificate (and key with `keys`).
fn export_tsa(dir: &Path, keys: bool) -> Result<(), Failure> {
    let tsa = kazasu_virtual_card::pki::services::TestTsa::new()
        .map_err(|e| Failure::usage(format!("cannot build the test TSA: {e}")))?;
    write(dir, "tsa-root", "CERTIFICATE", &tsa.root)?;
    write(dir, "tsa", "CERTIFICATE", &tsa.signer.certificate)?;
    if keys {
        write_key(dir, "tsa-key", &tsa.signer.key)?;
    }
    Ok(())
}

fn export(issued: &IssuedCard, dir: &Path) -> Result<(), Failure> {
    std::fs::create_dir_all(dir)
        .map_err(|e| Failure::usage(format!("cannot create {}: {e}", dir.display())))?;
    let pki = &issued.pki;
    for (purpose, p) in [
        (Purpose::Authentication, "auth"),
        (Purpose::Signature, "sign"),
    ] {
        for (generation, g) in [(Generation::G2015, "2015"), (Generation::G2023, "2023")] {
            let root = pki.root(purpose, generation);
            write(dir, &format!("{p}-root-{g}"), "CERTIFICATE", &root.der)?;
        }
        // Fresh for a day from now, so the exported CRL is usable as it stands.
        let crl = pki
            .crl(
                purpose,
                Generation::G2023,
                &CrlSpec::valid_at(time::OffsetDateTime::now_utc()),
            )
            .map_err(|e| Failure::usage(format!("cannot build the {p} CRL: {e}")))?;
        write(dir, &format!("{p}-crl"), "X509 CRL", &crl)?;
    }
    write(dir, "auth", "CERTIFICATE", &issued.holder.auth_certificate)?;
    write(dir, "sign", "CERTIFICATE", &issued.holder.sign_certificate)?;
    // The delegated OCSP responders of the 2023 roots (their key is fixture key 47).
    for (purpose, p) in [
        (Purpose::Authentication, "auth"),
        (Purpose::Signature, "sign"),
    ] {
        let responder = services::jpki_ocsp_responder(pki, purpose, Generation::G2023)
            .map_err(|e| Failure::usage(format!("cannot build the {p} OCSP responder: {e}")))?;
        write(
            dir,
            &format!("{p}-ocsp-responder"),
            "CERTIFICATE",
            &responder.certificate,
        )?;
    }
    // The test CVC CAs, one per line: 16-byte key id, modulus, exponent (hex).
    let mut cas =
        String::from("# kazasu virtual card: test CVC CA keys (key id, modulus, exponent; hex)\n");
    for ca in issued.cvc.cas() {
        cas.push_str(&format!(
            "{} {} {}\n",
            hex::encode_upper(ca.key_id.0),
            hex::encode_upper(ca.modulus()),
            hex::encode_upper(ca.exponent())
        ));
    }
    std::fs::write(dir.join("cvc-cas.txt"), cas)
        .map_err(|e| Failure::usage(format!("cannot write {}/cvc-cas.txt: {e}", dir.display())))?;
    Ok(())
}

/// Writes the HPKI test PKI: root, CAs, the holder's two certificates, the CAs' CRLs and the root's
/// ARLs (fresh for a day from now).
fn export_hpki(issued: &IssuedHpkiCard, dir: &Path) -> Result<(), Failure> {
    std::fs::create_dir_all(dir)
        .map_err(|e| Failure::usage(format!("cannot create {}: {e}", dir.display())))?;
    let pki: &HpkiTestPki = &issued.pki;
    let fail = |what: &str, e: kazasu_virtual_card::pki::PkiError| {
        Failure::usage(format!("cannot build the HPKI {what}: {e}"))
    };
    let spec = CrlSpec::valid_at(time::OffsetDateTime::now_utc());
    write(dir, "hpki-root", "CERTIFICATE", &pki.root().der)?;
    for (ap, p) in [
        (HpkiAp::Signature, "sign"),
        (HpkiAp::Authentication, "auth"),
    ] {
        write(dir, &format!("hpki-{p}-ca"), "CERTIFICATE", &pki.ca(ap).der)?;
        let crl = pki.ca_crl(ap, &spec).map_err(|e| fail("CA CRL", e))?;
        write(dir, &format!("hpki-{p}-ca-crl"), "X509 CRL", &crl)?;
    }
    write(
        dir,
        "hpki-sign",
        "CERTIFICATE",
        &issued.credentials.sign_certificate,
    )?;
    write(
        dir,
        "hpki-auth",
        "CERTIFICATE",
        &issued.credentials.auth_certificate,
    )?;
    for (ap, p) in [
        (HpkiAp::Signature, "sign"),
        (HpkiAp::Authentication, "auth"),
    ] {
        let responder =
            services::hpki_ocsp_responder(pki, ap).map_err(|e| fail("OCSP responder", e))?;
        write(
            dir,
            &format!("hpki-{p}-ocsp-responder"),
            "CERTIFICATE",
            &responder.certificate,
        )?;
    }
    for (kind, name) in [(ArlKind::Sarl, "hpki-sarl"), (ArlKind::Rarl, "hpki-rarl")] {
        let arl = pki
            .arl(kind, &spec, IdpScope::OnlyCaCerts)
            .map_err(|e| fail("ARL", e))?;
        write(dir, name, "X509 CRL", &arl)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use kazasu_virtual_card::pki::{CvcCa, CvcHierarchy};

    #[test]
    fn export_writes_the_cvc_ca_keys_and_counterfeits_build() {
        let dir = tempfile::tempdir().unwrap();
        let args = CardArgs {
            seed: 0,
            token: Token::Mynumber,
            no_extended: false,
            counterfeit: Some(Fake::WrongSignature),
            hpki: false,
            hpki_name: None,
        };
        let issued = build(&args).unwrap();
        export(&issued, dir.path()).unwrap();
        let text = std::fs::read_to_string(dir.path().join("cvc-cas.txt")).unwrap();
        let lines: Vec<&str> = text.lines().filter(|l| !l.starts_with('#')).collect();
        assert_eq!(lines.len(), 4);
        let visual = CvcHierarchy::new().unwrap().ca(CvcCa::Visual);
        let want = format!(
            "{} {} 010001",
            hex::encode_upper(visual.key_id.0),
            hex::encode_upper(visual.modulus())
        );
        assert!(lines.contains(&want.as_str()));
    }

    #[test]
    fn export_hpki_writes_every_file() {
        let dir = tempfile::tempdir().unwrap();
        let args = CardArgs {
            seed: 0,
            token: Token::Mynumber,
            no_extended: false,
            counterfeit: None,
            hpki: true,
            hpki_name: None,
        };
        let issued = build_hpki(&args).unwrap();
        export_hpki(&issued, dir.path()).unwrap();
        for name in [
            "hpki-root",
            "hpki-sign-ca",
            "hpki-auth-ca",
            "hpki-sign",
            "hpki-auth",
            "hpki-sign-ca-crl",
            "hpki-auth-ca-crl",
            "hpki-sarl",
            "hpki-rarl",
            "hpki-sign-ocsp-responder",
            "hpki-auth-ocsp-responder",
        ] {
            let der = std::fs::read(dir.path().join(format!("{name}.der"))).unwrap();
            assert_eq!(der[0], 0x30, "{name}");
            assert!(dir.path().join(format!("{name}.pem")).exists(), "{name}");
        }
        assert_eq!(
            std::fs::read(dir.path().join("hpki-sign.der")).unwrap(),
            issued.credentials.sign_certificate
        );
    }
}
