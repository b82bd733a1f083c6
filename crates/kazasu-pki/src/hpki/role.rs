//! [`HcRole`]: the healthcare qualification (ISO 17090 `hcRole`) an HPKI certificate states.
//!
//! The role is not an extension of its own: it is one attribute of subjectDirectoryAttributes
//! (`2.5.29.9`), `Attribute { type 1.0.17090.0.1, values SET OF HCActorData }` with
//! `HCActorData ::= SET OF HCActor` and
//!
//! ```text
//! HCActor ::= SEQUENCE {
//!     codedData [0] EXPLICIT SET {
//!         codingSchemeReference [0] EXPLICIT OBJECT IDENTIFIER,  -- 1.2.392.100495.1.6.1.1 in Japan
//!         codeDataValue         [1] EXPLICIT DirectoryString OPTIONAL,
//!         codeDataFreeText      [2] EXPLICIT DirectoryString },
//!     regionalHCActorData [1] ... OPTIONAL }                   -- skipped
//! ```
//!
//! The role strings of the Japanese scheme are English (`Medical Doctor`, `Dentist`, `Pharmacist`,
//! `Director of Hospital`, …).

use std::fmt;
use std::str::FromStr;

use der::asn1::ObjectIdentifier;
use serde::{Deserialize, Serialize};

use crate::tlv::{self, Reader, Tlv, tag};
use crate::{Error, oids};

/// `[0]`, `[1]`, `[2]` constructed context tags.
const CTX0: u8 = 0xA0;
const CTX1: u8 = 0xA1;
const CTX2: u8 = 0xA2;
const SET: u8 = 0x31;
const UTF8_STRING: u8 = 0x0C;
const PRINTABLE_STRING: u8 = 0x13;
const BMP_STRING: u8 = 0x1E;

/// A healthcare role (qualification) of the Japanese hcRole coding scheme.
///
/// The roles this crate names are typed; any other role string is kept as [`HcRole::Other`].
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(into = "String", from = "String")]
#[non_exhaustive]
pub enum HcRole {
    /// `Medical Doctor` (医師).
    MedicalDoctor,
    /// `Dentist` (歯科医師).
    Dentist,
    /// `Pharmacist` (薬剤師).
    Pharmacist,
    /// `Director of Hospital` (病院長).
    DirectorOfHospital,
    /// `Director of Clinic` (診療所長).
    DirectorOfClinic,
    /// Any other role string of the scheme, as written in the certificate.
    Other(String),
}

impl HcRole {
    /// The typed roles, in declaration order.
    pub const KNOWN: [HcRole; 5] = [
        HcRole::MedicalDoctor,
        HcRole::Dentist,
        HcRole::Pharmacist,
        HcRole::DirectorOfHospital,
        HcRole::DirectorOfClinic,
    ];

    /// The role from its scheme string (exact, case-sensitive, as certificates write it).
    pub fn from_text(text: &str) -> Self {
        match text {
            "Medical Doctor" => HcRole::MedicalDoctor,
            "Dentist" => HcRole::Dentist,
            "Pharmacist" => HcRole::Pharmacist,
            "Director of Hospital" => HcRole::DirectorOfHospital,
            "Director of Clinic" => HcRole::DirectorOfClinic,
            other => HcRole::Other(other.to_owned()),
        }
    }

    /// The scheme string (`Medical Doctor`, …).
    pub fn as_str(&self) -> &str {
        match self {
            HcRole::MedicalDoctor => "Medical Doctor",
            HcRole::Dentist => "Dentist",
            HcRole::Pharmacist => "Pharmacist",
            HcRole::DirectorOfHospital => "Director of Hospital",
            HcRole::DirectorOfClinic => "Director of Clinic",
            HcRole::Other(s) => s,
        }
    }
}

impl fmt::Display for HcRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for HcRole {
    type Err = std::convert::Infallible;

    /// The scheme string, or a typed role's name in kebab case (`medical-doctor`,
    /// `director-of-clinic`); anything else is [`HcRole::Other`].
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let kebab = |r: &HcRole| r.as_str().to_ascii_lowercase().replace(' ', "-");
        Ok(HcRole::KNOWN
            .iter()
            .find(|r| kebab(r) == s)
            .cloned()
            .unwrap_or_else(|| HcRole::from_text(s)))
    }
}

impl From<HcRole> for String {
    fn from(r: HcRole) -> Self {
        r.as_str().to_owned()
    }
}

impl From<String> for HcRole {
    fn from(s: String) -> Self {
        HcRole::from_text(&s)
    }
}

/// One HCActor of an hcRole attribute.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub struct HcActor {
    /// The role (from codeDataFreeText).
    pub role: HcRole,
    /// codeDataValue, when present.
    pub code: Option<String>,
}

fn bad(reason: impl fmt::Display) -> Error {
    Error::HcRole(reason.to_string())
}

fn tlv_err(e: tlv::TlvError) -> Error {
    bad(e)
}

/// Parses a subjectDirectoryAttributes extension value (`SEQUENCE SIZE (1..MAX) OF Attribute`) and
/// returns the actors of every hcRole attribute, in order. Attributes of other types are skipped;
/// with no hcRole attribute the answer is empty (the certificate states no role). Anything
/// malformed — in the sequence, or anywhere inside an hcRole attribute, a coding scheme other than
/// the Japanese one included — is an [`Error::HcRole`].
pub fn parse_subject_directory_attributes(der: &[u8]) -> Result<Vec<HcActor>, Error> {
    let outer = tlv::single(der, tag::SEQUENCE).map_err(tlv_err)?;
    let mut r = outer.reader();
    if r.is_empty() {
        return Err(bad("subjectDirectoryAttributes holds no attribute"));
    }
    let mut actors = Vec::new();
    while !r.is_empty() {
        let attr = r.expect(tag::SEQUENCE).map_err(tlv_err)?;
        actors.extend(parse_attribute(&attr)?.unwrap_or_default());
    }
    Ok(actors)
}

/// Parses one `Attribute` (DER of the SEQUENCE): the actors when it is an hcRole attribute,
/// `None` when it is of another type.
pub fn parse_hc_role_attribute(der: &[u8]) -> Result<Option<Vec<HcActor>>, Error> {
    let attr = tlv::single(der, tag::SEQUENCE).map_err(tlv_err)?;
    parse_attribute(&attr)
}

fn parse_attribute(attr: &Tlv<'_>) -> Result<Option<Vec<HcActor>>, Error> {
    let mut a = attr.reader();
    let kind = oid(&a.expect(tag::OID).map_err(tlv_err)?)?;
    let values = a.expect(SET).map_err(tlv_err)?;
    if !a.is_empty() {
        return Err(bad("data after the attribute values"));
    }
    if kind != oids::HC_ROLE {
        return Ok(None);
    }
    let mut actors = Vec::new();
    let mut v = values.reader();
    while !v.is_empty() {
        let data = v.expect(SET).map_err(tlv_err)?;
        let mut d = data.reader();
        while !d.is_empty() {
            actors.push(parse_actor(&d.expect(tag::SEQUENCE).map_err(tlv_err)?)?);
        }
    }
    if actors.is_empty() {
        return Err(bad("hcRole attribute without an HCActor"));
    }
    Ok(Some(actors))
}

fn parse_actor(actor: &Tlv<'_>) -> Result<HcActor, Error> {
    let mut r = actor.reader();
    let Some(coded) = r.optional(CTX0).map_err(tlv_err)? else {
        return Err(bad("HCActor without codedData"));
    };
    // regionalHCActorData carries nothing the Japanese scheme uses; it is skipped but must be
    // the only thing after codedData.
    r.optional(CTX1).map_err(tlv_err)?;
    if !r.is_empty() {
        return Err(bad("unexpected element in HCActor"));
    }
    let set = tlv::single(coded.value, SET).map_err(tlv_err)?;
    let mut s = set.reader();
    let scheme = s.expect(CTX0).map_err(tlv_err)?;
    let scheme = oid(&tlv::single(scheme.value, tag::OID).map_err(tlv_err)?)?;
    if scheme != oids::HPKI_ROLE_CODING_SCHEME {
        return Err(bad(format_args!(
            "codingSchemeReference {scheme} is not the Japanese scheme {}",
            oids::HPKI_ROLE_CODING_SCHEME
        )));
    }
    let code = match s.optional(CTX1).map_err(tlv_err)? {
        Some(c) => Some(directory_string(c.value)?),
        None => None,
    };
    let Some(text) = s.optional(CTX2).map_err(tlv_err)? else {
        return Err(bad("codedData without codeDataFreeText"));
    };
    if !s.is_empty() {
        return Err(bad("unexpected element in codedData"));
    }
    let text = directory_string(text.value)?;
    if text.is_empty() {
        return Err(bad("empty codeDataFreeText"));
    }
    Ok(HcActor {
        role: HcRole::from_text(&text),
        code,
    })
}

fn oid(t: &Tlv<'_>) -> Result<ObjectIdentifier, Error> {
    ObjectIdentifier::from_bytes(t.value).map_err(|e| bad(format_args!("object identifier: {e}")))
}

/// A DirectoryString (UTF8String, PrintableString, BMPString) that is the whole of `der`.
fn directory_string(der: &[u8]) -> Result<String, Error> {
    let mut r = Reader::new(der);
    let t = r.read().map_err(tlv_err)?;
    if !r.is_empty() {
        return Err(bad("data after a DirectoryString"));
    }
    match t.tag {
        UTF8_STRING | PRINTABLE_STRING => std::str::from_utf8(t.value)
            .map(str::to_owned)
            .map_err(|_| bad("DirectoryString is not UTF-8")),
        BMP_STRING => {
            if t.value.len() % 2 != 0 {
                return Err(bad("BMPString of odd length"));
            }
            let units = t
                .value
                .chunks_exact(2)
                .map(|c| u16::from_be_bytes([c[0], c[1]]));
            char::decode_utf16(units)
                .collect::<Result<String, _>>()
                .map_err(|_| bad("BMPString is not UCS-2"))
        }
        other => Err(bad(format_args!(
            "tag 0x{other:02X} is not a DirectoryString"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The subjectDirectoryAttributes value of a real HPKI signature certificate (a Medical Doctor).
    const MEDICAL_DOCTOR: [u8; 54] = [
        0x30, 0x34, 0x30, 0x32, 0x06, 0x06, 0x28, 0x81, 0x85, 0x42, 0x00, 0x01, 0x31, 0x28, 0x31,
        0x26, 0x30, 0x24, 0xA0, 0x22, 0x31, 0x20, 0xA0, 0x0C, 0x06, 0x0A, 0x2A, 0x83, 0x08, 0x86,
        0x91, 0x0F, 0x01, 0x06, 0x01, 0x01, 0xA2, 0x10, 0x0C, 0x0E, b'M', b'e', b'd', b'i', b'c',
        b'a', b'l', b' ', b'D', b'o', b'c', b't', b'o', b'r',
    ];

    #[test]
    fn the_real_medical_doctor_bytes() {
        let actors = parse_subject_directory_attributes(&MEDICAL_DOCTOR).unwrap();
        assert_eq!(
            actors,
            [HcActor {
                role: HcRole::MedicalDoctor,
                code: None
            }]
        );
        // The attribute alone (without the outer SEQUENCE) parses the same.
        assert_eq!(
            parse_hc_role_attribute(&MEDICAL_DOCTOR[2..]).unwrap(),
            Some(actors)
        );
    }

    #[test]
    fn every_truncation_is_an_error() {
        for n in 0..MEDICAL_DOCTOR.len() {
            assert!(
                matches!(
                    parse_subject_directory_attributes(&MEDICAL_DOCTOR[..n]),
                    Err(Error::HcRole(_))
                ),
                "{n}"
            );
        }
    }

    #[test]
    fn another_coding_scheme_is_an_error() {
        let mut other = MEDICAL_DOCTOR;
        other[35] = 0x02; // …6.1.1 → …6.1.2
        let err = parse_subject_directory_attributes(&other).unwrap_err();
        assert!(err.to_string().contains("1.2.392.100495.1.6.1.2"), "{err}");
    }

    #[test]
    fn other_attributes_give_no_role() {
        // One attribute of another type (2.5.4.3 = commonName) with one value.
        let der = [
            0x30, 0x0B, 0x30, 0x09, 0x06, 0x03, 0x55, 0x04, 0x03, 0x31, 0x02, 0x0C, 0x00,
        ];
        assert_eq!(parse_subject_directory_attributes(&der).unwrap(), []);
    }

    #[test]
    fn role_names_round_trip() {
        for r in HcRole::KNOWN {
            assert_eq!(HcRole::from_text(r.as_str()), r);
            let kebab = r.as_str().to_ascii_lowercase().replace(' ', "-");
            assert_eq!(kebab.parse::<HcRole>().unwrap(), r);
        }
        assert_eq!(
            HcRole::from_text("Nurse"),
            HcRole::Other("Nurse".to_owned())
        );
    }
}
