//! Starts the native host and a real local upstream, and checks the reference
//! app's routes over HTTP.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::net::SocketAddr;

use anyedge_native::{EnvConfig, NativeHost, ReqwestClient, ServeOptions, Server};
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

fn start(upstream_path: &str, timeout_ms: &str) -> Running {
    let upstream = anyedge_test_upstream::spawn("127.0.0.1:0").unwrap();
    start_with(
        EnvConfig::new()
            .with_default("API_URL", &format!("http://{upstream}{upstream_path}"))
            .with_default("UPSTREAM_TIMEOUT_MS", timeout_ms)
            .with_default("API_TOKEN", "canary-native-test"),
    )
}

/// Serves the reference app with `config` on a free port.
fn start_with(config: EnvConfig) -> Running {
    let server = Server::bind(
        SocketAddr::from(([127, 0, 0, 1], 0)),
        ServeOptions {
            threads: 2,
            ..ServeOptions::default()
        },
    )
    .unwrap();
    let base = format!("http://{}", server.local_addr().unwrap());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let thread = std::thread::spawn(move || {
        server.run_until(
            anyedge_core::reference::app,
            move || NativeHost::new(ReqwestClient::new().unwrap(), config.clone()),
            async move {
                let _ = rx.await;
            },
        )
    });
    Running {
        base,
        stop: Some(tx),
        thread: Some(thread),
    }
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

async fn call(
    method: &str,
    url: &str,
    ct: Option<&str>,
    body: &str,
) -> (u16, reqwest::header::HeaderMap, Value) {
    let client = reqwest::Client::new();
    let mut req = client
        .request(method.parse().unwrap(), url)
        .body(body.to_owned());
    if let Some(ct) = ct {
        req = req.header("content-type", ct);
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    let bytes = res.bytes().await.unwrap();
    (
        status,
        headers,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

#[test]
fn routes_over_http_with_a_real_upstream() {
    let s = start("/echo", "2000");
    rt().block_on(async {
        let (status, _, body) = call("GET", &format!("{}/health", s.base), None, "").await;
        assert_eq!((status, body), (200, json!({"status": "ok"})));

        let (status, headers, body) = call(
            "POST",
            &format!("{}/greet", s.base),
            Some("application/json"),
            r#"{"name":"Ada"}"#,
        )
        .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(headers["content-type"], "application/json");
        assert_eq!(body["message"], "Hello, Ada!");
        // The upstream echoes what left the edge.
        assert_eq!(body["upstream"]["method"], "GET");
        assert_eq!(body["upstream"]["path"], "/echo");
        assert_eq!(body["upstream"]["headers"]["accept"], "application/json");
        assert_eq!(
            body["upstream"]["headers"]["authorization"],
            "Bearer canary-native-test"
        );

        let (status, headers, body) = call("GET", &format!("{}/greet", s.base), None, "").await;
        assert_eq!(status, 405);
        assert_eq!(headers["allow"], "POST, OPTIONS");
        assert_eq!(headers["content-type"], "application/problem+json");
        assert_eq!(body["status"], 405);

        let (status, _, body) = call("GET", &format!("{}/missing", s.base), None, "").await;
        assert_eq!(
            (status, body["type"].as_str()),
            (404, Some("https://anyedge.dev/problems/not-found"))
        );

        let (status, _, body) = call(
            "POST",
            &format!("{}/greet", s.base),
            Some("application/json"),
            "{\"name\": ",
        )
        .await;
        assert_eq!(status, 400);
        assert_eq!(body["line"], 1);

        let big = format!(r#"{{"name":"{}"}}"#, "a".repeat(2 * 1024 * 1024));
        let (status, _, body) = call(
            "POST",
            &format!("{}/greet", s.base),
            Some("application/json"),
            &big,
        )
        .await;
        assert_eq!((status, body["limit"].as_u64()), (413, Some(1024 * 1024)));
    });
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
        let (got, _, body) = rt().block_on(call(
            "POST",
            &format!("{}/greet", s.base),
            Some("application/json"),
            r#"{"name":"Ada"}"#,
        ));
        assert_eq!(got, status, "{path}: {body}");
        assert_eq!(
            body["type"],
            format!("https://anyedge.dev/problems/{slug}"),
            "{path}"
        );
        assert!(!body.to_string().contains("canary"));
    }
}

#[test]
fn refused_upstream_is_502() {
    // Bind and drop a listener: its port is closed.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let s =
        start_with(EnvConfig::new().with_default("API_URL", &format!("http://127.0.0.1:{port}/")));
    let (status, _, body) = rt().block_on(call(
        "POST",
        &format!("{}/greet", s.base),
        Some("application/json"),
        r#"{"name":"Ada"}"#,
    ));
    assert_eq!(status, 502);
    assert_eq!(
        body["type"],
        "https://anyedge.dev/problems/upstream-unreachable"
    );
}
