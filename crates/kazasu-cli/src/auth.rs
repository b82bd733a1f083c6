//! `kazasu auth demo`: the relying-party side beyond the clinic — bound assertions, login with an
//! account bound on first use, an e-ticket at the gate — with the card in process or in a reader
//! (a card or a smartphone token: the card layer names the token and adapts its read order).

use std::sync::Arc;

use clap::{Args, Subcommand, ValueEnum};
use kazasu_apdu::Transport;
use kazasu_auth::{
    AssertionPurpose, AuthError, BoundAssertion, BoundMessage, BoxOffice, Enrolment, Gate,
    GateSnapshot, LoginService, MemoryAccountStore, MemoryCardLinks, MemoryTicketStore,
    OfflineGate, Presented, RelyingParty,
};
use kazasu_card::{AuthPin, DigestInfo, HashAlgorithm, Jpki, LastTry, SignPassword, TokenKind};
use kazasu_health::sandbox::Sandbox;
use kazasu_pki::{Certificate, Crl, CrlSet, MemoryChallengeStore, Verifier};
use kazasu_virtual_card::pki::{
    CrlSpec, Generation, IssueSpec, Persona, PersonaBuilder, Purpose as VcPurpose, RevokedEntry,
};
use kazasu_virtual_card::{TokenKind as VirtualToken, VirtualCardBuilder, VirtualTransport};
use serde_json::json;
use time::{Duration, OffsetDateTime};

use crate::Failure;

#[derive(Subcommand, Debug)]
pub(crate) enum AuthCommand {
    /// Bound assertions, login and an e-ticket end to end, with the refusals that must happen.
    Demo(DemoArgs),
    /// An example relying-party HTTP server (test PKI, seed-0 card links, in-memory stores) for
    /// `kazasu login --server` and `kazasu gate --server`.
    Serve(crate::auth_http::ServeArgs),
    /// A loopback load run of a `kazasu auth serve` gate: holders of the test PKI (software keys)
    /// buy tickets, then their signed touches are sent concurrently and timed.
    Load(crate::auth_http::LoadArgs),
}

#[derive(Args, Debug)]
pub(crate) struct DemoArgs {
    /// Use the card in this PC/SC reader (`kazasu virtual-card serve`'s seed-0 card or token, whose
    /// certificates the demo's test PKI trusts).
    #[arg(long, value_name = "NAME")]
    reader: Option<String>,
    /// The demo clock (RFC 3339). The test certificates are valid from 2025-01-01 to 2029.
    #[arg(long, default_value = "2026-11-26T10:00:00+09:00")]
    at: String,
    /// Print one JSON object with each step's outcome.
    #[arg(long)]
    json: bool,
    /// Without --reader: which token the built-in virtual card presents for the patient.
    #[arg(long, value_enum, default_value_t = Token::Mynumber)]
    token: Token,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Token {
    /// My Number Card (JPKIAPICCTOKEN2).
    Mynumber,
    /// Android smartphone certificate (JPKIAPGPSETOKEN).
    Android,
    /// iPhone smartphone certificate (JPKIAPIOSTOKEN).
    Iphone,
}

const BANK: &str = "bank.example";
const BANK_ORIGIN: &str = "https://bank.example";
const VENUE: &str = "tickets.example";
const VENUE_ORIGIN: &str = "https://tickets.example";
const EVENT: &str = "budokan-2026-11-26";

fn failure(e: impl std::fmt::Display) -> Failure {
    Failure::usage(format!("auth demo: {e}"))
}

struct World {
    at: OffsetDateTime,
    reader: Option<String>,
    token: VirtualToken,
    sandbox: Sandbox,
    verifier: Verifier,
    pin: AuthPin,
    password: SignPassword,
    patient: Persona,
    other: Persona,
    revoked: Persona,
    revoked_spec: IssueSpec,
}

impl World {
    fn new(at: OffsetDateTime, reader: Option<String>, token: Token) -> Result<Self, Failure> {
        let persona = |seed| PersonaBuilder::from_seed(seed).build().map_err(failure);
        let revoked = persona(5)?;
        let revoked_spec = IssueSpec {
            key_slot: 4,
            ..IssueSpec::default()
        };
        let probe = Sandbox::new(0, at, &[]).map_err(failure)?;
        let revoked_serial = probe
            .credentials(&revoked, &revoked_spec)
            .map_err(failure)?
            .auth_serial;
        let sandbox = Sandbox::new(0, at, &[revoked_serial]).map_err(failure)?;
        Ok(Self {
            verifier: sandbox.setup.verifier(),
            sandbox,
            at,
            reader,
            token: match token {
                Token::Mynumber => VirtualToken::MyNumberCard,
                Token::Android => VirtualToken::AndroidSmartphone,
                Token::Iphone => VirtualToken::IPhone,
            },
            pin: AuthPin::new("1234").map_err(failure)?,
            password: SignPassword::new("ABC123").map_err(failure)?,
            patient: persona(0)?,
            other: persona(3)?,
            revoked,
            revoked_spec,
        })
    }

    fn rp(&self, id: &str, origin: &str) -> Result<RelyingParty, Failure> {
        RelyingParty::new(
            id,
            &[origin],
            self.verifier.clone(),
            Arc::new(MemoryChallengeStore::new(Duration::minutes(5))),
        )
        .map_err(failure)
    }

    /// What an offline gate takes along: the current CRLs of every root, the revoked card listed.
    fn crl_snapshot(&self) -> Result<CrlSet, Failure> {
        let serial = self
            .sandbox
            .credentials(&self.revoked, &self.revoked_spec)
            .map_err(failure)?
            .auth_serial;
        let mut crls = CrlSet::new();
        for generation in [Generation::G2015, Generation::G2023] {
            for purpose in [VcPurpose::Authentication, VcPurpose::Signature] {
                let mut spec = CrlSpec::valid_at(self.at);
                if purpose == VcPurpose::Authentication {
                    spec = spec.revoke(RevokedEntry::from_bytes(
                        &serial,
                        self.at - Duration::days(10),
                    ));
                }
                let der = self
                    .sandbox
                    .pki
                    .crl(purpose, generation, &spec)
                    .map_err(failure)?;
                crls.add(Crl::from_der(&der).map_err(failure)?);
            }
        }
        Ok(crls)
    }

    /// The patient's card: the reader when named, else a fresh virtual card.
    fn patient_card(&self) -> Result<Box<dyn Transport>, Failure> {
        match &self.reader {
            Some(name) => crate::source::reader(name),
            None => {
                // The sandbox records the card's links; the token is built from the same PKI.
                self.sandbox
                    .credentials(&self.patient, &IssueSpec::default())
                    .map_err(failure)?;
                let card = VirtualCardBuilder::new(self.sandbox.pki.seed())
                    .persona(self.patient.clone())
                    .token(self.token)
                    .build()
                    .map_err(failure)?;
                Ok(Box::new(VirtualTransport::new(card.card)))
            }
        }
    }

    fn virtual_card(
        &self,
        persona: &Persona,
        spec: &IssueSpec,
    ) -> Result<Box<dyn Transport>, Failure> {
        let card = self.sandbox.card(persona, spec.clone()).map_err(failure)?;
        Ok(Box::new(VirtualTransport::new(card.card)))
    }

    /// The card signs a v1 message with its authentication key; returns the token that answered.
    fn assert(
        &self,
        card: Box<dyn Transport>,
        message: &BoundMessage,
    ) -> Result<(BoundAssertion, TokenKind), Failure> {
        let mut jpki = Jpki::open(card).map_err(crate::card::card_failure)?;
        let bytes = message.encode();
        let done = jpki
            .authenticate(
                &self.pin,
                &DigestInfo::of_message(HashAlgorithm::Sha256, &bytes),
                LastTry::Refuse,
            )
            .map_err(crate::card::card_failure)?;
        let certificate = Certificate::from_der(done.certificate.as_der()).map_err(failure)?;
        Ok((
            BoundAssertion::new(certificate, bytes, done.signature.into_bytes()),
            done.token,
        ))
    }

    fn message(
        &self,
        rp: &RelyingParty,
        id: &str,
        origin: &str,
        purpose: AssertionPurpose,
    ) -> Result<BoundMessage, Failure> {
        let nonce = rp.issue_nonce(self.at).map_err(failure)?;
        BoundMessage::new(id, origin, purpose, &nonce, self.at).map_err(failure)
    }
}

struct Step {
    name: &'static str,
    expected: &'static str,
    ok: bool,
    outcome: String,
}

fn step(name: &'static str, expected: &'static str, ok: bool, outcome: String) -> Step {
    Step {
        name,
        expected,
        ok,
        outcome,
    }
}

fn refused(r: Result<impl std::fmt::Debug, AuthError>, code: &str) -> (bool, String) {
    match r {
        Err(e) => (e.code() == code, format!("refused: {e} ({})", e.code())),
        Ok(v) => (false, format!("accepted: {v:?}")),
    }
}

fn run_demo(w: &World) -> Result<(Vec<Step>, TokenKind), Failure> {
    let mut steps = Vec::new();
    // The bank: enrolment with both keys of one card, then login with the authentication key.
    let bank = w.rp(BANK, BANK_ORIGIN)?;
    let links = Arc::new(MemoryCardLinks::new());
    // What J-LIS tells platform operators: which certificates one card carries.
    let issued = w
        .sandbox
        .credentials(&w.patient, &IssueSpec::default())
        .map_err(failure)?;
    let id = |der: &[u8]| {
        Certificate::from_der(der)
            .map_err(failure)?
            .id()
            .ok_or_else(|| failure("a test certificate without an issuer key id"))
    };
    links
        .insert_card(id(&issued.sign_certificate)?, id(&issued.auth_certificate)?)
        .map_err(failure)?;
    let login = LoginService::new(bank.clone(), MemoryAccountStore::new(), links);

    let message = w.message(&bank, BANK, BANK_ORIGIN, AssertionPurpose::Enrol)?;
    let (authentication, token) = w.assert(w.patient_card()?, &message)?;
    let mut jpki = Jpki::open(w.patient_card()?).map_err(crate::card::card_failure)?;
    let sign_certificate = jpki
        .read_sign_certificate(&w.password, LastTry::Refuse)
        .map_err(crate::card::card_failure)?;
    let signature = jpki
        .sign_message_with_sign_key(
            &w.password,
            HashAlgorithm::Sha256,
            &authentication.message,
            LastTry::Refuse,
        )
        .map_err(crate::card::card_failure)?;
    let enrolment = Enrolment {
        authentication,
        signature_certificate: Certificate::from_der(sign_certificate.as_der()).map_err(failure)?,
        signature: signature.into_bytes(),
    };
    let enrolled = login.enrol(&enrolment, w.at);
    steps.push(match &enrolled {
        Ok(p) => step(
            "enrol at the bank (both keys, 基本4情報 proofed)",
            "an account bound to the card, the name from the signature certificate",
            p.claim.personal.name == w.patient.name,
            format!(
                "{} bound; verified name {}",
                p.account, p.claim.personal.name
            ),
        ),
        Err(e) => step(
            "enrol at the bank (both keys, 基本4情報 proofed)",
            "an account bound to the card",
            false,
            format!("refused: {e}"),
        ),
    });

    let message = w.message(&bank, BANK, BANK_ORIGIN, AssertionPurpose::Login)?;
    let (assertion, _) = w.assert(w.patient_card()?, &message)?;
    let presented = Presented::Bound(assertion);
    let first = login.login(&presented, w.at);
    let account = enrolled.as_ref().ok().map(|p| p.account);
    steps.push(step(
        "log in with the authentication key only",
        "the same account",
        first.as_ref().ok().map(|p| p.account) == account && account.is_some(),
        match &first {
            Ok(p) => format!("logged in to {}", p.account),
            Err(e) => format!("refused: {e}"),
        },
    ));
    let (ok, outcome) = refused(login.login(&presented, w.at), "nonce_replayed");
    steps.push(step(
        "the same login assertion again",
        "refused as a replay",
        ok,
        outcome,
    ));
    // A phishing site fetched a bank nonce and had the card sign for itself.
    let nonce = bank.issue_nonce(w.at).map_err(failure)?;
    let phished = BoundMessage::new(
        "bank-login.example",
        "https://bank-login.example",
        AssertionPurpose::Login,
        &nonce,
        w.at,
    )
    .map_err(failure)?;
    let (relayed, _) = w.assert(w.patient_card()?, &phished)?;
    let (ok, outcome) = refused(
        login.login(&Presented::Bound(relayed), w.at),
        "wrong_relying_party",
    );
    steps.push(step(
        "an assertion made for another site, relayed to the bank",
        "refused: made for another relying party",
        ok,
        outcome,
    ));
    let message = w.message(&bank, BANK, BANK_ORIGIN, AssertionPurpose::Consent)?;
    let (consent, _) = w.assert(w.patient_card()?, &message)?;
    let (ok, outcome) = refused(
        login.login(&Presented::Bound(consent), w.at),
        "wrong_purpose",
    );
    steps.push(step(
        "a consent assertion presented as a login",
        "refused: another purpose",
        ok,
        outcome,
    ));

    // The venue: a ticket bound at purchase, admitted once at the gates.
    let tickets = Arc::new(MemoryTicketStore::new());
    let office = BoxOffice::new(w.rp(VENUE, VENUE_ORIGIN)?, tickets.clone());
    let message = w.message(
        office.relying_party(),
        VENUE,
        VENUE_ORIGIN,
        AssertionPurpose::Purchase,
    )?;
    let (purchase, _) = w.assert(w.patient_card()?, &message)?;
    let bought = office.purchase(&purchase, EVENT, w.at);
    steps.push(step(
        "buy a ticket with the card",
        "a ticket bound to the card",
        bought.is_ok(),
        match &bought {
            Ok(t) => format!("ticket {} for {}", t.id, t.event),
            Err(e) => format!("refused: {e}"),
        },
    ));
    let gate_rp = w.rp(VENUE, VENUE_ORIGIN)?;
    let east = Gate::new("east-1", EVENT, gate_rp.clone(), tickets.clone());
    let west = Gate::new("west-1", EVENT, gate_rp.clone(), tickets.clone());
    let touch = |gate: &Gate<MemoryTicketStore>, card: Box<dyn Transport>| {
        let message = w.message(
            gate.relying_party(),
            VENUE,
            VENUE_ORIGIN,
            AssertionPurpose::Ticket,
        )?;
        let (a, _) = w.assert(card, &message)?;
        Ok::<_, Failure>(gate.check(&a, w.at))
    };
    let admitted = touch(&east, w.patient_card()?)?;
    steps.push(step(
        "touch at gate east-1",
        "admitted",
        admitted.is_ok(),
        match &admitted {
            Ok(a) => format!("ticket {} admitted at {}", a.ticket.id, a.gate),
            Err(e) => format!("refused: {e}"),
        },
    ));
    let (ok, outcome) = refused(touch(&west, w.patient_card()?)?, "already_admitted");
    steps.push(step(
        "the same card at gate west-1",
        "refused: admitted already",
        ok,
        outcome,
    ));
    let other = w.virtual_card(&w.other, &IssueSpec::default())?;
    let (ok, outcome) = refused(touch(&east, other)?, "no_ticket");
    steps.push(step(
        "a valid card without a ticket",
        "refused: no ticket bound to it",
        ok,
        outcome,
    ));
    // An offline gate with a CRL snapshot: a revoked card holding a ticket is refused.
    let revoked_card = || w.virtual_card(&w.revoked, &w.revoked_spec);
    let revoked_id = {
        let mut jpki = Jpki::open(revoked_card()?).map_err(crate::card::card_failure)?;
        let der = jpki
            .read_auth_certificate()
            .map_err(crate::card::card_failure)?;
        Certificate::from_der(der.as_der())
            .map_err(failure)?
            .id()
            .ok_or_else(|| failure("no issuer key id"))?
    };
    kazasu_auth::TicketStore::bind(tickets.as_ref(), EVENT, &revoked_id).map_err(failure)?;
    let snapshot = GateSnapshot::take(tickets.as_ref(), EVENT, w.crl_snapshot()?, 1000, w.at)
        .map_err(failure)?;
    let offline = OfflineGate::new("north-offline", snapshot, gate_rp);
    let nonce = offline.issue_nonce(w.at).map_err(failure)?;
    let message = BoundMessage::new(VENUE, VENUE_ORIGIN, AssertionPurpose::Ticket, &nonce, w.at)
        .map_err(failure)?;
    let (a, _) = w.assert(revoked_card()?, &message)?;
    let (ok, outcome) = refused(offline.check(&a, w.at), "revoked");
    steps.push(step(
        "a revoked card with a ticket at the offline gate",
        "refused: revoked on the gate's CRL snapshot",
        ok,
        outcome,
    ));
    Ok((steps, token))
}

pub(crate) fn run(cmd: AuthCommand) -> Result<(), Failure> {
    match cmd {
        AuthCommand::Demo(args) => demo(&args),
        AuthCommand::Serve(args) => crate::auth_http::serve(&args),
        AuthCommand::Load(args) => crate::auth_http::load(&args),
    }
}

fn demo(args: &DemoArgs) -> Result<(), Failure> {
    let at = crate::time_arg::parse(&args.at, time::Time::MIDNIGHT)
        .map_err(|e| Failure::usage(format!("--at: {e}")))?;
    let world = World::new(at, args.reader.clone(), args.token)?;
    let (steps, token) = run_demo(&world)?;
    let all_ok = steps.iter().all(|s| s.ok);
    let passed = steps.iter().filter(|s| s.ok).count();
    if args.json {
        let v = json!({
            "ok": all_ok,
            "token": token.to_string(),
            "card": if args.reader.is_some() { "reader" } else { "virtual" },
            "steps": steps.iter().map(|s| json!({
                "step": s.name, "expected": s.expected, "ok": s.ok, "outcome": s.outcome,
            })).collect::<Vec<_>>(),
        });
        println!("{v}");
    } else {
        println!("kazasu auth demo — token: {token}");
        for (i, s) in steps.iter().enumerate() {
            let mark = if s.ok { "ok  " } else { "FAIL" };
            println!(
                "{mark} {:>2}. {}\n        expected: {}\n        outcome:  {}",
                i + 1,
                s.name,
                s.expected,
                s.outcome
            );
        }
        println!("\n{passed} of {} steps behaved as expected", steps.len());
    }
    if all_ok {
        Ok(())
    } else {
        Err(Failure::refused(format!(
            "{} of {} steps did not behave as expected",
            steps.len() - passed,
            steps.len()
        )))
    }
}
