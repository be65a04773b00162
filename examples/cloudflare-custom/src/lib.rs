//! Example: a project with its own anyedge router, run as a Cloudflare Worker
//! through [`anyedge_cloudflare::serve`].
//!
//! It depends on `anyedge-cloudflare`, exports its own `fetch` with
//! [`anyedge_cloudflare::main!`], and is a `cdylib` only (see its
//! Cargo.toml). Build it with `worker-build --release examples/cloudflare-custom`.

use anyedge_core::{json, Ctx, Error, Host, Request, Response, Result, Router};
use serde::{Deserialize, Serialize};

/// Body of `POST /sum`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SumRequest {
    /// Numbers to add; at most 1000.
    pub numbers: Vec<i64>,
}

/// Answer of `POST /sum`.
#[derive(Debug, Serialize)]
pub struct SumResponse {
    /// The sum.
    pub sum: i64,
}

/// `GET /hello/{name}`: `{"hello": name}`.
pub async fn hello<H: Host>(_req: Request, ctx: Ctx<H>) -> Result<Response> {
    let name = ctx.param("name").unwrap_or("world");
    json::response(http::StatusCode::OK, &serde_json::json!({ "hello": name }))
}

/// `POST /sum`: adds `numbers`, 422 on more than 1000 or on overflow.
pub async fn sum<H: Host>(req: Request, _ctx: Ctx<H>) -> Result<Response> {
    let input: SumRequest = json::read(&req)?;
    if input.numbers.len() > 1000 {
        return Err(Error::validation("numbers", "must have at most 1000 items"));
    }
    let sum = input
        .numbers
        .iter()
        .try_fold(0i64, |acc, n| acc.checked_add(*n))
        .ok_or_else(|| Error::validation("numbers", "the sum overflows a 64-bit integer"))?;
    json::response(http::StatusCode::OK, &SumResponse { sum })
}

/// This project's routes; bodies are limited to 16 KiB.
pub fn routes<H: Host>() -> Router<H> {
    Router::new().get("/hello/{name}", hello::<H>).post("/sum", sum::<H>).max_body_bytes(16 * 1024)
}

// The Worker's `fetch`: this project's router, built once per instance.
#[cfg(target_arch = "wasm32")]
anyedge_cloudflare::main!(routes());

#[cfg(test)]
mod tests {
    use std::rc::Rc;

    use anyedge_core::testing::TestHost;
    use futures_executor::block_on;

    use super::routes;

    fn post_sum(body: &str) -> anyedge_core::Response {
        let req = http::Request::post("/sum")
            .header("content-type", "application/json")
            .body(body.to_owned().into())
            .unwrap();
        block_on(routes().handle(req, Rc::new(TestHost::new())))
    }

    #[test]
    fn sums_and_greets() {
        assert_eq!(post_sum(r#"{"numbers":[1,2,39]}"#).body().as_ref(), br#"{"sum":42}"#);
        let req = http::Request::get("/hello/Ada").body(Default::default()).unwrap();
        let res = block_on(routes().handle(req, Rc::new(TestHost::new())));
        assert_eq!(res.body().as_ref(), br#"{"hello":"Ada"}"#);
    }

    #[test]
    fn overflow_is_a_422_and_big_bodies_a_413() {
        let res = post_sum(&format!(r#"{{"numbers":[{},1]}}"#, i64::MAX));
        assert_eq!(res.status(), 422);
        let res = post_sum(&format!(r#"{{"numbers":[{}]}}"#, "1,".repeat(9000) + "1"));
        assert_eq!(res.status(), 413);
    }
}
