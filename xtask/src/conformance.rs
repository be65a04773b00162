//! The conformance runner: plays every case in `conformance/cases/*.json`
//! against a running host and checks status, headers and JSON body.
//!
//! A case:
//! ```json
//! { "name": "greet: happy path",
//!   "request": { "method": "POST", "path": "/greet",
//!                "headers": { "content-type": "application/json" },
//!                "json": { "name": "Ada" } },
//!   "expect": { "status": 200, "headers": { "content-type": "application/json" },
//!               "json": { "message": "Hello, Ada!", "upstream": { "greeting": "Hello from the local upstream" } } } }
//! ```
//! Request body: `json` (a value), `body` (a string, sent as is), `body_hex`
//! (bytes), or `body_repeat` (`{"prefix": "", "text": "[", "times": 100000, "suffix": ""}`).
//! Expectations: `status`; `headers` (exact values); `json` (whole body);
//! `json_subset` (members that must be present with these values);
//! `problem` (a problem+json body of that type slug with `title`, `status`,
//! `detail`); `empty_body`; `json_pointers` (`{"/item/path": "/items/1"}`:
//! values at JSON pointers); `json_pointers_absent` (pointers that must not
//! exist); `status_one_of` (where runtimes may differ for a documented
//! reason, see the README); `headers_absent` and `headers_present` (lists
//! of names); `headers_hex` (`{"x-request-id": 32}`: that many lowercase
//! hex digits); `header_pointers` (`{"x-request-id": "/item/headers/x-request-id"}`:
//! the header equals the string at the JSON pointer).
//!
//! Every response of every case is also checked for [`SECRETS`], the secrets
//! the runtimes are configured with: they must never appear in a header or body.

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use serde_json::Value;

use crate::http;

/// The secret every runtime gets as `API_TOKEN` during end-to-end runs; it
/// must never appear in a response or a log line.
pub(crate) const CANARY: &str = "canary-secret-4b1d";

/// The secret every runtime gets as `ADMIN_TOKEN` during end-to-end runs
/// (the cases send it to `/admin/status`); like [`CANARY`], it must never
/// appear in a response or a log line.
pub(crate) const ADMIN_CANARY: &str = "admin-canary-9c2e";

/// What every runtime gets as `CORS_ORIGINS` during end-to-end runs.
pub(crate) const CORS_ORIGINS: &str = "https://app.example, https://other.example";

/// The secrets that must never leak.
pub(crate) const SECRETS: [&str; 2] = [CANARY, ADMIN_CANARY];

/// One case, parsed.
pub(crate) struct Case {
    pub(crate) file: String,
    pub(crate) name: String,
    request: Value,
    expect: Value,
}

/// Loads every case under `dir`, files in name order.
pub(crate) fn load(dir: &Path) -> Result<Vec<Case>> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .with_context(|| format!("read {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    let mut cases = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file)?;
        let list: Vec<Value> = serde_json::from_str(&text)
            .with_context(|| format!("{} is not a JSON array of cases", file.display()))?;
        let short = file.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default();
        for v in list {
            let name = v["name"]
                .as_str()
                .with_context(|| format!("{short}: a case has no name"))?
                .to_owned();
            cases.push(Case {
                file: short.clone(),
                name,
                request: v["request"].clone(),
                expect: v["expect"].clone(),
            });
        }
    }
    Ok(cases)
}

fn body_of(request: &Value) -> Result<Vec<u8>> {
    if let Some(v) = request.get("json") {
        return Ok(serde_json::to_vec(v)?);
    }
    if let Some(s) = request.get("body").and_then(Value::as_str) {
        return Ok(s.as_bytes().to_vec());
    }
    if let Some(h) = request.get("body_hex").and_then(Value::as_str) {
        return (0..h.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&h[i..i + 2], 16).context("bad body_hex"))
            .collect();
    }
    if let Some(r) = request.get("body_repeat") {
        let text = r["text"].as_str().unwrap_or("");
        let times = r["times"].as_u64().unwrap_or(0) as usize;
        let mut body = r.get("prefix").and_then(Value::as_str).unwrap_or("").as_bytes().to_vec();
        body.extend_from_slice(text.repeat(times).as_bytes());
        if let Some(suffix) = r.get("suffix").and_then(Value::as_str) {
            body.extend_from_slice(suffix.as_bytes());
        }
        return Ok(body);
    }
    Ok(Vec::new())
}

/// Plays one case; `Err` says what differed.
pub(crate) fn play(addr: SocketAddr, case: &Case) -> Result<()> {
    let method = case.request["method"].as_str().unwrap_or("GET");
    let path = case.request["path"].as_str().unwrap_or("/");
    let headers: Vec<(String, String)> = case.request["headers"]
        .as_object()
        .map(|m| m.iter().map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_owned())).collect())
        .unwrap_or_default();
    let body = body_of(&case.request)?;
    let res = http::send(addr, method, path, &headers, &body, Duration::from_secs(20))?;
    check(&case.expect, &res)
}

fn check(expect: &Value, res: &http::RawResponse) -> Result<()> {
    let text = String::from_utf8_lossy(&res.body);
    let shown: String = text.chars().take(300).collect();
    for secret in SECRETS {
        if text.contains(secret) || res.headers.iter().any(|(_, v)| v.contains(secret)) {
            bail!("a canary secret leaked into the response");
        }
    }
    if let Some(status) = expect["status"].as_u64() {
        if u64::from(res.status) != status {
            bail!("status {} (expected {status}); body: {shown}", res.status);
        }
    }
    if let Some(list) = expect["status_one_of"].as_array() {
        if !list.iter().any(|s| s.as_u64() == Some(u64::from(res.status))) {
            bail!(
                "status {} (expected one of {expect}); body: {shown}",
                res.status,
                expect = expect["status_one_of"]
            );
        }
    }
    if let Some(headers) = expect["headers"].as_object() {
        for (k, v) in headers {
            let want = v.as_str().unwrap_or("");
            match res.header(k) {
                Some(got) if got == want => {}
                got => bail!("header {k}: {got:?} (expected {want:?})"),
            }
        }
    }
    for name in expect["headers_absent"].as_array().into_iter().flatten().filter_map(Value::as_str)
    {
        if let Some(got) = res.header(name) {
            bail!("header {name} should be absent, is {got:?}");
        }
    }
    for name in expect["headers_present"].as_array().into_iter().flatten().filter_map(Value::as_str)
    {
        if res.header(name).is_none() {
            bail!("header {name} is missing");
        }
    }
    if let Some(hex) = expect["headers_hex"].as_object() {
        for (name, len) in hex {
            let got = res.header(name).unwrap_or("");
            let ok = len.as_u64() == Some(got.len() as u64)
                && got.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
            if !ok {
                bail!("header {name}: {got:?} (expected {len} lowercase hex digits)");
            }
        }
    }
    if expect["empty_body"].as_bool() == Some(true) && !res.body.is_empty() {
        bail!("expected an empty body, got {} bytes", res.body.len());
    }
    let needs_json = expect.get("json").is_some()
        || expect.get("json_subset").is_some()
        || expect.get("json_pointers").is_some()
        || expect.get("json_pointers_absent").is_some()
        || expect.get("problem").is_some()
        || expect.get("header_pointers").is_some();
    if !needs_json {
        return Ok(());
    }
    let got: Value =
        serde_json::from_slice(&res.body).with_context(|| format!("body is not JSON: {shown}"))?;
    if let Some(want) = expect.get("json") {
        if &got != want {
            bail!("body {got} (expected {want})");
        }
    }
    if let Some(want) = expect.get("json_subset").and_then(Value::as_object) {
        for (k, v) in want {
            if got.get(k) != Some(v) {
                bail!("body member {k}: {:?} (expected {v}); body: {shown}", got.get(k));
            }
        }
    }
    if let Some(want) = expect.get("json_pointers").and_then(Value::as_object) {
        for (pointer, v) in want {
            if got.pointer(pointer) != Some(v) {
                bail!("{pointer}: {:?} (expected {v}); body: {shown}", got.pointer(pointer));
            }
        }
    }
    if let Some(want) = expect.get("header_pointers").and_then(Value::as_object) {
        for (name, pointer) in want {
            let pointer = pointer.as_str().unwrap_or("");
            let (got, at) = (res.header(name), got.pointer(pointer).and_then(Value::as_str));
            if got.is_none() || got != at {
                bail!("header {name} {got:?} differs from {pointer} {at:?}; body: {shown}");
            }
        }
    }
    if let Some(list) = expect.get("json_pointers_absent").and_then(Value::as_array) {
        for pointer in list.iter().filter_map(Value::as_str) {
            if let Some(v) = got.pointer(pointer) {
                bail!("{pointer} should be absent, is {v}");
            }
        }
    }
    if let Some(slug) = expect.get("problem").and_then(Value::as_str) {
        let ct = res.header("content-type").unwrap_or("");
        if ct != "application/problem+json" {
            bail!("content-type {ct:?} (expected application/problem+json)");
        }
        let want_type = format!("https://anyedge.dev/problems/{slug}");
        if got["type"] != want_type.as_str() {
            bail!("problem type {} (expected {want_type})", got["type"]);
        }
        if got["status"] != res.status {
            bail!("problem status {} but HTTP status {}", got["status"], res.status);
        }
        if !got["title"].is_string() || !got["detail"].is_string() {
            bail!("problem lacks title or detail: {shown}");
        }
    }
    Ok(())
}

/// Plays every case against `addr`, prints one line per case and a summary,
/// and returns (passed, failed).
pub(crate) fn run_all(runtime: &str, addr: SocketAddr, cases: &[Case]) -> (usize, usize) {
    let (mut passed, mut failed) = (0, 0);
    for case in cases {
        match play(addr, case) {
            Ok(()) => {
                passed += 1;
                eprintln!("  ok   [{runtime}] {} :: {}", case.file, case.name);
            }
            Err(e) => {
                failed += 1;
                eprintln!("  FAIL [{runtime}] {} :: {}: {e:#}", case.file, case.name);
            }
        }
    }
    eprintln!("[{runtime}] conformance: {passed} passed, {failed} failed");
    (passed, failed)
}
