//! # anyedge-cloudflare
//!
//! Runs an [anyedge](anyedge_core) [`Router`](anyedge_core::Router) as a
//! Cloudflare Worker (`wasm32-unknown-unknown`, built with `worker-build`,
//! served by workerd locally through `wrangler dev` and by Cloudflare in
//! production).
//!
//! - [`CloudflareHost`]: the [`Host`](anyedge_core::Host) of a Worker:
//!   [`FetchClient`] (outbound HTTP over `fetch`, redirects not followed,
//!   timeout via `AbortController`, body size limit), [`ConsoleLogger`]
//!   (the console), [`EnvConfig`] (`env.var` / `env.secret`).
//! - [`serve`]: runs your router for one request; call it from your own
//!   `#[event(fetch)]`.
//! - Feature `reference-app` (default): this crate's cdylib is the reference
//!   app's Worker (`#[event(fetch)]` over [`anyedge_core::reference::app`]).
//!   Depend on the crate with `default-features = false` to export your own
//!   `fetch` instead (see `examples/cloudflare-custom`).
//! - Feature `panic-route`: adds `GET /__panic` to the reference app, which
//!   panics. For tests only.
//!
//! ## Your own app
//!
//! ```toml
//! [lib]
//! crate-type = ["cdylib"]
//!
//! [dependencies]
//! anyedge-core = "0.1"
//! anyedge-cloudflare = { version = "0.1", default-features = false }
//! worker = { version = "0.8", default-features = false }
//! ```
//!
//! then an `#[event(fetch)]` that calls [`serve`] with a router built once
//! per instance (the example is in [`serve`]'s docs), and
//! `worker-build --release` + `wrangler dev` / `wrangler deploy`.
//!
//! ## Request and response mapping
//!
//! The [`Request`](anyedge_core::Request) a handler sees has the method, the
//! absolute URL the Worker received as its URI (`uri().path()` is the path),
//! the headers (repeated `Set-Cookie` kept apart, others as JS joins them) and
//! the body, read up to the router's
//! [`body_limit`](anyedge_core::Router::body_limit): a larger
//! `Content-Length` gets a 413 problem before the body is read, a larger
//! body without one as soon as it passes the limit.
//!
//! ## Panics
//!
//! `wasm32-unknown-unknown` builds abort on panic: the panic hook logs the
//! message (`PANIC anyedge: …` via `console.error`), then the module traps
//! (`unreachable`). The request that panicked fails: workerd answers it with
//! a 500 that anyedge did not write (no problem+json). The shim `worker-build`
//! generates sees the `WebAssembly.RuntimeError` and marks the instance
//! broken; on the next request it resets the wasm instance (fresh memory:
//! the router, panic hook and log bridge are built again) and that request
//! is served normally. State kept in wasm memory (thread-locals, statics) is
//! lost at that reset. `cargo xtask e2e cloudflare` checks this with the
//! `panic-route` feature.

#[cfg(target_arch = "wasm32")]
pub use serve::serve;
pub use serve::DEFAULT_LOG_LEVEL;

pub use client::FetchClient;
pub use config::EnvConfig;
pub use host::CloudflareHost;
pub use logger::ConsoleLogger;

mod client;
mod config;
mod convert;
mod host;
mod logger;
#[cfg(all(target_arch = "wasm32", feature = "reference-app"))]
pub mod reference;
mod serve;
#[cfg(all(test, target_arch = "wasm32"))]
mod wasm_tests;
