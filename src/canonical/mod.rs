//! Canonical JSON: the exact bytes we sign and hash.
//!
//! Signed documents are JSON in the canonical form of RFC 8785 (JCS), restricted to what
//! our documents need:
//!
//! - no whitespace; one top-level value and nothing after it;
//! - integers only, `0` or `-?[1-9][0-9]*`, magnitude ≤ 2^53−1 (decimals travel as
//!   strings); `-0`, leading zeros, fractions and exponents are rejected;
//! - strings in UTF-8 with exactly the escapes of ECMAScript `JSON.stringify`: `\"`, `\\`,
//!   `\b \t \n \f \r`, `\u00xx` (lower-case hex) for the other C0 controls, everything
//!   else raw;
//! - object members sorted strictly by the UTF-16 code units of their names
//!   ([`cmp_utf16`]); duplicates rejected.
//!
//! A document is accepted only if it is *already* canonical, so what is verified is
//! exactly what is parsed and nothing is re-serialised on the hot path:
//!
//! - [`Writer`] appends canonical bytes directly (the caller emits members in order);
//! - [`Parser`] is a strict, zero-copy reader (one UTF-8 check, then one structural pass)
//!   that rejects any other byte sequence, with caller-given limits on input length and
//!   nesting depth. Typed decoders read fields in canonical order through [`Object`] and
//!   elements through [`Array`]; [`Parser::skip_if_equal`] skips a sub-document seen
//!   before with one `memcmp`;
//! - [`write_value`], [`to_canonical_vec`] and [`read_value`] handle any
//!   `serde_json::Value`, for tests and loose data.
//!
//! Neither side recurses: depth is bounded by the caller's limit and walked with an
//! explicit stack.
//!
//! The decoding contract: each value handed out (the top-level one, or one after
//! [`Object::field`], [`Object::optional`], [`Object::next_key`], [`Array::next`]) is read
//! exactly once, objects and arrays are read to their `end`, and [`Parser::finish`] is
//! called last. A decoder that breaks it gets [`JsonErrorKind::Misuse`] from a later call,
//! never a panic and never a misread document.
//!
//! Decoding `{"a":1,"b":"x","c":[true]}` into a struct with a required `a`, an optional
//! `b` and a required `c` (this runs as the test `tests::typed_decoding_example`):
//!
//! ```ignore
//! let mut p = Parser::new(bytes, 64 * 1024, 16)?;
//! let mut o = p.object()?;
//! let a = o.field("a")?.u64()?;
//! let b = match o.optional("b")? {
//!     Some(p) => Some(p.str()?),
//!     None => None,
//! };
//! let mut c = Vec::new();
//! let mut items = o.field("c")?.array()?.with_max_items(8);
//! while let Some(p) = items.next()? {
//!     c.push(p.bool()?);
//! }
//! items.end()?;
//! o.end()?;
//! p.finish()?;
//! ```
//!
//! With a struct that knows only `a` and `b`, `{"a":1,"z":0}` fails in `o.end()` with
//! `UnknownField { field: "z" }` at byte 7.

// The generic `Value` helpers serve the tests and fuzzing; `value_span` and
// `skip_if_equal` serve the batch verifier.
#![allow(dead_code, unused_imports)]

mod error;
mod read;
mod scan;
mod write;

pub use error::{JsonError, JsonErrorKind, NonCanonical, ValueKind};
pub(crate) use read::{Array, Object, Parser, read_value, utf8_error};
pub(crate) use scan::cmp_utf16;
pub(crate) use write::{Writer, to_canonical_vec, write_value};

/// 2^53−1, the largest integer every JSON implementation (ECMAScript numbers) reads exactly.
pub(crate) const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]
pub(crate) mod tests {
    use std::borrow::Cow;

    use proptest::prelude::*;
    use serde_json::{Value, json};

    use super::*;

    // ---- strategies ----

    /// Characters that exercise escaping and UTF-16 ordering.
    fn arb_char() -> impl Strategy<Value = char> {
        prop_oneof![
            4 => proptest::char::range(' ', '~'),
            1 => proptest::char::range('\u{0}', '\u{1f}'),
            1 => prop_oneof![Just('"'), Just('\\'), Just('/'), Just('\u{7f}')],
            2 => proptest::char::range('\u{4e00}', '\u{9fff}'),
            1 => prop_oneof![Just('\u{2028}'), Just('\u{2029}')],
            2 => proptest::char::range('\u{e000}', '\u{ffff}'),
            2 => proptest::char::range('\u{10000}', '\u{10ffff}'),
            1 => proptest::char::range('\u{1f300}', '\u{1faff}'),
        ]
    }

    pub(crate) fn arb_string(max: usize) -> impl Strategy<Value = String> {
        proptest::collection::vec(arb_char(), 0..max).prop_map(String::from_iter)
    }

    fn arb_key() -> impl Strategy<Value = String> {
        prop_oneof![
            arb_string(3),
            arb_string(3).prop_map(|s| format!("k{s}")),
            "[a-e]{1,2}",
        ]
    }

    fn arb_value() -> impl Strategy<Value = Value> {
        let max = MAX_SAFE_INTEGER as i64;
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            (-max..=max).prop_map(Value::from),
            (-300i64..300).prop_map(Value::from),
            arb_string(8).prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 64, 6, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                proptest::collection::btree_map(arb_key(), inner, 0..6)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    /// Proptest settings: no regression files (they would land outside this module).
    pub(crate) fn config(cases: u32) -> ProptestConfig {
        ProptestConfig {
            cases,
            failure_persistence: None,
            ..ProptestConfig::default()
        }
    }

    // ---- helpers ----

    /// Whether `v` holds an object with at least one member.
    fn has_member(v: &Value) -> bool {
        match v {
            Value::Object(map) => !map.is_empty() || map.values().any(has_member),
            Value::Array(items) => items.iter().any(has_member),
            _ => false,
        }
    }

    /// Generic strict parse of a whole document; the lazy UTF-8 check agrees
    /// (with the up-front check's error for input that is not UTF-8).
    fn parse(bytes: &[u8]) -> Result<Value, JsonError> {
        let read = |mut p: Parser<'_>| {
            let v = read_value(&mut p)?;
            p.finish()?;
            Ok(v)
        };
        let eager = Parser::new(bytes, 1 << 20, 64).and_then(read);
        let lazy = Parser::new_lazy_utf8(bytes, 1 << 20, 64)
            .and_then(read)
            .map_err(|e| utf8_error(bytes).unwrap_or(e));
        assert_eq!(lazy, eager, "lazy UTF-8 check disagrees on {bytes:?}");
        eager
    }

    /// Generic strict validation of a whole document, without building anything.
    fn validate(bytes: &[u8]) -> Result<(), JsonError> {
        let check = |mut p: Parser<'_>| {
            let span = p.value_span()?;
            assert!(bytes.starts_with(span));
            p.finish()
        };
        let eager = Parser::new(bytes, 1 << 20, 64).and_then(check);
        let lazy = Parser::new_lazy_utf8(bytes, 1 << 20, 64)
            .and_then(check)
            .map_err(|e| utf8_error(bytes).unwrap_or(e));
        assert_eq!(lazy, eager, "lazy UTF-8 check disagrees on {bytes:?}");
        eager
    }

    /// Strings of every length around the lazy check's block size, with
    /// characters of every UTF-8 length straddling the block's end.
    #[test]
    fn lazy_utf8_check_across_blocks() {
        for c in ['a', 'é', '中', '😀'] {
            for n in 500..520 {
                let mut long = "a".repeat(n);
                long.extend(std::iter::repeat_n(c, 8));
                let doc = format!(r#"["x",{long:?},"{c}",{long:?}]"#);
                let v = parse(doc.as_bytes()).unwrap();
                assert_eq!(v[1].as_str(), Some(long.as_str()));
                validate(doc.as_bytes()).unwrap();
                // Not UTF-8 just past the block, and at the very end.
                let mut bad = doc.clone().into_bytes();
                bad[n + 10] = 0xff;
                let _ = parse(&bad);
                let last = bad.len() - 3;
                bad[last] = 0xc3;
                let _ = parse(&bad);
            }
        }
    }

    fn err(bytes: &[u8]) -> (JsonErrorKind, usize) {
        let e = parse(bytes).unwrap_err();
        assert_eq!(
            validate(bytes).unwrap_err(),
            e,
            "walkers disagree on {bytes:?}"
        );
        (e.kind().clone(), e.offset())
    }

    /// The acceptance property: reject, or the input is the canonical form of what was read.
    fn check_accepts_only_canonical(bytes: &[u8]) -> Result<(), TestCaseError> {
        let read = parse(bytes);
        prop_assert_eq!(read.is_ok(), validate(bytes).is_ok(), "walkers disagree");
        if let Ok(v) = read {
            prop_assert_eq!(to_canonical_vec(&v).unwrap(), bytes.to_vec());
        }
        Ok(())
    }

    /// Non-canonical serialisations of a value, for mutations the byte-level ones are
    /// unlikely to hit.
    #[derive(Clone, Copy, Debug)]
    enum Shape {
        /// Members in reverse canonical order.
        Reversed,
        /// The first member of every object twice.
        Duplicated,
    }

    fn write_shaped(v: &Value, shape: Shape, out: &mut String) {
        match v {
            Value::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write_shaped(item, shape, out);
                }
                out.push(']');
            }
            Value::Object(map) => {
                let mut members: Vec<_> = map.iter().collect();
                members.sort_by(|a, b| cmp_utf16(a.0, b.0));
                match shape {
                    Shape::Reversed => members.reverse(),
                    Shape::Duplicated => {
                        if let Some(&first) = members.first() {
                            members.insert(0, first);
                        }
                    }
                }
                out.push('{');
                for (i, (k, v)) in members.into_iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(&serde_json::to_string(k).unwrap());
                    out.push(':');
                    write_shaped(v, shape, out);
                }
                out.push('}');
            }
            scalar => out.push_str(&serde_json::to_string(scalar).unwrap()),
        }
    }

    #[derive(Clone, Debug)]
    enum Mutation {
        Insert(usize, u8),
        Delete(usize),
        Replace(usize, u8),
        Truncate(usize),
        /// Replace the n-th occurrence of a pattern.
        Text(usize, &'static str, &'static str),
        /// Replace the n-th run of digits.
        Number(usize, &'static str),
        /// `\u00xx` → `\u00XX` at the n-th occurrence.
        UpperHex(usize),
    }

    fn arb_mutation() -> impl Strategy<Value = Mutation> {
        let interesting = prop_oneof![
            Just(b' '),
            Just(b'\n'),
            Just(0x01),
            Just(0x1f),
            Just(0x7f),
            Just(0x80),
            Just(0xbf),
            Just(0xc3),
            Just(0xed),
            Just(0xf4),
            Just(0xff),
            Just(b'"'),
            Just(b'\\'),
            Just(b','),
            Just(b':'),
            Just(b'0'),
            Just(b'-'),
            Just(b'.'),
            Just(b'e'),
            Just(b'{'),
            Just(b'}'),
            Just(b'['),
            Just(b']'),
            any::<u8>(),
        ];
        let i = any::<usize>();
        prop_oneof![
            (i, interesting.clone()).prop_map(|(i, b)| Mutation::Insert(i, b)),
            i.prop_map(Mutation::Delete),
            (i, interesting).prop_map(|(i, b)| Mutation::Replace(i, b)),
            i.prop_map(Mutation::Truncate),
            (
                i,
                prop_oneof![
                    Just(("/", "\\/")),
                    Just(("\\n", "\\u000a")),
                    Just(("\\\\", "\\u005c")),
                    Just(("\\u00", "\\u00")),
                    Just((",", ", ")),
                    Just((":", " :")),
                    Just(("\"", "\\\"")),
                    Just(("true", "True")),
                    Just(("[", "[[")),
                ]
            )
                .prop_map(|(i, (from, to))| Mutation::Text(i, from, to)),
            (
                i,
                prop_oneof![
                    Just("-0"),
                    Just("1.0"),
                    Just("1e2"),
                    Just("01"),
                    Just("00"),
                    Just("+1"),
                    Just("9007199254740992"),
                    Just("-9007199254740991"),
                    Just("12345678901234567890"),
                ]
            )
                .prop_map(|(i, n)| Mutation::Number(i, n)),
            i.prop_map(Mutation::UpperHex),
        ]
    }

    fn apply(bytes: &mut Vec<u8>, m: &Mutation) {
        let pick = |i: usize, n: usize| if n == 0 { 0 } else { i % n };
        match *m {
            Mutation::Insert(i, b) => bytes.insert(pick(i, bytes.len() + 1), b),
            Mutation::Delete(i) if !bytes.is_empty() => {
                bytes.remove(pick(i, bytes.len()));
            }
            Mutation::Replace(i, b) if !bytes.is_empty() => {
                let at = pick(i, bytes.len());
                bytes[at] = b;
            }
            Mutation::Truncate(i) => bytes.truncate(pick(i, bytes.len())),
            Mutation::Text(i, from, to) => {
                let hits: Vec<usize> = (0..bytes.len())
                    .filter(|&at| bytes[at..].starts_with(from.as_bytes()))
                    .collect();
                if !hits.is_empty() {
                    let at = hits[pick(i, hits.len())];
                    bytes.splice(at..at + from.len(), to.bytes());
                }
            }
            Mutation::Number(i, n) => {
                let starts: Vec<usize> = (0..bytes.len())
                    .filter(|&at| {
                        bytes[at].is_ascii_digit() && (at == 0 || !bytes[at - 1].is_ascii_digit())
                    })
                    .collect();
                if !starts.is_empty() {
                    let at = starts[pick(i, starts.len())];
                    let end = (at..bytes.len())
                        .find(|&e| !bytes[e].is_ascii_digit())
                        .unwrap_or(bytes.len());
                    bytes.splice(at..end, n.bytes());
                }
            }
            Mutation::UpperHex(i) => {
                let hits: Vec<usize> = (0..bytes.len())
                    .filter(|&at| bytes[at..].starts_with(b"\\u00") && at + 6 <= bytes.len())
                    .collect();
                if !hits.is_empty() {
                    let at = hits[pick(i, hits.len())];
                    bytes[at + 4..at + 6].make_ascii_uppercase();
                }
            }
            Mutation::Delete(_) | Mutation::Replace(..) => {}
        }
    }

    // ---- properties ----

    proptest! {
        #![proptest_config(config(2048))]

        #[test]
        fn writer_matches_jcs_oracle_and_reader_round_trips(v in arb_value()) {
            let ours = to_canonical_vec(&v).unwrap();
            let oracle = serde_json_canonicalizer::to_vec(&v).unwrap();
            prop_assert_eq!(
                String::from_utf8_lossy(&ours),
                String::from_utf8_lossy(&oracle)
            );
            prop_assert_eq!(&ours, &oracle);
            prop_assert_eq!(parse(&ours).unwrap(), v);
            let mut p = Parser::new(&ours, ours.len(), 64).unwrap();
            prop_assert_eq!(p.value_span().unwrap(), &ours[..]);
            p.finish().unwrap();
        }

        #[test]
        fn mutated_documents_are_rejected_or_canonical(
            v in arb_value(),
            mutations in proptest::collection::vec(arb_mutation(), 1..4),
        ) {
            let mut bytes = to_canonical_vec(&v).unwrap();
            for m in &mutations {
                apply(&mut bytes, m);
            }
            check_accepts_only_canonical(&bytes)?;
        }

        #[test]
        fn reshaped_documents_are_rejected_or_canonical(v in arb_value()) {
            for shape in [Shape::Reversed, Shape::Duplicated] {
                let mut text = String::new();
                write_shaped(&v, shape, &mut text);
                check_accepts_only_canonical(text.as_bytes())?;
                if matches!(shape, Shape::Duplicated) && has_member(&v) {
                    prop_assert!(parse(text.as_bytes()).is_err());
                }
            }
        }

        #[test]
        fn arbitrary_bytes_are_rejected_or_canonical(
            bytes in proptest::collection::vec(any::<u8>(), 0..64),
        ) {
            check_accepts_only_canonical(&bytes)?;
        }

        #[test]
        fn json_like_bytes_are_rejected_or_canonical(
            bytes in proptest::collection::vec(
                proptest::sample::select(b"{}[]\":,\\/ 019-.eEtrufalsn\x01\x7f\xc3\xa9".to_vec()),
                0..24,
            ),
        ) {
            check_accepts_only_canonical(&bytes)?;
        }
    }

    // ---- explicit rejections ----

    #[test]
    fn rejections_with_kind_and_offset() {
        use JsonErrorKind as K;
        use NonCanonical as N;
        let ws = K::NotCanonical(N::Whitespace);
        let byte = |found, expected| K::UnexpectedByte { found, expected };
        let cases: Vec<(&[u8], JsonErrorKind, usize)> = vec![
            (b"", K::UnexpectedEnd, 0),
            (b" 1", ws.clone(), 0),
            (b"1 ", K::TrailingBytes, 1),
            (b"[1, 2]", ws.clone(), 3),
            (b"{\"a\" :1}", ws.clone(), 4),
            (b"{\"a\": 1}", ws.clone(), 5),
            (b"[\n]", ws.clone(), 1),
            (b"{\"b\":1,\"a\":2}", K::NotCanonical(N::KeyOrder), 7),
            (b"{\"a\":1,\"a\":2}", K::DuplicateKey { key: "a".into() }, 7),
            (b"{\"\\u00e9\":1}", K::NotCanonical(N::Escape), 2),
            (
                "{\"\u{e000}\":1,\"\u{1f600}\":2}".as_bytes(),
                K::NotCanonical(N::KeyOrder),
                9,
            ),
            (b"\"a\\/b\"", K::NotCanonical(N::Escape), 2),
            (b"\"\\u0041\"", K::NotCanonical(N::Escape), 1),
            (b"\"\\u001F\"", K::NotCanonical(N::Escape), 1),
            (b"\"\\u000a\"", K::NotCanonical(N::Escape), 1),
            (b"\"\\ud83d\\ude00\"", K::NotCanonical(N::Escape), 1),
            (b"\"\\u00g0\"", byte(b'g', "a hex digit"), 5),
            (b"\"\\x\"", byte(b'x', "an escape character"), 2),
            (b"\"\\u00", K::UnexpectedEnd, 5),
            (b"\"a\x01\"", byte(0x01, "an escaped control character"), 2),
            (b"\"a\tb\"", byte(b'\t', "an escaped control character"), 2),
            (b"\"ab", K::UnexpectedEnd, 3),
            (b"\"a\xff\"", K::InvalidUtf8, 2),
            (b"\"\\n\xc3\"", K::InvalidUtf8, 3),
            (b"\"\xed\xa0\x80\"", K::InvalidUtf8, 1),
            (b"01", K::NotCanonical(N::NumberForm), 0),
            (b"[-0]", K::NotCanonical(N::NumberForm), 1),
            (b"-", K::UnexpectedEnd, 1),
            (b"-a", byte(b'a', "a digit"), 1),
            (b"+1", byte(b'+', "a JSON value"), 0),
            (b"1.0", K::NumberNotInteger, 0),
            (b"[1e2]", K::NumberNotInteger, 1),
            (b"-0.5", K::NumberNotInteger, 0),
            (b"9007199254740992", K::NumberOutOfRange, 0),
            (b"-9007199254740992", K::NumberOutOfRange, 0),
            (b"123456789012345678901234567890", K::NumberOutOfRange, 0),
            (b"tru", K::UnexpectedEnd, 3),
            (b"trUe", byte(b'U', "true"), 2),
            (b"nul", K::UnexpectedEnd, 3),
            (b"[1,]", byte(b']', "a JSON value"), 3),
            (b"[,1]", byte(b',', "a JSON value"), 1),
            (b"[1 ", ws.clone(), 2),
            (b"[1", K::UnexpectedEnd, 2),
            (b"[1}", byte(b'}', "',' or ']'"), 2),
            (b"{\"a\":1,}", byte(b'}', "'\"'"), 7),
            (b"{,}", byte(b',', "'\"' or '}'"), 1),
            (b"{\"a\"1}", byte(b'1', "':'"), 4),
            (b"{1:2}", byte(b'1', "'\"' or '}'"), 1),
            (b"{}{}", K::TrailingBytes, 2),
            (b"nullx", K::TrailingBytes, 4),
        ];
        for (input, kind, offset) in cases {
            assert_eq!(
                err(input),
                (kind, offset),
                "input {:?}",
                String::from_utf8_lossy(input)
            );
        }
    }

    #[test]
    fn accepts_canonical_edge_cases() {
        for doc in [
            "0",
            "-1",
            "9007199254740991",
            "-9007199254740991",
            "\"\"",
            "\"\u{7f}\u{2028}\u{2029}/中\u{1f600}\"",
            "\"\\\"\\\\\\b\\t\\n\\f\\r\\u0000\\u000b\\u001f\"",
            "{\"\":null,\"a\":[],\"b\":{}}",
            "{\"\u{1f600}\":1,\"\u{e000}\":2}",
            "[true,false,null,[[]]]",
        ] {
            check_accepts_only_canonical(doc.as_bytes()).unwrap();
            assert!(parse(doc.as_bytes()).is_ok(), "{doc}");
        }
    }

    // ---- limits ----

    #[test]
    fn too_large_is_checked_before_reading() {
        let e = Parser::new(b"[garbage", 7, 8).unwrap_err();
        assert_eq!(e.kind(), &JsonErrorKind::TooLarge { len: 8, max: 7 });
        assert_eq!(e.offset(), 0);
        assert!(Parser::new(b"1234567", 7, 8).is_ok());
    }

    #[test]
    fn depth_limit() {
        let too_deep = JsonErrorKind::TooDeep { max: 2 };
        let mut p = Parser::new(b"[[1]]", 100, 2).unwrap();
        assert_eq!(read_value(&mut p).unwrap(), json!([[1]]));
        let mut p = Parser::new(b"[{\"a\":[]}]", 100, 2).unwrap();
        let e = read_value(&mut p).unwrap_err();
        assert_eq!((e.kind(), e.offset()), (&too_deep, 6));
        let e = p.value_span().unwrap_err();
        assert_eq!((e.kind(), e.offset()), (&too_deep, 6));
        // The typed path counts depth too.
        let mut p = Parser::new(b"[[[]]]", 100, 2).unwrap();
        let mut outer = p.array().unwrap();
        let mut inner = outer.next().unwrap().unwrap().array().unwrap();
        let e = inner.next().unwrap().unwrap().array().unwrap_err();
        assert_eq!((e.kind(), e.offset()), (&too_deep, 2));
        // Zero allows scalars only.
        assert!(Parser::new(b"[]", 100, 0).unwrap().array().is_err());
    }

    #[test]
    fn deep_nesting_does_not_overflow_the_stack() {
        let n = 100_000;
        let open = vec![b'['; n];
        for max_depth in [64, usize::MAX] {
            let mut p = Parser::new(&open, usize::MAX, max_depth).unwrap();
            let e = read_value(&mut p).unwrap_err();
            let expected = if max_depth == 64 {
                (JsonErrorKind::TooDeep { max: 64 }, 64)
            } else {
                (JsonErrorKind::UnexpectedEnd, n)
            };
            assert_eq!((e.kind().clone(), e.offset()), expected);
            assert_eq!(p.value_span().unwrap_err(), e);
            assert_eq!(
                p.offset(),
                0,
                "a failed read leaves the parser where it was"
            );
        }
        let mut closed = open.clone();
        closed.extend(std::iter::repeat_n(b']', n));
        let mut p = Parser::new(&closed, usize::MAX, n).unwrap();
        assert_eq!(p.value_span().unwrap().len(), 2 * n);
        p.finish().unwrap();
        let mut p = Parser::new(&closed, usize::MAX, n - 1).unwrap();
        assert_eq!(
            p.value_span().unwrap_err().kind(),
            &JsonErrorKind::TooDeep { max: n - 1 }
        );
    }

    // ---- typed API ----

    #[derive(Debug, PartialEq)]
    struct Doc<'a> {
        a: u64,
        b: Option<Cow<'a, str>>,
        c: Vec<bool>,
    }

    fn decode(bytes: &[u8]) -> Result<Doc<'_>, JsonError> {
        let mut p = Parser::new(bytes, 64 * 1024, 16)?;
        let mut o = p.object()?;
        let a = o.field("a")?.u64()?;
        let b = match o.optional("b")? {
            Some(p) => Some(p.str()?),
            None => None,
        };
        let mut c = Vec::new();
        let mut items = o.field("c")?.array()?.with_max_items(8);
        while let Some(p) = items.next()? {
            c.push(p.bool()?);
        }
        items.end()?;
        o.end()?;
        p.finish()?;
        Ok(Doc { a, b, c })
    }

    /// A struct that only knows `a` and `b`.
    fn decode_ab(bytes: &[u8]) -> Result<(i64, Option<bool>), JsonError> {
        let mut p = Parser::new(bytes, 1024, 4)?;
        let mut o = p.object()?;
        let a = o.field("a")?.i64()?;
        let b = o.optional("b")?.map(Parser::bool).transpose()?;
        o.end()?;
        p.finish()?;
        Ok((a, b))
    }

    #[test]
    fn typed_decoding_example() {
        let doc = decode(br#"{"a":1,"b":"x","c":[true]}"#).unwrap();
        assert_eq!(
            doc,
            Doc {
                a: 1,
                b: Some(Cow::Borrowed("x")),
                c: vec![true]
            }
        );
        assert!(matches!(doc.b, Some(Cow::Borrowed(_))), "zero copy");
        let doc = decode(br#"{"a":2,"c":[]}"#).unwrap();
        assert_eq!((doc.a, doc.b, doc.c), (2, None, vec![]));
        let doc = decode(br#"{"a":3,"b":"\n","c":[false,true]}"#).unwrap();
        assert!(matches!(doc.b, Some(Cow::Owned(ref s)) if s == "\n"));

        let e = decode_ab(br#"{"a":1,"z":0}"#).unwrap_err();
        assert_eq!(
            (e.kind(), e.offset()),
            (&JsonErrorKind::UnknownField { field: "z".into() }, 7)
        );
        assert_eq!(e.to_string(), "at byte 7: unknown field \"z\"");
    }

    #[test]
    fn object_field_errors() {
        use JsonErrorKind as K;
        let kind = |r: Result<Doc<'_>, JsonError>| {
            let e = r.unwrap_err();
            (e.kind().clone(), e.offset())
        };
        // Required field absent: a larger name or the end.
        assert_eq!(
            kind(decode(br#"{"a":1,"d":[]}"#)),
            (K::MissingField { field: "c" }, 7)
        );
        assert_eq!(
            kind(decode(br#"{"a":1}"#)),
            (K::MissingField { field: "c" }, 6)
        );
        assert_eq!(kind(decode(br#"{}"#)), (K::MissingField { field: "a" }, 1));
        // A name the struct does not know, before a known one.
        assert_eq!(
            kind(decode(br#"{"a":1,"aa":0,"c":[]}"#)),
            (K::UnknownField { field: "aa".into() }, 7)
        );
        assert_eq!(
            kind(decode(br#"{"":0,"a":1,"c":[]}"#)),
            (K::UnknownField { field: "".into() }, 1)
        );
        // After the last known field.
        assert_eq!(
            kind(decode(br#"{"a":1,"c":[],"d":0}"#)),
            (K::UnknownField { field: "d".into() }, 14)
        );
        // Order and duplicates are the parser's business, whatever the decoder asks.
        assert_eq!(
            kind(decode(br#"{"a":1,"c":[],"c":[]}"#)),
            (K::DuplicateKey { key: "c".into() }, 14)
        );
        assert_eq!(
            kind(decode(br#"{"b":"x","a":1,"c":[]}"#)),
            (K::MissingField { field: "a" }, 1)
        );
        assert_eq!(
            kind(decode(br#"{"a":1,"c":[],"b":"x"}"#)),
            (K::NotCanonical(NonCanonical::KeyOrder), 14)
        );
        // Types and array limits.
        assert_eq!(
            kind(decode(br#"{"a":"1","c":[]}"#)),
            (
                K::WrongType {
                    expected: ValueKind::Number,
                    found: ValueKind::String
                },
                5
            )
        );
        assert_eq!(
            kind(decode(br#"{"a":-1,"c":[]}"#)),
            (K::NumberOutOfRange, 5)
        );
        let nine = format!(r#"{{"a":1,"c":[{}true]}}"#, "true,".repeat(8));
        assert_eq!(
            kind(decode(nine.as_bytes())),
            (K::TooManyItems { max: 8 }, 52)
        );
        assert_eq!(kind(decode(br#"{"a":1,"c":[]} "#)), (K::TrailingBytes, 14));
        // A long unknown name is clipped to 64 characters.
        let long = format!(r#"{{"a":1,"{}":0}}"#, "中".repeat(100));
        let e = decode_ab(long.as_bytes()).unwrap_err();
        assert_eq!(
            e.kind(),
            &K::UnknownField {
                field: "中".repeat(64)
            }
        );
    }

    #[test]
    fn optional_keeps_the_looked_ahead_key() {
        let bytes = br#"{"a":1,"c":2,"e":3}"#;
        let mut p = Parser::new(bytes, 100, 4).unwrap();
        let mut o = p.object().unwrap();
        assert_eq!(o.field("a").unwrap().u64().unwrap(), 1);
        assert!(o.optional("b").unwrap().is_none());
        assert!(o.optional("bb").unwrap().is_none());
        assert_eq!(o.optional("c").unwrap().unwrap().u64().unwrap(), 2);
        assert!(o.optional("d").unwrap().is_none());
        assert_eq!(o.next_key().unwrap().as_deref(), Some("e"));
        assert_eq!(o.parser().u64().unwrap(), 3);
        assert!(o.optional("f").unwrap().is_none());
        assert!(o.next_key().unwrap().is_none());
        o.end().unwrap();
        p.finish().unwrap();
    }

    #[test]
    fn next_key_iterates_maps() {
        let bytes = br#"{"k\"1":1,"k2":{"x":true}}"#;
        let mut p = Parser::new(bytes, 100, 4).unwrap();
        let mut o = p.object().unwrap();
        let mut seen = Vec::new();
        while let Some(k) = o.next_key().unwrap() {
            let span = o.parser().value_span().unwrap();
            seen.push((k.into_owned(), String::from_utf8(span.to_vec()).unwrap()));
        }
        o.end().unwrap();
        p.finish().unwrap();
        assert_eq!(
            seen,
            [
                ("k\"1".to_owned(), "1".to_owned()),
                ("k2".to_owned(), "{\"x\":true}".to_owned())
            ]
        );
    }

    #[test]
    fn contract_violations_are_errors_not_acceptance() {
        use JsonErrorKind as K;
        let misuse = |e: JsonError| matches!(e.kind(), K::Misuse(_));
        // A value handed out but not read.
        let mut p = Parser::new(br#"{"a":1,"b":2}"#, 100, 4).unwrap();
        let mut o = p.object().unwrap();
        o.field("a").unwrap();
        assert!(misuse(o.field("b").unwrap_err()));
        assert!(misuse(o.end().unwrap_err()));
        assert!(p.finish().is_err());
        // A value read twice.
        let mut p = Parser::new(br#"[1,2]"#, 100, 4).unwrap();
        let mut a = p.array().unwrap();
        let q = a.next().unwrap().unwrap();
        q.u64().unwrap();
        assert!(misuse(q.u64().unwrap_err()));
        // A nested object abandoned half-way: `{"x":1}` then `"y"` must not be taken as
        // members of the outer object.
        let bytes = br#"{"a":{"x":1,"y":2},"b":3}"#;
        let mut p = Parser::new(bytes, 100, 4).unwrap();
        let mut o = p.object().unwrap();
        {
            let mut inner = o.field("a").unwrap().object().unwrap();
            inner.field("x").unwrap().u64().unwrap();
        }
        assert!(misuse(o.field("b").unwrap_err()));
        assert!(misuse(o.end().unwrap_err()));
        assert!(misuse(p.finish().unwrap_err()));
        // Reading through `parser()` after the object closed.
        let mut p = Parser::new(br#"{"a":1}2"#, 100, 4).unwrap();
        let mut o = p.object().unwrap();
        o.field("a").unwrap().u64().unwrap();
        assert!(o.optional("b").unwrap().is_none());
        assert!(misuse(o.parser().u64().unwrap_err()));
        o.end().unwrap();
        assert_eq!(p.finish().unwrap_err().kind(), &K::TrailingBytes);
        // Nothing read at all.
        assert!(misuse(
            Parser::new(b"1", 10, 1).unwrap().finish().unwrap_err()
        ));
        // An array ended early: the unread element is one too many.
        let mut p = Parser::new(b"[1,2]", 100, 4).unwrap();
        let mut a = p.array().unwrap();
        a.next().unwrap().unwrap().u64().unwrap();
        let e = a.end().unwrap_err();
        assert_eq!((e.kind(), e.offset()), (&K::TooManyItems { max: 1 }, 3));
    }

    #[test]
    fn failed_reads_change_nothing() {
        let mut p = Parser::new(br#""x""#, 100, 4).unwrap();
        assert_eq!(
            p.u64().unwrap_err().kind(),
            &JsonErrorKind::WrongType {
                expected: ValueKind::Number,
                found: ValueKind::String
            }
        );
        assert!(p.object().is_err());
        assert_eq!(p.peek_kind().unwrap(), ValueKind::String);
        assert_eq!(p.str().unwrap(), "x");
        p.finish().unwrap();

        let mut p = Parser::new(br#"[1,{"b":0,"a":0}]"#, 100, 4).unwrap();
        assert!(p.value_span().is_err());
        assert_eq!(p.offset(), 0);
        assert!(p.finish().is_err());
    }

    #[test]
    fn value_span_returns_exact_bytes() {
        let bytes = br#"{"a":[1,"x",{"b":null}],"b":-5,"c":"\u0001"}"#;
        let mut p = Parser::new(bytes, 100, 4).unwrap();
        let mut o = p.object().unwrap();
        assert_eq!(
            o.field("a").unwrap().value_span().unwrap(),
            br#"[1,"x",{"b":null}]"#
        );
        assert_eq!(o.field("b").unwrap().value_span().unwrap(), b"-5");
        assert_eq!(o.field("c").unwrap().value_span().unwrap(), br#""\u0001""#);
        o.end().unwrap();
        p.finish().unwrap();
    }

    #[test]
    fn skip_if_equal_fast_path() {
        let sub = r#"{"k":[1,2],"n":"印章"}"#.as_bytes();
        let doc = r#"{"a":{"k":[1,2],"n":"印章"},"b":{"k":[1,2],"n":"X"},"c":12,"d":1.5}"#;
        let doc = doc.as_bytes();
        let mut p = Parser::new(doc, 1000, 8).unwrap();
        let mut o = p.object().unwrap();
        assert!(o.field("a").unwrap().skip_if_equal(sub));
        let q = o.field("b").unwrap();
        let before = q.offset();
        assert!(!q.skip_if_equal(sub));
        assert_eq!(q.offset(), before, "no match changes nothing");
        assert!(!q.skip_if_equal(b""));
        q.value_span().unwrap();
        assert!(!o.parser().skip_if_equal(b"12"), "nothing handed out");
        let q = o.field("c").unwrap();
        assert!(!q.skip_if_equal(b"1"), "1 is only a prefix of 12");
        assert!(q.skip_if_equal(b"12"));
        let q = o.field("d").unwrap();
        assert!(!q.skip_if_equal(b"1"), "1 is only a prefix of 1.5");
        assert_eq!(
            q.u64().unwrap_err().kind(),
            &JsonErrorKind::NumberNotInteger
        );
    }

    #[test]
    fn writer_and_parser_agree_on_a_license() {
        let mut out = Vec::new();
        let mut w = Writer::new(&mut out);
        w.begin_object();
        w.field_str("holder", "张三\n");
        w.field_u64("issued", 1_700_000_000);
        w.field_bool("valid", true);
        w.end_object();
        assert_eq!(
            parse(&out).unwrap(),
            json!({"holder": "张三\n", "issued": 1_700_000_000, "valid": true})
        );
        assert_eq!(
            serde_json_canonicalizer::to_vec(&parse(&out).unwrap()).unwrap(),
            out
        );
    }
}
