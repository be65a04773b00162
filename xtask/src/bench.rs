//! `cargo xtask bench`: what anyedge costs against the provider SDKs used
//! directly and against JavaScript, measured in one run on this machine.
//!
//! 1. Size: the reference app's wasm (after wasm-opt, plus the JS shim, on
//!    Cloudflare; the wasip1 binary on Fastly) beside the same greet logic
//!    written directly against `worker` 0.8 and `fastly` 0.13
//!    (`benches/baseline-*`).
//! 2. `POST /greet` throughput and latency over loopback, anyedge against
//!    the baseline on workerd (run directly from a generated capnp config)
//!    and on Viceroy; contenders interleaved in short rounds.
//! 3. Heavy JSON on workerd: filter and reshape 100 KB, 1 MB and 5 MB arrays
//!    of records, anyedge (`benches/anyedge-transform`) against a plain
//!    JavaScript Worker and Hono (`benches/js`).
//! 4. Start-up: process start to first response (workerd, Viceroy), and V8
//!    compile + instantiate of the Fastly modules in Node.
//! 5. Native core: the criterion bench `anyedge-core/benches/json.rs`.
//!
//! Budgets (printed PASS/FAIL, and the command fails on a FAIL): size ≤
//! 1.10× the baseline's gzip per provider; throughput ≥ 0.95× the
//! baseline's per runtime. The tables go to stdout and to
//! `docs/benchmarks.md`, between its `bench:begin`/`bench:end` markers.
//!
//! Options: `--quick` (short runs, ~4 minutes after the builds),
//! `--secs N` (measured seconds per contender and case), `--conns N`,
//! `--startup-runs N`, `--no-criterion`, `--no-write`, `--only a,b` (some
//! of `size,greet,heavy,startup,criterion`; implies `--no-write`),
//! `--runtime workerd|viceroy` (the greet section on one runtime only).

mod build;
mod load;
mod servers;

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use serde_json::Value;

use crate::http::Conn;
use crate::load::Shot;
use crate::util::{self, cargo, root, step, Service};

/// Where the bench's upstream listens (ports 19xxx: the e2e runs use 18xxx).
pub(crate) const UPSTREAM: &str = "127.0.0.1:19080";

/// Size budget: anyedge's gzip at most this times the baseline's.
const SIZE_BUDGET: f64 = 1.10;
/// Throughput budget: anyedge's req/s at least this times the baseline's.
const THROUGHPUT_BUDGET: f64 = 0.95;

const GREET_BODY: &[u8] = br#"{"name":"Ada"}"#;

/// The sections, in the order they run (`--only` picks some).
const SECTIONS: [&str; 5] = ["size", "greet", "heavy", "startup", "criterion"];

struct Opts {
    quick: bool,
    secs: f64,
    conns: usize,
    heavy_conns: usize,
    rounds: usize,
    startup_runs: usize,
    criterion: bool,
    write: bool,
    /// Sections to run (`--only a,b`); all when empty.
    only: Vec<String>,
    /// `--runtime workerd|viceroy`: the greet section on that runtime only.
    runtime: Option<String>,
}

impl Opts {
    fn parse(args: &[String]) -> Result<Opts> {
        let quick = args.iter().any(|a| a == "--quick");
        let mut o = Opts {
            quick,
            secs: if quick { 4.0 } else { 12.0 },
            conns: 8,
            heavy_conns: 2,
            rounds: if quick { 2 } else { 4 },
            startup_runs: if quick { 3 } else { 7 },
            criterion: true,
            write: true,
            only: Vec::new(),
            runtime: None,
        };
        let mut it = args.iter();
        while let Some(a) = it.next() {
            let mut value = |name: &str| -> Result<f64> {
                it.next()
                    .with_context(|| format!("{name} needs a value"))?
                    .parse()
                    .with_context(|| format!("{name} needs a number"))
            };
            match a.as_str() {
                "--quick" => {}
                "--secs" => o.secs = value("--secs")?,
                "--conns" => o.conns = value("--conns")? as usize,
                "--startup-runs" => o.startup_runs = value("--startup-runs")? as usize,
                "--no-criterion" => o.criterion = false,
                "--no-write" => o.write = false,
                "--only" => {
                    let list = it.next().context("--only needs a list, e.g. size,greet")?;
                    for s in list.split(',') {
                        if !SECTIONS.contains(&s) {
                            bail!(
                                "--only: unknown section `{s}`; sections: {}",
                                SECTIONS.join(",")
                            );
                        }
                        o.only.push(s.to_owned());
                    }
                    // A partial run never overwrites the full tables.
                    o.write = false;
                }
                "--runtime" => {
                    let r = it.next().context("--runtime needs workerd or viceroy")?;
                    if r != "workerd" && r != "viceroy" {
                        bail!("--runtime: `{r}` is not workerd or viceroy");
                    }
                    o.runtime = Some(r.clone());
                    o.write = false;
                }
                other => bail!(
                    "unknown option `{other}`; usage: cargo xtask bench [--quick] [--secs N] \
                     [--conns N] [--startup-runs N] [--no-criterion] [--no-write] \
                     [--only {}] [--runtime workerd|viceroy]",
                    SECTIONS.join(",")
                ),
            }
        }
        Ok(o)
    }

    /// Whether section `name` runs.
    fn runs(&self, name: &str) -> bool {
        self.only.is_empty() || self.only.iter().any(|s| s == name)
    }

    fn total(&self) -> Duration {
        Duration::from_secs_f64(self.secs)
    }

    fn warmup(&self) -> Duration {
        Duration::from_secs_f64((self.secs / 4.0).clamp(0.5, 2.0))
    }

    fn command(&self, args: &[String]) -> String {
        let mut c = String::from("cargo xtask bench");
        for a in args {
            c.push(' ');
            c.push_str(a);
        }
        if self.quick && args.is_empty() {
            c.push_str(" --quick");
        }
        c
    }
}

/// A budget check, or a ratio printed beside them for the record.
struct Budget {
    what: String,
    value: f64,
    limit: String,
    /// Whether the value is within the limit.
    pass: bool,
    /// `false`: for the record only; never fails the run. The web_sys
    /// baseline on Cloudflare: anyedge's contract is http 1.x types, and the
    /// like-for-like baseline is `worker`'s `http` feature (docs/benchmarks.md).
    budgeted: bool,
}

/// The bench: see the module docs.
pub(crate) fn run(args: &[String]) -> Result<()> {
    let opts = Opts::parse(args)?;
    let started = Instant::now();
    let art = build::all()?;
    let mut doc = String::new();
    let mut budgets = Vec::new();

    if opts.runs("size") {
        step("bench: sizes");
        sizes(&art, &mut doc, &mut budgets)?;
    }
    // The test upstream, in this process (its threads end with it).
    util::ensure_free(UPSTREAM.parse()?)?;
    anyedge_test_upstream::spawn(UPSTREAM)
        .with_context(|| format!("start the bench upstream on {UPSTREAM}"))?;
    if opts.runs("greet") {
        greet(&opts, &art, &mut doc, &mut budgets)?;
    }
    if opts.runs("heavy") {
        heavy(&opts, &art, &mut doc)?;
    }
    if opts.runs("startup") {
        startup(&opts, &art, &mut doc)?;
    }
    if opts.criterion && opts.runs("criterion") {
        criterion(&opts, &mut doc)?;
    }

    let mut summary = String::from(
        "### Budgets\n\n| budget | measured | limit | result |\n|---|---:|---:|---|\n",
    );
    for b in &budgets {
        let _ = writeln!(
            summary,
            "| {} | {:.2}× | {} | {} |",
            b.what,
            b.value,
            b.limit,
            match (b.budgeted, b.pass) {
                (true, true) => "PASS",
                (true, false) => "FAIL",
                (false, true) => "meets it (for the record, no budget)",
                (false, false) => "misses it (for the record, no budget)",
            }
        );
    }
    let mut out = format!(
        "Measured by `{}` on {} in {:.0} s (all builds release, same profile).\n\n{summary}\n{doc}",
        opts.command(args),
        machine(),
        started.elapsed().as_secs_f64()
    );
    if out.ends_with("\n\n") {
        out.pop();
    }
    println!("\n{out}");
    if opts.write {
        write_doc(&out)?;
    }
    let failed: Vec<&str> =
        budgets.iter().filter(|b| b.budgeted && !b.pass).map(|b| b.what.as_str()).collect();
    if !failed.is_empty() {
        bail!("budgets failed: {}", failed.join("; "));
    }
    Ok(())
}

/// CPU model and count, for the record.
fn machine() -> String {
    let info = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = info
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map(|m| m.trim_start_matches([' ', '\t', ':']).to_owned())
        .unwrap_or_else(|| "unknown CPU".into());
    let cpus = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    format!("{cpus} × {model} (shared; compare ratios, not absolute numbers)")
}

/// Replaces what is between the markers of `docs/benchmarks.md` with `body`.
fn write_doc(body: &str) -> Result<()> {
    const BEGIN: &str = "<!-- bench:begin (generated by cargo xtask bench) -->";
    const END: &str = "<!-- bench:end -->";
    let path = root().join("docs/benchmarks.md");
    let old = std::fs::read_to_string(&path).unwrap_or_default();
    let (head, tail) = match (old.find(BEGIN), old.find(END)) {
        (Some(b), Some(e)) if b < e => (old[..b].to_owned(), old[e + END.len()..].to_owned()),
        _ => ("# Benchmarks\n\n".to_owned(), "\n".to_owned()),
    };
    std::fs::create_dir_all(root().join("docs"))?;
    std::fs::write(&path, format!("{head}{BEGIN}\n{body}\n{END}{tail}"))?;
    eprintln!("wrote {}", path.display());
    Ok(())
}

fn kib(bytes: u64) -> String {
    format!("{:.1} KiB", bytes as f64 / 1024.0)
}

fn sizes(art: &build::Artifacts, doc: &mut String, budgets: &mut Vec<Budget>) -> Result<()> {
    let cf = |dir: &Path| -> Result<[(u64, u64); 3]> {
        let wasm = build::sizes(&dir.join("index_bg.wasm"))?;
        let shim = build::sizes(&dir.join("index.js"))?;
        Ok([wasm, shim, (wasm.0 + shim.0, wasm.1 + shim.1)])
    };
    let a = cf(&art.cf_anyedge)?;
    let b = cf(&art.cf_baseline)?;
    let h = cf(&art.cf_baseline_http)?;
    let reference = cf(&art.cf_anyedge_reference)?;
    let full = cf(&art.cf_anyedge_full)?;
    let fa = build::sizes(&art.fastly_anyedge)?;
    let fb = build::sizes(&art.fastly_baseline)?;
    let freference = build::sizes(&art.fastly_anyedge_reference)?;
    let ffull = build::sizes(&art.fastly_anyedge_full)?;
    const WEB_SYS: &str = "`worker`, web_sys types";
    const HTTP: &str = "`worker` `http` feature";
    const FASTLY: &str = "`fastly`";
    let rows = [
        ("Cloudflare: wasm (after wasm-opt)", a[0], WEB_SYS, b[0]),
        ("Cloudflare: JS shim (index.js)", a[1], WEB_SYS, b[1]),
        ("Cloudflare: wasm + shim", a[2], WEB_SYS, b[2]),
        ("Cloudflare: wasm (after wasm-opt)", a[0], HTTP, h[0]),
        ("**Cloudflare: wasm + shim**", a[2], HTTP, h[2]),
        ("**Fastly: wasm (wasm32-wasip1)**", fa, FASTLY, fb),
        (
            "Cloudflare, whole reference app (health, greet, items): wasm + shim",
            reference[2],
            HTTP,
            h[2],
        ),
        ("Fastly, whole reference app (health, greet, items)", freference, FASTLY, fb),
        (
            "Cloudflare, reference Worker as shipped (+ jq transform routes): wasm + shim",
            full[2],
            HTTP,
            h[2],
        ),
        ("Fastly, reference app binary as shipped (+ jq transform routes)", ffull, FASTLY, fb),
    ];
    doc.push_str(
        "### 1. Size\n\n\
         The same program on both sides: the reference app's `POST /greet` handler alone in an \
         anyedge router (`benches/anyedge-cloudflare-greet`, `benches/anyedge-fastly-greet`) \
         against `POST /greet` written directly against the provider crate (`benches/baseline-*`); \
         the bench checks both with the greet conformance cases before it measures. On Cloudflare \
         the baseline is written twice: with `worker`'s `http` feature (http 1.x types, anyedge's \
         request and response model: the budget's baseline) and over web_sys types (no http types: \
         the floor, for the record). The budget rows are bold. The last four rows, for the record \
         and without a budget, are the whole reference app: its three routes, then as shipped \
         with the jq transform routes (jaq). gzip is `gzip -9`.\n\n\
         | artifact | anyedge raw | anyedge gzip | baseline | baseline raw | baseline gzip | gzip ratio |\n\
         |---|---:|---:|---|---:|---:|---:|\n",
    );
    for (what, x, base, y) in rows {
        let ratio = x.1 as f64 / y.1.max(1) as f64;
        let _ = writeln!(
            doc,
            "| {what} | {} | {} | {base} | {} | {} | {ratio:.2}× |",
            kib(x.0),
            kib(x.1),
            kib(y.0),
            kib(y.1)
        );
    }
    doc.push('\n');
    for (what, x, y, budgeted) in [
        ("Cloudflare wasm + shim vs `http` baseline", a[2], h[2], true),
        ("Fastly wasm", fa, fb, true),
        ("Cloudflare wasm + shim vs web_sys baseline", a[2], b[2], false),
    ] {
        let ratio = x.1 as f64 / y.1.max(1) as f64;
        budgets.push(Budget {
            what: format!("size, {what} (gzip, anyedge / baseline)"),
            value: ratio,
            limit: format!("≤ {SIZE_BUDGET:.2}×"),
            pass: ratio <= SIZE_BUDGET,
            budgeted,
        });
    }
    Ok(())
}

/// Plays the greet conformance cases (`20-greet`, `30-bad-input`) against
/// every contender: the baselines must behave as anyedge does, or the
/// comparison means nothing.
fn same_behaviour(contenders: &[(&str, SocketAddr)]) -> Result<()> {
    let cases: Vec<_> = crate::conformance::load(&root().join("conformance/cases"))?
        .into_iter()
        .filter(|c| c.file.starts_with("20-") || c.file.starts_with("30-"))
        .collect();
    for (name, addr) in contenders {
        let (passed, failed) = crate::conformance::run_all(name, *addr, &cases);
        if failed > 0 || passed == 0 {
            bail!("{name} fails {failed} of the greet conformance cases: it does not do what anyedge does");
        }
    }
    Ok(())
}

/// Waits for `svc` on `addr`, then checks one `shot` answers its status
/// with a body containing `expect`.
fn ready(svc: &mut Service, addr: SocketAddr, shot: &Shot, expect: &str) -> Result<()> {
    util::wait_for_port(svc, addr, Duration::from_secs(60))?;
    let res = crate::http::send(
        addr,
        "POST",
        shot.target,
        &[("content-type".into(), "application/json".into())],
        &shot.body,
        Duration::from_secs(30),
    )?;
    let body = String::from_utf8_lossy(&res.body);
    if res.status != shot.status || !body.contains(expect) {
        bail!(
            "{addr} {} answered {}: {}",
            shot.target,
            res.status,
            body.chars().take(300).collect::<String>()
        );
    }
    Ok(())
}

fn greet(
    opts: &Opts,
    art: &build::Artifacts,
    doc: &mut String,
    budgets: &mut Vec<Budget>,
) -> Result<()> {
    let shot = Shot::post_json("/greet", GREET_BODY.to_vec());
    doc.push_str(&format!(
        "### 2. `POST /greet` over loopback\n\n\
         {} keep-alive connections, {:.0} s per contender in {} interleaved rounds (after a warm-up); \
         the builds of §1; each request makes one upstream GET (the bench's own upstream on \
         loopback). workerd runs the worker-build output directly (generated capnp config, no wrangler proxy). \
         The last column is anyedge's req/s divided by each baseline's in the same round: the \
         median over the rounds (the budget value), and the lowest and highest round.\n\n\
         | runtime | app | req/s | p50 ms | p99 ms | errors | anyedge ÷ each baseline, per round: median (range) |\n\
         |---|---|---:|---:|---:|---:|---:|\n",
        opts.conns,
        opts.secs,
        greet_rounds(opts)
    ));
    type Starter = fn(&str, &Path, u16) -> Result<Service>;
    /// Runtime, how to start an app on it, the apps (anyedge first), first port.
    type Runtime<'a> = (&'a str, Starter, Vec<(&'a str, &'a Path)>, u16);
    let runtimes: [Runtime; 2] = [
        (
            "workerd",
            servers::start_workerd,
            vec![
                ("anyedge", art.cf_anyedge.as_path()),
                ("baseline (web_sys)", art.cf_baseline.as_path()),
                ("baseline (`http` feature)", art.cf_baseline_http.as_path()),
            ],
            19101,
        ),
        (
            "Viceroy",
            servers::start_viceroy,
            vec![
                ("anyedge", art.fastly_anyedge.as_path()),
                ("baseline", art.fastly_baseline.as_path()),
            ],
            19111,
        ),
    ];
    for (runtime, start, apps, port) in runtimes {
        if opts.runtime.as_ref().is_some_and(|r| !runtime.eq_ignore_ascii_case(r)) {
            continue;
        }
        step(&format!("bench: POST /greet on {runtime}"));
        let mut services = Vec::new();
        let mut named = Vec::new();
        for (i, (app, path)) in apps.iter().enumerate() {
            let addr = servers::addr(port + i as u16);
            let mut svc = start(app, path, port + i as u16)?;
            ready(&mut svc, addr, &shot, "Hello, Ada!")?;
            services.push(svc);
            named.push((*app, addr));
        }
        same_behaviour(&named)?;
        let contenders: Vec<(&str, SocketAddr, &Shot)> =
            named.iter().map(|(n, a)| (*n, *a, &shot)).collect();
        let stats = load::interleaved(
            &contenders,
            opts.conns,
            opts.total(),
            greet_rounds(opts),
            opts.warmup(),
        );
        for svc in &mut services {
            svc.check_alive()?;
        }
        // anyedge ÷ each baseline: median of the per-round ratios, and their range.
        let ratios: Vec<(f64, f64, f64)> =
            (1..stats.len()).map(|j| load::round_ratios(&stats[0], &stats[j])).collect();
        for (i, ((app, _), s)) in named.iter().zip(&stats).enumerate() {
            let vs = if i == 0 {
                ratios
                    .iter()
                    .map(|(m, lo, hi)| format!("{m:.2}× ({lo:.2}–{hi:.2})"))
                    .collect::<Vec<_>>()
                    .join(" / ")
            } else {
                "1.00×".to_owned()
            };
            let _ = writeln!(
                doc,
                "| {runtime} | {app} | {:.0} | {:.2} | {:.2} | {} | {vs} |",
                s.rps(),
                s.percentile(0.5),
                s.percentile(0.99),
                s.errors(),
            );
        }
        let clean = stats.iter().all(|s| s.errors() == 0 && s.requests > 0);
        for (j, (app, _)) in named.iter().enumerate().skip(1) {
            let ratio = ratios[j - 1].0;
            budgets.push(Budget {
                what: format!(
                    "throughput, POST /greet on {runtime} (anyedge / {app}){}",
                    if clean { "" } else { ", with errors" }
                ),
                value: ratio,
                limit: format!("≥ {THROUGHPUT_BUDGET:.2}×"),
                pass: ratio >= THROUGHPUT_BUDGET && clean,
                budgeted: !app.contains("web_sys"),
            });
        }
    }
    doc.push('\n');
    Ok(())
}

/// Rounds of the greet section: short ones, many, so the per-round ratios
/// have a meaningful median.
fn greet_rounds(opts: &Opts) -> usize {
    opts.rounds * 2
}

/// An array of records of about `target` bytes; every other one is active.
fn records(target: usize) -> Vec<u8> {
    let mut out = String::with_capacity(target + 256);
    out.push('[');
    let mut i: u64 = 0;
    while out.len() < target {
        if i > 0 {
            out.push(',');
        }
        let _ = write!(
            out,
            r#"{{"id":{i},"name":"customer {i}","email":"c{i}@example.com","active":{},"total":{}.{:02},"tags":["edge","wasm","bench"],"address":{{"city":"Zürich","zip":"80{:02}"}}}}"#,
            i.is_multiple_of(2),
            (i * 37) % 10_000,
            i % 100,
            i % 100
        );
        i += 1;
    }
    out.push(']');
    out.into_bytes()
}

/// The answer of a transform as (id, name, total) triples.
fn projected(body: &[u8]) -> Result<Vec<(u64, String, f64)>> {
    let v: Value = serde_json::from_slice(body).context("transform answer is not JSON")?;
    let items = v.as_array().context("transform answer is not an array")?;
    items
        .iter()
        .map(|r| {
            Some((
                r.get("id")?.as_u64()?,
                r.get("name")?.as_str()?.to_owned(),
                r.get("total")?.as_f64()?,
            ))
        })
        .collect::<Option<Vec<_>>>()
        .context("transform answer has records without id, name or total")
}

fn heavy(opts: &Opts, art: &build::Artifacts, doc: &mut String) -> Result<()> {
    step("bench: heavy JSON on workerd");
    let contenders: [(&str, &Path, u16); 3] = [
        ("anyedge (Rust → wasm)", &art.cf_transform, 19103),
        ("plain JavaScript", &art.js_plain, 19104),
        ("Hono", &art.js_hono, 19105),
    ];
    let mut services = Vec::new();
    for (name, dir, port) in contenders {
        services.push(servers::start_workerd(name, dir, port)?);
    }
    let sizes: [(&str, usize); 3] = [("100 KB", 100_000), ("1 MB", 1_000_000), ("5 MB", 5_000_000)];
    let secs = if opts.quick { opts.secs } else { opts.secs * 0.75 };
    doc.push_str(&format!(
        "### 3. Heavy JSON on workerd\n\n\
         `POST /transform`: parse an array of records, keep those with `active: true`, answer \
         `{{id, name, total}}` for each (half the records). {} connections, {secs:.0} s per \
         contender and payload, interleaved. MB/s counts request bytes. The last row of each \
         payload is the anyedge Worker's `/transform-floor`: the same code with \
         `serde_json::from_slice` in place of `json::parse` (no `serde_path_to_error`).\n\n\
         | payload | implementation | req/s | p50 ms | p99 ms | MB/s | errors | req/s vs plain JS |\n\
         |---|---|---:|---:|---:|---:|---:|---:|\n",
        opts.heavy_conns
    ));
    for (label, size) in sizes {
        let body = records(size);
        let shot = Shot::post_json("/transform", body.clone());
        let mut reference = None;
        for ((name, _, port), svc) in contenders.iter().zip(services.iter_mut()) {
            ready(svc, servers::addr(*port), &shot, "\"total\"")?;
            let res = crate::http::send(
                servers::addr(*port),
                "POST",
                "/transform",
                &[("content-type".into(), "application/json".into())],
                &body,
                Duration::from_secs(60),
            )?;
            let got = projected(&res.body)?;
            match &reference {
                None => reference = Some(got),
                Some(want) if *want != got => {
                    bail!("{name} answers a different transform of the {label} payload")
                }
                Some(_) => {}
            }
        }
        eprintln!("  {label}: {} bytes, answers agree", body.len());
        let floor = Shot::post_json("/transform-floor", body.clone());
        let res = crate::http::send(
            servers::addr(contenders[0].2),
            "POST",
            floor.target,
            &[("content-type".into(), "application/json".into())],
            &body,
            Duration::from_secs(60),
        )?;
        if Some(projected(&res.body)?) != reference {
            bail!("/transform-floor answers a different transform of the {label} payload");
        }
        let mut named: Vec<(&str, SocketAddr, &Shot)> =
            contenders.iter().map(|(n, _, p)| (*n, servers::addr(*p), &shot)).collect();
        named.push((
            "anyedge, plain serde_json::from_slice",
            servers::addr(contenders[0].2),
            &floor,
        ));
        let stats = load::interleaved(
            &named,
            opts.heavy_conns,
            Duration::from_secs_f64(secs),
            opts.rounds,
            opts.warmup(),
        );
        let plain = stats[1].rps();
        for ((name, ..), s) in named.iter().zip(&stats) {
            let _ = writeln!(
                doc,
                "| {label} | {name} | {:.1} | {:.1} | {:.1} | {:.1} | {} | {:.2}× |",
                s.rps(),
                s.percentile(0.5),
                s.percentile(0.99),
                s.rps() * body.len() as f64 / 1e6,
                s.errors(),
                s.rps() / plain.max(1e-9)
            );
        }
    }
    for s in &mut services {
        s.check_alive()?;
    }
    doc.push('\n');
    Ok(())
}

/// Time from starting a process to its first good answer to `shot`.
fn first_response(mut svc: Service, addr: SocketAddr, shot: &Shot) -> Result<Duration> {
    let t = Instant::now();
    loop {
        svc.check_alive()?;
        let mut conn = Conn::new(addr);
        if let Ok((status, _)) = shot.send(&mut conn) {
            if status == shot.status {
                return Ok(t.elapsed());
            }
            bail!("{addr} answered {status} to its first request");
        }
        if t.elapsed() > Duration::from_secs(60) {
            bail!("{addr}: no answer within 60 s");
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// The median (the mean of the two middle values for an even count; 0 for none).
fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    let mid = xs.len() / 2;
    match xs.len() {
        0 => 0.0,
        n if n.is_multiple_of(2) => (xs[mid - 1] + xs[mid]) / 2.0,
        _ => xs[mid],
    }
}

fn startup(opts: &Opts, art: &build::Artifacts, doc: &mut String) -> Result<()> {
    step("bench: start-up (process start → first response)");
    let greet = Shot::post_json("/greet", GREET_BODY.to_vec());
    let transform = Shot::post_json("/transform", b"[]".to_vec());
    type Starter = fn(&str, &Path, u16) -> Result<Service>;
    let w: Starter = servers::start_workerd;
    let v: Starter = servers::start_viceroy;
    let cases: [(&str, &str, Starter, &Path, &Shot, u16); 6] = [
        ("workerd", "anyedge", w, &art.cf_anyedge, &greet, 19121),
        ("workerd", "baseline", w, &art.cf_baseline, &greet, 19122),
        ("workerd", "plain JavaScript (/transform)", w, &art.js_plain, &transform, 19123),
        ("workerd", "Hono (/transform)", w, &art.js_hono, &transform, 19124),
        ("Viceroy", "anyedge", v, &art.fastly_anyedge, &greet, 19125),
        ("Viceroy", "baseline", v, &art.fastly_baseline, &greet, 19126),
    ];
    let mut times: Vec<Vec<f64>> = cases.iter().map(|_| Vec::new()).collect();
    for _ in 0..opts.startup_runs.max(1) {
        for (i, (_, app, start, path, shot, port)) in cases.iter().enumerate() {
            let svc = start(app, path, *port)?;
            let d = first_response(svc, servers::addr(*port), shot)?;
            times[i].push(d.as_secs_f64() * 1000.0);
            // Let the stopped process release its port and CPU.
            std::thread::sleep(Duration::from_millis(100));
        }
    }
    let _ = write!(
        doc,
        "### 4. Start-up\n\n\
         Process start to the first good response (median of {} interleaved runs): workerd \
         parses its config, compiles the JS and the wasm (V8) and instantiates it; Viceroy \
         compiles the wasm with wasmtime (Cranelift) before it listens. The first request \
         includes the upstream call (greet).\n\n\
         | runtime | app | first response ms | vs baseline |\n|---|---|---:|---:|\n",
        opts.startup_runs.max(1)
    );
    let medians: Vec<f64> = times.into_iter().map(median).collect();
    for (i, (runtime, app, ..)) in cases.iter().enumerate() {
        let base = if *runtime == "workerd" { medians[1] } else { medians[5] };
        let _ = writeln!(
            doc,
            "| {runtime} | {app} | {:.0} | {:.2}× |",
            medians[i],
            medians[i] / base.max(1e-9)
        );
    }

    // V8 compile + instantiate in Node: only the wasip1 modules (Node 20's
    // V8 rejects the exception-handling opcodes of the worker-build output).
    let node = util::output(
        util::cmd("node")
            .arg(root().join("benches/js/startup.mjs"))
            .arg((opts.startup_runs * 3).max(5).to_string())
            .arg(&art.fastly_anyedge)
            .arg(&art.fastly_baseline),
    );
    match node {
        Ok(text) => {
            let _ = write!(
                doc,
                "\nV8 (Node {}) `WebAssembly.compile` + instantiate (stub imports) of the Fastly \
                 modules, median of {} interleaved runs:\n\n\
                 | module | compile ms | instantiate ms |\n|---|---:|---:|\n",
                util::output(util::cmd("node").arg("--version")).unwrap_or_default().trim(),
                (opts.startup_runs * 3).max(5)
            );
            for (line, name) in text.lines().zip(["anyedge (Fastly)", "baseline (Fastly)"]) {
                let v: Value = serde_json::from_str(line).unwrap_or_default();
                let ms = |k: &str| {
                    v.get(k)
                        .and_then(Value::as_f64)
                        .map(|x| format!("{x:.2}"))
                        .unwrap_or_else(|| "-".into())
                };
                let _ =
                    writeln!(doc, "| {name} | {} | {} |", ms("compile_ms"), ms("instantiate_ms"));
            }
        }
        Err(e) => eprintln!("node start-up timing skipped: {e:#}"),
    }
    doc.push('\n');
    Ok(())
}

fn criterion(opts: &Opts, doc: &mut String) -> Result<()> {
    step("bench: native core (criterion, anyedge-core/benches/json.rs)");
    let mut c = cargo();
    c.args(["bench", "-p", "anyedge-core", "--bench", "json", "--"]);
    if opts.quick {
        c.arg("--quick");
    } else {
        c.args(["--warm-up-time", "1", "--measurement-time", "3"]);
    }
    // Criterion's report goes to stderr: stdout is for the tables.
    c.stdout(std::process::Stdio::from(std::io::stderr()));
    util::run(&mut c)?;
    let dir = root().join("target/criterion");
    let _ = write!(
        doc,
        "### 5. Native core (criterion)\n\n\
         `cargo bench -p anyedge-core --bench json`: `json::read` of a typed body from an \
         `http::Request` + `json::response`, against the floor of `serde_json::from_slice` + \
         `serde_json::to_vec` of the same bytes and types. MB/s of request bytes (mean).\n\n\
         | payload | anyedge MB/s | serde_json MB/s | anyedge / floor |\n|---|---:|---:|---:|\n"
    );
    for (group, label) in [
        ("json-greet", "greet body (14 B)"),
        ("json-100KB", "records, 100 KB"),
        ("json-1MB", "records, 1 MB"),
    ] {
        let a = mbps(&dir.join(group).join("anyedge"))?;
        let f = mbps(&dir.join(group).join("serde_json"))?;
        let _ = writeln!(doc, "| {label} | {a:.0} | {f:.0} | {:.2}× |", a / f.max(1e-9));
    }
    doc.push('\n');
    Ok(())
}

/// MB/s of a criterion benchmark from its `new/estimates.json` and
/// `new/benchmark.json` (throughput in bytes).
fn mbps(dir: &Path) -> Result<f64> {
    let read = |name: &str| -> Result<Value> {
        let p = dir.join("new").join(name);
        let text = std::fs::read_to_string(&p).with_context(|| format!("read {}", p.display()))?;
        Ok(serde_json::from_str(&text)?)
    };
    let ns = read("estimates.json")?
        .pointer("/mean/point_estimate")
        .and_then(Value::as_f64)
        .context("no mean in estimates.json")?;
    let bytes = read("benchmark.json")?
        .pointer("/throughput/Bytes")
        .and_then(Value::as_f64)
        .context("no byte throughput in benchmark.json")?;
    Ok(bytes / (ns / 1e9) / 1e6)
}
