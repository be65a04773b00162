//! [`FastlyClient`]: outbound HTTP over Fastly backends.
//!
//! Fastly sends every request to a named *backend*; apps name upstreams by
//! URL, so the client maps the URL's origin (scheme, host, port) to one:
//!
//! 1. **Static backends** (the default): config `BACKENDS` lists
//!    `origin=backend` pairs, separated by commas or whitespace, e.g.
//!    `http://127.0.0.1:18080=origin, https://api.example.com=api`. The
//!    backends are declared on the service (and under
//!    `[local_server.backends]` in `fastly.toml` for Viceroy).
//! 2. **Dynamic backends** (opt-in): with `DYNAMIC_BACKENDS = "true"`, an
//!    origin with no static backend gets one registered at run time, named
//!    `anyedge_` and the origin with every other character than `A-Za-z0-9`
//!    as `_`. Dynamic backends must be enabled on the service.
//!
//! Requests are `pass` (never cached) and redirects come back as responses.
//! The whole exchange must end within [`Limits::timeout`]: waiting for the
//! response is bounded by the host's `select`, reading the body is checked
//! between chunks, and dynamic backends also get it as their connect,
//! first-byte and between-bytes timeouts. Error messages name the backend
//! and the variable to fix, never a configured URL.

use std::cell::OnceCell;
use std::time::Duration;

use anyedge_core::adapter::{Deadline, OverLimit};
use anyedge_core::client::{HttpClient, HttpError, HttpErrorKind as Kind, Limits};
use anyedge_core::{url, Config, Request, Response};
use fastly::backend::BackendCreationError;
use fastly::handle::{BodyHandle, PendingRequestHandle};
use fastly::http::request::SendErrorCause;
use fastly_shared::FastlyStatus;
use http::Uri;

use crate::convert::{request_to_fastly, response_from_handles};
use crate::FastlyConfig;

/// Static origin → backend mappings, as config `BACKENDS` lists them, and
/// whether other origins get dynamic backends (config `DYNAMIC_BACKENDS`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BackendMap {
    entries: Vec<(String, String)>,
    /// `None`: as config `DYNAMIC_BACKENDS` says, read only when an origin is unmapped.
    dynamic: Option<bool>,
}

impl BackendMap {
    /// Parses `origin=backend` pairs separated by commas or whitespace; the
    /// error gives the (1-based) position of the first entry that is not one.
    pub fn parse(spec: &str) -> Result<Self, usize> {
        let mut map = BackendMap::default();
        let entries = spec.split([',', ' ', '\t', '\n', '\r']).filter(|e| !e.is_empty());
        for (i, entry) in entries.enumerate() {
            let (origin, name) = entry.rsplit_once('=').ok_or(i + 1)?;
            let valid = |c: char| c.is_ascii_alphanumeric() || "_-.".contains(c);
            let origin = origin.parse().ok().and_then(|uri| url::origin(&uri));
            let origin = origin.filter(|_| !name.is_empty() && name.chars().all(valid));
            let origin = origin.ok_or(i + 1)?;
            map.entries.retain(|(o, _)| *o != origin);
            map.entries.push((origin, name.to_owned()));
        }
        Ok(map)
    }

    /// The same map, registering dynamic backends for other origins when `on`.
    pub fn dynamic(self, on: bool) -> Self {
        BackendMap { dynamic: Some(on), ..self }
    }

    /// The backend mapped to `uri`'s origin.
    pub fn backend_for(&self, uri: &Uri) -> Option<&str> {
        let origin = url::origin(uri)?;
        let found = self.entries.iter().find(|(o, _)| *o == origin);
        found.map(|(_, name)| name.as_str())
    }
}

/// Sends requests to Fastly backends, chosen by the URL's origin (see the
/// module docs). Made from config, it reads `BACKENDS` and
/// `DYNAMIC_BACKENDS` on its first request, so a request that calls no
/// upstream costs no store reads.
#[derive(Debug, Clone)]
pub struct FastlyClient {
    config: Option<FastlyConfig>,
    backends: OnceCell<Result<BackendMap, HttpError>>,
}

impl FastlyClient {
    /// A client configured by `config`'s `BACKENDS` and `DYNAMIC_BACKENDS`.
    pub fn new(config: FastlyConfig) -> Self {
        let backends = OnceCell::new();
        FastlyClient { config: Some(config), backends }
    }

    /// A client over `backends`.
    pub fn with_backends(backends: BackendMap) -> Self {
        FastlyClient { config: None, backends: OnceCell::from(Ok(backends)) }
    }

    fn backends(&self) -> Result<&BackendMap, HttpError> {
        let read = || {
            let spec = self.config.as_ref().and_then(|c| c.var("BACKENDS"));
            BackendMap::parse(&spec.unwrap_or_default()).map_err(|i| {
                invalid(format!(
                    "config BACKENDS: entry {i} is not `http(s)://host[:port]=backend_name`"
                ))
            })
        };
        self.backends.get_or_init(read).as_ref().map_err(Clone::clone)
    }

    /// The backend for `uri`: static mapping first, then (if enabled) a dynamic one.
    fn backend_for(&self, uri: &Uri, timeout: Duration) -> Result<String, HttpError> {
        let map = self.backends()?;
        if let Some(name) = map.backend_for(uri) {
            return Ok(name.to_owned());
        }
        let origin = url::origin(uri)
            .ok_or_else(|| invalid("the request URL is not an absolute http(s) URL".into()))?;
        let unmapped = "no Fastly backend for the origin of this URL: \
                        map it in config BACKENDS (and declare the backend)";
        let dynamic = map.dynamic.unwrap_or_else(|| {
            let on = self.config.as_ref().and_then(|c| c.var("DYNAMIC_BACKENDS"));
            on.is_some_and(|v| matches!(v.trim(), "true" | "1" | "yes" | "on"))
        });
        if !dynamic {
            return Err(invalid(format!("{unmapped}, or set DYNAMIC_BACKENDS=true")));
        }
        let name = format!("anyedge_{}", origin.replace(|c: char| !c.is_ascii_alphanumeric(), "_"));
        // `origin` is `scheme://host:port`: the target is what follows the scheme.
        let (scheme, target) = origin.split_once("://").unwrap_or_default();
        let host = uri.host().unwrap_or_default();
        let mut backend = fastly::Backend::builder(&name, target).override_host(host);
        backend = backend.connect_timeout(timeout).first_byte_timeout(timeout);
        backend = backend.between_bytes_timeout(timeout);
        if scheme == "https" {
            backend = backend.enable_ssl().sni_hostname(host).check_certificate(host);
        }
        match backend.finish() {
            Ok(backend) => Ok(backend.into_string()),
            // Registered earlier in this instance: reuse it.
            Err(BackendCreationError::NameInUse) => Ok(name),
            Err(BackendCreationError::Disallowed) => Err(invalid(format!(
                "{unmapped}; dynamic backends are not enabled on this service"
            ))),
            Err(e) => Err(invalid(format!("could not register a dynamic backend: {e}"))),
        }
    }
}

fn invalid(message: String) -> HttpError {
    HttpError::new(Kind::InvalidRequest, message)
}

impl HttpClient for FastlyClient {
    async fn send(&self, req: Request) -> Result<Response, HttpError> {
        let limits = Limits::of(&req);
        let deadline = Deadline::after(limits.timeout);
        let backend = self.backend_for(req.uri(), limits.timeout)?;
        let (req, body) = request_to_fastly(req)?.into_handles();
        let failed = |cause| send_error(&cause, &backend, &deadline);
        let body = body.unwrap_or_else(BodyHandle::new);
        let pending = req.send_async(body, &backend).map_err(failed)?;
        // Not ready in time: dropping the handle abandons the request.
        if !ready_within(&pending, deadline.remaining()).map_err(|m| other(&backend, &m))? {
            return Err(HttpError::timed_out(limits.timeout));
        }
        let (res, body) = pending.wait().map_err(failed)?;
        match response_from_handles(&res, body, limits.max_response_bytes, &deadline) {
            Ok(res) => res.map_err(|OverLimit| HttpError::too_large(limits.max_response_bytes)),
            Err(_) if deadline.expired() => Err(HttpError::timed_out(limits.timeout)),
            Err(message) => Err(other(&backend, &message)),
        }
    }
}

/// Blocks until `pending` is ready (`true`) or `timeout` has passed. The SDK
/// keeps its timed `select` private, so this calls the hostcall itself: the
/// only `unsafe` in the crate.
#[expect(unsafe_code, reason = "the host's select call with a timeout")]
fn ready_within(pending: &PendingRequestHandle, timeout: Duration) -> Result<bool, String> {
    if timeout.is_zero() {
        return Ok(false);
    }
    // 0 means "no timeout" to the host: at least 1 ms.
    let timeout_ms = u32::try_from(timeout.as_millis()).unwrap_or(u32::MAX).max(1);
    let handles = [pending.as_u32()];
    let mut done = 0_u32;
    // SAFETY: `handles` is a live array of one valid pending-request handle
    // (borrowed from `pending`, which outlives the call), its length is
    // passed alongside, and `done` is a valid place for the host to write a
    // u32. The hostcall neither keeps nor frees either pointer.
    let status = unsafe {
        fastly_sys::fastly_async_io::select(handles.as_ptr(), handles.len(), timeout_ms, &mut done)
    };
    status.result().map_err(|s| format!("waiting for the backend failed: host status {s:?}"))?;
    Ok(done != u32::MAX) // The host writes u32::MAX when the timeout elapsed first.
}

/// Maps a send failure to a kind and a message that says what to fix.
fn send_error(cause: &SendErrorCause, backend: &str, deadline: &Deadline) -> HttpError {
    use SendErrorCause as C;
    let kind = match cause {
        C::ConnectionRefused | C::DestinationUnavailable | C::DnsError { .. } => Kind::Refused,
        C::DestinationIpUnroutable => Kind::Refused,
        C::DnsTimeout | C::ConnectionTimeout | C::HttpResponseTimeout => Kind::Timeout,
        C::HttpResponseBodyTooLarge => Kind::TooLarge,
        C::DestinationNotFound => Kind::InvalidRequest,
        // Hosts that give no detail (Viceroy) report any transport failure as
        // a bare ERROR: one that ends at the deadline is the backend's own
        // timeout, an earlier one means no connection was made.
        _ if deadline.expired() => return HttpError::timed_out(deadline.timeout()),
        C::InternalError(Some(FastlyStatus::ERROR)) => {
            let why = "could not be reached (refused, unresolvable or closed before answering)";
            return HttpError::new(Kind::Refused, format!("backend `{backend}` {why}"));
        }
        _ => Kind::Other,
    };
    let hint = match kind {
        Kind::InvalidRequest => " (is the backend declared on the service / in fastly.toml?)",
        _ => "",
    };
    HttpError::new(kind, format!("backend `{backend}`: {cause}{hint}"))
}

fn other(backend: &str, message: &str) -> HttpError {
    HttpError::new(Kind::Other, format!("backend `{backend}`: {message}"))
}
