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
    let declared = req
        .get_header_str(header::CONTENT_LENGTH)
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(Error::PayloadTooLarge { limit });
    }
    let uri: Uri = req
        .get_url_str()
        .parse()
        .map_err(|_| Error::BadRequest("the request URL cannot be parsed".into()))?;
    let body = if req.has_body() {
        match read_capped(req.take_body(), limit, || Ok(())) {
            Ok(Capped::Within(bytes)) => bytes,
            Ok(Capped::Over) => return Err(Error::PayloadTooLarge { limit }),
            Err(e) => {
                return Err(Error::BadRequest(format!(
                    "the request body could not be read: {e}"
                )))
            }
        }
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
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(Error::PayloadTooLarge { limit });
    }
    let url = match req.get_url(4096) {
        Err(e) if e.needed_buf_size <= MAX_URL => req.get_url(e.needed_buf_size),
        other => other,
    }
    .map_err(|_| Error::BadRequest("the request URL is too long".into()))?;
    let uri: Uri = url
        .as_str()
        .parse()
        .map_err(|_| Error::BadRequest("the request URL cannot be parsed".into()))?;
    let method = req
        .get_method(64)
        .map_err(|_| Error::BadRequest("the request method is too long".into()))?;
    let body = match read_capped(fastly::Body::from(body), limit, || Ok(())) {
        Ok(Capped::Within(bytes)) => bytes,
        Ok(Capped::Over) => return Err(Error::PayloadTooLarge { limit }),
        Err(e) => {
            return Err(Error::BadRequest(format!(
                "the request body could not be read: {e}"
            )))
        }
    };
    let mut out = Request::new(body);
    *out.method_mut() = method;
    *out.uri_mut() = uri;
    *out.version_mut() = req.get_version();
    *out.headers_mut() = headers;
    Ok(out)
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
