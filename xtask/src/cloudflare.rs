//! Cloudflare Workers (`anyedge-cloudflare`) end to end on workerd, through
//! `wrangler dev`.
//!
//! `prepare` installs worker-build and wasm-bindgen-cli at pinned versions,
//! runs the adapter's wasm-bindgen tests under Node, builds the custom-router
//! example, builds the reference Worker through the root `wrangler.toml`
//! (`wrangler deploy --dry-run`, offline), prints its sizes, and builds the
//! e2e variant (feature `test-routes`). `serve` starts `wrangler dev` on that
//! variant with the e2e config (vars, and the secret in a generated
//! `.dev.vars`).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{bail, Context, Result};

use crate::conformance::{ADMIN_CANARY, CANARY, CORS_ORIGINS};
use crate::util::{self, cargo, cmd, npm_bin, root, run, step, Service};
use crate::{Runtime, REFUSED_URL, UPSTREAM_ADDR};

/// worker-build, pinned.
const WORKER_BUILD_VERSION: &str = "0.8.7";
/// wasm-bindgen-cli, pinned: must equal the `wasm-bindgen` in Cargo.lock.
const WASM_BINDGEN_VERSION: &str = "0.2.130";
/// Must match `compatibility_date` in the root `wrangler.toml`.
pub(crate) const COMPATIBILITY_DATE: &str = "2026-04-01";

pub(crate) struct Cloudflare;

impl Runtime for Cloudflare {
    fn name(&self) -> &'static str {
        "workerd"
    }

    fn addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], 18788))
    }

    fn prepare(&self) -> Result<()> {
        util::ensure_targets()?;
        util::ensure_npm()?;
        check_lock_pin()?;
        let tools = Tools::ensure()?;

        step("anyedge-cloudflare: host tests and wasm-bindgen tests (Node)");
        run(cargo().args(["test", "--quiet", "-p", "anyedge-cloudflare"]))?;
        run(cargo()
            .args([
                "test",
                "-p",
                "anyedge-cloudflare",
                "--lib",
                "--target",
                "wasm32-unknown-unknown",
            ])
            .env("CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER", &tools.test_runner))?;

        step("examples/cloudflare-custom: its own router through anyedge_cloudflare::serve");
        tools.worker_build("examples/cloudflare-custom", &out_dir("custom"), &[])?;
        report_size("cloudflare-custom", &out_dir("custom"))?;

        step("reference Worker: wrangler deploy --dry-run (builds with wrangler.toml's [build])");
        let dry_run = out_dir("dry-run");
        run(wrangler(&tools).args([
            "deploy",
            "--dry-run",
            "--outdir",
            &dry_run.to_string_lossy(),
        ]))?;
        report_size("reference Worker", &root().join("build"))?;

        step("reference Worker for e2e (feature test-routes)");
        tools.worker_build(
            "examples/reference/worker",
            &out_dir("e2e"),
            &["--features", "test-routes"],
        )
    }

    fn serve(&self) -> Result<Service> {
        let config = write_e2e_config()?;
        wrangler_dev("wrangler dev", &config, self.addr(), &out_dir("state"))
    }
}

/// Starts `wrangler dev` (offline, info logs) on `addr` with a config whose
/// Worker is already built, and waits until it listens.
pub(crate) fn wrangler_dev(
    name: &str,
    config: &Path,
    addr: SocketAddr,
    state: &Path,
) -> Result<Service> {
    let mut svc = Service::start(
        name,
        cmd(npm_bin("wrangler"))
            .args(["dev", "--config"])
            .arg(config)
            .args(["--ip", "127.0.0.1", "--port", &addr.port().to_string()])
            .args(["--persist-to"])
            .arg(state)
            .args(["--show-interactive-dev-session=false", "--log-level", "info"])
            .envs(offline_env()),
    )?;
    util::wait_for_port(&mut svc, addr, Duration::from_secs(120))?;
    Ok(svc)
}

/// Where the Cloudflare jobs write (ignored by git).
fn out_dir(name: &str) -> PathBuf {
    root().join("target/cloudflare").join(name)
}

/// Environment that keeps wrangler offline and quiet.
fn offline_env() -> [(&'static str, &'static str); 3] {
    [("CI", "true"), ("WRANGLER_SEND_METRICS", "false"), ("CLOUDFLARE_CF_FETCH_ENABLED", "false")]
}

/// `wrangler` from node_modules, offline, with the pinned tools on `PATH`-free env vars.
fn wrangler(tools: &Tools) -> Command {
    let mut c = cmd(npm_bin("wrangler"));
    c.envs(offline_env());
    tools.apply_env(&mut c);
    c
}

/// The pinned tools worker-build runs instead of downloading them.
pub(crate) struct Tools {
    worker_build: PathBuf,
    wasm_bindgen: PathBuf,
    test_runner: PathBuf,
}

impl Tools {
    pub(crate) fn ensure() -> Result<Tools> {
        let wasm_bindgen = util::ensure_cargo_tool(
            "wasm-bindgen",
            "wasm-bindgen-cli",
            WASM_BINDGEN_VERSION,
            // `--locked` fails for wasm-bindgen-cli 0.2.130 (a yanked lock entry).
            false,
        )?;
        let worker_build = match util::ensure_cargo_tool(
            "worker-build",
            "worker-build",
            WORKER_BUILD_VERSION,
            true,
        ) {
            Ok(path) => path,
            Err(e) => {
                eprintln!("worker-build --locked failed ({e:#}); retrying without --locked");
                util::ensure_cargo_tool(
                    "worker-build",
                    "worker-build",
                    WORKER_BUILD_VERSION,
                    false,
                )?
            }
        };
        let test_runner = wasm_bindgen.with_file_name("wasm-bindgen-test-runner");
        if !test_runner.exists() {
            bail!(
                "{} is missing; reinstall wasm-bindgen-cli {WASM_BINDGEN_VERSION}",
                test_runner.display()
            );
        }
        for bin in [npm_bin("wasm-opt"), npm_bin("esbuild"), npm_bin("wrangler")] {
            if !bin.exists() {
                bail!("{} is missing; run `npm ci`", bin.display());
            }
        }
        Ok(Tools { worker_build, wasm_bindgen, test_runner })
    }

    /// The variables that make worker-build use local tools (it downloads them otherwise).
    fn apply_env(&self, c: &mut Command) {
        c.env("WASM_BINDGEN_BIN", &self.wasm_bindgen)
            .env("WASM_OPT_BIN", npm_bin("wasm-opt"))
            .env("ESBUILD_BIN", npm_bin("esbuild"))
            .env("PATH", path_with_cargo_bin(&self.worker_build));
    }

    /// `worker-build --release` of `krate` into `out` (absolute), with extra cargo args.
    pub(crate) fn worker_build(&self, krate: &str, out: &Path, cargo_args: &[&str]) -> Result<()> {
        let mut c = cmd(&self.worker_build);
        self.apply_env(&mut c);
        c.args(["--release", "--out-dir"]).arg(out).arg(root().join(krate)).args(cargo_args);
        run(&mut c)
    }
}

/// `PATH` with the directory of `bin` first (for the `[build]` command).
fn path_with_cargo_bin(bin: &Path) -> std::ffi::OsString {
    let mut paths: Vec<PathBuf> = bin.parent().map(Path::to_path_buf).into_iter().collect();
    if let Some(path) = std::env::var_os("PATH") {
        paths.extend(std::env::split_paths(&path));
    }
    std::env::join_paths(paths).unwrap_or_default()
}

/// Fails unless Cargo.lock resolves wasm-bindgen to the pinned CLI version:
/// worker-build refuses (or, worse, mis-generates) on a mismatch.
fn check_lock_pin() -> Result<()> {
    let lock = std::fs::read_to_string(root().join("Cargo.lock")).context("read Cargo.lock")?;
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line == "name = \"wasm-bindgen\"" {
            let version = lines.next().unwrap_or("");
            let want = format!("version = \"{WASM_BINDGEN_VERSION}\"");
            if version != want {
                bail!(
                    "Cargo.lock has wasm-bindgen {version}, but xtask pins wasm-bindgen-cli \
                     {WASM_BINDGEN_VERSION}; keep them equal (workspace Cargo.toml pins `=`)"
                );
            }
            return Ok(());
        }
    }
    bail!("wasm-bindgen is not in Cargo.lock")
}

/// Prints the size of the Worker's wasm after wasm-opt, raw and gzip.
fn report_size(what: &str, dir: &Path) -> Result<()> {
    let wasm = dir.join("index_bg.wasm");
    let raw = std::fs::read(&wasm).with_context(|| format!("read {}", wasm.display()))?;
    let gz = Command::new("gzip").args(["-9", "-c"]).arg(&wasm).output().context("run gzip")?;
    if !gz.status.success() {
        bail!("gzip {} failed", wasm.display());
    }
    eprintln!(
        "{what}: wasm {} bytes ({:.1} KiB), gzip -9 {} bytes ({:.1} KiB)",
        raw.len(),
        raw.len() as f64 / 1024.0,
        gz.stdout.len(),
        gz.stdout.len() as f64 / 1024.0
    );
    Ok(())
}

/// A wrangler config next to the e2e build: its vars point at the test
/// upstream, and its `.dev.vars` (the local secrets file) holds `API_TOKEN`.
fn write_e2e_config() -> Result<PathBuf> {
    let dir = out_dir("e2e-config");
    std::fs::create_dir_all(&dir)?;
    let main = out_dir("e2e").join("index.js");
    if !main.exists() {
        bail!("{} is missing; run prepare first", main.display());
    }
    let config = format!(
        "# Generated by `cargo xtask` for the end-to-end run; not for editing.\n\
         name = \"anyedge-e2e\"\n\
         main = \"{}\"\n\
         compatibility_date = \"{COMPATIBILITY_DATE}\"\n\n\
         [vars]\n\
         API_URL = \"http://{UPSTREAM_ADDR}/hello\"\n\
         ITEMS_URL = \"http://{UPSTREAM_ADDR}/items\"\n\
         DATA_URL = \"http://{UPSTREAM_ADDR}\"\n\
         REFUSED_URL = \"{REFUSED_URL}\"\n\
         UPSTREAM_TIMEOUT_MS = \"2000\"\n\
         CORS_ORIGINS = \"{CORS_ORIGINS}\"\n",
        main.display()
    );
    let path = dir.join("wrangler.toml");
    std::fs::write(&path, config)?;
    std::fs::write(
        dir.join(".dev.vars"),
        format!("API_TOKEN={CANARY}\nADMIN_TOKEN={ADMIN_CANARY}\n"),
    )?;
    Ok(path)
}
