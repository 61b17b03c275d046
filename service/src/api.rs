//! The routes and their handlers.

use std::collections::BTreeMap;
use std::io::Read;
use std::time::Instant;

use axum::Router;
use axum::body::Body;
use axum::extract::{FromRequest, MatchedPath, Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use bytes::{Bytes, BytesMut};
use elicense::{
    Amendment, CatalogEntry, CopyRequest, Cursor, Date, DisputeId, DisputeState, FieldValue,
    Holder, HolderCode, HolderCodeType, IssueRequest, LicenseId, LicenseStatus, LicenseTypeCode,
    Outcome, Purpose, RegionCode, Report, StatusProblem, Timestamp, Uscc, UseAction, UseRecord,
    UseResult, VerifyCode, VerifyResult,
};
use futures_util::StreamExt;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;
use utoipa::{IntoParams, ToSchema};

use crate::ServiceStore;
use crate::auth::{Caller, IssuerCaller};
use crate::error::{ApiError, ErrorBody};
use crate::state::Service;

pub(crate) fn router<S: ServiceStore>(service: Service<S>) -> Router {
    let timeout = service.inner.limits.timeout;
    let timed = Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics::<S>))
        .route("/openapi.json", get(openapi))
        .route("/v1/verify", post(verify::<S>))
        .route("/v1/licenses", get(search::<S>).post(issue::<S>))
        .route("/v1/licenses/{id}", get(fetch::<S>))
        .route("/v1/licenses/{id}/verify", get(verify_id::<S>))
        .route("/v1/licenses/{id}/suspend", post(suspend::<S>))
        .route("/v1/licenses/{id}/resume", post(resume::<S>))
        .route("/v1/licenses/{id}/revoke", post(revoke::<S>))
        .route("/v1/licenses/{id}/cancel", post(cancel::<S>))
        .route("/v1/licenses/{id}/renew", post(renew::<S>))
        .route("/v1/licenses/{id}/change", post(change::<S>))
        .route("/v1/licenses/{id}/copies", post(copy::<S>))
        .route("/v1/uses", get(uses::<S>))
        .route("/v1/disputes", post(raise_dispute::<S>))
        .route("/v1/disputes/{id}/uphold", post(uphold_dispute::<S>))
        .route("/v1/disputes/{id}/reject", post(reject_dispute::<S>))
        .route(
            "/v1/status/{issuer}",
            get(crate::distribution::status_snapshot::<S>),
        )
        .route(
            "/v1/trust-lists/{publisher}",
            get(crate::distribution::trust_list::<S>),
        )
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            timeout,
        ));
    // Bodies of any length: no timeout, memory bounded by the batch verifier.
    let untimed = Router::new().route("/v1/verify/batch", post(verify_batch::<S>));
    timed
        .merge(untimed)
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(
            service.clone(),
            observe::<S>,
        ))
        .layer(
            // Spans name the route pattern, never the URI: query strings
            // carry holder codes.
            TraceLayer::new_for_http().make_span_with(|req: &Request| {
                let route = req
                    .extensions()
                    .get::<MatchedPath>()
                    .map_or("unmatched", MatchedPath::as_str);
                tracing::info_span!("request", method = %req.method(), route)
            }),
        )
        .with_state(service)
}

async fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "no_route", "no such route")
}

async fn observe<S: ServiceStore>(
    State(s): State<Service<S>>,
    req: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_owned());
    let writes = req.method() == axum::http::Method::POST
        && route.as_deref().is_some_and(|r| {
            (r.starts_with("/v1/licenses") || r.starts_with("/v1/disputes/"))
                && !r.ends_with("/copies")
        });
    let resp = next.run(req).await;
    if writes && resp.status().is_success() {
        // The licenses not in force may have changed: published status
        // snapshots are checked against the store again.
        s.inner.dist.changed();
    }
    s.inner.metrics.observe(
        route.as_deref().unwrap_or("unmatched"),
        resp.status().as_u16(),
        started.elapsed(),
    );
    resp
}

/// Runs store and library work on the blocking pool (a synchronous
/// PostgreSQL client must never run on an async worker).
pub(crate) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|_| ApiError::internal())?
}

// ---- request bodies ----

/// A request body of at most the service's limit (413 beyond it).
pub(crate) struct Limited(pub(crate) Bytes);

impl<S: ServiceStore> FromRequest<Service<S>> for Limited {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &Service<S>) -> Result<Self, Self::Rejection> {
        let max = state.inner.limits.body_bytes;
        let declared = req
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|n| n > max as u64) {
            return Err(ApiError::body_too_large(max));
        }
        let mut stream = req.into_body().into_data_stream();
        let mut buf = BytesMut::new();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|_| {
                ApiError::bad_request("body_read", "the request body could not be read")
            })?;
            if buf.len() + chunk.len() > max {
                return Err(ApiError::body_too_large(max));
            }
            buf.extend_from_slice(&chunk);
        }
        Ok(Limited(buf.freeze()))
    }
}

/// Parses a JSON body; the error names the position and category only (a
/// value quoted back could be personal data).
fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    if body.is_empty() {
        return Err(ApiError::bad_request(
            "missing_body",
            "a JSON body is required",
        ));
    }
    serde_json::from_slice(body).map_err(|e| {
        let what = match e.classify() {
            serde_json::error::Category::Syntax | serde_json::error::Category::Eof => {
                "not valid JSON"
            }
            _ => "a missing, unknown or invalid field",
        };
        ApiError::bad_request(
            "malformed_body",
            format!(
                "the body is malformed: {what} at line {} column {}",
                e.line(),
                e.column()
            ),
        )
    })
}

fn purpose_of(headers: &HeaderMap) -> Result<Purpose, ApiError> {
    let raw = headers.get("x-purpose").ok_or_else(|| {
        ApiError::bad_request(
            "purpose_required",
            "state the purpose of use (用证事由) in the X-Purpose header, 1–200 characters",
        )
    })?;
    let text = std::str::from_utf8(raw.as_bytes())
        .map_err(|_| ApiError::bad_request("text", "X-Purpose must be UTF-8"))?;
    Ok(Purpose::new(text)?)
}

fn license_id(s: &str) -> Result<LicenseId, ApiError> {
    LicenseId::parse(s)
        .map_err(|e| ApiError::bad_request("identifier", format!("not a license identifier: {e}")))
}

fn document(status: StatusCode, id: &LicenseId, bytes: Vec<u8>) -> Response {
    let mut r = (status, bytes).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if status == StatusCode::CREATED
        && let Ok(v) = HeaderValue::from_str(&format!("/v1/licenses/{id}"))
    {
        r.headers_mut().insert(header::LOCATION, v);
    }
    r
}

// ---- answers ----

/// The verification service's answer (核验结果).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub(crate) struct VerifyAnswer {
    /// 0 valid, 1 not yet in force, 2 suspended, 3 invalid, 4 incomplete,
    /// 5 not found, 6 missing parameter, 7 partly wrong.
    code: u8,
    /// The code's name (`valid`, `not_activated`, …).
    result: String,
    /// Whether the code is 0.
    valid: bool,
    /// The license identifier, when the document was readable.
    id: Option<String>,
    /// The verification step that failed (`license_signature`, `validity`, …).
    failed_step: Option<String>,
    /// The failure's kind (`invalid_signature`, `expired`, …).
    failure: Option<String>,
    /// A sentence for people.
    message: String,
    /// The license's status code in the library (`01` 有效 …), when stored.
    status: Option<String>,
    /// Why a license that verified is still not valid: `status` or
    /// `differs_from_stored`.
    problem: Option<String>,
    /// Disputes under review on the license.
    under_review: Vec<u64>,
    /// Every verification step (with `?report=full`).
    #[serde(skip_serializing_if = "Option::is_none")]
    report: Option<Vec<ReportRow>>,
}

/// One step of a verification report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub(crate) struct ReportRow {
    /// The step.
    step: String,
    /// `passed`, `failed`, `not_run` or `not_applicable`.
    outcome: String,
    /// The failure's kind, for the failed step.
    failure: Option<String>,
    /// The failure, for the failed step.
    message: Option<String>,
}

fn code_name(c: VerifyCode) -> &'static str {
    match c {
        VerifyCode::Valid => "valid",
        VerifyCode::NotActivated => "not_activated",
        VerifyCode::TemporarilyInvalid => "temporarily_invalid",
        VerifyCode::Invalid => "invalid",
        VerifyCode::Incomplete => "incomplete",
        VerifyCode::NotFound => "not_found",
        VerifyCode::MissingParameter => "missing_parameter",
        VerifyCode::PartlyWrong => "partly_wrong",
        _ => "other",
    }
}

fn rows(report: &Report) -> Vec<ReportRow> {
    report
        .checks()
        .iter()
        .map(|c| {
            let (outcome, failure) = match c.outcome() {
                Outcome::Passed => ("passed", None),
                Outcome::Failed(f) => ("failed", Some(f)),
                Outcome::NotRun => ("not_run", None),
                Outcome::NotApplicable => ("not_applicable", None),
                _ => ("other", None),
            };
            ReportRow {
                step: c.step().name().to_owned(),
                outcome: outcome.to_owned(),
                failure: failure.map(|f| f.kind().to_owned()),
                message: failure.map(ToString::to_string),
            }
        })
        .collect()
}

pub(crate) fn answer(r: &VerifyResult, full: bool) -> VerifyAnswer {
    let failure = r.report().and_then(Report::failure);
    let message = match (failure, r.code()) {
        (Some((step, f)), _) => format!("{step}: {f}"),
        (None, VerifyCode::Valid) => "correct and valid (正确有效)".to_owned(),
        (None, VerifyCode::NotFound) => "the library holds no such license (不存在)".to_owned(),
        (None, c) => match r.status_problem() {
            Some(StatusProblem::Status(s)) => {
                format!(
                    "the license is {} ({}) in the library",
                    s.name_en(),
                    s.name_zh()
                )
            }
            Some(StatusProblem::DiffersFromStored) => {
                "the submitted license differs from the one the library holds".to_owned()
            }
            _ => code_name(c).replace('_', " "),
        },
    };
    VerifyAnswer {
        code: r.code().code(),
        result: code_name(r.code()).to_owned(),
        valid: r.is_valid(),
        id: r.id().map(ToString::to_string),
        failed_step: r.failed_step().map(|s| s.name().to_owned()),
        failure: failure.map(|(_, f)| f.kind().to_owned()),
        message,
        status: r.status().map(|s| s.code().to_owned()),
        problem: r.status_problem().map(|p| {
            match p {
                StatusProblem::Status(_) => "status",
                StatusProblem::DiffersFromStored => "differs_from_stored",
                _ => "other",
            }
            .to_owned()
        }),
        under_review: r.under_review().iter().map(DisputeId::get).collect(),
        report: if full { r.report().map(rows) } else { None },
    }
}

/// `?report=full` asks for every step.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ReportParam {
    /// `full`: include the step report.
    report: Option<String>,
}

impl ReportParam {
    fn full(&self) -> Result<bool, ApiError> {
        match self.report.as_deref() {
            None => Ok(false),
            Some("full") => Ok(true),
            Some(_) => Err(ApiError::bad_request("parameter", "report must be `full`")),
        }
    }
}

// ---- health, metrics, OpenAPI ----

/// Liveness.
#[utoipa::path(get, path = "/healthz", tag = "operations",
    responses((status = 200, description = "the service is up", body = String)))]
pub(crate) async fn healthz() -> &'static str {
    "ok\n"
}

/// Prometheus metrics: requests by route and status, a latency histogram,
/// licenses verified.
#[utoipa::path(get, path = "/metrics", tag = "operations",
    responses((status = 200, description = "Prometheus text exposition", body = String)))]
pub(crate) async fn metrics<S: ServiceStore>(State(s): State<Service<S>>) -> Response {
    let mut r = s.inner.metrics.render().into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4"),
    );
    r
}

/// This document, generated from the handlers.
#[utoipa::path(get, path = "/openapi.json", tag = "operations",
    responses((status = 200, description = "the OpenAPI 3.1 document", body = Object)))]
pub(crate) async fn openapi() -> Response {
    let mut r = crate::openapi::openapi_json().into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r
}

// ---- verification ----

/// 在线核验: verifies a submitted sealed license (the body is the document;
/// one final line break is ignored) and that it is the license the library
/// holds, in force.
#[utoipa::path(post, path = "/v1/verify", tag = "verification", params(ReportParam),
    request_body(content = String, content_type = "application/json",
        description = "a sealed license document, byte for byte"),
    responses(
        (status = 200, description = "the verification answer", body = VerifyAnswer),
        (status = 400, description = "no body", body = ErrorBody),
        (status = 413, description = "body too large", body = ErrorBody)))]
pub(crate) async fn verify<S: ServiceStore>(
    State(s): State<Service<S>>,
    Query(p): Query<ReportParam>,
    Limited(body): Limited,
) -> Result<axum::Json<VerifyAnswer>, ApiError> {
    let full = p.full()?;
    // A document saved as a text file ends with a line break: not part of it.
    let body = match body
        .strip_suffix(b"\r\n")
        .or_else(|| body.strip_suffix(b"\n"))
    {
        Some(b) => body.slice_ref(b),
        None => body,
    };
    if body.is_empty() {
        return Err(ApiError::bad_request(
            "missing_body",
            "the body must be a sealed license document",
        ));
    }
    let at = s.now();
    let result = if full {
        let s2 = s.clone();
        blocking(move || Ok(s2.inner.lib.verify_bytes(&body, at)?)).await?
    } else {
        s.inner
            .queue
            .verify(body, at)
            .await
            .map_err(|_| ApiError::internal())??
    };
    let valid = u64::from(result.is_valid());
    s.inner.metrics.verified(valid, 1 - valid);
    Ok(axum::Json(answer(&result, full)))
}

/// One line of the batch route's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub(crate) struct BatchLine {
    /// The input line (1-based).
    line: usize,
    /// The license identifier, when the line was readable far enough.
    id: Option<String>,
    /// Whether the license verified (its status in the library included).
    valid: bool,
    /// The step that failed.
    failed_step: Option<String>,
    /// The failure's kind.
    failure: Option<String>,
    /// The failure, for people.
    message: Option<String>,
}

/// Feeds a request body to a blocking reader.
struct ChannelReader {
    rx: tokio::sync::mpsc::Receiver<Result<Bytes, std::io::Error>>,
    current: Bytes,
}

impl Read for ChannelReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.current.is_empty() {
            match self.rx.blocking_recv() {
                None => return Ok(0),
                Some(Err(e)) => return Err(e),
                Some(Ok(b)) => self.current = b,
            }
        }
        let n = buf.len().min(self.current.len());
        let chunk = self.current.split_to(n);
        if let Some(dst) = buf.get_mut(..n) {
            dst.copy_from_slice(&chunk);
        }
        Ok(n)
    }
}

/// Batch verification: a JSON Lines body (one sealed license per line, any
/// length) through the library's batch verifier; a JSON Lines answer, one
/// verdict per input line, in order, streamed as it is made.
#[utoipa::path(post, path = "/v1/verify/batch", tag = "verification",
    request_body(content = String, content_type = "application/x-ndjson",
        description = "JSON Lines: one sealed license per line"),
    responses((status = 200, description = "JSON Lines: one BatchLine per input line",
        content_type = "application/x-ndjson", body = BatchLine)))]
pub(crate) async fn verify_batch<S: ServiceStore>(
    State(s): State<Service<S>>,
    body: Body,
) -> Response {
    let at = s.now();
    let (in_tx, in_rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(8);
    let (out_tx, mut out_rx) = tokio::sync::mpsc::channel::<Bytes>(8);
    tokio::spawn(async move {
        let mut stream = body.into_data_stream();
        while let Some(chunk) = stream.next().await {
            let item = chunk.map_err(|e| std::io::Error::other(e.to_string()));
            let stop = item.is_err();
            if in_tx.send(item).await.is_err() || stop {
                break;
            }
        }
    });
    let s2 = s.clone();
    tokio::task::spawn_blocking(move || {
        let reader = std::io::BufReader::with_capacity(
            256 * 1024,
            ChannelReader {
                rx: in_rx,
                current: Bytes::new(),
            },
        );
        let mut pending = Vec::with_capacity(64 * 1024);
        let (mut valid, mut rejected) = (0u64, 0u64);
        let summary = s2.inner.batch.verify_lines(reader, at, |o| {
            let failure = o.result().as_ref().err().map(|r| r.failure());
            if o.is_valid() {
                valid += 1;
            } else {
                rejected += 1;
            }
            let line = BatchLine {
                line: o.index() + 1,
                id: o.id().map(ToString::to_string),
                valid: o.is_valid(),
                failed_step: o.failed_step().map(|st| st.name().to_owned()),
                failure: failure.map(|f| f.kind().to_owned()),
                message: failure.map(ToString::to_string),
            };
            if serde_json::to_writer(&mut pending, &line).is_ok() {
                pending.push(b'\n');
            }
            if pending.len() >= 60 * 1024 {
                let chunk = Bytes::from(std::mem::take(&mut pending));
                let _ = out_tx.blocking_send(chunk);
            }
        });
        if let Err(e) = summary {
            let err = ErrorBody {
                error: crate::error::ErrorDetail {
                    code: "body_read".to_owned(),
                    message: format!("the batch stopped: {e}"),
                },
            };
            if serde_json::to_writer(&mut pending, &err).is_ok() {
                pending.push(b'\n');
            }
        }
        if !pending.is_empty() {
            let _ = out_tx.blocking_send(Bytes::from(pending));
        }
        s2.inner.metrics.verified(valid, rejected);
    });
    let stream = futures_util::stream::poll_fn(move |cx| {
        out_rx
            .poll_recv(cx)
            .map(|o| o.map(Ok::<Bytes, std::convert::Infallible>))
    });
    let mut r = Body::from_stream(stream).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/x-ndjson"),
    );
    r
}

/// Verifies the stored license `id` (its seals, certificates, validity and
/// status in the library).
#[utoipa::path(get, path = "/v1/licenses/{id}/verify", tag = "verification",
    params(("id" = String, Path, description = "电子证照标识"), ReportParam),
    security(("token" = [])),
    responses(
        (status = 200, description = "the verification answer (code 5: not found)", body = VerifyAnswer),
        (status = 400, description = "not an identifier", body = ErrorBody),
        (status = 401, description = "no or wrong token", body = ErrorBody)))]
pub(crate) async fn verify_id<S: ServiceStore>(
    State(s): State<Service<S>>,
    _caller: Caller,
    Path(id): Path<String>,
    Query(p): Query<ReportParam>,
) -> Result<axum::Json<VerifyAnswer>, ApiError> {
    let full = p.full()?;
    let id = license_id(&id)?;
    let at = s.now();
    let s2 = s.clone();
    let r = blocking(move || Ok(s2.inner.lib.verify_id(&id, at)?)).await?;
    let valid = u64::from(r.is_valid());
    s.inner.metrics.verified(valid, 1 - valid);
    Ok(axum::Json(answer(&r, full)))
}

// ---- catalog search, fetch, use record ----

/// Catalog search parameters (all optional; combined with AND).
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct SearchParams {
    /// 持证主体代码: a USCC, a citizen id, or TYPE:VALUE (3-digit code type).
    holder: Option<String>,
    /// 证照类型代码.
    #[serde(rename = "type")]
    #[param(rename = "type")]
    type_code: Option<String>,
    /// Issuer USCC.
    issuer: Option<String>,
    /// 行政区划代码 (GB/T 2260).
    region: Option<String>,
    /// Status: a code (`01`) or a name (`valid`, `revoked`, 有效, …).
    status: Option<String>,
    /// The license's or holder's name contains this text.
    name: Option<String>,
    /// Valid on this day (YYYY-MM-DD).
    valid_at: Option<String>,
    /// The cursor of the previous page's `next`.
    after: Option<String>,
    /// Entries per page (1–1000, default 100).
    limit: Option<u32>,
}

/// A catalog entry (目录), holder codes masked where personal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub(crate) struct EntryAnswer {
    id: String,
    #[serde(rename = "type")]
    type_code: String,
    name: String,
    number: String,
    holder_name: String,
    /// The holder's code, masked if personal.
    holder: String,
    holder_code_type: String,
    issuer: String,
    issuer_name: String,
    region: String,
    issue_date: String,
    valid_from: String,
    valid_to: Option<String>,
    /// Status code (`01` 有效, `02` 暂扣, …).
    status: String,
}

/// One page of the catalog.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub(crate) struct SearchPage {
    entries: Vec<EntryAnswer>,
    /// Pass as `after` for the next page; absent on the last.
    next: Option<String>,
}

fn entry_answer(e: &CatalogEntry) -> EntryAnswer {
    EntryAnswer {
        id: e.id().to_string(),
        type_code: e.type_code().to_string(),
        name: e.name().to_owned(),
        number: e.number().to_owned(),
        holder_name: e.holder().name().to_owned(),
        holder: e.holder().code().masked(),
        holder_code_type: e.holder().code().code_type().as_str().to_owned(),
        issuer: e.issuer().code().to_string(),
        issuer_name: e.issuer().name().to_owned(),
        region: e.region().to_string(),
        issue_date: e.issue_date().to_string(),
        valid_from: e.valid_from().to_string(),
        valid_to: e.valid_to().map(|d| d.to_string()),
        status: e.status().code().to_owned(),
    }
}

fn holder_param(s: &str) -> Result<HolderCode, ApiError> {
    let bad = || {
        ApiError::bad_request(
            "holder",
            "holder: neither a USCC nor a citizen id (give TYPE:VALUE for other code types)",
        )
    };
    if let Some((t, v)) = s.split_once(':') {
        return HolderCode::new(t, v).map_err(|_| bad());
    }
    if let Ok(u) = s.parse::<Uscc>() {
        return Ok(HolderCode::Org(u));
    }
    HolderCode::from_type(HolderCodeType::CITIZEN_ID, s).map_err(|_| bad())
}

fn status_param(s: &str) -> Result<LicenseStatus, ApiError> {
    if let Ok(st) = LicenseStatus::from_code(s) {
        return Ok(st);
    }
    for code in ["01", "02", "03", "04", "05", "06", "07", "99"] {
        if let Ok(st) = LicenseStatus::from_code(code)
            && (st.name_en().eq_ignore_ascii_case(s) || st.name_zh() == s)
        {
            return Ok(st);
        }
    }
    Err(ApiError::bad_request("status", "status: unknown status"))
}

fn param<T: std::str::FromStr>(v: &str, code: &'static str) -> Result<T, ApiError>
where
    T::Err: std::fmt::Display,
{
    v.parse::<T>()
        .map_err(|e| ApiError::bad_request(code, format!("{code}: {e}")))
}

fn build_query(p: &SearchParams) -> Result<elicense::Query, ApiError> {
    let mut q = elicense::Query::new();
    if let Some(n) = p.limit {
        q = q.limit(n)?;
    }
    if let Some(h) = &p.holder {
        q = q.holder(holder_param(h)?);
    }
    if let Some(t) = &p.type_code {
        q = q.type_code(param::<LicenseTypeCode>(t, "type")?);
    }
    if let Some(i) = &p.issuer {
        q = q.issuer(param::<Uscc>(i, "issuer")?);
    }
    if let Some(r) = &p.region {
        q = q.region(param::<RegionCode>(r, "region")?);
    }
    if let Some(s) = &p.status {
        q = q.status(status_param(s)?);
    }
    if let Some(d) = &p.valid_at {
        q = q.valid_at(
            Date::parse(d)
                .map_err(|e| ApiError::bad_request("valid_at", format!("valid_at: {e}")))?,
        );
    }
    if let Some(n) = &p.name {
        q = q.name_contains(n.as_str())?;
    }
    if let Some(c) = &p.after {
        q = q.after(param::<Cursor>(c, "after")?);
    }
    Ok(q)
}

/// 目录查询: searches the catalog; keyset pages (`next` → `after`).
#[utoipa::path(get, path = "/v1/licenses", tag = "catalog", params(SearchParams),
    security(("token" = [])),
    responses(
        (status = 200, description = "one page", body = SearchPage),
        (status = 400, description = "a malformed parameter", body = ErrorBody),
        (status = 401, description = "no or wrong token", body = ErrorBody)))]
pub(crate) async fn search<S: ServiceStore>(
    State(s): State<Service<S>>,
    _caller: Caller,
    Query(p): Query<SearchParams>,
) -> Result<axum::Json<SearchPage>, ApiError> {
    let q = build_query(&p)?;
    let page = blocking(move || Ok(s.inner.lib.store().query(&q)?)).await?;
    Ok(axum::Json(SearchPage {
        entries: page.entries().iter().map(entry_answer).collect(),
        next: page.next().map(|c| c.as_str().to_owned()),
    }))
}

/// 获取: the exact stored bytes of a license, for an accessor holding a grant
/// for its type (and holder) who states a purpose; allowed or refused, the
/// use is recorded.
#[utoipa::path(get, path = "/v1/licenses/{id}", tag = "catalog",
    params(("id" = String, Path, description = "电子证照标识"),
        ("X-Purpose" = String, Header, description = "用证事由, 1–200 characters")),
    security(("token" = [])),
    responses(
        (status = 200, description = "the sealed license, byte for byte", content_type = "application/json", body = String),
        (status = 400, description = "no or malformed purpose, or not an identifier", body = ErrorBody),
        (status = 401, description = "no or wrong token", body = ErrorBody),
        (status = 403, description = "no grant for this type and holder (recorded)", body = ErrorBody),
        (status = 404, description = "no such license (recorded)", body = ErrorBody)))]
pub(crate) async fn fetch<S: ServiceStore>(
    State(s): State<Service<S>>,
    Caller(token): Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let id = license_id(&id)?;
    let purpose = purpose_of(&headers)?;
    let at = s.now();
    let doc = blocking(move || {
        let l = s.inner.lib.fetch(token.accessor(), &purpose, &id, at);
        if let Err(e) = &l {
            tracing::info!(key_id = token.key_id(), refused = %e, "fetch refused");
        }
        Ok(l?)
    })
    .await?;
    Ok(document(
        StatusCode::OK,
        doc.license().id(),
        doc.as_bytes().to_vec(),
    ))
}

/// `?holder=` for the use record.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct UsesParams {
    /// 持证主体代码: a USCC, a citizen id, or TYPE:VALUE.
    holder: Option<String>,
}

/// One use of a holder's licenses (用证记录).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub(crate) struct UseAnswer {
    accessor: String,
    accessor_name: String,
    /// `query` or `fetch`.
    action: String,
    /// The holder, masked if personal.
    holder: Option<String>,
    #[serde(rename = "type")]
    type_code: Option<String>,
    license: Option<String>,
    at: String,
    purpose: String,
    /// `allowed`, `no_permission` or `not_found`.
    result: String,
    /// Licenses returned, when allowed.
    count: Option<usize>,
}

fn use_answer(u: &UseRecord) -> UseAnswer {
    let (result, count) = match u.result() {
        UseResult::Allowed { count } => ("allowed", Some(count)),
        UseResult::NoPermission => ("no_permission", None),
        UseResult::NotFound => ("not_found", None),
        _ => ("other", None),
    };
    UseAnswer {
        accessor: u.accessor().to_string(),
        accessor_name: u.accessor_name().to_owned(),
        action: match u.action() {
            UseAction::Query => "query",
            UseAction::Fetch => "fetch",
            _ => "other",
        }
        .to_owned(),
        holder: u.holder().map(HolderCode::masked),
        type_code: u.type_code().map(ToString::to_string),
        license: u.license().map(ToString::to_string),
        at: u.at().to_string(),
        purpose: u.purpose().to_owned(),
        result: result.to_owned(),
        count,
    }
}

/// 用证记录: who used a holder's licenses, allowed and refused, oldest first.
#[utoipa::path(get, path = "/v1/uses", tag = "catalog", params(UsesParams),
    security(("token" = [])),
    responses(
        (status = 200, description = "the use record", body = [UseAnswer]),
        (status = 400, description = "no or malformed holder", body = ErrorBody),
        (status = 401, description = "no or wrong token", body = ErrorBody),
        (status = 403, description = "not an issuer token", body = ErrorBody)))]
pub(crate) async fn uses<S: ServiceStore>(
    State(s): State<Service<S>>,
    _caller: IssuerCaller,
    Query(p): Query<UsesParams>,
) -> Result<axum::Json<Vec<UseAnswer>>, ApiError> {
    let holder = holder_param(
        p.holder
            .as_deref()
            .ok_or_else(|| ApiError::bad_request("holder", "holder is required"))?,
    )?;
    let list = blocking(move || Ok(s.inner.lib.uses_of(&holder)?)).await?;
    Ok(axum::Json(list.iter().map(use_answer).collect()))
}

// ---- writes ----

/// A holder in a request.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct HolderBody {
    /// 持证主体名称.
    name: String,
    /// Code type: `111` citizen id, `001` USCC, …
    code_type: String,
    /// 持证主体代码.
    code: String,
}

impl HolderBody {
    fn holder(&self) -> Result<Holder, ApiError> {
        let code = HolderCode::new(&self.code_type, &self.code)
            .map_err(|_| ApiError::bad_request("holder", "holder: invalid code for its type"))?;
        Holder::new(self.name.clone(), code)
            .map_err(|e| ApiError::bad_request("holder", format!("holder: {e}")))
    }
}

fn fields(
    map: BTreeMap<String, serde_json::Value>,
) -> Result<BTreeMap<String, FieldValue>, ApiError> {
    map.into_iter()
        .map(|(k, v)| {
            let fv: FieldValue = serde_json::from_value(v).map_err(|_| {
                ApiError::bad_request("field", format!("field {k}: not a field value"))
            })?;
            Ok((k, fv))
        })
        .collect()
}

/// What an issuer fills in to issue a license (新发).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct IssueBody {
    /// 证照类型代码.
    #[schema(value_type = String)]
    type_code: LicenseTypeCode,
    /// 证照编号.
    number: String,
    holder: HolderBody,
    /// YYYY-MM-DD.
    #[schema(value_type = String)]
    valid_from: Date,
    /// YYYY-MM-DD; absent: open-ended.
    #[schema(value_type = Option<String>)]
    valid_to: Option<Date>,
    /// Surface fields (`KZ_*`).
    #[serde(default)]
    #[schema(value_type = Object)]
    fields: BTreeMap<String, serde_json::Value>,
}

/// 新发: issues and seals a license as the token's organisation.
#[utoipa::path(post, path = "/v1/licenses", tag = "lifecycle",
    request_body = IssueBody, security(("token" = [])),
    responses(
        (status = 201, description = "the sealed license", content_type = "application/json", body = String),
        (status = 400, description = "malformed or not conforming to its type", body = ErrorBody),
        (status = 401, description = "no or wrong token", body = ErrorBody),
        (status = 403, description = "not an issuer token, or not an issuer of this library", body = ErrorBody),
        (status = 413, description = "body too large", body = ErrorBody)))]
pub(crate) async fn issue<S: ServiceStore>(
    State(s): State<Service<S>>,
    IssuerCaller(token): IssuerCaller,
    Limited(body): Limited,
) -> Result<Response, ApiError> {
    let b: IssueBody = parse(&body)?;
    let request = IssueRequest {
        type_code: b.type_code,
        number: b.number,
        holder: b.holder.holder()?,
        valid_from: b.valid_from,
        valid_to: b.valid_to,
        fields: fields(b.fields)?,
        attachments: vec![],
    };
    let at = s.now();
    let doc =
        blocking(move || Ok(s.inner.lib.issue(token.accessor().code(), request, at)?)).await?;
    Ok(document(
        StatusCode::CREATED,
        doc.license().id(),
        doc.as_bytes().to_vec(),
    ))
}

/// A reason (暂扣, 吊销, 注销).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ReasonBody {
    /// 1–512 characters.
    reason: String,
}

/// A license's status after a change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub(crate) struct StatusAnswer {
    id: String,
    /// Status code (`01`, `02`, …).
    status: String,
    /// Its name (`valid`, `suspended`, …).
    status_name: String,
}

/// Checks that the caller's organisation issued license `id`.
fn own<S: ServiceStore>(
    s: &Service<S>,
    token: &elicense::AccessToken,
    id: &LicenseId,
) -> Result<(), ApiError> {
    let entry = s.inner.lib.store().entry(id)?.ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("license {id} is not in the library"),
        )
    })?;
    if entry.issuer().code() != token.accessor().code() {
        return Err(ApiError::forbidden(
            "not_issuer",
            format!("license {id} was issued by another organisation"),
        ));
    }
    Ok(())
}

#[derive(Clone, Copy)]
enum StatusOp {
    Suspend,
    Resume,
    Revoke,
    Cancel,
}

async fn status_change<S: ServiceStore>(
    s: Service<S>,
    token: elicense::AccessToken,
    id: String,
    body: Bytes,
    op: StatusOp,
) -> Result<axum::Json<StatusAnswer>, ApiError> {
    let id = license_id(&id)?;
    let reason = match op {
        StatusOp::Resume => None,
        _ => Some(parse::<ReasonBody>(&body)?.reason),
    };
    let at = s.now();
    let out = id.to_string();
    let status = blocking(move || {
        own(&s, &token, &id)?;
        let lib = &s.inner.lib;
        let actor = token.accessor().name();
        let r = reason.as_deref().unwrap_or_default();
        Ok(match op {
            StatusOp::Suspend => lib.suspend(&id, actor, r, at),
            StatusOp::Resume => lib.resume(&id, actor, at),
            StatusOp::Revoke => lib.revoke(&id, actor, r, at),
            StatusOp::Cancel => lib.cancel(&id, actor, r, at),
        }?)
    })
    .await?;
    Ok(axum::Json(StatusAnswer {
        id: out,
        status: status.code().to_owned(),
        status_name: status.name_en().to_owned(),
    }))
}

/// 暂扣: suspends one of the caller's licenses.
#[utoipa::path(post, path = "/v1/licenses/{id}/suspend", tag = "lifecycle",
    params(("id" = String, Path, description = "电子证照标识")), request_body = ReasonBody,
    security(("token" = [])),
    responses((status = 200, description = "the new status", body = StatusAnswer),
        (status = 400, description = "malformed", body = ErrorBody),
        (status = 403, description = "not the issuer", body = ErrorBody),
        (status = 404, description = "no such license", body = ErrorBody),
        (status = 409, description = "not allowed in the current status", body = ErrorBody)))]
pub(crate) async fn suspend<S: ServiceStore>(
    State(s): State<Service<S>>,
    IssuerCaller(t): IssuerCaller,
    Path(id): Path<String>,
    Limited(b): Limited,
) -> Result<axum::Json<StatusAnswer>, ApiError> {
    status_change(s, t, id, b, StatusOp::Suspend).await
}

/// 暂扣发还: resumes a suspended license.
#[utoipa::path(post, path = "/v1/licenses/{id}/resume", tag = "lifecycle",
    params(("id" = String, Path, description = "电子证照标识")), security(("token" = [])),
    responses((status = 200, description = "the new status", body = StatusAnswer),
        (status = 403, description = "not the issuer", body = ErrorBody),
        (status = 404, description = "no such license", body = ErrorBody),
        (status = 409, description = "not allowed in the current status", body = ErrorBody)))]
pub(crate) async fn resume<S: ServiceStore>(
    State(s): State<Service<S>>,
    IssuerCaller(t): IssuerCaller,
    Path(id): Path<String>,
    Limited(b): Limited,
) -> Result<axum::Json<StatusAnswer>, ApiError> {
    status_change(s, t, id, b, StatusOp::Resume).await
}

/// 吊销: revokes a license (final).
#[utoipa::path(post, path = "/v1/licenses/{id}/revoke", tag = "lifecycle",
    params(("id" = String, Path, description = "电子证照标识")), request_body = ReasonBody,
    security(("token" = [])),
    responses((status = 200, description = "the new status", body = StatusAnswer),
        (status = 400, description = "malformed", body = ErrorBody),
        (status = 403, description = "not the issuer", body = ErrorBody),
        (status = 404, description = "no such license", body = ErrorBody),
        (status = 409, description = "not allowed in the current status", body = ErrorBody)))]
pub(crate) async fn revoke<S: ServiceStore>(
    State(s): State<Service<S>>,
    IssuerCaller(t): IssuerCaller,
    Path(id): Path<String>,
    Limited(b): Limited,
) -> Result<axum::Json<StatusAnswer>, ApiError> {
    status_change(s, t, id, b, StatusOp::Revoke).await
}

/// 注销: cancels a license (final).
#[utoipa::path(post, path = "/v1/licenses/{id}/cancel", tag = "lifecycle",
    params(("id" = String, Path, description = "电子证照标识")), request_body = ReasonBody,
    security(("token" = [])),
    responses((status = 200, description = "the new status", body = StatusAnswer),
        (status = 400, description = "malformed", body = ErrorBody),
        (status = 403, description = "not the issuer", body = ErrorBody),
        (status = 404, description = "no such license", body = ErrorBody),
        (status = 409, description = "not allowed in the current status", body = ErrorBody)))]
pub(crate) async fn cancel<S: ServiceStore>(
    State(s): State<Service<S>>,
    IssuerCaller(t): IssuerCaller,
    Path(id): Path<String>,
    Limited(b): Limited,
) -> Result<axum::Json<StatusAnswer>, ApiError> {
    status_change(s, t, id, b, StatusOp::Cancel).await
}

/// Changes made by a renewal or change; what is absent is carried over.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct AmendBody {
    /// A new printed number.
    number: Option<String>,
    /// A new holder.
    holder: Option<HolderBody>,
    /// A new first day (YYYY-MM-DD).
    #[schema(value_type = Option<String>)]
    valid_from: Option<Date>,
    /// A new last day (YYYY-MM-DD).
    #[schema(value_type = Option<String>)]
    valid_to: Option<Date>,
    /// Make the validity open-ended (instead of `valid_to`).
    #[serde(default)]
    open_ended: bool,
    /// Fields to set.
    #[serde(default)]
    #[schema(value_type = Object)]
    set_fields: BTreeMap<String, serde_json::Value>,
    /// Fields to remove.
    #[serde(default)]
    remove_fields: Vec<String>,
}

impl AmendBody {
    fn amendment(self) -> Result<Amendment, ApiError> {
        if self.open_ended && self.valid_to.is_some() {
            return Err(ApiError::bad_request(
                "malformed_body",
                "give valid_to or open_ended, not both",
            ));
        }
        let mut a = Amendment::new();
        a.number = self.number;
        a.holder = self.holder.map(|h| h.holder()).transpose()?;
        a.valid_from = self.valid_from;
        a.valid_to = if self.open_ended {
            Some(None)
        } else {
            self.valid_to.map(Some)
        };
        a.set_fields = fields(self.set_fields)?;
        a.remove_fields = self.remove_fields;
        Ok(a)
    }
}

async fn supersede<S: ServiceStore>(
    s: Service<S>,
    token: elicense::AccessToken,
    id: String,
    body: Bytes,
    renew: bool,
) -> Result<Response, ApiError> {
    let id = license_id(&id)?;
    let a = if body.is_empty() {
        Amendment::new()
    } else {
        parse::<AmendBody>(&body)?.amendment()?
    };
    let at = s.now();
    let doc = blocking(move || {
        own(&s, &token, &id)?;
        let actor = token.accessor().name();
        let lib = &s.inner.lib;
        Ok(if renew {
            lib.renew(&id, &a, actor, at)?
        } else {
            lib.change(&id, &a, actor, at)?
        })
    })
    .await?;
    Ok(document(
        StatusCode::CREATED,
        doc.license().id(),
        doc.as_bytes().to_vec(),
    ))
}

/// 延续: renews a license — a new version linked to it.
#[utoipa::path(post, path = "/v1/licenses/{id}/renew", tag = "lifecycle",
    params(("id" = String, Path, description = "电子证照标识")), request_body = AmendBody,
    security(("token" = [])),
    responses((status = 201, description = "the new version, sealed", content_type = "application/json", body = String),
        (status = 400, description = "malformed", body = ErrorBody),
        (status = 403, description = "not the issuer", body = ErrorBody),
        (status = 404, description = "no such license", body = ErrorBody),
        (status = 409, description = "not allowed in the current status", body = ErrorBody)))]
pub(crate) async fn renew<S: ServiceStore>(
    State(s): State<Service<S>>,
    IssuerCaller(t): IssuerCaller,
    Path(id): Path<String>,
    Limited(b): Limited,
) -> Result<Response, ApiError> {
    supersede(s, t, id, b, true).await
}

/// 变更: changes a license's content — a new version linked to it.
#[utoipa::path(post, path = "/v1/licenses/{id}/change", tag = "lifecycle",
    params(("id" = String, Path, description = "电子证照标识")), request_body = AmendBody,
    security(("token" = [])),
    responses((status = 201, description = "the new version, sealed", content_type = "application/json", body = String),
        (status = 400, description = "malformed", body = ErrorBody),
        (status = 403, description = "not the issuer", body = ErrorBody),
        (status = 404, description = "no such license", body = ErrorBody),
        (status = 409, description = "not allowed in the current status", body = ErrorBody)))]
pub(crate) async fn change<S: ServiceStore>(
    State(s): State<Service<S>>,
    IssuerCaller(t): IssuerCaller,
    Path(id): Path<String>,
    Limited(b): Limited,
) -> Result<Response, ApiError> {
    supersede(s, t, id, b, false).await
}

/// An annotated copy's validity.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CopyBody {
    /// Last instant the copy may be used (RFC 3339).
    #[schema(value_type = String)]
    valid_until: Timestamp,
}

/// 加注件: an annotated copy for the caller and the stated purpose; it is a
/// fetch (grant checked, use recorded) and then a copy sealed by the library.
#[utoipa::path(post, path = "/v1/licenses/{id}/copies", tag = "catalog",
    params(("id" = String, Path, description = "电子证照标识"),
        ("X-Purpose" = String, Header, description = "用证事由, 1–200 characters")),
    request_body = CopyBody, security(("token" = [])),
    responses((status = 201, description = "the annotated copy", content_type = "application/json", body = String),
        (status = 400, description = "malformed, or no copy maker configured", body = ErrorBody),
        (status = 403, description = "no grant (recorded)", body = ErrorBody),
        (status = 404, description = "no such license (recorded)", body = ErrorBody)))]
pub(crate) async fn copy<S: ServiceStore>(
    State(s): State<Service<S>>,
    Caller(token): Caller,
    Path(id): Path<String>,
    headers: HeaderMap,
    Limited(body): Limited,
) -> Result<Response, ApiError> {
    let id = license_id(&id)?;
    let purpose = purpose_of(&headers)?;
    let b: CopyBody = parse(&body)?;
    let at = s.now();
    let (lid, bytes) = blocking(move || {
        let lib = &s.inner.lib;
        lib.fetch(token.accessor(), &purpose, &id, at)?;
        let c = lib.annotated_copy(
            &id,
            &CopyRequest {
                purpose,
                user: token.accessor().clone(),
                valid_until: b.valid_until,
            },
            at,
        )?;
        Ok((id, c.as_bytes().to_vec()))
    })
    .await?;
    let mut r = document(StatusCode::CREATED, &lid, bytes);
    r.headers_mut().remove(header::LOCATION);
    Ok(r)
}

/// A dispute raised for a holder (异议).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct DisputeBody {
    /// The license.
    license: String,
    /// The holder's code type (`111`, `001`, …).
    holder_code_type: String,
    /// The holder's code: must be the license's holder.
    holder_code: String,
    /// The disputed fields (`KZ_*`).
    fields: Vec<String>,
    /// Why (1–512 characters).
    reason: String,
}

/// A dispute's number and state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub(crate) struct DisputeAnswer {
    id: u64,
    license: String,
    /// `under_review`, `upheld` or `rejected`.
    state: String,
    /// The corrected license, when upheld.
    corrected: Option<String>,
}

/// 异议: raises a dispute on fields of one of the caller's licenses, for its holder.
#[utoipa::path(post, path = "/v1/disputes", tag = "disputes", request_body = DisputeBody,
    security(("token" = [])),
    responses((status = 201, description = "the dispute, under review", body = DisputeAnswer),
        (status = 400, description = "malformed, or a field not in the type", body = ErrorBody),
        (status = 403, description = "not the issuer, or not the holder", body = ErrorBody),
        (status = 404, description = "no such license", body = ErrorBody)))]
pub(crate) async fn raise_dispute<S: ServiceStore>(
    State(s): State<Service<S>>,
    IssuerCaller(token): IssuerCaller,
    Limited(body): Limited,
) -> Result<(StatusCode, axum::Json<DisputeAnswer>), ApiError> {
    let b: DisputeBody = parse(&body)?;
    let id = license_id(&b.license)?;
    let holder = HolderCode::new(&b.holder_code_type, &b.holder_code)
        .map_err(|_| ApiError::bad_request("holder", "holder: invalid code for its type"))?;
    let at = s.now();
    let out = id.to_string();
    let d = blocking(move || {
        own(&s, &token, &id)?;
        Ok(s.inner
            .lib
            .raise_dispute(&id, &holder, b.fields, &b.reason, at)?)
    })
    .await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(DisputeAnswer {
            id: d.get(),
            license: out,
            state: "under_review".to_owned(),
            corrected: None,
        }),
    ))
}

/// Corrections of disputed fields.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct UpholdBody {
    /// New values of disputed fields only.
    #[schema(value_type = Object)]
    corrections: BTreeMap<String, serde_json::Value>,
}

fn dispute_of<S: ServiceStore>(
    s: &Service<S>,
    token: &elicense::AccessToken,
    n: u64,
) -> Result<elicense::Dispute, ApiError> {
    let d = s.inner.lib.dispute(DisputeId::new(n))?.ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "unknown_dispute",
            format!("dispute #{n} does not exist"),
        )
    })?;
    own(s, token, d.license())?;
    Ok(d)
}

/// 反馈纠错: upholds a dispute — a corrected license is issued and linked, the
/// disputed one superseded.
#[utoipa::path(post, path = "/v1/disputes/{id}/uphold", tag = "disputes",
    params(("id" = u64, Path, description = "the dispute's number")), request_body = UpholdBody,
    security(("token" = [])),
    responses((status = 201, description = "the corrected license, sealed", content_type = "application/json", body = String),
        (status = 400, description = "malformed, or a correction of an undisputed field", body = ErrorBody),
        (status = 403, description = "not the issuer", body = ErrorBody),
        (status = 404, description = "no such dispute", body = ErrorBody),
        (status = 409, description = "already decided", body = ErrorBody)))]
pub(crate) async fn uphold_dispute<S: ServiceStore>(
    State(s): State<Service<S>>,
    IssuerCaller(token): IssuerCaller,
    Path(n): Path<u64>,
    Limited(body): Limited,
) -> Result<Response, ApiError> {
    let b: UpholdBody = parse(&body)?;
    let corrections = fields(b.corrections)?;
    let at = s.now();
    let doc = blocking(move || {
        dispute_of(&s, &token, n)?;
        Ok(s.inner.lib.uphold_dispute(
            DisputeId::new(n),
            corrections,
            token.accessor().name(),
            at,
        )?)
    })
    .await?;
    Ok(document(
        StatusCode::CREATED,
        doc.license().id(),
        doc.as_bytes().to_vec(),
    ))
}

/// Rejects a dispute with a reason; the license is unchanged.
#[utoipa::path(post, path = "/v1/disputes/{id}/reject", tag = "disputes",
    params(("id" = u64, Path, description = "the dispute's number")), request_body = ReasonBody,
    security(("token" = [])),
    responses((status = 200, description = "the dispute, rejected", body = DisputeAnswer),
        (status = 400, description = "malformed", body = ErrorBody),
        (status = 403, description = "not the issuer", body = ErrorBody),
        (status = 404, description = "no such dispute", body = ErrorBody),
        (status = 409, description = "already decided", body = ErrorBody)))]
pub(crate) async fn reject_dispute<S: ServiceStore>(
    State(s): State<Service<S>>,
    IssuerCaller(token): IssuerCaller,
    Path(n): Path<u64>,
    Limited(body): Limited,
) -> Result<axum::Json<DisputeAnswer>, ApiError> {
    let b: ReasonBody = parse(&body)?;
    let at = s.now();
    let d = blocking(move || {
        dispute_of(&s, &token, n)?;
        s.inner
            .lib
            .reject_dispute(DisputeId::new(n), &b.reason, at)?;
        dispute_of(&s, &token, n)
    })
    .await?;
    Ok(axum::Json(DisputeAnswer {
        id: n,
        license: d.license().to_string(),
        state: match d.state() {
            DisputeState::UnderReview => "under_review",
            DisputeState::Upheld { .. } => "upheld",
            DisputeState::Rejected { .. } => "rejected",
            _ => "other",
        }
        .to_owned(),
        corrected: match d.state() {
            DisputeState::Upheld { corrected, .. } => Some(corrected.to_string()),
            _ => None,
        },
    }))
}
