//! A small strict DER reader and writer for the GB/T 38540 structures.
//!
//! Strict means one encoding per value: definite, minimal lengths; one-byte
//! tags; minimal INTEGERs; BOOLEAN `00`/`FF`; times `YYYYMMDDHHMMSSZ`
//! (GeneralizedTime) or `YYMMDDHHMMSSZ` (UTCTime). Whatever the reader accepts,
//! the writer writes back byte for byte, so a decoded structure re-encodes to
//! its input. Nesting is bounded by a depth budget.

use crate::date::Timestamp;

use super::error::SesError;

/// Universal tags used here.
pub(crate) mod tag {
    pub(crate) const BOOLEAN: u8 = 0x01;
    pub(crate) const INTEGER: u8 = 0x02;
    pub(crate) const BIT_STRING: u8 = 0x03;
    pub(crate) const OCTET_STRING: u8 = 0x04;
    pub(crate) const OID: u8 = 0x06;
    pub(crate) const UTF8_STRING: u8 = 0x0c;
    pub(crate) const PRINTABLE_STRING: u8 = 0x13;
    pub(crate) const IA5_STRING: u8 = 0x16;
    pub(crate) const UTC_TIME: u8 = 0x17;
    pub(crate) const GENERALIZED_TIME: u8 = 0x18;
    pub(crate) const SEQUENCE: u8 = 0x30;
}

/// A strict reader over one DER value's contents.
#[derive(Debug, Clone)]
pub(crate) struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
    depth: usize,
}

fn cut<'a>(field: &'static str) -> impl Fn() -> SesError + 'a {
    move || SesError::Truncated { field }
}

impl<'a> Reader<'a> {
    /// A reader over `data` that may open `depth` nested constructed values.
    pub(crate) fn new(data: &'a [u8], depth: usize) -> Result<Reader<'a>, SesError> {
        Ok(Reader {
            data,
            pos: 0,
            depth,
        })
    }

    /// The next tag, if any.
    pub(crate) fn peek(&self) -> Option<u8> {
        self.data.get(self.pos).copied()
    }

    /// Bytes not read yet.
    pub(crate) fn remaining(&self) -> usize {
        self.data.len().saturating_sub(self.pos)
    }

    /// Whether all contents are read.
    pub(crate) fn is_empty(&self) -> bool {
        self.pos >= self.data.len()
    }

    /// Reads one TLV; returns (tag, value, the whole encoding).
    pub(crate) fn any(
        &mut self,
        field: &'static str,
    ) -> Result<(u8, &'a [u8], &'a [u8]), SesError> {
        let start = self.pos;
        let rest = self.data.get(start..).ok_or_else(cut(field))?;
        let (&t, rest) = rest.split_first().ok_or_else(cut(field))?;
        if t & 0x1f == 0x1f {
            return Err(SesError::Invalid {
                field,
                reason: "multi-byte tags are not used by the standard",
            });
        }
        let (&l0, mut rest) = rest.split_first().ok_or_else(cut(field))?;
        let len = if l0 < 0x80 {
            usize::from(l0)
        } else {
            let n = usize::from(l0 & 0x7f);
            if n == 0 {
                return Err(SesError::Invalid {
                    field,
                    reason: "indefinite length is not DER",
                });
            }
            if n > 4 {
                return Err(SesError::Invalid {
                    field,
                    reason: "length too large",
                });
            }
            let (bytes, r) = rest.split_at_checked(n).ok_or_else(cut(field))?;
            rest = r;
            let mut len = 0usize;
            for &b in bytes {
                len = (len << 8) | usize::from(b);
            }
            if len < 0x80 || bytes.first() == Some(&0) {
                return Err(SesError::Invalid {
                    field,
                    reason: "non-minimal length is not DER",
                });
            }
            len
        };
        let header = 1 + 1 + if l0 < 0x80 { 0 } else { usize::from(l0 & 0x7f) };
        let value = rest.get(..len).ok_or_else(cut(field))?;
        let end = start + header + len;
        let whole = self.data.get(start..end).ok_or_else(cut(field))?;
        self.pos = end;
        Ok((t, value, whole))
    }

    /// Reads one TLV with tag `want`; returns (value, whole encoding).
    pub(crate) fn expect(
        &mut self,
        want: u8,
        field: &'static str,
    ) -> Result<(&'a [u8], &'a [u8]), SesError> {
        let found = self.peek().ok_or_else(cut(field))?;
        if found != want {
            return Err(SesError::UnexpectedTag {
                field,
                expected: want,
                found,
            });
        }
        let (_, v, w) = self.any(field)?;
        Ok((v, w))
    }

    /// Opens a constructed value with tag `want`, spending one level of depth.
    pub(crate) fn constructed(
        &mut self,
        want: u8,
        field: &'static str,
    ) -> Result<Reader<'a>, SesError> {
        let depth = self
            .depth
            .checked_sub(1)
            .ok_or(SesError::TooDeep { field })?;
        let (v, _) = self.expect(want, field)?;
        Ok(Reader {
            data: v,
            pos: 0,
            depth,
        })
    }

    /// Opens a SEQUENCE.
    pub(crate) fn sequence(&mut self, field: &'static str) -> Result<Reader<'a>, SesError> {
        self.constructed(tag::SEQUENCE, field)
    }

    /// Opens a SEQUENCE, also returning its whole encoding.
    pub(crate) fn sequence_with_bytes(
        &mut self,
        field: &'static str,
    ) -> Result<(Reader<'a>, &'a [u8]), SesError> {
        let start = self.pos;
        let r = self.sequence(field)?;
        let whole = self.data.get(start..self.pos).ok_or_else(cut(field))?;
        Ok((r, whole))
    }

    /// Fails unless every byte was read.
    pub(crate) fn end(&self) -> Result<(), SesError> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(SesError::TrailingBytes)
        }
    }

    /// Fails unless every byte was read, naming the structure.
    pub(crate) fn end_of(&self, field: &'static str) -> Result<(), SesError> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(SesError::Invalid {
                field,
                reason: "unexpected elements at the end",
            })
        }
    }

    /// A minimal non-negative INTEGER's magnitude (no leading zero byte).
    fn uint_bytes(&mut self, field: &'static str) -> Result<&'a [u8], SesError> {
        let (v, _) = self.expect(tag::INTEGER, field)?;
        match v {
            [] => Err(SesError::Invalid {
                field,
                reason: "empty INTEGER",
            }),
            [b, ..] if *b & 0x80 != 0 => Err(SesError::Invalid {
                field,
                reason: "negative INTEGER",
            }),
            [0, b, ..] if *b & 0x80 == 0 => Err(SesError::Invalid {
                field,
                reason: "non-minimal INTEGER is not DER",
            }),
            [0, rest @ ..] if !rest.is_empty() => Ok(rest),
            _ => Ok(v),
        }
    }

    /// A non-negative INTEGER that fits in a u64.
    pub(crate) fn uint(&mut self, field: &'static str) -> Result<u64, SesError> {
        let b = self.uint_bytes(field)?;
        if b == [0] {
            return Ok(0);
        }
        if b.len() > 8 {
            return Err(SesError::Invalid {
                field,
                reason: "INTEGER too large",
            });
        }
        Ok(b.iter().fold(0u64, |acc, &x| (acc << 8) | u64::from(x)))
    }

    /// A non-negative INTEGER below 2²⁵⁶, as 32 big-endian bytes.
    pub(crate) fn uint32(&mut self, field: &'static str) -> Result<[u8; 32], SesError> {
        let b = self.uint_bytes(field)?;
        if b.len() > 32 {
            return Err(SesError::Invalid {
                field,
                reason: "INTEGER too large",
            });
        }
        let mut out = [0u8; 32];
        out.get_mut(32 - b.len()..)
            .ok_or_else(cut(field))?
            .copy_from_slice(b);
        Ok(out)
    }

    /// A BOOLEAN.
    pub(crate) fn boolean(&mut self, field: &'static str) -> Result<bool, SesError> {
        match self.expect(tag::BOOLEAN, field)?.0 {
            [0x00] => Ok(false),
            [0xff] => Ok(true),
            _ => Err(SesError::Invalid {
                field,
                reason: "BOOLEAN must be 00 or FF",
            }),
        }
    }

    /// An OCTET STRING's contents.
    pub(crate) fn octets(&mut self, field: &'static str) -> Result<&'a [u8], SesError> {
        Ok(self.expect(tag::OCTET_STRING, field)?.0)
    }

    /// A BIT STRING's bits, which must be whole bytes (unused-bits byte 0).
    pub(crate) fn bits(&mut self, field: &'static str) -> Result<&'a [u8], SesError> {
        match self.expect(tag::BIT_STRING, field)?.0 {
            [0, rest @ ..] => Ok(rest),
            _ => Err(SesError::Invalid {
                field,
                reason: "BIT STRING must hold whole bytes",
            }),
        }
    }

    /// An OBJECT IDENTIFIER's contents (validated: minimal base-128 arcs).
    pub(crate) fn oid(&mut self, field: &'static str) -> Result<&'a [u8], SesError> {
        let v = self.expect(tag::OID, field)?.0;
        let mut first = true;
        for (i, &b) in v.iter().enumerate() {
            if first && b == 0x80 {
                return Err(SesError::Invalid {
                    field,
                    reason: "non-minimal OID arc",
                });
            }
            first = b & 0x80 == 0;
            if first && i + 1 == v.len() {
                return Ok(v);
            }
        }
        Err(SesError::Invalid {
            field,
            reason: "malformed OBJECT IDENTIFIER",
        })
    }

    /// A string of tag `want` whose bytes are checked by `ok`.
    fn text(
        &mut self,
        want: u8,
        field: &'static str,
        ok: fn(&str) -> bool,
    ) -> Result<&'a str, SesError> {
        let v = self.expect(want, field)?.0;
        let s = core::str::from_utf8(v).map_err(|_| SesError::Invalid {
            field,
            reason: "not valid text",
        })?;
        if !ok(s) {
            return Err(SesError::Invalid {
                field,
                reason: "characters outside the string type",
            });
        }
        Ok(s)
    }

    /// An IA5String (ASCII).
    pub(crate) fn ia5(&mut self, field: &'static str) -> Result<&'a str, SesError> {
        self.text(tag::IA5_STRING, field, |s| s.is_ascii())
    }

    /// A PrintableString.
    pub(crate) fn printable(&mut self, field: &'static str) -> Result<&'a str, SesError> {
        self.text(tag::PRINTABLE_STRING, field, |s| {
            s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b" '()+,-./:=?".contains(&b))
        })
    }

    /// A UTF8String.
    pub(crate) fn utf8(&mut self, field: &'static str) -> Result<&'a str, SesError> {
        self.text(tag::UTF8_STRING, field, |_| true)
    }

    /// A GeneralizedTime or UTCTime, and which of the two it was.
    pub(crate) fn time(&mut self, field: &'static str) -> Result<(Timestamp, TimeKind), SesError> {
        let kind = match self.peek() {
            Some(tag::GENERALIZED_TIME) => TimeKind::Generalized,
            Some(tag::UTC_TIME) => TimeKind::Utc,
            Some(found) => {
                return Err(SesError::UnexpectedTag {
                    field,
                    expected: tag::GENERALIZED_TIME,
                    found,
                });
            }
            None => return Err(SesError::Truncated { field }),
        };
        let (v, _) = self.expect(kind.tag(), field)?;
        let bad = || SesError::Invalid {
            field,
            reason: "time must be YYYYMMDDHHMMSSZ (or YYMMDDHHMMSSZ for UTCTime)",
        };
        let digits = v.strip_suffix(b"Z").ok_or_else(bad)?;
        if !digits.iter().all(u8::is_ascii_digit) {
            return Err(bad());
        }
        let num = |r: core::ops::Range<usize>| -> Result<u32, SesError> {
            let d = digits.get(r).ok_or_else(bad)?;
            Ok(d.iter().fold(0u32, |a, &c| a * 10 + u32::from(c - b'0')))
        };
        let (year, rest) = match kind {
            TimeKind::Generalized if digits.len() == 14 => (num(0..4)?, 4),
            TimeKind::Utc if digits.len() == 12 => {
                let yy = num(0..2)?;
                (if yy >= 50 { 1900 + yy } else { 2000 + yy }, 2)
            }
            _ => return Err(bad()),
        };
        let date = crate::date::Date::new(year, num(rest..rest + 2)?, num(rest + 2..rest + 4)?)
            .map_err(|_| bad())?;
        let t = Timestamp::from_utc(
            date,
            num(rest + 4..rest + 6)?,
            num(rest + 6..rest + 8)?,
            num(rest + 8..rest + 10)?,
        )
        .map_err(|_| bad())?;
        Ok((t, kind))
    }
}

/// Which ASN.1 time type a value was written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TimeKind {
    /// GeneralizedTime `YYYYMMDDHHMMSSZ`.
    Generalized,
    /// UTCTime `YYMMDDHHMMSSZ` (years 1950–2049).
    Utc,
}

impl TimeKind {
    fn tag(self) -> u8 {
        match self {
            TimeKind::Generalized => tag::GENERALIZED_TIME,
            TimeKind::Utc => tag::UTC_TIME,
        }
    }
}

/// Appends a DER length.
fn write_len(out: &mut Vec<u8>, len: usize) {
    if len < 0x80 {
        out.push(len as u8);
        return;
    }
    let bytes = (len as u64).to_be_bytes();
    let skip = bytes.iter().take_while(|&&b| b == 0).count();
    let significant = bytes.get(skip..).unwrap_or_default();
    out.push(0x80 | significant.len() as u8);
    out.extend_from_slice(significant);
}

/// Appends `tag ‖ length ‖ value`.
pub(crate) fn write_tlv(out: &mut Vec<u8>, tag: u8, value: &[u8]) {
    out.push(tag);
    write_len(out, value.len());
    out.extend_from_slice(value);
}

/// Appends a constructed value whose contents `body` writes.
pub(crate) fn write_constructed(out: &mut Vec<u8>, tag: u8, body: impl FnOnce(&mut Vec<u8>)) {
    let mut inner = Vec::new();
    body(&mut inner);
    write_tlv(out, tag, &inner);
}

/// Appends a minimal non-negative INTEGER from big-endian magnitude bytes.
pub(crate) fn write_uint(out: &mut Vec<u8>, magnitude: &[u8]) {
    let skip = magnitude.iter().take_while(|&&b| b == 0).count();
    let m = magnitude.get(skip..).unwrap_or_default();
    let mut v = Vec::with_capacity(m.len() + 1);
    if m.first().is_none_or(|&b| b & 0x80 != 0) {
        v.push(0);
    }
    v.extend_from_slice(m);
    write_tlv(out, tag::INTEGER, &v);
}

/// Appends a u64 INTEGER.
pub(crate) fn write_u64(out: &mut Vec<u8>, n: u64) {
    write_uint(out, &n.to_be_bytes());
}

/// Appends a BOOLEAN.
pub(crate) fn write_bool(out: &mut Vec<u8>, b: bool) {
    write_tlv(out, tag::BOOLEAN, &[if b { 0xff } else { 0 }]);
}

/// Appends a BIT STRING of whole bytes.
pub(crate) fn write_bits(out: &mut Vec<u8>, bits: &[u8]) {
    out.push(tag::BIT_STRING);
    write_len(out, bits.len() + 1);
    out.push(0);
    out.extend_from_slice(bits);
}

/// Appends a time in the given ASN.1 type.
pub(crate) fn write_time(out: &mut Vec<u8>, t: Timestamp, kind: TimeKind) {
    let d = t.utc_date();
    let secs = t.unix().rem_euclid(86_400);
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    let text = match kind {
        TimeKind::Generalized => format!(
            "{:04}{:02}{:02}{h:02}{m:02}{s:02}Z",
            d.year(),
            d.month(),
            d.day()
        ),
        TimeKind::Utc => format!(
            "{:02}{:02}{:02}{h:02}{m:02}{s:02}Z",
            d.year() % 100,
            d.month(),
            d.day()
        ),
    };
    write_tlv(out, kind.tag(), text.as_bytes());
}

/// The DER contents of a dotted OID (for constants); `None` if malformed.
pub(crate) fn oid_bytes(dotted: &str) -> Option<Vec<u8>> {
    let arcs: Vec<u64> = dotted
        .split('.')
        .map(|a| a.parse().ok())
        .collect::<Option<_>>()?;
    let (&a, rest) = arcs.split_first()?;
    let (&b, rest) = rest.split_first()?;
    if a > 2 || (a < 2 && b >= 40) {
        return None;
    }
    let mut out = Vec::new();
    for arc in core::iter::once(a * 40 + b).chain(rest.iter().copied()) {
        let mut tmp = Vec::new();
        let mut x = arc;
        tmp.push((x & 0x7f) as u8);
        x >>= 7;
        while x > 0 {
            tmp.push(0x80 | (x & 0x7f) as u8);
            x >>= 7;
        }
        tmp.reverse();
        out.extend_from_slice(&tmp);
    }
    Some(out)
}

/// Dotted text of DER OID contents (already validated by the reader).
pub(crate) fn oid_text(bytes: &[u8]) -> String {
    let mut arcs: Vec<u64> = Vec::new();
    let mut acc = 0u64;
    for &b in bytes {
        acc = (acc << 7) | u64::from(b & 0x7f);
        if b & 0x80 == 0 {
            if arcs.is_empty() {
                let (x, y) = match acc {
                    0..40 => (0, acc),
                    40..80 => (1, acc - 40),
                    _ => (2, acc - 80),
                };
                arcs.push(x);
                arcs.push(y);
            } else {
                arcs.push(acc);
            }
            acc = 0;
        }
    }
    arcs.iter()
        .map(u64::to_string)
        .collect::<Vec<_>>()
        .join(".")
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn lengths_and_integers_are_strict() {
        // Long form for a short length.
        assert!(
            Reader::new(&[0x04, 0x81, 0x01, 0xaa], 4)
                .unwrap()
                .octets("x")
                .is_err()
        );
        // Indefinite length.
        assert!(
            Reader::new(&[0x30, 0x80, 0, 0], 4)
                .unwrap()
                .sequence("x")
                .is_err()
        );
        // Truncated.
        assert!(matches!(
            Reader::new(&[0x04, 0x05, 1], 4).unwrap().octets("x"),
            Err(SesError::Truncated { .. })
        ));
        let mut r = Reader::new(&[0x02, 0x02, 0x00, 0x01], 4).unwrap();
        assert!(r.uint("x").is_err());
        let mut out = Vec::new();
        write_u64(&mut out, 200);
        assert_eq!(out, [0x02, 0x02, 0x00, 200]);
        assert_eq!(Reader::new(&out, 1).unwrap().uint("x").unwrap(), 200);
        let mut big = Vec::new();
        write_tlv(&mut big, tag::OCTET_STRING, &[7u8; 300]);
        assert_eq!(&big[..4], &[0x04, 0x82, 0x01, 0x2c]);
        assert_eq!(
            Reader::new(&big, 1).unwrap().octets("x").unwrap().len(),
            300
        );
    }

    #[test]
    fn depth_is_bounded() {
        let mut v = vec![0x05, 0x00];
        for _ in 0..10 {
            let mut o = Vec::new();
            write_tlv(&mut o, tag::SEQUENCE, &v);
            v = o;
        }
        fn walk(r: &mut Reader<'_>) -> Result<(), SesError> {
            if r.peek() == Some(tag::SEQUENCE) {
                walk(&mut r.sequence("s")?)
            } else {
                Ok(())
            }
        }
        assert!(walk(&mut Reader::new(&v, 10).unwrap()).is_ok());
        assert!(matches!(
            walk(&mut Reader::new(&v, 9).unwrap()),
            Err(SesError::TooDeep { .. })
        ));
    }

    #[test]
    fn oids_and_times_round_trip() {
        let sm2sm3 = oid_bytes("1.2.156.10197.1.501").unwrap();
        assert_eq!(sm2sm3, [0x2a, 0x81, 0x1c, 0xcf, 0x55, 0x01, 0x83, 0x75]);
        assert_eq!(oid_text(&sm2sm3), "1.2.156.10197.1.501");
        let t =
            Timestamp::from_utc(crate::date::Date::new(2026, 4, 24).unwrap(), 8, 53, 23).unwrap();
        for kind in [TimeKind::Generalized, TimeKind::Utc] {
            let mut out = Vec::new();
            write_time(&mut out, t, kind);
            assert_eq!(Reader::new(&out, 1).unwrap().time("t").unwrap(), (t, kind));
        }
        let mut frac = Vec::new();
        write_tlv(&mut frac, tag::GENERALIZED_TIME, b"20260424085323.5Z");
        assert!(Reader::new(&frac, 1).unwrap().time("t").is_err());
    }
}
