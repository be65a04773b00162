//! The reference app's `POST /greet`, written directly against `fastly` 0.13
//! (no anyedge): the baseline `cargo xtask bench` measures anyedge against.
//!
//! Same behaviour and config as `anyedge-fastly`'s binary, as a careful
//! author would write it by hand (the bench runs the greet conformance
//! cases, `conformance/cases/20-greet.json` and `30-bad-input.json`, against
//! it and stops if one fails):
//! - `POST /greet` only (404 elsewhere, 405 with `Allow`, 204 for
//!   `OPTIONS`), errors as RFC 9457 problem+json bodies with the same
//!   `type`, `title` and members as anyedge's;
//! - the body read up to 1 MiB (413), 415 unless it is declared JSON, 400
//!   with line, column and field path for bad JSON, 422 for a bad name;
//! - a GET of `API_URL` (Config Store `anyedge_config`) on backend `origin`
//!   with `Accept: application/json` (and `Authorization: Bearer` from
//!   `API_TOKEN` in Secret Store `anyedge_secrets`), not cached,
//!   `UPSTREAM_TIMEOUT_MS` (default 5000) for the answer (504), 502 for a
//!   redirect, an error status, a body over 1 MiB or not JSON;
//! - one line to log endpoint `anyedge_log`, and
//!   `{"message":"Hello, <name>!","upstream":<the upstream's JSON>}`.
#![allow(unsafe_code)]

use std::io::{Read, Write};

use fastly::http::{header, Method, StatusCode};
use fastly::{Body, ConfigStore, Request, Response, SecretStore};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

const MAX_BODY: usize = 1 << 20;
const MAX_UPSTREAM_BODY: usize = 1 << 20;
const ALLOW: &str = "POST, OPTIONS";

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

/// A problem+json response: `slug` names the `type`, `extra` adds members.
fn problem(
    status: u16,
    slug: &str,
    title: &str,
    detail: &str,
    extra: Vec<(&str, Value)>,
) -> Response {
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
    let mut res = Response::from_status(status)
        .with_header(header::CONTENT_TYPE, "application/problem+json")
        .with_body(serde_json::to_vec(&p).unwrap_or_default());
    if status == 405 {
        res.set_header(header::ALLOW, ALLOW);
    }
    res
}

fn upstream_problem(status: u16, slug: &str, title: &str, detail: &str) -> Response {
    problem(status, slug, title, detail, Vec::new())
}

/// Reads a body of at most `limit` bytes; `None` when it is larger.
fn read_limited(body: Body, limit: usize) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let n = body.take(limit as u64 + 1).read_to_end(&mut out).ok()?;
    (n <= limit).then_some(out)
}

fn invalid_json(bytes: &[u8]) -> Response {
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

/// Waits up to `timeout_ms` for `pending`: the SDK's `wait` has no timeout,
/// so this calls the host's `select` with one (as anyedge-fastly does).
fn ready_within(pending: &fastly::handle::PendingRequestHandle, timeout_ms: u32) -> bool {
    let handles = [pending.as_u32()];
    let mut done = 0_u32;
    // SAFETY: one live handle, its length, and a valid place for the answer.
    let status = unsafe {
        fastly_sys::fastly_async_io::select(handles.as_ptr(), 1, timeout_ms.max(1), &mut done)
    };
    status.is_ok() && done != u32::MAX
}

fn greet(mut req: Request) -> Response {
    if req.get_path() != "/greet" {
        let detail = format!("no route matches path {}", req.get_path());
        return problem(404, "not-found", "Not Found", &detail, Vec::new());
    }
    match *req.get_method() {
        Method::POST => {}
        Method::OPTIONS => {
            return Response::from_status(StatusCode::NO_CONTENT).with_header(header::ALLOW, ALLOW);
        }
        ref other => {
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
    let declared = req
        .get_header_str(header::CONTENT_LENGTH)
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BODY as u64) {
        return too_large();
    }
    let Some(body) = read_limited(req.take_body(), MAX_BODY) else {
        return too_large();
    };
    let content_type = req.get_header(header::CONTENT_TYPE);
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

    let config = ConfigStore::try_open("anyedge_config").ok();
    let var = |name: &str| config.as_ref()?.try_get(name).ok().flatten();
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
    let Some(url) = var("API_URL") else {
        return config_problem("API_URL", "missing");
    };
    let timeout_ms: u32 = match var("UPSTREAM_TIMEOUT_MS") {
        None => 5000,
        Some(ms) => match ms.trim().parse() {
            Ok(ms) => ms,
            Err(_) => {
                return config_problem("UPSTREAM_TIMEOUT_MS", "not a whole number of milliseconds")
            }
        },
    };
    let Ok(url) = fastly::http::Url::parse(&url) else {
        return config_problem(
            "API_URL",
            "not an absolute http(s) URL (without a query when paths are appended)",
        );
    };
    let mut upstream = Request::get(url)
        .with_header(header::ACCEPT, "application/json")
        .with_pass(true);
    let token = SecretStore::open("anyedge_secrets")
        .ok()
        .and_then(|s| s.try_get("API_TOKEN").ok().flatten());
    if let Some(token) = token {
        let Ok(token) = token.try_plaintext() else {
            return config_problem("API_TOKEN", "not readable");
        };
        let Ok(value) = header::HeaderValue::from_bytes(&[b"Bearer ", token.as_ref()].concat())
        else {
            return config_problem("API_TOKEN", "not a valid header value");
        };
        upstream.set_header(header::AUTHORIZATION, value);
    }
    let timed_out = || {
        upstream_problem(
            504,
            "upstream-timeout",
            "Upstream Timeout",
            &format!("upstream request failed: no complete answer within {timeout_ms} ms"),
        )
    };
    let (req_handle, body_handle) = upstream.into_handles();
    let body_handle = body_handle.unwrap_or_else(fastly::handle::BodyHandle::new);
    let handle = match req_handle.send_async(body_handle, "origin") {
        Ok(pending) => pending,
        Err(e) => {
            return upstream_problem(
                502,
                "upstream-unreachable",
                "Upstream Unreachable",
                &format!("upstream request failed: {e:?}"),
            )
        }
    };
    if !ready_within(&handle, timeout_ms) {
        return timed_out();
    }
    let mut upstream = match handle.wait() {
        Ok((res, body)) => Response::from_handles(res, body),
        Err(e) => {
            return upstream_problem(
                502,
                "upstream-unreachable",
                "Upstream Unreachable",
                &format!("upstream request failed: {e:?}"),
            )
        }
    };
    let status = upstream.get_status().as_u16();
    if (300..400).contains(&status) {
        let detail = format!("upstream answered {status}; redirects are not followed");
        return upstream_problem(502, "upstream-redirect", "Upstream Redirect", &detail);
    }
    if !(200..300).contains(&status) {
        let detail = format!("upstream answered {status}");
        return upstream_problem(502, "upstream-status", "Upstream Error Status", &detail);
    }
    let Some(body) = read_limited(upstream.take_body(), MAX_UPSTREAM_BODY) else {
        let detail = format!(
            "upstream request failed: upstream body is larger than {MAX_UPSTREAM_BODY} bytes"
        );
        return upstream_problem(
            502,
            "upstream-too-large",
            "Upstream Body Too Large",
            &detail,
        );
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
    let line = format!(
        "INFO anyedge: greet: name of {} chars, upstream answered {status}",
        name.chars().count()
    );
    match fastly::log::Endpoint::try_from_name("anyedge_log") {
        Ok(mut log) => {
            let _ = log.write_all(line.as_bytes());
        }
        Err(_) => eprintln!("{line}"),
    }
    let body = serde_json::to_vec(&GreetResponse {
        message: format!("Hello, {name}!"),
        upstream,
    })
    .unwrap_or_default();
    Response::from_status(StatusCode::OK)
        .with_header(header::CONTENT_TYPE, "application/json")
        .with_body(body)
}

fn main() {
    greet(Request::from_client()).send_to_client();
}
