//! With pcscd stopped: every entry point says pcscd is not running and how to start it.
//!
//! Run only with pcscd stopped (scripts/pcsc-e2e.sh stops the pcscd it started, then runs
//! `cargo test -p kazasu-pcsc --test no_pcscd`); with pcscd running these assertions fail.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use kazasu_apdu::{TransportError, TransportErrorKind};
use kazasu_pcsc::{Error, Options, PcscTransport, ReaderChoice, Readers, START_PCSCD};

fn assert_not_running(e: Error) {
    assert!(matches!(e, Error::ServiceUnavailable { .. }), "{e:?}");
    let message = e.to_string();
    assert!(message.contains(START_PCSCD), "{message}");
    assert!(message.contains("systemctl start pcscd"), "{message}");
    let transport = TransportError::from(e);
    assert_eq!(transport.kind(), TransportErrorKind::ServiceUnavailable);
    assert!(transport.message().starts_with("pcscd is not running"));
}

#[test]
fn every_entry_point_says_pcscd_is_not_running() {
    assert_not_running(Readers::establish().unwrap_err());
    assert_not_running(
        PcscTransport::connect(&ReaderChoice::FirstWithCard, &Options::default()).unwrap_err(),
    );
    assert_not_running(
        PcscTransport::connect(
            &ReaderChoice::Named("Virtual PCD 00 00".into()),
            &Options::default(),
        )
        .unwrap_err(),
    );
}

#[test]
fn the_error_names_the_pcsc_cause() {
    let e = Readers::establish().unwrap_err();
    assert!(matches!(
        e.pcsc_error(),
        Some(pcsc_error) if matches!(pcsc_error, kazasu_pcsc::pcsc::Error::NoService | kazasu_pcsc::pcsc::Error::ServiceStopped)
    ));
    // A wait cannot even start.
    let waited = Readers::establish()
        .and_then(|r| r.wait_for_card(&ReaderChoice::FirstWithCard, Duration::from_millis(10)));
    assert_not_running(waited.unwrap_err());
}
