//! # elicense-service — the resource library's unified service interface over HTTP
//!
//! (统一对外服务接口, 在线核验.) [`router`] builds an axum [`Router`] over an
//! [`elicense::ResourceLibrary`], so a Rust service can mount it inside its
//! own server; [`serve`] runs it on a listener with graceful shutdown (the
//! `elicense serve` command does that).
//!
//! | route | who | what |
//! |---|---|---|
//! | `POST /v1/verify` | anyone | verify a sealed document: code 0–7, failing step, message (`?report=full`: every step) |
//! | `POST /v1/verify/batch` | anyone | JSON Lines in, one verdict per line out, streamed, in order |
//! | `GET /v1/licenses/{id}/verify` | token | verify a stored license by identifier |
//! | `GET /v1/licenses` | token | catalog search (holder, type, issuer, region, status, name, valid_at), keyset pages |
//! | `GET /v1/licenses/{id}` | token + grant + `X-Purpose` | the exact stored bytes; every use and refusal recorded |
//! | `GET /v1/uses?holder=` | issuer token | the use record of a holder |
//! | `POST /v1/licenses` | issuer token | issue (新发) from license data |
//! | `POST /v1/licenses/{id}/{suspend,resume,revoke,cancel,renew,change}` | issuer token (own licenses) | lifecycle |
//! | `POST /v1/disputes`, `POST /v1/disputes/{id}/{uphold,reject}` | issuer token | disputes (异议) and corrections |
//! | `POST /v1/licenses/{id}/copies` | token + grant + `X-Purpose` | an annotated copy (加注件) for the accessor |
//! | `GET /v1/status/{issuer}` | anyone | the issuer's signed status snapshot (状态快照), ETag and `If-None-Match` → 304 |
//! | `GET /v1/trust-lists/{publisher}` | anyone | a publisher's signed trust list file, ETag and 304 |
//! | `GET /healthz`, `GET /metrics`, `GET /openapi.json` | anyone | health, Prometheus text, the OpenAPI document |
//!
//! **Credentials.** `Authorization: Bearer elt_…` tokens
//! ([`elicense::AccessToken`]) kept in the store's own database as the SHA-256
//! of their secret and compared in constant time; [`issue_token`] makes one
//! (and writes its grants to the library's ledger as policy grants, which is
//! what a fetch is checked against).
//!
//! **Speed.** `POST /v1/verify` requests that arrive together are verified
//! together: a small queue drained by worker threads feeds them to
//! [`ResourceLibrary::verify_bytes_batch`](elicense::ResourceLibrary::verify_bytes_batch)
//! (the batch verifier's signature equation), whose answers equal
//! `verify_bytes`'s one by one.
//!
//! **Safety.** Bodies are bounded (413), requests time out (408), malformed
//! input is a 400 with a typed `error.code`, nothing is changed by a refused
//! request; logs name the route pattern, never the query string, so no
//! holder code reaches them; holder codes in answers are masked.

mod api;
mod auth;
mod coalesce;
mod distribution;
mod error;
mod metrics;
mod openapi;
mod state;

use std::future::Future;

use axum::Router;

pub use auth::issue_token;
pub use error::{ApiError, ErrorBody, ErrorDetail};
pub use openapi::openapi_json;
pub use state::{Clock, Limits, Service};

/// Everything a [`Service`]'s store must be: a license store that also keeps
/// access tokens.
pub trait ServiceStore: elicense::LicenseStore + elicense::TokenStore + 'static {}
impl<T: elicense::LicenseStore + elicense::TokenStore + 'static> ServiceStore for T {}

/// The service's routes over `service`; see the crate docs.
pub fn router<S: ServiceStore>(service: Service<S>) -> Router {
    api::router(service)
}

/// Serves `router` on `listener` until `shutdown` completes, then stops
/// accepting and waits for the requests in flight to finish.
///
/// # Errors
/// The listener's I/O errors.
pub async fn serve(
    listener: tokio::net::TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown)
        .await
}

/// Completes on Ctrl-C or, on Unix, SIGTERM: a shutdown signal for [`serve`].
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutdown signal: finishing requests in flight");
}
