//! [`RequestId`]: one id per request, on the response, on every upstream
//! call and in every log line.

use http::{HeaderName, HeaderValue};

use super::{LocalBoxFuture, Middleware, Next};
use crate::{Ctx, Host, Request, Response};

/// The header that carries the request id.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Longest client-sent request id kept.
const MAX_LEN: usize = 128;

/// Gives every request an id: the client's `X-Request-Id` when it is 1 to
/// 128 characters of `A-Z a-z 0-9 - _ . : / + = @`, else a fresh one (32
/// hex digits from the host's random source), never echoing what it
/// replaced. The id is set on the request the handler sees, on the
/// response, on every upstream call made through [`Ctx::client`], and in
/// every line logged through [`Ctx::logger`] (`[id] message`).
///
/// ```
/// use anyedge_core::middleware::RequestId;
/// use anyedge_core::{testing::TestHost, Router};
/// let app = Router::<TestHost>::new().layer(RequestId::new());
/// # futures_executor::block_on(async {
/// let req = http::Request::get("/").header("x-request-id", "abc-1").body(Default::default()).unwrap();
/// let res = app.handle(req, std::rc::Rc::new(TestHost::new())).await;
/// assert_eq!(res.headers()["x-request-id"], "abc-1");
/// # });
/// ```
#[derive(Debug, Clone, Default)]
pub struct RequestId {
    _private: (),
}

impl RequestId {
    /// The middleware.
    pub fn new() -> Self {
        Self::default()
    }
}

fn is_valid(id: &[u8]) -> bool {
    (1..=MAX_LEN).contains(&id.len())
        && id.iter().all(|&b| b.is_ascii_alphanumeric() || b"-_.:/+=@".contains(&b))
}

/// A fresh id: 16 random bytes as 32 hex digits.
fn fresh(host: &impl Host) -> String {
    let mut bytes = [0u8; 16];
    host.fill_random(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl<H: Host, S: 'static> Middleware<H, S> for RequestId {
    fn call<'a>(
        &'a self,
        mut req: Request,
        ctx: Ctx<H, S>,
        next: Next<'a, H, S>,
    ) -> LocalBoxFuture<'a, Response> {
        let sent = req.headers().get(&REQUEST_ID).filter(|v| is_valid(v.as_bytes()));
        let id = match sent.and_then(|v| v.to_str().ok()) {
            Some(id) => id.to_owned(),
            None => fresh(ctx.host()),
        };
        let value = HeaderValue::from_str(&id).ok();
        if let Some(value) = &value {
            req.headers_mut().insert(REQUEST_ID, value.clone());
        }
        let ctx = ctx.with_request_id(&id);
        Box::pin(async move {
            let mut res = next.run(req, ctx).await;
            if let Some(value) = value {
                res.headers_mut().insert(REQUEST_ID, value);
            }
            res
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_checked() {
        assert!(is_valid(b"abc-123_x.y:z/+=@"));
        for bad in [&b""[..], b"a b", b"a\x7f", b"\"quoted\"", &[b'a'; 129]] {
            assert!(!is_valid(bad), "{bad:?}");
        }
        let id = fresh(&crate::testing::TestHost::new());
        assert!(id.len() == 32 && is_valid(id.as_bytes()), "{id}");
    }
}
