//! A small one-page referral letter (紹介状) to sign in tests, examples and the CLI.

use lopdf::content::{Content, Operation};
use lopdf::{Dictionary, Document, Object, SaveOptions, Stream, StringFormat};

use super::PdfError;
use crate::SignError;

const LINES: &[&str] = &[
    "Referral letter (Shokaijo)",
    "",
    "To: Dr. Sato, Department of Cardiology, kazasu General Hospital",
    "Patient: Yamada Taro, born 1980-04-01",
    "Reason: exertional chest pain for two weeks; please evaluate.",
    "Current medication: none.",
    "",
    "This is a test document made by kazasu. It names no real person.",
];

/// A one-page PDF 1.7 referral letter with a classic cross-reference table: Helvetica (one of
/// the standard 14 fonts) with ASCII text; the document title in `/Info` is
/// "紹介状 / Referral letter". The same bytes every time.
pub fn sample_referral_letter() -> Result<Vec<u8>, SignError> {
    build(false)
}

/// The same letter written the compact PDF 1.5 way: objects in object streams and a
/// cross-reference stream instead of a table.
pub fn sample_referral_letter_compact() -> Result<Vec<u8>, SignError> {
    build(true)
}

fn build(compact: bool) -> Result<Vec<u8>, SignError> {
    let failed = |e: lopdf::Error| -> SignError { PdfError::Parse(e.to_string()).into() };
    let mut doc = Document::with_version("1.7");
    let pages_id = doc.new_object_id();
    let mut font = Dictionary::new();
    font.set("Type", Object::Name(b"Font".to_vec()));
    font.set("Subtype", Object::Name(b"Type1".to_vec()));
    font.set("BaseFont", Object::Name(b"Helvetica".to_vec()));
    let font_id = doc.add_object(font);
    let mut fonts = Dictionary::new();
    fonts.set("F1", Object::Reference(font_id));
    let mut resources = Dictionary::new();
    resources.set("Font", Object::Dictionary(fonts));
    let resources_id = doc.add_object(resources);

    let mut operations = vec![
        Operation::new("BT", vec![]),
        Operation::new("Tf", vec!["F1".into(), 18.into()]),
        Operation::new("TL", vec![22.into()]),
        Operation::new("Td", vec![72.into(), 760.into()]),
    ];
    for (i, line) in LINES.iter().enumerate() {
        if i == 1 {
            operations.push(Operation::new("Tf", vec!["F1".into(), 11.into()]));
        }
        operations.push(Operation::new(
            "Tj",
            vec![Object::String(
                line.as_bytes().to_vec(),
                StringFormat::Literal,
            )],
        ));
        operations.push(Operation::new("T*", vec![]));
    }
    operations.push(Operation::new("ET", vec![]));
    let content = Content { operations }.encode().map_err(failed)?;
    let content_id = doc.add_object(Stream::new(Dictionary::new(), content));

    let mut page = Dictionary::new();
    page.set("Type", Object::Name(b"Page".to_vec()));
    page.set("Parent", Object::Reference(pages_id));
    page.set("Contents", Object::Reference(content_id));
    page.set("Resources", Object::Reference(resources_id));
    page.set(
        "MediaBox",
        Object::Array(vec![0.into(), 0.into(), 595.into(), 842.into()]),
    );
    let page_id = doc.add_object(page);
    let mut pages = Dictionary::new();
    pages.set("Type", Object::Name(b"Pages".to_vec()));
    pages.set("Kids", Object::Array(vec![Object::Reference(page_id)]));
    pages.set("Count", Object::Integer(1));
    doc.objects.insert(pages_id, Object::Dictionary(pages));
    let mut catalog = Dictionary::new();
    catalog.set("Type", Object::Name(b"Catalog".to_vec()));
    catalog.set("Pages", Object::Reference(pages_id));
    let catalog_id = doc.add_object(catalog);
    let mut info = Dictionary::new();
    // UTF-16BE with a byte order mark: how PDF text strings carry Japanese.
    let mut title = vec![0xFE, 0xFF];
    for unit in "紹介状 / Referral letter".encode_utf16() {
        title.extend_from_slice(&unit.to_be_bytes());
    }
    info.set("Title", Object::String(title, StringFormat::Hexadecimal));
    info.set(
        "Producer",
        Object::String(b"kazasu".to_vec(), StringFormat::Literal),
    );
    let info_id = doc.add_object(info);
    doc.trailer.set("Root", Object::Reference(catalog_id));
    doc.trailer.set("Info", Object::Reference(info_id));
    doc.trailer.set(
        "ID",
        Object::Array(vec![
            Object::String(b"kazasu-sample-01".to_vec(), StringFormat::Hexadecimal),
            Object::String(b"kazasu-sample-01".to_vec(), StringFormat::Hexadecimal),
        ]),
    );

    let mut out = Vec::new();
    if compact {
        let options = SaveOptions::builder()
            .use_object_streams(true)
            .use_xref_streams(true)
            .build();
        doc.save_with_options(&mut out, options)
            .map_err(|e| PdfError::Parse(e.to_string()))?;
    } else {
        doc.reference_table.cross_reference_type = lopdf::xref::XrefType::CrossReferenceTable;
        doc.save_to(&mut out)
            .map_err(|e| PdfError::Parse(e.to_string()))?;
    }
    Ok(out)
}
