//! How typed structs map to elements: a text value per known child, nested structs, repeated
//! children, and everything unknown kept in [`Extra`].

use std::borrow::Cow;
use std::io;

use crate::tree::{Element, Extra, XmlWriter, write_element, write_text};
use crate::{OnshiDate, OnshiDateTime, OnshiError};

/// A value held as the text of one element.
pub(crate) trait TextValue: Sized {
    /// The value of the text; `None` when the element is empty and the type has no empty value.
    fn from_text(text: String, path: &dyn Fn() -> String) -> Result<Option<Self>, OnshiError>;
    fn to_text(&self) -> Cow<'_, str>;
}

impl TextValue for String {
    fn from_text(text: String, _path: &dyn Fn() -> String) -> Result<Option<Self>, OnshiError> {
        Ok(Some(text))
    }
    fn to_text(&self) -> Cow<'_, str> {
        Cow::Borrowed(self)
    }
}

// An empty date or time element means "none": it reads as absent (and is not written back).
impl TextValue for OnshiDate {
    fn from_text(text: String, path: &dyn Fn() -> String) -> Result<Option<Self>, OnshiError> {
        if text.is_empty() {
            return Ok(None);
        }
        OnshiDate::parse(&text)
            .map(Some)
            .map_err(|_| OnshiError::invalid(path(), format!("{text:?} is not a yyyyMMdd day")))
    }
    fn to_text(&self) -> Cow<'_, str> {
        Cow::Owned(self.to_string())
    }
}

impl TextValue for OnshiDateTime {
    fn from_text(text: String, path: &dyn Fn() -> String) -> Result<Option<Self>, OnshiError> {
        if text.is_empty() {
            return Ok(None);
        }
        OnshiDateTime::parse(&text).map(Some).map_err(|_| {
            OnshiError::invalid(path(), format!("{text:?} is not a yyyyMMddHHmmss time"))
        })
    }
    fn to_text(&self) -> Cow<'_, str> {
        Cow::Owned(self.to_string())
    }
}

/// A struct held as an element with children.
pub(crate) trait Node: Sized {
    fn from_element(element: Element, path: &str) -> Result<Self, OnshiError>;
    fn write_into(&self, name: &str, w: &mut XmlWriter) -> io::Result<()>;
}

pub(crate) fn read_value<T: TextValue>(
    slot: &mut Option<T>,
    seen: &mut u128,
    index: usize,
    child: Element,
    parent: &str,
) -> Result<(), OnshiError> {
    let Element {
        name,
        attributes,
        text,
        children,
    } = child;
    // Paths are built only for errors: most files have none.
    let path = || format!("{parent}/{name}");
    let bit = 1u128
        .checked_shl(u32::try_from(index).unwrap_or(u32::MAX))
        .unwrap_or(0);
    if *seen & bit != 0 {
        return Err(OnshiError::invalid(path(), "appears twice"));
    }
    *seen |= bit;
    if !children.is_empty() {
        return Err(OnshiError::invalid(
            path(),
            "holds elements where a value belongs",
        ));
    }
    if !attributes.is_empty() {
        return Err(OnshiError::invalid(
            path(),
            "a value element with attributes",
        ));
    }
    *slot = T::from_text(text, &path)?;
    Ok(())
}

pub(crate) fn read_node<T: Node>(
    slot: &mut Option<T>,
    child: Element,
    parent: &str,
) -> Result<(), OnshiError> {
    let path = format!("{parent}/{}", child.name);
    if slot.is_some() {
        return Err(OnshiError::invalid(path, "appears twice"));
    }
    *slot = Some(T::from_element(child, &path)?);
    Ok(())
}

pub(crate) fn read_repeat<T: Node>(
    slot: &mut Vec<T>,
    child: Element,
    parent: &str,
) -> Result<(), OnshiError> {
    let path = format!("{parent}/{}", child.name);
    slot.push(T::from_element(child, &path)?);
    Ok(())
}

/// The text of an element that should hold only elements must be whitespace.
pub(crate) fn check_no_text(element: &Element, path: &str) -> Result<(), OnshiError> {
    if element
        .text
        .chars()
        .all(|c| matches!(c, ' ' | '\t' | '\n' | '\r'))
    {
        Ok(())
    } else {
        Err(OnshiError::invalid(
            path,
            "holds text where elements belong",
        ))
    }
}

pub(crate) fn write_value<T: TextValue>(
    w: &mut XmlWriter,
    name: &str,
    value: &Option<T>,
) -> io::Result<()> {
    match value {
        Some(v) => write_text(w, name, &v.to_text()),
        None => Ok(()),
    }
}

pub(crate) fn write_extra_elements(w: &mut XmlWriter, extra: &Extra) -> io::Result<()> {
    extra.elements.iter().try_for_each(|e| write_element(w, e))
}

pub(crate) fn start_with_extra<'a>(
    w: &'a mut XmlWriter,
    name: &'a str,
    extra: &'a Extra,
) -> quick_xml::writer::ElementWriter<'a, Vec<u8>> {
    w.create_element(name).with_attributes(
        extra
            .attributes
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str())),
    )
}

/// Declares a struct of optional values, nested structs and repeated children in the official
/// element order, with its reading and writing.
macro_rules! xml_node {
    (
        $(#[$m:meta])* pub struct $name:ident {
            $( $(#[$fm:meta])* $field:ident : $kind:ident $ty:ty = $tag:literal, )*
        }
    ) => {
        $(#[$m])*
        #[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
        pub struct $name {
            $(
                $(#[$fm])*
                #[serde(rename = $tag, skip_serializing_if = "crate::node::Absent::absent")]
                pub $field: $ty,
            )*
            /// Attributes and elements this version does not know, kept in order; written back
            /// after the known children.
            #[serde(skip_serializing_if = "crate::tree::Extra::is_empty")]
            pub extra: crate::tree::Extra,
        }

        impl crate::node::Node for $name {
            fn from_element(
                element: crate::tree::Element,
                path: &str,
            ) -> Result<Self, crate::OnshiError> {
                crate::node::check_no_text(&element, path)?;
                let mut out = Self::default();
                out.extra.attributes = element.attributes;
                #[allow(dead_code)]
                const TAGS: &[&str] = &[$($tag),*];
                const _: () = assert!(TAGS.len() <= 128, "the seen mask holds 128 fields");
                #[allow(unused_mut, unused_variables)]
                let mut seen = 0u128;
                for child in element.children {
                    match child.name.as_str() {
                        $(
                            $tag => {
                                #[allow(dead_code)]
                                const INDEX: usize = crate::node::index_of(TAGS, $tag);
                                xml_node!(@read $kind, out.$field, seen, INDEX, child, path);
                            }
                        )*
                        _ => out.extra.elements.push(child),
                    }
                }
                Ok(out)
            }

            fn write_into(
                &self,
                name: &str,
                w: &mut crate::tree::XmlWriter,
            ) -> std::io::Result<()> {
                crate::node::start_with_extra(w, name, &self.extra).write_inner_content(|w| {
                    $( xml_node!(@write $kind, self.$field, $tag, w); )*
                    crate::node::write_extra_elements(w, &self.extra)
                })?;
                Ok(())
            }
        }
    };
    (@read value, $slot:expr, $seen:ident, $index:ident, $child:ident, $path:ident) => {
        crate::node::read_value(&mut $slot, &mut $seen, $index, $child, $path)?
    };
    (@read node, $slot:expr, $seen:ident, $index:ident, $child:ident, $path:ident) => {
        crate::node::read_node(&mut $slot, $child, $path)?
    };
    (@read repeat, $slot:expr, $seen:ident, $index:ident, $child:ident, $path:ident) => {
        crate::node::read_repeat(&mut $slot, $child, $path)?
    };
    (@write value, $value:expr, $tag:literal, $w:ident) => {
        crate::node::write_value($w, $tag, &$value)?;
    };
    (@write node, $value:expr, $tag:literal, $w:ident) => {
        if let Some(node) = &$value {
            crate::node::Node::write_into(node, $tag, $w)?;
        }
    };
    (@write repeat, $value:expr, $tag:literal, $w:ident) => {
        for node in &$value {
            crate::node::Node::write_into(node, $tag, $w)?;
        }
    };
}
pub(crate) use xml_node;

/// The position of `tag` in `tags` (a struct has at most 128 fields).
pub(crate) const fn index_of(tags: &[&str], tag: &str) -> usize {
    let mut i = 0;
    while i < tags.len() {
        let (a, b) = (tags[i].as_bytes(), tag.as_bytes());
        if a.len() == b.len() {
            let mut j = 0;
            while j < a.len() && a[j] == b[j] {
                j += 1;
            }
            if j == a.len() {
                return i;
            }
        }
        i += 1;
    }
    i
}

/// Whether a field has nothing to serialize.
pub(crate) trait Absent {
    fn absent(&self) -> bool;
}

impl<T> Absent for Option<T> {
    fn absent(&self) -> bool {
        self.is_none()
    }
}

impl<T> Absent for Vec<T> {
    fn absent(&self) -> bool {
        self.is_empty()
    }
}
