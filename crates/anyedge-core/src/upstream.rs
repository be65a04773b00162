//! Calling a configured upstream: the URL from a configuration variable, the
//! timeout from `UPSTREAM_TIMEOUT_MS`, and the answer checked and read as
//! JSON, with every failure mapped to the same problem on every host.
//!
//! ```
//! use anyedge_core::{testing::{MemoryConfig, ScriptedClient}, upstream};
//! use http::Method;
//! # futures_executor::block_on(async {
//! let config = MemoryConfig::new().with_var("ITEMS_URL", "https://api.test/items/");
//! let client = ScriptedClient::new().respond_json(200, r#"{"id":7}"#);
//! let uri = upstream::url(&config, "ITEMS_URL", "/7")?;
//! let req = upstream::request(&config, Method::GET, uri, None)?;
//! let (status, item): (_, serde_json::Value) = upstream::fetch_json(&client, req).await?;
//! assert_eq!((status.as_u16(), item["id"].as_i64()), (200, Some(7)));
//! assert_eq!(client.requests()[0].uri, "https://api.test/items/7");
//! # Ok::<_, anyedge_core::Error>(()) }).unwrap();
//! ```

use std::time::Duration;

use bytes::Bytes;
use http::{header, HeaderValue, Method, StatusCode, Uri};
use serde::de::DeserializeOwned;

use crate::client::{HttpClient, Limits, DEFAULT_TIMEOUT};
use crate::config::Config;
use crate::error::UpstreamFailure;
use crate::{json, Error, Request, Response, Result};

/// The variable that sets the timeout of upstream calls, in milliseconds
/// (default [`DEFAULT_TIMEOUT`]).
pub const TIMEOUT_VAR: &str = "UPSTREAM_TIMEOUT_MS";

/// The upstream timeout: [`TIMEOUT_VAR`] when set, else [`DEFAULT_TIMEOUT`];
/// a 500 naming the variable when it is not a whole number of milliseconds.
pub fn timeout(config: &impl Config) -> Result<Duration> {
    match config.var(TIMEOUT_VAR) {
        None => Ok(DEFAULT_TIMEOUT),
        Some(ms) => ms
            .trim()
            .parse()
            .map(Duration::from_millis)
            .map_err(|_| invalid_config(TIMEOUT_VAR, "not a whole number of milliseconds")),
    }
}

/// The URL in variable `var` with `suffix` (already encoded, e.g. with
/// [`crate::url::encode_segment`]) appended to its path. A 500 naming `var`
/// (never its value) when it is missing, not an absolute `http(s)` URL, or
/// has a query or fragment while a suffix is to be appended.
pub fn url(config: &impl Config, var: &str, suffix: &str) -> Result<Uri> {
    let base = config.require_var(var)?;
    let bad = || {
        invalid_config(var, "not an absolute http(s) URL (without a query when paths are appended)")
    };
    let url = if suffix.is_empty() {
        base
    } else if base.contains(['?', '#']) {
        return Err(bad());
    } else {
        format!("{}{suffix}", base.trim_end_matches('/'))
    };
    let uri: Uri = url.parse().map_err(|_| bad())?;
    if !matches!(uri.scheme_str(), Some("http" | "https")) || uri.host().is_none() {
        return Err(bad());
    }
    Ok(uri)
}

/// A request for `uri` that accepts JSON, sends `body` as JSON when given,
/// and carries the [`timeout`] from `config` as its [`Limits`].
pub fn request(
    config: &impl Config,
    method: Method,
    uri: Uri,
    body: Option<Bytes>,
) -> Result<Request> {
    let timeout = timeout(config)?;
    let has_body = body.is_some();
    let mut req = Request::new(body.unwrap_or_default());
    *req.method_mut() = method;
    *req.uri_mut() = uri;
    let json = HeaderValue::from_static(json::APPLICATION_JSON);
    if has_body {
        req.headers_mut().insert(header::CONTENT_TYPE, json.clone());
    }
    req.headers_mut().insert(header::ACCEPT, json);
    req.extensions_mut().insert(Limits { timeout, ..Limits::default() });
    Ok(req)
}

/// Sends `req` and returns a 2xx answer ([`check`]: a redirect (not
/// followed) or an error status is a 502, a 429 passed on); the client's errors map to 502/504 (see
/// [`Error`]'s `From<HttpError>`).
pub async fn fetch(client: impl HttpClient, req: Request) -> Result<Response> {
    let res = client.send(req).await?;
    check(&res)?;
    Ok(res)
}

/// [`fetch`], then the body read as JSON; a body that is not a `T` is a 502
/// `upstream-invalid-body`.
pub async fn fetch_json<T: DeserializeOwned>(
    client: impl HttpClient,
    req: Request,
) -> Result<(StatusCode, T)> {
    let res = fetch(client, req).await?;
    let value = serde_json::from_slice(res.body()).map_err(|e| {
        Error::upstream(UpstreamFailure::InvalidBody, format!("upstream body is not JSON: {e}"))
    })?;
    Ok((res.status(), value))
}

/// `Ok` for a 2xx answer. An upstream that answers 429 is passing on
/// back-pressure: the client gets a 429 too (`upstream-rate-limited`), with
/// the upstream's `Retry-After` when it gave one in seconds (capped at a
/// day). Any other status is [`check_status`]'s 502.
pub fn check(res: &Response) -> Result<()> {
    if res.status() == StatusCode::TOO_MANY_REQUESTS {
        let retry = res
            .headers()
            .get(header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok()?.trim().parse::<u64>().ok())
            .map(|s| Duration::from_secs(s.min(86_400)));
        return Err(Error::too_many_requests("upstream answered 429", retry)
            .with_type("upstream-rate-limited", "Upstream Rate Limited"));
    }
    check_status(res.status())
}

/// `Ok` for a 2xx status; a 502 for a redirect (not followed) or an error status.
pub fn check_status(status: StatusCode) -> Result<()> {
    if status.is_redirection() {
        return Err(Error::upstream(
            UpstreamFailure::Redirect,
            format!("upstream answered {}; redirects are not followed", status.as_u16()),
        ));
    }
    if !status.is_success() {
        return Err(Error::upstream(
            UpstreamFailure::Status,
            format!("upstream answered {}", status.as_u16()),
        ));
    }
    Ok(())
}

/// A 500 naming configuration `name` and what is wrong with it (never its value).
pub fn invalid_config(name: &str, problem: &str) -> Error {
    Error::Config { name: name.into(), problem: problem.into() }
}
