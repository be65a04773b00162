//! Fastly Compute (`anyedge-fastly`) end to end, in Viceroy.
//!
//! `prepare` installs Viceroy (pinned) and the Fastly CLI (npm), writes test
//! copies of `fastly.toml` into `target/fastly/` (upstream on
//! [`UPSTREAM_ADDR`] for `serve`, on [`ADAPTER_UPSTREAM`] for the adapter
//! tests; the canary secret), runs the adapter's tests on `wasm32-wasip1` with `viceroy run` as cargo's
//! runner, builds the custom example, builds the release wasm, packs and
//! validates it with the Fastly CLI, and prints its size. `serve` runs
//! `viceroy serve` on the release wasm.

use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{bail, Context, Result};

use crate::conformance::{ADMIN_CANARY, CANARY, CORS_ORIGINS};
use crate::util::{self, cargo, cmd, root, run, step, Service};
use crate::{Runtime, REFUSED_URL, UPSTREAM_ADDR};

/// Viceroy, the local Fastly Compute runtime, pinned.
pub(crate) const VICEROY_VERSION: &str = "0.22.0";

/// The demo upstream `fastly.toml` points at (the README's `cargo run` story).
const DEMO_UPSTREAM: &str = "127.0.0.1:8788";

/// The local secret in `fastly.toml`, replaced in the test copy.
const DEMO_TOKEN: &str = "local-dev-token";

/// The admin token and CORS origins in the root `fastly.toml`, replaced by
/// the end-to-end values in the copy.
const DEMO_ADMIN_TOKEN: &str = "local-admin-token";
const DEMO_CORS_ORIGINS: &str = "CORS_ORIGINS = \"http://localhost:3000\"";

/// Where the adapter tests' own upstream listens: not [`UPSTREAM_ADDR`], so
/// they do not collide with an end-to-end run of another runtime.
const ADAPTER_UPSTREAM: &str = "127.0.0.1:18090";

/// Release build of the reference app.
const WASM: &str = "target/wasm32-wasip1/release/anyedge-reference-fastly.wasm";

/// The release build with the `test-routes` feature, copied aside for `serve`.
const E2E_WASM: &str = "target/fastly/anyedge-reference-fastly-test-routes.wasm";

pub(crate) struct Fastly;

impl Runtime for Fastly {
    fn name(&self) -> &'static str {
        "viceroy"
    }

    fn addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], 18789))
    }

    fn prepare(&self) -> Result<()> {
        util::ensure_targets()?;
        let viceroy = util::ensure_cargo_tool("viceroy", "viceroy", VICEROY_VERSION, true)?;
        util::ensure_npm()?;
        write_manifest("fastly.toml", UPSTREAM_ADDR)?;
        let adapter_config = write_manifest("adapter-tests.toml", ADAPTER_UPSTREAM)?;

        step("anyedge-fastly adapter tests (wasm32-wasip1, viceroy run)");
        adapter_tests(&viceroy, &adapter_config)?;

        step("examples/fastly-custom (host tests, wasm32-wasip1 build)");
        let example = root().join("examples/fastly-custom");
        let example_target = root().join("target/fastly-custom");
        run(cargo()
            .current_dir(&example)
            .env("CARGO_TARGET_DIR", &example_target)
            .args(["test", "--quiet"]))?;
        run(cargo().current_dir(&example).env("CARGO_TARGET_DIR", &example_target).args([
            "build",
            "--quiet",
            "--release",
            "--target",
            "wasm32-wasip1",
        ]))?;

        step("reference app's Fastly wasm with test routes (for serve)");
        build_release(&["--features", "test-routes"])?;
        std::fs::copy(root().join(WASM), root().join(E2E_WASM))?;

        step("reference app's Fastly wasm");
        build_release(&[])?;
        let wasm = root().join(WASM);
        print_size(&wasm)?;

        step("fastly compute pack + validate");
        pack_and_validate(&wasm)
    }

    fn serve(&self) -> Result<Service> {
        let config = test_dir().join("fastly.toml");
        if !config.exists() {
            bail!("{} is missing: run prepare first", config.display());
        }
        Service::start(
            "viceroy",
            cmd(util::cargo_bin("viceroy"))
                .arg("serve")
                .arg("-C")
                .arg(&config)
                .arg("--addr")
                .arg(self.addr().to_string())
                .arg(root().join(E2E_WASM)),
        )
    }
}

/// `target/fastly`: generated manifests and the package.
fn test_dir() -> PathBuf {
    root().join("target/fastly")
}

/// Writes `target/fastly/{name}`: the root manifest with the upstream moved
/// to `upstream`, the canary secret, and config `REFUSED_URL` mapped to a
/// backend `refused` on [`REFUSED_URL`], where nothing listens.
fn write_manifest(name: &str, upstream: &str) -> Result<PathBuf> {
    let source = root().join("fastly.toml");
    let text =
        std::fs::read_to_string(&source).with_context(|| format!("read {}", source.display()))?;
    for needle in [DEMO_UPSTREAM, DEMO_TOKEN, DEMO_ADMIN_TOKEN, DEMO_CORS_ORIGINS] {
        if !text.contains(needle) {
            bail!(
                "{} no longer contains `{needle}`: update xtask/src/fastly.rs to match",
                source.display()
            );
        }
    }
    let refused_origin = REFUSED_URL.trim_end_matches('/');
    let backends = format!("BACKENDS = \"http://{DEMO_UPSTREAM}=origin\"");
    if !text.contains(&backends) {
        bail!("{} no longer contains `{backends}`", source.display());
    }
    let mut text = text
        .replace(
            &backends,
            &format!(
                "BACKENDS = \"http://{DEMO_UPSTREAM}=origin {refused_origin}=refused\"\n\
                 REFUSED_URL = \"{REFUSED_URL}\""
            ),
        )
        .replace(DEMO_UPSTREAM, upstream)
        .replace(DEMO_TOKEN, CANARY)
        .replace(DEMO_ADMIN_TOKEN, ADMIN_CANARY)
        .replace(DEMO_CORS_ORIGINS, &format!("CORS_ORIGINS = \"{CORS_ORIGINS}\""));
    text.push_str(&format!(
        "\n# Added by xtask: a backend nothing listens on.\n\
         [local_server.backends.refused]\nurl = \"{refused_origin}\"\n"
    ));
    let dir = test_dir();
    std::fs::create_dir_all(&dir)?;
    let path = dir.join(name);
    std::fs::write(&path, text)?;
    eprintln!("wrote {}", path.display());
    Ok(path)
}

/// Runs `cargo test -p anyedge-fastly --target wasm32-wasip1` with Viceroy
/// as the runner, the test upstream up (in this process) on [`ADAPTER_UPSTREAM`].
fn adapter_tests(viceroy: &Path, config: &Path) -> Result<()> {
    crate::start_upstream(ADAPTER_UPSTREAM)?;
    let runner = format!("{} run -C {} --", viceroy.display(), config.display());
    run(cargo().env("CARGO_TARGET_WASM32_WASIP1_RUNNER", runner).args([
        "test",
        "-p",
        "anyedge-fastly",
        "--target",
        "wasm32-wasip1",
    ]))
}

/// Prints the size of `wasm`, raw and gzip -9.
fn print_size(wasm: &Path) -> Result<()> {
    let raw =
        std::fs::metadata(wasm).with_context(|| format!("{} was not built", wasm.display()))?.len();
    let gz = Command::new("gzip")
        .args(["-9", "-c"])
        .arg(wasm)
        .stderr(Stdio::inherit())
        .output()
        .context("could not run gzip")?;
    if !gz.status.success() {
        bail!("gzip failed with {}", gz.status);
    }
    let line = format!(
        "anyedge-reference-fastly.wasm: {} bytes raw ({:.1} KiB), {} bytes gzip -9 ({:.1} KiB)",
        raw,
        raw as f64 / 1024.0,
        gz.stdout.len(),
        gz.stdout.len() as f64 / 1024.0
    );
    let _ = writeln!(std::io::stderr(), "{line}");
    Ok(())
}

/// `fastly compute pack` then `fastly compute validate`, offline, in
/// `target/fastly/pack` (so `pkg/` stays out of the tree).
fn pack_and_validate(wasm: &Path) -> Result<()> {
    let dir = test_dir().join("pack");
    if dir.exists() {
        std::fs::remove_dir_all(&dir)?;
    }
    std::fs::create_dir_all(&dir)?;
    std::fs::copy(root().join("fastly.toml"), dir.join("fastly.toml"))?;
    let fastly = util::npm_bin("fastly");
    run(cmd(&fastly)
        .current_dir(&dir)
        .env("FASTLY_CHECK_UPDATE", "false")
        .args(["compute", "pack", "--non-interactive", "--wasm-binary"])
        .arg(wasm))?;
    let package = dir.join("pkg/anyedge.tar.gz");
    run(cmd(&fastly)
        .current_dir(&dir)
        .env("FASTLY_CHECK_UPDATE", "false")
        .args(["compute", "validate", "--non-interactive", "-p"])
        .arg(&package))
}

/// The reference app's Fastly binary, `--release --target wasm32-wasip1`, with `extra` args.
fn build_release(extra: &[&str]) -> Result<()> {
    run(cargo()
        .args([
            "build",
            "--quiet",
            "--release",
            "--target",
            "wasm32-wasip1",
            "-p",
            "anyedge-reference",
            "--bin",
            "anyedge-reference-fastly",
        ])
        .args(extra))
}
