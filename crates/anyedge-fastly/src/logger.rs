//! [`FastlyLogger`]: log lines to a Fastly log endpoint, or stderr.

use std::io::Write;

use anyedge_core::logging::{Level, Logger};
use anyedge_core::Config;
use fastly::log::Endpoint;

/// Writes `LEVEL target: message` lines, one message per write, to a log
/// endpoint, or to stderr without one (or when a write fails). Fastly shows
/// stderr in `fastly log-tail`; Viceroy prints both.
#[derive(Clone, Debug, Default)]
pub struct FastlyLogger {
    endpoint: Option<Endpoint>,
}

impl FastlyLogger {
    /// A logger to the endpoint config `LOG_ENDPOINT` names, else to stderr
    /// (with a warning when the name cannot be used).
    pub fn new(config: &impl Config) -> Self {
        let Some(name) = config.var("LOG_ENDPOINT") else {
            return Self::default();
        };
        let endpoint = Endpoint::try_from_name(name.trim()).map_err(|e| {
            eprintln!("WARN anyedge: LOG_ENDPOINT cannot be used ({e}); logging to stderr");
        });
        FastlyLogger { endpoint: endpoint.ok() }
    }

    /// The endpoint's name, or `None` for stderr.
    pub fn endpoint_name(&self) -> Option<&str> {
        self.endpoint.as_ref().map(Endpoint::name)
    }
}

impl Logger for FastlyLogger {
    fn log(&self, level: Level, target: &str, message: &str) {
        let line = format!("{level} {target}: {message}");
        if let Some(mut endpoint) = self.endpoint.clone() {
            if endpoint.write_all(line.as_bytes()).is_ok() {
                return;
            }
        }
        eprintln!("{line}");
    }
}
