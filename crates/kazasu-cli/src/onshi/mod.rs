//! `kazasu onshi`: a test double of the オンライン資格確認 terminal's file interface. Clinic systems
//! write requests into `DIR/req` and read answers from `DIR/res`; card visits leave result files in
//! `DIR/face`. The answers come from the sandbox eligibility system ([`system`]); the file handling
//! is in [`spool`].

mod respond;
mod spool;
mod system;
mod touch;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use clap::{Args, Subcommand};
use kazasu_health::{EligibilityStore, FacilityCode, SqliteStore};
use time::OffsetDateTime;

use crate::Failure;
use system::System;

#[derive(Subcommand, Debug)]
pub(crate) enum OnshiCommand {
    /// Answer the requests clinic systems write into DIR/req, into DIR/res.
    Serve(ServeArgs),
    /// A card visit at the face reader: read the card, confirm, write the result into DIR/face.
    Touch(touch::TouchArgs),
    /// Print a request or result file as JSON (exit 2 when it is not one).
    Parse(ParseArgs),
}

/// The eligibility system the double answers from.
#[derive(Args, Debug, Clone)]
pub(crate) struct SystemArgs {
    /// The terminal's folder (`req`, `res` and `face` under it are created when missing).
    #[arg(long, value_name = "DIR")]
    dir: PathBuf,
    /// The clinic's 医療機関コード (10 digits); requests for another facility are refused.
    #[arg(long, value_name = "CODE", default_value = kazasu_health::sandbox::SANDBOX_FACILITY)]
    facility: String,
    /// Keep the eligibility data in this SQLite file (shared by `serve` and `touch`, so a 照会番号
    /// registered by file comes back with a card visit); in memory without it.
    #[arg(long, value_name = "FILE")]
    store: Option<PathBuf>,
    /// A fixed clock (RFC 3339, or a date meaning 10:00 JST); the current time without it.
    #[arg(long, value_name = "TIME")]
    at: Option<String>,
}

impl SystemArgs {
    fn clock(&self) -> Result<Clock, Failure> {
        match &self.at {
            None => Ok(Clock::Now),
            Some(text) => crate::time_arg::parse(
                text,
                time::Time::from_hms(10, 0, 0).unwrap_or(time::Time::MIDNIGHT),
            )
            .map(Clock::Fixed)
            .map_err(|e| Failure::usage(format!("--at: {e}"))),
        }
    }

    fn system(&self, at: OffsetDateTime) -> Result<System<SqliteStore>, Failure> {
        let facility = FacilityCode::new(&self.facility)
            .map_err(|e| Failure::usage(format!("--facility: {e}")))?;
        let store = match &self.store {
            Some(path) => SqliteStore::open(path).map_err(|e| {
                Failure::usage(format!("cannot open the store {}: {e}", path.display()))
            })?,
            None => SqliteStore::in_memory()
                .map_err(|e| Failure::usage(format!("cannot open a store: {e}")))?,
        };
        open_system(at, facility, store)
    }
}

/// The sandbox system over any store.
fn open_system<S: EligibilityStore>(
    at: OffsetDateTime,
    facility: FacilityCode,
    store: S,
) -> Result<System<S>, Failure> {
    System::new(at, facility, store)
        .map_err(|e| Failure::usage(format!("cannot set up the sandbox eligibility system: {e}")))
}

/// The time answers are made at.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Clock {
    Now,
    Fixed(OffsetDateTime),
}

impl Clock {
    pub(crate) fn now(self) -> OffsetDateTime {
        match self {
            Clock::Now => OffsetDateTime::now_utc(),
            Clock::Fixed(t) => t,
        }
    }
}

#[derive(Args, Debug)]
pub(crate) struct ServeArgs {
    #[command(flatten)]
    system: SystemArgs,
    /// Answer the requests waiting now, then exit.
    #[arg(long)]
    once: bool,
    /// How often to look into DIR/req, in milliseconds (a request is read once two looks agree).
    #[arg(long, value_name = "MS", default_value_t = 100)]
    poll_ms: u64,
}

#[derive(Args, Debug)]
pub(crate) struct ParseArgs {
    /// The file (its name is checked against its content when it follows the OQS naming).
    file: PathBuf,
    /// One JSON object (the default prints it indented).
    #[arg(long)]
    json: bool,
}

pub(crate) fn run(cmd: OnshiCommand) -> Result<(), Failure> {
    match cmd {
        OnshiCommand::Serve(args) => serve(&args),
        OnshiCommand::Touch(args) => touch::run(&args),
        OnshiCommand::Parse(args) => parse(&args),
    }
}

fn io_failure(what: &str, path: &Path) -> impl Fn(std::io::Error) -> Failure {
    let place = format!("{what} {}", path.display());
    move |e| Failure::usage(format!("{place}: {e}"))
}

fn serve(args: &ServeArgs) -> Result<(), Failure> {
    let clock = args.system.clock()?;
    let system = args.system.system(clock.now())?;
    let dir = &args.system.dir;
    let spool = spool::Spool::open(dir).map_err(io_failure("cannot use", dir))?;
    let removed = spool
        .recover()
        .map_err(io_failure("cannot clean up", dir))?;
    if removed > 0 {
        eprintln!("kazasu: removed {removed} unfinished answer(s) left by a stopped server");
    }
    let stop = Arc::new(AtomicBool::new(false));
    if !args.once {
        let stop = Arc::clone(&stop);
        ctrlc::set_handler(move || stop.store(true, Ordering::Relaxed))
            .map_err(|e| Failure::usage(format!("cannot install the signal handler: {e}")))?;
        eprintln!(
            "kazasu: answering requests in {} for facility {} (Ctrl-C stops)",
            dir.join("req").display(),
            system.facility
        );
    }
    let mut responder = respond::OnshiResponder::new(system, clock);
    let started = Instant::now();
    let mut report = |event: &spool::Event| println!("{event}");
    let totals = spool
        .serve(
            &mut responder,
            Duration::from_millis(args.poll_ms.max(1)),
            args.once,
            &stop,
            &mut report,
        )
        .map_err(io_failure("cannot serve", dir))?;
    eprintln!(
        "kazasu: {} answered, {} failed, {} already answered, in {} ms",
        totals.answered,
        totals.failed,
        totals.already,
        started.elapsed().as_millis()
    );
    Ok(())
}

fn parse(args: &ParseArgs) -> Result<(), Failure> {
    let bytes = std::fs::read(&args.file).map_err(io_failure("cannot read", &args.file))?;
    let name = args
        .file
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    // A name of the OQS pattern that tells a kind must agree with the content.
    let message = kazasu_onshi::parse_file(name, &bytes)
        .map_err(|e| Failure::usage(format!("{}: {e}", args.file.display())))?;
    let text = if args.json {
        serde_json::to_string(&message)
    } else {
        serde_json::to_string_pretty(&message)
    }
    .map_err(|e| Failure::usage(format!("cannot print the message: {e}")))?;
    println!("{text}");
    Ok(())
}
