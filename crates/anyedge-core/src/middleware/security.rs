//! [`SecurityHeaders`]: the response headers a JSON API should send.

use http::{header, HeaderName, HeaderValue};

use super::{LocalBoxFuture, Middleware, Next};
use crate::{Ctx, Request, Response};

/// Adds, where the handler did not set them: `X-Content-Type-Options:
/// nosniff`, `X-Frame-Options: DENY`, `Referrer-Policy: no-referrer`,
/// `Content-Security-Policy: default-src 'none'; frame-ancestors 'none'`
/// and, with [`SecurityHeaders::hsts`], `Strict-Transport-Security`.
#[derive(Debug, Clone, Default)]
pub struct SecurityHeaders {
    hsts: Option<u32>,
}

impl SecurityHeaders {
    /// The headers above, without HSTS.
    pub fn new() -> Self {
        Self::default()
    }

    /// Also `Strict-Transport-Security: max-age=<seconds>; includeSubDomains`
    /// (only for a service reached over HTTPS alone).
    pub fn hsts(mut self, max_age_secs: u32) -> Self {
        self.hsts = Some(max_age_secs);
        self
    }
}

impl<H: crate::Host, S: 'static> Middleware<H, S> for SecurityHeaders {
    fn call<'a>(
        &'a self,
        req: Request,
        ctx: Ctx<H, S>,
        next: Next<'a, H, S>,
    ) -> LocalBoxFuture<'a, Response> {
        Box::pin(async move {
            let mut res = next.run(req, ctx).await;
            let fixed: [(HeaderName, &'static str); 4] = [
                (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
                (header::X_FRAME_OPTIONS, "DENY"),
                (header::REFERRER_POLICY, "no-referrer"),
                (header::CONTENT_SECURITY_POLICY, "default-src 'none'; frame-ancestors 'none'"),
            ];
            let headers = res.headers_mut();
            for (name, value) in fixed {
                headers.entry(name).or_insert(HeaderValue::from_static(value));
            }
            if let Some(secs) = self.hsts {
                let value = format!("max-age={secs}; includeSubDomains");
                if let Ok(value) = HeaderValue::from_str(&value) {
                    headers.entry(header::STRICT_TRANSPORT_SECURITY).or_insert(value);
                }
            }
            res
        })
    }
}
