//! `anyedge-reference`: serves the reference app natively (root `cargo run`).
//!
//! - `ANYEDGE_ADDR`: where to listen (default `127.0.0.1:8787`).
//! - `API_URL`: the upstream `/greet` calls. When it is not set, the test
//!   upstream (`tools/upstream`) is started on `127.0.0.1:8788` as a demo
//!   upstream, and `API_URL`, `ITEMS_URL` and `DATA_URL` default to it, so a
//!   first run works offline with no set-up. If something already listens
//!   there, it is used instead.
//! - `UPSTREAM_TIMEOUT_MS`, `API_TOKEN`, `LOG_LEVEL`: see the README.

#[cfg(not(target_arch = "wasm32"))]
fn main() -> std::process::ExitCode {
    match native::run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("anyedge-reference: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

#[cfg(target_arch = "wasm32")]
fn main() {}

#[cfg(not(target_arch = "wasm32"))]
mod native {
    use std::net::SocketAddr;

    use anyedge_core::adapter::AdapterHost;
    use anyedge_native::{NativeClient, NativeConfig, NativeLogger, ServeOptions, Server};

    const DEMO_UPSTREAM_ADDR: &str = "127.0.0.1:8788";

    pub(crate) fn run() -> Result<(), String> {
        let addr_text = std::env::var(anyedge_native::ADDR_VAR)
            .unwrap_or_else(|_| anyedge_native::DEFAULT_ADDR.into());
        let addr: SocketAddr = addr_text
            .parse()
            .map_err(|e| format!("ANYEDGE_ADDR `{addr_text}` is not HOST:PORT: {e}"))?;
        let mut config = NativeConfig::new();
        if std::env::var_os("API_URL").is_none() {
            match anyedge_test_upstream::spawn(DEMO_UPSTREAM_ADDR) {
                Ok(at) => eprintln!("API_URL is not set: serving a demo upstream at http://{at}"),
                Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => eprintln!(
                    "API_URL is not set and {DEMO_UPSTREAM_ADDR} is in use: using the upstream that listens there"
                ),
                Err(e) => {
                    return Err(format!(
                        "API_URL is not set and the demo upstream cannot listen on {DEMO_UPSTREAM_ADDR}: {e}"
                    ))
                }
            }
            let base = format!("http://{DEMO_UPSTREAM_ADDR}");
            config = config
                .with_default("API_URL", &format!("{base}/hello"))
                .with_default("ITEMS_URL", &format!("{base}/items"))
                .with_default("DATA_URL", &base);
        }
        let server = Server::bind(addr, ServeOptions::default())
            .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
        let local = server.local_addr().map_err(|e| e.to_string())?;
        eprintln!("anyedge listening on http://{local}  (GET /health, POST /greet, GET /items/{{id}} and the routes of anyedge.toml; Ctrl-C stops)");
        let client = NativeClient::new().map_err(|e| e.to_string())?;
        server
            .run(anyedge_reference::app, move || {
                AdapterHost::new(client.clone(), NativeLogger, config.clone())
            })
            .map_err(|e| e.to_string())
    }
}
