//! Entry points: [`run`] for `main`, [`serve`] and [`serve_with`] for
//! programs that do more around the app.

use std::rc::Rc;

use anyedge_core::{Error, Host, Router};

use crate::convert::{from_fastly_request, into_fastly_response};
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
    let res = match from_fastly_request(&mut req, router.body_limit()) {
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
    let host = Rc::new(FastlyHost::open());
    host.install_logging();
    serve_with(router, host, fastly::Request::from_client()).send_to_client();
}
