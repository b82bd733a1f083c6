//! XAdES e-prescriptions and dispensing records: signing at every level, verification part by
//! part, the negatives the profile names, hostile XML, and the W3C C14N cases.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;

use common::{AT, hpki, local_tsa, tsa_fixture, tsa_root};
use kazasu_pki::CrlSet;
use kazasu_sign::xades::xml::C14n;
use kazasu_sign::xades::{
    DocumentKind, Level, SignOptions, ValidationData, XadesVerifier, sign_dispensing,
    sign_prescription,
};
use kazasu_sign::{SignError, SoftwareSigner, Verdict, XmlErrorKind};
use kazasu_virtual_card::pki::{HcRole, HpkiAp, HpkiHolder};
use proptest::prelude::*;

const CSV: &[u8] =
    "1,1,13,1234567,医療 太郎,20260601\n201,1,ロキソプロフェン錠60mg,3,錠\n".as_bytes();
const DISPENSE_CSV: &[u8] = "1,1,13,7654321,薬剤 次郎,20260601\n".as_bytes();

fn verifier(h: &common::Hpki) -> XadesVerifier {
    XadesVerifier::new(h.verifier())
        .with_tsa_trust([tsa_root()])
        .with_crls(Arc::new(CrlSet::from_der_all(&h.crls()).unwrap()))
        .at(AT)
}

/// The verifier without the caller's CRLs: only what the document embeds.
fn offline_verifier(h: &common::Hpki) -> XadesVerifier {
    XadesVerifier::new(h.verifier()).with_tsa_trust([tsa_root()])
}

fn pharmacist(h: &common::Hpki) -> SoftwareSigner {
    let creds = h
        .pki
        .issue(&HpkiHolder::from_seed(2).with_roles(&[HcRole::Pharmacist]))
        .unwrap();
    SoftwareSigner::new(creds.sign_certificate, creds.sign_key)
        .unwrap()
        .with_chain(vec![h.pki.ca(HpkiAp::Signature).der.clone()])
}

fn validation_data(h: &common::Hpki) -> ValidationData {
    let t = tsa_fixture();
    ValidationData {
        certificates: vec![
            h.pki.ca(HpkiAp::Signature).der.clone(),
            h.pki.root().der.clone(),
            t.signer.certificate.clone(),
            t.root.clone(),
        ],
        crls: h.crls(),
    }
}

fn bes(h: &common::Hpki) -> Vec<u8> {
    sign_prescription(CSV, &mut h.signer(), &SignOptions::bes(AT)).unwrap()
}

fn text(doc: &[u8]) -> String {
    String::from_utf8(doc.to_vec()).unwrap()
}

#[test]
fn bes_prescription_verifies_part_by_part() {
    let h = hpki();
    let doc = bes(&h);
    let report = verifier(&h).verify(&doc).unwrap();
    assert_eq!(report.kind, DocumentKind::Prescription);
    assert_eq!(report.verdict, Verdict::Valid, "{report:#?}");
    let [sig] = report.signatures.as_slice() else {
        panic!("one signature expected")
    };
    assert_eq!(sig.role_in_document.as_deref(), Some("PrescriptionSign"));
    assert_eq!(sig.level, Some(Level::Bes));
    let covered: Vec<&str> = sig
        .references
        .iter()
        .map(|r| r.covered.as_deref().unwrap())
        .collect();
    assert_eq!(
        covered,
        [
            "/Document/Prescription/PrescriptionDocument",
            "/Document/Prescription/PrescriptionSign/ds:Signature/ds:KeyInfo",
            "/Document/Prescription/PrescriptionSign/ds:Signature/ds:Object/xades:QualifyingProperties/xades:SignedProperties",
        ]
    );
    assert_eq!(sig.signer.roles, ["Medical Doctor"]);
    assert!(sig.signature_timestamp.is_none());
    // The data is the CSV, base64, in PrescriptionDocument.
    let t = text(&doc);
    let b64 = t
        .split("<PrescriptionDocument Id=\"PrescriptionDocument\">")
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap();
    assert_eq!(kazasu_sign::xades::xml::base64_decode(b64).unwrap(), CSV);
}

#[test]
fn bes_without_revocation_data_is_indeterminate_not_valid() {
    let h = hpki();
    let report = offline_verifier(&h).at(AT).verify(&bes(&h)).unwrap();
    let sig = &report.signatures[0];
    assert!(
        matches!(sig.signer.verdict, Verdict::Indeterminate(_)),
        "{:?}",
        sig.signer.verdict
    );
    assert_eq!(sig.level, None);
    assert!(matches!(report.verdict, Verdict::Indeterminate(_)));
}

#[test]
fn t_xl_a_prescription_verifies_offline_at_the_timestamp_time() {
    let h = hpki();
    let tsa = local_tsa(AT);
    let data = validation_data(&h);
    let doc = sign_prescription(
        CSV,
        &mut h.signer(),
        &SignOptions {
            signing_time: AT,
            timestamper: Some(&tsa),
            validation_data: Some(&data),
            archive: true,
        },
    )
    .unwrap();
    // No caller CRLs, no fixed time: the timestamp gives the time, the document the data.
    let report = offline_verifier(&h).verify(&doc).unwrap();
    let sig = &report.signatures[0];
    assert_eq!(report.verdict, Verdict::Valid, "{sig:#?}");
    assert_eq!(sig.signature_timestamp, Some(Verdict::Valid));
    assert_eq!(sig.validation_data, Some(Verdict::Valid));
    assert_eq!(sig.archive_timestamp, Some(Verdict::Valid));
    assert_eq!(sig.level, Some(Level::A));
    assert_eq!(sig.timestamp_time.as_deref(), Some("2026-06-01T00:00:00Z"));
    assert_eq!(
        sig.signer.validated_at.as_deref(),
        Some("2026-06-01T00:00:00Z")
    );

    // T alone: level T, no validation data part.
    let doc_t = sign_prescription(
        CSV,
        &mut h.signer(),
        &SignOptions {
            timestamper: Some(&tsa),
            ..SignOptions::bes(AT)
        },
    )
    .unwrap();
    let report = verifier(&h).verify(&doc_t).unwrap();
    assert_eq!(report.signatures[0].level, Some(Level::T));
    assert_eq!(report.signatures[0].validation_data, None);

    // XL whose CRLs were dropped: the validation data part says why.
    let no_crls = ValidationData {
        crls: Vec::new(),
        ..validation_data(&h)
    };
    let doc_xl = sign_prescription(
        CSV,
        &mut h.signer(),
        &SignOptions {
            signing_time: AT,
            timestamper: Some(&tsa),
            validation_data: Some(&no_crls),
            archive: false,
        },
    )
    .unwrap();
    let report = verifier(&h).verify(&doc_xl).unwrap();
    let sig = &report.signatures[0];
    assert!(
        matches!(&sig.validation_data, Some(Verdict::Indeterminate(r)) if r.contains("do not suffice")),
        "{:?}",
        sig.validation_data
    );
    assert_eq!(sig.level, Some(Level::T));
}

#[test]
fn archive_timestamp_over_other_data_is_invalid() {
    let h = hpki();
    let tsa = local_tsa(AT);
    let data = validation_data(&h);
    let doc = text(
        &sign_prescription(
            CSV,
            &mut h.signer(),
            &SignOptions {
                signing_time: AT,
                timestamper: Some(&tsa),
                validation_data: Some(&data),
                archive: true,
            },
        )
        .unwrap(),
    );
    // Swap the two tokens: each now covers the other's data.
    let token = |name: &str| {
        doc.split(&format!("<xades:{name} "))
            .nth(1)
            .unwrap()
            .split("<xades:EncapsulatedTimeStamp>")
            .nth(1)
            .unwrap()
            .split('<')
            .next()
            .unwrap()
            .to_owned()
    };
    let (sts, ats) = (token("SignatureTimeStamp"), token("ArchiveTimeStamp"));
    let swapped = doc
        .replace(&sts, "@")
        .replace(&ats, &sts)
        .replace('@', &ats);
    let report = offline_verifier(&h).verify(swapped.as_bytes()).unwrap();
    let sig = &report.signatures[0];
    for part in [&sig.signature_timestamp, &sig.archive_timestamp] {
        assert!(
            matches!(part, Some(Verdict::Invalid(r)) if r.contains("other data")),
            "{part:?}"
        );
    }
    assert!(matches!(report.verdict, Verdict::Invalid(_)));
}

#[test]
fn dispensing_record_counter_signs_the_embedded_prescription() {
    let h = hpki();
    let prescription = bes(&h);
    let doc = sign_dispensing(
        DISPENSE_CSV,
        &prescription,
        &mut pharmacist(&h),
        &SignOptions::bes(AT),
    )
    .unwrap();
    let report = verifier(&h).verify(&doc).unwrap();
    assert_eq!(report.kind, DocumentKind::Dispensing);
    assert_eq!(report.verdict, Verdict::Valid, "{report:#?}");
    let roles: Vec<_> = report
        .signatures
        .iter()
        .map(|s| {
            (
                s.role_in_document.clone().unwrap(),
                s.signer.roles.join(","),
            )
        })
        .collect();
    assert_eq!(
        roles,
        [
            ("PrescriptionSign".to_owned(), "Medical Doctor".to_owned()),
            ("DispensingSign".to_owned(), "Pharmacist".to_owned()),
        ]
    );
    let dispensing = &report.signatures[1];
    let covered: Vec<&str> = dispensing
        .references
        .iter()
        .filter_map(|r| r.covered.as_deref())
        .collect();
    assert!(covered.contains(&"/Document/Dispensing/ReferencePrescription"));

    // Changing the embedded prescription breaks both signatures.
    let t = text(&doc);
    let b64 = t
        .split("<PrescriptionDocument Id=\"PrescriptionDocument\">")
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap();
    let forged = t.replace(b64, &kazasu_sign::xades::xml::base64_encode(b"forged"));
    let report = verifier(&h).verify(forged.as_bytes()).unwrap();
    for s in &report.signatures {
        assert!(
            s.references.iter().any(|r| !r.verdict.is_valid()),
            "{:?}",
            s.role_in_document
        );
    }
}

#[test]
fn a_pharmacist_may_not_sign_a_prescription_nor_a_doctor_a_dispensing_record() {
    let h = hpki();
    let doc = sign_prescription(CSV, &mut pharmacist(&h), &SignOptions::bes(AT)).unwrap();
    let report = verifier(&h).verify(&doc).unwrap();
    let sig = &report.signatures[0];
    assert!(
        matches!(&sig.signer.verdict, Verdict::Invalid(r) if r.starts_with("role_not_allowed")),
        "{:?}",
        sig.signer.verdict
    );
    assert!(sig.signature_value.is_valid());
    assert_eq!(sig.level, None);
    assert!(matches!(report.verdict, Verdict::Invalid(_)));

    let doc = sign_dispensing(
        DISPENSE_CSV,
        &bes(&h),
        &mut h.signer(),
        &SignOptions::bes(AT),
    )
    .unwrap();
    let report = verifier(&h).verify(&doc).unwrap();
    assert!(matches!(
        &report.signatures[1].signer.verdict,
        Verdict::Invalid(r) if r.starts_with("role_not_allowed")
    ));
}

/// Replaces the first occurrence of `from` after `anchor` in `doc`.
fn replace_after(doc: &str, anchor: &str, from: &str, to: &str) -> String {
    let a = doc.find(anchor).unwrap();
    let at = a + doc[a..].find(from).unwrap();
    format!("{}{}{}", &doc[..at], to, &doc[at + from.len()..])
}

#[test]
fn changed_data_names_the_reference_invalid() {
    let h = hpki();
    let doc = text(&bes(&h));
    let forged = replace_after(&doc, "<PrescriptionDocument", ">", ">AAAA");
    let report = verifier(&h).verify(forged.as_bytes()).unwrap();
    let sig = &report.signatures[0];
    assert!(
        matches!(&sig.references[0].verdict, Verdict::Invalid(r) if r.contains("differs")),
        "{:?}",
        sig.references[0]
    );
    assert!(sig.references[1].verdict.is_valid());
    assert!(sig.signature_value.is_valid());
    assert!(matches!(report.verdict, Verdict::Invalid(_)));
}

#[test]
fn unknown_digest_method_and_undecodable_digest_value_are_named() {
    let h = hpki();
    let doc = text(&bes(&h));
    let unknown = replace_after(
        &doc,
        "<ds:Reference ",
        "http://www.w3.org/2001/04/xmlenc#sha256",
        "http://example.invalid/digest#md7",
    );
    let report = verifier(&h).verify(unknown.as_bytes()).unwrap();
    let r = &report.signatures[0].references[0];
    assert!(
        matches!(&r.verdict, Verdict::Invalid(m) if m.contains("unknown DigestMethod")),
        "{r:?}"
    );
    // A changed SignedInfo no longer verifies either.
    assert!(!report.signatures[0].signature_value.is_valid());

    let sha1 = replace_after(
        &doc,
        "<ds:Reference ",
        "http://www.w3.org/2001/04/xmlenc#sha256",
        "http://www.w3.org/2000/09/xmldsig#sha1",
    );
    let report = verifier(&h).verify(sha1.as_bytes()).unwrap();
    assert!(
        matches!(&report.signatures[0].references[0].verdict, Verdict::Invalid(m) if m.contains("SHA-1"))
    );

    let undecodable = replace_after(
        &doc,
        "<ds:DigestValue>",
        "<ds:DigestValue>",
        "<ds:DigestValue>!!",
    );
    let report = verifier(&h).verify(undecodable.as_bytes()).unwrap();
    let r = &report.signatures[0].references[0];
    assert!(
        matches!(&r.verdict, Verdict::Invalid(m) if m.contains("undecodable DigestValue")),
        "{r:?}"
    );
}

#[test]
fn a_keyinfo_certificate_other_than_the_signing_certificate_is_named() {
    let h = hpki();
    let doc = text(&bes(&h));
    let other = pharmacist(&h);
    use kazasu_sign::DocumentSigner;
    let own = kazasu_sign::xades::xml::base64_encode(h.signer().certificate());
    let theirs = kazasu_sign::xades::xml::base64_encode(other.certificate());
    let swapped = doc.replacen(&own, &theirs, 1);
    let report = verifier(&h).verify(swapped.as_bytes()).unwrap();
    let sig = &report.signatures[0];
    assert!(
        matches!(&sig.signing_certificate, Verdict::Invalid(r) if r.contains("CertDigest does not match")),
        "{:?}",
        sig.signing_certificate
    );
    // The KeyInfo is signed too, and the signature no longer verifies with that key.
    assert!(!sig.references[1].verdict.is_valid());
    assert!(!sig.signature_value.is_valid());
}

#[test]
fn a_signature_value_that_does_not_verify_is_named() {
    let h = hpki();
    let doc = text(&bes(&h));
    let sv = doc
        .split("-SignatureValue\">")
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap()
        .to_owned();
    let flipped = if sv.starts_with('A') { "B" } else { "A" };
    let forged = doc.replacen(&sv, &format!("{flipped}{}", &sv[1..]), 1);
    let report = verifier(&h).verify(forged.as_bytes()).unwrap();
    let sig = &report.signatures[0];
    assert!(
        matches!(&sig.signature_value, Verdict::Invalid(r) if r.contains("does not verify")),
        "{:?}",
        sig.signature_value
    );
    assert!(sig.references.iter().all(|r| r.verdict.is_valid()));
}

#[test]
fn signature_wrapping_a_duplicate_id_resolves_to_two_elements() {
    let h = hpki();
    let doc = text(&bes(&h));
    // An attacker's PrescriptionDocument with the same Id ahead of the signed one.
    let wrapped = doc.replacen(
        "<PrescriptionManagement>",
        "<Extra><PrescriptionDocument Id=\"PrescriptionDocument\">ZXZpbA==</PrescriptionDocument></Extra><PrescriptionManagement>",
        1,
    );
    let report = verifier(&h).verify(wrapped.as_bytes()).unwrap();
    let r = &report.signatures[0].references[0];
    assert!(
        matches!(&r.verdict, Verdict::Invalid(m) if m.contains("resolves to 2 elements")),
        "{r:?}"
    );
    assert!(matches!(report.verdict, Verdict::Invalid(_)));
}

#[test]
fn signature_over_a_moved_element_is_invalid() {
    let h = hpki();
    let doc = text(&bes(&h));
    // Move the signed PrescriptionDocument into a wrapper and put an unsigned one in its place.
    let start = doc.find("<PrescriptionDocument ").unwrap();
    let end = doc.find("</PrescriptionDocument>").unwrap() + "</PrescriptionDocument>".len();
    let signed = &doc[start..end];
    let moved = format!(
        "{}<Extra>{signed}</Extra><PrescriptionDocument>ZXZpbA==</PrescriptionDocument>{}",
        &doc[..start],
        &doc[end..]
    );
    let report = verifier(&h).verify(moved.as_bytes()).unwrap();
    let sig = &report.signatures[0];
    let r = &sig.references[0];
    assert_eq!(
        r.covered.as_deref(),
        Some("/Document/Prescription/Extra/PrescriptionDocument")
    );
    assert!(
        matches!(&r.verdict, Verdict::Invalid(m) if m.contains("moved or wrapped")),
        "{r:?}"
    );
    assert!(
        matches!(&sig.structure, Verdict::Invalid(m) if m.contains("no reference covers the PrescriptionDocument")),
        "{:?}",
        sig.structure
    );
}

#[test]
fn a_signature_the_document_kind_does_not_expect_is_invalid() {
    let h = hpki();
    let prescription = text(&bes(&h));
    // A dispensing record's DispensingSign pasted into a prescription.
    let dispensing = text(
        &sign_dispensing(
            DISPENSE_CSV,
            prescription.as_bytes(),
            &mut pharmacist(&h),
            &SignOptions::bes(AT),
        )
        .unwrap(),
    );
    let start = dispensing.find("<DispensingSign>").unwrap();
    let end = dispensing.find("</DispensingSign>").unwrap() + "</DispensingSign>".len();
    let pasted = prescription.replacen(
        "</Prescription>",
        &format!("{}</Prescription>", &dispensing[start..end]),
        1,
    );
    let report = verifier(&h).verify(pasted.as_bytes()).unwrap();
    assert_eq!(report.signatures.len(), 2);
    assert!(report.signatures[0].verdict.is_valid());
    let unexpected = &report.signatures[1];
    assert_eq!(unexpected.role_in_document, None);
    assert!(
        matches!(&unexpected.structure, Verdict::Invalid(m) if m.contains("a prescription document does not expect it")),
        "{:?}",
        unexpected.structure
    );
    assert!(matches!(report.verdict, Verdict::Invalid(_)));

    // And a prescription without its signature is missing one.
    let start = prescription.find("<PrescriptionSign>").unwrap();
    let end = prescription.find("</PrescriptionSign>").unwrap() + "</PrescriptionSign>".len();
    let unsigned = format!("{}{}", &prescription[..start], &prescription[end..]);
    let report = verifier(&h).verify(unsigned.as_bytes()).unwrap();
    assert_eq!(report.missing, ["PrescriptionSign"]);
    assert!(matches!(report.verdict, Verdict::Invalid(_)));
}

#[test]
fn hostile_xml_gives_typed_errors() {
    let h = hpki();
    let v = verifier(&h);
    let kind = |xml: &[u8]| match v.verify(xml) {
        Err(SignError::Xml { kind, .. }) => Some(kind),
        Err(SignError::TooLarge { .. }) => None,
        other => panic!("expected an XML error, got {other:?}"),
    };
    let laughs = "<?xml version=\"1.0\"?><!DOCTYPE l [<!ENTITY a \"aaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;\"><!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;\">]><Document>&c;</Document>";
    assert_eq!(kind(laughs.as_bytes()), Some(XmlErrorKind::Dtd));
    let external = "<!DOCTYPE d SYSTEM \"file:///etc/passwd\"><Document/>";
    assert_eq!(kind(external.as_bytes()), Some(XmlErrorKind::Dtd));
    let deep = format!("{}{}", "<a>".repeat(10_000), "</a>".repeat(10_000));
    assert_eq!(kind(deep.as_bytes()), Some(XmlErrorKind::TooDeep));
    let doc = bes(&h);
    assert_eq!(kind(&doc[..doc.len() / 2]), Some(XmlErrorKind::Malformed));
    assert_eq!(
        kind(b"<Document>&undefined;</Document>"),
        Some(XmlErrorKind::Malformed)
    );
    assert_eq!(
        kind(b"<Document>\xff\xfe</Document>"),
        Some(XmlErrorKind::NotUtf8)
    );
    let big = vec![b' '; kazasu_sign::xades::xml::MAX_DOCUMENT_LEN + 1];
    assert!(matches!(v.verify(&big), Err(SignError::TooLarge { .. })));
}

#[test]
fn w3c_c14n_cases() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/c14n");
    let cases: [(&str, &str, Option<&str>, Option<&str>); 6] = [
        ("without-comments_example-2", C14n::INCLUSIVE, None, None),
        (
            "with-comments_example-2",
            C14n::INCLUSIVE_WITH_COMMENTS,
            None,
            None,
        ),
        (
            "without-comments_merlin-c14n-two-00",
            C14n::INCLUSIVE,
            Some("Something"),
            None,
        ),
        (
            "exc-without-comments_merlin-c14n-two-09",
            C14n::EXCLUSIVE,
            Some("Something"),
            None,
        ),
        (
            "exc-without-comments_merlin-c14n-two-18",
            C14n::EXCLUSIVE,
            Some("Something"),
            Some("#default"),
        ),
        (
            "exc-without-comments_test-2",
            C14n::EXCLUSIVE,
            Some("SignedInfo"),
            None,
        ),
    ];
    for (name, uri, apex, prefixes) in cases {
        let input = std::fs::read(format!("{dir}/{name}.xml")).unwrap();
        let expected = std::fs::read(format!("{dir}/{name}.out")).unwrap();
        let doc = kazasu_sign::xades::xml::parse(&input).unwrap();
        let c14n = C14n::from_uri(uri, prefixes).unwrap();
        let out = match apex {
            None => c14n.document(&doc).unwrap(),
            Some(local) => {
                let node = doc
                    .descendants()
                    .find(|n| n.is_element() && n.tag_name().name() == local)
                    .unwrap();
                c14n.subtree(&doc, node).unwrap()
            }
        };
        assert_eq!(
            String::from_utf8_lossy(&out),
            String::from_utf8_lossy(&expected),
            "{name}"
        );
    }
}

/// Small XML documents: nested elements with prefixes, attributes, text with characters C14N
/// escapes, comments.
fn arb_xml() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        "[a-z&<>\"\r\t ]{0,8}".prop_map(|t| t
            .replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")),
        "[a-z ]{0,6}".prop_map(|t| format!("<!--{t}-->")),
    ];
    leaf.prop_recursive(4, 24, 4, |inner| {
        (
            prop::sample::select(vec!["a", "p:b", "q:c", "d"]),
            prop::collection::vec(inner, 0..4),
            prop::sample::select(vec![
                "",
                " z=\"1\"",
                " p:y=\"2\" x=\"&amp;\"",
                " xmlns:r=\"urn:r\"",
            ]),
        )
            .prop_map(|(name, children, attrs)| {
                format!("<{name}{attrs}>{}</{name}>", children.concat())
            })
    })
    .prop_map(|body| {
        format!("<root xmlns=\"urn:d\" xmlns:p=\"urn:p\" xmlns:q=\"urn:q\">{body}</root>")
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn c14n_is_idempotent(xml in arb_xml()) {
        for uri in [C14n::EXCLUSIVE, C14n::INCLUSIVE, C14n::EXCLUSIVE_WITH_COMMENTS, C14n::INCLUSIVE_WITH_COMMENTS] {
            let c14n = C14n::from_uri(uri, None).unwrap();
            let doc = kazasu_sign::xades::xml::parse(xml.as_bytes()).unwrap();
            let once = c14n.document(&doc).unwrap();
            let again = c14n.document(&kazasu_sign::xades::xml::parse(&once).unwrap()).unwrap();
            prop_assert_eq!(&once, &again);
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic_the_verifier(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let h = hpki();
        let _ = verifier(&h).verify(&bytes);
    }
}

#[test]
fn mutated_signed_documents_never_panic_and_never_verify() {
    let h = hpki();
    let doc = bes(&h);
    let v = verifier(&h);
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig::with_cases(48));
    runner
        .run(&(0..doc.len(), any::<u8>()), |(at, byte)| {
            let mut m = doc.clone();
            if m[at] == byte {
                return Ok(());
            }
            m[at] = byte;
            if let Ok(report) = v.verify(&m) {
                // Some bytes are outside anything signed or checked (the XML declaration, the
                // whitespace-free gaps between unsigned elements are none here): a change there may
                // still verify, so only a change inside the signed data is asserted on.
                let in_data = text(&doc)
                    .find("<PrescriptionDocument")
                    .zip(text(&doc).find("</PrescriptionDocument>"))
                    .is_some_and(|(s, e)| at > s + 40 && at < e);
                if in_data {
                    prop_assert!(!report.verdict.is_valid());
                }
            }
            Ok(())
        })
        .unwrap();
}
