//! Signing: the incremental update with the signature field, the `/Sig` dictionary and its
//! placeholder, then the CMS over the ByteRange written into `/Contents`.

use std::collections::BTreeMap;

use lopdf::{Dictionary, Document, Object, ObjectId, StringFormat};
use time::OffsetDateTime;

use super::PdfError;
use super::parse::{Base, resolve, text_string};
use super::update::{TrailerBase, Update};
use crate::SignError;

/// `/ByteRange` as first written: four fixed-width numbers, rewritten in place once the offsets
/// are known (padded with spaces to the same length).
const BYTE_RANGE_PLACEHOLDER: &[u8] = b"[0 0000000000 0000000000 0000000000]";

/// Bytes reserved for the DER CMS when the caller does not say: room for a signer certificate,
/// its CA, and a signature timestamp with the TSA's certificate (B-T).
pub const DEFAULT_CONTENTS_SIZE: usize = 16 * 1024;

/// The update written, waiting for its CMS.
pub(crate) struct Prepared {
    pub bytes: Vec<u8>,
    /// `[0, a, b, c]`: the signed bytes are `0..a` and `b..b+c`.
    pub byte_range: [usize; 4],
    /// Bytes of DER that fit into the placeholder.
    pub reserved: usize,
}

impl Prepared {
    /// The bytes the signature covers.
    pub(crate) fn signed_bytes(&self) -> Vec<u8> {
        let [_, a, b, c] = self.byte_range;
        let mut signed = Vec::with_capacity(a + c);
        signed.extend_from_slice(&self.bytes[..a]);
        signed.extend_from_slice(&self.bytes[b..b + c]);
        signed
    }

    /// Writes `cms` (hex, zero-padded) into the placeholder.
    pub(crate) fn finish(mut self, cms: &[u8]) -> Result<Vec<u8>, SignError> {
        if cms.len() > self.reserved {
            return Err(PdfError::ContentsTooSmall {
                needed: cms.len(),
                reserved: self.reserved,
            }
            .into());
        }
        let hex = hex::encode_upper(cms);
        let start = self.byte_range[1] + 1;
        self.bytes[start..start + hex.len()].copy_from_slice(hex.as_bytes());
        Ok(self.bytes)
    }
}

/// What the signature dictionary and field say.
pub(crate) struct FieldSpec<'a> {
    pub signing_time: OffsetDateTime,
    pub contents_size: usize,
    pub field_name: Option<&'a str>,
}

/// `D:YYYYMMDDHHmmSS+00'00'` in UTC.
pub(crate) fn pdf_date(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "D:{:04}{:02}{:02}{:02}{:02}{:02}+00'00'",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// Copies of the objects the update replaces, taken from the newest revision on first use.
struct Edits<'d> {
    doc: &'d Document,
    objects: BTreeMap<ObjectId, Object>,
}

impl<'d> Edits<'d> {
    fn object_mut(&mut self, id: ObjectId) -> Result<&mut Object, SignError> {
        if !self.objects.contains_key(&id) {
            let object = self
                .doc
                .get_object(id)
                .map_err(|_| PdfError::Missing("referenced object"))?
                .clone();
            self.objects.insert(id, object);
        }
        self.objects
            .get_mut(&id)
            .ok_or_else(|| PdfError::Missing("referenced object").into())
    }

    fn dict_mut(&mut self, id: ObjectId, what: &'static str) -> Result<&mut Dictionary, SignError> {
        match self.object_mut(id)? {
            Object::Dictionary(d) => Ok(d),
            Object::Stream(s) => Ok(&mut s.dict),
            _ => Err(PdfError::Missing(what).into()),
        }
    }

    /// Appends `item` to the array under `key` of `dict` (held by object `holder`), following
    /// an indirect array where there is one.
    fn push_to_array(
        &mut self,
        holder: ObjectId,
        path: &[&[u8]],
        key: &[u8],
        item: Object,
    ) -> Result<(), SignError> {
        let indirect = {
            let dict = self.nested_dict(holder, path)?;
            match dict.get(key) {
                Ok(Object::Reference(r)) => Some(*r),
                _ => None,
            }
        };
        if let Some(r) = indirect
            && let Object::Array(a) = self.object_mut(r)?
        {
            a.push(item);
            return Ok(());
        }
        let dict = self.nested_dict(holder, path)?;
        match dict.get_mut(key) {
            Ok(Object::Array(a)) => a.push(item),
            _ => dict.set(key.to_vec(), Object::Array(vec![item])),
        }
        Ok(())
    }

    /// The dictionary at `path` (keys of inline dictionaries) inside object `holder`.
    fn nested_dict(
        &mut self,
        holder: ObjectId,
        path: &[&[u8]],
    ) -> Result<&mut Dictionary, SignError> {
        let mut dict = self.dict_mut(holder, "dictionary")?;
        for key in path {
            dict = match dict.get_mut(key) {
                Ok(Object::Dictionary(d)) => d,
                _ => return Err(PdfError::Missing("inline dictionary").into()),
            };
        }
        Ok(dict)
    }
}

/// Names of the form fields already in the AcroForm (top level and their kids).
fn field_names(doc: &Document, acroform: Option<&Dictionary>) -> Vec<String> {
    let mut names = Vec::new();
    let Some(fields) = acroform
        .and_then(|af| af.get(b"Fields").ok())
        .and_then(|f| resolve(doc, f))
        .and_then(|f| f.as_array().ok())
    else {
        return names;
    };
    let mut stack: Vec<(&Object, usize)> = fields.iter().map(|f| (f, 0)).collect();
    while let Some((field, depth)) = stack.pop() {
        let Some(dict) = resolve(doc, field).and_then(|f| f.as_dict().ok()) else {
            continue;
        };
        if let Ok(Object::String(t, _)) = dict.get(b"T") {
            names.push(text_string(t));
        }
        if depth < 8
            && let Some(kids) = dict
                .get(b"Kids")
                .ok()
                .and_then(|k| resolve(doc, k))
                .and_then(|k| k.as_array().ok())
        {
            stack.extend(kids.iter().map(|k| (k, depth + 1)));
        }
    }
    names
}

/// Writes the update with an empty `/Contents` of `spec.contents_size` bytes.
pub(crate) fn prepare(pdf: &[u8], spec: &FieldSpec<'_>) -> Result<Prepared, SignError> {
    let base = Base::read(pdf)?;
    let doc = &base.doc;
    let mut next = base.size;
    let mut alloc = || {
        let id = (next, 0u16);
        next = next.saturating_add(1);
        id
    };
    let sig_id = alloc();
    let field_id = alloc();
    let catalog = base.catalog()?;
    let acroform = match catalog.get(b"AcroForm") {
        Ok(o) => resolve(doc, o).and_then(|o| o.as_dict().ok()),
        Err(_) => None,
    };
    let taken = field_names(doc, acroform);
    let name = match spec.field_name {
        Some(n) => n.to_owned(),
        None => (1..)
            .map(|i| format!("Signature{i}"))
            .find(|n| !taken.contains(n))
            .unwrap_or_else(|| "Signature".into()),
    };

    let mut edits = Edits {
        doc,
        objects: BTreeMap::new(),
    };
    // The field and its widget in one dictionary, invisible (zero rectangle, Print + Locked).
    let mut field = Dictionary::new();
    field.set("Type", Object::Name(b"Annot".to_vec()));
    field.set("Subtype", Object::Name(b"Widget".to_vec()));
    field.set("FT", Object::Name(b"Sig".to_vec()));
    field.set(
        "T",
        Object::String(name.into_bytes(), StringFormat::Literal),
    );
    field.set("V", Object::Reference(sig_id));
    field.set("Rect", Object::Array(vec![Object::Integer(0); 4]));
    field.set("F", Object::Integer(132));
    field.set("P", Object::Reference(base.first_page));

    edits.push_to_array(base.first_page, &[], b"Annots", Object::Reference(field_id))?;

    match catalog.get(b"AcroForm") {
        Ok(Object::Reference(af)) => {
            let af = *af;
            edits.push_to_array(af, &[], b"Fields", Object::Reference(field_id))?;
            set_sig_flags(edits.dict_mut(af, "AcroForm")?);
        }
        Ok(Object::Dictionary(_)) => {
            edits.push_to_array(
                base.root,
                &[b"AcroForm"],
                b"Fields",
                Object::Reference(field_id),
            )?;
            set_sig_flags(edits.nested_dict(base.root, &[b"AcroForm"])?);
        }
        _ => {
            let af_id = alloc();
            let mut af = Dictionary::new();
            af.set("Fields", Object::Array(vec![Object::Reference(field_id)]));
            af.set("SigFlags", Object::Integer(3));
            edits.objects.insert(af_id, Object::Dictionary(af));
            edits
                .dict_mut(base.root, "document catalog")?
                .set("AcroForm", Object::Reference(af_id));
        }
    }

    let mut update = Update::default();
    for (id, object) in &edits.objects {
        update.put(*id, object)?;
    }
    update.put(field_id, &Object::Dictionary(field))?;
    let (sig_body, br_at, contents_at) = sig_dictionary(spec);
    update.put_raw(sig_id, sig_body);

    let trailer = TrailerBase::from_trailer(
        &doc.trailer,
        base.startxref,
        next,
        base.xref_stream,
        base.root,
    );
    let written = update.write(pdf, &trailer)?;
    let body = *written
        .body_offsets
        .get(&sig_id)
        .ok_or(PdfError::Missing("signature dictionary"))?;
    let mut bytes = written.bytes;
    let lt = body + contents_at;
    let gt = lt + 1 + 2 * spec.contents_size;
    let byte_range = [0, lt, gt + 1, bytes.len() - (gt + 1)];
    let text = format!("[0 {} {} {}]", byte_range[1], byte_range[2], byte_range[3]);
    let mut field_bytes = text.into_bytes();
    if field_bytes.len() > BYTE_RANGE_PLACEHOLDER.len() {
        return Err(PdfError::Parse("offsets too large for /ByteRange".into()).into());
    }
    field_bytes.resize(BYTE_RANGE_PLACEHOLDER.len(), b' ');
    let at = body + br_at;
    bytes[at..at + field_bytes.len()].copy_from_slice(&field_bytes);
    Ok(Prepared {
        bytes,
        byte_range,
        reserved: spec.contents_size,
    })
}

fn set_sig_flags(acroform: &mut Dictionary) {
    let old = acroform
        .get(b"SigFlags")
        .and_then(Object::as_i64)
        .unwrap_or(0);
    acroform.set("SigFlags", Object::Integer(old | 3));
}

/// The `/Sig` dictionary's body, with the offsets of its ByteRange placeholder and of the `<`
/// that opens `/Contents`.
fn sig_dictionary(spec: &FieldSpec<'_>) -> (Vec<u8>, usize, usize) {
    let mut body = Vec::with_capacity(2 * spec.contents_size + 256);
    body.extend_from_slice(b"<</Type/Sig/Filter/Adobe.PPKLite/SubFilter/ETSI.CAdES.detached/M(");
    body.extend_from_slice(pdf_date(spec.signing_time).as_bytes());
    body.extend_from_slice(b")/ByteRange ");
    let br_at = body.len();
    body.extend_from_slice(BYTE_RANGE_PLACEHOLDER);
    body.extend_from_slice(b"/Contents ");
    let contents_at = body.len();
    body.push(b'<');
    body.resize(body.len() + 2 * spec.contents_size, b'0');
    body.extend_from_slice(b">>>");
    (body, br_at, contents_at)
}
