//! What incremental updates after a signature changed: the objects they add and replace,
//! and whether that goes beyond adding signatures (fields, `/Sig` dictionaries, appearance
//! streams) and a DSS — what signing or extending to LT legitimately appends.

use std::collections::{BTreeMap, BTreeSet};

use lopdf::{Dictionary, Document, Object, ObjectId};
use serde::Serialize;

use super::extract::PdfObjectId;

/// Bytes appended after a signature's revision and what they change.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Appended {
    /// Bytes after the signed range.
    pub bytes: u64,
    /// Incremental updates (`%%EOF` marks) among them.
    pub revisions: usize,
    /// Objects that the signed revision did not have.
    pub new_objects: Vec<PdfObjectId>,
    /// Objects of the signed revision that were replaced by different ones.
    pub changed_objects: Vec<PdfObjectId>,
    /// Changes beyond adding signatures and validation data; empty when there are none.
    pub other_changes: Vec<String>,
}

impl Appended {
    /// Whether the appended updates only add signatures and validation data (DSS).
    pub fn only_signatures_and_dss(&self) -> bool {
        self.other_changes.is_empty()
    }
}

impl std::fmt::Display for Appended {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let list = |ids: &[PdfObjectId]| {
            if ids.is_empty() {
                "none".to_owned()
            } else {
                ids.iter()
                    .map(|i| i.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        };
        write!(
            f,
            "bytes appended after signing: {} in {} update(s), with new objects {} and changed objects {}",
            self.bytes,
            self.revisions,
            list(&self.new_objects),
            list(&self.changed_objects)
        )?;
        if self.other_changes.is_empty() {
            f.write_str(" (signatures and validation data only)")
        } else {
            write!(f, "; beyond signatures: {}", self.other_changes.join("; "))
        }
    }
}

/// Compares the signed revision (`signed`, `None` when it does not parse on its own) with the
/// whole file.
pub(crate) fn appended(
    bytes: usize,
    ends: &[usize],
    end: usize,
    signed: Option<&Document>,
    full: &Document,
) -> Appended {
    let revisions = ends.iter().filter(|&&e| e > end).count();
    let Some(signed) = signed else {
        return Appended {
            bytes: bytes as u64,
            revisions,
            new_objects: Vec::new(),
            changed_objects: Vec::new(),
            other_changes: vec!["the signed revision cannot be read on its own".into()],
        };
    };
    let new: BTreeSet<ObjectId> = full
        .objects
        .keys()
        .filter(|id| !signed.objects.contains_key(id))
        .copied()
        .collect();
    let changed: BTreeSet<ObjectId> = full
        .objects
        .iter()
        .filter(|(id, o)| signed.objects.get(id).is_some_and(|old| old != *o))
        .map(|(id, _)| *id)
        .collect();
    let mut other = Vec::new();
    for id in signed.objects.keys() {
        if !full.objects.contains_key(id) {
            other.push(format!("object {} removed", PdfObjectId::from(*id)));
        }
    }
    let allowed = allowed_new(full, &new);
    for id in &new {
        if !allowed.contains(id) {
            other.push(format!(
                "new object {} ({}) is not part of a signature or the DSS",
                PdfObjectId::from(*id),
                kind(&full.objects[id])
            ));
        }
    }
    let root = full
        .trailer
        .get(b"Root")
        .and_then(Object::as_reference)
        .ok();
    let acroform = root
        .and_then(|r| full.get_dictionary(r).ok())
        .and_then(|c| c.get(b"AcroForm").ok())
        .and_then(|a| a.as_reference().ok());
    for id in &changed {
        let (old, now) = (&signed.objects[id], &full.objects[id]);
        let allowed_keys: &[&[u8]] = if Some(*id) == root {
            &[b"AcroForm", b"DSS", b"Extensions"]
        } else if Some(*id) == acroform {
            &[b"Fields", b"SigFlags", b"DR", b"DA", b"NeedAppearances"]
        } else if now.as_dict().is_ok_and(|d| d.has_type(b"Page")) {
            &[b"Annots"]
        } else {
            &[]
        };
        if let Some(why) = change_beyond(old, now, allowed_keys, &allowed) {
            other.push(format!(
                "object {} ({}) changed: {why}",
                PdfObjectId::from(*id),
                kind(now)
            ));
        }
    }
    Appended {
        bytes: bytes as u64,
        revisions,
        new_objects: new.iter().map(|&i| i.into()).collect(),
        changed_objects: changed.iter().map(|&i| i.into()).collect(),
        other_changes: other,
    }
}

fn kind(object: &Object) -> String {
    let dict = match object {
        Object::Dictionary(d) => d,
        Object::Stream(s) => &s.dict,
        other => return other.enum_variant().to_owned(),
    };
    match dict.get_type() {
        Ok(t) => String::from_utf8_lossy(t).into_owned(),
        Err(_) => match object {
            Object::Stream(_) => "stream".into(),
            _ => "dictionary".into(),
        },
    }
}

fn dict_of(object: &Object) -> Option<&Dictionary> {
    match object {
        Object::Dictionary(d) => Some(d),
        Object::Stream(s) => Some(&s.dict),
        _ => None,
    }
}

/// The new objects that belong to a signature or to the DSS: signature dictionaries, signature
/// fields and widgets, cross-reference and object streams, the DSS (and AcroForm) that the
/// catalog names, and new objects these refer to (appearance streams, DSS streams).
fn allowed_new(full: &Document, new: &BTreeSet<ObjectId>) -> BTreeSet<ObjectId> {
    let mut roots: Vec<ObjectId> = Vec::new();
    for id in new {
        let Some(dict) = dict_of(&full.objects[id]) else {
            continue;
        };
        let is_sig = dict.has_type(b"Sig")
            || dict.has_type(b"DocTimeStamp")
            || (dict.has(b"ByteRange") && dict.has(b"Contents"));
        let is_sig_field = matches!(dict.get(b"FT"), Ok(Object::Name(n)) if n == b"Sig");
        let is_structural = dict.has_type(b"XRef") || dict.has_type(b"ObjStm");
        if is_sig || is_sig_field || is_structural {
            roots.push(*id);
        }
    }
    if let Some(catalog) = full
        .trailer
        .get(b"Root")
        .and_then(Object::as_reference)
        .ok()
        .and_then(|r| full.get_dictionary(r).ok())
    {
        for key in [b"DSS".as_slice(), b"AcroForm"] {
            if let Ok(Object::Reference(r)) = catalog.get(key) {
                roots.push(*r);
            }
        }
    }
    let mut allowed = BTreeSet::new();
    let mut queue = roots;
    while let Some(id) = queue.pop() {
        if !new.contains(&id) || !allowed.insert(id) {
            continue;
        }
        if let Some(object) = full.objects.get(&id) {
            references(object, &mut queue, 0);
        }
    }
    allowed
}

fn references(object: &Object, out: &mut Vec<ObjectId>, depth: usize) {
    if depth > 32 {
        return;
    }
    match object {
        Object::Reference(r) => out.push(*r),
        Object::Array(a) => a.iter().for_each(|o| references(o, out, depth + 1)),
        Object::Dictionary(d) => d.iter().for_each(|(_, o)| references(o, out, depth + 1)),
        Object::Stream(s) => s
            .dict
            .iter()
            .for_each(|(_, o)| references(o, out, depth + 1)),
        _ => {}
    }
}

/// Why replacing `old` by `now` is more than adding signatures: `None` when only the keys in
/// `allowed_keys` differ, and arrays among them (or a replaced array object) only gained
/// references to allowed new objects.
fn change_beyond(
    old: &Object,
    now: &Object,
    allowed_keys: &[&[u8]],
    allowed_new: &BTreeSet<ObjectId>,
) -> Option<String> {
    match (old, now) {
        (Object::Array(o), Object::Array(n)) => array_growth(o, n, allowed_new),
        (Object::Dictionary(o), Object::Dictionary(n)) => {
            let keys: BTreeMap<&[u8], ()> = o
                .iter()
                .chain(n.iter())
                .map(|(k, _)| (k.as_slice(), ()))
                .collect();
            let mut changed = Vec::new();
            for key in keys.keys() {
                let (a, b) = (o.get(key).ok(), n.get(key).ok());
                if a == b {
                    continue;
                }
                let growth_ok = match (a, b) {
                    (Some(Object::Array(x)), Some(Object::Array(y))) => {
                        array_growth(x, y, allowed_new).is_none()
                    }
                    (None, Some(Object::Array(y))) => array_growth(&[], y, allowed_new).is_none(),
                    _ => true,
                };
                if !allowed_keys.contains(key) || !growth_ok {
                    changed.push(format!("/{}", String::from_utf8_lossy(key)));
                }
            }
            if changed.is_empty() {
                None
            } else {
                Some(changed.join(", "))
            }
        }
        _ => Some("content replaced".into()),
    }
}

/// `None` when `now` is `old` plus references to allowed new objects.
fn array_growth(
    old: &[Object],
    now: &[Object],
    allowed_new: &BTreeSet<ObjectId>,
) -> Option<String> {
    if now.len() < old.len() || now[..old.len()] != *old {
        return Some("array entries changed".into());
    }
    for added in &now[old.len()..] {
        match added {
            Object::Reference(r) if allowed_new.contains(r) => {}
            _ => return Some("array gained something other than a signature".into()),
        }
    }
    None
}
