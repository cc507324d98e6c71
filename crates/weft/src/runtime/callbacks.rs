//! Callbacks on the loop (asyncio's `call_soon`, `call_later`, `call_at`)
//! and `run_forever` / `stop`.
//!
//! # One queue, one runner
//!
//! Each runtime has one FIFO of callbacks ([`queue::CallbackQueue`]) and at
//! most one *runner*: an ordinary task that takes callbacks off the front
//! and runs them in turn, so a callback starts only after the one before
//! it has returned, and callbacks scheduled from one thread run in the
//! order they were scheduled. The runner exists only while there is work:
//! a `call_soon` that finds the queue idle spawns it (from any thread: the
//! spawn wakes a parked worker, so an idle runtime wakes up), and the
//! runner exits when it finds the queue empty. `queue.rs` states the
//! protocol and argues why no callback is lost or run twice; the loom model
//! `loom-tests/tests/callbacks.rs` checks it.
//!
//! The runner yields to the scheduler ([`crate::task::yield_now`]) after
//! every [`CALLBACKS_PER_TURN`] callbacks, so a flood of callbacks shares
//! its worker with the tasks queued there.
//!
//! # Timers
//!
//! `call_later` / `call_at` put the callback in one binary heap per
//! runtime, ordered by (deadline, scheduling order), under a lock. One
//! timer task sleeps (on the runtime's timer wheel) until the earliest
//! deadline, then moves every due callback into the callback queue, in
//! heap order, under the heap's lock, so timers run in deadline order and,
//! for equal deadlines, in the order they were scheduled. A `call_at`
//! whose deadline is earlier than the one the timer task sleeps until wakes
//! it to sleep less. The timer task exists only while the heap is not
//! empty. A timer never fires early: it is moved only once
//! `Instant::now()` has reached its deadline.
//!
//! Cancelling a timer drops its closure at once and leaves a small
//! tombstone in the heap, removed lazily: when it reaches the top, or all
//! at once when tombstones are more than half of a heap of at least
//! [`COMPACT_MIN_TIMERS`](timers::COMPACT_MIN_TIMERS) entries (asyncio's rule).
//!
//! # Panics in callbacks
//!
//! A callback that panics does not stop the runner: the panic is caught,
//! reported as a [`PanicReport`] naming where the callback was scheduled,
//! and the next callback runs.

mod queue;
mod run_forever;
mod timers;

pub use timers::TimerHandle;

mod sync {
    //! std's lock here; the loom model includes `queue.rs` with loom's.
    pub(super) use std::sync::Mutex;

    pub(super) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
        m.lock().unwrap_or_else(|e| e.into_inner())
    }
}

use std::fmt;
use std::panic::{self, AssertUnwindSafe, Location};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Weak};

use weft_task::foreign;

use self::queue::{CallbackQueue, Pushed};
use self::sync::lock;
use super::handle::{Handle, Inner};
use super::PanicReport;
use crate::task::Id;

/// How many callbacks the runner runs before it yields to the scheduler.
///
/// A callback is at least as much work as one poll of a weft resource, and
/// a task gets a budget of 128 of those per turn (`weft_task::coop`); half
/// that keeps the runner's turn no longer than a budgeted task's while
/// still amortising the yield over many small callbacks.
pub(crate) const CALLBACKS_PER_TURN: usize = 64;

/// The runtime's loop state: the callback queue, the timer heap, the stop
/// flag. One per runtime, in its `Handle`.
pub(crate) struct EventLoop {
    queue: CallbackQueue<Arc<Callback>>,
    timers: Mutex<timers::Timers>,
    stop: Mutex<run_forever::Stop>,
}

impl EventLoop {
    pub(crate) fn new() -> EventLoop {
        EventLoop {
            queue: CallbackQueue::new(),
            timers: Mutex::new(timers::Timers::new()),
            stop: Mutex::new(run_forever::Stop::new()),
        }
    }
}

impl EventLoop {
    /// The runtime is shutting down: drops every waiting callback and
    /// timer, and every one scheduled from now on, without running it.
    pub(crate) fn close(&self) {
        let waiting = self.queue.close();
        let timers = lock(&self.timers).close();
        for callback in waiting.iter().chain(timers.iter()) {
            drop_closure(callback);
        }
    }
}

/// Drops a callback's closure (the user's Drop impls), containing a panic.
fn drop_closure(callback: &Callback) {
    let f = lock(&callback.f).take();
    if let Some(f) = f {
        foreign::contain("dropping a weft callback", move || drop(f));
    }
}

impl fmt::Debug for EventLoop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventLoop").finish_non_exhaustive()
    }
}

/// One scheduled closure, shared by the queue (or heap) and its handle.
struct Callback {
    /// Taken exactly once: by the runner to run it, or by `cancel` to drop
    /// it. Whoever takes it first decides.
    f: Mutex<Option<Box<dyn FnOnce() + Send>>>,
    cancelled: AtomicBool,
    /// A timer still in the heap; changed only under the heap's lock.
    in_heap: AtomicBool,
    /// The runner yields after this one (`run_forever`'s marker), so that
    /// on a current-thread runtime the loop returns before running more.
    ends_turn: bool,
    location: &'static Location<'static>,
}

impl Callback {
    fn new(f: Box<dyn FnOnce() + Send>, location: &'static Location<'static>) -> Arc<Callback> {
        Arc::new(Callback {
            f: Mutex::new(Some(f)),
            cancelled: AtomicBool::new(false),
            in_heap: AtomicBool::new(false),
            ends_turn: false,
            location,
        })
    }

    /// Marks it cancelled and drops the closure unless it has been taken to
    /// run.
    fn cancel(&self) {
        self.cancelled.store(true, Ordering::Release);
        drop_closure(self);
    }

    fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::Acquire)
    }

    /// Runs the closure unless it was cancelled, containing a panic.
    fn run(&self, handle: &Handle) {
        let f = lock(&self.f).take();
        let Some(f) = f else { return };
        if let Err(payload) = panic::catch_unwind(AssertUnwindSafe(f)) {
            let report = PanicReport::new(Id::next(), None, self.location, &*payload);
            report_panic(handle, report);
            // Dropping the payload is foreign code too.
            foreign::contain("dropping a weft callback's panic payload", move || drop(payload));
        }
    }
}

/// Hands the panic of a callback to the runtime's unhandled-panic handler
/// and policy (`Builder::on_unhandled_panic`, `Builder::unhandled_panic`);
/// the std panic hook has printed it already.
pub(crate) fn report_panic(handle: &Handle, report: PanicReport) {
    handle.report_unhandled_panic(&report);
}

/// The handle of a callback scheduled with [`Handle::call_soon`]: cancel
/// it, or ask whether it was cancelled.
///
/// Dropping the handle does **not** cancel the callback.
///
/// ```
/// let rt = weft::Runtime::new()?;
/// let h = rt.handle().call_soon(|| unreachable!("cancelled before it ran"));
/// h.cancel();
/// assert!(h.cancelled());
/// # rt.block_on(async { weft::task::yield_now().await });
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct CallbackHandle {
    callback: Arc<Callback>,
}

impl CallbackHandle {
    /// Cancels the callback: if it has not started, it never runs, and its
    /// closure is dropped now. Cancelling one that already ran (or is
    /// running) has no effect on it, but [`cancelled`](Self::cancelled)
    /// returns `true` from then on, as in asyncio.
    pub fn cancel(&self) {
        self.callback.cancel();
    }

    /// `true` once [`cancel`](Self::cancel) has been called.
    pub fn cancelled(&self) -> bool {
        self.callback.is_cancelled()
    }
}

impl fmt::Debug for CallbackHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CallbackHandle")
            .field("scheduled_at", &self.callback.location)
            .field("cancelled", &self.cancelled())
            .finish()
    }
}

impl Handle {
    /// Schedules `f` to run on the loop soon, asyncio's `loop.call_soon`.
    ///
    /// Callbacks run one at a time, on a runtime thread, each after the
    /// previous one has returned; callbacks scheduled from one thread run
    /// in the order they were scheduled. It may be called from any thread,
    /// inside the runtime or not: there is no separate `_threadsafe`
    /// variant. Scheduling from outside wakes an idle runtime. On a
    /// runtime nobody runs (a current-thread runtime with no thread in
    /// `block_on` or `run_forever`), the callback waits.
    ///
    /// A callback that panics does not stop the loop: the panic is reported
    /// with the place `call_soon` was called from, and the next callback
    /// runs. Keep callbacks short; for blocking work use
    /// [`spawn_blocking`](Handle::spawn_blocking).
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    /// let rt = weft::Runtime::new()?;
    /// let seen = Arc::new(Mutex::new(Vec::new()));
    /// for i in 0..3 {
    ///     let seen = seen.clone();
    ///     rt.handle().call_soon(move || seen.lock().unwrap().push(i));
    /// }
    /// let handle = rt.handle().clone();
    /// rt.handle().call_soon(move || handle.stop());
    /// rt.run_forever();
    /// assert_eq!(*seen.lock().unwrap(), [0, 1, 2]);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[track_caller]
    pub fn call_soon<F>(&self, f: F) -> CallbackHandle
    where
        F: FnOnce() + Send + 'static,
    {
        let callback = Callback::new(Box::new(f), Location::caller());
        self.schedule_callback(callback.clone());
        CallbackHandle { callback }
    }

    fn schedule_callback(&self, callback: Arc<Callback>) {
        match self.inner.callbacks.queue.push(callback) {
            Pushed::StartRunner => {
                self.spawn(run_callbacks(Arc::downgrade(&self.inner)));
            }
            Pushed::RunnerActive => {}
            // The runtime has shut down: dropped, as a task spawned now is
            // cancelled at once.
            Pushed::Closed(callback) => drop_closure(&callback),
        }
    }
}

/// The runner: takes callbacks until the queue is empty, yielding every
/// [`CALLBACKS_PER_TURN`] and after `run_forever`'s marker.
async fn run_callbacks(runtime: Weak<Inner>) {
    let mut guard = RunnerGuard {
        runtime: runtime.clone(),
        idle: false,
    };
    loop {
        {
            let Some(inner) = runtime.upgrade() else { return };
            let handle = Handle { inner };
            for _ in 0..CALLBACKS_PER_TURN {
                match handle.inner.callbacks.queue.next() {
                    Some(callback) if callback.ends_turn => {
                        callback.run(&handle);
                        break;
                    }
                    Some(callback) => callback.run(&handle),
                    None => {
                        guard.idle = true;
                        return;
                    }
                }
            }
        }
        crate::task::yield_now().await;
    }
}

/// Releases the runner state if the runner's task is dropped before it saw
/// the queue empty (cancelled at shutdown), so that a later push starts a
/// new runner rather than trusting a dead one.
struct RunnerGuard {
    runtime: Weak<Inner>,
    idle: bool,
}

impl Drop for RunnerGuard {
    fn drop(&mut self) {
        if !self.idle {
            if let Some(inner) = self.runtime.upgrade() {
                inner.callbacks.queue.abandon();
            }
        }
    }
}
