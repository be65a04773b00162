//! The entry points: [`main!`](crate::main) exports the Worker's `fetch`,
//! which calls [`run`]; [`serve`] runs a [`Router`] for one request, for
//! your own `#[event(fetch)]`.

#![cfg(target_arch = "wasm32")]

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use anyedge_core::adapter::{self, AdapterHost};
use anyedge_core::{Error, Router};
use worker::wasm_bindgen::JsValue;
use worker::{js_sys, web_sys};

use crate::convert::{js_message, request_from_worker, response_to_worker};
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
pub async fn serve(
    router: &Router<CloudflareHost>,
    req: worker::Request,
    env: worker::Env,
) -> worker::Result<worker::Response> {
    serve_raw(router, req.inner(), env)
        .await
        .map(worker::Response::from)
        .map_err(worker::Error::from)
}

/// [`serve`] over the `web_sys` types, as the runtime hands them over.
async fn serve_raw(
    router: &Router<CloudflareHost>,
    req: &web_sys::Request,
    env: worker::Env,
) -> Result<web_sys::Response, JsValue> {
    let host =
        Rc::new(AdapterHost::new(CloudflareClient, CloudflareLogger, CloudflareConfig::new(env)));
    init_instance(&host);
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

thread_local! {
    /// The `resolve` functions of the promises [`run`] returned and has not
    /// settled yet, by request number.
    static IN_FLIGHT: RefCell<Vec<(u64, js_sys::Function)>> = const { RefCell::new(Vec::new()) };
    static NEXT_ID: Cell<u64> = const { Cell::new(0) };
}

/// Runs `router` for one request like [`serve`], and returns the promise the
/// Workers runtime awaits. What [`main!`](crate::main) exports as `fetch`.
///
/// The promise is settled from JS's side of the call, so it does not depend
/// on the wasm instance surviving the request: if a handler panics, the panic
/// hook resolves every in-flight promise with a 500 `internal` problem before
/// the module traps (the trap would otherwise leave them pending until
/// workerd gives up on them). The instance is then reset by the
/// `worker-build` shim on the next request.
pub fn run(
    router: Rc<Router<CloudflareHost>>,
    req: web_sys::Request,
    env: worker::Env,
) -> js_sys::Promise {
    let id = NEXT_ID.with(|n| {
        let id = n.get();
        n.set(id.wrapping_add(1));
        id
    });
    let promise = js_sys::Promise::new(&mut |resolve, _reject| {
        IN_FLIGHT.with(|f| {
            if let Ok(mut f) = f.try_borrow_mut() {
                f.push((id, resolve));
            }
        });
    });
    worker::wasm_bindgen_futures::spawn_local(async move {
        let res = serve_raw(&router, &req, env).await;
        let Some(resolve) = take_resolver(id) else {
            return;
        };
        match res {
            Ok(res) => {
                let _ = resolve.call1(&JsValue::NULL, &JsValue::from(res));
            }
            Err(e) => {
                worker::console_error!("ERROR anyedge: {}", js_message(&e));
                settle(
                    &resolve,
                    Error::Internal("the response could not be built".into()).to_response(),
                );
            }
        }
    });
    promise
}

fn take_resolver(id: u64) -> Option<js_sys::Function> {
    IN_FLIGHT.with(|f| {
        let mut f = f.try_borrow_mut().ok()?;
        let at = f.iter().position(|(i, _)| *i == id)?;
        Some(f.swap_remove(at).1)
    })
}

/// Resolves a promise with `res`.
fn settle(resolve: &js_sys::Function, res: anyedge_core::Response) {
    if let Ok(res) = response_to_worker(res) {
        let _ = resolve.call1(&JsValue::NULL, &JsValue::from(res));
    }
}

/// Installs the panic hook and the log bridge, once per instance.
fn init_instance(host: &CloudflareHost) {
    static INIT: std::sync::Once = std::sync::Once::new();
    INIT.call_once(|| {
        std::panic::set_hook(Box::new(|info| {
            worker::console_error!("{}", adapter::panic_line(info));
            // The module traps right after this hook: answer what is in flight now.
            let pending = IN_FLIGHT.with(|f| {
                f.try_borrow_mut().map(|mut f| std::mem::take(&mut *f)).unwrap_or_default()
            });
            for (_, resolve) in pending {
                settle(&resolve, adapter::panic_response());
            }
        }));
        adapter::install_logging(CloudflareLogger, anyedge_core::Host::config(host));
    });
}
