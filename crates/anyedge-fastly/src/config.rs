//! [`FastlyConfig`]: variables from a Config Store, secrets from a Secret Store.

use std::fmt;
use std::rc::Rc;

use anyedge_core::{Config, Secret};
use fastly::{ConfigStore, SecretStore};

/// Config Store [`FastlyConfig::default`] reads variables from.
pub const DEFAULT_CONFIG_STORE: &str = "anyedge_config";

/// Secret Store [`FastlyConfig::default`] reads secrets from.
pub const DEFAULT_SECRET_STORE: &str = "anyedge_secrets";

/// Reads variables from one Config Store and secrets from one Secret Store.
///
/// Both stores are opened once, when the value is made (an instance serves
/// one request, so that is once per request); a store that does not exist
/// reads as empty, so a missing variable is reported by name by
/// [`Config::require_var`]. Cheap to clone: the client and the logger share it.
#[derive(Clone)]
pub struct FastlyConfig(Rc<(Option<ConfigStore>, Option<SecretStore>)>);

impl FastlyConfig {
    /// Opens the Config Store `config_store` and the Secret Store `secret_store`.
    pub fn open(config_store: &str, secret_store: &str) -> Self {
        let vars = ConfigStore::try_open(config_store).ok();
        FastlyConfig(Rc::new((vars, SecretStore::open(secret_store).ok())))
    }

    /// True when the Config Store was opened.
    pub fn has_config_store(&self) -> bool {
        self.0 .0.is_some()
    }

    /// True when the Secret Store was opened.
    pub fn has_secret_store(&self) -> bool {
        self.0 .1.is_some()
    }
}

impl Default for FastlyConfig {
    /// The stores [`DEFAULT_CONFIG_STORE`] and [`DEFAULT_SECRET_STORE`].
    fn default() -> Self {
        Self::open(DEFAULT_CONFIG_STORE, DEFAULT_SECRET_STORE)
    }
}

impl fmt::Debug for FastlyConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FastlyConfig")
            .field("config_store", &self.has_config_store())
            .field("secret_store", &self.has_secret_store())
            .finish()
    }
}

impl Config for FastlyConfig {
    fn var(&self, name: &str) -> Option<String> {
        self.0 .0.as_ref()?.try_get(name).ok().flatten()
    }

    fn secret(&self, name: &str) -> Option<Secret> {
        let secret = self.0 .1.as_ref()?.try_get(name).ok().flatten()?;
        let bytes = secret.try_plaintext().ok()?;
        String::from_utf8(bytes.to_vec()).ok().map(Secret::new)
    }
}
