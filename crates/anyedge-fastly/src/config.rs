//! Variables from a Config Store, secrets from a Secret Store: [`FastlyConfig`].

use anyedge_core::{Config, Secret};
use fastly::{ConfigStore, SecretStore};

/// Reads variables from one Config Store and secrets from one Secret Store.
///
/// Both stores are opened once, when the value is made (an instance serves
/// one request, so that is once per request); a store that does not exist
/// reads as empty, so a missing variable is reported by name by
/// [`Config::require_var`].
pub struct FastlyConfig {
    vars: Option<ConfigStore>,
    secrets: Option<SecretStore>,
}

impl FastlyConfig {
    /// Opens the Config Store `config_store` and the Secret Store `secret_store`.
    pub fn open(config_store: &str, secret_store: &str) -> Self {
        FastlyConfig {
            vars: ConfigStore::try_open(config_store).ok(),
            secrets: SecretStore::open(secret_store).ok(),
        }
    }

    /// A configuration with no variables and no secrets.
    pub fn empty() -> Self {
        FastlyConfig {
            vars: None,
            secrets: None,
        }
    }

    /// True when the Config Store was opened.
    pub fn has_config_store(&self) -> bool {
        self.vars.is_some()
    }

    /// True when the Secret Store was opened.
    pub fn has_secret_store(&self) -> bool {
        self.secrets.is_some()
    }
}

impl Config for FastlyConfig {
    fn var(&self, name: &str) -> Option<String> {
        self.vars.as_ref()?.try_get(name).ok().flatten()
    }

    fn secret(&self, name: &str) -> Option<Secret> {
        let secret = self.secrets.as_ref()?.try_get(name).ok().flatten()?;
        let bytes = secret.try_plaintext().ok()?;
        String::from_utf8(bytes.to_vec()).ok().map(Secret::new)
    }
}
