//! `cargo xtask <job>`: the jobs that are more than one cargo call.
//!
//! - `cargo xtask test`: the whole test suite (what README and CI run):
//!   installs what it needs, then format check, clippy, unit and doc tests,
//!   wasm builds of the core, and the conformance suite end to end on every
//!   runtime (native host, workerd, Viceroy) against a real local upstream.
//! - `cargo xtask e2e <native|cloudflare|fastly>`: one runtime end to end.
//! - `cargo xtask e2e consumer`: the consumer project (`examples/consumer`),
//!   built for both providers, one request through each runtime.
//! - `cargo xtask conformance <host:port>`: the suite against a running host.

mod bench;
mod cloudflare;
mod conformance;
mod consumer;
mod fastly;
mod http;
mod load;
mod native;
mod util;

use std::net::SocketAddr;
use std::sync::{Mutex, PoisonError};
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
    /// Whether the served process's own memory is the runtime's (so the load
    /// run can check it stays flat): true natively, not for wrangler/Viceroy.
    fn measures_memory(&self) -> bool {
        false
    }
    /// Starts it serving the reference app (with the `test-routes` feature)
    /// on [`Runtime::addr`], with config `API_URL` =
    /// `http://{UPSTREAM_ADDR}/hello`, `ITEMS_URL` = `http://{UPSTREAM_ADDR}/items`,
    /// `REFUSED_URL` = [`REFUSED_URL`], `UPSTREAM_TIMEOUT_MS` = 2000 and
    /// secret `API_TOKEN` = [`conformance::CANARY`].
    fn serve(&self) -> Result<Service>;
}

fn runtimes() -> Vec<Box<dyn Runtime>> {
    vec![Box::new(native::Native), Box::new(cloudflare::Cloudflare), Box::new(fastly::Fastly)]
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
        Some("bench") => bench::run(&args[1..]),
        Some("e2e") if args.get(1).map(String::as_str) == Some("consumer") => {
            util::ensure_npm()?;
            consumer::run_all()
        }
        Some("e2e") => {
            let which = args.get(1).map(String::as_str).unwrap_or("native");
            let rt = runtimes()
                .into_iter()
                .find(|r| r.name() == which || aliases(r.name()).contains(&which))
                .with_context(|| format!("unknown runtime `{which}`"))?;
            rt.prepare()?;
            let rows = [e2e(rt.as_ref())?];
            print_table(&rows);
            let failed = rows_failed(&rows);
            if failed > 0 {
                bail!("{failed} end-to-end checks failed");
            }
            Ok(())
        }
        Some("conformance") => {
            let addr: SocketAddr =
                args.get(1).context("usage: cargo xtask conformance HOST:PORT")?.parse()?;
            let cases = conformance::load(&util::root().join("conformance/cases"))?;
            let (_, failed) = conformance::run_all("remote", addr, &cases);
            if failed > 0 {
                bail!("{failed} cases failed");
            }
            Ok(())
        }
        _ => {
            eprintln!(
                "usage: cargo xtask <test | e2e native|cloudflare|fastly|consumer | conformance HOST:PORT | bench>"
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
    load: Option<load::LoadReport>,
    /// Resident memory after warm-up and at the end of the load run, KiB.
    memory: Option<(u64, u64)>,
}

impl Row {
    fn load_failures(&self) -> usize {
        let mut n = 0;
        if let Some(l) = &self.load {
            n += usize::from(l.transport_errors > 0 || l.wrong_status > 0 || l.requests == 0);
        }
        if let Some((start, end)) = self.memory {
            n += usize::from(!memory_flat(start, end));
        }
        n
    }
}

/// Flat: the end of the run uses at most 25% + 4 MiB more than after warm-up.
fn memory_flat(start_kib: u64, end_kib: u64) -> bool {
    end_kib <= start_kib + start_kib / 4 + 4096
}

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// Starts the test upstream in this process on `addr`, once per address:
/// a later call for the same address finds it running (`cargo xtask test`
/// runs the end-to-end suite on every runtime in one process). A port held
/// by something else (another end-to-end run?) is waited for, up to 10
/// minutes. The upstream serves from background threads until xtask exits.
pub(crate) fn start_upstream(addr: &str) -> Result<SocketAddr> {
    static STARTED: Mutex<Vec<SocketAddr>> = Mutex::new(Vec::new());
    let addr: SocketAddr = addr.parse()?;
    let mut started = STARTED.lock().unwrap_or_else(PoisonError::into_inner);
    if started.contains(&addr) {
        return Ok(addr);
    }
    let deadline = Instant::now() + Duration::from_secs(600);
    while util::ensure_free(addr).is_err() && Instant::now() < deadline {
        eprintln!("{addr} is in use (another end-to-end run?); waiting");
        std::thread::sleep(Duration::from_secs(10));
    }
    util::ensure_free(addr)?;
    let bound = anyedge_test_upstream::spawn(&addr.to_string())
        .with_context(|| format!("start the test upstream on {addr}"))?;
    started.push(bound);
    Ok(bound)
}

/// Starts the upstream (if not yet running) and the runtime, plays every
/// case, stops the runtime.
fn e2e(rt: &dyn Runtime) -> Result<Row> {
    step(&format!("end to end on {}", rt.name()));
    let started = Instant::now();
    let cases = conformance::load(&util::root().join("conformance/cases"))?;
    start_upstream(UPSTREAM_ADDR)?;
    util::ensure_free(rt.addr())?;
    let mut svc = rt.serve()?;
    util::wait_for_port(&mut svc, rt.addr(), Duration::from_secs(120))?;
    let (mut passed, mut failed) = conformance::run_all(rt.name(), rt.addr(), &cases);
    svc.check_alive()?;

    let secs = env_number("ANYEDGE_LOAD_SECS", 20);
    let conns = env_number("ANYEDGE_LOAD_CONNS", 32) as usize;
    let (mut load, mut memory) = (None, None);
    if secs > 0 {
        eprintln!(
            "[{}] load: {conns} connections for {secs} s, mixed valid and invalid requests",
            rt.name()
        );
        let pid = svc.pid();
        let load_started = Instant::now();
        let (mut start_kib, mut end_kib) = (None, None);
        let report = load::run(rt.addr(), conns, Duration::from_secs(secs), || {
            if rt.measures_memory() {
                let kib = load::rss_kib(pid);
                if start_kib.is_none()
                    && load_started.elapsed() >= Duration::from_secs(secs.min(15) / 5 + 1)
                {
                    start_kib = kib;
                }
                end_kib = kib.or(end_kib);
            }
        });
        eprintln!(
            "[{}] load: {} requests, {} transport errors, {} wrong statuses, {:.0} req/s, p50 {:.2} ms, p99 {:.2} ms{}",
            rt.name(),
            report.requests,
            report.transport_errors,
            report.wrong_status,
            report.rps(),
            report.p50_ms,
            report.p99_ms,
            report.first_error.as_deref().map(|e| format!("; first error: {e}")).unwrap_or_default()
        );
        if let (Some(a), Some(b)) = (start_kib, end_kib) {
            eprintln!(
                "[{}] memory: {a} KiB after warm-up, {b} KiB at the end: {}",
                rt.name(),
                if memory_flat(a, b) { "flat" } else { "GROWING" }
            );
            memory = Some((a, b));
        }
        load = Some(report);
        svc.check_alive()?;
    }
    let log = svc.log_path().to_owned();
    drop(svc);
    // The canary must not reach the logs either.
    let logged = std::fs::read_to_string(&log).unwrap_or_default();
    if conformance::SECRETS.iter().any(|secret| logged.contains(secret)) {
        failed += 1;
        eprintln!("  FAIL [{}] the canary secret appears in {}", rt.name(), log.display());
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
        load,
        memory,
    })
}

fn print_table(rows: &[Row]) {
    println!("\n| runtime | cases passed | cases failed | requests | errors | req/s | p50 ms | p99 ms | memory KiB (warm → end) | seconds |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---|---:|");
    for r in rows {
        let (requests, errors, rps, p50, p99) = match &r.load {
            Some(l) => (
                l.requests.to_string(),
                (l.transport_errors + l.wrong_status).to_string(),
                format!("{:.0}", l.rps()),
                format!("{:.2}", l.p50_ms),
                format!("{:.2}", l.p99_ms),
            ),
            None => ("-".into(), "-".into(), "-".into(), "-".into(), "-".into()),
        };
        let memory = match r.memory {
            Some((a, b)) => {
                format!("{a} → {b} ({})", if memory_flat(a, b) { "flat" } else { "growing" })
            }
            None => "-".into(),
        };
        println!(
            "| {} | {} | {} | {requests} | {errors} | {rps} | {p50} | {p99} | {memory} | {:.0} |",
            r.runtime, r.passed, r.failed, r.seconds
        );
    }
}

fn test_all() -> Result<()> {
    step("toolchain targets");
    util::ensure_targets()?;

    step("format and lints");
    run(cargo().args(["fmt", "--all", "--", "--check"]))?;
    run(cargo().args(["clippy", "--workspace", "--all-targets", "--", "-D", "warnings"]))?;

    step("unit, integration and doc tests (host)");
    run(cargo().args(["test", "--workspace"]))?;

    step("anyedge-core builds for every wasm target");
    for target in ["wasm32-unknown-unknown", "wasm32-wasip1", "wasm32-wasip2"] {
        run(cargo().args(["build", "-p", "anyedge-core", "--target", target]))?;
    }

    step("the wasm adapters and the reference app's wasm targets pass clippy");
    for (target, krates) in [
        ("wasm32-unknown-unknown", ["anyedge-cloudflare", "anyedge-reference-worker"]),
        ("wasm32-wasip1", ["anyedge-fastly", "anyedge-reference"]),
    ] {
        let mut c = cargo();
        c.args(["clippy", "--quiet", "--all-targets", "--target", target]);
        for k in krates {
            c.args(["-p", k]);
        }
        run(c.args(["--", "-D", "warnings"]))?;
    }

    step("the libraries carry no demo: no jaq or toml under default features");
    for (krate, target) in [
        ("anyedge-core", "wasm32-unknown-unknown"),
        ("anyedge-cloudflare", "wasm32-unknown-unknown"),
        ("anyedge-fastly", "wasm32-wasip1"),
        ("anyedge-native", "host"),
    ] {
        let mut c = cargo();
        c.args(["tree", "-e", "normal", "-p", krate]);
        if target != "host" {
            c.args(["--target", target]);
        }
        let tree = util::output(&mut c)?;
        let pulled: Vec<&str> =
            tree.lines().filter(|l| l.contains(" jaq-") || l.contains(" toml ")).collect();
        if !pulled.is_empty() {
            bail!(
                "{krate} ({target}) pulls in the transform stack by default:\n{}",
                pulled.join("\n")
            );
        }
        eprintln!("{krate} ({target}): no jaq, no toml");
    }

    step("API docs build without warnings (each adapter for its wasm target)");
    for (krate, target) in [
        ("anyedge-core", None),
        ("anyedge-native", None),
        ("anyedge-cloudflare", Some("wasm32-unknown-unknown")),
        ("anyedge-fastly", Some("wasm32-wasip1")),
    ] {
        let mut c = cargo();
        c.env("RUSTDOCFLAGS", "-D warnings").args([
            "doc",
            "--no-deps",
            "--quiet",
            "-p",
            krate,
            "--all-features",
        ]);
        if let Some(target) = target {
            c.args(["--target", target]);
        }
        run(&mut c)?;
    }

    step("every crate packages (cargo package, verified)");
    run(cargo().args([
        "package",
        "--quiet",
        "--allow-dirty",
        "-p",
        "anyedge-core",
        "-p",
        "anyedge-native",
        "-p",
        "anyedge-cloudflare",
        "-p",
        "anyedge-fastly",
    ]))?;

    let mut rows = Vec::new();
    for rt in runtimes() {
        step(&format!("prepare {}", rt.name()));
        rt.prepare()?;
        rows.push(e2e(rt.as_ref())?);
    }
    consumer::run_all()?;
    print_table(&rows);
    let passed: usize = rows.iter().map(|r| r.passed).sum();
    let failed = rows_failed(&rows);
    println!("\nend-to-end: {passed} passed, {failed} failed");
    if failed > 0 {
        bail!("{failed} end-to-end checks failed");
    }
    Ok(())
}

/// Failed cases plus failed load checks (errors, wrong statuses, memory).
fn rows_failed(rows: &[Row]) -> usize {
    rows.iter().map(|r| r.failed + r.load_failures()).sum()
}
