//! Embeds the routes file named by `ANYEDGE_ROUTES` (feature `transform`).
//!
//! The workspace's `.cargo/config.toml` sets `ANYEDGE_ROUTES` to the root
//! `anyedge.toml`. Without it (e.g. `cargo package`, or a crate that uses
//! anyedge-core from crates.io without declaring routes) the embedded file
//! is empty: no configured routes.

use std::path::{Path, PathBuf};

fn main() {
    println!("cargo:rerun-if-env-changed=ANYEDGE_ROUTES");
    let out =
        PathBuf::from(std::env::var_os("OUT_DIR").unwrap_or_default()).join("anyedge-routes.toml");
    let (name, text) = match std::env::var_os("ANYEDGE_ROUTES") {
        Some(path) if !path.is_empty() => {
            let path = PathBuf::from(path);
            println!("cargo:rerun-if-changed={}", path.display());
            let text = match std::fs::read_to_string(&path) {
                Ok(text) => text,
                Err(e) => {
                    eprintln!("ANYEDGE_ROUTES={}: {e}", path.display());
                    std::process::exit(1);
                }
            };
            let name = Path::new(&path)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| "routes".into());
            (name, text)
        }
        _ => ("(no routes file)".to_owned(), String::new()),
    };
    if let Err(e) = std::fs::write(&out, text) {
        println!("cargo:warning=cannot write {}: {e}", out.display());
    }
    println!("cargo:rustc-env=ANYEDGE_ROUTES_NAME={name}");
}
