//! [`FastlyLogger`]: log lines to a Fastly log endpoint, or stderr.

use std::cell::OnceCell;
use std::io::Write;
use std::rc::Rc;

use anyedge_core::logging::{Level, Logger};
use anyedge_core::Config;
use fastly::log::Endpoint;

use crate::FastlyConfig;

/// Writes `LEVEL target: message` lines, one message per write, to the log
/// endpoint named by config `LOG_ENDPOINT`, or to stderr without one (or
/// when it cannot be used). Fastly shows stderr in `fastly log-tail`;
/// Viceroy prints both. The endpoint is opened on the first line logged.
#[derive(Clone, Debug)]
pub struct FastlyLogger {
    config: Option<FastlyConfig>,
    endpoint: Rc<OnceCell<Option<Endpoint>>>,
}

impl FastlyLogger {
    /// A logger to the endpoint config `LOG_ENDPOINT` names, else stderr.
    pub fn new(config: FastlyConfig) -> Self {
        FastlyLogger {
            config: Some(config),
            endpoint: Rc::default(),
        }
    }

    /// A logger to stderr.
    pub fn stderr() -> Self {
        FastlyLogger {
            config: None,
            endpoint: Rc::new(OnceCell::from(None)),
        }
    }

    /// The endpoint's name, or `None` for stderr.
    pub fn endpoint_name(&self) -> Option<String> {
        self.endpoint().map(|e| e.name().to_owned())
    }

    fn endpoint(&self) -> Option<&Endpoint> {
        let open = || {
            let name = self.config.as_ref()?.var("LOG_ENDPOINT")?;
            let endpoint = Endpoint::try_from_name(name.trim());
            endpoint
                .map_err(|e| {
                    eprintln!("WARN anyedge: LOG_ENDPOINT cannot be used ({e}); logging to stderr")
                })
                .ok()
        };
        self.endpoint.get_or_init(open).as_ref()
    }
}

impl Logger for FastlyLogger {
    fn log(&self, level: Level, target: &str, message: &str) {
        let line = format!("{level} {target}: {message}");
        if let Some(endpoint) = self.endpoint() {
            if endpoint.clone().write_all(line.as_bytes()).is_ok() {
                return;
            }
        }
        eprintln!("{line}");
    }
}
