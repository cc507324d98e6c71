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
//! [`COMPACT_MIN_TIMERS`] entries (asyncio's rule).
//!
//! # Panics in callbacks
//!
//! A callback that panics does not stop the runner: the panic is caught,
//! reported as a [`PanicReport`] naming where the callback was scheduled,
//! and the next callback runs.

mod queue;

mod sync {
    //! std's lock here; the loom model includes `queue.rs` with loom's.
    pub(super) use std::sync::Mutex;

    pub(super) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
        m.lock().unwrap_or_else(|e| e.into_inner())
    }
}

use std::cmp::Ordering as CmpOrdering;
use std::collections::BinaryHeap;
use std::fmt;
use std::future::Future;
use std::panic::{self, AssertUnwindSafe, Location};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use weft_task::foreign;

use self::queue::{CallbackQueue, Pushed};
use self::sync::lock;
use super::handle::{Handle, Inner};
use super::{PanicReport, Runtime};
use crate::task::Id;
use crate::time::{Instant, Sleep};

/// How many callbacks the runner runs before it yields to the scheduler.
///
/// A callback is at least as much work as one poll of a weft resource, and
/// a task gets a budget of 128 of those per turn (`weft_task::coop`); half
/// that keeps the runner's turn no longer than a budgeted task's while
/// still amortising the yield over many small callbacks.
pub(crate) const CALLBACKS_PER_TURN: usize = 64;

/// Below this many timers the heap is never compacted; see the module docs.
/// asyncio uses 100 with the same one-half fraction.
pub(crate) const COMPACT_MIN_TIMERS: usize = 100;

/// The runtime's loop state: the callback queue, the timer heap, the stop
/// flag. One per runtime, in its `Handle`.
pub(crate) struct EventLoop {
    queue: CallbackQueue<Arc<Callback>>,
    timers: Mutex<Timers>,
    stop: Mutex<Stop>,
}

impl EventLoop {
    pub(crate) fn new() -> EventLoop {
        EventLoop {
            queue: CallbackQueue::new(),
            timers: Mutex::new(Timers {
                heap: BinaryHeap::new(),
                next_seq: 0,
                tombstones: 0,
                task: TimerTask::Absent,
            }),
            stop: Mutex::new(Stop {
                requested: false,
                running: false,
                waker: None,
            }),
        }
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
    /// run. Returns whether this call did the cancelling.
    fn cancel(&self) -> bool {
        let first = !self.cancelled.swap(true, Ordering::AcqRel);
        let f = lock(&self.f).take();
        if let Some(f) = f {
            // Dropping the closure runs the user's Drop impls.
            foreign::contain("dropping a cancelled weft callback", move || drop(f));
        }
        first
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

/// The handle of a callback scheduled with [`Handle::call_later`] or
/// [`Handle::call_at`].
///
/// Dropping the handle does **not** cancel the timer.
///
/// ```
/// use std::time::Duration;
/// let rt = weft::Runtime::new()?;
/// let h = rt.handle().call_later(Duration::from_secs(3600), || unreachable!());
/// assert!(h.when() > rt.handle().time());
/// h.cancel();
/// assert!(h.cancelled());
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct TimerHandle {
    callback: Arc<Callback>,
    when: Instant,
    runtime: Weak<Inner>,
}

impl TimerHandle {
    /// Cancels the timer: if it has not started, it never runs, and its
    /// closure is dropped now. Its heap entry is removed lazily (see
    /// [`Handle::call_at`]).
    pub fn cancel(&self) {
        match self.runtime.upgrade() {
            Some(inner) => {
                let mut timers = lock(&inner.callbacks.timers);
                let first = !self.callback.cancelled.load(Ordering::Acquire);
                self.callback.cancelled.store(true, Ordering::Release);
                // Counted under the heap's lock, as the timer task counts
                // the tombstones it pops.
                if first && self.callback.in_heap.load(Ordering::Relaxed) {
                    timers.tombstones += 1;
                    timers.compact_if_sparse();
                }
                drop(timers);
                self.callback.cancel();
            }
            None => {
                self.callback.cancel();
            }
        }
    }

    /// `true` once [`cancel`](Self::cancel) has been called.
    pub fn cancelled(&self) -> bool {
        self.callback.is_cancelled()
    }

    /// When the timer is (or was) due: the deadline given to `call_at`, or
    /// `call_later`'s `now + delay`.
    pub fn when(&self) -> Instant {
        self.when
    }
}

impl fmt::Debug for TimerHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TimerHandle")
            .field("when", &self.when)
            .field("scheduled_at", &self.callback.location)
            .field("cancelled", &self.cancelled())
            .finish()
    }
}

/// The timer heap and the timer task's state, under one lock.
struct Timers {
    heap: BinaryHeap<Scheduled>,
    next_seq: u64,
    /// Cancelled entries still in the heap.
    tombstones: usize,
    task: TimerTask,
}

enum TimerTask {
    /// No timer task: the next `call_at` spawns one.
    Absent,
    /// The timer task exists; it sleeps until `until` (`None`: it has not
    /// polled yet) and is woken through `waker`.
    Running {
        until: Option<Instant>,
        waker: Option<Waker>,
    },
}

/// A heap entry. `BinaryHeap` is a max-heap: the order is reversed so that
/// the earliest (deadline, seq) is on top.
struct Scheduled {
    when: Instant,
    seq: u64,
    callback: Arc<Callback>,
}

impl PartialEq for Scheduled {
    fn eq(&self, other: &Self) -> bool {
        (self.when, self.seq) == (other.when, other.seq)
    }
}

impl Eq for Scheduled {}

impl PartialOrd for Scheduled {
    fn partial_cmp(&self, other: &Self) -> Option<CmpOrdering> {
        Some(self.cmp(other))
    }
}

impl Ord for Scheduled {
    fn cmp(&self, other: &Self) -> CmpOrdering {
        (other.when, other.seq).cmp(&(self.when, self.seq))
    }
}

impl Timers {
    /// asyncio's rule: drop the tombstones all at once when they are more
    /// than half of a heap that is not small.
    fn compact_if_sparse(&mut self) {
        if self.heap.len() >= COMPACT_MIN_TIMERS && self.tombstones * 2 > self.heap.len() {
            self.heap.retain(|s| {
                let keep = !s.callback.is_cancelled();
                if !keep {
                    s.callback.in_heap.store(false, Ordering::Relaxed);
                }
                keep
            });
            self.tombstones = 0;
        }
    }
}

/// `run_forever`'s state.
struct Stop {
    /// `stop()` was called and no `run_forever` has returned for it yet.
    requested: bool,
    /// A `run_forever` is in progress.
    running: bool,
    /// The waiting `run_forever`.
    waker: Option<Waker>,
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

    /// Schedules `f` to run on the loop once `delay` has passed; see
    /// [`call_at`](Handle::call_at).
    ///
    /// ```
    /// use std::time::Duration;
    /// let rt = weft::Runtime::new()?;
    /// let start = rt.handle().time();
    /// let handle = rt.handle().clone();
    /// let timer = rt.handle().call_later(Duration::from_millis(20), move || handle.stop());
    /// rt.run_forever();
    /// assert!(rt.handle().time() >= timer.when());
    /// assert!(timer.when() >= start + Duration::from_millis(20));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[track_caller]
    pub fn call_later<F>(&self, delay: Duration, f: F) -> TimerHandle
    where
        F: FnOnce() + Send + 'static,
    {
        let when = self.time().checked_add(delay).unwrap_or_else(far_future);
        self.call_at(when, f)
    }

    /// Schedules `f` to run on the loop at `deadline`, asyncio's
    /// `loop.call_at`.
    ///
    /// It runs no earlier than `deadline` (a deadline in the past means
    /// soon); timers run in deadline order, and timers with equal deadlines
    /// in the order they were scheduled. When due, a timer joins the
    /// [`call_soon`](Handle::call_soon) queue, so it also runs one at a
    /// time with the other callbacks. Callable from any thread.
    ///
    /// [`TimerHandle::cancel`] drops the closure at once and leaves a small
    /// tombstone in the timer heap, removed lazily: when it reaches the
    /// top, or all at once when tombstones are more than half of a heap of
    /// at least 100 timers (asyncio's rule).
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    /// use std::time::Duration;
    /// let rt = weft::Runtime::new()?;
    /// let h = rt.handle();
    /// let seen = Arc::new(Mutex::new(Vec::new()));
    /// let now = h.time();
    /// for (i, ms) in [(2, 30), (1, 10)] {
    ///     let seen = seen.clone();
    ///     h.call_at(now + Duration::from_millis(ms), move || seen.lock().unwrap().push(i));
    /// }
    /// let stopper = h.clone();
    /// h.call_at(now + Duration::from_millis(40), move || stopper.stop());
    /// rt.run_forever();
    /// assert_eq!(*seen.lock().unwrap(), [1, 2]);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[track_caller]
    pub fn call_at<F>(&self, deadline: Instant, f: F) -> TimerHandle
    where
        F: FnOnce() + Send + 'static,
    {
        let callback = Callback::new(Box::new(f), Location::caller());
        let mut timers = lock(&self.inner.callbacks.timers);
        let seq = timers.next_seq;
        timers.next_seq += 1;
        callback.in_heap.store(true, Ordering::Relaxed);
        timers.heap.push(Scheduled {
            when: deadline,
            seq,
            callback: callback.clone(),
        });
        let earliest = timers.heap.peek().is_some_and(|top| top.seq == seq);
        let mut wake = None;
        let mut spawn = false;
        match &mut timers.task {
            // Absent -> Running: this call starts the timer task.
            TimerTask::Absent => {
                timers.task = TimerTask::Running {
                    until: None,
                    waker: None,
                };
                spawn = true;
            }
            // The timer task sleeps past the new deadline: wake it to
            // sleep less. (`until == None`: it has not polled yet and will
            // see the heap when it does.)
            TimerTask::Running { until, waker } => {
                if earliest && until.is_some_and(|u| deadline < u) {
                    wake = waker.take();
                }
            }
        }
        drop(timers);
        if spawn {
            self.spawn(TimerTaskFuture {
                runtime: Arc::downgrade(&self.inner),
                sleep: None,
                done: false,
            });
        }
        if let Some(w) = wake {
            w.wake();
        }
        TimerHandle {
            callback,
            when: deadline,
            runtime: Arc::downgrade(&self.inner),
        }
    }

    /// The loop's clock, asyncio's `loop.time()`: the clock `call_at`
    /// deadlines and [`crate::time`] use, [`Instant::now`].
    ///
    /// ```
    /// let rt = weft::Runtime::new()?;
    /// let t = rt.handle().time();
    /// assert!(rt.handle().time() >= t);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn time(&self) -> Instant {
        Instant::now()
    }

    /// Stops [`Runtime::run_forever`]: it returns once the callbacks
    /// already scheduled when it sees the stop have run.
    ///
    /// Callable from a task, a callback or any thread. A `stop()` made
    /// while no `run_forever` is running is kept: the next `run_forever`
    /// runs the callbacks already scheduled and returns (asyncio's rule).
    /// Several `stop()` calls before `run_forever` returns count as one.
    ///
    /// ```
    /// let rt = weft::Runtime::new()?;
    /// rt.handle().stop();
    /// rt.run_forever(); // returns at once
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn stop(&self) {
        let waker = {
            let mut stop = lock(&self.inner.callbacks.stop);
            stop.requested = true;
            stop.waker.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
    }

    fn schedule_callback(&self, callback: Arc<Callback>) {
        if self.inner.callbacks.queue.push(callback) == Pushed::StartRunner {
            self.spawn(run_callbacks(Arc::downgrade(&self.inner)));
        }
    }
}

fn far_future() -> Instant {
    // About 30 years: far enough to mean "never", near enough not to
    // overflow `Instant` on any platform.
    Instant::now() + Duration::from_secs(86_400 * 365 * 30)
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

/// The timer task: sleeps until the earliest deadline, moves the due
/// callbacks into the callback queue, exits when the heap is empty.
struct TimerTaskFuture {
    runtime: Weak<Inner>,
    sleep: Option<Pin<Box<Sleep>>>,
    /// Returned `Ready` after setting `Absent`: the state is no longer
    /// this task's to reset (a new timer task may own it by now).
    done: bool,
}

impl Future for TimerTaskFuture {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let Some(inner) = self.runtime.upgrade() else {
            return Poll::Ready(());
        };
        let handle = Handle { inner };
        loop {
            let next = {
                let now = Instant::now();
                let mut timers = lock(&handle.inner.callbacks.timers);
                // Move every due timer, in heap order, under the heap's
                // lock: a timer task started after this one exits cannot
                // move a later timer ahead of these.
                while timers.heap.peek().is_some_and(|top| top.when <= now) {
                    let Some(due) = timers.heap.pop() else { break };
                    due.callback.in_heap.store(false, Ordering::Relaxed);
                    if due.callback.is_cancelled() {
                        timers.tombstones = timers.tombstones.saturating_sub(1);
                        continue;
                    }
                    handle.schedule_callback(due.callback);
                }
                match timers.heap.peek().map(|top| top.when) {
                    // Running -> Absent: the next call_at starts a new task.
                    None => {
                        timers.task = TimerTask::Absent;
                        timers.tombstones = 0;
                        None
                    }
                    Some(when) => {
                        timers.task = TimerTask::Running {
                            until: Some(when),
                            waker: Some(cx.waker().clone()),
                        };
                        Some(when)
                    }
                }
            };
            let Some(when) = next else {
                self.done = true;
                return Poll::Ready(());
            };
            let sleep = match &mut self.sleep {
                Some(sleep) => {
                    if sleep.deadline() != when {
                        sleep.as_mut().reset(when);
                    }
                    sleep
                }
                None => self.sleep.insert(Box::pin(crate::time::sleep_until(when))),
            };
            if sleep.as_mut().poll(cx).is_pending() {
                return Poll::Pending;
            }
        }
    }
}

impl Drop for TimerTaskFuture {
    fn drop(&mut self) {
        // Dropped before it saw the heap empty (cancelled at shutdown, or
        // never run): Running -> Absent, so a later call_at starts a new
        // timer task rather than trusting this one.
        if self.done {
            return;
        }
        if let Some(inner) = self.runtime.upgrade() {
            lock(&inner.callbacks.timers).task = TimerTask::Absent;
        }
    }
}

impl Runtime {
    /// Runs the loop until [`Handle::stop`] is called, asyncio's
    /// `loop.run_forever()`.
    ///
    /// The calling thread blocks meanwhile (on a current-thread runtime it
    /// is the thread that runs the tasks and callbacks). `stop()` may come
    /// from a task, a callback or any thread; `run_forever` then returns
    /// once the callbacks already scheduled when it saw the stop have run,
    /// and the runtime can be used again (`block_on`, another
    /// `run_forever`). A `stop()` made before `run_forever` is called makes
    /// it return as soon as those callbacks have run.
    ///
    /// # Panics
    ///
    /// If another `run_forever` of this runtime is running (on another
    /// thread), and where [`Runtime::block_on`] panics (on a worker thread).
    ///
    /// ```
    /// let rt = weft::Runtime::new()?;
    /// let handle = rt.handle().clone();
    /// rt.spawn(async move {
    ///     weft::task::yield_now().await;
    ///     handle.stop();
    /// });
    /// rt.run_forever();
    /// // And again: a stop made before run_forever is kept.
    /// rt.handle().stop();
    /// rt.run_forever();
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[track_caller]
    pub fn run_forever(&self) {
        let handle = self.handle();
        let already = {
            let mut stop = lock(&handle.inner.callbacks.stop);
            std::mem::replace(&mut stop.running, true)
        };
        if already {
            panic!(
                "Runtime::run_forever was called while another run_forever of runtime {} is \
                     running: a loop runs forever once at a time. Call Handle::stop() and wait for \
                     the first one to return, or use block_on",
                handle.inner.name
            );
        }
        let _running = RunningGuard(handle);
        self.block_on(async {
            StopRequested(handle).await;
            // asyncio's rule: the callbacks already scheduled run first. A
            // marker callback runs after every one queued before it.
            // It ends the runner's turn, so a current-thread loop returns
            // before it runs the callbacks scheduled meanwhile.
            let done = Arc::new(Signal::default());
            let marker = done.clone();
            let mut callback = Callback::new(Box::new(move || marker.set()), Location::caller());
            Arc::get_mut(&mut callback).expect("not shared yet").ends_turn = true;
            handle.schedule_callback(callback);
            SignalWait(&done).await;
        });
    }
}

/// Clears `running` and the stop request when `run_forever` returns or
/// unwinds.
struct RunningGuard<'a>(&'a Handle);

impl Drop for RunningGuard<'_> {
    fn drop(&mut self) {
        let mut stop = lock(&self.0.inner.callbacks.stop);
        stop.running = false;
        stop.requested = false;
        stop.waker = None;
    }
}

/// Ready once `stop()` has been called.
struct StopRequested<'a>(&'a Handle);

impl Future for StopRequested<'_> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut stop = lock(&self.0.inner.callbacks.stop);
        if stop.requested {
            return Poll::Ready(());
        }
        stop.waker = Some(cx.waker().clone());
        Poll::Pending
    }
}

/// A one-shot flag with a waiter.
#[derive(Default)]
struct Signal {
    state: Mutex<(bool, Option<Waker>)>,
}

impl Signal {
    fn set(&self) {
        let waker = {
            let mut s = lock(&self.state);
            s.0 = true;
            s.1.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
    }
}

struct SignalWait<'a>(&'a Signal);

impl Future for SignalWait<'_> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let mut s = lock(&self.0.state);
        if s.0 {
            return Poll::Ready(());
        }
        s.1 = Some(cx.waker().clone());
        Poll::Pending
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn heap_counts(rt: &Runtime) -> (usize, usize) {
        let timers = lock(&rt.handle().inner.callbacks.timers);
        (timers.heap.len(), timers.tombstones)
    }

    #[test]
    fn cancelled_timers_are_compacted_once_they_are_most_of_the_heap() {
        let rt = Runtime::builder().worker_threads(1).build().unwrap();
        let h = rt.handle();
        let timers: Vec<_> = (0..200)
            .map(|_| h.call_later(Duration::from_secs(3600), || {}))
            .collect();
        for t in &timers[..100] {
            t.cancel();
        }
        // 100 of 200: not more than half yet.
        assert_eq!(heap_counts(&rt), (200, 100));
        timers[100].cancel();
        // The 101st makes them most of the heap: all go at once.
        assert_eq!(heap_counts(&rt), (99, 0));
        for t in &timers[101..150] {
            t.cancel();
        }
        assert_eq!(heap_counts(&rt), (99, 49));
        // Cancelling twice counts once.
        timers[149].cancel();
        assert_eq!(heap_counts(&rt), (99, 49));
    }

    #[test]
    fn the_timer_task_exits_when_the_heap_empties_and_a_new_one_starts_later() {
        let rt = Runtime::builder().worker_threads(1).build().unwrap();
        let h = rt.handle();
        let (tx, rx) = std::sync::mpsc::channel();
        let tx2 = tx.clone();
        h.call_later(Duration::from_millis(1), move || tx.send(1).unwrap());
        assert_eq!(rx.recv_timeout(Duration::from_secs(30)).unwrap(), 1);
        let start = std::time::Instant::now();
        while !matches!(lock(&h.inner.callbacks.timers).task, TimerTask::Absent) {
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "the timer task never exited"
            );
            std::thread::sleep(Duration::from_millis(1));
        }
        h.call_later(Duration::from_millis(1), move || tx2.send(2).unwrap());
        assert_eq!(rx.recv_timeout(Duration::from_secs(30)).unwrap(), 2);
    }
}
