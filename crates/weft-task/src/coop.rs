//! Cooperative budget.
//!
//! A task that is always ready (its socket always has data, its channel is
//! never empty) would never return `Pending`, and so would never give its
//! worker back to the other tasks or to the timers. To prevent that, every
//! poll of a task runs with a *budget*: a number of operations on weft
//! resources that it may perform in this turn. Each such operation calls
//! [`poll_proceed`] first; when the budget is spent, the operation wakes the
//! task and returns `Pending` as if the resource were not ready, and the task
//! goes to the back of the queue.
//!
//! The budget is [`BUDGET`] operations per poll: tokio's figure (128), chosen
//! there by measurement as large enough that the wake-and-requeue cost is
//! amortised, and small enough that a worker returns to its queue within
//! microseconds. Outside a budgeted section (a thread that is not running a
//! weft task), the budget is unconstrained and [`poll_proceed`] never refuses.

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::sync::thread_local;

/// Operations a task may perform on weft resources per poll.
pub const BUDGET: u8 = 128;

// loom's `thread_local!` does not accept a `const { }` initialiser, so the
// const form (no lazy-init check on every access) is std-only.
#[cfg(not(loom))]
thread_local! {
    /// `None`: unconstrained. `Some(n)`: `n` operations left.
    static CURRENT: Cell<Option<u8>> = const { Cell::new(None) };
    /// The task being polled on this thread yielded with [`defer`].
    static DEFERRED: Cell<bool> = const { Cell::new(false) };
}
#[cfg(loom)]
thread_local! {
    /// `None`: unconstrained. `Some(n)`: `n` operations left.
    static CURRENT: Cell<Option<u8>> = Cell::new(None);
    /// The task being polled on this thread yielded with [`defer`].
    static DEFERRED: Cell<bool> = Cell::new(false);
}

/// Runs `f` with a fresh budget of [`BUDGET`] operations, restoring the
/// previous budget afterwards (even if `f` panics).
///
/// The scheduler wraps every task poll in this; so does `block_on`.
///
/// ```
/// use weft_task::coop;
/// assert!(coop::has_budget_remaining());
/// coop::budget(|| assert!(coop::has_budget_remaining()));
/// ```
pub fn budget<R>(f: impl FnOnce() -> R) -> R {
    with_budget(Some(BUDGET), f)
}

/// Runs `f` with no budget constraint, restoring the previous budget after.
///
/// ```
/// weft_task::coop::unconstrained(|| ());
/// ```
pub fn unconstrained<R>(f: impl FnOnce() -> R) -> R {
    with_budget(None, f)
}

fn with_budget<R>(budget: Option<u8>, f: impl FnOnce() -> R) -> R {
    struct Reset(Option<u8>);
    impl Drop for Reset {
        fn drop(&mut self) {
            let _ = CURRENT.try_with(|c| c.set(self.0));
        }
    }
    let prev = CURRENT.with(|c| c.replace(budget));
    let _reset = Reset(prev);
    if budget.is_some() {
        // A new turn: no yield of an earlier poll carries over.
        let _ = DEFERRED.try_with(|d| d.set(false));
    }
    f()
}

/// Yields the current task *until the scheduler has polled I/O and timers*,
/// and wakes it: what [`yield_now`](crate::coop) and a spent budget do.
///
/// A plain wake during its own poll only sends a task to the back of its
/// worker's queue; a worker that holds nothing else would poll it again at
/// once, and a task that yields in a loop waiting for a socket would never
/// let the reactor see the socket become ready. A deferred task is held back
/// until the worker next polls the driver (tokio's rule, with the same
/// reason). Outside a scheduler that honours it (`block_on`), this is a
/// plain `wake_by_ref`.
///
/// ```
/// use std::task::{Context, Waker};
/// weft_task::coop::defer(&Context::from_waker(Waker::noop()));
/// ```
pub fn defer(cx: &Context<'_>) {
    let _ = DEFERRED.try_with(|d| d.set(true));
    cx.waker().wake_by_ref();
}

/// For schedulers: `true` if the task whose poll just ended yielded with
/// [`defer`] (and clears the mark). Call it from `Schedule::yield_now`.
///
/// ```
/// assert!(!weft_task::coop::take_deferred());
/// ```
pub fn take_deferred() -> bool {
    DEFERRED.try_with(|d| d.replace(false)).unwrap_or(false)
}

/// `true` unless the current task has spent its budget.
///
/// ```
/// assert!(weft_task::coop::has_budget_remaining());
/// ```
pub fn has_budget_remaining() -> bool {
    CURRENT.try_with(|c| c.get() != Some(0)).unwrap_or(true)
}

/// Asks for one unit of budget before an operation on a weft resource.
///
/// Returns `Pending` (after waking the task with [`defer`], so it is polled
/// again after its neighbours and after the driver has run) when the budget
/// is spent. Otherwise takes one unit and returns
/// a guard; if the operation then turns out not to be ready, drop the guard
/// without calling [`RestoreOnPending::made_progress`] and the unit is given
/// back, since no progress was made.
///
/// ```
/// use std::task::{Context, Poll, Waker};
/// use weft_task::coop;
///
/// let mut cx = Context::from_waker(Waker::noop());
/// coop::budget(|| {
///     for _ in 0..coop::BUDGET {
///         match coop::poll_proceed(&mut cx) {
///             Poll::Ready(guard) => guard.made_progress(),
///             Poll::Pending => unreachable!(),
///         }
///     }
///     assert!(coop::poll_proceed(&mut cx).is_pending());
/// });
/// ```
pub fn poll_proceed(cx: &mut Context<'_>) -> Poll<RestoreOnPending> {
    let took = CURRENT
        .try_with(|c| match c.get() {
            None => Some(None),
            Some(0) => None,
            Some(n) => {
                c.set(Some(n - 1));
                Some(Some(n))
            }
        })
        .unwrap_or(Some(None));
    match took {
        Some(prev) => Poll::Ready(RestoreOnPending(Cell::new(prev))),
        None => {
            // Spent: yield until the driver has run, as `yield_now` does.
            defer(cx);
            Poll::Pending
        }
    }
}

/// Gives a unit of budget back on drop unless progress was made.
///
/// Returned by [`poll_proceed`].
#[derive(Debug)]
#[must_use = "dropping the guard at once gives the budget back"]
pub struct RestoreOnPending(Cell<Option<u8>>);

impl RestoreOnPending {
    /// The operation made progress: keep the unit spent.
    pub fn made_progress(&self) {
        self.0.set(None);
    }
}

impl Drop for RestoreOnPending {
    fn drop(&mut self) {
        if let Some(prev) = self.0.get() {
            let _ = CURRENT.try_with(|c| {
                if c.get().is_some() {
                    c.set(Some(prev));
                }
            });
        }
    }
}

/// Spends one unit of budget, yielding to the scheduler if none is left.
///
/// Call it in a loop that does a lot of work without touching any weft
/// resource, so that the loop still lets its neighbours run.
///
/// ```
/// # async fn demo() {
/// for i in 0..10_000u32 {
///     weft::task::consume_budget().await;
///     std::hint::black_box(i);
/// }
/// # }
/// ```
pub async fn consume_budget() {
    ConsumeBudget { done: false }.await
}

struct ConsumeBudget {
    done: bool,
}

impl Future for ConsumeBudget {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.done {
            return Poll::Ready(());
        }
        match poll_proceed(cx) {
            Poll::Ready(guard) => {
                guard.made_progress();
                self.done = true;
                Poll::Ready(())
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use std::task::Waker;

    #[test]
    fn unconstrained_outside_a_budget() {
        let mut cx = Context::from_waker(Waker::noop());
        for _ in 0..1000 {
            assert!(poll_proceed(&mut cx).is_ready());
        }
    }

    #[test]
    fn refused_when_spent_and_restored_when_no_progress() {
        let mut cx = Context::from_waker(Waker::noop());
        budget(|| {
            for _ in 0..BUDGET {
                // No progress: the unit comes back.
                drop(poll_proceed(&mut cx));
            }
            for _ in 0..BUDGET {
                let Poll::Ready(g) = poll_proceed(&mut cx) else {
                    panic!("budget refused early")
                };
                g.made_progress();
            }
            assert!(poll_proceed(&mut cx).is_pending());
            assert!(!has_budget_remaining());
        });
        assert!(has_budget_remaining());
    }

    #[test]
    fn nested_budget_restores_outer() {
        let mut cx = Context::from_waker(Waker::noop());
        budget(|| {
            poll_proceed(&mut cx).map(|g| g.made_progress()).is_ready();
            unconstrained(|| assert!(has_budget_remaining()));
            assert!(has_budget_remaining());
        });
    }
}
