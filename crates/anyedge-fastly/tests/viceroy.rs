//! Adapter tests against Fastly's real host API. They run on
//! `wasm32-wasip1` under `viceroy run` (the cargo runner `cargo xtask e2e
//! fastly` sets), with `target/fastly/adapter-tests.toml` as local
//! configuration and the test upstream listening where its `API_URL` says
//! (127.0.0.1:18090):
//!
//! ```text
//! CARGO_TARGET_WASM32_WASIP1_RUNNER="viceroy run -C $PWD/target/fastly/adapter-tests.toml --" \
//!   cargo test -p anyedge-fastly --target wasm32-wasip1
//! ```
#![cfg(target_arch = "wasm32")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::rc::Rc;
use std::time::{Duration, Instant};

use anyedge_core::client::{HttpClient, HttpErrorKind, Limits};
use anyedge_core::testing::{MemoryConfig, TestHost};
use anyedge_core::{reference, Config, Error, Logger, Request};
use anyedge_fastly::backends::BackendMap;
use anyedge_fastly::executor::block_on;
use anyedge_fastly::{
    from_fastly_request, into_fastly_response, serve, serve_with, FastlyClient, FastlyConfig,
    FastlyHost, FastlyLogger, DEFAULT_CONFIG_STORE, DEFAULT_SECRET_STORE,
};
use serde_json::Value;

/// The test upstream's origin, from the manifest's `API_URL`.
fn upstream() -> String {
    let config = FastlyConfig::open(DEFAULT_CONFIG_STORE, DEFAULT_SECRET_STORE);
    let url = config.var("API_URL").expect("API_URL in the test manifest");
    url.strip_suffix("/hello")
        .expect("API_URL ends in /hello")
        .to_owned()
}

fn client() -> FastlyClient {
    // BACKENDS maps the upstream to `origin` and REFUSED_URL's origin to
    // `refused`, a backend nothing listens on (both written by xtask).
    let config = FastlyConfig::open(DEFAULT_CONFIG_STORE, DEFAULT_SECRET_STORE);
    FastlyClient::new(BackendMap::parse(&config.var("BACKENDS").unwrap()).unwrap())
}

fn refused_url() -> String {
    let config = FastlyConfig::open(DEFAULT_CONFIG_STORE, DEFAULT_SECRET_STORE);
    config.var("REFUSED_URL").unwrap()
}

fn request(method: &str, url: &str, limits: Limits) -> Request {
    let mut req = http::Request::builder()
        .method(method)
        .uri(url)
        .body(Default::default())
        .unwrap();
    req.extensions_mut().insert(limits);
    req
}

fn send(
    client: &FastlyClient,
    req: Request,
) -> Result<anyedge_core::Response, anyedge_core::HttpError> {
    block_on(client.send(req)).unwrap()
}

fn json(body: &[u8]) -> Value {
    serde_json::from_slice(body).unwrap()
}

#[test]
fn config_store_variables_and_secret_store_secrets() {
    let config = FastlyConfig::open(DEFAULT_CONFIG_STORE, DEFAULT_SECRET_STORE);
    assert!(config.has_config_store() && config.has_secret_store());
    let api_url = config.var("API_URL").unwrap();
    assert!(
        api_url.starts_with("http://127.0.0.1:") && api_url.ends_with("/hello"),
        "{api_url}"
    );
    let backends = config.var("BACKENDS").unwrap();
    assert!(
        backends.starts_with(&format!("{}=origin ", upstream())),
        "{backends}"
    );
    assert_eq!(config.var("UPSTREAM_TIMEOUT_MS").as_deref(), Some("2000"));
    assert_eq!(config.var("NOT_SET"), None);
    let token = config.secret("API_TOKEN").unwrap();
    assert_eq!(token.expose(), "canary-secret-4b1d");
    assert_eq!(format!("{token:?}"), "Secret(\"***\")");
    assert!(config.secret("NOT_SET").is_none());
    // A variable is not a secret and a secret is not a variable.
    assert!(config.secret("API_URL").is_none());
    assert!(config.var("API_TOKEN").is_none());
}

#[test]
fn missing_stores_read_as_empty() {
    let config = FastlyConfig::open("no_such_config", "no_such_secrets");
    assert!(!config.has_config_store() && !config.has_secret_store());
    assert_eq!(config.var("API_URL"), None);
    assert!(config.secret("API_TOKEN").is_none());
    let err = config.require_var("API_URL").unwrap_err();
    assert_eq!(err.status(), 500);
    assert!(err.to_string().contains("API_URL"));
}

#[test]
fn static_backend_sends_method_path_headers_and_body() {
    let mut req = request(
        "POST",
        &format!("{}/echo/x?q=1", upstream()),
        Limits::default(),
    );
    req.headers_mut()
        .insert("x-anyedge-test", "yes".parse().unwrap());
    *req.body_mut() = "ping".into();
    let res = send(&client(), req).unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/json");
    let echo = json(res.body());
    assert_eq!(echo["method"], "POST");
    assert_eq!(echo["path"], "/echo/x");
    assert_eq!(echo["query"], "q=1");
    assert_eq!(echo["headers"]["x-anyedge-test"], "yes");
    assert_eq!(
        echo["headers"]["host"].as_str(),
        upstream().strip_prefix("http://")
    );
    assert_eq!(echo["body"], "ping");
}

#[test]
fn error_statuses_and_redirects_are_responses() {
    let res = send(
        &client(),
        request(
            "GET",
            &format!("{}/status/503", upstream()),
            Limits::default(),
        ),
    )
    .unwrap();
    assert_eq!(res.status(), 503);
    let res = send(
        &client(),
        request(
            "GET",
            &format!("{}/redirect", upstream()),
            Limits::default(),
        ),
    )
    .unwrap();
    assert_eq!(res.status(), 302, "redirects must not be followed");
    assert_eq!(res.headers()["location"], "/hello");
}

#[test]
fn slow_backend_times_out_at_the_request_limit() {
    let limits = Limits {
        timeout: Duration::from_millis(300),
        ..Limits::default()
    };
    let started = Instant::now();
    let err = send(
        &client(),
        request("GET", &format!("{}/slow/3000", upstream()), limits),
    )
    .unwrap_err();
    let took = started.elapsed();
    assert_eq!(err.kind(), HttpErrorKind::Timeout, "{err}");
    assert!(err.to_string().contains("300 ms"), "{err}");
    assert!(took < Duration::from_millis(1500), "took {took:?}");
    // Within the limit, the same path answers.
    let limits = Limits {
        timeout: Duration::from_millis(2000),
        ..Limits::default()
    };
    let res = send(
        &client(),
        request("GET", &format!("{}/slow/50", upstream()), limits),
    )
    .unwrap();
    assert_eq!(res.status(), 200);
}

#[test]
fn body_over_max_response_bytes_is_too_large() {
    let limits = Limits {
        max_response_bytes: 1000,
        ..Limits::default()
    };
    let err = send(
        &client(),
        request("GET", &format!("{}/big/100000", upstream()), limits),
    )
    .unwrap_err();
    assert_eq!(err.kind(), HttpErrorKind::TooLarge, "{err}");
    assert!(err.to_string().contains("1000 bytes"), "{err}");
    let res = send(
        &client(),
        request("GET", &format!("{}/big/900", upstream()), limits),
    )
    .unwrap();
    assert_eq!(res.body().len(), 902);
}

#[test]
fn connection_refused_is_refused() {
    let err = send(
        &client(),
        request("GET", &format!("{}hello", refused_url()), Limits::default()),
    )
    .unwrap_err();
    assert_eq!(err.kind(), HttpErrorKind::Refused, "{err}");
    assert!(err.to_string().contains("`refused`"), "{err}");
}

#[test]
fn unmapped_origin_says_how_to_map_it() {
    let err = send(
        &client(),
        request("GET", "https://api.example.test/v1", Limits::default()),
    )
    .unwrap_err();
    assert_eq!(err.kind(), HttpErrorKind::InvalidRequest);
    let msg = err.to_string();
    assert!(
        msg.contains("https://api.example.test:443") && msg.contains("BACKENDS"),
        "{msg}"
    );
}

#[test]
fn misconfigured_backends_fail_every_request_with_the_problem() {
    let client = FastlyClient::misconfigured("config BACKENDS: `x` is wrong");
    let err = send(
        &client,
        request("GET", &format!("{}/hello", upstream()), Limits::default()),
    )
    .unwrap_err();
    assert_eq!(err.kind(), HttpErrorKind::InvalidRequest);
    assert_eq!(err.to_string(), "config BACKENDS: `x` is wrong");
}

#[test]
fn dynamic_backends_reach_unmapped_origins_with_the_request_timeout() {
    let client = FastlyClient::new(BackendMap::new()).with_dynamic_backends(true);
    let port = upstream().rsplit(':').next().unwrap().to_owned();
    let url = &format!("http://localhost:{port}");
    let res = send(
        &client,
        request("GET", &format!("{url}/hello"), Limits::default()),
    )
    .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(
        json(res.body())["greeting"],
        "Hello from the local upstream"
    );
    // Registered once, reused after.
    let res = send(
        &client,
        request("GET", &format!("{url}/status/201"), Limits::default()),
    )
    .unwrap();
    assert_eq!(res.status(), 201);
    let limits = Limits {
        timeout: Duration::from_millis(300),
        ..Limits::default()
    };
    let err = send(&client, request("GET", &format!("{url}/slow/3000"), limits)).unwrap_err();
    assert_eq!(err.kind(), HttpErrorKind::Timeout, "{err}");
}

#[test]
fn client_request_converts_with_body_up_to_the_limit() {
    let mut req = fastly::Request::post("http://edge.test/greet?x=1")
        .with_header("content-type", "application/json")
        .with_header("x-multi", "a")
        .with_header("x-multi", "b")
        .with_body("{\"name\":\"Ada\"}");
    req.remove_header("content-length");
    let core = from_fastly_request(&mut req, 14).unwrap();
    assert_eq!(core.method(), "POST");
    assert_eq!(core.uri().path(), "/greet");
    assert_eq!(core.uri().query(), Some("x=1"));
    assert_eq!(core.headers()["content-type"], "application/json");
    assert_eq!(core.headers().get_all("x-multi").iter().count(), 2);
    assert_eq!(core.body().as_ref(), b"{\"name\":\"Ada\"}");

    let mut req = fastly::Request::post("http://edge.test/greet").with_body("0123456789");
    match from_fastly_request(&mut req, 9) {
        Err(Error::PayloadTooLarge { limit: 9 }) => {}
        other => panic!("expected 413 with limit 9, got {other:?}"),
    }
    let mut req = fastly::Request::post("http://edge.test/greet")
        .with_header("content-length", "5000")
        .with_body("tiny");
    assert!(matches!(
        from_fastly_request(&mut req, 100),
        Err(Error::PayloadTooLarge { limit: 100 })
    ));
}

#[test]
fn core_response_converts_with_status_headers_and_body() {
    let res = http::Response::builder()
        .status(422)
        .header("content-type", "application/problem+json")
        .header("set-cookie", "a=1")
        .header("set-cookie", "b=2")
        .body("{\"x\":1}".into())
        .unwrap();
    let mut out = into_fastly_response(res);
    assert_eq!(out.get_status(), 422);
    assert_eq!(
        out.get_header_str("content-type"),
        Some("application/problem+json")
    );
    assert_eq!(out.get_header_all_str("set-cookie"), ["a=1", "b=2"]);
    assert_eq!(out.take_body_str(), "{\"x\":1}");
}

#[test]
fn serve_with_routes_and_answers_problems() {
    let host = || Rc::new(TestHost::new().with_config(MemoryConfig::new()));
    let app = reference::app::<TestHost>().max_body_bytes(64);
    let mut res = serve_with(
        &app,
        host(),
        fastly::Request::get("http://edge.test/health"),
    );
    assert_eq!(res.get_status(), 200);
    assert_eq!(
        json(&res.take_body_bytes()),
        serde_json::json!({"status": "ok"})
    );

    let mut res = serve_with(&app, host(), fastly::Request::get("http://edge.test/nope"));
    assert_eq!(res.get_status(), 404);
    assert_eq!(
        res.get_header_str("content-type"),
        Some("application/problem+json")
    );
    assert_eq!(
        json(&res.take_body_bytes())["type"],
        "https://anyedge.dev/problems/not-found"
    );

    let big = fastly::Request::post("http://edge.test/greet")
        .with_header("content-type", "application/json")
        .with_body(vec![b' '; 65]);
    let mut res = serve_with(&app, host(), big);
    assert_eq!(res.get_status(), 413);
    let problem = json(&res.take_body_bytes());
    assert_eq!(
        problem["type"],
        "https://anyedge.dev/problems/payload-too-large"
    );
    assert_eq!(problem["limit"], 64);
}

#[test]
fn serve_runs_the_reference_app_on_the_fastly_host() {
    let req = fastly::Request::post("http://edge.test/greet")
        .with_header("content-type", "application/json")
        .with_body("{\"name\":\"Ada\"}");
    let mut res = serve(&reference::app(), req);
    let body = res.take_body_str();
    assert_eq!(res.get_status(), 200, "{body}");
    assert_eq!(
        json(body.as_bytes()),
        serde_json::json!({"message": "Hello, Ada!", "upstream": {"greeting": "Hello from the local upstream"}})
    );
}

#[test]
fn host_reads_backends_and_logger_from_config() {
    let host = FastlyHost::open();
    let res = send(
        anyedge_core::Host::client(&host),
        request("GET", &format!("{}/hello", upstream()), Limits::default()),
    )
    .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(
        anyedge_core::Host::logger(&host).endpoint_name().as_deref(),
        Some("anyedge_log")
    );
}

#[test]
fn logger_writes_to_an_endpoint_or_stderr() {
    let logger = FastlyLogger::endpoint("anyedge_log").unwrap();
    logger.info("adapter test line");
    assert_eq!(logger.endpoint_name().as_deref(), Some("anyedge_log"));
    let stderr = FastlyLogger::stderr();
    stderr.warn("adapter test line on stderr");
    assert_eq!(stderr.endpoint_name(), None);
    assert!(FastlyLogger::endpoint("").is_err());
}
