//! Entry points: [`run`] for `main`, [`serve`] and [`serve_with`] for
//! programs that do more around the app.

use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};

use anyedge_core::{Error, Host, Router};

use crate::convert::{from_client_handles, from_fastly_request, into_fastly_response};
use crate::executor::block_on;
use crate::host::FastlyHost;

/// Handles one request with `router` on a [`FastlyHost::open`] host.
///
/// ```ignore
/// #[fastly::main]
/// fn main(req: fastly::Request) -> Result<fastly::Response, fastly::Error> {
///     Ok(anyedge_fastly::serve(&my_app::router(), req))
/// }
/// ```
pub fn serve(router: &Router<FastlyHost>, req: fastly::Request) -> fastly::Response {
    serve_with(router, Rc::new(FastlyHost::open()), req)
}

/// Handles one request with `router` on `host` (any [`Host`], so tests can
/// pass doubles). Never fails: every error is a problem+json response.
pub fn serve_with<H: Host>(
    router: &Router<H>,
    host: Rc<H>,
    mut req: fastly::Request,
) -> fastly::Response {
    let req = from_fastly_request(&mut req, router.body_limit());
    respond(router, host, req)
}

/// The response to `req` (or to the error reading it).
fn respond<H: Host>(
    router: &Router<H>,
    host: Rc<H>,
    req: Result<anyedge_core::Request, Error>,
) -> fastly::Response {
    let res = match req {
        Ok(req) => match block_on(router.handle(req, host)) {
            Ok(res) => res,
            Err(stalled) => Error::Internal(stalled.to_string()).to_response(),
        },
        Err(err) => err.to_response(),
    };
    into_fastly_response(res)
}

/// The whole `main` of a Fastly program: opens the default host, routes
/// `log` macros to it, serves the client request with `router`, and sends
/// the response.
///
/// ```ignore
/// fn main() {
///     anyedge_fastly::run(&anyedge_core::reference::app());
/// }
/// ```
pub fn run(router: &Router<FastlyHost>) {
    install_panic_hook();
    let host = Rc::new(FastlyHost::open());
    host.install_logging();
    let (req, body) = fastly::handle::client_request_and_body();
    let req = from_client_handles(&req, body, router.body_limit());
    let res = respond(router, host, req);
    RESPONDED.store(true, Ordering::SeqCst);
    res.send_to_client();
}

/// Set once the response has gone to the client: a later panic cannot answer.
static RESPONDED: AtomicBool = AtomicBool::new(false);

/// Makes a panic answer the client with a 500 `internal` problem before
/// the instance aborts (`wasm32-wasip1` panics abort: there is no unwinding
/// to catch). The panic is logged to stderr with its location; the client
/// sees only "the handler panicked". [`run`] installs it; call it first in
/// a `main` that uses [`serve`] or [`serve_with`] and sends the response
/// itself.
pub fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let location = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        let message = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "non-string panic payload".to_owned());
        eprintln!("ERROR anyedge: handler panicked{location}: {message}");
        if !RESPONDED.swap(true, Ordering::SeqCst) {
            let problem = Error::Internal("the handler panicked".into()).to_response();
            into_fastly_response(problem).send_to_client();
        }
    }));
}
