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
#![expect(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use std::rc::Rc;
use std::time::{Duration, Instant};

use anyedge_core::adapter::block_on;
use anyedge_core::client::{HttpClient, HttpErrorKind, Limits};
use anyedge_core::testing::{MemoryConfig, TestHost};
use anyedge_core::{
    json as core_json, upstream, Config, Ctx, Host, Logger, Request, Response, Result, Router,
};
use anyedge_fastly::{serve, serve_with, BackendMap, FastlyClient, FastlyConfig, FastlyLogger};
use serde_json::{json as json_value, Value};

/// `GET /health`, `POST /echo` (what the app received) and `POST /greet`
/// (calls config `API_URL`): a small app for the adapter's entry points.
fn app<H: Host>() -> Router<H> {
    async fn health<H: Host>(_req: Request, _ctx: Ctx<H>) -> Result<Response> {
        core_json::response(http::StatusCode::OK, &json_value!({"status": "ok"}))
    }
    async fn echo<H: Host>(req: Request, _ctx: Ctx<H>) -> Result<Response> {
        let multi = req.headers().get_all("x-multi").iter().count();
        let body = String::from_utf8_lossy(req.body()).into_owned();
        let echoed = json_value!({"method": req.method().as_str(), "path": req.uri().path(), "query": req.uri().query(), "x_multi": multi, "body": body});
        core_json::response(http::StatusCode::OK, &echoed)
    }
    async fn greet<H: Host>(_req: Request, ctx: Ctx<H>) -> Result<Response> {
        let uri = upstream::url(ctx.config(), "API_URL", "")?;
        let call = upstream::request(ctx.config(), http::Method::GET, uri, None)?;
        let (_, answer) = upstream::fetch_json::<Value>(ctx.client(), call).await?;
        core_json::response(http::StatusCode::OK, &json_value!({"upstream": answer}))
    }
    Router::new().get("/health", health::<H>).post("/echo", echo::<H>).post("/greet", greet::<H>)
}

/// The test upstream's origin, from the manifest's `API_URL`.
fn upstream() -> String {
    let config = FastlyConfig::default();
    let url = config.var("API_URL").expect("API_URL in the test manifest");
    url.strip_suffix("/hello").expect("API_URL ends in /hello").to_owned()
}

fn client() -> FastlyClient {
    // BACKENDS maps the upstream to `origin` and REFUSED_URL's origin to
    // `refused`, a backend nothing listens on (both written by xtask).
    FastlyClient::new(FastlyConfig::default())
}

fn refused_url() -> String {
    FastlyConfig::default().var("REFUSED_URL").unwrap()
}

fn request(method: &str, url: &str, limits: Limits) -> Request {
    let mut req =
        http::Request::builder().method(method).uri(url).body(Default::default()).unwrap();
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
    let config = FastlyConfig::default();
    assert!(config.has_config_store() && config.has_secret_store());
    let api_url = config.var("API_URL").unwrap();
    assert!(api_url.starts_with("http://127.0.0.1:") && api_url.ends_with("/hello"), "{api_url}");
    let backends = config.var("BACKENDS").unwrap();
    assert!(backends.starts_with(&format!("{}=origin ", upstream())), "{backends}");
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
    let mut req = request("POST", &format!("{}/echo/x?q=1", upstream()), Limits::default());
    req.headers_mut().insert("x-anyedge-test", "yes".parse().unwrap());
    *req.body_mut() = "ping".into();
    let res = send(&client(), req).unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/json");
    let echo = json(res.body());
    assert_eq!(echo["method"], "POST");
    assert_eq!(echo["path"], "/echo/x");
    assert_eq!(echo["query"], "q=1");
    assert_eq!(echo["headers"]["x-anyedge-test"], "yes");
    assert_eq!(echo["headers"]["host"].as_str(), upstream().strip_prefix("http://"));
    assert_eq!(echo["body"], "ping");
}

#[test]
fn error_statuses_and_redirects_are_responses() {
    let res =
        send(&client(), request("GET", &format!("{}/status/503", upstream()), Limits::default()))
            .unwrap();
    assert_eq!(res.status(), 503);
    let res =
        send(&client(), request("GET", &format!("{}/redirect", upstream()), Limits::default()))
            .unwrap();
    assert_eq!(res.status(), 302, "redirects must not be followed");
    assert_eq!(res.headers()["location"], "/hello");
}

#[test]
fn slow_backend_times_out_at_the_request_limit() {
    let limits = Limits { timeout: Duration::from_millis(300), ..Limits::default() };
    let started = Instant::now();
    let err =
        send(&client(), request("GET", &format!("{}/slow/3000", upstream()), limits)).unwrap_err();
    let took = started.elapsed();
    assert_eq!(err.kind(), HttpErrorKind::Timeout, "{err}");
    assert!(err.to_string().contains("300 ms"), "{err}");
    assert!(took < Duration::from_millis(1500), "took {took:?}");
    // Within the limit, the same path answers.
    let limits = Limits { timeout: Duration::from_millis(2000), ..Limits::default() };
    let res = send(&client(), request("GET", &format!("{}/slow/50", upstream()), limits)).unwrap();
    assert_eq!(res.status(), 200);
}

#[test]
fn body_over_max_response_bytes_is_too_large() {
    let limits = Limits { max_response_bytes: 1000, ..Limits::default() };
    let err =
        send(&client(), request("GET", &format!("{}/big/100000", upstream()), limits)).unwrap_err();
    assert_eq!(err.kind(), HttpErrorKind::TooLarge, "{err}");
    assert!(err.to_string().contains("1000 bytes"), "{err}");
    let res = send(&client(), request("GET", &format!("{}/big/900", upstream()), limits)).unwrap();
    assert_eq!(res.body().len(), 902);
}

#[test]
fn connection_refused_is_refused() {
    let err =
        send(&client(), request("GET", &format!("{}hello", refused_url()), Limits::default()))
            .unwrap_err();
    assert_eq!(err.kind(), HttpErrorKind::Refused, "{err}");
    assert!(err.to_string().contains("`refused`"), "{err}");
}

#[test]
fn unmapped_origin_says_how_to_map_it_without_echoing_it() {
    let err = send(&client(), request("GET", "https://api.example.test/v1", Limits::default()))
        .unwrap_err();
    assert_eq!(err.kind(), HttpErrorKind::InvalidRequest);
    let msg = err.to_string();
    assert!(msg.contains("BACKENDS") && msg.contains("DYNAMIC_BACKENDS"), "{msg}");
    assert!(!msg.contains("api.example.test"), "{msg}");
}

#[test]
fn bad_backends_entries_are_named_by_position_not_value() {
    assert_eq!(BackendMap::parse("http://a.test=a, nonsense"), Err(2));
    assert_eq!(BackendMap::parse("http://a.test="), Err(1));
    assert_eq!(BackendMap::parse("http://a.test=bad/name"), Err(1));
    assert_eq!(BackendMap::parse("http://a.test=ok bad-entry"), Err(2));
    assert_eq!(BackendMap::parse("/path=a"), Err(1));
    let map = BackendMap::parse(" http://a.test=a ,\nhttps://b.test:8443=b_2 http://a.test:80=two")
        .unwrap();
    assert_eq!(map.backend_for(&"http://a.test/p".parse().unwrap()), Some("two"));
    assert_eq!(map.backend_for(&"https://b.test:8443/".parse().unwrap()), Some("b_2"));
    assert_eq!(map.backend_for(&"https://b.test/".parse().unwrap()), None);
    assert_eq!(BackendMap::parse(""), Ok(BackendMap::default()));
}

#[test]
fn dynamic_backends_reach_unmapped_origins_with_the_request_timeout() {
    let client = FastlyClient::with_backends(BackendMap::default().dynamic(true));
    let port = upstream().rsplit(':').next().unwrap().to_owned();
    let url = &format!("http://localhost:{port}");
    let res = send(&client, request("GET", &format!("{url}/hello"), Limits::default())).unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(json(res.body())["greeting"], "Hello from the local upstream");
    // Registered once, reused after.
    let res =
        send(&client, request("GET", &format!("{url}/status/201"), Limits::default())).unwrap();
    assert_eq!(res.status(), 201);
    let limits = Limits { timeout: Duration::from_millis(300), ..Limits::default() };
    let err = send(&client, request("GET", &format!("{url}/slow/3000"), limits)).unwrap_err();
    assert_eq!(err.kind(), HttpErrorKind::Timeout, "{err}");
}

#[test]
fn client_request_converts_with_body_up_to_the_limit() {
    let host = || Rc::new(TestHost::new());
    let mut req = fastly::Request::post("http://edge.test/echo?x=1")
        .with_header("content-type", "application/json")
        .with_header("x-multi", "a")
        .with_header("x-multi", "b")
        .with_body("{\"name\":\"Ada\"}");
    req.remove_header("content-length");
    let mut res = serve_with(&app::<TestHost>().max_body_bytes(14), host(), req);
    let echoed = json(&res.take_body_bytes());
    assert_eq!(
        echoed,
        json_value!({"method": "POST", "path": "/echo", "query": "x=1", "x_multi": 2, "body": "{\"name\":\"Ada\"}"})
    );
    let req = fastly::Request::post("http://edge.test/echo").with_body("0123456789");
    let mut res = serve_with(&app::<TestHost>().max_body_bytes(9), host(), req);
    assert_eq!(res.get_status(), 413);
    assert_eq!(json(&res.take_body_bytes())["limit"], 9);
    let req = fastly::Request::post("http://edge.test/echo")
        .with_header("content-length", "5000")
        .with_body("tiny");
    let res = serve_with(&app::<TestHost>().max_body_bytes(100), host(), req);
    assert_eq!(res.get_status(), 413);
}

#[test]
fn core_response_converts_with_status_headers_and_body() {
    async fn problem<H: Host>(_req: Request, _ctx: Ctx<H>) -> Result<Response> {
        let res = http::Response::builder()
            .status(422)
            .header("content-type", "application/problem+json")
            .header("set-cookie", "a=1")
            .header("set-cookie", "b=2")
            .body("{\"x\":1}".into());
        Ok(res.unwrap())
    }
    let app = Router::new().get("/p", problem::<TestHost>);
    let mut out =
        serve_with(&app, Rc::new(TestHost::new()), fastly::Request::get("http://edge.test/p"));
    assert_eq!(out.get_status(), 422);
    assert_eq!(out.get_header_str("content-type"), Some("application/problem+json"));
    assert_eq!(out.get_header_all_str("set-cookie"), ["a=1", "b=2"]);
    assert_eq!(out.take_body_str(), "{\"x\":1}");
}

#[test]
fn serve_with_routes_and_answers_problems() {
    let host = || Rc::new(TestHost::new().with_config(MemoryConfig::new()));
    let app = app::<TestHost>().max_body_bytes(64);
    let mut res = serve_with(&app, host(), fastly::Request::get("http://edge.test/health"));
    assert_eq!(res.get_status(), 200);
    assert_eq!(json(&res.take_body_bytes()), serde_json::json!({"status": "ok"}));

    let mut res = serve_with(&app, host(), fastly::Request::get("http://edge.test/nope"));
    assert_eq!(res.get_status(), 404);
    assert_eq!(res.get_header_str("content-type"), Some("application/problem+json"));
    assert_eq!(json(&res.take_body_bytes())["type"], "https://anyedge.dev/problems/not-found");

    let big = fastly::Request::post("http://edge.test/echo")
        .with_header("content-type", "application/json")
        .with_body(vec![b' '; 65]);
    let mut res = serve_with(&app, host(), big);
    assert_eq!(res.get_status(), 413);
    let problem = json(&res.take_body_bytes());
    assert_eq!(problem["type"], "https://anyedge.dev/problems/payload-too-large");
    assert_eq!(problem["limit"], 64);
}

#[test]
fn serve_runs_an_app_on_the_fastly_host() {
    let req = fastly::Request::post("http://edge.test/greet")
        .with_header("content-type", "application/json")
        .with_body("{\"name\":\"Ada\"}");
    let mut res = serve(&app(), req);
    let body = res.take_body_str();
    assert_eq!(res.get_status(), 200, "{body}");
    assert_eq!(
        json(body.as_bytes()),
        json_value!({"upstream": {"greeting": "Hello from the local upstream"}})
    );
}

#[test]
fn host_reads_backends_and_logger_from_config() {
    let host = anyedge_fastly::host(FastlyConfig::default());
    let res = send(
        anyedge_core::Host::client(&host),
        request("GET", &format!("{}/hello", upstream()), Limits::default()),
    )
    .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(anyedge_core::Host::logger(&host).endpoint_name(), Some("anyedge_log"));
}

#[test]
fn logger_writes_to_an_endpoint_or_stderr() {
    let logger = FastlyLogger::new(&FastlyConfig::default());
    logger.info("adapter test line");
    assert_eq!(logger.endpoint_name(), Some("anyedge_log"));
    let stderr = FastlyLogger::default();
    stderr.warn("adapter test line on stderr");
    assert_eq!(stderr.endpoint_name(), None);
    // A store without LOG_ENDPOINT logs to stderr.
    let none = FastlyLogger::new(&FastlyConfig::open("no_such_config", "no_such_secrets"));
    none.info("adapter test line on stderr, no endpoint");
    assert_eq!(none.endpoint_name(), None);
    // A name that cannot be an endpoint: a warning, then stderr.
    let bad = FastlyLogger::new(&MemoryConfig::new().with_var("LOG_ENDPOINT", ""));
    assert_eq!(bad.endpoint_name(), None);
}
