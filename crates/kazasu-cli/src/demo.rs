//! `kazasu demo`: the main job end to end — enrolment, eligibility, patient card, check-in — and the
//! cases that must be refused, on the built-in virtual card (or a card in a reader).

use std::time::Instant;

use clap::Args;
use kazasu_apdu::Transport;
use kazasu_card::{AuthPin, CardError, LastTry};
use kazasu_health::sandbox::{Sandbox, person_record};
use kazasu_health::{
    AgencyCode, CheckinService, CheckinStore, EligibilityService, EligibilityStore, FacilityCode,
    HealthError, IdentityCheck, PatientCardNumber, Presentation, RenewalStore, Reservation,
    SqliteStore, present_card,
};
use kazasu_pki::{AuthAssertion, Rejection};
use kazasu_virtual_card::VirtualTransport;
use kazasu_virtual_card::pki::{IssueSpec, PersonaBuilder};
use serde::Serialize;
use serde_json::json;
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};

use crate::Failure;

#[derive(Args, Debug)]
pub(crate) struct DemoArgs {
    /// Print one JSON object with each step's outcome.
    #[arg(long)]
    json: bool,
    /// Use the card in this PC/SC reader for the patient (it must be `kazasu virtual-card serve`'s
    /// seed-0 card, whose certificates the demo's test PKI trusts).
    #[arg(long, value_name = "NAME")]
    reader: Option<String>,
    /// The demo clock (RFC 3339); the test certificates are valid 2025–2030.
    #[arg(long, default_value = "2026-11-26T10:00:00+09:00")]
    at: String,
}

#[derive(Serialize)]
struct Step {
    step: &'static str,
    expected: &'static str,
    outcome: String,
    ok: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    apdus: Option<u64>,
    #[serde(skip_serializing_if = "serde_json::Value::is_null")]
    detail: serde_json::Value,
}

struct Demo {
    steps: Vec<Step>,
}

impl Demo {
    fn record(
        &mut self,
        step: &'static str,
        expected: &'static str,
        ok: bool,
        outcome: String,
        apdus: Option<u64>,
        detail: serde_json::Value,
    ) {
        self.steps.push(Step {
            step,
            expected,
            outcome,
            ok,
            apdus,
            detail,
        });
    }
}

fn failure(e: impl std::fmt::Display) -> Failure {
    Failure::usage(format!("demo setup failed: {e}"))
}

pub(crate) fn run(args: DemoArgs) -> Result<(), Failure> {
    let started = Instant::now();
    let at = OffsetDateTime::parse(&args.at, &Rfc3339)
        .map_err(|e| Failure::usage(format!("--at: {e}")))?;
    let facility = FacilityCode::new("1312345678").map_err(failure)?;
    let agency = AgencyCode::new("AGC0000000000001").map_err(failure)?;
    let pin = AuthPin::new("1234").map_err(failure)?;

    // The world: the test PKI, a revoked card on its CRL, the eligibility system's records.
    let patient = PersonaBuilder::from_seed(0).build().map_err(failure)?;
    let stranger = PersonaBuilder::from_seed(5).build().map_err(failure)?;
    let stranger_spec = IssueSpec {
        key_slot: 4,
        ..IssueSpec::default()
    };
    let probe = Sandbox::new(0, at, &[]).map_err(failure)?;
    let revoked_serial = probe
        .credentials(&stranger, &stranger_spec)
        .map_err(failure)?
        .auth_serial;
    let sandbox = Sandbox::new(0, at, &[revoked_serial]).map_err(failure)?;
    let eligibility = EligibilityService::new(
        sandbox.setup.clone(),
        SqliteStore::in_memory().map_err(failure)?,
        Duration::minutes(5),
    );
    let (person, qualifications) = person_record(&patient, &agency);
    eligibility
        .store()
        .put_person(&person, &qualifications)
        .map_err(failure)?;
    let (person_b, qualifications_b) = person_record(
        &stranger,
        &AgencyCode::new("AGC0000000000002").map_err(failure)?,
    );
    eligibility
        .store()
        .put_person(&person_b, &qualifications_b)
        .map_err(failure)?;
    let desk = CheckinService::new(
        facility.clone(),
        sandbox.setup.clone(),
        SqliteStore::in_memory().map_err(failure)?,
        Duration::minutes(5),
    );
    let patient_card = PatientCardNumber::new("P-000123").map_err(failure)?;

    // The patient's card: a reader, or a fresh virtual card per touch.
    let touch = |spec: &IssueSpec| -> Result<Box<dyn Transport>, Failure> {
        match &args.reader {
            Some(name) if spec.key_slot == 0 => crate::source::reader(name),
            _ => {
                let card = sandbox.card(&patient, spec.clone()).map_err(failure)?;
                Ok(Box::new(VirtualTransport::new(card.card)))
            }
        }
    };
    let with_pin = IdentityCheck::Pin {
        pin: &pin,
        last_try: LastTry::Refuse,
    };
    let original = IssueSpec::default();
    let mut demo = Demo { steps: Vec::new() };

    // 1. Enrolment (健康保険証利用登録): once, with the PIN.
    let challenge = eligibility.issue_challenge(at).map_err(failure)?;
    let (presented, stats) =
        present_card(touch(&original)?, &challenge, with_pin).map_err(failure)?;
    let Presentation::Assertion(first) = presented else {
        return Err(failure("expected an assertion"));
    };
    match eligibility.enrol(&first, &agency, at) {
        Ok(id) => demo.record(
            "enrol",
            "card linked to the person",
            true,
            format!("certificate {id} linked to {agency}"),
            Some(stats.commands),
            json!(null),
        ),
        Err(e) => demo.record(
            "enrol",
            "card linked to the person",
            false,
            e.to_string(),
            Some(stats.commands),
            json!(null),
        ),
    }

    // 2. Eligibility confirmation at the reception.
    let challenge = eligibility.issue_challenge(at).map_err(failure)?;
    let (presented, stats) =
        present_card(touch(&original)?, &challenge, with_pin).map_err(failure)?;
    let confirmed = eligibility.confirm(&facility, &presented, at);
    match &confirmed {
        Ok(a) => demo.record(
            "confirm eligibility",
            "QualificationValidity 1 (valid) with the insurance data",
            a.qualification_validity.code() == "1",
            format!(
                "QualificationValidity {} — {} {}, insurer {}",
                a.qualification_validity.code(),
                a.name.as_deref().unwrap_or("?"),
                a.name_kana.as_deref().unwrap_or(""),
                a.insurer_number.as_deref().unwrap_or("?")
            ),
            Some(stats.commands),
            serde_json::to_value(a).unwrap_or_default(),
        ),
        Err(e) => demo.record(
            "confirm eligibility",
            "QualificationValidity 1",
            false,
            e.to_string(),
            Some(stats.commands),
            json!(null),
        ),
    }
    let replay = match presented {
        Presentation::Assertion(a) => a,
        Presentation::StaffChecked(_) => return Err(failure("expected an assertion")),
    };

    // 3. Register the patient card (共通診察券) at the facility, and as the clinic's 照会番号.
    let challenge = desk.issue_challenge(at).map_err(failure)?;
    let linked = assertion(touch(&original)?, &challenge, with_pin)
        .and_then(|a| desk.link(&a, &patient_card, at));
    let challenge = eligibility.issue_challenge(at).map_err(failure)?;
    let referenced = assertion(touch(&original)?, &challenge, with_pin).and_then(|a| {
        eligibility.register_reference_number(&facility, &a, patient_card.as_str(), at)
    });
    match (&linked, &referenced) {
        (Ok(id), Ok(())) => demo.record(
            "register patient card",
            "patient card linked to the card identity",
            true,
            format!("{patient_card} linked to {id}"),
            None,
            json!(null),
        ),
        (Err(e), _) | (_, Err(e)) => demo.record(
            "register patient card",
            "patient card linked",
            false,
            e.to_string(),
            None,
            json!(null),
        ),
    }
    desk.store()
        .add_reservation(
            &facility,
            &patient_card,
            &Reservation {
                day: at.to_offset(jst()).date(),
                time: "10:30".into(),
                department: "内科".into(),
            },
        )
        .map_err(failure)?;

    // 4. Check in with a touch.
    let challenge = desk.issue_challenge(at).map_err(failure)?;
    match assertion(touch(&original)?, &challenge, with_pin).and_then(|a| desk.check_in(&a, at)) {
        Ok(r) => demo.record(
            "check in",
            "receipt with the day's reservations and queue number 1",
            r.queue_number == 1 && r.reservations.len() == 1,
            format!(
                "queue number {} for {}, {} reservation(s): {}",
                r.queue_number,
                r.patient_card,
                r.reservations.len(),
                r.reservations
                    .iter()
                    .map(|x| format!("{} {}", x.time, x.department))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            None,
            serde_json::to_value(&r).unwrap_or_default(),
        ),
        Err(e) => demo.record(
            "check in",
            "receipt",
            false,
            e.to_string(),
            None,
            json!(null),
        ),
    }

    // 5. A renewed card (new key, new serial): found through the old → new link J-LIS provides.
    let renewed = IssueSpec {
        key_slot: 1,
        ..IssueSpec::default()
    };
    let no_aki = || failure("the card's certificate has no AuthorityKeyIdentifier");
    let old_id = first.certificate.id().ok_or_else(no_aki)?;
    let challenge = eligibility.issue_challenge(at).map_err(failure)?;
    let renewed_assertion = assertion(touch(&renewed)?, &challenge, with_pin).map_err(failure)?;
    let new_id = renewed_assertion.certificate.id().ok_or_else(no_aki)?;
    let imported = eligibility
        .store()
        .import_renewals(&[(old_id.clone(), new_id.clone())])
        .and_then(|_| desk.store().import_renewals(&[(old_id, new_id.clone())]));
    let answer = imported.map_err(HealthError::from).and_then(|_| {
        eligibility.confirm(&facility, &Presentation::Assertion(renewed_assertion), at)
    });
    let challenge = desk.issue_challenge(at).map_err(failure)?;
    let receipt =
        assertion(touch(&renewed)?, &challenge, with_pin).and_then(|a| desk.check_in(&a, at));
    match (answer, receipt) {
        (Ok(a), Ok(r)) => demo.record(
            "renewed card",
            "same person and same patient card through the renewal link",
            a.name.as_deref() == Some(patient.name.as_str()) && r.patient_card == patient_card,
            format!(
                "new certificate {new_id}: {} found, patient card {}, queue number {}",
                a.name.as_deref().unwrap_or("?"),
                r.patient_card,
                r.queue_number
            ),
            None,
            json!(null),
        ),
        (Err(e), _) | (_, Err(e)) => demo.record(
            "renewed card",
            "same person found",
            false,
            e.to_string(),
            None,
            json!(null),
        ),
    }

    // 6. A replayed assertion: refused.
    let outcome = eligibility.confirm(&facility, &Presentation::Assertion(replay), at);
    expect_refusal(
        &mut demo,
        "replayed assertion",
        "refused: challenge already used",
        outcome.map(|_| ()),
        |e| matches!(e, HealthError::Rejected(Rejection::ChallengeReplayed)),
    );

    // 7. A revoked card: refused by the CRL.
    let revoked_card = sandbox.card(&stranger, stranger_spec).map_err(failure)?;
    let challenge = eligibility.issue_challenge(at).map_err(failure)?;
    let outcome = assertion(
        Box::new(VirtualTransport::new(revoked_card.card)),
        &challenge,
        with_pin,
    )
    .and_then(|a| eligibility.confirm(&facility, &Presentation::Assertion(a), at));
    expect_refusal(
        &mut demo,
        "revoked card",
        "refused: certificate revoked",
        outcome.map(|_| ()),
        |e| matches!(e, HealthError::Rejected(Rejection::Revoked { .. })),
    );

    // 8. A wrong PIN: the card counts the try; with one try left the guard refuses to spend it.
    let wrong = AuthPin::new("9999").map_err(failure)?;
    let wrong_check = IdentityCheck::Pin {
        pin: &wrong,
        last_try: LastTry::Refuse,
    };
    let card = sandbox
        .card(
            &patient,
            IssueSpec {
                key_slot: 2,
                ..IssueSpec::default()
            },
        )
        .map_err(failure)?;
    let shared = VirtualTransport::new(card.card);
    let challenge = eligibility.issue_challenge(at).map_err(failure)?;
    let first_try = present_card(shared.clone(), &challenge, wrong_check).map(|_| ());
    let second_try = present_card(shared.clone(), &challenge, wrong_check).map(|_| ());
    let guarded = present_card(shared, &challenge, wrong_check).map(|_| ());
    let ok = matches!(
        first_try,
        Err(HealthError::Card(CardError::WrongSecret {
            tries_left: 2,
            ..
        }))
    ) && matches!(
        second_try,
        Err(HealthError::Card(CardError::WrongSecret {
            tries_left: 1,
            ..
        }))
    ) && matches!(
        guarded,
        Err(HealthError::Card(CardError::LastTryRefused { .. }))
    );
    let describe = |r: &Result<(), HealthError>| match r {
        Ok(()) => "accepted".to_owned(),
        Err(e) => e.to_string(),
    };
    demo.record(
        "wrong PIN",
        "refused with tries left, then the last try is protected",
        ok,
        format!(
            "{}; {}; {}",
            describe(&first_try),
            describe(&second_try),
            describe(&guarded)
        ),
        None,
        json!(null),
    );

    let all_ok = demo.steps.iter().all(|s| s.ok);
    if args.json {
        let report = json!({
            "ok": all_ok,
            "at": args.at,
            "card": if args.reader.is_some() { "reader" } else { "virtual" },
            "elapsed_ms": started.elapsed().as_millis(),
            "steps": demo.steps,
        });
        println!("{report}");
    } else {
        println!(
            "kazasu demo — My Number Card at a clinic ({}), demo clock {}",
            if args.reader.is_some() {
                "card in a reader"
            } else {
                "built-in virtual card"
            },
            args.at
        );
        println!(
            "patient: {} (virtual card seed 0, auth PIN 1234)\n",
            patient.name
        );
        for (i, s) in demo.steps.iter().enumerate() {
            let mark = if s.ok { "ok  " } else { "FAIL" };
            let apdus = s.apdus.map(|n| format!(" [{n} APDUs]")).unwrap_or_default();
            println!(
                "{mark} {}. {}{apdus}\n       expected: {}\n       outcome:  {}",
                i + 1,
                s.step,
                s.expected,
                s.outcome
            );
        }
        println!(
            "\n{} of {} steps behaved as expected ({} ms)",
            demo.steps.iter().filter(|s| s.ok).count(),
            demo.steps.len(),
            started.elapsed().as_millis()
        );
    }
    if all_ok {
        Ok(())
    } else {
        Err(Failure::refused(
            "some demo steps did not behave as expected",
        ))
    }
}

fn jst() -> time::UtcOffset {
    time::UtcOffset::from_hms(9, 0, 0).unwrap_or(time::UtcOffset::UTC)
}

fn assertion(
    transport: Box<dyn Transport>,
    challenge: &[u8],
    check: IdentityCheck<'_>,
) -> Result<AuthAssertion, HealthError> {
    match present_card(transport, challenge, check)?.0 {
        Presentation::Assertion(a) => Ok(a),
        Presentation::StaffChecked(_) => Err(HealthError::Invalid {
            field: "identity check",
            reason: "a PIN is needed".into(),
        }),
    }
}

fn expect_refusal(
    demo: &mut Demo,
    step: &'static str,
    expected: &'static str,
    outcome: Result<(), HealthError>,
    right: impl Fn(&HealthError) -> bool,
) {
    match outcome {
        Ok(()) => demo.record(
            step,
            expected,
            false,
            "accepted (should have been refused)".into(),
            None,
            json!(null),
        ),
        Err(e) => {
            let ok = right(&e);
            demo.record(
                step,
                expected,
                ok,
                format!("refused: {e}"),
                None,
                json!(null),
            );
        }
    }
}
