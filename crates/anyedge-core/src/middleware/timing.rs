//! [`Timing`]: `Server-Timing` and one log line per request.

use http::{HeaderName, HeaderValue};

use super::{LocalBoxFuture, Middleware, Next};
use crate::{Ctx, Host, Logger, Request, Response};

const SERVER_TIMING: HeaderName = HeaderName::from_static("server-timing");

/// Times each request with the host's clock: adds `Server-Timing:
/// total;dur=<ms>` to the response and logs one line, `METHOD /path STATUS
/// <ms> ms` (the path without its query, which may carry tokens), through
/// [`Ctx::logger`], so after [`RequestId`](super::RequestId) it carries
/// the request id.
///
/// On Workers the clock only moves across I/O (Cloudflare's Spectre
/// mitigation): a request that makes no upstream call shows `0`.
#[derive(Debug, Clone, Default)]
pub struct Timing {
    _private: (),
}

impl Timing {
    /// The middleware.
    pub fn new() -> Self {
        Self::default()
    }
}

impl<H: Host, S: 'static> Middleware<H, S> for Timing {
    fn call<'a>(
        &'a self,
        req: Request,
        ctx: Ctx<H, S>,
        next: Next<'a, H, S>,
    ) -> LocalBoxFuture<'a, Response> {
        let started = ctx.host().now();
        let (method, path) = (req.method().clone(), req.uri().path().to_owned());
        Box::pin(async move {
            let mut res = next.run(req, ctx.clone()).await;
            let ms = ctx.host().now().saturating_sub(started).as_secs_f64() * 1000.0;
            if let Ok(value) = HeaderValue::from_str(&format!("total;dur={ms:.1}")) {
                res.headers_mut().append(SERVER_TIMING, value);
            }
            let status = res.status().as_u16();
            ctx.logger().info(&format!("{method} {path} {status} {ms:.1} ms"));
            res
        })
    }
}
