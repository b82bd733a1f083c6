//! The Document Security Store (PAdES LT): certificates, CRLs and OCSP responses in a `/DSS`
//! dictionary of the catalog, added in an incremental update of their own after signing.

use lopdf::{Dictionary, Document, Object, ObjectId, Stream};
use serde::{Serialize, Serializer};

use super::PdfError;
use super::parse::{Base, load, resolve};
use super::update::{TrailerBase, Update};
use crate::SignError;
use crate::cms::ValidationData;

/// The validation data of a PDF's DSS, DER.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Dss {
    /// `/Certs`.
    #[serde(serialize_with = "count")]
    pub certificates: Vec<Vec<u8>>,
    /// `/CRLs`.
    #[serde(serialize_with = "count")]
    pub crls: Vec<Vec<u8>>,
    /// `/OCSPs`.
    #[serde(serialize_with = "count")]
    pub ocsp_responses: Vec<Vec<u8>>,
}

fn count<S: Serializer>(items: &[Vec<u8>], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(items.len() as u64)
}

const KEYS: [&[u8]; 3] = [b"Certs", b"CRLs", b"OCSPs"];

/// Appends an incremental update that adds `data` to the PDF's DSS (creating it when there is
/// none): one stream per certificate, CRL and OCSP response. Signatures before it stay valid
/// (a DSS is what verifiers expect to be appended after signing).
pub fn add_dss(pdf: &[u8], data: &ValidationData) -> Result<Vec<u8>, SignError> {
    let base = Base::read(pdf)?;
    let doc = &base.doc;
    let mut next = base.size;
    let mut update = Update::default();
    let catalog = base.catalog()?.clone();
    let (dss_id, mut dss) = match catalog.get(b"DSS") {
        Ok(Object::Reference(r)) => (
            Some(*r),
            doc.get_dictionary(*r)
                .map_err(|_| PdfError::Missing("DSS dictionary"))?
                .clone(),
        ),
        Ok(Object::Dictionary(d)) => (None, d.clone()),
        _ => (None, Dictionary::new()),
    };
    let lists = [&data.certificates, &data.crls, &data.ocsp_responses];
    for (key, items) in KEYS.into_iter().zip(lists) {
        if items.is_empty() {
            continue;
        }
        let mut array = match dss.get(key).ok().and_then(|o| resolve(doc, o)) {
            Some(Object::Array(a)) => a.clone(),
            _ => Vec::new(),
        };
        for item in items {
            let id: ObjectId = (next, 0);
            next = next.saturating_add(1);
            update.put(
                id,
                &Object::Stream(Stream::new(Dictionary::new(), item.clone())),
            )?;
            array.push(Object::Reference(id));
        }
        dss.set(key.to_vec(), Object::Array(array));
    }
    dss.set("Type", Object::Name(b"DSS".to_vec()));
    match dss_id {
        Some(id) => update.put(id, &Object::Dictionary(dss))?,
        None => {
            let id: ObjectId = (next, 0);
            next = next.saturating_add(1);
            update.put(id, &Object::Dictionary(dss))?;
            let mut catalog = catalog;
            catalog.set("DSS", Object::Reference(id));
            update.put(base.root, &Object::Dictionary(catalog))?;
        }
    }
    let trailer = TrailerBase::from_trailer(
        &doc.trailer,
        base.startxref,
        next,
        base.xref_stream,
        base.root,
    );
    Ok(update.write(pdf, &trailer)?.bytes)
}

/// The newest revision's DSS, if the catalog has one.
pub(crate) fn read_dss(pdf: &[u8]) -> Result<Option<Dss>, SignError> {
    let doc = load(pdf)?;
    Ok(dss_of(&doc))
}

fn dss_of(doc: &Document) -> Option<Dss> {
    let dss = doc
        .catalog()
        .ok()?
        .get(b"DSS")
        .ok()
        .and_then(|o| resolve(doc, o))?
        .as_dict()
        .ok()?;
    let list = |key: &[u8]| -> Vec<Vec<u8>> {
        let Some(Object::Array(items)) = dss.get(key).ok().and_then(|o| resolve(doc, o)) else {
            return Vec::new();
        };
        items
            .iter()
            .filter_map(|i| match resolve(doc, i) {
                Some(Object::Stream(s)) if !s.dict.has(b"Filter") => Some(s.content.clone()),
                Some(Object::Stream(s)) => {
                    s.decompressed_content_with_limit(super::MAX_PDF_LEN).ok()
                }
                _ => None,
            })
            .collect()
    };
    Some(Dss {
        certificates: list(b"Certs"),
        crls: list(b"CRLs"),
        ocsp_responses: list(b"OCSPs"),
    })
}
