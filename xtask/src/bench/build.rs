//! Builds everything the bench measures, release profile, into `target/bench`.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

use crate::cloudflare::Tools;
use crate::util::{self, cargo, cmd, npm_bin, root, run, step};

/// What the bench runs and weighs.
pub(crate) struct Artifacts {
    /// worker-build output (`index.js` + `index_bg.wasm`) of
    /// `benches/anyedge-cloudflare-greet`: the reference app's `POST /greet`
    /// alone (the baselines' behaviour).
    pub(crate) cf_anyedge: PathBuf,
    /// worker-build output of the reference app (health, greet, items)
    /// without the transform routes.
    pub(crate) cf_anyedge_reference: PathBuf,
    /// The reference Worker as shipped (default features: with the
    /// jq transform routes).
    pub(crate) cf_anyedge_full: PathBuf,
    /// worker-build output of `benches/baseline-cloudflare` (web_sys types).
    pub(crate) cf_baseline: PathBuf,
    /// worker-build output of `benches/baseline-cloudflare-http` (`worker`'s
    /// `http` feature: http 1.x types).
    pub(crate) cf_baseline_http: PathBuf,
    /// worker-build output of `benches/anyedge-transform`.
    pub(crate) cf_transform: PathBuf,
    /// `index.js` of the plain JavaScript Worker.
    pub(crate) js_plain: PathBuf,
    /// `index.js` of the Hono Worker (bundled).
    pub(crate) js_hono: PathBuf,
    /// The reference app's `POST /greet` alone on Fastly
    /// (`benches/anyedge-fastly-greet`).
    pub(crate) fastly_anyedge: PathBuf,
    /// The reference app's Fastly binary (health, greet, items) without the
    /// transform routes.
    pub(crate) fastly_anyedge_reference: PathBuf,
    /// The reference app's Fastly binary as shipped (with the transform routes).
    pub(crate) fastly_anyedge_full: PathBuf,
    /// `benches/baseline-fastly`.
    pub(crate) fastly_baseline: PathBuf,
}

/// `target/bench/{name}`.
pub(crate) fn out(name: &str) -> PathBuf {
    root().join("target/bench").join(name)
}

/// Builds every artifact (cargo and worker-build skip what is up to date).
pub(crate) fn all() -> Result<Artifacts> {
    util::ensure_targets()?;
    util::ensure_npm()?;
    check_profiles()?;
    let tools = Tools::ensure()?;
    util::ensure_cargo_tool("viceroy", "viceroy", crate::fastly::VICEROY_VERSION, true)?;

    step("bench: Cloudflare builds (worker-build --release, wasm-opt)");
    let cf_anyedge = out("cf-anyedge");
    tools.worker_build("benches/anyedge-cloudflare-greet", &cf_anyedge, &[])?;
    let cf_anyedge_reference = out("cf-anyedge-reference");
    tools.worker_build(
        "examples/reference/worker",
        &cf_anyedge_reference,
        &["--no-default-features"],
    )?;
    let cf_anyedge_full = out("cf-anyedge-full");
    tools.worker_build("examples/reference/worker", &cf_anyedge_full, &[])?;
    let cf_baseline = out("cf-baseline");
    tools.worker_build("benches/baseline-cloudflare", &cf_baseline, &[])?;
    let cf_baseline_http = out("cf-baseline-http");
    tools.worker_build("benches/baseline-cloudflare-http", &cf_baseline_http, &[])?;
    let cf_transform = out("cf-transform");
    tools.worker_build("benches/anyedge-transform", &cf_transform, &[])?;

    step("bench: JavaScript Workers (plain, Hono bundled with esbuild)");
    let js_plain = out("js-plain");
    std::fs::create_dir_all(&js_plain)?;
    std::fs::copy(root().join("benches/js/plain.js"), js_plain.join("index.js"))?;
    let js_hono = out("js-hono");
    std::fs::create_dir_all(&js_hono)?;
    run(cmd(npm_bin("esbuild"))
        .arg(root().join("benches/js/hono.js"))
        .args(["--bundle", "--format=esm", "--platform=neutral", "--minify", "--log-level=warning"])
        .arg(format!("--outfile={}", js_hono.join("index.js").display())))?;

    step("bench: Fastly builds (wasm32-wasip1, release)");
    std::fs::create_dir_all(out(""))?;
    let fastly_anyedge_full = out("fastly-anyedge-full.wasm");
    fastly_reference_app(&[], &fastly_anyedge_full)?;
    let fastly_anyedge_reference = out("fastly-anyedge-reference.wasm");
    fastly_reference_app(&["--no-default-features"], &fastly_anyedge_reference)?;
    let fastly_anyedge = fastly_bench_crate("anyedge-fastly-greet", "anyedge-fastly-greet")?;
    let fastly_baseline = fastly_bench_crate("baseline-fastly", "baseline-fastly")?;

    Ok(Artifacts {
        cf_anyedge,
        cf_anyedge_reference,
        cf_anyedge_full,
        cf_baseline,
        cf_baseline_http,
        cf_transform,
        js_plain,
        js_hono,
        fastly_anyedge,
        fastly_anyedge_reference,
        fastly_anyedge_full,
        fastly_baseline,
    })
}

/// Builds `benches/{krate}` (its own workspace) for wasm32-wasip1 and
/// copies its binary `bin` to `target/bench/{bin}.wasm`.
fn fastly_bench_crate(krate: &str, bin: &str) -> Result<PathBuf> {
    let dir = root().join("benches").join(krate);
    run(cargo()
        .args(["build", "--quiet", "--release", "--target", "wasm32-wasip1"])
        .arg("--manifest-path")
        .arg(dir.join("Cargo.toml")))?;
    let wasm = out(&format!("{bin}.wasm"));
    std::fs::copy(
        cargo_target(&dir.join("target")).join(format!("wasm32-wasip1/release/{bin}.wasm")),
        &wasm,
    )?;
    Ok(wasm)
}

/// `CARGO_TARGET_DIR` when set (an experiment with another profile, say),
/// else `default`.
fn cargo_target(default: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|| default.to_owned())
}

/// The `[profile.release]` table of a manifest, as text.
fn release_profile(manifest: &Path) -> Result<String> {
    let text = std::fs::read_to_string(manifest)
        .with_context(|| format!("read {}", manifest.display()))?;
    let mut lines = text.lines().skip_while(|l| l.trim() != "[profile.release]");
    let mut table = String::new();
    if let Some(head) = lines.next() {
        table.push_str(head);
        table.push('\n');
    }
    for l in lines {
        if l.trim_start().starts_with('[') {
            break;
        }
        if !l.trim().is_empty() && !l.trim_start().starts_with('#') {
            table.push_str(l.trim());
            table.push('\n');
        }
    }
    Ok(table)
}

/// Builds the reference app's Fastly binary with `features` and copies it to `to`.
fn fastly_reference_app(features: &[&str], to: &Path) -> Result<()> {
    run(cargo()
        .args(["build", "--quiet", "--release", "--target", "wasm32-wasip1"])
        .args(["-p", "anyedge-reference", "--bin", "anyedge-reference-fastly"])
        .args(features))?;
    let built = cargo_target(&root().join("target"))
        .join("wasm32-wasip1/release/anyedge-reference-fastly.wasm");
    std::fs::copy(&built, to).with_context(|| format!("copy {}", built.display()))?;
    Ok(())
}

/// Fails unless every bench crate (its own workspace) has the root's release profile.
fn check_profiles() -> Result<()> {
    let want = release_profile(&root().join("Cargo.toml"))?;
    for krate in [
        "baseline-cloudflare",
        "baseline-cloudflare-http",
        "baseline-fastly",
        "anyedge-cloudflare-greet",
        "anyedge-fastly-greet",
        "anyedge-transform",
    ] {
        let manifest = root().join("benches").join(krate).join("Cargo.toml");
        let got = release_profile(&manifest)?;
        if got != want {
            bail!(
                "{} has a different [profile.release] than the root Cargo.toml; keep them equal:\n{want}",
                manifest.display()
            );
        }
    }
    Ok(())
}

/// Size of `path` and of its `gzip -9`, in bytes.
pub(crate) fn sizes(path: &Path) -> Result<(u64, u64)> {
    let raw =
        std::fs::metadata(path).with_context(|| format!("{} was not built", path.display()))?.len();
    let gz = cmd("gzip").args(["-9", "-c"]).arg(path).output().context("run gzip")?;
    if !gz.status.success() {
        bail!("gzip {} failed", path.display());
    }
    Ok((raw, gz.stdout.len() as u64))
}
