//! Starts the native host with a small app and a real local upstream, and
//! checks the adapter over HTTP: routing errors, body limits (declared and
//! chunked), panics, and upstream calls and their failures.

#![expect(clippy::unwrap_used, clippy::panic, reason = "tests")]

use std::net::SocketAddr;

use anyedge_core::{json, upstream, Config, Ctx, Host, Request, Response, Result, Router};
use anyedge_native::{NativeConfig, ServeOptions, Server};
use serde_json::{json, Value};

struct Running {
    base: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<std::io::Result<()>>>,
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// `POST /call`: fetches config `UPSTREAM_URL` (with `Authorization` from
/// secret `TOKEN`) and answers `{"upstream": <its JSON>}`.
async fn call_upstream<H: Host>(_req: Request, ctx: Ctx<H>) -> Result<Response> {
    let uri = upstream::url(ctx.config(), "UPSTREAM_URL", "")?;
    let mut req = upstream::request(ctx.config(), http::Method::GET, uri, None)?;
    if let Some(token) = ctx.config().secret("TOKEN") {
        let value = format!("Bearer {}", token.expose()).parse().unwrap();
        req.headers_mut().insert(http::header::AUTHORIZATION, value);
    }
    let (_, body): (_, Value) = upstream::fetch_json(ctx.client(), req).await?;
    json::response(http::StatusCode::OK, &json!({ "upstream": body }))
}

/// `POST /size`: the length of the body it got.
async fn size<H: Host>(req: Request, _ctx: Ctx<H>) -> Result<Response> {
    json::response(http::StatusCode::OK, &json!({ "bytes": req.body().len() }))
}

async fn health<H: Host>(_req: Request, _ctx: Ctx<H>) -> Result<Response> {
    json::response(http::StatusCode::OK, &json!({ "status": "ok" }))
}

async fn boom<H: Host>(_req: Request, _ctx: Ctx<H>) -> Result<Response> {
    panic!("boom on purpose")
}

fn app<H: Host>() -> Router<H> {
    Router::new()
        .get("/health", health::<H>)
        .post("/call", call_upstream::<H>)
        .post("/size", size::<H>)
        .get("/panic", boom::<H>)
        .max_body_bytes(1024)
}

fn start(upstream_path: &str, timeout_ms: &str) -> Running {
    let upstream = anyedge_test_upstream::spawn("127.0.0.1:0").unwrap();
    start_with(
        NativeConfig::new()
            .with_default("UPSTREAM_URL", &format!("http://{upstream}{upstream_path}"))
            .with_default("UPSTREAM_TIMEOUT_MS", timeout_ms)
            .with_default("TOKEN", "canary-native-test"),
    )
}

/// Serves [`app`] with `config` on a free port.
fn start_with(config: NativeConfig) -> Running {
    let options = ServeOptions { threads: 2, ..ServeOptions::default() };
    let server = Server::bind(SocketAddr::from(([127, 0, 0, 1], 0)), options).unwrap();
    let base = format!("http://{}", server.local_addr().unwrap());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let thread = std::thread::spawn(move || {
        server.run_until(app, move || anyedge_native::host(config.clone()).unwrap(), async move {
            let _ = rx.await;
        })
    });
    Running { base, stop: Some(tx), thread: Some(thread) }
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap()
}

async fn call(
    method: &str,
    url: &str,
    body: reqwest::Body,
) -> (u16, reqwest::header::HeaderMap, Value) {
    let req = reqwest::Client::new().request(method.parse().unwrap(), url).body(body);
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    let bytes = res.bytes().await.unwrap();
    let value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    (status, headers, value)
}

#[test]
fn routes_limits_and_panics_over_http() {
    let s = start("/echo", "2000");
    rt().block_on(async {
        let url = |p: &str| format!("{}{p}", s.base);
        let (status, _, body) = call("GET", &url("/health"), "".into()).await;
        assert_eq!((status, body), (200, json!({"status": "ok"})));

        let (status, headers, body) = call("GET", &url("/call"), "".into()).await;
        assert_eq!(status, 405);
        assert_eq!(headers["allow"], "POST, OPTIONS");
        assert_eq!(headers["content-type"], "application/problem+json");
        assert_eq!(body["status"], 405);

        let (status, _, body) = call("GET", &url("/missing"), "".into()).await;
        assert_eq!(body["type"], "https://anyedge.dev/problems/not-found");
        assert_eq!(status, 404);

        let (status, _, body) = call("POST", &url("/size"), vec![b'x'; 1024].into()).await;
        assert_eq!((status, body["bytes"].as_u64()), (200, Some(1024)));
        let (status, _, body) = call("POST", &url("/size"), vec![b'x'; 1025].into()).await;
        assert_eq!((status, body["limit"].as_u64()), (413, Some(1024)));
        // Without a Content-Length (chunked), the limit holds as the body arrives.
        let chunks = (0..3).map(|_| Ok::<_, std::io::Error>(vec![b'x'; 1000]));
        let stream = reqwest::Body::wrap_stream(futures_util::stream::iter(chunks));
        let (status, _, body) = call("POST", &url("/size"), stream).await;
        assert_eq!((status, body["limit"].as_u64()), (413, Some(1024)));

        let (status, _, body) = call("GET", &url("/panic"), "".into()).await;
        assert_eq!(status, 500);
        assert_eq!(body["type"], "https://anyedge.dev/problems/internal");
        assert_eq!(body["detail"], "internal error: the handler panicked");
        // The thread that caught the panic keeps serving.
        for _ in 0..4 {
            let (status, _, _) = call("GET", &url("/health"), "".into()).await;
            assert_eq!(status, 200);
        }
    });
}

#[test]
fn upstream_calls_send_what_the_app_says() {
    let s = start("/echo", "2000");
    let (status, headers, body) =
        rt().block_on(call("POST", &format!("{}/call", s.base), "".into()));
    assert_eq!(status, 200, "{body}");
    assert_eq!(headers["content-type"], "application/json");
    // The upstream echoes what left the edge.
    let echoed = &body["upstream"];
    assert_eq!(echoed["method"], "GET");
    assert_eq!(echoed["path"], "/echo");
    assert_eq!(echoed["headers"]["accept"], "application/json");
    assert_eq!(echoed["headers"]["authorization"], "Bearer canary-native-test");
}

#[test]
fn upstream_faults_map_to_502_and_504() {
    for (path, status, slug) in [
        ("/slow/3000", 504, "upstream-timeout"),
        ("/status/503", 502, "upstream-status"),
        ("/text", 502, "upstream-invalid-body"),
        ("/big/2000000", 502, "upstream-too-large"),
        ("/redirect", 502, "upstream-redirect"),
    ] {
        let s = start(path, "500");
        let (got, _, body) = rt().block_on(call("POST", &format!("{}/call", s.base), "".into()));
        assert_eq!(got, status, "{path}: {body}");
        assert_eq!(body["type"], format!("https://anyedge.dev/problems/{slug}"), "{path}");
        assert!(!body.to_string().contains("canary"));
    }
}

#[test]
fn refused_upstream_is_502() {
    // Bind and drop a listener: its port is closed.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let config =
        NativeConfig::new().with_default("UPSTREAM_URL", &format!("http://127.0.0.1:{port}/"));
    let s = start_with(config);
    let (status, _, body) = rt().block_on(call("POST", &format!("{}/call", s.base), "".into()));
    assert_eq!(status, 502);
    assert_eq!(body["type"], "https://anyedge.dev/problems/upstream-unreachable");
}
