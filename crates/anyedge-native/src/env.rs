//! [`EnvConfig`] and [`StderrLogger`]: config from the process environment,
//! logs to stderr.

use std::collections::HashMap;

use anyedge_core::config::{Config, Secret};
use anyedge_core::logging::{Level, Logger};

/// Reads variables and secrets from environment variables of the same name,
/// with optional defaults for names the environment does not set.
#[derive(Clone, Debug, Default)]
pub struct EnvConfig {
    defaults: HashMap<String, String>,
}

impl EnvConfig {
    /// Reads the environment only.
    pub fn new() -> Self {
        Self::default()
    }

    /// Uses `value` for `name` when the environment does not set it.
    pub fn with_default(mut self, name: &str, value: &str) -> Self {
        self.defaults.insert(name.into(), value.into());
        self
    }
}

impl Config for EnvConfig {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name)
            .ok()
            .or_else(|| self.defaults.get(name).cloned())
    }

    fn secret(&self, name: &str) -> Option<Secret> {
        self.var(name).map(Secret::new)
    }
}

/// Writes `LEVEL target: message` lines to stderr.
#[derive(Clone, Copy, Debug, Default)]
pub struct StderrLogger;

impl Logger for StderrLogger {
    fn log(&self, level: Level, target: &str, message: &str) {
        eprintln!("{level:<5} {target}: {message}");
    }
}
