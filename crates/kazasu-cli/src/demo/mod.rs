//! `kazasu demo`: the main job end to end — enrolment, eligibility, patient card, check-in — and the
//! cases that must be refused, on the built-in virtual card (or a card in a reader); then patient
//! consent to share records ([`consent_steps`]).
//!
//! The steps are data ([`steps::STEPS`]): each is a function over the shared [`World`] that says
//! what it expected and what happened.

mod consent_steps;
mod qualification;
mod steps;
mod world;

use std::time::Instant;

use clap::Args;
use serde::Serialize;
use serde_json::json;
use time::OffsetDateTime;

use crate::Failure;
use world::World;

#[derive(Args, Debug)]
pub(crate) struct DemoArgs {
    /// Print one JSON object with each step's outcome.
    #[arg(long)]
    json: bool,
    /// Use the card in this PC/SC reader for the patient (it must be `kazasu virtual-card serve`'s
    /// seed-0 card, whose certificates the demo's test PKI trusts).
    #[arg(long, value_name = "NAME")]
    reader: Option<String>,
    /// The demo clock: an RFC 3339 time, or a date (`YYYY-MM-DD`, meaning 00:00 JST that day).
    /// The patient's test certificates are valid from 2025-01-01 to her birthday in 2029.
    #[arg(long, default_value = "2026-11-26T10:00:00+09:00")]
    at: String,
}

/// What one step did.
#[derive(Serialize)]
pub(crate) struct Outcome {
    pub(crate) ok: bool,
    pub(crate) outcome: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) apdus: Option<u64>,
    #[serde(skip_serializing_if = "serde_json::Value::is_null")]
    pub(crate) detail: serde_json::Value,
}

impl Outcome {
    pub(crate) fn new(ok: bool, outcome: impl Into<String>) -> Self {
        Self {
            ok,
            outcome: outcome.into(),
            apdus: None,
            detail: serde_json::Value::Null,
        }
    }

    pub(crate) fn apdus(mut self, n: u64) -> Self {
        self.apdus = Some(n);
        self
    }

    pub(crate) fn detail(mut self, detail: serde_json::Value) -> Self {
        self.detail = detail;
        self
    }
}

/// One step of the demo.
pub(crate) struct Step {
    pub(crate) name: &'static str,
    pub(crate) expected: &'static str,
    pub(crate) run: fn(&mut World) -> Result<Outcome, Failure>,
}

#[derive(Serialize)]
struct Reported {
    step: &'static str,
    expected: &'static str,
    #[serde(flatten)]
    outcome: Outcome,
}

/// The demo clock: RFC 3339, or a date at 10:00 JST.
fn parse_at(text: &str) -> Result<OffsetDateTime, Failure> {
    crate::time_arg::parse(
        text,
        time::Time::from_hms(10, 0, 0).unwrap_or(time::Time::MIDNIGHT),
    )
    .map_err(|e| Failure::usage(format!("--at: {e}")))
}

pub(crate) fn run(args: DemoArgs) -> Result<(), Failure> {
    let started = Instant::now();
    let at = parse_at(&args.at)?;
    let mut world = World::new(at, args.reader.clone())?;
    let mut reported = Vec::new();
    // The qualification steps, then the consent steps, come after the others.
    for step in steps::STEPS
        .iter()
        .chain(qualification::STEPS)
        .chain(consent_steps::STEPS)
    {
        let outcome = (step.run)(&mut world)?;
        reported.push(Reported {
            step: step.name,
            expected: step.expected,
            outcome,
        });
    }
    let all_ok = reported.iter().all(|s| s.outcome.ok);
    if args.json {
        let report = json!({
            "ok": all_ok,
            "at": args.at,
            "card": if args.reader.is_some() { "reader" } else { "virtual" },
            "elapsed_ms": started.elapsed().as_millis(),
            "steps": reported,
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
            "patient: {} (virtual card seed 0, auth PIN 1234, signature password ABC123)\n",
            world.patient.name
        );
        for (i, s) in reported.iter().enumerate() {
            let mark = if s.outcome.ok { "ok  " } else { "FAIL" };
            let apdus = s
                .outcome
                .apdus
                .map(|n| format!(" [{n} APDUs]"))
                .unwrap_or_default();
            println!(
                "{mark} {:>2}. {}{apdus}\n        expected: {}\n        outcome:  {}",
                i + 1,
                s.step,
                s.expected,
                s.outcome.outcome
            );
        }
        println!(
            "\n{} of {} steps behaved as expected ({} ms)",
            reported.iter().filter(|s| s.outcome.ok).count(),
            reported.len(),
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
