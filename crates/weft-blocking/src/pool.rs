//! The runtime's blocking pool: elastic threads behind `spawn_blocking`.
//!
//! Jobs go into one unbounded `crossbeam-channel` queue. Threads start on
//! demand, up to [`PoolConfig::max_threads`]; past the cap, jobs wait in the
//! queue for a thread to come free. A thread that finds no job for
//! [`PoolConfig::keep_alive`] exits.
//!
//! # The accounting
//!
//! One small mutex guards the pool's counters and the queue's `Sender`:
//!
//! | field | meaning |
//! |---|---|
//! | `tx` | the queue's sender; `None` once the pool is closed |
//! | `workers` | threads in the job loop; counted against `max_threads` |
//! | `idle` | waiting threads that no job has claimed |
//! | `claims` | waiting threads that a pushed job has claimed (including threads just started for a job) |
//! | `threads` | OS threads that have not finished (`>= workers`); shutdown waits for 0 |
//!
//! A thread is *waiting* from the moment it finishes a job (or is started)
//! until it has taken its next job, or decided to exit, under the lock.
//! Writing `W` for the waiting threads, `Q` for the queued jobs and `U` for
//! the waiting threads that have received a job but not yet taken the lock:
//!
//! * `idle + claims == W` always, and `claims <= Q + U` while the pool is
//!   open (closing drains `Q`, leaving claims that no take will retire).
//!
//! The rules, each applied under the lock:
//!
//! 1. **Spawn.** If closed, cancel the job. Otherwise push it and: if
//!    `idle > 0`, claim an idle thread (`idle -= 1; claims += 1`); else if
//!    `workers < max_threads`, count a new thread as a claimed waiter
//!    (`workers += 1; claims += 1`) and start it after unlocking; else (at
//!    the cap) leave it queued.
//! 2. **Take.** A thread that received a job (from `recv_timeout`, or from
//!    `try_recv` below) retires one claim if there is one, else one idle
//!    count. It runs the job if the pool is open, and cancels it if the pool
//!    closed meanwhile. After the job it is waiting again (`idle += 1`).
//! 3. **Leave.** A thread whose `recv_timeout` timed out (or saw the queue
//!    disconnected) takes the lock and calls `try_recv` *once more*. A job
//!    there is taken (rule 2). Only if the queue is empty does the thread
//!    leave: `idle -= 1; workers -= 1`. (Open, with `Q == 0`: `claims <= U`,
//!    and the `U` threads are waiting threads other than this one, so
//!    `idle = W - claims >= 1`. Closed, a stale claim is retired instead
//!    when `idle == 0`.)
//!
//! # Why no job is lost
//!
//! A job is lost if it sits in the queue while no thread will ever look at
//! the queue again. Every thread counted in `workers` looks again: a busy
//! one when its job returns, a waiting one in `recv_timeout`, and one whose
//! wait timed out in its `try_recv` under the lock. A thread stops looking
//! only by rule 3, and only after seeing, under the lock, an empty queue.
//! Spawners push under the same lock, so a job pushed *after* that decision
//! sees `workers` without the leaving thread, and a job pushed *before* it
//! is found by the `try_recv`. That is the classic race: the idle thread's
//! keep-alive expires just as a spawner, counting it as idle, pushes a job
//! and starts no thread. Here the expiry is only a suggestion; the decision
//! to exit is made under the lock, against the queue itself.
//!
//! So `workers >= 1` whenever the queue is non-empty, except after a failed
//! thread start. Then the spawner retracts its phantom thread
//! (`workers -= 1`, and one claim, or one idle count if another thread
//! already retired the claim by taking the job); if that leaves `workers == 0`, nobody will
//! take the queued jobs, so it drains the queue and cancels them all: their
//! `JoinHandle`s resolve to `JoinError::Cancelled` instead of hanging. (A
//! thread that dies before its loop, from a panicking `wrap`, does the same;
//! a panicking `on_thread_start` or `on_thread_stop` hook is contained and
//! the thread serves the pool anyway.) If other threads are alive, the job
//! stays queued for them.
//!
//! # Why the threads start on demand
//!
//! Every job either claims a distinct waiting thread, starts a new one, or
//! is queued at the cap; `claims <= Q + U` says claims are never counted
//! twice. So with `n` jobs and `k < n` idle threads, `n - k` threads start
//! (up to the cap). A job queued at the cap is taken by the next thread to
//! finish; no thread can leave while it is queued.
//!
//! # Why a job never runs twice
//!
//! A job is one `UnownedTask`, moved into the channel and received by one
//! thread, which consumes it with `run` or `shutdown`. Shutdown drains the
//! queue and cancels what it took; a thread that received a job concurrently
//! takes the lock, sees the pool closed and cancels it instead of running it.
//! Under the lock, the "open" check and the take are one step, so a job is
//! either run (it was taken before the close) or cancelled, never both.
//!
//! # Shutdown
//!
//! [`BlockingPool::shutdown`] closes the pool (drops the `Sender`, so waiting
//! threads see the queue disconnected and leave by rule 3), cancels the
//! queued jobs, and waits for `threads == 0` up to the timeout. Running
//! closures cannot be interrupted: a thread still in one after the timeout
//! is left to finish on its own, and `shutdown` returns `false`. Every
//! thread that has exited is *joined* before `shutdown` returns, so a
//! process that shuts its pool down is back to its own thread count (a
//! counter lowered by an exiting thread is not enough: the thread may still
//! be alive, running its stop hook or its thread-local destructors). Called from one of the pool's own threads, it does not wait for
//! that thread. A thread signals the condvar `shutdown` waits on only once
//! the pool is closed: `shutdown` closes it before its first look at
//! `threads`, under the same lock, so an exit before the close is seen by
//! that look and an exit after it signals.
//!
//! The loom models in `loom-tests/tests/blocking.rs` run this code (through
//! the `sync` shim) for the keep-alive race, shutdown racing a spawn, and the
//! cap.

use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use weft_task::JoinHandle;

use crate::config::PoolConfig;
use crate::job::{job, job_with, BlockingSchedule, Job};
use crate::sync::channel::{unbounded, Receiver, Sender};
use crate::sync::{
    current_thread_id, is_finished, lock, spawn_thread, thread_local, wait, wait_timeout, Condvar,
    JoinHandle as ThreadHandle, Mutex,
};

/// A snapshot of a [`BlockingPool`]'s counters.
///
/// ```
/// let pool = weft_blocking::BlockingPool::new(Default::default());
/// let m = pool.metrics();
/// assert_eq!((m.threads_alive, m.queue_depth, m.spawned_jobs), (0, 0, 0));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct BlockingMetrics {
    /// Threads in the job loop (at most `max_threads`). A thread that has
    /// left the loop may still be running its stop hook.
    pub threads_alive: usize,
    /// Threads waiting for work that no queued job has claimed yet.
    pub threads_idle: usize,
    /// Jobs waiting in the queue for a thread.
    pub queue_depth: usize,
    /// Jobs accepted since the pool was built (not counting those refused
    /// because the pool was closed).
    pub spawned_jobs: u64,
    /// Threads started since the pool was built.
    pub threads_started: u64,
    /// Times the OS refused to start a thread.
    pub thread_start_failures: u64,
}

/// The blocking pool: runs closures on threads that may block.
///
/// A cheap handle: clones share the pool. When the last clone is dropped,
/// the pool closes as by `shutdown(Some(Duration::ZERO))`: queued closures
/// are cancelled, running ones finish on their own, nothing waits.
///
/// ```
/// use weft_blocking::{BlockingPool, PoolConfig};
///
/// let pool = BlockingPool::new(PoolConfig::default());
/// let handle = pool.spawn_blocking(|| 6 * 7);
/// assert_eq!(weft_executor::block_on(handle).unwrap(), 42);
/// assert!(pool.shutdown(None));
/// ```
#[derive(Clone)]
pub struct BlockingPool {
    handle: Arc<LastHandle>,
}

/// Closes the pool when the last `BlockingPool` clone goes. Threads hold
/// `Inner`, not this.
struct LastHandle {
    inner: Arc<Inner>,
}

impl Drop for LastHandle {
    fn drop(&mut self) {
        self.inner.close();
    }
}

struct Inner {
    /// Tells a thread which pool it belongs to (see `CURRENT_POOL`).
    id: usize,
    state: Mutex<State>,
    /// Signalled whenever a thread finishes (`threads` decreases).
    thread_exited: Condvar,
    /// The threads started and not yet joined. Joined by `shutdown` (so a
    /// process that drops its runtime is back to its own threads), and
    /// pruned of finished ones whenever a thread starts.
    handles: Mutex<Vec<ThreadHandle<()>>>,
    rx: Receiver<Job>,
    config: PoolConfig,
}

/// See the module docs for the meaning of each counter.
struct State {
    tx: Option<Sender<Job>>,
    workers: usize,
    idle: usize,
    claims: usize,
    threads: usize,
    spawned_jobs: u64,
    threads_started: u64,
    thread_start_failures: u64,
}

impl State {
    /// Rule 2: a waiting thread took a job.
    fn take(&mut self) {
        if self.claims > 0 {
            self.claims -= 1;
        } else {
            debug_assert!(
                self.idle > 0,
                "weft-blocking: a thread took a job while not waiting"
            );
            self.idle -= 1;
        }
    }

    /// Rule 3: a waiting thread leaves.
    fn leave(&mut self) {
        self.workers -= 1;
        if self.idle > 0 {
            self.idle -= 1;
        } else {
            // Only once closed: closing drains the queue, and claims made
            // for the drained jobs are never retired by a take.
            debug_assert!(
                self.tx.is_none(),
                "weft-blocking: a leaving thread was not counted idle"
            );
            self.claims -= 1;
        }
    }
}

// loom's `thread_local!` does not accept a `const { }` initialiser.
#[cfg(not(loom))]
thread_local! {
    /// The id of the pool the current thread belongs to, 0 for none.
    static CURRENT_POOL: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}
#[cfg(loom)]
thread_local! {
    /// The id of the pool the current thread belongs to, 0 for none.
    static CURRENT_POOL: std::cell::Cell<usize> = std::cell::Cell::new(0);
}

impl BlockingPool {
    /// Builds a pool. No thread starts until the first closure arrives.
    ///
    /// # Panics
    ///
    /// If `config.max_threads` is 0: such a pool could never run anything.
    ///
    /// ```
    /// let pool = weft_blocking::BlockingPool::new(weft_blocking::PoolConfig {
    ///     max_threads: 2,
    ///     ..Default::default()
    /// });
    /// assert_eq!(pool.metrics().threads_alive, 0);
    /// ```
    pub fn new(config: PoolConfig) -> BlockingPool {
        assert!(
            config.max_threads > 0,
            "weft-blocking: max_threads is 0, so no closure could ever run; set max_blocking_threads to 1 or more"
        );
        // Not a protocol variable: an id counter, std even under loom.
        static NEXT_ID: AtomicUsize = AtomicUsize::new(1);
        let (tx, rx) = unbounded();
        let inner = Arc::new(Inner {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            state: Mutex::new(State {
                tx: Some(tx),
                workers: 0,
                idle: 0,
                claims: 0,
                threads: 0,
                spawned_jobs: 0,
                threads_started: 0,
                thread_start_failures: 0,
            }),
            thread_exited: Condvar::new(),
            handles: Mutex::new(Vec::new()),
            rx,
            config,
        });
        BlockingPool {
            handle: Arc::new(LastHandle { inner }),
        }
    }

    /// Runs `f` on a pool thread; the handle resolves to its output.
    ///
    /// A thread is started if none is idle and fewer than `max_threads` are
    /// alive; otherwise `f` waits in the queue. The handle resolves to:
    ///
    /// * `Ok(output)` once `f` returns;
    /// * `Err(e)` with `e.is_panic()` if `f` panicked (the payload is in
    ///   `e.into_panic()`; the thread survives);
    /// * `Err(e)` with `e.is_cancelled()` if `f` never ran: it was aborted
    ///   before a thread took it, the pool was shut down (before or after
    ///   this call), or the OS refused to start a thread while no other
    ///   thread was alive to take it.
    ///
    /// Once `f` has started it runs to its end: aborting the handle then
    /// does nothing. Dropping the handle detaches `f`; it still runs.
    ///
    /// ```
    /// use weft_blocking::BlockingPool;
    ///
    /// let pool = BlockingPool::new(Default::default());
    /// let read = pool.spawn_blocking(|| std::fs::metadata(".").is_ok());
    /// assert!(weft_executor::block_on(read).unwrap());
    ///
    /// let boom = pool.spawn_blocking(|| panic!("boom"));
    /// assert!(weft_executor::block_on(boom).unwrap_err().is_panic());
    /// ```
    #[track_caller]
    pub fn spawn_blocking<F, R>(&self, f: F) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        let (job, handle) = job(
            f,
            BlockingSchedule(self.handle.inner.config.on_unhandled_panic.clone()),
        );
        self.handle.inner.spawn(job);
        handle
    }

    /// As [`spawn_blocking`](Self::spawn_blocking), with the task's id, name
    /// and spawn location given (`weft::task::Builder`).
    pub fn spawn_blocking_with<F, R>(&self, f: F, meta: weft_task::TaskMeta) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        let (job, handle) = job_with(
            f,
            BlockingSchedule(self.handle.inner.config.on_unhandled_panic.clone()),
            meta,
        );
        self.handle.inner.spawn(job);
        handle
    }

    /// Closes the pool and waits for its threads to exit.
    ///
    /// Queued closures are dropped without running (their handles resolve
    /// to `Cancelled`); closures already running are waited for, up to
    /// `timeout` (`None`: for as long as they take). Returns `true` if every
    /// thread exited in time. Every thread that exited is joined before this
    /// returns; threads still running a closure after the timeout finish it
    /// and exit on their own (a later `shutdown` joins them). Later
    /// calls to [`spawn_blocking`](Self::spawn_blocking) return handles that
    /// resolve to `Cancelled`; later calls to `shutdown` wait again.
    ///
    /// Called from a thread of this pool (a closure shutting down its own
    /// runtime), it does not wait for that thread.
    ///
    /// ```
    /// use std::time::Duration;
    /// let pool = weft_blocking::BlockingPool::new(Default::default());
    /// let h = pool.spawn_blocking(|| std::thread::sleep(Duration::from_millis(10)));
    /// assert!(pool.shutdown(Some(Duration::from_secs(60))));
    /// let late = pool.spawn_blocking(|| ());
    /// assert!(weft_executor::block_on(late).unwrap_err().is_cancelled());
    /// # drop(h);
    /// ```
    pub fn shutdown(&self, timeout: Option<Duration>) -> bool {
        self.handle.inner.close();
        self.handle.inner.wait_for_threads(timeout)
    }

    /// `true` once [`shutdown`](Self::shutdown) has been called.
    ///
    /// ```
    /// let pool = weft_blocking::BlockingPool::new(Default::default());
    /// assert!(!pool.is_closed());
    /// pool.shutdown(None);
    /// assert!(pool.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        lock(&self.handle.inner.state).tx.is_none()
    }

    /// A snapshot of the pool's counters.
    ///
    /// ```
    /// let pool = weft_blocking::BlockingPool::new(Default::default());
    /// weft_executor::block_on(pool.spawn_blocking(|| ())).unwrap();
    /// let m = pool.metrics();
    /// assert_eq!(m.spawned_jobs, 1);
    /// assert!(m.threads_alive <= 1);
    /// ```
    pub fn metrics(&self) -> BlockingMetrics {
        let inner = &self.handle.inner;
        let state = lock(&inner.state);
        BlockingMetrics {
            threads_alive: state.workers,
            threads_idle: state.idle,
            queue_depth: inner.rx.len(),
            spawned_jobs: state.spawned_jobs,
            threads_started: state.threads_started,
            thread_start_failures: state.thread_start_failures,
        }
    }
}

impl fmt::Debug for BlockingPool {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BlockingPool")
            .field("metrics", &self.metrics())
            .finish()
    }
}

impl Inner {
    /// Rule 1.
    fn spawn(self: &Arc<Self>, job: Job) {
        let mut state = lock(&self.state);
        let Some(tx) = &state.tx else {
            drop(state);
            // Closed: the handle resolves to `Cancelled`.
            job.shutdown();
            return;
        };
        // The receiver lives in `Inner`, which we hold: the send cannot fail.
        tx.send(job)
            .expect("weft-blocking: the queue's receiver is gone while the pool is alive");
        state.spawned_jobs += 1;
        let start_thread = if state.idle > 0 {
            // Claim an idle thread: it is woken by the push.
            state.idle -= 1;
            state.claims += 1;
            false
        } else if state.workers < self.config.max_threads {
            // Start a thread, counted from now as a claimed waiter.
            state.workers += 1;
            state.threads += 1;
            state.claims += 1;
            state.threads_started += 1;
            true
        } else {
            // At the cap: the job waits for a busy thread to finish.
            false
        };
        drop(state);
        if start_thread {
            self.start_thread();
        }
    }

    /// Starts a thread already counted by rule 1, or retracts it.
    fn start_thread(self: &Arc<Self>) {
        // Undoes the counting if naming or spawning fails (or panics).
        struct Retract<'a>(Option<&'a Inner>);
        impl Drop for Retract<'_> {
            fn drop(&mut self) {
                if let Some(inner) = self.0 {
                    let mut state = lock(&inner.state);
                    state.thread_start_failures += 1;
                    state.threads_started -= 1;
                    state.threads -= 1;
                    state.workers -= 1;
                    state.take();
                    if state.tx.is_none() {
                        inner.thread_exited.notify_all();
                    }
                    let orphans = inner.orphans(&mut state);
                    drop(state);
                    orphans.into_iter().for_each(Job::shutdown);
                }
            }
        }
        let mut retract = Retract(Some(self));
        let name = (self.config.thread_name)();
        let inner = self.clone();
        if let Ok(handle) = spawn_thread(name, self.config.stack_size, move || inner.thread_main()) {
            retract.0 = None;
            let mut handles = lock(&self.handles);
            // Join the threads that have exited (keep-alive) since the last
            // start, so the list stays as long as the live threads.
            let (done, live): (Vec<_>, Vec<_>) = handles.drain(..).partition(is_finished);
            *handles = live;
            handles.push(handle);
            drop(handles);
            for h in done {
                let _ = h.join();
            }
        }
    }

    /// With no thread left in the job loop, nobody will take the queued
    /// jobs: drain them for the caller to cancel (after unlocking).
    fn orphans(&self, state: &mut State) -> Vec<Job> {
        let mut orphans = Vec::new();
        if state.workers == 0 {
            while let Ok(job) = self.rx.try_recv() {
                orphans.push(job);
            }
        }
        orphans
    }

    /// Closes the pool and cancels the queued jobs. Does not wait.
    fn close(&self) {
        let mut state = lock(&self.state);
        let tx = state.tx.take();
        let mut queued = Vec::new();
        while let Ok(job) = self.rx.try_recv() {
            queued.push(job);
        }
        drop(state);
        // Disconnect the queue: waiting threads leave by rule 3.
        drop(tx);
        // Drop the closures outside the lock: their destructors are user code.
        queued.into_iter().for_each(Job::shutdown);
    }

    /// Waits until every thread (but the caller, if it is one) has exited,
    /// and joins them; `false` if the timeout came first, in which case the
    /// threads that have exited are joined and the others left to finish.
    fn wait_for_threads(&self, timeout: Option<Duration>) -> bool {
        let own = CURRENT_POOL.with(|c| c.get()) == self.id;
        let target = usize::from(own);
        let deadline = timeout.and_then(|t| Instant::now().checked_add(t));
        let mut all_out = true;
        let mut state = lock(&self.state);
        while state.threads > target {
            state = match deadline {
                None => wait(&self.thread_exited, state),
                Some(deadline) => {
                    let now = Instant::now();
                    if now >= deadline {
                        all_out = false;
                        break;
                    }
                    wait_timeout(&self.thread_exited, state, deadline - now)
                }
            };
        }
        drop(state);
        self.join_threads(all_out);
        all_out
    }

    /// Joins the pool's threads: all of them (but the caller) once every
    /// thread is counted out, else only those that have finished.
    fn join_threads(&self, all_out: bool) {
        let me = current_thread_id();
        let handles = std::mem::take(&mut *lock(&self.handles));
        let mut stuck = Vec::new();
        for h in handles {
            if h.thread().id() == me {
                // A pool thread shutting its own pool down: it is not done.
                stuck.push(h);
            } else if all_out || is_finished(&h) {
                // Counted out: it has left the pool's code, so this returns
                // as soon as the thread has finished exiting.
                let _ = h.join();
            } else {
                stuck.push(h);
            }
        }
        // Still running a closure past the timeout: keep the handles, so a
        // later `shutdown` can join them.
        lock(&self.handles).extend(stuck);
    }

    /// A pool thread's body.
    fn thread_main(self: Arc<Self>) {
        CURRENT_POOL.with(|c| c.set(self.id));
        let _exit = ThreadExit(&self);
        let mut worker = Worker {
            inner: &self,
            phase: Phase::Waiting,
        };
        let config = &self.config;
        let mut body = Some(|| {
            // The hooks are the user's: a panic in one is contained, and
            // the thread still serves the pool.
            if let Some(start) = &config.on_thread_start {
                weft_task::foreign::contain("an on_thread_start hook", || start());
            }
            worker.run();
            if let Some(stop) = &config.on_thread_stop {
                weft_task::foreign::contain("an on_thread_stop hook", || stop());
            }
        });
        let mut main = || {
            if let Some(mut body) = body.take() {
                body();
            }
        };
        if let Some(wrap) = &config.wrap {
            wrap(&mut main);
        }
        // Runs the body if `wrap` is unset or did not call it.
        main();
    }
}

/// Where a thread is in the accounting, so that an unwind (from a user
/// hook) can undo exactly its share.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Counted in `idle + claims`.
    Waiting,
    /// Running or cancelling a job it took.
    Busy,
    /// Left the job loop by rule 3.
    Gone,
}

struct Worker<'a> {
    inner: &'a Inner,
    phase: Phase,
}

impl Worker<'_> {
    /// The job loop: rules 2 and 3.
    fn run(&mut self) {
        let inner = self.inner;
        loop {
            debug_assert!(self.phase == Phase::Waiting);
            // `Err` is a timeout (keep-alive expired) or a disconnection
            // (closed): either way, rule 3 looks again under the lock.
            let received = inner.rx.recv_timeout(inner.config.keep_alive).ok();
            let mut state = lock(&inner.state);
            // Rule 3: the keep-alive expiring (or the queue closing) is only
            // a suggestion; look at the queue again under the lock.
            let Some(job) = received.or_else(|| inner.rx.try_recv().ok()) else {
                state.leave();
                self.phase = Phase::Gone;
                return;
            };
            // Rule 2.
            state.take();
            self.phase = Phase::Busy;
            let open = state.tx.is_some();
            drop(state);
            if open {
                job.run();
            } else {
                // Closed after we received it: shutdown owns queued work.
                job.shutdown();
            }
            lock(&inner.state).idle += 1;
            self.phase = Phase::Waiting;
        }
    }
}

impl Drop for Worker<'_> {
    /// Only an unwind from `wrap` gets here with the thread still counted
    /// (the start and stop hooks are contained): undo its share, and cancel
    /// the queue if it was the last thread.
    fn drop(&mut self) {
        if self.phase == Phase::Gone {
            return;
        }
        let mut state = lock(&self.inner.state);
        if self.phase == Phase::Waiting {
            state.take();
        }
        state.workers -= 1;
        let orphans = self.inner.orphans(&mut state);
        drop(state);
        orphans.into_iter().for_each(Job::shutdown);
    }
}

/// Counts the thread out and tells `shutdown`, on any exit.
struct ThreadExit<'a>(&'a Inner);

impl Drop for ThreadExit<'_> {
    fn drop(&mut self) {
        let mut state = lock(&self.0.state);
        state.threads -= 1;
        // Only `shutdown` waits, and it closes the pool (under this lock)
        // before it looks at `threads`: an exit before the close is seen
        // by that look, one after it sees the pool closed and signals.
        if state.tx.is_none() {
            self.0.thread_exited.notify_all();
        }
    }
}

/// Not part of the API: lets the loom models read the accounting.
#[doc(hidden)]
pub mod __private {
    #[cfg(loom)]
    pub use crate::sync::FAIL_SPAWN;

    /// The pool's counters, read under its lock.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub struct Accounting {
        /// `workers`.
        pub workers: usize,
        /// `idle`.
        pub idle: usize,
        /// `claims`.
        pub claims: usize,
        /// `threads`.
        pub threads: usize,
        /// Threads started so far.
        pub threads_started: u64,
    }

    /// Reads the counters.
    pub fn accounting(pool: &super::BlockingPool) -> Accounting {
        let state = super::lock(&pool.handle.inner.state);
        Accounting {
            workers: state.workers,
            idle: state.idle,
            claims: state.claims,
            threads: state.threads,
            threads_started: state.threads_started,
        }
    }
}
