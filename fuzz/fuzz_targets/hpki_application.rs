#![no_main]
//! Arbitrary bytes as the signed content of an HPKI card application: never a panic, and what
//! parses re-parses from its own signed form to the same application.

use kazasu_health::qualification::Application;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(a) = Application::parse(data) {
        let again = Application::parse(&a.to_signed_content());
        assert_eq!(again.ok(), Some(a));
    }
});
