//! Shared fixtures: the virtual card's test PKI seen through kazasu-pki.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use kazasu_pki::time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time};
use kazasu_pki::{
    Certificate, Crl, CrlSet, RevocationPolicy, TrustStore, Verifier, VerifierOptions,
};
use kazasu_virtual_card::pki::x509_cert::ext::pkix::{BasicConstraints, KeyUsage, KeyUsages};
use kazasu_virtual_card::pki::{
    AuthorityKeyId, CertTemplate, CrlSpec, DistinguishedName, Ext, Generation, HolderCredentials,
    IssueSpec, Issuer, KeyChoice, Persona, Purpose as VcPurpose, TestPki,
};

pub use kazasu_virtual_card::pki as vc;

/// `y-m-d 00:00:00Z`.
pub fn day(y: i32, m: u8, d: u8) -> OffsetDateTime {
    PrimitiveDateTime::new(
        Date::from_calendar_date(y, Month::try_from(m).unwrap(), d).unwrap(),
        Time::MIDNIGHT,
    )
    .assume_utc()
}

/// The default verification time: 2026-01-01, inside the holder certificates' validity
/// (2025-01-01..2030-01-01) and the 2023 roots', after the 2015 roots expired.
pub fn at() -> OffsetDateTime {
    day(2026, 1, 1)
}

/// A time when both generations of root are valid.
pub fn at_2015() -> OffsetDateTime {
    day(2025, 6, 1)
}

pub struct Fixture {
    pub pki: TestPki,
    pub persona: Persona,
    /// Issued by the 2023 roots.
    pub holder: HolderCredentials,
}

impl Fixture {
    pub fn new() -> Self {
        let pki = TestPki::new(0).unwrap();
        let persona = Persona::sample();
        let holder = pki.issue(&persona, &IssueSpec::default()).unwrap();
        Self {
            pki,
            persona,
            holder,
        }
    }

    /// The four test roots as trust anchors.
    pub fn trust(&self) -> TrustStore {
        TrustStore::from_certificates(
            self.pki
                .roots()
                .iter()
                .map(|r| Certificate::from_der(&r.der).unwrap()),
        )
    }

    /// Strict verifier with these CRLs (revocation required).
    pub fn verifier(&self, crls: CrlSet) -> Verifier {
        Verifier::new(self.trust()).with_revocation(crls)
    }

    /// Verifier that does not check revocation.
    pub fn verifier_without_revocation(&self) -> Verifier {
        let mut o = VerifierOptions::default();
        o.revocation = RevocationPolicy::Off;
        Verifier::new(self.trust()).with_options(o)
    }

    /// An empty, current CRL of the 2023 root of `purpose`.
    pub fn crl(&self, purpose: VcPurpose, generation: Generation, spec: &CrlSpec) -> Crl {
        Crl::from_der_vec(self.pki.crl(purpose, generation, spec).unwrap()).unwrap()
    }

    /// Current empty CRLs of all four roots at `at`.
    pub fn current_crls(&self, at: OffsetDateTime) -> CrlSet {
        let mut set = CrlSet::new();
        for p in VcPurpose::ALL {
            for g in Generation::ALL {
                set.add(self.crl(p, g, &CrlSpec::valid_at(at)));
            }
        }
        set
    }

    pub fn auth_cert(&self) -> Certificate {
        Certificate::from_der(&self.holder.auth_certificate).unwrap()
    }

    pub fn sign_cert(&self) -> Certificate {
        Certificate::from_der(&self.holder.sign_certificate).unwrap()
    }

    /// The authentication-certificate template of the default holder, to tweak.
    pub fn auth_template(&self) -> CertTemplate {
        self.pki
            .auth_template(&self.persona, &IssueSpec::default())
            .unwrap()
    }

    pub fn sign_template(&self) -> CertTemplate {
        self.pki
            .sign_template(&self.persona, &IssueSpec::default())
            .unwrap()
    }

    /// Issues and parses `template`.
    pub fn issue(&self, template: &CertTemplate) -> Certificate {
        Certificate::from_der(&self.pki.issue_with(template).unwrap()).unwrap()
    }

    /// A CA certificate `CN=<name>` on fixture key `key`, issued by the 2023 authentication root.
    pub fn intermediate(
        &self,
        name: &str,
        key: KeyChoice,
        key_usage: KeyUsage,
        path_len: Option<u8>,
    ) -> CertTemplate {
        let mut t = CertTemplate::bare(
            DistinguishedName::new()
                .country("JP")
                .organization("kazasu test")
                .common_name(name),
            key,
        );
        t.issuer = Issuer::Root {
            purpose: VcPurpose::Authentication,
            generation: Generation::G2023,
        };
        t.serial = vec![0x10, u8::try_from(name.len()).unwrap()];
        t.key_usage = Ext::critical(key_usage);
        t.basic_constraints = Ext::critical(BasicConstraints {
            ca: true,
            path_len_constraint: path_len,
        });
        t.authority_key_id = AuthorityKeyId::KeyIdOnly;
        t
    }

    /// The authentication template re-pointed at an issuing certificate and its key.
    pub fn auth_template_under(&self, issuer_der: &[u8], key: KeyChoice) -> CertTemplate {
        let mut t = self.auth_template();
        t.issuer = Issuer::Certificate {
            certificate: issuer_der.to_vec(),
            key,
        };
        t
    }
}

pub fn ca_usage() -> KeyUsage {
    KeyUsage(KeyUsages::KeyCertSign | KeyUsages::CRLSign)
}
