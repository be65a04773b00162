//! The reference app as a Fastly Compute program. Build it with
//! `cargo build --release --target wasm32-wasip1 -p anyedge-reference --bin anyedge-reference-fastly`;
//! serve it locally with `viceroy serve -C fastly.toml target/wasm32-wasip1/release/anyedge-reference-fastly.wasm`.

#[cfg(all(target_arch = "wasm32", target_os = "wasi", target_env = "p1"))]
anyedge_fastly::main!(anyedge_reference::app());

#[cfg(not(all(target_arch = "wasm32", target_os = "wasi", target_env = "p1")))]
fn main() {
    eprintln!(
        "anyedge-reference-fastly runs on Fastly Compute: build it with \
         `cargo build --release --target wasm32-wasip1 -p anyedge-reference --bin anyedge-reference-fastly` \
         and serve it with Viceroy (`cargo xtask e2e fastly`)"
    );
    std::process::exit(2);
}
