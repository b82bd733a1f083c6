#![no_main]
//! Arbitrary bytes as an オンライン資格確認 file: a typed error or a message that writes back and parses
//! to itself; never a panic. The file-name helpers get the same bytes as a name.

use kazasu_onshi::names::{answer_file_name, is_request_file_name};
use kazasu_onshi::{MessageKind, parse};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(parsed) = parse(data) {
        let written = parsed
            .message
            .to_xml_in(parsed.encoding)
            .expect("what parsed can be written in its encoding");
        let again = parse(&written).expect("what was written parses");
        assert_eq!(again.message, parsed.message);
        assert_eq!(again.encoding, parsed.encoding);
    }
    if let Ok(name) = std::str::from_utf8(data) {
        let _ = MessageKind::from_file_name(name);
        if let Ok(answer) = answer_file_name(name) {
            assert!(is_request_file_name(name));
            assert_eq!(MessageKind::from_file_name(&answer), Some(MessageKind::Result));
        }
    }
});
