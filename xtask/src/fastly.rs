//! Placeholder: filled in by the fastly adapter work.

use std::net::SocketAddr;

use anyhow::{bail, Result};

use crate::util::Service;
use crate::Runtime;

pub(crate) struct Fastly;

impl Runtime for Fastly {
    fn name(&self) -> &'static str {
        "viceroy"
    }

    fn addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], 18789))
    }

    fn prepare(&self) -> Result<()> {
        bail!("the fastly runtime is not wired up yet")
    }

    fn serve(&self) -> Result<Service> {
        bail!("the fastly runtime is not wired up yet")
    }
}
