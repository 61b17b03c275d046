//! Distinguished names as display strings (RFC 4514 style) and the attributes we read.

use core::fmt::Write as _;

use x509_parser::asn1_rs::{Any, Tag, ToDer as _};
use x509_parser::x509::X509Name;

/// organizationIdentifier (X.520, ETSI EN 319 412-1).
pub(super) const ORGANIZATION_IDENTIFIER: &str = "2.5.4.97";
/// organizationName.
pub(super) const ORGANIZATION_NAME: &str = "2.5.4.10";
/// commonName.
pub(super) const COMMON_NAME: &str = "2.5.4.3";

/// Short names of attribute types; others print as their dotted OID.
fn short_name(oid: &str) -> Option<&'static str> {
    Some(match oid {
        "2.5.4.3" => "CN",
        "2.5.4.4" => "SN",
        "2.5.4.5" => "serialNumber",
        "2.5.4.6" => "C",
        "2.5.4.7" => "L",
        "2.5.4.8" => "ST",
        "2.5.4.9" => "STREET",
        "2.5.4.10" => "O",
        "2.5.4.11" => "OU",
        "2.5.4.12" => "title",
        "2.5.4.42" => "GN",
        "2.5.4.97" => "organizationIdentifier",
        "0.9.2342.19200300.100.1.1" => "UID",
        "0.9.2342.19200300.100.1.25" => "DC",
        "1.2.840.113549.1.9.1" => "emailAddress",
        _ => return None,
    })
}

/// The text of a string-typed attribute value, or `None` for other types or
/// invalid encodings.
pub(super) fn value_text(value: &Any<'_>) -> Option<String> {
    let data = value.data;
    match value.tag() {
        Tag::Utf8String
        | Tag::PrintableString
        | Tag::Ia5String
        | Tag::NumericString
        | Tag::VisibleString => core::str::from_utf8(data).ok().map(str::to_owned),
        // T.61 in practice carries Latin-1.
        Tag::TeletexString => Some(data.iter().map(|&b| char::from(b)).collect()),
        Tag::BmpString => {
            if !data.len().is_multiple_of(2) {
                return None;
            }
            let units = data
                .chunks_exact(2)
                .map(|c| u16::from_be_bytes([c.first().copied()?, c.get(1).copied()?]).into())
                .collect::<Option<Vec<u16>>>()?;
            char::decode_utf16(units)
                .collect::<Result<String, _>>()
                .ok()
        }
        Tag::UniversalString => {
            if !data.len().is_multiple_of(4) {
                return None;
            }
            data.chunks_exact(4)
                .map(|c| {
                    let mut b = [0u8; 4];
                    b.copy_from_slice(c);
                    char::from_u32(u32::from_be_bytes(b))
                })
                .collect()
        }
        _ => None,
    }
}

/// Appends `value` escaped as RFC 4514 §2.4 requires, and control characters
/// as `\XX` so names cannot break log lines.
fn escape_into(out: &mut String, value: &str) {
    let last = value.chars().count().saturating_sub(1);
    for (i, c) in value.chars().enumerate() {
        let special = matches!(c, '"' | '+' | ',' | ';' | '<' | '>' | '\\')
            || (i == 0 && matches!(c, ' ' | '#'))
            || (i == last && c == ' ');
        if special {
            out.push('\\');
            out.push(c);
        } else if c.is_control() {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                let _ = write!(out, "\\{b:02X}");
            }
        } else {
            out.push(c);
        }
    }
}

/// The RFC 4514-style string of a name: RDNs last-to-first separated by `,`,
/// multi-valued RDNs joined by `+`, values that are not strings as `#` and the
/// hex of their DER encoding.
pub(super) fn display(name: &X509Name<'_>) -> String {
    let mut out = String::new();
    let rdns: Vec<_> = name.iter_rdn().collect();
    for (i, rdn) in rdns.iter().rev().enumerate() {
        if i > 0 {
            out.push(',');
        }
        for (j, atv) in rdn.iter().enumerate() {
            if j > 0 {
                out.push('+');
            }
            let oid = atv.attr_type().to_id_string();
            match short_name(&oid) {
                Some(short) => out.push_str(short),
                None => out.push_str(&oid),
            }
            out.push('=');
            match value_text(atv.attr_value()) {
                Some(text) => escape_into(&mut out, &text),
                None => {
                    out.push('#');
                    let der = atv
                        .attr_value()
                        .to_der_vec()
                        .unwrap_or_else(|_| atv.attr_value().data.to_vec());
                    out.push_str(&crate::model::hex(&der));
                }
            }
        }
    }
    out
}

/// The text of the only attribute of type `oid` in `name`; `None` if there is
/// none, more than one, or it is not a string.
pub(super) fn single_text(name: &X509Name<'_>, oid: &str) -> Option<String> {
    let mut found = name
        .iter_attributes()
        .filter(|atv| atv.attr_type().to_id_string() == oid);
    let first = found.next()?;
    if found.next().is_some() {
        return None;
    }
    value_text(first.attr_value())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn escapes_specials_and_controls() {
        let mut s = String::new();
        escape_into(&mut s, " a,b+c\"d\\e;f<g>h\n ");
        assert_eq!(s, "\\ a\\,b\\+c\\\"d\\\\e\\;f\\<g\\>h\\0A\\ ");
        let mut s = String::new();
        escape_into(&mut s, "#x");
        assert_eq!(s, "\\#x");
        let mut s = String::new();
        escape_into(&mut s, "杭州市");
        assert_eq!(s, "杭州市");
        let mut s = String::new();
        escape_into(&mut s, "");
        assert_eq!(s, "");
    }
}
