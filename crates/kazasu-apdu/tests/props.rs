//! Properties of command and response encoding.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use kazasu_apdu::{Command, Le, LengthForm, Response, StatusWord};
use proptest::prelude::*;
use zeroize::Zeroizing;

fn any_command() -> impl Strategy<Value = Command> {
    (
        any::<[u8; 4]>(),
        prop_oneof![Just(0usize), 1usize..=255, 256usize..=70_000],
        proptest::option::of(1u32..=65_536),
        any::<bool>(),
        any::<bool>(),
        any::<u8>(),
    )
        .prop_map(|(h, n, le, ext, sensitive, fill)| {
            let mut c = Command::new(h[0], h[1], h[2], h[3]);
            let n = n.min(65_535);
            if n > 0 {
                let data = vec![fill; n];
                c = if sensitive {
                    c.with_sensitive_data(Zeroizing::new(data)).unwrap()
                } else {
                    c.with_data(data).unwrap()
                };
            }
            if let Some(le) = le {
                c = c.with_le(Le::new(le).unwrap());
            }
            if ext {
                c = c.with_form(LengthForm::Extended);
            }
            c
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn encode_decode_round_trip(c in any_command()) {
        let bytes = c.to_bytes();
        prop_assert_eq!(bytes.len(), c.encoded_len());
        let back = Command::from_bytes(&bytes).unwrap();
        // Decoding cannot know data was secret; everything else survives.
        prop_assert_eq!(back.data().as_bytes(), c.data().as_bytes());
        prop_assert_eq!(back.le(), c.le());
        prop_assert_eq!(back.form(), c.form());
        prop_assert_eq!(back.case(), c.case());
        prop_assert_eq!(back.to_bytes(), bytes);
    }

    #[test]
    fn decode_never_panics_and_reencodes_exactly(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        if let Ok(c) = Command::from_bytes(&bytes) {
            let again = c.to_bytes();
            prop_assert_eq!(again.as_slice(), bytes.as_slice());
        }
        let _ = Response::from_bytes(&bytes);
    }

    #[test]
    fn response_round_trip(data in proptest::collection::vec(any::<u8>(), 0..300), sw in any::<u16>()) {
        let r = Response::new(data, StatusWord::new(sw));
        prop_assert_eq!(Response::from_bytes(&r.to_bytes()).unwrap(), r);
    }

    #[test]
    fn status_display_starts_with_hex(sw in any::<u16>()) {
        let shown = StatusWord::new(sw).to_string();
        let prefix = format!("{:04X} ", sw);
        prop_assert!(shown.starts_with(&prefix));
    }
}
