//! The reference app's `POST /greet`, written directly against `worker` 0.8
//! over web_sys types (no anyedge): a baseline `cargo xtask bench` measures
//! anyedge against, the smallest code a careful author writes.
//!
//! Same behaviour as anyedge's reference app (the bench runs the greet
//! conformance cases, `conformance/cases/20-greet.json` and
//! `30-bad-input.json`, against it and stops if one fails); the checks and
//! answers are `benches/greet-common`'s, the I/O is here:
//! - `POST /greet` only (404 elsewhere, 405 with `Allow`, 204 for `OPTIONS`);
//! - the body read up to 1 MiB (413, before reading when `Content-Length`
//!   says so; one `arrayBuffer()` when it is announced, streamed otherwise);
//! - a GET of var `API_URL` with `Accept: application/json` (and
//!   `Authorization: Bearer` from secret `API_TOKEN` when set), redirects
//!   not followed, `UPSTREAM_TIMEOUT_MS` as an `AbortSignal.timeout` over
//!   the whole exchange;
//! - one `console.log` line, and the greeting.

use futures_util::StreamExt;
use greet_common::{self as greet, Problem, ALLOW, MAX_BODY, MAX_UPSTREAM_BODY};
use worker::wasm_bindgen::{JsCast, JsValue};
use worker::wasm_bindgen_futures::JsFuture;
use worker::{
    console_log, event, js_sys, web_sys, ByteStream, Context, Env, Headers, Request, Response,
    Result,
};

fn respond(status: u16, content_type: &str, body: Vec<u8>) -> Result<Response> {
    let headers = Headers::new();
    headers.set("content-type", content_type)?;
    if status == 405 {
        headers.set("allow", ALLOW)?;
    }
    Ok(Response::from_bytes(body)?
        .with_status(status)
        .with_headers(headers))
}

fn problem(p: Problem) -> Result<Response> {
    respond(p.status, Problem::CONTENT_TYPE, p.body)
}

/// Reads a body of at most `limit` bytes; `None` when it is larger.
async fn read_limited(
    body: Option<web_sys::ReadableStream>,
    array_buffer: impl FnOnce() -> std::result::Result<js_sys::Promise, JsValue>,
    declared: Option<u64>,
    limit: usize,
) -> Result<Option<Vec<u8>>> {
    let Some(stream) = body else {
        return Ok(Some(Vec::new()));
    };
    if declared.is_some() {
        let buffer = JsFuture::from(array_buffer()?).await?;
        let bytes = js_sys::Uint8Array::new(&buffer);
        return Ok((bytes.length() as usize <= limit).then(|| bytes.to_vec()));
    }
    let mut stream = ByteStream::from(stream);
    let mut out = Vec::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk?;
        if out.len() + chunk.len() > limit {
            return Ok(None);
        }
        out.extend_from_slice(&chunk);
    }
    Ok(Some(out))
}

fn header(headers: &web_sys::Headers, name: &str) -> Option<String> {
    headers.get(name).ok().flatten()
}

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> Result<Response> {
    if req.path() != "/greet" {
        return problem(greet::not_found(&req.path()));
    }
    let raw = req.inner();
    match raw.method().as_str() {
        "POST" => {}
        "OPTIONS" => {
            let headers = Headers::new();
            headers.set("allow", ALLOW)?;
            return Ok(Response::empty()?.with_status(204).with_headers(headers));
        }
        other => return problem(greet::method_not_allowed(other)),
    }
    let headers = raw.headers();
    let declared = greet::content_length(
        header(&headers, "content-length")
            .as_deref()
            .map(str::as_bytes),
    );
    if declared.is_some_and(|n| n > MAX_BODY as u64) {
        return problem(greet::too_large());
    }
    let Some(body) = read_limited(raw.body(), || raw.array_buffer(), declared, MAX_BODY).await?
    else {
        return problem(greet::too_large());
    };
    if let Err(p) = greet::check_content_type(
        header(&headers, "content-type")
            .as_deref()
            .map(str::as_bytes),
    ) {
        return problem(p);
    }
    let name = match greet::parse_greet(&body) {
        Ok(name) => name,
        Err(p) => return problem(p),
    };

    let string = |name: &str| {
        js_sys::Reflect::get(&env, &name.into())
            .ok()
            .and_then(|v| v.as_string())
    };
    let Some(url) = string("API_URL") else {
        return problem(greet::config("API_URL", "missing"));
    };
    let timeout_ms = match greet::timeout_ms(string("UPSTREAM_TIMEOUT_MS")) {
        Ok(ms) => ms,
        Err(p) => return problem(p),
    };
    let upstream_headers = web_sys::Headers::new()?;
    upstream_headers.set("accept", "application/json")?;
    if let Some(token) = string("API_TOKEN") {
        if upstream_headers
            .set("authorization", &format!("Bearer {token}"))
            .is_err()
        {
            return problem(greet::config("API_TOKEN", "not a valid header value"));
        }
    }
    let signal = web_sys::AbortSignal::timeout_with_u32(timeout_ms);
    let init = web_sys::RequestInit::new();
    init.set_method("GET");
    init.set_headers_headers(&upstream_headers);
    init.set_redirect(web_sys::RequestRedirect::Manual);
    init.set_signal(Some(&signal));
    let Ok(upstream_req) = web_sys::Request::new_with_str_and_init(&url, &init) else {
        return problem(greet::bad_url());
    };
    let global: web_sys::WorkerGlobalScope = js_sys::global().unchecked_into();
    let fetched = JsFuture::from(global.fetch_with_request(&upstream_req)).await;
    let upstream = match fetched.map(|r| r.dyn_into::<web_sys::Response>()) {
        Ok(Ok(res)) => res,
        _ if signal.aborted() => return problem(greet::upstream_timeout(timeout_ms)),
        _ => return problem(greet::upstream_unreachable("fetch failed")),
    };
    let status = upstream.status();
    if let Err(p) = greet::check_upstream_status(status) {
        return problem(p);
    }
    let declared = greet::content_length(
        header(&upstream.headers(), "content-length")
            .as_deref()
            .map(str::as_bytes),
    );
    if declared.is_some_and(|n| n > MAX_UPSTREAM_BODY as u64) {
        return problem(greet::upstream_too_large());
    }
    let body = read_limited(
        upstream.body(),
        || upstream.array_buffer(),
        declared,
        MAX_UPSTREAM_BODY,
    )
    .await;
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
