//! # anyedge-cloudflare
//!
//! Runs an [anyedge](anyedge_core) [`Router`](anyedge_core::Router) as a
//! Cloudflare Worker (`wasm32-unknown-unknown`, built with `worker-build`,
//! served by workerd locally through `wrangler dev` and by Cloudflare in
//! production).
//!
//! | module | what it holds |
//! |---|---|
//! | `serve` | [`main!`] (the Worker's `fetch` export), [`run`] (what it calls), [`serve`] (one request, for your own `#[event(fetch)]`) |
//! | `convert` | every conversion between JS (`web_sys`) and `http` types |
//! | `client` | [`CloudflareClient`]: outbound HTTP over `fetch` (redirects not followed, timeout via `AbortSignal.timeout`, body size limit) |
//! | `config` | [`CloudflareConfig`]: `env` vars and secrets |
//! | `logger` | [`CloudflareLogger`]: the console |
//!
//! [`CloudflareHost`] is the [`Host`](anyedge_core::Host) made of them.
//! The reference app's deployable Worker is `examples/reference/worker`
//! (built by the root `wrangler.toml`).
//!
//! ## Your own app
//!
//! ```toml
//! [lib]
//! crate-type = ["cdylib"]   # only: see below
//!
//! [dependencies]
//! anyedge-core = "0.1"
//! anyedge-cloudflare = "0.1"
//! ```
//!
//! ```ignore
//! pub fn routes<H: anyedge_core::Host>() -> anyedge_core::Router<H> { /* … */ }
//!
//! #[cfg(target_arch = "wasm32")]
//! anyedge_cloudflare::main!(routes());
//! ```
//!
//! then `worker-build --release` and `wrangler dev` / `wrangler deploy`
//! (the root `wrangler.toml` shows the offline build command). Build one
//! Worker cdylib per cargo invocation: two of them in one build would both
//! export `fetch`.
//!
//! Keep the Worker crate a `cdylib` and nothing else. With `rlib` in its
//! `crate-type` too, the same code came out 23% larger (the reference app:
//! 109.4 KB instead of 88.8 KB gzip after wasm-bindgen and wasm-opt;
//! docs/benchmarks.md): rustc's LTO does far less when it also writes an
//! rlib. Put host tests in `#[cfg(test)]` modules, which need no rlib.

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
//! What crosses the JS/wasm boundary per request is kept small: a body with
//! a `Content-Length` is read with one `arrayBuffer()` call (streamed only
//! without one), and all headers of a request or response cross as one
//! string through a few lines of inline JavaScript
//! (`#[wasm_bindgen(inline_js)]`), which `worker-build` bundles as it does
//! the `worker` crate's own snippets.
//!
//! ## Panics
//!
//! `wasm32-unknown-unknown` builds abort on panic. What happens, as observed
//! in workerd (wrangler 4.86.0; `cargo xtask e2e cloudflare` checks it with
//! `GET /__test/panic` and the request after it):
//!
//! 1. The panic hook (installed on the first request) logs the message and
//!    location with `console.error` (`PANIC anyedge: panicked at …`), then
//!    resolves the promise of every request in flight in the instance with
//!    a 500 `internal` problem+json response ([`run`] keeps their
//!    `resolve` functions on the JS side for this).
//! 2. The module traps (`RuntimeError: unreachable`); the JS shim that
//!    `worker-build` generates sees the `WebAssembly.RuntimeError` (it logs
//!    `Critical RuntimeError: unreachable`) and marks the instance broken.
//! 3. On the next request the shim resets the wasm instance
//!    (`Reinitializing Wasm application`): fresh linear memory, so the
//!    router, the panic hook and the log bridge are built again, and that
//!    request and the ones after it are served normally. Anything kept in
//!    wasm memory (thread-locals, statics) is lost at the reset.
//!
//! Without the hook's answer (a `fetch` written with `#[event(fetch)]` over
//! [`serve`]), the trap leaves the request's promise pending: workerd then
//! answers it with its own 500 `text/plain` ("The Workers runtime canceled
//! this request because it detected that your Worker's code had hung…"), and
//! so does every other request in flight in that instance (observed with a
//! `POST /greet` waiting on its upstream when another request panicked).

mod client;
mod config;
mod convert;
mod logger;
mod serve;
#[cfg(all(test, target_arch = "wasm32"))]
mod wasm_tests;

pub use client::CloudflareClient;
pub use config::CloudflareConfig;
pub use logger::CloudflareLogger;
#[cfg(target_arch = "wasm32")]
pub use serve::{run, serve};

/// The [`Host`](anyedge_core::Host) of a Worker: `fetch` for outbound HTTP,
/// the console for logs, the `Env` for variables and secrets. One is made
/// per request from that request's `Env` (cheap: it holds a reference to
/// the JS object).
pub type CloudflareHost =
    anyedge_core::adapter::AdapterHost<CloudflareClient, CloudflareLogger, CloudflareConfig>;

/// Exports the Worker's `fetch` handler, serving the router that `$app`
/// (an expression of type `Router<CloudflareHost, S>`) builds once per Worker
/// instance, through [`run`]. Use it once, at the top level of your cdylib
/// crate (which must not also use `#[event(fetch)]`):
///
/// ```ignore
/// anyedge_cloudflare::main!(my_app::routes());
/// ```
#[macro_export]
macro_rules! main {
    ($app:expr) => {
        ::std::thread_local! {
            static __ANYEDGE_APP: ::std::rc::Rc<dyn $crate::__private::App> =
                ::std::rc::Rc::new($app);
        }

        /// The Worker's `fetch` export (generated by `anyedge_cloudflare::main!`).
        #[doc(hidden)]
        pub mod __anyedge_fetch_export {
            use $crate::__private::wasm_bindgen;
            use $crate::__private::{js_sys, web_sys, Env};

            /// The Worker's `fetch` handler.
            #[expect(unreachable_pub, reason = "exported to JS, whatever the module's visibility")]
            #[wasm_bindgen::prelude::wasm_bindgen(js_name = fetch)]
            pub fn fetch(
                req: web_sys::Request,
                env: Env,
                _ctx: wasm_bindgen::JsValue,
            ) -> js_sys::Promise {
                let app = super::__ANYEDGE_APP.with(::std::rc::Rc::clone);
                $crate::__private::App::run(app, req, env)
            }
        }
    };
}

/// What [`main!`] expands to needs; not a public API.
#[cfg(target_arch = "wasm32")]
#[doc(hidden)]
pub mod __private {
    pub use crate::serve::App;
    pub use worker::{js_sys, wasm_bindgen, web_sys, Env};
}
