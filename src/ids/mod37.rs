//! ISO/IEC 7064 MOD 37,36, the check character of a license identifier
//! (电子证照标识校验位, GB/T 36904-2018), and the mistaken variants seen in the wild.
//!
//! MOD 37,36 is a hybrid system: it detects every single substitution, but
//! not every adjacent transposition. Swapping two adjacent characters of
//! values `x` and `x + 1 (mod 36)` goes undetected when the running value `p`
//! before them satisfies `p + x ≡ 18 (mod 36)` (one such pair per value of `p`,
//! checked exhaustively in the tests below).

use super::{IdError, IdKind};

/// The root of license identifiers without dots, as mixed into the check by
/// [`NonStandardVariant::RootInChecksum`](super::NonStandardVariant::RootInChecksum).
pub(super) const ROOT_DIGITS: &str = "12156300052";

/// Value of a character of `0-9A-Z` (0..=35).
fn value(b: u8) -> Option<u32> {
    match b {
        b'0'..=b'9' => Some(u32::from(b - b'0')),
        b'A'..=b'Z' => Some(u32::from(b - b'A') + 10),
        _ => None,
    }
}

/// The character of value `v` (taken mod 36) in `0-9A-Z`.
pub(super) fn char_of(v: u32) -> char {
    let v = (v % 36) as u8;
    char::from(if v < 10 { b'0' + v } else { b'A' + (v - 10) })
}

/// Whether `b` is in `0-9A-Z`.
pub(super) fn is_alnum_upper(b: u8) -> bool {
    value(b).is_some()
}

/// One step of MOD 37,36 computed arithmetically (builds [`STEPS`]).
const fn step_slow(p: u32, a: u32) -> u32 {
    let t = match (p + a) % 36 {
        0 => 36,
        t => t,
    };
    (2 * t) % 37
}

/// Every step precomputed: `STEPS[p][a]` for running values `p` 0..=36 and
/// character values `a` 0..=35 (a table lookup instead of two dependent
/// reductions per character).
#[expect(
    clippy::indexing_slicing,
    reason = "compile-time evaluation with indices bounded by the loops"
)]
const STEPS: [[u8; 36]; 37] = {
    let mut t = [[0u8; 36]; 37];
    let mut p = 0;
    while p < 37 {
        let mut a = 0;
        while a < 36 {
            t[p][a] = step_slow(p as u32, a as u32) as u8;
            a += 1;
        }
        p += 1;
    }
    t
};

/// One step of MOD 37,36.
fn step(p: u32, a: u32) -> u32 {
    STEPS
        .get(p as usize)
        .and_then(|row| row.get(a as usize))
        .map_or_else(|| step_slow(p, a), |&v| u32::from(v))
}

/// The check character of the concatenation of `pieces`, all already known to
/// be in `0-9A-Z` (other bytes would be skipped).
pub(super) fn check_of(pieces: &[&str]) -> char {
    let p = pieces
        .iter()
        .flat_map(|s| s.bytes())
        .filter_map(value)
        .fold(36, step);
    char_of(37 - p)
}

/// The check character computed by
/// [`NonStandardVariant::LetterValuesPlusOne`](super::NonStandardVariant::LetterValuesPlusOne).
pub(super) fn letter_values_plus_one_check(pieces: &[&str]) -> char {
    let p = pieces
        .iter()
        .flat_map(|s| s.bytes())
        .filter_map(|b| match b {
            b'0'..=b'9' => Some(u32::from(b - b'0')),
            b'A'..=b'Z' => Some(u32::from(b - b'A') + 11),
            _ => None,
        })
        .fold(36, |p, a| {
            let t = match (p + a) % 37 {
                0 => 36,
                t => t,
            };
            (2 * t) % 37
        });
    char_of(37 - p)
}

/// ISO/IEC 7064 MOD 37,36 check character of `data` (`0-9A-Z` only), as used by
/// the license identifier (电子证照标识, GB/T 36904-2018) over type code +
/// issuer + serial + version, without dots and without the root.
///
/// Values `0-9A-Z` → 0..=35; `p = 36`; for each value `a`: `t = (p + a) mod 36`,
/// `t == 0` → 36, `p = 2t mod 37`; check value `(37 − p) mod 36`.
///
/// # Errors
/// [`IdError::LowerCase`] or [`IdError::InvalidChar`] (kind
/// [`IdKind::LicenseId`]) for a character outside `0-9A-Z`.
pub fn mod37_36_check(data: &str) -> Result<char, IdError> {
    super::check_chars(IdKind::LicenseId, data, 0, |_, b| is_alnum_upper(b))?;
    Ok(check_of(&[data]))
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]
pub(super) mod tests {
    use super::*;
    use proptest::prelude::*;

    pub(crate) const ALPHABET: &[u8; 36] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";

    #[test]
    fn known_values() {
        // Data parts of the DOMAIN.md §3 identifiers.
        assert_eq!(
            mod37_36_check("11100000000013338W00911330105002500287C2025052201002"),
            Ok('0')
        );
        assert_eq!(
            mod37_36_check("11100000MB03271699022340100000000016001"),
            Ok('9')
        );
        assert_eq!(mod37_36_check(""), Ok('1'));
    }

    #[test]
    fn rejects_bad_characters() {
        assert_eq!(
            mod37_36_check("12a"),
            Err(IdError::LowerCase {
                kind: IdKind::LicenseId,
                position: 2,
                found: 'a'
            })
        );
        assert_eq!(
            mod37_36_check("1-2"),
            Err(IdError::InvalidChar {
                kind: IdKind::LicenseId,
                position: 1,
                found: '-'
            })
        );
    }

    #[test]
    fn char_of_covers_alphabet() {
        for (v, c) in ALPHABET.iter().enumerate() {
            assert_eq!(char_of(v as u32), char::from(*c));
            assert_eq!(value(*c), Some(v as u32));
        }
    }

    /// Every step is a bijection of the running value, so one substitution
    /// anywhere always changes the check.
    #[test]
    fn steps_are_bijections() {
        for a in 0..36 {
            let mut seen = [false; 37];
            for p in 1..=36 {
                let q = step(p, a);
                assert!((1..=36).contains(&q));
                assert!(!seen[q as usize]);
                seen[q as usize] = true;
            }
        }
        // Different characters from the same state lead to different states.
        for p in 1..=36 {
            let mut seen = [false; 37];
            for a in 0..36 {
                let q = step(p, a);
                assert!(!seen[q as usize]);
                seen[q as usize] = true;
            }
        }
    }

    /// The exact set of adjacent transpositions MOD 37,36 misses.
    #[test]
    fn undetected_transpositions_are_exactly_the_documented_ones() {
        let mut missed = 0;
        for p in 1..=36u32 {
            for x in 0..36u32 {
                for y in 0..36u32 {
                    if x == y {
                        continue;
                    }
                    let same = step(step(p, x), y) == step(step(p, y), x);
                    assert_eq!(same, transposition_undetected(p, x, y), "{p} {x} {y}");
                    missed += usize::from(same);
                }
            }
        }
        // One unordered pair per state, counted in both orders.
        assert_eq!(missed, 72);
    }

    /// The documented blind spot: values `x`, `x+1 (mod 36)` after `p` with
    /// `p + x ≡ 18 (mod 36)`, in either order.
    pub(crate) fn transposition_undetected(p: u32, x: u32, y: u32) -> bool {
        let blind = |lo: u32, hi: u32| hi == (lo + 1) % 36 && (p + lo) % 36 == 18;
        blind(x, y) || blind(y, x)
    }

    /// Value of a character of `0-9A-Z`.
    pub(crate) fn value_of(b: u8) -> u32 {
        value(b).unwrap()
    }

    /// [`NonStandardVariant::LetterValuesPlusOne`] written out independently,
    /// straight from its documentation.
    fn reference_letter_values_plus_one(data: &str) -> char {
        let digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
        let mut p = 36i64;
        for c in data.chars() {
            let index = digits.find(c).unwrap() as i64;
            let a = if c.is_ascii_uppercase() {
                index + 1
            } else {
                index
            };
            let mut t = (p + a).rem_euclid(37);
            if t == 0 {
                t = 36;
            }
            p = (2 * t).rem_euclid(37);
        }
        let check = (37 - p).rem_euclid(36) as usize;
        digits.chars().nth(check).unwrap()
    }

    /// The running value after `prefix`.
    pub(crate) fn state_after(prefix: &[u8]) -> u32 {
        prefix.iter().filter_map(|b| value(*b)).fold(36, step)
    }

    #[test]
    fn letter_values_plus_one_examples() {
        // Digits only: the values agree, only the modulus differs.
        assert_eq!(
            letter_values_plus_one_check(&["0"]),
            reference_letter_values_plus_one("0")
        );
        for data in [
            "A",
            "Z",
            "AZ",
            "11100000000013338W00911330105002500287C2025052201002",
        ] {
            assert_eq!(
                letter_values_plus_one_check(&[data]),
                reference_letter_values_plus_one(data),
                "{data}"
            );
        }
    }

    proptest! {
        #[test]
        fn letter_values_plus_one_matches_reference(data in "[0-9A-Z]{0,80}") {
            prop_assert_eq!(
                letter_values_plus_one_check(&[data.as_str()]),
                reference_letter_values_plus_one(&data)
            );
        }

        #[test]
        fn pieces_are_concatenated(a in "[0-9A-Z]{0,20}", b in "[0-9A-Z]{0,20}") {
            prop_assert_eq!(Ok(check_of(&[a.as_str(), b.as_str()])), mod37_36_check(&format!("{a}{b}")));
        }

        #[test]
        fn single_substitution_changes_check(
            data in "[0-9A-Z]{1,80}",
            pos in any::<prop::sample::Index>(),
            repl in 0usize..36,
        ) {
            let mut bytes = data.clone().into_bytes();
            let i = pos.index(bytes.len());
            let new = ALPHABET[repl];
            prop_assume!(bytes[i] != new);
            bytes[i] = new;
            let changed = String::from_utf8(bytes).unwrap();
            prop_assert_ne!(mod37_36_check(&data), mod37_36_check(&changed));
        }

        #[test]
        fn adjacent_transposition_detected_outside_blind_spot(
            data in "[0-9A-Z]{2,80}",
            pos in any::<prop::sample::Index>(),
        ) {
            let mut bytes = data.clone().into_bytes();
            let i = pos.index(bytes.len() - 1);
            prop_assume!(bytes[i] != bytes[i + 1]);
            let p = state_after(&bytes[..i]);
            let (x, y) = (value(bytes[i]).unwrap(), value(bytes[i + 1]).unwrap());
            bytes.swap(i, i + 1);
            let swapped = String::from_utf8(bytes).unwrap();
            let detected = mod37_36_check(&data) != mod37_36_check(&swapped);
            prop_assert_eq!(detected, !transposition_undetected(p, x, y));
        }
    }
}
