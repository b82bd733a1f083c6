//! Parse and write a result message (the sample with every field, and a 複数該当 answer with five
//! entries), in UTF-8 and Shift_JIS. Criterion reports time per message and throughput in bytes.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use kazasu_onshi::{ResultMessage, TextEncoding, parse};
use std::hint::black_box;

const SAMPLE: &str = include_str!("../tests/data/result.xml");

fn shift_jis(text: &str) -> Vec<u8> {
    let text = text
        .replace("encoding=\"UTF-8\"", "encoding=\"Shift_JIS\"")
        .replace("<CharacterCodeIdentifier>0<", "<CharacterCodeIdentifier>1<");
    encoding_rs::SHIFT_JIS.encode(&text).0.into_owned()
}

/// The sample with its one entry repeated five times.
fn five_entries() -> String {
    let start = SAMPLE.find("<ResultOfQualificationConfirmation>").unwrap();
    let end = SAMPLE.find("</ResultList>").unwrap();
    let entry = &SAMPLE[start..end];
    format!("{}{}{}", &SAMPLE[..start], entry.repeat(5), &SAMPLE[end..])
}

fn result_message(c: &mut Criterion) {
    let five = five_entries();
    let inputs = [
        (
            "utf8/one entry",
            SAMPLE.as_bytes().to_vec(),
            TextEncoding::Utf8,
        ),
        ("sjis/one entry", shift_jis(SAMPLE), TextEncoding::ShiftJis),
        (
            "utf8/five entries",
            five.as_bytes().to_vec(),
            TextEncoding::Utf8,
        ),
        (
            "sjis/five entries",
            shift_jis(&five),
            TextEncoding::ShiftJis,
        ),
    ];
    let mut group = c.benchmark_group("onshi");
    for (name, bytes, encoding) in &inputs {
        let message = ResultMessage::parse(bytes).unwrap();
        assert_eq!(message.encoding(), Some(*encoding));
        group.throughput(Throughput::Bytes(bytes.len() as u64));
        group.bench_function(format!("parse/{name}"), |b| {
            b.iter(|| parse(black_box(bytes)).unwrap())
        });
        let written = message.to_xml().unwrap();
        group.throughput(Throughput::Bytes(written.len() as u64));
        group.bench_function(format!("write/{name}"), |b| {
            b.iter(|| black_box(&message).to_xml().unwrap())
        });
    }
    group.finish();
}

criterion_group!(benches, result_message);
criterion_main!(benches);
