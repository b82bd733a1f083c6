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

/// A card in the named PC/SC reader.
pub(crate) fn reader(name: &str) -> Result<Box<dyn Transport>, Failure> {
    Err(Failure::usage(format!(
        "cannot use reader {name:?}: this kazasu was built without PC/SC support (build with --features pcsc)"
    )))
}
