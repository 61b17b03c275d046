//! Byte-level helpers shared by the reader and the writer: the string-body scan and the
//! UTF-16 order of member names.

use std::cmp::Ordering;

const LO: u64 = 0x0101_0101_0101_0101;
const HI: u64 = 0x8080_8080_8080_8080;

/// Bytes that end a run of characters copied verbatim inside a string: `"`, `\` and the
/// C0 controls. Everything else (0x7F, U+2028, all non-ASCII) is written raw by JCS.
#[inline]
fn is_special(b: u8) -> bool {
    b < 0x20 || b == b'"' || b == b'\\'
}

/// Non-zero iff some byte of `w` is special. The lowest flagged byte is exact (the classic
/// has-zero-byte trick only produces false positives above a true one), which is all
/// [`plain_len`] uses.
#[inline]
fn special_mask(w: u64) -> u64 {
    let quote = w ^ (LO * u64::from(b'"'));
    let backslash = w ^ (LO * u64::from(b'\\'));
    let has_quote = quote.wrapping_sub(LO) & !quote;
    let has_backslash = backslash.wrapping_sub(LO) & !backslash;
    let has_control = w.wrapping_sub(LO * 0x20) & !w;
    (has_quote | has_backslash | has_control) & HI
}

/// Length of the run of `bytes` before its first special byte (`"`, `\` or a control
/// character), or `bytes.len()`. Word-at-a-time: this is the hot loop of both string
/// reading and string writing.
#[inline]
pub(super) fn plain_len(bytes: &[u8]) -> usize {
    let (words, tail) = bytes.as_chunks::<8>();
    for (i, word) in words.iter().enumerate() {
        let mask = special_mask(u64::from_le_bytes(*word));
        if mask != 0 {
            return i * 8 + (mask.trailing_zeros() / 8) as usize;
        }
    }
    words.len() * 8
        + tail
            .iter()
            .position(|&b| is_special(b))
            .unwrap_or(tail.len())
}

/// Splits `bytes` before its first special byte: `(plain, rest)` where `rest` is empty or
/// starts with `"`, `\` or a control character.
#[inline]
pub(super) fn split_plain(bytes: &[u8]) -> (&[u8], &[u8]) {
    bytes
        .split_at_checked(plain_len(bytes))
        .unwrap_or((bytes, &[]))
}

/// Whether `input` starts with `name` and `name` holds no special byte (so that, between
/// quotes, it is a complete JSON string written without escapes).
#[inline]
pub(super) fn starts_with_plain(input: &[u8], name: &[u8]) -> bool {
    let Some(head) = input.get(..name.len()) else {
        return false;
    };
    let plain_equal = |x: &[u8; 8], y: &[u8; 8]| {
        let x = u64::from_le_bytes(*x);
        x == u64::from_le_bytes(*y) && special_mask(x) == 0
    };
    match (name.last_chunk::<8>(), head.last_chunk::<8>()) {
        // Whole words, then the last 8 bytes (overlapping the previous word).
        (Some(name_last), Some(head_last)) => {
            let (name_words, _) = name.as_chunks::<8>();
            let (head_words, _) = head.as_chunks::<8>();
            name_words
                .iter()
                .zip(head_words)
                .all(|(x, y)| plain_equal(x, y))
                && plain_equal(name_last, head_last)
        }
        _ => name
            .iter()
            .zip(head)
            .all(|(&x, &y)| x == y && !is_special(x)),
    }
}

/// Compares two strings by their UTF-16 code units, the member order of RFC 8785.
///
/// UTF-8 byte order is code-point order, which equals UTF-16 order except that a
/// supplementary-plane character (4 UTF-8 bytes, a surrogate pair in UTF-16: 0xD800..)
/// sorts *before* U+E000..U+FFFF (lead bytes 0xEE, 0xEF) in UTF-16. At the first differing
/// byte both strings are at the same position inside a character, so only a differing
/// lead byte pair {0xF0..=0xF4, 0xEE..=0xEF} needs the correction.
#[inline]
pub(crate) fn cmp_utf16(a: &str, b: &str) -> Ordering {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    // Most neighbouring names differ in their first byte.
    if let (Some(&x), Some(&y)) = (a.first(), b.first())
        && x != y
    {
        return utf16_byte_order(x, y).unwrap_or(x.cmp(&y));
    }
    match first_difference(a, b) {
        Some(i) => match (a.get(i), b.get(i)) {
            (Some(&x), Some(&y)) => utf16_byte_order(x, y).unwrap_or(x.cmp(&y)),
            _ => a.len().cmp(&b.len()),
        },
        None => a.len().cmp(&b.len()),
    }
}

/// Where the first differing bytes `x` and `y` order differently in UTF-16 than in UTF-8:
/// a supplementary-plane lead byte (a surrogate pair in UTF-16) against the lead byte of
/// U+E000..U+FFFF. `None` when byte order is right.
#[inline]
fn utf16_byte_order(x: u8, y: u8) -> Option<Ordering> {
    let supplementary = |c: u8| c >= 0xF0;
    let high_bmp = |c: u8| c == 0xEE || c == 0xEF;
    if supplementary(x) && high_bmp(y) {
        Some(Ordering::Less)
    } else if high_bmp(x) && supplementary(y) {
        Some(Ordering::Greater)
    } else {
        None
    }
}

/// Index of the first differing byte within the common length, a word at a time.
#[inline]
fn first_difference(a: &[u8], b: &[u8]) -> Option<usize> {
    let n = a.len().min(b.len());
    let (Some(a), Some(b)) = (a.get(..n), b.get(..n)) else {
        return None;
    };
    let diff_at = |at: usize, x: &[u8; 8], y: &[u8; 8]| {
        let diff = u64::from_le_bytes(*x) ^ u64::from_le_bytes(*y);
        (diff != 0).then(|| at + (diff.trailing_zeros() / 8) as usize)
    };
    match (a.last_chunk::<8>(), b.last_chunk::<8>()) {
        // Whole words, then the last 8 bytes (overlapping the previous word).
        (Some(a_last), Some(b_last)) => {
            let (a_words, _) = a.as_chunks::<8>();
            let (b_words, _) = b.as_chunks::<8>();
            a_words
                .iter()
                .zip(b_words)
                .enumerate()
                .find_map(|(i, (x, y))| diff_at(i * 8, x, y))
                .or_else(|| diff_at(n - 8, a_last, b_last))
        }
        _ => a.iter().zip(b).position(|(x, y)| x != y),
    }
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
    use proptest::prelude::*;

    fn oracle_split(bytes: &[u8]) -> usize {
        bytes
            .iter()
            .position(|&b| is_special(b))
            .unwrap_or(bytes.len())
    }

    proptest! {
        #![proptest_config(super::super::tests::config(1024))]

        #[test]
        fn split_plain_matches_bytewise_scan(bytes in proptest::collection::vec(any::<u8>(), 0..40)) {
            let (plain, rest) = split_plain(&bytes);
            prop_assert_eq!(plain.len(), oracle_split(&bytes));
            prop_assert_eq!(plain.len() + rest.len(), bytes.len());
        }

        #[test]
        fn starts_with_plain_matches_oracle(
            input in "[a-c\"\\\\\u{1}中]{0,30}",
            name in "[a-c\"\\\\\u{1}中]{0,20}",
        ) {
            let expected = input.starts_with(&name) && !name.bytes().any(is_special);
            prop_assert_eq!(starts_with_plain(input.as_bytes(), name.as_bytes()), expected);
            let longer = format!("{name}abcdefghijkl{name}");
            let expected = longer.starts_with(&name) && !name.bytes().any(is_special);
            prop_assert_eq!(starts_with_plain(longer.as_bytes(), name.as_bytes()), expected);
        }

        #[test]
        fn split_plain_on_text(s in "[a-z\"\\\\\u{0}-\u{1f}\u{7f}\u{80}-\u{ff}中文]{0,40}") {
            let bytes = s.as_bytes();
            prop_assert_eq!(split_plain(bytes).0.len(), oracle_split(bytes));
        }

        #[test]
        fn first_difference_matches_oracle(a in "[ab中]{0,24}", b in "[ab中]{0,24}") {
            let (a, b) = (a.as_bytes(), b.as_bytes());
            let expected = a.iter().zip(b).position(|(x, y)| x != y);
            prop_assert_eq!(first_difference(a, b), expected);
        }

        #[test]
        fn cmp_utf16_matches_oracle(a in super::super::tests::arb_string(6), b in super::super::tests::arb_string(6)) {
            prop_assert_eq!(cmp_utf16(&a, &b), a.encode_utf16().cmp(b.encode_utf16()));
            // Shared prefixes make the interesting comparisons likely.
            let pa = format!("k{a}");
            let pb = format!("k{b}");
            prop_assert_eq!(cmp_utf16(&pa, &pb), pa.encode_utf16().cmp(pb.encode_utf16()));
        }
    }

    #[test]
    fn utf16_order_differs_from_utf8_order() {
        let emoji = "\u{1F600}";
        let private_use = "\u{E000}";
        assert!(emoji.as_bytes() > private_use.as_bytes());
        assert_eq!(cmp_utf16(emoji, private_use), Ordering::Less);
        assert_eq!(cmp_utf16(private_use, emoji), Ordering::Greater);
        assert_eq!(cmp_utf16("\u{FFFF}", "\u{10000}"), Ordering::Greater);
        assert_eq!(cmp_utf16("\u{D7FF}", "\u{10000}"), Ordering::Less);
        assert_eq!(cmp_utf16("a", "ab"), Ordering::Less);
        assert_eq!(cmp_utf16("", ""), Ordering::Equal);
    }
}
