//! Configuration and secrets, read by name from the host.

use std::fmt;

use crate::Error;

/// Reads configuration variables and secrets by name: environment variables
/// natively, vars and secrets on Cloudflare, Config and Secret Stores on Fastly.
///
/// ```
/// use anyedge_core::config::Config;
/// use anyedge_core::testing::MemoryConfig;
/// let config = MemoryConfig::new().with_var("API_URL", "http://127.0.0.1:8788/").with_secret("TOKEN", "s3cr3t");
/// assert_eq!(config.require_var("API_URL").unwrap(), "http://127.0.0.1:8788/");
/// let token = config.secret("TOKEN").unwrap();
/// assert_eq!(format!("{token:?}"), "Secret(\"***\")");
/// assert_eq!(token.expose(), "s3cr3t");
/// ```
pub trait Config {
    /// A plain variable, or `None` when it is not set.
    fn var(&self, name: &str) -> Option<String>;

    /// A secret, or `None` when it is not set.
    fn secret(&self, name: &str) -> Option<Secret>;

    /// A variable that must be set; a 500 problem naming it (not its value) otherwise.
    fn require_var(&self, name: &str) -> Result<String, Error> {
        self.var(name).ok_or_else(|| Error::missing_config(name))
    }

    /// A secret that must be set; a 500 problem naming it otherwise.
    fn require_secret(&self, name: &str) -> Result<Secret, Error> {
        self.secret(name).ok_or_else(|| Error::missing_config(name))
    }
}

impl<C: Config + ?Sized> Config for std::rc::Rc<C> {
    fn var(&self, name: &str) -> Option<String> {
        (**self).var(name)
    }
    fn secret(&self, name: &str) -> Option<Secret> {
        (**self).secret(name)
    }
}

/// A secret value. `Debug` and `Display` print `***`; only [`Secret::expose`]
/// gives the value, so it cannot reach a log line or a response by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a value read from the host's secret store.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The value. Call it only where the value must be sent (e.g. an
    /// `Authorization` header to the upstream).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(\"***\")")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}
