//! Every conversion between the Workers (JS) types and the `http` types
//! anyedge works with, in one place.
//!
//! - incoming: `web_sys::Request` → [`Request`] ([`request_from_worker`]),
//!   [`Response`] → `web_sys::Response` ([`response_to_worker`]);
//! - outbound: [`Request`] → `web_sys::Request` ([`request_to_fetch`]),
//!   fetched `web_sys::Response` → [`Response`] ([`response_from_fetch`]).
//!
//! Bodies are copied once across the JS/wasm boundary and never more: a
//! response body goes straight from the Rust slice into the JS `Response`; a
//! body with a `Content-Length` is read with one `arrayBuffer()` call, and one
//! without grows one buffer from the stream that becomes the [`Bytes`]
//! without another copy. Header values are JS ByteStrings (one char per byte),
//! so they are converted byte for byte (Latin-1), not as UTF-8.
//!
//! Limits are the adapter kit's ([`anyedge_core::adapter`]). The pure
//! helpers (header bytes) compile everywhere and are tested on the host; the
//! JS-backed functions exist on `wasm32` only.

use http::{HeaderMap, HeaderName, HeaderValue};

/// A JS ByteString header value back to bytes; `None` if a char is above
/// U+00FF (not a ByteString) or the bytes are not a valid header value.
pub(crate) fn header_value_from_js(value: &str) -> Option<HeaderValue> {
    let bytes = value
        .chars()
        .map(|c| u8::try_from(u32::from(c)).ok())
        .collect::<Option<Vec<u8>>>()?;
    HeaderValue::from_bytes(&bytes).ok()
}

/// Headers as the text the JS side exchanges them in (see [`wasm::js`]):
/// one `name:value\n` line per value, values as ByteStrings. Names cannot
/// contain `:` and values cannot contain `\n`, so the text is unambiguous.
#[cfg_attr(
    not(any(target_arch = "wasm32", test)),
    expect(dead_code, reason = "used on wasm32")
)]
pub(crate) fn headers_to_lines(headers: &HeaderMap) -> String {
    let mut out = String::with_capacity(headers.len() * 32);
    for (name, value) in headers {
        out.push_str(name.as_str());
        out.push(':');
        out.extend(value.as_bytes().iter().map(|&b| char::from(b)));
        out.push('\n');
    }
    out
}

/// The [`HeaderMap`] of [`headers_to_lines`]' text; `Err(name)` names a
/// header whose name or value is not valid.
#[cfg_attr(
    not(any(target_arch = "wasm32", test)),
    expect(dead_code, reason = "used on wasm32")
)]
pub(crate) fn headers_from_lines(lines: &str) -> Result<HeaderMap, String> {
    let mut map = HeaderMap::new();
    for line in lines.split_terminator('\n') {
        let (name, value) = line.split_once(':').ok_or_else(|| line.to_owned())?;
        let key = HeaderName::from_bytes(name.as_bytes()).map_err(|_| name.to_owned())?;
        let value = header_value_from_js(value).ok_or_else(|| name.to_owned())?;
        map.append(key, value);
    }
    Ok(map)
}

#[cfg(target_arch = "wasm32")]
pub(crate) use wasm::*;

#[cfg(target_arch = "wasm32")]
mod wasm {
    use anyedge_core::adapter::{check_declared_length, declared_length, BodyBuffer};
    use anyedge_core::{Bytes, Error, HttpError, HttpErrorKind, Request, Response};
    use futures_util::StreamExt;
    use http::{HeaderMap, Method, StatusCode, Uri};
    use worker::js_sys::{self, Promise, Uint8Array};
    use worker::wasm_bindgen::{JsCast, JsValue};
    use worker::wasm_bindgen_futures::JsFuture;
    use worker::web_sys::{self, ReadableStream};

    use super::{headers_from_lines, headers_to_lines};

    /// A request the edge received, as an anyedge [`Request`]: method, the
    /// absolute URL as URI, headers, and the body read up to `limit` bytes.
    ///
    /// A `Content-Length` over the limit is refused before any byte is read;
    /// a body without one is read until it passes the limit. Both give
    /// [`Error::PayloadTooLarge`].
    pub(crate) async fn request_from_worker(
        raw: &web_sys::Request,
        limit: usize,
    ) -> Result<Request, Error> {
        let raw_method = raw.method();
        let method = Method::from_bytes(raw_method.as_bytes())
            .map_err(|_| Error::BadRequest(format!("unsupported method `{raw_method}`")))?;
        let uri: Uri = raw
            .url()
            .parse()
            .map_err(|_| Error::BadRequest("the request URL is not a valid URI".into()))?;
        let headers = headers_from_js(&raw.headers())
            .map_err(|name| Error::BadRequest(format!("header `{name}` is not valid")))?;
        check_declared_length(&headers, limit)?;
        let declared = declared_length(&headers);
        let body = read_body(raw.body(), || raw.array_buffer(), limit, declared)
            .await
            .map_err(|e| match e {
                ReadError::OverLimit => Error::PayloadTooLarge { limit },
                ReadError::Js(msg) => {
                    Error::BadRequest(format!("could not read the request body: {msg}"))
                }
            })?;
        let mut out = Request::new(body);
        *out.method_mut() = method;
        *out.uri_mut() = uri;
        *out.headers_mut() = headers;
        Ok(out)
    }

    /// An anyedge [`Response`] as a Workers response. The body is copied once,
    /// from the Rust slice into the JS `Response`; an empty body is sent as
    /// no body, which statuses like 204 and 304 require.
    pub(crate) fn response_to_worker(res: Response) -> Result<web_sys::Response, JsValue> {
        let (parts, body) = res.into_parts();
        let init = web_sys::ResponseInit::new();
        init.set_status(parts.status.as_u16());
        init.set_headers_headers(&headers_to_js(&parts.headers)?);
        if body.is_empty() {
            web_sys::Response::new_with_opt_buffer_source_and_init(None, &init)
        } else {
            let body = Uint8Array::from(body.as_ref());
            web_sys::Response::new_with_opt_buffer_source_and_init(Some(&body), &init)
        }
    }

    /// An outbound anyedge [`Request`] as a Workers request that does not
    /// follow redirects and is aborted by `signal`.
    pub(crate) fn request_to_fetch(
        req: &Request,
        signal: &web_sys::AbortSignal,
    ) -> Result<web_sys::Request, HttpError> {
        let invalid = |what: &str| {
            HttpError::new(
                HttpErrorKind::InvalidRequest,
                format!("could not build the upstream request: {what}"),
            )
        };
        let uri = req.uri();
        if uri.scheme().is_none() || uri.authority().is_none() {
            return Err(invalid("the URL is not absolute"));
        }
        let init = web_sys::RequestInit::new();
        init.set_method(req.method().as_str());
        init.set_redirect(web_sys::RequestRedirect::Manual);
        init.set_signal(Some(signal));
        let headers = headers_to_js(req.headers()).map_err(|_| invalid("a header is invalid"))?;
        init.set_headers_headers(&headers);
        if !req.body().is_empty() {
            let body = Uint8Array::from(req.body().as_ref());
            init.set_body(&body);
        }
        web_sys::Request::new_with_str_and_init(&uri.to_string(), &init)
            .map_err(|e| invalid(&js_message(&e)))
    }

    /// Starts a `fetch` of `req` (the global `fetch`, as `worker::Fetch` does).
    pub(crate) fn start_fetch(req: &web_sys::Request) -> JsFuture {
        let global: web_sys::WorkerGlobalScope = js_sys::global().unchecked_into();
        JsFuture::from(global.fetch_with_request(req))
    }

    /// A fetched response as an anyedge [`Response`], its body read up to
    /// `max_bytes` ([`HttpErrorKind::TooLarge`] past it, announced or not).
    pub(crate) async fn response_from_fetch(
        res: &web_sys::Response,
        max_bytes: usize,
    ) -> Result<Response, HttpError> {
        let status = StatusCode::from_u16(res.status()).map_err(|_| {
            HttpError::new(
                HttpErrorKind::Other,
                format!("upstream answered an invalid status {}", res.status()),
            )
        })?;
        let headers = headers_from_js(&res.headers()).map_err(|name| {
            HttpError::new(
                HttpErrorKind::Other,
                format!("upstream sent an invalid header `{name}`"),
            )
        })?;
        let too_large = || {
            HttpError::new(
                HttpErrorKind::TooLarge,
                format!("upstream body is larger than {max_bytes} bytes"),
            )
        };
        if check_declared_length(&headers, max_bytes).is_err() {
            return Err(too_large());
        }
        let declared = declared_length(&headers);
        let body = read_body(res.body(), || res.array_buffer(), max_bytes, declared)
            .await
            .map_err(|e| match e {
                ReadError::OverLimit => too_large(),
                ReadError::Js(msg) => HttpError::new(
                    HttpErrorKind::Other,
                    format!("could not read the upstream body: {msg}"),
                ),
            })?;
        let mut out = Response::new(body);
        *out.status_mut() = status;
        *out.headers_mut() = headers;
        Ok(out)
    }

    /// Why a body could not be read.
    pub(crate) enum ReadError {
        /// It is longer than the limit.
        OverLimit,
        /// The stream failed.
        Js(String),
    }

    /// Reads a body of at most `limit` bytes. When `Content-Length`
    /// announced it (within the limit, checked by the caller) it is read in
    /// one `arrayBuffer()` call: one crossing into wasm, one copy. Otherwise
    /// it is read chunk by chunk and given up as soon as it passes the limit.
    async fn read_body(
        stream: Option<ReadableStream>,
        array_buffer: impl FnOnce() -> Result<Promise, JsValue>,
        limit: usize,
        declared: Option<u64>,
    ) -> Result<Bytes, ReadError> {
        let Some(stream) = stream else {
            return Ok(Bytes::new());
        };
        if declared.is_none() {
            return read_limited(worker::ByteStream::from(stream), limit).await;
        }
        let js_error = |e: JsValue| ReadError::Js(js_message(&e));
        let buffer = JsFuture::from(array_buffer().map_err(js_error)?)
            .await
            .map_err(js_error)?;
        let bytes = Uint8Array::new(&buffer);
        if bytes.length() as usize > limit {
            return Err(ReadError::OverLimit);
        }
        Ok(Bytes::from(bytes.to_vec()))
    }

    /// Reads `stream` to the end, failing as soon as it passes `limit` bytes.
    async fn read_limited(
        mut stream: worker::ByteStream,
        limit: usize,
    ) -> Result<Bytes, ReadError> {
        let mut body = BodyBuffer::new(limit);
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| ReadError::Js(e.to_string()))?;
            body.push(&chunk).map_err(|_| ReadError::OverLimit)?;
        }
        Ok(body.finish())
    }

    /// JS `Headers` to a [`HeaderMap`], keeping repeated values; `Err(name)`
    /// names a header that is not valid. One call into JS for all of them.
    pub(crate) fn headers_from_js(headers: &web_sys::Headers) -> Result<HeaderMap, String> {
        headers_from_lines(&js::headers_to_lines(headers))
    }

    /// A [`HeaderMap`] to JS `Headers`, appending repeated values. One call
    /// into JS for all of them.
    pub(crate) fn headers_to_js(headers: &HeaderMap) -> Result<web_sys::Headers, JsValue> {
        js::headers_from_lines(&headers_to_lines(headers))
    }

    /// The few lines of JavaScript that move all headers across the
    /// boundary as one string instead of a call per header and per part.
    pub(crate) mod js {
        use worker::wasm_bindgen::prelude::wasm_bindgen;
        use worker::wasm_bindgen::JsValue;
        use worker::web_sys;

        #[wasm_bindgen(inline_js = r#"
export function anyedge_headers_to_lines(headers) {
  let out = "";
  for (const [name, value] of headers) out += name + ":" + value + "\n";
  return out;
}
export function anyedge_headers_from_lines(lines) {
  const headers = new Headers();
  for (const line of lines.split("\n")) {
    if (line === "") continue;
    const at = line.indexOf(":");
    headers.append(line.slice(0, at), line.slice(at + 1));
  }
  return headers;
}
"#)]
        extern "C" {
            /// `name:value\n` for every header (Set-Cookie values one by one).
            #[wasm_bindgen(js_name = anyedge_headers_to_lines)]
            pub(crate) fn headers_to_lines(headers: &web_sys::Headers) -> String;

            /// New `Headers` from `name:value\n` lines; throws on an invalid one.
            #[wasm_bindgen(js_name = anyedge_headers_from_lines, catch)]
            pub(crate) fn headers_from_lines(lines: &str) -> Result<web_sys::Headers, JsValue>;
        }
    }

    /// The message of a JS error value, for error texts.
    pub(crate) fn js_message(value: &JsValue) -> String {
        if let Some(err) = value.dyn_ref::<js_sys::Error>() {
            let name = String::from(err.name());
            let message = String::from(err.message());
            return format!("{name}: {message}");
        }
        value
            .as_string()
            .unwrap_or_else(|| "unknown JavaScript error".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_values_round_trip_as_byte_strings() {
        let mut map = HeaderMap::new();
        map.append("x-latin1", HeaderValue::from_bytes(b"caf\xe9 ok").unwrap());
        map.append("set-cookie", HeaderValue::from_static("a=1"));
        map.append("set-cookie", HeaderValue::from_static("b=2; Path=/"));
        map.append("x-colon", HeaderValue::from_static("a:b::c"));
        let lines = headers_to_lines(&map);
        assert_eq!(
            lines,
            "x-latin1:caf\u{e9} ok\nset-cookie:a=1\nset-cookie:b=2; Path=/\nx-colon:a:b::c\n"
        );
        assert_eq!(headers_from_lines(&lines), Ok(map));
        assert_eq!(headers_from_lines(""), Ok(HeaderMap::new()));
        assert_eq!(header_value_from_js("snow \u{2603}"), None);
        assert_eq!(header_value_from_js("bad\rvalue"), None);
        assert_eq!(
            headers_from_lines("x-snow:\u{2603}\n"),
            Err("x-snow".into())
        );
        assert_eq!(headers_from_lines("bad name:x\n"), Err("bad name".into()));
        assert_eq!(headers_from_lines("no-colon\n"), Err("no-colon".into()));
    }
}
