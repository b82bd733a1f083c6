//! The result message (`XmlMsg` answering a confirmation, or written for a face-reader visit).

use crate::codes::{
    CharacterCode, InsuredCardClassification, LimitApplicationCertificateClassification,
    LimitApplicationCertificateClassificationFlag, PersonalFamilyClassification,
    PrescriptionIssueSelect, ProcessingResultStatus, QualificationValidity, ReaderConsent,
    ReasonOfLoss, ReferenceClassification, SegmentOfResult, Sex, SpecificDiseaseCategory,
};
use crate::node::xml_node;
use crate::request::QualificationConfirmSearchInfo;
use crate::{OnshiDate, OnshiDateTime};

xml_node! {
    /// `MessageHeader` of a result.
    pub struct ResultHeader {
        /// ProcessExecutionTime (処理実行日時).
        process_execution_time: value Option<OnshiDateTime> = "ProcessExecutionTime",
        /// QualificationConfirmationDate (資格確認日).
        qualification_confirmation_date: value Option<OnshiDate> = "QualificationConfirmationDate",
        /// MedicalInstitutionCode (医療機関コード, 10 digits).
        medical_institution_code: value Option<String> = "MedicalInstitutionCode",
        /// ArbitraryFileIdentifier, echoed from the request.
        arbitrary_file_identifier: value Option<String> = "ArbitraryFileIdentifier",
        /// ReferenceClassification.
        reference_classification: value Option<ReferenceClassification> = "ReferenceClassification",
        /// SegmentOfResult.
        segment_of_result: value Option<SegmentOfResult> = "SegmentOfResult",
        /// ErrorCode (abnormal end).
        error_code: value Option<String> = "ErrorCode",
        /// ErrorMessage (abnormal end).
        error_message: value Option<String> = "ErrorMessage",
        /// CharacterCodeIdentifier.
        character_code_identifier: value Option<CharacterCode> = "CharacterCodeIdentifier",
    }
}

xml_node! {
    /// `MessageBody` of a result.
    pub struct ResultBody {
        /// ProcessingResultStatus.
        processing_result_status: value Option<ProcessingResultStatus> = "ProcessingResultStatus",
        /// ProcessingResultCode.
        processing_result_code: value Option<String> = "ProcessingResultCode",
        /// ProcessingResultMessage.
        processing_result_message: value Option<String> = "ProcessingResultMessage",
        /// QualificationValidity.
        qualification_validity: value Option<QualificationValidity> = "QualificationValidity",
        /// PrescriptionIssueSelect.
        prescription_issue_select: value Option<PrescriptionIssueSelect> = "PrescriptionIssueSelect",
        /// QualificationConfirmSearchInfo: the search, echoed.
        qualification_confirm_search_info: node Option<QualificationConfirmSearchInfo> = "QualificationConfirmSearchInfo",
        /// ResultList.
        result_list: node Option<ResultList> = "ResultList",
        /// BulkConfirmUnit: one per unit of a bulk 照会番号 registration.
        bulk_confirm_units: repeat Vec<BulkConfirmUnit> = "BulkConfirmUnit",
    }
}

xml_node! {
    /// `ResultList`.
    pub struct ResultList {
        /// The entries.
        results: repeat Vec<ResultOfQualificationConfirmation> = "ResultOfQualificationConfirmation",
    }
}

xml_node! {
    /// `BulkConfirmUnit`: the outcome for one patient of a bulk registration.
    pub struct BulkConfirmUnit {
        /// ProcessingResultStatus.
        processing_result_status: value Option<ProcessingResultStatus> = "ProcessingResultStatus",
        /// ProcessingResultCode.
        processing_result_code: value Option<String> = "ProcessingResultCode",
        /// ProcessingResultMessage.
        processing_result_message: value Option<String> = "ProcessingResultMessage",
        /// ReferenceNumber the unit registered.
        reference_number: value Option<String> = "ReferenceNumber",
    }
}

xml_node! {
    /// `ResultOfQualificationConfirmation`: one qualification.
    pub struct ResultOfQualificationConfirmation {
        /// InsuredCardClassification.
        insured_card_classification: value Option<InsuredCardClassification> = "InsuredCardClassification",
        /// InsurerNumber: 8 characters, a 6-digit 国保 number after two spaces, kept as it arrived.
        insurer_number: value Option<String> = "InsurerNumber",
        /// InsurerName.
        insurer_name: value Option<String> = "InsurerName",
        /// InsuredCardSymbol (記号).
        insured_card_symbol: value Option<String> = "InsuredCardSymbol",
        /// InsuredIdentificationNumber (番号).
        insured_identification_number: value Option<String> = "InsuredIdentificationNumber",
        /// InsuredBranchNumber (枝番, 2 digits).
        insured_branch_number: value Option<String> = "InsuredBranchNumber",
        /// PersonalFamilyClassification.
        personal_family_classification: value Option<PersonalFamilyClassification> = "PersonalFamilyClassification",
        /// InsuredName (the insured head).
        insured_name: value Option<String> = "InsuredName",
        /// Name.
        name: value Option<String> = "Name",
        /// NameOfOther (通称).
        name_of_other: value Option<String> = "NameOfOther",
        /// NameKana (half-width katakana, as sent).
        name_kana: value Option<String> = "NameKana",
        /// NameOfOtherKana.
        name_of_other_kana: value Option<String> = "NameOfOtherKana",
        /// Sex1 (as printed on the card).
        sex1: value Option<Sex> = "Sex1",
        /// Sex2.
        sex2: value Option<Sex> = "Sex2",
        /// Birthdate.
        birthdate: value Option<OnshiDate> = "Birthdate",
        /// Address.
        address: value Option<String> = "Address",
        /// PostNumber.
        post_number: value Option<String> = "PostNumber",
        /// InsuredCertificateIssuanceDate.
        insured_certificate_issuance_date: value Option<OnshiDate> = "InsuredCertificateIssuanceDate",
        /// InsuredCardValidDate.
        insured_card_valid_date: value Option<OnshiDate> = "InsuredCardValidDate",
        /// InsuredCardExpirationDate.
        insured_card_expiration_date: value Option<OnshiDate> = "InsuredCardExpirationDate",
        /// InsuredPartialContributionRatio (後期高齢者, e.g. `010` = 10 %).
        insured_partial_contribution_ratio: value Option<String> = "InsuredPartialContributionRatio",
        /// PreschoolClassification (未就学区分).
        preschool_classification: value Option<String> = "PreschoolClassification",
        /// ReasonOfLoss.
        reason_of_loss: value Option<ReasonOfLoss> = "ReasonOfLoss",
        /// ElderlyRecipientCertificateInfo (高齢受給者証).
        elderly_recipient_certificate_info: node Option<ElderlyRecipientCertificateInfo> = "ElderlyRecipientCertificateInfo",
        /// LimitApplicationCertificateRelatedConsFlg (the code list is not public: kept as text).
        limit_application_certificate_related_cons_flg: value Option<String> = "LimitApplicationCertificateRelatedConsFlg",
        /// LimitApplicationCertificateRelatedConsTime.
        limit_application_certificate_related_cons_time: value Option<OnshiDateTime> = "LimitApplicationCertificateRelatedConsTime",
        /// LimitApplicationCertificateRelatedInfo (限度額適用認定証).
        limit_application_certificate_related_info: node Option<LimitApplicationCertificateRelatedInfo> = "LimitApplicationCertificateRelatedInfo",
        /// SpecificDiseasesCertificateRelatedConsFlg (kept as text).
        specific_diseases_certificate_related_cons_flg: value Option<String> = "SpecificDiseasesCertificateRelatedConsFlg",
        /// SpecificDiseasesCertificateRelatedConsTime.
        specific_diseases_certificate_related_cons_time: value Option<OnshiDateTime> = "SpecificDiseasesCertificateRelatedConsTime",
        /// SpecificDiseasesCertificateList (特定疾病療養受療証).
        specific_diseases_certificate_list: node Option<SpecificDiseasesCertificateList> = "SpecificDiseasesCertificateList",
        /// ReferenceNumber (the clinic's 照会番号).
        reference_number: value Option<String> = "ReferenceNumber",
        /// PharmacistsInfoConsFlg: consent to show medication information.
        pharmacists_info_cons_flg: value Option<ReaderConsent> = "PharmacistsInfoConsFlg",
        /// PharmacistsInfoConsTime.
        pharmacists_info_cons_time: value Option<OnshiDateTime> = "PharmacistsInfoConsTime",
        /// PharmacistsInfoAvailableTime.
        pharmacists_info_available_time: value Option<OnshiDateTime> = "PharmacistsInfoAvailableTime",
        /// SpecificHealthCheckupsInfoConsFlg: consent to show check-up information.
        specific_health_checkups_info_cons_flg: value Option<ReaderConsent> = "SpecificHealthCheckupsInfoConsFlg",
        /// SpecificHealthCheckupsInfoConsTime.
        specific_health_checkups_info_cons_time: value Option<OnshiDateTime> = "SpecificHealthCheckupsInfoConsTime",
        /// SpecificHealthCheckupsInfoAvailableTime.
        specific_health_checkups_info_available_time: value Option<OnshiDateTime> = "SpecificHealthCheckupsInfoAvailableTime",
        /// DiagnosisInfoConsFlg: consent to show diagnosis / care information.
        diagnosis_info_cons_flg: value Option<ReaderConsent> = "DiagnosisInfoConsFlg",
        /// DiagnosisInfoConsTime.
        diagnosis_info_cons_time: value Option<OnshiDateTime> = "DiagnosisInfoConsTime",
        /// DiagnosisInfoAvailableTime.
        diagnosis_info_available_time: value Option<OnshiDateTime> = "DiagnosisInfoAvailableTime",
        /// OperationInfoConsFlg: consent to show surgery information.
        operation_info_cons_flg: value Option<ReaderConsent> = "OperationInfoConsFlg",
        /// OperationInfoConsTime.
        operation_info_cons_time: value Option<OnshiDateTime> = "OperationInfoConsTime",
        /// OperationInfoAvailableTime.
        operation_info_available_time: value Option<OnshiDateTime> = "OperationInfoAvailableTime",
    }
}

xml_node! {
    /// `ElderlyRecipientCertificateInfo` (高齢受給者証).
    pub struct ElderlyRecipientCertificateInfo {
        /// ElderlyRecipientCertificateDate (交付年月日).
        certificate_date: value Option<OnshiDate> = "ElderlyRecipientCertificateDate",
        /// ElderlyRecipientValidStartDate.
        valid_start_date: value Option<OnshiDate> = "ElderlyRecipientValidStartDate",
        /// ElderlyRecipientValidEndDate.
        valid_end_date: value Option<OnshiDate> = "ElderlyRecipientValidEndDate",
        /// ElderlyRecipientContributionRatio (e.g. `020` = 20 %).
        contribution_ratio: value Option<String> = "ElderlyRecipientContributionRatio",
    }
}

xml_node! {
    /// `LimitApplicationCertificateRelatedInfo` (限度額適用認定証).
    pub struct LimitApplicationCertificateRelatedInfo {
        /// LimitApplicationCertificateClassification.
        classification: value Option<LimitApplicationCertificateClassification> = "LimitApplicationCertificateClassification",
        /// LimitApplicationCertificateClassificationFlag.
        classification_flag: value Option<LimitApplicationCertificateClassificationFlag> = "LimitApplicationCertificateClassificationFlag",
        /// LimitApplicationCertificateDate.
        date: value Option<OnshiDate> = "LimitApplicationCertificateDate",
        /// LimitApplicationCertificateValidStartDate.
        valid_start_date: value Option<OnshiDate> = "LimitApplicationCertificateValidStartDate",
        /// LimitApplicationCertificateValidEndDate.
        valid_end_date: value Option<OnshiDate> = "LimitApplicationCertificateValidEndDate",
        /// LimitApplicationCertificateLongTermDate.
        long_term_date: value Option<OnshiDate> = "LimitApplicationCertificateLongTermDate",
    }
}

xml_node! {
    /// `SpecificDiseasesCertificateList`.
    pub struct SpecificDiseasesCertificateList {
        /// The certificates.
        certificates: repeat Vec<SpecificDiseasesCertificateInfo> = "SpecificDiseasesCertificateInfo",
    }
}

xml_node! {
    /// `SpecificDiseasesCertificateInfo`: one 特定疾病療養受療証.
    pub struct SpecificDiseasesCertificateInfo {
        /// SpecificDiseasesDiseaseCategory.
        disease_category: value Option<SpecificDiseaseCategory> = "SpecificDiseasesDiseaseCategory",
        /// SpecificDiseasesCertificateDate.
        certificate_date: value Option<OnshiDate> = "SpecificDiseasesCertificateDate",
        /// SpecificDiseasesValidStartDate.
        valid_start_date: value Option<OnshiDate> = "SpecificDiseasesValidStartDate",
        /// SpecificDiseasesValidEndDate.
        valid_end_date: value Option<OnshiDate> = "SpecificDiseasesValidEndDate",
    }
}
