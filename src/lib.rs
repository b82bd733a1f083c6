//! kazasu: Japan's My Number Card (JPKI) and the HPKI card for healthcare software.
//!
//! This crate re-exports the layers of the kazasu workspace behind features, so an application can
//! depend on one crate:
//!
//! | feature | module | crate |
//! |---|---|---|
//! | `apdu` (default) | [`apdu`] | `kazasu-apdu`: APDUs, status words, the `Transport` trait, the exchange loop |
//! | `virtual-card` | [`virtual_card`] | `kazasu-virtual-card`: a software My Number Card, its vpcd server and test PKI |
//! | `pki` (default) | [`pki`] | `kazasu-pki`: JPKI and HPKI certificate, path, CRL, signature and qualification verification for servers (`pki-aws-lc`: RSA through `aws-lc-rs`) |
//! | `card` (default) | [`card`] | `kazasu-card`: the JPKI AP, the 券面 APs with chip genuineness, and the HPKI card over any transport, PIN-safe |
//! | `health` (default) | [`health`] | `kazasu-health`: online eligibility confirmation and card check-in, store traits |
//! | `sqlite` | [`health`] | the embedded SQLite stores (`SqliteStore`, `SqliteChallengeStore`), SQLite bundled |
//! | `onshi` | [`onshi`] | `kazasu-onshi`: the オンライン資格確認 file interface (typed XML in UTF-8 and Shift_JIS) |
//! | `types` | [`types`] | `kazasu-types`: the shared JPKI domain types (sex, eras, My Number, purposes, hashes, OIDs) |
//! | `sign` | [`sign`] | `kazasu-sign`: CMS/CAdES signatures (B-B, B-T, B-LT) made through a signer trait, RFC 3161 timestamps, verification with one verdict per part |
//! | `consent` | [`consent`] | `kazasu-consent`: patient consent to share records — JPKI-signed, hash-chained ledger with checkpoints, decisions, queries between networks, FHIR R4 `Consent` (add `sqlite` for its SQLite store) |
//! | `auth` | [`auth`] | `kazasu-auth`: the relying-party side — assertions bound to a service, origin and purpose (format v1), login with account binding, e-tickets at online and offline gates |
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

#[cfg(feature = "onshi")]
pub use kazasu_onshi as onshi;

#[cfg(feature = "types")]
pub use kazasu_types as types;

#[cfg(feature = "consent")]
pub use kazasu_consent as consent;
#[cfg(feature = "sign")]
pub use kazasu_sign as sign;

#[cfg(feature = "auth")]
pub use kazasu_auth as auth;
