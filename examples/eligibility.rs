//! Online insurance eligibility confirmation, as a clinic system would run it.
//!
//! ```sh
//! cargo run --example eligibility                       # the built-in virtual card
//! cargo run --example eligibility --features pcsc -- --reader "Virtual PCD 00 00"
//! ```
//!
//! The service side runs in the same process here; in production the challenge comes from, and the
//! assertion goes to, the eligibility system over the network.
#![allow(clippy::print_stdout)]

use std::error::Error;

use kazasu::apdu::Transport;
use kazasu::card::{AuthPin, LastTry, SignPassword};
use kazasu::health::sandbox::{Sandbox, person_record};
use kazasu::health::{
    AgencyCode, EligibilityService, EligibilityStore, IdentityCheck, SqliteStore, present_card,
    prove_card_holder,
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

fn main() -> Result<(), Box<dyn Error>> {
    let reader = std::env::args().skip_while(|a| a != "--reader").nth(1);
    let at = datetime!(2026-11-26 10:00 +09:00);

    // The eligibility system: trusts the test PKI (use `Verifier::jlis()` roots in production), keeps
    // its records in SQLite, and knows 山田 花子 by her agency code.
    let sandbox = Sandbox::new(0, at, &[])?;
    let agency = AgencyCode::new("AGC0000000000001")?;
    // J-LIS tells the service which certificates are one card's (the sandbox knows its cards).
    let service = EligibilityService::new(
        sandbox.setup.clone(),
        SqliteStore::in_memory()?,
        sandbox.card_links.clone(),
    );
    let persona = PersonaBuilder::from_seed(0).build()?;
    let (person, qualifications) = person_record(&persona, &agency, at.date())?;
    service.store().put_person(&person, &qualifications)?;

    let pin = AuthPin::new("1234")?;
    let password = SignPassword::new("ABC123")?;
    let check = IdentityCheck::Pin {
        pin: &pin,
        last_try: LastTry::Refuse,
    };

    // Enrolment (健康保険証利用登録), once: both keys sign the service's challenge, and the signature
    // certificate's name, birth date and sex must match the person's record.
    let challenge = service.issue_challenge(at)?;
    let (proof, _) = prove_card_holder(
        open_card(&sandbox, reader.as_deref())?,
        &challenge,
        &pin,
        &password,
        LastTry::Refuse,
    )?;
    service.enrol(&agency, &proof, at)?;

    // At every visit: the card over the reader, the PIN, the answer.
    let challenge = service.issue_challenge(at)?;
    let (presented, stats) =
        present_card(open_card(&sandbox, reader.as_deref())?, &challenge, check)?;
    let answer = service.confirm(&sandbox.facility()?, &presented, at)?;
    println!("{} APDUs at the reader", stats.commands);
    println!("{}", serde_json::to_string_pretty(&answer)?);
    Ok(())
}
