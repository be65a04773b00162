//! Placeholder: filled in by the cloudflare adapter work.

use std::net::SocketAddr;

use anyhow::{bail, Result};

use crate::util::Service;
use crate::Runtime;

pub(crate) struct Cloudflare;

impl Runtime for Cloudflare {
    fn name(&self) -> &'static str {
        "workerd"
    }

    fn addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], 18788))
    }

    fn prepare(&self) -> Result<()> {
        bail!("the cloudflare runtime is not wired up yet")
    }

    fn serve(&self) -> Result<Service> {
        bail!("the cloudflare runtime is not wired up yet")
    }
}
