//! kazasu: Japan's My Number Card (JPKI) and the HPKI card for healthcare software.
//!
//! This crate re-exports the layers of the kazasu workspace behind features, so an application can
//! depend on one crate:
//!
//! | feature | module | crate |
//! |---|---|---|
//! | `apdu` (default) | [`apdu`] | `kazasu-apdu`: APDUs, status words, the `Transport` trait, the exchange loop |
//! | `virtual-card` | [`virtual_card`] | `kazasu-virtual-card`: a software My Number Card, its vpcd server and test PKI |
//! | `pki` (default) | [`pki`] | `kazasu-pki`: JPKI certificate, path, CRL and signature verification for servers (`pki-aws-lc`: RSA through `aws-lc-rs`) |
//! | `card` (default) | [`card`] | `kazasu-card`: the JPKI AP, card-info and card-face APs over any transport, PIN-safe |
//! | `health` (default) | [`health`] | `kazasu-health`: online eligibility confirmation and card check-in, store traits |
//! | `sqlite` | [`health`] | the embedded SQLite stores (`SqliteStore`, `SqliteChallengeStore`), SQLite bundled |
//! | `pcsc` | [`pcsc`] | `kazasu-pcsc`: real readers through PC/SC (needs `libpcsclite-dev` to build, `pcscd` to run) |
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "apdu")]
pub use kazasu_apdu as apdu;

#[cfg(feature = "virtual-card")]
pub use kazasu_virtual_card as virtual_card;

#[cfg(feature = "pki")]
pub use kazasu_pki as pki;

#[cfg(feature = "pcsc")]
pub use kazasu_pcsc as pcsc;

#[cfg(feature = "card")]
pub use kazasu_card as card;

#[cfg(feature = "health")]
pub use kazasu_health as health;
