//! Every conversion between the Workers (JS) types and the `http` types
//! anyedge works with, in one place; `glue.js` is its JavaScript half.
//!
//! - incoming: `web_sys::Request` → [`Request`] ([`request_from_worker`]),
//!   [`Response`] → `web_sys::Response` ([`response_to_worker`]);
//! - outbound: the whole exchange ([`fetch`]): the [`Request`]'s method,
//!   URL, header lines and body go to `fetch` in one call, and the answer
//!   comes back as its head and body, made a [`Response`].
//!
//! Each step is one call into JS: a message's method or status, URL and
//! headers cross as one string, its body as one `Uint8Array`, read under the
//! limit in JS (chunk by chunk, whatever `Content-Length` says) and copied
//! into wasm once. Header values are JS ByteStrings (one char per byte), so
//! they are converted byte for byte (Latin-1), not as UTF-8. The text
//! helpers compile everywhere and are tested on the host.

use http::{HeaderMap, HeaderName, HeaderValue};

/// A message head as `glue.js` writes it: `n` lines (method and URL, or the
/// status), then one `name:value` line per header value. `Err` names the
/// part that is not valid.
#[cfg_attr(not(any(target_arch = "wasm32", test)), expect(dead_code, reason = "used on wasm32"))]
pub(crate) fn head_from_text<const N: usize>(text: &str) -> Result<([&str; N], HeaderMap), String> {
    let mut lines = text.split('\n');
    let first = std::array::from_fn(|_| lines.next().unwrap_or_default());
    let mut map = HeaderMap::new();
    for line in lines.filter(|l| !l.is_empty()) {
        let Some((name, value)) = line.split_once(':') else {
            return Err(format!("header `{line}`"));
        };
        let value = if value.is_ascii() {
            HeaderValue::from_str(value).ok()
        } else {
            let bytes: Option<Vec<u8>> = value.chars().map(|c| u8::try_from(c).ok()).collect();
            bytes.and_then(|b| HeaderValue::from_bytes(&b).ok())
        };
        match (HeaderName::from_bytes(name.as_bytes()), value) {
            (Ok(name), Some(value)) => map.append(name, value),
            _ => return Err(format!("header `{name}`")),
        };
    }
    Ok((first, map))
}

/// `headers` as `name:value\n` lines, values as ByteStrings.
#[cfg_attr(not(any(target_arch = "wasm32", test)), expect(dead_code, reason = "used on wasm32"))]
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

#[cfg(target_arch = "wasm32")]
pub(crate) use wasm::*;

#[cfg(target_arch = "wasm32")]
mod wasm {
    use anyedge_core::adapter::check_declared_length;
    use anyedge_core::client::Limits;
    use anyedge_core::{Error, HttpError, HttpErrorKind as Kind, Request, Response};
    use http::StatusCode;
    use worker::js_sys::{self, Array, Uint8Array};
    use worker::wasm_bindgen::{prelude::wasm_bindgen, JsCast, JsValue};
    use worker::wasm_bindgen_futures::JsFuture;
    use worker::web_sys;

    use super::{head_from_text, headers_to_lines};

    #[wasm_bindgen(module = "/src/glue.js")]
    extern "C" {
        fn anyedge_request_head(req: &web_sys::Request) -> String;
        fn anyedge_response_head(res: &web_sys::Response) -> String;
        fn anyedge_read(message: &JsValue, limit: f64) -> js_sys::Promise;
        #[wasm_bindgen(catch)]
        fn anyedge_response(
            status: u16,
            lines: &str,
            body: &[u8],
        ) -> Result<web_sys::Response, JsValue>;
        #[cfg(test)]
        #[wasm_bindgen(catch)]
        fn anyedge_outbound(
            method: &str,
            url: &str,
            lines: &str,
            body: &[u8],
        ) -> Result<web_sys::Request, JsValue>;
        fn anyedge_fetch(
            method: &str,
            url: &str,
            lines: &str,
            body: &[u8],
            timeout_ms: u32,
            limit: f64,
        ) -> js_sys::Promise;
    }

    /// Awaits a body read by `anyedge_read`: `Ok(None)` past the limit.
    async fn body(read: js_sys::Promise) -> Result<Option<Vec<u8>>, String> {
        let value = JsFuture::from(read).await.map_err(|e| js_message(&e))?;
        Ok((!value.is_null()).then(|| value.unchecked_into::<Uint8Array>().to_vec()))
    }

    /// A request the edge received, as an anyedge [`Request`]: method, the
    /// absolute URL as URI, headers, and the body read up to `limit` bytes
    /// (413 past it, before reading when `Content-Length` says so).
    pub(crate) async fn request_from_worker(
        raw: &web_sys::Request,
        limit: usize,
    ) -> Result<Request, Error> {
        let bad = |what: String| Error::BadRequest(format!("the request's {what} is not valid"));
        let head = anyedge_request_head(raw);
        let ([method, url], headers) = head_from_text(&head).map_err(bad)?;
        check_declared_length(&headers, limit)?;
        let read = anyedge_read(raw, limit as f64);
        let body = body(read)
            .await
            .map_err(|e| Error::BadRequest(format!("could not read the request body: {e}")))?;
        let mut out = Request::new(body.ok_or(Error::PayloadTooLarge { limit })?.into());
        *out.method_mut() = method.parse().map_err(|_| bad("method".into()))?;
        *out.uri_mut() = url.parse().map_err(|_| bad("URL".into()))?;
        *out.headers_mut() = headers;
        Ok(out)
    }

    /// An anyedge [`Response`] as a Workers response (the body copied once).
    pub(crate) fn response_to_worker(res: Response) -> Result<web_sys::Response, JsValue> {
        anyedge_response(res.status().as_u16(), &headers_to_lines(res.headers()), res.body())
    }

    /// An outbound anyedge [`Request`] as the Workers request [`fetch`]
    /// sends (it does not follow redirects), for tests.
    #[cfg(test)]
    pub(crate) fn request_to_fetch(req: &Request) -> Result<web_sys::Request, JsValue> {
        let lines = headers_to_lines(req.headers());
        anyedge_outbound(req.method().as_str(), &req.uri().to_string(), &lines, req.body())
    }

    /// Fetches `req` under its [`Limits`]: the timeout over the whole
    /// exchange, the answer's body read up to its limit.
    pub(crate) async fn fetch(req: &Request) -> Result<Response, HttpError> {
        let limits = Limits::of(req);
        let uri = req.uri();
        if uri.scheme().is_none() || uri.authority().is_none() {
            let why = "could not build the upstream request: the URL is not absolute";
            return Err(HttpError::new(Kind::InvalidRequest, why));
        }
        let timeout_ms = u32::try_from(limits.timeout.as_millis()).unwrap_or(u32::MAX);
        let (max, lines) = (limits.max_response_bytes, headers_to_lines(req.headers()));
        let method = req.method().as_str();
        let fetched =
            anyedge_fetch(method, &uri.to_string(), &lines, req.body(), timeout_ms, max as f64);
        let answer = JsFuture::from(fetched).await.map_err(|e| {
            let message = js_message(&e);
            if message == "anyedge:timeout" {
                return HttpError::timed_out(limits.timeout);
            }
            if let Some(why) = message.strip_prefix("anyedge:body: ") {
                let why = format!("could not read the upstream body: {why}");
                return HttpError::new(Kind::Other, why);
            }
            let kind = crate::client::classify_fetch_error(&message);
            HttpError::new(kind, format!("fetch failed: {message}"))
        })?;
        let answer: Array = answer.unchecked_into();
        let body = answer.get(1);
        let body = (!body.is_null()).then(|| body.unchecked_into::<Uint8Array>().to_vec());
        response_from_parts(&answer.get(0).as_string().unwrap_or_default(), body, max)
    }

    /// A fetched response as an anyedge [`Response`], its body read up to
    /// `max` bytes: what [`fetch`] does after the fetch, for tests.
    #[cfg(test)]
    pub(crate) async fn response_from_fetch(
        res: &web_sys::Response,
        max: usize,
    ) -> Result<Response, HttpError> {
        let head = anyedge_response_head(res);
        let body = body(anyedge_read(res, max as f64)).await;
        let body = body.map_err(|e| {
            HttpError::new(Kind::Other, format!("could not read the upstream body: {e}"))
        })?;
        response_from_parts(&head, body, max)
    }

    fn response_from_parts(
        head: &str,
        body: Option<Vec<u8>>,
        max: usize,
    ) -> Result<Response, HttpError> {
        let bad = |what: String| {
            HttpError::new(Kind::Other, format!("the upstream sent an invalid {what}"))
        };
        let ([status], headers) = head_from_text(head).map_err(bad)?;
        if check_declared_length(&headers, max).is_err() {
            return Err(HttpError::too_large(max));
        }
        let mut out = Response::new(body.ok_or_else(|| HttpError::too_large(max))?.into());
        *out.status_mut() = StatusCode::from_bytes(status.as_bytes())
            .map_err(|_| bad(format!("status {status}")))?;
        *out.headers_mut() = headers;
        Ok(out)
    }

    /// The message of a JS error value, for error texts.
    pub(crate) fn js_message(value: &JsValue) -> String {
        match value.dyn_ref::<js_sys::Error>() {
            Some(err) => format!("{}: {}", String::from(err.name()), String::from(err.message())),
            None => value.as_string().unwrap_or_else(|| "unknown JavaScript error".into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heads_round_trip_as_byte_strings() {
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
        let text = format!("POST\nhttps://edge.test/\n{lines}");
        assert_eq!(head_from_text(&text), Ok((["POST", "https://edge.test/"], map)));
        assert_eq!(head_from_text("204\n"), Ok((["204"], HeaderMap::new())));
        assert_eq!(head_from_text::<1>("200\nx-snow:\u{2603}\n"), Err("header `x-snow`".into()));
        assert_eq!(head_from_text::<1>("200\nx:bad\rvalue\n"), Err("header `x`".into()));
        assert_eq!(head_from_text::<1>("200\nbad name:x\n"), Err("header `bad name`".into()));
        assert_eq!(head_from_text::<1>("200\nno-colon\n"), Err("header `no-colon`".into()));
    }
}
