//! The license (电子证照) as issued: GB/T 36903 metadata plus the type-specific
//! surface fields (照面信息, `KZ_*`) and the files that belong to it.

use std::borrow::Cow;
use std::collections::BTreeMap;

use crate::canonical::{Parser, ValueKind, Writer};
use crate::date::{Date, Timestamp};
use crate::error::DecodeError;
use crate::ids::{HolderCode, IssuerCode, LicenseId, LicenseTypeCode, PartsMemo, RegionCode, Uscc};

/// Size limits of the license model. Documents beyond them are rejected.
pub mod limits {
    /// Maximum characters of a name (license, organisation, holder, seal).
    pub const NAME_CHARS: usize = 128;
    /// Maximum characters of the printed license number (证照编号).
    pub const NUMBER_CHARS: usize = 64;
    /// Maximum characters of one surface-field text value.
    pub const FIELD_TEXT_CHARS: usize = 2048;
    /// Maximum number of surface fields.
    pub const FIELDS: usize = 128;
    /// Maximum characters of a surface-field key (`KZ_` included).
    pub const FIELD_KEY_CHARS: usize = 64;
    /// Maximum number of attachments.
    pub const ATTACHMENTS: usize = 64;
    /// Maximum characters of an attachment file name.
    pub const FILE_NAME_CHARS: usize = 255;
    /// Maximum characters of a media type.
    pub const MEDIA_TYPE_CHARS: usize = 127;
    /// Largest integer a document may carry (2^53 − 1, exact in every JSON reader).
    pub const MAX_INTEGER: u64 = (1 << 53) - 1;
}

/// What is wrong with a piece of text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TextProblem {
    /// Empty.
    Empty,
    /// Longer than allowed.
    TooLong {
        /// The maximum number of characters.
        max: usize,
    },
    /// Contains a control character.
    ControlChar,
    /// Starts or ends with white space.
    OuterWhitespace,
    /// Not of the required syntax.
    Syntax,
}

impl core::fmt::Display for TextProblem {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            TextProblem::Empty => f.write_str("is empty"),
            TextProblem::TooLong { max } => write!(f, "is longer than {max} characters"),
            TextProblem::ControlChar => f.write_str("contains a control character"),
            TextProblem::OuterWhitespace => f.write_str("starts or ends with white space"),
            TextProblem::Syntax => f.write_str("does not have the required syntax"),
        }
    }
}

/// A license that breaks an invariant of the model.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ModelError {
    /// A text element is malformed.
    #[error("{field} {problem}")]
    Text {
        /// Which element, e.g. `holder.name` or `fields.KZ_JYCS`.
        field: Cow<'static, str>,
        /// What is wrong.
        problem: TextProblem,
    },
    /// The validity window ends before it starts.
    #[error("validity ends ({to}) before it starts ({from})")]
    ValidityOrder {
        /// 有效期起始日期.
        from: Date,
        /// 有效期截止日期.
        to: Date,
    },
    /// The identifier does not agree with another element.
    #[error("identifier {part} does not match the license's {other}")]
    IdentifierMismatch {
        /// Which part of the identifier.
        part: &'static str,
        /// Which element it disagrees with.
        other: &'static str,
    },
    /// A surface-field key is not of the form `KZ_[A-Z0-9_]+`.
    #[error("surface field key {key:?} is not of the form KZ_[A-Z0-9_]+ (at most 64 characters)")]
    FieldKey {
        /// The key (at most 64 characters kept).
        key: String,
    },
    /// Too many elements of a kind.
    #[error("more than {max} {what}")]
    TooMany {
        /// What there are too many of.
        what: &'static str,
        /// The limit.
        max: usize,
    },
    /// An integer outside ±(2^53 − 1).
    #[error("{field} is outside ±(2^53 − 1)")]
    IntegerRange {
        /// Which element.
        field: Cow<'static, str>,
    },
    /// The same file is attached twice.
    #[error("attachment {name:?} appears twice")]
    DuplicateAttachment {
        /// The repeated file name.
        name: String,
    },
}

fn check_text(
    field: impl Into<Cow<'static, str>>,
    s: &str,
    max: usize,
    allow_newline: bool,
) -> Result<(), ModelError> {
    match text_problem(s, max, allow_newline) {
        None => Ok(()),
        Some(problem) => Err(ModelError::Text {
            field: field.into(),
            problem,
        }),
    }
}

/// Whether `bytes` holds a byte of a control character's encoding: a C0
/// control, DEL, or 0xC2 (the lead byte of the C1 controls). Branch-free over
/// 16-byte blocks.
#[inline]
fn may_hold_control(bytes: &[u8]) -> bool {
    let suspect = |b: u8| (b < 0x20) | (b == 0x7f) | (b == 0xc2);
    let (blocks, tail) = bytes.as_chunks::<16>();
    blocks
        .iter()
        .any(|block| block.iter().fold(false, |acc, &b| acc | suspect(b)))
        || tail.iter().any(|&b| suspect(b))
}

/// What is wrong with `s` as a text element, if anything.
fn text_problem(s: &str, max: usize, allow_newline: bool) -> Option<TextProblem> {
    // Byte length bounds the character count, so counting is needed only
    // when the text could be too long.
    if s.is_empty() {
        Some(TextProblem::Empty)
    } else if s.len() > max && s.chars().count() > max {
        Some(TextProblem::TooLong { max })
    } else if may_hold_control(s.as_bytes())
        && s.chars()
            .any(|c| c.is_control() && !(allow_newline && c == '\n'))
    {
        Some(TextProblem::ControlChar)
    } else if s.starts_with(char::is_whitespace) || s.ends_with(char::is_whitespace) {
        Some(TextProblem::OuterWhitespace)
    } else {
        None
    }
}

/// An organisation named by its unified social credit code: an issuer (颁发机构),
/// a type definer (证照定义机构) or a sealer (签章单位).
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "OrganisationRepr", into = "OrganisationRepr")]
pub struct Organisation {
    name: String,
    code: Uscc,
}

#[derive(serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct OrganisationRepr {
    code: Uscc,
    name: String,
}

impl TryFrom<OrganisationRepr> for Organisation {
    type Error = ModelError;
    fn try_from(r: OrganisationRepr) -> Result<Self, ModelError> {
        Organisation::new(r.name, r.code)
    }
}

impl From<Organisation> for OrganisationRepr {
    fn from(o: Organisation) -> Self {
        OrganisationRepr {
            code: o.code,
            name: o.name,
        }
    }
}

impl Organisation {
    /// An organisation; the name must be 1–128 printable characters without outer spaces.
    pub fn new(name: impl Into<String>, code: Uscc) -> Result<Organisation, ModelError> {
        let name = name.into();
        check_text("organisation.name", &name, limits::NAME_CHARS, false)?;
        Ok(Organisation { name, code })
    }

    /// Name (名称).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Unified social credit code (统一社会信用代码).
    pub fn code(&self) -> &Uscc {
        &self.code
    }
}

/// The holder of a license (持证主体): a person or an organisation.
///
/// `Debug` masks personal identity numbers.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Holder {
    name: String,
    code: HolderCode,
}

impl Holder {
    /// A holder; the name must be 1–128 printable characters without outer spaces.
    pub fn new(name: impl Into<String>, code: HolderCode) -> Result<Holder, ModelError> {
        let name = name.into();
        check_text("holder.name", &name, limits::NAME_CHARS, false)?;
        Ok(Holder { name, code })
    }

    /// Name of the holder (持证主体).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Holder code with its code type (持证主体代码, 持证主体代码类型).
    pub fn code(&self) -> &HolderCode {
        &self.code
    }
}

/// The value of a surface field (照面信息项).
///
/// Dates, decimals and codes are carried as text and checked against the
/// license type's field schema; decimals are never binary floating point.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(untagged)]
#[non_exhaustive]
pub enum FieldValue {
    /// Text (also dates `YYYY-MM-DD`, decimals `-?d+(.d+)?` and codes).
    Text(String),
    /// An integer within ±(2^53 − 1).
    Integer(i64),
    /// A yes/no value.
    Bool(bool),
}

impl From<&str> for FieldValue {
    fn from(s: &str) -> Self {
        FieldValue::Text(s.to_owned())
    }
}
impl From<String> for FieldValue {
    fn from(s: String) -> Self {
        FieldValue::Text(s)
    }
}
impl From<i64> for FieldValue {
    fn from(v: i64) -> Self {
        FieldValue::Integer(v)
    }
}
impl From<bool> for FieldValue {
    fn from(v: bool) -> Self {
        FieldValue::Bool(v)
    }
}

impl FieldValue {
    /// The text, if this is a text value.
    pub fn as_text(&self) -> Option<&str> {
        match self {
            FieldValue::Text(s) => Some(s),
            _ => None,
        }
    }
}

/// What role a file plays for the license.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum AttachmentRole {
    /// 版式文件 — the fixed-layout license file (OFD, PDF).
    Layout,
    /// 附件 — any other file that belongs to the license.
    Attachment,
}

impl AttachmentRole {
    /// Wire name.
    pub fn as_str(&self) -> &'static str {
        match self {
            AttachmentRole::Layout => "layout",
            AttachmentRole::Attachment => "attachment",
        }
    }

    fn parse(s: &str) -> Option<AttachmentRole> {
        match s {
            "layout" => Some(AttachmentRole::Layout),
            "attachment" => Some(AttachmentRole::Attachment),
            _ => None,
        }
    }
}

/// A file that belongs to a license, named by its SHA-256 digest: the bytes
/// live in the license store and are checked against the digest on read.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Attachment {
    role: AttachmentRole,
    name: String,
    media_type: String,
    sha256: [u8; 32],
    size: u64,
}

fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes().all(|b| {
            b.is_ascii_lowercase()
                || b.is_ascii_digit()
                || matches!(
                    b,
                    b'!' | b'#' | b'$' | b'&' | b'-' | b'^' | b'_' | b'.' | b'+'
                )
        })
}

impl Attachment {
    /// An attachment. `media_type` is a lower-case `type/subtype` (e.g.
    /// `application/ofd`); `name` a file name without path separators.
    pub fn new(
        role: AttachmentRole,
        name: impl Into<String>,
        media_type: impl Into<String>,
        sha256: [u8; 32],
        size: u64,
    ) -> Result<Attachment, ModelError> {
        let name = name.into();
        let media_type = media_type.into();
        check_text("attachment.name", &name, limits::FILE_NAME_CHARS, false)?;
        if name.contains(['/', '\\']) || name == "." || name == ".." {
            return Err(ModelError::Text {
                field: "attachment.name".into(),
                problem: TextProblem::Syntax,
            });
        }
        check_text(
            "attachment.mediaType",
            &media_type,
            limits::MEDIA_TYPE_CHARS,
            false,
        )?;
        let media_ok = media_type
            .split_once('/')
            .is_some_and(|(t, s)| is_token(t) && is_token(s));
        if !media_ok {
            return Err(ModelError::Text {
                field: "attachment.mediaType".into(),
                problem: TextProblem::Syntax,
            });
        }
        if size > limits::MAX_INTEGER {
            return Err(ModelError::IntegerRange {
                field: "attachment.size".into(),
            });
        }
        Ok(Attachment {
            role,
            name,
            media_type,
            sha256,
            size,
        })
    }

    /// An attachment describing `bytes` (digest and size computed).
    pub fn for_bytes(
        role: AttachmentRole,
        name: impl Into<String>,
        media_type: impl Into<String>,
        bytes: &[u8],
    ) -> Result<Attachment, ModelError> {
        use sha2::Digest;
        let digest: [u8; 32] = sha2::Sha256::digest(bytes).into();
        Attachment::new(role, name, media_type, digest, bytes.len() as u64)
    }

    /// Role of the file.
    pub fn role(&self) -> AttachmentRole {
        self.role
    }
    /// File name.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// Media type, e.g. `application/ofd`.
    pub fn media_type(&self) -> &str {
        &self.media_type
    }
    /// SHA-256 of the file's bytes.
    pub fn sha256(&self) -> &[u8; 32] {
        &self.sha256
    }
    /// Size in bytes.
    pub fn size(&self) -> u64 {
        self.size
    }
}

/// Sealing metadata printed with the license (签章信息): who sealed it, with
/// which seal, when. Verification checks it against the actual signature.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SealInfo {
    sealer: Organisation,
    seal_name: String,
    sealed_at: Timestamp,
}

impl SealInfo {
    /// Sealing metadata.
    pub fn new(
        sealer: Organisation,
        seal_name: impl Into<String>,
        sealed_at: Timestamp,
    ) -> Result<SealInfo, ModelError> {
        let seal_name = seal_name.into();
        check_text("seal.name", &seal_name, limits::NAME_CHARS, false)?;
        Ok(SealInfo {
            sealer,
            seal_name,
            sealed_at,
        })
    }
    /// 签章单位 — the sealing organisation.
    pub fn sealer(&self) -> &Organisation {
        &self.sealer
    }
    /// 印章名称 — the name of the seal used.
    pub fn seal_name(&self) -> &str {
        &self.seal_name
    }
    /// 签章时间 — when it was sealed.
    pub fn sealed_at(&self) -> Timestamp {
        self.sealed_at
    }
}

/// Everything an issuer fills in to make a [`License`]; [`License::new`] checks it.
///
/// Public fields, so a license can be built, inspected and changed freely
/// (`license.to_data()`, edit, `License::new`) without ever holding an invalid one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LicenseData {
    /// 证照标识 — GB/T 36904 identifier.
    pub id: LicenseId,
    /// 证照名称 — license name, e.g. 食品经营许可证.
    pub name: String,
    /// 证照类型代码 — license type code.
    pub type_code: LicenseTypeCode,
    /// 证照编号 — the number printed on the license.
    pub number: String,
    /// 颁发机构 and 颁发机构代码 — the issuing authority.
    pub issuer: Organisation,
    /// 颁发日期 — issue date.
    pub issue_date: Date,
    /// 持证主体, 持证主体代码, 持证主体代码类型 — the holder.
    pub holder: Holder,
    /// 有效期起始日期 — first day of validity.
    pub valid_from: Date,
    /// 有效期截止日期 — last day of validity; `None` is open-ended (长期有效).
    pub valid_to: Option<Date>,
    /// 行政区划代码 — the issuing jurisdiction.
    pub region: RegionCode,
    /// 签章单位, 印章名称, 签章时间 — sealing metadata, when printed on the license.
    pub seal: Option<SealInfo>,
    /// 创建时间 — when the license record was created.
    pub created_at: Timestamp,
    /// 照面信息 — type-specific surface fields, keyed `KZ_*`.
    pub fields: BTreeMap<String, FieldValue>,
    /// Files: the layout file (版式文件) and other attachments.
    pub attachments: Vec<Attachment>,
    /// 前序证照标识 — the license this one renews, changes, corrects or transfers in.
    pub predecessor: Option<LicenseId>,
}

/// An electronic license (电子证照): GB/T 36903 metadata, surface fields and
/// files. Always internally consistent; conformance to a [license type]
/// (`crate::LicenseType`) is checked separately because it needs the type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct License {
    data: LicenseData,
}

fn is_field_key(key: &str) -> bool {
    key.len() <= limits::FIELD_KEY_CHARS
        && key.strip_prefix("KZ_").is_some_and(|rest| {
            !rest.is_empty()
                && rest
                    .bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
        })
}

impl License {
    /// Checks the invariants and makes a license.
    ///
    /// Checked: text lengths and characters; `valid_from <= valid_to`; the
    /// identifier's type code equals `type_code`; the identifier's issuer part
    /// is the issuer's USCC or, in the region form, the license's region;
    /// surface-field keys are `KZ_[A-Z0-9_]+`; counts within [`limits`].
    pub fn new(data: LicenseData) -> Result<License, ModelError> {
        check_text("name", &data.name, limits::NAME_CHARS, false)?;
        check_text("number", &data.number, limits::NUMBER_CHARS, false)?;
        if let Some(to) = data.valid_to
            && to < data.valid_from
        {
            return Err(ModelError::ValidityOrder {
                from: data.valid_from,
                to,
            });
        }
        if data.id.type_code() != &data.type_code {
            return Err(ModelError::IdentifierMismatch {
                part: "type code",
                other: "typeCode",
            });
        }
        match data.id.issuer() {
            IssuerCode::Uscc(u) if u != data.issuer.code() => {
                return Err(ModelError::IdentifierMismatch {
                    part: "issuer code",
                    other: "issuer.code",
                });
            }
            IssuerCode::Region(r) if r != &data.region => {
                return Err(ModelError::IdentifierMismatch {
                    part: "issuer region code",
                    other: "region",
                });
            }
            _ => {}
        }
        if data.fields.len() > limits::FIELDS {
            return Err(ModelError::TooMany {
                what: "surface fields",
                max: limits::FIELDS,
            });
        }
        for (key, value) in &data.fields {
            if !is_field_key(key) {
                return Err(ModelError::FieldKey {
                    key: key.chars().take(64).collect(),
                });
            }
            match value {
                FieldValue::Text(s) => {
                    // The field's name is formatted only for an error.
                    if let Some(problem) = text_problem(s, limits::FIELD_TEXT_CHARS, true) {
                        return Err(ModelError::Text {
                            field: format!("fields.{key}").into(),
                            problem,
                        });
                    }
                }
                FieldValue::Integer(v) if v.unsigned_abs() > limits::MAX_INTEGER => {
                    return Err(ModelError::IntegerRange {
                        field: format!("fields.{key}").into(),
                    });
                }
                _ => {}
            }
        }
        if data.attachments.len() > limits::ATTACHMENTS {
            return Err(ModelError::TooMany {
                what: "attachments",
                max: limits::ATTACHMENTS,
            });
        }
        for (i, a) in data.attachments.iter().enumerate() {
            if data.attachments.iter().take(i).any(|b| b.name == a.name) {
                return Err(ModelError::DuplicateAttachment {
                    name: a.name.clone(),
                });
            }
        }
        Ok(License { data })
    }

    /// A copy of the data, to change and re-check with [`License::new`].
    pub fn to_data(&self) -> LicenseData {
        self.data.clone()
    }

    /// The data.
    pub fn into_data(self) -> LicenseData {
        self.data
    }

    /// 证照标识.
    pub fn id(&self) -> &LicenseId {
        &self.data.id
    }
    /// 证照名称.
    pub fn name(&self) -> &str {
        &self.data.name
    }
    /// 证照类型代码.
    pub fn type_code(&self) -> &LicenseTypeCode {
        &self.data.type_code
    }
    /// 证照编号.
    pub fn number(&self) -> &str {
        &self.data.number
    }
    /// 颁发机构.
    pub fn issuer(&self) -> &Organisation {
        &self.data.issuer
    }
    /// 颁发日期.
    pub fn issue_date(&self) -> Date {
        self.data.issue_date
    }
    /// 持证主体.
    pub fn holder(&self) -> &Holder {
        &self.data.holder
    }
    /// 有效期起始日期.
    pub fn valid_from(&self) -> Date {
        self.data.valid_from
    }
    /// 有效期截止日期 (`None`: open-ended).
    pub fn valid_to(&self) -> Option<Date> {
        self.data.valid_to
    }
    /// 行政区划代码 of the issuing jurisdiction.
    pub fn region(&self) -> &RegionCode {
        &self.data.region
    }
    /// 签章信息, when printed on the license.
    pub fn seal(&self) -> Option<&SealInfo> {
        self.data.seal.as_ref()
    }
    /// 创建时间.
    pub fn created_at(&self) -> Timestamp {
        self.data.created_at
    }
    /// 照面信息 — surface fields.
    pub fn fields(&self) -> &BTreeMap<String, FieldValue> {
        &self.data.fields
    }
    /// One surface field.
    pub fn field(&self, key: &str) -> Option<&FieldValue> {
        self.data.fields.get(key)
    }
    /// Files.
    pub fn attachments(&self) -> &[Attachment] {
        &self.data.attachments
    }
    /// 前序证照标识.
    pub fn predecessor(&self) -> Option<&LicenseId> {
        self.data.predecessor.as_ref()
    }

    /// Whether the validity window covers instant `at`: from the start of
    /// `valid_from` to the end of `valid_to`, days in China Standard Time.
    pub fn is_valid_at(&self, at: Timestamp) -> bool {
        at >= self.data.valid_from.start() && self.data.valid_to.is_none_or(|to| at < to.end())
    }

    /// The canonical bytes of this license (RFC 8785 JSON, docs/FORMAT.md §2):
    /// what the data hash of every signature covers.
    pub fn to_canonical_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(1024);
        self.encode(&mut Writer::new(&mut out));
        out
    }

    /// Decodes a license from its canonical bytes (strict: anything but the exact
    /// canonical form is rejected), at most `max_len` bytes.
    pub fn from_canonical_bytes(bytes: &[u8], max_len: usize) -> Result<License, DecodeError> {
        let mut p = Parser::new(bytes, max_len, crate::document::MAX_DEPTH)?;
        let license = License::decode(&mut p)?;
        p.finish()?;
        Ok(license)
    }

    pub(crate) fn encode(&self, w: &mut Writer<'_>) {
        let d = &self.data;
        w.begin_object();
        w.key("attachments");
        w.begin_array();
        for a in &d.attachments {
            w.begin_object();
            w.field_str("mediaType", &a.media_type);
            w.field_str("name", &a.name);
            w.field_str("role", a.role.as_str());
            w.key("sha256");
            w.str(&hex(&a.sha256));
            w.field_u64("size", a.size);
            w.end_object();
        }
        w.end_array();
        w.key("createdAt");
        w.str(&d.created_at.to_string());
        w.key("fields");
        w.begin_object();
        for (k, v) in &d.fields {
            w.key(k);
            match v {
                FieldValue::Text(s) => w.str(s),
                FieldValue::Integer(i) => w.i64(*i),
                FieldValue::Bool(b) => w.bool(*b),
            }
        }
        w.end_object();
        w.key("holder");
        w.begin_object();
        w.field_str("code", d.holder.code.value());
        w.field_str("codeType", d.holder.code.code_type().as_str());
        w.field_str("name", &d.holder.name);
        w.end_object();
        w.field_str("id", d.id.as_str());
        w.key("issueDate");
        w.str(&d.issue_date.to_string());
        w.key("issuer");
        encode_org(w, &d.issuer);
        w.field_str("name", &d.name);
        w.field_str("number", &d.number);
        if let Some(p) = &d.predecessor {
            w.field_str("predecessor", p.as_str());
        }
        w.field_str("region", d.region.as_str());
        if let Some(s) = &d.seal {
            w.key("seal");
            w.begin_object();
            w.field_str("name", &s.seal_name);
            w.key("sealedAt");
            w.str(&s.sealed_at.to_string());
            w.key("sealer");
            encode_org(w, &s.sealer);
            w.end_object();
        }
        w.field_str("typeCode", d.type_code.as_str());
        w.key("validFrom");
        w.str(&d.valid_from.to_string());
        if let Some(to) = &d.valid_to {
            w.key("validTo");
            w.str(&to.to_string());
        }
        w.end_object();
    }

    pub(crate) fn decode(p: &mut Parser<'_>) -> Result<License, DecodeError> {
        License::decode_memo(p, &mut PartsMemo::default(), &mut StringPool::default())
    }

    /// As [`License::decode`], skipping the checks of identifier parts equal
    /// to ones `memo` holds from an earlier license (the result is the same),
    /// and taking the buffers of its strings from `pool`.
    pub(crate) fn decode_memo(
        p: &mut Parser<'_>,
        memo: &mut PartsMemo,
        pool: &mut StringPool,
    ) -> Result<License, DecodeError> {
        let mut o = p.object()?;
        let mut attachments = std::mem::take(&mut pool.attachments);
        {
            let mut arr = o
                .field("attachments")?
                .array()?
                .with_max_items(limits::ATTACHMENTS);
            while let Some(p) = arr.next()? {
                let mut a = p.object()?;
                let media_type = pool.string(a.field("mediaType")?.str()?);
                let name = pool.string(a.field("name")?.str()?);
                let role_s = a.field("role")?.str()?;
                let role = AttachmentRole::parse(&role_s).ok_or(DecodeError::Invalid {
                    field: "license.attachments.role",
                    reason: "expected \"layout\" or \"attachment\"",
                })?;
                let sha256 = unhex32(
                    "license.attachments.sha256",
                    a.field("sha256")?.str()?.as_bytes(),
                )?;
                let size = a.field("size")?.u64()?;
                a.end()?;
                attachments.push(
                    Attachment::new(role, name, media_type, sha256, size)
                        .map_err(DecodeError::Model)?,
                );
            }
            arr.end()?;
        }
        let created_at = timestamp("license.createdAt", &o.field("createdAt")?.str()?)?;
        let mut fields = BTreeMap::new();
        {
            let mut f = o.field("fields")?.object()?;
            while let Some(key) = f.next_key()? {
                if fields.len() >= limits::FIELDS {
                    return Err(DecodeError::Model(ModelError::TooMany {
                        what: "surface fields",
                        max: limits::FIELDS,
                    }));
                }
                let p = f.parser();
                let value = match p.peek_kind()? {
                    ValueKind::String => FieldValue::Text(pool.string(p.str()?)),
                    ValueKind::Number => FieldValue::Integer(p.i64()?),
                    ValueKind::Bool => FieldValue::Bool(p.bool()?),
                    _ => {
                        return Err(DecodeError::Invalid {
                            field: "license.fields",
                            reason: "a field value is a string, an integer or a boolean",
                        });
                    }
                };
                fields.insert(pool.string(key), value);
            }
            f.end()?;
        }
        let holder = {
            let mut h = o.field("holder")?.object()?;
            let code = h.field("code")?.str()?;
            let code_type = h.field("codeType")?.str()?;
            let code = HolderCode::new(&code_type, &code).map_err(|source| DecodeError::Id {
                field: "license.holder.code",
                source,
            })?;
            let name = pool.string(h.field("name")?.str()?);
            h.end()?;
            Holder::new(name, code).map_err(DecodeError::Model)?
        };
        let id = LicenseId::parse_memo(&o.field("id")?.str()?, memo).map_err(|source| {
            DecodeError::Id {
                field: "license.id",
                source,
            }
        })?;
        // A code equal to one in the identifier (checked there) is not checked again.
        let id_issuer = match id.issuer() {
            IssuerCode::Uscc(u) => Some(*u),
            _ => None,
        };
        let issue_date = date("license.issueDate", &o.field("issueDate")?.str()?)?;
        let issuer = decode_org(o.field("issuer")?, "license.issuer.code", id_issuer, pool)?;
        let name = pool.string(o.field("name")?.str()?);
        let number = pool.string(o.field("number")?.str()?);
        let predecessor = match o.optional("predecessor")? {
            Some(p) => Some(
                LicenseId::parse(&p.str()?).map_err(|source| DecodeError::Id {
                    field: "license.predecessor",
                    source,
                })?,
            ),
            None => None,
        };
        let region =
            RegionCode::parse(&o.field("region")?.str()?).map_err(|source| DecodeError::Id {
                field: "license.region",
                source,
            })?;
        let seal = match o.optional("seal")? {
            Some(p) => {
                let mut s = p.object()?;
                let seal_name = pool.string(s.field("name")?.str()?);
                let sealed_at = timestamp("license.seal.sealedAt", &s.field("sealedAt")?.str()?)?;
                let sealer = decode_org(
                    s.field("sealer")?,
                    "license.seal.sealer.code",
                    Some(*issuer.code()),
                    pool,
                )?;
                s.end()?;
                Some(SealInfo::new(sealer, seal_name, sealed_at).map_err(DecodeError::Model)?)
            }
            None => None,
        };
        let type_code = {
            let text = o.field("typeCode")?.str()?;
            if text == id.type_code().as_str() {
                *id.type_code()
            } else {
                LicenseTypeCode::parse(&text).map_err(|source| DecodeError::Id {
                    field: "license.typeCode",
                    source,
                })?
            }
        };
        let valid_from = date("license.validFrom", &o.field("validFrom")?.str()?)?;
        let valid_to = match o.optional("validTo")? {
            Some(p) => Some(date("license.validTo", &p.str()?)?),
            None => None,
        };
        o.end()?;
        License::new(LicenseData {
            id,
            name,
            type_code,
            number,
            issuer,
            issue_date,
            holder,
            valid_from,
            valid_to,
            region,
            seal,
            created_at,
            fields,
            attachments,
            predecessor,
        })
        .map_err(DecodeError::Model)
    }
}

impl License {
    /// The identifier, the license's strings handed to `pool` for the next
    /// license decoded.
    pub(crate) fn recycle(self, pool: &mut StringPool) -> LicenseId {
        let d = self.data;
        pool.put(d.name);
        pool.put(d.number);
        pool.put(d.issuer.name);
        pool.put(d.holder.name);
        if let Some(seal) = d.seal {
            pool.put(seal.seal_name);
            pool.put(seal.sealer.name);
        }
        for (key, value) in d.fields {
            pool.put(key);
            if let FieldValue::Text(text) = value {
                pool.put(text);
            }
        }
        let mut attachments = d.attachments;
        for a in attachments.drain(..) {
            pool.put(a.name);
            pool.put(a.media_type);
        }
        if attachments.capacity() <= limits::ATTACHMENTS {
            pool.attachments = attachments;
        }
        d.id
    }
}

/// Buffers of strings of licenses decoded before, reused for the text of the
/// next ones (the batch verifier decodes license after license on a thread):
/// no allocation per string once they have grown. A copy starts empty.
#[derive(Debug, Default)]
pub(crate) struct StringPool {
    strings: Vec<String>,
    /// The (emptied) attachment vector of the license recycled last.
    attachments: Vec<Attachment>,
}

/// Strings a [`StringPool`] keeps, and the largest buffer it keeps.
const POOL_STRINGS: usize = 64;
const POOL_STRING_BYTES: usize = 4096;

impl Clone for StringPool {
    fn clone(&self) -> Self {
        StringPool::default()
    }
}

impl StringPool {
    /// `s` as a `String`: an owned one as it is, a borrowed one copied into a
    /// buffer from the pool.
    pub(crate) fn string(&mut self, s: Cow<'_, str>) -> String {
        match s {
            Cow::Owned(s) => s,
            Cow::Borrowed(text) => match self.strings.pop() {
                Some(mut buffer) => {
                    buffer.clear();
                    buffer.push_str(text);
                    buffer
                }
                None => text.to_owned(),
            },
        }
    }

    /// Keeps the buffer of `s` for later.
    pub(crate) fn put(&mut self, s: String) {
        if self.strings.len() < POOL_STRINGS && s.capacity() <= POOL_STRING_BYTES {
            self.strings.push(s);
        }
    }
}

fn encode_org(w: &mut Writer<'_>, o: &Organisation) {
    w.begin_object();
    w.field_str("code", o.code.as_str());
    w.field_str("name", &o.name);
    w.end_object();
}

/// Decodes an organisation; a code equal to `known` (a valid code) is taken
/// as it without being checked again.
fn decode_org(
    p: &mut Parser<'_>,
    field: &'static str,
    known: Option<Uscc>,
    pool: &mut StringPool,
) -> Result<Organisation, DecodeError> {
    let mut o = p.object()?;
    let text = o.field("code")?.str()?;
    let code = match known {
        Some(k) if k.as_str() == text => k,
        _ => Uscc::parse(&text).map_err(|source| DecodeError::Id { field, source })?,
    };
    let name = pool.string(o.field("name")?.str()?);
    o.end()?;
    Organisation::new(name, code).map_err(DecodeError::Model)
}

fn date(field: &'static str, s: &str) -> Result<Date, DecodeError> {
    Date::parse(s).map_err(|source| DecodeError::Date { field, source })
}

fn timestamp(field: &'static str, s: &str) -> Result<Timestamp, DecodeError> {
    Timestamp::parse(s).map_err(|source| DecodeError::Date { field, source })
}

/// Lower-case hex of bytes.
pub(crate) fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        for nibble in [b >> 4, b & 0xf] {
            s.push(char::from_digit(u32::from(nibble), 16).unwrap_or('0'));
        }
    }
    s
}

/// Parses exactly 64 lower-case hex digits.
pub(crate) fn unhex32(field: &'static str, s: &[u8]) -> Result<[u8; 32], DecodeError> {
    const fn nibble(c: u8) -> u8 {
        match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            _ => 0xff,
        }
    }
    let bad = || DecodeError::Encoding {
        field,
        encoding: "64 lower-case hex digits",
    };
    let bytes: &[u8; 64] = s.try_into().map_err(|_| bad())?;
    let mut out = [0u8; 32];
    let mut invalid = 0u8;
    for (o, pair) in out.iter_mut().zip(bytes.chunks_exact(2)) {
        let (h, l) = match pair {
            [h, l] => (nibble(*h), nibble(*l)),
            _ => (0xff, 0xff),
        };
        invalid |= (h | l) & 0xf0;
        *o = (h << 4) | (l & 0x0f);
    }
    if invalid == 0 { Ok(out) } else { Err(bad()) }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn unhex32_takes_exactly_64_lower_case_digits() {
        let hex = b"00112233445566778899aabbccddeeff0123456789abcdef02468ace13579bdf";
        let v = unhex32("f", hex).unwrap();
        assert_eq!(super::hex(&v).as_bytes(), hex);
        for bad in 0..=255u8 {
            let ok = bad.is_ascii_digit() || (b'a'..=b'f').contains(&bad);
            for at in [0, 1, 31, 62, 63] {
                let mut h = *hex;
                h[at] = bad;
                assert_eq!(unhex32("f", &h).is_ok(), ok, "{bad:#x} at {at}");
            }
        }
        assert!(unhex32("f", &hex[..63]).is_err());
        assert!(unhex32("f", &[hex.as_slice(), b"0"].concat()).is_err());
        assert!(unhex32("f", b"").is_err());
    }

    #[test]
    fn pooled_strings_hold_exactly_the_new_text() {
        let mut pool = StringPool::default();
        assert_eq!(pool.string(Cow::Borrowed("first")), "first");
        pool.put("a much longer string than the next".to_owned());
        pool.put(String::with_capacity(2));
        // Taken last in, first out; contents replaced, whatever the capacity.
        assert_eq!(pool.string(Cow::Borrowed("证照")), "证照");
        assert_eq!(pool.string(Cow::Borrowed("")), "");
        assert_eq!(pool.string(Cow::Borrowed("x")), "x");
        // An owned string is used as it is.
        let owned = String::from("escaped\n");
        let ptr = owned.as_ptr();
        let same = pool.string(Cow::Owned(owned));
        assert_eq!(same.as_ptr(), ptr);
        // Bounded: huge buffers and more than the limit are dropped.
        pool.put(String::with_capacity(POOL_STRING_BYTES + 1));
        assert!(pool.strings.is_empty());
        for _ in 0..POOL_STRINGS + 10 {
            pool.put(String::new());
        }
        assert_eq!(pool.strings.len(), POOL_STRINGS);
        // A copy shares nothing.
        assert!(pool.clone().strings.is_empty());
    }
}
