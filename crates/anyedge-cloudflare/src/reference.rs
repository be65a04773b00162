//! The reference app as this crate's Worker (feature `reference-app`, on by
//! default): `#[event(fetch)]` serving [`anyedge_core::reference::app`].

use std::rc::Rc;

use anyedge_core::Router;

use crate::CloudflareHost;

/// The reference app's routes, plus `GET /__panic` with feature `panic-route`.
pub fn routes() -> Router<CloudflareHost> {
    let app = anyedge_core::reference::app::<CloudflareHost>();
    #[cfg(feature = "panic-route")]
    let app = app.get("/__panic", panic_route::handler);
    app
}

#[cfg(feature = "panic-route")]
mod panic_route {
    use anyedge_core::{Ctx, Request, Response, Result};

    use crate::CloudflareHost;

    /// Panics, to test what workerd does with the instance afterwards.
    #[allow(clippy::panic)] // The point of this test-only route.
    pub(super) async fn handler(_req: Request, _ctx: Ctx<CloudflareHost>) -> Result<Response> {
        panic!("deliberate panic from GET /__panic (feature panic-route)")
    }
}

thread_local! {
    /// Built once per Worker instance (and again after a reset that follows a panic).
    static APP: Rc<Router<CloudflareHost>> = Rc::new(routes());
}

#[cfg(target_arch = "wasm32")]
#[worker::event(fetch)]
async fn fetch(
    req: worker::Request,
    env: worker::Env,
    _ctx: worker::Context,
) -> worker::Result<worker::Response> {
    let app = APP.with(Rc::clone);
    crate::serve(&app, req, env).await
}
