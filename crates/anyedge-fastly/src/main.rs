//! The reference app (`GET /health`, `POST /greet`) as a Fastly Compute
//! program. Build with `cargo build --release --target wasm32-wasip1 -p
//! anyedge-fastly`; serve locally with `viceroy serve -C fastly.toml
//! target/wasm32-wasip1/release/anyedge-fastly.wasm`.

#[cfg(target_arch = "wasm32")]
fn main() {
    anyedge_fastly::run(&anyedge_core::reference::app());
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!(
        "anyedge-fastly runs on Fastly Compute: build it with \
         `cargo build --release --target wasm32-wasip1 -p anyedge-fastly` \
         and serve it with Viceroy (`cargo xtask e2e fastly`)"
    );
    std::process::exit(2);
}
