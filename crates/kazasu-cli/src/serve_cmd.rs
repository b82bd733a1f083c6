//! `kazasu serve`, `kazasu serve-init` and `kazasu bench-serve`: the HTTP services, a sandbox
//! server directory to run them on, and the loopback load generator.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use kazasu_serve::Config;
use kazasu_serve::load::{LoadReport, LoadSpec};
use kazasu_serve::sandbox::SandboxSpec;

use crate::Failure;

#[derive(Args, Debug)]
pub(crate) struct ServeArgs {
    /// The configuration file (TOML; `kazasu serve-init` writes one).
    #[arg(long, value_name = "FILE")]
    config: PathBuf,
    /// Override `[server] listen`.
    #[arg(long)]
    listen: Option<SocketAddr>,
    /// Override `[server] admin_listen`.
    #[arg(long)]
    admin_listen: Option<SocketAddr>,
    /// Override `[server] instance`.
    #[arg(long)]
    instance: Option<String>,
    /// Override `[server] port_file`.
    #[arg(long, value_name = "FILE")]
    port_file: Option<PathBuf>,
    /// Override `[database] url` (`sqlite:PATH` or `postgres://…`).
    #[arg(long)]
    database: Option<String>,
}

#[derive(Args, Debug)]
pub(crate) struct InitArgs {
    /// The directory to create (must be empty or absent).
    #[arg(long, value_name = "DIR")]
    dir: PathBuf,
    /// `sqlite:PATH` (relative to DIR) or a `postgres://…` URL.
    #[arg(long, default_value = "sqlite:kazasu.sqlite")]
    database: String,
    /// Enrolled people to bulk-load.
    #[arg(long, default_value_t = 1_000)]
    people: u64,
    /// Entries of the large authentication CRL.
    #[arg(long, default_value_t = 1_000)]
    crl_entries: usize,
    /// Test cards (with their keys) for clients.
    #[arg(long, default_value_t = 16)]
    cards: usize,
    /// Facilities with a client certificate.
    #[arg(long, default_value_t = 2)]
    facilities: usize,
}

#[derive(Args, Debug)]
pub(crate) struct BenchArgs {
    /// The sandbox directory the servers run on.
    #[arg(long, value_name = "DIR")]
    dir: PathBuf,
    /// An instance's API address (repeat for several instances).
    #[arg(long = "target", required = true)]
    targets: Vec<SocketAddr>,
    /// Requests in the timed phase.
    #[arg(long, default_value_t = 2_000)]
    requests: usize,
    /// Longest timed phase, seconds.
    #[arg(long, default_value_t = 60)]
    duration: u64,
    /// Client threads.
    #[arg(long, default_value_t = 8)]
    concurrency: usize,
    /// Percent of confirmations (the rest: check-ins and consent checks, half each).
    #[arg(long, default_value_t = 90)]
    confirm_percent: u32,
    /// Assertions verified in process for the reference rate.
    #[arg(long, default_value_t = 2_000)]
    reference: usize,
    /// A label for the report line (e.g. `sqlite-1`).
    #[arg(long, default_value = "run")]
    label: String,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

fn failure(e: kazasu_serve::ServeError) -> Failure {
    Failure::usage(e.to_string())
}

pub(crate) fn serve(args: &ServeArgs) -> Result<(), Failure> {
    let mut config = Config::load(&args.config).map_err(failure)?;
    if let Some(a) = args.listen {
        config.server.listen = a;
    }
    if let Some(a) = args.admin_listen {
        config.server.admin_listen = a;
    }
    if let Some(i) = &args.instance {
        config.server.instance = i.clone();
    }
    if let Some(p) = &args.port_file {
        config.server.port_file = Some(std::path::absolute(p).unwrap_or_else(|_| p.clone()));
    }
    if let Some(d) = &args.database {
        config.database.url = d.clone();
    }
    kazasu_serve::run(&config).map_err(failure)
}

pub(crate) fn init(args: &InitArgs) -> Result<(), Failure> {
    let mut spec = SandboxSpec::new(&args.dir);
    spec.database = args.database.clone();
    spec.people = args.people;
    spec.crl_entries = args.crl_entries;
    spec.cards = args.cards;
    spec.facilities = args.facilities;
    let report = kazasu_serve::sandbox::init(&spec).map_err(failure)?;
    println!(
        "serve-init: {} — PKI, {} cards and a {}-entry CRL ({} bytes) in {:.1} s; {} people loaded in {:.1} s ({:.0}/s)",
        report.config.display(),
        args.cards,
        args.crl_entries,
        report.crl_bytes,
        report.pki_secs,
        report.people,
        report.load_secs,
        report.people as f64 / report.load_secs.max(1e-9),
    );
    Ok(())
}

fn line(label: &str, r: &LoadReport) -> String {
    format!(
        "bench-serve {label}: {} instance(s), {:.1} s — challenges {:.0}/s (p50 {:.2} ms, p99 {:.2} ms); confirmations {:.0}/s (p50 {:.2} ms, p99 {:.2} ms; {} ok, {} refused, {} failed), \
check-ins {:.0}/s (p50 {:.2} ms, p99 {:.2} ms; {} failed), consent checks {:.0}/s (p50 {:.2} ms, p99 {:.2} ms; {} failed); \
all {:.0} req/s; in-process verification {:.0}/s; ratio {:.2}",
        r.instances,
        r.run_secs,
        r.challenges.per_second,
        r.challenges.p50_ms,
        r.challenges.p99_ms,
        r.confirm.per_second,
        r.confirm.p50_ms,
        r.confirm.p99_ms,
        r.confirm.ok,
        r.confirm.refused,
        r.confirm.failed,
        r.check_in.per_second,
        r.check_in.p50_ms,
        r.check_in.p99_ms,
        r.check_in.failed,
        r.consent.per_second,
        r.consent.p50_ms,
        r.consent.p99_ms,
        r.consent.failed,
        r.total_per_second,
        r.in_process_per_second,
        r.ratio,
    )
}

pub(crate) fn bench(args: &BenchArgs) -> Result<(), Failure> {
    let mut spec = LoadSpec::new(&args.dir, args.targets.clone());
    spec.requests = args.requests;
    spec.duration = Duration::from_secs(args.duration);
    spec.concurrency = args.concurrency;
    spec.confirm_percent = args.confirm_percent.min(100);
    spec.reference = args.reference;
    let report = kazasu_serve::load::run(&spec).map_err(failure)?;
    if args.json {
        println!(
            "{}",
            serde_json::to_string(&report).map_err(|e| Failure::usage(e.to_string()))?
        );
    } else {
        println!("{}", line(&args.label, &report));
    }
    let failed = report.challenges.failed
        + report.confirm.failed
        + report.check_in.failed
        + report.consent.failed;
    if failed > 0 {
        return Err(Failure::refused(format!(
            "{failed} requests were not answered"
        )));
    }
    Ok(())
}

/// What `kazasu serve-check` checks.
#[derive(clap::Subcommand, Debug)]
pub(crate) enum CheckCommand {
    /// A challenge issued by the first instance, presented to two at once: answered once.
    ChallengeOnce {
        #[command(flatten)]
        common: CheckCommon,
        /// Rounds.
        #[arg(long, default_value_t = 20)]
        rounds: usize,
    },
    /// Concurrent check-ins through every instance: one number per card, 1..=N without gap (on
    /// the sandbox's last facility, which nothing else uses).
    QueueNumbers {
        #[command(flatten)]
        common: CheckCommon,
        /// How many facilities the sandbox has.
        #[arg(long, default_value_t = 2)]
        facilities: usize,
    },
    /// A consent granted and withdrawn through the first instance, checked at the second.
    ConsentWithdrawal {
        #[command(flatten)]
        common: CheckCommon,
    },
    /// Confirmations and check-ins over the instances while one is killed (prints RUNNING when
    /// the timed part starts); fails on an answer given twice or a receipt lost.
    Crash {
        #[command(flatten)]
        common: CheckCommon,
        /// Requests.
        #[arg(long, default_value_t = 2_000)]
        requests: usize,
    },
}

#[derive(Args, Debug)]
pub(crate) struct CheckCommon {
    /// The sandbox directory.
    #[arg(long, value_name = "DIR")]
    dir: PathBuf,
    /// An instance's API address (repeat; two for the cross-instance checks).
    #[arg(long = "target", required = true)]
    targets: Vec<SocketAddr>,
}

fn two(common: &CheckCommon) -> Result<(SocketAddr, SocketAddr), Failure> {
    match common.targets.as_slice() {
        [a, b, ..] => Ok((*a, *b)),
        [a] => Ok((*a, *a)),
        [] => Err(Failure::usage("--target is needed")),
    }
}

pub(crate) fn check(cmd: CheckCommand) -> Result<(), Failure> {
    use kazasu_serve::check;
    let outcome = match &cmd {
        CheckCommand::ChallengeOnce { common, rounds } => {
            let (a, b) = two(common)?;
            check::challenge_once(&common.dir, a, b, *rounds)
        }
        CheckCommand::QueueNumbers { common, facilities } => {
            check::queue_numbers(&common.dir, &common.targets, *facilities)
        }
        CheckCommand::ConsentWithdrawal { common } => {
            let (a, b) = two(common)?;
            check::consent_withdrawal(&common.dir, a, b)
        }
        CheckCommand::Crash { common, requests } => {
            check::crash(&common.dir, &common.targets, *requests, 0).and_then(|r| {
                let line = serde_json::to_string(&r).unwrap_or_default();
                if r.answered_twice > 0 || r.receipts_lost > 0 {
                    Err(format!("crash run: {line}"))
                } else {
                    Ok(format!("crash run: {line}"))
                }
            })
        }
    };
    match outcome {
        Ok(line) => {
            println!("serve-check: {line}");
            Ok(())
        }
        Err(e) => Err(Failure::refused(format!("serve-check: {e}"))),
    }
}
