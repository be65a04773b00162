//! Outbound HTTP over Fastly backends: [`FastlyClient`].

use std::io;
use std::time::{Duration, Instant};

use anyedge_core::client::{HttpClient, HttpError, HttpErrorKind, Limits};
use anyedge_core::{Bytes, Request, Response};
use fastly::backend::BackendCreationError;
use fastly::handle::{BodyHandle, PendingRequestHandle};
use fastly::http::request::SendErrorCause;
use fastly::Backend;
use fastly_shared::FastlyStatus;
use http::Uri;

use crate::backends::{dynamic_name, origin_of, BackendMap};
use crate::body::{read_capped, Capped};
use crate::wait::{ready_within, Wait};

/// Sends requests to Fastly backends, chosen by the URL's origin (see
/// [`crate::backends`]). Requests are `pass` (never cached), redirects are
/// returned as responses, and [`Limits`] are enforced.
#[derive(Debug, Clone, Default)]
pub struct FastlyClient {
    backends: BackendMap,
    dynamic: bool,
    misconfigured: Option<String>,
}

impl FastlyClient {
    /// A client over static backends mapped by `backends`.
    pub fn new(backends: BackendMap) -> Self {
        FastlyClient {
            backends,
            dynamic: false,
            misconfigured: None,
        }
    }

    /// A client whose backend configuration is wrong: every request fails
    /// with `problem`, which should say what to fix.
    pub fn misconfigured(problem: impl Into<String>) -> Self {
        FastlyClient {
            misconfigured: Some(problem.into()),
            ..Self::default()
        }
    }

    /// Also registers dynamic backends for origins `backends` does not map.
    /// Dynamic backends must be enabled on the Fastly service.
    pub fn with_dynamic_backends(mut self, enabled: bool) -> Self {
        self.dynamic = enabled;
        self
    }

    /// Sends `req` and waits for the whole response, blocking.
    pub fn send_blocking(&self, req: Request) -> Result<Response, HttpError> {
        let limits = Limits::of(&req);
        let deadline = Deadline::start(limits.timeout);
        let backend = self.backend_for(req.uri(), &limits)?;
        let (req_handle, body_handle) = to_fastly(req)?.into_handles();
        let body_handle = body_handle.unwrap_or_else(BodyHandle::new);
        let pending = req_handle
            .send_async(body_handle, &backend)
            .map_err(|cause| send_error(&cause, &backend, &deadline))?;
        let (resp_handle, body_handle) = wait_for(pending, &backend, &deadline)?;
        let mut out = Response::new(Bytes::new());
        *out.status_mut() = resp_handle.get_status();
        *out.headers_mut() = crate::headers::of_response(&resp_handle).map_err(|e| {
            HttpError::new(
                HttpErrorKind::Other,
                format!("backend `{backend}` sent a header that cannot be read: {e}"),
            )
        })?;
        let body = fastly::Body::from(body_handle);
        let body = read_capped(body, limits.max_response_bytes, || deadline.check_io())
            .map_err(|e| body_error(&e, &backend, &deadline))?;
        match body {
            Capped::Within(bytes) => *out.body_mut() = bytes,
            Capped::Over => {
                return Err(HttpError::new(
                    HttpErrorKind::TooLarge,
                    format!(
                        "backend `{backend}` sent a body over the limit of {} bytes",
                        limits.max_response_bytes
                    ),
                ))
            }
        }
        Ok(out)
    }

    /// The backend for `uri`: static mapping first, then (if enabled) a dynamic one.
    fn backend_for(&self, uri: &Uri, limits: &Limits) -> Result<String, HttpError> {
        if let Some(problem) = &self.misconfigured {
            return Err(HttpError::new(
                HttpErrorKind::InvalidRequest,
                problem.clone(),
            ));
        }
        if let Some(name) = self.backends.backend_for(uri) {
            return Ok(name.to_owned());
        }
        let origin = origin_of(uri).ok_or_else(|| {
            HttpError::new(
                HttpErrorKind::InvalidRequest,
                "the request URL is not an absolute http(s) URL",
            )
        })?;
        if !self.dynamic {
            return Err(HttpError::new(
                HttpErrorKind::InvalidRequest,
                format!(
                    "no Fastly backend for origin {origin}: add `{origin}=<backend>` to config \
                     BACKENDS (and declare the backend), or set DYNAMIC_BACKENDS=true"
                ),
            ));
        }
        register_dynamic(uri, &origin, limits)
    }
}

impl HttpClient for FastlyClient {
    async fn send(&self, req: Request) -> Result<Response, HttpError> {
        self.send_blocking(req)
    }
}

/// Registers (or reuses) the dynamic backend for `origin`.
fn register_dynamic(uri: &Uri, origin: &str, limits: &Limits) -> Result<String, HttpError> {
    let name = dynamic_name(origin);
    let host = uri.host().unwrap_or_default();
    let https = uri.scheme_str() == Some("https");
    let port = uri.port_u16().unwrap_or(if https { 443 } else { 80 });
    let target = format!("{host}:{port}");
    let mut builder = Backend::builder(&name, &target)
        .override_host(host)
        .connect_timeout(limits.timeout)
        .first_byte_timeout(limits.timeout)
        .between_bytes_timeout(limits.timeout);
    if https {
        builder = builder
            .enable_ssl()
            .sni_hostname(host)
            .check_certificate(host);
    }
    match builder.finish() {
        Ok(backend) => Ok(backend.into_string()),
        // Registered earlier in this instance: reuse it.
        Err(BackendCreationError::NameInUse) => Ok(name),
        Err(BackendCreationError::Disallowed) => Err(HttpError::new(
            HttpErrorKind::InvalidRequest,
            format!(
                "no Fastly backend for origin {origin}, and dynamic backends are not enabled on \
                 this service: map it in config BACKENDS or enable dynamic backends"
            ),
        )),
        Err(e) => Err(HttpError::new(
            HttpErrorKind::InvalidRequest,
            format!("could not register a dynamic backend for origin {origin}: {e}"),
        )),
    }
}

/// Builds the SDK request: method, URL, headers, body; `pass`.
fn to_fastly(req: Request) -> Result<fastly::Request, HttpError> {
    let (parts, body) = req.into_parts();
    let url = parts.uri.to_string();
    let url = fastly::http::Url::parse(&url).map_err(|_| {
        HttpError::new(
            HttpErrorKind::InvalidRequest,
            "the request URL is not a valid absolute URL",
        )
    })?;
    let mut out = fastly::Request::new(parts.method, url);
    for (name, value) in &parts.headers {
        out.append_header(name, value);
    }
    if !body.is_empty() {
        out.set_body(body.to_vec());
    }
    out.set_pass(true);
    Ok(out)
}

/// Waits for `pending` until the deadline.
fn wait_for(
    pending: PendingRequestHandle,
    backend: &str,
    deadline: &Deadline,
) -> Result<(fastly::handle::ResponseHandle, BodyHandle), HttpError> {
    match ready_within(&pending, deadline.remaining()) {
        Ok(Wait::Ready) => pending
            .wait()
            .map_err(|cause| send_error(&cause, backend, deadline)),
        // Dropping the handle abandons the request.
        Ok(Wait::TimedOut) => Err(deadline.timeout_error(backend)),
        Err(message) => Err(HttpError::new(
            HttpErrorKind::Other,
            format!("backend `{backend}`: {message}"),
        )),
    }
}

/// Maps a send failure to a kind and an actionable message.
fn send_error(cause: &SendErrorCause, backend: &str, deadline: &Deadline) -> HttpError {
    use SendErrorCause as C;
    let kind = match cause {
        C::ConnectionRefused
        | C::DestinationUnavailable
        | C::DestinationIpUnroutable
        | C::DnsError { .. } => HttpErrorKind::Refused,
        C::DnsTimeout | C::ConnectionTimeout | C::HttpResponseTimeout => HttpErrorKind::Timeout,
        C::HttpResponseBodyTooLarge => HttpErrorKind::TooLarge,
        C::DestinationNotFound => HttpErrorKind::InvalidRequest,
        // Hosts that give no detail (Viceroy) report any transport failure
        // as a bare ERROR: one that ends at the deadline is the backend's
        // own timeout, an earlier one means no connection was made.
        C::InternalError(Some(FastlyStatus::ERROR)) if deadline.expired() => {
            return deadline.timeout_error(backend)
        }
        C::InternalError(Some(FastlyStatus::ERROR)) => {
            return HttpError::new(
                HttpErrorKind::Refused,
                format!(
                    "backend `{backend}` could not be reached (connection refused, \
                     unresolvable or closed before answering)"
                ),
            )
        }
        _ if deadline.expired() => return deadline.timeout_error(backend),
        _ => HttpErrorKind::Other,
    };
    let hint = match kind {
        HttpErrorKind::InvalidRequest => {
            " (is the backend declared on the service / in fastly.toml?)"
        }
        _ => "",
    };
    HttpError::new(kind, format!("backend `{backend}`: {cause}{hint}"))
}

fn body_error(err: &io::Error, backend: &str, deadline: &Deadline) -> HttpError {
    if err.kind() == io::ErrorKind::TimedOut || deadline.expired() {
        return deadline.timeout_error(backend);
    }
    HttpError::new(
        HttpErrorKind::Other,
        format!("backend `{backend}`: reading the response body failed: {err}"),
    )
}

/// The end of the exchange.
struct Deadline {
    at: Instant,
    timeout: Duration,
}

impl Deadline {
    fn start(timeout: Duration) -> Self {
        let now = Instant::now();
        Deadline {
            at: now
                .checked_add(timeout)
                .unwrap_or(now + Duration::from_secs(86_400)),
            timeout,
        }
    }

    fn remaining(&self) -> Duration {
        self.at.saturating_duration_since(Instant::now())
    }

    fn expired(&self) -> bool {
        self.remaining().is_zero()
    }

    fn check_io(&self) -> io::Result<()> {
        if self.expired() {
            Err(io::Error::new(io::ErrorKind::TimedOut, "deadline passed"))
        } else {
            Ok(())
        }
    }

    fn timeout_error(&self, backend: &str) -> HttpError {
        HttpError::new(
            HttpErrorKind::Timeout,
            format!(
                "backend `{backend}` did not answer within {} ms",
                self.timeout.as_millis()
            ),
        )
    }
}
