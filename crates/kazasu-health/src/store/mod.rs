//! Where the flows keep their data: traits, so a server database can replace the embedded SQLite.

#[cfg(feature = "sqlite")]
mod sqlite;

#[cfg(feature = "sqlite")]
pub use sqlite::{SqliteChallengeStore, SqliteStore};

use kazasu_pki::CertificateId;
use time::{Date, OffsetDateTime};

use crate::StoreError;
use crate::audit::{AuditEntry, LookupMode};
use crate::model::{
    AgencyCode, FacilityCode, PatientCardNumber, Person, Qualification, Reservation,
};

/// Old → new certificate links, so a renewed card (new serial) finds what the old one was linked to.
pub trait RenewalStore: Send + Sync {
    /// Imports old → new certificate links (as J-LIS gives platform operators on renewal);
    /// returns how many were new.
    fn import_renewals(
        &self,
        links: &[(CertificateId, CertificateId)],
    ) -> Result<usize, StoreError>;

    /// The certificates a certificate renewed, newest first (itself first), following renewal links.
    fn lineage(&self, id: &CertificateId) -> Result<Vec<CertificateId>, StoreError>;

    /// Rewrites rows stored under a certificate's legacy (issuer name, serial) id — written before
    /// ids were keyed on the issuer's key — to its [`CertificateId`]; returns how many. Services
    /// call it when the certificate is presented (and so verified), which is the first moment the
    /// issuer key behind an ambiguous name is known.
    fn adopt_legacy_id(
        &self,
        legacy: &kazasu_pki::LegacyCertificateId,
        id: &CertificateId,
    ) -> Result<usize, StoreError>;
}

/// Registered facility terminals and the approvals they sent.
pub trait FacilityStore: Send + Sync {
    /// Registers (or replaces) the public key (SubjectPublicKeyInfo DER) of a facility terminal.
    fn register_terminal(
        &self,
        facility: &FacilityCode,
        terminal: &str,
        public_key_der: &[u8],
        at: OffsetDateTime,
    ) -> Result<(), StoreError>;

    /// The registered key of a facility terminal.
    fn terminal_key(
        &self,
        facility: &FacilityCode,
        terminal: &str,
    ) -> Result<Option<Vec<u8>>, StoreError>;

    /// Uses an approval nonce: `false` when it was used before. Nonces are kept until `until`.
    fn use_nonce(
        &self,
        facility: &FacilityCode,
        nonce: &[u8],
        until: OffsetDateTime,
        at: OffsetDateTime,
    ) -> Result<bool, StoreError>;
}

/// The audit trail of lookups.
pub trait AuditStore: Send + Sync {
    /// Appends an entry.
    fn append_audit(&self, entry: &AuditEntry) -> Result<(), StoreError>;

    /// Lookups of `mode` by `facility` at or after `since` whose facility credential was valid
    /// (refusals `K3001` unauthenticated terminal and `K3002` rate-limited do not count: a sender
    /// without a valid approval must not be able to use up a facility's quota).
    fn count_lookups(
        &self,
        facility: &FacilityCode,
        mode: LookupMode,
        since: OffsetDateTime,
    ) -> Result<u32, StoreError>;

    /// The entries of `facility` (all facilities when `None`), oldest first.
    fn audit_trail(&self, facility: Option<&FacilityCode>) -> Result<Vec<AuditEntry>, StoreError>;
}

/// The eligibility system's data: people, qualifications, certificate links.
pub trait EligibilityStore: RenewalStore + FacilityStore + AuditStore {
    /// Records a person and their qualifications (the insurers' data), replacing earlier ones.
    fn put_person(
        &self,
        person: &Person,
        qualifications: &[Qualification],
    ) -> Result<(), StoreError>;

    /// The people born on the query's birth date who hold the qualification the insurance-card
    /// data names.
    fn find_by_insurance_card(
        &self,
        query: &crate::model::InsuranceCardQuery,
    ) -> Result<Vec<AgencyCode>, StoreError>;

    /// A person and their qualifications.
    fn person(
        &self,
        agency: &AgencyCode,
    ) -> Result<Option<(Person, Vec<Qualification>)>, StoreError>;

    /// Binds a certificate to a person (after a verified enrolment, or from a trusted feed). A
    /// certificate binds to one person only.
    fn link_certificate(
        &self,
        id: &CertificateId,
        agency: &AgencyCode,
        at: OffsetDateTime,
    ) -> Result<(), StoreError>;

    /// The person a certificate (or one it renewed) is bound to.
    fn resolve(&self, id: &CertificateId) -> Result<Option<AgencyCode>, StoreError>;

    /// Registers a facility's 照会番号 for a person.
    fn set_reference_number(
        &self,
        facility: &FacilityCode,
        agency: &AgencyCode,
        reference: &str,
    ) -> Result<(), StoreError>;

    /// The facility's 照会番号 for a person.
    fn reference_number(
        &self,
        facility: &FacilityCode,
        agency: &AgencyCode,
    ) -> Result<Option<String>, StoreError>;
}

/// What a facility's own records say about a patient (to match a card holder against).
#[derive(Clone, PartialEq, Eq, Debug)]
#[non_exhaustive]
pub struct PatientRecord {
    /// Name.
    pub name: String,
    /// Date of birth.
    pub birth_date: Date,
    /// Sex as printed on the card.
    pub sex: crate::model::InsuranceSex,
}

impl PatientRecord {
    /// The facility's record of a patient.
    pub fn new(name: impl Into<String>, birth_date: Date, sex: crate::model::InsuranceSex) -> Self {
        Self {
            name: name.into(),
            birth_date,
            sex,
        }
    }
}

/// A facility's check-in data: patient-card links, reservations, queue numbers.
pub trait CheckinStore: RenewalStore + FacilityStore + AuditStore {
    /// Records (or replaces) the facility's record of a patient.
    fn put_patient(
        &self,
        facility: &FacilityCode,
        card: &PatientCardNumber,
        record: &PatientRecord,
    ) -> Result<(), StoreError>;

    /// The facility's record of a patient.
    fn patient(
        &self,
        facility: &FacilityCode,
        card: &PatientCardNumber,
    ) -> Result<Option<PatientRecord>, StoreError>;

    /// Links a certificate identity to a patient card at a facility (replacing an earlier link of
    /// that certificate). A patient card already linked to another card that is not an earlier
    /// certificate of this one (per the renewal links) is a [`StoreError::Conflict`].
    fn link_patient_card(
        &self,
        facility: &FacilityCode,
        id: &CertificateId,
        card: &PatientCardNumber,
        at: OffsetDateTime,
    ) -> Result<(), StoreError>;

    /// The patient card linked to a certificate (or one it renewed).
    fn patient_card(
        &self,
        facility: &FacilityCode,
        id: &CertificateId,
    ) -> Result<Option<PatientCardNumber>, StoreError>;

    /// Adds a reservation.
    fn add_reservation(
        &self,
        facility: &FacilityCode,
        card: &PatientCardNumber,
        reservation: &Reservation,
    ) -> Result<(), StoreError>;

    /// A patient's reservations on a day.
    fn reservations(
        &self,
        facility: &FacilityCode,
        card: &PatientCardNumber,
        day: Date,
    ) -> Result<Vec<Reservation>, StoreError>;

    /// Records a check-in and hands out the next queue number of the facility's day, atomically.
    /// A patient card that already checked in that day gets its number again (idempotent).
    fn check_in(
        &self,
        facility: &FacilityCode,
        card: &PatientCardNumber,
        day: Date,
        at: OffsetDateTime,
    ) -> Result<u32, StoreError>;
}

// Shared stores: a server hands one database handle (`Arc<dyn …>`) to several services.
impl<T: RenewalStore + ?Sized> RenewalStore for std::sync::Arc<T> {
    fn import_renewals(
        &self,
        links: &[(CertificateId, CertificateId)],
    ) -> Result<usize, StoreError> {
        (**self).import_renewals(links)
    }
    fn lineage(&self, id: &CertificateId) -> Result<Vec<CertificateId>, StoreError> {
        (**self).lineage(id)
    }
    fn adopt_legacy_id(
        &self,
        legacy: &kazasu_pki::LegacyCertificateId,
        id: &CertificateId,
    ) -> Result<usize, StoreError> {
        (**self).adopt_legacy_id(legacy, id)
    }
}

impl<T: FacilityStore + ?Sized> FacilityStore for std::sync::Arc<T> {
    fn register_terminal(
        &self,
        facility: &FacilityCode,
        terminal: &str,
        public_key_der: &[u8],
        at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        (**self).register_terminal(facility, terminal, public_key_der, at)
    }
    fn terminal_key(
        &self,
        facility: &FacilityCode,
        terminal: &str,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        (**self).terminal_key(facility, terminal)
    }
    fn use_nonce(
        &self,
        facility: &FacilityCode,
        nonce: &[u8],
        until: OffsetDateTime,
        at: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        (**self).use_nonce(facility, nonce, until, at)
    }
}

impl<T: AuditStore + ?Sized> AuditStore for std::sync::Arc<T> {
    fn append_audit(&self, entry: &AuditEntry) -> Result<(), StoreError> {
        (**self).append_audit(entry)
    }
    fn count_lookups(
        &self,
        facility: &FacilityCode,
        mode: LookupMode,
        since: OffsetDateTime,
    ) -> Result<u32, StoreError> {
        (**self).count_lookups(facility, mode, since)
    }
    fn audit_trail(&self, facility: Option<&FacilityCode>) -> Result<Vec<AuditEntry>, StoreError> {
        (**self).audit_trail(facility)
    }
}

impl<T: EligibilityStore + ?Sized> EligibilityStore for std::sync::Arc<T> {
    fn put_person(
        &self,
        person: &Person,
        qualifications: &[Qualification],
    ) -> Result<(), StoreError> {
        (**self).put_person(person, qualifications)
    }
    fn find_by_insurance_card(
        &self,
        query: &crate::model::InsuranceCardQuery,
    ) -> Result<Vec<AgencyCode>, StoreError> {
        (**self).find_by_insurance_card(query)
    }
    fn person(
        &self,
        agency: &AgencyCode,
    ) -> Result<Option<(Person, Vec<Qualification>)>, StoreError> {
        (**self).person(agency)
    }
    fn link_certificate(
        &self,
        id: &CertificateId,
        agency: &AgencyCode,
        at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        (**self).link_certificate(id, agency, at)
    }
    fn resolve(&self, id: &CertificateId) -> Result<Option<AgencyCode>, StoreError> {
        (**self).resolve(id)
    }
    fn set_reference_number(
        &self,
        facility: &FacilityCode,
        agency: &AgencyCode,
        reference: &str,
    ) -> Result<(), StoreError> {
        (**self).set_reference_number(facility, agency, reference)
    }
    fn reference_number(
        &self,
        facility: &FacilityCode,
        agency: &AgencyCode,
    ) -> Result<Option<String>, StoreError> {
        (**self).reference_number(facility, agency)
    }
}

impl<T: CheckinStore + ?Sized> CheckinStore for std::sync::Arc<T> {
    fn put_patient(
        &self,
        facility: &FacilityCode,
        card: &PatientCardNumber,
        record: &PatientRecord,
    ) -> Result<(), StoreError> {
        (**self).put_patient(facility, card, record)
    }
    fn patient(
        &self,
        facility: &FacilityCode,
        card: &PatientCardNumber,
    ) -> Result<Option<PatientRecord>, StoreError> {
        (**self).patient(facility, card)
    }
    fn link_patient_card(
        &self,
        facility: &FacilityCode,
        id: &CertificateId,
        card: &PatientCardNumber,
        at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        (**self).link_patient_card(facility, id, card, at)
    }
    fn patient_card(
        &self,
        facility: &FacilityCode,
        id: &CertificateId,
    ) -> Result<Option<PatientCardNumber>, StoreError> {
        (**self).patient_card(facility, id)
    }
    fn add_reservation(
        &self,
        facility: &FacilityCode,
        card: &PatientCardNumber,
        reservation: &Reservation,
    ) -> Result<(), StoreError> {
        (**self).add_reservation(facility, card, reservation)
    }
    fn reservations(
        &self,
        facility: &FacilityCode,
        card: &PatientCardNumber,
        day: Date,
    ) -> Result<Vec<Reservation>, StoreError> {
        (**self).reservations(facility, card, day)
    }
    fn check_in(
        &self,
        facility: &FacilityCode,
        card: &PatientCardNumber,
        day: Date,
        at: OffsetDateTime,
    ) -> Result<u32, StoreError> {
        (**self).check_in(facility, card, day, at)
    }
}

/// One person to enrol in bulk: the insurers' data and the certificate already bound to them.
#[derive(Clone, PartialEq, Eq, Debug)]
#[non_exhaustive]
pub struct EnrolledPerson {
    /// The person.
    pub person: Person,
    /// Their qualifications.
    pub qualifications: Vec<Qualification>,
    /// The (authentication) certificate linked to them.
    pub certificate: CertificateId,
    /// When the link was made.
    pub linked_at: OffsetDateTime,
}

impl EnrolledPerson {
    /// A person with their qualifications and linked certificate.
    pub fn new(
        person: Person,
        qualifications: Vec<Qualification>,
        certificate: CertificateId,
        linked_at: OffsetDateTime,
    ) -> Self {
        Self {
            person,
            qualifications,
            certificate,
            linked_at,
        }
    }
}

/// Loading many enrolled people at once (load tests, migrations from another system).
pub trait BulkEnrol {
    /// Stores every person as [`EligibilityStore::put_person`] then
    /// [`EligibilityStore::link_certificate`] would, in one transaction: all or nothing. A
    /// certificate linked to another person (already, or earlier in `people`) is a
    /// [`StoreError::Conflict`] and nothing is stored. Returns how many people were read.
    fn bulk_enrol(
        &self,
        people: &mut dyn Iterator<Item = EnrolledPerson>,
    ) -> Result<u64, StoreError>;
}
