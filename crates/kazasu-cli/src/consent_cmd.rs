//! `kazasu consent grant|withdraw|check|export|audit`: a test network's consent ledger (SQLite file)
//! with consents signed by the My Number Card's signature key (CAdES B-T, CRLs embedded).
//!
//! The test network trusts the virtual card's test PKI and test TSA, and signs checkpoints with a
//! committed test key: for trying the flow, never for real patients.
//! Exit codes: 0 done / permitted / intact; 1 refused / denied / broken; 2 usage or I/O.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use clap::{Args, Subcommand, ValueEnum};
use kazasu_apdu::Transport;
use kazasu_card::{DigestInfo, HashAlgorithm, Jpki, LastTry, SignPassword};
use kazasu_consent::evidence::sign_document;
use kazasu_consent::{
    Action, Actor, ConsentDocument, ConsentKind, ConsentLedger, ConsentRecord, DataClass, Decision,
    EvidenceVerifier, Grantee, JpkiIdentity, NetworkKey, Patient, Pattern, Performer, Period,
    Policy, Purpose, SqliteLedgerStore, fhir,
};
use kazasu_pki::Certificate;
use kazasu_sign::tsp::LocalTsa;
use kazasu_sign::{DocumentSigner, SoftwareSigner};
use kazasu_virtual_card::pki::TestPki;
use kazasu_virtual_card::pki::services::TestTsa;
use serde_json::json;
use time::{Date, Duration, OffsetDateTime};

use crate::Failure;
use crate::card::{SecretArgs, Source, card_failure};

/// The test network's id.
pub(crate) const TEST_NETWORK: &str = "kazasu-test-network";
/// Its member facilities (the sandbox clinic first).
pub(crate) const TEST_MEMBERS: [&str; 2] = ["1310000019", "1311111111"];
/// The committed fixture key the test network signs checkpoints with.
const NETWORK_KEY: usize = 23;

/// `kazasu consent …`.
#[derive(Subcommand, Debug)]
pub(crate) enum ConsentCommand {
    /// Sign a consent with the card's signature key and record it (exit 1 when refused).
    Grant(GrantArgs),
    /// Sign the withdrawal of a consent and record it.
    Withdraw(WithdrawArgs),
    /// Decide whether an actor may see a patient's data (exit 0 permit, 1 deny).
    Check(CheckArgs),
    /// A patient's consents as FHIR R4 `Consent` resources (JSON).
    Export(ExportArgs),
    /// Re-verify the chain, the checkpoints and every signature (exit 1 at the first break).
    Audit(AuditArgs),
}

#[derive(Args, Debug)]
pub(crate) struct LedgerArgs {
    /// The ledger (SQLite file, created when missing).
    #[arg(long, value_name = "FILE")]
    ledger: PathBuf,
    /// The clock: RFC 3339, or a date (00:00 JST). Default: now.
    #[arg(long)]
    at: Option<String>,
}

impl LedgerArgs {
    fn at(&self) -> Result<OffsetDateTime, Failure> {
        match &self.at {
            None => Ok(OffsetDateTime::now_utc()),
            Some(t) => crate::cert::parse_at(t).map_err(|e| Failure::usage(format!("--at: {e}"))),
        }
    }
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum PatternArg {
    AllMembers,
    Listed,
    PerFacility,
    PerClinician,
}

#[derive(Args, Debug)]
pub(crate) struct GrantArgs {
    #[command(flatten)]
    ledger: LedgerArgs,
    #[command(flatten)]
    source: Source,
    #[command(flatten)]
    secret: SecretArgs,
    /// The network's patient id.
    #[arg(long)]
    patient: String,
    /// The consent's id.
    #[arg(long)]
    id: String,
    /// The pattern.
    #[arg(long, value_enum, default_value_t = PatternArg::Listed)]
    pattern: PatternArg,
    /// A facility that may see (repeatable).
    #[arg(long)]
    facility: Vec<String>,
    /// A clinician (HPKI identity) who may see (repeatable).
    #[arg(long)]
    clinician: Vec<String>,
    /// Another network that may ask (repeatable).
    #[arg(long)]
    network: Vec<String>,
    /// Data classes (medication, diagnoses-care, surgery, check-ups, labs, images, or a network code).
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "medication,diagnoses-care,labs"
    )]
    class: Vec<String>,
    /// Purposes (HL7 ActReason: TREAT, ETREAT, HPAYMT, HRESCH).
    #[arg(long, value_delimiter = ',', default_value = "TREAT")]
    purpose: Vec<String>,
    /// How many days the consent lasts.
    #[arg(long, default_value_t = 365)]
    days: i64,
    /// The network's terms.
    #[arg(
        long,
        default_value = "https://example.invalid/kazasu-test-network/terms"
    )]
    policy_uri: String,
    /// Their version.
    #[arg(long, default_value = "1")]
    policy_version: String,
    /// The card holder consents as representative for a child born on this date (YYYY-MM-DD).
    #[arg(long, value_name = "DATE", requires_all = ["child_jpki", "relationship"])]
    for_child_born: Option<String>,
    /// The child's JPKI identity (issuerkeyid:serial).
    #[arg(long, value_name = "ID")]
    child_jpki: Option<String>,
    /// The representative's relationship (HL7 RoleCode, e.g. PRN parent, GUARD guardian).
    #[arg(long)]
    relationship: Option<String>,
}

#[derive(Args, Debug)]
pub(crate) struct WithdrawArgs {
    #[command(flatten)]
    ledger: LedgerArgs,
    #[command(flatten)]
    source: Source,
    #[command(flatten)]
    secret: SecretArgs,
    /// The network's patient id.
    #[arg(long)]
    patient: String,
    /// The consent's id.
    #[arg(long)]
    id: String,
}

#[derive(Args, Debug)]
pub(crate) struct CheckArgs {
    #[command(flatten)]
    ledger: LedgerArgs,
    /// The network's patient id.
    #[arg(long)]
    patient: String,
    /// The asking facility (or the clinician's).
    #[arg(long, required_unless_present = "network")]
    facility: Option<String>,
    /// The asking clinician (HPKI identity), working at --facility.
    #[arg(long, requires = "facility")]
    clinician: Option<String>,
    /// The asking network.
    #[arg(long, conflicts_with_all = ["facility", "clinician"])]
    network: Option<String>,
    /// The data class.
    #[arg(long, default_value = "medication")]
    class: String,
    /// The purpose.
    #[arg(long, default_value = "TREAT")]
    purpose: String,
}

#[derive(Args, Debug)]
pub(crate) struct ExportArgs {
    #[command(flatten)]
    ledger: LedgerArgs,
    /// The network's patient id.
    #[arg(long)]
    patient: String,
    /// Write one `<consent>.json` per consent here instead of printing a JSON array.
    #[arg(long, value_name = "DIR")]
    out_dir: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub(crate) struct AuditArgs {
    #[command(flatten)]
    ledger: LedgerArgs,
    /// Check the chain and checkpoints only, not the signatures.
    #[arg(long)]
    chain_only: bool,
}

fn fail(e: impl std::fmt::Display) -> Failure {
    Failure::usage(e.to_string())
}

fn refused(e: kazasu_consent::ConsentError) -> Failure {
    match e {
        kazasu_consent::ConsentError::Store(_) => Failure::usage(e.to_string()),
        other => Failure::refused(other.to_string()),
    }
}

/// The test network: its ledger, the CRLs of `at` and a TSA on the clock `at`.
pub(crate) struct TestNetwork {
    pub(crate) ledger: ConsentLedger<SqliteLedgerStore>,
    crls: Vec<Vec<u8>>,
    tsa: LocalTsa,
    // The test TSA answers at the time of each act (the CLI and the demo run on a demo clock).
    clock: Arc<Mutex<OffsetDateTime>>,
}

impl TestNetwork {
    pub(crate) fn open(path: &Path, at: OffsetDateTime) -> Result<Self, Failure> {
        let pki = TestPki::new(0).map_err(fail)?;
        let material = pki.verification_material(at).map_err(fail)?;
        let tsa = TestTsa::new().map_err(fail)?;
        let verifier = EvidenceVerifier::new(&material.roots, std::slice::from_ref(&tsa.root))
            .map_err(fail)?;
        let key =
            NetworkKey::new(kazasu_virtual_card::pki::fixture_key(NETWORK_KEY).map_err(fail)?)
                .map_err(fail)?;
        let ledger = ConsentLedger::new(
            TEST_NETWORK,
            TEST_MEMBERS.iter().map(|s| (*s).to_owned()),
            SqliteLedgerStore::open(path).map_err(fail)?,
            verifier,
            key,
        )
        .map_err(fail)?;
        let signer = SoftwareSigner::new(tsa.signer.certificate, tsa.signer.key).map_err(fail)?;
        let clock = Arc::new(Mutex::new(at));
        let tsa_clock = clock.clone();
        Ok(Self {
            ledger,
            crls: material.crls,
            tsa: LocalTsa::new(signer)
                .with_clock(move || tsa_clock.lock().map(|t| *t).unwrap_or(at)),
            clock,
        })
    }

    /// Signs `doc` with the card's signature key (CAdES B-T, the CRLs embedded) and records it.
    pub(crate) fn sign_and_record(
        &self,
        doc: &ConsentDocument,
        signer: &mut JpkiSigner,
        at: OffsetDateTime,
    ) -> Result<u64, Failure> {
        if let Ok(mut t) = self.clock.lock() {
            *t = doc.at;
        }
        let (bytes, evidence) =
            sign_document(doc, signer, &self.tsa, &self.crls).map_err(refused)?;
        let seq = self.ledger.record(&bytes, evidence, at).map_err(refused)?;
        // The network checkpoints its head after every act (a real network would at intervals).
        self.ledger.checkpoint(at).map_err(refused)?;
        Ok(seq)
    }

    /// The FHIR resources of `patient`'s consents.
    pub(crate) fn export(
        &self,
        patient: &str,
        at: OffsetDateTime,
    ) -> Result<Vec<(String, serde_json::Value)>, Failure> {
        Ok(self
            .ledger
            .states(patient, at)
            .map_err(refused)?
            .into_iter()
            .map(|(id, s)| (id, fhir::export(&s)))
            .collect())
    }
}

/// The My Number Card's signature key as a `DocumentSigner`.
pub(crate) struct JpkiSigner {
    card: Jpki<Box<dyn Transport>>,
    password: SignPassword,
    last_try: LastTry,
    certificate: Vec<u8>,
}

impl JpkiSigner {
    pub(crate) fn open(
        transport: Box<dyn Transport>,
        password: SignPassword,
        last_try: LastTry,
    ) -> Result<Self, Failure> {
        let mut card = Jpki::open(transport).map_err(card_failure)?;
        let certificate = card
            .read_sign_certificate(&password, last_try)
            .map_err(card_failure)?
            .as_ref()
            .to_vec();
        Ok(Self {
            card,
            password,
            last_try,
            certificate,
        })
    }

    pub(crate) fn certificate(&self) -> Result<Certificate, Failure> {
        Certificate::from_der(&self.certificate).map_err(fail)
    }
}

impl DocumentSigner for JpkiSigner {
    fn certificate(&self) -> &[u8] {
        &self.certificate
    }

    fn sign_digest(
        &mut self,
        hash: HashAlgorithm,
        digest: &[u8],
    ) -> Result<Vec<u8>, Box<dyn std::error::Error + Send + Sync>> {
        let digest_info = DigestInfo::from_digest(hash, digest)?;
        let signature =
            self.card
                .sign_with_sign_key(&self.password, &digest_info, self.last_try)?;
        Ok(signature.as_bytes().to_vec())
    }
}

fn open_signer(source: &Source, secret: &SecretArgs) -> Result<JpkiSigner, Failure> {
    let transport: Box<dyn Transport> = match &source.reader {
        Some(name) => crate::source::reader(name)?,
        None => {
            eprintln!(
                "kazasu: no --reader given: using the built-in virtual card (seed 0, 山田 花子)"
            );
            let issued = kazasu_virtual_card::VirtualCardBuilder::new(0)
                .build()
                .map_err(fail)?;
            Box::new(kazasu_virtual_card::VirtualTransport::new(issued.card))
        }
    };
    let password = secret.read("Signature password (6-16 characters): ")?;
    let password = SignPassword::new(&password).map_err(fail)?;
    JpkiSigner::open(transport, password, secret.last_try())
}

fn birth_date_of(cert: &Certificate) -> Result<Date, Failure> {
    cert.personal_data()
        .map_err(fail)?
        .map(|p| p.birth_date.date)
        .ok_or_else(|| Failure::usage("the signature certificate carries no birth date"))
}

fn date_arg(text: &str) -> Result<Date, Failure> {
    Date::parse(
        text,
        &time::macros::format_description!("[year]-[month]-[day]"),
    )
    .map_err(|e| Failure::usage(format!("{text}: {e}")))
}

fn grant(args: GrantArgs) -> Result<(), Failure> {
    let at = args.ledger.at()?;
    let network = TestNetwork::open(&args.ledger.ledger, at)?;
    let mut signer = open_signer(&args.source, &args.secret)?;
    let cert = signer.certificate()?;
    let holder = JpkiIdentity::of(&cert).map_err(fail)?;
    let (patient, performer) = match (&args.for_child_born, &args.child_jpki, &args.relationship) {
        (Some(born), Some(child), Some(relationship)) => (
            Patient {
                network_id: args.patient.clone(),
                jpki: JpkiIdentity::new(child).map_err(fail)?,
                birth_date: date_arg(born)?,
            },
            Performer::Representative {
                name: cert
                    .personal_data()
                    .map_err(fail)?
                    .map(|p| p.name)
                    .unwrap_or_default(),
                relationship: relationship.clone(),
                jpki: holder,
            },
        ),
        _ => (
            Patient {
                network_id: args.patient.clone(),
                jpki: holder,
                birth_date: birth_date_of(&cert)?,
            },
            Performer::Patient,
        ),
    };
    let mut grantees: Vec<Grantee> = Vec::new();
    grantees.extend(args.facility.iter().cloned().map(Grantee::Facility));
    grantees.extend(args.clinician.iter().cloned().map(Grantee::Clinician));
    grantees.extend(args.network.iter().cloned().map(Grantee::Network));
    let record = ConsentRecord {
        id: args.id.clone(),
        network: TEST_NETWORK.into(),
        kind: ConsentKind::Network,
        patient,
        pattern: match args.pattern {
            PatternArg::AllMembers => Pattern::AllMembers,
            PatternArg::Listed => Pattern::Listed,
            PatternArg::PerFacility => Pattern::PerFacility,
            PatternArg::PerClinician => Pattern::PerClinician,
        },
        grantees,
        classes: args
            .class
            .iter()
            .map(|c| DataClass::from_code(c))
            .collect::<Result<_, _>>()
            .map_err(fail)?,
        purposes: args
            .purpose
            .iter()
            .map(|p| Purpose::from_code(p))
            .collect::<Result<_, _>>()
            .map_err(fail)?,
        period: Period {
            start: at,
            end: Some(at + Duration::days(args.days)),
        },
        performer: performer.clone(),
        policy: Policy {
            uri: args.policy_uri.clone(),
            version: args.policy_version.clone(),
        },
    };
    let doc = ConsentDocument {
        action: Action::Grant,
        at,
        performer,
        record,
    };
    let seq = network.sign_and_record(&doc, &mut signer, at)?;
    println!(
        "{}",
        json!({"recorded": seq, "consent": args.id, "action": "grant", "evidence": "CAdES B-T (JPKI signature key)"})
    );
    Ok(())
}

fn withdraw(args: WithdrawArgs) -> Result<(), Failure> {
    let at = args.ledger.at()?;
    let network = TestNetwork::open(&args.ledger.ledger, at)?;
    let state = network
        .ledger
        .states(&args.patient, at)
        .map_err(refused)?
        .remove(&args.id)
        .ok_or_else(|| Failure::refused(format!("no consent {} for {}", args.id, args.patient)))?;
    let performer = if state.record.patient.is_minor(at) {
        state.record.performer.clone()
    } else {
        Performer::Patient
    };
    let doc = ConsentDocument {
        action: Action::Withdraw,
        at,
        performer,
        record: state.record,
    };
    let mut signer = open_signer(&args.source, &args.secret)?;
    let seq = network.sign_and_record(&doc, &mut signer, at)?;
    println!(
        "{}",
        json!({"recorded": seq, "consent": args.id, "action": "withdraw"})
    );
    Ok(())
}

fn check(args: CheckArgs) -> Result<(), Failure> {
    let at = args.ledger.at()?;
    let network = TestNetwork::open(&args.ledger.ledger, at)?;
    let actor = match (&args.network, &args.facility, &args.clinician) {
        (Some(n), _, _) => Actor::Network { network: n.clone() },
        (None, Some(f), Some(h)) => Actor::Clinician {
            hpki: h.clone(),
            facility: f.clone(),
        },
        (None, Some(f), None) => Actor::Facility {
            facility: f.clone(),
        },
        (None, None, _) => return Err(Failure::usage("--facility or --network is needed")),
    };
    let class = DataClass::from_code(&args.class).map_err(fail)?;
    let purpose = Purpose::from_code(&args.purpose).map_err(fail)?;
    let decision = network
        .ledger
        .check(&args.patient, &actor, &class, &purpose, at)
        .map_err(refused)?;
    println!("{}", serde_json::to_string(&decision).map_err(fail)?);
    match decision {
        Decision::Permit { .. } => Ok(()),
        Decision::Deny { reason } => Err(Failure::refused(format!("denied: {reason}"))),
    }
}

fn export(args: ExportArgs) -> Result<(), Failure> {
    let at = args.ledger.at()?;
    let network = TestNetwork::open(&args.ledger.ledger, at)?;
    let resources = network.export(&args.patient, at)?;
    match &args.out_dir {
        None => {
            let all: Vec<_> = resources.into_iter().map(|(_, r)| r).collect();
            println!("{}", serde_json::to_string_pretty(&all).map_err(fail)?);
        }
        Some(dir) => {
            std::fs::create_dir_all(dir).map_err(fail)?;
            for (i, (_, r)) in resources.iter().enumerate() {
                // Consent ids are free text: name the files by position.
                let path = dir.join(format!("consent-{i}.json"));
                std::fs::write(&path, serde_json::to_vec_pretty(r).map_err(fail)?).map_err(fail)?;
                println!("{}", path.display());
            }
        }
    }
    Ok(())
}

fn audit(args: AuditArgs) -> Result<(), Failure> {
    let at = args.ledger.at()?;
    let network = TestNetwork::open(&args.ledger.ledger, at)?;
    let key = network.ledger.public_key_der().map_err(refused)?;
    let report = network
        .ledger
        .audit(&key, !args.chain_only)
        .map_err(refused)?;
    println!("{}", serde_json::to_string(&report).map_err(fail)?);
    match report.first_break {
        None => Ok(()),
        Some(b) => Err(Failure::refused(format!(
            "the ledger is broken at entry {}: {}",
            b.seq, b.problem
        ))),
    }
}

pub(crate) fn run(cmd: ConsentCommand) -> Result<(), Failure> {
    match cmd {
        ConsentCommand::Grant(a) => grant(a),
        ConsentCommand::Withdraw(a) => withdraw(a),
        ConsentCommand::Check(a) => check(a),
        ConsentCommand::Export(a) => export(a),
        ConsentCommand::Audit(a) => audit(a),
    }
}
