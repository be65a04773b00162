//! [`ReqwestClient`]: the native [`HttpClient`], over reqwest with rustls.

use anyedge_core::client::{HttpClient, HttpError, HttpErrorKind, Limits};
use anyedge_core::{Bytes, Request, Response};

/// An [`HttpClient`] over a shared `reqwest::Client` (connection pooling,
/// TLS with the webpki roots). Redirects are not followed; the request's
/// [`Limits`] bound the exchange's time and the body's size.
#[derive(Clone, Debug)]
pub struct ReqwestClient {
    inner: reqwest::Client,
}

impl ReqwestClient {
    /// A client with anyedge's policy: no redirects, 5 s connect timeout.
    pub fn new() -> Result<Self, HttpError> {
        let inner = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(std::time::Duration::from_secs(5))
            .build()
            .map_err(|e| HttpError::new(HttpErrorKind::Other, format!("HTTP client: {e}")))?;
        Ok(ReqwestClient { inner })
    }

    /// Wraps a `reqwest::Client` you configured yourself.
    pub fn from_reqwest(inner: reqwest::Client) -> Self {
        ReqwestClient { inner }
    }
}

fn map_error(e: reqwest::Error) -> HttpError {
    let kind = if e.is_timeout() {
        HttpErrorKind::Timeout
    } else if e.is_connect() {
        HttpErrorKind::Refused
    } else if e.is_builder() {
        HttpErrorKind::InvalidRequest
    } else {
        HttpErrorKind::Other
    };
    // Without the URL: it may carry credentials.
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

impl HttpClient for ReqwestClient {
    async fn send(&self, req: Request) -> Result<Response, HttpError> {
        let limits = Limits::of(&req);
        let (parts, body) = req.into_parts();
        let url = parts.uri.to_string();
        let mut res = self
            .inner
            .request(parts.method, url)
            .headers(parts.headers)
            .body(body)
            .timeout(limits.timeout)
            .send()
            .await
            .map_err(map_error)?;
        let too_large = || {
            HttpError::new(
                HttpErrorKind::TooLarge,
                format!(
                    "upstream body is over the limit of {} bytes",
                    limits.max_response_bytes
                ),
            )
        };
        if res
            .content_length()
            .is_some_and(|n| n > limits.max_response_bytes as u64)
        {
            return Err(too_large());
        }
        let mut buf = Vec::new();
        while let Some(chunk) = res.chunk().await.map_err(map_error)? {
            if buf.len() + chunk.len() > limits.max_response_bytes {
                return Err(too_large());
            }
            buf.extend_from_slice(&chunk);
        }
        let mut out = Response::new(Bytes::from(buf));
        *out.status_mut() = res.status();
        *out.headers_mut() = std::mem::take(res.headers_mut());
        Ok(out)
    }
}
