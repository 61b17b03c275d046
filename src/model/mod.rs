//! The license model: license types with their field schema, licenses with
//! their GB/T 36903 metadata, statuses and lifecycle operations.

mod license;
mod license_type;
mod status;

pub use license::{
    Attachment, AttachmentRole, FieldValue, Holder, License, LicenseData, ModelError, Organisation,
    SealInfo, TextProblem, limits,
};
pub(crate) use license::{StringPool, hex, unhex32};
pub use license_type::{
    FieldKind, FieldSpec, HolderKind, LicenseType, LicenseTypeError, SchemaError, ValidityRule,
};
pub use status::{LicenseStatus, Operation, UnknownCode};
