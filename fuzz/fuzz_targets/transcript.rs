#![no_main]
//! Transcript files: any text parses to a transcript or a typed error; what parses renders and parses back.

use kazasu_virtual_card::transcript::Transcript;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(t) = Transcript::parse(text) {
        let again = Transcript::parse(&t.render()).expect("a rendered transcript parses");
        assert_eq!(again.exchanges.len(), t.exchanges.len());
        for (a, b) in again.exchanges.iter().zip(&t.exchanges) {
            assert_eq!(a.command, b.command);
            assert_eq!(a.response, b.response);
        }
    }
});
