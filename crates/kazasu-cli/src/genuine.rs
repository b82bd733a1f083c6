//! `kazasu card genuine`: prove the chip genuine without a PIN, and say what that proves and what not.
//!
//! Secrets: the least-disclosure key is the holder's birth date in the Japanese era (`YYMMDD`). It is
//! printed on the card face, so `--birth-date` may carry it as an argument, but an argument shows in
//! process lists and shell history: without `--birth-date` it is asked on the terminal (or read from
//! standard input with `--birth-date-stdin`). 照合番号B is read from standard input only.

use std::io::BufRead;
use std::path::PathBuf;

use clap::{Args, ValueEnum};
use kazasu_card::cvc::{
    CaKey, CardKey, Challenge, CvcError, CvcTrust, GenuinenessReport, Hierarchy, KeyId, KeySource,
};
use kazasu_card::{BirthDateKey, CardError, CardFace, CardInfo, GenuineUnlock, VerificationCodeB};
use kazasu_virtual_card::pki::CvcHierarchy;
use kazasu_virtual_card::{Counterfeit, VirtualCardBuilder, VirtualTransport};
use serde_json::json;
use zeroize::Zeroizing;

use crate::Failure;
use crate::card::{SecretArgs, Source, card_failure};

/// Arguments of `kazasu card genuine`.
#[derive(Args, Debug, Clone)]
pub(crate) struct GenuineArgs {
    #[command(flatten)]
    source: Source,
    /// The birth-date key (和暦 YYMMDD, as printed on the card). Visible in process lists: prefer the
    /// terminal prompt (no option) or --birth-date-stdin.
    #[arg(long, value_name = "YYMMDD", conflicts_with_all = ["birth_date_stdin", "verification_b_stdin", "card_info_ap"])]
    birth_date: Option<String>,
    /// Read the birth-date key from one line of standard input.
    #[arg(long, conflicts_with_all = ["verification_b_stdin", "card_info_ap"])]
    birth_date_stdin: bool,
    /// Open the card face with 照合番号B (14 digits) read from standard input, instead of the
    /// birth-date key (discloses more: photo, name and address images are read).
    #[arg(long, conflicts_with = "card_info_ap")]
    verification_b_stdin: bool,
    /// Prove it through the 券面事項入力補助AP instead: no secret at all (its card key record is free).
    #[arg(long)]
    card_info_ap: bool,
    /// Accept certificates from the JPKI test hierarchy (test cards). The built-in virtual card is a
    /// test card: for it alone this is implied.
    #[arg(long)]
    allow_test_hierarchy: bool,
    /// CVC CA public keys: a text file of lines `KEY-ID MODULUS-HEX [EXPONENT-HEX]` (key id as
    /// `6000023-001`, `6000020-001-A8`, or its 16 bytes in hex as in the cvc-cas.txt that
    /// `kazasu virtual-card export` writes; `#` starts a comment). Repeatable.
    #[arg(long, value_name = "FILE")]
    cvc_ca: Vec<PathBuf>,
    /// Built-in virtual card only: make it a counterfeit of this kind (to see each one refused).
    #[arg(long, value_enum, value_name = "KIND")]
    counterfeit: Option<CounterfeitKind>,
    /// Spend the last try of the key if only one is left.
    #[arg(long)]
    allow_last_try: bool,
    /// Print one JSON object.
    #[arg(long)]
    json: bool,
}

/// The counterfeits the built-in virtual card can play.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub(crate) enum CounterfeitKind {
    /// Genuine files copied onto another chip (fails the challenge).
    Copied,
    /// Self-made: certificates by a CA nobody configured (not checked).
    SelfMade,
    /// Self-made under the genuine CA ids (bad certificate signature).
    WrongSignature,
    /// Self-made under production ids (not checked).
    ProductionIds,
}

/// The CA keys of the built-in virtual card's test hierarchy.
pub(crate) fn builtin_trust() -> Result<CvcTrust, Failure> {
    let hierarchy = CvcHierarchy::new()
        .map_err(|e| Failure::usage(format!("cannot load the test CA keys: {e}")))?;
    let mut trust = CvcTrust::new().allow_test_hierarchy(true);
    for ca in hierarchy.cas() {
        let id = KeyId::new(ca.key_id.0).map_err(|e| Failure::usage(e.to_string()))?;
        let key = CardKey::from_components(&ca.exponent(), &ca.modulus())
            .map_err(|e| Failure::usage(e.to_string()))?;
        trust.add(CaKey { id, key });
    }
    Ok(trust)
}

/// Parses a `--cvc-ca` file.
fn load_cas(path: &PathBuf, trust: &mut CvcTrust) -> Result<(), Failure> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Failure::usage(format!("cannot read {}: {e}", path.display())))?;
    let bad = |n: usize, why: &str| Failure::usage(format!("{}:{n}: {why}", path.display()));
    let mut added = 0;
    for (n, line) in (1..).zip(text.lines()) {
        let line = line.split('#').next().unwrap_or_default().trim();
        if line.is_empty() {
            continue;
        }
        let mut parts = line.split_whitespace();
        let (Some(id), Some(modulus)) = (parts.next(), parts.next()) else {
            return Err(bad(n, "expected KEY-ID MODULUS-HEX [EXPONENT-HEX]"));
        };
        let exponent = parts.next().unwrap_or("010001");
        // The key id as text (`6000023-001`) or as its 16 bytes in hex (what `kazasu virtual-card
        // export` writes to cvc-cas.txt).
        let id: KeyId = match hex::decode(id) {
            Ok(bytes) if bytes.len() == 16 => KeyId::from_slice(&bytes),
            _ => id.parse(),
        }
        .map_err(|e: CvcError| bad(n, &e.to_string()))?;
        let modulus = hex::decode(modulus).map_err(|_| bad(n, "the modulus is not hex"))?;
        let exponent = hex::decode(exponent).map_err(|_| bad(n, "the exponent is not hex"))?;
        let key =
            CardKey::from_components(&exponent, &modulus).map_err(|e| bad(n, &e.to_string()))?;
        trust.add(CaKey { id, key });
        added += 1;
    }
    if added == 0 {
        return Err(Failure::usage(format!(
            "{}: no CA key in it",
            path.display()
        )));
    }
    Ok(())
}

fn read_line(what: &str) -> Result<Zeroizing<String>, Failure> {
    let mut line = Zeroizing::new(String::new());
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| Failure::usage(format!("cannot read the {what} from standard input: {e}")))?;
    Ok(Zeroizing::new(
        line.trim_end_matches(['\r', '\n']).to_owned(),
    ))
}

enum Secret {
    BirthDate(BirthDateKey),
    CodeB(VerificationCodeB),
    None,
}

fn secret(args: &GenuineArgs) -> Result<Secret, Failure> {
    let usage = |e: CardError| Failure::usage(e.to_string());
    if args.card_info_ap {
        return Ok(Secret::None);
    }
    if args.verification_b_stdin {
        let code = read_line("verification code B")?;
        return VerificationCodeB::new(&code)
            .map(Secret::CodeB)
            .map_err(usage);
    }
    let text = match (&args.birth_date, args.birth_date_stdin) {
        (Some(d), _) => Zeroizing::new(d.clone()),
        (None, true) => read_line("birth-date key")?,
        (None, false) => SecretArgs::prompt("Birth date as printed on the card, era YYMMDD: ")?,
    };
    BirthDateKey::new(&text)
        .map(Secret::BirthDate)
        .map_err(usage)
}

pub(crate) fn run(args: &GenuineArgs) -> Result<(), Failure> {
    let builtin = args.source.reader.is_none();
    if args.counterfeit.is_some() && !builtin {
        return Err(Failure::usage(
            "--counterfeit applies to the built-in virtual card only",
        ));
    }
    let mut trust = if builtin {
        eprintln!(
            "kazasu: no --reader given: using the built-in virtual card (seed 0); its test CA keys are \
             trusted and the test hierarchy allowed, for this card only"
        );
        builtin_trust()?
    } else {
        CvcTrust::new().allow_test_hierarchy(args.allow_test_hierarchy)
    };
    for path in &args.cvc_ca {
        load_cas(path, &mut trust)?;
    }
    let secret = secret(args)?;
    let transport: Box<dyn kazasu_apdu::Transport> = if builtin {
        let mut builder = VirtualCardBuilder::new(0);
        if let Some(kind) = args.counterfeit {
            builder = builder.counterfeit(match kind {
                CounterfeitKind::Copied => Counterfeit::CopiedToOtherChip,
                CounterfeitKind::SelfMade => Counterfeit::SelfMadeUnknownIssuer,
                CounterfeitKind::WrongSignature => Counterfeit::SelfMadeWrongSignature,
                CounterfeitKind::ProductionIds => Counterfeit::SelfMadeProductionIds,
            });
        }
        let issued = builder
            .build()
            .map_err(|e| Failure::usage(format!("cannot build the virtual card: {e}")))?;
        Box::new(VirtualTransport::new(issued.card))
    } else {
        crate::card::open(&args.source)?
    };
    let challenge =
        Challenge::random().map_err(|e| Failure::usage(format!("no challenge: {e}")))?;
    let last_try = if args.allow_last_try {
        kazasu_card::LastTry::Allow
    } else {
        kazasu_card::LastTry::Refuse
    };
    let outcome = match &secret {
        Secret::None => {
            CardInfo::open(transport).and_then(|mut ap| ap.prove_genuine(&trust, challenge))
        }
        Secret::BirthDate(k) => CardFace::open(transport).and_then(|mut ap| {
            ap.prove_genuine(&trust, GenuineUnlock::BirthDate(k), challenge, last_try)
        }),
        Secret::CodeB(c) => CardFace::open(transport).and_then(|mut ap| {
            ap.prove_genuine(&trust, GenuineUnlock::CodeB(c), challenge, last_try)
        }),
    };
    match outcome {
        Ok(report) => {
            print_proven(&report, args.json);
            Ok(())
        }
        Err(CardError::Verification(e)) => {
            print_refused(&e, args.json);
            Err(Failure::refused(format!("not proven genuine: {e}")))
        }
        Err(e) => Err(card_failure(e)),
    }
}

fn key_source(s: KeySource) -> &'static str {
    match s {
        KeySource::AgeRecord => "age record (確認AP 0001)",
        KeySource::CardFace => "card face (確認AP 0002)",
        KeySource::MyNumberImage => "My Number image (確認AP 0005)",
        KeySource::CardKeyRecord => "card key record (補助AP 0007)",
    }
}

fn print_proven(report: &GenuinenessReport, as_json: bool) {
    if as_json {
        let v = json!({
            "genuine": true,
            "application": report.application.name(),
            "ca": report.ca.to_string(),
            "hierarchy": report.hierarchy.to_string(),
            "test_card": report.hierarchy == Hierarchy::Test,
            "issuer_key": report.issuer_key_id.to_string(),
            "card_key_from": key_source(report.key_source),
            "card_key_sha256": report.card_key_fingerprint(),
            "proven": report.proven(),
            "not_proven": report.not_proven(),
        });
        println!("{v}");
    } else {
        println!(
            "GENUINE CHIP ({} hierarchy, CA {})",
            report.hierarchy, report.ca
        );
        print!("{report}");
    }
}

fn outcome_name(e: &CvcError) -> &'static str {
    match e {
        CvcError::UnknownIssuer { .. } => "not_checked",
        CvcError::BadSignature { .. } => "bad_certificate_signature",
        CvcError::TestHierarchyRefused { .. } => "test_hierarchy_refused",
        CvcError::WrongIssuer { .. } => "wrong_issuer",
        CvcError::HashMismatch(_) | CvcError::BadRecordSignature(_) => "bad_record",
        CvcError::BadChallengeAnswer => "bad_challenge_answer",
        _ => "malformed",
    }
}

fn print_refused(e: &CvcError, as_json: bool) {
    if as_json {
        let v = json!({
            "genuine": false,
            "outcome": outcome_name(e),
            "reason": e.to_string(),
        });
        println!("{v}");
    } else {
        println!("NOT PROVEN GENUINE ({})", outcome_name(e));
        println!("  {e}");
    }
}
