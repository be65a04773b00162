//! Between `fastly::Request`/`fastly::Response` and the core's buffered
//! `http` types.

use anyedge_core::{Bytes, Error, Request, Response};
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
