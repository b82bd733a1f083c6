//! The demo's HPKI ↔ JPKI linkage steps: the patient of the other steps, 山田 花子, is also a medical
//! doctor in the sandbox registry (licence 100001).

use kazasu_card::{HpkiAp, HpkiPin, LastTry};
use kazasu_health::HealthError;
use kazasu_health::SqliteStore;
use kazasu_health::qualification::sandbox::{JpkiEvent, jpki_crls_for, professionals, sex_of};
use kazasu_health::qualification::{
    Application, JpkiRevocationCause, Linkage, LinkageState, LinkageStore, Refusal,
    SuspensionReason,
};
use kazasu_health::sandbox::Sandbox;
use kazasu_sign::cms::{SignOptions, sign};
use kazasu_virtual_card::VirtualTransport;
use kazasu_virtual_card::pki::IssueSpec;
use serde_json::json;
use time::{Duration, OffsetDateTime};

use super::world::{World, failure};
use super::{Outcome, Step};
use crate::Failure;
use crate::hpki_link::{HpkiCardSigner, JpkiCardSigner, LinkWorld, linkage_json, sign_application};

/// The linkage world, made by the first step.
pub(crate) struct LinkState {
    world: LinkWorld<SqliteStore>,
    doctor: Option<Linkage>,
    first_letter: Option<Vec<u8>>,
}

pub(crate) const STEPS: &[Step] = &[
    Step {
        name: "HPKI application signed with the My Number Card",
        expected: "signature, path and revocation verified; 基本4情報 match the card and the registry; linked to both JPKI certificates",
        run: apply,
    },
    Step {
        name: "mismatched HPKI application",
        expected: "refused: the card holder's name does not match; nothing written",
        run: mismatched,
    },
    Step {
        name: "HPKI card issued",
        expected: "the sandbox HPKI CA issues a card with hcRole Medical Doctor; linkage active",
        run: issue,
    },
    Step {
        name: "referral letter signed and verified",
        expected: "a PDF letter signed with the HPKI card (PAdES B-T); the receiving hospital accepts it",
        run: letter_ok,
    },
    Step {
        name: "doctor's JPKI certificates revoked (death)",
        expected: "the new CRL suspends the linkage: both certificates revoked, so death",
        run: death,
    },
    Step {
        name: "letters after the suspension",
        expected: "a new letter is refused; the letter signed before stays valid",
        run: letters_after,
    },
    Step {
        name: "pharmacist signs a referral letter",
        expected: "refused: a referral letter needs Medical Doctor or Dentist",
        run: pharmacist,
    },
];

fn state(w: &mut World) -> Result<&mut LinkState, Failure> {
    if w.link.is_none() {
        let sandbox = Sandbox::new(0, w.at, &[]).map_err(failure)?;
        let store = SqliteStore::in_memory().map_err(failure)?;
        w.link = Some(Box::new(LinkState {
            world: LinkWorld::new(sandbox, w.at, store)?,
            doctor: None,
            first_letter: None,
        }));
    }
    w.link
        .as_deref_mut()
        .ok_or_else(|| failure("no linkage world"))
}

fn application(w: &World, name: &str) -> Result<Application, Failure> {
    let p = &w.patient;
    Application::new(
        name,
        "ヤマダ ハナコ",
        p.birth_date,
        sex_of(p),
        kazasu_health::qualification::Profession::MedicalDoctor,
        "100001",
        "kazasu 中央病院",
    )
    .map_err(failure)
}

fn signed_application(w: &World, name: &str) -> Result<Vec<u8>, Failure> {
    let app = application(w, name)?;
    let transport = w.touch(&w.patient, &IssueSpec::default())?;
    let mut signer = JpkiCardSigner::open(transport, w.password.clone(), LastTry::Refuse)?;
    sign_application(&mut signer, &app, w.at)
}

fn apply(w: &mut World) -> Result<Outcome, Failure> {
    let signed = signed_application(w, &w.patient.name.clone())?;
    let at = w.at;
    let s = state(w)?;
    match s.world.desk.apply(&signed, at) {
        Ok(l) => {
            let detail = linkage_json(&l);
            let out = format!("linkage {} applied", l.id);
            s.doctor = Some(l);
            Ok(Outcome::new(true, out).detail(detail))
        }
        Err(e) => Ok(Outcome::new(false, format!("refused: {e}"))),
    }
}

fn mismatched(w: &mut World) -> Result<Outcome, Failure> {
    let signed = signed_application(w, "山田 太郎")?;
    let at = w.at;
    let s = state(w)?;
    let before = s.world.desk.store().linkages().map_err(failure)?.len();
    let r = s.world.desk.apply(&signed, at);
    let after = s.world.desk.store().linkages().map_err(failure)?.len();
    Ok(match r {
        Ok(_) => Outcome::new(false, "accepted (should have been refused)"),
        Err(e) => Outcome::new(
            matches!(e, HealthError::Mismatch { field: "name" }) && before == after,
            format!("refused ({}): {e}", e.result_code()),
        ),
    })
}

fn issue(w: &mut World) -> Result<Outcome, Failure> {
    let at = w.at;
    let s = state(w)?;
    let Some(l) = s.doctor.clone() else {
        return Ok(Outcome::new(false, "no application to issue for"));
    };
    let card = s.world.hpki.issue_card(&l, 0).map_err(failure)?;
    let mut reader = HpkiCardSigner::open(
        Box::new(VirtualTransport::new(card.card)),
        HpkiAp::Signature,
        HpkiPin::new("1234").map_err(failure)?,
        Vec::new(),
    )?;
    let (sign_der, auth_der) = reader.certificates()?;
    let cert = |d: &[u8]| kazasu_pki::Certificate::from_der(d).map_err(failure);
    match s
        .world
        .desk
        .record_issuance(&l.id, &cert(&sign_der)?, Some(&cert(&auth_der)?), at)
    {
        Ok(active) => {
            let ok = active.state == LinkageState::Active;
            s.doctor = Some(active);
            Ok(Outcome::new(
                ok,
                "HPKI certificates (Medical Doctor) linked; linkage active",
            ))
        }
        Err(e) => Ok(Outcome::new(false, format!("refused: {e}"))),
    }
}

/// A PDF letter (PAdES B-T) signed on the virtual HPKI card issued for `linkage` (slot `slot`), timestamped at `at`.
fn sign_letter(
    s: &LinkState,
    linkage: &Linkage,
    slot: u64,
    at: OffsetDateTime,
) -> Result<Vec<u8>, Failure> {
    let card = s.world.hpki.issue_card(linkage, slot).map_err(failure)?;
    let mut signer = HpkiCardSigner::open(
        Box::new(VirtualTransport::new(card.card)),
        HpkiAp::Signature,
        HpkiPin::new("1234").map_err(failure)?,
        vec![s.world.hpki.signature_ca()],
    )?;
    let tsa = s.world.hpki.tsa_at(at).map_err(failure)?;
    let mut options = kazasu_sign::pades::PadesOptions::default();
    options.signing_time = Some(at);
    options.tsa = Some(&tsa);
    let pdf = kazasu_sign::pades::sample_referral_letter().map_err(failure)?;
    kazasu_sign::pades::sign_pdf(&pdf, &mut signer, &options).map_err(failure)
}

fn letter_ok(w: &mut World) -> Result<Outcome, Failure> {
    let at = w.at + Duration::minutes(10);
    let s = state(w)?;
    let Some(l) = s.doctor.clone() else {
        return Ok(Outcome::new(false, "no doctor"));
    };
    let letter = sign_letter(s, &l, 0, at)?;
    let r = s.world.desk.check_referral_pdf(&letter, at);
    s.first_letter = Some(letter);
    Ok(match r {
        Ok(c) => Outcome::new(
            true,
            format!(
                "accepted: signed by {} ({}) at {} (timestamp)",
                c.signer,
                c.roles.join(", "),
                c.signed_at
            ),
        )
        .detail(json!(c)),
        Err(e) => Outcome::new(false, format!("refused: {e}")),
    })
}

fn death(w: &mut World) -> Result<Outcome, Failure> {
    let died = w.at + Duration::hours(1);
    let crl_at = w.at + Duration::hours(2);
    let persona = w.patient.clone();
    let s = state(w)?;
    let holder = s
        .world
        .sandbox
        .credentials(&persona, &IssueSpec::default())
        .map_err(failure)?;
    let crls = jpki_crls_for(&s.world.sandbox, &holder, JpkiEvent::Death, died, crl_at)
        .map_err(failure)?;
    let suspended = s.world.desk.apply_crls(&crls, crl_at).map_err(failure)?;
    let ok = suspended.len() == 1
        && matches!(
            suspended[0].reason,
            SuspensionReason::JpkiRevoked {
                cause: JpkiRevocationCause::Death,
                ..
            }
        );
    Ok(Outcome::new(
        ok,
        suspended
            .first()
            .map(|x| {
                format!(
                    "linkage {} suspended since {}: {}",
                    x.linkage, x.since, x.reason
                )
            })
            .unwrap_or_else(|| "nothing suspended".into()),
    ))
}

fn letters_after(w: &mut World) -> Result<Outcome, Failure> {
    let later = w.at + Duration::hours(3);
    let s = state(w)?;
    let (Some(l), Some(first)) = (s.doctor.clone(), s.first_letter.clone()) else {
        return Ok(Outcome::new(false, "no doctor or first letter"));
    };
    let new_letter = sign_letter(s, &l, 0, later)?;
    let new = s.world.desk.check_referral_pdf(&new_letter, later);
    let old = s.world.desk.check_referral_pdf(&first, later);
    let refused_ok = matches!(
        &new,
        Err(HealthError::Qualification(Refusal::Suspended { .. }))
    );
    Ok(Outcome::new(
        refused_ok && old.is_ok(),
        format!(
            "new letter: {}; first letter: {}",
            match &new {
                Ok(_) => "accepted (should have been refused)".to_owned(),
                Err(e) => format!("refused ({}): {e}", e.result_code()),
            },
            match &old {
                Ok(c) => format!(
                    "still valid (signed {} while active; linkage now {})",
                    c.signed_at, c.state_now
                ),
                Err(e) => format!("refused: {e}"),
            }
        ),
    ))
}

fn pharmacist(w: &mut World) -> Result<Outcome, Failure> {
    let at = w.at;
    let s = state(w)?;
    let p = professionals().map_err(failure)?.swap_remove(2);
    let holder = s
        .world
        .sandbox
        .credentials(&p.persona, &IssueSpec::default())
        .map_err(failure)?;
    let app = Application::new(
        p.persona.name.clone(),
        "テスト",
        p.persona.birth_date,
        sex_of(&p.persona),
        p.profession,
        p.registration_number,
        "kazasu 薬局",
    )
    .map_err(failure)?;
    let mut signer = kazasu_health::qualification::sandbox::jpki_signer(&s.world.sandbox, &holder)
        .map_err(failure)?;
    let mut options = SignOptions::default();
    options.attached = true;
    let signed = sign(&app.to_signed_content(), &mut signer, &options).map_err(failure)?;
    let linkage = s.world.desk.apply(&signed, at).map_err(failure)?;
    let card = s.world.hpki.issue_card(&linkage, 2).map_err(failure)?;
    let cert =
        kazasu_pki::Certificate::from_der(&card.credentials.sign_certificate).map_err(failure)?;
    s.world
        .desk
        .record_issuance(&linkage.id, &cert, None, at)
        .map_err(failure)?;
    let letter = sign_letter(s, &linkage, 2, at + Duration::minutes(5))?;
    Ok(match s.world.desk.check_referral_pdf(&letter, at) {
        Ok(_) => Outcome::new(false, "accepted (should have been refused)"),
        Err(e) => Outcome::new(
            matches!(
                e,
                HealthError::Qualification(Refusal::RoleNotAccepted { .. })
            ),
            format!("refused ({}): {e}", e.result_code()),
        ),
    })
}
