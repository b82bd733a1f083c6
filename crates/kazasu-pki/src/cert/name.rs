//! Names: RFC 4514 text, common names, and recognising the J-LIS CA name.

use const_oid::db::rfc4519;
use der::asn1::{
    Ia5StringRef, ObjectIdentifier, PrintableStringRef, TeletexStringRef, Utf8StringRef,
};
use der::{Any, Encode, Tag, Tagged};
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::name::Name;

use super::Purpose;

/// The J-LIS CA name: `C=JP, O=JPKI, OU=<purpose>, OU=Japan Agency for Local Authority Information Systems`.
pub(super) fn jpki_ca_name_purpose(name: &Name) -> Option<Purpose> {
    let values: Vec<(ObjectIdentifier, Option<&str>)> = name
        .iter()
        .map(|atv| (atv.oid, string_value(&atv.value)))
        .collect();
    let [
        (c, Some("JP")),
        (o, Some("JPKI")),
        (ou1, Some(purpose)),
        (ou2, Some(jlis)),
    ] = values.as_slice()
    else {
        return None;
    };
    let names_ok = *c == rfc4519::COUNTRY_NAME
        && *o == rfc4519::ORGANIZATION_NAME
        && *ou1 == rfc4519::ORGANIZATIONAL_UNIT_NAME
        && *ou2 == rfc4519::ORGANIZATIONAL_UNIT_NAME
        && *jlis == "Japan Agency for Local Authority Information Systems";
    match *purpose {
        "JPKI for user authentication" if names_ok => Some(Purpose::Authentication),
        "JPKI for digital signature" if names_ok => Some(Purpose::Signature),
        _ => None,
    }
}

/// The MHLW HPKI root CA name: `C=JP, O=Ministry of Health, Labour and Welfare, OU=Director-General
/// for Policy Planning and Evaluation, OU=MHLW HPKI Root CA V2`.
pub(super) fn is_hpki_root_name(name: &Name) -> bool {
    let values: Vec<(ObjectIdentifier, Option<&str>)> = name
        .iter()
        .map(|atv| (atv.oid, string_value(&atv.value)))
        .collect();
    matches!(
        values.as_slice(),
        [
            (c, Some("JP")),
            (o, Some("Ministry of Health, Labour and Welfare")),
            (ou1, Some("Director-General for Policy Planning and Evaluation")),
            (ou2, Some("MHLW HPKI Root CA V2")),
        ] if *c == rfc4519::COUNTRY_NAME
            && *o == rfc4519::ORGANIZATION_NAME
            && *ou1 == rfc4519::ORGANIZATIONAL_UNIT_NAME
            && *ou2 == rfc4519::ORGANIZATIONAL_UNIT_NAME
    )
}

/// The text of a directory string value (UTF8String, PrintableString, IA5String, TeletexString).
fn string_value(value: &Any) -> Option<&str> {
    match value.tag() {
        Tag::Utf8String => Utf8StringRef::try_from(value).ok().map(|s| s.as_str()),
        Tag::PrintableString => PrintableStringRef::try_from(value).ok().map(|s| s.as_str()),
        Tag::Ia5String => Ia5StringRef::try_from(value).ok().map(|s| s.as_str()),
        Tag::TeletexString => TeletexStringRef::try_from(value).ok().map(|s| s.as_str()),
        _ => None,
    }
}

/// The RFC 4514 keyword of an attribute type, if the RFC defines one.
fn rfc4514_keyword(oid: &ObjectIdentifier) -> Option<&'static str> {
    use const_oid::db::rfc4519;
    const KEYWORDS: [(ObjectIdentifier, &str); 9] = [
        (rfc4519::CN, "CN"),
        (rfc4519::L, "L"),
        (rfc4519::ST, "ST"),
        (rfc4519::O, "O"),
        (rfc4519::OU, "OU"),
        (rfc4519::C, "C"),
        (rfc4519::STREET, "STREET"),
        (rfc4519::DOMAIN_COMPONENT, "DC"),
        (rfc4519::UID, "UID"),
    ];
    KEYWORDS.iter().find(|(o, _)| o == oid).map(|(_, k)| *k)
}

/// RFC 4514 string of a name (hand-written because `x509-cert`'s `Name` display differs where it
/// matters: it names every attribute type its OID database knows, e.g. `SERIALNUMBER=` for
/// `2.5.4.5`, and prints some string values as `#` + DER hex; RFC 4514 keeps to its own keywords, and
/// [`crate::LegacyCertificateId`]s stored by applications hold this exact text): RDNs last to first; the RFC's keywords (`CN`, `L`, `ST`, `O`, `OU`,
/// `C`, `STREET`, `DC`, `UID`) or the dotted OID; string values escaped, others as `#` + DER hex.
pub(crate) fn rfc4514(name: &Name) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(128);
    let rdns: Vec<_> = name.iter_rdn().collect();
    for (i, rdn) in rdns.into_iter().rev().enumerate() {
        if i > 0 {
            out.push(',');
        }
        for (j, atv) in rdn.iter().enumerate() {
            if j > 0 {
                out.push('+');
            }
            match rfc4514_keyword(&atv.oid) {
                Some(k) => out.push_str(k),
                None => {
                    let _ = write!(out, "{}", atv.oid);
                }
            }
            out.push('=');
            let Some(value) = string_value(&atv.value) else {
                out.push('#');
                for b in atv.value.to_der().unwrap_or_default() {
                    let _ = write!(out, "{b:02x}");
                }
                continue;
            };
            let mut chars = value.char_indices().peekable();
            while let Some((k, c)) = chars.next() {
                match c {
                    '#' if k == 0 => out.push_str("\\#"),
                    ' ' if k == 0 || chars.peek().is_none() => out.push_str("\\ "),
                    '"' | '+' | ',' | ';' | '<' | '>' | '\\' => {
                        out.push('\\');
                        out.push(c);
                    }
                    '\x00'..='\x1f' | '\x7f' => {
                        let _ = write!(out, "\\{:02x}", u32::from(c));
                    }
                    _ => out.push(c),
                }
            }
        }
    }
    out
}

pub(super) fn directory_names(names: &[GeneralName]) -> Vec<String> {
    names
        .iter()
        .filter_map(|n| match n {
            GeneralName::DirectoryName(name) => Some(rfc4514(name)),
            _ => None,
        })
        .collect()
}

/// The first CN of a name as a string (UTF8String or PrintableString).
pub(super) fn common_name(name: &Name) -> Option<String> {
    attribute(name, rfc4519::COMMON_NAME)
}

/// The first value of attribute type `oid` in a name, as a string.
pub(super) fn attribute(name: &Name, oid: ObjectIdentifier) -> Option<String> {
    name.iter()
        .filter(|atv| atv.oid == oid)
        .find_map(|atv| string_value(&atv.value).map(str::to_owned))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc4514_agrees_with_x509_cert_for_common_names() {
        for text in [
            "OU=Japan Agency for Local Authority Information Systems,OU=JPKI for user authentication,O=JPKI,C=JP",
            "CN=8A173AFDEF928F230434,L=千代田区,C=JP",
            "CN=a\\,b\\+c,O=x\\;y,C=JP",
            "CN=\\#hash\\ ,ST=Tokyo+L=Chiyoda,DC=example",
        ] {
            let name: Name = text.parse().unwrap();
            assert_eq!(rfc4514(&name), name.to_string(), "{text}");
        }
        // Attribute types without an RFC 4514 keyword: dotted OID, value as #DER hex.
        let name: Name = "2.5.4.5=#130131".parse().unwrap();
        assert_eq!(rfc4514(&name), "2.5.4.5=1");
        let name: Name = "1.2.3.4=#020101".parse().unwrap();
        assert_eq!(rfc4514(&name), "1.2.3.4=#020101");
    }
}
