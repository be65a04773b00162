//! Helpers shared by every xtask job: running commands, installing pinned
//! tools, services that stop when dropped, waiting for ports.

use std::ffi::OsStr;
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

/// The workspace root.
pub(crate) fn root() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().map(Path::to_path_buf).unwrap_or(manifest)
}

/// Prints a step heading.
pub(crate) fn step(title: &str) {
    eprintln!("\n==> {title}");
}

/// A command run from the workspace root.
pub(crate) fn cmd(program: impl AsRef<OsStr>) -> Command {
    let mut c = Command::new(program);
    c.current_dir(root());
    c
}

/// `cargo` as the one running xtask (respects `CARGO`).
pub(crate) fn cargo() -> Command {
    cmd(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
}

/// Runs `c`, echoing it; fails on a non-zero exit.
pub(crate) fn run(c: &mut Command) -> Result<()> {
    eprintln!("$ {}", show(c));
    let status = c.status().with_context(|| format!("could not start `{}`", show(c)))?;
    if !status.success() {
        bail!("`{}` failed with {status}", show(c));
    }
    Ok(())
}

/// Runs `c` and returns its stdout; fails on a non-zero exit.
pub(crate) fn output(c: &mut Command) -> Result<String> {
    let out = c
        .stderr(Stdio::inherit())
        .output()
        .with_context(|| format!("could not start `{}`", show(c)))?;
    if !out.status.success() {
        bail!("`{}` failed with {}", show(c), out.status);
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn show(c: &Command) -> String {
    let mut s = c.get_program().to_string_lossy().into_owned();
    for a in c.get_args() {
        s.push(' ');
        s.push_str(&a.to_string_lossy());
    }
    s
}

/// True when `program --version` runs and prints `version`.
pub(crate) fn has_version(program: impl AsRef<OsStr>, version: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .output()
        .map(|o| o.status.success() && String::from_utf8_lossy(&o.stdout).contains(version))
        .unwrap_or(false)
}

/// Where `cargo install` puts binaries.
pub(crate) fn cargo_bin(name: &str) -> PathBuf {
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .unwrap_or_else(|| PathBuf::from(".cargo"));
    home.join("bin").join(name)
}

/// Installs `krate` at exactly `version` with `cargo install` unless `bin`
/// already reports that version. Returns the binary's path.
pub(crate) fn ensure_cargo_tool(
    bin: &str,
    krate: &str,
    version: &str,
    locked: bool,
) -> Result<PathBuf> {
    let path = cargo_bin(bin);
    if has_version(&path, version) {
        eprintln!("{bin} {version}: present");
        return Ok(path);
    }
    step(&format!("installing {krate} {version} (cargo install)"));
    let mut c = cargo();
    c.args(["install", krate, "--version", &format!("={version}")]);
    if locked {
        c.arg("--locked");
    }
    run(&mut c)?;
    Ok(path)
}

/// Adds the rustup targets anyedge builds for.
pub(crate) fn ensure_targets() -> Result<()> {
    let installed = output(cmd("rustup").args(["target", "list", "--installed"]))?;
    let missing: Vec<&str> = ["wasm32-unknown-unknown", "wasm32-wasip1", "wasm32-wasip2"]
        .into_iter()
        .filter(|t| !installed.lines().any(|l| l.trim() == *t))
        .collect();
    if !missing.is_empty() {
        run(cmd("rustup").args(["target", "add"]).args(&missing))?;
    }
    Ok(())
}

/// Runs `npm ci` unless `node_modules` is newer than `package-lock.json`.
pub(crate) fn ensure_npm() -> Result<()> {
    let root = root();
    let stamp = root.join("node_modules/.package-lock.json");
    let lock = root.join("package-lock.json");
    let fresh = match (std::fs::metadata(&stamp), std::fs::metadata(&lock)) {
        (Ok(s), Ok(l)) => s.modified()? >= l.modified()?,
        _ => false,
    };
    if fresh {
        eprintln!("node_modules: up to date");
        return Ok(());
    }
    run(cmd("npm").args(["ci", "--no-audit", "--no-fund"]))
}

/// A path under `node_modules/.bin`.
pub(crate) fn npm_bin(name: &str) -> PathBuf {
    root().join("node_modules/.bin").join(name)
}

/// A child process that is killed (with its process group) when dropped.
pub(crate) struct Service {
    name: String,
    child: Child,
    log: PathBuf,
}

impl Service {
    /// Starts `c` in its own process group, so that dropping the service also
    /// stops what it started (wrangler's workerd, for instance). Its stdout
    /// and stderr go to `target/e2e-logs/<name>.log`.
    pub(crate) fn start(name: &str, c: &mut Command) -> Result<Service> {
        use std::os::unix::process::CommandExt;
        let dir = root().join("target/e2e-logs");
        std::fs::create_dir_all(&dir)?;
        let file_name: String =
            name.chars().map(|ch| if ch.is_ascii_alphanumeric() { ch } else { '-' }).collect();
        let log = dir.join(format!("{file_name}.log"));
        let out = std::fs::File::create(&log)?;
        eprintln!("$ {} &    (output: {})", show(c), log.display());
        c.process_group(0).stdin(Stdio::null()).stdout(out.try_clone()?).stderr(out);
        let child = c.spawn().with_context(|| format!("could not start {name}: `{}`", show(c)))?;
        Ok(Service { name: name.to_owned(), child, log })
    }

    /// Its process id (also its process group's).
    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Where its output goes.
    pub(crate) fn log_path(&self) -> &Path {
        &self.log
    }

    /// Fails if the process has already exited.
    pub(crate) fn check_alive(&mut self) -> Result<()> {
        if let Some(status) = self.child.try_wait()? {
            let log = std::fs::read_to_string(&self.log).unwrap_or_default();
            let tail: Vec<&str> = log.lines().rev().take(30).collect();
            let tail: Vec<&str> = tail.into_iter().rev().collect();
            bail!(
                "{} exited early with {status}; last lines of {}:\n{}",
                self.name,
                self.log.display(),
                tail.join("\n")
            );
        }
        Ok(())
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        let pid = self.child.id();
        // Stop the whole group: SIGTERM, then SIGKILL.
        signal_group("TERM", pid);
        let deadline = Instant::now() + Duration::from_secs(3);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        signal_group("KILL", pid);
        let _ = self.child.wait();
    }
}

/// Sends `signal` to process group `pgid` with bash's builtin `kill`.
/// (Debian 12's procps 4.0.2 `/usr/bin/kill -SIG -PGID` signals every
/// process of the user instead of the group.)
fn signal_group(signal: &str, pgid: u32) {
    if pgid > 1 {
        let _ = Command::new("bash")
            .args(["-c", &format!("kill -s {signal} -- -{pgid} 2>/dev/null")])
            .status();
    }
}

/// Waits until `addr` accepts TCP connections, failing after `timeout` or if
/// `service` exits first.
pub(crate) fn wait_for_port(
    service: &mut Service,
    addr: SocketAddr,
    timeout: Duration,
) -> Result<()> {
    let deadline = Instant::now() + timeout;
    loop {
        service.check_alive()?;
        if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("{} did not listen on {addr} within {timeout:?}", service.name);
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Fails if something already listens on `addr` (a stale server would
/// answer in place of the one under test).
pub(crate) fn ensure_free(addr: SocketAddr) -> Result<()> {
    if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
        bail!("{addr} is already in use; stop whatever listens there and run again");
    }
    Ok(())
}
