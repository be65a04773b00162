//! The reference app ([`anyedge_reference::app`]) as a Cloudflare Worker,
//! through [`anyedge_cloudflare::main!`]. The root `wrangler.toml` builds
//! this crate with `worker-build`.
//!
//! - Feature `transform` (default): also the transform routes of the app's
//!   `anyedge.toml` (jaq and toml: the wasm grows from about 265 KiB to
//!   about 1.9 MiB, 700 KiB gzip; docs/benchmarks.md).
//! - Feature `test-routes`: the test-only routes (`/__test/panic`,
//!   `/__test/fetch/{var}`), for the end-to-end suite.
//!
//! Your own Worker is a crate like this one: `crate-type = ["cdylib"]` only
//! (with `rlib` too, LTO does far less: the wasm comes out about a quarter
//! larger), and one `main!` of your router.

#[cfg(target_arch = "wasm32")]
anyedge_cloudflare::main!(anyedge_reference::app());
