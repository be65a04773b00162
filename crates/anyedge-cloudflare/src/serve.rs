//! The entry points: [`main!`](crate::main) exports the Worker's `fetch`,
//! which calls [`run`]; [`serve`] runs a [`Router`] for one request, for
//! your own `#[event(fetch)]`.

#![cfg(target_arch = "wasm32")]

use std::cell::Cell;
use std::rc::Rc;

use anyedge_core::adapter::{self, AdapterHost, Platform};
use anyedge_core::{Error, Router};
use worker::wasm_bindgen::{prelude::wasm_bindgen, JsValue};
use worker::{js_sys, web_sys};

use crate::convert::{headers_to_lines, js_message, request_from_worker, response_to_worker};
use crate::{CloudflareClient, CloudflareConfig, CloudflareHost, CloudflareLogger};

/// Runs `router` for one Workers request: converts the request (refusing a
/// body over [`Router::body_limit`] with a 413, before reading it when
/// `Content-Length` announces it), handles it with a [`CloudflareHost`] over
/// `env`, and converts the response back.
///
/// The first call in a Worker instance also installs a panic hook that logs
/// the panic with `console.error`, and routes the `log` crate's macros to the
/// console at the `LOG_LEVEL` variable's level (default `info`).
///
/// Use it from your own `#[worker::event(fetch)]` when you need to do more
/// around it; otherwise prefer [`main!`](crate::main), which also answers a
/// request whose handler panics with a 500 problem (with `#[event(fetch)]`
/// such a request gets workerd's own 500, see the crate docs).
///
/// # Errors
/// Only when not even an error response can be built in JS (the runtime
/// is out of memory or broken); every failure of the request itself is a
/// problem+json response.
pub async fn serve<S: 'static>(
    router: &Router<CloudflareHost, S>,
    req: worker::Request,
    env: worker::Env,
) -> worker::Result<worker::Response> {
    serve_raw(router, req.inner(), env)
        .await
        .map(worker::Response::from)
        .map_err(worker::Error::from)
}

/// [`serve`] over the `web_sys` types, as the runtime hands them over.
async fn serve_raw<S: 'static>(
    router: &Router<CloudflareHost, S>,
    req: &web_sys::Request,
    env: worker::Env,
) -> Result<web_sys::Response, JsValue> {
    let platform = Platform { now: js_now, fill_random: anyedge_random };
    let host = AdapterHost::new(CloudflareClient, CloudflareLogger, CloudflareConfig::new(env));
    let host = Rc::new(host.with_platform(platform));
    init_instance(&host, router);
    let req = request_from_worker(req, router.body_limit()).await;
    let res = adapter::respond(router, host, req).await;
    response_to_worker(res).or_else(|e| {
        let message = js_message(&e);
        worker::console_error!("ERROR anyedge: could not build the response: {message}");
        let fallback = Error::Internal(
            "the response could not be converted for the Workers runtime; see the Worker's logs"
                .into(),
        );
        response_to_worker(fallback.to_response())
    })
}

#[wasm_bindgen(module = "/src/glue.js")]
extern "C" {
    fn anyedge_begin(id: u32) -> js_sys::Promise;
    fn anyedge_settle(id: u32, res: &web_sys::Response);
    fn anyedge_settle_all(status: u16, lines: &str, body: &[u8]);
    fn anyedge_now() -> f64;
    fn anyedge_random(buf: &mut [u8]);
}

/// `Date.now()` (which on Workers moves only across I/O), as a duration.
fn js_now() -> std::time::Duration {
    std::time::Duration::from_secs_f64(anyedge_now().max(0.0) / 1000.0)
}

thread_local! {
    static NEXT_ID: Cell<u32> = const { Cell::new(0) };
}

/// Runs `router` for one request like [`serve`], and returns the promise the
/// Workers runtime awaits. What [`main!`](crate::main) exports as `fetch`.
///
/// The promise is settled from JS's side of the call (`glue.js` keeps its
/// `resolve`), so it does not depend on the wasm instance surviving the
/// request: if a handler panics, the panic hook resolves every in-flight
/// promise with a 500 `internal` problem before the module traps (the trap
/// would otherwise leave them pending until workerd gives up on them). The
/// instance is then reset by the `worker-build` shim on the next request.
pub fn run<S: 'static>(
    router: Rc<Router<CloudflareHost, S>>,
    req: web_sys::Request,
    env: worker::Env,
) -> js_sys::Promise {
    let id = NEXT_ID.with(|n| n.replace(n.get().wrapping_add(1)));
    let promise = anyedge_begin(id);
    worker::wasm_bindgen_futures::spawn_local(async move {
        let res = serve_raw(&router, &req, env).await.or_else(|e| {
            worker::console_error!("ERROR anyedge: {}", js_message(&e));
            response_to_worker(
                Error::Internal("the response could not be built".into()).to_response(),
            )
        });
        if let Ok(res) = res {
            anyedge_settle(id, &res);
        }
    });
    promise
}

/// Installs the panic hook and the log bridge, and logs what is wrong
/// with the route table, once per instance.
fn init_instance<S: 'static>(host: &CloudflareHost, router: &Router<CloudflareHost, S>) {
    static INIT: std::sync::Once = std::sync::Once::new();
    INIT.call_once(|| {
        std::panic::set_hook(Box::new(|info| {
            worker::console_error!("{}", adapter::panic_line(info));
            // The module traps right after this hook: answer what is in flight now.
            let res = adapter::panic_response();
            anyedge_settle_all(res.status().as_u16(), &headers_to_lines(res.headers()), res.body());
        }));
        adapter::install_logging(CloudflareLogger, anyedge_core::Host::config(host));
        adapter::report_route_errors(router, &CloudflareLogger);
    });
}

/// A router the [`main!`](crate::main) macro can keep without naming its
/// state type. Not a public API.
#[doc(hidden)]
pub trait App {
    /// [`run`] for this router.
    fn run(self: Rc<Self>, req: web_sys::Request, env: worker::Env) -> js_sys::Promise;
}

impl<S: 'static> App for Router<CloudflareHost, S> {
    fn run(self: Rc<Self>, req: web_sys::Request, env: worker::Env) -> js_sys::Promise {
        run(self, req, env)
    }
}
