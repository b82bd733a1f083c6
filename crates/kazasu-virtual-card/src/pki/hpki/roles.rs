//! [`HcRole`]: the HPKI qualification strings, and the DER of the hcRole attribute that carries them.
//!
//! The hcRole (ISO 17090) is not an extension of its own: it is an attribute inside
//! subjectDirectoryAttributes (`2.5.29.9`):
//!
//! ```text
//! SubjectDirectoryAttributes ::= SEQUENCE OF Attribute
//! Attribute ::= SEQUENCE { type 1.0.17090.0.1, values SET OF HCActorData }
//! HCActorData ::= SET OF HCActor
//! HCActor ::= SEQUENCE { codedData [0] EXPLICIT SET {
//!     codingSchemeReference [0] EXPLICIT OBJECT IDENTIFIER,   -- 1.2.392.100495.1.6.1.1 in Japan
//!     codeDataValue         [1] EXPLICIT ... OPTIONAL,
//!     codeDataFreeText      [2] EXPLICIT DirectoryString } }  -- "Medical Doctor", …
//! ```
//!
//! Written by hand: `x509-cert` has no HCActor type, and the writer must put any coding scheme and any
//! text in (negative tests use unknown schemes and strings).

use der::Encode;
use der::asn1::{ObjectIdentifier, Utf8StringRef};

use crate::pki::cert::tlv;
use crate::pki::{PkiError, oids};

/// The qualifications and manager roles an HPKI certificate can state, as their English hcRole strings.
///
/// The national qualifications follow the HPKI certificate policy's list of national licences
/// (ISO 17090 professional roles for Japan); the manager roles are those the HPKI policy lets a
/// facility head hold. Only `Medical Doctor` and `Pharmacist` are confirmed in real certificates; the
/// other strings are our reading of the public policy material and may differ in capitalisation or
/// wording from what a CA writes — a verifier should treat an unknown string as unknown, not guess.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum HcRole {
    /// 医師.
    MedicalDoctor,
    /// 歯科医師.
    Dentist,
    /// 薬剤師.
    Pharmacist,
    /// 臨床検査技師.
    MedicalTechnologist,
    /// 衛生検査技師.
    HygieneLaboratoryTechnician,
    /// 診療放射線技師.
    RadiologicalTechnologist,
    /// 理学療法士.
    PhysicalTherapist,
    /// 作業療法士.
    OccupationalTherapist,
    /// 視能訓練士.
    Orthoptist,
    /// 言語聴覚士.
    SpeechTherapist,
    /// 臨床工学技士.
    ClinicalEngineer,
    /// 義肢装具士.
    ProsthetistAndOrthotist,
    /// 救急救命士.
    EmergencyMedicalTechnician,
    /// 歯科衛生士.
    DentalHygienist,
    /// 歯科技工士.
    DentalTechnician,
    /// 保健師.
    PublicHealthNurse,
    /// 助産師.
    Midwife,
    /// 看護師.
    Nurse,
    /// 准看護師.
    AssistantNurse,
    /// 管理栄養士.
    RegisteredDietitian,
    /// 社会福祉士.
    CertifiedSocialWorker,
    /// 介護福祉士.
    CertifiedCareWorker,
    /// 精神保健福祉士.
    PsychiatricSocialWorker,
    /// あん摩マッサージ指圧師.
    MassageAndShiatsuTherapist,
    /// はり師.
    Acupuncturist,
    /// きゅう師.
    MoxibustionTherapist,
    /// 柔道整復師.
    JudoTherapist,
    /// 病院長 (manager role).
    DirectorOfHospital,
    /// 診療所長 (manager role).
    DirectorOfClinic,
    /// 管理薬剤師 (manager role).
    DirectorOfPharmacy,
}

impl HcRole {
    /// Every role, the 27 national qualifications first, then the manager roles.
    pub const ALL: [HcRole; 30] = [
        HcRole::MedicalDoctor,
        HcRole::Dentist,
        HcRole::Pharmacist,
        HcRole::MedicalTechnologist,
        HcRole::HygieneLaboratoryTechnician,
        HcRole::RadiologicalTechnologist,
        HcRole::PhysicalTherapist,
        HcRole::OccupationalTherapist,
        HcRole::Orthoptist,
        HcRole::SpeechTherapist,
        HcRole::ClinicalEngineer,
        HcRole::ProsthetistAndOrthotist,
        HcRole::EmergencyMedicalTechnician,
        HcRole::DentalHygienist,
        HcRole::DentalTechnician,
        HcRole::PublicHealthNurse,
        HcRole::Midwife,
        HcRole::Nurse,
        HcRole::AssistantNurse,
        HcRole::RegisteredDietitian,
        HcRole::CertifiedSocialWorker,
        HcRole::CertifiedCareWorker,
        HcRole::PsychiatricSocialWorker,
        HcRole::MassageAndShiatsuTherapist,
        HcRole::Acupuncturist,
        HcRole::MoxibustionTherapist,
        HcRole::JudoTherapist,
        HcRole::DirectorOfHospital,
        HcRole::DirectorOfClinic,
        HcRole::DirectorOfPharmacy,
    ];

    /// The codeDataFreeText string.
    pub fn text(self) -> &'static str {
        match self {
            HcRole::MedicalDoctor => "Medical Doctor",
            HcRole::Dentist => "Dentist",
            HcRole::Pharmacist => "Pharmacist",
            HcRole::MedicalTechnologist => "Medical Technologist",
            HcRole::HygieneLaboratoryTechnician => "Hygiene Laboratory Technician",
            HcRole::RadiologicalTechnologist => "Radiological Technologist",
            HcRole::PhysicalTherapist => "Physical Therapist",
            HcRole::OccupationalTherapist => "Occupational Therapist",
            HcRole::Orthoptist => "Orthoptist",
            HcRole::SpeechTherapist => "Speech Therapist",
            HcRole::ClinicalEngineer => "Clinical Engineer",
            HcRole::ProsthetistAndOrthotist => "Prosthetist and Orthotist",
            HcRole::EmergencyMedicalTechnician => "Emergency Medical Technician",
            HcRole::DentalHygienist => "Dental Hygienist",
            HcRole::DentalTechnician => "Dental Technician",
            HcRole::PublicHealthNurse => "Public Health Nurse",
            HcRole::Midwife => "Midwife",
            HcRole::Nurse => "Nurse",
            HcRole::AssistantNurse => "Assistant Nurse",
            HcRole::RegisteredDietitian => "Registered Dietitian",
            HcRole::CertifiedSocialWorker => "Certified Social Worker",
            HcRole::CertifiedCareWorker => "Certified Care Worker",
            HcRole::PsychiatricSocialWorker => "Psychiatric Social Worker",
            HcRole::MassageAndShiatsuTherapist => "Anma Massage Shiatsu Practitioner",
            HcRole::Acupuncturist => "Acupuncturist",
            HcRole::MoxibustionTherapist => "Moxibustion Practitioner",
            HcRole::JudoTherapist => "Judo Therapist",
            HcRole::DirectorOfHospital => "Director of Hospital",
            HcRole::DirectorOfClinic => "Director of Clinic",
            HcRole::DirectorOfPharmacy => "Director of Pharmacy",
        }
    }

    /// Whether this is a manager role rather than a national qualification.
    pub fn is_manager_role(self) -> bool {
        matches!(
            self,
            HcRole::DirectorOfHospital | HcRole::DirectorOfClinic | HcRole::DirectorOfPharmacy
        )
    }

    /// The role whose string is `text`, exactly.
    pub fn from_text(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.text() == text)
    }
}

/// The hcRole `Attribute` (type `1.0.17090.0.1`) holding one HCActor per string in `roles`, each with
/// `scheme` as codingSchemeReference and the string as a UTF8String codeDataFreeText.
pub fn hc_role_attribute(scheme: ObjectIdentifier, roles: &[&str]) -> Result<Vec<u8>, PkiError> {
    let scheme = scheme.to_der()?;
    let mut actors = roles
        .iter()
        .map(|text| {
            let mut coded = tlv(0xA0, &scheme);
            coded.extend(tlv(0xA2, &Utf8StringRef::new(text)?.to_der()?));
            Ok(tlv(0x30, &tlv(0xA0, &tlv(0x31, &coded))))
        })
        .collect::<Result<Vec<_>, PkiError>>()?;
    // DER orders the members of a SET OF by their encodings.
    actors.sort();
    let mut attribute = oids::HC_ROLE_ATTRIBUTE.to_der()?;
    attribute.extend(tlv(0x31, &tlv(0x31, &actors.concat())));
    Ok(tlv(0x30, &attribute))
}

/// The value of the subjectDirectoryAttributes extension holding [`hc_role_attribute`].
pub fn hc_role_extension_value(
    scheme: ObjectIdentifier,
    roles: &[&str],
) -> Result<Vec<u8>, PkiError> {
    Ok(tlv(0x30, &hc_role_attribute(scheme, roles)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_strings_are_distinct_and_round_trip() {
        let mut seen = std::collections::HashSet::new();
        for role in HcRole::ALL {
            assert!(seen.insert(role.text()), "{role:?}");
            assert_eq!(HcRole::from_text(role.text()), Some(role));
        }
        assert_eq!(
            HcRole::ALL.iter().filter(|r| !r.is_manager_role()).count(),
            27
        );
        assert_eq!(HcRole::from_text("medical doctor"), None);
    }
}
