//! The consent steps of the demo: a regional network's consent ledger with consents signed by the
//! My Number Card (the patient's, then a parent's for a child).

use std::path::PathBuf;

use kazasu_card::{LastTry, SignPassword};
use kazasu_consent::{
    Action, Actor, ConsentDocument, ConsentKind, ConsentRecord, DataClass, Decision, DenyReason,
    Grantee, JpkiIdentity, Patient, Pattern, Performer, Period, Policy, Purpose, fhir,
};
use kazasu_pki::Certificate;
use kazasu_virtual_card::pki::{IssueSpec, PersonaBuilder};
use serde_json::json;
use time::{Date, Duration, OffsetDateTime};

use super::world::{World, failure};
use super::{Outcome, Step};
use crate::Failure;
use crate::consent_cmd::{JpkiSigner, TEST_MEMBERS, TestNetwork};

/// The consent steps, appended to the demo's list.
pub(crate) const STEPS: &[Step] = &[
    Step {
        name: "consent to a listed set",
        expected: "the patient signs with the card's signature key (CAdES B-T); recorded in the ledger",
        run: consent_listed,
    },
    Step {
        name: "member clinic on the list asks",
        expected: "permitted, naming the consent entry",
        run: member_permitted,
    },
    Step {
        name: "clinic outside the list asks",
        expected: "refused: actor not covered",
        run: non_member_refused,
    },
    Step {
        name: "consent as FHIR R4",
        expected: "a Consent resource (permit provision, the signed document attached, JPKI evidence extension) that imports back",
        run: consent_fhir,
    },
    Step {
        name: "consent withdrawn",
        expected: "the withdrawal is signed and appended; the member clinic is then refused (withdrawn)",
        run: consent_withdrawn,
    },
    Step {
        name: "tampered ledger row",
        expected: "the audit re-verifies chain, checkpoints and signatures and names the edited entry",
        run: tampered_row,
    },
    Step {
        name: "representative consents for a child",
        expected: "a parent signs with their own card; the clinic is permitted until the child comes of age",
        run: representative_for_child,
    },
];

const PATIENT: &str = "net-patient-0001";
const CONSENT: &str = "consent-0001";
const NON_MEMBER: &str = "2799999999";

/// The consent part of the demo's world.
pub(crate) struct ConsentDemo {
    path: PathBuf,
    network: TestNetwork,
    record: Option<ConsentRecord>,
}

impl Drop for ConsentDemo {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm"] {
            let mut p = self.path.clone().into_os_string();
            p.push(suffix);
            let _ = std::fs::remove_file(p);
        }
    }
}

fn demo(w: &mut World) -> Result<&mut ConsentDemo, Failure> {
    if w.consent.is_none() {
        let path = std::env::temp_dir().join(format!(
            "kazasu-demo-consent-{}-{}.db",
            std::process::id(),
            OffsetDateTime::now_utc().unix_timestamp_nanos()
        ));
        let network = TestNetwork::open(&path, w.at)?;
        w.consent = Some(ConsentDemo {
            path,
            network,
            record: None,
        });
    }
    w.consent
        .as_mut()
        .ok_or_else(|| Failure::usage("consent demo state missing"))
}

fn patient_signer(w: &World) -> Result<JpkiSigner, Failure> {
    let transport = w.touch(&w.patient, &IssueSpec::default())?;
    let password = SignPassword::new(&w.patient.sign_password).map_err(failure)?;
    JpkiSigner::open(transport, password, LastTry::Refuse)
}

fn policy() -> Policy {
    Policy {
        uri: "https://example.invalid/kazasu-test-network/terms".into(),
        version: "1".into(),
    }
}

fn consent_listed(w: &mut World) -> Result<Outcome, Failure> {
    let at = w.at;
    let facility = w.facility.as_str().to_owned();
    let mut signer = patient_signer(w)?;
    let cert = signer.certificate()?;
    let birth_date = cert
        .personal_data()
        .map_err(failure)?
        .map(|p| p.birth_date.date)
        .ok_or_else(|| Failure::usage("no birth date in the signature certificate"))?;
    let record = ConsentRecord {
        id: CONSENT.into(),
        network: crate::consent_cmd::TEST_NETWORK.into(),
        kind: ConsentKind::Network,
        patient: Patient {
            network_id: PATIENT.into(),
            jpki: JpkiIdentity::of(&cert).map_err(failure)?,
            birth_date,
        },
        pattern: Pattern::Listed,
        grantees: vec![
            Grantee::Facility(facility),
            Grantee::Facility(TEST_MEMBERS[1].into()),
        ],
        classes: vec![
            DataClass::Medication,
            DataClass::DiagnosesAndCare,
            DataClass::Labs,
        ],
        purposes: vec![Purpose::Treatment],
        period: Period {
            start: at,
            end: Some(at + Duration::days(365)),
        },
        performer: Performer::Patient,
        policy: policy(),
    };
    let doc = ConsentDocument {
        action: Action::Grant,
        at,
        performer: Performer::Patient,
        record: record.clone(),
    };
    let d = demo(w)?;
    let outcome = match d.network.sign_and_record(&doc, &mut signer, at) {
        Ok(seq) => {
            d.record = Some(record);
            Outcome::new(
                true,
                format!(
                    "entry {seq}: {} consents for 2 listed facilities (medication, diagnoses-care, labs)",
                    w.patient.name
                ),
            )
        }
        Err(e) => Outcome::new(false, e.message().to_owned()),
    };
    Ok(outcome)
}

fn decide(w: &mut World, facility: &str, at: OffsetDateTime) -> Result<Decision, Failure> {
    let d = demo(w)?;
    d.network
        .ledger
        .check(
            PATIENT,
            &Actor::Facility {
                facility: facility.into(),
            },
            &DataClass::Medication,
            &Purpose::Treatment,
            at,
        )
        .map_err(failure)
}

fn member_permitted(w: &mut World) -> Result<Outcome, Failure> {
    let facility = w.facility.as_str().to_owned();
    let decision = decide(w, &facility, w.at + Duration::hours(1))?;
    Ok(Outcome::new(
        decision.is_permit(),
        format!("{facility}: {}", describe(&decision)),
    )
    .detail(json!(decision)))
}

fn non_member_refused(w: &mut World) -> Result<Outcome, Failure> {
    let decision = decide(w, NON_MEMBER, w.at + Duration::hours(1))?;
    let ok = matches!(
        decision,
        Decision::Deny {
            reason: DenyReason::ActorNotCovered
        }
    );
    Ok(Outcome::new(ok, format!("{NON_MEMBER}: {}", describe(&decision))).detail(json!(decision)))
}

fn describe(d: &Decision) -> String {
    match d {
        Decision::Permit {
            seq,
            consent_id,
            basis,
        } => format!("permitted by {consent_id} (entry {seq}, {basis:?})"),
        Decision::Deny { reason } => format!("refused: {reason}"),
    }
}

fn consent_fhir(w: &mut World) -> Result<Outcome, Failure> {
    let at = w.at;
    let d = demo(w)?;
    let resources = d.network.export(PATIENT, at)?;
    let Some((_, resource)) = resources.into_iter().next() else {
        return Ok(Outcome::new(false, "no consent to export"));
    };
    let bytes = serde_json::to_vec(&resource).map_err(failure)?;
    let back = fhir::import(&bytes);
    let same = back
        .as_ref()
        .is_ok_and(|b| Some(&b.record) == d.record.as_ref());
    // The whole resource (with the signed document in base64) is in --json's detail.
    let outcome = format!(
        "Consent status {}, scope {}, {} bytes; re-imported: {}; provision: {}",
        resource["status"].as_str().unwrap_or("?"),
        resource["scope"]["coding"][0]["code"]
            .as_str()
            .unwrap_or("?"),
        bytes.len(),
        if same { "the same record" } else { "DIFFERENT" },
        resource["provision"]
    );
    Ok(Outcome::new(same, outcome).detail(resource))
}

fn consent_withdrawn(w: &mut World) -> Result<Outcome, Failure> {
    let at = w.at + Duration::hours(2);
    let Some(record) = demo(w)?.record.clone() else {
        return Ok(Outcome::new(false, "no consent to withdraw"));
    };
    let mut signer = patient_signer(w)?;
    let doc = ConsentDocument {
        action: Action::Withdraw,
        at,
        performer: Performer::Patient,
        record,
    };
    let seq = match demo(w)?.network.sign_and_record(&doc, &mut signer, at) {
        Ok(seq) => seq,
        Err(e) => return Ok(Outcome::new(false, e.message().to_owned())),
    };
    let facility = w.facility.as_str().to_owned();
    let decision = decide(w, &facility, at + Duration::minutes(1))?;
    let ok = matches!(
        decision,
        Decision::Deny {
            reason: DenyReason::Withdrawn { seq: s }
        } if s == seq
    );
    Ok(Outcome::new(
        ok,
        format!(
            "withdrawal appended as entry {seq}; {facility}: {}",
            describe(&decision)
        ),
    )
    .detail(json!(decision)))
}

fn tampered_row(w: &mut World) -> Result<Outcome, Failure> {
    let d = demo(w)?;
    let key = d.network.ledger.public_key_der().map_err(failure)?;
    let clean = d.network.ledger.audit(&key, true).map_err(failure)?;
    // Someone with database access adds the non-member to the signed consent's list.
    let conn = rusqlite::Connection::open(&d.path).map_err(failure)?;
    let body: Vec<u8> = conn
        .query_row("SELECT body FROM ledger WHERE seq = 0", [], |r| r.get(0))
        .map_err(failure)?;
    let edited = String::from_utf8_lossy(&body).replacen(TEST_MEMBERS[1], NON_MEMBER, 1);
    conn.execute(
        "UPDATE ledger SET body = ?1 WHERE seq = 0",
        [edited.as_bytes()],
    )
    .map_err(failure)?;
    let report = d.network.ledger.audit(&key, true).map_err(failure)?;
    // Put the row back so the ledger is whole again for the next step.
    conn.execute("UPDATE ledger SET body = ?1 WHERE seq = 0", [&body])
        .map_err(failure)?;
    let restored = d.network.ledger.audit(&key, true).map_err(failure)?;
    let caught = report.first_break.as_ref().is_some_and(|b| b.seq == 0);
    let ok = clean.is_intact() && caught && restored.is_intact();
    let outcome = match &report.first_break {
        Some(b) => format!(
            "before: {} entries, {} signatures, {} checkpoints intact; after the edit: entry {} — {}; restored: intact",
            clean.rows, clean.signatures, clean.checkpoints, b.seq, b.problem
        ),
        None => "the edit was not found".into(),
    };
    Ok(Outcome::new(ok, outcome)
        .detail(json!({"before": clean, "tampered": report, "restored": restored})))
}

fn representative_for_child(w: &mut World) -> Result<Outcome, Failure> {
    let at = w.at;
    let build = |seed, name| {
        PersonaBuilder::from_seed(seed)
            .name(name)
            .build()
            .map_err(failure)
    };
    let parent = build(6, "山田 太郎")?;
    let parent_spec = IssueSpec {
        key_slot: 6,
        ..IssueSpec::default()
    };
    let child = build(7, "山田 さくら")?;
    let child_spec = IssueSpec {
        key_slot: 7,
        ..IssueSpec::default()
    };
    let child_auth = w
        .sandbox
        .credentials(&child, &child_spec)
        .map_err(failure)?
        .auth_certificate;
    let child_id =
        JpkiIdentity::of(&Certificate::from_der(&child_auth).map_err(failure)?).map_err(failure)?;
    let card = w.sandbox.card(&parent, parent_spec).map_err(failure)?;
    let transport = Box::new(kazasu_virtual_card::VirtualTransport::new(card.card));
    let password = SignPassword::new(&parent.sign_password).map_err(failure)?;
    let mut signer = JpkiSigner::open(transport, password, LastTry::Refuse)?;
    let parent_id = JpkiIdentity::of(&signer.certificate()?).map_err(failure)?;
    let born = Date::from_calendar_date(2016, time::Month::May, 5).map_err(failure)?;
    let representative = Performer::Representative {
        name: parent.name.clone(),
        relationship: "PRN".into(),
        jpki: parent_id,
    };
    let record = ConsentRecord {
        id: "consent-child-0001".into(),
        network: crate::consent_cmd::TEST_NETWORK.into(),
        kind: ConsentKind::Network,
        patient: Patient {
            network_id: "net-patient-0002".into(),
            jpki: child_id,
            birth_date: born,
        },
        pattern: Pattern::Listed,
        grantees: vec![Grantee::Facility(w.facility.as_str().to_owned())],
        classes: vec![DataClass::Medication, DataClass::CheckUps],
        purposes: vec![Purpose::Treatment],
        period: Period {
            start: at,
            end: None,
        },
        performer: representative.clone(),
        policy: policy(),
    };
    let doc = ConsentDocument {
        action: Action::Grant,
        at,
        performer: representative,
        record,
    };
    let facility = w.facility.as_str().to_owned();
    let d = demo(w)?;
    let seq = match d.network.sign_and_record(&doc, &mut signer, at) {
        Ok(seq) => seq,
        Err(e) => return Ok(Outcome::new(false, e.message().to_owned())),
    };
    let ask = |when| {
        d.network.ledger.check(
            "net-patient-0002",
            &Actor::Facility {
                facility: facility.clone(),
            },
            &DataClass::Medication,
            &Purpose::Treatment,
            when,
        )
    };
    let now = ask(at + Duration::hours(1)).map_err(failure)?;
    let majority = born
        .replace_year(born.year() + kazasu_consent::model::MAJORITY_AGE)
        .map_err(failure)?
        .midnight()
        .assume_offset(at.offset());
    let later = ask(majority + Duration::hours(10)).map_err(failure)?;
    let ok = now.is_permit()
        && matches!(
            later,
            Decision::Deny {
                reason: DenyReason::RepresentativeAuthorityEnded
            }
        );
    Ok(Outcome::new(
        ok,
        format!(
            "entry {seq}: {} (PRN) for a child born {born}; now {}; at 18: {}",
            parent.name,
            describe(&now),
            describe(&later)
        ),
    )
    .detail(json!({"now": now, "at_majority": later})))
}
