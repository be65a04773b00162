//! The entry point: [`serve`] runs an anyedge [`Router`] for one request.

#[cfg(target_arch = "wasm32")]
use std::rc::Rc;

use anyedge_core::logging::LevelFilter;
#[cfg(target_arch = "wasm32")]
use anyedge_core::{Config, Error, Router};

#[cfg(target_arch = "wasm32")]
use crate::convert::{request_from_worker, response_to_worker};
#[cfg(target_arch = "wasm32")]
use crate::CloudflareHost;

/// Log level when the `LOG_LEVEL` variable is not set or not a level name.
pub const DEFAULT_LOG_LEVEL: LevelFilter = LevelFilter::Info;

/// Runs `router` for one Workers request: converts the request (refusing a
/// body over [`Router::body_limit`] with a 413 before reading it when
/// `Content-Length` announces it), handles it with a [`CloudflareHost`] over
/// `env`, and converts the response back.
///
/// The first call in a Worker instance also installs a panic hook that logs
/// the panic message with `console.error`, and routes the `log` crate's
/// macros to the console at the `LOG_LEVEL` variable's level (default
/// [`DEFAULT_LOG_LEVEL`]).
///
/// Build the router once per instance, not per request, e.g. in a
/// `thread_local!` (a Worker instance is single-threaded):
///
/// ```ignore
/// use std::rc::Rc;
/// use anyedge_cloudflare::{serve, CloudflareHost};
/// use anyedge_core::Router;
///
/// thread_local! {
///     static APP: Rc<Router<CloudflareHost>> = Rc::new(my_app::routes());
/// }
///
/// #[worker::event(fetch)]
/// async fn fetch(req: worker::Request, env: worker::Env, _ctx: worker::Context) -> worker::Result<worker::Response> {
///     let app = APP.with(Rc::clone);
///     serve(&app, req, env).await
/// }
/// ```
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
    let host = Rc::new(CloudflareHost::new(env));
    init_instance(&host);
    let res = match request_from_worker(req, router.body_limit()).await {
        Ok(req) => router.handle(req, host).await,
        Err(err) => err.to_response(),
    };
    match response_to_worker(res) {
        Ok(res) => Ok(res),
        Err(e) => {
            let message = crate::convert::js_message(&e);
            worker::console_error!("ERROR anyedge: could not build the response: {message}");
            let fallback = Error::Internal(
                "the response could not be converted for the Workers runtime; see the Worker's logs"
                    .into(),
            );
            response_to_worker(fallback.to_response()).map_err(worker::Error::from)
        }
    }
}

/// Installs the panic hook and the log bridge, once per instance.
#[cfg(target_arch = "wasm32")]
fn init_instance(host: &CloudflareHost) {
    static INIT: std::sync::Once = std::sync::Once::new();
    INIT.call_once(|| {
        std::panic::set_hook(Box::new(|info| {
            worker::console_error!("PANIC anyedge: {info}");
        }));
        let level = anyedge_core::Host::config(host)
            .var("LOG_LEVEL")
            .and_then(|l| anyedge_core::logging::parse_level(&l))
            .unwrap_or(DEFAULT_LOG_LEVEL);
        anyedge_core::logging::install(crate::ConsoleLogger, level);
    });
}
