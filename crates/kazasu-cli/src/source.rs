//! Where card commands find a card: a PC/SC reader, or the built-in virtual card.

use kazasu_apdu::Transport;
use kazasu_virtual_card::{VirtualCardBuilder, VirtualTransport};

use crate::Failure;

/// The built-in virtual My Number Card (seed 0: 山田 花子; auth PIN 1234, signature password ABC123,
/// card-info PIN 1234). Each invocation gets a fresh card.
pub(crate) fn virtual_card() -> Result<Box<dyn Transport>, Failure> {
    let issued = VirtualCardBuilder::new(0)
        .build()
        .map_err(|e| Failure::usage(format!("cannot build the virtual card: {e}")))?;
    Ok(Box::new(VirtualTransport::new(issued.card)))
}

/// A card in the named PC/SC reader (exact name, or a unique case-insensitive part of it).
#[cfg(feature = "pcsc")]
pub(crate) fn reader(name: &str) -> Result<Box<dyn Transport>, Failure> {
    use kazasu_pcsc::{Options, PcscTransport, ReaderChoice};
    PcscTransport::connect(&ReaderChoice::Named(name.to_owned()), &Options::default())
        .map(|t| Box::new(t) as Box<dyn Transport>)
        .map_err(crate::readers::with_pcsc::failure)
}

/// A card in the named PC/SC reader: not in this build.
#[cfg(not(feature = "pcsc"))]
pub(crate) fn reader(name: &str) -> Result<Box<dyn Transport>, Failure> {
    Err(Failure::usage(format!(
        "cannot use reader {name:?}: this kazasu was built without PC/SC support (build with --features pcsc)"
    )))
}
