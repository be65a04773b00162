//! [`CloudflareHost`]: the anyedge [`Host`](anyedge_core::Host) of a Worker.

use crate::client::FetchClient;
use crate::config::EnvConfig;
use crate::logger::ConsoleLogger;

/// The services of a Worker: `fetch` for outbound HTTP, the console for logs,
/// the `Env` for variables and secrets. One is made per request from that
/// request's `Env` (cheap: it holds a reference to the JS object).
#[derive(Debug, Clone)]
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))] // Built on wasm32 only.
pub struct CloudflareHost {
    client: FetchClient,
    logger: ConsoleLogger,
    config: EnvConfig,
}

#[cfg(target_arch = "wasm32")]
mod wasm {
    use anyedge_core::Host;

    use super::*;

    impl CloudflareHost {
        /// The host of a Worker whose environment is `env`.
        pub fn new(env: worker::Env) -> Self {
            CloudflareHost {
                client: FetchClient,
                logger: ConsoleLogger,
                config: EnvConfig::new(env),
            }
        }
    }

    impl Host for CloudflareHost {
        type Client = FetchClient;
        type Logger = ConsoleLogger;
        type Config = EnvConfig;

        fn client(&self) -> &FetchClient {
            &self.client
        }
        fn logger(&self) -> &ConsoleLogger {
            &self.logger
        }
        fn config(&self) -> &EnvConfig {
            &self.config
        }
    }
}
