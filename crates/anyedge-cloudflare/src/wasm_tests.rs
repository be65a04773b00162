//! Tests of the conversions and the `Env` config against real JS objects
//! (`Request`, `Response`, `Headers`, streams), run on `wasm32-unknown-unknown`
//! under Node by `wasm-bindgen-test-runner` (`cargo xtask e2e cloudflare`).

#![expect(clippy::unwrap_used, reason = "tests")]

use anyedge_core::Bytes;
use anyedge_core::{Config, Error, HttpErrorKind};
use http::{HeaderValue, Method, StatusCode};
use wasm_bindgen_test::wasm_bindgen_test;
use worker::js_sys::{self, Reflect, Uint8Array};
use worker::wasm_bindgen::{JsCast, JsValue};
use worker::wasm_bindgen_futures::JsFuture;
use worker::web_sys;

use crate::convert::{
    fetch, request_from_worker, request_to_fetch, response_from_fetch, response_to_worker,
};
use crate::CloudflareConfig;

fn js_headers(pairs: &[(&str, &str)]) -> web_sys::Headers {
    let h = web_sys::Headers::new().unwrap();
    for (k, v) in pairs {
        h.append(k, v).unwrap();
    }
    h
}

fn incoming(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: Option<&[u8]>,
) -> web_sys::Request {
    let init = web_sys::RequestInit::new();
    init.set_method(method);
    init.set_headers_headers(&js_headers(headers));
    if let Some(body) = body {
        init.set_body(&Uint8Array::from(body));
    }
    web_sys::Request::new_with_str_and_init(url, &init).unwrap()
}

fn upstream(status: u16, headers: &[(&str, &str)], body: Option<&[u8]>) -> web_sys::Response {
    let init = web_sys::ResponseInit::new();
    init.set_status(status);
    init.set_headers_headers(&js_headers(headers));
    let body = body.map(Uint8Array::from);
    web_sys::Response::new_with_opt_buffer_source_and_init(body.as_deref(), &init).unwrap()
}

async fn body_of(res: &web_sys::Response) -> Vec<u8> {
    let buf = JsFuture::from(res.array_buffer().unwrap()).await.unwrap();
    Uint8Array::new(&buf).to_vec()
}

#[wasm_bindgen_test]
async fn incoming_request_keeps_method_url_headers_and_body() {
    let req = incoming(
        "PATCH",
        "https://edge.test/greet/%C3%A9?x=1&y=2",
        &[
            ("content-type", "application/json"),
            ("x-latin1", "caf\u{e9}"),
            ("x-multi", "a"),
            ("x-multi", "b"),
        ],
        Some(br#"{"name":"Ada"}"#),
    );
    let req = request_from_worker(&req, 1024).await.unwrap();
    assert_eq!(req.method(), Method::PATCH);
    assert_eq!(req.uri().path(), "/greet/%C3%A9");
    assert_eq!(req.uri().query(), Some("x=1&y=2"));
    assert_eq!(req.uri().host(), Some("edge.test"));
    assert_eq!(req.headers()["content-type"], "application/json");
    assert_eq!(req.headers()["x-latin1"], HeaderValue::from_bytes(b"caf\xe9").unwrap());
    // JS `Headers` joins repeated values (other than Set-Cookie) with ", ".
    assert_eq!(req.headers()["x-multi"], "a, b");
    assert_eq!(req.body().as_ref(), br#"{"name":"Ada"}"#);
}

#[wasm_bindgen_test]
async fn incoming_request_without_body_is_empty() {
    let req = incoming("GET", "https://edge.test/health", &[], None);
    let req = request_from_worker(&req, 0).await.unwrap();
    assert_eq!(req.method(), Method::GET);
    assert!(req.body().is_empty());
}

#[wasm_bindgen_test]
async fn incoming_body_at_the_limit_is_read_and_over_it_is_413() {
    let body = vec![b'x'; 64];
    let req = incoming("POST", "https://edge.test/", &[], Some(&body));
    let ok = request_from_worker(&req, 64).await.unwrap();
    assert_eq!(ok.body().len(), 64);
    let req = incoming("POST", "https://edge.test/", &[], Some(&body));
    let err = request_from_worker(&req, 63).await.unwrap_err();
    assert!(matches!(err, Error::PayloadTooLarge { limit: 63 }), "{err:?}");
}

#[wasm_bindgen_test]
async fn incoming_body_longer_than_announced_is_still_held_to_the_limit() {
    // Read in one piece (Content-Length within the limit), then checked.
    let body = vec![b'x'; 64];
    let req = incoming("POST", "https://edge.test/", &[("content-length", "3")], Some(&body));
    let err = request_from_worker(&req, 10).await.unwrap_err();
    assert!(matches!(err, Error::PayloadTooLarge { limit: 10 }), "{err:?}");
}

#[wasm_bindgen_test]
async fn incoming_content_length_over_the_limit_is_413_before_reading() {
    let req = incoming("POST", "https://edge.test/", &[("content-length", "5000")], Some(b"tiny"));
    // The body is 4 bytes: only the announced length can trigger the 413.
    assert_eq!(req.headers().get("content-length").unwrap().as_deref(), Some("5000"));
    let err = request_from_worker(&req, 100).await.unwrap_err();
    assert!(matches!(err, Error::PayloadTooLarge { limit: 100 }), "{err:?}");
}

#[wasm_bindgen_test]
async fn response_keeps_status_headers_and_body() {
    let mut res = anyedge_core::Response::new(Bytes::from_static(b"{\"ok\":true}"));
    *res.status_mut() = StatusCode::CREATED;
    res.headers_mut().insert("content-type", HeaderValue::from_static("application/json"));
    res.headers_mut().append("set-cookie", HeaderValue::from_static("a=1"));
    res.headers_mut().append("set-cookie", HeaderValue::from_static("b=2"));
    res.headers_mut().insert("x-latin1", HeaderValue::from_bytes(b"caf\xe9").unwrap());
    let raw = response_to_worker(res).unwrap();
    assert_eq!(raw.status(), 201);
    let headers = raw.headers();
    assert_eq!(headers.get("content-type").unwrap().as_deref(), Some("application/json"));
    assert_eq!(headers.get("x-latin1").unwrap().as_deref(), Some("caf\u{e9}"));
    // Iteration yields each Set-Cookie on its own (`getAll` is workerd-only).
    let cookies: Vec<String> = worker::Headers(headers)
        .entries()
        .filter(|(k, _)| k == "set-cookie")
        .map(|(_, v)| v)
        .collect();
    assert_eq!(cookies, ["a=1", "b=2"]);
    assert_eq!(body_of(&raw).await, b"{\"ok\":true}");
}

#[wasm_bindgen_test]
async fn empty_responses_have_no_body_so_204_and_304_are_valid() {
    for status in [StatusCode::NO_CONTENT, StatusCode::NOT_MODIFIED, StatusCode::OK] {
        let mut res = anyedge_core::Response::new(Bytes::new());
        *res.status_mut() = status;
        let raw = response_to_worker(res).unwrap();
        assert_eq!(raw.status(), status.as_u16());
        assert!(raw.body().is_none());
    }
}

#[wasm_bindgen_test]
fn outbound_request_does_not_follow_redirects_and_keeps_everything() {
    let mut req = anyedge_core::Request::new(Bytes::from_static(b"payload"));
    *req.method_mut() = Method::PUT;
    *req.uri_mut() = "http://127.0.0.1:18080/echo?q=1".parse().unwrap();
    req.headers_mut().insert("authorization", HeaderValue::from_static("Bearer t"));
    let raw = request_to_fetch(&req).unwrap();
    assert_eq!(raw.method(), "PUT");
    assert_eq!(raw.url(), "http://127.0.0.1:18080/echo?q=1");
    assert_eq!(raw.redirect(), web_sys::RequestRedirect::Manual);
    assert_eq!(raw.headers().get("authorization").unwrap().as_deref(), Some("Bearer t"));
    assert!(raw.body().is_some());
}

#[wasm_bindgen_test]
async fn outbound_request_needs_an_absolute_url() {
    let mut req = anyedge_core::Request::new(Bytes::new());
    *req.uri_mut() = "/relative".parse().unwrap();
    let err = fetch(&req).await.unwrap_err();
    assert_eq!(err.kind(), HttpErrorKind::InvalidRequest);
}

#[wasm_bindgen_test]
async fn fetched_response_is_read_up_to_the_limit() {
    let res =
        upstream(302, &[("location", "/hello"), ("content-type", "application/json")], Some(b"{}"));
    let res = response_from_fetch(&res, 2).await.unwrap();
    assert_eq!(res.status(), StatusCode::FOUND);
    assert_eq!(res.headers()["location"], "/hello");
    assert_eq!(res.body().as_ref(), b"{}");

    let err = response_from_fetch(&upstream(200, &[], Some(&[b'x'; 10])), 9).await.unwrap_err();
    assert_eq!(err.kind(), HttpErrorKind::TooLarge);

    let err = response_from_fetch(&upstream(200, &[("content-length", "1000000")], Some(b"x")), 10)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), HttpErrorKind::TooLarge);

    let empty = response_from_fetch(&upstream(204, &[], None), 0).await.unwrap();
    assert_eq!(empty.status(), StatusCode::NO_CONTENT);
    assert!(empty.body().is_empty());
}

#[wasm_bindgen_test]
fn env_config_reads_string_vars_and_secrets_only() {
    let env = js_sys::Object::new();
    Reflect::set(&env, &"API_URL".into(), &"http://127.0.0.1:18080/hello".into()).unwrap();
    Reflect::set(&env, &"API_TOKEN".into(), &"canary".into()).unwrap();
    Reflect::set(&env, &"NOT_A_STRING".into(), &JsValue::from(42)).unwrap();
    let config = CloudflareConfig::new(env.unchecked_into::<worker::Env>());
    assert_eq!(config.var("API_URL").as_deref(), Some("http://127.0.0.1:18080/hello"));
    assert_eq!(config.var("MISSING"), None);
    assert_eq!(config.var("NOT_A_STRING"), None);
    assert_eq!(
        config.secret("API_TOKEN").map(|s| s.expose().to_owned()).as_deref(),
        Some("canary")
    );
    assert!(config.secret("MISSING").is_none());
}
