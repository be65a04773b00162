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
//! `wasm32-unknown-unknown` builds abort on panic. What happens, as observed
//! in workerd (wrangler 4.86.0, `cargo xtask e2e cloudflare` checks it with
//! the `panic-route` feature):
//!
//! 1. The panic hook [`serve`] installs logs the message and location with
//!    `console.error` (`PANIC anyedge: panicked at src/…: <message>`).
//! 2. The module traps (`RuntimeError: unreachable`). The trap happens in
//!    a future polled from a JS microtask, so the handler's promise never
//!    settles: workerd answers that request itself with a 500 `text/plain`
//!    ("The Workers runtime canceled this request because it detected that
//!    your Worker's code had hung…"), not an anyedge problem+json body.
//! 3. The JS shim that `worker-build` generates sees the
//!    `WebAssembly.RuntimeError` (it logs `Critical RuntimeError:
//!    unreachable`) and marks the wasm instance broken. On the next request
//!    it resets the instance (`Reinitializing Wasm application`): fresh
//!    linear memory, so the router, the panic hook and the log bridge are
//!    built again, and that request and the ones after it are served
//!    normally. Anything kept in wasm memory (thread-locals, statics) is lost
//!    at the reset, and requests in flight in the same instance fail with
//!    the same 500 (observed: a `POST /greet` waiting on its upstream when
//!    another request panicked).

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
