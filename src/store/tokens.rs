//! API access tokens for the HTTP service (统一对外服务接口): who an
//! accessor (用证方) is, which license types it may fetch, and whether it may
//! write (issue, change status, decide disputes).
//!
//! A token is `elt_<key id>_<secret>`: the key id (16 hex digits) names the
//! stored record; the secret (32 random bytes, base64url) is never stored —
//! only its SHA-256 is, and a presented secret's digest is compared with it
//! in constant time. A stolen database therefore yields no usable token.

use core::fmt;

use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::date::Timestamp;
use crate::ids::LicenseTypeCode;
use crate::model::Organisation;
use crate::store::StoreError;

/// Longest token text accepted from outside, in bytes.
pub const TOKEN_MAX_BYTES: usize = 128;
/// Most license types one token may be granted.
pub const TOKEN_MAX_GRANTS: usize = 256;

const PREFIX: &str = "elt_";
const KEY_ID_HEX: usize = 16;
const SECRET_BYTES: usize = 32;

/// What a token may do besides reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TokenRole {
    /// 用证方: search, verify by identifier, fetch the granted types.
    Reader,
    /// 颁证方: also the write routes (issue, lifecycle, disputes) for its
    /// own licenses, and the use record.
    Issuer,
}

impl TokenRole {
    /// The stored name (`reader`, `issuer`).
    pub fn as_str(&self) -> &'static str {
        match self {
            TokenRole::Reader => "reader",
            TokenRole::Issuer => "issuer",
        }
    }

    /// The role named `s`.
    ///
    /// # Errors
    /// [`StoreError::Config`] for another name.
    pub fn parse(s: &str) -> Result<TokenRole, StoreError> {
        match s {
            "reader" => Ok(TokenRole::Reader),
            "issuer" => Ok(TokenRole::Issuer),
            _ => Err(StoreError::Config {
                reason: "a token role is `reader` or `issuer`",
            }),
        }
    }
}

impl fmt::Display for TokenRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The secret text of a new token: shown once to whoever created it, never
/// stored. `Debug` hides it; the memory is zeroized when dropped.
pub struct TokenSecret(Zeroizing<String>);

impl TokenSecret {
    /// The token text to hand to the accessor (`elt_…`).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for TokenSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TokenSecret(…)")
    }
}

/// A stored access token: its key id, the SHA-256 of its secret, the
/// accessor, its granted license types and its role.
#[derive(Clone, PartialEq, Eq)]
pub struct AccessToken {
    key_id: String,
    digest: [u8; 32],
    accessor: Organisation,
    grants: Vec<LicenseTypeCode>,
    role: TokenRole,
    created_at: Timestamp,
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessToken")
            .field("key_id", &self.key_id)
            .field("accessor", &self.accessor)
            .field("grants", &self.grants.len())
            .field("role", &self.role)
            .field("created_at", &self.created_at)
            .finish_non_exhaustive()
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn digest_of(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.as_bytes()).into()
}

/// Equality of two digests in time independent of where they differ.
fn ct_eq(a: &[u8; 32], b: &[u8; 32]) -> bool {
    let mut diff = 0u8;
    for (x, y) in a.iter().zip(b.iter()) {
        diff |= x ^ y;
    }
    core::hint::black_box(diff) == 0
}

/// Splits `elt_<key id>_<secret>`; `None` for another shape.
fn split(presented: &str) -> Option<(&str, &str)> {
    if presented.len() > TOKEN_MAX_BYTES {
        return None;
    }
    let rest = presented.strip_prefix(PREFIX)?;
    let (key_id, secret) = rest.split_once('_')?;
    let hex_ok = key_id.len() == KEY_ID_HEX
        && key_id
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    (hex_ok && !secret.is_empty()).then_some((key_id, secret))
}

impl AccessToken {
    /// Makes a new token for `accessor` with `grants` and `role` at `at`:
    /// the record to store and the secret to hand over (once).
    ///
    /// # Errors
    /// [`StoreError::Config`] when the system's random source fails or more
    /// than [`TOKEN_MAX_GRANTS`] types are granted.
    pub fn generate(
        accessor: Organisation,
        mut grants: Vec<LicenseTypeCode>,
        role: TokenRole,
        at: Timestamp,
    ) -> Result<(AccessToken, TokenSecret), StoreError> {
        use base64::Engine;
        if grants.len() > TOKEN_MAX_GRANTS {
            return Err(StoreError::Config {
                reason: "too many license types granted to one token",
            });
        }
        grants.sort();
        grants.dedup();
        let mut id = [0u8; KEY_ID_HEX / 2];
        let mut secret = Zeroizing::new([0u8; SECRET_BYTES]);
        let random = StoreError::Config {
            reason: "the system's random source failed",
        };
        getrandom::fill(&mut id).map_err(|_| random.clone())?;
        getrandom::fill(secret.as_mut_slice()).map_err(|_| random)?;
        let key_id = hex(&id);
        let secret_text = Zeroizing::new(
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(secret.as_slice()),
        );
        let text = Zeroizing::new(format!("{PREFIX}{key_id}_{}", secret_text.as_str()));
        let token = AccessToken {
            key_id,
            digest: digest_of(&secret_text),
            accessor,
            grants,
            role,
            created_at: at,
        };
        Ok((token, TokenSecret(text)))
    }

    /// A token record as stored (for backends).
    ///
    /// # Errors
    /// [`StoreError::Corrupt`] when the key id is not 16 hex digits.
    pub fn from_parts(
        key_id: String,
        digest: [u8; 32],
        accessor: Organisation,
        grants: Vec<LicenseTypeCode>,
        role: TokenRole,
        created_at: Timestamp,
    ) -> Result<AccessToken, StoreError> {
        if split(&format!("{PREFIX}{key_id}_x")).is_none() {
            return Err(StoreError::Corrupt {
                what: "access token key id",
                key: key_id.chars().take(16).collect(),
            });
        }
        Ok(AccessToken {
            key_id,
            digest,
            accessor,
            grants,
            role,
            created_at,
        })
    }

    /// The key id that a presented token text names, if it has the shape of
    /// a token: look the record up by it, then check it with
    /// [`matches`](Self::matches).
    pub fn key_id_of(presented: &str) -> Option<&str> {
        split(presented).map(|(k, _)| k)
    }

    /// Whether `presented` is this token: same key id, and its secret's
    /// SHA-256 equals the stored digest (compared in constant time).
    pub fn matches(&self, presented: &str) -> bool {
        match split(presented) {
            Some((key_id, secret)) => {
                let d = digest_of(secret);
                // Both checks always run: the key id is public, the digest not.
                let same_digest = ct_eq(&d, &self.digest);
                same_digest & (key_id == self.key_id)
            }
            None => false,
        }
    }

    /// The key id (public; names the token in listings and logs).
    pub fn key_id(&self) -> &str {
        &self.key_id
    }
    /// The SHA-256 of the secret.
    pub fn digest(&self) -> &[u8; 32] {
        &self.digest
    }
    /// The accessor (用证方) the token speaks for.
    pub fn accessor(&self) -> &Organisation {
        &self.accessor
    }
    /// The license types it may fetch, sorted.
    pub fn grants(&self) -> &[LicenseTypeCode] {
        &self.grants
    }
    /// Whether it may fetch licenses of `code`.
    pub fn grants_type(&self, code: &LicenseTypeCode) -> bool {
        self.grants.binary_search(code).is_ok()
    }
    /// Its role.
    pub fn role(&self) -> TokenRole {
        self.role
    }
    /// When it was made.
    pub fn created_at(&self) -> Timestamp {
        self.created_at
    }
}

/// Where access tokens are kept: the license store's own database
/// ([`SqliteStore`](crate::SqliteStore), `PostgresStore`, schema version 3),
/// or memory ([`MemoryStore`](crate::MemoryStore)).
pub trait TokenStore: Send + Sync {
    /// Stores a new token.
    ///
    /// # Errors
    /// [`StoreError::Config`] when its key id is already stored; backend failures.
    fn add_token(&self, token: &AccessToken) -> Result<(), StoreError>;

    /// The token with this key id.
    ///
    /// # Errors
    /// Backend failures; [`StoreError::Corrupt`] for an unreadable record.
    fn token(&self, key_id: &str) -> Result<Option<AccessToken>, StoreError>;

    /// Every token, by key id.
    ///
    /// # Errors
    /// As [`token`](Self::token).
    fn tokens(&self) -> Result<Vec<AccessToken>, StoreError>;

    /// Removes a token; whether it existed.
    ///
    /// # Errors
    /// Backend failures.
    fn remove_token(&self, key_id: &str) -> Result<bool, StoreError>;

    /// The token `presented` is, if it is a stored one (shape, key id and
    /// constant-time digest check).
    ///
    /// # Errors
    /// Backend failures.
    fn authenticate(&self, presented: &str) -> Result<Option<AccessToken>, StoreError> {
        let Some(key_id) = AccessToken::key_id_of(presented) else {
            return Ok(None);
        };
        Ok(self.token(key_id)?.filter(|t| t.matches(presented)))
    }
}

/// The digest column: 64 lower-case hex digits.
pub(crate) fn digest_text(t: &AccessToken) -> String {
    hex(t.digest())
}

/// The grants column: type codes separated by spaces.
pub(crate) fn grants_text(grants: &[LicenseTypeCode]) -> String {
    grants
        .iter()
        .map(LicenseTypeCode::as_str)
        .collect::<Vec<_>>()
        .join(" ")
}

/// A token record from its stored columns.
#[allow(clippy::too_many_arguments)]
pub(crate) fn from_columns(
    key_id: String,
    digest_hex: &str,
    accessor_name: &str,
    accessor: &str,
    grants: &str,
    role: &str,
    created_at: i64,
) -> Result<AccessToken, StoreError> {
    let corrupt = |what: &'static str| StoreError::Corrupt {
        what,
        key: key_id.chars().take(16).collect(),
    };
    let mut digest = [0u8; 32];
    let ok = digest_hex.len() == 64
        && digest.iter_mut().enumerate().all(|(i, d)| {
            digest_hex
                .get(2 * i..2 * i + 2)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .map(|v| *d = v)
                .is_some()
        });
    if !ok {
        return Err(corrupt("access token digest"));
    }
    let org = accessor
        .parse()
        .ok()
        .and_then(|code| Organisation::new(accessor_name, code).ok())
        .ok_or_else(|| corrupt("access token accessor"))?;
    let grants = grants
        .split_whitespace()
        .map(|g| g.parse::<LicenseTypeCode>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| corrupt("access token grants"))?;
    let role = TokenRole::parse(role).map_err(|_| corrupt("access token role"))?;
    let at = Timestamp::from_unix(created_at).map_err(|_| corrupt("access token time"))?;
    AccessToken::from_parts(key_id.clone(), digest, org, grants, role, at)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn org() -> Organisation {
        Organisation::new("某某银行", "91350100M000100Y43".parse().unwrap()).unwrap()
    }

    #[test]
    fn a_token_matches_only_itself() {
        let at = Timestamp::parse("2026-01-01T00:00:00Z").unwrap();
        let (t, secret) = AccessToken::generate(org(), vec![], TokenRole::Reader, at).unwrap();
        let text = secret.expose();
        assert!(text.starts_with("elt_"));
        assert_eq!(AccessToken::key_id_of(text), Some(t.key_id()));
        assert!(t.matches(text));
        assert!(!format!("{secret:?}").contains(&text[20..]));
        // Any changed character of the secret fails.
        let mut bad = text.to_owned().into_bytes();
        let last = bad.len() - 1;
        bad[last] = if bad[last] == b'A' { b'B' } else { b'A' };
        assert!(!t.matches(core::str::from_utf8(&bad).unwrap()));
        let (other, other_secret) =
            AccessToken::generate(org(), vec![], TokenRole::Issuer, at).unwrap();
        assert!(!t.matches(other_secret.expose()));
        assert!(!other.matches(text));
        for junk in [
            "",
            "elt_",
            "elt__x",
            "Bearer x",
            &"elt_0123456789abcdef_".repeat(20),
        ] {
            assert!(!t.matches(junk));
            assert!(AccessToken::key_id_of(junk).is_none() || junk.len() <= TOKEN_MAX_BYTES);
        }
    }

    #[test]
    fn columns_round_trip() {
        let at = Timestamp::parse("2026-01-01T00:00:00Z").unwrap();
        let code: LicenseTypeCode = "11100000000013338W009".parse().unwrap();
        let (t, _) = AccessToken::generate(org(), vec![code, code], TokenRole::Issuer, at).unwrap();
        assert_eq!(t.grants(), &[code]);
        let back = from_columns(
            t.key_id().to_owned(),
            &digest_text(&t),
            t.accessor().name(),
            t.accessor().code().as_str(),
            &grants_text(t.grants()),
            t.role().as_str(),
            t.created_at().unix(),
        )
        .unwrap();
        assert_eq!(back, t);
        assert!(from_columns("zz".into(), "00", "a", "b", "", "reader", 0).is_err());
    }
}
