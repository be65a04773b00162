//! Log lines to a Fastly log endpoint, or stderr: [`FastlyLogger`].

use std::cell::RefCell;
use std::io::Write;
use std::rc::Rc;

use anyedge_core::logging::{Level, Logger};
use fastly::log::{Endpoint, LogError};

/// Writes `LEVEL target: message` lines to a log endpoint, one message per
/// line, or to stderr when no endpoint is set. Fastly shows stderr in
/// `fastly log-tail`; Viceroy prints both endpoint lines and stderr on its
/// console. Cheap to clone.
#[derive(Clone, Default)]
pub struct FastlyLogger {
    endpoint: Option<Rc<RefCell<Endpoint>>>,
}

impl FastlyLogger {
    /// A logger over the log endpoint `name`; an error when the name is
    /// malformed or reserved (on Fastly, it must be a configured logging
    /// endpoint of the service).
    pub fn endpoint(name: &str) -> Result<Self, LogError> {
        let endpoint = Endpoint::try_from_name(name)?;
        Ok(FastlyLogger {
            endpoint: Some(Rc::new(RefCell::new(endpoint))),
        })
    }

    /// A logger that writes to stderr.
    pub fn stderr() -> Self {
        FastlyLogger { endpoint: None }
    }

    /// The endpoint's name, or `None` for stderr.
    pub fn endpoint_name(&self) -> Option<String> {
        self.endpoint
            .as_ref()
            .and_then(|e| e.try_borrow().ok().map(|e| e.name().to_owned()))
    }
}

impl Logger for FastlyLogger {
    fn log(&self, level: Level, target: &str, message: &str) {
        let line = format!("{level} {target}: {message}");
        if let Some(endpoint) = &self.endpoint {
            if let Ok(mut endpoint) = endpoint.try_borrow_mut() {
                // One write is one log message on Fastly.
                if endpoint.write_all(line.as_bytes()).is_ok() {
                    return;
                }
            }
        }
        eprintln!("{line}");
    }
}
