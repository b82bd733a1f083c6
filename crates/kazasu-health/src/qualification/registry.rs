//! The qualification registry (医籍・歯科医籍・薬剤師名簿): who holds which licence, and whether it
//! is still in force. A trait, so a service can ask the real registry; [`MemoryRegistry`] for
//! tests and the sandbox.

use std::collections::HashMap;
use std::sync::RwLock;

use kazasu_pki::HcRole;
use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};

use crate::HealthError;
use crate::model::InsuranceSex;

/// The licensed professions an HPKI card proves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Profession {
    /// 医師.
    MedicalDoctor,
    /// 歯科医師.
    Dentist,
    /// 薬剤師.
    Pharmacist,
}

impl Profession {
    /// The hcRole an HPKI certificate states for it.
    pub fn hc_role(self) -> HcRole {
        match self {
            Profession::MedicalDoctor => HcRole::MedicalDoctor,
            Profession::Dentist => HcRole::Dentist,
            Profession::Pharmacist => HcRole::Pharmacist,
        }
    }

    /// `medical-doctor`, `dentist` or `pharmacist`.
    pub fn as_str(self) -> &'static str {
        match self {
            Profession::MedicalDoctor => "medical-doctor",
            Profession::Dentist => "dentist",
            Profession::Pharmacist => "pharmacist",
        }
    }

    /// From [`Profession::as_str`].
    pub fn parse(text: &str) -> Option<Self> {
        [
            Profession::MedicalDoctor,
            Profession::Dentist,
            Profession::Pharmacist,
        ]
        .into_iter()
        .find(|p| p.as_str() == text)
    }
}

impl std::fmt::Display for Profession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether a licence is in force.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
#[non_exhaustive]
pub enum LicenceStatus {
    /// In force.
    Active,
    /// Revoked (免許取消) or ended (death, 登録抹消).
    Revoked {
        /// Since when.
        #[serde(with = "time::serde::rfc3339")]
        since: OffsetDateTime,
        /// The registry's reason.
        reason: String,
    },
}

/// One licence as the registry records it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct LicenceRecord {
    /// The profession.
    pub profession: Profession,
    /// The registration number.
    pub registration_number: String,
    /// The holder's name.
    pub name: String,
    /// The holder's date of birth.
    pub birth_date: Date,
    /// The holder's sex.
    pub sex: InsuranceSex,
    /// In force or not.
    pub status: LicenceStatus,
}

impl LicenceRecord {
    /// An active licence.
    pub fn active(
        profession: Profession,
        registration_number: impl Into<String>,
        name: impl Into<String>,
        birth_date: Date,
        sex: InsuranceSex,
    ) -> Self {
        Self {
            profession,
            registration_number: registration_number.into(),
            name: name.into(),
            birth_date,
            sex,
            status: LicenceStatus::Active,
        }
    }
}

/// Where the desk and the suspension check ask about licences.
pub trait QualificationRegistry: Send + Sync {
    /// The licence `number` of `profession`, if the registry has it.
    fn licence(
        &self,
        profession: Profession,
        number: &str,
    ) -> Result<Option<LicenceRecord>, HealthError>;
}

/// An in-memory registry.
#[derive(Debug, Default)]
pub struct MemoryRegistry {
    records: RwLock<HashMap<(Profession, String), LicenceRecord>>,
}

impl MemoryRegistry {
    /// Empty.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds or replaces a record.
    pub fn insert(&self, record: LicenceRecord) {
        if let Ok(mut map) = self.records.write() {
            map.insert(
                (record.profession, record.registration_number.clone()),
                record,
            );
        }
    }

    /// Marks a licence revoked; `false` when the registry does not have it.
    pub fn revoke(
        &self,
        profession: Profession,
        number: &str,
        since: OffsetDateTime,
        reason: impl Into<String>,
    ) -> bool {
        let Ok(mut map) = self.records.write() else {
            return false;
        };
        match map.get_mut(&(profession, number.to_owned())) {
            Some(r) => {
                r.status = LicenceStatus::Revoked {
                    since,
                    reason: reason.into(),
                };
                true
            }
            None => false,
        }
    }
}

impl QualificationRegistry for MemoryRegistry {
    fn licence(
        &self,
        profession: Profession,
        number: &str,
    ) -> Result<Option<LicenceRecord>, HealthError> {
        let map = self.records.read().map_err(|_| HealthError::Invalid {
            field: "registry",
            reason: "the registry is unavailable".into(),
        })?;
        Ok(map.get(&(profession, number.to_owned())).cloned())
    }
}
