//! # anyedge-fastly
//!
//! The [Fastly Compute] host for anyedge: runs an [`anyedge_core::Router`]
//! on Fastly (and locally in [Viceroy]) with Fastly's services behind the
//! core's traits.
//!
//! | module | what it holds |
//! |---|---|
//! | `serve` | [`main!`] (the program's `fn main`), [`run`] (what it calls), [`serve`] and [`serve_with`] (one `fastly::Request`) |
//! | `convert` | every conversion between host handles / SDK types and `http` types |
//! | `client` | [`FastlyClient`]: backends, static (config `BACKENDS`) or dynamic; see its module docs |
//! | `config` | [`FastlyConfig`]: a Config Store for variables, a Secret Store for secrets (`anyedge_config`, `anyedge_secrets`) |
//! | `logger` | [`FastlyLogger`]: the log endpoint named by config `LOG_ENDPOINT`, else stderr |
//!
//! ## A Compute program
//!
//! Fastly runs a WASI *command* module: it calls `_start`, i.e. a binary's
//! `main`, once per request. So a deployable is a `[[bin]]` built for
//! `wasm32-wasip1`:
//!
//! ```ignore
//! anyedge_fastly::main!(my_app::router());
//! ```
//!
//! or, to do more around it, [`serve_with`] turns a `fastly::Request` into a
//! `fastly::Response` (see `examples/fastly-custom`). The client request body
//! is read up to [`Router::body_limit`](anyedge_core::Router::body_limit); a
//! larger body gets a 413 problem without being buffered. The app is async;
//! [`block_on`](anyedge_core::adapter::block_on) runs it (every Fastly host
//! call blocks, so there is nothing to wait on and no runtime to ship).
//!
//! ## Configuration keys (Config Store)
//!
//! - `BACKENDS`: `origin=backend` pairs, e.g. `http://127.0.0.1:18080=origin`.
//! - `DYNAMIC_BACKENDS`: `true` to register backends for unmapped origins.
//! - `LOG_ENDPOINT`: the log endpoint's name; `LOG_LEVEL`: `info` by default.
//! - Whatever the app reads (the reference app: `API_URL`, `UPSTREAM_TIMEOUT_MS`,
//!   and secret `API_TOKEN` in the Secret Store).
//!
//! The Fastly SDK links only for `wasm32`: on other targets this crate is
//! empty, so a host `cargo build --workspace` works.
//!
//! [Fastly Compute]: https://www.fastly.com/documentation/guides/compute/
//! [Viceroy]: https://github.com/fastly/Viceroy

#![cfg(target_arch = "wasm32")]

mod client;
mod config;
mod convert;
mod logger;
mod serve;

pub use client::{BackendMap, FastlyClient};
pub use config::{FastlyConfig, DEFAULT_CONFIG_STORE, DEFAULT_SECRET_STORE};
pub use fastly;
pub use logger::FastlyLogger;
pub use serve::{host, install_panic_hook, run, serve, serve_with};

/// Fastly's services as an anyedge [`Host`](anyedge_core::Host): backends, a
/// log endpoint, Config and Secret Stores. Made once per instance (one per
/// request on Fastly) with [`host`].
pub type FastlyHost = anyedge_core::adapter::AdapterHost<FastlyClient, FastlyLogger, FastlyConfig>;

/// The program's `fn main`: serves the client request with the router that
/// `$app` builds, through [`run`].
///
/// ```ignore
/// anyedge_fastly::main!(my_app::router());
/// ```
#[macro_export]
macro_rules! main {
    ($app:expr) => {
        fn main() {
            $crate::run(&$app);
        }
    };
}
