//! Every conversion of the Fastly host, in one place: the client request
//! and the upstream response are read from their host handles (headers too,
//! without the SDK's lazy per-header map, which measured about 4% of a
//! `POST /greet` on Viceroy); responses and outbound requests are built with
//! the SDK's types. Bodies are read under their limit with the adapter kit.

use anyedge_core::adapter::{check_declared_length, read_to_limit, Deadline, OverLimit};
use anyedge_core::{Error, HttpError, HttpErrorKind, Request, Response};
use fastly::error::BufferSizeError;
use fastly::handle::{BodyHandle, RequestHandle, ResponseHandle};
use http::HeaderMap;

/// First buffer for a header name, value, URL or method; a longer one makes
/// the host say how much it needs, up to [`MAX_BUF`].
const FIRST_BUF: usize = 4096;
const MAX_BUF: usize = 1 << 20;

/// Every header of a request or response handle, repeated values kept (the
/// two handle types have the same methods but no common trait).
macro_rules! read_headers {
    ($handle:expr, $size:expr) => {{
        let mut map = HeaderMap::new();
        for name in $handle.get_header_names($size) {
            let name = name?;
            for value in $handle.get_header_values(&name, $size) {
                map.append(name.clone(), value?);
            }
        }
        Ok::<_, BufferSizeError>(map)
    }};
}

/// The client request as an anyedge [`Request`], its body read up to
/// `limit`: 413 past it (before reading when `Content-Length` says so), 400
/// when the URL, headers or body cannot be read.
pub(crate) fn request_from_handles(
    req: &RequestHandle,
    body: BodyHandle,
    limit: usize,
) -> Result<Request, Error> {
    let bad = |what: &str| Error::BadRequest(format!("the request {what} cannot be read"));
    let headers = with_retries(|size| read_headers!(req, size)).map_err(|_| bad("headers"))?;
    check_declared_length(&headers, limit)?;
    let url = with_retries(|size| req.get_url(size)).map_err(|_| bad("URL"))?;
    let body = read_to_limit(fastly::Body::from(body), limit, || Ok(()));
    let body = body.map_err(|_| bad("body"))?;
    let mut out = Request::new(body.map_err(|OverLimit| Error::PayloadTooLarge { limit })?);
    *out.uri_mut() = url.as_str().parse().map_err(|_| bad("URL"))?;
    *out.method_mut() = req.get_method(64).map_err(|_| bad("method"))?;
    *out.version_mut() = req.get_version();
    *out.headers_mut() = headers;
    Ok(out)
}

/// An anyedge [`Response`] as the `fastly::Response` to send. Framing
/// (`Content-Length`, `Transfer-Encoding`) is left to Fastly.
pub(crate) fn response_to_fastly(res: Response) -> fastly::Response {
    fastly::Response::from(res.map(|body| fastly::Body::from(body.to_vec())))
}

/// An outbound anyedge [`Request`] as an uncached (`pass`) SDK request.
pub(crate) fn request_to_fastly(req: Request) -> Result<fastly::Request, HttpError> {
    // The SDK's conversion parses the URL again and panics if it cannot.
    if fastly::http::Url::parse(&req.uri().to_string()).is_err() {
        let why = "the request URL is not a valid absolute URL";
        return Err(HttpError::new(HttpErrorKind::InvalidRequest, why));
    }
    let mut out = fastly::Request::from(req.map(|body| fastly::Body::from(body.to_vec())));
    out.set_pass(true);
    Ok(out)
}

/// An upstream's answer as an anyedge [`Response`], its body read up to
/// `max_bytes` before `deadline`. `Ok(Err(OverLimit))` past the limit.
pub(crate) fn response_from_handles(
    res: &ResponseHandle,
    body: BodyHandle,
    max_bytes: usize,
    deadline: &Deadline,
) -> Result<Result<Response, OverLimit>, String> {
    let headers = with_retries(|size| read_headers!(res, size))
        .map_err(|n| format!("sent a header of {n} bytes, which cannot be read"))?;
    if check_declared_length(&headers, max_bytes).is_err() {
        return Ok(Err(OverLimit));
    }
    let body = read_to_limit(fastly::Body::from(body), max_bytes, || deadline.check());
    let body = body.map_err(|e| format!("reading the response body failed: {e}"))?;
    Ok(body.map(|bytes| {
        let mut out = Response::new(bytes);
        *out.status_mut() = res.get_status();
        *out.headers_mut() = headers;
        out
    }))
}

/// Runs `read` with a larger buffer when the host asks for one, up to
/// [`MAX_BUF`]; `Err(size)` for something longer.
fn with_retries<T>(mut read: impl FnMut(usize) -> Result<T, BufferSizeError>) -> Result<T, usize> {
    let mut size = FIRST_BUF;
    loop {
        match read(size) {
            Err(e) if e.needed_buf_size > size && e.needed_buf_size <= MAX_BUF => {
                size = e.needed_buf_size
            }
            other => return other.map_err(|e| e.needed_buf_size),
        }
    }
}
