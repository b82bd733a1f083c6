//! The code tables of the interface. Each keeps a code it does not know as `Other` with the code as
//! it arrived, so nothing is lost or guessed; build values with `from_code`.

macro_rules! code_enum {
    ($(#[$m:meta])* $name:ident { $( $(#[$vm:meta])* $variant:ident = $code:literal, )* }) => {
        $(#[$m])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash)]
        #[non_exhaustive]
        pub enum $name {
            $( $(#[$vm])* $variant, )*
            /// A code this version does not know, as it arrived.
            Other(String),
        }

        impl $name {
            /// Every code this version knows.
            pub const KNOWN: &'static [&'static str] = &[$($code),*];

            /// The value for a code; an unknown code is kept as `Other`.
            pub fn from_code(code: &str) -> Self {
                match code {
                    $( $code => Self::$variant, )*
                    other => Self::Other(other.to_owned()),
                }
            }

            /// The code, as written in the file.
            pub fn code(&self) -> &str {
                match self {
                    $( Self::$variant => $code, )*
                    Self::Other(code) => code,
                }
            }

            /// Whether the code is one this version knows.
            pub fn is_known(&self) -> bool {
                !matches!(self, Self::Other(_))
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.code())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.code())
            }
        }

        impl crate::node::TextValue for $name {
            fn from_text(text: String, _path: &dyn Fn() -> String) -> Result<Option<Self>, crate::OnshiError> {
                Ok(Some(Self::from_code(&text)))
            }
            fn to_text(&self) -> std::borrow::Cow<'_, str> {
                std::borrow::Cow::Borrowed(self.code())
            }
        }
    };
}

code_enum!(
    /// CharacterCodeIdentifier.
    CharacterCode { /// `0` UTF-8.
    Utf8 = "0", /// `1` Shift_JIS.
    ShiftJis = "1", }
);
code_enum!(
    /// ReferenceClassification (照会区分).
    ReferenceClassification { /// `1` My Number Card.
    MyNumberCard = "1", /// `2` insurance-card data.
    InsuranceCard = "2", }
);
code_enum!(
    /// SegmentOfResult (処理結果区分).
    SegmentOfResult { /// `1` done.
    Done = "1", /// `2` in progress.
    InProgress = "2", /// `9` abnormal end.
    AbnormalEnd = "9", }
);
code_enum!(
    /// ProcessingResultStatus (処理結果状況).
    ProcessingResultStatus { /// `1` normal.
    Normal = "1", /// `2` error.
    Error = "2", }
);
code_enum!(
    /// QualificationValidity (資格有効性).
    QualificationValidity { /// `1` 有効.
    Valid = "1", /// `2` 無効.
    Invalid = "2", /// `3` 無効・新しい資格あり.
    InvalidNewerExists = "3", /// `4` 該当資格なし.
    NoQualification = "4", /// `5` 複数該当.
    Multiple = "5", }
);
code_enum!(
    /// PrescriptionIssueSelect (処方箋発行形態).
    PrescriptionIssueSelect { /// `1` electronic.
    Electronic = "1", /// `2` paper.
    Paper = "2", }
);
code_enum!(
    /// InsuredCardClassification (被保険者証区分).
    InsuredCardClassification { /// `01` 被保険者証(一般).
    General = "01", /// `02` 被保険者証(退職).
    Retired = "02", /// `03` 短期被保険者証(一般).
    ShortTermGeneral = "03", /// `04` 短期被保険者証(退職).
    ShortTermRetired = "04", /// `05` 被保険者資格証明書.
    QualificationCertificate = "05", /// `06` 特例退職被保険者証.
    SpecialRetired = "06", /// `07` 自衛官診療証.
    SelfDefenseForces = "07", }
);
code_enum!(
    /// PersonalFamilyClassification (本人・家族の別).
    PersonalFamilyClassification { /// `1` 本人.
    Insured = "1", /// `2` 家族.
    Family = "2", }
);
code_enum!(
    /// Sex1 / Sex2.
    Sex { /// `1` 男.
    Male = "1", /// `2` 女.
    Female = "2", /// `3` 未設定.
    Unset = "3", }
);
code_enum!(
    /// ReasonOfLoss (資格喪失事由).
    ReasonOfLoss { /// `01` death.
    Death = "01", /// `02` public assistance (生活保護).
    PublicAssistance = "02", /// `03` other insurance.
    OtherInsurance = "03", /// `99` other reason.
    OtherReason = "99", }
);
code_enum!(
    /// The 24-hour reader consent flags (`PharmacistsInfoConsFlg` and its siblings).
    ReaderConsent { /// `0` not given.
    NotGiven = "0", /// `1` given.
    Given = "1", /// `2` expired.
    Expired = "2", /// `3` could not be obtained.
    NotObtainable = "3", }
);
code_enum!(
    /// LimitApplicationCertificateClassification (限度額適用認定証区分; meanings not public).
    LimitApplicationCertificateClassification { /// `01`.
    C01 = "01", /// `02`.
    C02 = "02", /// `03`.
    C03 = "03", }
);
code_enum!(
    /// LimitApplicationCertificateClassificationFlag (適用区分, `A01`–`A06`, `B01`–`B10`).
    LimitApplicationCertificateClassificationFlag {
    /// `A01`.
    A01 = "A01", /// `A02`.
    A02 = "A02", /// `A03`.
    A03 = "A03", /// `A04`.
    A04 = "A04", /// `A05`.
    A05 = "A05", /// `A06`.
    A06 = "A06", /// `B01`.
    B01 = "B01", /// `B02`.
    B02 = "B02", /// `B03`.
    B03 = "B03", /// `B04`.
    B04 = "B04", /// `B05`.
    B05 = "B05", /// `B06`.
    B06 = "B06", /// `B07`.
    B07 = "B07", /// `B08`.
    B08 = "B08", /// `B09`.
    B09 = "B09", /// `B10`.
    B10 = "B10", }
);
code_enum!(
    /// The category of a 特定疾病療養受療証.
    SpecificDiseaseCategory { /// `1` chronic renal failure on dialysis.
    ChronicRenalFailure = "1", /// `2` congenital coagulation disorders.
    CongenitalCoagulationDisorder = "2", /// `3` HIV from blood products.
    HivFromBloodProducts = "3", }
);
