//! APDU encoding and the exchange loop over the in-process virtual card.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use criterion::{Criterion, criterion_group, criterion_main};
use kazasu_apdu::{Command, Exchange, Le, LengthForm};
use kazasu_virtual_card::card::JPKI_AID;
use kazasu_virtual_card::{VirtualCardBuilder, VirtualTransport};
use std::hint::black_box;

fn codec(c: &mut Criterion) {
    let sign = Command::new(0x80, 0x2A, 0x00, 0x80)
        .with_data(vec![0x30; 51])
        .unwrap()
        .with_le(Le::MAX_SHORT);
    let bytes = sign.to_bytes();
    c.bench_function("apdu/encode case 4", |b| {
        b.iter(|| black_box(&sign).to_bytes())
    });
    c.bench_function("apdu/decode case 4", |b| {
        b.iter(|| Command::from_bytes(black_box(&bytes)).unwrap())
    });
}

fn read_certificate(c: &mut Criterion) {
    for (name, extended) in [("extended", true), ("short", false)] {
        let issued = VirtualCardBuilder::new(0)
            .extended_apdus(extended)
            .build()
            .unwrap();
        let mut ex = Exchange::new(VirtualTransport::new(issued.card));
        let select_ap = Command::new(0, 0xA4, 4, 0x0C)
            .with_data(JPKI_AID.to_vec())
            .unwrap();
        let select_ef = Command::new(0, 0xA4, 2, 0x0C)
            .with_data(vec![0x00, 0x0A])
            .unwrap();
        c.bench_function(
            &format!("virtual card/read auth certificate ({name} APDUs)"),
            |b| {
                b.iter(|| {
                    ex.transmit(&select_ap).unwrap();
                    ex.transmit(&select_ef).unwrap();
                    if extended {
                        let read = Command::new(0, 0xB0, 0, 0)
                            .with_le(Le::MAX_EXTENDED)
                            .with_form(LengthForm::Extended);
                        black_box(ex.transmit(&read).unwrap());
                    } else {
                        let mut offset = 0u16;
                        loop {
                            let [p1, p2] = offset.to_be_bytes();
                            let r = ex
                                .transmit(&Command::new(0, 0xB0, p1, p2).with_le(Le::MAX_SHORT))
                                .unwrap();
                            if !r.is_success() || r.data().len() < 256 {
                                break;
                            }
                            offset += 256;
                        }
                    }
                })
            },
        );
    }
}

criterion_group!(benches, codec, read_certificate);
criterion_main!(benches);
