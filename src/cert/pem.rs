//! PEM `CERTIFICATE` blocks (RFC 7468): a strict reader and the writer.
//!
//! Text outside blocks (explanatory lines such as OpenSSL's `subject=`) is
//! ignored; inside a block only base64 lines are allowed, and any label other
//! than `CERTIFICATE` is an error rather than silently skipped.

use base64::Engine as _;

use super::error::CertError;
use crate::document::BASE64;

const BEGIN: &str = "-----BEGIN ";
const END: &str = "-----END ";
const LABEL: &str = "CERTIFICATE";
const DASHES: &str = "-----";

/// The DER contents of the `CERTIFICATE` blocks of `text`, in order. At most
/// `max_blocks` blocks and `max_der` bytes per block are decoded.
pub(super) fn blocks(
    text: &str,
    max_blocks: usize,
    max_der: usize,
) -> Result<Vec<Vec<u8>>, CertError> {
    let mut out = Vec::new();
    let mut body: Option<String> = None;
    for line in text.lines() {
        let line = line.trim_matches(|c: char| c == ' ' || c == '\t' || c == '\r');
        match body.as_mut() {
            None => {
                if let Some(rest) = line.strip_prefix(BEGIN) {
                    if rest != "CERTIFICATE-----" {
                        return Err(CertError::Pem {
                            reason: if rest.ends_with(DASHES) {
                                "a PEM block other than CERTIFICATE"
                            } else {
                                "malformed BEGIN line"
                            },
                        });
                    }
                    if out.len() >= max_blocks {
                        return Err(CertError::TooManyCertificates { max: max_blocks });
                    }
                    body = Some(String::new());
                } else if line.starts_with(END) {
                    return Err(CertError::Pem {
                        reason: "END line without BEGIN",
                    });
                }
            }
            Some(b64) => {
                if let Some(rest) = line.strip_prefix(END) {
                    if rest.strip_suffix(DASHES) != Some(LABEL) {
                        return Err(CertError::Pem {
                            reason: "END label does not match BEGIN",
                        });
                    }
                    out.push(decode(b64, max_der)?);
                    body = None;
                } else if line.starts_with(BEGIN) {
                    return Err(CertError::Pem {
                        reason: "BEGIN inside a block",
                    });
                } else {
                    if line.contains(':') {
                        return Err(CertError::Pem {
                            reason: "encapsulated headers are not supported",
                        });
                    }
                    // 4 base64 characters make 3 bytes; stop before decoding too much.
                    if (b64.len() + line.len()) / 4 * 3 > max_der + 3 {
                        return Err(CertError::TooLarge {
                            what: "certificate DER",
                            max: max_der,
                            found: (b64.len() + line.len()) / 4 * 3,
                        });
                    }
                    b64.push_str(line);
                }
            }
        }
    }
    if body.is_some() {
        return Err(CertError::Pem {
            reason: "unterminated CERTIFICATE block",
        });
    }
    Ok(out)
}

fn decode(b64: &str, max_der: usize) -> Result<Vec<u8>, CertError> {
    let der = BASE64.decode(b64).map_err(|_| CertError::Pem {
        reason: "invalid base64 in CERTIFICATE block",
    })?;
    if der.len() > max_der {
        return Err(CertError::TooLarge {
            what: "certificate DER",
            max: max_der,
            found: der.len(),
        });
    }
    Ok(der)
}

/// One `CERTIFICATE` block, base64 in 64-character lines, LF line endings.
pub(super) fn encode(der: &[u8]) -> String {
    let b64 = BASE64.encode(der);
    let mut out = String::with_capacity(b64.len() + b64.len() / 64 + 60);
    out.push_str("-----BEGIN CERTIFICATE-----\n");
    let mut rest = b64.as_str();
    while !rest.is_empty() {
        let (line, tail) = rest.split_at(rest.len().min(64));
        out.push_str(line);
        out.push('\n');
        rest = tail;
    }
    out.push_str("-----END CERTIFICATE-----\n");
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_line_forms() {
        let der: Vec<u8> = (0..=255u8).cycle().take(500).collect();
        let pem = encode(&der);
        assert!(pem.lines().all(|l| l.len() <= 64 || l.starts_with("-----")));
        assert_eq!(blocks(&pem, 1, 1000).unwrap(), vec![der.clone()]);
        let crlf = pem.replace('\n', "\r\n");
        assert_eq!(blocks(&crlf, 1, 1000).unwrap(), vec![der.clone()]);
        let with_text = format!("subject=CN=x\n{pem}\ntrailing words\n{pem}");
        assert_eq!(blocks(&with_text, 2, 1000).unwrap().len(), 2);
        assert_eq!(
            blocks(&with_text, 1, 1000),
            Err(CertError::TooManyCertificates { max: 1 })
        );
        assert!(matches!(
            blocks(&pem, 1, 100),
            Err(CertError::TooLarge { .. })
        ));
    }

    #[test]
    fn malformed_blocks_are_errors() {
        for bad in [
            "-----BEGIN CERTIFICATE-----\nAAAA\n",
            "-----BEGIN CERTIFICATE-----\nAAAA\n-----END PRIVATE KEY-----\n",
            "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
            "-----BEGIN CERTIFICATE\n",
            "-----END CERTIFICATE-----\n",
            "-----BEGIN CERTIFICATE-----\nAA=A\n-----END CERTIFICATE-----\n",
            "-----BEGIN CERTIFICATE-----\nAAB=\n-----END CERTIFICATE-----\n",
            "-----BEGIN CERTIFICATE-----\nProc-Type: 4,ENCRYPTED\n-----END CERTIFICATE-----\n",
            "-----BEGIN CERTIFICATE-----\n-----BEGIN CERTIFICATE-----\n",
        ] {
            assert!(blocks(bad, 4, 1000).is_err(), "{bad:?}");
        }
        assert_eq!(blocks("no pem here", 4, 1000).unwrap().len(), 0);
    }
}
