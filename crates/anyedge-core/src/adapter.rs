//! The adapter kit: what every host adapter does the same way, written once.
//!
//! An adapter (`anyedge-native`, `anyedge-cloudflare`, `anyedge-fastly`,
//! `anyedge-wasi`) converts its runtime's request into a [`Request`], runs
//! the [`Router`], and converts the [`Response`] back. Around that, each
//! needs the same few things, which live here so that they behave the same
//! on every runtime:
//!
//! - [`AdapterHost`]: a [`Host`] made of the adapter's client, logger and config;
//! - [`check_declared_length`] and [`BodyBuffer`]: the request body limit
//!   (413 before reading when `Content-Length` announces too much, and as
//!   soon as a body without one passes the limit); [`read_to_limit`] for
//!   bodies that are `std::io::Read`;
//! - [`install_logging`]: the `log` macros routed to the host's logger at
//!   the level of config `LOG_LEVEL`;
//! - [`panic_response`] and [`panic_line`]: what a panicking handler answers
//!   and logs;
//! - [`respond`]: the response to a converted request, or to the error
//!   converting it;
//! - [`Deadline`]: the end of an upstream exchange, for hosts that check it
//!   themselves;
//! - [`block_on`]: an executor for hosts whose calls all block (no reactor).
//!
//! Apps do not need this module; adapter authors do.

use std::future::Future;
use std::io::{self, Read};
use std::pin::pin;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{header, HeaderMap};

use crate::client::HttpClient;
use crate::config::Config;
use crate::host::Host;
use crate::logging::{self, LevelFilter, Logger};
use crate::{Error, Request, Response, Router};

/// The [`Host`] an adapter builds from its three services.
///
/// ```
/// use anyedge_core::adapter::AdapterHost;
/// use anyedge_core::testing::{CapturingLogger, MemoryConfig, ScriptedClient};
/// use anyedge_core::{Config, Host};
/// let host = AdapterHost::new(ScriptedClient::new(), CapturingLogger::new(),
///     MemoryConfig::new().with_var("A", "1"));
/// assert_eq!(host.config().var("A").as_deref(), Some("1"));
/// ```
#[derive(Debug, Clone)]
pub struct AdapterHost<C, L, K> {
    client: C,
    logger: L,
    config: K,
    platform: Platform,
}

/// The clock and random source of a runtime, as plain functions.
#[derive(Debug, Clone, Copy)]
pub struct Platform {
    /// Time since an arbitrary fixed point ([`Host::now`]).
    pub now: fn() -> Duration,
    /// Fills a buffer from the runtime's secure random source ([`Host::fill_random`]).
    pub fill_random: fn(&mut [u8]),
}

impl Default for Platform {
    /// `std`'s monotonic clock since first use, and random bytes from
    /// `std`'s per-process hash keys mixed with a counter: for runtimes
    /// without a better source (adapters for wasm runtimes set theirs).
    fn default() -> Self {
        Platform { now: std_now, fill_random: std_random }
    }
}

fn std_now() -> Duration {
    thread_local!(static START: Instant = Instant::now());
    START.with(Instant::elapsed)
}

fn std_random(buf: &mut [u8]) {
    use std::hash::{BuildHasher, Hasher};
    thread_local!(static STATE: std::cell::Cell<u64> = const { std::cell::Cell::new(0) });
    for chunk in buf.chunks_mut(8) {
        let n = STATE.with(|s| {
            s.set(s.get().wrapping_add(1));
            s.get()
        });
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u64(n);
        chunk.copy_from_slice(&h.finish().to_le_bytes()[..chunk.len()]);
    }
}

impl<C, L, K> AdapterHost<C, L, K> {
    /// A host from its client, logger and config, with `std`'s clock and
    /// random source ([`Platform::default`]).
    pub fn new(client: C, logger: L, config: K) -> Self {
        AdapterHost { client, logger, config, platform: Platform::default() }
    }

    /// This host with the runtime's own clock and random source.
    pub fn with_platform(mut self, platform: Platform) -> Self {
        self.platform = platform;
        self
    }
}

impl<C, L, K> Host for AdapterHost<C, L, K>
where
    C: HttpClient + 'static,
    L: Logger + 'static,
    K: Config + 'static,
{
    type Client = C;
    type Logger = L;
    type Config = K;

    fn client(&self) -> &C {
        &self.client
    }
    fn logger(&self) -> &L {
        &self.logger
    }
    fn config(&self) -> &K {
        &self.config
    }
    fn now(&self) -> Duration {
        (self.platform.now)()
    }
    fn fill_random(&self, buf: &mut [u8]) {
        (self.platform.fill_random)(buf)
    }
}

/// For hosts that cannot refuse to start: logs what is wrong with
/// `router`'s route table ([`Router::check`]), once per instance, through
/// `logger`. Such a router answers every request with a 500 that says why.
pub fn report_route_errors<H: Host, S: 'static>(router: &Router<H, S>, logger: &impl Logger) {
    if let Err(e) = router.check() {
        logger.error(&format!("{e}; every request is answered 500"));
    }
}

/// The `Content-Length` of `headers`, when present and a number.
pub fn declared_length(headers: &HeaderMap) -> Option<u64> {
    headers.get(header::CONTENT_LENGTH)?.to_str().ok()?.trim().parse().ok()
}

/// A 413 when `Content-Length` announces more than `limit` bytes: answer
/// it before reading the body.
///
/// ```
/// use anyedge_core::adapter::check_declared_length;
/// let mut headers = http::HeaderMap::new();
/// headers.insert("content-length", "2048".parse().unwrap());
/// assert!(check_declared_length(&headers, 4096).is_ok());
/// assert_eq!(check_declared_length(&headers, 1024).unwrap_err().status(), 413);
/// ```
pub fn check_declared_length(headers: &HeaderMap, limit: usize) -> Result<(), Error> {
    match declared_length(headers) {
        Some(n) if n > limit as u64 => Err(Error::PayloadTooLarge { limit }),
        _ => Ok(()),
    }
}

/// A body that grew past its limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OverLimit;

/// Collects body chunks into one buffer, up to a limit.
///
/// ```
/// use anyedge_core::adapter::{BodyBuffer, OverLimit};
/// let mut body = BodyBuffer::new(5);
/// body.push(b"abc").unwrap();
/// assert_eq!(body.push(b"def"), Err(OverLimit));
/// assert_eq!(body.finish().as_ref(), b"abc");
/// ```
#[derive(Debug)]
pub struct BodyBuffer {
    buf: Vec<u8>,
    limit: usize,
}

impl BodyBuffer {
    /// An empty buffer of at most `limit` bytes.
    pub fn new(limit: usize) -> Self {
        BodyBuffer { buf: Vec::new(), limit }
    }

    /// Appends `chunk`, or fails (appending nothing) when the total would
    /// pass the limit.
    pub fn push(&mut self, chunk: &[u8]) -> Result<(), OverLimit> {
        if self.buf.len().saturating_add(chunk.len()) > self.limit {
            return Err(OverLimit);
        }
        self.buf.extend_from_slice(chunk);
        Ok(())
    }

    /// The collected body.
    pub fn finish(self) -> Bytes {
        Bytes::from(self.buf)
    }
}

/// Reads `reader` to the end into a [`BodyBuffer`] of `limit` bytes,
/// stopping as soon as it passes the limit (`Ok(Err(OverLimit))`). `check`
/// runs before each read after the first (a client uses it for its
/// deadline); its error stops the read.
///
/// ```
/// use anyedge_core::adapter::{read_to_limit, OverLimit};
/// assert_eq!(read_to_limit(&b"hello"[..], 5, || Ok(())).unwrap().unwrap().as_ref(), b"hello");
/// assert_eq!(read_to_limit(&b"hello!"[..], 5, || Ok(())).unwrap(), Err(OverLimit));
/// ```
pub fn read_to_limit(
    mut reader: impl Read,
    limit: usize,
    mut check: impl FnMut() -> io::Result<()>,
) -> io::Result<Result<Bytes, OverLimit>> {
    let mut body = BodyBuffer::new(limit);
    let mut chunk = [0u8; 8192];
    let mut first = true;
    loop {
        if !std::mem::take(&mut first) {
            check()?;
        }
        let n = match reader.read(&mut chunk) {
            Ok(0) => return Ok(Ok(body.finish())),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if body.push(&chunk[..n]).is_err() {
            return Ok(Err(OverLimit));
        }
    }
}

/// The variable that sets the log level (`error` … `trace`, `off`).
pub const LOG_LEVEL_VAR: &str = "LOG_LEVEL";

/// The log level when [`LOG_LEVEL_VAR`] is not set or not a level name.
pub const DEFAULT_LOG_LEVEL: LevelFilter = LevelFilter::Info;

/// The level config [`LOG_LEVEL_VAR`] names, else [`DEFAULT_LOG_LEVEL`].
pub fn log_level(config: &impl Config) -> LevelFilter {
    config.var(LOG_LEVEL_VAR).and_then(|l| logging::parse_level(&l)).unwrap_or(DEFAULT_LOG_LEVEL)
}

/// Routes the `log` crate's macros on this thread to `logger`, at the
/// [`log_level`] of `config`. Adapters call it once per instance (or thread).
pub fn install_logging(logger: impl Logger + 'static, config: &impl Config) {
    logging::install(logger, log_level(config));
}

/// What a request whose handler panicked gets: a 500 `internal` problem
/// saying only that (the details are in the log line, [`panic_line`]).
pub fn panic_response() -> Response {
    Error::Internal("the handler panicked".into()).to_response()
}

/// The log line for a panic: `PANIC anyedge: panicked at file:line:col: message`.
pub fn panic_line(info: &std::panic::PanicHookInfo<'_>) -> String {
    format!("PANIC anyedge: {}", info.to_string().replace('\n', " "))
}

/// The response to `req`, a request the adapter converted (or the error
/// converting it, answered as its problem).
pub async fn respond<H: Host, S: 'static>(
    router: &Router<H, S>,
    host: Rc<H>,
    req: Result<Request, Error>,
) -> Response {
    match req {
        Ok(req) => router.handle(req, host).await,
        Err(err) => err.to_response(),
    }
}

/// The end of an exchange that must finish within a timeout. It reads the
/// clock, so it is for hosts that have one (WASI and native; not
/// `wasm32-unknown-unknown`, where `std::time::Instant` panics).
#[derive(Debug, Clone, Copy)]
pub struct Deadline {
    at: Instant,
    timeout: Duration,
}

impl Deadline {
    /// A deadline `timeout` from now (a day at most).
    pub fn after(timeout: Duration) -> Self {
        let now = Instant::now();
        let at = now.checked_add(timeout).unwrap_or(now + Duration::from_secs(86_400));
        Deadline { at, timeout }
    }

    /// The timeout it was made with.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Time left; zero once passed.
    pub fn remaining(&self) -> Duration {
        self.at.saturating_duration_since(Instant::now())
    }

    /// True once passed.
    pub fn expired(&self) -> bool {
        self.remaining().is_zero()
    }

    /// An `io::ErrorKind::TimedOut` error once passed (a [`read_to_limit`] check).
    pub fn check(&self) -> io::Result<()> {
        if self.expired() {
            return Err(io::Error::new(io::ErrorKind::TimedOut, "deadline passed"));
        }
        Ok(())
    }
}

/// A future returned `Pending` and nothing woke it: on a host without a
/// reactor it can never finish.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stalled;

impl std::fmt::Display for Stalled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(
            "a future is waiting on something that cannot complete on this host \
             (no async reactor: await only anyedge host services)",
        )
    }
}

impl std::error::Error for Stalled {}

impl From<Stalled> for Error {
    fn from(stalled: Stalled) -> Self {
        Error::Internal(stalled.to_string())
    }
}

struct Flag(AtomicBool);

impl Wake for Flag {
    fn wake(self: Arc<Self>) {
        self.0.store(true, Ordering::SeqCst);
    }
    fn wake_by_ref(self: &Arc<Self>) {
        self.0.store(true, Ordering::SeqCst);
    }
}

/// Runs `future` to completion on the current thread, for hosts where every
/// call blocks (Fastly): there is nothing to wait on and no runtime to ship.
///
/// A future that returns `Pending` is polled again only if it woke itself
/// (as `yield`-style futures do); one that waits for an outside event gets
/// [`Stalled`] instead of a hang.
///
/// ```
/// use anyedge_core::adapter::block_on;
/// assert_eq!(block_on(async { 40 + 2 }), Ok(42));
/// assert!(block_on(std::future::pending::<()>()).is_err());
/// ```
pub fn block_on<F: Future>(future: F) -> Result<F::Output, Stalled> {
    let flag = Arc::new(Flag(AtomicBool::new(false)));
    let waker = Waker::from(Arc::clone(&flag));
    let mut cx = Context::from_waker(&waker);
    let mut future = pin!(future);
    loop {
        flag.0.store(false, Ordering::SeqCst);
        if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
            return Ok(out);
        }
        if !flag.0.load(Ordering::SeqCst) {
            return Err(Stalled);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Returns `Pending` `n` times, waking itself each time.
    struct YieldN(u32);

    impl Future for YieldN {
        type Output = u32;
        fn poll(mut self: std::pin::Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<u32> {
            if self.0 == 0 {
                return Poll::Ready(7);
            }
            self.0 -= 1;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }

    #[test]
    fn block_on_polls_self_waking_futures_and_reports_stalls() {
        assert_eq!(block_on(async { "done" }), Ok("done"));
        assert_eq!(block_on(YieldN(3)), Ok(7));
        assert_eq!(block_on(std::future::pending::<u8>()), Err(Stalled));
    }

    #[test]
    fn body_limits() {
        let body = vec![b'x'; 20_000];
        assert_eq!(
            read_to_limit(&body[..], 20_000, || Ok(())).unwrap(),
            Ok(Bytes::from(body.clone()))
        );
        assert_eq!(read_to_limit(&body[..], 19_999, || Ok(())).unwrap(), Err(OverLimit));
        assert_eq!(read_to_limit(&b""[..], 0, || Ok(())).unwrap(), Ok(Bytes::new()));
        let mut calls = 0;
        let stopped = read_to_limit(&[0u8; 100_000][..], usize::MAX, || {
            calls += 1;
            if calls > 2 {
                Err(io::Error::new(io::ErrorKind::TimedOut, "deadline"))
            } else {
                Ok(())
            }
        });
        assert_eq!(stopped.map_err(|e| e.kind()), Err(io::ErrorKind::TimedOut));
        let mut headers = HeaderMap::new();
        assert_eq!(declared_length(&headers), None);
        headers.insert(header::CONTENT_LENGTH, http::HeaderValue::from_static(" 42 "));
        assert_eq!(declared_length(&headers), Some(42));
        headers.insert(header::CONTENT_LENGTH, http::HeaderValue::from_static("-1"));
        assert_eq!(declared_length(&headers), None);
    }
}
