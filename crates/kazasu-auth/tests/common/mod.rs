//! Shared fixtures: holders of the virtual card's test PKI, relying parties, signing as a card does.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use kazasu_auth::time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time};
use kazasu_auth::{AssertionPurpose, BoundAssertion, BoundMessage, RelyingParty};
use kazasu_pki::time::Duration;
use kazasu_pki::{
    Certificate, CertificateId, Crl, CrlSet, MemoryChallengeStore, TrustStore, Verifier,
};
use kazasu_virtual_card::pki::{
    CrlSpec, Generation, HolderCredentials, IssueSpec, Persona, PersonaBuilder,
    Purpose as VcPurpose, RevokedEntry, SignatureAlgorithm, TestPki,
};

pub const RP: &str = "bank.example";
pub const ORIGIN: &str = "https://bank.example";

/// 2026-01-01T00:00:00Z: inside the holder certificates' validity and the 2023 roots'.
pub fn at() -> OffsetDateTime {
    PrimitiveDateTime::new(
        Date::from_calendar_date(2026, Month::January, 1).unwrap(),
        Time::MIDNIGHT,
    )
    .assume_utc()
}

/// One card: its persona, certificates and keys.
pub struct Holder {
    pub persona: Persona,
    pub creds: HolderCredentials,
    pub auth: Certificate,
    pub sign: Certificate,
}

impl Holder {
    pub fn auth_id(&self) -> CertificateId {
        self.auth.id().unwrap()
    }

    pub fn sign_id(&self) -> CertificateId {
        self.sign.id().unwrap()
    }

    /// What the card's authentication key returns for `bytes` (PKCS#1 v1.5 over SHA-256).
    pub fn auth_sign(&self, bytes: &[u8]) -> Vec<u8> {
        SignatureAlgorithm::Sha256WithRsa
            .sign(&self.creds.auth_key, bytes)
            .unwrap()
    }

    /// The signature key's signature over `bytes`.
    pub fn sign_sign(&self, bytes: &[u8]) -> Vec<u8> {
        SignatureAlgorithm::Sha256WithRsa
            .sign(&self.creds.sign_key, bytes)
            .unwrap()
    }

    /// A bound assertion for `rp_id` at `origin`.
    pub fn assert_for(
        &self,
        rp_id: &str,
        origin: &str,
        purpose: AssertionPurpose,
        nonce: &[u8],
        issued_at: OffsetDateTime,
    ) -> BoundAssertion {
        let bytes = BoundMessage::new(rp_id, origin, purpose, nonce, issued_at)
            .unwrap()
            .encode();
        let signature = self.auth_sign(&bytes);
        BoundAssertion::new(self.auth.clone(), bytes, signature)
    }

    /// A bound assertion for [`RP`] at [`ORIGIN`].
    pub fn assert(
        &self,
        purpose: AssertionPurpose,
        nonce: &[u8],
        issued_at: OffsetDateTime,
    ) -> BoundAssertion {
        self.assert_for(RP, ORIGIN, purpose, nonce, issued_at)
    }
}

pub struct World {
    pub pki: TestPki,
}

impl World {
    pub fn new() -> Self {
        Self {
            pki: TestPki::new(0).unwrap(),
        }
    }

    /// The holder of persona `seed` on key slot `slot` (each slot its own key pair and serials).
    pub fn holder(&self, seed: u64, slot: usize) -> Holder {
        let persona = if seed == 0 {
            Persona::sample()
        } else {
            PersonaBuilder::from_seed(seed).build().unwrap()
        };
        let spec = IssueSpec {
            key_slot: slot,
            ..IssueSpec::default()
        };
        let creds = self.pki.issue(&persona, &spec).unwrap();
        Holder {
            auth: Certificate::from_der(&creds.auth_certificate).unwrap(),
            sign: Certificate::from_der(&creds.sign_certificate).unwrap(),
            persona,
            creds,
        }
    }

    pub fn trust(&self) -> TrustStore {
        TrustStore::from_certificates(
            self.pki
                .roots()
                .iter()
                .map(|r| Certificate::from_der(&r.der).unwrap()),
        )
    }

    /// Current CRLs of all four roots at [`at`], the 2023 ones revoking `revoked` (holders).
    pub fn crls(&self, revoked: &[&Holder]) -> CrlSet {
        let mut set = CrlSet::new();
        for p in VcPurpose::ALL {
            for g in Generation::ALL {
                let mut spec = CrlSpec::valid_at(at());
                if g == Generation::G2023 {
                    for h in revoked {
                        let serial = match p {
                            VcPurpose::Authentication => &h.creds.auth_serial,
                            _ => &h.creds.sign_serial,
                        };
                        spec =
                            spec.revoke(RevokedEntry::from_bytes(serial, at() - Duration::days(1)));
                    }
                }
                set.add(Crl::from_der_vec(self.pki.crl(p, g, &spec).unwrap()).unwrap());
            }
        }
        set
    }

    /// A strict verifier (revocation required) with these CRLs.
    pub fn verifier(&self, revoked: &[&Holder]) -> Verifier {
        Verifier::new(self.trust()).with_revocation(self.crls(revoked))
    }

    /// The relying party [`RP`] serving [`ORIGIN`], nonces living 5 minutes.
    pub fn rp(&self, revoked: &[&Holder]) -> RelyingParty {
        self.rp_with(RP, ORIGIN, self.verifier(revoked), nonces())
    }

    pub fn rp_with(
        &self,
        id: &str,
        origin: &str,
        verifier: Verifier,
        nonces: Arc<MemoryChallengeStore>,
    ) -> RelyingParty {
        RelyingParty::new(id, &[origin], verifier, nonces).unwrap()
    }
}

pub fn nonces() -> Arc<MemoryChallengeStore> {
    Arc::new(MemoryChallengeStore::new(Duration::minutes(5)))
}
