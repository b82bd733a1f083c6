//! `kazasu onshi touch`: what a face reader (顔認証付きカードリーダー) does at a card visit — read the
//! card, identify the person (PIN, or staff checking them against the card-face photo), confirm
//! eligibility, and leave the result message in `DIR/face`.

use clap::Args;
use kazasu_health::{IdentityCheck, present_card};

use super::{SystemArgs, spool};
use crate::Failure;
use crate::card::{SecretArgs, Source};

#[derive(Args, Debug)]
pub(crate) struct TouchArgs {
    #[command(flatten)]
    system: SystemArgs,
    #[command(flatten)]
    source: Source,
    #[command(flatten)]
    secret: SecretArgs,
    /// Staff checked the person against the card-face photo (目視確認): no PIN; the clinic's
    /// terminal signs this staff member's approval.
    #[arg(long, value_name = "STAFF")]
    staff: Option<String>,
}

pub(crate) fn run(args: &TouchArgs) -> Result<(), Failure> {
    let clock = args.system.clock()?;
    let at = clock.now();
    let system = args.system.system(at)?;
    let dir = &args.system.dir;
    let face = dir.join("face");
    std::fs::create_dir_all(&face).map_err(super::io_failure("cannot create", &face))?;
    let transport = crate::card::open(&args.source)?;
    let pin;
    let check = match &args.staff {
        Some(staff) => IdentityCheck::StaffVerified {
            terminal: &system.terminal,
            staff,
            at,
            genuineness: None,
        },
        None => {
            pin = kazasu_card::AuthPin::new(&args.secret.read("Authentication PIN (4 digits): ")?)
                .map_err(|e| Failure::usage(format!("PIN: {e}")))?;
            IdentityCheck::Pin {
                pin: &pin,
                last_try: args.secret.last_try(),
            }
        }
    };
    let challenge = system
        .service
        .issue_challenge(at)
        .map_err(|e| Failure::usage(format!("cannot issue a challenge: {e}")))?;
    // A card that cannot be read or refuses the PIN leaves no result: the reader asks again.
    let (presented, _) = present_card(transport, &challenge, check)
        .map_err(|e| Failure::refused(format!("card visit failed: {e}")))?;
    let answer = system.service.answer(&system.facility, &presented, at);
    let (name, bytes, summary) = super::respond::face_result(&system, &answer, at)?;
    spool::write_atomically(&face, &name, &bytes)
        .map_err(super::io_failure("cannot write into", &face))?;
    println!("{}: {summary}", face.join(&name).display());
    Ok(())
}
