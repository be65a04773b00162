//! The reference app's `POST /greet` written directly against `worker` 0.8
//! with its `http` feature: the handler takes an `http::Request<worker::Body>`
//! and answers an `http::Response`, the http 1.x types anyedge uses too, and
//! fetches with `worker::Fetch` from an `http::Request`.
//!
//! Behaviour is the same as `benches/baseline-cloudflare` (and anyedge's
//! reference app): the bench runs the greet conformance cases against it.
//! The checks and answers are `benches/greet-common`'s, the I/O is here.

use bytes::Bytes;
use futures_util::StreamExt;
use greet_common::{self as greet, Problem, ALLOW, MAX_BODY, MAX_UPSTREAM_BODY};
use http::{header, HeaderMap, HeaderValue, StatusCode};
use worker::{console_log, event, web_sys, Body, Context, Env, Fetch, HttpRequest, Result};

type Response = http::Response<String>;

fn respond(status: u16, content_type: &'static str, body: Vec<u8>) -> Result<Response> {
    let mut res = http::Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, content_type)
        // serde_json writes UTF-8: never empty by this.
        .body(String::from_utf8(body).unwrap_or_default())?;
    if status == 405 {
        res.headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static(ALLOW));
    }
    Ok(res)
}

fn problem(p: Problem) -> Result<Response> {
    respond(p.status, Problem::CONTENT_TYPE, p.body)
}

fn content_length(headers: &HeaderMap) -> Option<u64> {
    greet::content_length(
        headers
            .get(header::CONTENT_LENGTH)
            .map(HeaderValue::as_bytes),
    )
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

#[event(fetch)]
async fn fetch(req: HttpRequest, env: Env, _ctx: Context) -> Result<Response> {
    if req.uri().path() != "/greet" {
        return problem(greet::not_found(req.uri().path()));
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
        other => return problem(greet::method_not_allowed(other)),
    }
    let (parts, body) = req.into_parts();
    if content_length(&parts.headers).is_some_and(|n| n > MAX_BODY as u64) {
        return problem(greet::too_large());
    }
    let Some(body) = read_limited(body, MAX_BODY).await? else {
        return problem(greet::too_large());
    };
    if let Err(p) = greet::check_content_type(
        parts
            .headers
            .get(header::CONTENT_TYPE)
            .map(HeaderValue::as_bytes),
    ) {
        return problem(p);
    }
    let name = match greet::parse_greet(&body) {
        Ok(name) => name,
        Err(p) => return problem(p),
    };

    let string = |name: &str| env.var(name).ok().map(|v| v.to_string());
    let Some(url) = string("API_URL") else {
        return problem(greet::config("API_URL", "missing"));
    };
    let timeout_ms = match greet::timeout_ms(string("UPSTREAM_TIMEOUT_MS")) {
        Ok(ms) => ms,
        Err(p) => return problem(p),
    };
    let mut upstream_req = http::Request::get(&url).header(header::ACCEPT, "application/json");
    if let Ok(token) = env.secret("API_TOKEN") {
        let Ok(value) = HeaderValue::from_str(&format!("Bearer {}", token.to_string())) else {
            return problem(greet::config("API_TOKEN", "not a valid header value"));
        };
        upstream_req = upstream_req.header(header::AUTHORIZATION, value);
    }
    let signal = worker::AbortSignal::from(web_sys::AbortSignal::timeout_with_u32(timeout_ms));
    let Ok(upstream_req) = upstream_req
        .extension(signal.clone())
        .extension(worker::RequestRedirect::Manual)
        .body(String::new())
    else {
        return problem(greet::bad_url());
    };
    let fetched = match worker::Request::try_from(upstream_req) {
        Ok(req) => Fetch::Request(req).send().await,
        Err(_) => return problem(greet::bad_url()),
    };
    let upstream = match fetched.and_then(http::Response::<Body>::try_from) {
        Ok(res) => res,
        Err(_) if signal.aborted() => return problem(greet::upstream_timeout(timeout_ms)),
        Err(_) => return problem(greet::upstream_unreachable("fetch failed")),
    };
    let status = upstream.status().as_u16();
    if let Err(p) = greet::check_upstream_status(status) {
        return problem(p);
    }
    let (parts, body) = upstream.into_parts();
    if content_length(&parts.headers).is_some_and(|n| n > MAX_UPSTREAM_BODY as u64) {
        return problem(greet::upstream_too_large());
    }
    let body = read_limited(body, MAX_UPSTREAM_BODY).await;
    if signal.aborted() {
        return problem(greet::upstream_timeout(timeout_ms));
    }
    let Some(body) = body? else {
        return problem(greet::upstream_too_large());
    };
    let upstream = match greet::upstream_json(&body) {
        Ok(v) => v,
        Err(p) => return problem(p),
    };
    console_log!("{}", greet::log_line(&name, status));
    respond(200, "application/json", greet::greeting(&name, &upstream))
}
