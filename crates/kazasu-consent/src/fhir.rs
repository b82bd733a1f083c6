//! HL7 FHIR R4 `Consent`: export a ledger consent, import one back.
//!
//! Mapping: `status` (active / inactive for withdrawn / entered-in-error), `scope` patient-privacy,
//! `category` LOINC 59284-0 plus the consent kind, `patient` and `performer` by identifier,
//! `dateTime` (recorded), `organization` (the network), `sourceAttachment` (the signed document:
//! the CMS, or the canonical text for assertion evidence), `policy` (terms URI), `verification`,
//! `provision` {type permit, period, actor (role IRCP), class, purpose}. What R4 has no field for —
//! the pattern, the JPKI identities, the birth date, the terms' version, the relationship — is in
//! the [`EXT_TERMS`] extension, and the JPKI evidence (signature, certificate, CRLs) in
//! [`EXT_EVIDENCE`]. Import rebuilds the record from the resource and requires the attached
//! signed document to say the same.

use base64ct::{Base64, Encoding};
use serde_json::{Map, Value, json};
use time::format_description::well_known::Rfc3339;
use time::{Date, OffsetDateTime};

use crate::ConsentError;
use crate::document::{Action, ConsentDocument};
use crate::evidence::{Evidence, HexBytes};
use crate::ledger::ConsentState;
use crate::model::{
    ConsentKind, ConsentRecord, DataClass, Grantee, JpkiIdentity, Patient, Pattern, Performer,
    Period, Policy, Purpose, Status,
};

/// The extension holding the consent's terms R4 has no field for.
pub const EXT_TERMS: &str = "https://kazasu-rs.github.io/fhir/StructureDefinition/consent-terms";
/// The extension holding the JPKI evidence.
pub const EXT_EVIDENCE: &str =
    "https://kazasu-rs.github.io/fhir/StructureDefinition/consent-jpki-evidence";
/// Identifier system of consent ids.
pub const NS_CONSENT: &str = "https://kazasu-rs.github.io/fhir/NamingSystem/consent-id";
/// Identifier system of network patient ids.
pub const NS_PATIENT: &str = "https://kazasu-rs.github.io/fhir/NamingSystem/network-patient-id";
/// Identifier system of networks.
pub const NS_NETWORK: &str = "https://kazasu-rs.github.io/fhir/NamingSystem/network";
/// Identifier system of facilities.
pub const NS_FACILITY: &str = "https://kazasu-rs.github.io/fhir/NamingSystem/facility";
/// Identifier system of clinicians' HPKI identities.
pub const NS_HPKI: &str = "https://kazasu-rs.github.io/fhir/NamingSystem/hpki";
/// Identifier system of JPKI identities.
pub const NS_JPKI: &str = "https://kazasu-rs.github.io/fhir/NamingSystem/jpki";
/// Code system of data classes.
pub const CS_CLASS: &str = "https://kazasu-rs.github.io/fhir/CodeSystem/data-class";
/// Code system of consent kinds.
pub const CS_KIND: &str = "https://kazasu-rs.github.io/fhir/CodeSystem/consent-kind";
const CS_SCOPE: &str = "http://terminology.hl7.org/CodeSystem/consentscope";
const CS_ACT_REASON: &str = "http://terminology.hl7.org/CodeSystem/v3-ActReason";
const CS_PARTICIPATION: &str = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType";
const LOINC: &str = "http://loinc.org";

/// Largest resource the importer reads.
pub const MAX_FHIR_LEN: usize = 4 * 1024 * 1024;

fn ts(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap_or_default()
}

fn is_fhir_id(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
}

fn kind_code(k: ConsentKind) -> &'static str {
    match k {
        ConsentKind::Network => "network",
        ConsentKind::Reader24h => "reader-24h",
    }
}

fn ident(system: &str, value: &str) -> Value {
    json!({ "system": system, "value": value })
}

fn performer_ref(record: &ConsentRecord) -> Value {
    match &record.performer {
        Performer::Patient => json!({
            "type": "Patient",
            "identifier": ident(NS_PATIENT, &record.patient.network_id),
        }),
        Performer::Representative { name, jpki, .. } => json!({
            "type": "RelatedPerson",
            "identifier": ident(NS_JPKI, jpki.as_str()),
            "display": name,
        }),
    }
}

/// The FHIR R4 `Consent` of a ledger consent.
pub fn export(state: &ConsentState) -> Value {
    let r = &state.record;
    let mut terms = vec![
        json!({"url": "pattern", "valueCode": r.pattern.code()}),
        json!({"url": "patientJpki", "valueString": r.patient.jpki.as_str()}),
        json!({"url": "patientBirthDate", "valueDate": r.patient.birth_date.to_string()}),
        json!({"url": "policyVersion", "valueString": r.policy.version}),
    ];
    if let Performer::Representative { relationship, .. } = &r.performer {
        terms.push(json!({"url": "relationship", "valueString": relationship}));
    }
    let (attachment, evidence) = match &state.evidence {
        Evidence::Cms { cms } => (
            json!({
                "contentType": "application/pkcs7-mime",
                "data": Base64::encode_string(cms),
                "title": "consent document signed with the JPKI signature key (CAdES, attached)",
            }),
            vec![
                json!({"url": "kind", "valueCode": "cms"}),
                json!({"url": "signature", "valueBase64Binary": Base64::encode_string(cms)}),
            ],
        ),
        Evidence::Assertion {
            certificate,
            signature,
            crls,
        } => {
            let mut ext = vec![
                json!({"url": "kind", "valueCode": "authentication-assertion"}),
                json!({"url": "signature", "valueBase64Binary": Base64::encode_string(signature)}),
                json!({"url": "certificate", "valueBase64Binary": Base64::encode_string(certificate)}),
            ];
            for crl in crls {
                ext.push(json!({"url": "crl", "valueBase64Binary": Base64::encode_string(&crl.0)}));
            }
            (
                json!({
                    "contentType": "text/plain; charset=utf-8",
                    "data": Base64::encode_string(state.document.as_bytes()),
                    "title": "consent document (signed by authentication assertion)",
                }),
                ext,
            )
        }
    };
    let actors: Vec<Value> = r
        .grantees
        .iter()
        .map(|g| {
            let (system, value) = match g {
                Grantee::Facility(f) => (NS_FACILITY, f),
                Grantee::Clinician(c) => (NS_HPKI, c),
                Grantee::Network(n) => (NS_NETWORK, n),
            };
            json!({
                "role": {"coding": [{"system": CS_PARTICIPATION, "code": "IRCP"}]},
                "reference": {"identifier": ident(system, value)},
            })
        })
        .collect();
    let mut period = Map::new();
    period.insert("start".into(), json!(ts(r.period.start)));
    if let Some(end) = r.period.end {
        period.insert("end".into(), json!(ts(end)));
    }
    let mut provision = Map::new();
    provision.insert("type".into(), json!("permit"));
    provision.insert("period".into(), Value::Object(period));
    if !actors.is_empty() {
        provision.insert("actor".into(), Value::Array(actors));
    }
    provision.insert(
        "purpose".into(),
        r.purposes
            .iter()
            .map(|p| json!({"system": CS_ACT_REASON, "code": p.code()}))
            .collect(),
    );
    provision.insert(
        "class".into(),
        r.classes
            .iter()
            .map(|c| json!({"system": CS_CLASS, "code": c.code()}))
            .collect(),
    );
    let mut out = json!({
        "resourceType": "Consent",
        "extension": [
            {"url": EXT_TERMS, "extension": terms},
            {"url": EXT_EVIDENCE, "extension": evidence},
        ],
        "identifier": [ident(NS_CONSENT, &r.id)],
        "status": match state.status {
            Status::Active => "active",
            Status::Withdrawn => "inactive",
            Status::EnteredInError => "entered-in-error",
        },
        "scope": {"coding": [{"system": CS_SCOPE, "code": "patient-privacy"}]},
        "category": [
            {"coding": [{"system": LOINC, "code": "59284-0", "display": "Patient Consent"}]},
            {"coding": [{"system": CS_KIND, "code": kind_code(r.kind)}]},
        ],
        "patient": {"type": "Patient", "identifier": ident(NS_PATIENT, &r.patient.network_id)},
        "dateTime": ts(state.granted_at),
        "performer": [performer_ref(r)],
        "organization": [{"identifier": ident(NS_NETWORK, &r.network)}],
        "sourceAttachment": attachment,
        "policy": [{"uri": r.policy.uri}],
        "verification": [{
            "verified": true,
            "verifiedWith": performer_ref(r),
            "verificationDate": ts(state.granted_at),
        }],
        "provision": Value::Object(provision),
    });
    if is_fhir_id(&r.id)
        && let Some(o) = out.as_object_mut()
    {
        o.insert("id".into(), json!(r.id));
    }
    out
}

/// A consent read from FHIR.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportedConsent {
    /// The record.
    pub record: ConsentRecord,
    /// Its status.
    pub status: Status,
    /// When it was recorded (`dateTime`).
    pub recorded_at: OffsetDateTime,
    /// The signed document's canonical bytes.
    pub document: Vec<u8>,
    /// The evidence (not verified here: give it to [`crate::EvidenceVerifier`]).
    pub evidence: Evidence,
}

fn err(what: impl Into<String>) -> ConsentError {
    ConsentError::Fhir(what.into())
}

fn get<'a>(v: &'a Value, key: &str) -> Result<&'a Value, ConsentError> {
    v.get(key).ok_or_else(|| err(format!("{key} missing")))
}

fn s<'a>(v: &'a Value, key: &str) -> Result<&'a str, ConsentError> {
    get(v, key)?
        .as_str()
        .ok_or_else(|| err(format!("{key} is not a string")))
}

fn arr<'a>(v: &'a Value, key: &str) -> Result<&'a [Value], ConsentError> {
    match v.get(key) {
        None => Ok(&[]),
        Some(Value::Array(a)) => Ok(a),
        Some(_) => Err(err(format!("{key} is not an array"))),
    }
}

fn identifier<'a>(reference: &'a Value, system: &str) -> Result<&'a str, ConsentError> {
    let id = get(reference, "identifier")?;
    if s(id, "system")? != system {
        return Err(err(format!(
            "identifier system {} unexpected",
            s(id, "system")?
        )));
    }
    s(id, "value")
}

fn time_of(text: &str) -> Result<OffsetDateTime, ConsentError> {
    OffsetDateTime::parse(text, &Rfc3339).map_err(|e| err(format!("dateTime {text}: {e}")))
}

fn b64(text: &str) -> Result<Vec<u8>, ConsentError> {
    Base64::decode_vec(text).map_err(|_| err("bad base64"))
}

fn sub_extensions<'a>(root: &'a Value, url: &str) -> Result<&'a [Value], ConsentError> {
    let ext = arr(root, "extension")?
        .iter()
        .find(|e| e.get("url").and_then(Value::as_str) == Some(url))
        .ok_or_else(|| err(format!("extension {url} missing")))?;
    arr(ext, "extension")
}

fn ext_values<'a>(exts: &'a [Value], url: &str, kind: &str) -> Vec<&'a str> {
    exts.iter()
        .filter(|e| e.get("url").and_then(Value::as_str) == Some(url))
        .filter_map(|e| e.get(kind).and_then(Value::as_str))
        .collect()
}

fn ext_one<'a>(exts: &'a [Value], url: &str, kind: &str) -> Result<&'a str, ConsentError> {
    match ext_values(exts, url, kind).as_slice() {
        [one] => Ok(one),
        [] => Err(err(format!("extension {url} missing"))),
        _ => Err(err(format!("extension {url} repeated"))),
    }
}

/// Reads a FHIR R4 `Consent` written by [`export`] (or by another system following the same
/// profile). Bad input gives an error, never a panic.
pub fn import(json: &[u8]) -> Result<ImportedConsent, ConsentError> {
    if json.len() > MAX_FHIR_LEN {
        return Err(err("too large"));
    }
    let v: Value = serde_json::from_slice(json).map_err(|e| err(e.to_string()))?;
    if s(&v, "resourceType")? != "Consent" {
        return Err(err("not a Consent"));
    }
    let status = match s(&v, "status")? {
        "active" => Status::Active,
        "inactive" => Status::Withdrawn,
        "entered-in-error" => Status::EnteredInError,
        other => return Err(err(format!("status {other} is not a ledger status"))),
    };
    let scope_ok = arr(get(&v, "scope")?, "coding")?
        .iter()
        .any(|c| c.get("code").and_then(Value::as_str) == Some("patient-privacy"));
    if !scope_ok {
        return Err(err("scope is not patient-privacy"));
    }
    let kind = arr(&v, "category")?
        .iter()
        .flat_map(|c| {
            c.get("coding")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
        })
        .find(|c| c.get("system").and_then(Value::as_str) == Some(CS_KIND))
        .and_then(|c| c.get("code").and_then(Value::as_str));
    let kind = match kind {
        Some("network") => ConsentKind::Network,
        Some("reader-24h") => ConsentKind::Reader24h,
        _ => return Err(err("consent kind category missing")),
    };
    let id = arr(&v, "identifier")?
        .iter()
        .find(|i| i.get("system").and_then(Value::as_str) == Some(NS_CONSENT))
        .ok_or_else(|| err("consent identifier missing"))
        .and_then(|i| s(i, "value"))?;
    let network = match arr(&v, "organization")? {
        [org] => identifier(org, NS_NETWORK)?,
        _ => return Err(err("exactly one organization (the network) expected")),
    };
    let patient_id = identifier(get(&v, "patient")?, NS_PATIENT)?;
    let recorded_at = time_of(s(&v, "dateTime")?)?;
    let terms = sub_extensions(&v, EXT_TERMS)?;
    let pattern = Pattern::from_code(ext_one(terms, "pattern", "valueCode")?)
        .ok_or_else(|| err("unknown pattern"))?;
    let jpki = JpkiIdentity::new(ext_one(terms, "patientJpki", "valueString")?)?;
    let birth = ext_one(terms, "patientBirthDate", "valueDate")?;
    let birth_date = Date::parse(
        birth,
        &time::macros::format_description!("[year]-[month]-[day]"),
    )
    .map_err(|e| err(format!("birth date: {e}")))?;
    let version = ext_one(terms, "policyVersion", "valueString")?;
    let policy_uri = match arr(&v, "policy")? {
        [p] => s(p, "uri")?,
        _ => return Err(err("exactly one policy expected")),
    };
    let performer = match arr(&v, "performer")? {
        [p] => match p.get("type").and_then(Value::as_str) {
            Some("Patient") => {
                if identifier(p, NS_PATIENT)? != patient_id {
                    return Err(err("the performing patient is not the patient"));
                }
                Performer::Patient
            }
            Some("RelatedPerson") => Performer::Representative {
                name: s(p, "display")?.to_owned(),
                relationship: ext_one(terms, "relationship", "valueString")?.to_owned(),
                jpki: JpkiIdentity::new(identifier(p, NS_JPKI)?)?,
            },
            _ => return Err(err("performer type must be Patient or RelatedPerson")),
        },
        _ => return Err(err("exactly one performer expected")),
    };
    let provision = get(&v, "provision")?;
    if s(provision, "type")? != "permit" {
        return Err(err("provision type must be permit"));
    }
    let period = get(provision, "period")?;
    let period = Period {
        start: time_of(s(period, "start")?)?,
        end: match period.get("end") {
            None => None,
            Some(e) => Some(time_of(
                e.as_str()
                    .ok_or_else(|| err("period.end is not a string"))?,
            )?),
        },
    };
    let mut grantees = Vec::new();
    for a in arr(provision, "actor")? {
        let reference = get(a, "reference")?;
        let id = get(reference, "identifier")?;
        let value = s(id, "value")?.to_owned();
        grantees.push(match s(id, "system")? {
            NS_FACILITY => Grantee::Facility(value),
            NS_HPKI => Grantee::Clinician(value),
            NS_NETWORK => Grantee::Network(value),
            other => return Err(err(format!("actor system {other} unknown"))),
        });
    }
    let classes = arr(provision, "class")?
        .iter()
        .map(|c| {
            if s(c, "system")? != CS_CLASS {
                return Err(err("class system unknown"));
            }
            DataClass::from_code(s(c, "code")?)
        })
        .collect::<Result<Vec<_>, _>>()?;
    let purposes = arr(provision, "purpose")?
        .iter()
        .map(|c| {
            if s(c, "system")? != CS_ACT_REASON {
                return Err(err("purpose system unknown"));
            }
            Purpose::from_code(s(c, "code")?)
        })
        .collect::<Result<Vec<_>, _>>()?;
    let record = ConsentRecord {
        id: id.to_owned(),
        network: network.to_owned(),
        kind,
        patient: Patient {
            network_id: patient_id.to_owned(),
            jpki,
            birth_date,
        },
        pattern,
        grantees,
        classes,
        purposes,
        period,
        performer,
        policy: Policy {
            uri: policy_uri.to_owned(),
            version: version.to_owned(),
        },
    };
    let evidence_ext = sub_extensions(&v, EXT_EVIDENCE)?;
    let attachment = b64(s(get(&v, "sourceAttachment")?, "data")?)?;
    let signature = b64(ext_one(evidence_ext, "signature", "valueBase64Binary")?)?;
    let (document, evidence) = match ext_one(evidence_ext, "kind", "valueCode")? {
        "cms" => {
            if signature != attachment {
                return Err(err("the attachment is not the evidence's CMS"));
            }
            let parsed = kazasu_sign::cms::ParsedSignedData::from_der(&signature)
                .map_err(|e| err(e.to_string()))?;
            let content = parsed
                .content
                .ok_or_else(|| err("the CMS does not carry the document"))?;
            (content, Evidence::Cms { cms: signature })
        }
        "authentication-assertion" => {
            let certificate = b64(ext_one(evidence_ext, "certificate", "valueBase64Binary")?)?;
            let crls = ext_values(evidence_ext, "crl", "valueBase64Binary")
                .into_iter()
                .map(|c| b64(c).map(HexBytes))
                .collect::<Result<Vec<_>, _>>()?;
            (
                attachment,
                Evidence::Assertion {
                    certificate,
                    signature,
                    crls,
                },
            )
        }
        other => return Err(err(format!("evidence kind {other} unknown"))),
    };
    let signed = ConsentDocument::from_canonical(&document)?;
    if signed.action != Action::Grant || signed.record != record {
        return Err(err(
            "the resource does not say what the signed document says",
        ));
    }
    Ok(ImportedConsent {
        record,
        status,
        recorded_at,
        document,
        evidence,
    })
}
