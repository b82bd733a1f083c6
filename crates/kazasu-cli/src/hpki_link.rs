//! `kazasu hpki apply|issue|sign-in|check-linkage`: the HPKI ↔ JPKI linkage on the sandbox
//! (test PKIs, registry and HPKI CA), with linkages kept in a SQLite file (`--db`).
//!
//! The My Number Card is the built-in virtual card (seed 0, 山田 花子, a medical doctor in the
//! sandbox registry) unless `--reader` names one; the HPKI card is the one the sandbox CA issues
//! for the linkage unless `--hpki-reader` names one.

use std::path::PathBuf;
use std::sync::Arc;

use clap::{Args, ValueEnum};
use kazasu_apdu::Transport;
use kazasu_card::{
    AuthPin, CardKind, DigestInfo, HashAlgorithm, Hpki, HpkiAp, HpkiPin, Jpki, LastTry, Session,
    SignPassword,
};
use kazasu_health::model::InsuranceSex;
use kazasu_health::qualification::sandbox::{
    HpkiSandbox, JpkiEvent, desk, jpki_crls_for, professionals, registry,
};
use kazasu_health::qualification::{
    Application, Linkage, LinkageId, LinkageKey, LinkageStore, Profession, QualificationDesk,
};
use kazasu_health::sandbox::Sandbox;
use kazasu_health::{HealthError, IdentityCheck, Presentation, SqliteStore};
use kazasu_pki::{AuthAssertion, Certificate, Crl};
use kazasu_sign::DocumentSigner;
use kazasu_sign::cms::{SignOptions, sign};
use kazasu_virtual_card::pki::IssueSpec;
use serde_json::json;
use time::OffsetDateTime;

use crate::Failure;
use crate::card::{SecretArgs, card_failure};

/// Where linkages are kept and when.
#[derive(Args, Debug, Clone)]
pub(crate) struct DeskArgs {
    /// The SQLite file of the registration desk's linkages (created if missing).
    #[arg(
        long,
        value_name = "FILE",
        default_value = "kazasu-hpki-linkage.sqlite"
    )]
    db: PathBuf,
    /// The time: RFC 3339, or YYYY-MM-DD (10:00 JST). Default: now.
    #[arg(long, value_name = "TIME|DATE")]
    at: Option<String>,
}

/// `kazasu hpki apply`.
#[derive(Args, Debug)]
pub(crate) struct ApplyArgs {
    #[command(flatten)]
    desk: DeskArgs,
    /// The PC/SC reader with the My Number Card (default: the built-in virtual card, seed 0).
    #[arg(long, value_name = "NAME")]
    reader: Option<String>,
    #[command(flatten)]
    secret: SecretArgs,
    /// Name as on the My Number Card.
    #[arg(long)]
    name: String,
    /// Name in katakana.
    #[arg(long, default_value = "ヤマダ ハナコ")]
    kana: String,
    /// Date of birth, YYYY-MM-DD.
    #[arg(long, value_name = "DATE")]
    birth_date: String,
    /// Sex.
    #[arg(long, value_enum)]
    sex: SexArg,
    /// The qualification.
    #[arg(long, value_enum)]
    profession: ProfessionArg,
    /// Its registration number (籍登録番号).
    #[arg(long, value_name = "DIGITS")]
    registration_number: String,
    /// The facility.
    #[arg(long, default_value = "kazasu 中央病院")]
    facility: String,
    /// Also write the signed application (CMS, DER) here.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub(crate) enum SexArg {
    Male,
    Female,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub(crate) enum ProfessionArg {
    MedicalDoctor,
    Dentist,
    Pharmacist,
}

/// `kazasu hpki issue`.
#[derive(Args, Debug)]
pub(crate) struct IssueArgs {
    #[command(flatten)]
    desk: DeskArgs,
    /// The linkage (as `apply` printed it).
    #[arg(long, value_name = "ID")]
    linkage: String,
    /// Link the HPKI card in this reader (issued by the sandbox CA for this person) instead of
    /// having the sandbox CA issue a virtual one.
    #[arg(long, value_name = "NAME")]
    hpki_reader: Option<String>,
}

/// `kazasu hpki sign-in`.
#[derive(Args, Debug)]
pub(crate) struct SignInArgs {
    #[command(flatten)]
    desk: DeskArgs,
    /// The PC/SC reader with the My Number Card (default: the built-in virtual card, seed 0).
    #[arg(long, value_name = "NAME")]
    reader: Option<String>,
    /// The PC/SC reader with the HPKI card (default: the virtual card the sandbox CA issues for
    /// --linkage).
    #[arg(long, value_name = "NAME")]
    hpki_reader: Option<String>,
    /// With the virtual HPKI card: whose linkage's card.
    #[arg(long, value_name = "ID", required_unless_present = "hpki_reader")]
    linkage: Option<String>,
    /// Read the two PINs from standard input, one line each: the My Number Card's authentication
    /// PIN, then the HPKI card's PIN.
    #[arg(long)]
    pin_stdin: bool,
}

/// `kazasu hpki check-linkage`.
#[derive(Args, Debug)]
pub(crate) struct CheckArgs {
    #[command(flatten)]
    desk: DeskArgs,
    /// A new JPKI CRL (repeatable: the signature CA's and the authentication CA's).
    #[arg(long, value_name = "FILE")]
    crl: Vec<PathBuf>,
    /// Sandbox only: J-LIS revokes the seed-0 card (death: both certificates; name-change: the
    /// signature certificate) one hour before --at, and the CRLs are applied.
    #[arg(long, value_enum)]
    sandbox_revoke: Option<RevokeArg>,
    /// Also ask the registry about every linked licence.
    #[arg(long)]
    registry: bool,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub(crate) enum RevokeArg {
    Death,
    NameChange,
}

/// The sandbox world: JPKI test PKI (card links of the sandbox professionals), HPKI test PKI,
/// registry, and a desk over a store.
pub(crate) struct LinkWorld<S: LinkageStore> {
    pub(crate) sandbox: Sandbox,
    pub(crate) hpki: HpkiSandbox,
    pub(crate) desk: QualificationDesk<S>,
}

impl<S: LinkageStore> LinkWorld<S> {
    pub(crate) fn new(sandbox: Sandbox, at: OffsetDateTime, store: S) -> Result<Self, Failure> {
        for p in professionals().map_err(health)? {
            sandbox
                .credentials(&p.persona, &IssueSpec::default())
                .map_err(health)?;
        }
        let hpki = HpkiSandbox::new(at).map_err(health)?;
        let registry = Arc::new(registry(at).map_err(health)?);
        let desk = desk(&sandbox, &hpki, registry, store);
        Ok(Self {
            sandbox,
            hpki,
            desk,
        })
    }
}

pub(crate) fn health(e: impl std::fmt::Display) -> Failure {
    Failure::usage(format!("sandbox: {e}"))
}

/// A refusal of the flow: exit 1 with its code.
pub(crate) fn refused(e: HealthError) -> Failure {
    Failure::refused(format!("refused ({}): {e}", e.result_code()))
}

fn open_world(args: &DeskArgs) -> Result<(LinkWorld<SqliteStore>, OffsetDateTime), Failure> {
    let at = match &args.at {
        Some(t) => crate::time_arg::parse(
            t,
            time::Time::from_hms(10, 0, 0).unwrap_or(time::Time::MIDNIGHT),
        )
        .map_err(|e| Failure::usage(format!("--at: {e}")))?,
        None => OffsetDateTime::now_utc(),
    };
    let store = SqliteStore::open(&args.db)
        .map_err(|e| Failure::usage(format!("{}: {e}", args.db.display())))?;
    let sandbox = Sandbox::new(0, at, &[]).map_err(health)?;
    Ok((LinkWorld::new(sandbox, at, store)?, at))
}

fn virtual_jpki() -> Result<Box<dyn Transport>, Failure> {
    crate::source::virtual_card()
}

fn transport(reader: &Option<String>) -> Result<Box<dyn Transport>, Failure> {
    match reader {
        Some(name) => crate::source::reader(name),
        None => virtual_jpki(),
    }
}

/// The My Number Card's signature key as a [`DocumentSigner`].
pub(crate) struct JpkiCardSigner {
    card: Jpki<Box<dyn Transport>>,
    password: SignPassword,
    last_try: LastTry,
    certificate: Vec<u8>,
    chain: Vec<Vec<u8>>,
}

impl JpkiCardSigner {
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
        let ca = card
            .read_sign_ca_certificate()
            .map_err(card_failure)?
            .as_ref()
            .to_vec();
        Ok(Self {
            card,
            password,
            last_try,
            certificate,
            chain: vec![ca],
        })
    }
}

impl DocumentSigner for JpkiCardSigner {
    fn certificate(&self) -> &[u8] {
        &self.certificate
    }

    fn chain(&self) -> &[Vec<u8>] {
        &self.chain
    }

    fn sign_digest(
        &mut self,
        hash: HashAlgorithm,
        digest: &[u8],
    ) -> Result<Vec<u8>, Box<dyn std::error::Error + Send + Sync>> {
        let info = DigestInfo::from_digest(hash, digest)?;
        let sig = self
            .card
            .sign_with_sign_key(&self.password, &info, self.last_try)?;
        Ok(sig.as_bytes().to_vec())
    }
}

/// An HPKI card's key (signature AP: letters; authentication AP: sign-in) as a [`DocumentSigner`].
pub(crate) struct HpkiCardSigner {
    card: Hpki<Box<dyn Transport>>,
    ap: HpkiAp,
    pin: HpkiPin,
    certificate: Vec<u8>,
    chain: Vec<Vec<u8>>,
}

impl HpkiCardSigner {
    pub(crate) fn open(
        transport: Box<dyn Transport>,
        ap: HpkiAp,
        pin: HpkiPin,
        chain: Vec<Vec<u8>>,
    ) -> Result<Self, Failure> {
        let mut session = Session::new(transport);
        let kind = CardKind::detect(&mut session).map_err(card_failure)?;
        if kind != CardKind::Hpki {
            return Err(Failure::refused(format!(
                "the card is {kind}, not an HPKI card"
            )));
        }
        let mut card = Hpki::from_session(session).map_err(card_failure)?;
        let certificate = match ap {
            HpkiAp::Signature => card.read_sign_certificate().map(|c| c.as_ref().to_vec()),
            _ => card.read_auth_certificate().map(|c| c.as_ref().to_vec()),
        }
        .map_err(card_failure)?;
        Ok(Self {
            card,
            ap,
            pin,
            certificate,
            chain,
        })
    }

    /// Both certificates of the card (signature, authentication).
    pub(crate) fn certificates(&mut self) -> Result<(Vec<u8>, Vec<u8>), Failure> {
        let s = self
            .card
            .read_sign_certificate()
            .map_err(card_failure)?
            .as_ref()
            .to_vec();
        let a = self
            .card
            .read_auth_certificate()
            .map_err(card_failure)?
            .as_ref()
            .to_vec();
        Ok((s, a))
    }
}

impl DocumentSigner for HpkiCardSigner {
    fn certificate(&self) -> &[u8] {
        &self.certificate
    }

    fn chain(&self) -> &[Vec<u8>] {
        &self.chain
    }

    fn sign_digest(
        &mut self,
        hash: HashAlgorithm,
        digest: &[u8],
    ) -> Result<Vec<u8>, Box<dyn std::error::Error + Send + Sync>> {
        let info = DigestInfo::from_digest(hash, digest)?;
        let sig = self.card.sign(self.ap, &self.pin, &info, LastTry::Refuse)?;
        Ok(sig.as_bytes().to_vec())
    }
}

/// Signs `application` as CMS (content attached) with the My Number Card's signature key.
pub(crate) fn sign_application(
    signer: &mut JpkiCardSigner,
    application: &Application,
    at: OffsetDateTime,
) -> Result<Vec<u8>, Failure> {
    let mut options = SignOptions::default();
    options.attached = true;
    options.signing_time = Some(at);
    sign(&application.to_signed_content(), signer, &options)
        .map_err(|e| Failure::refused(format!("signing failed: {e}")))
}

/// An assertion over `challenge` by a [`DocumentSigner`] (an HPKI card's key).
pub(crate) fn hpki_assertion(
    signer: &mut HpkiCardSigner,
    challenge: &[u8],
) -> Result<AuthAssertion, Failure> {
    let digest = HashAlgorithm::Sha256.digest(challenge);
    let sig = signer
        .sign_digest(HashAlgorithm::Sha256, &digest)
        .map_err(|e| Failure::refused(format!("HPKI card: {e}")))?;
    let cert =
        Certificate::from_der(signer.certificate()).map_err(|e| Failure::refused(e.to_string()))?;
    Ok(AuthAssertion::new(cert, challenge.to_vec(), sig))
}

/// A JPKI authentication assertion over `challenge` (authentication PIN).
pub(crate) fn jpki_assertion(
    transport: Box<dyn Transport>,
    challenge: &[u8],
    pin: &AuthPin,
) -> Result<AuthAssertion, Failure> {
    let (presented, _) = kazasu_health::present_card(
        transport,
        challenge,
        IdentityCheck::Pin {
            pin,
            last_try: LastTry::Refuse,
        },
    )
    .map_err(refused)?;
    match presented {
        Presentation::Assertion(a) => Ok(a),
        Presentation::StaffChecked { .. } => Err(Failure::usage("a PIN assertion is needed")),
    }
}

pub(crate) fn linkage_json(l: &Linkage) -> serde_json::Value {
    serde_json::to_value(l).unwrap_or(serde_json::Value::Null)
}

fn find(desk: &QualificationDesk<SqliteStore>, id: &str) -> Result<Linkage, Failure> {
    let id = LinkageId::parse(id).map_err(|e| Failure::usage(e.to_string()))?;
    desk.store()
        .find_linkage(LinkageKey::Id(&id))
        .map_err(|e| Failure::usage(e.to_string()))?
        .ok_or_else(|| Failure::refused(format!("no linkage {id}")))
}

pub(crate) fn apply(args: &ApplyArgs) -> Result<(), Failure> {
    let (world, at) = open_world(&args.desk)?;
    let birth = time::Date::parse(
        &args.birth_date,
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .map_err(|e| Failure::usage(format!("--birth-date: {e}")))?;
    let application = Application::new(
        args.name.clone(),
        args.kana.clone(),
        birth,
        match args.sex {
            SexArg::Male => InsuranceSex::Male,
            SexArg::Female => InsuranceSex::Female,
        },
        match args.profession {
            ProfessionArg::MedicalDoctor => Profession::MedicalDoctor,
            ProfessionArg::Dentist => Profession::Dentist,
            ProfessionArg::Pharmacist => Profession::Pharmacist,
        },
        args.registration_number.clone(),
        args.facility.clone(),
    )
    .map_err(|e| Failure::usage(e.to_string()))?;
    let password = args.secret.read("Signature password (6-16 characters): ")?;
    let password = SignPassword::new(&password).map_err(|e| Failure::usage(e.to_string()))?;
    let mut signer =
        JpkiCardSigner::open(transport(&args.reader)?, password, args.secret.last_try())?;
    let signed = sign_application(&mut signer, &application, at)?;
    if let Some(out) = &args.out {
        std::fs::write(out, &signed)
            .map_err(|e| Failure::usage(format!("{}: {e}", out.display())))?;
    }
    let linkage = world.desk.apply(&signed, at).map_err(refused)?;
    println!("{}", json!({"applied": linkage_json(&linkage)}));
    Ok(())
}

pub(crate) fn issue(args: &IssueArgs) -> Result<(), Failure> {
    let (world, at) = open_world(&args.desk)?;
    let linkage = find(&world.desk, &args.linkage)?;
    let (sign_der, auth_der) = match &args.hpki_reader {
        Some(name) => {
            let pin = HpkiPin::new("0000").map_err(|e| Failure::usage(e.to_string()))?;
            let mut card = HpkiCardSigner::open(
                crate::source::reader(name)?,
                HpkiAp::Signature,
                pin,
                Vec::new(),
            )?;
            card.certificates()?
        }
        None => {
            let card = world.hpki.issue_card(&linkage, 0).map_err(health)?;
            (
                card.credentials.sign_certificate,
                card.credentials.auth_certificate,
            )
        }
    };
    let parse = |d: &[u8]| Certificate::from_der(d).map_err(|e| Failure::refused(e.to_string()));
    let active = world
        .desk
        .record_issuance(
            &linkage.id,
            &parse(&sign_der)?,
            Some(&parse(&auth_der)?),
            at,
        )
        .map_err(refused)?;
    println!("{}", json!({"issued": linkage_json(&active)}));
    Ok(())
}

pub(crate) fn sign_in(args: &SignInArgs) -> Result<(), Failure> {
    let (world, at) = open_world(&args.desk)?;
    let (jpki_pin, hpki_pin) = if args.pin_stdin {
        let mut lines = std::io::stdin().lines();
        let mut next = || -> Result<zeroize::Zeroizing<String>, Failure> {
            Ok(zeroize::Zeroizing::new(
                lines
                    .next()
                    .ok_or_else(|| Failure::usage("two PIN lines expected on standard input"))?
                    .map_err(|e| Failure::usage(e.to_string()))?,
            ))
        };
        (next()?, next()?)
    } else {
        (
            zeroize::Zeroizing::new(
                rpassword::prompt_password("My Number Card authentication PIN: ")
                    .map_err(|e| Failure::usage(e.to_string()))?,
            ),
            zeroize::Zeroizing::new(
                rpassword::prompt_password("HPKI PIN: ")
                    .map_err(|e| Failure::usage(e.to_string()))?,
            ),
        )
    };
    let jpki_pin = AuthPin::new(jpki_pin.trim()).map_err(|e| Failure::usage(e.to_string()))?;
    let hpki_pin = HpkiPin::new(hpki_pin.trim()).map_err(|e| Failure::usage(e.to_string()))?;
    let hpki_transport: Box<dyn Transport> = match (&args.hpki_reader, &args.linkage) {
        (Some(name), _) => crate::source::reader(name)?,
        (None, Some(id)) => {
            let linkage = find(&world.desk, id)?;
            let card = world.hpki.issue_card(&linkage, 0).map_err(health)?;
            Box::new(kazasu_virtual_card::VirtualTransport::new(card.card))
        }
        (None, None) => return Err(Failure::usage("--hpki-reader or --linkage is needed")),
    };
    let challenge = world.desk.issue_challenge(at).map_err(refused)?;
    let mut hpki =
        HpkiCardSigner::open(hpki_transport, HpkiAp::Authentication, hpki_pin, Vec::new())?;
    let hpki = hpki_assertion(&mut hpki, &challenge)?;
    let jpki = jpki_assertion(transport(&args.reader)?, &challenge, &jpki_pin)?;
    let signed_in = world.desk.sign_in(&hpki, &jpki, at).map_err(refused)?;
    println!("{}", json!({"signed_in": signed_in}));
    Ok(())
}

pub(crate) fn check_linkage(args: &CheckArgs) -> Result<(), Failure> {
    let (world, at) = open_world(&args.desk)?;
    let mut crls = Vec::new();
    for path in &args.crl {
        let der = crate::cert::read_limited(path, 1 << 30, "CRL")?;
        crls.push(
            Crl::parse_vec(der).map_err(|e| Failure::usage(format!("{}: {e}", path.display())))?,
        );
    }
    if let Some(event) = args.sandbox_revoke {
        let persona = professionals().map_err(health)?.swap_remove(0).persona;
        let holder = world
            .sandbox
            .credentials(&persona, &IssueSpec::default())
            .map_err(health)?;
        let event = match event {
            RevokeArg::Death => JpkiEvent::Death,
            RevokeArg::NameChange => JpkiEvent::PersonalDataChanged,
        };
        crls.extend(
            jpki_crls_for(
                &world.sandbox,
                &holder,
                event,
                at - time::Duration::hours(1),
                at,
            )
            .map_err(health)?,
        );
    }
    let mut suspended = world.desk.apply_crls(&crls, at).map_err(refused)?;
    if args.registry {
        suspended.extend(world.desk.check_registry().map_err(refused)?);
    }
    let all = world
        .desk
        .store()
        .linkages()
        .map_err(|e| Failure::usage(e.to_string()))?;
    println!(
        "{}",
        json!({
            "crls": crls.len(),
            "newly_suspended": suspended,
            "linkages": all.iter().map(linkage_json).collect::<Vec<_>>(),
        })
    );
    Ok(())
}
