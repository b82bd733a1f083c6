//! The card as a common patient card: link once, then check in with a touch.
//!
//! ```sh
//! cargo run --example checkin
//! cargo run --example checkin --features pcsc -- --reader "Virtual PCD 00 00"
//! ```
#![allow(clippy::print_stdout)]

use std::error::Error;

use kazasu::apdu::Transport;
use kazasu::card::{AuthPin, LastTry};
use kazasu::health::sandbox::Sandbox;
use kazasu::health::{
    ApprovalPurpose, CheckinService, CheckinStore, FacilityStore, IdentityCheck, LinkApproval,
    PatientCardNumber, Presentation, Reservation, SqliteStore, present_card,
};
use kazasu::virtual_card::VirtualTransport;
use kazasu::virtual_card::pki::{IssueSpec, PersonaBuilder};
use time::macros::datetime;

fn open_card(
    sandbox: &Sandbox,
    reader: Option<&str>,
) -> Result<Box<dyn Transport>, Box<dyn Error>> {
    match reader {
        #[cfg(feature = "pcsc")]
        Some(name) => Ok(Box::new(kazasu::pcsc::PcscTransport::connect(
            &kazasu::pcsc::ReaderChoice::Named(name.to_owned()),
            &kazasu::pcsc::Options::default(),
        )?)),
        #[cfg(not(feature = "pcsc"))]
        Some(_) => Err("this example was built without the `pcsc` feature".into()),
        None => {
            let persona = PersonaBuilder::from_seed(0).build()?;
            Ok(Box::new(VirtualTransport::new(
                sandbox.card(&persona, IssueSpec::default())?.card,
            )))
        }
    }
}

fn touch(
    desk: &CheckinService<SqliteStore>,
    sandbox: &Sandbox,
    reader: Option<&str>,
    at: time::OffsetDateTime,
) -> Result<kazasu::pki::AuthAssertion, Box<dyn Error>> {
    let pin = AuthPin::new("1234")?;
    let challenge = desk.issue_challenge(at)?;
    match present_card(
        open_card(sandbox, reader)?,
        &challenge,
        IdentityCheck::Pin {
            pin: &pin,
            last_try: LastTry::Refuse,
        },
    )?
    .0
    {
        Presentation::Assertion(a) => Ok(a),
        Presentation::StaffChecked { .. } => Err("expected a PIN assertion".into()),
    }
}

fn main() -> Result<(), Box<dyn Error>> {
    let reader = std::env::args().skip_while(|a| a != "--reader").nth(1);
    let at = datetime!(2026-11-26 09:45 +09:00);
    let sandbox = Sandbox::new(0, at, &[])?;
    let dir = std::env::temp_dir().join(format!("kazasu-checkin-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let desk = CheckinService::new(
        sandbox.facility()?,
        sandbox.setup.clone(),
        SqliteStore::open(dir.join("clinic.sqlite3"))?,
    );
    // The reception terminal is registered with the service once (its key signs staff approvals).
    let terminal = sandbox.terminal()?;
    desk.store().register_terminal(
        desk.facility(),
        terminal.terminal(),
        &terminal.public_key_der()?,
        at,
    )?;
    let card = PatientCardNumber::new("P-000123")?;

    // Once: staff at the desk check the patient and approve linking the card to the patient card
    // (a card can never link itself to a number on its own).
    let assertion = touch(&desk, &sandbox, reader.as_deref(), at)?;
    let approval = terminal.approve(
        "nurse-07",
        ApprovalPurpose::LinkPatientCard(card.clone()),
        &assertion.certificate,
        at,
    )?;
    desk.link(&assertion, &card, &LinkApproval::Staff(approval), at)?;
    desk.store().add_reservation(
        desk.facility(),
        &card,
        &Reservation::new(at.date(), "10:30", "内科"),
    )?;

    // Each visit: a touch finds the patient, the day's reservations, and a queue number.
    let receipt = desk.check_in(&touch(&desk, &sandbox, reader.as_deref(), at)?, at)?;
    println!("{}", serde_json::to_string_pretty(&receipt)?);
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}
