//! Measurements for `benches/pki-ratios.sh`: make a national-scale CRL with the test PKI, parse and
//! index one (run under `/usr/bin/time -v` to compare with `openssl crl -noout`), and count
//! authentication-assertion verifications per second.
//!
//! ```sh
//! cargo run --release --example pki_measure -- gen-crl 1000000 /tmp/big.crl
//! cargo run --release --example pki_measure -- parse-crl /tmp/big.crl
//! cargo run --release --example pki_measure -- assertions 3
//! ```
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::hint::black_box;
use std::time::{Duration as StdDuration, Instant};

use kazasu_pki::time::{Duration, OffsetDateTime};
use kazasu_pki::{
    AuthAssertion, Certificate, Crl, CrlSet, MemoryChallengeStore, TrustStore, Verifier,
};
use kazasu_virtual_card::pki::{
    CrlSpec, GeneratedRevocations, Generation, IssueSpec, Persona, Purpose, SignatureAlgorithm,
    TestPki,
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
    pki.crl(Purpose::Authentication, Generation::G2023, &spec)
        .unwrap()
}

fn usage() -> ! {
    eprintln!(
        "usage: pki_measure gen-crl ENTRIES OUT | parse-crl FILE | assertions SECONDS [CRL_ENTRIES]"
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
            let pki = TestPki::new(0).unwrap();
            let holder = pki
                .issue(&Persona::sample(), &IssueSpec::default())
                .unwrap();
            let trust = TrustStore::from_certificates(
                pki.roots()
                    .iter()
                    .map(|r| Certificate::from_der(&r.der).unwrap()),
            );
            let crls = CrlSet::new().with(Crl::from_der_vec(big_crl(&pki, crl_entries)).unwrap());
            let verifier = Verifier::new(trust).with_revocation(crls);
            let store = MemoryChallengeStore::new(Duration::minutes(5));
            let challenge = vec![0x5Au8; 32];
            let signature = SignatureAlgorithm::Sha256WithRsa
                .sign(&holder.auth_key, &challenge)
                .unwrap();
            // Each verification: parse the certificate bytes, validate the path to the root at t,
            // look the serial up in the CRL, verify the signature, use the challenge up.
            let run = |store: &MemoryChallengeStore| {
                store.insert(challenge.clone(), at()).unwrap();
                let a = AuthAssertion::from_parts(&holder.auth_certificate, &challenge, &signature)
                    .unwrap();
                black_box(verifier.verify_assertion(&a, store, at()).unwrap());
            };
            run(&store); // warm-up: verifies the CRL signature once (then cached)
            let budget = StdDuration::from_secs_f64(secs);
            let start = Instant::now();
            let mut n = 0u64;
            while start.elapsed() < budget {
                for _ in 0..64 {
                    run(&store);
                }
                n += 64;
            }
            let rate = n as f64 / start.elapsed().as_secs_f64();
            println!(
                "backend={} assertions={n} per_second={rate:.1}",
                if cfg!(feature = "pki-aws-lc") {
                    "aws-lc"
                } else {
                    "rsa"
                }
            );
        }
        _ => usage(),
    }
}
