//! The native host (`anyedge-native`) end to end: the reference app's
//! native binary (`anyedge-reference`, feature `test-routes`).

use std::net::SocketAddr;

use anyhow::Result;

use crate::conformance::{ADMIN_CANARY, CANARY, CORS_ORIGINS};
use crate::util::{cargo, cmd, root, run, Service};
use crate::{Runtime, REFUSED_URL, UPSTREAM_ADDR};

pub(crate) struct Native;

impl Runtime for Native {
    fn name(&self) -> &'static str {
        "native"
    }

    fn addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], 18787))
    }

    fn measures_memory(&self) -> bool {
        true
    }

    fn prepare(&self) -> Result<()> {
        run(cargo().args([
            "build",
            "--quiet",
            "-p",
            "anyedge-reference",
            "--bin",
            "anyedge-reference",
            "--features",
            "test-routes",
        ]))
    }

    fn serve(&self) -> Result<Service> {
        Service::start(
            "anyedge-native",
            cmd(root().join("target/debug/anyedge-reference"))
                .env("ANYEDGE_ADDR", self.addr().to_string())
                .env("API_URL", format!("http://{UPSTREAM_ADDR}/hello"))
                .env("ITEMS_URL", format!("http://{UPSTREAM_ADDR}/items"))
                .env("DATA_URL", format!("http://{UPSTREAM_ADDR}"))
                .env("REFUSED_URL", REFUSED_URL)
                .env("UPSTREAM_TIMEOUT_MS", "2000")
                .env("CORS_ORIGINS", CORS_ORIGINS)
                .env("API_TOKEN", CANARY)
                .env("ADMIN_TOKEN", ADMIN_CANARY),
        )
    }
}
