//! [`NativeClient`]: outbound HTTP over reqwest with rustls.

use std::time::Duration;

use anyedge_core::client::{HttpClient, HttpError, HttpErrorKind, Limits};
use anyedge_core::{Request, Response};

use crate::convert::{response_from_reqwest, to_reqwest};

/// An [`HttpClient`] over a shared `reqwest::Client` (connection pooling,
/// TLS with the webpki roots). Redirects are not followed; the request's
/// [`Limits`] bound the exchange's time and the body's size. Cheap to clone.
#[derive(Clone, Debug)]
pub struct NativeClient {
    inner: reqwest::Client,
}

impl NativeClient {
    /// A client with anyedge's policy: no redirects, 5 s connect timeout.
    pub fn new() -> Result<Self, HttpError> {
        let inner = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_secs(5))
            .build()
            .map_err(|e| HttpError::new(HttpErrorKind::Other, format!("HTTP client: {e}")))?;
        Ok(NativeClient { inner })
    }

    /// Wraps a `reqwest::Client` you configured yourself.
    pub fn from_reqwest(inner: reqwest::Client) -> Self {
        NativeClient { inner }
    }
}

/// The kind of a reqwest failure, and its message without the URL (which
/// may carry credentials), with its causes.
pub(crate) fn map_error(e: reqwest::Error) -> HttpError {
    let kind = if e.is_timeout() {
        HttpErrorKind::Timeout
    } else if e.is_connect() {
        HttpErrorKind::Refused
    } else if e.is_builder() {
        HttpErrorKind::InvalidRequest
    } else {
        HttpErrorKind::Other
    };
    let e = e.without_url();
    let mut message = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        message.push_str(": ");
        message.push_str(&s.to_string());
        source = s.source();
    }
    HttpError::new(kind, message)
}

impl HttpClient for NativeClient {
    async fn send(&self, req: Request) -> Result<Response, HttpError> {
        let limits = Limits::of(&req);
        let res =
            to_reqwest(&self.inner, req).timeout(limits.timeout).send().await.map_err(map_error)?;
        response_from_reqwest(res, limits.max_response_bytes).await
    }
}
