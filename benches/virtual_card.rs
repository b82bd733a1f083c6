//! The test PKI: issuing a card, signing on the card, and building national-scale CRLs.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use criterion::{Criterion, criterion_group, criterion_main};
use kazasu_virtual_card::VirtualCardBuilder;
use kazasu_virtual_card::pki::{CrlSpec, GeneratedRevocations, Generation, Purpose, TestPki};
use std::hint::black_box;

fn issue(c: &mut Criterion) {
    c.bench_function(
        "test pki/build a card (certificates, card-face data)",
        |b| b.iter(|| black_box(VirtualCardBuilder::new(0).build().unwrap())),
    );
    let mut card = VirtualCardBuilder::new(0).build().unwrap().card;
    let apdu = |h: &str| hex_bytes(h);
    card.process(&apdu("00A4040C0AD392F000260100000001"));
    card.process(&apdu("00A4020C020018"));
    card.process(&apdu("002000800431323334"));
    card.process(&apdu("00A4020C020017"));
    let mut sign = apdu("802A0080333031300D060960864801650304020105000420");
    sign.extend_from_slice(&[0x5A; 32]);
    sign.push(0);
    c.bench_function("virtual card/COMPUTE DIGITAL SIGNATURE (RSA-2048)", |b| {
        b.iter(|| black_box(card.process(&sign)))
    });
}

fn crl(c: &mut Criterion) {
    let pki = TestPki::new(0).unwrap();
    let mut group = c.benchmark_group("test pki");
    group.sample_size(10);
    group.bench_function("build and sign a 1,000,000-entry CRL", |b| {
        b.iter(|| {
            let spec = CrlSpec {
                generated: Some(GeneratedRevocations {
                    count: 1_000_000,
                    first_serial: 0x0100_0000_0000_0000,
                    seed: 1,
                }),
                ..CrlSpec::default()
            };
            black_box(
                pki.crl(Purpose::Authentication, Generation::G2023, &spec)
                    .unwrap(),
            )
        })
    });
    group.finish();
}

fn hex_bytes(h: &str) -> Vec<u8> {
    (0..h.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&h[i..i + 2], 16).unwrap())
        .collect()
}

criterion_group!(benches, issue, crl);
criterion_main!(benches);
