//! `POST /greet` of anyedge's reference app, alone in a router, on Fastly
//! through `anyedge_fastly::run`: what `cargo xtask bench` compares with
//! `benches/baseline-fastly` (same behaviour, checked with the greet
//! conformance cases).

#[cfg(target_arch = "wasm32")]
anyedge_fastly::main!(anyedge_core::Router::new().post("/greet", anyedge_reference::greet));

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("build for wasm32-wasip1: cargo xtask bench builds and runs it in Viceroy");
}
