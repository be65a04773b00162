//! The reference app as this crate's Worker (feature `reference-app`, on by
//! default): exports `fetch` serving [`anyedge_core::reference::app`] (with
//! its test routes under feature `test-routes`).

use anyedge_core::Router;

use crate::CloudflareHost;

/// The reference app's routes.
pub fn routes() -> Router<CloudflareHost> {
    anyedge_core::reference::app::<CloudflareHost>()
}

crate::export_fetch!(routes());
