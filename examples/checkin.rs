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
    CheckinService, CheckinStore, FacilityCode, IdentityCheck, PatientCardNumber, Presentation,
    Reservation, SqliteStore, present_card,
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
        Presentation::StaffChecked(_) => Err("expected a PIN assertion".into()),
    }
}

fn main() -> Result<(), Box<dyn Error>> {
    let reader = std::env::args().skip_while(|a| a != "--reader").nth(1);
    let at = datetime!(2026-11-26 09:45 +09:00);
    let sandbox = Sandbox::new(0, at, &[])?;
    let dir = std::env::temp_dir().join(format!("kazasu-checkin-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let desk = CheckinService::new(
        FacilityCode::new("1312345678")?,
        sandbox.setup.clone(),
        SqliteStore::open(dir.join("clinic.sqlite3"))?,
        time::Duration::minutes(5),
    );
    let card = PatientCardNumber::new("P-000123")?;

    // Once: the patient links the card to the clinic's patient card.
    desk.link(&touch(&desk, &sandbox, reader.as_deref(), at)?, &card, at)?;
    desk.store().add_reservation(
        desk.facility(),
        &card,
        &Reservation {
            day: at.date(),
            time: "10:30".into(),
            department: "内科".into(),
        },
    )?;

    // Each visit: a touch finds the patient, the day's reservations, and a queue number.
    let receipt = desk.check_in(&touch(&desk, &sandbox, reader.as_deref(), at)?, at)?;
    println!("{}", serde_json::to_string_pretty(&receipt)?);
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}
