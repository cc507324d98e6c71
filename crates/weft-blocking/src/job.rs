//! A blocking job: a closure wrapped as a one-poll `weft-task` task.
//!
//! [`job`] turns `f` into `weft_task::unowned(BlockingFuture(Some(f)), ..)`:
//! one allocation holding the closure, then its output, and the join state.
//! A pool thread calls [`UnownedTask::run`] once; the first (and only) poll
//! takes `f` out and calls it, outside any cooperative budget (a closure
//! cannot yield, so budgeting it would only make weft resources it touches
//! return `Pending` into a context that cannot wait).
//!
//! # Cancellation
//!
//! * Aborted before a thread takes it: the task's state is already
//!   `NOTIFIED` (an unowned task that has not run), so `abort` only sets
//!   `CANCELLED`; when a thread runs it, `weft-task` sees `CANCELLED`, drops
//!   `f` without calling it, and the `JoinHandle` gets `Cancelled`.
//! * Shut down while queued ([`UnownedTask::shutdown`], or dropping the
//!   `UnownedTask`): `f` is dropped on the calling thread, `Cancelled`.
//! * Once `f` has been called it runs to its end: a thread cannot be
//!   interrupted. An abort then has no effect and the handle gets the output.
//! * A panic in `f` is caught by `weft-task`: `JoinError::Panic`, with the
//!   payload; the pool thread carries on.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use weft_task::{coop, Id, JoinHandle, Notified, Schedule, Task, TaskMeta, UnownedTask};

/// A queued job of the runtime's blocking pool.
pub(crate) type Job = UnownedTask<BlockingSchedule>;

/// A queued job of a user's [`ThreadPool`](crate::ThreadPool).
pub(crate) type PoolJob = UnownedTask<PoolSchedule>;

/// Wraps `f` as a task that calls it on its first poll.
#[track_caller]
pub(crate) fn job<F, R, S>(f: F, scheduler: S) -> (UnownedTask<S>, JoinHandle<R>)
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
    S: Schedule,
{
    job_with(f, scheduler, TaskMeta::new(Id::next()))
}

/// As [`job`], with the task's id, name and spawn location given.
pub(crate) fn job_with<F, R, S>(f: F, scheduler: S, meta: TaskMeta) -> (UnownedTask<S>, JoinHandle<R>)
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
    S: Schedule,
{
    weft_task::unowned(BlockingFuture(Some(f)), scheduler, meta)
}

/// A future that calls its closure on the first poll and is then done.
struct BlockingFuture<F>(Option<F>);

// The closure is moved out, never pinned in place.
impl<F> Unpin for BlockingFuture<F> {}

impl<F: FnOnce() -> R, R> Future for BlockingFuture<F> {
    type Output = R;

    fn poll(mut self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<R> {
        let f = self
            .0
            .take()
            .expect("weft-blocking: a blocking job was polled twice (a weft-task bug)");
        Poll::Ready(coop::unconstrained(f))
    }
}

/// The scheduler of the blocking pool's jobs: pool threads run them
/// directly, so there is nothing to schedule.
pub(crate) struct BlockingSchedule(pub(crate) Option<std::sync::Arc<crate::config::UnhandledPanicHook>>);

/// The scheduler of a [`ThreadPool`](crate::ThreadPool)'s jobs; as
/// [`BlockingSchedule`], named differently in shutdown errors.
pub(crate) struct PoolSchedule;

impl Schedule for PoolSchedule {
    const NAME: &'static str = "thread pool";

    fn schedule(&self, task: Notified<Self>) {
        // Not reached, as for `BlockingSchedule`.
        task.run();
    }

    fn release(&self, _task: &Task<Self>) -> Option<Task<Self>> {
        None
    }
}

impl Schedule for BlockingSchedule {
    const NAME: &'static str = "blocking pool";

    fn unhandled_panic(&self, report: &weft_task::PanicReport) {
        if let Some(hook) = &self.0 {
            hook(report);
        }
    }

    fn schedule(&self, task: Notified<Self>) {
        // Not reached: `schedule` is called by a wake (a closure never
        // waits) or by an abort of an idle, un-notified task (a job is
        // notified until it runs, and complete after). Should it ever be
        // reached, running it here is the safe answer: the only thing left
        // to do for such a task is to cancel it, and dropping the
        // `Notified` instead would leave its `JoinHandle` waiting forever.
        task.run();
    }

    fn release(&self, _task: &Task<Self>) -> Option<Task<Self>> {
        // Unowned: there is no list holding a reference.
        None
    }
}
