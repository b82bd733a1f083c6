//! A small element tree between quick-xml's events and the typed messages: it keeps every text
//! exactly as it arrived (no trimming), enforces the limits, and writes back through quick-xml.

use std::io;

use quick_xml::events::{BytesStart, BytesText, Event};
use quick_xml::{Reader, Writer};

use crate::OnshiError;

/// Limits checked while reading, before any typed value is built.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Largest file, in bytes (default 1 MiB).
    pub max_bytes: usize,
    /// Deepest nesting of elements, the root counting as 1 (default 16; the known messages need 7).
    pub max_depth: usize,
    /// Most elements in one file (default 50 000).
    pub max_elements: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_bytes: 1 << 20,
            max_depth: 16,
            max_elements: 50_000,
        }
    }
}

/// An element this version does not know, kept whole (attributes, text, children) and written back.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Element {
    /// Its name, with any prefix.
    pub name: String,
    /// Its attributes, in order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub attributes: Vec<(String, String)>,
    /// Its text (empty when it has children: whitespace between elements is not kept).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub text: String,
    /// Its child elements, in order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub children: Vec<Element>,
}

/// What a known element held beyond the fields this version knows: its attributes and the unknown
/// child elements, in order. They are written back after the known children.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Extra {
    /// Attributes of the element.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub attributes: Vec<(String, String)>,
    /// Unknown child elements.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub elements: Vec<Element>,
}

impl Extra {
    /// Whether nothing unknown was kept.
    pub fn is_empty(&self) -> bool {
        self.attributes.is_empty() && self.elements.is_empty()
    }
}

fn xml_error(e: impl std::fmt::Display) -> OnshiError {
    OnshiError::Xml(e.to_string())
}

fn is_xml_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r')
}

/// XML 1.0's Char production (surrogates cannot occur in a Rust `char`).
pub(crate) fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{FFFD}' | '\u{10000}'..)
}

fn open(start: &BytesStart<'_>) -> Result<Element, OnshiError> {
    let name = start.name().as_ref().to_owned();
    let mut attributes = Vec::new();
    for attribute in start.attributes() {
        let attribute = attribute.map_err(xml_error)?;
        let key = attribute.key.as_ref().to_owned();
        let value = attribute
            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
            .map_err(xml_error)?
            .into_owned();
        attributes.push((key, value));
    }
    Ok(Element {
        name,
        attributes,
        ..Element::default()
    })
}

/// Reads the document's root element within the limits.
pub(crate) fn read(text: &str, limits: &Limits) -> Result<Element, OnshiError> {
    if let Some(c) = text.chars().find(|c| !is_xml_char(*c)) {
        return Err(OnshiError::Xml(format!(
            "the character U+{:04X} is not allowed in XML",
            u32::from(c)
        )));
    }
    let mut reader = Reader::from_str(text);
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    let mut count = 0usize;
    let mut first = true;
    loop {
        let event = reader.read_event().map_err(xml_error)?;
        let at_start = std::mem::replace(&mut first, false);
        let text_piece = |piece: &str, stack: &mut Vec<Element>| match stack.last_mut() {
            Some(top) => {
                top.text.push_str(piece);
                Ok(())
            }
            None if piece.chars().all(is_xml_space) => Ok(()),
            None => Err(OnshiError::Xml("text outside the root element".into())),
        };
        match event {
            Event::Decl(_) if at_start => {}
            Event::Decl(_) => {
                return Err(OnshiError::Xml("an XML declaration after the start".into()));
            }
            Event::DocType(_) => return Err(OnshiError::Xml("a DTD is not accepted".into())),
            Event::Start(start) | Event::Empty(start) if root.is_some() => {
                let _ = start;
                return Err(OnshiError::Xml("a second root element".into()));
            }
            Event::Start(start) => {
                count += 1;
                if count > limits.max_elements {
                    return Err(OnshiError::TooManyElements {
                        limit: limits.max_elements,
                    });
                }
                if stack.len() >= limits.max_depth {
                    return Err(OnshiError::TooDeep {
                        limit: limits.max_depth,
                    });
                }
                stack.push(open(&start)?);
            }
            Event::Empty(start) => {
                count += 1;
                if count > limits.max_elements {
                    return Err(OnshiError::TooManyElements {
                        limit: limits.max_elements,
                    });
                }
                if stack.len() >= limits.max_depth {
                    return Err(OnshiError::TooDeep {
                        limit: limits.max_depth,
                    });
                }
                let element = open(&start)?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(element),
                    None => root = Some(element),
                }
            }
            Event::End(_) => {
                let mut element = stack
                    .pop()
                    .ok_or_else(|| OnshiError::Xml("an end tag without a start".into()))?;
                if !element.children.is_empty() {
                    if !element.text.chars().all(is_xml_space) {
                        return Err(OnshiError::Xml(format!(
                            "<{}> mixes text and elements",
                            element.name
                        )));
                    }
                    element.text.clear();
                }
                match stack.last_mut() {
                    Some(parent) => parent.children.push(element),
                    None => root = Some(element),
                }
            }
            Event::Text(t) => text_piece(&t.xml10_content(), &mut stack)?,
            Event::CData(c) => {
                let content = c.xml10_content();
                if stack.is_empty() {
                    return Err(OnshiError::Xml("CDATA outside the root element".into()));
                }
                text_piece(&content, &mut stack)?;
            }
            Event::GeneralRef(r) => {
                let reference = format!("&{};", &*r);
                let resolved = quick_xml::escape::unescape(&reference).map_err(xml_error)?;
                if let Some(c) = resolved.chars().find(|c| !is_xml_char(*c)) {
                    return Err(OnshiError::Xml(format!(
                        "the character reference U+{:04X} is not allowed in XML",
                        u32::from(c)
                    )));
                }
                if stack.is_empty() {
                    return Err(OnshiError::Xml(
                        "a reference outside the root element".into(),
                    ));
                }
                text_piece(&resolved, &mut stack)?;
            }
            // Comments and processing instructions carry no data of the interface: not kept.
            Event::Comment(_) | Event::PI(_) => {}
            Event::Eof => break,
        }
    }
    if !stack.is_empty() {
        return Err(OnshiError::Xml(
            "the document ends inside an element".into(),
        ));
    }
    root.ok_or_else(|| OnshiError::Xml("no root element".into()))
}

/// Escapes text for element content; `\r` becomes a character reference so that a reader's line-end
/// normalisation gives it back unchanged.
pub(crate) fn escape_text(text: &str) -> String {
    let escaped = quick_xml::escape::partial_escape(text);
    if escaped.contains('\r') {
        escaped.replace('\r', "&#13;")
    } else {
        escaped.into_owned()
    }
}

pub(crate) type XmlWriter = Writer<Vec<u8>>;

/// Writes an element holding text.
pub(crate) fn write_text(w: &mut XmlWriter, name: &str, text: &str) -> io::Result<()> {
    let escaped = escape_text(text);
    w.create_element(name)
        .write_text_content(BytesText::from_escaped(escaped.as_str()))?;
    Ok(())
}

/// Writes a kept element back.
pub(crate) fn write_element(w: &mut XmlWriter, element: &Element) -> io::Result<()> {
    let start = w.create_element(element.name.as_str()).with_attributes(
        element
            .attributes
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str())),
    );
    if element.children.is_empty() {
        let escaped = escape_text(&element.text);
        start.write_text_content(BytesText::from_escaped(escaped.as_str()))?;
    } else {
        start.write_inner_content(|w| {
            for child in &element.children {
                write_element(w, child)?;
            }
            Ok(())
        })?;
    }
    Ok(())
}
