//! Bulk loading of enrolled people (sandbox and load runs), through the store's `BulkEnrol`: one
//! transaction, COPY on PostgreSQL.

use kazasu_health::store::EnrolledPerson;
use kazasu_health::{Person, Qualification};
use kazasu_pki::CertificateId;

use crate::ServeError;
use crate::stores::Stores;

/// A person, their qualifications and the certificate bound to them.
pub type Enrolled = (Person, Vec<Qualification>, CertificateId);

/// Loads `people` into the stores; returns how many.
pub fn enrol(
    stores: &Stores,
    people: &mut dyn Iterator<Item = Enrolled>,
) -> Result<u64, ServeError> {
    let at = time::OffsetDateTime::now_utc();
    stores
        .bulk
        .bulk_enrol(&mut people.map(|(person, qualifications, id)| {
            EnrolledPerson::new(person, qualifications, id, at)
        }))
        .map_err(|e| ServeError::Database(e.to_string()))
}
