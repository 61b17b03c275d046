//! Access tokens: making them, and checking the `Authorization` header.

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use elicense::{
    AccessToken, Grant, LicenseTypeCode, Organisation, ResourceError, ResourceLibrary, Timestamp,
    TokenRole, TokenSecret,
};

use crate::error::ApiError;
use crate::state::Service;
use crate::{ServiceStore, api::blocking};

/// Makes an access token for `accessor` with `grants` and `role`, stores it
/// (as a digest) in `lib`'s store and grants `accessor` each type by policy
/// in `lib`'s ledger — what fetches are checked against. Returns the stored
/// record and the secret to hand over once.
///
/// # Errors
/// The store's or the ledger's.
pub fn issue_token<S: ServiceStore>(
    lib: &ResourceLibrary<S>,
    accessor: Organisation,
    grants: Vec<LicenseTypeCode>,
    role: TokenRole,
    at: Timestamp,
) -> Result<(AccessToken, TokenSecret), ResourceError> {
    let code = *accessor.code();
    let (token, secret) = AccessToken::generate(accessor, grants, role, at)?;
    lib.store().add_token(&token)?;
    for t in token.grants() {
        lib.grant(Grant::by_policy(code, *t, None))?;
    }
    Ok((token, secret))
}

/// The caller's token, checked (401 without a valid one).
pub(crate) struct Caller(pub(crate) AccessToken);

/// The caller's token, which must have the issuer role (403 otherwise).
pub(crate) struct IssuerCaller(pub(crate) AccessToken);

impl<S: ServiceStore> FromRequestParts<Service<S>> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Service<S>,
    ) -> Result<Self, Self::Rejection> {
        let presented = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|t| AccessToken::key_id_of(t).is_some())
            .ok_or_else(ApiError::unauthorized)?
            .to_owned();
        let s = state.clone();
        let found = blocking(move || {
            s.inner
                .lib
                .store()
                .authenticate(&presented)
                .map_err(ApiError::from)
        })
        .await?;
        match found {
            Some(t) => Ok(Caller(t)),
            None => {
                tracing::info!("refused: unknown or wrong access token");
                Err(ApiError::unauthorized())
            }
        }
    }
}

impl<S: ServiceStore> FromRequestParts<Service<S>> for IssuerCaller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Service<S>,
    ) -> Result<Self, Self::Rejection> {
        let Caller(t) = Caller::from_request_parts(parts, state).await?;
        if t.role() != TokenRole::Issuer {
            return Err(ApiError::forbidden(
                "issuer_role_required",
                "this route needs a token with the issuer role",
            ));
        }
        Ok(IssuerCaller(t))
    }
}
