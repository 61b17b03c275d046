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
/// [`split_plain`] uses.
#[inline]
fn special_mask(w: u64) -> u64 {
    let quote = w ^ (LO * u64::from(b'"'));
    let backslash = w ^ (LO * u64::from(b'\\'));
    let has_quote = quote.wrapping_sub(LO) & !quote;
    let has_backslash = backslash.wrapping_sub(LO) & !backslash;
    let has_control = w.wrapping_sub(LO * 0x20) & !w;
    (has_quote | has_backslash | has_control) & HI
}

/// Splits `bytes` before its first special byte: `(plain, rest)` where `rest` is empty or
/// starts with `"`, `\` or a control character. Word-at-a-time: this is the hot loop of
/// both string reading and string writing.
#[inline]
pub(super) fn split_plain(bytes: &[u8]) -> (&[u8], &[u8]) {
    let (words, tail) = bytes.as_chunks::<8>();
    let mut at = bytes.len();
    let mut found = false;
    for (i, word) in words.iter().enumerate() {
        let mask = special_mask(u64::from_le_bytes(*word));
        if mask != 0 {
            at = i * 8 + (mask.trailing_zeros() / 8) as usize;
            found = true;
            break;
        }
    }
    if !found && let Some(j) = tail.iter().position(|&b| is_special(b)) {
        at = words.len() * 8 + j;
    }
    bytes.split_at_checked(at).unwrap_or((bytes, &[]))
}

/// Compares two strings by their UTF-16 code units, the member order of RFC 8785.
///
/// UTF-8 byte order is code-point order, which equals UTF-16 order except that a
/// supplementary-plane character (4 UTF-8 bytes, a surrogate pair in UTF-16: 0xD800..)
/// sorts *before* U+E000..U+FFFF (lead bytes 0xEE, 0xEF) in UTF-16. At the first differing
/// byte both strings are at the same position inside a character, so only a differing
/// lead byte pair {0xF0..=0xF4, 0xEE..=0xEF} needs the correction.
pub(crate) fn cmp_utf16(a: &str, b: &str) -> Ordering {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let Some(i) = first_difference(a, b) else {
        return a.len().cmp(&b.len());
    };
    let (Some(&x), Some(&y)) = (a.get(i), b.get(i)) else {
        return a.len().cmp(&b.len());
    };
    let supplementary = |c: u8| c >= 0xF0;
    let high_bmp = |c: u8| c == 0xEE || c == 0xEF;
    if supplementary(x) && high_bmp(y) {
        Ordering::Less
    } else if high_bmp(x) && supplementary(y) {
        Ordering::Greater
    } else {
        x.cmp(&y)
    }
}

/// Index of the first differing byte within the common length, a word at a time.
#[inline]
fn first_difference(a: &[u8], b: &[u8]) -> Option<usize> {
    let (aw, _) = a.as_chunks::<8>();
    let (bw, _) = b.as_chunks::<8>();
    for (i, (x, y)) in aw.iter().zip(bw).enumerate() {
        let diff = u64::from_le_bytes(*x) ^ u64::from_le_bytes(*y);
        if diff != 0 {
            return Some(i * 8 + (diff.trailing_zeros() / 8) as usize);
        }
    }
    let done = aw.len().min(bw.len()) * 8;
    let (a, b) = (a.get(done..)?, b.get(done..)?);
    a.iter().zip(b).position(|(x, y)| x != y).map(|j| done + j)
}

/// `a == b` for short slices, without a call to `memcmp`.
#[inline]
pub(super) fn bytes_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && first_difference(a, b).is_none()
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
        fn split_plain_on_text(s in "[a-z\"\\\\\u{0}-\u{1f}\u{7f}\u{80}-\u{ff}中文]{0,40}") {
            let bytes = s.as_bytes();
            prop_assert_eq!(split_plain(bytes).0.len(), oracle_split(bytes));
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
