//! Tasks: spawning, joining, aborting, yielding.
//!
//! A task is a future the runtime polls to completion. [`crate::spawn`]
//! returns its [`JoinHandle`]; awaiting that gives the output or a
//! [`JoinError`] (the task panicked, or was aborted). Dropping the handle
//! detaches the task: it runs on.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

pub use weft_task::coop::consume_budget;
pub use weft_task::{AbortHandle, Id, JoinError, JoinHandle};

pub use crate::spawn;

/// Yields to the scheduler: the task runs again after the tasks already
/// waiting *and* after the runtime has polled I/O and timers.
///
/// So a task that yields in a loop while it waits for a socket or a timer
/// lets the reactor see them (a yielded task that ran again at once would
/// starve the very event it waits for). Inside `block_on` (not a task), the
/// future is simply polled again.
///
/// ```
/// let rt = weft::Runtime::new()?;
/// rt.block_on(async {
///     for _ in 0..3 {
///         weft::task::yield_now().await;
///     }
/// });
/// # Ok::<(), std::io::Error>(())
/// ```
pub async fn yield_now() {
    YieldNow { yielded: false }.await
}

struct YieldNow {
    yielded: bool,
}

impl Future for YieldNow {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.yielded {
            return Poll::Ready(());
        }
        self.yielded = true;
        // Held back by the worker until its next driver poll.
        weft_task::coop::defer(cx);
        Poll::Pending
    }
}
