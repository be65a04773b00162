//! The consumer app as a Cloudflare Worker: one line over `anyedge-cloudflare`.

#[cfg(target_arch = "wasm32")]
anyedge_cloudflare::main!(consumer_app::routes());
