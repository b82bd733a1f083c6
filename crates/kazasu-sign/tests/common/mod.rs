//! Shared fixtures: signers, verifiers and a local TSA on the virtual card's test PKIs.
#![allow(dead_code, clippy::unwrap_used)]

use std::sync::Arc;

use kazasu_pki::{Certificate, CrlSet, HpkiVerifier, Purpose, TrustStore, Verifier};
use kazasu_sign::SoftwareSigner;
use kazasu_sign::cms::CmsVerifier;
use kazasu_sign::tsp::LocalTsa;
use kazasu_virtual_card::pki::services::TestTsa;
use kazasu_virtual_card::pki::{
    CrlSpec, HpkiAp, HpkiHolder, HpkiTestPki, IssueSpec, Persona, RevokedEntry, TestPki,
};
use time::OffsetDateTime;
use time::macros::datetime;

/// The time the fixtures sign at.
pub const AT: OffsetDateTime = datetime!(2026-06-01 00:00 UTC);

pub struct Jpki {
    pub pki: TestPki,
    pub persona: Persona,
    pub creds: kazasu_virtual_card::pki::HolderCredentials,
}

pub fn jpki() -> Jpki {
    let pki = TestPki::new(7).unwrap();
    let persona = Persona::sample();
    let creds = pki.issue(&persona, &IssueSpec::default()).unwrap();
    Jpki {
        pki,
        persona,
        creds,
    }
}

impl Jpki {
    pub fn signer(&self) -> SoftwareSigner {
        SoftwareSigner::new(
            self.creds.sign_certificate.clone(),
            self.creds.sign_key.clone(),
        )
        .unwrap()
    }

    pub fn auth_signer(&self) -> SoftwareSigner {
        SoftwareSigner::new(
            self.creds.auth_certificate.clone(),
            self.creds.auth_key.clone(),
        )
        .unwrap()
    }

    /// The signature roots' CRLs current at `AT`, revoking `revoked` serials.
    pub fn crls(&self, revoked: &[(&[u8], OffsetDateTime)]) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        for root in self.pki.roots() {
            let mut spec = CrlSpec::valid_at(AT);
            for (serial, at) in revoked {
                spec = spec.revoke(RevokedEntry::from_bytes(serial, *at));
            }
            out.push(self.pki.crl(root.purpose, root.generation, &spec).unwrap());
        }
        out
    }

    pub fn verifier(&self) -> Verifier {
        let material = self.pki.verification_material(AT).unwrap();
        Verifier::new(TrustStore::from_der_all(&material.roots).unwrap())
    }
}

pub struct Hpki {
    pub pki: HpkiTestPki,
    pub creds: kazasu_virtual_card::pki::HpkiCredentials,
}

pub fn hpki() -> Hpki {
    let pki = HpkiTestPki::new().unwrap();
    let creds = pki.issue(&HpkiHolder::sample()).unwrap();
    Hpki { pki, creds }
}

impl Hpki {
    pub fn signer(&self) -> SoftwareSigner {
        SoftwareSigner::new(
            self.creds.sign_certificate.clone(),
            self.creds.sign_key.clone(),
        )
        .unwrap()
        .with_chain(vec![self.pki.ca(HpkiAp::Signature).der.clone()])
    }

    pub fn crls(&self) -> Vec<Vec<u8>> {
        let m = self.pki.verification_material(AT).unwrap();
        let mut v = m.crls.clone();
        v.push(m.sarl);
        v.push(m.rarl);
        v
    }

    pub fn verifier(&self) -> HpkiVerifier {
        let root = Certificate::from_der(&self.pki.root().der).unwrap();
        HpkiVerifier::with_trust(TrustStore::new().with_for(root, Purpose::HPKI))
    }
}

pub fn tsa_fixture() -> TestTsa {
    TestTsa::new().unwrap()
}

pub fn local_tsa(at: OffsetDateTime) -> LocalTsa {
    let t = tsa_fixture();
    let signer = SoftwareSigner::new(t.signer.certificate.clone(), t.signer.key.clone()).unwrap();
    LocalTsa::new(signer).with_clock(move || at)
}

pub fn tsa_root() -> Certificate {
    Certificate::from_der(&tsa_fixture().root).unwrap()
}

/// A verifier trusting the JPKI and HPKI test PKIs and the test TSA, with their CRLs as the
/// caller's revocation data.
pub fn verifier(j: &Jpki, h: &Hpki) -> CmsVerifier {
    let mut crls = j.crls(&[]);
    crls.extend(h.crls());
    CmsVerifier::new()
        .with_jpki(j.verifier())
        .with_hpki(h.verifier())
        .with_tsa([tsa_root()])
        .with_crls(Arc::new(CrlSet::from_der_all(&crls).unwrap()))
        .at(AT)
}

/// The same trust, no revocation data of the caller's.
pub fn verifier_without_crls(j: &Jpki, h: &Hpki) -> CmsVerifier {
    CmsVerifier::new()
        .with_jpki(j.verifier())
        .with_hpki(h.verifier())
        .with_tsa([tsa_root()])
        .at(AT)
}
