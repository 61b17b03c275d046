//! Annotated copies (加注件): a copy of a sealed license made for one purpose
//! and one user, valid until a time, sealed by the library's copy maker.
//!
//! A copy is the stored sealed license with one more seal signature (签章),
//! by the copy maker's GB/T 38540 seal, over the same license bytes. The
//! annotation is that signature's property info (签章属性信息), so the copy
//! maker's signature covers it together with the license:
//!
//! ```text
//! elicense-copy/1|<valid until, RFC 3339>|<user's USCC>|<purpose>
//! ```
//!
//! The copy's making time is the signature's signing time. Being a signed
//! license in canonical form, a copy is checked by the same verifier, steps
//! and report as any license; see docs/FORMAT.md.

use crate::date::Timestamp;
use crate::document::SignedLicense;
use crate::ids::{LicenseId, Uscc};
use crate::model::Organisation;
use crate::store::LicenseStore;

use super::{Purpose, ResourceError, ResourceLibrary, VerifyResult};

/// The first part of a copy signature's property info.
const COPY_TAG: &str = "elicense-copy/1";
/// Largest copy accepted, in bytes.
const MAX_COPY_BYTES: usize = 8 * 1024 * 1024;

/// What an annotated copy is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyRequest {
    /// The purpose (用证事由), on one line.
    pub purpose: Purpose,
    /// The one user it is for.
    pub user: Organisation,
    /// Last instant it may be used.
    pub valid_until: Timestamp,
}

/// The annotation carried by a copy signature.
struct Annotation {
    valid_until: Timestamp,
    user: Uscc,
    purpose: String,
}

impl Annotation {
    fn encode(&self) -> String {
        format!(
            "{COPY_TAG}|{}|{}|{}",
            self.valid_until, self.user, self.purpose
        )
    }

    fn decode(property: &str) -> Option<Annotation> {
        let mut parts = property.splitn(4, '|');
        let (Some(COPY_TAG), Some(until), Some(user), Some(purpose)) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return None;
        };
        let a = Annotation {
            valid_until: Timestamp::parse(until).ok()?,
            user: user.parse().ok()?,
            purpose: purpose.to_owned(),
        };
        // Only the one spelling the maker writes.
        (a.encode() == property).then_some(a)
    }
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
    /// The bytes to hand to the user (a sealed license in canonical form).
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
    /// Not an annotated copy of this library (malformed, too large, or
    /// without a copy signature by the copy maker's seal).
    Malformed,
    /// The copy maker's seal signature does not verify; the report says
    /// which step failed.
    BadSignature(Box<crate::verify::Report>),
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
    /// The license inside does not verify now, or is not the one the library
    /// holds (the result says why).
    License(VerifyResult),
}

impl<S: LicenseStore> ResourceLibrary<S> {
    /// Makes an annotated copy of the stored license `id` at `at`, for one
    /// purpose and one user, valid until `request.valid_until`, sealed by the
    /// library's copy maker. The license must verify (code 0) at `at`.
    ///
    /// # Errors
    /// [`ResourceError::Copy`] without a copy maker, for a window ending
    /// before `at`, a purpose on several lines, or a license that is not
    /// valid; [`ResourceError::NotFound`]; [`ResourceError::Seal`] when
    /// sealing fails.
    pub fn annotated_copy(
        &self,
        id: &LicenseId,
        request: &CopyRequest,
        at: Timestamp,
    ) -> Result<AnnotatedCopy, ResourceError> {
        let Some(maker) = &self.copy_maker else {
            return Err(ResourceError::Copy {
                reason: "no copy maker is configured",
            });
        };
        if request.valid_until < at {
            return Err(ResourceError::Copy {
                reason: "the copy would be valid until before it is made",
            });
        }
        if request.purpose.as_str().contains('\n') {
            return Err(ResourceError::Copy {
                reason: "the purpose of a copy must be on one line",
            });
        }
        let doc = self
            .store
            .get(id)?
            .ok_or_else(|| ResourceError::NotFound { id: id.clone() })?;
        if !self.verify_id(id, at)?.is_valid() {
            return Err(ResourceError::Copy {
                reason: "the license is not valid now",
            });
        }
        let annotation = Annotation {
            valid_until: request.valid_until,
            user: *request.user.code(),
            purpose: request.purpose.as_str().to_owned(),
        };
        let copy = doc.add_seal_with_property(maker, &annotation.encode(), at)?;
        Ok(AnnotatedCopy {
            bytes: copy.into_bytes(),
            license: id.clone(),
            valid_until: request.valid_until,
        })
    }

    /// Checks an annotated copy presented by `user` for `purpose` at `at`:
    /// the license inside must be the one the library holds and verify as
    /// [`verify_bytes`](ResourceLibrary::verify_bytes) does; then the copy's
    /// time window; then the copy maker's seal signature, through every step
    /// of the verifier (seal, seal maker, certificates, revocation); then the
    /// purpose and the user it was made for.
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
        let Some(maker) = &self.copy_maker else {
            return Err(ResourceError::Copy {
                reason: "no copy maker is configured",
            });
        };
        if bytes.len() > MAX_COPY_BYTES {
            return Ok(CopyCheck::Malformed);
        }
        let Ok(copy) = SignedLicense::decode_with(bytes, &self.verifier.options().limits) else {
            return Ok(CopyCheck::Malformed);
        };
        // The copy signature: the last one, by the copy maker's seal.
        let Some(last) = copy.signatures().last() else {
            return Ok(CopyCheck::Malformed);
        };
        let by_maker = last
            .seal()
            .is_some_and(|s| s.holder().code() == maker.seal().holder().code());
        let annotation = last.tbs().property().and_then(Annotation::decode);
        let (true, Some(annotation), Some(original)) =
            (by_maker, annotation, copy.without_last_signature())
        else {
            return Ok(CopyCheck::Malformed);
        };
        // The license, as the library holds it, valid now.
        let result = self.verify_bytes(original.as_bytes(), at)?;
        if !result.is_valid() {
            return Ok(CopyCheck::License(result));
        }
        let made_at = last.tbs().signed_at();
        if at < made_at || at > annotation.valid_until {
            return Ok(CopyCheck::OutOfTime {
                made_at,
                valid_until: annotation.valid_until,
            });
        }
        // The original verified at `at`: whatever fails now is the copy
        // maker's signature.
        if let Err(rejected) = self.documents.verify(copy.as_bytes(), at) {
            return Ok(CopyCheck::BadSignature(Box::new(rejected.report().clone())));
        }
        if annotation.purpose != purpose.as_str() {
            return Ok(CopyCheck::WrongPurpose);
        }
        if annotation.user != *user {
            return Ok(CopyCheck::WrongUser);
        }
        Ok(CopyCheck::Valid(result))
    }
}
