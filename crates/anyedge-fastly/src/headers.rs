//! Reading all headers of a host-side request or response handle into a
//! [`HeaderMap`], without the SDK's lazy per-header map in between.
//!
//! `fastly::Request`/`fastly::Response` keep headers in a lazy map that
//! fetches and caches each one on demand; copying all of them out through it
//! costs more than reading them from the handle (measured on Viceroy: the
//! copy of the request's and the upstream response's headers was about 4%
//! of a `POST /greet`).

use fastly::error::BufferSizeError;
use fastly::handle::{RequestHandle, ResponseHandle};
use http::HeaderMap;

/// Buffer size for the first attempt; a longer name or value makes the host
/// say how much it needs, and the read starts over with that.
const FIRST_BUF: usize = 4096;

/// Largest buffer a read retries with (a single header name or value).
const MAX_BUF: usize = 1 << 20;

macro_rules! read_with {
    ($handle:expr, $size:expr) => {{
        let mut map = HeaderMap::new();
        let mut failed = None;
        'names: for name in $handle.get_header_names($size) {
            match name {
                Err(e) => {
                    failed = Some(e);
                    break;
                }
                Ok(name) => {
                    for value in $handle.get_header_values(&name, $size) {
                        match value {
                            Ok(value) => {
                                map.append(name.clone(), value);
                            }
                            Err(e) => {
                                failed = Some(e);
                                break 'names;
                            }
                        }
                    }
                }
            }
        }
        match failed {
            None => Ok(map),
            Some(e) => Err(e),
        }
    }};
}

/// Retries `read` with the buffer the host asked for, up to [`MAX_BUF`].
fn with_retries(
    mut read: impl FnMut(usize) -> Result<HeaderMap, BufferSizeError>,
) -> Result<HeaderMap, String> {
    let mut size = FIRST_BUF;
    loop {
        match read(size) {
            Ok(map) => return Ok(map),
            Err(e) if e.needed_buf_size > size && e.needed_buf_size <= MAX_BUF => {
                size = e.needed_buf_size;
            }
            Err(e) => {
                return Err(format!(
                    "a header name or value is {} bytes long (at most {MAX_BUF} are read)",
                    e.needed_buf_size
                ))
            }
        }
    }
}

/// Every header of a request handle, repeated values kept.
pub(crate) fn of_request(handle: &RequestHandle) -> Result<HeaderMap, String> {
    with_retries(|size| read_with!(handle, size))
}

/// Every header of a response handle, repeated values kept.
pub(crate) fn of_response(handle: &ResponseHandle) -> Result<HeaderMap, String> {
    with_retries(|size| read_with!(handle, size))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use http::{HeaderName, HeaderValue};

    use super::*;

    fn sample() -> Vec<(HeaderName, HeaderValue)> {
        let long = "v".repeat(FIRST_BUF * 3);
        vec![
            (
                HeaderName::from_static("content-type"),
                HeaderValue::from_static("application/json"),
            ),
            (
                HeaderName::from_static("set-cookie"),
                HeaderValue::from_static("a=1"),
            ),
            (
                HeaderName::from_static("set-cookie"),
                HeaderValue::from_static("b=2"),
            ),
            (
                HeaderName::from_static("x-long"),
                HeaderValue::from_str(&long).unwrap(),
            ),
            (
                HeaderName::from_static("x-latin1"),
                HeaderValue::from_bytes(b"caf\xe9").unwrap(),
            ),
        ]
    }

    fn expected() -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in sample() {
            map.append(k, v);
        }
        map
    }

    #[test]
    fn response_headers_come_back_whole_with_repeats_and_long_values() {
        let mut handle = ResponseHandle::new();
        for (k, v) in sample() {
            handle.append_header(&k, &v);
        }
        assert_eq!(of_response(&handle).unwrap(), expected());
    }

    #[test]
    fn request_headers_come_back_whole_with_repeats_and_long_values() {
        let mut handle = RequestHandle::new();
        for (k, v) in sample() {
            handle.append_header(&k, &v);
        }
        assert_eq!(of_request(&handle).unwrap(), expected());
    }
}
