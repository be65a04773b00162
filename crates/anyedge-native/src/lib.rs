//! # anyedge-native
//!
//! Runs an anyedge app on a plain server: HTTP/1.1 with tokio and hyper,
//! upstream calls with reqwest (rustls), logs to stderr, configuration and
//! secrets from environment variables. It is what `cargo run` serves at the
//! root of the anyedge workspace, and what you use to run and debug your app
//! locally before deploying it to Cloudflare or Fastly.
//!
//! The smallest complete use:
//!
//! ```no_run
//! use anyedge_core::{json, Ctx, Host, Request, Response, Result, Router};
//!
//! async fn hello<H: Host>(_req: Request, _ctx: Ctx<H>) -> Result<Response> {
//!     json::response(http::StatusCode::OK, &serde_json::json!({"hello": "world"}))
//! }
//!
//! fn main() -> std::io::Result<()> {
//!     anyedge_native::run("127.0.0.1:8787".parse().unwrap(), || Router::new().get("/", hello))
//! }
//! ```
//!
//! Each serving thread builds its own app and host, so handlers and hosts
//! need not be `Send` (as on wasm). A handler that panics gets a 500 problem
//! response; the server keeps serving.

mod client;
mod env;
mod server;

use std::net::SocketAddr;

use anyedge_core::Host;

pub use client::ReqwestClient;
pub use env::{EnvConfig, StderrLogger};
pub use server::{ServeOptions, Server};

/// The native [`Host`]: reqwest for upstreams, stderr for logs, the
/// environment for config.
#[derive(Clone, Debug)]
pub struct NativeHost {
    client: ReqwestClient,
    logger: StderrLogger,
    config: EnvConfig,
}

impl NativeHost {
    /// A host from its parts.
    pub fn new(client: ReqwestClient, config: EnvConfig) -> Self {
        NativeHost {
            client,
            logger: StderrLogger,
            config,
        }
    }

    /// The default host: a new [`ReqwestClient`] and [`EnvConfig`].
    ///
    /// # Panics
    /// If the TLS backend cannot be initialised (at start-up, never per request).
    #[allow(clippy::expect_used)]
    pub fn from_env() -> Self {
        let client = ReqwestClient::new().expect("initialise the HTTP client");
        NativeHost::new(client, EnvConfig::new())
    }
}

impl Host for NativeHost {
    type Client = ReqwestClient;
    type Logger = StderrLogger;
    type Config = EnvConfig;

    fn client(&self) -> &ReqwestClient {
        &self.client
    }
    fn logger(&self) -> &StderrLogger {
        &self.logger
    }
    fn config(&self) -> &EnvConfig {
        &self.config
    }
}

/// Serves the app built by `make_app` on `addr` until Ctrl-C or SIGTERM,
/// with [`NativeHost::from_env`] and default [`ServeOptions`]. Prints the
/// address it listens on.
pub fn run<F>(addr: SocketAddr, make_app: F) -> std::io::Result<()>
where
    F: Fn() -> anyedge_core::Router<NativeHost> + Send + Sync + 'static,
{
    let server = Server::bind(addr, ServeOptions::default())?;
    eprintln!("anyedge listening on http://{}", server.local_addr()?);
    server.run(make_app, NativeHost::from_env)
}
