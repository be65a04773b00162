//! Outbound HTTP over the Workers `fetch` ([`FetchClient`]).
//!
//! Redirects are not followed (`redirect: "manual"`): a 3xx comes back as a
//! response. The whole exchange, body included, races a timer set to the
//! request's [`Limits::timeout`](anyedge_core::client::Limits); when the timer
//! wins, the fetch is aborted through its `AbortController` and the call fails
//! with [`HttpErrorKind::Timeout`]. A body over
//! [`Limits::max_response_bytes`](anyedge_core::client::Limits) fails with
//! [`HttpErrorKind::TooLarge`] as soon as it passes the limit.

use anyedge_core::HttpErrorKind;

/// Sends requests with the Workers `fetch` API (`worker::Fetch`).
#[derive(Debug, Clone, Copy, Default)]
pub struct FetchClient;

/// What kind of failure a rejected `fetch` is, from the runtime's message.
///
/// workerd rejects a fetch with an error whose message is the only clue. A
/// refused connection surfaces as `Network connection lost.` (observed with
/// wrangler 4.86.0: nothing listening on the port); since the promise of
/// `fetch` itself rejected, no response head arrived, so the upstream could
/// not be reached: [`HttpErrorKind::Refused`]. A connection lost while the
/// body streams fails the body read instead, which is `Other`.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
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
    use std::pin::pin;

    use anyedge_core::client::{HttpClient, Limits};
    use anyedge_core::{HttpError, HttpErrorKind, Request, Response};
    use futures_util::future::{select, Either};
    use worker::web_sys;

    use super::{classify_fetch_error, FetchClient};
    use crate::convert::{request_to_fetch, response_from_fetch};

    impl HttpClient for FetchClient {
        async fn send(&self, req: Request) -> Result<Response, HttpError> {
            let limits = Limits::of(&req);
            let controller = web_sys::AbortController::new().map_err(|_| {
                HttpError::new(HttpErrorKind::Other, "could not create an AbortController")
            })?;
            let signal = worker::AbortSignal::from(controller.signal());
            let outbound = request_to_fetch(&req)?;
            let exchange = pin!(async move {
                let fetched = worker::Fetch::Request(outbound)
                    .send_with_signal(&signal)
                    .await
                    .map_err(|e| {
                        let message = e.to_string();
                        HttpError::new(
                            classify_fetch_error(&message),
                            format!("fetch failed: {message}"),
                        )
                    })?;
                response_from_fetch(fetched, limits.max_response_bytes).await
            });
            let timer = pin!(worker::Delay::from(limits.timeout));
            match select(exchange, timer).await {
                Either::Left((result, _)) => {
                    if result.is_err() {
                        // Stop the transfer of a body we gave up on.
                        controller.abort();
                    }
                    result
                }
                Either::Right(((), _)) => {
                    controller.abort();
                    Err(HttpError::new(
                        HttpErrorKind::Timeout,
                        format!(
                            "no complete answer within {} ms",
                            limits.timeout.as_millis()
                        ),
                    ))
                }
            }
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
