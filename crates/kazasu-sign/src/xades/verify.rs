//! [`XadesVerifier`]: every signature of a prescription or dispensing record, part by part.

use std::sync::Arc;

use kazasu_pki::{
    Certificate, Crl, CrlSet, HcRole, HpkiVerifier, Purpose, QualificationRejection, Rejection,
    RevocationPolicy, TrustStore, Verifier, VerifierOptions,
};
use kazasu_types::HashAlgorithm;
use time::OffsetDateTime;
use xml_sec::{Document, Node, NodeId};

use super::report::rfc3339;
use super::xml::{self, C14n};
use super::{
    DS, DocumentKind, DocumentReport, Level, RSA_SHA256, RSA_SHA384, RSA_SHA512, ReferenceReport,
    SHA1, SHA256, SHA384, SHA512, SIGNED_PROPERTIES_TYPE, SignatureReport, SignerReport, XADES,
};
use crate::asn1::ess::IssuerSerial;
use crate::revocation::AnySource;
use crate::{SignError, Verdict, overall};

/// Verifies XAdES prescriptions and dispensing records.
///
/// The signer is checked with an [`HpkiVerifier`] (its anchors and known intermediates; its
/// revocation source is replaced by the CRLs given here plus those the signature embeds), at
/// the time the signature timestamp proves (or [`XadesVerifier::at`], or now).
#[derive(Clone)]
pub struct XadesVerifier {
    hpki: HpkiVerifier,
    tsa: Option<Verifier>,
    crls: Option<Arc<CrlSet>>,
    at: Option<OffsetDateTime>,
}

impl std::fmt::Debug for XadesVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("XadesVerifier")
            .field("tsa", &self.tsa.is_some())
            .field("crls", &self.crls.as_ref().map(|c| c.len()))
            .field("at", &self.at)
            .finish()
    }
}

impl XadesVerifier {
    /// A verifier with `hpki`'s anchors, no TSA trusted, no CRLs beyond the embedded ones.
    pub fn new(hpki: HpkiVerifier) -> Self {
        Self {
            hpki,
            tsa: None,
            crls: None,
            at: None,
        }
    }

    /// Trusts these TSA roots for signature and archive timestamps (the TSA certificate needs
    /// the critical EKU timeStamping; TSA certificates are not checked for revocation).
    #[must_use]
    pub fn with_tsa_trust(mut self, roots: impl IntoIterator<Item = Certificate>) -> Self {
        let mut store = TrustStore::new();
        for root in roots {
            store.add_for(root, [Purpose::TimeStamping]);
        }
        let mut options = VerifierOptions::default();
        options.revocation = RevocationPolicy::Off;
        self.tsa = Some(Verifier::new(store).with_options(options));
        self
    }

    /// CRLs (and ARLs) to use after those a signature embeds; shared, so a national-scale CRL
    /// is parsed and indexed once.
    #[must_use]
    pub fn with_crls(mut self, crls: Arc<CrlSet>) -> Self {
        self.crls = Some(crls);
        self
    }

    /// Verifies the signer at `at` instead of the timestamp's time (or now, without one).
    #[must_use]
    pub fn at(mut self, at: OffsetDateTime) -> Self {
        self.at = Some(at);
        self
    }

    /// Verifies every signature of the document `xml`. Errors only for XML that cannot be
    /// read; everything else is a verdict in the report.
    pub fn verify(&self, xml: &[u8]) -> Result<DocumentReport, SignError> {
        let doc = xml::parse(xml)?;
        let root = doc.root_element();
        let kind = if !xml::is(root, None, "Document") {
            DocumentKind::Unknown
        } else {
            match xml::elements(root).next() {
                Some(n) if xml::is(n, None, "Prescription") => DocumentKind::Prescription,
                Some(n) if xml::is(n, None, "Dispensing") => DocumentKind::Dispensing,
                _ => DocumentKind::Unknown,
            }
        };
        let mut seen: Vec<(String, NodeId)> = Vec::new();
        let mut signatures = Vec::new();
        for sig in doc
            .descendants()
            .filter(|n| xml::is(*n, Some(DS), "Signature"))
        {
            let placement = placement(kind, sig, &seen);
            if let Ok(p) = &placement {
                seen.push((p.role.to_owned(), p.slot));
            }
            signatures.push(self.verify_signature(&doc, sig, kind, placement));
        }
        let expected: &[&str] = match kind {
            DocumentKind::Prescription => &["PrescriptionSign"],
            DocumentKind::Dispensing => &["DispensingSign", "PrescriptionSign"],
            DocumentKind::Unknown => &[],
        };
        let missing: Vec<String> = expected
            .iter()
            .filter(|e| !seen.iter().any(|(r, _)| r == *e))
            .map(|e| (*e).to_owned())
            .collect();
        let mut verdict = overall(signatures.iter().map(|s| &s.verdict));
        if kind == DocumentKind::Unknown {
            verdict = Verdict::Invalid(
                "not an e-prescription document (Document/Prescription or Document/Dispensing)"
                    .into(),
            )
            .and(verdict);
        }
        if !missing.is_empty() {
            verdict = Verdict::Invalid(format!("missing {}", missing.join(", "))).and(verdict);
        }
        Ok(DocumentReport {
            kind,
            signatures,
            missing,
            verdict,
        })
    }

    fn verify_signature(
        &self,
        doc: &Document<'_>,
        sig: Node<'_, '_>,
        kind: DocumentKind,
        placement: Result<Placement, String>,
    ) -> SignatureReport {
        let mut report = SignatureReport {
            id: sig.attribute("Id").map(str::to_owned),
            location: xml::path(sig),
            role_in_document: placement.as_ref().ok().map(|p| p.role.to_owned()),
            structure: Verdict::Valid,
            references: Vec::new(),
            signature_value: Verdict::Indeterminate("not checked".into()),
            signing_certificate: Verdict::Indeterminate("not checked".into()),
            signer: SignerReport {
                subject: None,
                serial: None,
                roles: Vec::new(),
                required_roles: Vec::new(),
                validated_at: None,
                verdict: Verdict::Indeterminate("not checked".into()),
            },
            signing_time: None,
            signature_timestamp: None,
            timestamp_time: None,
            validation_data: None,
            archive_timestamp: None,
            level: None,
            verdict: Verdict::Valid,
        };
        let mut problems: Vec<String> = Vec::new();
        let placement = match placement {
            Ok(p) => Some(p),
            Err(e) => {
                problems.push(match kind {
                    DocumentKind::Unknown => e,
                    _ => format!("a {} document does not expect it: {e}", kind_name(kind)),
                });
                None
            }
        };
        let parts = match Parts::read(sig) {
            Ok(p) => p,
            Err(e) => {
                problems.push(e);
                report.structure = Verdict::Invalid(problems.join("; "));
                report.verdict = report.structure.clone();
                return report;
            }
        };
        problems.extend(parts.problems.iter().cloned());

        // The elements this signature may cover, and those it must.
        let mut must_cover: Vec<(String, NodeId)> = Vec::new();
        if let Some(p) = &placement {
            for name in p.covers {
                match xml::elements(doc.get_node(p.container).unwrap_or(sig))
                    .find(|c| xml::is(*c, None, name))
                {
                    Some(n) => must_cover.push(((*name).to_owned(), n.id())),
                    None => problems.push(format!("no {name} next to the signature")),
                }
            }
        }
        if let Some(k) = parts.key_info {
            must_cover.push(("ds:KeyInfo".into(), k.id()));
        }
        if let Some(sp) = parts.signed_properties {
            must_cover.push(("xades:SignedProperties".into(), sp.id()));
        }

        // References.
        let mut covered: Vec<NodeId> = Vec::new();
        let mut signed_properties_typed = false;
        for r in &parts.references {
            let (rep, node) = check_reference(doc, *r);
            if let Some(n) = node {
                let allowed = must_cover.iter().any(|(_, id)| *id == n.id());
                let rep = if allowed || placement.is_none() {
                    rep
                } else {
                    ReferenceReport {
                        verdict: Verdict::Invalid(format!(
                            "covers {}, which is not part of what this signature signs (a moved or wrapped element)",
                            xml::path(n)
                        ))
                        .and(rep.verdict.clone()),
                        ..rep
                    }
                };
                if parts.signed_properties.is_some_and(|sp| sp.id() == n.id())
                    && rep.reference_type.as_deref() == Some(SIGNED_PROPERTIES_TYPE)
                {
                    signed_properties_typed = true;
                }
                covered.push(n.id());
                report.references.push(rep);
            } else {
                report.references.push(rep);
            }
        }
        for (name, id) in &must_cover {
            if !covered.contains(id) {
                problems.push(format!("no reference covers the {name}"));
            }
        }
        if parts.signed_properties.is_some() && !signed_properties_typed {
            problems.push(format!(
                "the reference to the signed properties lacks Type=\"{SIGNED_PROPERTIES_TYPE}\""
            ));
        }
        report.structure = if problems.is_empty() {
            Verdict::Valid
        } else {
            Verdict::Invalid(problems.join("; "))
        };

        // SignatureValue.
        report.signature_value = match (&parts.certificate, parts.signed_info) {
            (Some(cert), Some(si)) => check_signature_value(doc, si, parts.signature_value, cert),
            (None, _) => Verdict::Indeterminate("no usable KeyInfo certificate".into()),
            (_, None) => Verdict::Indeterminate("no SignedInfo".into()),
        };

        // SigningCertificateV2.
        report.signing_certificate = match (&parts.certificate, parts.signing_certificate) {
            (Some(cert), Some(sc)) => check_signing_certificate(sc, cert),
            (None, _) => Verdict::Indeterminate("no usable KeyInfo certificate".into()),
            (_, None) => Verdict::Invalid("no xades:SigningCertificateV2".into()),
        };

        // Claimed signing time.
        let claimed = parts.signing_time.and_then(|t| {
            OffsetDateTime::parse(
                xml::text(t).trim(),
                &time::format_description::well_known::Rfc3339,
            )
            .ok()
        });
        report.signing_time = claimed.map(rfc3339);

        // SignatureTimeStamp.
        let mut ts_time = None;
        if let Some(ts) = parts.signature_timestamp {
            let verdict = match parts.signature_value {
                Some(sv) => match timestamped_bytes(doc, ts, sv) {
                    Ok(bytes) => {
                        let (v, t) = self.check_timestamp(ts, &bytes, &parts);
                        ts_time = t;
                        v
                    }
                    Err(e) => Verdict::Invalid(e),
                },
                None => Verdict::Invalid("no ds:SignatureValue to timestamp".into()),
            };
            report.timestamp_time = ts_time.map(rfc3339);
            report.signature_timestamp = Some(verdict);
        }
        let at = self.at.or(ts_time).unwrap_or_else(OffsetDateTime::now_utc);

        // Signer: HPKI path and role at the signing time, with every CRL known.
        let required: Vec<HcRole> = match placement.as_ref().map(|p| p.role) {
            Some("PrescriptionSign") => vec![HcRole::MedicalDoctor, HcRole::Dentist],
            Some("DispensingSign") => vec![HcRole::Pharmacist],
            _ => Vec::new(),
        };
        report.signer.required_roles = required.iter().map(ToString::to_string).collect();
        report.signer.validated_at = Some(rfc3339(at));
        if let Some(cert) = &parts.certificate {
            report.signer.subject = Some(cert.subject().to_owned());
            report.signer.serial = Some(cert.serial_hex());
            report.signer.roles = cert
                .hc_roles()
                .map(|r| r.iter().map(ToString::to_string).collect())
                .unwrap_or_default();
            report.signer.verdict = if placement.is_none() {
                Verdict::Invalid(
                    "no role is allowed for a signature the document does not expect".into(),
                )
            } else {
                self.check_signer(cert, &parts, at, &required, true)
            };
            // ES-XL: the embedded validation data alone suffices.
            if parts.has_validation_data {
                report.validation_data = Some(match (&parts.validation_problem, ts_time) {
                    (Some(p), _) => Verdict::Invalid(p.clone()),
                    (None, None) => Verdict::Indeterminate(
                        "no valid signature timestamp proves when to check the validation data"
                            .into(),
                    ),
                    (None, Some(t)) => {
                        let at = self.at.unwrap_or(t);
                        match self.check_signer(cert, &parts, at, &required, false) {
                            Verdict::Indeterminate(r) => Verdict::Indeterminate(format!(
                                "the embedded certificates and CRLs do not suffice: {r}"
                            )),
                            v => v,
                        }
                    }
                });
            }
        } else {
            report.signer.verdict = Verdict::Indeterminate("no usable KeyInfo certificate".into());
        }

        // ArchiveTimeStamp.
        if let Some(ats) = parts.archive_timestamp {
            report.archive_timestamp = Some(match xml::c14n_of_method(ats) {
                Err(e) => Verdict::Invalid(e),
                Ok(c14n) => match archive_input(doc, sig, Some(ats.id()), &c14n) {
                    Err(e) => Verdict::Invalid(e),
                    Ok(input) => self.check_timestamp(ats, &input, &parts).0,
                },
            });
        }

        // Level and verdict.
        let core = [
            &report.structure,
            &report.signature_value,
            &report.signing_certificate,
            &report.signer.verdict,
        ];
        let refs_ok =
            !report.references.is_empty() && report.references.iter().all(|r| r.verdict.is_valid());
        let valid = |v: &Option<Verdict>| v.as_ref().is_some_and(Verdict::is_valid);
        if refs_ok && core.iter().all(|v| v.is_valid()) {
            report.level = Some(Level::Bes);
            if valid(&report.signature_timestamp) {
                report.level = Some(Level::T);
                if valid(&report.validation_data) {
                    report.level = Some(Level::Xl);
                    if valid(&report.archive_timestamp) {
                        report.level = Some(Level::A);
                    }
                }
            }
        }
        report.verdict = overall(
            core.into_iter()
                .chain(report.references.iter().map(|r| &r.verdict))
                .chain(report.signature_timestamp.iter())
                .chain(report.validation_data.iter())
                .chain(report.archive_timestamp.iter()),
        );
        report
    }

    fn check_signer(
        &self,
        cert: &Certificate,
        parts: &Parts<'_, '_>,
        at: OffsetDateTime,
        required: &[HcRole],
        with_external: bool,
    ) -> Verdict {
        let mut embedded = CrlSet::new();
        for der in &parts.crls {
            if let Ok(crl) = Crl::from_der(der) {
                embedded.add(crl);
            }
        }
        let caller = if with_external {
            self.crls.clone()
        } else {
            None
        };
        let revocation = AnySource::new(embedded, Vec::new(), caller, Vec::new());
        let verifier = self.hpki.clone().with_revocation(revocation);
        let intermediates: Vec<Certificate> = parts
            .chain
            .iter()
            .chain(parts.certificate_values.iter())
            .cloned()
            .collect();
        match verifier.verify_qualification(cert, &intermediates, at, required) {
            Ok(_) => Verdict::Valid,
            Err(r) => qualification_verdict(&r),
        }
    }

    /// Verifies the RFC 3161 token of a `SignatureTimeStamp` / `ArchiveTimeStamp` element over
    /// `data`; the time it proves when valid.
    fn check_timestamp(
        &self,
        element: Node<'_, '_>,
        data: &[u8],
        parts: &Parts<'_, '_>,
    ) -> (Verdict, Option<OffsetDateTime>) {
        let token = match xml::only_child(element, XADES, "EncapsulatedTimeStamp") {
            Err(e) => return (Verdict::Invalid(e), None),
            Ok(None) => {
                return (
                    Verdict::Invalid("no xades:EncapsulatedTimeStamp".into()),
                    None,
                );
            }
            Ok(Some(t)) => match xml::base64_decode(&xml::text(t)) {
                Ok(der) => der,
                Err(e) => return (Verdict::Invalid(format!("EncapsulatedTimeStamp {e}")), None),
            },
        };
        let extra: Vec<Vec<u8>> = parts
            .certificate_values
            .iter()
            .map(|c| c.der().to_vec())
            .collect();
        let report = crate::tsp::verify_token(&token, data, self.tsa.as_ref(), &extra);
        let time = report
            .verdict
            .is_valid()
            .then_some(report.gen_time)
            .flatten();
        (report.verdict, time)
    }
}

fn kind_name(kind: DocumentKind) -> &'static str {
    match kind {
        DocumentKind::Prescription => "prescription",
        DocumentKind::Dispensing => "dispensing",
        DocumentKind::Unknown => "unknown",
    }
}

/// Where an expected signature sits: the slot element (`PrescriptionSign` / `DispensingSign`),
/// the container holding it and the data it must cover.
struct Placement {
    role: &'static str,
    slot: NodeId,
    container: NodeId,
    covers: &'static [&'static str],
}

fn placement(
    kind: DocumentKind,
    sig: Node<'_, '_>,
    seen: &[(String, NodeId)],
) -> Result<Placement, String> {
    let here = || format!("a signature at {}", xml::path(sig));
    let slot = sig.parent_element().ok_or_else(here)?;
    let container = slot.parent_element().ok_or_else(here)?;
    let doc_el = container.parent_element().ok_or_else(here)?;
    let is_root = |n: Node<'_, '_>| n.parent_element().is_none();
    let (role, covers): (&'static str, &'static [&'static str]) =
        if xml::is(slot, None, "PrescriptionSign")
            && xml::is(container, None, "Prescription")
            && xml::is(doc_el, None, "Document")
        {
            let top = is_root(doc_el);
            let embedded = doc_el.parent_element().is_some_and(|rp| {
                xml::is(rp, None, "ReferencePrescription")
                    && rp.parent_element().is_some_and(|d| {
                        xml::is(d, None, "Dispensing") && d.parent_element().is_some_and(is_root)
                    })
            });
            match kind {
                DocumentKind::Prescription if top => {
                    ("PrescriptionSign", &["PrescriptionDocument"])
                }
                DocumentKind::Dispensing if embedded => {
                    ("PrescriptionSign", &["PrescriptionDocument"])
                }
                _ => return Err(here()),
            }
        } else if xml::is(slot, None, "DispensingSign")
            && xml::is(container, None, "Dispensing")
            && is_root(doc_el)
            && kind == DocumentKind::Dispensing
        {
            (
                "DispensingSign",
                &["DispensingDocument", "ReferencePrescription"],
            )
        } else {
            return Err(here());
        };
    if seen.iter().any(|(r, s)| r == role || *s == slot.id()) {
        return Err(format!("a second {role}"));
    }
    let first = xml::elements(slot).next().map(|n| n.id());
    if first != Some(sig.id()) || xml::elements(slot).count() != 1 {
        return Err(format!("{role} must hold exactly one ds:Signature"));
    }
    Ok(Placement {
        role,
        slot: slot.id(),
        container: container.id(),
        covers,
    })
}

/// The pieces of one `ds:Signature`, read once.
struct Parts<'a, 'i> {
    signed_info: Option<Node<'a, 'i>>,
    references: Vec<Node<'a, 'i>>,
    signature_value: Option<Node<'a, 'i>>,
    key_info: Option<Node<'a, 'i>>,
    certificate: Option<Certificate>,
    chain: Vec<Certificate>,
    signed_properties: Option<Node<'a, 'i>>,
    signing_time: Option<Node<'a, 'i>>,
    signing_certificate: Option<Node<'a, 'i>>,
    signature_timestamp: Option<Node<'a, 'i>>,
    archive_timestamp: Option<Node<'a, 'i>>,
    certificate_values: Vec<Certificate>,
    crls: Vec<Vec<u8>>,
    has_validation_data: bool,
    validation_problem: Option<String>,
    problems: Vec<String>,
}

impl<'a, 'i> Parts<'a, 'i> {
    /// Reads the parts; `Err` when nothing can be checked (no SignedInfo).
    fn read(sig: Node<'a, 'i>) -> Result<Self, String> {
        let mut problems = Vec::new();
        let signed_info = note(&mut problems, xml::only_child(sig, DS, "SignedInfo"));
        let Some(si) = signed_info else {
            return Err("no ds:SignedInfo".into());
        };
        let references: Vec<Node<'a, 'i>> = xml::children_named(si, DS, "Reference").collect();
        if references.is_empty() {
            problems.push("no ds:Reference".into());
        }
        let signature_value = note(&mut problems, xml::only_child(sig, DS, "SignatureValue"));
        if signature_value.is_none() {
            problems.push("no ds:SignatureValue".into());
        }
        let key_info = note(&mut problems, xml::only_child(sig, DS, "KeyInfo"));
        let mut certs = Vec::new();
        match key_info {
            None => problems.push("no ds:KeyInfo".into()),
            Some(k) => {
                for data in xml::children_named(k, DS, "X509Data") {
                    for c in xml::children_named(data, DS, "X509Certificate") {
                        match xml::base64_decode(&xml::text(c))
                            .map_err(|e| e.to_string())
                            .and_then(|der| Certificate::from_der(&der).map_err(|e| e.to_string()))
                        {
                            Ok(cert) => certs.push(cert),
                            Err(e) => problems.push(format!("a KeyInfo certificate: {e}")),
                        }
                    }
                }
                if certs.is_empty() {
                    problems.push("no X509Certificate in ds:KeyInfo".into());
                }
            }
        }
        let mut certs = certs.into_iter();
        let certificate = certs.next();
        let chain: Vec<Certificate> = certs.collect();

        // QualifyingProperties in a ds:Object.
        let mut qps = xml::children_named(sig, DS, "Object")
            .flat_map(|o| xml::children_named(o, XADES, "QualifyingProperties"));
        let qp = qps.next();
        if qps.next().is_some() {
            problems.push("several xades:QualifyingProperties".into());
        }
        let (mut signed_properties, mut signing_time, mut signing_certificate) = (None, None, None);
        let (mut signature_timestamp, mut archive_timestamp) = (None, None);
        let mut certificate_values = Vec::new();
        let mut crls = Vec::new();
        let mut has_validation_data = false;
        let mut validation_problem = None;
        match qp {
            None => problems.push("no xades:QualifyingProperties".into()),
            Some(qp) => {
                let target = qp.attribute("Target").unwrap_or_default();
                match sig.attribute("Id") {
                    Some(id) if target.strip_prefix('#') == Some(id) => {}
                    _ => problems.push(format!(
                        "QualifyingProperties Target {target:?} does not name this signature"
                    )),
                }
                signed_properties = note(
                    &mut problems,
                    xml::only_child(qp, XADES, "SignedProperties"),
                );
                let ssp = signed_properties.and_then(|sp| {
                    note(
                        &mut problems,
                        xml::only_child(sp, XADES, "SignedSignatureProperties"),
                    )
                });
                match ssp {
                    None => problems.push("no xades:SignedSignatureProperties".into()),
                    Some(ssp) => {
                        signing_time =
                            note(&mut problems, xml::only_child(ssp, XADES, "SigningTime"));
                        signing_certificate = note(
                            &mut problems,
                            xml::only_child(ssp, XADES, "SigningCertificateV2"),
                        );
                        if signing_time.is_none() {
                            problems.push("no xades:SigningTime".into());
                        }
                    }
                }
                let usp = note(
                    &mut problems,
                    xml::only_child(qp, XADES, "UnsignedProperties"),
                )
                .and_then(|up| {
                    note(
                        &mut problems,
                        xml::only_child(up, XADES, "UnsignedSignatureProperties"),
                    )
                });
                if let Some(usp) = usp {
                    signature_timestamp = note(
                        &mut problems,
                        xml::only_child(usp, XADES, "SignatureTimeStamp"),
                    );
                    archive_timestamp = note(
                        &mut problems,
                        xml::only_child(usp, XADES, "ArchiveTimeStamp"),
                    );
                    for cv in xml::children_named(usp, XADES, "CertificateValues") {
                        has_validation_data = true;
                        for c in xml::children_named(cv, XADES, "EncapsulatedX509Certificate") {
                            match xml::base64_decode(&xml::text(c))
                                .map_err(|e| e.to_string())
                                .and_then(|der| {
                                    Certificate::from_der(&der).map_err(|e| e.to_string())
                                }) {
                                Ok(cert) => certificate_values.push(cert),
                                Err(e) => {
                                    validation_problem =
                                        Some(format!("an EncapsulatedX509Certificate: {e}"))
                                }
                            }
                        }
                    }
                    for rv in xml::children_named(usp, XADES, "RevocationValues") {
                        has_validation_data = true;
                        for cv in xml::children_named(rv, XADES, "CRLValues") {
                            for c in xml::children_named(cv, XADES, "EncapsulatedCRLValue") {
                                match xml::base64_decode(&xml::text(c)) {
                                    Ok(der) if Crl::from_der(&der).is_ok() => crls.push(der),
                                    Ok(_) => {
                                        validation_problem =
                                            Some("an EncapsulatedCRLValue is not a CRL".into())
                                    }
                                    Err(e) => {
                                        validation_problem =
                                            Some(format!("an EncapsulatedCRLValue {e}"))
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        Ok(Parts {
            signed_info,
            references,
            signature_value,
            key_info,
            certificate,
            chain,
            signed_properties,
            signing_time,
            signing_certificate,
            signature_timestamp,
            archive_timestamp,
            certificate_values,
            crls,
            has_validation_data,
            validation_problem,
            problems,
        })
    }
}

/// The hash of a DigestMethod URI; `Err` names why it is refused.
fn digest_method(uri: &str) -> Result<HashAlgorithm, String> {
    match uri {
        SHA256 => Ok(HashAlgorithm::Sha256),
        SHA384 => Ok(HashAlgorithm::Sha384),
        SHA512 => Ok(HashAlgorithm::Sha512),
        SHA1 => Err(format!("DigestMethod {uri} (SHA-1) is refused")),
        other => Err(format!("unknown DigestMethod {other}")),
    }
}

/// The C14N a reference's transforms ask for (exclusive when none: the profile's, and what
/// inclusive C14N gives for these documents anyway is not assumed).
fn reference_c14n(reference: Node<'_, '_>) -> Result<(C14n, Vec<String>), String> {
    let transforms: Vec<Node<'_, '_>> = match xml::only_child(reference, DS, "Transforms")? {
        Some(t) => xml::children_named(t, DS, "Transform").collect(),
        None => Vec::new(),
    };
    let uris: Vec<String> = transforms
        .iter()
        .map(|t| xml::algorithm(*t).unwrap_or_default().to_owned())
        .collect();
    match transforms.as_slice() {
        // XML-DSig: a same-document node-set without transforms is serialised with inclusive C14N.
        [] => C14n::from_uri(C14n::INCLUSIVE, None)
            .map(|c| (c, uris.clone()))
            .ok_or_else(|| "no C14N".into()),
        [t] => {
            let uri = xml::algorithm(*t).unwrap_or_default();
            C14n::from_uri(uri, xml::prefix_list(*t))
                .map(|c| (c.without_comments(), uris.clone()))
                .ok_or_else(|| format!("transform {uri} is not allowed in this profile"))
        }
        _ => Err(format!(
            "{} transforms; this profile allows one canonicalization",
            transforms.len()
        )),
    }
}

/// Resolves and checks one reference; the element it covered when it resolved to exactly one.
fn check_reference<'a, 'i>(
    doc: &'a Document<'i>,
    reference: Node<'_, '_>,
) -> (ReferenceReport, Option<Node<'a, 'i>>) {
    let uri = reference.attribute("URI").unwrap_or_default().to_owned();
    let mut report = ReferenceReport {
        uri: uri.clone(),
        reference_type: reference.attribute("Type").map(str::to_owned),
        covered: None,
        digest_method: None,
        transforms: Vec::new(),
        verdict: Verdict::Valid,
    };
    let fail = |mut report: ReferenceReport, why: String| {
        report.verdict = Verdict::Invalid(why);
        report
    };
    let Some(id) = uri
        .strip_prefix('#')
        .filter(|i| !i.is_empty() && !i.contains('('))
    else {
        return (
            fail(
                report,
                format!("URI {uri:?} is not a same-document #Id reference"),
            ),
            None,
        );
    };
    let found = xml::elements_with_id(doc, id);
    let node = match found.as_slice() {
        [n] => *n,
        [] => return (fail(report, format!("#{id} resolves to no element")), None),
        many => {
            let paths: Vec<String> = many.iter().map(|n| xml::path(*n)).collect();
            return (
                fail(
                    report,
                    format!(
                        "#{id} resolves to {} elements ({}): signature wrapping",
                        many.len(),
                        paths.join(", ")
                    ),
                ),
                None,
            );
        }
    };
    report.covered = Some(xml::path(node));
    let c14n = match reference_c14n(reference) {
        Ok((c, uris)) => {
            report.transforms = uris;
            c
        }
        Err(e) => return (fail(report, e), Some(node)),
    };
    let method = match xml::only_child(reference, DS, "DigestMethod") {
        Ok(Some(m)) => xml::algorithm(m).unwrap_or_default().to_owned(),
        Ok(None) => return (fail(report, "no DigestMethod".into()), Some(node)),
        Err(e) => return (fail(report, e), Some(node)),
    };
    report.digest_method = Some(method.clone());
    let hash = match digest_method(&method) {
        Ok(h) => h,
        Err(e) => return (fail(report, e), Some(node)),
    };
    let expected = match xml::only_child(reference, DS, "DigestValue") {
        Ok(Some(v)) => match xml::base64_decode(&xml::text(v)) {
            Ok(d) if d.len() == hash.output_len() => d,
            Ok(d) => {
                return (
                    fail(
                        report,
                        format!(
                            "DigestValue has {} bytes, {hash} gives {}",
                            d.len(),
                            hash.output_len()
                        ),
                    ),
                    Some(node),
                );
            }
            Err(e) => {
                return (
                    fail(report, format!("undecodable DigestValue: {e}")),
                    Some(node),
                );
            }
        },
        Ok(None) => return (fail(report, "no DigestValue".into()), Some(node)),
        Err(e) => return (fail(report, e), Some(node)),
    };
    match c14n.subtree(doc, node) {
        Ok(bytes) if hash.digest(&bytes) == expected => (report, Some(node)),
        Ok(_) => (
            fail(
                report,
                format!("the digest of {} differs from DigestValue", xml::path(node)),
            ),
            Some(node),
        ),
        Err(e) => (fail(report, e.to_string()), Some(node)),
    }
}

fn check_signature_value(
    doc: &Document<'_>,
    signed_info: Node<'_, '_>,
    value: Option<Node<'_, '_>>,
    cert: &Certificate,
) -> Verdict {
    let c14n = match xml::c14n_of_method(signed_info) {
        Ok(c) => c,
        Err(e) => return Verdict::Invalid(e),
    };
    if xml::only_child(signed_info, DS, "CanonicalizationMethod")
        .ok()
        .flatten()
        .is_none()
    {
        return Verdict::Invalid("no CanonicalizationMethod".into());
    }
    let method = match xml::only_child(signed_info, DS, "SignatureMethod") {
        Ok(Some(m)) => xml::algorithm(m).unwrap_or_default(),
        Ok(None) => return Verdict::Invalid("no SignatureMethod".into()),
        Err(e) => return Verdict::Invalid(e),
    };
    let hash = match method {
        RSA_SHA256 => HashAlgorithm::Sha256,
        RSA_SHA384 => HashAlgorithm::Sha384,
        RSA_SHA512 => HashAlgorithm::Sha512,
        other => return Verdict::Invalid(format!("SignatureMethod {other} is not allowed")),
    };
    let Some(value) = value else {
        return Verdict::Invalid("no SignatureValue".into());
    };
    let signature = match xml::base64_decode(&xml::text(value)) {
        Ok(s) => s,
        Err(e) => return Verdict::Invalid(format!("undecodable SignatureValue: {e}")),
    };
    let bytes = match c14n.subtree(doc, signed_info) {
        Ok(b) => b,
        Err(e) => return Verdict::Invalid(e.to_string()),
    };
    match cert.verify_message(hash, &bytes, &signature) {
        Ok(()) => Verdict::Valid,
        Err(Rejection::MessageSignatureInvalid) => Verdict::Invalid(
            "the SignatureValue does not verify over the canonicalized SignedInfo with the KeyInfo certificate"
                .into(),
        ),
        Err(r) => Verdict::Invalid(r.to_string()),
    }
}

fn check_signing_certificate(sc: Node<'_, '_>, cert: &Certificate) -> Verdict {
    let Some(first) = xml::children_named(sc, XADES, "Cert").next() else {
        return Verdict::Invalid("SigningCertificateV2 names no xades:Cert".into());
    };
    let digest = match xml::required_child(first, XADES, "CertDigest") {
        Ok(d) => d,
        Err(e) => return Verdict::Invalid(e),
    };
    let method = match xml::required_child(digest, DS, "DigestMethod") {
        Ok(m) => xml::algorithm(m).unwrap_or_default(),
        Err(e) => return Verdict::Invalid(e),
    };
    let hash = match digest_method(method) {
        Ok(h) => h,
        Err(e) => return Verdict::Invalid(format!("CertDigest: {e}")),
    };
    let value = match xml::required_child(digest, DS, "DigestValue")
        .and_then(|v| xml::base64_decode(&xml::text(v)))
    {
        Ok(v) => v,
        Err(e) => return Verdict::Invalid(format!("CertDigest DigestValue: {e}")),
    };
    if value != hash.digest(cert.der()) {
        return Verdict::Invalid(format!(
            "CertDigest does not match the KeyInfo certificate ({}, serial {})",
            cert.subject(),
            cert.serial_hex()
        ));
    }
    match xml::only_child(first, XADES, "IssuerSerialV2") {
        Err(e) => Verdict::Invalid(e),
        Ok(None) => Verdict::Valid,
        Ok(Some(is)) => {
            use der::Decode;
            let claimed = match xml::base64_decode(&xml::text(is))
                .and_then(|der| IssuerSerial::from_der(&der).map_err(|e| e.to_string()))
            {
                Ok(v) => v,
                Err(e) => return Verdict::Invalid(format!("IssuerSerialV2: {e}")),
            };
            let tbs = cert.x509().tbs_certificate();
            let issuer_matches = claimed.issuer.iter().any(|g| {
                matches!(g, x509_cert::ext::pkix::name::GeneralName::DirectoryName(n) if n == tbs.issuer())
            });
            if !issuer_matches || claimed.serial_number != *tbs.serial_number() {
                Verdict::Invalid(
                    "IssuerSerialV2 does not name the KeyInfo certificate's issuer and serial"
                        .into(),
                )
            } else {
                Verdict::Valid
            }
        }
    }
}

/// What a `SignatureTimeStamp` covers: its C14N of `ds:SignatureValue`.
fn timestamped_bytes(
    doc: &Document<'_>,
    ts: Node<'_, '_>,
    signature_value: Node<'_, '_>,
) -> Result<Vec<u8>, String> {
    let c14n = xml::c14n_of_method(ts)?;
    c14n.subtree(doc, signature_value)
        .map_err(|e| e.to_string())
}

/// The input of an `ArchiveTimeStamp` (XAdES v1.3.2 §7.7.1): each reference's data as digested,
/// then `ds:SignedInfo`, `ds:SignatureValue`, `ds:KeyInfo`, and the unsigned signature properties
/// before `until` (all of them when `None`), in document order, canonicalised with `c14n`.
pub(crate) fn archive_input(
    doc: &Document<'_>,
    sig: Node<'_, '_>,
    until: Option<NodeId>,
    c14n: &C14n,
) -> Result<Vec<u8>, String> {
    let si = xml::required_child(sig, DS, "SignedInfo")?;
    let mut out = Vec::new();
    for r in xml::children_named(si, DS, "Reference") {
        let uri = r.attribute("URI").unwrap_or_default();
        let id = uri.strip_prefix('#').ok_or("a reference without #Id")?;
        let found = xml::elements_with_id(doc, id);
        let [node] = found.as_slice() else {
            return Err(format!("#{id} resolves to {} elements", found.len()));
        };
        let (rc, _) = reference_c14n(r)?;
        out.extend(rc.subtree(doc, *node).map_err(|e| e.to_string())?);
    }
    for local in ["SignedInfo", "SignatureValue", "KeyInfo"] {
        let n = xml::required_child(sig, DS, local)?;
        out.extend(c14n.subtree(doc, n).map_err(|e| e.to_string())?);
    }
    let usp = xml::children_named(sig, DS, "Object")
        .flat_map(|o| xml::children_named(o, XADES, "QualifyingProperties"))
        .flat_map(|qp| xml::children_named(qp, XADES, "UnsignedProperties"))
        .flat_map(|up| xml::children_named(up, XADES, "UnsignedSignatureProperties"))
        .next();
    if let Some(usp) = usp {
        for p in xml::elements(usp) {
            if Some(p.id()) == until {
                break;
            }
            out.extend(c14n.subtree(doc, p).map_err(|e| e.to_string())?);
        }
    }
    Ok(out)
}

fn qualification_verdict(r: &QualificationRejection) -> Verdict {
    let reason = format!("{}: {r}", r.code());
    match r {
        QualificationRejection::RevocationUnknown { .. } => Verdict::Indeterminate(reason),
        QualificationRejection::Untrusted(Rejection::UntrustedIssuer { .. }) => {
            Verdict::Indeterminate(reason)
        }
        _ => Verdict::Invalid(reason),
    }
}

/// The node of `r`, or `None` with the error noted.
fn note<T>(problems: &mut Vec<String>, r: Result<Option<T>, String>) -> Option<T> {
    match r {
        Ok(n) => n,
        Err(e) => {
            problems.push(e);
            None
        }
    }
}
