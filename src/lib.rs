//! kazasu: Japan's My Number Card (JPKI) and the HPKI card for healthcare software.
//!
//! This crate re-exports the layers of the kazasu workspace behind features, so an application can
//! depend on one crate:
//!
//! | feature | module | crate |
//! |---|---|---|
//! | `apdu` (default) | [`apdu`] | `kazasu-apdu`: APDUs, status words, the `Transport` trait, the exchange loop |
//! | `virtual-card` (default) | [`virtual_card`] | `kazasu-virtual-card`: a software My Number Card, its vpcd server and test PKI |
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "apdu")]
pub use kazasu_apdu as apdu;

#[cfg(feature = "virtual-card")]
pub use kazasu_virtual_card as virtual_card;
