#![no_main]
//! Bound-assertion messages (format v1): parsing never panics; whatever parses re-encodes to the
//! same bytes, and its digest info is the SHA-256 DigestInfo length.

use kazasu_auth::BoundMessage;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(message) = BoundMessage::parse(data) {
        assert_eq!(message.encode().as_slice(), data);
        assert_eq!(message.digest_info().len(), 51);
        let _ = format!("{message:?}");
    }
});
