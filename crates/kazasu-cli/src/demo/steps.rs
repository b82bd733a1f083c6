//! The demo's steps, in order. Each returns what happened; a step "fails" when the system did not
//! behave as expected (a refusal that should happen and does is a success).

use kazasu_card::cvc::Challenge;
use kazasu_card::{BirthDateKey, CardError, CardFace, GenuineUnlock, LastTry};
use kazasu_health::{
    AgencyCode, ApprovalPurpose, AuditStore, Binding, CheckinStore, EligibilityStore,
    FacilityTerminal, HealthError, IdentityCheck, LinkApproval, LookupMode, Presentation,
    QualificationValidity, RenewalStore, Reservation, TrustedLinkImport, present_card,
};
use kazasu_pki::{Certificate, Rejection};
use kazasu_virtual_card::VirtualTransport;
use kazasu_virtual_card::pki::{IssueSpec, fixture_key};

use super::world::{World, failure};
use super::{Outcome, Step};
use crate::Failure;

/// Every step, in the order the demo runs them.
pub(crate) const STEPS: &[Step] = &[
    Step {
        name: "enrol",
        expected: "both keys sign; name, birth date and sex match the record; card linked",
        run: enrol,
    },
    Step {
        name: "enrol someone else's record",
        expected: "refused: the card holder's name does not match; nothing written",
        run: enrol_as_someone_else,
    },
    Step {
        name: "confirm eligibility",
        expected: "QualificationValidity 1 with the insurance data",
        run: confirm,
    },
    Step {
        name: "staff-visual without a facility credential",
        expected: "refused: the terminal is not registered",
        run: staff_visual_unregistered,
    },
    Step {
        name: "staff-visual at a registered terminal",
        expected: "chip proven genuine without a PIN, then answered; audited with the evidence",
        run: staff_visual_registered,
    },
    Step {
        name: "register patient card",
        expected: "desk staff approve the link; the 照会番号 is registered",
        run: register_patient_card,
    },
    Step {
        name: "check in",
        expected: "receipt with the day's reservation and queue number 1",
        run: check_in,
    },
    Step {
        name: "check in again the same day",
        expected: "the same queue number 1",
        run: check_in_again,
    },
    Step {
        name: "renewed card",
        expected: "same person and same patient card through the renewal link",
        run: renewed_card,
    },
    Step {
        name: "card in its grace period",
        expected: "certificate expired 20 days ago: qualification data, no sharing",
        run: grace_period,
    },
    Step {
        name: "several qualifications (複数該当)",
        expected: "QualificationValidity 5 listing both",
        run: several_qualifications,
    },
    Step {
        name: "replayed assertion",
        expected: "refused: challenge already used (error answer, status 2)",
        run: replayed,
    },
    Step {
        name: "revoked card",
        expected: "refused: certificate revoked",
        run: revoked,
    },
    Step {
        name: "wrong PIN",
        expected: "refused with tries left, then the last try is protected",
        run: wrong_pin,
    },
];

fn refused(outcome: Result<(), HealthError>, right: impl Fn(&HealthError) -> bool) -> Outcome {
    match outcome {
        Ok(()) => Outcome::new(false, "accepted (should have been refused)"),
        Err(e) => Outcome::new(right(&e), format!("refused: {e}")),
    }
}

fn enrol(w: &mut World) -> Result<Outcome, Failure> {
    let challenge = w.eligibility.issue_challenge(w.at).map_err(failure)?;
    let (proof, apdus) = w
        .proof(&w.patient, &IssueSpec::default(), &challenge)
        .map_err(failure)?;
    let outcome = match w.eligibility.enrol(&w.agency, &proof, w.at) {
        Ok(id) => Outcome::new(true, format!("certificate {id} linked to {}", w.agency)),
        Err(e) => Outcome::new(false, e.to_string()),
    };
    w.first = Some(proof.authentication);
    Ok(outcome.apdus(apdus))
}

fn enrol_as_someone_else(w: &mut World) -> Result<Outcome, Failure> {
    let spec = IssueSpec {
        key_slot: 3,
        ..IssueSpec::default()
    };
    let challenge = w.eligibility.issue_challenge(w.at).map_err(failure)?;
    let (proof, _) = w.proof(&w.attacker, &spec, &challenge).map_err(failure)?;
    let attempt = w.eligibility.enrol(&w.agency, &proof, w.at).map(|_| ());
    let untouched = match proof.authentication.certificate.id() {
        Some(id) => w
            .eligibility
            .store()
            .resolve(&id)
            .map_err(failure)?
            .is_none(),
        None => true,
    };
    let mut out = refused(attempt, |e| {
        matches!(e, HealthError::Mismatch { field: "name" })
    });
    out.ok &= untouched;
    out.outcome = format!(
        "{} ({}'s card, {}'s record){}",
        out.outcome,
        w.attacker.name,
        w.patient.name,
        if untouched {
            ""
        } else {
            " — BUT A LINK WAS WRITTEN"
        }
    );
    Ok(out)
}

fn confirm(w: &mut World) -> Result<Outcome, Failure> {
    let challenge = w.eligibility.issue_challenge(w.at).map_err(failure)?;
    let (a, apdus) = w
        .assertion(&w.patient, &IssueSpec::default(), &challenge)
        .map_err(failure)?;
    Ok(match w
        .eligibility
        .confirm(&w.facility, &Presentation::Assertion(a), w.at)
    {
        Ok(answer) => {
            let first = answer.result_list.first();
            Outcome::new(
                answer.qualification_validity == Some(QualificationValidity::Valid)
                    && answer.result_list.len() == 1,
                format!(
                    "QualificationValidity 1 — {} {}, insurer {}",
                    first.map_or("?", |r| r.name.as_str()),
                    first.map_or("", |r| r.name_kana.as_str()),
                    first.map_or("?", |r| r.insurer_number.as_str()),
                ),
            )
            .detail(serde_json::to_value(&answer).unwrap_or_default())
        }
        Err(e) => Outcome::new(false, e.to_string()),
    }
    .apdus(apdus))
}

fn staff_visual_unregistered(w: &mut World) -> Result<Outcome, Failure> {
    // A machine with the clinic's name but a key nobody registered.
    let rogue = FacilityTerminal::new(
        w.facility.clone(),
        "reception-1",
        fixture_key(21).map_err(failure)?,
    )
    .map_err(failure)?;
    let transport = w.touch(&w.patient, &IssueSpec::default())?;
    let check = IdentityCheck::StaffVerified {
        terminal: &rogue,
        staff: "nurse-07",
        at: w.at,
        genuineness: None,
    };
    let (presented, _) = present_card(transport, &[], check).map_err(failure)?;
    let answer = w.eligibility.confirm(&w.facility, &presented, w.at);
    Ok(refused(answer.map(|_| ()), |e| {
        matches!(e, HealthError::FacilityNotAuthenticated(_))
    }))
}

fn staff_visual_registered(w: &mut World) -> Result<Outcome, Failure> {
    // Staff first prove the chip genuine with the birth date printed on the card (least
    // disclosure: only the signed age record is opened), then compare the person with the photo.
    let trust = w.sandbox.cvc_trust().map_err(failure)?;
    let birth_key = BirthDateKey::new(&w.patient.birth_date_key()).map_err(failure)?;
    let mut face = CardFace::open(w.touch(&w.patient, &IssueSpec::default())?).map_err(failure)?;
    let report = face
        .prove_genuine(
            &trust,
            GenuineUnlock::BirthDate(&birth_key),
            Challenge::random().map_err(failure)?,
            LastTry::Refuse,
        )
        .map_err(failure)?;
    let genuine_apdus = face.session().stats().commands;
    let transport = w.touch(&w.patient, &IssueSpec::default())?;
    let check = IdentityCheck::StaffVerified {
        terminal: &w.terminal,
        staff: "nurse-07",
        at: w.at,
        genuineness: Some(&report),
    };
    let (presented, stats) = present_card(transport, &[], check).map_err(failure)?;
    let answer = w.eligibility.confirm(&w.facility, &presented, w.at);
    let trail = w
        .eligibility
        .store()
        .audit_trail(Some(&w.facility))
        .map_err(failure)?;
    let audited = trail
        .iter()
        .filter(|e| e.mode == LookupMode::StaffVisual)
        .collect::<Vec<_>>();
    let evidence_kept = audited.last().is_some_and(|e| {
        e.evidence
            .as_deref()
            .is_some_and(|x| x.starts_with("chip genuine"))
    });
    let lines = audited
        .iter()
        .map(|e| {
            format!(
                "{} by {}: {}{}",
                e.mode.as_str(),
                e.staff.as_deref().unwrap_or("?"),
                e.result,
                if e.evidence.is_some() {
                    " (chip genuine)"
                } else {
                    ""
                }
            )
        })
        .collect::<Vec<_>>();
    Ok(match answer {
        Ok(a) => Outcome::new(
            a.binding == Some(Binding::StaffChecked) && audited.len() == 2 && evidence_kept,
            format!(
                "chip proven genuine ({} CA {}, {genuine_apdus} APDUs, no PIN); \
                 QualificationValidity {}, binding StaffChecked; audit: {}",
                report.application.name(),
                report.ca,
                a.qualification_validity.map_or("?", |v| v.code()),
                lines.join("; ")
            ),
        ),
        Err(e) => Outcome::new(false, e.to_string()),
    }
    .apdus(stats.commands + genuine_apdus))
}

fn register_patient_card(w: &mut World) -> Result<Outcome, Failure> {
    let challenge = w.desk.issue_challenge(w.at).map_err(failure)?;
    let linked = w
        .assertion(&w.patient, &IssueSpec::default(), &challenge)
        .and_then(|(a, _)| {
            let approval = w.terminal.approve(
                "clerk-02",
                ApprovalPurpose::LinkPatientCard(w.patient_card.clone()),
                &a.certificate,
                w.at,
            )?;
            w.desk
                .link(&a, &w.patient_card, &LinkApproval::Staff(approval), w.at)
        });
    let challenge = w.eligibility.issue_challenge(w.at).map_err(failure)?;
    let referenced = w
        .assertion(&w.patient, &IssueSpec::default(), &challenge)
        .and_then(|(a, _)| {
            w.eligibility
                .register_reference_number(&w.facility, &a, w.patient_card.as_str(), w.at)
        });
    w.desk
        .store()
        .add_reservation(
            &w.facility,
            &w.patient_card,
            &Reservation::new(w.at.to_offset(jst()).date(), "10:30", "内科"),
        )
        .map_err(failure)?;
    Ok(match (linked, referenced) {
        (Ok(id), Ok(())) => Outcome::new(
            true,
            format!("{} linked to {id} (approved by clerk-02)", w.patient_card),
        ),
        (Err(e), _) | (_, Err(e)) => Outcome::new(false, e.to_string()),
    })
}

fn touch_in(w: &World, spec: &IssueSpec) -> Result<kazasu_health::Receipt, HealthError> {
    let challenge = w.desk.issue_challenge(w.at)?;
    let (a, _) = w.assertion(&w.patient, spec, &challenge)?;
    w.desk.check_in(&a, w.at)
}

fn check_in(w: &mut World) -> Result<Outcome, Failure> {
    Ok(match touch_in(w, &IssueSpec::default()) {
        Ok(r) => Outcome::new(
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
        )
        .detail(serde_json::to_value(&r).unwrap_or_default()),
        Err(e) => Outcome::new(false, e.to_string()),
    })
}

fn check_in_again(w: &mut World) -> Result<Outcome, Failure> {
    Ok(match touch_in(w, &IssueSpec::default()) {
        Ok(r) => Outcome::new(
            r.queue_number == 1,
            format!("queue number {} again", r.queue_number),
        ),
        Err(e) => Outcome::new(false, e.to_string()),
    })
}

fn renewed_card(w: &mut World) -> Result<Outcome, Failure> {
    let renewed = IssueSpec {
        key_slot: 1,
        ..IssueSpec::default()
    };
    let old_id = w
        .first
        .as_ref()
        .and_then(|a| a.certificate.id())
        .ok_or_else(|| failure("no enrolment"))?;
    let challenge = w.eligibility.issue_challenge(w.at).map_err(failure)?;
    let (assertion, _) = w
        .assertion(&w.patient, &renewed, &challenge)
        .map_err(failure)?;
    let new_id = assertion
        .certificate
        .id()
        .ok_or_else(|| failure("the renewed certificate has no AuthorityKeyIdentifier"))?;
    let imported = w
        .eligibility
        .store()
        .import_renewals(&[(old_id.clone(), new_id.clone())])
        .and_then(|_| w.desk.store().import_renewals(&[(old_id, new_id.clone())]));
    let answer = imported.map_err(HealthError::from).and_then(|_| {
        w.eligibility
            .confirm(&w.facility, &Presentation::Assertion(assertion), w.at)
    });
    let receipt = touch_in(w, &renewed);
    Ok(match (answer, receipt) {
        (Ok(a), Ok(r)) => {
            let name = a.result_list.first().map_or("?", |x| x.name.as_str());
            Outcome::new(
                name == w.patient.name.replace(' ', "\u{3000}") && r.patient_card == w.patient_card,
                format!(
                    "new certificate {new_id}: {name} found, patient card {}, queue number {}",
                    r.patient_card, r.queue_number
                ),
            )
        }
        (Err(e), _) | (_, Err(e)) => Outcome::new(false, e.to_string()),
    })
}

fn grace_period(w: &mut World) -> Result<Outcome, Failure> {
    // The insurer's feed links the (now expired) card to the person: the trusted route.
    let holder = w
        .sandbox
        .credentials(&w.expired, &w.expired_spec)
        .map_err(failure)?;
    let id = Certificate::from_der(&holder.auth_certificate)
        .map_err(failure)?
        .id()
        .ok_or_else(|| failure("the test certificate has no AuthorityKeyIdentifier"))?;
    let agency = AgencyCode::new("AGC0000000000011").map_err(failure)?;
    w.eligibility
        .import_trusted_links(
            &TrustedLinkImport::from_trusted_feed("insurer feed (demo)", vec![(id, agency)]),
            w.at,
        )
        .map_err(failure)?;
    let challenge = w.eligibility.issue_challenge(w.at).map_err(failure)?;
    let (a, _) = w
        .assertion(&w.expired, &w.expired_spec, &challenge)
        .map_err(failure)?;
    Ok(
        match w
            .eligibility
            .confirm(&w.facility, &Presentation::Assertion(a), w.at)
        {
            Ok(answer) => {
                let first = answer.result_list.first();
                Outcome::new(
                    answer.binding == Some(Binding::ExpiredCertificateGrace)
                        && !answer.sharing_available
                        && first.is_some_and(|r| !r.name.is_empty()),
                    format!(
                        "grace: {} ({}), insurer {}, ratio {}; medication/care sharing not available",
                        first.map_or("?", |r| r.name.as_str()),
                        first.map_or("?", |r| r.birthdate.as_str()),
                        first.map_or("?", |r| r.insurer_number.as_str()),
                        first
                            .and_then(|r| r.elderly_recipient_contribution_ratio.as_deref())
                            .unwrap_or("-"),
                    ),
                )
            }
            Err(e) => Outcome::new(false, e.to_string()),
        },
    )
}

fn several_qualifications(w: &mut World) -> Result<Outcome, Failure> {
    let spec = IssueSpec {
        key_slot: 6,
        ..IssueSpec::default()
    };
    let challenge = w.eligibility.issue_challenge(w.at).map_err(failure)?;
    let (proof, _) = w
        .proof(&w.overlapping, &spec, &challenge)
        .map_err(failure)?;
    let agency = AgencyCode::new("AGC0000000000022").map_err(failure)?;
    w.eligibility
        .enrol(&agency, &proof, w.at)
        .map_err(failure)?;
    let challenge = w.eligibility.issue_challenge(w.at).map_err(failure)?;
    let (a, _) = w
        .assertion(&w.overlapping, &spec, &challenge)
        .map_err(failure)?;
    Ok(
        match w
            .eligibility
            .confirm(&w.facility, &Presentation::Assertion(a), w.at)
        {
            Ok(answer) => Outcome::new(
                answer.qualification_validity == Some(QualificationValidity::Multiple)
                    && answer.result_list.len() == 2,
                format!(
                    "QualificationValidity 5, insurers {}",
                    answer
                        .result_list
                        .iter()
                        .map(|r| r.insurer_number.as_str())
                        .collect::<Vec<_>>()
                        .join(" and ")
                ),
            ),
            Err(e) => Outcome::new(false, e.to_string()),
        },
    )
}

fn replayed(w: &mut World) -> Result<Outcome, Failure> {
    let first = w.first.clone().ok_or_else(|| failure("no enrolment"))?;
    let answer = w
        .eligibility
        .answer(&w.facility, &Presentation::Assertion(first), w.at);
    let ok =
        answer.processing_result_status == "2" && answer.processing_result_code == Some("K1003");
    Ok(Outcome::new(
        ok,
        format!(
            "ProcessingResultStatus {}, code {}: {}",
            answer.processing_result_status,
            answer.processing_result_code.unwrap_or("-"),
            answer.processing_result_message.as_deref().unwrap_or("")
        ),
    ))
}

fn revoked(w: &mut World) -> Result<Outcome, Failure> {
    let card = w
        .sandbox
        .card(&w.revoked, w.revoked_spec.clone())
        .map_err(failure)?;
    let challenge = w.eligibility.issue_challenge(w.at).map_err(failure)?;
    let outcome = present_card(VirtualTransport::new(card.card), &challenge, w.with_pin())
        .and_then(|(p, _)| w.eligibility.confirm(&w.facility, &p, w.at))
        .map(|_| ());
    Ok(refused(outcome, |e| {
        matches!(e, HealthError::Rejected(Rejection::Revoked { .. }))
    }))
}

fn wrong_pin(w: &mut World) -> Result<Outcome, Failure> {
    let wrong = kazasu_card::AuthPin::new("9999").map_err(failure)?;
    let check = IdentityCheck::Pin {
        pin: &wrong,
        last_try: LastTry::Refuse,
    };
    let card = w
        .sandbox
        .card(
            &w.patient,
            IssueSpec {
                key_slot: 2,
                ..IssueSpec::default()
            },
        )
        .map_err(failure)?;
    let shared = VirtualTransport::new(card.card);
    let challenge = w.eligibility.issue_challenge(w.at).map_err(failure)?;
    let first_try = present_card(shared.clone(), &challenge, check).map(|_| ());
    let second_try = present_card(shared.clone(), &challenge, check).map(|_| ());
    let guarded = present_card(shared, &challenge, check).map(|_| ());
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
    Ok(Outcome::new(
        ok,
        format!(
            "{}; {}; {}",
            describe(&first_try),
            describe(&second_try),
            describe(&guarded)
        ),
    ))
}

fn jst() -> time::UtcOffset {
    time::UtcOffset::from_hms(9, 0, 0).unwrap_or(time::UtcOffset::UTC)
}
