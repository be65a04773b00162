//! # anyedge-fastly
//!
//! The [Fastly Compute] host for anyedge: runs an [`anyedge_core::Router`]
//! on Fastly (and locally in [Viceroy]) with Fastly's services behind the
//! core's traits.
//!
//! | core trait | Fastly service |
//! |---|---|
//! | [`HttpClient`](anyedge_core::HttpClient) | backends: static (mapped by origin in config `BACKENDS`) or, opt-in, dynamic; see [`backends`] |
//! | [`Config`](anyedge_core::Config) | a Config Store for variables, a Secret Store for secrets (default names `anyedge_config`, `anyedge_secrets`) |
//! | [`Logger`](anyedge_core::Logger) | the log endpoint named by config `LOG_ENDPOINT`, else stderr (which Fastly and Viceroy both capture) |
//!
//! ## Why a binary
//!
//! Fastly runs a WASI *command* module: it calls `_start`, i.e. a binary's
//! `main`, once per request. So a deployable is a `[[bin]]` built for
//! `wasm32-wasip1`; this crate's reusable part is the library, and its own
//! binary (feature `reference-app`, on by default) runs the reference app.
//! Another project runs its own app with a three-line `main`:
//!
//! ```ignore
//! fn main() {
//!     anyedge_fastly::run(&my_app::router::<anyedge_fastly::FastlyHost>());
//! }
//! ```
//!
//! or, to do more around it, [`serve`] turns a `fastly::Request` into a
//! `fastly::Response` (see `examples/fastly-custom`).
//!
//! ## Requests
//!
//! The client request body is read up to [`Router::body_limit`](anyedge_core::Router::body_limit);
//! a larger body gets a 413 problem without being buffered. The app is
//! async; [`executor::block_on`] runs it (every Fastly host call blocks, so
//! there is nothing to wait on and no runtime to ship).
//!
//! ## Outbound HTTP
//!
//! Requests go to the backend their URL's origin maps to ([`backends`]),
//! uncached (`pass`), without following redirects. The request's
//! [`Limits`](anyedge_core::client::Limits) hold: the whole exchange must end
//! within `timeout` (waiting for the response is bounded by the host, reading
//! the body is checked between chunks, and dynamic backends also get it as
//! their connect, first-byte and between-bytes timeouts), else
//! [`HttpErrorKind::Timeout`](anyedge_core::HttpErrorKind::Timeout); a body
//! over `max_response_bytes` is [`TooLarge`](anyedge_core::HttpErrorKind::TooLarge)
//! and is not read past the limit.
//!
//! ## Configuration keys (Config Store)
//!
//! - `BACKENDS`: `origin=backend` pairs, e.g. `http://127.0.0.1:18080=origin`.
//! - `DYNAMIC_BACKENDS`: `true` to register backends for unmapped origins.
//! - `LOG_ENDPOINT`: the log endpoint's name; `LOG_LEVEL`: `info` by default.
//! - Whatever the app reads (the reference app: `API_URL`, `UPSTREAM_TIMEOUT_MS`,
//!   and secret `API_TOKEN` in the Secret Store).
//!
//! The Fastly SDK links only for `wasm32`: on other targets this crate has
//! just its target-independent parts ([`backends`], [`body`], [`executor`]),
//! so a host `cargo build --workspace` works.
//!
//! [Fastly Compute]: https://www.fastly.com/documentation/guides/compute/
//! [Viceroy]: https://github.com/fastly/Viceroy

pub mod backends;
pub mod body;
pub mod executor;

#[cfg(target_arch = "wasm32")]
mod client;
#[cfg(target_arch = "wasm32")]
mod config;
#[cfg(target_arch = "wasm32")]
mod convert;
#[cfg(target_arch = "wasm32")]
mod headers;
#[cfg(target_arch = "wasm32")]
mod host;
#[cfg(target_arch = "wasm32")]
mod logger;
#[cfg(target_arch = "wasm32")]
mod serve;
#[cfg(target_arch = "wasm32")]
mod wait;

#[cfg(target_arch = "wasm32")]
pub use client::FastlyClient;
#[cfg(target_arch = "wasm32")]
pub use config::FastlyConfig;
#[cfg(target_arch = "wasm32")]
pub use convert::{from_fastly_request, into_fastly_response};
#[cfg(target_arch = "wasm32")]
pub use host::{FastlyHost, DEFAULT_CONFIG_STORE, DEFAULT_SECRET_STORE};
#[cfg(target_arch = "wasm32")]
pub use logger::FastlyLogger;
#[cfg(target_arch = "wasm32")]
pub use serve::{install_panic_hook, run, serve, serve_with};

#[cfg(target_arch = "wasm32")]
pub use fastly;
