//! Logging: the host's [`Logger`], and a bridge so that the `log` crate's
//! macros (used by libraries) reach the same sink.

use std::cell::RefCell;
use std::rc::Rc;

pub use log::{Level, LevelFilter};

/// Writes levelled log lines to the host's sink: stderr natively, the console
/// on Cloudflare, a log endpoint on Fastly.
///
/// ```
/// use anyedge_core::logging::{Level, Logger};
/// use anyedge_core::testing::CapturingLogger;
/// let logger = CapturingLogger::new();
/// logger.info("greeted Ada");
/// assert_eq!(logger.lines(), ["INFO anyedge: greeted Ada"]);
/// ```
pub trait Logger {
    /// Writes one line. `target` is the module or component that logged it.
    fn log(&self, level: Level, target: &str, message: &str);

    /// Writes `message` at [`Level::Info`] with target `anyedge`.
    fn info(&self, message: &str) {
        self.log(Level::Info, "anyedge", message);
    }

    /// Writes `message` at [`Level::Warn`] with target `anyedge`.
    fn warn(&self, message: &str) {
        self.log(Level::Warn, "anyedge", message);
    }

    /// Writes `message` at [`Level::Error`] with target `anyedge`.
    fn error(&self, message: &str) {
        self.log(Level::Error, "anyedge", message);
    }
}

impl<L: Logger + ?Sized> Logger for Rc<L> {
    fn log(&self, level: Level, target: &str, message: &str) {
        (**self).log(level, target, message)
    }
}

thread_local! {
    static SINK: RefCell<Option<Rc<dyn Logger>>> = const { RefCell::new(None) };
}

struct Bridge;

static BRIDGE: Bridge = Bridge;

impl log::Log for Bridge {
    fn enabled(&self, metadata: &log::Metadata<'_>) -> bool {
        metadata.level() <= log::max_level()
    }

    fn log(&self, record: &log::Record<'_>) {
        if !self.enabled(record.metadata()) {
            return;
        }
        SINK.with(|sink| {
            // A logger that logs from inside `log` would re-enter: drop that line.
            if let Ok(sink) = sink.try_borrow() {
                if let Some(logger) = sink.as_ref() {
                    let message = record.args().to_string();
                    logger.log(record.level(), record.target(), &message);
                }
            }
        });
    }

    fn flush(&self) {}
}

/// Routes the `log` crate's macros on this thread to `logger`, at `max_level`
/// and above. Hosts call it once per instance (wasm is single-threaded; the
/// native host calls it on its serving thread). Calling it again replaces the
/// logger. If another global `log` logger was installed first, that one keeps
/// the macros and this only sets the level.
///
/// ```
/// use anyedge_core::logging::{install, LevelFilter};
/// use anyedge_core::testing::CapturingLogger;
/// let logger = CapturingLogger::new();
/// install(logger.clone(), LevelFilter::Info);
/// log::info!(target: "my_lib", "hello from a library");
/// log::debug!("filtered out");
/// assert_eq!(logger.lines(), ["INFO my_lib: hello from a library"]);
/// ```
pub fn install(logger: impl Logger + 'static, max_level: LevelFilter) {
    let _ = log::set_logger(&BRIDGE);
    log::set_max_level(max_level);
    SINK.with(|sink| {
        if let Ok(mut sink) = sink.try_borrow_mut() {
            *sink = Some(Rc::new(logger));
        }
    });
}

/// Parses a level name (`error`, `warn`, `info`, `debug`, `trace`, `off`),
/// as read from a `LOG_LEVEL` variable; `None` for anything else.
pub fn parse_level(name: &str) -> Option<LevelFilter> {
    name.trim().parse().ok()
}
