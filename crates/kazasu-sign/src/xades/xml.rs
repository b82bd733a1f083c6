//! Reading XML safely and canonicalising parts of it.
//!
//! Parsing and C14N are `xml-sec`'s (a pure-Rust XML-security crate): it refuses DTDs (so no
//! entity can be declared, expanded or fetched), bounds the nesting depth, and implements inclusive
//! and exclusive C14N as the W3C specifications say (the W3C / merlin cases under
//! `tests/data/c14n/` check it). This module adds the size and node limits, typed errors, the
//! lookup of elements by `Id`, and the same-document node-sets XML-DSig references select.

use xml_sec::c14n::{C14nAlgorithm, C14nMode, canonicalize};
use xml_sec::{Document, Node, ParseError, ParsingOptions};

use super::{DS, ns};
use crate::{SignError, XmlErrorKind};

/// The largest document accepted (embedded CRLs make ES-XL documents grow).
pub const MAX_DOCUMENT_LEN: usize = 32 << 20;
/// The most nodes a document may have.
pub const MAX_NODES: u32 = 2_000_000;

/// Parses `xml` (UTF-8, an optional BOM) into a read-only tree, refusing DTDs.
pub fn parse(xml: &[u8]) -> Result<Document<'_>, SignError> {
    SignError::check_size("XML document", xml.len(), MAX_DOCUMENT_LEN)?;
    let xml = xml.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(xml);
    let text = std::str::from_utf8(xml).map_err(|e| SignError::Xml {
        kind: XmlErrorKind::NotUtf8,
        detail: e.to_string(),
    })?;
    Document::parse_with_options(
        text,
        ParsingOptions {
            allow_dtd: false,
            nodes_limit: MAX_NODES,
        },
    )
    .map_err(parse_error)
}

fn parse_error(e: ParseError) -> SignError {
    let kind = match &e {
        ParseError::DtdDetected
        | ParseError::EntityExpansionLimitReached { .. }
        | ParseError::EntityExpansionWorkLimitReached { .. } => XmlErrorKind::Dtd,
        ParseError::DepthLimitReached { .. } => XmlErrorKind::TooDeep,
        ParseError::NodesLimitReached
        | ParseError::NamespaceBindingLimitReached { .. }
        | ParseError::AllocationFailed
        | ParseError::SourcePositionLimitReached { .. } => XmlErrorKind::TooManyNodes,
        _ => XmlErrorKind::Malformed,
    };
    SignError::Xml {
        kind,
        detail: e.to_string(),
    }
}

/// Whether `node` is the element `{namespace}local` (`namespace` `None`: no namespace).
pub fn is(node: Node<'_, '_>, namespace: Option<&str>, local: &str) -> bool {
    node.is_element() && node.tag_name().name() == local && node.tag_name().namespace() == namespace
}

/// The element children of `node`.
pub fn elements<'a, 'i>(node: Node<'a, 'i>) -> impl Iterator<Item = Node<'a, 'i>> {
    node.children().filter(|c| c.is_element())
}

/// The element children named `{namespace}local`.
pub fn children_named<'a, 'i>(
    node: Node<'a, 'i>,
    namespace: &'static str,
    local: &'static str,
) -> impl Iterator<Item = Node<'a, 'i>> {
    elements(node).filter(move |c| is(*c, Some(namespace), local))
}

/// The only child `{namespace}local`: `Ok(None)` when absent, an error naming it when repeated.
pub fn only_child<'a, 'i>(
    node: Node<'a, 'i>,
    namespace: &'static str,
    local: &'static str,
) -> Result<Option<Node<'a, 'i>>, String> {
    let mut it = children_named(node, namespace, local);
    let first = it.next();
    if it.next().is_some() {
        return Err(format!("{} {local} elements", ns::prefix(namespace)));
    }
    Ok(first)
}

/// The required only child `{namespace}local`.
pub fn required_child<'a, 'i>(
    node: Node<'a, 'i>,
    namespace: &'static str,
    local: &'static str,
) -> Result<Node<'a, 'i>, String> {
    only_child(node, namespace, local)?.ok_or_else(|| {
        format!(
            "no {}:{local} in {}",
            ns::prefix(namespace),
            node.tag_name().name()
        )
    })
}

/// The text content of an element (its text children joined).
pub fn text(node: Node<'_, '_>) -> String {
    node.children().filter_map(|c| c.text()).collect()
}

/// Decodes base64 text of XML-DSig (whitespace, including line breaks, ignored).
pub fn base64_decode(text: &str) -> Result<Vec<u8>, String> {
    use base64ct::Encoding;
    let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    base64ct::Base64::decode_vec(&compact).map_err(|e| format!("not base64: {e}"))
}

/// Base64 without line breaks.
pub fn base64_encode(data: &[u8]) -> String {
    use base64ct::Encoding;
    base64ct::Base64::encode_string(data)
}

/// A slash path of element names from the root (`/Document/Prescription/PrescriptionDocument`),
/// to name what a reference covered.
pub fn path(node: Node<'_, '_>) -> String {
    let mut names: Vec<String> = node
        .ancestors()
        .filter(|n| n.is_element())
        .map(|n| match n.prefix() {
            Some(p) => format!("{p}:{}", n.tag_name().name()),
            None => n.tag_name().name().to_owned(),
        })
        .collect();
    names.reverse();
    format!("/{}", names.join("/"))
}

/// The identifier attributes a same-document reference may match: `Id` (XAdES, XML-DSig),
/// `ID`, `id` and `xml:id`. Counting all of them makes a second element carrying the same value
/// under another spelling an ambiguity, not a silent choice.
fn id_values<'a>(node: Node<'a, '_>) -> impl Iterator<Item = &'a str> {
    node.attributes()
        .filter(|a| match a.namespace() {
            None => matches!(a.name(), "Id" | "ID" | "id"),
            Some(ns) => ns == "http://www.w3.org/XML/1998/namespace" && a.name() == "id",
        })
        .map(|a| a.value())
}

/// Every element whose identifier is `id`.
pub fn elements_with_id<'a, 'i>(doc: &'a Document<'i>, id: &str) -> Vec<Node<'a, 'i>> {
    doc.descendants()
        .filter(|n| n.is_element() && id_values(*n).any(|v| v == id))
        .collect()
}

/// A canonicalisation algorithm of the profile, by URI.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct C14n {
    /// The algorithm URI.
    pub uri: &'static str,
    algorithm: C14nAlgorithm,
}

impl C14n {
    /// Exclusive C14N without comments.
    pub const EXCLUSIVE: &'static str = "http://www.w3.org/2001/10/xml-exc-c14n#";
    /// Exclusive C14N with comments.
    pub const EXCLUSIVE_WITH_COMMENTS: &'static str =
        "http://www.w3.org/2001/10/xml-exc-c14n#WithComments";
    /// Inclusive C14N 1.0 without comments.
    pub const INCLUSIVE: &'static str = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315";
    /// Inclusive C14N 1.0 with comments.
    pub const INCLUSIVE_WITH_COMMENTS: &'static str =
        "http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments";

    /// The algorithm for `uri` (one of the four above), with an `InclusiveNamespaces PrefixList`
    /// for the exclusive ones. `None` for any other URI.
    pub fn from_uri(uri: &str, prefix_list: Option<&str>) -> Option<Self> {
        let (uri, mode, comments) = match uri {
            Self::EXCLUSIVE => (Self::EXCLUSIVE, C14nMode::Exclusive1_0, false),
            Self::EXCLUSIVE_WITH_COMMENTS => {
                (Self::EXCLUSIVE_WITH_COMMENTS, C14nMode::Exclusive1_0, true)
            }
            Self::INCLUSIVE => (Self::INCLUSIVE, C14nMode::Inclusive1_0, false),
            Self::INCLUSIVE_WITH_COMMENTS => {
                (Self::INCLUSIVE_WITH_COMMENTS, C14nMode::Inclusive1_0, true)
            }
            _ => return None,
        };
        let mut algorithm = C14nAlgorithm::new(mode, comments);
        if let Some(list) = prefix_list
            && mode == C14nMode::Exclusive1_0
        {
            algorithm = algorithm.with_prefix_list(list);
        }
        Some(Self { uri, algorithm })
    }

    /// The same algorithm without comments: a same-document `#id` reference selects no comment
    /// nodes whatever the transform says (XML-DSig §4.3.3.3).
    #[must_use]
    pub fn without_comments(&self) -> Self {
        let mut algorithm = C14nAlgorithm::new(self.algorithm.mode(), false);
        if !self.algorithm.inclusive_prefixes().is_empty() {
            let list: Vec<&str> = self
                .algorithm
                .inclusive_prefixes()
                .iter()
                .map(|p| if p.is_empty() { "#default" } else { p.as_str() })
                .collect();
            algorithm = algorithm.with_prefix_list(&list.join(" "));
        }
        Self {
            uri: self.uri,
            algorithm,
        }
    }

    /// Canonicalises the subtree at `apex` (the element and everything under it, attributes
    /// and namespaces included), as XML-DSig does for a same-document reference and for
    /// `ds:SignedInfo`.
    pub fn subtree(&self, doc: &Document<'_>, apex: Node<'_, '_>) -> Result<Vec<u8>, SignError> {
        let apex = apex.id();
        let in_subtree = |n: Node<'_, '_>| n.ancestors().any(|a| a.id() == apex);
        let mut out = Vec::new();
        canonicalize(doc, Some(&in_subtree), &self.algorithm, &mut out).map_err(|e| {
            SignError::Xml {
                kind: XmlErrorKind::Canonicalization,
                detail: e.to_string(),
            }
        })?;
        Ok(out)
    }

    /// Canonicalises the whole document.
    pub fn document(&self, doc: &Document<'_>) -> Result<Vec<u8>, SignError> {
        let mut out = Vec::new();
        canonicalize(doc, None, &self.algorithm, &mut out).map_err(|e| SignError::Xml {
            kind: XmlErrorKind::Canonicalization,
            detail: e.to_string(),
        })?;
        Ok(out)
    }
}

/// The `ec:InclusiveNamespaces PrefixList` of a transform or canonicalisation method element.
pub fn prefix_list<'a>(method: Node<'a, '_>) -> Option<&'a str> {
    elements(method)
        .find(|c| is(*c, Some(C14n::EXCLUSIVE), "InclusiveNamespaces"))
        .and_then(|c| c.attribute("PrefixList"))
}

/// The `Algorithm` of a `ds:*Method` / `ds:Transform` element.
pub fn algorithm<'a>(method: Node<'a, '_>) -> Option<&'a str> {
    method.attribute("Algorithm")
}

/// Canonicalises `apex` with the algorithm named by the `ds:CanonicalizationMethod` child of
/// `parent` (used for timestamps' `ds:CanonicalizationMethod`); exclusive C14N when absent.
pub fn c14n_of_method(parent: Node<'_, '_>) -> Result<C14n, String> {
    match only_child(parent, DS, "CanonicalizationMethod")? {
        None => C14n::from_uri(C14n::EXCLUSIVE, None).ok_or_else(|| "no C14N".to_owned()),
        Some(m) => {
            let uri = algorithm(m).ok_or("CanonicalizationMethod without Algorithm")?;
            C14n::from_uri(uri, prefix_list(m))
                .ok_or_else(|| format!("unknown canonicalization method {uri}"))
        }
    }
}
