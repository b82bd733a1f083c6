//! PAdES: signing PDF referral letters with the virtual card's JPKI and HPKI test keys, and
//! verifying every signature, its ByteRange and what was appended after it.

#![allow(clippy::unwrap_used, clippy::panic)]

mod common;

use common::*;
use kazasu_sign::cms::ValidationData;
use kazasu_sign::pades::{
    self, ByteRangeProblem, Coverage, PadesOptions, PdfError, PdfReport, add_dss,
    sample_referral_letter, sample_referral_letter_compact, sign_pdf, signatures, verify_pdf,
};
use kazasu_sign::{DocumentSigner, SignError, Verdict};
use proptest::prelude::*;

/// DER of the signingTime attribute's OID (1.2.840.113549.1.9.5).
const SIGNING_TIME_OID: &[u8] = &[
    0x06, 0x09, 0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x09, 0x05,
];

fn options() -> PadesOptions<'static> {
    let mut o = PadesOptions::default();
    o.signing_time = Some(AT);
    o
}

fn sign(pdf: &[u8], signer: &mut dyn DocumentSigner) -> Vec<u8> {
    sign_pdf(pdf, signer, &options()).unwrap()
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn rfind(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).rposition(|w| w == needle)
}

fn report(pdf: &[u8]) -> PdfReport {
    let (j, h) = (jpki(), hpki());
    verify_pdf(pdf, &verifier(&j, &h)).unwrap()
}

#[test]
fn jpki_signed_letter_verifies_and_covers_the_whole_file() {
    let j = jpki();
    let letter = sample_referral_letter().unwrap();
    let signed = sign(&letter, &mut j.signer());
    // An incremental update: the original bytes are untouched.
    assert_eq!(&signed[..letter.len()], &letter[..]);
    // After a table, the update has a table too.
    assert!(find(&signed[letter.len()..], b"\nxref\n").is_some());
    let report = report(&signed);
    assert_eq!(report.verdict(), Verdict::Valid, "{report}");
    let [s] = &report.signatures[..] else {
        panic!("{report}")
    };
    assert_eq!(s.signature.field_name.as_deref(), Some("Signature1"));
    assert_eq!(
        s.signature.sub_filter.as_deref(),
        Some("ETSI.CAdES.detached")
    );
    assert_eq!(s.signature.filter.as_deref(), Some("Adobe.PPKLite"));
    assert_eq!(
        s.signature.claimed_time.as_deref(),
        Some("D:20260601000000+00'00'")
    );
    assert_eq!(s.signature.coverage, Coverage::WholeFile);
    let br = &s.signature.byte_range;
    assert_eq!((br[0], br[2] + br[3]), (0, signed.len() as i64));
    let cms = s.cms.as_ref().unwrap();
    assert_eq!(cms.level, "B-B");
    assert_eq!(cms.signer.as_ref().unwrap().kind, "jpki_signature");
    // PAdES baseline: no signingTime attribute; the claimed time is /M.
    assert!(find(&s.signature.cms, SIGNING_TIME_OID).is_none());
}

#[test]
fn hpki_signed_letter_reports_the_role() {
    let h = hpki();
    let signed = sign(&sample_referral_letter().unwrap(), &mut h.signer());
    let report = report(&signed);
    assert_eq!(report.verdict(), Verdict::Valid, "{report}");
    let signer = report.signatures[0]
        .cms
        .as_ref()
        .unwrap()
        .signer
        .clone()
        .unwrap();
    assert_eq!(signer.hc_roles, vec!["Medical Doctor".to_string()]);
    assert!(report.to_string().contains("hcRole: Medical Doctor"));
}

#[test]
fn b_t_carries_a_valid_signature_timestamp() {
    let j = jpki();
    let tsa = local_tsa(AT);
    let mut o = options();
    o.tsa = Some(&tsa);
    let signed = sign_pdf(&sample_referral_letter().unwrap(), &mut j.signer(), &o).unwrap();
    let report = report(&signed);
    assert_eq!(report.verdict(), Verdict::Valid, "{report}");
    let cms = report.signatures[0].cms.as_ref().unwrap();
    assert_eq!(
        (cms.level, cms.timestamp.clone()),
        ("B-T", Some(Verdict::Valid))
    );
}

#[test]
fn a_changed_byte_inside_the_signed_range_makes_the_digest_invalid() {
    let j = jpki();
    let mut signed = sign(&sample_referral_letter().unwrap(), &mut j.signer());
    let at = find(&signed, b"Yamada Taro").unwrap();
    signed[at] = b'N';
    let report = report(&signed);
    let s = &report.signatures[0];
    assert_eq!(s.byte_range, Verdict::Valid);
    assert!(
        matches!(s.cms.as_ref().unwrap().digest, Verdict::Invalid(_)),
        "{report}"
    );
    assert!(matches!(report.verdict(), Verdict::Invalid(_)));
}

/// Appends an update that replaces the page's content stream (object `content`) by `text`.
fn append_content_change(pdf: &[u8], content: u32, text: &str) -> Vec<u8> {
    let startxref = {
        let at = rfind(pdf, b"startxref").unwrap();
        let tail = std::str::from_utf8(&pdf[at + 9..]).unwrap();
        tail.split_whitespace()
            .next()
            .unwrap()
            .parse::<usize>()
            .unwrap()
    };
    let doc = lopdf::Document::load_mem(pdf).unwrap();
    let size = doc.trailer.get(b"Size").unwrap().as_i64().unwrap();
    let root = doc.trailer.get(b"Root").unwrap().as_reference().unwrap();
    let mut out = pdf.to_vec();
    let offset = out.len();
    let stream = format!("BT /F1 11 Tf 72 700 Td ({text}) Tj ET");
    out.extend_from_slice(
        format!(
            "{content} 0 obj\n<</Length {}>>\nstream\n{stream}\nendstream\nendobj\n",
            stream.len()
        )
        .as_bytes(),
    );
    let xref = out.len();
    out.extend_from_slice(
        format!(
            "xref\n{content} 1\n{offset:010} 00000 n\r\ntrailer\n<</Size {size}/Root {} {} R/Prev {startxref}>>\nstartxref\n{xref}\n%%EOF\n",
            root.0, root.1
        )
        .as_bytes(),
    );
    out
}

fn content_stream_id(pdf: &[u8]) -> u32 {
    let doc = lopdf::Document::load_mem(pdf).unwrap();
    let page = doc.page_iter().next().unwrap();
    doc.get_page_contents(page)[0].0
}

#[test]
fn bytes_appended_after_signing_are_reported_with_what_they_change() {
    let j = jpki();
    let signed = sign(&sample_referral_letter().unwrap(), &mut j.signer());
    let content = content_stream_id(&signed);
    let changed = append_content_change(&signed, content, "Patient: someone else");
    assert!(lopdf::Document::load_mem(&changed).is_ok());
    let report = report(&changed);
    let s = &report.signatures[0];
    // The signature still verifies over its own revision…
    assert_eq!(
        s.cms.as_ref().unwrap().verdict(),
        Verdict::Valid,
        "{report}"
    );
    // …but the document shown is no longer what was signed.
    let Coverage::Appended(a) = &s.signature.coverage else {
        panic!("{report}")
    };
    assert_eq!(a.bytes, (changed.len() - signed.len()) as u64);
    assert_eq!(a.revisions, 1);
    assert!(a.new_objects.is_empty());
    assert_eq!(a.changed_objects.len(), 1);
    assert_eq!(a.changed_objects[0].number, content);
    assert!(!a.only_signatures_and_dss());
    assert!(
        matches!(&s.modification, Verdict::Invalid(r) if r.contains("bytes appended after signing")),
        "{report}"
    );
    assert!(matches!(report.verdict(), Verdict::Invalid(_)));
}

#[test]
fn two_signatures_in_one_file_both_verify() {
    let (j, h) = (jpki(), hpki());
    let once = sign(&sample_referral_letter().unwrap(), &mut j.signer());
    let twice = sign(&once, &mut h.signer());
    assert_eq!(&twice[..once.len()], &once[..]);
    let report = report(&twice);
    assert_eq!(report.verdict(), Verdict::Valid, "{report}");
    let [first, second] = &report.signatures[..] else {
        panic!("{report}")
    };
    assert_eq!(first.signature.field_name.as_deref(), Some("Signature1"));
    assert_eq!(second.signature.field_name.as_deref(), Some("Signature2"));
    assert_eq!(second.signature.coverage, Coverage::WholeFile);
    // The second signature is appended after the first: reported, and only a signature.
    let Coverage::Appended(a) = &first.signature.coverage else {
        panic!("{report}")
    };
    assert_eq!(a.bytes, (twice.len() - once.len()) as u64);
    assert!(a.only_signatures_and_dss(), "{a}");
    assert_eq!(a.new_objects.len(), 2, "{a}");
    assert_eq!(first.modification, Verdict::Valid);
    assert_eq!(
        first.cms.as_ref().unwrap().signer.as_ref().unwrap().kind,
        "jpki_signature"
    );
    assert_eq!(
        second
            .cms
            .as_ref()
            .unwrap()
            .signer
            .as_ref()
            .unwrap()
            .hc_roles,
        vec!["Medical Doctor".to_string()]
    );
}

#[test]
fn xref_stream_input_gets_an_xref_stream_update() {
    let j = jpki();
    for letter in [
        sample_referral_letter_compact().unwrap(),
        include_bytes!("data/letter-qpdf-objstm.pdf").to_vec(),
    ] {
        let signed = sign(&letter, &mut j.signer());
        let update = &signed[letter.len()..];
        assert!(find(update, b"/Type/XRef").is_some());
        assert!(find(update, b"\nxref\n").is_none());
        let report = report(&signed);
        assert_eq!(report.verdict(), Verdict::Valid, "{report}");
        // And a second signature on top still reads.
        let twice = sign(&signed, &mut j.signer());
        assert_eq!(self::report(&twice).verdict(), Verdict::Valid);
    }
}

/// Rewrites the last `/ByteRange` in place (same width).
fn forge_byte_range(pdf: &[u8], f: impl FnOnce([i64; 4]) -> [i64; 4]) -> Vec<u8> {
    let at = rfind(pdf, b"/ByteRange ").unwrap() + 11;
    let end = at + pdf[at..].iter().position(|&b| b == b']').unwrap() + 1;
    let width = end - at + pdf[end..].iter().take_while(|&&b| b == b' ').count();
    let text = std::str::from_utf8(&pdf[at + 1..end - 1]).unwrap();
    let v: Vec<i64> = text
        .split_whitespace()
        .map(|n| n.parse().unwrap())
        .collect();
    let new = f([v[0], v[1], v[2], v[3]]);
    let mut field = format!("[{} {} {} {}]", new[0], new[1], new[2], new[3]).into_bytes();
    assert!(field.len() <= width);
    field.resize(width, b' ');
    let mut out = pdf.to_vec();
    out[at..at + width].copy_from_slice(&field);
    out
}

fn problem(pdf: &[u8]) -> ByteRangeProblem {
    let sigs = signatures(pdf).unwrap();
    assert_eq!(sigs.len(), 1);
    let p = sigs[0].byte_range_problem.clone().unwrap();
    let report = report(pdf);
    assert!(matches!(&report.signatures[0].byte_range, Verdict::Invalid(r) if *r == p.to_string()));
    assert!(report.signatures[0].cms.is_none());
    assert!(matches!(report.verdict(), Verdict::Invalid(_)));
    p
}

#[test]
fn forged_byte_ranges_are_refused_with_a_named_reason() {
    let j = jpki();
    let signed = sign(&sample_referral_letter().unwrap(), &mut j.signer());
    let len = signed.len() as i64;
    // Not covering the whole file: the last bytes left unsigned inside the revision.
    let short = forge_byte_range(&signed, |[s, a, b, c]| [s, a, b, c - 40]);
    assert_eq!(
        problem(&short),
        ByteRangeProblem::EndsInsideRevision {
            end: (len - 40) as u64
        }
    );
    // Overlapping ranges.
    let overlap = forge_byte_range(&signed, |[s, a, b, c]| [s, a, a - 10, c + (b - a) + 10]);
    assert_eq!(problem(&overlap), ByteRangeProblem::Overlapping);
    // Not from byte 0.
    let late = forge_byte_range(&signed, |[_, a, b, c]| [1, a, b, c]);
    assert_eq!(problem(&late), ByteRangeProblem::NotFromStart);
    // Past the end.
    let past = forge_byte_range(&signed, |[s, a, b, c]| [s, a, b, c + 1]);
    assert_eq!(
        problem(&past),
        ByteRangeProblem::BeyondFile {
            end: (len + 1) as u64,
            len: len as u64
        }
    );
    // A gap that is not a hex string.
    let shifted = forge_byte_range(&signed, |[s, a, b, c]| [s, a - 3, b, c]);
    assert_eq!(problem(&shifted), ByteRangeProblem::GapNotHexString);
    // A gap that is a hex string, but another one (the trailer's /ID): /Contents itself would then
    // be "signed" and the ID left out.
    let id_at = rfind(&signed, b"/ID[<")
        .or_else(|| rfind(&signed, b"/ID [<"))
        .unwrap();
    let lt = id_at + signed[id_at..].iter().position(|&b| b == b'<').unwrap();
    let gt = lt + signed[lt..].iter().position(|&b| b == b'>').unwrap() + 1;
    let other = forge_byte_range(&signed, |_| [0, lt as i64, gt as i64, len - gt as i64]);
    assert_eq!(problem(&other), ByteRangeProblem::GapNotContents);
    // Not four integers.
    let odd = forge_byte_range(&signed, |[s, a, b, _]| [s, a, b, -1]);
    assert!(matches!(problem(&odd), ByteRangeProblem::Malformed(_)));
}

#[test]
fn dss_update_keeps_the_signature_valid_and_supplies_crls() {
    let (j, h) = (jpki(), hpki());
    let tsa = local_tsa(AT);
    let mut o = options();
    o.tsa = Some(&tsa);
    let signed = sign_pdf(&sample_referral_letter().unwrap(), &mut j.signer(), &o).unwrap();
    // Without revocation data the B-T signature's revocation is INDETERMINATE…
    let bare = verify_pdf(&signed, &verifier_without_crls(&j, &h)).unwrap();
    assert!(
        matches!(
            bare.signatures[0].cms.as_ref().unwrap().revocation,
            Verdict::Indeterminate(_)
        ),
        "{bare}"
    );
    // …and the DSS (LT) supplies the CRLs.
    let mut data = ValidationData::new();
    data.crls = j.crls(&[]);
    data.certificates = vec![j.pki.roots()[2].der.clone()];
    let lt = add_dss(&signed, &data).unwrap();
    assert_eq!(&lt[..signed.len()], &signed[..]);
    let report = verify_pdf(&lt, &verifier_without_crls(&j, &h)).unwrap();
    assert_eq!(report.verdict(), Verdict::Valid, "{report}");
    let dss = report.dss.as_ref().unwrap();
    assert_eq!(
        (dss.certificates.len(), dss.crls.len()),
        (1, data.crls.len())
    );
    assert_eq!(dss.crls, data.crls);
    let Coverage::Appended(a) = &report.signatures[0].signature.coverage else {
        panic!("{report}")
    };
    assert!(a.only_signatures_and_dss(), "{a}");
}

#[test]
fn unusable_inputs_are_typed_errors() {
    let j = jpki();
    let enc = include_bytes!("data/letter-encrypted.pdf");
    assert!(matches!(
        sign_pdf(enc, &mut j.signer(), &options()),
        Err(SignError::Pdf(PdfError::Encrypted))
    ));
    assert!(matches!(
        sign_pdf(b"%PDF-1.7\nnot really", &mut j.signer(), &options()),
        Err(SignError::Pdf(PdfError::Parse(_)))
    ));
    let huge = vec![b' '; pades::MAX_PDF_LEN + 1];
    assert!(matches!(signatures(&huge), Err(SignError::TooLarge { .. })));
    let mut small = options();
    small.contents_size = 64;
    assert!(matches!(
        sign_pdf(&sample_referral_letter().unwrap(), &mut j.signer(), &small),
        Err(SignError::Pdf(PdfError::ContentsTooSmall {
            reserved: 64,
            ..
        }))
    ));
    // An unsigned PDF has no signature: rejected, not valid.
    let report = report(&sample_referral_letter().unwrap());
    assert!(report.signatures.is_empty());
    assert!(matches!(report.verdict(), Verdict::Invalid(_)));
}

#[test]
fn the_sample_letter_is_one_page_and_stable() {
    let a = sample_referral_letter().unwrap();
    assert_eq!(a, sample_referral_letter().unwrap());
    // A classic cross-reference table; the compact form has a stream instead.
    assert!(find(&a, b"\nxref\n").is_some() && find(&a, b"/XRef").is_none());
    let compact = sample_referral_letter_compact().unwrap();
    assert!(find(&compact, b"/ObjStm").is_some() && find(&compact, b"\nxref\n").is_none());
    let doc = lopdf::Document::load_mem(&a).unwrap();
    assert_eq!(doc.get_pages().len(), 1);
    assert!(find(&a, b"Referral letter").is_some());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn arbitrary_bytes_never_panic_the_extractor(data in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let _ = signatures(&data);
        let mut pdf = b"%PDF-1.7\n".to_vec();
        pdf.extend_from_slice(&data);
        let _ = signatures(&pdf);
    }

    #[test]
    fn damaged_signed_pdfs_never_panic(edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8), cut in any::<prop::sample::Index>()) {
        let signed = signed_fixture();
        let mut pdf = signed.clone();
        for (i, b) in edits {
            let at = i.index(pdf.len());
            pdf[at] = b;
        }
        let _ = signatures(&pdf);
        let _ = signatures(&pdf[..cut.index(pdf.len())]);
    }
}

fn signed_fixture() -> Vec<u8> {
    use std::sync::OnceLock;
    static SIGNED: OnceLock<Vec<u8>> = OnceLock::new();
    SIGNED
        .get_or_init(|| {
            let j = jpki();
            let once = sign(&sample_referral_letter().unwrap(), &mut j.signer());
            sign(&once, &mut j.signer())
        })
        .clone()
}
