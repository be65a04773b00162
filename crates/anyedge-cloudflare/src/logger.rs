//! [`CloudflareLogger`]: log lines to the Workers console, which `wrangler
//! dev` prints and `wrangler tail` / Workers Logs collect.

/// Writes `LEVEL target: message` with `console.error` (errors),
/// `console.warn` (warnings), `console.log` (info) or `console.debug`
/// (debug, trace).
#[derive(Debug, Clone, Copy, Default)]
pub struct CloudflareLogger;

#[cfg(target_arch = "wasm32")]
impl anyedge_core::Logger for CloudflareLogger {
    fn log(&self, level: anyedge_core::logging::Level, target: &str, message: &str) {
        use anyedge_core::logging::Level;
        match level {
            Level::Error => worker::console_error!("{level} {target}: {message}"),
            Level::Warn => worker::console_warn!("{level} {target}: {message}"),
            Level::Info => worker::console_log!("{level} {target}: {message}"),
            Level::Debug | Level::Trace => worker::console_debug!("{level} {target}: {message}"),
        }
    }
}
