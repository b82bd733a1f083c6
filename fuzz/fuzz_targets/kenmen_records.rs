#![no_main]
//! The 券面 record parsers (age record, card face, My Number image, integrity, card key, 基本4情報,
//! My Number): never panic, and a card face that parses always yields a 115-byte DigestInfo.

use kazasu_cvc::records::{
    AgeRecord, BasicInfoRecord, CardFaceRecord, CardKeyRecord, IntegrityRecord,
    MyNumberImageRecord, my_number_digits,
};
use kazasu_cvc::{CardKey, Challenge};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = AgeRecord::parse(data);
    if let Ok(face) = CardFaceRecord::parse(data) {
        assert_eq!(face.digest_info().len(), 115);
    }
    let _ = MyNumberImageRecord::parse(data);
    let _ = CardKeyRecord::parse(data);
    let _ = my_number_digits(data);
    if let Ok(b) = BasicInfoRecord::parse(data) {
        assert!(data.windows(b.hashed_span().len()).any(|w| w == b.hashed_span()));
    }
    if let Ok(r) = IntegrityRecord::parse(data) {
        // Any data and any key: a typed answer.
        if let Ok(key) = CardKey::parse(data.get(..265).unwrap_or_default()) {
            let _ = r.verify(data, data, &key);
        }
    }
    if let Ok(key) = CardKey::parse(data.get(..265).unwrap_or_default()) {
        let _ = Challenge::from_bytes([0; 32]).check_answer(&key, data);
    }
});
