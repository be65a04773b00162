//! The reference app ([`anyedge_core::reference::app`]) as a Cloudflare
//! Worker: exports `fetch` through [`anyedge_cloudflare::export_fetch!`].
//! The root `wrangler.toml` builds this crate with `worker-build`.
//!
//! - Feature `transform` (default): also the transform routes of the
//!   workspace's `anyedge.toml` (jaq and toml: the wasm grows from about
//!   265 KiB to about 1.9 MiB, 700 KiB gzip; docs/benchmarks.md).
//! - Feature `test-routes`: the test-only routes (`/__test/panic`,
//!   `/__test/fetch/{var}`), for the end-to-end suite.
//!
//! Your own Worker is a crate like this one: `crate-type = ["cdylib"]` only
//! (with `rlib` too, LTO does far less: the wasm comes out about a quarter
//! larger), and one `export_fetch!` of your router.

#[cfg(target_arch = "wasm32")]
anyedge_cloudflare::export_fetch!(anyedge_core::reference::app());
