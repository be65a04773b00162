//! The entry points: [`serve`] runs an anyedge [`Router`] for one request;
//! [`fetch_promise`] (what [`export_fetch!`](crate::export_fetch) exports)
//! does the same and also answers a request whose handler panics.

#[cfg(target_arch = "wasm32")]
use std::cell::RefCell;
#[cfg(target_arch = "wasm32")]
use std::rc::Rc;

use anyedge_core::logging::LevelFilter;
#[cfg(target_arch = "wasm32")]
use anyedge_core::{Config, Error, Router};
#[cfg(target_arch = "wasm32")]
use worker::wasm_bindgen::JsValue;
#[cfg(target_arch = "wasm32")]
use worker::{js_sys, web_sys};

#[cfg(target_arch = "wasm32")]
use crate::convert::{js_message, request_from_worker, response_to_worker};
#[cfg(target_arch = "wasm32")]
use crate::CloudflareHost;

/// Log level when the `LOG_LEVEL` variable is not set or not a level name.
pub const DEFAULT_LOG_LEVEL: LevelFilter = LevelFilter::Info;

/// Runs `router` for one Workers request: converts the request (refusing a
/// body over [`Router::body_limit`] with a 413, before reading it when
/// `Content-Length` announces it), handles it with a [`CloudflareHost`] over
/// `env`, and converts the response back.
///
/// The first call in a Worker instance also installs a panic hook that logs
/// the panic message with `console.error`, and routes the `log` crate's
/// macros to the console at the `LOG_LEVEL` variable's level (default
/// [`DEFAULT_LOG_LEVEL`]).
///
/// Use it from your own `#[worker::event(fetch)]` when you need to do more
/// around it; otherwise prefer [`export_fetch!`](crate::export_fetch), which
/// also answers a request whose handler panics with a 500 problem (with
/// `#[event(fetch)]` such a request gets workerd's own 500, see the crate docs).
///
/// # Errors
/// Only when not even an error response can be built in JS (the runtime
/// is out of memory or broken); every failure of the request itself is a
/// problem+json response.
#[cfg(target_arch = "wasm32")]
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
#[cfg(target_arch = "wasm32")]
async fn serve_raw(
    router: &Router<CloudflareHost>,
    req: &web_sys::Request,
    env: worker::Env,
) -> Result<web_sys::Response, JsValue> {
    let host = Rc::new(CloudflareHost::new(env));
    init_instance(&host);
    let res = match request_from_worker(req, router.body_limit()).await {
        Ok(req) => router.handle(req, host).await,
        Err(err) => err.to_response(),
    };
    match response_to_worker(res) {
        Ok(res) => Ok(res),
        Err(e) => {
            let message = js_message(&e);
            worker::console_error!("ERROR anyedge: could not build the response: {message}");
            let fallback = Error::Internal(
                "the response could not be converted for the Workers runtime; see the Worker's logs"
                    .into(),
            );
            response_to_worker(fallback.to_response())
        }
    }
}

#[cfg(target_arch = "wasm32")]
thread_local! {
    /// The `resolve` functions of the promises [`fetch_promise`] returned
    /// and has not settled yet, by request number.
    static IN_FLIGHT: RefCell<Vec<(u64, js_sys::Function)>> = const { RefCell::new(Vec::new()) };
    static NEXT_ID: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// Runs `router` for one request like [`serve`], and returns the promise the
/// Workers runtime awaits.
///
/// The promise is settled from JS's side of the call, so it does not depend
/// on the wasm instance surviving the request: if a handler panics, the panic
/// hook resolves every in-flight promise with a 500 `internal` problem before
/// the module traps (the trap would otherwise leave them pending until
/// workerd gives up on them). The instance is then reset by the
/// `worker-build` shim on the next request.
///
/// [`export_fetch!`](crate::export_fetch) exports a `fetch` that calls it.
#[cfg(target_arch = "wasm32")]
pub fn fetch_promise(
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
        let value = match res {
            Ok(res) => JsValue::from(res),
            Err(e) => {
                worker::console_error!("ERROR anyedge: {}", js_message(&e));
                return settle_with_internal(&resolve, "the response could not be built");
            }
        };
        let _ = resolve.call1(&JsValue::NULL, &value);
    });
    promise
}

#[cfg(target_arch = "wasm32")]
fn take_resolver(id: u64) -> Option<js_sys::Function> {
    IN_FLIGHT.with(|f| {
        let mut f = f.try_borrow_mut().ok()?;
        let at = f.iter().position(|(i, _)| *i == id)?;
        Some(f.swap_remove(at).1)
    })
}

/// Resolves with a 500 `internal` problem (no details: they are in the logs).
#[cfg(target_arch = "wasm32")]
fn settle_with_internal(resolve: &js_sys::Function, what: &str) {
    let res = Error::Internal(format!("{what}; see the Worker's logs")).to_response();
    if let Ok(res) = response_to_worker(res) {
        let _ = resolve.call1(&JsValue::NULL, &JsValue::from(res));
    }
}

/// Installs the panic hook and the log bridge, once per instance.
#[cfg(target_arch = "wasm32")]
fn init_instance(host: &CloudflareHost) {
    static INIT: std::sync::Once = std::sync::Once::new();
    INIT.call_once(|| {
        std::panic::set_hook(Box::new(|info| {
            worker::console_error!("PANIC anyedge: {info}");
            // The module traps right after this hook: answer what is in flight now.
            let pending = IN_FLIGHT.with(|f| {
                f.try_borrow_mut()
                    .map(|mut f| std::mem::take(&mut *f))
                    .unwrap_or_default()
            });
            for (_, resolve) in pending {
                settle_with_internal(&resolve, "the handler panicked");
            }
        }));
        let level = anyedge_core::Host::config(host)
            .var("LOG_LEVEL")
            .and_then(|l| anyedge_core::logging::parse_level(&l))
            .unwrap_or(DEFAULT_LOG_LEVEL);
        anyedge_core::logging::install(crate::ConsoleLogger, level);
    });
}

/// Exports the Worker's `fetch` handler, serving the router that `$routes`
/// (an expression of type `Router<CloudflareHost>`) builds once per Worker
/// instance, through [`fetch_promise`]. Use it once, at the top level of
/// your cdylib crate (which must not also use `#[event(fetch)]`):
///
/// ```ignore
/// anyedge_cloudflare::export_fetch!(my_app::routes());
/// ```
#[macro_export]
macro_rules! export_fetch {
    ($routes:expr) => {
        ::std::thread_local! {
            static __ANYEDGE_APP: ::std::rc::Rc<
                $crate::__private::Router<$crate::CloudflareHost>,
            > = ::std::rc::Rc::new($routes);
        }

        /// The Worker's `fetch` export (generated by `anyedge_cloudflare::export_fetch!`).
        #[doc(hidden)]
        pub mod __anyedge_fetch_export {
            use $crate::__private::wasm_bindgen;
            use $crate::__private::{js_sys, web_sys, Env};

            /// The Worker's `fetch` handler.
            #[allow(unreachable_pub)] // Exported to JS, whatever the module's visibility.
            #[wasm_bindgen::prelude::wasm_bindgen(js_name = fetch)]
            pub fn fetch(
                req: web_sys::Request,
                env: Env,
                _ctx: wasm_bindgen::JsValue,
            ) -> js_sys::Promise {
                let app = super::__ANYEDGE_APP.with(::std::rc::Rc::clone);
                $crate::fetch_promise(app, req, env)
            }
        }
    };
}
