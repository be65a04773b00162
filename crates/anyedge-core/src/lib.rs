//! # anyedge-core
//!
//! Write HTTP/JSON edge logic once; run it on Cloudflare Workers, Fastly
//! Compute and a plain server. This crate is the provider-neutral part: it
//! never depends on a provider SDK and compiles for the host,
//! `wasm32-unknown-unknown`, `wasm32-wasip1` and `wasm32-wasip2`.
//!
//! - What a host provides: [`HttpClient`], [`Logger`], [`Config`], a clock
//!   and a random source, bundled as a [`Host`].
//! - What an app is: a [`Router`] of handlers, `async fn(Request, Ctx<H, S>)
//!   -> impl IntoResponse`, with app state `S` and ranked routes.
//! - [`middleware`]: code around handlers, with CORS, request ids, timing,
//!   auth and security headers built in.
//! - One [`Error`] type that maps to any status and an RFC 9457 problem+json body.
//! - [`json`] helpers: typed bodies with 415/413/400 errors that say where the input is wrong.
//! - [`upstream`]: calls to a configured upstream, with its failures mapped to problems.
//! - [`url`]: untrusted values encoded so they cannot steer an upstream call; query strings.
//! - [`transform`] (feature `transform`): JSON routes declared in TOML with jq filters.
//! - [`testing`] (feature `testing`): test doubles for all of the above.
//! - [`adapter`]: the kit host adapters are built with.
//!
//! The smallest complete app, tested with the doubles:
//!
//! ```
//! use anyedge_core::{json, testing::TestHost, Ctx, Host, Json, Request, Result, Router};
//! use std::rc::Rc;
//!
//! #[derive(serde::Deserialize)]
//! struct Input { n: i64 }
//!
//! async fn double<H: Host>(req: Request, _ctx: Ctx<H>) -> Result<Json<serde_json::Value>> {
//!     let input: Input = json::read(&req)?;
//!     Ok(Json(serde_json::json!({ "n": input.n * 2 })))
//! }
//!
//! pub fn app<H: Host>() -> Router<H> {
//!     Router::new().post("/double", double)
//! }
//!
//! # futures_executor::block_on(async {
//! let req = http::Request::post("/double").header("content-type", "application/json")
//!     .body(r#"{"n": 21}"#.into()).unwrap();
//! let res = app().handle(req, Rc::new(TestHost::new())).await;
//! assert_eq!(res.body().as_ref(), br#"{"n":42}"#);
//! # });
//! ```
//!
//! A host adapter (`anyedge-native`, `anyedge-cloudflare`, `anyedge-fastly`)
//! turns its runtime's request into a [`Request`], calls [`Router::handle`]
//! with its [`Host`], and turns the [`Response`] back.

pub mod adapter;
pub mod client;
pub mod config;
pub mod error;
pub mod host;
pub mod json;
pub mod logging;
pub mod middleware;
pub mod response;
pub mod router;
#[cfg(feature = "testing")]
pub mod testing;
#[cfg(feature = "transform")]
pub mod transform;
pub mod upstream;
pub mod url;

pub use bytes::Bytes;
pub use client::{HttpClient, HttpError, HttpErrorKind};
pub use config::{Config, Secret};
pub use error::{Error, Result};
pub use host::{Ctx, Host};
pub use logging::Logger;
pub use middleware::Middleware;
pub use response::{IntoResponse, Json};
pub use router::{Handler, Router};
pub use {http, serde_json};

/// An HTTP request with a fully buffered body.
pub type Request = http::Request<Bytes>;

/// An HTTP response with a fully buffered body.
pub type Response = http::Response<Bytes>;
