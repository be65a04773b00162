//! # anyedge-native
//!
//! Runs an anyedge app on a plain server: HTTP/1.1 with tokio and hyper,
//! upstream calls with reqwest (rustls), logs to stderr, configuration and
//! secrets from environment variables. Use it to serve your app on your own
//! machines, and to run and debug it locally before deploying it to
//! Cloudflare or Fastly.
//!
//! The smallest complete program:
//!
//! ```no_run
//! use anyedge_core::{json, Ctx, Host, Request, Response, Result, Router};
//!
//! async fn hello<H: Host>(_req: Request, _ctx: Ctx<H>) -> Result<Response> {
//!     json::response(http::StatusCode::OK, &serde_json::json!({"hello": "world"}))
//! }
//!
//! anyedge_native::main!(Router::new().get("/", hello));
//! ```
//!
//! | module | what it holds |
//! |---|---|
//! | `serve` | [`main!`], [`run`], [`serve`] (one request, for your own hyper server), [`Server`] |
//! | `convert` | hyper ⇄ anyedge requests and responses; reqwest ⇄ anyedge for upstream calls |
//! | `client` | [`NativeClient`], over reqwest |
//! | `config` | [`NativeConfig`], the process environment |
//! | `logger` | [`NativeLogger`], stderr |
//!
//! Each serving thread builds its own app and host, so handlers and hosts
//! need not be `Send` (as on wasm). A handler that panics gets a 500 problem
//! response; the server keeps serving.

mod client;
mod config;
mod convert;
mod logger;
mod serve;

pub use client::NativeClient;
pub use config::NativeConfig;
pub use logger::NativeLogger;
pub use serve::{host, run, serve, ServeOptions, Server, ADDR_VAR, DEFAULT_ADDR};

/// The native [`Host`](anyedge_core::Host): reqwest for upstreams, stderr for
/// logs, the environment for config. Make one with [`host`].
pub type NativeHost = anyedge_core::adapter::AdapterHost<NativeClient, NativeLogger, NativeConfig>;

/// The program's `fn main`: serves the router that `$app` builds (once per
/// serving thread) on [`ADDR_VAR`] (default [`DEFAULT_ADDR`]) until Ctrl-C
/// or SIGTERM, through [`run`]. Exits with status 1 and a message when it
/// cannot start.
///
/// ```no_run
/// # fn app<H: anyedge_core::Host>() -> anyedge_core::Router<H> { anyedge_core::Router::new() }
/// anyedge_native::main!(app());
/// ```
#[macro_export]
macro_rules! main {
    ($app:expr) => {
        fn main() -> ::std::process::ExitCode {
            match $crate::run(|| $app) {
                Ok(()) => ::std::process::ExitCode::SUCCESS,
                Err(e) => {
                    ::std::eprintln!("anyedge: {e}");
                    ::std::process::ExitCode::FAILURE
                }
            }
        }
    };
}
