//! One task, one allocation.
//!
//! `weft-task` is the task that weft's schedulers run: a future, its output,
//! its wakers and its join handle, in a single heap allocation with one
//! atomic state word. It contains no scheduler. A scheduler implements
//! [`Schedule`] and receives [`Notified`] tasks to run; users hold
//! [`JoinHandle`]s and [`AbortHandle`]s.
//!
//! # The handles
//!
//! | handle | who holds it | what it may do |
//! |---|---|---|
//! | [`Task`] | the scheduler's owned-task list | cancel the task at shutdown |
//! | [`Notified`] | a run queue | run the task once |
//! | [`UnownedTask`] | a scheduler with no owned list (the blocking pool) | run once, or cancel |
//! | [`JoinHandle`] | the user | await the output, abort; dropping it detaches |
//! | [`AbortHandle`] | the user | abort |
//! | `Waker` | whatever the task waits on | wake it |
//!
//! Each holds one reference; the allocation is freed when the last goes.
//!
//! # Guarantees
//!
//! * A task is in at most one run queue: only one `Notified` exists at a time.
//! * A task is never polled by two threads at once, and never after it
//!   completed.
//! * A wake while the task runs only marks it; the thread that polled it
//!   reschedules it once after the poll, through [`Schedule::yield_now`].
//! * A panic in the future (while polling or dropping it) or in dropping the
//!   output is caught and becomes a [`JoinError`]; it never unwinds into
//!   the scheduler.
//! * `abort` drops the future exactly once, on a scheduler thread.
//!
//! The state machine and its rules are in `state.rs`; the allocation and the
//! `unsafe` code, in `raw.rs`, `stage.rs` and `waker.rs` (and the tagged
//! words of `meta.rs` and `list.rs`). The loom models in
//! `loom-tests/` run this code with loom's atomics (see `sync.rs`).
//!
//! # Example: a scheduler in a few lines
//!
//! ```
//! use std::sync::{Arc, Mutex};
//! use std::collections::VecDeque;
//! use weft_task::{Notified, Schedule, Task};
//!
//! #[derive(Clone, Default)]
//! struct Fifo(Arc<Mutex<VecDeque<Notified<Fifo>>>>);
//!
//! impl Schedule for Fifo {
//!     fn schedule(&self, task: Notified<Self>) { self.0.lock().unwrap().push_back(task) }
//!     fn release(&self, _: &Task<Self>) -> Option<Task<Self>> { None }
//! }
//!
//! let queue = Fifo::default();
//! let (task, handle) = weft_task::unowned(async { 1 + 1 }, queue.clone(), weft_task::Id::next());
//! task.schedule();
//! while let Some(t) = queue.0.lock().unwrap().pop_front() { t.run() }
//! assert!(handle.is_finished());
//! ```
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(missing_docs)]

pub mod coop;
mod current;
mod error;
pub mod foreign;
mod join;
mod list;
mod meta;
mod raw;
mod report;
mod stage;
mod state;
mod sync;
mod waker;

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::mem::ManuallyDrop;

pub use current::current_id;
pub use error::{Id, JoinError};
pub use join::{AbortHandle, JoinHandle};
pub use list::OwnedTasks;
pub use meta::TaskMeta;
pub use report::PanicReport;

use raw::RawTask;

/// What a scheduler provides to its tasks.
///
/// The task stores one `S` and calls it from any thread that wakes it.
pub trait Schedule: Send + Sync + Sized + 'static {
    /// What this scheduler is called in the [`JoinError`] of a task that it
    /// cancelled by shutting down (`"runtime"`, `"thread pool"`).
    const NAME: &'static str = "runtime";

    /// Queue a task to be run. Called by wakes and aborts from any thread.
    fn schedule(&self, task: Notified<Self>);

    /// Called once when the task completes: remove it from the owned-task
    /// list and return the list's reference, if the list still has it.
    fn release(&self, task: &Task<Self>) -> Option<Task<Self>>;

    /// Queue a task that was woken during its own poll (it yielded, or was
    /// woken from elsewhere while it ran). It should go behind the work
    /// already waiting. Defaults to [`schedule`](Schedule::schedule).
    fn yield_now(&self, task: Notified<Self>) {
        self.schedule(task);
    }

    /// Called when a task's panic will never reach a `JoinHandle` (the
    /// handle was dropped before the panic, or after it without the output
    /// being read): report it. Runs wherever that happens; a panic in it
    /// is contained. Defaults to nothing (the std panic hook has already
    /// printed the panic).
    fn unhandled_panic(&self, report: &PanicReport) {
        let _ = report;
    }
}

/// The owned-task list's reference to a task: lets the scheduler cancel it.
pub struct Task<S: Schedule> {
    raw: RawTask,
    _s: PhantomData<S>,
}

impl<S: Schedule> Task<S> {
    /// # Safety
    ///
    /// `raw` carries one reference for this handle (or the `Task` is wrapped
    /// in `ManuallyDrop` by the caller).
    pub(crate) unsafe fn from_raw(raw: RawTask) -> Task<S> {
        Task { raw, _s: PhantomData }
    }

    /// The task's id.
    pub fn id(&self) -> Id {
        self.raw.header().id
    }

    /// Cancels the task at runtime shutdown.
    ///
    /// If it is idle (parked on a waker, or sitting in a queue), its future
    /// is dropped right here and its `JoinHandle` gets `Cancelled`. If
    /// another thread is polling it, that thread cancels it when the poll
    /// ends. A completed task is unaffected.
    pub fn shutdown(self) {
        let raw = ManuallyDrop::new(self).raw;
        raw.shutdown();
    }

    /// `true` if both handles are the same task.
    pub fn ptr_eq(&self, other: &Task<S>) -> bool {
        self.raw == other.raw
    }

    pub(crate) fn raw(&self) -> RawTask {
        self.raw
    }
}

impl<S: Schedule> Drop for Task<S> {
    fn drop(&mut self) {
        self.raw.drop_reference();
    }
}

impl<S: Schedule> fmt::Debug for Task<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Task").field("id", &self.id()).finish()
    }
}

/// A task that is ready to run: what run queues hold.
///
/// At most one `Notified` exists per task. Dropping it without running it
/// only drops its reference (the task stays owned by its list).
pub struct Notified<S: Schedule> {
    raw: RawTask,
    _s: PhantomData<S>,
}

impl<S: Schedule> Notified<S> {
    /// # Safety
    ///
    /// `raw` carries one reference and the task's `NOTIFIED` bit.
    pub(crate) unsafe fn from_raw(raw: RawTask) -> Notified<S> {
        Notified { raw, _s: PhantomData }
    }

    /// Polls the task once (or cancels it, if it was aborted).
    ///
    /// Does nothing if the task is already running on another thread or
    /// complete. Never unwinds: panics become the task's `JoinError`.
    ///
    /// ```
    /// # use std::collections::VecDeque;
    /// # use std::future::Future;
    /// # use std::pin::Pin;
    /// # use std::sync::{Arc, Mutex};
    /// # use std::task::{Context, Poll, Waker};
    /// # use weft_task::{Notified, Schedule, Task};
    /// # #[derive(Clone, Default)]
    /// # struct Fifo(Arc<Mutex<VecDeque<Notified<Fifo>>>>);
    /// # impl Fifo { fn pop(&self) -> Option<Notified<Fifo>> { self.0.lock().unwrap().pop_front() } }
    /// # impl Schedule for Fifo {
    /// #     fn schedule(&self, t: Notified<Self>) { self.0.lock().unwrap().push_back(t) }
    /// #     fn release(&self, _: &Task<Self>) -> Option<Task<Self>> { None }
    /// # }
    /// # fn output<T>(mut h: weft_task::JoinHandle<T>) -> Result<T, weft_task::JoinError> {
    /// #     match Pin::new(&mut h).poll(&mut Context::from_waker(Waker::noop())) {
    /// #         Poll::Ready(r) => r,
    /// #         Poll::Pending => panic!("the task has not finished"),
    /// #     }
    /// # }
    /// let queue = Fifo::default();
    /// let (task, handle) = weft_task::unowned(async { 2 + 2 }, queue.clone(), weft::task::Id::next());
    /// task.schedule();
    /// let notified = queue.pop().unwrap();
    /// notified.run();
    /// assert_eq!(output(handle).unwrap(), 4);
    /// ```
    pub fn run(self) {
        let raw = ManuallyDrop::new(self).raw;
        raw.poll();
    }

    /// The task's id.
    ///
    /// ```
    /// # use std::collections::VecDeque;
    /// # use std::future::Future;
    /// # use std::pin::Pin;
    /// # use std::sync::{Arc, Mutex};
    /// # use std::task::{Context, Poll, Waker};
    /// # use weft_task::{Notified, Schedule, Task};
    /// # #[derive(Clone, Default)]
    /// # struct Fifo(Arc<Mutex<VecDeque<Notified<Fifo>>>>);
    /// # impl Fifo { fn pop(&self) -> Option<Notified<Fifo>> { self.0.lock().unwrap().pop_front() } }
    /// # impl Schedule for Fifo {
    /// #     fn schedule(&self, t: Notified<Self>) { self.0.lock().unwrap().push_back(t) }
    /// #     fn release(&self, _: &Task<Self>) -> Option<Task<Self>> { None }
    /// # }
    /// # fn output<T>(mut h: weft_task::JoinHandle<T>) -> Result<T, weft_task::JoinError> {
    /// #     match Pin::new(&mut h).poll(&mut Context::from_waker(Waker::noop())) {
    /// #         Poll::Ready(r) => r,
    /// #         Poll::Pending => panic!("the task has not finished"),
    /// #     }
    /// # }
    /// let queue = Fifo::default();
    /// let id = weft::task::Id::next();
    /// let (task, _handle) = weft_task::unowned(async {}, queue.clone(), id);
    /// task.schedule();
    /// let notified = queue.pop().unwrap();
    /// assert_eq!(notified.id(), id);
    /// # notified.run();
    /// ```
    pub fn id(&self) -> Id {
        self.raw.header().id
    }

    /// Where the task was spawned.
    ///
    /// ```
    /// # use std::collections::VecDeque;
    /// # use std::future::Future;
    /// # use std::pin::Pin;
    /// # use std::sync::{Arc, Mutex};
    /// # use std::task::{Context, Poll, Waker};
    /// # use weft_task::{Notified, Schedule, Task};
    /// # #[derive(Clone, Default)]
    /// # struct Fifo(Arc<Mutex<VecDeque<Notified<Fifo>>>>);
    /// # impl Fifo { fn pop(&self) -> Option<Notified<Fifo>> { self.0.lock().unwrap().pop_front() } }
    /// # impl Schedule for Fifo {
    /// #     fn schedule(&self, t: Notified<Self>) { self.0.lock().unwrap().push_back(t) }
    /// #     fn release(&self, _: &Task<Self>) -> Option<Task<Self>> { None }
    /// # }
    /// # fn output<T>(mut h: weft_task::JoinHandle<T>) -> Result<T, weft_task::JoinError> {
    /// #     match Pin::new(&mut h).poll(&mut Context::from_waker(Waker::noop())) {
    /// #         Poll::Ready(r) => r,
    /// #         Poll::Pending => panic!("the task has not finished"),
    /// #     }
    /// # }
    /// use weft_task::TaskMeta;
    /// let queue = Fifo::default();
    /// let (task, _handle) = weft_task::unowned(async {}, queue.clone(), TaskMeta::new(weft::task::Id::next()));
    /// let line = line!() - 1;
    /// task.schedule();
    /// let notified = queue.pop().unwrap();
    /// assert_eq!(notified.location().line(), line);
    /// # notified.run();
    /// ```
    pub fn location(&self) -> &'static std::panic::Location<'static> {
        self.raw.header().site.location()
    }

    /// The task's name, if it has one.
    ///
    /// ```
    /// # use std::collections::VecDeque;
    /// # use std::future::Future;
    /// # use std::pin::Pin;
    /// # use std::sync::{Arc, Mutex};
    /// # use std::task::{Context, Poll, Waker};
    /// # use weft_task::{Notified, Schedule, Task};
    /// # #[derive(Clone, Default)]
    /// # struct Fifo(Arc<Mutex<VecDeque<Notified<Fifo>>>>);
    /// # impl Fifo { fn pop(&self) -> Option<Notified<Fifo>> { self.0.lock().unwrap().pop_front() } }
    /// # impl Schedule for Fifo {
    /// #     fn schedule(&self, t: Notified<Self>) { self.0.lock().unwrap().push_back(t) }
    /// #     fn release(&self, _: &Task<Self>) -> Option<Task<Self>> { None }
    /// # }
    /// # fn output<T>(mut h: weft_task::JoinHandle<T>) -> Result<T, weft_task::JoinError> {
    /// #     match Pin::new(&mut h).poll(&mut Context::from_waker(Waker::noop())) {
    /// #         Poll::Ready(r) => r,
    /// #         Poll::Pending => panic!("the task has not finished"),
    /// #     }
    /// # }
    /// use weft_task::TaskMeta;
    /// let queue = Fifo::default();
    /// let meta = TaskMeta::new(weft::task::Id::next()).with_name("fetch");
    /// let (task, _handle) = weft_task::unowned(async {}, queue.clone(), meta);
    /// task.schedule();
    /// let notified = queue.pop().unwrap();
    /// assert_eq!(notified.name().map(|n| &**n), Some("fetch"));
    /// # notified.run();
    /// ```
    pub fn name(&self) -> Option<&std::sync::Arc<str>> {
        self.raw.header().site.extra()?.name.as_ref()
    }

    /// Records a wake at `now` (the scheduler's clock, in nanoseconds) if the
    /// task tracks its wakes (debug mode) and was not already woken since
    /// its last poll.
    pub fn mark_woken(&self, now: u64) {
        if let Some(extra) = self.raw.header().site.extra() {
            extra.mark_woken(now);
        }
    }

    /// Takes the time of the first wake since the last poll, if tracked.
    pub fn take_woken(&self) -> Option<u64> {
        self.raw.header().site.extra()?.take_woken()
    }

    /// Converts into a raw pointer, e.g. to pass through a queue that
    /// stores plain pointers. Undo with [`Notified::from_raw_ptr`].
    ///
    /// ```
    /// # use std::collections::VecDeque;
    /// # use std::future::Future;
    /// # use std::pin::Pin;
    /// # use std::sync::{Arc, Mutex};
    /// # use std::task::{Context, Poll, Waker};
    /// # use weft_task::{Notified, Schedule, Task};
    /// # #[derive(Clone, Default)]
    /// # struct Fifo(Arc<Mutex<VecDeque<Notified<Fifo>>>>);
    /// # impl Fifo { fn pop(&self) -> Option<Notified<Fifo>> { self.0.lock().unwrap().pop_front() } }
    /// # impl Schedule for Fifo {
    /// #     fn schedule(&self, t: Notified<Self>) { self.0.lock().unwrap().push_back(t) }
    /// #     fn release(&self, _: &Task<Self>) -> Option<Task<Self>> { None }
    /// # }
    /// # fn output<T>(mut h: weft_task::JoinHandle<T>) -> Result<T, weft_task::JoinError> {
    /// #     match Pin::new(&mut h).poll(&mut Context::from_waker(Waker::noop())) {
    /// #         Poll::Ready(r) => r,
    /// #         Poll::Pending => panic!("the task has not finished"),
    /// #     }
    /// # }
    /// let queue = Fifo::default();
    /// let (task, handle) = weft_task::unowned(async { 5 }, queue.clone(), weft::task::Id::next());
    /// task.schedule();
    /// let ptr = queue.pop().unwrap().into_raw_ptr();
    /// // SAFETY: `ptr` came from `into_raw_ptr` on a `Notified<Fifo>`, used once.
    /// let notified = unsafe { Notified::<Fifo>::from_raw_ptr(ptr) };
    /// notified.run();
    /// assert_eq!(output(handle).unwrap(), 5);
    /// ```
    pub fn into_raw_ptr(self) -> std::ptr::NonNull<()> {
        ManuallyDrop::new(self).raw.header_ptr().cast()
    }

    /// Rebuilds a `Notified` from [`Notified::into_raw_ptr`].
    ///
    /// # Safety
    ///
    /// `ptr` must come from `into_raw_ptr` on a `Notified<S>` with the same
    /// `S`, and be used once.
    pub unsafe fn from_raw_ptr(ptr: std::ptr::NonNull<()>) -> Notified<S> {
        // SAFETY: forwarded from the caller.
        unsafe { Notified::from_raw(RawTask::from_raw(ptr.cast())) }
    }
}

impl<S: Schedule> Drop for Notified<S> {
    fn drop(&mut self) {
        self.raw.drop_reference();
    }
}

impl<S: Schedule> fmt::Debug for Notified<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Notified").field("id", &self.id()).finish()
    }
}

/// A task with no owned-task list: both its `Notified` and its `Task`.
///
/// For schedulers that run each task once in a known place, such as a
/// blocking pool: the task is either run or shut down, exactly once.
pub struct UnownedTask<S: Schedule> {
    raw: RawTask,
    _s: PhantomData<S>,
}

impl<S: Schedule> UnownedTask<S> {
    /// Runs the task once.
    ///
    /// ```
    /// # use std::collections::VecDeque;
    /// # use std::future::Future;
    /// # use std::pin::Pin;
    /// # use std::sync::{Arc, Mutex};
    /// # use std::task::{Context, Poll, Waker};
    /// # use weft_task::{Notified, Schedule, Task};
    /// # #[derive(Clone, Default)]
    /// # struct Fifo(Arc<Mutex<VecDeque<Notified<Fifo>>>>);
    /// # impl Fifo { fn pop(&self) -> Option<Notified<Fifo>> { self.0.lock().unwrap().pop_front() } }
    /// # impl Schedule for Fifo {
    /// #     fn schedule(&self, t: Notified<Self>) { self.0.lock().unwrap().push_back(t) }
    /// #     fn release(&self, _: &Task<Self>) -> Option<Task<Self>> { None }
    /// # }
    /// # fn output<T>(mut h: weft_task::JoinHandle<T>) -> Result<T, weft_task::JoinError> {
    /// #     match Pin::new(&mut h).poll(&mut Context::from_waker(Waker::noop())) {
    /// #         Poll::Ready(r) => r,
    /// #         Poll::Pending => panic!("the task has not finished"),
    /// #     }
    /// # }
    /// let (task, handle) = weft_task::unowned(async { "done" }, Fifo::default(), weft::task::Id::next());
    /// task.run();
    /// assert_eq!(output(handle).unwrap(), "done");
    /// ```
    pub fn run(self) {
        let raw = ManuallyDrop::new(self).raw;
        // The `Notified` half is consumed by the poll; then drop the `Task`
        // half.
        raw.poll();
        raw.drop_reference();
    }

    /// Cancels the task without running it: its `JoinHandle` gets
    /// `Cancelled`. Used for queued work at shutdown.
    ///
    /// ```
    /// # use std::collections::VecDeque;
    /// # use std::future::Future;
    /// # use std::pin::Pin;
    /// # use std::sync::{Arc, Mutex};
    /// # use std::task::{Context, Poll, Waker};
    /// # use weft_task::{Notified, Schedule, Task};
    /// # #[derive(Clone, Default)]
    /// # struct Fifo(Arc<Mutex<VecDeque<Notified<Fifo>>>>);
    /// # impl Fifo { fn pop(&self) -> Option<Notified<Fifo>> { self.0.lock().unwrap().pop_front() } }
    /// # impl Schedule for Fifo {
    /// #     fn schedule(&self, t: Notified<Self>) { self.0.lock().unwrap().push_back(t) }
    /// #     fn release(&self, _: &Task<Self>) -> Option<Task<Self>> { None }
    /// # }
    /// # fn output<T>(mut h: weft_task::JoinHandle<T>) -> Result<T, weft_task::JoinError> {
    /// #     match Pin::new(&mut h).poll(&mut Context::from_waker(Waker::noop())) {
    /// #         Poll::Ready(r) => r,
    /// #         Poll::Pending => panic!("the task has not finished"),
    /// #     }
    /// # }
    /// let (task, handle) = weft_task::unowned(async { 1 }, Fifo::default(), weft::task::Id::next());
    /// task.shutdown();
    /// assert!(output(handle).unwrap_err().is_cancelled());
    /// ```
    pub fn shutdown(self) {
        let raw = ManuallyDrop::new(self).raw;
        // Drop the `Notified` half (never the last: the `Task` half remains),
        // then cancel through the `Task` half.
        raw.drop_reference();
        raw.shutdown();
    }

    /// Hands the task to its scheduler's `schedule`.
    ///
    /// ```
    /// # use std::collections::VecDeque;
    /// # use std::future::Future;
    /// # use std::pin::Pin;
    /// # use std::sync::{Arc, Mutex};
    /// # use std::task::{Context, Poll, Waker};
    /// # use weft_task::{Notified, Schedule, Task};
    /// # #[derive(Clone, Default)]
    /// # struct Fifo(Arc<Mutex<VecDeque<Notified<Fifo>>>>);
    /// # impl Fifo { fn pop(&self) -> Option<Notified<Fifo>> { self.0.lock().unwrap().pop_front() } }
    /// # impl Schedule for Fifo {
    /// #     fn schedule(&self, t: Notified<Self>) { self.0.lock().unwrap().push_back(t) }
    /// #     fn release(&self, _: &Task<Self>) -> Option<Task<Self>> { None }
    /// # }
    /// # fn output<T>(mut h: weft_task::JoinHandle<T>) -> Result<T, weft_task::JoinError> {
    /// #     match Pin::new(&mut h).poll(&mut Context::from_waker(Waker::noop())) {
    /// #         Poll::Ready(r) => r,
    /// #         Poll::Pending => panic!("the task has not finished"),
    /// #     }
    /// # }
    /// let queue = Fifo::default();
    /// let (task, handle) = weft_task::unowned(async { 1 }, queue.clone(), weft::task::Id::next());
    /// task.schedule();
    /// queue.pop().expect("scheduled once").run();
    /// assert_eq!(output(handle).unwrap(), 1);
    /// ```
    pub fn schedule(self) {
        let raw = ManuallyDrop::new(self).raw;
        // The scheduler gets the `Notified` half; then drop the `Task` half.
        // In that order: once queued, the task may run and complete on
        // another thread, and the `Task` half keeps it (and the scheduler
        // `schedule` borrows from it) alive until the call returns.
        raw.schedule();
        raw.drop_reference();
    }

    /// The task's id.
    ///
    /// ```
    /// # use std::collections::VecDeque;
    /// # use std::future::Future;
    /// # use std::pin::Pin;
    /// # use std::sync::{Arc, Mutex};
    /// # use std::task::{Context, Poll, Waker};
    /// # use weft_task::{Notified, Schedule, Task};
    /// # #[derive(Clone, Default)]
    /// # struct Fifo(Arc<Mutex<VecDeque<Notified<Fifo>>>>);
    /// # impl Fifo { fn pop(&self) -> Option<Notified<Fifo>> { self.0.lock().unwrap().pop_front() } }
    /// # impl Schedule for Fifo {
    /// #     fn schedule(&self, t: Notified<Self>) { self.0.lock().unwrap().push_back(t) }
    /// #     fn release(&self, _: &Task<Self>) -> Option<Task<Self>> { None }
    /// # }
    /// # fn output<T>(mut h: weft_task::JoinHandle<T>) -> Result<T, weft_task::JoinError> {
    /// #     match Pin::new(&mut h).poll(&mut Context::from_waker(Waker::noop())) {
    /// #         Poll::Ready(r) => r,
    /// #         Poll::Pending => panic!("the task has not finished"),
    /// #     }
    /// # }
    /// let id = weft::task::Id::next();
    /// let (task, _handle) = weft_task::unowned(async {}, Fifo::default(), id);
    /// assert_eq!(task.id(), id);
    /// # task.run();
    /// ```
    pub fn id(&self) -> Id {
        self.raw.header().id
    }
}

impl<S: Schedule> Drop for UnownedTask<S> {
    fn drop(&mut self) {
        // Dropped without being run: cancel it so the joiner is not left
        // waiting forever.
        let raw = self.raw;
        raw.drop_reference();
        raw.shutdown();
    }
}

impl<S: Schedule> fmt::Debug for UnownedTask<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UnownedTask").field("id", &self.id()).finish()
    }
}

/// Creates a task with no owned-task list.
///
/// Returns the task, ready to run once, and its `JoinHandle`. Costs exactly
/// one allocation.
///
/// ```
/// # use weft_task::{Notified, Schedule, Task};
/// # struct Inline;
/// # impl Schedule for Inline {
/// #     fn schedule(&self, task: Notified<Self>) { task.run() }
/// #     fn release(&self, _: &Task<Self>) -> Option<Task<Self>> { None }
/// # }
/// let (task, handle) = weft_task::unowned(async { "done" }, Inline, weft_task::Id::next());
/// task.run();
/// assert!(handle.is_finished());
/// ```
#[track_caller]
pub fn unowned<F, S>(
    future: F,
    scheduler: S,
    meta: impl Into<TaskMeta>,
) -> (UnownedTask<S>, JoinHandle<F::Output>)
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
    S: Schedule,
{
    // Two references for the task (its Notified and Task halves), one for
    // the JoinHandle.
    let raw = RawTask::new(future, scheduler, meta.into(), false, 3);
    // SAFETY: the references were created above, one per handle.
    let join = unsafe { JoinHandle::from_raw(raw) };
    (UnownedTask { raw, _s: PhantomData }, join)
}
