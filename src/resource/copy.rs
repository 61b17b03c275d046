//! Annotated copies (加注件): a copy of a sealed license made for one purpose
//! and one user, valid until a time, signed by the library's copy maker.
//!
//! Wire form: `{"copy":"<payload>","sig":"<base64>"}` where the payload is a
//! JSON text (kept as a string, so the signed bytes are exactly what is
//! carried) and the signature is Ed25519 over
//! `"elicense/1/copy\0" ‖ payload` under the copy maker's key.

use base64::Engine as _;
use serde::{Deserialize, Serialize};

use crate::date::Timestamp;
use crate::ids::{LicenseId, Uscc};
use crate::model::Organisation;
use crate::sign::Signature;
use crate::store::LicenseStore;

use super::{Purpose, ResourceError, ResourceLibrary, VerifyResult};

/// The context prefix of a copy signature.
const COPY_CONTEXT: &[u8] = b"elicense/1/copy\0";
const COPY_FORMAT: &str = "elicense-copy/1";
const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;
/// Largest copy accepted, in bytes.
const MAX_COPY_BYTES: usize = 8 * 1024 * 1024;

/// What an annotated copy is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyRequest {
    /// The purpose (用证事由).
    pub purpose: Purpose,
    /// The one user it is for.
    pub user: Organisation,
    /// Last instant it may be used.
    pub valid_until: Timestamp,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Payload {
    format: String,
    license: String,
    document: String,
    purpose: String,
    user: String,
    user_name: String,
    maker: String,
    made_at: i64,
    valid_until: i64,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Envelope {
    copy: String,
    sig: String,
}

/// An annotated copy (加注件), as made by
/// [`ResourceLibrary::annotated_copy`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnnotatedCopy {
    bytes: Vec<u8>,
    license: LicenseId,
    valid_until: Timestamp,
}

impl AnnotatedCopy {
    /// The bytes to hand to the user.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }
    /// The license copied.
    pub fn license(&self) -> &LicenseId {
        &self.license
    }
    /// Last instant it may be used.
    pub fn valid_until(&self) -> Timestamp {
        self.valid_until
    }
}

/// The verdict on an annotated copy.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CopyCheck {
    /// The copy is genuine, for this purpose and user, in its time, and the
    /// license it carries verifies (code 0).
    Valid(VerifyResult),
    /// Not an annotated copy (malformed or too large).
    Malformed,
    /// The copy maker's signature does not verify.
    BadSignature,
    /// Made for another purpose.
    WrongPurpose,
    /// Made for another user.
    WrongUser,
    /// Used before it was made or after `valid_until`.
    OutOfTime {
        /// When it was made.
        made_at: Timestamp,
        /// Its last valid instant.
        valid_until: Timestamp,
    },
    /// The license inside does not verify now (the result says why).
    License(VerifyResult),
}

impl<S: LicenseStore> ResourceLibrary<S> {
    /// Makes an annotated copy of the stored license `id` at `at`, for one
    /// purpose and one user, valid until `request.valid_until`, signed by the
    /// library's copy maker. The license must verify (code 0) at `at`.
    ///
    /// # Errors
    /// [`ResourceError::Copy`] without a copy maker, for a window ending
    /// before `at`, or for a license that is not valid;
    /// [`ResourceError::NotFound`]; [`ResourceError::Seal`] when signing fails.
    pub fn annotated_copy(
        &self,
        id: &LicenseId,
        request: &CopyRequest,
        at: Timestamp,
    ) -> Result<AnnotatedCopy, ResourceError> {
        let Some((maker, signer)) = &self.copy_maker else {
            return Err(ResourceError::Copy {
                reason: "no copy maker is configured",
            });
        };
        if request.valid_until < at {
            return Err(ResourceError::Copy {
                reason: "the copy would be valid until before it is made",
            });
        }
        let bytes = self
            .store
            .document(id)?
            .ok_or_else(|| ResourceError::NotFound { id: id.clone() })?;
        if !self.verify_id(id, at)?.is_valid() {
            return Err(ResourceError::Copy {
                reason: "the license is not valid now",
            });
        }
        let payload = Payload {
            format: COPY_FORMAT.to_owned(),
            license: id.to_string(),
            document: B64.encode(&bytes),
            purpose: request.purpose.as_str().to_owned(),
            user: request.user.code().to_string(),
            user_name: request.user.name().to_owned(),
            maker: maker.code().to_string(),
            made_at: at.unix(),
            valid_until: request.valid_until.unix(),
        };
        let text = serde_json::to_string(&payload).map_err(|_| ResourceError::Copy {
            reason: "the copy could not be written",
        })?;
        let mut message = COPY_CONTEXT.to_vec();
        message.extend_from_slice(text.as_bytes());
        let sig = signer.sign(&message)?;
        signer
            .public_key()
            .verify(&message, &sig)
            .map_err(|_| ResourceError::Copy {
                reason: "the copy signer made an invalid signature",
            })?;
        let envelope = Envelope {
            copy: text,
            sig: B64.encode(sig.as_bytes()),
        };
        let out = serde_json::to_vec(&envelope).map_err(|_| ResourceError::Copy {
            reason: "the copy could not be written",
        })?;
        Ok(AnnotatedCopy {
            bytes: out,
            license: id.clone(),
            valid_until: request.valid_until,
        })
    }

    /// Checks an annotated copy presented by `user` for `purpose` at `at`:
    /// the copy maker's signature, the purpose, the user, the time window,
    /// then the license inside as [`verify_bytes`](ResourceLibrary::verify_bytes) does.
    ///
    /// # Errors
    /// [`ResourceError::Copy`] without a copy maker; [`ResourceError::Store`].
    pub fn verify_copy(
        &self,
        bytes: &[u8],
        purpose: &Purpose,
        user: &Uscc,
        at: Timestamp,
    ) -> Result<CopyCheck, ResourceError> {
        let Some((_, signer)) = &self.copy_maker else {
            return Err(ResourceError::Copy {
                reason: "no copy maker is configured",
            });
        };
        if bytes.len() > MAX_COPY_BYTES {
            return Ok(CopyCheck::Malformed);
        }
        let Ok(envelope) = serde_json::from_slice::<Envelope>(bytes) else {
            return Ok(CopyCheck::Malformed);
        };
        let sig = B64
            .decode(envelope.sig.as_bytes())
            .ok()
            .and_then(|b| Signature::from_slice(&b).ok());
        let Some(sig) = sig else {
            return Ok(CopyCheck::Malformed);
        };
        let mut message = COPY_CONTEXT.to_vec();
        message.extend_from_slice(envelope.copy.as_bytes());
        if signer.public_key().verify(&message, &sig).is_err() {
            return Ok(CopyCheck::BadSignature);
        }
        let Ok(p) = serde_json::from_str::<Payload>(&envelope.copy) else {
            return Ok(CopyCheck::Malformed);
        };
        let (Ok(made_at), Ok(valid_until), Ok(document)) = (
            Timestamp::from_unix(p.made_at),
            Timestamp::from_unix(p.valid_until),
            B64.decode(p.document.as_bytes()),
        ) else {
            return Ok(CopyCheck::Malformed);
        };
        if p.format != COPY_FORMAT {
            return Ok(CopyCheck::Malformed);
        }
        if p.purpose != purpose.as_str() {
            return Ok(CopyCheck::WrongPurpose);
        }
        if p.user != user.as_str() {
            return Ok(CopyCheck::WrongUser);
        }
        if at < made_at || at > valid_until {
            return Ok(CopyCheck::OutOfTime {
                made_at,
                valid_until,
            });
        }
        let result = self.verify_bytes(&document, at)?;
        if result.is_valid() && result.id().map(LicenseId::as_str) == Some(p.license.as_str()) {
            Ok(CopyCheck::Valid(result))
        } else {
            Ok(CopyCheck::License(result))
        }
    }
}
