//! [`CloudflareClient`]: outbound HTTP over the Workers `fetch`.
//!
//! Redirects are not followed (`redirect: "manual"`): a 3xx comes back as a
//! response. The whole exchange, body included, carries an
//! `AbortSignal.timeout` of the request's
//! [`Limits::timeout`](anyedge_core::client::Limits); when it fires, the fetch
//! (or the body still streaming) is aborted and the call fails with
//! [`HttpErrorKind::Timeout`]. A body over
//! [`Limits::max_response_bytes`](anyedge_core::client::Limits) fails with
//! [`HttpErrorKind::TooLarge`] as soon as it passes the limit.

use anyedge_core::HttpErrorKind;

/// Sends requests with the Workers `fetch` API.
#[derive(Debug, Clone, Copy, Default)]
pub struct CloudflareClient;

/// What kind of failure a rejected `fetch` is, from the runtime's message.
///
/// workerd rejects a fetch with an error whose message is the only clue. A
/// refused connection surfaces as `Network connection lost.` (observed with
/// wrangler 4.86.0: nothing listening on the port); since the promise of
/// `fetch` itself rejected, no response head arrived, so the upstream could
/// not be reached: [`HttpErrorKind::Refused`]. A connection lost while the
/// body streams fails the body read instead, which is `Other`.
#[cfg_attr(
    not(any(target_arch = "wasm32", test)),
    expect(dead_code, reason = "used on wasm32")
)]
pub(crate) fn classify_fetch_error(message: &str) -> HttpErrorKind {
    let m = message.to_ascii_lowercase();
    let refused = [
        "connection refused",
        "econnrefused",
        "connect(): ",
        "failed to connect",
        "no route to host",
        "network is unreachable",
        "dns lookup failed",
        "could not resolve",
        "network connection lost",
    ];
    if refused.iter().any(|needle| m.contains(needle)) {
        HttpErrorKind::Refused
    } else if m.contains("invalid url") || m.contains("fetch api cannot load") {
        HttpErrorKind::InvalidRequest
    } else {
        HttpErrorKind::Other
    }
}

#[cfg(target_arch = "wasm32")]
mod wasm {
    use anyedge_core::client::{HttpClient, Limits};
    use anyedge_core::{HttpError, HttpErrorKind, Request, Response};
    use worker::wasm_bindgen::JsCast;
    use worker::web_sys;

    use super::{classify_fetch_error, CloudflareClient};
    use crate::convert::{js_message, request_to_fetch, response_from_fetch, start_fetch};

    impl HttpClient for CloudflareClient {
        async fn send(&self, req: Request) -> Result<Response, HttpError> {
            let limits = Limits::of(&req);
            let timeout_ms = u32::try_from(limits.timeout.as_millis()).unwrap_or(u32::MAX);
            // One timer for the whole exchange: it aborts the fetch, or the
            // body stream once the head has arrived.
            let signal = web_sys::AbortSignal::timeout_with_u32(timeout_ms);
            let outbound = request_to_fetch(&req, &signal)?;
            let result = match start_fetch(&outbound).await {
                Ok(fetched) => match fetched.dyn_into::<web_sys::Response>() {
                    Ok(fetched) => response_from_fetch(&fetched, limits.max_response_bytes).await,
                    Err(_) => Err(HttpError::new(
                        HttpErrorKind::Other,
                        "fetch resolved to something that is not a Response",
                    )),
                },
                Err(e) => {
                    let message = js_message(&e);
                    Err(HttpError::new(
                        classify_fetch_error(&message),
                        format!("fetch failed: {message}"),
                    ))
                }
            };
            // Whatever failed (or looked complete) after the timer fired is a timeout.
            if signal.aborted() {
                return Err(HttpError::new(
                    HttpErrorKind::Timeout,
                    format!("no complete answer within {timeout_ms} ms"),
                ));
            }
            result
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refused_connections_are_told_apart() {
        for m in [
            "TypeError: connect(): Connection refused: 127.0.0.1:1",
            "Network connection failed: ECONNREFUSED",
            "No route to host",
        ] {
            assert_eq!(classify_fetch_error(m), HttpErrorKind::Refused, "{m}");
        }
        assert_eq!(
            classify_fetch_error("TypeError: Invalid URL: nope"),
            HttpErrorKind::InvalidRequest
        );
        assert_eq!(
            classify_fetch_error("Error: Network connection lost."),
            HttpErrorKind::Refused
        );
        assert_eq!(
            classify_fetch_error("TypeError: Response body is already used"),
            HttpErrorKind::Other
        );
    }
}
