//! The canonical writer: appends RFC 8785 bytes directly, with no intermediate tree.

use std::cmp::Ordering;

use serde_json::{Number, Value};

use super::MAX_SAFE_INTEGER;
use super::error::{JsonError, JsonErrorKind};
use super::scan::{cmp_utf16, split_plain};

/// Appends canonical JSON to a `Vec<u8>`.
///
/// The caller emits object members in canonical order (sorted by [`cmp_utf16`] of their
/// names); debug builds check that, and the pairing of begin/end and key/value, with
/// `debug_assert!` (no cost in release builds). Commas and colons are written for you.
pub(crate) struct Writer<'o> {
    out: &'o mut Vec<u8>,
    /// A value was just completed at the current level: the next one needs a comma.
    need_comma: bool,
    #[cfg(debug_assertions)]
    frames: Vec<DebugFrame>,
}

/// What the writer has open, for debug-build checks only.
#[cfg(debug_assertions)]
enum DebugFrame {
    Array,
    Object {
        last_key: Option<String>,
        /// A key was written and its value has not been yet.
        in_member: bool,
    },
}

impl<'o> Writer<'o> {
    /// A writer appending to `out` (existing contents are kept).
    pub(crate) fn new(out: &'o mut Vec<u8>) -> Self {
        Self {
            out,
            need_comma: false,
            #[cfg(debug_assertions)]
            frames: Vec::new(),
        }
    }

    /// Number of bytes in the output buffer.
    fn len(&self) -> usize {
        self.out.len()
    }

    #[inline]
    fn before_value(&mut self) {
        #[cfg(debug_assertions)]
        if let Some(DebugFrame::Object { in_member, .. }) = self.frames.last_mut() {
            debug_assert!(*in_member, "canonical writer: object value without a key");
            *in_member = false;
        }
        if self.need_comma {
            self.out.push(b',');
        }
    }

    /// Starts an object; members follow as `key` + value calls.
    pub(crate) fn begin_object(&mut self) {
        self.before_value();
        self.out.push(b'{');
        self.need_comma = false;
        #[cfg(debug_assertions)]
        self.frames.push(DebugFrame::Object {
            last_key: None,
            in_member: false,
        });
    }

    /// Ends the innermost object.
    pub(crate) fn end_object(&mut self) {
        #[cfg(debug_assertions)]
        {
            let frame = self.frames.pop();
            debug_assert!(
                matches!(
                    frame,
                    Some(DebugFrame::Object {
                        in_member: false,
                        ..
                    })
                ),
                "canonical writer: end_object without a matching begin_object, or after a key"
            );
        }
        self.out.push(b'}');
        self.need_comma = true;
    }

    /// Starts an array; elements follow as value calls.
    pub(crate) fn begin_array(&mut self) {
        self.before_value();
        self.out.push(b'[');
        self.need_comma = false;
        #[cfg(debug_assertions)]
        self.frames.push(DebugFrame::Array);
    }

    /// Ends the innermost array.
    pub(crate) fn end_array(&mut self) {
        #[cfg(debug_assertions)]
        {
            let frame = self.frames.pop();
            debug_assert!(
                matches!(frame, Some(DebugFrame::Array)),
                "canonical writer: end_array without a matching begin_array"
            );
        }
        self.out.push(b']');
        self.need_comma = true;
    }

    /// Writes a member name; exactly one value call must follow. Names must come in
    /// canonical order within an object (checked in debug builds).
    pub(crate) fn key(&mut self, k: &str) {
        #[cfg(debug_assertions)]
        match self.frames.last_mut() {
            Some(DebugFrame::Object {
                last_key,
                in_member,
            }) => {
                debug_assert!(!*in_member, "canonical writer: key {k:?} after a key");
                if let Some(prev) = last_key.as_deref() {
                    debug_assert!(
                        cmp_utf16(prev, k) == Ordering::Less,
                        "canonical writer: key {k:?} after {prev:?} is out of canonical order"
                    );
                }
                *last_key = Some(k.to_owned());
                *in_member = true;
            }
            _ => debug_assert!(false, "canonical writer: key {k:?} outside an object"),
        }
        if self.need_comma {
            self.out.push(b',');
        }
        write_string(self.out, k);
        self.out.push(b':');
        self.need_comma = false;
    }

    /// Writes a string value.
    pub(crate) fn str(&mut self, s: &str) {
        self.before_value();
        write_string(self.out, s);
        self.need_comma = true;
    }

    /// Writes an integer; the caller keeps it ≤ 2^53−1 (checked in debug builds).
    pub(crate) fn u64(&mut self, v: u64) {
        debug_assert!(
            v <= MAX_SAFE_INTEGER,
            "canonical writer: {v} exceeds 2^53-1"
        );
        self.before_value();
        write_u64(self.out, v);
        self.need_comma = true;
    }

    /// Writes an integer; the caller keeps |v| ≤ 2^53−1 (checked in debug builds).
    pub(crate) fn i64(&mut self, v: i64) {
        debug_assert!(
            v.unsigned_abs() <= MAX_SAFE_INTEGER,
            "canonical writer: {v} exceeds 2^53-1 in magnitude"
        );
        self.before_value();
        if v < 0 {
            self.out.push(b'-');
        }
        write_u64(self.out, v.unsigned_abs());
        self.need_comma = true;
    }

    /// Writes `true` or `false`.
    pub(crate) fn bool(&mut self, v: bool) {
        self.before_value();
        self.out
            .extend_from_slice(if v { b"true" } else { b"false" });
        self.need_comma = true;
    }

    /// Writes `null`.
    pub(crate) fn null(&mut self) {
        self.before_value();
        self.out.extend_from_slice(b"null");
        self.need_comma = true;
    }

    /// Splices one complete value that is already canonical (for instance the bytes of a
    /// signed sub-document as they were verified). Debug builds check it.
    pub(crate) fn raw(&mut self, canonical_value: &[u8]) {
        debug_assert!(
            super::read::is_canonical_value(canonical_value),
            "canonical writer: raw bytes are not one canonical JSON value"
        );
        self.before_value();
        self.out.extend_from_slice(canonical_value);
        self.need_comma = true;
    }

    /// `key(k)` then `str(v)`.
    pub(crate) fn field_str(&mut self, k: &str, v: &str) {
        self.key(k);
        self.str(v);
    }

    /// `key(k)` then `u64(v)`.
    pub(crate) fn field_u64(&mut self, k: &str, v: u64) {
        self.key(k);
        self.u64(v);
    }

    /// `key(k)` then `bool(v)`.
    pub(crate) fn field_bool(&mut self, k: &str, v: bool) {
        self.key(k);
        self.bool(v);
    }
}

/// Writes `s` as a JSON string with the escapes of ECMAScript `JSON.stringify`.
fn write_string(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    let mut rest = s.as_bytes();
    loop {
        let (plain, tail) = split_plain(rest);
        out.extend_from_slice(plain);
        let Some((&b, after)) = tail.split_first() else {
            break;
        };
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x09 => out.extend_from_slice(b"\\t"),
            0x0A => out.extend_from_slice(b"\\n"),
            0x0C => out.extend_from_slice(b"\\f"),
            0x0D => out.extend_from_slice(b"\\r"),
            c => out.extend_from_slice(&[b'\\', b'u', b'0', b'0', hex(c >> 4), hex(c & 0xF)]),
        }
        rest = after;
    }
    out.push(b'"');
}

/// Lower-case hex digit of a nibble.
fn hex(nibble: u8) -> u8 {
    if nibble < 10 {
        b'0' + nibble
    } else {
        b'a' + nibble - 10
    }
}

/// Decimal digits of `v`, no sign, no leading zero.
fn write_u64(out: &mut Vec<u8>, mut v: u64) {
    let mut buf = [0u8; 20];
    let mut used = 0;
    for slot in buf.iter_mut().rev() {
        // `v % 10 < 10`, so the cast is lossless.
        *slot = b'0' + (v % 10) as u8;
        v /= 10;
        used += 1;
        if v == 0 {
            break;
        }
    }
    let digits = buf.len() - used;
    out.extend_from_slice(buf.get(digits..).unwrap_or_default());
}

/// One open container of [`write_value`], which walks the tree without recursion.
enum Frame<'v> {
    Object(std::vec::IntoIter<(&'v String, &'v Value)>),
    Array(std::slice::Iter<'v, Value>),
}

/// Writes any `serde_json::Value` canonically: members sorted by [`cmp_utf16`].
///
/// Errors (offset = output length when found; the output may hold a partial value):
/// a float, even an integral one ([`JsonErrorKind::NumberNotInteger`]), or an integer
/// beyond ±(2^53−1) ([`JsonErrorKind::NumberOutOfRange`]).
pub(crate) fn write_value(w: &mut Writer<'_>, v: &Value) -> Result<(), JsonError> {
    let mut stack: Vec<Frame<'_>> = Vec::new();
    let mut next = Some(v);
    loop {
        if let Some(v) = next.take() {
            match v {
                Value::Null => w.null(),
                Value::Bool(b) => w.bool(*b),
                Value::Number(n) => write_number(w, n)?,
                Value::String(s) => w.str(s),
                Value::Array(items) => {
                    w.begin_array();
                    stack.push(Frame::Array(items.iter()));
                }
                Value::Object(map) => {
                    w.begin_object();
                    // serde_json's map iterates in UTF-8 order: nearly sorted already.
                    let mut members: Vec<_> = map.iter().collect();
                    members.sort_by(|a, b| cmp_utf16(a.0, b.0));
                    stack.push(Frame::Object(members.into_iter()));
                }
            }
        }
        match stack.last_mut() {
            None => return Ok(()),
            Some(Frame::Array(items)) => match items.next() {
                Some(item) => next = Some(item),
                None => {
                    w.end_array();
                    stack.pop();
                }
            },
            Some(Frame::Object(members)) => match members.next() {
                Some((k, v)) => {
                    w.key(k);
                    next = Some(v);
                }
                None => {
                    w.end_object();
                    stack.pop();
                }
            },
        }
    }
}

fn write_number(w: &mut Writer<'_>, n: &Number) -> Result<(), JsonError> {
    if let Some(u) = n.as_u64() {
        if u > MAX_SAFE_INTEGER {
            return Err(JsonError::new(w.len(), JsonErrorKind::NumberOutOfRange));
        }
        w.u64(u);
    } else if let Some(i) = n.as_i64() {
        if i.unsigned_abs() > MAX_SAFE_INTEGER {
            return Err(JsonError::new(w.len(), JsonErrorKind::NumberOutOfRange));
        }
        w.i64(i);
    } else {
        return Err(JsonError::new(w.len(), JsonErrorKind::NumberNotInteger));
    }
    Ok(())
}

/// The canonical bytes of any `serde_json::Value` (see [`write_value`]).
pub(crate) fn to_canonical_vec(v: &Value) -> Result<Vec<u8>, JsonError> {
    let mut out = Vec::new();
    write_value(&mut Writer::new(&mut out), v)?;
    Ok(out)
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]
mod tests {
    use super::*;
    use serde_json::json;

    fn canon(v: &Value) -> String {
        String::from_utf8(to_canonical_vec(v).unwrap()).unwrap()
    }

    #[test]
    fn escapes_like_json_stringify() {
        let s = "\"\\\u{8}\u{9}\u{a}\u{c}\u{d}\u{0}\u{1f}\u{7f}/\u{2028}\u{2029}中\u{1F600}";
        assert_eq!(
            canon(&json!(s)),
            "\"\\\"\\\\\\b\\t\\n\\f\\r\\u0000\\u001f\u{7f}/\u{2028}\u{2029}中\u{1F600}\""
        );
        assert_eq!(canon(&json!("\u{b}\u{e}")), "\"\\u000b\\u000e\"");
    }

    #[test]
    fn numbers() {
        assert_eq!(
            canon(&json!([
                0,
                7,
                -7,
                9007199254740991_u64,
                -9007199254740991_i64
            ])),
            "[0,7,-7,9007199254740991,-9007199254740991]"
        );
        let e = to_canonical_vec(&json!([9007199254740992_u64])).unwrap_err();
        assert_eq!(
            (e.offset(), e.kind()),
            (1, &JsonErrorKind::NumberOutOfRange)
        );
        let e = to_canonical_vec(&json!([-9007199254740992_i64])).unwrap_err();
        assert_eq!(e.kind(), &JsonErrorKind::NumberOutOfRange);
        let e = to_canonical_vec(&json!({"a": 1.5})).unwrap_err();
        assert_eq!(
            (e.offset(), e.kind()),
            (5, &JsonErrorKind::NumberNotInteger)
        );
        assert_eq!(
            to_canonical_vec(&json!(1.0)).unwrap_err().kind(),
            &JsonErrorKind::NumberNotInteger
        );
    }

    #[test]
    fn sorts_members_by_utf16() {
        let v = json!({"b": 1, "a": {"\u{E000}": 1, "\u{1F600}": 2}, "": []});
        assert_eq!(
            canon(&v),
            "{\"\":[],\"a\":{\"\u{1F600}\":2,\"\u{E000}\":1},\"b\":1}"
        );
    }

    #[test]
    fn writer_handles_commas() {
        let mut out = b"prefix ".to_vec();
        let mut w = Writer::new(&mut out);
        w.begin_object();
        w.field_bool("a", true);
        w.key("b");
        w.begin_array();
        w.null();
        w.i64(-3);
        w.begin_object();
        w.end_object();
        w.begin_array();
        w.end_array();
        w.raw(b"{\"x\":[1]}");
        w.end_array();
        w.field_str("c", "x");
        w.field_u64("d", 9);
        w.end_object();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "prefix {\"a\":true,\"b\":[null,-3,{},[],{\"x\":[1]}],\"c\":\"x\",\"d\":9}"
        );
    }

    #[test]
    #[cfg(debug_assertions)]
    #[should_panic(expected = "out of canonical order")]
    fn debug_build_checks_key_order() {
        let mut out = Vec::new();
        let mut w = Writer::new(&mut out);
        w.begin_object();
        w.field_u64("b", 1);
        w.field_u64("a", 2);
    }

    #[test]
    #[cfg(debug_assertions)]
    #[should_panic(expected = "raw bytes are not")]
    fn debug_build_checks_raw() {
        let mut out = Vec::new();
        Writer::new(&mut out).raw(b"{\"b\":1,\"a\":2}");
    }

    #[test]
    fn deep_value_without_recursion() {
        let mut v = json!(1);
        for _ in 0..10_000 {
            v = Value::Array(vec![v]);
        }
        let bytes = to_canonical_vec(&v).unwrap();
        assert_eq!(bytes.len(), 20_001);
        // serde_json drops nested values recursively; unwind by hand.
        while let Value::Array(mut items) = v {
            v = items.pop().unwrap_or(Value::Null);
        }
    }
}
