//! A minimal executor: Fastly runs one request per instance on one thread,
//! and every host call this crate makes blocks, so futures complete as they
//! are polled. No reactor, no tokio.

use std::future::Future;
use std::pin::pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

/// A future returned `Pending` and nothing woke it: on a host without a
/// reactor it can never finish.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stalled;

impl std::fmt::Display for Stalled {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(
            "a future is waiting on something that cannot complete on Fastly \
             (no async reactor: await only anyedge host services)",
        )
    }
}

impl std::error::Error for Stalled {}

struct Flag(AtomicBool);

impl Wake for Flag {
    fn wake(self: Arc<Self>) {
        self.0.store(true, Ordering::SeqCst);
    }
    fn wake_by_ref(self: &Arc<Self>) {
        self.0.store(true, Ordering::SeqCst);
    }
}

/// Runs `future` to completion on the current thread.
///
/// A future that returns `Pending` is polled again only if it woke itself
/// (as `yield`-style futures do); one that waits for an outside event gets
/// [`Stalled`] instead of a hang.
///
/// ```
/// use anyedge_fastly::executor::block_on;
/// assert_eq!(block_on(async { 40 + 2 }), Ok(42));
/// assert!(block_on(std::future::pending::<()>()).is_err());
/// ```
pub fn block_on<F: Future>(future: F) -> Result<F::Output, Stalled> {
    let flag = Arc::new(Flag(AtomicBool::new(false)));
    let waker = Waker::from(Arc::clone(&flag));
    let mut cx = Context::from_waker(&waker);
    let mut future = pin!(future);
    loop {
        flag.0.store(false, Ordering::SeqCst);
        if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
            return Ok(out);
        }
        if !flag.0.load(Ordering::SeqCst) {
            return Err(Stalled);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Returns `Pending` `n` times, waking itself each time.
    struct YieldN(u32);

    impl Future for YieldN {
        type Output = u32;
        fn poll(mut self: std::pin::Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<u32> {
            if self.0 == 0 {
                return Poll::Ready(7);
            }
            self.0 -= 1;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }

    #[test]
    fn ready_futures_complete() {
        assert_eq!(block_on(async { "done" }), Ok("done"));
    }

    #[test]
    fn self_waking_futures_are_polled_again() {
        assert_eq!(block_on(YieldN(3)), Ok(7));
    }

    #[test]
    fn futures_nobody_wakes_are_reported_not_hung() {
        assert_eq!(block_on(std::future::pending::<u8>()), Err(Stalled));
    }
}
