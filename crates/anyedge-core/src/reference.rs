//! The reference app: the seed's greet logic, written once for every host.
//!
//! - `GET /health` answers `{"status":"ok"}`.
//! - `POST /greet` with `{"name": "Ada"}` validates the name, calls the
//!   upstream at config `API_URL` (with `Authorization: Bearer` from secret
//!   `API_TOKEN` when set), logs a line, and answers
//!   `{"message": "Hello, Ada!", "upstream": <the upstream's JSON>}`.
//!
//! Config: `API_URL` (required for `/greet`), `UPSTREAM_TIMEOUT_MS` (default
//! 5000), secret `API_TOKEN` (optional).

use std::time::Duration;

use bytes::Bytes;
use http::{header, HeaderValue, Method, StatusCode, Uri};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::client::{HttpClient, Limits};
use crate::config::Config;
use crate::error::UpstreamFailure;
use crate::logging::Logger;
use crate::{json, Ctx, Error, Host, Request, Response, Result, Router};

/// Longest accepted name, in characters.
pub const MAX_NAME_CHARS: usize = 100;

/// Default upstream timeout when `UPSTREAM_TIMEOUT_MS` is not set.
pub const DEFAULT_UPSTREAM_TIMEOUT: Duration = Duration::from_millis(5000);

/// Body of `POST /greet`. Unknown fields are rejected (400), so a typo in a
/// field name is reported instead of ignored.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GreetRequest {
    /// Who to greet: 1 to [`MAX_NAME_CHARS`] characters, no control characters.
    pub name: String,
}

/// Answer of `POST /greet`.
#[derive(Debug, Clone, Serialize)]
pub struct GreetResponse {
    /// `Hello, <name>!`
    pub message: String,
    /// The upstream's JSON answer, as received.
    pub upstream: Value,
}

/// The reference app's routes.
///
/// ```
/// use anyedge_core::{reference, testing::{MemoryConfig, ScriptedClient, TestHost}};
/// use std::rc::Rc;
/// # futures_executor::block_on(async {
/// let host = TestHost::new()
///     .with_config(MemoryConfig::new().with_var("API_URL", "http://upstream.test/hello"))
///     .with_client(ScriptedClient::new().respond_json(200, r#"{"greeting":"hi"}"#));
/// let req = http::Request::post("/greet").header("content-type", "application/json")
///     .body(r#"{"name":"Ada"}"#.into()).unwrap();
/// let res = reference::app().handle(req, Rc::new(host)).await;
/// assert_eq!(res.status(), 200);
/// assert_eq!(res.body().as_ref(), br#"{"message":"Hello, Ada!","upstream":{"greeting":"hi"}}"#);
/// # });
/// ```
pub fn app<H: Host>() -> Router<H> {
    Router::new()
        .get("/health", health::<H>)
        .post("/greet", greet::<H>)
}

/// `GET /health`.
pub async fn health<H: Host>(_req: Request, _ctx: Ctx<H>) -> Result<Response> {
    json::response(StatusCode::OK, &serde_json::json!({ "status": "ok" }))
}

/// `POST /greet`.
pub async fn greet<H: Host>(req: Request, ctx: Ctx<H>) -> Result<Response> {
    let input: GreetRequest = json::read(&req)?;
    let name = validate_name(&input.name)?;
    let upstream = upstream_request(ctx.config())?;
    let res = ctx.client().send(upstream).await?;
    let status = res.status();
    if status.is_redirection() {
        return Err(Error::upstream(
            UpstreamFailure::Redirect,
            format!(
                "upstream answered {}; redirects are not followed",
                status.as_u16()
            ),
        ));
    }
    if !status.is_success() {
        return Err(Error::upstream(
            UpstreamFailure::Status,
            format!("upstream answered {}", status.as_u16()),
        ));
    }
    let upstream: Value = serde_json::from_slice(res.body()).map_err(|e| {
        Error::upstream(
            UpstreamFailure::InvalidBody,
            format!("upstream body is not JSON: {e}"),
        )
    })?;
    ctx.logger().info(&format!(
        "greet: name of {} chars, upstream answered {}",
        name.chars().count(),
        status.as_u16()
    ));
    json::response(
        StatusCode::OK,
        &GreetResponse {
            message: format!("Hello, {name}!"),
            upstream,
        },
    )
}

/// Trims `name` and checks it: not empty, at most [`MAX_NAME_CHARS`], no control characters.
pub fn validate_name(name: &str) -> Result<&str> {
    let name = name.trim();
    if name.is_empty() {
        return Err(Error::validation("name", "must not be empty"));
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(Error::validation(
            "name",
            format!("must be at most {MAX_NAME_CHARS} characters"),
        ));
    }
    if name.chars().any(char::is_control) {
        return Err(Error::validation(
            "name",
            "must not contain control characters",
        ));
    }
    Ok(name)
}

fn upstream_request(config: &impl Config) -> Result<Request> {
    let url = config.require_var("API_URL")?;
    let uri: Uri = url.parse().map_err(|_| invalid_config("API_URL"))?;
    if !matches!(uri.scheme_str(), Some("http" | "https")) || uri.host().is_none() {
        return Err(invalid_config("API_URL"));
    }
    let timeout = match config.var("UPSTREAM_TIMEOUT_MS") {
        None => DEFAULT_UPSTREAM_TIMEOUT,
        Some(ms) => Duration::from_millis(
            ms.trim()
                .parse()
                .map_err(|_| invalid_config("UPSTREAM_TIMEOUT_MS"))?,
        ),
    };
    let mut req = Request::new(Bytes::new());
    *req.method_mut() = Method::GET;
    *req.uri_mut() = uri;
    req.headers_mut().insert(
        header::ACCEPT,
        HeaderValue::from_static(json::APPLICATION_JSON),
    );
    if let Some(token) = config.secret("API_TOKEN") {
        let value = HeaderValue::from_str(&format!("Bearer {}", token.expose()))
            .map_err(|_| invalid_config("API_TOKEN"))?;
        req.headers_mut().insert(header::AUTHORIZATION, value);
    }
    req.extensions_mut().insert(Limits {
        timeout,
        ..Limits::default()
    });
    Ok(req)
}

fn invalid_config(name: &str) -> Error {
    let problem = match name {
        "API_URL" => "not an absolute http(s) URL",
        "UPSTREAM_TIMEOUT_MS" => "not a whole number of milliseconds",
        _ => "not a valid header value",
    };
    Error::Config {
        name: name.into(),
        problem: problem.into(),
    }
}
