//! The reference app through the test doubles: happy path and every error mapping.

#![expect(clippy::unwrap_used, reason = "tests")]

use std::rc::Rc;

use anyedge_core::client::{HttpErrorKind, Limits};
use anyedge_core::testing::{CapturingLogger, MemoryConfig, ScriptedClient, TestHost};
use anyedge_core::{Bytes, Response};
use anyedge_reference as reference;
use futures_executor::block_on;
use http::StatusCode;
use serde_json::{json, Value};

const API: &str = "http://upstream.test/hello";

struct Run {
    status: StatusCode,
    headers: http::HeaderMap,
    body: Value,
    raw: Bytes,
    client: ScriptedClient,
    logger: CapturingLogger,
}

fn run_with(
    method: &str,
    path: &str,
    content_type: Option<&str>,
    body: &[u8],
    client: ScriptedClient,
    config: MemoryConfig,
) -> Run {
    let logger = CapturingLogger::new();
    let host =
        TestHost::new().with_client(client.clone()).with_logger(logger.clone()).with_config(config);
    let mut req = http::Request::builder().method(method).uri(path);
    if let Some(ct) = content_type {
        req = req.header("content-type", ct);
    }
    let req = req.body(Bytes::copy_from_slice(body)).unwrap();
    let res = block_on(reference::app().handle(req, Rc::new(host)));
    let (parts, raw) = res.into_parts();
    Run {
        status: parts.status,
        body: serde_json::from_slice(&raw).unwrap_or(Value::Null),
        headers: parts.headers,
        raw,
        client,
        logger,
    }
}

fn greet(body: &str, client: ScriptedClient) -> Run {
    run_with(
        "POST",
        "/greet",
        Some("application/json"),
        body.as_bytes(),
        client,
        MemoryConfig::new().with_var("API_URL", API),
    )
}

fn assert_problem(run: &Run, status: u16, slug: &str) {
    assert_eq!(run.status.as_u16(), status, "body: {}", run.body);
    assert_eq!(run.headers["content-type"], "application/problem+json");
    assert_eq!(run.body["type"], format!("https://anyedge.dev/problems/{slug}"));
    assert_eq!(run.body["status"], status);
    assert!(run.body["title"].is_string());
    assert!(run.body["detail"].is_string());
}

#[test]
fn greet_happy_path() {
    let client = ScriptedClient::new().respond_json(200, r#"{"greeting":"hi","n":1}"#);
    let run = greet(r#"{"name":"  Ada  "}"#, client);
    assert_eq!(run.status, 200);
    assert_eq!(run.headers["content-type"], "application/json");
    assert_eq!(run.body, json!({"message": "Hello, Ada!", "upstream": {"greeting": "hi", "n": 1}}));
    let sent = run.client.requests();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].method, "GET");
    assert_eq!(sent[0].uri, API);
    assert_eq!(sent[0].headers["accept"], "application/json");
    assert!(sent[0].headers.get("authorization").is_none());
    assert_eq!(sent[0].limits.timeout, anyedge_core::client::DEFAULT_TIMEOUT);
    // Through RequestId and Timing: the request id on every line, and one
    // line per request.
    let id = run.headers["x-request-id"].to_str().unwrap().to_owned();
    assert_eq!(id.len(), 32, "{id}");
    assert_eq!(sent[0].headers["x-request-id"], id.as_str());
    let lines = run.logger.lines();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert_eq!(
        lines[0],
        format!("INFO anyedge: [{id}] greet: name of 3 chars, upstream answered 200")
    );
    assert!(lines[1].starts_with(&format!("INFO anyedge: [{id}] POST /greet 200 ")), "{lines:?}");
}

#[test]
fn greet_sends_the_token_and_timeout_but_never_shows_the_secret() {
    let client = ScriptedClient::new().respond_json(200, "{}");
    let config = MemoryConfig::new()
        .with_var("API_URL", API)
        .with_var("UPSTREAM_TIMEOUT_MS", "250")
        .with_secret("API_TOKEN", "canary-7f3a");
    let run =
        run_with("POST", "/greet", Some("application/json"), br#"{"name":"Ada"}"#, client, config);
    assert_eq!(run.status, 200);
    let sent = &run.client.requests()[0];
    assert_eq!(sent.headers["authorization"], "Bearer canary-7f3a");
    assert_eq!(sent.limits.timeout, std::time::Duration::from_millis(250));
    assert!(!String::from_utf8_lossy(&run.raw).contains("canary"));
    assert!(run.logger.lines().iter().all(|l| !l.contains("canary")));
}

#[test]
fn health() {
    let run = run_with("GET", "/health", None, b"", ScriptedClient::new(), MemoryConfig::new());
    assert_eq!(run.status, 200);
    assert_eq!(run.body, json!({"status": "ok"}));
}

#[test]
fn head_and_options() {
    let head = run_with("HEAD", "/health", None, b"", ScriptedClient::new(), MemoryConfig::new());
    assert_eq!(head.status, 200);
    assert!(head.raw.is_empty());
    let options =
        run_with("OPTIONS", "/greet", None, b"", ScriptedClient::new(), MemoryConfig::new());
    assert_eq!(options.status, 204);
    assert_eq!(options.headers["allow"], "POST, OPTIONS");
}

#[test]
fn unknown_route_is_404() {
    let run = run_with("GET", "/nope", None, b"", ScriptedClient::new(), MemoryConfig::new());
    assert_problem(&run, 404, "not-found");
}

#[test]
fn wrong_method_is_405_with_allow() {
    let run = run_with("GET", "/greet", None, b"", ScriptedClient::new(), MemoryConfig::new());
    assert_problem(&run, 405, "method-not-allowed");
    assert_eq!(run.headers["allow"], "POST, OPTIONS");
    let run = run_with("DELETE", "/health", None, b"", ScriptedClient::new(), MemoryConfig::new());
    assert_eq!(run.headers["allow"], "GET, HEAD, OPTIONS");
}

#[test]
fn content_type_is_checked_415() {
    for ct in [None, Some("text/plain")] {
        let run = run_with(
            "POST",
            "/greet",
            ct,
            br#"{"name":"Ada"}"#,
            ScriptedClient::new(),
            MemoryConfig::new().with_var("API_URL", API),
        );
        assert_problem(&run, 415, "unsupported-media-type");
        assert!(run.client.requests().is_empty());
    }
}

#[test]
fn oversize_body_is_413() {
    let big = format!(r#"{{"name":"{}"}}"#, "a".repeat(1024 * 1024));
    let run = greet(&big, ScriptedClient::new());
    assert_problem(&run, 413, "payload-too-large");
    assert_eq!(run.body["limit"], 1024 * 1024);
}

#[test]
fn bad_json_is_400_with_position_and_field() {
    let run = greet("{\"name\":\n 42}", ScriptedClient::new());
    assert_problem(&run, 400, "invalid-json");
    assert_eq!(run.body["line"], 2);
    assert_eq!(run.body["field"], "name");

    for body in ["", "{", "[]", "{\"nam\":\"x\"}", "{\"name\":\"x\",\"age\":1}", "{}"] {
        let run = greet(body, ScriptedClient::new());
        assert_problem(&run, 400, "invalid-json");
    }
    let run = run_with(
        "POST",
        "/greet",
        Some("application/json"),
        b"{\"name\":\"\xff\"}",
        ScriptedClient::new(),
        MemoryConfig::new().with_var("API_URL", API),
    );
    assert_problem(&run, 400, "invalid-json");
}

#[test]
fn invalid_name_is_422() {
    for name in ["", "   ", "a\\u0000b", &"x".repeat(101)] {
        let run = greet(&format!(r#"{{"name":"{name}"}}"#), ScriptedClient::new());
        assert_problem(&run, 422, "validation");
        assert_eq!(run.body["field"], "name");
        assert!(run.client.requests().is_empty());
    }
}

#[test]
fn missing_or_bad_config_is_500_naming_it() {
    let run = run_with(
        "POST",
        "/greet",
        Some("application/json"),
        br#"{"name":"Ada"}"#,
        ScriptedClient::new(),
        MemoryConfig::new(),
    );
    assert_problem(&run, 500, "configuration");
    assert!(run.body["detail"].as_str().unwrap().contains("API_URL"));
    let run = run_with(
        "POST",
        "/greet",
        Some("application/json"),
        br#"{"name":"Ada"}"#,
        ScriptedClient::new(),
        MemoryConfig::new().with_var("API_URL", "ftp://secret-host.example/x"),
    );
    assert_problem(&run, 500, "configuration");
    assert!(!run.body["detail"].as_str().unwrap().contains("secret-host"));
}

#[test]
fn upstream_failures_are_502_or_504() {
    let cases = [
        (
            ScriptedClient::new().fail(HttpErrorKind::Refused, "connection refused"),
            502,
            "upstream-unreachable",
        ),
        (
            ScriptedClient::new().fail(HttpErrorKind::Timeout, "no answer within 5s"),
            504,
            "upstream-timeout",
        ),
        (
            ScriptedClient::new().fail(HttpErrorKind::TooLarge, "body over 1048576 bytes"),
            502,
            "upstream-too-large",
        ),
        (
            ScriptedClient::new().fail(HttpErrorKind::Other, "tls handshake failed"),
            502,
            "upstream-error",
        ),
        (ScriptedClient::new().respond_json(503, "{}"), 502, "upstream-status"),
        (ScriptedClient::new().respond_json(404, "{}"), 502, "upstream-status"),
        (ScriptedClient::new().respond_json(200, "<html>"), 502, "upstream-invalid-body"),
        (
            ScriptedClient::new().respond({
                let mut r = Response::new(Bytes::new());
                *r.status_mut() = StatusCode::FOUND;
                r
            }),
            502,
            "upstream-redirect",
        ),
    ];
    for (client, status, slug) in cases {
        let run = greet(r#"{"name":"Ada"}"#, client);
        assert_problem(&run, status, slug);
    }
}

#[test]
fn limits_default_when_absent() {
    let req = anyedge_core::Request::new(Bytes::new());
    assert_eq!(Limits::of(&req), Limits::default());
}

fn item(path: &str, client: ScriptedClient) -> Run {
    run_with(
        "GET",
        path,
        None,
        b"",
        client,
        MemoryConfig::new()
            .with_var("ITEMS_URL", "http://items.test/v1/items/")
            .with_secret("API_TOKEN", "canary-items"),
    )
}

#[test]
fn items_encode_the_id_as_one_segment_and_pass_only_fields() {
    let client = ScriptedClient::new().respond_json(200, r#"{"sku":"x"}"#);
    let run = item("/items/a%2F..%2F%40evil?fields=id,name&host=evil", client);
    assert_eq!(run.status, 200, "{}", run.body);
    assert_eq!(run.body, json!({"id": "a/../@evil", "item": {"sku": "x"}}));
    let sent = &run.client.requests()[0];
    assert_eq!(sent.uri, "http://items.test/v1/items/a%2F%2E%2E%2F%40evil?fields=id%2Cname");
    // The token is for API_URL only.
    assert!(sent.headers.get("authorization").is_none());
}

#[test]
fn items_reject_dot_segments_and_bad_encoding() {
    for path in ["/items/..", "/items/%2E%2E", "/items/.", "/items/%ff", "/items/x?fields=%ff"] {
        let run = item(path, ScriptedClient::new());
        assert_problem(&run, 400, "bad-request");
        assert!(run.client.requests().is_empty(), "{path}");
    }
}

#[test]
fn items_need_their_config() {
    let run = run_with("GET", "/items/1", None, b"", ScriptedClient::new(), MemoryConfig::new());
    assert_problem(&run, 500, "configuration");
    assert!(run.body["detail"].as_str().unwrap().contains("ITEMS_URL"));
}

#[test]
fn the_route_table_checks() {
    reference::app::<TestHost>().check().unwrap();
}

#[test]
fn featured_beats_the_id_route_and_reads_the_state() {
    let run =
        run_with("GET", "/items/featured", None, b"", ScriptedClient::new(), MemoryConfig::new());
    assert_eq!(run.status, 200);
    assert_eq!(run.body, json!({"featured": ["1", "2", "3"]}));
    assert!(run.client.requests().is_empty());
}

#[test]
fn admin_status_needs_the_admin_token_and_never_shows_it() {
    let admin = |auth: Option<&str>, config: MemoryConfig| {
        let logger = CapturingLogger::new();
        let host = TestHost::new().with_logger(logger.clone()).with_config(config);
        let mut req = http::Request::get("/admin/status");
        if let Some(auth) = auth {
            req = req.header("authorization", auth);
        }
        let res = block_on(reference::app().handle(req.body(Bytes::new()).unwrap(), Rc::new(host)));
        (res, logger.lines())
    };
    let config =
        || MemoryConfig::new().with_var("API_URL", API).with_secret("ADMIN_TOKEN", "adm1n-t0ken");
    let (res, _) = admin(None, config());
    assert_eq!(res.status(), 401);
    assert_eq!(res.headers()["www-authenticate"], "Bearer realm=\"anyedge\"");
    let (res, _) = admin(Some("Bearer wrong"), config());
    assert_eq!(res.status(), 403);
    let (res, lines) = admin(Some("Bearer adm1n-t0ken"), config());
    assert_eq!(res.status(), 200);
    let body: Value = serde_json::from_slice(res.body()).unwrap();
    assert_eq!(body["state"]["app"], "anyedge-reference");
    assert_eq!(body["config_set"]["API_URL"], true);
    assert_eq!(body["config_set"]["ITEMS_URL"], false);
    let text = String::from_utf8_lossy(res.body()).into_owned();
    assert!(!text.contains("adm1n-t0ken") && !text.contains(API), "{text}");
    assert!(lines.iter().all(|l| !l.contains("adm1n-t0ken")), "{lines:?}");
    // Without the secret configured: a 500 that names it.
    let (res, _) = admin(Some("Bearer x"), MemoryConfig::new());
    assert_eq!(res.status(), 500);
    assert!(String::from_utf8_lossy(res.body()).contains("ADMIN_TOKEN"));
}

#[test]
fn cors_follows_config() {
    let config = || MemoryConfig::new().with_var("CORS_ORIGINS", "https://app.test");
    let host = || Rc::new(TestHost::new().with_config(config()));
    let req = |origin: &str| {
        http::Request::builder()
            .method("OPTIONS")
            .uri("/greet")
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .body(Bytes::new())
            .unwrap()
    };
    let res = block_on(reference::app().handle(req("https://app.test"), host()));
    assert_eq!(res.status(), 204);
    assert_eq!(res.headers()["access-control-allow-origin"], "https://app.test");
    let res = block_on(reference::app().handle(req("https://evil.test"), host()));
    assert_eq!(res.status(), 403);
}

#[test]
fn an_upstream_429_is_passed_on_with_retry_after() {
    let mut limited = Response::new(Bytes::from_static(b"{}"));
    *limited.status_mut() = StatusCode::TOO_MANY_REQUESTS;
    limited.headers_mut().insert("retry-after", "12".parse().unwrap());
    let run = greet(r#"{"name":"Ada"}"#, ScriptedClient::new().respond(limited));
    assert_problem(&run, 429, "upstream-rate-limited");
    assert_eq!(run.headers["retry-after"], "12");
}
