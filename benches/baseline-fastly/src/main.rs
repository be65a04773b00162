//! The reference app's `POST /greet`, written directly against `fastly` 0.13
//! (no anyedge): the baseline `cargo xtask bench` measures anyedge against.
//!
//! Same behaviour and config as `anyedge-fastly`'s binary, as a careful
//! author would write it by hand (the bench runs the greet conformance
//! cases, `conformance/cases/20-greet.json` and `30-bad-input.json`, against
//! it and stops if one fails). The checks and answers are
//! `benches/greet-common`'s, the I/O is here:
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
#![expect(unsafe_code, reason = "the host's select call with a timeout, as anyedge-fastly makes it")]

use std::io::{Read, Write};

use fastly::http::{header, Method, StatusCode};
use fastly::{Body, ConfigStore, Request, Response, SecretStore};
use greet_common::{self as greet, Problem, ALLOW, MAX_BODY, MAX_UPSTREAM_BODY};

fn problem(p: Problem) -> Response {
    let mut res = Response::from_status(p.status)
        .with_header(header::CONTENT_TYPE, Problem::CONTENT_TYPE)
        .with_body(p.body);
    if p.status == 405 {
        res.set_header(header::ALLOW, ALLOW);
    }
    res
}

/// Reads a body of at most `limit` bytes; `None` when it is larger.
fn read_limited(body: Body, limit: usize) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let n = body.take(limit as u64 + 1).read_to_end(&mut out).ok()?;
    (n <= limit).then_some(out)
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
        return problem(greet::not_found(req.get_path()));
    }
    match *req.get_method() {
        Method::POST => {}
        Method::OPTIONS => {
            return Response::from_status(StatusCode::NO_CONTENT).with_header(header::ALLOW, ALLOW);
        }
        ref other => return problem(greet::method_not_allowed(other.as_str())),
    }
    let declared =
        greet::content_length(req.get_header(header::CONTENT_LENGTH).map(|v| v.as_bytes()));
    if declared.is_some_and(|n| n > MAX_BODY as u64) {
        return problem(greet::too_large());
    }
    let Some(body) = read_limited(req.take_body(), MAX_BODY) else {
        return problem(greet::too_large());
    };
    if let Err(p) =
        greet::check_content_type(req.get_header(header::CONTENT_TYPE).map(|v| v.as_bytes()))
    {
        return problem(p);
    }
    let name = match greet::parse_greet(&body) {
        Ok(name) => name,
        Err(p) => return problem(p),
    };

    let config = ConfigStore::try_open("anyedge_config").ok();
    let var = |name: &str| config.as_ref()?.try_get(name).ok().flatten();
    let Some(url) = var("API_URL") else {
        return problem(greet::config("API_URL", "missing"));
    };
    let timeout_ms = match greet::timeout_ms(var("UPSTREAM_TIMEOUT_MS")) {
        Ok(ms) => ms,
        Err(p) => return problem(p),
    };
    let Ok(url) = fastly::http::Url::parse(&url) else {
        return problem(greet::bad_url());
    };
    let mut upstream = Request::get(url)
        .with_header(header::ACCEPT, "application/json")
        .with_pass(true);
    let token = SecretStore::open("anyedge_secrets")
        .ok()
        .and_then(|s| s.try_get("API_TOKEN").ok().flatten());
    if let Some(token) = token {
        let Ok(token) = token.try_plaintext() else {
            return problem(greet::config("API_TOKEN", "not readable"));
        };
        let Ok(value) = header::HeaderValue::from_bytes(&[b"Bearer ", token.as_ref()].concat())
        else {
            return problem(greet::config("API_TOKEN", "not a valid header value"));
        };
        upstream.set_header(header::AUTHORIZATION, value);
    }
    let (req_handle, body_handle) = upstream.into_handles();
    let body_handle = body_handle.unwrap_or_else(fastly::handle::BodyHandle::new);
    let handle = match req_handle.send_async(body_handle, "origin") {
        Ok(pending) => pending,
        Err(e) => return problem(greet::upstream_unreachable(&format!("{e:?}"))),
    };
    if !ready_within(&handle, timeout_ms) {
        return problem(greet::upstream_timeout(timeout_ms));
    }
    let mut upstream = match handle.wait() {
        Ok((res, body)) => Response::from_handles(res, body),
        Err(e) => return problem(greet::upstream_unreachable(&format!("{e:?}"))),
    };
    let status = upstream.get_status().as_u16();
    if let Err(p) = greet::check_upstream_status(status) {
        return problem(p);
    }
    let Some(body) = read_limited(upstream.take_body(), MAX_UPSTREAM_BODY) else {
        return problem(greet::upstream_too_large());
    };
    let upstream = match greet::upstream_json(&body) {
        Ok(v) => v,
        Err(p) => return problem(p),
    };
    let line = greet::log_line(&name, status);
    match fastly::log::Endpoint::try_from_name("anyedge_log") {
        Ok(mut log) => {
            let _ = log.write_all(line.as_bytes());
        }
        Err(_) => eprintln!("{line}"),
    }
    Response::from_status(StatusCode::OK)
        .with_header(header::CONTENT_TYPE, "application/json")
        .with_body(greet::greeting(&name, &upstream))
}

fn main() {
    greet(Request::from_client()).send_to_client();
}
