//! The request messages a clinic system writes into the `req` folder.

use crate::OnshiDate;
use crate::codes::CharacterCode;
use crate::node::xml_node;

xml_node! {
    /// `MessageHeader` of a request.
    pub struct RequestHeader {
        /// QualificationConfirmationDate (資格確認日).
        qualification_confirmation_date: value Option<OnshiDate> = "QualificationConfirmationDate",
        /// MedicalInstitutionCode (10 digits).
        medical_institution_code: value Option<String> = "MedicalInstitutionCode",
        /// ArbitraryFileIdentifier: echoed in the answer.
        arbitrary_file_identifier: value Option<String> = "ArbitraryFileIdentifier",
        /// CharacterCodeIdentifier, when the request carries one.
        character_code_identifier: value Option<CharacterCode> = "CharacterCodeIdentifier",
    }
}

xml_node! {
    /// `QualificationConfirmSearchInfo`: a search by insurance-card data (also echoed in results).
    pub struct QualificationConfirmSearchInfo {
        /// InsurerNumber (8 characters; a 6-digit number after two spaces), as it arrived.
        insurer_number: value Option<String> = "InsurerNumber",
        /// InsuredCardSymbol.
        insured_card_symbol: value Option<String> = "InsuredCardSymbol",
        /// InsuredIdentificationNumber.
        insured_identification_number: value Option<String> = "InsuredIdentificationNumber",
        /// InsuredBranchNumber.
        insured_branch_number: value Option<String> = "InsuredBranchNumber",
        /// Birthdate.
        birthdate: value Option<OnshiDate> = "Birthdate",
        /// LimitApplicationCertificateRelatedConsFlg (kept as text).
        limit_application_certificate_related_cons_flg: value Option<String> = "LimitApplicationCertificateRelatedConsFlg",
    }
}

xml_node! {
    /// `MessageBody` of a confirmation request by insurance-card data.
    pub struct ConfirmationBody {
        /// QualificationConfirmSearchInfo.
        search: node Option<QualificationConfirmSearchInfo> = "QualificationConfirmSearchInfo",
    }
}

xml_node! {
    /// One patient's 照会番号 registration: the `MessageBody` of a single registration, or one
    /// `ReferenceNumberRegistrationInfo` of a bulk one.
    pub struct ReferenceNumberRegistrationInfo {
        /// InsurerNumber, as it arrived.
        insurer_number: value Option<String> = "InsurerNumber",
        /// InsuredCardSymbol.
        insured_card_symbol: value Option<String> = "InsuredCardSymbol",
        /// InsuredIdentificationNumber.
        insured_identification_number: value Option<String> = "InsuredIdentificationNumber",
        /// InsuredBranchNumber.
        insured_branch_number: value Option<String> = "InsuredBranchNumber",
        /// Birthdate.
        birthdate: value Option<OnshiDate> = "Birthdate",
        /// ReferenceNumber: the 照会番号 to register (typically the patient-card number).
        reference_number: value Option<String> = "ReferenceNumber",
    }
}

xml_node! {
    /// `MessageBody` of a bulk 照会番号 registration.
    pub struct BulkRegistrationBody {
        /// One ReferenceNumberRegistrationInfo per patient.
        registrations: repeat Vec<ReferenceNumberRegistrationInfo> = "ReferenceNumberRegistrationInfo",
    }
}
