//! Measurements for `benches/pki-ratios.sh`: make a national-scale CRL with the test PKI, parse and
//! index one (run under `/usr/bin/time -v` to compare with `openssl crl -noout`), and count
//! authentication-assertion verifications per second.
//!
//! ```sh
//! cargo run --release --example pki_measure -- gen-crl 1000000 /tmp/big.crl
//! cargo run --release --example pki_measure -- parse-crl /tmp/big.crl
//! cargo run --release --example pki_measure -- assertions 3 1000000 first
//! cargo run --release --example pki_measure -- assertions 3 1000000 repeat
//! cargo run --release --example pki_measure -- phases 1000000
//! ```
//!
//! `assertions` prints the rate per wall-clock second and per second of user CPU time (the divisor
//! `openssl speed` uses unless told `-elapsed`).
//!
//! Assertion modes (each assertion: parse the certificate bytes, validate the path to the root at
//! t with the CRL, verify the card's signature over the challenge, use the challenge up):
//!
//! - `first`: cards never seen before. The verifier has a path cache, but every assertion
//!   presents another certificate than the one before (64 distinct certificates on 9 keys, in
//!   turn) to a cache of one entry, so each one misses and pays for hashing, looking up and
//!   inserting (and evicting) besides the whole validation.
//! - `first-nocache`: the same cards, no path cache at all.
//! - `repeat`: one card again and again, path cache on (hits after the first).
//! - `repeat-nocache`: one card again and again without a cache.
//! - `all`: the four in turn, on one setup.
//!
//! THREADS (default 1) runs that many workers on one shared verifier (each with its own challenge
//! store), to see how the path cache and the CRL scale across threads.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::hint::black_box;
use std::time::{Duration as StdDuration, Instant};

use kazasu_pki::time::{Duration, OffsetDateTime};
use kazasu_pki::{
    AuthAssertion, Certificate, ChallengeStore, Crl, CrlSet, HashAlgorithm, MemoryChallengeStore,
    Purpose, TrustStore, Verifier, rsa_verifications,
};
use kazasu_virtual_card::pki::{
    CrlSpec, GeneratedRevocations, Generation, HOLDER_SLOTS, IssueSpec, Persona,
    Purpose as VcPurpose, SignatureAlgorithm, TestPki,
};

fn at() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_767_225_600).unwrap() // 2026-01-01T00:00:00Z
}

fn big_crl(pki: &TestPki, entries: usize) -> Vec<u8> {
    let spec = CrlSpec {
        generated: Some(GeneratedRevocations {
            count: entries,
            first_serial: 0x0100_0000_0000_0000,
            seed: 1,
        }),
        ..CrlSpec::valid_at(at())
    };
    pki.crl(VcPurpose::Authentication, Generation::G2023, &spec)
        .unwrap()
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    First,
    FirstNoCache,
    Repeat,
    RepeatNoCache,
}

impl Mode {
    fn parse(s: &str) -> Self {
        match s {
            "first" => Mode::First,
            "first-nocache" => Mode::FirstNoCache,
            "repeat" => Mode::Repeat,
            "repeat-nocache" => Mode::RepeatNoCache,
            _ => usage(),
        }
    }

    fn name(self) -> &'static str {
        match self {
            Mode::First => "first",
            Mode::FirstNoCache => "first-nocache",
            Mode::Repeat => "repeat",
            Mode::RepeatNoCache => "repeat-nocache",
        }
    }
}

/// User CPU seconds of this process so far (Linux `/proc/self/stat`, USER_HZ = 100), the divisor
/// `openssl speed` uses by default: rates on a machine shared with other work compare fairly.
fn user_cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let (_, after_name) = stat.rsplit_once(')')?;
    let utime: f64 = after_name.split_whitespace().nth(11)?.parse().ok()?;
    Some(utime / 100.0)
}

fn backend() -> &'static str {
    if cfg!(feature = "pki-aws-lc") {
        "aws-lc"
    } else {
        "rsa"
    }
}

/// A card: its certificate's DER and its signature over the challenge.
struct Card {
    der: Vec<u8>,
    signature: Vec<u8>,
}

struct Setup {
    verifier: Verifier,
    cards: Vec<Card>,
    challenge: Vec<u8>,
}

fn setup(crl_entries: usize, cards: usize) -> Setup {
    let pki = TestPki::new(0).unwrap();
    let challenge = vec![0x5Au8; 32];
    let cards = (0..cards)
        .map(|i| {
            let spec = IssueSpec {
                key_slot: i % HOLDER_SLOTS,
                serial: Some(0x7000_0000 + 2 * i as u64),
                ..IssueSpec::default()
            };
            let holder = pki.issue(&Persona::sample(), &spec).unwrap();
            Card {
                signature: SignatureAlgorithm::Sha256WithRsa
                    .sign(&holder.auth_key, &challenge)
                    .unwrap(),
                der: holder.auth_certificate,
            }
        })
        .collect();
    let trust = TrustStore::from_certificates(
        pki.roots()
            .iter()
            .map(|r| Certificate::from_der(&r.der).unwrap()),
    );
    let crls = CrlSet::new().with(Crl::from_der_vec(big_crl(&pki, crl_entries)).unwrap());
    Setup {
        verifier: Verifier::new(trust).with_revocation(crls),
        cards,
        challenge,
    }
}

fn assertions(secs: f64, setup: &Setup, mode: Mode, threads: usize) {
    let Setup {
        verifier,
        cards,
        challenge,
    } = setup;
    let cards = match mode {
        Mode::First | Mode::FirstNoCache => &cards[..],
        Mode::Repeat | Mode::RepeatNoCache => &cards[..1],
    };
    let verifier = match mode {
        Mode::First => verifier.clone().with_path_cache(1),
        Mode::Repeat => verifier.clone().with_path_cache(100_000),
        Mode::FirstNoCache | Mode::RepeatNoCache => verifier.clone(),
    };
    // One worker per thread, each with its own challenge store (the verifier, its path cache and
    // the CRL are shared, as in a server).
    let worker = |first: usize, budget: StdDuration| {
        let store = MemoryChallengeStore::new(Duration::minutes(5));
        let mut next = first;
        let mut run = || {
            let card = &cards[next % cards.len()];
            next += 1;
            store.insert(challenge.clone(), at()).unwrap();
            // What a server does with the bytes it receives (with a path cache, a certificate seen
            // before is not parsed again).
            let a = verifier
                .assertion_from_parts(&card.der, challenge, &card.signature)
                .unwrap();
            black_box(verifier.verify_assertion(&a, &store, at()).unwrap());
        };
        run(); // warm-up: verifies the CRL signature once (then kept with the CRL)
        let start = Instant::now();
        let mut n = 0u64;
        while start.elapsed() < budget {
            for _ in 0..64 {
                run();
            }
            n += 64;
        }
        n
    };
    let budget = StdDuration::from_secs_f64(secs);
    let rsa_before = rsa_verifications();
    let cpu_start = user_cpu_seconds();
    let start = Instant::now();
    let n: u64 = if threads <= 1 {
        worker(0, budget)
    } else {
        std::thread::scope(|s| {
            let handles: Vec<_> = (0..threads)
                .map(|t| {
                    let worker = &worker;
                    s.spawn(move || worker(t * 7, budget))
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).sum()
        })
    };
    let rate = n as f64 / start.elapsed().as_secs_f64();
    let cpu_rate = cpu_start
        .zip(user_cpu_seconds())
        .map_or(0.0, |(a, b)| n as f64 / (b - a).max(0.01));
    // Counted on this thread only: with several threads, printed as "-".
    let per = if threads <= 1 {
        format!(
            "{:.2}",
            (rsa_verifications() - rsa_before) as f64 / n as f64
        )
    } else {
        "-".to_owned()
    };
    let stats = verifier
        .path_cache_stats()
        .map(|s| format!(" cache_hits={} cache_misses={}", s.hits, s.misses))
        .unwrap_or_default();
    println!(
        "backend={} mode={} threads={threads} assertions={n} per_second={rate:.1} per_cpu_second={cpu_rate:.1} rsa_verifications_per_assertion={per}{stats}",
        backend(),
        mode.name()
    );
}

/// Time per call of each part of a first-time assertion, to see where the time goes.
fn phases(crl_entries: usize) {
    let Setup {
        verifier,
        cards,
        challenge,
    } = setup(crl_entries, 1);
    let card = &cards[0];
    let time = |name: &str, f: &mut dyn FnMut()| {
        f();
        let start = Instant::now();
        let mut n = 0u32;
        while start.elapsed() < StdDuration::from_millis(700) {
            for _ in 0..256 {
                f();
            }
            n += 256;
        }
        let us = start.elapsed().as_secs_f64() * 1e6 / f64::from(n);
        println!("{:>7.2} us  {name}", us);
    };
    let parsed = Certificate::from_der(&card.der).unwrap();
    let anchor = verifier
        .validate(&parsed, Purpose::Authentication, at())
        .unwrap()
        .anchor()
        .clone();
    time("Certificate::from_der", &mut || {
        black_box(Certificate::from_der(black_box(&card.der)).unwrap());
    });
    time(
        "validate (leaf parsed once; issuer key prepared)",
        &mut || {
            black_box(
                verifier
                    .validate(&parsed, Purpose::Authentication, at())
                    .unwrap(),
            );
        },
    );
    time(
        "certificate signature alone (issuer key prepared)",
        &mut || {
            anchor
                .verify_signed_data(
                    parsed.x509().signature_algorithm(),
                    parsed.tbs_der(),
                    parsed.signature(),
                    false,
                )
                .unwrap();
        },
    );
    time("card signature, key prepared", &mut || {
        parsed
            .verify_message(HashAlgorithm::Sha256, &challenge, &card.signature)
            .unwrap();
    });
    time(
        "card signature with a fresh key (parse + verify)",
        &mut || {
            let c = Certificate::from_der(&card.der).unwrap();
            c.verify_message(HashAlgorithm::Sha256, &challenge, &card.signature)
                .unwrap();
        },
    );
    let store = MemoryChallengeStore::new(Duration::minutes(5));
    time("challenge insert + check + consume", &mut || {
        store.insert(challenge.clone(), at()).unwrap();
        store.check(&challenge, at()).unwrap();
        store.consume(&challenge, at()).unwrap();
    });
    time("whole assertion, first time (no cache)", &mut || {
        store.insert(challenge.clone(), at()).unwrap();
        let a = AuthAssertion::from_parts(&card.der, &challenge, &card.signature).unwrap();
        black_box(verifier.verify_assertion(&a, &store, at()).unwrap());
    });
}

fn usage() -> ! {
    eprintln!(
        "usage: pki_measure gen-crl ENTRIES OUT | parse-crl FILE \\
         | assertions SECONDS [CRL_ENTRIES [first|first-nocache|repeat|repeat-nocache|all [THREADS]]] | phases [CRL_ENTRIES]"
    );
    std::process::exit(2)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["gen-crl", n, out] => {
            let pki = TestPki::new(0).unwrap();
            let der = big_crl(&pki, n.parse().unwrap_or_else(|_| usage()));
            std::fs::write(out, &der).unwrap();
            println!("wrote {out}: {} bytes", der.len());
        }
        ["parse-crl", file] => {
            let start = Instant::now();
            let bytes = std::fs::read(file).unwrap();
            let read = start.elapsed();
            let crl = Crl::parse_vec(bytes).unwrap();
            let total = start.elapsed();
            // One lookup of a listed and of an absent serial, as a server would do next.
            let hit = crl.lookup(&0x0100_0000_0000_0007u64.to_be_bytes()).unwrap();
            let miss = crl.contains(&[0x7F; 8]);
            println!(
                "entries={} read_ms={:.1} parse_index_ms={:.1} total_ms={:.1} hit={} miss={}",
                crl.len(),
                read.as_secs_f64() * 1e3,
                (total - read).as_secs_f64() * 1e3,
                total.as_secs_f64() * 1e3,
                hit.is_some(),
                miss
            );
        }
        ["assertions", secs, rest @ ..] => {
            let secs: f64 = secs.parse().unwrap_or_else(|_| usage());
            let crl_entries: usize = rest
                .first()
                .map_or(1_000_000, |n| n.parse().unwrap_or_else(|_| usage()));
            let modes = match rest.get(1).copied().unwrap_or("first-nocache") {
                "all" => vec![
                    Mode::First,
                    Mode::FirstNoCache,
                    Mode::Repeat,
                    Mode::RepeatNoCache,
                ],
                one => vec![Mode::parse(one)],
            };
            let threads: usize = rest
                .get(2)
                .map_or(1, |n| n.parse().unwrap_or_else(|_| usage()));
            let setup = setup(crl_entries, 64);
            for mode in modes {
                assertions(secs, &setup, mode, threads);
            }
        }
        ["parse-cert", secs] => {
            // Only certificate parsing, for a profiler.
            let secs: f64 = secs.parse().unwrap_or_else(|_| usage());
            let Setup { cards, .. } = setup(1, 1);
            let start = Instant::now();
            let mut n = 0u64;
            while start.elapsed().as_secs_f64() < secs {
                for _ in 0..256 {
                    black_box(Certificate::from_der(black_box(&cards[0].der)).unwrap());
                }
                n += 256;
            }
            let us = start.elapsed().as_secs_f64() * 1e6 / n as f64;
            println!("parse-cert: {us:.2} us");
        }
        ["phases", rest @ ..] => {
            let crl_entries: usize = rest
                .first()
                .map_or(1_000_000, |n| n.parse().unwrap_or_else(|_| usage()));
            phases(crl_entries);
        }
        _ => usage(),
    }
}
