//! The strict reader: zero copy, accepts only canonical bytes.
//!
//! After one UTF-8 check of the whole input (std's, the only safe way to borrow `&str`,
//! and cheaper once than per string), a single structural pass reads and checks
//! everything else. Strings are scanned a word at a time for `"`, `\` and controls.
//!
//! [`Parser::new_lazy_utf8`] instead checks UTF-8 as strings are read, a block at a
//! time, so that values skipped as byte-equal to ones checked before
//! ([`Parser::skip_if_equal`]) are never checked again.

use std::borrow::Cow;
use std::cell::Cell;
use std::cmp::Ordering;

use serde_json::{Map, Value};

use super::MAX_SAFE_INTEGER;
use super::error::{JsonError, JsonErrorKind, NonCanonical, ValueKind, clip};
use super::scan::{cmp_utf16, plain_len, starts_with_plain};

/// A strict, zero-copy reader of one canonical JSON value.
///
/// Typed decoders pull values in document order: `str`, `u64`, `object` + [`Object::field`]…
/// Every read checks canonical form as it goes, so a document that decodes is exactly the
/// canonical encoding of what was decoded. Call [`Parser::finish`] at the end: it rejects
/// trailing bytes and unfinished reads.
///
/// A read that fails leaves the parser where it was (a decoder may try `peek_kind` or
/// another type), except inside objects and arrays, where the error is final: any later
/// call on the enclosing object or array, and `finish`, fail too.
#[derive(Debug)]
pub(crate) struct Parser<'a> {
    /// The input.
    input: &'a [u8],
    /// A stretch of the input known to be UTF-8: string values inside it are cut out
    /// with `str::get`, with no per-string validation. The whole input when checked up
    /// front ([`Parser::new`]); else the block checked last ([`Parser::new_lazy_utf8`]).
    checked: Cell<Checked<'a>>,
    pos: usize,
    /// Objects and arrays currently open.
    depth: usize,
    max_depth: usize,
    /// The position is at a value the caller may read: the top-level value, or one handed
    /// out by `Object`/`Array`. Guards against reading twice or not at all.
    expect_value: bool,
}

/// `text` is `input[start..start + text.len()]`, checked to be UTF-8.
#[derive(Debug, Clone, Copy)]
struct Checked<'a> {
    start: usize,
    text: &'a str,
}

/// How far past the string being read a lazy parser checks UTF-8 at once: one
/// check per block instead of one per string, at the price of checking up to this
/// many bytes of a value that is then skipped.
const CHECK_AHEAD: usize = 512;

/// State of one open object, shared by [`Object`] and the generic walkers.
#[derive(Debug)]
struct ObjState<'a> {
    level: Level,
    /// Last member name read, for the order check.
    prev: Option<Cow<'a, str>>,
}

impl ObjState<'_> {
    fn new(level: Level) -> Self {
        Self { level, prev: None }
    }
}

/// State of one open array.
#[derive(Debug)]
struct ArrState {
    level: Level,
    count: usize,
    max_items: usize,
}

/// What objects and arrays have in common.
#[derive(Debug)]
struct Level {
    /// Parser depth inside this container.
    depth: usize,
    /// Nothing read yet after the opening bracket.
    first: bool,
    /// The closing bracket was consumed.
    done: bool,
    /// Offset of the closing bracket once `done`.
    closed_at: usize,
}

impl Level {
    fn new(depth: usize) -> Self {
        Self {
            depth,
            first: true,
            done: false,
            closed_at: 0,
        }
    }
}

fn kind_of(first_byte: u8) -> Option<ValueKind> {
    Some(match first_byte {
        b'{' => ValueKind::Object,
        b'[' => ValueKind::Array,
        b'"' => ValueKind::String,
        b'-' | b'0'..=b'9' => ValueKind::Number,
        b't' | b'f' => ValueKind::Bool,
        b'n' => ValueKind::Null,
        _ => return None,
    })
}

const MISUSE_UNREAD: &str = "the value handed out was not read";
const MISUSE_NESTED: &str = "a nested object or array was left unfinished";
const MISUSE_NO_VALUE: &str = "no value to read here (already read, or none handed out)";

impl<'a> Parser<'a> {
    /// A parser for `input`, which must hold exactly one value (see [`Parser::finish`]).
    ///
    /// Fails with [`JsonErrorKind::TooLarge`] before reading anything if `input` is longer
    /// than `max_len`, then with [`JsonErrorKind::InvalidUtf8`] if any of it is not UTF-8
    /// (one fast pass: validating each string separately costs more than the whole
    /// document). Objects and arrays may nest `max_depth` levels (so `0` allows scalars
    /// only).
    pub(crate) fn new(
        input: &'a [u8],
        max_len: usize,
        max_depth: usize,
    ) -> Result<Self, JsonError> {
        if input.len() > max_len {
            return Err(JsonError::new(
                0,
                JsonErrorKind::TooLarge {
                    len: input.len(),
                    max: max_len,
                },
            ));
        }
        let p = Self::new_lazy_utf8(input, max_len, max_depth)?;
        let text = std::str::from_utf8(input)
            .map_err(|e| JsonError::new(e.valid_up_to(), JsonErrorKind::InvalidUtf8))?;
        p.checked.set(Checked { start: 0, text });
        Ok(p)
    }

    /// As [`Parser::new`], but UTF-8 is checked only where strings are read (ahead
    /// in blocks), so values skipped by [`Parser::skip_if_equal`] are not checked
    /// again. Every string handed out is still checked, and any value read
    /// successfully is UTF-8 (outside strings only ASCII is accepted), so input
    /// that is read to [`Parser::finish`] is UTF-8 if the skipped values were.
    ///
    /// What differs is which error comes first: input that is not UTF-8 may fail
    /// with another error before the parser reaches the bad byte. A caller that
    /// must report exactly what [`Parser::new`] would reports
    /// [`utf8_error`] instead, when there is one, of any error it got.
    pub(crate) fn new_lazy_utf8(
        input: &'a [u8],
        max_len: usize,
        max_depth: usize,
    ) -> Result<Self, JsonError> {
        if input.len() > max_len {
            return Err(JsonError::new(
                0,
                JsonErrorKind::TooLarge {
                    len: input.len(),
                    max: max_len,
                },
            ));
        }
        Ok(Self {
            input,
            checked: Cell::new(Checked { start: 0, text: "" }),
            pos: 0,
            depth: 0,
            max_depth,
            expect_value: true,
        })
    }

    /// The input between two offsets as text, if it is UTF-8 (and the offsets are
    /// character boundaries).
    #[inline(always)]
    fn text(&self, start: usize, end: usize) -> Option<&'a str> {
        let c = self.checked.get();
        // An offset before `c.start` wraps around to one `get` rejects.
        match c
            .text
            .get(start.wrapping_sub(c.start)..end.wrapping_sub(c.start))
        {
            Some(s) => Some(s),
            None => self.check_from(start, end),
        }
    }

    /// Checks UTF-8 from `start` to at least `end`, and some way ahead (see
    /// [`CHECK_AHEAD`]); the input between the two if it is UTF-8.
    #[cold]
    #[inline(never)]
    fn check_from(&self, start: usize, end: usize) -> Option<&'a str> {
        let rest = self.input.get(start..)?;
        let need = end.checked_sub(start)?;
        if need > rest.len() {
            return None;
        }
        // Stop ahead at the first byte that starts a character (not 10xxxxxx): in
        // UTF-8 input a character boundary, a few bytes on at most.
        let ahead = need.max(CHECK_AHEAD).min(rest.len());
        let stop = rest
            .get(ahead..)
            .and_then(|r| r.iter().position(|&b| b & 0xc0 != 0x80))
            .map_or(rest.len(), |i| ahead + i);
        let text = match std::str::from_utf8(rest.get(..stop)?) {
            Ok(text) => text,
            // Bad bytes ahead only (the input is not UTF-8, rare): just what is needed.
            Err(e) if e.valid_up_to() >= need => std::str::from_utf8(rest.get(..need)?).ok()?,
            Err(_) => return None,
        };
        self.checked.set(Checked { start, text });
        text.get(..need)
    }

    /// Current byte offset in the input.
    pub(crate) fn offset(&self) -> usize {
        self.pos
    }

    #[inline]
    fn peek(&self) -> Option<u8> {
        self.input.get(self.pos).copied()
    }

    #[inline]
    fn err(&self, kind: JsonErrorKind) -> JsonError {
        JsonError::new(self.pos, kind)
    }

    /// The error for a byte (or the end) at `at` where a token was expected.
    #[cold]
    fn unexpected(&self, at: usize, expected: &'static str) -> JsonError {
        let kind = match self.input.get(at) {
            None => JsonErrorKind::UnexpectedEnd,
            Some(b' ' | b'\t' | b'\n' | b'\r') => {
                JsonErrorKind::NotCanonical(NonCanonical::Whitespace)
            }
            Some(&found) => JsonErrorKind::UnexpectedByte { found, expected },
        };
        JsonError::new(at, kind)
    }

    /// The error for a byte (or the end) at `at` inside a token.
    #[cold]
    fn bad_byte(&self, at: usize, expected: &'static str) -> JsonError {
        let kind = match self.input.get(at) {
            None => JsonErrorKind::UnexpectedEnd,
            Some(&found) => JsonErrorKind::UnexpectedByte { found, expected },
        };
        JsonError::new(at, kind)
    }

    /// Checks that a value may be read here and returns its type.
    #[inline]
    fn start(&self) -> Result<ValueKind, JsonError> {
        if !self.expect_value {
            return Err(self.err(JsonErrorKind::Misuse(MISUSE_NO_VALUE)));
        }
        self.peek()
            .and_then(kind_of)
            .ok_or_else(|| self.unexpected(self.pos, "a JSON value"))
    }

    #[inline]
    fn expect_kind(&self, expected: ValueKind) -> Result<(), JsonError> {
        let found = self.start()?;
        if found == expected {
            Ok(())
        } else {
            Err(self.err(JsonErrorKind::WrongType { expected, found }))
        }
    }

    /// The error when the value here is not of type `expected` (or cannot be read).
    #[cold]
    fn not_a(&self, expected: ValueKind) -> JsonError {
        match self.expect_kind(expected) {
            Err(e) => e,
            Ok(()) => self.err(JsonErrorKind::Misuse(MISUSE_NO_VALUE)),
        }
    }

    /// The value at `..end` was read.
    #[inline]
    fn commit(&mut self, end: usize) {
        self.pos = end;
        self.expect_value = false;
    }

    /// The type of the value at the current position, without reading it (a
    /// [`JsonErrorKind::Misuse`] if no value may be read here).
    pub(crate) fn peek_kind(&self) -> Result<ValueKind, JsonError> {
        self.start()
    }

    /// Reads a string; borrowed from the input unless it contains escapes.
    #[inline]
    pub(crate) fn str(&mut self) -> Result<Cow<'a, str>, JsonError> {
        if !(self.expect_value && self.peek() == Some(b'"')) {
            return Err(self.not_a(ValueKind::String));
        }
        if let Some((text, end)) = self.plain_str_at(self.pos) {
            self.commit(end);
            return Ok(Cow::Borrowed(text));
        }
        let (s, end) = self.string_at(self.pos)?;
        self.commit(end);
        Ok(s)
    }

    /// Reads a string as bytes. Without escapes they are the input's bytes,
    /// **not checked to be UTF-8** (by a lazy parser): only for values then
    /// accepted only if ASCII (base64, hex, a fixed name), so that input read
    /// to the end is still UTF-8. With escapes, as [`Parser::str`].
    #[inline]
    pub(crate) fn str_bytes(&mut self) -> Result<Cow<'a, [u8]>, JsonError> {
        if !(self.expect_value && self.peek() == Some(b'"')) {
            return Err(self.not_a(ValueKind::String));
        }
        let start = self.pos + 1;
        let stop = start + plain_len(self.input.get(start..).unwrap_or_default());
        if self.input.get(stop) == Some(&b'"') {
            self.commit(stop + 1);
            return Ok(Cow::Borrowed(
                self.input.get(start..stop).unwrap_or_default(),
            ));
        }
        let (s, end) = self.string_at(self.pos)?;
        self.commit(end);
        Ok(match s {
            Cow::Borrowed(text) => Cow::Borrowed(text.as_bytes()),
            Cow::Owned(text) => Cow::Owned(text.into_bytes()),
        })
    }

    /// Reads a non-negative integer (≤ 2^53−1).
    #[inline]
    pub(crate) fn u64(&mut self) -> Result<u64, JsonError> {
        self.expect_kind(ValueKind::Number)?;
        let (negative, magnitude, end) = self.number_at(self.pos)?;
        if negative {
            return Err(self.err(JsonErrorKind::NumberOutOfRange));
        }
        self.commit(end);
        Ok(magnitude)
    }

    /// Reads an integer (|v| ≤ 2^53−1).
    #[inline]
    pub(crate) fn i64(&mut self) -> Result<i64, JsonError> {
        self.expect_kind(ValueKind::Number)?;
        let (negative, magnitude, end) = self.number_at(self.pos)?;
        let v = i64::try_from(magnitude).map_err(|_| self.err(JsonErrorKind::NumberOutOfRange))?;
        self.commit(end);
        Ok(if negative { -v } else { v })
    }

    /// Reads `true` or `false`.
    pub(crate) fn bool(&mut self) -> Result<bool, JsonError> {
        self.expect_kind(ValueKind::Bool)?;
        let v = self.peek() == Some(b't');
        let end = self.literal_at(self.pos, if v { "true" } else { "false" })?;
        self.commit(end);
        Ok(v)
    }

    /// Reads `null`.
    pub(crate) fn null(&mut self) -> Result<(), JsonError> {
        self.expect_kind(ValueKind::Null)?;
        let end = self.literal_at(self.pos, "null")?;
        self.commit(end);
        Ok(())
    }

    /// Opens an object; read its members through the returned [`Object`].
    #[inline]
    pub(crate) fn object(&mut self) -> Result<Object<'_, 'a>, JsonError> {
        self.expect_kind(ValueKind::Object)?;
        let level = self.open()?;
        Ok(Object {
            parser: self,
            state: ObjState::new(level),
            pending: None,
        })
    }

    /// Opens an array; read its elements through the returned [`Array`].
    #[inline]
    pub(crate) fn array(&mut self) -> Result<Array<'_, 'a>, JsonError> {
        self.expect_kind(ValueKind::Array)?;
        let level = self.open()?;
        Ok(Array {
            parser: self,
            state: ArrState {
                level,
                count: 0,
                max_items: usize::MAX,
            },
        })
    }

    /// Validates and skips one value (of any type), returning its exact bytes.
    pub(crate) fn value_span(&mut self) -> Result<&'a [u8], JsonError> {
        let start = self.pos;
        self.skip_value()?;
        Ok(self.input.get(start..self.pos).unwrap_or_default())
    }

    /// If the input here starts with `value`, a complete canonical value the caller
    /// validated before, skips it and returns `true`; otherwise changes nothing.
    ///
    /// This is the memcmp fast path for sub-documents seen before: JSON values are
    /// self-delimiting (a number is checked not to continue), so a byte-equal prefix is
    /// that value. The depth limit is not re-applied to the skipped bytes.
    pub(crate) fn skip_if_equal(&mut self, value: &[u8]) -> bool {
        if !self.expect_value || value.is_empty() {
            return false;
        }
        let rest = self.input.get(self.pos..).unwrap_or_default();
        if !rest.starts_with(value) {
            return false;
        }
        // `1` is a prefix of `12` and `1.5`: a number must end where `value` ends.
        if value.last().is_some_and(u8::is_ascii_digit)
            && matches!(
                rest.get(value.len()),
                Some(b'0'..=b'9' | b'.' | b'e' | b'E')
            )
        {
            return false;
        }
        self.commit(self.pos + value.len());
        true
    }

    /// Ends parsing: the value was read completely and nothing follows it.
    pub(crate) fn finish(self) -> Result<(), JsonError> {
        if self.depth != 0 {
            return Err(self.err(JsonErrorKind::Misuse(MISUSE_NESTED)));
        }
        if self.expect_value {
            return Err(self.err(JsonErrorKind::Misuse(MISUSE_UNREAD)));
        }
        if self.pos < self.input.len() {
            return Err(self.err(JsonErrorKind::TrailingBytes));
        }
        Ok(())
    }

    // ---- tokens; `*_at` functions only look, the caller commits ----

    /// Fast path of [`Self::string_at`]: the string whose opening quote is at `at` if it
    /// has no escapes (and is well-formed), and the offset after its closing quote.
    #[inline(always)]
    fn plain_str_at(&self, at: usize) -> Option<(&'a str, usize)> {
        let start = at + 1;
        let stop = start + plain_len(self.input.get(start..).unwrap_or_default());
        if self.input.get(stop) != Some(&b'"') {
            return None;
        }
        Some((self.text(start, stop)?, stop + 1))
    }

    /// The string whose opening quote is at `at`, and the offset after its closing quote.
    #[cold]
    fn string_at(&self, at: usize) -> Result<(Cow<'a, str>, usize), JsonError> {
        let start = at + 1;
        let stop = start + plain_len(self.input.get(start..).unwrap_or_default());
        let text = self.slice(start, stop)?;
        match self.input.get(stop) {
            Some(b'"') => Ok((Cow::Borrowed(text), stop + 1)),
            Some(b'\\') => self.escaped_string_at(text, stop),
            _ => Err(self.bad_byte(stop, "an escaped control character")),
        }
    }

    /// The input between two offsets next to ASCII bytes (or the ends), which are
    /// therefore character boundaries of the validated text.
    #[inline]
    fn slice(&self, start: usize, end: usize) -> Result<&'a str, JsonError> {
        self.text(start, end)
            .ok_or_else(|| JsonError::new(start, JsonErrorKind::InvalidUtf8))
    }

    /// Slow path of [`Self::string_at`]: `head` was read and an escape starts at `at`.
    #[cold]
    fn escaped_string_at(
        &self,
        head: &str,
        mut at: usize,
    ) -> Result<(Cow<'a, str>, usize), JsonError> {
        let mut s = String::with_capacity(head.len() + 16);
        s.push_str(head);
        loop {
            let (c, len) = self.escape_at(at)?;
            s.push(c);
            at += len;
            let stop = at + plain_len(self.input.get(at..).unwrap_or_default());
            s.push_str(self.slice(at, stop)?);
            at = stop;
            match self.input.get(at) {
                Some(b'"') => return Ok((Cow::Owned(s), at + 1)),
                Some(b'\\') => {}
                _ => return Err(self.bad_byte(at, "an escaped control character")),
            }
        }
    }

    /// The escape whose backslash is at `at`: its character and length. Only the escapes
    /// JCS writes are accepted: the short forms and `\u00xx` (lower-case) for the other
    /// controls.
    fn escape_at(&self, at: usize) -> Result<(char, usize), JsonError> {
        let not_canonical = JsonError::new(at, JsonErrorKind::NotCanonical(NonCanonical::Escape));
        let c = match self.input.get(at + 1) {
            Some(b'"') => '"',
            Some(b'\\') => '\\',
            Some(b'b') => '\u{8}',
            Some(b't') => '\t',
            Some(b'n') => '\n',
            Some(b'f') => '\u{c}',
            Some(b'r') => '\r',
            Some(b'/') => return Err(not_canonical),
            Some(b'u') => {
                let mut v: u32 = 0;
                let mut upper = false;
                for off in at + 2..at + 6 {
                    let digit = match self.input.get(off) {
                        Some(&d @ b'0'..=b'9') => d - b'0',
                        Some(&d @ b'a'..=b'f') => d - b'a' + 10,
                        Some(&d @ b'A'..=b'F') => {
                            upper = true;
                            d - b'A' + 10
                        }
                        _ => return Err(self.bad_byte(off, "a hex digit")),
                    };
                    v = v * 16 + u32::from(digit);
                }
                let has_short_form = matches!(v, 0x08 | 0x09 | 0x0A | 0x0C | 0x0D);
                return match char::from_u32(v) {
                    Some(c) if v < 0x20 && !upper && !has_short_form => Ok((c, 6)),
                    _ => Err(not_canonical),
                };
            }
            _ => return Err(self.bad_byte(at + 1, "an escape character")),
        };
        Ok((c, 2))
    }

    /// The integer at `at`: (negative, magnitude, end). Canonical form only.
    #[inline]
    fn number_at(&self, at: usize) -> Result<(bool, u64, usize), JsonError> {
        let rest = self.input.get(at..).unwrap_or_default();
        let (negative, digits) = match rest.split_first() {
            Some((b'-', digits)) => (true, digits),
            _ => (false, rest),
        };
        let digits_at = at + usize::from(negative);
        let n = digits.iter().take_while(|b| b.is_ascii_digit()).count();
        if n == 0 {
            return Err(self.bad_byte(digits_at, "a digit"));
        }
        let error = |kind| Err(JsonError::new(at, kind));
        if matches!(digits.get(n), Some(b'.' | b'e' | b'E')) {
            return error(JsonErrorKind::NumberNotInteger);
        }
        if digits.first() == Some(&b'0') && (n > 1 || negative) {
            return error(JsonErrorKind::NotCanonical(NonCanonical::NumberForm));
        }
        // 2^53−1 has 16 digits; more cannot be in range (and could overflow).
        if n > 16 {
            return error(JsonErrorKind::NumberOutOfRange);
        }
        let magnitude = digits
            .iter()
            .take(n)
            .fold(0u64, |acc, d| acc * 10 + u64::from(d - b'0'));
        if magnitude > MAX_SAFE_INTEGER {
            return error(JsonErrorKind::NumberOutOfRange);
        }
        Ok((negative, magnitude, digits_at + n))
    }

    /// The literal `word` at `at`; returns the offset after it.
    fn literal_at(&self, at: usize, word: &'static str) -> Result<usize, JsonError> {
        let rest = self.input.get(at..).unwrap_or_default();
        match word.bytes().zip(rest).position(|(w, r)| w != *r) {
            Some(i) => Err(self.bad_byte(at + i, word)),
            None if rest.len() < word.len() => Err(self.bad_byte(self.input.len(), word)),
            None => Ok(at + word.len()),
        }
    }

    // ---- containers ----

    /// Consumes `{` or `[` (already checked) and enters a level.
    fn open(&mut self) -> Result<Level, JsonError> {
        if self.depth >= self.max_depth {
            return Err(self.err(JsonErrorKind::TooDeep {
                max: self.max_depth,
            }));
        }
        self.depth += 1;
        self.commit(self.pos + 1);
        Ok(Level::new(self.depth))
    }

    /// Before moving on in a container: the previous value was read completely.
    #[inline]
    fn check_turn(&self, level: &Level) -> Result<(), JsonError> {
        if self.expect_value {
            return Err(self.err(JsonErrorKind::Misuse(MISUSE_UNREAD)));
        }
        if self.depth != level.depth {
            return Err(self.err(JsonErrorKind::Misuse(MISUSE_NESTED)));
        }
        Ok(())
    }

    /// Consumes the closing bracket at the current position.
    fn close(&mut self, level: &mut Level) {
        level.done = true;
        level.closed_at = self.pos;
        self.depth -= 1;
        self.pos += 1;
    }

    /// Reads the next member name of an object (checking order and duplicates) and its
    /// colon, leaving the parser at the value. Returns the name's offset, or `None` once
    /// the object is closed.
    #[inline]
    fn next_member(&mut self, st: &mut ObjState<'a>) -> Result<Option<usize>, JsonError> {
        if st.level.done {
            return Ok(None);
        }
        self.check_turn(&st.level)?;
        let key_at = match (self.peek(), st.level.first) {
            (Some(b'}'), _) => {
                self.close(&mut st.level);
                return Ok(None);
            }
            (Some(b'"'), true) => self.pos,
            (Some(b','), false) => self.pos + 1,
            (_, true) => return Err(self.unexpected(self.pos, "'\"' or '}'")),
            (_, false) => return Err(self.unexpected(self.pos, "',' or '}'")),
        };
        if self.input.get(key_at) != Some(&b'"') {
            return Err(self.unexpected(key_at, "'\"'"));
        }
        let (key, end) = match self.plain_str_at(key_at) {
            Some((key, end)) => (Cow::Borrowed(key), end),
            None => self.string_at(key_at)?,
        };
        if let Some(prev) = &st.prev {
            match cmp_utf16(prev, &key) {
                Ordering::Less => {}
                Ordering::Equal => {
                    let key = clip(&key);
                    return Err(JsonError::new(key_at, JsonErrorKind::DuplicateKey { key }));
                }
                Ordering::Greater => {
                    let kind = JsonErrorKind::NotCanonical(NonCanonical::KeyOrder);
                    return Err(JsonError::new(key_at, kind));
                }
            }
        }
        if self.input.get(end) != Some(&b':') {
            return Err(self.unexpected(end, "':'"));
        }
        st.level.first = false;
        st.prev = Some(key);
        self.pos = end + 1;
        self.expect_value = true;
        Ok(Some(key_at))
    }

    /// Fast path of [`Self::next_member`] for a decoder asking for `name`: if the next
    /// member is exactly `"name":` (no escapes), checks its order, consumes it and returns
    /// `true`. Otherwise changes nothing and returns `false`: the general path then
    /// reads whatever is there, and reports any error.
    #[inline]
    fn named_member(&mut self, st: &mut ObjState<'a>, name: &'static str) -> bool {
        if st.level.done || self.expect_value || self.depth != st.level.depth {
            return false;
        }
        let rest = self.input.get(self.pos..).unwrap_or_default();
        let (lead, rest) = match (st.level.first, rest) {
            (true, [b'"', rest @ ..]) => (1, rest),
            (false, [b',', b'"', rest @ ..]) => (2, rest),
            _ => return false,
        };
        let n = name.len();
        if !(starts_with_plain(rest, name.as_bytes())
            && rest.get(n) == Some(&b'"')
            && rest.get(n + 1) == Some(&b':'))
        {
            return false;
        }
        if let Some(prev) = &st.prev
            && cmp_utf16(prev, name) != Ordering::Less
        {
            return false;
        }
        st.level.first = false;
        st.prev = Some(Cow::Borrowed(name));
        self.pos += lead + name.len() + 2;
        self.expect_value = true;
        true
    }

    /// Moves to the next element of an array; `false` once the array is closed.
    #[inline]
    fn next_element(&mut self, st: &mut ArrState) -> Result<bool, JsonError> {
        if st.level.done {
            return Ok(false);
        }
        self.check_turn(&st.level)?;
        let at = match (self.peek(), st.level.first) {
            (Some(b']'), _) => {
                self.close(&mut st.level);
                return Ok(false);
            }
            (Some(b','), false) => self.pos + 1,
            (Some(_), true) => self.pos,
            (_, true) => return Err(self.unexpected(self.pos, "a JSON value or ']'")),
            (_, false) => return Err(self.unexpected(self.pos, "',' or ']'")),
        };
        if st.count >= st.max_items {
            let max = st.max_items;
            return Err(JsonError::new(at, JsonErrorKind::TooManyItems { max }));
        }
        st.count += 1;
        st.level.first = false;
        self.pos = at;
        self.expect_value = true;
        Ok(true)
    }

    // ---- generic walkers: an explicit stack, so deep input cannot overflow ours ----

    /// Opens the object or array at the current position as a walker frame.
    fn open_frame(&mut self, kind: ValueKind) -> Result<Frame<'a>, JsonError> {
        let level = self.open()?;
        Ok(if kind == ValueKind::Object {
            Frame::Object(ObjState::new(level), Map::new())
        } else {
            let state = ArrState {
                level,
                count: 0,
                max_items: usize::MAX,
            };
            Frame::Array(state, Vec::new())
        })
    }

    /// Reads a scalar into a `Value` (`Ok`), or opens a container (`Err`).
    fn generic_item(&mut self) -> Result<Result<Value, Frame<'a>>, JsonError> {
        Ok(Ok(match self.start()? {
            kind @ (ValueKind::Object | ValueKind::Array) => {
                return Ok(Err(self.open_frame(kind)?));
            }
            ValueKind::String => Value::String(self.str()?.into_owned()),
            ValueKind::Number => Value::from(self.i64()?),
            ValueKind::Bool => Value::Bool(self.bool()?),
            ValueKind::Null => {
                self.null()?;
                Value::Null
            }
        }))
    }

    /// Skips a scalar, or opens a container.
    fn skip_item(&mut self) -> Result<Option<Frame<'a>>, JsonError> {
        let end = match self.start()? {
            kind @ (ValueKind::Object | ValueKind::Array) => {
                return self.open_frame(kind).map(Some);
            }
            ValueKind::String => match self.plain_str_at(self.pos) {
                Some((_, end)) => end,
                None => self.string_at(self.pos)?.1,
            },
            ValueKind::Number => self.number_at(self.pos)?.2,
            ValueKind::Bool if self.peek() == Some(b't') => self.literal_at(self.pos, "true")?,
            ValueKind::Bool => self.literal_at(self.pos, "false")?,
            ValueKind::Null => self.literal_at(self.pos, "null")?,
        };
        self.commit(end);
        Ok(None)
    }

    /// Advances `frame` to its next member or element (`true`), or closes it (`false`).
    fn frame_next(&mut self, frame: &mut Frame<'a>) -> Result<bool, JsonError> {
        match frame {
            Frame::Object(st, _) => Ok(self.next_member(st)?.is_some()),
            Frame::Array(st, _) => self.next_element(st),
        }
    }

    /// Runs `walk`; on failure restores the position, so the value counts as unread.
    fn restoring<T>(
        &mut self,
        walk: fn(&mut Self) -> Result<T, JsonError>,
    ) -> Result<T, JsonError> {
        let saved = (self.pos, self.depth);
        let result = walk(self);
        if result.is_err() {
            (self.pos, self.depth) = saved;
            self.expect_value = true;
        }
        result
    }

    fn skip_value(&mut self) -> Result<(), JsonError> {
        self.restoring(|p| {
            let Some(mut current) = p.skip_item()? else {
                return Ok(());
            };
            let mut parents = Vec::new();
            loop {
                if p.frame_next(&mut current)? {
                    if let Some(child) = p.skip_item()? {
                        parents.push(std::mem::replace(&mut current, child));
                    }
                } else if let Some(parent) = parents.pop() {
                    current = parent;
                } else {
                    return Ok(());
                }
            }
        })
    }

    fn read_value(&mut self) -> Result<Value, JsonError> {
        self.restoring(|p| {
            let mut current = match p.generic_item()? {
                Ok(scalar) => return Ok(scalar),
                Err(frame) => frame,
            };
            let mut parents = Vec::new();
            loop {
                if p.frame_next(&mut current)? {
                    match p.generic_item()? {
                        Ok(scalar) => current.push(scalar),
                        Err(child) => parents.push(std::mem::replace(&mut current, child)),
                    }
                } else {
                    let done = current.into_value();
                    match parents.pop() {
                        Some(mut parent) => {
                            parent.push(done);
                            current = parent;
                        }
                        None => return Ok(done),
                    }
                }
            }
        })
    }
}

/// An open container met by a generic walker, with what was read of it so far (the
/// skipping walker leaves that empty).
enum Frame<'a> {
    Object(ObjState<'a>, Map<String, Value>),
    Array(ArrState, Vec<Value>),
}

impl Frame<'_> {
    /// Adds a child value: the next element, or the value of the member just named.
    fn push(&mut self, v: Value) {
        match self {
            Frame::Object(st, members) => {
                let name = st.prev.as_deref().unwrap_or_default().to_owned();
                members.insert(name, v);
            }
            Frame::Array(_, items) => items.push(v),
        }
    }

    fn into_value(self) -> Value {
        match self {
            Frame::Object(_, members) => Value::Object(members),
            Frame::Array(_, items) => Value::Array(items),
        }
    }
}

/// Reads any value into a `serde_json::Value` (for tests and loose data). Numbers become
/// integers; member order is checked as everywhere else.
///
/// `serde_json::Value` drops recursively: keep `max_depth` modest when using this.
pub(crate) fn read_value(p: &mut Parser<'_>) -> Result<Value, JsonError> {
    p.read_value()
}

/// The error [`Parser::new`] reports for `input` that is not UTF-8.
pub(crate) fn utf8_error(input: &[u8]) -> Option<JsonError> {
    std::str::from_utf8(input)
        .err()
        .map(|e| JsonError::new(e.valid_up_to(), JsonErrorKind::InvalidUtf8))
}

/// Whether `bytes` is exactly one canonical JSON value (used by debug checks).
pub(super) fn is_canonical_value(bytes: &[u8]) -> bool {
    Parser::new(bytes, usize::MAX, usize::MAX)
        .and_then(|mut p| {
            p.skip_value()?;
            p.finish()
        })
        .is_ok()
}

/// Members of one object, read in document (= canonical) order.
///
/// A typed decoder asks for the fields it knows in canonical order with [`Object::field`]
/// (required) and [`Object::optional`], reads each value from the returned parser, and
/// calls [`Object::end`]. Any member it did not ask for is an
/// [`JsonErrorKind::UnknownField`]. Maps iterate with [`Object::next_key`] instead. Member
/// order and duplicates are checked here whatever the caller does.
#[derive(Debug)]
pub(crate) struct Object<'p, 'a> {
    parser: &'p mut Parser<'a>,
    state: ObjState<'a>,
    /// Offset of a member name read ahead (held in `state.prev`) and not yet claimed.
    pending: Option<usize>,
}

impl<'a> Object<'_, 'a> {
    /// The next unclaimed member name's offset, reading one if needed.
    #[inline]
    fn peek_key(&mut self) -> Result<Option<usize>, JsonError> {
        if self.pending.is_none() {
            self.pending = self.parser.next_member(&mut self.state)?;
        }
        Ok(self.pending)
    }

    fn pending_name(&self) -> &str {
        self.state.prev.as_deref().unwrap_or_default()
    }

    /// Where a missing field would have been: the next member name, or the closing brace.
    fn missing(&self, at: Option<usize>, field: &'static str) -> JsonError {
        let at = at.unwrap_or(self.state.level.closed_at);
        JsonError::new(at, JsonErrorKind::MissingField { field })
    }

    /// Claims the next member if it is `name`: `Ok(None)`; if it comes later, or the
    /// object has ended: `Ok(Some(offset))`. The general path behind the fast
    /// [`Parser::named_member`], kept out of line so that `field` stays small.
    #[inline(never)]
    fn claim(&mut self, name: &'static str) -> Result<Option<Option<usize>>, JsonError> {
        let Some(at) = self.peek_key()? else {
            return Ok(Some(None));
        };
        let key = self.pending_name();
        if key == name {
            self.pending = None;
            return Ok(None);
        }
        if cmp_utf16(key, name) == Ordering::Less {
            let field = clip(key);
            return Err(JsonError::new(at, JsonErrorKind::UnknownField { field }));
        }
        Ok(Some(Some(at)))
    }

    /// The next member name, or `None` at the end; read its value from [`Object::parser`].
    pub(crate) fn next_key(&mut self) -> Result<Option<Cow<'a, str>>, JsonError> {
        if self.peek_key()?.is_none() {
            return Ok(None);
        }
        self.pending = None;
        Ok(self.state.prev.clone())
    }

    /// The parser, positioned at the value of the member just handed out.
    pub(crate) fn parser(&mut self) -> &mut Parser<'a> {
        self.parser
    }

    /// The required member `name`: the parser at its value. A smaller name comes first →
    /// [`JsonErrorKind::UnknownField`]; a larger one or the end →
    /// [`JsonErrorKind::MissingField`].
    #[inline]
    pub(crate) fn field(&mut self, name: &'static str) -> Result<&mut Parser<'a>, JsonError> {
        if self.pending.is_none() && self.parser.named_member(&mut self.state, name) {
            return Ok(self.parser);
        }
        match self.claim(name)? {
            None => Ok(self.parser),
            Some(at) => Err(self.missing(at, name)),
        }
    }

    /// The optional member `name`: `Some(parser)` at its value if it is next, `None` if a
    /// larger name comes next (kept for the next call) or the object ended. A smaller name
    /// → [`JsonErrorKind::UnknownField`].
    #[inline]
    pub(crate) fn optional(
        &mut self,
        name: &'static str,
    ) -> Result<Option<&mut Parser<'a>>, JsonError> {
        if self.pending.is_none() && self.parser.named_member(&mut self.state, name) {
            return Ok(Some(self.parser));
        }
        match self.claim(name)? {
            None => Ok(Some(self.parser)),
            Some(_) => Ok(None),
        }
    }

    /// Ends the object; a member not asked for → [`JsonErrorKind::UnknownField`].
    #[inline]
    pub(crate) fn end(mut self) -> Result<(), JsonError> {
        match self.peek_key()? {
            None => Ok(()),
            Some(at) => {
                let field = clip(self.pending_name());
                Err(JsonError::new(at, JsonErrorKind::UnknownField { field }))
            }
        }
    }
}

/// Elements of one array, in order.
#[derive(Debug)]
pub(crate) struct Array<'p, 'a> {
    parser: &'p mut Parser<'a>,
    state: ArrState,
}

impl<'a> Array<'_, 'a> {
    /// The parser at the next element (read exactly one value from it), or `None` at the
    /// end of the array.
    #[inline]
    pub(crate) fn next(&mut self) -> Result<Option<&mut Parser<'a>>, JsonError> {
        if self.parser.next_element(&mut self.state)? {
            Ok(Some(self.parser))
        } else {
            Ok(None)
        }
    }

    /// Limits the number of elements: one more is [`JsonErrorKind::TooManyItems`].
    pub(crate) fn with_max_items(mut self, max: usize) -> Self {
        self.state.max_items = max;
        self
    }

    /// Ends the array; an element not read is [`JsonErrorKind::TooManyItems`] (the decoder
    /// allows only those it read).
    #[inline]
    pub(crate) fn end(mut self) -> Result<(), JsonError> {
        let read = self.state.count;
        self.state.max_items = read;
        self.parser.next_element(&mut self.state).map(|_| ())
    }
}
