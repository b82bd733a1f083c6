//! Proving a chip genuine, step by step, and the report of what that proved and what it did not.
//!
//! 1. [`CertifiedIssuer::verify`]: the application's EF `0004` certificate verifies with a CA key the
//!    caller configured — done before any secret is presented, so a counterfeit never sees one.
//! 2. [`CertifiedIssuer::card_key`]: a signed record (age record, card face, My Number image, or the
//!    補助AP's card key record) verifies with the certified issuer key; it names the chip's key.
//! 3. [`CertifiedCardKey::check_answer`]: the chip signed the verifier's fresh challenge with that key.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use crate::CvcError;
use crate::card_key::{CardKey, hex};
use crate::challenge::Challenge;
use crate::cvc::Cvc;
use crate::key_id::{Hierarchy, KeyId};
use crate::records::{AgeRecord, CardFaceRecord, CardKeyRecord, MyNumberImageRecord};
use crate::trust::{CvcTrust, VerifiedCvc};

/// Which 券面 application answered.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Application {
    /// 券面事項確認AP (CA role `000023`; challenge key `001A`).
    CardFace,
    /// 券面事項入力補助AP (CA role `000033`; challenge key `0013`).
    CardInfo,
}

impl Application {
    /// The CA role (key id without the hierarchy digit) that certifies this application's key.
    pub fn ca_role(self) -> &'static str {
        match self {
            Application::CardFace => "000023",
            Application::CardInfo => "000033",
        }
    }

    /// The application's name.
    pub fn name(self) -> &'static str {
        match self {
            Application::CardFace => "券面事項確認AP",
            Application::CardInfo => "券面事項入力補助AP",
        }
    }
}

/// Which signed record named the chip's key.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum KeySource {
    /// 確認AP `0001` DF12 (opened by the birth-date key: least disclosure).
    AgeRecord,
    /// 確認AP `0002` DF24 (opened by 照合番号A or B).
    CardFace,
    /// 確認AP `0005` DF42 (opened by 照合番号A).
    MyNumberImage,
    /// 補助AP `0007` DF51.
    CardKeyRecord,
}

impl KeySource {
    fn describe(self) -> &'static str {
        match self {
            KeySource::AgeRecord => "確認AP EF 0001 (age record) DF12, signed DF13",
            KeySource::CardFace => "確認AP EF 0002 (card face) DF24, signed DF28",
            KeySource::MyNumberImage => "確認AP EF 0005 (My Number image) DF42, signed DF43",
            KeySource::CardKeyRecord => "補助AP EF 0007 DF51, signed DF52",
        }
    }
}

/// A signed record that names the chip's key, as read from the card.
#[derive(Clone, Copy, Debug)]
pub enum SignedRecord<'a> {
    /// 確認AP EF `0001`.
    AgeRecord(&'a [u8]),
    /// 確認AP EF `0002`.
    CardFace(&'a [u8]),
    /// 確認AP EF `0005`.
    MyNumberImage(&'a [u8]),
    /// 補助AP EF `0007`.
    CardKeyRecord(&'a [u8]),
}

impl SignedRecord<'_> {
    fn application(&self) -> Application {
        match self {
            SignedRecord::CardKeyRecord(_) => Application::CardInfo,
            _ => Application::CardFace,
        }
    }
}

/// Step 1 done: the application's certificate verified; the issuer key it certifies is trusted.
#[derive(Clone, Debug)]
pub struct CertifiedIssuer {
    application: Application,
    cvc: VerifiedCvc,
}

impl CertifiedIssuer {
    /// Parses and verifies the certificate read from `application`'s EF `0004`.
    pub fn verify(
        trust: &CvcTrust,
        application: Application,
        cvc_bytes: &[u8],
    ) -> Result<Self, CvcError> {
        let cvc = Cvc::parse(cvc_bytes)?;
        let verified = trust.verify_for(&cvc, application.ca_role(), application.name())?;
        Ok(Self {
            application,
            cvc: verified,
        })
    }

    /// The verified certificate.
    pub fn certificate(&self) -> &VerifiedCvc {
        &self.cvc
    }

    /// The issuer key the certificate certifies (it signs the application's records).
    pub fn issuer_key(&self) -> &CardKey {
        &self.cvc.key
    }

    /// Step 2: verifies a signed record with the certified issuer key and takes the chip's key from it.
    pub fn card_key(&self, record: SignedRecord<'_>) -> Result<CertifiedCardKey, CvcError> {
        if record.application() != self.application {
            return Err(CvcError::Malformed {
                reason: "the record belongs to the other application",
            });
        }
        let issuer = self.issuer_key();
        let (source, key) = match record {
            SignedRecord::AgeRecord(b) => {
                let r = AgeRecord::parse(b)?;
                r.verify(issuer)?;
                (KeySource::AgeRecord, r.card_key)
            }
            SignedRecord::CardFace(b) => {
                let r = CardFaceRecord::parse(b)?;
                r.verify(issuer)?;
                (KeySource::CardFace, r.card_key)
            }
            SignedRecord::MyNumberImage(b) => {
                let r = MyNumberImageRecord::parse(b)?;
                r.verify(issuer)?;
                (KeySource::MyNumberImage, r.card_key)
            }
            SignedRecord::CardKeyRecord(b) => {
                let r = CardKeyRecord::parse(b)?;
                r.verify(issuer)?;
                (KeySource::CardKeyRecord, r.card_key)
            }
        };
        Ok(CertifiedCardKey {
            application: self.application,
            cvc: self.cvc.clone(),
            source,
            key,
        })
    }
}

/// Step 2 done: the chip's key, signed by the certified issuer key.
#[derive(Clone, Debug)]
pub struct CertifiedCardKey {
    application: Application,
    cvc: VerifiedCvc,
    source: KeySource,
    key: CardKey,
}

impl CertifiedCardKey {
    /// The chip's key.
    pub fn key(&self) -> &CardKey {
        &self.key
    }

    /// Step 3: checks the chip's answer to the verifier's challenge, and reports.
    pub fn check_answer(
        &self,
        challenge: Challenge,
        answer: &[u8],
    ) -> Result<GenuinenessReport, CvcError> {
        let challenge = challenge.check_answer(&self.key, answer)?;
        Ok(GenuinenessReport {
            application: self.application,
            ca: self.cvc.issuer,
            hierarchy: self.cvc.hierarchy,
            issuer_key_id: self.cvc.subject,
            key_source: self.source,
            card_key_sha256: self.key.fingerprint(),
            challenge,
        })
    }
}

/// What a successful genuineness check proved, and what it did not.
#[derive(Clone, PartialEq, Eq, Debug)]
#[non_exhaustive]
pub struct GenuinenessReport {
    /// The application that answered.
    pub application: Application,
    /// The CA whose configured key verified the application's certificate.
    pub ca: KeyId,
    /// Production or test hierarchy.
    pub hierarchy: Hierarchy,
    /// The certified issuer key's id (the certificate's subject), which signed the record.
    pub issuer_key_id: KeyId,
    /// Which record named the chip's key.
    pub key_source: KeySource,
    /// SHA-256 of the chip's key as the card encodes it.
    pub card_key_sha256: [u8; 32],
    /// The verifier's challenge the chip signed.
    pub challenge: [u8; 32],
}

impl GenuinenessReport {
    /// What was proven, one statement a line.
    pub fn proven(&self) -> Vec<String> {
        alloc::vec![
            alloc::format!(
                "the {} certificate (EF 0004) is signed by CA {} ({} hierarchy), a key the verifier configured",
                self.application.name(),
                self.ca,
                self.hierarchy
            ),
            alloc::format!(
                "the chip's key is signed by the certified issuer key {}: {}",
                self.issuer_key_id,
                self.key_source.describe()
            ),
            alloc::format!(
                "the chip holds that key: it signed the verifier's fresh random challenge {} (sha256WithRSA)",
                hex(&self.challenge)
            ),
        ]
    }

    /// What was not proven, one statement a line.
    pub fn not_proven(&self) -> Vec<String> {
        let mut out = alloc::vec![
            String::from(
                "revocation: no list of lost or revoked cards was consulted; a genuine card reported lost passes"
            ),
            String::from("expiry: the card-face expiry (DF29) is not signed and was not relied on"),
            String::from(
                "relay: the answer could come from a genuine card elsewhere, relayed to this reader"
            ),
            String::from(
                "the holder: nothing here shows that the person at the reader is the card's holder"
            ),
        ];
        if self.hierarchy == Hierarchy::Test {
            out.insert(
                0,
                String::from("production: this is a TEST card (JPKI test hierarchy), not a card anyone was issued"),
            );
        }
        out
    }

    /// Hex of the chip key's fingerprint.
    pub fn card_key_fingerprint(&self) -> String {
        hex(&self.card_key_sha256)
    }
}

impl fmt::Display for GenuinenessReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "proven:")?;
        for line in self.proven() {
            writeln!(f, "  - {line}")?;
        }
        writeln!(f, "not proven:")?;
        for line in self.not_proven() {
            writeln!(f, "  - {line}")?;
        }
        Ok(())
    }
}
