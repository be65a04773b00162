//! The consumer project (`examples/consumer`): a separate workspace that
//! builds its own app on anyedge. Runs its tests, builds it for both
//! providers, and sends one request through workerd and one through Viceroy.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Context, Result};

use crate::cloudflare::Tools;
use crate::util::{self, cargo, cmd, root, run, step, Service};
use crate::{fastly, http};

const BODY: &[u8] = br#"{"items":[{"sku":"tea","qty":2},{"sku":"scone","qty":1}]}"#;
const EXPECTED: &str =
    r#"{"currency":"EUR","subtotal_cents":1180,"tax_cents":236,"total_cents":1416}"#;

fn dir() -> PathBuf {
    root().join("examples/consumer")
}

/// Sends `POST /quote` and checks the answer.
fn one_request(runtime: &str, addr: SocketAddr) -> Result<()> {
    let headers = [("content-type".to_owned(), "application/json".to_owned())];
    let res = http::send(addr, "POST", "/quote", &headers, BODY, Duration::from_secs(20))?;
    let body = String::from_utf8_lossy(&res.body);
    if res.status != 200 || body != EXPECTED {
        bail!("[{runtime}] consumer POST /quote: {} {body} (expected 200 {EXPECTED})", res.status);
    }
    // The consumer's RequestId middleware answers a fresh id.
    let Some(id) = res.header("x-request-id").filter(|id| id.len() == 32) else {
        bail!("[{runtime}] consumer POST /quote: no 32-digit X-Request-Id in the answer");
    };
    eprintln!("  ok   [{runtime}] consumer POST /quote → 200 {body} (x-request-id {id})");
    Ok(())
}

/// Tests, builds and runs the consumer project on both providers.
pub(crate) fn run_all() -> Result<()> {
    step("consumer project: its own tests (host)");
    run(cargo().current_dir(dir()).args(["test", "--quiet"]))?;

    step("consumer project: Fastly Compute build, one request in Viceroy");
    run(cargo().current_dir(dir()).args([
        "build",
        "--release",
        "--quiet",
        "--target",
        "wasm32-wasip1",
        "-p",
        "consumer-compute",
    ]))?;
    let viceroy = util::ensure_cargo_tool("viceroy", "viceroy", fastly::VICEROY_VERSION, true)?;
    let wasm = dir().join("target/wasm32-wasip1/release/consumer-compute.wasm");
    let addr: SocketAddr = "127.0.0.1:18791".parse()?;
    util::ensure_free(addr)?;
    {
        let mut svc = Service::start(
            "consumer viceroy",
            cmd(&viceroy)
                .arg("serve")
                .arg("-C")
                .arg(dir().join("fastly.toml"))
                .args(["--addr", &addr.to_string()])
                .arg(&wasm),
        )?;
        util::wait_for_port(&mut svc, addr, Duration::from_secs(60))?;
        one_request("viceroy", addr)?;
    }

    step("consumer project: Cloudflare Worker build, one request in workerd");
    let tools = Tools::ensure()?;
    let out = root().join("target/consumer/worker");
    tools.worker_build("examples/consumer/worker", &out, &[])?;
    // A config without `[build]`: the Worker is built already.
    let config = root().join("target/consumer/wrangler.toml");
    let main = out.join("index.js");
    std::fs::write(
        &config,
        format!(
            "name = \"consumer\"\nmain = \"{}\"\ncompatibility_date = \"{}\"\n\n[vars]\nCURRENCY = \"EUR\"\nTAX_PERCENT = \"20\"\n",
            main.display(),
            crate::cloudflare::COMPATIBILITY_DATE
        ),
    )
    .context("write the consumer's wrangler config")?;
    let addr: SocketAddr = "127.0.0.1:18790".parse()?;
    util::ensure_free(addr)?;
    let _svc = crate::cloudflare::wrangler_dev(
        "consumer wrangler dev",
        &config,
        addr,
        &root().join("target/consumer/state"),
    )?;
    one_request("workerd", addr)
}
