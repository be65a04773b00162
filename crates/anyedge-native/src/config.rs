//! [`NativeConfig`]: variables and secrets from the process environment.

use std::collections::HashMap;

use anyedge_core::config::{Config, Secret};

/// Reads variables and secrets from environment variables of the same name,
/// with optional defaults for names the environment does not set.
///
/// ```
/// use anyedge_core::Config;
/// let config = anyedge_native::NativeConfig::new().with_default("ANYEDGE_DOC_VAR", "x");
/// assert_eq!(config.var("ANYEDGE_DOC_VAR").as_deref(), Some("x"));
/// ```
#[derive(Clone, Debug, Default)]
pub struct NativeConfig {
    defaults: HashMap<String, String>,
}

impl NativeConfig {
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

impl Config for NativeConfig {
    fn var(&self, name: &str) -> Option<String> {
        std::env::var(name).ok().or_else(|| self.defaults.get(name).cloned())
    }

    fn secret(&self, name: &str) -> Option<Secret> {
        self.var(name).map(Secret::new)
    }
}
