//! `anyedge_core::reference::app()` (health, greet, items) on Fastly
//! through `anyedge_fastly::run`, without the transform routes: the size
//! of the whole reference app, for the record in `cargo xtask bench`.

#[cfg(target_arch = "wasm32")]
fn main() {
    anyedge_fastly::run(&anyedge_core::reference::app());
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("build for wasm32-wasip1: cargo xtask bench builds it");
}
