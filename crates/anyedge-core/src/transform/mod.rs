//! JSON transform routes declared in TOML, with jq filters run by
//! [jaq](https://github.com/01mf02/jaq) (feature `transform`).
//!
//! A routes file declares origins and routes:
//!
//! ```toml
//! [origins]                  # origin name -> config variable with its base URL
//! data = "DATA_URL"
//!
//! [[route]]
//! name = "list-users"
//! method = "GET"
//! path = "/users"            # router syntax, with {params}
//! upstream = { origin = "data", path = "/data/users" }
//! response_filter = '[.users[] | {id, name}]'
//! ```
//!
//! - With an `upstream`, the route calls `{base URL}{path}` (each `{param}`
//!   percent-encoded as one segment) and answers `response_filter` applied to
//!   the upstream's JSON (or the JSON as is without one). With a
//!   `request_filter`, the call is a `POST` (or `upstream.method`) whose JSON
//!   body is `request_filter` applied to the request body.
//! - Without one, the route answers `response_filter` applied to the request body.
//! - Every filter sees `$body` (the request body, or `null`), `$params` (path
//!   parameters) and `$query` (decoded query parameters), all strings.
//!
//! An app names its routes file itself, typically embedded with
//! `include_str!`, and adds its routes to the same [`Router`] as its Rust
//! handlers:
//!
//! ```
//! use anyedge_core::{testing::TestHost, transform::Routes, Router};
//! use std::rc::Rc;
//! let routes = Routes::from_toml("routes.toml", r#"
//!     [[route]]
//!     name = "total"
//!     method = "POST"
//!     path = "/total"
//!     response_filter = '{total: (.items | map(.price * .qty) | add)}'
//! "#).unwrap();
//! routes.check().unwrap(); // compiles every filter, for tests
//! let router: Router<TestHost> = routes.install(Router::new());
//! # futures_executor::block_on(async {
//! let req = http::Request::post("/total").header("content-type", "application/json")
//!     .body(r#"{"items":[{"price":2,"qty":3},{"price":1,"qty":4}]}"#.into()).unwrap();
//! let res = router.handle(req, Rc::new(TestHost::new())).await;
//! assert_eq!(res.body().as_ref(), br#"{"total":10}"#);
//! # });
//! ```
//!
//! Filters are compiled lazily, once per instance: only a matched route's
//! filters, on first use. See `docs/transform.md` for the whole format, the
//! errors and where jaq differs from jq.

mod config;
mod filter;
mod handler;

use std::fmt;
use std::rc::Rc;

use crate::{Host, Router};

pub use config::ConfigError;

/// A parsed routes file.
pub struct Routes {
    routes: Vec<Rc<handler::RouteSpec>>,
}

impl fmt::Debug for Routes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.routes.iter().map(|r| &r.name)).finish()
    }
}

impl Routes {
    /// Parses and checks a routes file: structure, methods, paths, origins
    /// and upstream path templates. Filters are compiled later (on first use,
    /// or by [`Routes::check`]). `file` names the file in errors.
    pub fn from_toml(file: &str, text: &str) -> Result<Routes, ConfigError> {
        let routes = config::parse(file, text)?;
        Ok(Routes { routes: routes.into_iter().map(Rc::new).collect() })
    }

    /// Compiles every filter now; the first error names the file, route,
    /// filter and position. Call it from a test so a broken filter fails the
    /// test command rather than a request.
    pub fn check(&self) -> Result<(), ConfigError> {
        for route in &self.routes {
            route.compile_all()?;
        }
        Ok(())
    }

    /// Names of the routes, in file order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.routes.iter().map(|r| r.name.as_str())
    }

    /// Number of routes.
    pub fn len(&self) -> usize {
        self.routes.len()
    }

    /// True when the file declares no route.
    pub fn is_empty(&self) -> bool {
        self.routes.is_empty()
    }

    /// Adds every route to `router`.
    ///
    /// A route whose method and path `router` already has, or whose path
    /// conflicts with one of its routes, is reported by [`Router::check`].
    pub fn install<H: Host, S: 'static>(&self, router: Router<H, S>) -> Router<H, S> {
        self.routes.iter().fold(router, |router, spec| {
            let method = spec.method.clone();
            let path = spec.path.clone();
            let spec = Rc::clone(spec);
            router.route(method, &path, move |req, ctx| handler::handle(Rc::clone(&spec), req, ctx))
        })
    }
}
