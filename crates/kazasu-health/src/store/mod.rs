//! Where the flows keep their data: traits, so a server database can replace the embedded SQLite.

mod sqlite;

pub use sqlite::SqliteStore;

use kazasu_pki::CertificateId;
use time::{Date, OffsetDateTime};

use crate::StoreError;
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
}

/// The eligibility system's data: people, qualifications, certificate links.
pub trait EligibilityStore: RenewalStore {
    /// Records a person and their qualifications (the insurers' data), replacing earlier ones.
    fn put_person(
        &self,
        person: &Person,
        qualifications: &[Qualification],
    ) -> Result<(), StoreError>;

    /// A person and their qualifications.
    fn person(
        &self,
        agency: &AgencyCode,
    ) -> Result<Option<(Person, Vec<Qualification>)>, StoreError>;

    /// Binds a certificate to a person (enrolment). A certificate binds to one person only.
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

/// A facility's check-in data: patient-card links, reservations, queue numbers.
pub trait CheckinStore: RenewalStore {
    /// Links a certificate identity to a patient card at a facility (replacing an earlier link of
    /// that certificate).
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
    fn check_in(
        &self,
        facility: &FacilityCode,
        card: &PatientCardNumber,
        day: Date,
        at: OffsetDateTime,
    ) -> Result<u32, StoreError>;
}
