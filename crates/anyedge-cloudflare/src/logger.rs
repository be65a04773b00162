//! Logging to the Workers console ([`ConsoleLogger`]), which `wrangler dev`
//! prints and `wrangler tail` / Workers Logs collect.

/// Writes `LEVEL target: message` with `console.error` (errors),
/// `console.warn` (warnings), `console.log` (info) or `console.debug`
/// (debug, trace).
#[derive(Debug, Clone, Copy, Default)]
pub struct ConsoleLogger;

#[cfg(target_arch = "wasm32")]
mod wasm {
    use anyedge_core::logging::{Level, Logger};

    use super::ConsoleLogger;

    impl Logger for ConsoleLogger {
        fn log(&self, level: Level, target: &str, message: &str) {
            match level {
                Level::Error => worker::console_error!("{level} {target}: {message}"),
                Level::Warn => worker::console_warn!("{level} {target}: {message}"),
                Level::Info => worker::console_log!("{level} {target}: {message}"),
                Level::Debug | Level::Trace => {
                    worker::console_debug!("{level} {target}: {message}")
                }
            }
        }
    }
}
