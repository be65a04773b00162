//! Between `fastly::Request`/`fastly::Response` and the core's buffered
//! `http` types.

use anyedge_core::{Bytes, Error, Request, Response};
use fastly::handle::{BodyHandle, RequestHandle};
use http::{header, Uri};

use crate::body::{read_capped, Capped};

/// Turns the client request into a core [`Request`], reading its body up to
/// `limit` bytes.
///
/// Errors are ready to answer with [`Error::to_response`]: 413 (a problem
/// with `limit`) when the body is larger, 400 when the URL cannot be parsed
/// or the body cannot be read.
pub fn from_fastly_request(req: &mut fastly::Request, limit: usize) -> Result<Request, Error> {
    check_declared_length(req.get_header_str(header::CONTENT_LENGTH), limit)?;
    let uri = parse_url(req.get_url_str())?;
    let body = if req.has_body() {
        read_body(req.take_body(), limit)?
    } else {
        Bytes::new()
    };
    let mut out = Request::new(body);
    *out.method_mut() = req.get_method().clone();
    *out.uri_mut() = uri;
    *out.version_mut() = req.get_version();
    for (name, value) in req.get_headers() {
        out.headers_mut().append(name.clone(), value.clone());
    }
    Ok(out)
}

/// Longest request URL read (the host says when one is longer).
const MAX_URL: usize = 1 << 20;

/// [`from_fastly_request`] for the client request's handles, as [`crate::run`]
/// takes them: headers, method and URL are read from the host handle
/// directly (the SDK's `Request` would cache each header in a lazy map
/// first), the body up to `limit` bytes.
pub(crate) fn from_client_handles(
    req: &RequestHandle,
    body: BodyHandle,
    limit: usize,
) -> Result<Request, Error> {
    let headers = crate::headers::of_request(req)
        .map_err(|e| Error::BadRequest(format!("the request headers cannot be read: {e}")))?;
    check_declared_length(
        headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok()),
        limit,
    )?;
    let url = match req.get_url(4096) {
        Err(e) if e.needed_buf_size <= MAX_URL => req.get_url(e.needed_buf_size),
        other => other,
    }
    .map_err(|_| Error::BadRequest("the request URL is too long".into()))?;
    let uri = parse_url(url.as_str())?;
    let method = req
        .get_method(64)
        .map_err(|_| Error::BadRequest("the request method is too long".into()))?;
    let body = read_body(fastly::Body::from(body), limit)?;
    let mut out = Request::new(body);
    *out.method_mut() = method;
    *out.uri_mut() = uri;
    *out.version_mut() = req.get_version();
    *out.headers_mut() = headers;
    Ok(out)
}

/// 413 when a `Content-Length` announces more than `limit` bytes.
fn check_declared_length(value: Option<&str>, limit: usize) -> Result<(), Error> {
    let declared = value.and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(Error::PayloadTooLarge { limit });
    }
    Ok(())
}

/// The request URL as a [`Uri`]; 400 when it cannot be parsed.
fn parse_url(url: &str) -> Result<Uri, Error> {
    url.parse()
        .map_err(|_| Error::BadRequest("the request URL cannot be parsed".into()))
}

/// The request body, read up to `limit` bytes (413 past it, 400 when it
/// cannot be read).
fn read_body(body: fastly::Body, limit: usize) -> Result<Bytes, Error> {
    match read_capped(body, limit, || Ok(())) {
        Ok(Capped::Within(bytes)) => Ok(bytes),
        Ok(Capped::Over) => Err(Error::PayloadTooLarge { limit }),
        Err(e) => Err(Error::BadRequest(format!(
            "the request body could not be read: {e}"
        ))),
    }
}

/// Turns a core [`Response`] into the `fastly::Response` to send. Framing
/// (`Content-Length`, `Transfer-Encoding`) is left to Fastly.
pub fn into_fastly_response(res: Response) -> fastly::Response {
    let (parts, body) = res.into_parts();
    let mut out = fastly::Response::from_status(parts.status);
    for (name, value) in &parts.headers {
        out.append_header(name, value);
    }
    if !body.is_empty() {
        out.set_body(body.to_vec());
    }
    out
}
