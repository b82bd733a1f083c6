//! Bulk loading of enrolled people (sandbox and load runs).

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
    let mut n = 0u64;
    for (person, qualifications, id) in people {
        stores
            .health
            .put_person(&person, &qualifications)
            .map_err(|e| ServeError::Database(e.to_string()))?;
        stores
            .health
            .link_certificate(&id, &person.agency_code, at)
            .map_err(|e| ServeError::Database(e.to_string()))?;
        n += 1;
    }
    Ok(n)
}
