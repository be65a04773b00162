//! Another project's app on Fastly Compute with `anyedge-fastly`.
//!
//! The app is a plain anyedge [`Router`], generic over the host, so it is
//! tested natively with the core's doubles and runs on Fastly unchanged.
//! `main` shows the lower-level entry point, [`anyedge_fastly::serve_with`],
//! used to decorate the response; `anyedge_fastly::main!(app())` is the
//! one-line alternative.

use anyedge_core::{json, Config, Ctx, Host, Request, Response, Result, Router};
use http::StatusCode;

/// `GET /hello/{name}`: a greeting, in the language from config `LANGUAGE`.
async fn hello<H: Host>(_req: Request, ctx: Ctx<H>) -> Result<Response> {
    let name = ctx.param("name").unwrap_or("world");
    let greeting = match ctx.config().var("LANGUAGE").as_deref() {
        Some("fr") => "Bonjour",
        _ => "Hello",
    };
    json::response(
        StatusCode::OK,
        &serde_json::json!({ "message": format!("{greeting}, {name}!") }),
    )
}

/// The app's routes; small bodies only.
fn app<H: Host>() -> Router<H> {
    Router::new().get("/hello/{name}", hello::<H>).max_body_bytes(16 * 1024)
}

#[cfg(target_arch = "wasm32")]
fn main() {
    use anyedge_fastly::{fastly, serve_with, FastlyConfig};
    use std::rc::Rc;

    anyedge_fastly::install_panic_hook();
    let host = Rc::new(anyedge_fastly::host(FastlyConfig::default()));
    anyedge_core::adapter::install_logging(host.logger().clone(), host.config());
    let mut res = serve_with(&app(), host, fastly::Request::from_client());
    res.set_header("x-served-by", "fastly-custom");
    res.send_to_client();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("build for Fastly: cargo build --release --target wasm32-wasip1");
}

#[cfg(test)]
mod tests {
    use super::*;
    use anyedge_core::adapter::block_on;
    use anyedge_core::testing::{MemoryConfig, TestHost};
    use std::rc::Rc;

    fn get(path: &str, host: TestHost) -> Response {
        let req = http::Request::get(path).body(Default::default());
        let req = req.unwrap_or_default();
        block_on(app().handle(req, Rc::new(host))).unwrap_or_default()
    }

    #[test]
    fn greets_in_the_configured_language() {
        let res = get("/hello/Ada", TestHost::new());
        assert_eq!(res.body().as_ref(), br#"{"message":"Hello, Ada!"}"#);
        let fr = TestHost::new().with_config(MemoryConfig::new().with_var("LANGUAGE", "fr"));
        let res = get("/hello/Ada", fr);
        assert_eq!(res.body().as_ref(), br#"{"message":"Bonjour, Ada!"}"#);
    }
}
