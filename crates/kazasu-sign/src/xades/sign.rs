//! Building and signing prescriptions and dispensing records.
//!
//! Documents are written by this module (so their shape is known), then parsed back to compute
//! each digest over exactly what a verifier will canonicalise: the signature is assembled from
//! its parts and spliced into the document's signature slot after each step.

use der::Encode;
use kazasu_types::HashAlgorithm;
use time::OffsetDateTime;
use x509_cert::ext::pkix::name::GeneralName;

use super::xml::{self, C14n};
use super::{DS, EXC_C14N, RSA_SHA256, SHA256, SIGNED_PROPERTIES_TYPE, XADES};
use crate::asn1::ess::IssuerSerial;
use crate::tsp::TimeStampAuthority;
use crate::{DocumentSigner, SignError};

/// Validation data to embed for ES-XL.
#[derive(Clone, Debug, Default)]
pub struct ValidationData {
    /// CA certificates of the signer's path and the TSA's certificates (DER).
    pub certificates: Vec<Vec<u8>>,
    /// CRLs (and ARLs) current at the signing time (DER).
    pub crls: Vec<Vec<u8>>,
}

/// How to sign.
#[derive(Clone, Copy)]
pub struct SignOptions<'a> {
    /// The claimed signing time written in `SigningTime`.
    pub signing_time: OffsetDateTime,
    /// A TSA for ES-T (`SignatureTimeStamp`).
    pub timestamper: Option<&'a dyn TimeStampAuthority>,
    /// Validation data for ES-XL (needs a timestamper).
    pub validation_data: Option<&'a ValidationData>,
    /// Add an `ArchiveTimeStamp` (ES-A; needs the validation data).
    pub archive: bool,
}

impl std::fmt::Debug for SignOptions<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignOptions")
            .field("signing_time", &self.signing_time)
            .field("timestamper", &self.timestamper.is_some())
            .field("validation_data", &self.validation_data.is_some())
            .field("archive", &self.archive)
            .finish()
    }
}

impl SignOptions<'_> {
    /// ES-BES at `signing_time`.
    pub fn bes(signing_time: OffsetDateTime) -> Self {
        SignOptions {
            signing_time,
            timestamper: None,
            validation_data: None,
            archive: false,
        }
    }
}

const SIGN_SLOT_PRESCRIPTION: &str = "PrescriptionSign";
const SIGN_SLOT_DISPENSING: &str = "DispensingSign";

/// The unsigned prescription document for `data` (the prescription data, CSV form), with an
/// empty `PrescriptionSign`.
pub fn prescription_document(data: &[u8]) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Document><Prescription>\
<PrescriptionManagement><Version>EPS1.0</Version></PrescriptionManagement>\
<PrescriptionDocument Id=\"PrescriptionDocument\">{}</PrescriptionDocument>\
<{SIGN_SLOT_PRESCRIPTION}/></Prescription></Document>\n",
        xml::base64_encode(data)
    )
}

/// The unsigned dispensing document for `data` (the dispensing data, CSV form) embedding
/// `signed_prescription` (a signed prescription document) under `ReferencePrescription`, with
/// an empty `DispensingSign`.
pub fn dispensing_document(data: &[u8], signed_prescription: &[u8]) -> Result<String, SignError> {
    let doc = xml::parse(signed_prescription)?;
    let root = doc.root_element();
    let is_prescription = root.tag_name().name() == "Document"
        && xml::elements(root)
            .next()
            .is_some_and(|p| xml::is(p, None, "Prescription"));
    if !is_prescription {
        return Err(SignError::Xades {
            what: "dispensing document",
            reason: "the document to embed is not a prescription (Document/Prescription)".into(),
        });
    }
    // The root element's own text, without the XML declaration: embedded byte for byte so the
    // doctor's signature keeps verifying.
    let embedded = &doc.input_text()[root.range()];
    Ok(format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Document><Dispensing>\
<DispensingManagement><Version>EDS1.0</Version></DispensingManagement>\
<DispensingDocument Id=\"DispensingDocument\">{}</DispensingDocument>\
<ReferencePrescription Id=\"ReferencePrescription\">{embedded}</ReferencePrescription>\
<{SIGN_SLOT_DISPENSING}/></Dispensing></Document>\n",
        xml::base64_encode(data)
    ))
}

/// Signs a prescription: [`prescription_document`] with a doctor's (or dentist's)
/// `PrescriptionSign` at the level `options` asks for.
pub fn sign_prescription(
    data: &[u8],
    signer: &mut dyn DocumentSigner,
    options: &SignOptions<'_>,
) -> Result<Vec<u8>, SignError> {
    let unsigned = prescription_document(data);
    sign_slot(
        &unsigned,
        SIGN_SLOT_PRESCRIPTION,
        &["PrescriptionDocument"],
        signer,
        options,
    )
}

/// Signs a dispensing record: [`dispensing_document`] with a pharmacist's `DispensingSign`
/// covering the dispensing data and the embedded signed prescription.
pub fn sign_dispensing(
    data: &[u8],
    signed_prescription: &[u8],
    signer: &mut dyn DocumentSigner,
    options: &SignOptions<'_>,
) -> Result<Vec<u8>, SignError> {
    let unsigned = dispensing_document(data, signed_prescription)?;
    sign_slot(
        &unsigned,
        SIGN_SLOT_DISPENSING,
        &["DispensingDocument", "ReferencePrescription"],
        signer,
        options,
    )
}

/// The parts of a signature that change while it is made.
struct Parts {
    id: String,
    covered: Vec<String>,
    digests: Vec<String>,
    signature_value: String,
    key_info: String,
    signed_properties: String,
    unsigned: String,
}

impl Parts {
    fn key_info_id(id: &str) -> String {
        format!("keyInfo-{id}")
    }

    fn reference_uris(&self) -> Vec<(String, Option<&'static str>)> {
        let mut refs: Vec<(String, Option<&'static str>)> = self
            .covered
            .iter()
            .map(|c| (format!("#{c}"), None))
            .collect();
        refs.push((format!("#{}", Self::key_info_id(&self.id)), None));
        refs.push((
            format!("#{}-SignedProperties", self.id),
            Some(SIGNED_PROPERTIES_TYPE),
        ));
        refs
    }

    fn to_xml(&self) -> String {
        let id = &self.id;
        let mut s = format!(
            "<ds:Signature xmlns:ds=\"{DS}\" Id=\"{id}\"><ds:SignedInfo>\
<ds:CanonicalizationMethod Algorithm=\"{EXC_C14N}\"/>\
<ds:SignatureMethod Algorithm=\"{RSA_SHA256}\"/>"
        );
        for (i, (uri, ty)) in self.reference_uris().into_iter().enumerate() {
            let ty = ty.map(|t| format!(" Type=\"{t}\"")).unwrap_or_default();
            let digest = self.digests.get(i).map(String::as_str).unwrap_or_default();
            s.push_str(&format!(
                "<ds:Reference Id=\"{id}-Reference{i}\"{ty} URI=\"{uri}\"><ds:Transforms>\
<ds:Transform Algorithm=\"{EXC_C14N}\"/></ds:Transforms>\
<ds:DigestMethod Algorithm=\"{SHA256}\"/><ds:DigestValue>{digest}</ds:DigestValue></ds:Reference>"
            ));
        }
        s.push_str(&format!(
            "</ds:SignedInfo><ds:SignatureValue Id=\"{id}-SignatureValue\">{}</ds:SignatureValue>{}\
<ds:Object><xades:QualifyingProperties xmlns:xades=\"{XADES}\" Target=\"#{id}\">{}{}\
</xades:QualifyingProperties></ds:Object></ds:Signature>",
            self.signature_value, self.key_info, self.signed_properties, self.unsigned
        ));
        s
    }
}

/// The document with `slot` (an empty element `<slot/>`) holding the signature.
struct Slotted<'a> {
    before: &'a str,
    after: &'a str,
    slot: &'a str,
}

impl Slotted<'_> {
    fn with(&self, parts: &Parts) -> String {
        format!(
            "{}<{}>{}</{}>{}",
            self.before,
            self.slot,
            parts.to_xml(),
            self.slot,
            self.after
        )
    }
}

fn key_info_xml(id: &str, certificate: &[u8], chain: &[Vec<u8>]) -> String {
    let mut s = format!(
        "<ds:KeyInfo Id=\"{}\"><ds:X509Data>",
        Parts::key_info_id(id)
    );
    for cert in std::iter::once(certificate).chain(chain.iter().map(Vec::as_slice)) {
        s.push_str(&format!(
            "<ds:X509Certificate>{}</ds:X509Certificate>",
            xml::base64_encode(cert)
        ));
    }
    s.push_str("</ds:X509Data></ds:KeyInfo>");
    s
}

/// `SigningTime` form: UTC, seconds, `Z`.
fn xs_date_time(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// The DER `IssuerSerial` (RFC 5035) of `certificate`.
pub(crate) fn issuer_serial_der(
    certificate: &kazasu_pki::Certificate,
) -> Result<Vec<u8>, SignError> {
    let tbs = certificate.x509().tbs_certificate();
    IssuerSerial {
        issuer: vec![GeneralName::DirectoryName(tbs.issuer().clone())],
        serial_number: tbs.serial_number().clone(),
    }
    .to_der()
    .map_err(|e| SignError::der("IssuerSerial", e))
}

fn signed_properties_xml(
    id: &str,
    signing_time: OffsetDateTime,
    certificate: &kazasu_pki::Certificate,
) -> Result<String, SignError> {
    Ok(format!(
        "<xades:SignedProperties Id=\"{id}-SignedProperties\"><xades:SignedSignatureProperties>\
<xades:SigningTime>{}</xades:SigningTime><xades:SigningCertificateV2><xades:Cert><xades:CertDigest>\
<ds:DigestMethod Algorithm=\"{SHA256}\"/><ds:DigestValue>{}</ds:DigestValue></xades:CertDigest>\
<xades:IssuerSerialV2>{}</xades:IssuerSerialV2></xades:Cert></xades:SigningCertificateV2>\
</xades:SignedSignatureProperties></xades:SignedProperties>",
        xs_date_time(signing_time),
        xml::base64_encode(&certificate.fingerprint_sha256()),
        xml::base64_encode(&issuer_serial_der(certificate)?),
    ))
}

fn exclusive() -> Result<C14n, SignError> {
    C14n::from_uri(EXC_C14N, None).ok_or(SignError::Unsupported {
        what: "canonicalization",
        detail: EXC_C14N.into(),
    })
}

fn internal(reason: impl Into<String>) -> SignError {
    SignError::Xades {
        what: "signing",
        reason: reason.into(),
    }
}

/// Signs the document `unsigned`, whose `<slot/>` receives the signature covering the
/// elements `covered` (by Id), the KeyInfo and the signed properties.
fn sign_slot(
    unsigned: &str,
    slot: &str,
    covered: &[&str],
    signer: &mut dyn DocumentSigner,
    options: &SignOptions<'_>,
) -> Result<Vec<u8>, SignError> {
    let marker = format!("<{slot}/>");
    let at = unsigned
        .rfind(&marker)
        .ok_or_else(|| internal(format!("no {marker} in the document")))?;
    let slotted = Slotted {
        before: &unsigned[..at],
        after: &unsigned[at + marker.len()..],
        slot,
    };
    let certificate = kazasu_pki::Certificate::from_der(signer.certificate())?;
    let id = slot.to_owned();
    let mut parts = Parts {
        key_info: key_info_xml(&id, signer.certificate(), signer.chain()),
        signed_properties: signed_properties_xml(&id, options.signing_time, &certificate)?,
        covered: covered.iter().map(|c| (*c).to_owned()).collect(),
        digests: Vec::new(),
        signature_value: String::new(),
        unsigned: String::new(),
        id,
    };
    let c14n = exclusive()?;

    // 1. Reference digests over what the verifier will canonicalise.
    let text = slotted.with(&parts);
    {
        let doc = xml::parse(text.as_bytes())?;
        for (uri, _) in parts.reference_uris() {
            let id = uri.trim_start_matches('#');
            let found = xml::elements_with_id(&doc, id);
            let [node] = found.as_slice() else {
                return Err(internal(format!("{} elements with Id {id}", found.len())));
            };
            let bytes = c14n.subtree(&doc, *node)?;
            parts
                .digests
                .push(xml::base64_encode(&HashAlgorithm::Sha256.digest(&bytes)));
        }
    }

    // 2. SignatureValue over the canonicalised SignedInfo.
    let text = slotted.with(&parts);
    {
        let doc = xml::parse(text.as_bytes())?;
        let signed_info = signature_child(&doc, &parts.id, "SignedInfo")?;
        let bytes = c14n.subtree(&doc, signed_info)?;
        let digest = HashAlgorithm::Sha256.digest(&bytes);
        let value = signer
            .sign_digest(HashAlgorithm::Sha256, &digest)
            .map_err(SignError::Signer)?;
        parts.signature_value = xml::base64_encode(&value);
    }

    // 3. Unsigned properties: T, XL, A.
    if let Some(tsa) = options.timestamper {
        let text = slotted.with(&parts);
        let token = {
            let doc = xml::parse(text.as_bytes())?;
            let value = signature_child(&doc, &parts.id, "SignatureValue")?;
            let bytes = c14n.subtree(&doc, value)?;
            tsa.timestamp(HashAlgorithm::Sha256, &HashAlgorithm::Sha256.digest(&bytes))?
        };
        let mut props = format!(
            "<xades:SignatureTimeStamp Id=\"{}-SignatureTimeStamp\">\
<ds:CanonicalizationMethod Algorithm=\"{EXC_C14N}\"/>\
<xades:EncapsulatedTimeStamp>{}</xades:EncapsulatedTimeStamp></xades:SignatureTimeStamp>",
            parts.id,
            xml::base64_encode(&token)
        );
        if let Some(data) = options.validation_data {
            props.push_str("<xades:CertificateValues>");
            for cert in &data.certificates {
                props.push_str(&format!(
                    "<xades:EncapsulatedX509Certificate>{}</xades:EncapsulatedX509Certificate>",
                    xml::base64_encode(cert)
                ));
            }
            props.push_str("</xades:CertificateValues><xades:RevocationValues><xades:CRLValues>");
            for crl in &data.crls {
                props.push_str(&format!(
                    "<xades:EncapsulatedCRLValue>{}</xades:EncapsulatedCRLValue>",
                    xml::base64_encode(crl)
                ));
            }
            props.push_str("</xades:CRLValues></xades:RevocationValues>");
        }
        let wrap = |props: &str| {
            format!(
                "<xades:UnsignedProperties><xades:UnsignedSignatureProperties>{props}\
</xades:UnsignedSignatureProperties></xades:UnsignedProperties>"
            )
        };
        parts.unsigned = wrap(&props);
        if options.archive && options.validation_data.is_some() {
            // The archive timestamp covers everything before it: computed with it absent.
            let text = slotted.with(&parts);
            let token = {
                let doc = xml::parse(text.as_bytes())?;
                let signature = signature_node(&doc, &parts.id)?;
                let input =
                    super::verify::archive_input(&doc, signature, None, &c14n).map_err(internal)?;
                tsa.timestamp(HashAlgorithm::Sha256, &HashAlgorithm::Sha256.digest(&input))?
            };
            props.push_str(&format!(
                "<xades:ArchiveTimeStamp Id=\"{}-ArchiveTimeStamp\">\
<ds:CanonicalizationMethod Algorithm=\"{EXC_C14N}\"/>\
<xades:EncapsulatedTimeStamp>{}</xades:EncapsulatedTimeStamp></xades:ArchiveTimeStamp>",
                parts.id,
                xml::base64_encode(&token)
            ));
            parts.unsigned = wrap(&props);
        }
    }
    Ok(slotted.with(&parts).into_bytes())
}

fn signature_node<'a, 'i>(
    doc: &'a xml_sec::Document<'i>,
    id: &str,
) -> Result<xml_sec::Node<'a, 'i>, SignError> {
    xml::elements_with_id(doc, id)
        .into_iter()
        .find(|n| xml::is(*n, Some(DS), "Signature"))
        .ok_or_else(|| internal(format!("no ds:Signature {id}")))
}

fn signature_child<'a, 'i>(
    doc: &'a xml_sec::Document<'i>,
    id: &str,
    local: &'static str,
) -> Result<xml_sec::Node<'a, 'i>, SignError> {
    let sig = signature_node(doc, id)?;
    xml::required_child(sig, DS, local).map_err(internal)
}
