//! The entry points: [`main!`](crate::main) writes `fn main`, which calls
//! [`run`]; [`serve`] and [`serve_with`] answer one `fastly::Request`, for
//! programs that do more around the app.

use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};

use anyedge_core::adapter::{self, block_on, AdapterHost};
use anyedge_core::{Error, Host, Router};
use fastly::handle::{BodyHandle, RequestHandle};

use crate::convert::{request_from_handles, response_to_fastly};
use crate::{FastlyClient, FastlyConfig, FastlyHost, FastlyLogger};

/// A [`FastlyHost`] over `config`: the logger writes to its `LOG_ENDPOINT`;
/// the client reads `BACKENDS` and `DYNAMIC_BACKENDS` when first used.
pub fn host(config: FastlyConfig) -> FastlyHost {
    let logger = FastlyLogger::new(&config);
    AdapterHost::new(FastlyClient::new(config.clone()), logger, config)
}

/// Handles one request with `router` on a host over the default stores.
///
/// ```ignore
/// #[fastly::main]
/// fn main(req: fastly::Request) -> Result<fastly::Response, fastly::Error> {
///     Ok(anyedge_fastly::serve(&my_app::router(), req))
/// }
/// ```
pub fn serve<S: 'static>(router: &Router<FastlyHost, S>, req: fastly::Request) -> fastly::Response {
    serve_with(router, Rc::new(host(FastlyConfig::default())), req)
}

/// Handles one request with `router` on `host` (any [`Host`], so tests can
/// pass doubles). Never fails: every error is a problem+json response.
pub fn serve_with<H: Host, S: 'static>(
    router: &Router<H, S>,
    host: Rc<H>,
    req: fastly::Request,
) -> fastly::Response {
    let (req, body) = req.into_handles();
    let body = body.unwrap_or_else(BodyHandle::new);
    respond(router, host, (&req, body))
}

/// The response to the request of these handles.
fn respond<H: Host, S: 'static>(
    router: &Router<H, S>,
    host: Rc<H>,
    (req, body): (&RequestHandle, BodyHandle),
) -> fastly::Response {
    let req = request_from_handles(req, body, router.body_limit());
    let res = block_on(adapter::respond(router, host, req));
    response_to_fastly(res.unwrap_or_else(|stalled| Error::from(stalled).to_response()))
}

/// The whole of a Fastly program: installs the panic hook, routes the `log`
/// macros to the host's logger at config `LOG_LEVEL`, serves the client
/// request with `router` and sends the response. What [`main!`](crate::main) calls.
pub fn run<S: 'static>(router: &Router<FastlyHost, S>) {
    install_panic_hook();
    let host = Rc::new(host(FastlyConfig::default()));
    adapter::install_logging(host.logger().clone(), host.config());
    adapter::report_route_errors(router, host.logger());
    let (req, body) = fastly::handle::client_request_and_body();
    let res = respond(router, host, (&req, body));
    RESPONDED.store(true, Ordering::SeqCst);
    res.send_to_client();
}

/// Set once the response has gone to the client: a later panic cannot answer.
static RESPONDED: AtomicBool = AtomicBool::new(false);

/// Makes a panic answer the client with a 500 `internal` problem before the
/// instance aborts (`wasm32-wasip1` panics abort: there is no unwinding to
/// catch). The panic is logged to stderr with its location; the client sees
/// only "the handler panicked". [`run`] installs it; call it first in a
/// `main` that uses [`serve`] or [`serve_with`] and sends the response itself.
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        eprintln!("{}", adapter::panic_line(info));
        if !RESPONDED.swap(true, Ordering::SeqCst) {
            response_to_fastly(adapter::panic_response()).send_to_client();
        }
    }));
}
