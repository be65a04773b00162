//! [`CloudflareClient`]: outbound HTTP over the Workers `fetch`.
//!
//! Redirects are not followed (`redirect: "manual"`): a 3xx comes back as a
//! response. The whole exchange, body included, carries an
//! `AbortSignal.timeout` of the request's
//! [`Limits::timeout`](anyedge_core::client::Limits); when it fires, the fetch
//! (or the body still streaming) is aborted and the call fails with
//! [`HttpErrorKind::Timeout`]. A body over
//! [`Limits::max_response_bytes`](anyedge_core::client::Limits) fails with
//! [`HttpErrorKind::TooLarge`] as soon as it passes the limit, counted as
//! workerd hands it over (decompressed), whatever `Content-Length` says.

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
#[cfg_attr(not(any(target_arch = "wasm32", test)), expect(dead_code, reason = "used on wasm32"))]
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
impl anyedge_core::HttpClient for CloudflareClient {
    async fn send(
        &self,
        req: anyedge_core::Request,
    ) -> Result<anyedge_core::Response, anyedge_core::HttpError> {
        crate::convert::fetch(&req).await
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
        assert_eq!(classify_fetch_error("Error: Network connection lost."), HttpErrorKind::Refused);
        assert_eq!(
            classify_fetch_error("TypeError: Response body is already used"),
            HttpErrorKind::Other
        );
    }
}
