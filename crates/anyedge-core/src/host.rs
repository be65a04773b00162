//! What a host provides ([`Host`]), and what a handler gets ([`Ctx`]).

use std::rc::Rc;

use crate::client::HttpClient;
use crate::config::Config;
use crate::logging::Logger;
use crate::router::Params;

/// The services of one runtime: outbound HTTP, logging, configuration.
///
/// Each adapter implements it once (`NativeHost`, `CloudflareHost`,
/// `FastlyHost`); [`crate::testing::TestHost`] implements it with test doubles.
/// Apps are generic over it, so the same code runs on every host with static
/// dispatch.
pub trait Host: 'static {
    /// Outbound HTTP.
    type Client: HttpClient;
    /// The log sink.
    type Logger: Logger;
    /// Variables and secrets.
    type Config: Config;

    /// Outbound HTTP.
    fn client(&self) -> &Self::Client;
    /// The log sink.
    fn logger(&self) -> &Self::Logger;
    /// Variables and secrets.
    fn config(&self) -> &Self::Config;
}

/// What a handler gets beside the request: the host's services and the
/// route's path parameters. Cheap to clone.
pub struct Ctx<H> {
    host: Rc<H>,
    params: Params,
}

impl<H> std::fmt::Debug for Ctx<H> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ctx").field("params", &self.params).finish_non_exhaustive()
    }
}

impl<H> Clone for Ctx<H> {
    fn clone(&self) -> Self {
        Ctx { host: Rc::clone(&self.host), params: self.params.clone() }
    }
}

impl<H: Host> Ctx<H> {
    /// A context over `host` with the given path parameters. For host
    /// adapters and tests: the router builds the context a handler gets.
    pub fn new(host: Rc<H>, params: Params) -> Self {
        Ctx { host, params }
    }

    /// The host.
    pub fn host(&self) -> &H {
        &self.host
    }

    /// Outbound HTTP.
    pub fn client(&self) -> &H::Client {
        self.host.client()
    }

    /// The log sink.
    pub fn logger(&self) -> &H::Logger {
        self.host.logger()
    }

    /// Variables and secrets.
    pub fn config(&self) -> &H::Config {
        self.host.config()
    }

    /// The path parameter `name` of the matched route, percent-decoded.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params.get(name)
    }

    /// All path parameters of the matched route.
    pub fn params(&self) -> &Params {
        &self.params
    }
}
