//! [`FastlyHost`]: the core's [`Host`] over Fastly's services.

use std::cell::OnceCell;

use anyedge_core::logging::{self, LevelFilter};
use anyedge_core::{Config, Host};

use crate::backends::BackendMap;
use crate::client::FastlyClient;
use crate::config::FastlyConfig;
use crate::logger::FastlyLogger;

/// Config Store [`FastlyHost::open`] reads variables from.
pub const DEFAULT_CONFIG_STORE: &str = "anyedge_config";

/// Secret Store [`FastlyHost::open`] reads secrets from.
pub const DEFAULT_SECRET_STORE: &str = "anyedge_secrets";

/// Fastly's services as an anyedge [`Host`]: backends, a log endpoint,
/// Config and Secret Stores. Made once per instance (one per request on
/// Fastly).
///
/// The client and the logger are set up on first use, so a request that
/// makes no upstream call never reads `BACKENDS` or `DYNAMIC_BACKENDS`
/// (every store read is a host call, on every request).
pub struct FastlyHost {
    client: OnceCell<FastlyClient>,
    logger: OnceCell<FastlyLogger>,
    config: FastlyConfig,
}

impl FastlyHost {
    /// A host over the stores [`DEFAULT_CONFIG_STORE`] and [`DEFAULT_SECRET_STORE`].
    pub fn open() -> Self {
        Self::with_stores(DEFAULT_CONFIG_STORE, DEFAULT_SECRET_STORE)
    }

    /// A host over the named Config Store and Secret Store.
    pub fn with_stores(config_store: &str, secret_store: &str) -> Self {
        Self::from_config(FastlyConfig::open(config_store, secret_store))
    }

    /// A host whose client and logger are set up from `config` when first
    /// used: `BACKENDS`, `DYNAMIC_BACKENDS`, `LOG_ENDPOINT` (see the crate docs).
    pub fn from_config(config: FastlyConfig) -> Self {
        FastlyHost {
            client: OnceCell::new(),
            logger: OnceCell::new(),
            config,
        }
    }

    fn make_logger(config: &FastlyConfig) -> FastlyLogger {
        match config.var("LOG_ENDPOINT") {
            Some(name) => FastlyLogger::endpoint(name.trim()).unwrap_or_else(|e| {
                eprintln!(
                    "WARN anyedge: log endpoint `{}` cannot be used ({e}); logging to stderr",
                    name.trim()
                );
                FastlyLogger::stderr()
            }),
            None => FastlyLogger::stderr(),
        }
    }

    fn make_client(config: &FastlyConfig) -> FastlyClient {
        let backends = config.var("BACKENDS").unwrap_or_default();
        let client = match BackendMap::parse(&backends) {
            Ok(map) => FastlyClient::new(map),
            Err(bad) => FastlyClient::misconfigured(format!("config BACKENDS: {bad}")),
        };
        let dynamic = config
            .var("DYNAMIC_BACKENDS")
            .is_some_and(|v| matches!(v.trim(), "true" | "1" | "yes" | "on"));
        client.with_dynamic_backends(dynamic)
    }

    /// Routes the `log` crate's macros to this host's logger, at config
    /// `LOG_LEVEL` (default `info`).
    pub fn install_logging(&self) {
        let level = self
            .config
            .var("LOG_LEVEL")
            .and_then(|l| logging::parse_level(&l))
            .unwrap_or(LevelFilter::Info);
        logging::install(self.logger().clone(), level);
    }
}

impl Host for FastlyHost {
    type Client = FastlyClient;
    type Logger = FastlyLogger;
    type Config = FastlyConfig;

    fn client(&self) -> &FastlyClient {
        self.client.get_or_init(|| Self::make_client(&self.config))
    }

    fn logger(&self) -> &FastlyLogger {
        self.logger.get_or_init(|| Self::make_logger(&self.config))
    }

    fn config(&self) -> &FastlyConfig {
        &self.config
    }
}
