//! Outbound HTTP: the [`HttpClient`] each host provides.

use std::time::Duration;

use crate::{Request, Response};

/// Timeout of an upstream call when a request carries no [`Limits`], and of
/// [`crate::upstream`] calls when `UPSTREAM_TIMEOUT_MS` is not set: 5 s.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

/// Largest upstream body read when a request carries no [`Limits`]: 1 MiB.
pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 1024 * 1024;

/// Sends requests to upstreams. Each host implements it over its own fetch:
/// `reqwest` natively, `worker::Fetch` on Cloudflare, backends on Fastly.
///
/// Bodies are fully buffered. Hosts do not follow redirects: a 3xx comes back
/// as a response. They honour the request's [`Limits`] extension (or the
/// defaults) and report a body over the limit as [`HttpErrorKind::TooLarge`].
///
/// ```
/// use anyedge_core::{client::HttpClient, testing::ScriptedClient, Request};
/// # futures_executor::block_on(async {
/// let client = ScriptedClient::new().respond_json(200, r#"{"ok":true}"#);
/// let res = client.send(Request::new(Default::default())).await.unwrap();
/// assert_eq!(res.status(), 200);
/// # });
/// ```
#[expect(async_fn_in_trait, reason = "wasm is single-threaded: futures need not be Send")]
pub trait HttpClient {
    /// Sends `req` and returns the upstream's response, whatever its status.
    async fn send(&self, req: Request) -> Result<Response, HttpError>;
}

impl<C: HttpClient + ?Sized> HttpClient for &C {
    async fn send(&self, req: Request) -> Result<Response, HttpError> {
        (**self).send(req).await
    }
}

impl<C: HttpClient + ?Sized> HttpClient for std::rc::Rc<C> {
    async fn send(&self, req: Request) -> Result<Response, HttpError> {
        (**self).send(req).await
    }
}

/// Per-request limits, set as a request extension; hosts read them with
/// [`Limits::of`].
///
/// ```
/// use anyedge_core::{client::Limits, Request};
/// use std::time::Duration;
/// let mut req = Request::new(Default::default());
/// req.extensions_mut().insert(Limits { timeout: Duration::from_millis(500), ..Limits::default() });
/// assert_eq!(Limits::of(&req).timeout, Duration::from_millis(500));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Time for the whole exchange, connect to last body byte.
    pub timeout: Duration,
    /// Largest response body accepted.
    pub max_response_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { timeout: DEFAULT_TIMEOUT, max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES }
    }
}

impl Limits {
    /// The limits a request carries, or the defaults.
    pub fn of(req: &Request) -> Limits {
        req.extensions().get::<Limits>().copied().unwrap_or_default()
    }
}

/// What kind of failure an [`HttpError`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum HttpErrorKind {
    /// The connection was refused, or no route or backend reaches the host.
    Refused,
    /// No complete answer within the timeout.
    Timeout,
    /// The response body is over [`Limits::max_response_bytes`].
    TooLarge,
    /// The request could not be built (bad URL, unknown backend, …).
    InvalidRequest,
    /// Any other transport failure.
    Other,
}

/// A failed outbound request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct HttpError {
    kind: HttpErrorKind,
    message: String,
}

impl HttpError {
    /// An error of `kind`; `message` must not contain secrets (no full URLs with credentials).
    pub fn new(kind: HttpErrorKind, message: impl Into<String>) -> Self {
        HttpError { kind, message: message.into() }
    }

    /// What kind of failure this is.
    pub fn kind(&self) -> HttpErrorKind {
        self.kind
    }

    /// A [`HttpErrorKind::TooLarge`] error for a body over `limit` bytes.
    pub fn too_large(limit: usize) -> Self {
        Self::new(
            HttpErrorKind::TooLarge,
            format!("the upstream's body is over the limit of {limit} bytes"),
        )
    }

    /// A [`HttpErrorKind::Timeout`] error for an exchange not done within `timeout`.
    pub fn timed_out(timeout: Duration) -> Self {
        Self::new(
            HttpErrorKind::Timeout,
            format!("no complete answer within {} ms", timeout.as_millis()),
        )
    }
}
