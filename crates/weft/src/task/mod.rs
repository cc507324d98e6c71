//! Tasks: spawning, joining, aborting, yielding.
//!
//! A task is a future the runtime polls to completion. [`crate::spawn`]
//! returns its [`JoinHandle`]; awaiting that gives the output or a
//! [`JoinError`] (the task panicked, or was aborted). Dropping the handle
//! detaches the task: it runs on.
//!
//! For many tasks at once: a [`JoinSet`] joins them in the order they
//! finish and aborts the rest when dropped (tokio's); a [`TaskGroup`] joins
//! them into their values in spawn order, and its first failure cancels the
//! others (asyncio 3.11's `TaskGroup`).

mod builder;
mod group;
mod join_set;

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

pub use weft_task::coop::consume_budget;
pub use weft_task::{AbortHandle, Id, JoinError, JoinHandle};

/// Runs a blocking `f` from inside a task without stalling the runtime.
///
/// On a worker of a multi-thread runtime, the worker (its queue, its LIFO
/// slot, its turn at driving I/O and timers) is first handed to another
/// thread, which carries on with the other tasks while `f` blocks this one;
/// no threshold is waited for, whether or not automatic handoff
/// (`Builder::handoff`) is on. The task itself continues on this thread
/// after `f` returns, until its poll ends; then the thread retires. Outside
/// a worker (in `block_on`, on a blocking-pool thread) it just runs `f`.
///
/// Prefer [`crate::spawn_blocking`] when the blocking work does not need
/// the task's borrowed state: it costs no handoff.
///
/// ```
/// use std::time::Duration;
/// let rt = weft::Runtime::builder().worker_threads(1).build()?;
/// rt.block_on(async {
///     let ticker = weft::spawn(async {
///         weft::time::sleep(Duration::from_millis(10)).await;
///     });
///     let blocker = weft::spawn(async {
///         // The ticker's worker moves to another thread during the sleep.
///         weft::task::block_in_place(|| std::thread::sleep(Duration::from_millis(100)));
///     });
///     ticker.await.unwrap();
///     blocker.await.unwrap();
/// });
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn block_in_place<F, R>(f: F) -> R
where
    F: FnOnce() -> R,
{
    weft_executor::block_in_place(f)
}

/// The id of the task this code runs in.
///
/// # Panics
///
/// Outside a task (in `block_on`'s own future, on a plain thread); use
/// [`try_id`] there.
///
/// ```
/// let rt = weft::Runtime::new()?;
/// let h = rt.spawn(async { weft::task::id() });
/// let id = h.id();
/// assert_eq!(rt.block_on(h).unwrap(), id);
/// # Ok::<(), std::io::Error>(())
/// ```
#[track_caller]
pub fn id() -> Id {
    match try_id() {
        Some(id) => id,
        None => panic!(
            "weft::task::id() called outside a task: it names the task being polled; \
             use weft::task::try_id() where there may be none"
        ),
    }
}

/// The id of the task this code runs in, or `None` outside a task.
///
/// ```
/// assert_eq!(weft::task::try_id(), None);
/// ```
pub fn try_id() -> Option<Id> {
    weft_task::current_id()
}

pub use crate::spawn;
pub use builder::Builder;
pub use group::{GroupError, TaskFailure, TaskGroup};
pub use join_set::JoinSet;
pub use weft_executor::local::spawn_local;

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
