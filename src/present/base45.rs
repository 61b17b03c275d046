//! Base45 (RFC 9285): bytes as characters of the QR code alphanumeric set,
//! two bytes to three characters, so a QR code stores them in alphanumeric
//! mode at 8.25 bits a byte.

/// The alphabet, in value order.
pub(crate) const ALPHABET: &[u8; 45] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";

fn value(c: u8) -> Option<u16> {
    ALPHABET
        .iter()
        .position(|&a| a == c)
        .and_then(|p| u16::try_from(p).ok())
}

/// Encodes `bytes`.
pub(crate) fn encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(2) * 3);
    let ch = |v: u32| char::from(ALPHABET.get(v as usize).copied().unwrap_or(b'0'));
    for pair in bytes.chunks(2) {
        match *pair {
            [a, b] => {
                let n = u32::from(a) * 256 + u32::from(b);
                out.push(ch(n % 45));
                out.push(ch(n / 45 % 45));
                out.push(ch(n / 2025));
            }
            [a] => {
                let n = u32::from(a);
                out.push(ch(n % 45));
                out.push(ch(n / 45));
            }
            _ => {}
        }
    }
    out
}

/// Why a Base45 string is not one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Base45Error {
    /// A character outside the alphabet, at this position.
    Char(usize),
    /// The length leaves one character over.
    Length,
    /// A group's value exceeds what its bytes can hold, at this position.
    Overflow(usize),
}

/// Decodes `s`.
pub(crate) fn decode(s: &[u8]) -> Result<Vec<u8>, Base45Error> {
    if s.len() % 3 == 1 {
        return Err(Base45Error::Length);
    }
    let mut out = Vec::with_capacity(s.len() / 3 * 2 + 1);
    for (g, group) in s.chunks(3).enumerate() {
        let at = g * 3;
        let mut n: u32 = 0;
        let mut scale: u32 = 1;
        for (k, &c) in group.iter().enumerate() {
            let v = value(c).ok_or(Base45Error::Char(at + k))?;
            n += u32::from(v) * scale;
            scale *= 45;
        }
        if group.len() == 3 {
            let [hi, lo] = u16::try_from(n)
                .map_err(|_| Base45Error::Overflow(at))?
                .to_be_bytes();
            out.push(hi);
            out.push(lo);
        } else {
            out.push(u8::try_from(n).map_err(|_| Base45Error::Overflow(at))?);
        }
    }
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn rfc_9285_examples() {
        assert_eq!(encode(b"AB"), "BB8");
        assert_eq!(encode(b"Hello!!"), "%69 VD92EX0");
        assert_eq!(encode(b"base-45"), "UJCLQE7W581");
        assert_eq!(decode(b"QED8WEX0").unwrap(), b"ietf!");
        assert_eq!(decode(b"GGW"), Err(Base45Error::Overflow(0)));
        assert_eq!(decode(b"ZZ"), Err(Base45Error::Overflow(0)));
        assert_eq!(decode(b"A"), Err(Base45Error::Length));
        assert_eq!(decode(b"ab"), Err(Base45Error::Char(0)));
    }

    #[test]
    fn round_trips() {
        for len in 0..64usize {
            let bytes: Vec<u8> = (0..len).map(|i| (i * 97 + 13) as u8).collect();
            assert_eq!(decode(encode(&bytes).as_bytes()).unwrap(), bytes);
        }
        let all: Vec<u8> = (0..=255u8).collect();
        assert_eq!(decode(encode(&all).as_bytes()).unwrap(), all);
    }
}
