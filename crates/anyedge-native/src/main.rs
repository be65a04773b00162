//! `anyedge`: serves the reference app (`GET /health`, `POST /greet`).
//!
//! - `ANYEDGE_ADDR`: where to listen (default `127.0.0.1:8787`).
//! - `API_URL`: the upstream `/greet` calls. When it is not set, a demo
//!   upstream is started on `127.0.0.1:8788` and `API_URL` defaults to its
//!   `/hello`, so a first run works offline with no set-up. If something
//!   already listens there (say `cargo run -p anyedge-test-upstream -- 127.0.0.1:8788`),
//!   it is used instead. `ITEMS_URL` and `DATA_URL` default to the same
//!   address (`/items`, and the origin).
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
        match demo_upstream::spawn(DEMO_UPSTREAM_ADDR) {
            Ok(url) => eprintln!("API_URL is not set: serving a demo upstream at {url}"),
            Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => eprintln!(
                "API_URL is not set and {DEMO_UPSTREAM_ADDR} is in use: using the upstream that listens there"
            ),
            Err(e) => {
                return Err(format!(
                    "API_URL is not set and the demo upstream cannot listen on {DEMO_UPSTREAM_ADDR}: {e}"
                ))
            }
        }
        DEMO_DEFAULTS
            .set(())
            .map_err(|_| "demo defaults set twice".to_owned())?;
    }
    let server = Server::bind(addr, ServeOptions::default())
        .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    let local = server.local_addr().map_err(|e| e.to_string())?;
    eprintln!("anyedge listening on http://{local}  (GET /health, POST /greet, GET /items/{{id}} and the routes of anyedge.toml; Ctrl-C stops)");
    server
        .run(anyedge_core::reference::app, make_host)
        .map_err(|e| e.to_string())
}

static DEMO_DEFAULTS: std::sync::OnceLock<()> = std::sync::OnceLock::new();

fn make_host() -> NativeHost {
    let mut config = EnvConfig::new();
    if DEMO_DEFAULTS.get().is_some() {
        let base = format!("http://{DEMO_UPSTREAM_ADDR}");
        config = config
            .with_default("API_URL", &format!("{base}/hello"))
            .with_default("ITEMS_URL", &format!("{base}/items"))
            .with_default("DATA_URL", &base);
    }
    match ReqwestClient::new() {
        Ok(client) => NativeHost::new(client, config),
        Err(e) => {
            eprintln!("anyedge: {e}");
            std::process::exit(1);
        }
    }
}
