//! The consumer app as a Fastly Compute program. Fastly runs a WASI command
//! (`_start`) once per request, so the deployable is this binary.

#[cfg(target_arch = "wasm32")]
anyedge_fastly::main!(consumer_app::routes());

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("build for Fastly: cargo build --release --target wasm32-wasip1 -p consumer-compute");
}
