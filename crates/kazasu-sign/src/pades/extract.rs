//! Finding the signatures of a PDF in every revision and checking their `/ByteRange` — no
//! cryptography here, so this is what the fuzz target and the proptest drive.

use std::collections::{BTreeMap, BTreeSet};

use der::{Decode, Reader};
use lopdf::{Dictionary, Document, Object, ObjectId, xref::XrefEntry};
use serde::Serialize;

use super::PdfError;
use super::changes::{self, Appended};
use super::parse::{load, resolve, text_string};
use crate::SignError;

/// The verifier looks at no more revisions than this (each one is parsed on its own).
pub const MAX_REVISIONS: usize = 64;

/// An object number and generation, printed as `N G R`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct PdfObjectId {
    /// Object number.
    pub number: u32,
    /// Generation.
    pub generation: u16,
}

impl From<ObjectId> for PdfObjectId {
    fn from((number, generation): ObjectId) -> Self {
        Self { number, generation }
    }
}

impl std::fmt::Display for PdfObjectId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {} R", self.number, self.generation)
    }
}

/// Why a `/ByteRange` is refused. Each one is a way to make a signature look as if it covered
/// bytes it does not.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, thiserror::Error)]
#[serde(tag = "problem", content = "detail", rename_all = "snake_case")]
#[non_exhaustive]
pub enum ByteRangeProblem {
    /// Not an array of four non-negative integers.
    #[error("/ByteRange is not four non-negative integers: {0}")]
    Malformed(String),
    /// The first range does not start at byte 0.
    #[error("/ByteRange does not start at byte 0")]
    NotFromStart,
    /// The second range starts before the first ends (overlapping or out of order).
    #[error("/ByteRange ranges overlap or are out of order")]
    Overlapping,
    /// A range reaches past the end of the file.
    #[error("/ByteRange reaches past the end of the file ({end} > {len})")]
    BeyondFile {
        /// End of the second range.
        end: u64,
        /// File length.
        len: u64,
    },
    /// The bytes left out are not one hex string `<…>`.
    #[error("the bytes /ByteRange leaves out are not a hex string")]
    GapNotHexString,
    /// The bytes left out are not this signature dictionary's `/Contents`.
    #[error("the bytes /ByteRange leaves out are not this signature's /Contents")]
    GapNotContents,
    /// The signature dictionary sits in an object stream, where `/Contents` has no place in the
    /// file a ByteRange could leave out.
    #[error("the signature dictionary is in an object stream")]
    InObjectStream,
    /// The signed bytes stop inside a revision instead of after its `%%EOF`: whatever follows
    /// was never signed but reads as part of that revision.
    #[error("the signed bytes end at {end}, not at the end of a revision (%%EOF)")]
    EndsInsideRevision {
        /// End of the second range.
        end: u64,
    },
}

/// How much of the file a signature covers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "coverage", rename_all = "snake_case")]
pub enum Coverage {
    /// Every byte but `/Contents`.
    WholeFile,
    /// Its revision, followed by later incremental updates.
    Appended(Appended),
    /// Unknown: the ByteRange was refused.
    Unknown,
}

/// A signature dictionary found in a PDF, before any cryptography.
#[derive(Clone, Serialize)]
pub struct PdfSignature {
    /// The signature field's name (`/T`), when a field refers to this dictionary.
    pub field_name: Option<String>,
    /// The signature dictionary's object.
    pub object: PdfObjectId,
    /// `/Filter` (e.g. `Adobe.PPKLite`).
    pub filter: Option<String>,
    /// `/SubFilter` (e.g. `ETSI.CAdES.detached`).
    pub sub_filter: Option<String>,
    /// `/M`, the claimed signing time, as written.
    pub claimed_time: Option<String>,
    /// `/ByteRange` as written.
    pub byte_range: Vec<i64>,
    /// Why the ByteRange is refused, if it is.
    pub byte_range_problem: Option<ByteRangeProblem>,
    /// What the signature covers (unknown when the ByteRange is refused).
    pub coverage: Coverage,
    /// The DER CMS from `/Contents` (the zero padding after it removed).
    #[serde(skip)]
    pub cms: Vec<u8>,
}

impl std::fmt::Debug for PdfSignature {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PdfSignature")
            .field("field_name", &self.field_name)
            .field("object", &self.object)
            .field("filter", &self.filter)
            .field("sub_filter", &self.sub_filter)
            .field("claimed_time", &self.claimed_time)
            .field("byte_range", &self.byte_range)
            .field("byte_range_problem", &self.byte_range_problem)
            .field("coverage", &self.coverage)
            .field("cms_len", &self.cms.len())
            .finish()
    }
}

impl PdfSignature {
    /// The signed bytes (both ranges, concatenated) when the ByteRange holds.
    pub fn signed_bytes(&self, pdf: &[u8]) -> Option<Vec<u8>> {
        if self.byte_range_problem.is_some() {
            return None;
        }
        let [_, a, b, c] = ranges(&self.byte_range)?;
        let mut out = Vec::with_capacity(a + c);
        out.extend_from_slice(pdf.get(..a)?);
        out.extend_from_slice(pdf.get(b..b.checked_add(c)?)?);
        Some(out)
    }
}

fn ranges(br: &[i64]) -> Option<[usize; 4]> {
    let mut out = [0usize; 4];
    if br.len() != 4 {
        return None;
    }
    for (o, v) in out.iter_mut().zip(br) {
        *o = usize::try_from(*v).ok()?;
    }
    Some(out)
}

/// Where each revision ends: just after each `%%EOF` and its end-of-line.
fn revision_ends(pdf: &[u8]) -> Vec<usize> {
    let mut ends = Vec::new();
    let mut i = 0;
    while let Some(pos) = find(&pdf[i..], b"%%EOF") {
        let mut end = i + pos + 5;
        if pdf.get(end) == Some(&b'\r') {
            end += 1;
        }
        if pdf.get(end) == Some(&b'\n') {
            end += 1;
        }
        ends.push(end);
        i = end;
    }
    ends
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Whether `end` is just after a `%%EOF` (and at most one end-of-line).
fn is_revision_end(pdf: &[u8], end: usize) -> bool {
    let Some(head) = pdf.get(..end) else {
        return false;
    };
    let trimmed = head
        .strip_suffix(b"\r\n")
        .or_else(|| head.strip_suffix(b"\n"))
        .or_else(|| head.strip_suffix(b"\r"))
        .unwrap_or(head);
    trimmed.ends_with(b"%%EOF")
}

fn name(dict: &Dictionary, key: &[u8]) -> Option<String> {
    match dict.get(key) {
        Ok(Object::Name(n)) => Some(String::from_utf8_lossy(n).into_owned()),
        _ => None,
    }
}

/// Signature field names by the signature dictionary they point at.
fn field_names(doc: &Document, out: &mut BTreeMap<ObjectId, String>) {
    let Some(fields) = doc
        .catalog()
        .ok()
        .and_then(|c| c.get(b"AcroForm").ok())
        .and_then(|af| resolve(doc, af))
        .and_then(|af| af.as_dict().ok())
        .and_then(|af| af.get(b"Fields").ok())
        .and_then(|f| resolve(doc, f))
        .and_then(|f| f.as_array().ok())
    else {
        return;
    };
    let mut stack: Vec<(&Object, Option<String>, usize)> =
        fields.iter().map(|f| (f, None, 0)).collect();
    let mut visits = 0usize;
    while let Some((field, parent, depth)) = stack.pop() {
        visits += 1;
        if visits > 100_000 {
            return;
        }
        let Some(dict) = resolve(doc, field).and_then(|f| f.as_dict().ok()) else {
            continue;
        };
        let own = match dict.get(b"T") {
            Ok(Object::String(t, _)) => Some(text_string(t)),
            _ => None,
        };
        // Fully qualified names join the parents' partial names with dots.
        let full = match (&parent, own) {
            (Some(p), Some(o)) => Some(format!("{p}.{o}")),
            (None, Some(o)) => Some(o),
            (p, None) => p.clone(),
        };
        if let (Ok(Object::Reference(v)), Some(n)) = (dict.get(b"V"), &full) {
            out.entry(*v).or_insert_with(|| n.clone());
        }
        if depth < 16
            && let Some(kids) = dict
                .get(b"Kids")
                .ok()
                .and_then(|k| resolve(doc, k))
                .and_then(|k| k.as_array().ok())
        {
            stack.extend(kids.iter().map(|k| (k, full.clone(), depth + 1)));
        }
    }
}

/// Every signature dictionary of `pdf`, in every revision, with its ByteRange checked and what
/// was appended after it described. Errors only when the file cannot be read at all.
pub fn signatures(pdf: &[u8]) -> Result<Vec<PdfSignature>, SignError> {
    let full = load(pdf)?;
    let ends = revision_ends(pdf);
    if ends.len() > MAX_REVISIONS {
        return Err(PdfError::TooManyRevisions(MAX_REVISIONS).into());
    }
    // Each revision as its own document: a signature dictionary dropped from a later revision
    // (or hidden by a replaced object) is still found in the revision that had it.
    let mut revisions: Vec<(usize, Document)> = Vec::new();
    for &end in &ends {
        if end >= pdf.len() {
            break;
        }
        if let Ok(doc) = load(&pdf[..end]) {
            revisions.push((end, doc));
        }
    }
    let mut names = BTreeMap::new();
    field_names(&full, &mut names);
    for (_, doc) in &revisions {
        field_names(doc, &mut names);
    }

    let mut seen = BTreeSet::new();
    let mut found = Vec::new();
    for doc in revisions
        .iter()
        .map(|(_, d)| d)
        .chain(std::iter::once(&full))
    {
        for (&id, object) in &doc.objects {
            let Ok(dict) = object.as_dict() else {
                continue;
            };
            if !dict.has(b"ByteRange") || !dict.has(b"Contents") {
                continue;
            }
            let byte_range: Vec<i64> = match dict.get(b"ByteRange") {
                Ok(Object::Array(a)) => a.iter().map(|v| v.as_i64().unwrap_or(-1)).collect(),
                _ => Vec::new(),
            };
            let contents = match dict.get(b"Contents") {
                Ok(Object::String(s, _)) => s.clone(),
                _ => Vec::new(),
            };
            if !seen.insert((id, byte_range.clone(), contents.clone())) {
                continue;
            }
            let problem = check_byte_range(pdf, doc, id, &byte_range, &contents).err();
            let coverage = match (&problem, ranges(&byte_range)) {
                (None, Some([_, _, b, c])) if b + c == pdf.len() => Coverage::WholeFile,
                (None, Some([_, _, b, c])) => {
                    let end = b + c;
                    let signed = revisions.iter().find(|(e, _)| *e == end).map(|(_, d)| d);
                    Coverage::Appended(changes::appended(
                        pdf.len() - end,
                        &ends,
                        end,
                        signed,
                        &full,
                    ))
                }
                _ => Coverage::Unknown,
            };
            found.push(PdfSignature {
                field_name: names.get(&id).cloned(),
                object: id.into(),
                filter: name(dict, b"Filter"),
                sub_filter: name(dict, b"SubFilter"),
                claimed_time: match dict.get(b"M") {
                    Ok(Object::String(s, _)) => Some(text_string(s)),
                    _ => None,
                },
                byte_range,
                byte_range_problem: problem,
                coverage,
                cms: trim_der(contents),
            });
        }
    }
    // In file order of what they sign: the first signature first.
    found.sort_by_key(|s| (s.byte_range.get(2).copied(), s.object));
    Ok(found)
}

/// The CMS at the start of `contents` without the zero padding after it. NSS-based signers
/// (poppler, LibreOffice, Firefox) write BER with indefinite lengths; those are rewritten with
/// definite lengths (the signed attributes inside are DER already, so nothing signed changes).
/// Left whole when it does not parse, so the CMS layer names the problem.
fn trim_der(contents: Vec<u8>) -> Vec<u8> {
    if contents.get(1) == Some(&0x80) {
        let mut out = Vec::with_capacity(contents.len());
        if let Some(end) = ber_to_der(&contents, 0, &mut out, 0)
            && contents[end..].iter().all(|&b| b == 0)
        {
            return out;
        }
        return contents;
    }
    let total = (|| {
        let mut reader = der::SliceReader::new(&contents).ok()?;
        let header = der::Header::decode(&mut reader).ok()?;
        let len = (reader.position() + header.length()).ok()?;
        usize::try_from(u32::from(len)).ok()
    })();
    match total {
        Some(n) if n <= contents.len() && contents[n..].iter().all(|&b| b == 0) => {
            let mut contents = contents;
            contents.truncate(n);
            contents
        }
        _ => contents,
    }
}

/// Copies the element at `at` to `out` with every indefinite length made definite; returns the
/// offset after it (after its end-of-contents octets when indefinite).
fn ber_to_der(input: &[u8], at: usize, out: &mut Vec<u8>, depth: usize) -> Option<usize> {
    if depth > 64 {
        return None;
    }
    let tag = *input.get(at)?;
    // Multi-byte tags do not occur in CMS.
    if tag & 0x1F == 0x1F {
        return None;
    }
    let constructed = tag & 0x20 != 0;
    let first = *input.get(at + 1)?;
    let mut pos = at + 2;
    let definite = if first == 0x80 {
        None
    } else if first < 0x80 {
        Some(usize::from(first))
    } else {
        let n = usize::from(first & 0x7F);
        if n > 4 {
            return None;
        }
        let mut len = 0usize;
        for _ in 0..n {
            len = (len << 8) | usize::from(*input.get(pos)?);
            pos += 1;
        }
        Some(len)
    };
    let mut body = Vec::new();
    let end = match definite {
        Some(len) if !constructed => {
            body.extend_from_slice(input.get(pos..pos.checked_add(len)?)?);
            pos + len
        }
        Some(len) => {
            let end = pos.checked_add(len)?;
            input.get(..end)?;
            while pos < end {
                pos = ber_to_der(input, pos, &mut body, depth + 1)?;
            }
            if pos != end {
                return None;
            }
            end
        }
        None if !constructed => return None,
        None => {
            while input.get(pos..pos + 2)? != [0, 0] {
                pos = ber_to_der(input, pos, &mut body, depth + 1)?;
            }
            pos + 2
        }
    };
    out.push(tag);
    let len = body.len();
    if len < 0x80 {
        out.push(u8::try_from(len).ok()?);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|&&b| b == 0).count();
        out.push(0x80 | u8::try_from(bytes.len() - skip).ok()?);
        out.extend_from_slice(&bytes[skip..]);
    }
    out.extend_from_slice(&body);
    Some(end)
}

fn check_byte_range(
    pdf: &[u8],
    doc: &Document,
    id: ObjectId,
    byte_range: &[i64],
    contents: &[u8],
) -> Result<(), ByteRangeProblem> {
    let [start, a, b, c] =
        ranges(byte_range).ok_or_else(|| ByteRangeProblem::Malformed(format!("{byte_range:?}")))?;
    if start != 0 {
        return Err(ByteRangeProblem::NotFromStart);
    }
    if b < a {
        return Err(ByteRangeProblem::Overlapping);
    }
    let end = b.checked_add(c).ok_or(ByteRangeProblem::BeyondFile {
        end: u64::MAX,
        len: pdf.len() as u64,
    })?;
    if end > pdf.len() {
        return Err(ByteRangeProblem::BeyondFile {
            end: end as u64,
            len: pdf.len() as u64,
        });
    }
    let gap = &pdf[a..b];
    let hex = match gap {
        [b'<', inner @ .., b'>'] if inner.iter().all(u8::is_ascii_hexdigit) => inner,
        _ => return Err(ByteRangeProblem::GapNotHexString),
    };
    let offset = match doc.reference_table.get(id.0) {
        Some(XrefEntry::Normal { offset, .. }) => *offset as usize,
        Some(XrefEntry::Compressed { .. }) => return Err(ByteRangeProblem::InObjectStream),
        _ => return Err(ByteRangeProblem::GapNotContents),
    };
    // The gap must be the value of this dictionary's /Contents key: inside this object (no
    // `endobj` between its header and the gap) and right after the key.
    let before = pdf.get(offset..a).ok_or(ByteRangeProblem::GapNotContents)?;
    let key_end = before
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(0, |p| p + 1);
    if find(before, b"endobj").is_some() || !before[..key_end].ends_with(b"/Contents") {
        return Err(ByteRangeProblem::GapNotContents);
    }
    let mut padded;
    let hex = if hex.len() % 2 == 1 {
        padded = hex.to_vec();
        padded.push(b'0');
        &padded[..]
    } else {
        hex
    };
    if hex::decode(hex).ok().as_deref() != Some(contents) {
        return Err(ByteRangeProblem::GapNotContents);
    }
    if end < pdf.len() && !is_revision_end(pdf, end) {
        return Err(ByteRangeProblem::EndsInsideRevision { end: end as u64 });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indefinite_lengths_become_definite_and_padding_goes() {
        // SEQUENCE (indefinite) { OID, [0] (indefinite) { SEQUENCE { INTEGER 5 } } } + padding.
        let ber = [
            0x30, 0x80, 0x06, 0x01, 0x2A, 0xA0, 0x80, 0x30, 0x03, 0x02, 0x01, 0x05, 0x00, 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00,
        ];
        let der = [
            0x30, 0x0A, 0x06, 0x01, 0x2A, 0xA0, 0x05, 0x30, 0x03, 0x02, 0x01, 0x05,
        ];
        assert_eq!(trim_der(ber.to_vec()), der);
        assert_eq!(trim_der([&der[..], &[0, 0, 0]].concat()), der);
        // Truncated BER and data after the padding stay as they are, for the CMS layer to name.
        assert_eq!(trim_der(ber[..8].to_vec()), ber[..8]);
        assert_eq!(
            trim_der([&der[..], &[0, 7]].concat()),
            [&der[..], &[0, 7]].concat()
        );
    }
}
