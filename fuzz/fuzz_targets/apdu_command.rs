#![no_main]
//! Command APDU decoding: never panics; whatever decodes re-encodes to the same bytes.

use kazasu_apdu::Command;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(command) = Command::from_bytes(data) {
        assert_eq!(command.to_bytes().as_slice(), data);
        let _ = command.to_string();
    }
});
