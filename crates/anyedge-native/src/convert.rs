//! Every conversion of the native host, in one place: hyper's requests and
//! responses to and from anyedge's, for the requests it serves, and
//! reqwest's, for the upstream calls it makes. Bodies are read under their
//! limit with `http-body-util`'s `Limited`.

use anyedge_core::adapter::check_declared_length;
use anyedge_core::client::{HttpError, HttpErrorKind};
use anyedge_core::{Bytes, Error, Request, Response};
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::body::{Body, Buf};

/// What a request body's error must be to be read under a limit.
pub(crate) type BoxError = Box<dyn std::error::Error + Send + Sync>;

use crate::client::map_error;

/// Largest oversized upload read (and discarded) before answering 413, so
/// that clients which write the whole body before reading get the answer
/// instead of a broken pipe. Past it, the 413 is sent and the connection closed.
const DRAIN_LIMIT: usize = 16 * 1024 * 1024;

/// A request the server received, its body read up to `limit` bytes: 413
/// past it (before reading when `Content-Length` says so), 400 when the body
/// cannot be read.
pub(crate) async fn request_from_hyper<B>(
    req: hyper::Request<B>,
    limit: usize,
) -> Result<Request, Error>
where
    B: Body + Unpin,
    B::Error: Into<BoxError>,
{
    let (parts, mut body) = req.into_parts();
    if let Err(e) = check_declared_length(&parts.headers, limit) {
        drain(&mut body).await;
        return Err(e);
    }
    match Limited::new(&mut body, limit).collect().await {
        Ok(collected) => Ok(Request::from_parts(parts, collected.to_bytes())),
        Err(e) if e.is::<LengthLimitError>() => {
            drain(&mut body).await;
            Err(Error::PayloadTooLarge { limit })
        }
        Err(e) => Err(Error::BadRequest(format!("could not read the request body: {e}"))),
    }
}

/// Reads and discards up to [`DRAIN_LIMIT`] of `body`.
async fn drain<B: Body + Unpin>(body: &mut B) {
    let mut drained = 0usize;
    while drained <= DRAIN_LIMIT {
        match body.frame().await {
            Some(Ok(frame)) => drained += frame.data_ref().map_or(0, Buf::remaining),
            _ => break,
        }
    }
}

/// An anyedge response as hyper's.
pub(crate) fn response_to_hyper(res: Response) -> hyper::Response<Full<Bytes>> {
    res.map(Full::new)
}

/// An outbound anyedge request as a reqwest request on `client`.
pub(crate) fn to_reqwest(client: &reqwest::Client, req: Request) -> reqwest::RequestBuilder {
    let (parts, body) = req.into_parts();
    client.request(parts.method, parts.uri.to_string()).headers(parts.headers).body(body)
}

/// An upstream's answer as an anyedge response, its body read up to
/// `max_bytes` ([`HttpErrorKind::TooLarge`] past it, announced or not).
pub(crate) async fn response_from_reqwest(
    res: reqwest::Response,
    max_bytes: usize,
) -> Result<Response, HttpError> {
    let too_large = || {
        HttpError::new(
            HttpErrorKind::TooLarge,
            format!("upstream body is over the limit of {max_bytes} bytes"),
        )
    };
    let (parts, body) = http::Response::from(res).into_parts();
    if check_declared_length(&parts.headers, max_bytes).is_err() {
        return Err(too_large());
    }
    match Limited::new(body, max_bytes).collect().await {
        Ok(collected) => Ok(Response::from_parts(parts, collected.to_bytes())),
        Err(e) if e.is::<LengthLimitError>() => Err(too_large()),
        Err(e) => match e.downcast::<reqwest::Error>() {
            Ok(e) => Err(map_error(*e)),
            Err(e) => Err(HttpError::new(HttpErrorKind::Other, e.to_string())),
        },
    }
}
