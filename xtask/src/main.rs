//! `cargo xtask <job>`: the jobs that are more than one cargo call.
//!
//! - `cargo xtask test`: the whole test suite (what README and CI run):
//!   installs what it needs, then format check, clippy, unit and doc tests,
//!   wasm builds of the core, and the conformance suite end to end on every
//!   runtime (native host, workerd, Viceroy) against a real local upstream.
//! - `cargo xtask e2e <native|cloudflare|fastly>`: one runtime end to end.
//! - `cargo xtask conformance <host:port>`: the suite against a running host.

mod cloudflare;
mod conformance;
mod fastly;
mod http;
mod native;
mod util;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use util::{cargo, run, step, Service};

/// Where the end-to-end upstream listens; `fastly.toml`'s local backends point here.
pub(crate) const UPSTREAM_ADDR: &str = "127.0.0.1:18080";

/// A loopback port nothing listens on: config `REFUSED_URL` points here.
pub(crate) const REFUSED_URL: &str = "http://127.0.0.1:18081/";

/// A runtime the conformance suite runs on.
pub(crate) trait Runtime {
    /// Short name for tables: `native`, `workerd`, `viceroy`.
    fn name(&self) -> &'static str;
    /// Where it serves during end-to-end runs.
    fn addr(&self) -> SocketAddr;
    /// Installs its tools (skipping those present at the pinned version),
    /// builds, and runs the adapter's own tests.
    fn prepare(&self) -> Result<()>;
    /// Starts it serving the reference app (with the `test-routes` feature)
    /// on [`Runtime::addr`], with config `API_URL` =
    /// `http://{UPSTREAM_ADDR}/hello`, `ITEMS_URL` = `http://{UPSTREAM_ADDR}/items`,
    /// `REFUSED_URL` = [`REFUSED_URL`], `UPSTREAM_TIMEOUT_MS` = 2000 and
    /// secret `API_TOKEN` = [`conformance::CANARY`].
    fn serve(&self) -> Result<Service>;
}

fn runtimes() -> Vec<Box<dyn Runtime>> {
    vec![
        Box::new(native::Native),
        Box::new(cloudflare::Cloudflare),
        Box::new(fastly::Fastly),
    ]
}

fn main() {
    if let Err(e) = real_main() {
        eprintln!("\nxtask: error: {e:#}");
        std::process::exit(1);
    }
}

fn real_main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("test") => test_all(),
        Some("e2e") => {
            let which = args.get(1).map(String::as_str).unwrap_or("native");
            let rt = runtimes()
                .into_iter()
                .find(|r| r.name() == which || aliases(r.name()).contains(&which))
                .with_context(|| format!("unknown runtime `{which}`"))?;
            build_upstream()?;
            rt.prepare()?;
            let row = e2e(rt.as_ref())?;
            print_table(&[row]);
            Ok(())
        }
        Some("conformance") => {
            let addr: SocketAddr = args
                .get(1)
                .context("usage: cargo xtask conformance HOST:PORT")?
                .parse()?;
            let cases = conformance::load(&util::root().join("conformance/cases"))?;
            let (_, failed) = conformance::run_all("remote", addr, &cases);
            if failed > 0 {
                bail!("{failed} cases failed");
            }
            Ok(())
        }
        _ => {
            eprintln!(
                "usage: cargo xtask <test | e2e native|cloudflare|fastly | conformance HOST:PORT>"
            );
            Ok(())
        }
    }
}

fn aliases(name: &str) -> &'static [&'static str] {
    match name {
        "workerd" => &["cloudflare", "cf"],
        "viceroy" => &["fastly"],
        _ => &[],
    }
}

/// A row of the summary table.
pub(crate) struct Row {
    runtime: &'static str,
    passed: usize,
    failed: usize,
    seconds: f64,
}

fn build_upstream() -> Result<()> {
    run(cargo().args(["build", "--quiet", "-p", "anyedge-test-upstream"]))
}

fn start_upstream() -> Result<Service> {
    let addr: SocketAddr = UPSTREAM_ADDR.parse()?;
    util::ensure_free(addr)?;
    let bin = util::root().join("target/debug/anyedge-test-upstream");
    let mut svc = Service::start("test upstream", util::cmd(bin).arg(UPSTREAM_ADDR))?;
    util::wait_for_port(&mut svc, addr, Duration::from_secs(10))?;
    Ok(svc)
}

/// Starts the upstream and the runtime, plays every case, stops both.
fn e2e(rt: &dyn Runtime) -> Result<Row> {
    step(&format!("end to end on {}", rt.name()));
    let started = Instant::now();
    let cases = conformance::load(&util::root().join("conformance/cases"))?;
    let _upstream = start_upstream()?;
    util::ensure_free(rt.addr())?;
    let mut svc = rt.serve()?;
    util::wait_for_port(&mut svc, rt.addr(), Duration::from_secs(120))?;
    let (mut passed, mut failed) = conformance::run_all(rt.name(), rt.addr(), &cases);
    svc.check_alive()?;
    let log = svc.log_path().to_owned();
    drop(svc);
    // The canary must not reach the logs either.
    let logged = std::fs::read_to_string(&log).unwrap_or_default();
    if logged.contains(conformance::CANARY) {
        failed += 1;
        eprintln!(
            "  FAIL [{}] the canary secret appears in {}",
            rt.name(),
            log.display()
        );
    } else {
        passed += 1;
        eprintln!(
            "  ok   [{}] no canary secret in {} ({} lines)",
            rt.name(),
            log.display(),
            logged.lines().count()
        );
    }
    Ok(Row {
        runtime: rt.name(),
        passed,
        failed,
        seconds: started.elapsed().as_secs_f64(),
    })
}

fn print_table(rows: &[Row]) {
    println!("\n| runtime | cases passed | cases failed | seconds |");
    println!("|---|---:|---:|---:|");
    for r in rows {
        println!(
            "| {} | {} | {} | {:.1} |",
            r.runtime, r.passed, r.failed, r.seconds
        );
    }
}

fn test_all() -> Result<()> {
    step("toolchain targets");
    util::ensure_targets()?;

    step("format and lints");
    run(cargo().args(["fmt", "--all", "--", "--check"]))?;
    run(cargo().args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]))?;

    step("unit, integration and doc tests (host)");
    run(cargo().args(["test", "--workspace"]))?;

    step("anyedge-core builds for both wasm targets");
    for target in ["wasm32-unknown-unknown", "wasm32-wasip1"] {
        run(cargo().args(["build", "-p", "anyedge-core", "--target", target]))?;
    }

    build_upstream()?;
    let mut rows = Vec::new();
    for rt in runtimes() {
        step(&format!("prepare {}", rt.name()));
        rt.prepare()?;
        rows.push(e2e(rt.as_ref())?);
    }
    print_table(&rows);
    let passed: usize = rows.iter().map(|r| r.passed).sum();
    let failed: usize = rows.iter().map(|r| r.failed).sum();
    println!("\nend-to-end: {passed} passed, {failed} failed");
    if failed > 0 {
        bail!("{failed} end-to-end cases failed");
    }
    Ok(())
}
