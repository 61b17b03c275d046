//! Refusals and failures as HTTP answers: a status and a JSON body
//! `{"error": {"code": "...", "message": "..."}}` whose `code` is stable and
//! typed. Messages never carry a personal identity number: the library's
//! errors name licenses by identifier and holders by masked code, and
//! backend failures are reported without their text.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use elicense::{ResourceError, StoreError};
use serde::Serialize;
use utoipa::ToSchema;

/// The body of every refusal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, ToSchema)]
pub struct ErrorBody {
    /// What went wrong.
    pub error: ErrorDetail,
}

/// A refusal's code and message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, ToSchema)]
pub struct ErrorDetail {
    /// A stable snake_case code (`unauthorized`, `no_permission`,
    /// `not_found`, `body_too_large`, `malformed_body`, …).
    pub code: String,
    /// A human-readable explanation (no personal data).
    pub message: String,
}

/// A refused or failed request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl ApiError {
    /// A refusal with `status`, `code` and `message`.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
        }
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The typed code.
    pub fn code(&self) -> &'static str {
        self.code
    }

    pub(crate) fn bad_request(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, code, message)
    }

    pub(crate) fn unauthorized() -> ApiError {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "an access token is required: Authorization: Bearer elt_…",
        )
    }

    pub(crate) fn forbidden(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, code, message)
    }

    pub(crate) fn internal() -> ApiError {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "the service failed; nothing was changed",
        )
    }

    pub(crate) fn body_too_large(max: usize) -> ApiError {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
            format!("the request body is larger than {max} bytes"),
        )
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> ApiError {
        match e {
            StoreError::Limit { .. } => ApiError::bad_request("limit", e.to_string()),
            StoreError::Decode(_) => ApiError::bad_request("malformed_document", e.to_string()),
            StoreError::NotFound { .. } => {
                ApiError::new(StatusCode::NOT_FOUND, "not_found", e.to_string())
            }
            StoreError::Transition { .. } => {
                ApiError::new(StatusCode::CONFLICT, "transition", e.to_string())
            }
            StoreError::EventOrder { .. } => {
                ApiError::new(StatusCode::CONFLICT, "time_order", e.to_string())
            }
            StoreError::Conflict { .. } => {
                ApiError::new(StatusCode::CONFLICT, "conflict", e.to_string())
            }
            StoreError::Text { .. } => ApiError::bad_request("text", e.to_string()),
            StoreError::UnknownType { .. } => ApiError::bad_request("unknown_type", e.to_string()),
            other => {
                // Backend texts can quote values: log the kind only.
                tracing::error!(error = %kind_of(&other), "store failure");
                ApiError::internal()
            }
        }
    }
}

fn kind_of(e: &StoreError) -> &'static str {
    match e {
        StoreError::Backend(_) => "backend",
        StoreError::Corrupt { .. } => "corrupt",
        StoreError::Config { .. } => "config",
        _ => "other",
    }
}

impl From<ResourceError> for ApiError {
    fn from(e: ResourceError) -> ApiError {
        use ResourceError as R;
        let text = e.to_string();
        match e {
            R::NotFound { .. } => ApiError::new(StatusCode::NOT_FOUND, "not_found", text),
            R::UnknownDispute(_) => ApiError::new(StatusCode::NOT_FOUND, "unknown_dispute", text),
            R::NoPermission { .. } => ApiError::forbidden("no_permission", text),
            R::NotHolder { .. } => ApiError::forbidden("not_holder", text),
            R::UnknownIssuer { .. } => ApiError::forbidden("unknown_issuer", text),
            R::UnknownType { .. } => ApiError::bad_request("unknown_type", text),
            R::Model(_) => ApiError::bad_request("invalid_license", text),
            R::Schema { .. } => ApiError::bad_request("schema", text),
            R::Id(_) => ApiError::bad_request("identifier", text),
            R::Text { .. } => ApiError::bad_request("text", text),
            R::DisputeField { .. } => ApiError::bad_request("dispute_field", text),
            R::NotAStatusChange { .. } => ApiError::bad_request("not_a_status_change", text),
            R::Copy { .. } => ApiError::bad_request("copy", text),
            R::Transition { .. } => ApiError::new(StatusCode::CONFLICT, "transition", text),
            R::DisputeClosed { .. } => ApiError::new(StatusCode::CONFLICT, "dispute_closed", text),
            R::TimeOrder { .. } => ApiError::new(StatusCode::CONFLICT, "time_order", text),
            R::SerialsExhausted { .. } => {
                ApiError::new(StatusCode::CONFLICT, "serials_exhausted", text)
            }
            R::Store(s) => ApiError::from(s),
            other => {
                tracing::error!(error = %variant(&other), "library failure");
                ApiError::internal()
            }
        }
    }
}

fn variant(e: &ResourceError) -> &'static str {
    match e {
        ResourceError::Seal(_) => "seal",
        ResourceError::Sealer(_) => "sealer",
        ResourceError::Ledger { .. } => "ledger",
        ResourceError::Io { .. } => "io",
        _ => "other",
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code.to_owned(),
                message: self.message,
            },
        };
        let mut r = (self.status, axum::Json(body)).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            r.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if self.status == StatusCode::PAYLOAD_TOO_LARGE {
            // The rest of the body is not read: the connection cannot be reused.
            r.headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        r
    }
}
