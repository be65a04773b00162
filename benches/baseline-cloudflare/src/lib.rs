//! The reference app's `POST /greet`, written directly against `worker` 0.8
//! (no anyedge): the baseline `cargo xtask bench` measures anyedge against.
//!
//! Same behaviour, as a careful author would write it by hand (the bench runs
//! the greet conformance cases, `conformance/cases/20-greet.json` and
//! `30-bad-input.json`, against it and stops if one fails):
//! - `POST /greet` only (404 elsewhere, 405 with `Allow` for other methods,
//!   204 for `OPTIONS`), errors as RFC 9457 problem+json bodies with the
//!   same `type`, `title` and members as anyedge's;
//! - the body read up to 1 MiB (413, before reading when `Content-Length`
//!   says so), 415 unless it is declared JSON, 400 with line, column and
//!   field path for bad JSON, 422 for a bad name;
//! - a GET of var `API_URL` with `Accept: application/json` (and
//!   `Authorization: Bearer` from secret `API_TOKEN` when set), redirects
//!   not followed, `UPSTREAM_TIMEOUT_MS` (default 5000) over the whole
//!   exchange (504), 502 for an error status, a body over 1 MiB or not JSON;
//! - one log line, and `{"message":"Hello, <name>!","upstream":<its JSON>}`.

use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use worker::wasm_bindgen::JsCast;
use worker::wasm_bindgen_futures::JsFuture;
use worker::{
    console_log, event, js_sys, web_sys, ByteStream, Context, Env, Headers, Request, Response,
    Result,
};

const MAX_BODY: usize = 1 << 20;
const MAX_UPSTREAM_BODY: usize = 1 << 20;

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
    let headers = Headers::new();
    headers.set("content-type", "application/problem+json")?;
    if status == 405 {
        headers.set("allow", "POST, OPTIONS")?;
    }
    Ok(Response::from_bytes(serde_json::to_vec(&p)?)?
        .with_status(status)
        .with_headers(headers))
}

fn upstream_problem(status: u16, slug: &str, title: &str, detail: &str) -> Result<Response> {
    problem(status, slug, title, detail, Vec::new())
}

/// Reads a body of at most `limit` bytes; `None` when it is larger.
async fn read_limited(
    body: Option<web_sys::ReadableStream>,
    array_buffer: impl FnOnce() -> std::result::Result<js_sys::Promise, worker::wasm_bindgen::JsValue>,
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

fn content_length(headers: &web_sys::Headers) -> Option<u64> {
    headers
        .get("content-length")
        .ok()
        .flatten()
        .and_then(|v| v.trim().parse().ok())
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
async fn fetch(req: Request, env: Env, _ctx: Context) -> Result<Response> {
    if req.path() != "/greet" {
        let detail = format!("no route matches path {}", req.path());
        return problem(404, "not-found", "Not Found", &detail, Vec::new());
    }
    let raw = req.inner();
    match raw.method().as_str() {
        "POST" => {}
        "OPTIONS" => {
            let headers = Headers::new();
            headers.set("allow", "POST, OPTIONS")?;
            return Ok(Response::empty()?.with_status(204).with_headers(headers));
        }
        other => {
            let detail =
                format!("method {other} is not allowed on this route; allowed: POST, OPTIONS");
            return problem(
                405,
                "method-not-allowed",
                "Method Not Allowed",
                &detail,
                vec![("allow", "POST, OPTIONS".into())],
            );
        }
    }
    let headers = raw.headers();
    let declared = content_length(&headers);
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
    if declared.is_some_and(|n| n > MAX_BODY as u64) {
        return too_large();
    }
    let Some(body) = read_limited(raw.body(), || raw.array_buffer(), declared, MAX_BODY).await?
    else {
        return too_large();
    };
    let content_type = headers.get("content-type")?;
    let essence = content_type
        .as_deref()
        .and_then(|t| t.split(';').next())
        .map(|t| t.trim().to_ascii_lowercase());
    let json_type = essence.as_deref().is_some_and(|e| {
        e == "application/json" || (e.ends_with("+json") && e.contains('/') && !e.starts_with('/'))
    });
    if !json_type {
        let detail = match content_type {
            None => "missing Content-Type; expected application/json".to_owned(),
            Some(t) => format!("Content-Type `{t}` is not JSON; expected application/json"),
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

    let string = |name: &str| {
        js_sys::Reflect::get(&env, &name.into())
            .ok()
            .and_then(|v| v.as_string())
    };
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
    let upstream_headers = web_sys::Headers::new()?;
    upstream_headers.set("accept", "application/json")?;
    if let Some(token) = string("API_TOKEN") {
        if upstream_headers
            .set("authorization", &format!("Bearer {token}"))
            .is_err()
        {
            return config_problem("API_TOKEN", "not a valid header value");
        }
    }
    let signal = web_sys::AbortSignal::timeout_with_u32(timeout_ms);
    let init = web_sys::RequestInit::new();
    init.set_method("GET");
    init.set_headers_headers(&upstream_headers);
    init.set_redirect(web_sys::RequestRedirect::Manual);
    init.set_signal(Some(&signal));
    let Ok(upstream_req) = web_sys::Request::new_with_str_and_init(&url, &init) else {
        return config_problem(
            "API_URL",
            "not an absolute http(s) URL (without a query when paths are appended)",
        );
    };
    let global: web_sys::WorkerGlobalScope = js_sys::global().unchecked_into();
    let fetched = JsFuture::from(global.fetch_with_request(&upstream_req)).await;
    let timed_out = || {
        upstream_problem(
            504,
            "upstream-timeout",
            "Upstream Timeout",
            &format!("upstream request failed: no complete answer within {timeout_ms} ms"),
        )
    };
    let upstream = match fetched.map(|r| r.dyn_into::<web_sys::Response>()) {
        Ok(Ok(res)) => res,
        _ if signal.aborted() => return timed_out(),
        _ => {
            return upstream_problem(
                502,
                "upstream-unreachable",
                "Upstream Unreachable",
                "upstream request failed: fetch failed",
            )
        }
    };
    let status = upstream.status();
    if (300..400).contains(&status) {
        let detail = format!("upstream answered {status}; redirects are not followed");
        return upstream_problem(502, "upstream-redirect", "Upstream Redirect", &detail);
    }
    if !(200..300).contains(&status) {
        let detail = format!("upstream answered {status}");
        return upstream_problem(502, "upstream-status", "Upstream Error Status", &detail);
    }
    let declared = content_length(&upstream.headers());
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
    if declared.is_some_and(|n| n > MAX_UPSTREAM_BODY as u64) {
        return too_large();
    }
    let body = read_limited(
        upstream.body(),
        || upstream.array_buffer(),
        declared,
        MAX_UPSTREAM_BODY,
    )
    .await;
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
    let body = serde_json::to_vec(&GreetResponse {
        message: format!("Hello, {name}!"),
        upstream,
    })?;
    let headers = Headers::new();
    headers.set("content-type", "application/json")?;
    Ok(Response::from_bytes(body)?.with_headers(headers))
}
