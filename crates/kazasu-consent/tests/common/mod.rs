//! A test world: the virtual card's test PKI (software keys), its test TSA, one network.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use kazasu_consent::evidence::{assertion_evidence, sign_document};
use kazasu_consent::{
    Action, ConsentDocument, ConsentKind, ConsentLedger, ConsentRecord, DataClass, Evidence,
    EvidenceVerifier, Grantee, JpkiIdentity, LedgerStore, NetworkKey, Patient, Pattern, Performer,
    Period, Policy, Purpose, assertion_message,
};
use kazasu_pki::Certificate;
use kazasu_sign::SoftwareSigner;
use kazasu_sign::tsp::LocalTsa;
use kazasu_virtual_card::pki::services::TestTsa;
use kazasu_virtual_card::pki::{
    HolderCredentials, IssueSpec, PersonaBuilder, TestPki, fixture_key,
};
use rsa::pkcs1v15::SigningKey;
use rsa::signature::{SignatureEncoding, Signer};
use sha2::Sha256;
use time::macros::{date, datetime};
use time::{Date, OffsetDateTime};

pub const NETWORK: &str = "net-kanto";
pub const MEMBER: &str = "1312345678";
pub const MEMBER2: &str = "1311111111";
pub const NON_MEMBER: &str = "2799999999";
pub const AT: OffsetDateTime = datetime!(2026-11-26 10:00 +09:00);

pub struct Person {
    pub creds: HolderCredentials,
    pub sign_id: JpkiIdentity,
    pub auth_id: JpkiIdentity,
}

pub struct World {
    pub pki: TestPki,
    pub roots: Vec<Vec<u8>>,
    pub crls: Vec<Vec<u8>>,
    pub tsa_root: Vec<u8>,
    pub tsa: LocalTsa,
    /// The test TSA's clock: set to each document's time before it is signed.
    pub clock: std::sync::Arc<std::sync::Mutex<OffsetDateTime>>,
    pub adult: Person,
    pub parent: Person,
    pub child: Person,
    pub stranger: Person,
}

fn person(pki: &TestPki, seed: u64, slot: usize) -> Person {
    let persona = PersonaBuilder::from_seed(seed).build().unwrap();
    let spec = IssueSpec {
        key_slot: slot,
        ..IssueSpec::default()
    };
    let creds = pki.issue(&persona, &spec).unwrap();
    let sign_id =
        JpkiIdentity::of(&Certificate::from_der(&creds.sign_certificate).unwrap()).unwrap();
    let auth_id =
        JpkiIdentity::of(&Certificate::from_der(&creds.auth_certificate).unwrap()).unwrap();
    Person {
        creds,
        sign_id,
        auth_id,
    }
}

impl World {
    pub fn new() -> Self {
        let pki = TestPki::new(0).unwrap();
        let material = pki.verification_material(AT).unwrap();
        let tsa = TestTsa::new().unwrap();
        let tsa_root = tsa.root.clone();
        let clock = std::sync::Arc::new(std::sync::Mutex::new(AT));
        let c = clock.clone();
        let tsa =
            LocalTsa::new(SoftwareSigner::new(tsa.signer.certificate, tsa.signer.key).unwrap())
                .with_clock(move || *c.lock().unwrap());
        Self {
            adult: person(&pki, 0, 0),
            parent: person(&pki, 1, 1),
            child: person(&pki, 2, 2),
            stranger: person(&pki, 3, 3),
            pki,
            roots: material.roots,
            crls: material.crls,
            tsa_root,
            tsa,
            clock,
        }
    }

    pub fn verifier(&self) -> EvidenceVerifier {
        EvidenceVerifier::new(&self.roots, std::slice::from_ref(&self.tsa_root)).unwrap()
    }

    pub fn network_key() -> NetworkKey {
        NetworkKey::new(fixture_key(7).unwrap()).unwrap()
    }

    pub fn ledger<S: LedgerStore>(&self, store: S) -> ConsentLedger<S> {
        ConsentLedger::new(
            NETWORK,
            [MEMBER.to_owned(), MEMBER2.to_owned()],
            store,
            self.verifier(),
            Self::network_key(),
        )
        .unwrap()
    }

    /// A network consent of the adult patient `patient`.
    pub fn record(
        &self,
        id: &str,
        patient: &str,
        pattern: Pattern,
        grantees: Vec<Grantee>,
    ) -> ConsentRecord {
        ConsentRecord {
            id: id.into(),
            network: NETWORK.into(),
            kind: ConsentKind::Network,
            patient: Patient {
                network_id: patient.into(),
                jpki: self.adult.sign_id.clone(),
                birth_date: date!(1985 - 04 - 01),
            },
            pattern,
            grantees,
            classes: vec![DataClass::Medication, DataClass::Labs],
            purposes: vec![Purpose::Treatment],
            period: Period {
                start: AT,
                end: Some(AT + time::Duration::days(365)),
            },
            performer: Performer::Patient,
            policy: Policy {
                uri: "https://net-kanto.example/terms".into(),
                version: "3".into(),
            },
        }
    }

    /// A child's consent given by the parent (CMS with the parent's signature key).
    pub fn child_record(&self, id: &str, patient: &str, birth: Date) -> ConsentRecord {
        let mut r = self.record(
            id,
            patient,
            Pattern::Listed,
            vec![Grantee::Facility(MEMBER.into())],
        );
        r.patient.jpki = self.child.auth_id.clone();
        r.patient.birth_date = birth;
        r.performer = Performer::Representative {
            name: "山田 太郎".into(),
            relationship: "PRN".into(),
            jpki: self.parent.sign_id.clone(),
        };
        r
    }

    pub fn doc(
        &self,
        action: Action,
        record: &ConsentRecord,
        at: OffsetDateTime,
    ) -> ConsentDocument {
        ConsentDocument {
            action,
            at,
            performer: record.performer.clone(),
            record: record.clone(),
        }
    }

    /// Signs with `who`'s JPKI signature key as CAdES B-T with the CRLs embedded.
    pub fn sign_cms(&self, doc: &ConsentDocument, who: &Person) -> (Vec<u8>, Evidence) {
        *self.clock.lock().unwrap() = doc.at;
        let mut signer = SoftwareSigner::new(
            who.creds.sign_certificate.clone(),
            who.creds.sign_key.clone(),
        )
        .unwrap();
        sign_document(doc, &mut signer, &self.tsa, &self.crls).unwrap()
    }

    /// An authentication assertion by `who` over the document (the phone / auth-PIN path).
    pub fn sign_assertion(&self, doc: &ConsentDocument, who: &Person) -> (Vec<u8>, Evidence) {
        let bytes = doc.to_canonical().unwrap();
        let key = SigningKey::<Sha256>::new(who.creds.auth_key.clone());
        let sig = key.sign(&assertion_message(&bytes)).to_vec();
        let ev = assertion_evidence(&who.creds.auth_certificate, &sig, &self.crls);
        (bytes, ev)
    }

    /// Grants `record` signed by the adult patient's signature key.
    pub fn grant<S: LedgerStore>(&self, ledger: &ConsentLedger<S>, record: &ConsentRecord) -> u64 {
        let doc = self.doc(Action::Grant, record, AT);
        let who = match &record.performer {
            Performer::Patient => &self.adult,
            Performer::Representative { .. } => &self.parent,
        };
        let (bytes, ev) = self.sign_cms(&doc, who);
        ledger.record(&bytes, ev, AT).unwrap()
    }
}
