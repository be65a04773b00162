//! The reference app's `POST /greet` written directly against `worker` 0.8
//! with its `http` feature: the handler takes an `http::Request<worker::Body>`
//! and answers an `http::Response`, the http 1.x types anyedge uses too, and
//! fetches with `worker::Fetch` from an `http::Request`.
//!
//! Behaviour is the same as `benches/baseline-cloudflare` (and anyedge's
//! reference app): the bench runs the greet conformance cases against it.

use bytes::Bytes;
use futures_util::StreamExt;
use http::{header, HeaderMap, HeaderValue, StatusCode};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use worker::{console_log, event, web_sys, Body, Context, Env, Fetch, HttpRequest, Result};

const MAX_BODY: usize = 1 << 20;
const MAX_UPSTREAM_BODY: usize = 1 << 20;
const ALLOW: &str = "POST, OPTIONS";

type Response = http::Response<String>;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GreetRequest {
    name: String,
}

#[derive(Serialize)]
struct GreetResponse {
    message: String,
    upstream: Value,
}

fn respond(status: u16, content_type: &'static str, body: String) -> Result<Response> {
    Ok(http::Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, content_type)
        .body(body)?)
}

/// A problem+json response: `slug` names the `type`, `extra` adds members.
fn problem(
    status: u16,
    slug: &str,
    title: &str,
    detail: &str,
    extra: Vec<(&str, Value)>,
) -> Result<Response> {
    let mut p = Map::new();
    p.insert(
        "type".into(),
        format!("https://anyedge.dev/problems/{slug}").into(),
    );
    p.insert("title".into(), title.into());
    p.insert("status".into(), status.into());
    p.insert("detail".into(), detail.into());
    for (k, v) in extra {
        p.insert(k.into(), v);
    }
    let mut res = respond(
        status,
        "application/problem+json",
        serde_json::to_string(&p)?,
    )?;
    if status == 405 {
        res.headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static(ALLOW));
    }
    Ok(res)
}

fn upstream_problem(status: u16, slug: &str, title: &str, detail: &str) -> Result<Response> {
    problem(status, slug, title, detail, Vec::new())
}

fn content_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// Reads a body of at most `limit` bytes; `None` when it is larger.
async fn read_limited(mut body: Body, limit: usize) -> Result<Option<Vec<u8>>> {
    let mut out = Vec::new();
    while let Some(chunk) = body.next().await {
        let chunk: Bytes = chunk?;
        if out.len() + chunk.len() > limit {
            return Ok(None);
        }
        out.extend_from_slice(&chunk);
    }
    Ok(Some(out))
}

fn invalid_json(bytes: &[u8]) -> Result<Response> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return problem(
            400,
            "invalid-json",
            "Invalid JSON",
            "invalid JSON at line 1, column 0: the body is empty; expected a JSON value",
            vec![("line", 1.into()), ("column", 0.into())],
        );
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let (e, path) = match serde_path_to_error::deserialize::<_, GreetRequest>(&mut de) {
        Err(e) => {
            let path = e.path().to_string();
            (e.into_inner(), path)
        }
        Ok(_) => match serde_json::from_slice::<GreetRequest>(bytes) {
            Err(e) => (e, String::new()),
            Ok(_) => {
                return problem(
                    500,
                    "internal",
                    "Internal Error",
                    "internal error",
                    Vec::new(),
                )
            }
        },
    };
    let full = e.to_string();
    let message = full
        .rfind(" at line ")
        .map_or(full.as_str(), |i| &full[..i]);
    let mut extra = vec![("line", e.line().into()), ("column", e.column().into())];
    let field = if path.is_empty() || path == "." {
        String::new()
    } else {
        format!(" (field `{path}`)")
    };
    let detail = format!(
        "invalid JSON at line {}, column {}{field}: {message}",
        e.line(),
        e.column()
    );
    if !field.is_empty() {
        extra.push(("field", path.into()));
    }
    problem(400, "invalid-json", "Invalid JSON", &detail, extra)
}

#[event(fetch)]
async fn fetch(req: HttpRequest, env: Env, _ctx: Context) -> Result<Response> {
    if req.uri().path() != "/greet" {
        let detail = format!("no route matches path {}", req.uri().path());
        return problem(404, "not-found", "Not Found", &detail, Vec::new());
    }
    match req.method().as_str() {
        "POST" => {}
        "OPTIONS" => {
            let mut res = http::Response::new(String::new());
            *res.status_mut() = StatusCode::NO_CONTENT;
            res.headers_mut()
                .insert(header::ALLOW, HeaderValue::from_static(ALLOW));
            return Ok(res);
        }
        other => {
            let detail = format!("method {other} is not allowed on this route; allowed: {ALLOW}");
            return problem(
                405,
                "method-not-allowed",
                "Method Not Allowed",
                &detail,
                vec![("allow", ALLOW.into())],
            );
        }
    }
    let (parts, body) = req.into_parts();
    let too_large = || {
        let detail = format!("request body is larger than the limit of {MAX_BODY} bytes");
        problem(
            413,
            "payload-too-large",
            "Payload Too Large",
            &detail,
            vec![("limit", MAX_BODY.into())],
        )
    };
    if content_length(&parts.headers).is_some_and(|n| n > MAX_BODY as u64) {
        return too_large();
    }
    let Some(body) = read_limited(body, MAX_BODY).await? else {
        return too_large();
    };
    let content_type = parts.headers.get(header::CONTENT_TYPE);
    let essence = content_type
        .and_then(|t| t.to_str().ok())
        .and_then(|t| t.split(';').next())
        .map(|t| t.trim().to_ascii_lowercase());
    let json_type = essence.as_deref().is_some_and(|e| {
        e == "application/json" || (e.ends_with("+json") && e.contains('/') && !e.starts_with('/'))
    });
    if !json_type {
        let detail = match content_type {
            None => "missing Content-Type; expected application/json".to_owned(),
            Some(t) => format!(
                "Content-Type `{}` is not JSON; expected application/json",
                String::from_utf8_lossy(t.as_bytes())
            ),
        };
        return problem(
            415,
            "unsupported-media-type",
            "Unsupported Media Type",
            &detail,
            Vec::new(),
        );
    }
    let input: GreetRequest = match serde_json::from_slice(&body) {
        Ok(input) => input,
        Err(_) => return invalid_json(&body),
    };
    let name = input.name.trim();
    let invalid_name = |reason: &str| {
        let detail = format!("invalid field `name`: {reason}");
        problem(
            422,
            "validation",
            "Validation Failed",
            &detail,
            vec![("field", "name".into())],
        )
    };
    if name.is_empty() {
        return invalid_name("must not be empty");
    }
    if name.chars().count() > 100 {
        return invalid_name("must be at most 100 characters");
    }
    if name.chars().any(char::is_control) {
        return invalid_name("must not contain control characters");
    }

    let string = |name: &str| env.var(name).ok().map(|v| v.to_string());
    let config_problem = |name: &str, what: &str| {
        let detail = format!("configuration `{name}` is {what}");
        problem(
            500,
            "configuration",
            "Configuration Error",
            &detail,
            Vec::new(),
        )
    };
    let Some(url) = string("API_URL") else {
        return config_problem("API_URL", "missing");
    };
    let timeout_ms: u32 = match string("UPSTREAM_TIMEOUT_MS") {
        None => 5000,
        Some(ms) => match ms.trim().parse() {
            Ok(ms) => ms,
            Err(_) => {
                return config_problem("UPSTREAM_TIMEOUT_MS", "not a whole number of milliseconds")
            }
        },
    };
    let mut upstream_req = http::Request::get(&url).header(header::ACCEPT, "application/json");
    if let Ok(token) = env.secret("API_TOKEN") {
        let Ok(value) = HeaderValue::from_str(&format!("Bearer {}", token.to_string())) else {
            return config_problem("API_TOKEN", "not a valid header value");
        };
        upstream_req = upstream_req.header(header::AUTHORIZATION, value);
    }
    let signal = worker::AbortSignal::from(web_sys::AbortSignal::timeout_with_u32(timeout_ms));
    let Ok(upstream_req) = upstream_req
        .extension(signal.clone())
        .extension(worker::RequestRedirect::Manual)
        .body(String::new())
    else {
        return config_problem(
            "API_URL",
            "not an absolute http(s) URL (without a query when paths are appended)",
        );
    };
    let timed_out = || {
        upstream_problem(
            504,
            "upstream-timeout",
            "Upstream Timeout",
            &format!("upstream request failed: no complete answer within {timeout_ms} ms"),
        )
    };
    let fetched = match worker::Request::try_from(upstream_req) {
        Ok(req) => Fetch::Request(req).send().await,
        Err(_) => {
            return config_problem(
                "API_URL",
                "not an absolute http(s) URL (without a query when paths are appended)",
            )
        }
    };
    let upstream = match fetched.and_then(http::Response::<Body>::try_from) {
        Ok(res) => res,
        Err(_) if signal.aborted() => return timed_out(),
        Err(_) => {
            return upstream_problem(
                502,
                "upstream-unreachable",
                "Upstream Unreachable",
                "upstream request failed: fetch failed",
            )
        }
    };
    let status = upstream.status().as_u16();
    if (300..400).contains(&status) {
        let detail = format!("upstream answered {status}; redirects are not followed");
        return upstream_problem(502, "upstream-redirect", "Upstream Redirect", &detail);
    }
    if !(200..300).contains(&status) {
        let detail = format!("upstream answered {status}");
        return upstream_problem(502, "upstream-status", "Upstream Error Status", &detail);
    }
    let too_large = || {
        let detail = format!(
            "upstream request failed: upstream body is larger than {MAX_UPSTREAM_BODY} bytes"
        );
        upstream_problem(
            502,
            "upstream-too-large",
            "Upstream Body Too Large",
            &detail,
        )
    };
    let (parts, body) = upstream.into_parts();
    if content_length(&parts.headers).is_some_and(|n| n > MAX_UPSTREAM_BODY as u64) {
        return too_large();
    }
    let body = read_limited(body, MAX_UPSTREAM_BODY).await;
    if signal.aborted() {
        return timed_out();
    }
    let Some(body) = body? else {
        return too_large();
    };
    let upstream: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => {
            let detail = format!("upstream body is not JSON: {e}");
            return upstream_problem(
                502,
                "upstream-invalid-body",
                "Upstream Invalid Body",
                &detail,
            );
        }
    };
    console_log!(
        "INFO anyedge: greet: name of {} chars, upstream answered {status}",
        name.chars().count()
    );
    let body = serde_json::to_string(&GreetResponse {
        message: format!("Hello, {name}!"),
        upstream,
    })?;
    respond(200, "application/json", body)
}
