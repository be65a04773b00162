//! The reference app: the seed's greet logic, written once for every host.
//!
//! - `GET /health` answers `{"status":"ok"}`.
//! - `POST /greet` with `{"name": "Ada"}` validates the name, calls the
//!   upstream at config `API_URL` (with `Authorization: Bearer` from secret
//!   `API_TOKEN` when set), logs a line, and answers
//!   `{"message": "Hello, Ada!", "upstream": <the upstream's JSON>}`.
//!
//! - `GET /items/{id}` fetches `{ITEMS_URL}/{id}` (the id percent-encoded as
//!   one path segment; only the `fields` query parameter is passed on) and
//!   answers `{"id": <id>, "item": <the upstream's JSON>}`.
//!
//! Config: `API_URL` (required for `/greet`), `ITEMS_URL` (required for
//! `/items`), `UPSTREAM_TIMEOUT_MS` (default 5000), secret `API_TOKEN`
//! (optional, sent to `API_URL` only).
//!
//! With the `test-routes` feature, [`app`] also serves routes that only tests
//! need: `GET /__test/panic` panics, and `GET /__test/fetch/{var}` fetches the
//! URL in config variable `{var}` (which must end in `_URL`).

use std::time::Duration;

use bytes::Bytes;
use http::{header, HeaderValue, Method, StatusCode, Uri};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::client::{HttpClient, Limits};
use crate::config::Config;
use crate::error::UpstreamFailure;
use crate::logging::Logger;
use crate::{json, url, Ctx, Error, Host, Request, Response, Result, Router};

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
    let router = Router::new()
        .get("/health", health::<H>)
        .post("/greet", greet::<H>)
        .get("/items/{id}", item::<H>);
    #[cfg(feature = "test-routes")]
    let router = router
        .get("/__test/panic", test_routes::panic::<H>)
        .get("/__test/fetch/{var}", test_routes::fetch::<H>);
    // The routes of the embedded routes file (`anyedge.toml`); a broken file
    // is reported by the test that checks it, and here only logged.
    #[cfg(feature = "transform")]
    let router = match crate::transform::Routes::embedded() {
        Ok(routes) => routes.install(router),
        Err(e) => {
            log::error!(target: "anyedge", "transform routes not installed: {e}");
            router
        }
    };
    router
}

/// `GET /health`.
pub async fn health<H: Host>(_req: Request, _ctx: Ctx<H>) -> Result<Response> {
    json::response(StatusCode::OK, &serde_json::json!({ "status": "ok" }))
}

/// `POST /greet`.
pub async fn greet<H: Host>(req: Request, ctx: Ctx<H>) -> Result<Response> {
    let input: GreetRequest = json::read(&req)?;
    let name = validate_name(&input.name)?;
    let mut upstream = upstream_request(ctx.config(), "API_URL", "")?;
    if let Some(token) = ctx.config().secret("API_TOKEN") {
        let value = HeaderValue::from_str(&format!("Bearer {}", token.expose()))
            .map_err(|_| invalid_config("API_TOKEN"))?;
        upstream.headers_mut().insert(header::AUTHORIZATION, value);
    }
    let (status, upstream) = fetch_json(&ctx, upstream).await?;
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

/// `GET /items/{id}`.
pub async fn item<H: Host>(req: Request, ctx: Ctx<H>) -> Result<Response> {
    let id = ctx.param("id").unwrap_or_default().to_owned();
    let mut suffix = format!("/{}", url::encode_segment(&id)?);
    if let Some(fields) = url::query_param(req.uri().query().unwrap_or(""), "fields")? {
        suffix.push_str("?fields=");
        suffix.push_str(&url::encode_query_value(&fields));
    }
    let upstream = upstream_request(ctx.config(), "ITEMS_URL", &suffix)?;
    let (_, item) = fetch_json(&ctx, upstream).await?;
    json::response(
        StatusCode::OK,
        &serde_json::json!({ "id": id, "item": item }),
    )
}

/// Sends `req` and reads a JSON answer: 502 for a redirect, an error status
/// or a body that is not JSON; the client's errors map to 502/504.
async fn fetch_json<H: Host>(ctx: &Ctx<H>, req: Request) -> Result<(StatusCode, Value)> {
    let res = ctx.client().send(req).await?;
    let status = res.status();
    crate::error::check_upstream_status(status)?;
    let value: Value = serde_json::from_slice(res.body()).map_err(|e| {
        Error::upstream(
            UpstreamFailure::InvalidBody,
            format!("upstream body is not JSON: {e}"),
        )
    })?;
    Ok((status, value))
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

/// A `GET` of config variable `var`'s URL with `suffix` (already encoded)
/// appended to its path.
fn upstream_request(config: &impl Config, var: &str, suffix: &str) -> Result<Request> {
    let base = config.require_var(var)?;
    let url = if suffix.is_empty() {
        base
    } else if base.contains(['?', '#']) {
        return Err(invalid_config(var));
    } else {
        format!("{}{suffix}", base.trim_end_matches('/'))
    };
    let uri: Uri = url.parse().map_err(|_| invalid_config(var))?;
    if !matches!(uri.scheme_str(), Some("http" | "https")) || uri.host().is_none() {
        return Err(invalid_config(var));
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
    req.extensions_mut().insert(Limits {
        timeout,
        ..Limits::default()
    });
    Ok(req)
}

fn invalid_config(name: &str) -> Error {
    let problem = match name {
        "UPSTREAM_TIMEOUT_MS" => "not a whole number of milliseconds",
        "API_TOKEN" => "not a valid header value",
        _ => "not an absolute http(s) URL (without a query when paths are appended)",
    };
    Error::Config {
        name: name.into(),
        problem: problem.into(),
    }
}

#[cfg(feature = "test-routes")]
mod test_routes {
    use super::*;

    /// `GET /__test/panic`: panics, to test each host's panic handling.
    #[allow(clippy::panic)]
    pub(super) async fn panic<H: Host>(_req: Request, _ctx: Ctx<H>) -> Result<Response> {
        panic!("test route /__test/panic panicked on purpose")
    }

    /// `GET /__test/fetch/{var}`: fetches the URL in config variable `var`.
    pub(super) async fn fetch<H: Host>(_req: Request, ctx: Ctx<H>) -> Result<Response> {
        let var = ctx.param("var").unwrap_or_default();
        if !var.ends_with("_URL") {
            return Err(Error::BadRequest(format!("`{var}` does not end in _URL")));
        }
        let upstream = upstream_request(ctx.config(), var, "")?;
        let (_, body) = fetch_json(&ctx, upstream).await?;
        json::response(StatusCode::OK, &body)
    }
}
