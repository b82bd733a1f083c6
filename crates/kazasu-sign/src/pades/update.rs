//! Writing an incremental update: new and replaced objects appended after the original bytes
//! (which stay untouched), a cross-reference section for them only, and a trailer whose `/Prev`
//! points at the previous section.
//!
//! The section has the form of the one before it: a classic `xref` table after a table, a
//! cross-reference stream (uncompressed, `/W [1 4 2]`) after a stream, so that readers that
//! expect one kind per file are not surprised.

use std::collections::BTreeMap;
use std::io::Write;

use lopdf::{Dictionary, Object, ObjectId};

use super::PdfError;
use crate::SignError;

/// The objects of one incremental update, by number.
#[derive(Default)]
pub(crate) struct Update {
    /// Serialized object bodies (without `N G obj` / `endobj`).
    bodies: BTreeMap<ObjectId, Vec<u8>>,
}

/// Where the update put things, as offsets in the whole new file.
pub(crate) struct Written {
    pub bytes: Vec<u8>,
    /// Offset of each object's body (just after `N G obj\n`).
    pub body_offsets: BTreeMap<ObjectId, usize>,
}

/// What the new trailer carries over from the old one.
pub(crate) struct TrailerBase {
    pub prev: usize,
    pub size: u32,
    pub xref_stream: bool,
    pub root: ObjectId,
    pub info: Option<Object>,
    pub id: Option<Object>,
}

impl TrailerBase {
    pub(crate) fn from_trailer(
        trailer: &Dictionary,
        prev: usize,
        size: u32,
        xref_stream: bool,
        root: ObjectId,
    ) -> Self {
        let keep = |key: &[u8]| match trailer.get(key) {
            Ok(o @ (Object::Reference(_) | Object::Array(_) | Object::Dictionary(_))) => {
                Some(o.clone())
            }
            _ => None,
        };
        Self {
            prev,
            size,
            xref_stream,
            root,
            info: keep(b"Info"),
            id: keep(b"ID"),
        }
    }
}

pub(crate) fn serialize(object: &Object) -> Result<Vec<u8>, SignError> {
    let mut out = Vec::new();
    lopdf::Writer::write_object(&mut out, object)
        .map_err(|e| PdfError::Parse(format!("cannot serialize an object: {e}")))?;
    Ok(out)
}

impl Update {
    /// Adds (or replaces) an object given as a `lopdf` object.
    pub(crate) fn put(&mut self, id: ObjectId, object: &Object) -> Result<(), SignError> {
        self.bodies.insert(id, serialize(object)?);
        Ok(())
    }

    /// Adds an object whose body the caller serialized (to know where its bytes land).
    pub(crate) fn put_raw(&mut self, id: ObjectId, body: Vec<u8>) {
        self.bodies.insert(id, body);
    }

    /// Appends the update to `original`.
    pub(crate) fn write(self, original: &[u8], base: &TrailerBase) -> Result<Written, SignError> {
        let mut out = Vec::with_capacity(original.len() + 64 * 1024);
        out.extend_from_slice(original);
        if !matches!(original.last(), Some(b'\n' | b'\r')) {
            out.push(b'\n');
        }
        let mut offsets = BTreeMap::new();
        let mut body_offsets = BTreeMap::new();
        for (&(num, generation), body) in &self.bodies {
            offsets.insert(num, (out.len(), generation));
            writeln!(out, "{num} {generation} obj").map_err(io)?;
            body_offsets.insert((num, generation), out.len());
            out.extend_from_slice(body);
            out.extend_from_slice(b"\nendobj\n");
        }
        let max_new = self.bodies.keys().map(|&(n, _)| n).max().unwrap_or(0);
        let size = base.size.max(max_new.saturating_add(1));
        let xref_offset = out.len();
        if base.xref_stream {
            let xref_num = size;
            offsets.insert(xref_num, (xref_offset, 0));
            let mut dict = trailer_dict(base, size.saturating_add(1));
            dict.set("Type", Object::Name(b"XRef".to_vec()));
            dict.set(
                "W",
                Object::Array(vec![
                    Object::Integer(1),
                    Object::Integer(4),
                    Object::Integer(2),
                ]),
            );
            let mut index = Vec::new();
            let mut data = Vec::new();
            for (start, run) in runs(&offsets) {
                index.push(Object::Integer(i64::from(start)));
                index.push(Object::Integer(run.len() as i64));
                for (offset, generation) in run {
                    let offset = u32::try_from(offset)
                        .map_err(|_| PdfError::Parse("offset past 4 GiB".into()))?;
                    data.push(1);
                    data.extend_from_slice(&offset.to_be_bytes());
                    data.extend_from_slice(&generation.to_be_bytes());
                }
            }
            dict.set("Index", Object::Array(index));
            dict.set("Length", Object::Integer(data.len() as i64));
            writeln!(out, "{xref_num} 0 obj").map_err(io)?;
            out.extend_from_slice(&serialize(&Object::Dictionary(dict))?);
            out.extend_from_slice(b"\nstream\r\n");
            out.extend_from_slice(&data);
            out.extend_from_slice(b"\nendstream\nendobj\n");
        } else {
            out.extend_from_slice(b"xref\n");
            for (start, run) in runs(&offsets) {
                writeln!(out, "{start} {}", run.len()).map_err(io)?;
                for (offset, generation) in run {
                    write!(out, "{offset:010} {generation:05} n\r\n").map_err(io)?;
                }
            }
            out.extend_from_slice(b"trailer\n");
            out.extend_from_slice(&serialize(&Object::Dictionary(trailer_dict(base, size)))?);
            out.push(b'\n');
        }
        write!(out, "startxref\n{xref_offset}\n%%EOF\n").map_err(io)?;
        Ok(Written {
            bytes: out,
            body_offsets,
        })
    }
}

fn trailer_dict(base: &TrailerBase, size: u32) -> Dictionary {
    let mut dict = Dictionary::new();
    dict.set("Size", Object::Integer(i64::from(size)));
    dict.set("Root", Object::Reference(base.root));
    if let Some(info) = &base.info {
        dict.set("Info", info.clone());
    }
    if let Some(id) = &base.id {
        dict.set("ID", id.clone());
    }
    dict.set("Prev", Object::Integer(base.prev as i64));
    dict
}

/// Consecutive object numbers grouped into subsections.
fn runs(offsets: &BTreeMap<u32, (usize, u16)>) -> Vec<(u32, Vec<(usize, u16)>)> {
    let mut runs: Vec<(u32, Vec<(usize, u16)>)> = Vec::new();
    for (&num, &entry) in offsets {
        match runs.last_mut() {
            Some((start, run)) if u64::from(*start) + run.len() as u64 == u64::from(num) => {
                run.push(entry);
            }
            _ => runs.push((num, vec![entry])),
        }
    }
    runs
}

fn io(e: std::io::Error) -> SignError {
    PdfError::Parse(format!("cannot write the update: {e}")).into()
}
