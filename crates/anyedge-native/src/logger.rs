//! [`NativeLogger`]: log lines to stderr.

use anyedge_core::logging::{Level, Logger};

/// Writes `LEVEL target: message` lines to stderr.
#[derive(Clone, Copy, Debug, Default)]
pub struct NativeLogger;

impl Logger for NativeLogger {
    fn log(&self, level: Level, target: &str, message: &str) {
        eprintln!("{level:<5} {target}: {message}");
    }
}
