//! `POST /greet` of anyedge's reference app, alone in a router, on
//! Cloudflare: what `cargo xtask bench` compares with the baselines written
//! directly against `worker` (same behaviour, checked with the greet
//! conformance cases). A request for any other path gets the router's 404.

#[cfg(target_arch = "wasm32")]
anyedge_cloudflare::main!(anyedge_core::Router::new().post("/greet", anyedge_reference::greet));
