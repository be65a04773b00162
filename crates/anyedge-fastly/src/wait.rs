//! Waiting for a pending backend request, for at most a given time.
//!
//! The SDK's `PendingRequest::wait` blocks until the backend answers; the
//! host's `select` hostcall takes a timeout, which is how a request's
//! [`Limits::timeout`](anyedge_core::client::Limits) is honoured on static
//! backends. The SDK keeps its timed `select` private, so this module calls
//! the hostcall itself: the only `unsafe` in the crate.
#![allow(unsafe_code)]

use std::time::Duration;

use fastly::handle::PendingRequestHandle;
use fastly_sys::fastly_async_io;

/// The host's answer to "is it ready yet?".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Wait {
    /// The response (or a send error) is ready: `wait()` will not block.
    Ready,
    /// `timeout` passed first.
    TimedOut,
}

/// Blocks until `pending` is ready or `timeout` has passed.
pub(crate) fn ready_within(
    pending: &PendingRequestHandle,
    timeout: Duration,
) -> Result<Wait, String> {
    if timeout.is_zero() {
        return Ok(Wait::TimedOut);
    }
    // 0 means "no timeout" to the host: round up to at least 1 ms.
    let timeout_ms = u32::try_from(timeout.as_millis())
        .unwrap_or(u32::MAX)
        .max(1);
    let handles = [pending.as_u32()];
    let mut done_index = 0_u32;
    // SAFETY: `handles` is a live array of one valid pending-request handle
    // (borrowed from `pending`, which outlives the call), its length is
    // passed alongside, and `done_index` is a valid place for the host to
    // write a u32. The hostcall neither keeps nor frees either pointer.
    let status = unsafe {
        fastly_async_io::select(handles.as_ptr(), handles.len(), timeout_ms, &mut done_index)
    };
    status
        .result()
        .map_err(|s| format!("waiting for the backend failed: host status {s:?}"))?;
    // The host writes u32::MAX when the timeout elapsed first.
    Ok(if done_index == u32::MAX {
        Wait::TimedOut
    } else {
        Wait::Ready
    })
}
