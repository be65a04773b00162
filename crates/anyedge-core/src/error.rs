//! The one error type of anyedge, and its RFC 9457 problem+json form.
//!
//! Every failure on the request path becomes an [`Error`]; the router turns it
//! into a response with [`Error::to_response`], so a handler just uses `?`.

use std::borrow::Cow;
use std::time::Duration;

use bytes::Bytes;
use http::{header, HeaderName, HeaderValue, Method, StatusCode};
use serde_json::{Map, Value};

use crate::client::HttpError;
use crate::Response;

/// Media type of every error body anyedge writes.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// Prefix of the `type` member of every problem body anyedge writes.
pub const PROBLEM_TYPE_BASE: &str = "https://anyedge.dev/problems/";

/// Anything that can go wrong while handling a request.
///
/// Each variant maps to a status ([`Error::status`]) and a stable problem
/// `type` ([`Error::slug`]). Messages name what was wrong and never contain a
/// configuration value or secret.
///
/// ```
/// use anyedge_core::Error;
/// use http::StatusCode;
///
/// let err = Error::validation("name", "must not be empty");
/// assert_eq!(err.status(), StatusCode::UNPROCESSABLE_ENTITY);
/// let res = err.to_response();
/// assert_eq!(res.headers()["content-type"], "application/problem+json");
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// No route matches the path (404).
    #[error("no route matches path {path}")]
    NotFound {
        /// The request path.
        path: String,
    },
    /// A route matches the path but not the method (405, with `Allow`).
    #[error("method {method} is not allowed on this route; allowed: {}", join_methods(.allow))]
    MethodNotAllowed {
        /// The request method.
        method: Method,
        /// The methods the route answers, in `Allow` order.
        allow: Vec<Method>,
    },
    /// The body is not of a media type the handler accepts (415).
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// The body is larger than the handler's limit (413).
    #[error("request body is larger than the limit of {limit} bytes")]
    PayloadTooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// The body is not valid JSON, or not of the expected shape (400).
    #[error(transparent)]
    InvalidJson(#[from] JsonError),
    /// The body parsed but a value breaks a rule (422).
    #[error("invalid field `{field}`: {reason}")]
    Validation {
        /// Path of the field, e.g. `name` or `items[2].id`.
        field: String,
        /// What rule it breaks.
        reason: String,
    },
    /// Any other client error (400).
    #[error("{0}")]
    BadRequest(String),
    /// The upstream could not be reached, timed out, or answered badly (502 or 504).
    #[error("{detail}")]
    Upstream {
        /// What went wrong.
        kind: UpstreamFailure,
        /// Details safe to show the client.
        detail: String,
        /// The client's error, when the failure came from the transport.
        #[source]
        source: Option<HttpError>,
    },
    /// Any status, with its own problem `type` and detail: 401, 403, 409,
    /// 429 with `Retry-After`, 503, … Made with [`Error::new`] and the
    /// helpers beside it.
    #[error("{}", .0.detail)]
    Status(Box<StatusProblem>),
    /// A configuration value the handler needs is missing or invalid (500).
    #[error("configuration `{name}` is {problem}")]
    Config {
        /// Name of the variable or secret (never its value).
        name: String,
        /// `missing`, or what is wrong with it.
        problem: String,
    },
    /// A bug or an unexpected failure inside the edge (500).
    #[error("internal error: {0}")]
    Internal(String),
}

/// The parts of an [`Error::Status`] problem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusProblem {
    status: StatusCode,
    slug: Cow<'static, str>,
    title: Cow<'static, str>,
    detail: String,
    headers: Vec<(HeaderName, HeaderValue)>,
}

/// Why a call to an upstream failed. Chooses the status (502 or 504) and the problem type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum UpstreamFailure {
    /// The connection was refused or could not be made (502).
    Unreachable,
    /// The upstream did not answer in time (504).
    Timeout,
    /// The upstream answered with an error status (502).
    Status,
    /// The upstream's body is not what the edge expected (502).
    InvalidBody,
    /// The upstream's body is over the size limit (502).
    TooLarge,
    /// The upstream redirected, which the edge does not follow (502).
    Redirect,
    /// Any other transport failure (502).
    Other,
}

impl UpstreamFailure {
    fn slug(self) -> &'static str {
        match self {
            Self::Unreachable => "upstream-unreachable",
            Self::Timeout => "upstream-timeout",
            Self::Status => "upstream-status",
            Self::InvalidBody => "upstream-invalid-body",
            Self::TooLarge => "upstream-too-large",
            Self::Redirect => "upstream-redirect",
            Self::Other => "upstream-error",
        }
    }
}

impl std::fmt::Display for UpstreamFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Unreachable => "unreachable",
            Self::Timeout => "timed out",
            Self::Status => "answered with an error status",
            Self::InvalidBody => "sent an invalid body",
            Self::TooLarge => "sent a body over the limit",
            Self::Redirect => "redirected",
            Self::Other => "failed",
        })
    }
}

/// Where and why a JSON body could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid JSON at line {line}, column {column}{}: {message}", field_suffix(.path))]
pub struct JsonError {
    /// 1-based line of the error in the body.
    pub line: usize,
    /// 1-based column of the error in the body.
    pub column: usize,
    /// Path of the field at fault (`items[2].id`), empty at the top level.
    pub path: String,
    /// What was wrong, as serde_json says it.
    pub message: String,
}

fn field_suffix(path: &str) -> String {
    if path.is_empty() || path == "." {
        String::new()
    } else {
        format!(" (field `{path}`)")
    }
}

fn join_methods(methods: &[Method]) -> String {
    methods.iter().map(Method::as_str).collect::<Vec<_>>().join(", ")
}

impl From<HttpError> for Error {
    fn from(err: HttpError) -> Self {
        use crate::client::HttpErrorKind;
        let kind = match err.kind() {
            HttpErrorKind::Refused => UpstreamFailure::Unreachable,
            HttpErrorKind::Timeout => UpstreamFailure::Timeout,
            HttpErrorKind::TooLarge => UpstreamFailure::TooLarge,
            _ => UpstreamFailure::Other,
        };
        let detail = format!("upstream request failed: {err}");
        Error::Upstream { kind, detail, source: Some(err) }
    }
}

/// `Not Found` → `not-found`.
fn slug_of(reason: &str) -> String {
    reason
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' })
        .collect()
}

impl Error {
    /// A 422 for a field that parsed but breaks a rule.
    pub fn validation(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::Validation { field: field.into(), reason: reason.into() }
    }

    /// A 500 for a configuration variable or secret that is not set.
    pub fn missing_config(name: impl Into<String>) -> Self {
        Error::Config { name: name.into(), problem: "missing".into() }
    }

    /// A 502/504 for an upstream failure.
    pub fn upstream(kind: UpstreamFailure, detail: impl Into<String>) -> Self {
        Error::Upstream { kind, detail: detail.into(), source: None }
    }

    /// A problem with any `status` and `detail`. Its `type` slug and title
    /// come from the status (`409` → `conflict`, `Conflict`) until
    /// [`Error::with_type`] names them; a status that is not 4xx or 5xx is
    /// answered as 500.
    ///
    /// ```
    /// use anyedge_core::Error;
    /// use http::StatusCode;
    /// let err = Error::new(StatusCode::CONFLICT, "note 7 was changed meanwhile")
    ///     .with_type("edit-conflict", "Edit Conflict");
    /// let res = err.to_response();
    /// assert_eq!(res.status(), 409);
    /// assert_eq!(err.problem()["type"], "https://anyedge.dev/problems/edit-conflict");
    /// ```
    pub fn new(status: StatusCode, detail: impl Into<String>) -> Self {
        let status = if status.is_client_error() || status.is_server_error() {
            status
        } else {
            StatusCode::INTERNAL_SERVER_ERROR
        };
        let reason = status.canonical_reason().unwrap_or("Error");
        Error::Status(Box::new(StatusProblem {
            status,
            slug: slug_of(reason).into(),
            title: reason.into(),
            detail: detail.into(),
            headers: Vec::new(),
        }))
    }

    /// This error as a [`Error::Status`] problem of type `slug` (the last
    /// segment of the `type` URI; letters, digits and `-`) and `title`, with
    /// the same status, detail and headers.
    pub fn with_type(
        self,
        slug: impl Into<Cow<'static, str>>,
        title: impl Into<Cow<'static, str>>,
    ) -> Self {
        let mut problem = self.into_status();
        problem.slug = slug.into();
        problem.title = title.into();
        Error::Status(problem)
    }

    /// This error with header `name: value` on its response (e.g.
    /// `Retry-After`); a [`Error::Status`] problem of the same status.
    pub fn with_header(self, name: HeaderName, value: HeaderValue) -> Self {
        let mut problem = self.into_status();
        problem.headers.push((name, value));
        Error::Status(problem)
    }

    fn into_status(self) -> Box<StatusProblem> {
        match self {
            Error::Status(problem) => problem,
            other => {
                let headers = other.headers();
                Box::new(StatusProblem {
                    status: other.status(),
                    slug: other.slug().to_owned().into(),
                    title: other.title().to_owned().into(),
                    detail: other.to_string(),
                    headers,
                })
            }
        }
    }

    /// A 401: the request carries no credentials, or unusable ones. Add
    /// `WWW-Authenticate` with [`Error::with_header`].
    pub fn unauthorized(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, detail)
    }

    /// A 403: the credentials are valid but not for this.
    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, detail)
    }

    /// A 409: the request conflicts with the current state of the resource.
    pub fn conflict(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, detail)
    }

    /// A 429, with `Retry-After` (whole seconds, rounded up) when given.
    pub fn too_many_requests(detail: impl Into<String>, retry_after: Option<Duration>) -> Self {
        Self::new(StatusCode::TOO_MANY_REQUESTS, detail).retry_after(retry_after)
    }

    /// A 503, with `Retry-After` (whole seconds, rounded up) when given.
    pub fn service_unavailable(detail: impl Into<String>, retry_after: Option<Duration>) -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, detail).retry_after(retry_after)
    }

    fn retry_after(self, after: Option<Duration>) -> Self {
        match after {
            None => self,
            Some(after) => {
                let secs = after.as_secs() + u64::from(after.subsec_nanos() > 0);
                self.with_header(header::RETRY_AFTER, HeaderValue::from(secs))
            }
        }
    }

    /// The headers this error's response carries beside `Content-Type`.
    fn headers(&self) -> Vec<(HeaderName, HeaderValue)> {
        match self {
            Error::Status(problem) => problem.headers.clone(),
            Error::MethodNotAllowed { allow, .. } => HeaderValue::from_str(&join_methods(allow))
                .map(|v| vec![(header::ALLOW, v)])
                .unwrap_or_default(),
            _ => Vec::new(),
        }
    }

    /// The HTTP status this error maps to.
    pub fn status(&self) -> StatusCode {
        match self {
            Error::NotFound { .. } => StatusCode::NOT_FOUND,
            Error::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            Error::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Error::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Error::InvalidJson(_) | Error::BadRequest(_) => StatusCode::BAD_REQUEST,
            Error::Validation { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            Error::Upstream { kind: UpstreamFailure::Timeout, .. } => StatusCode::GATEWAY_TIMEOUT,
            Error::Upstream { .. } => StatusCode::BAD_GATEWAY,
            Error::Config { .. } | Error::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            Error::Status(problem) => problem.status,
        }
    }

    /// The stable last segment of the problem `type`, e.g. `invalid-json`.
    pub fn slug(&self) -> &str {
        match self {
            Error::NotFound { .. } => "not-found",
            Error::MethodNotAllowed { .. } => "method-not-allowed",
            Error::UnsupportedMediaType(_) => "unsupported-media-type",
            Error::PayloadTooLarge { .. } => "payload-too-large",
            Error::InvalidJson(_) => "invalid-json",
            Error::Validation { .. } => "validation",
            Error::BadRequest(_) => "bad-request",
            Error::Upstream { kind, .. } => kind.slug(),
            Error::Config { .. } => "configuration",
            Error::Internal(_) => "internal",
            Error::Status(problem) => &problem.slug,
        }
    }

    /// A short, stable, human-readable summary of the problem type.
    pub fn title(&self) -> &str {
        match self {
            Error::NotFound { .. } => "Not Found",
            Error::MethodNotAllowed { .. } => "Method Not Allowed",
            Error::UnsupportedMediaType(_) => "Unsupported Media Type",
            Error::PayloadTooLarge { .. } => "Payload Too Large",
            Error::InvalidJson(_) => "Invalid JSON",
            Error::Validation { .. } => "Validation Failed",
            Error::BadRequest(_) => "Bad Request",
            Error::Upstream { kind, .. } => match kind {
                UpstreamFailure::Unreachable => "Upstream Unreachable",
                UpstreamFailure::Timeout => "Upstream Timeout",
                UpstreamFailure::Status => "Upstream Error Status",
                UpstreamFailure::InvalidBody => "Upstream Invalid Body",
                UpstreamFailure::TooLarge => "Upstream Body Too Large",
                UpstreamFailure::Redirect => "Upstream Redirect",
                UpstreamFailure::Other => "Upstream Failure",
            },
            Error::Config { .. } => "Configuration Error",
            Error::Internal(_) => "Internal Error",
            Error::Status(problem) => &problem.title,
        }
    }

    /// The RFC 9457 problem object: `type`, `title`, `status`, `detail`, and
    /// members that locate the fault (`line`, `column`, `field`, `allow`, `limit`).
    pub fn problem(&self) -> Value {
        let mut p = Map::new();
        p.insert("type".into(), Value::String(format!("{PROBLEM_TYPE_BASE}{}", self.slug())));
        p.insert("title".into(), self.title().into());
        p.insert("status".into(), self.status().as_u16().into());
        p.insert("detail".into(), self.to_string().into());
        match self {
            Error::InvalidJson(e) => {
                p.insert("line".into(), e.line.into());
                p.insert("column".into(), e.column.into());
                if !e.path.is_empty() && e.path != "." {
                    p.insert("field".into(), e.path.clone().into());
                }
            }
            Error::Validation { field, .. } => {
                p.insert("field".into(), field.clone().into());
            }
            Error::MethodNotAllowed { allow, .. } => {
                p.insert("allow".into(), join_methods(allow).into());
            }
            Error::PayloadTooLarge { limit } => {
                p.insert("limit".into(), (*limit).into());
            }
            _ => {}
        }
        Value::Object(p)
    }

    /// The response for this error: its status, a problem+json body, and
    /// its headers (`Allow` on a 405, those added with [`Error::with_header`]).
    pub fn to_response(&self) -> Response {
        let body = serde_json::to_vec(&self.problem()).unwrap_or_default();
        let mut res = Response::new(Bytes::from(body));
        *res.status_mut() = self.status();
        res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        for (name, value) in self.headers() {
            res.headers_mut().append(name, value);
        }
        res
    }
}

/// `Result` with anyedge's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
