//! `anyedge`: serves the reference app (`GET /health`, `POST /greet`).
//!
//! - `ANYEDGE_ADDR`: where to listen (default `127.0.0.1:8787`).
//! - `API_URL`: the upstream `/greet` calls. When it is not set, a demo
//!   upstream is started on `127.0.0.1:8788` and `API_URL` defaults to its
//!   `/hello`, so a first run works offline with no set-up.
//! - `UPSTREAM_TIMEOUT_MS`, `API_TOKEN`, `LOG_LEVEL`: see the README.

mod demo_upstream;

use std::net::SocketAddr;
use std::process::ExitCode;

use anyedge_native::{EnvConfig, NativeHost, ReqwestClient, ServeOptions, Server};

const DEFAULT_ADDR: &str = "127.0.0.1:8787";
const DEMO_UPSTREAM_ADDR: &str = "127.0.0.1:8788";

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("anyedge: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    let addr_text = std::env::var("ANYEDGE_ADDR").unwrap_or_else(|_| DEFAULT_ADDR.into());
    let addr: SocketAddr = addr_text
        .parse()
        .map_err(|e| format!("ANYEDGE_ADDR `{addr_text}` is not HOST:PORT: {e}"))?;
    if std::env::var_os("API_URL").is_none() {
        let url = demo_upstream::spawn(DEMO_UPSTREAM_ADDR)
            .map_err(|e| format!("API_URL is not set and the demo upstream cannot listen on {DEMO_UPSTREAM_ADDR}: {e}"))?;
        eprintln!("API_URL is not set: serving a demo upstream at {url}");
        DEMO_URL
            .set(url)
            .map_err(|_| "demo upstream started twice".to_owned())?;
    }
    let server = Server::bind(addr, ServeOptions::default())
        .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    let local = server.local_addr().map_err(|e| e.to_string())?;
    eprintln!("anyedge listening on http://{local}  (GET /health, POST /greet; Ctrl-C stops)");
    server
        .run(anyedge_core::reference::app, make_host)
        .map_err(|e| e.to_string())
}

static DEMO_URL: std::sync::OnceLock<String> = std::sync::OnceLock::new();

fn make_host() -> NativeHost {
    let mut config = EnvConfig::new();
    if let Some(url) = DEMO_URL.get() {
        config = config.with_default("API_URL", url);
    }
    match ReqwestClient::new() {
        Ok(client) => NativeHost::new(client, config),
        Err(e) => {
            eprintln!("anyedge: {e}");
            std::process::exit(1);
        }
    }
}
