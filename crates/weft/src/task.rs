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

/// Yields to the scheduler: the task goes to the back of its worker's
/// queue, behind everything already waiting, and runs again after them.
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
        // A wake during its own poll sends the task to the back of the
        // queue (`Schedule::yield_now`), never to the LIFO slot.
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}
