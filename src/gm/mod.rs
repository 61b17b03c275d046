//! Real GB/T 38540-2020 (and GM/T 0031-2014) electronic seals: SM2 signatures
//! with SM3, and the standard's DER structures (feature `gm`).
//!
//! * `sm` — SM3 and SM2 (GB/T 32905, GB/T 32918) with the standard user id;
//! * `der` — a strict DER reader and writer (exact re-encoding);

#[allow(
    dead_code,
    reason = "the writer and reader are used by the SES structures"
)]
pub(crate) mod der;
mod error;
mod issue;
pub(crate) mod license;
mod ses;
mod sm;

pub use der::TimeKind;
pub use error::SesError;
pub use issue::{SesSealMaker, SesSealer, Sm2CertificateSpec, issue_sm2_certificate};
pub use ses::{
    SM2_WITH_SM3, SesCertRef, SesExtension, SesPicture, SesSeal, SesSealInfo, SesSignature,
    SesTime, SesToSign, SesVersion, ses_limits,
};
pub use sm::{SM2_DEFAULT_USER_ID, Sm2PublicKey, Sm2Signature, Sm2SigningKey, sm3};
