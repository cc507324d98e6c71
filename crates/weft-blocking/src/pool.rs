//! The runtime's blocking pool: elastic threads behind `spawn_blocking`.
//!
//! One mutex guards the whole pool: a FIFO queue of jobs, a LIFO stack of
//! idle threads, and the counters. Each thread has a *slot* of its own (a
//! one-job mailbox, a small mutex and a condvar): an idle thread parks on
//! its slot's condvar, and a spawn that finds an idle thread puts the job
//! straight into the slot of the most recently idled one and wakes that
//! thread alone. No queue is spun on, no other thread is woken, and the
//! threads that have waited longest are the ones whose keep-alive expires.
//!
//! # The state
//!
//! | field (under the pool lock) | meaning |
//! |---|---|
//! | `open` | `false` once the pool is closed |
//! | `queue` | jobs accepted while no thread was idle |
//! | `idle` | the slots of threads parked for a handoff, most recent last |
//! | `workers` | threads in (or starting towards) the job loop; counted against `max_threads` |
//! | `starting` | of those, threads not yet in the job loop (each will take a queued job if one is there) |
//! | `threads` | OS threads that have not finished (workers, leavers and the monitor); shutdown waits for 0 |
//! | `completed` | jobs finished so far: the growth monitor's signal |
//!
//! A slot's mailbox (`job`, `closed`) is written only under the pool lock
//! and the slot's own lock, in that order; its thread reads it under the
//! slot's lock alone while it is parked. The invariant that carries the
//! argument below:
//!
//! * **`idle` non-empty implies `queue` empty**, at every release of the
//!   pool lock, and a slot in `idle` holds no job.
//!
//! # The rules, each applied under the pool lock
//!
//! 1. **Spawn.** If closed, cancel the job. Otherwise, if a thread is idle,
//!    pop the most recent slot off `idle`, put the job in it, and (after
//!    unlocking) notify its condvar: a *handoff*. Else queue the job and, if
//!    `workers` is below the eager limit (`min(max_threads, CPUs)`), count a
//!    new thread (`workers += 1`) and start it after unlocking; past the
//!    eager limit and below `max_threads`, make sure the growth monitor is
//!    watching (rule 5); at the cap, leave the job queued.
//! 2. **Take.** A thread that is not holding a job pops the front of the
//!    queue and runs it after unlocking; after the job it takes the lock
//!    again (`completed += 1`) and applies rule 2 again. If the queue is
//!    empty and the pool closed, it leaves (`workers -= 1`). If it is empty
//!    and the pool open, it pushes its slot onto `idle` and parks on the
//!    slot (under the slot's lock only) until a job is in the slot, the slot
//!    is closed, or the keep-alive expires. A handed job is run (after which
//!    it is back at rule 2).
//! 3. **Leave.** A parked thread whose keep-alive expired (or whose slot was
//!    closed) takes the pool lock and then its slot's lock, and looks at its
//!    slot *once more*: a job there was handed to it after it stopped
//!    waiting, and it runs it. Only with an empty slot does it leave:
//!    remove its slot from `idle` if it is still there, `workers -= 1`.
//! 4. **Close.** `open = false`; drain the queue (its jobs are cancelled
//!    after unlocking); pop every slot off `idle`, mark it closed and notify
//!    it. A job already handed to a slot counts as started: its thread runs
//!    it.
//! 5. **Grow.** The monitor thread wakes every `GROWTH_TICK` (1 ms) while jobs
//!    are queued below the cap. If, since its last look, jobs are still
//!    queued and *no job has finished*, the threads it has are all blocked
//!    (a thread doing CPU work finishes jobs), so it starts more: 1, then
//!    2, 4, ... while no job finishes (doubling), never more than the queued
//!    jobs that no starting thread will take, nor past the cap. A finished job resets the step to 1. With an
//!    empty queue (or at the cap) it parks until rule 1 wakes it. It is
//!    started the first time a job is queued past the eager limit, and
//!    lives until the pool closes (one parked thread, joined by shutdown).
//!
//! # Why no job is lost
//!
//! A job is lost if it sits in the queue, or in a slot, while no thread
//! will ever look there again.
//!
//! *Slots.* A job is put into a slot only by rule 1, which pops the slot
//! off `idle` in the same critical section. The slot's thread looks at its
//! slot when woken; if it stopped waiting (keep-alive) before the job
//! arrived, rule 3 looks again with both locks held. The handoff happened
//! under the pool lock, so it is either before that look (the job is seen
//! and run) or after it; but after it the thread has removed its slot from
//! `idle` under the same lock, so no later spawn can pick that slot. That
//! is the classic race, the keep-alive expiring just as a spawner counts
//! the thread as idle: the expiry is only a suggestion, and the decision to
//! leave is made under the lock, against the slot itself.
//!
//! *The queue.* A thread stops looking at the queue only by rule 2 (closed:
//! close drained the queue, and rule 1 queues nothing once closed) or by
//! rule 3, and a thread in rule 3 was in `idle` until that moment, so by
//! the invariant the queue was empty: a job queued later sees `workers`
//! without the leaving thread. Rule 1 queues a job only when `idle` is
//! empty, so the invariant holds; rule 2 pushes a slot onto `idle` only
//! after seeing the queue empty. So while jobs are queued, `workers >= 1`,
//! and each of those threads comes back to rule 2 when its current job
//! ends (a queued job waits for a busy thread, never for an idle one).
//!
//! The exception is a failed thread start. Then the spawner retracts its
//! thread (`workers -= 1`); if that leaves `workers == 0`, nobody will take
//! the queued jobs, so it drains the queue and cancels them all: their
//! `JoinHandle`s resolve to `JoinError::Cancelled` instead of hanging. (A
//! thread that dies before its loop, from a panicking `wrap`, does the same;
//! a panicking `on_thread_start` or `on_thread_stop` hook is contained and
//! the thread serves the pool anyway.) If other threads are alive, the job
//! stays queued for them.
//!
//! # Why a job never runs twice
//!
//! A job is one `UnownedTask`, moved into the queue or into one slot, and
//! taken out by one owner, which consumes it with `run` or `shutdown`: a
//! queued job by the thread that pops it (rule 2) or by close (rule 4,
//! which cancels it), both under the pool lock; a handed job by its slot's
//! thread, which takes it out of the mailbox under the slot lock. Close
//! never touches a slot's job (a slot with a job is no longer in `idle`).
//!
//! # How many threads
//!
//! Up to the eager limit, a spawn that finds no idle thread starts one: the
//! machine can run that many at once. Past it, a thread per queued job
//! (tokio's rule) would turn a burst of short CPU jobs into hundreds of
//! threads competing for the same cores, each costing a start, a stack and
//! context switches, for no gain; rule 5 adds threads only while the ones
//! there are not finishing anything, which is what blocking jobs (sleeps,
//! I/O, a caller waiting for jobs it spawned) look like. A burst of jobs
//! that all block gets its threads in `log2(n)` ticks (500 sleeping jobs:
//! about nine ticks); the cap is still the cap. What the rule cannot tell
//! from blocking: CPU jobs each longer than a tick, which leave ticks with
//! no finish and so still grow the pool (never past one thread per queued
//! job, which is what tokio starts at once).
//!
//! # Shutdown
//!
//! [`BlockingPool::shutdown`] closes the pool (rule 4: idle threads are
//! woken and leave by rule 3, the monitor is woken and exits), and waits
//! for `threads == 0` up to the timeout. Running closures cannot be
//! interrupted: a thread still in one after the timeout is left to finish
//! on its own, and `shutdown` returns `false`. Every thread that has exited
//! is *joined* before `shutdown` returns, so a process that shuts its pool
//! down is back to its own thread count (a counter lowered by an exiting
//! thread is not enough: the thread may still be alive, running its stop
//! hook or its thread-local destructors). Called from one of the pool's own
//! threads, it does not wait for that thread. A thread signals the condvar
//! `shutdown` waits on only once the pool is closed: `shutdown` closes it
//! before its first look at `threads`, under the same lock, so an exit
//! before the close is seen by that look and an exit after it signals.
//!
//! The loom models in `loom-tests/tests/blocking.rs` run this code (through
//! the `sync` shim) for the keep-alive race against a handoff, a handoff to
//! a parked thread, shutdown racing a spawn, the cap, two jobs that need
//! two threads, and failed starts. Under loom the eager limit is
//! `max_threads` (so the monitor never starts: it is a liveness aid whose
//! timing loom cannot model) and a keep-alive of zero expires at once.

use std::collections::VecDeque;
use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use weft_task::JoinHandle;

use crate::config::PoolConfig;
use crate::job::{job, job_with, BlockingSchedule, Job};
use crate::sync::{
    current_thread_id, is_finished, lock, spawn_thread, thread_local, wait, wait_timeout, Condvar,
    JoinHandle as ThreadHandle, Mutex,
};

/// How long the growth monitor (rule 5) waits for a job to finish before it
/// counts the pool's threads as blocked. Long against a thread start
/// (~20-50 µs) and a context switch, so CPU jobs sharing the cores finish
/// something within it; short against a blocking call (a disk read, a DNS
/// query, a sleep), so blocked work gets threads within a few ticks.
const GROWTH_TICK: Duration = Duration::from_millis(1);

/// How long a pool thread that finished a job, with nothing queued, watches
/// its slot for a handoff before it sleeps (see `Worker::spin_for_handoff`).
/// About the cost of one wake-up of a sleeping thread on a VM; zero under
/// loom, where the spin is not part of the protocol.
#[cfg(not(loom))]
const SPIN: Duration = Duration::from_micros(50);
#[cfg(loom)]
const SPIN: Duration = Duration::ZERO;

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
    /// Threads parked waiting for a job.
    pub threads_idle: usize,
    /// Jobs waiting in the queue for a thread.
    pub queue_depth: usize,
    /// Jobs accepted since the pool was built (not counting those refused
    /// because the pool was closed).
    pub spawned_jobs: u64,
    /// Threads started since the pool was built (not counting the growth
    /// monitor).
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
    /// The growth monitor parks here (rule 5); rule 1 and close wake it.
    monitor_wake: Condvar,
    /// The threads started and not yet joined. Joined by `shutdown` (so a
    /// process that drops its runtime is back to its own threads), and
    /// pruned of finished ones whenever a thread starts.
    handles: Mutex<Vec<ThreadHandle<()>>>,
    /// Rule 1's eager limit: `min(max_threads, CPUs)` (`max_threads` under
    /// loom, see the module docs).
    eager: usize,
    config: PoolConfig,
}

/// See the module docs for the meaning of each field.
struct State {
    open: bool,
    queue: VecDeque<Job>,
    idle: Vec<Arc<Slot>>,
    workers: usize,
    starting: usize,
    threads: usize,
    completed: u64,
    monitor: Monitor,
    spawned_jobs: u64,
    threads_started: u64,
    thread_start_failures: u64,
}

/// Where the growth monitor is.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Monitor {
    /// Not started (or its start failed): rule 1 starts it when needed.
    Absent,
    /// Looking every tick; nobody needs to wake it.
    Watching,
    /// Parked on `monitor_wake` until rule 1 queues a job past the eager
    /// limit.
    Parked,
}

/// A thread's own mailbox: rule 1 hands it a job, close marks it closed.
struct Slot {
    mailbox: Mutex<Mailbox>,
    ready: Condvar,
    /// A hint for the thread's short spin before it sleeps: raised with the
    /// mailbox's job (under its lock), lowered when the thread takes it.
    /// Only a hint: the thread always reads the mailbox itself, under its
    /// lock, before it runs or waits, so a stale value costs one more look.
    /// A std atomic even under loom: it is not part of the protocol.
    handed: std::sync::atomic::AtomicBool,
}

struct Mailbox {
    job: Option<Job>,
    closed: bool,
    /// The thread is waiting on `ready` (set and cleared by it, under the
    /// mailbox lock): only then does a handoff need the condvar's
    /// notify, a syscall even with nobody waiting.
    sleeping: bool,
}

impl Slot {
    fn new() -> Slot {
        Slot {
            mailbox: Mutex::new(Mailbox {
                job: None,
                closed: false,
                sleeping: false,
            }),
            ready: Condvar::new(),
            handed: std::sync::atomic::AtomicBool::new(false),
        }
    }
}

impl State {
    /// Rule 3's removal: takes `slot` off `idle` if it is still there (close
    /// may have popped it already).
    fn unidle(&mut self, slot: &Arc<Slot>) {
        if let Some(i) = self.idle.iter().rposition(|s| Arc::ptr_eq(s, slot)) {
            self.idle.remove(i);
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

/// Rule 1's eager limit for a pool capped at `max_threads`.
#[cfg(not(loom))]
fn eager_limit(max_threads: usize) -> usize {
    max_threads.min(num_cpus::get().max(1))
}

/// Under loom the monitor's clock cannot be modelled: threads start on
/// demand up to the cap, and the models check that protocol.
#[cfg(loom)]
fn eager_limit(max_threads: usize) -> usize {
    max_threads
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
        let inner = Arc::new(Inner {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            state: Mutex::new(State {
                open: true,
                queue: VecDeque::new(),
                idle: Vec::new(),
                workers: 0,
                starting: 0,
                threads: 0,
                completed: 0,
                monitor: Monitor::Absent,
                spawned_jobs: 0,
                threads_started: 0,
                thread_start_failures: 0,
            }),
            thread_exited: Condvar::new(),
            monitor_wake: Condvar::new(),
            handles: Mutex::new(Vec::new()),
            eager: eager_limit(config.max_threads),
            config,
        });
        BlockingPool {
            handle: Arc::new(LastHandle { inner }),
        }
    }

    /// Runs `f` on a pool thread; the handle resolves to its output.
    ///
    /// An idle thread is handed `f` directly. With none idle, `f` waits in
    /// the queue, and a thread is started for it if fewer are alive than
    /// the machine has CPUs; past that, more threads (up to `max_threads`)
    /// start only while the ones alive are blocked, finishing nothing (see
    /// the [`pool`](crate::pool) module docs). The handle resolves to:
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
        !lock(&self.handle.inner.state).open
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
            threads_idle: state.idle.len(),
            queue_depth: state.queue.len(),
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

/// What rule 1 starts after unlocking.
enum Start {
    Nothing,
    Worker,
    Monitor,
    WakeMonitor,
}

impl Inner {
    /// Rule 1.
    fn spawn(self: &Arc<Self>, job: Job) {
        let mut state = lock(&self.state);
        if !state.open {
            drop(state);
            // Closed: the handle resolves to `Cancelled`.
            job.shutdown();
            return;
        }
        state.spawned_jobs += 1;
        if let Some(slot) = state.idle.pop() {
            // A handoff: the most recently idled thread gets the job. Put
            // under the pool lock, so its rule 3 sees it (module docs).
            let sleeping = {
                let mut mailbox = lock(&slot.mailbox);
                mailbox.job = Some(job);
                slot.handed.store(true, Ordering::Release);
                mailbox.sleeping
            };
            drop(state);
            // A thread still in its spin sees `handed` and needs no notify.
            if sleeping {
                slot.ready.notify_one();
            }
            return;
        }
        state.queue.push_back(job);
        let start = if state.workers < self.eager {
            // Counted from now, so the next spawn sees it.
            state.workers += 1;
            state.starting += 1;
            state.threads += 1;
            state.threads_started += 1;
            Start::Worker
        } else if state.workers < self.config.max_threads {
            // Past the eager limit: the monitor decides (rule 5).
            match state.monitor {
                Monitor::Watching => Start::Nothing,
                Monitor::Parked => {
                    state.monitor = Monitor::Watching;
                    Start::WakeMonitor
                }
                Monitor::Absent => {
                    state.monitor = Monitor::Watching;
                    state.threads += 1;
                    Start::Monitor
                }
            }
        } else {
            // At the cap: the job waits for a busy thread to finish.
            Start::Nothing
        };
        drop(state);
        match start {
            Start::Nothing => {}
            Start::Worker => self.start_worker(),
            Start::Monitor => self.start_monitor(),
            Start::WakeMonitor => self.monitor_wake.notify_one(),
        }
    }

    /// Starts a thread already counted by rule 1 or 5, or retracts it.
    fn start_worker(self: &Arc<Self>) {
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
                    state.starting -= 1;
                    if !state.open {
                        inner.thread_exited.notify_all();
                    }
                    let orphans = orphans(&mut state);
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
            self.keep_handle(handle);
        }
    }

    /// Starts the growth monitor, already counted in `threads` by rule 1;
    /// on failure, uncounts it (the pool works without it, at the eager
    /// limit; the next spawn past the limit tries again).
    fn start_monitor(self: &Arc<Self>) {
        let inner = self.clone();
        match spawn_thread("weft-blocking-monitor".to_string(), None, move || {
            inner.monitor_main()
        }) {
            Ok(handle) => self.keep_handle(handle),
            Err(_) => {
                let mut state = lock(&self.state);
                state.thread_start_failures += 1;
                state.threads -= 1;
                state.monitor = Monitor::Absent;
                if !state.open {
                    self.thread_exited.notify_all();
                }
            }
        }
    }

    /// Keeps a new thread's handle for `shutdown` to join, joining those
    /// that have exited (keep-alive) since the last start, so the list
    /// stays as long as the live threads.
    fn keep_handle(&self, handle: ThreadHandle<()>) {
        let mut handles = lock(&self.handles);
        let (done, live): (Vec<_>, Vec<_>) = handles.drain(..).partition(is_finished);
        *handles = live;
        handles.push(handle);
        drop(handles);
        for h in done {
            let _ = h.join();
        }
    }

    /// Rule 4: closes the pool and cancels the queued jobs. Does not wait.
    fn close(&self) {
        let mut state = lock(&self.state);
        state.open = false;
        let queued: Vec<Job> = state.queue.drain(..).collect();
        for slot in state.idle.drain(..) {
            lock(&slot.mailbox).closed = true;
            slot.ready.notify_one();
        }
        drop(state);
        self.monitor_wake.notify_all();
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

    /// Rule 5: the growth monitor's body.
    fn monitor_main(self: Arc<Self>) {
        let _exit = ThreadExit(&self);
        let max = self.config.max_threads;
        let mut step = 1;
        let mut state = lock(&self.state);
        loop {
            if !state.open {
                break;
            }
            if state.queue.is_empty() || state.workers >= max {
                state.monitor = Monitor::Parked;
                while state.monitor == Monitor::Parked && state.open {
                    state = wait(&self.monitor_wake, state);
                }
                step = 1;
                continue;
            }
            let seen = state.completed;
            let tick_end = Instant::now() + GROWTH_TICK;
            loop {
                let now = Instant::now();
                if now >= tick_end || !state.open {
                    break;
                }
                state = wait_timeout(&self.monitor_wake, state, tick_end - now);
            }
            if !state.open {
                break;
            }
            if state.completed != seen || state.queue.is_empty() {
                // Something finished: the threads are not all blocked.
                step = 1;
                continue;
            }
            // Never more than the queued jobs that no starting thread will
            // take.
            let waiting = state.queue.len().saturating_sub(state.starting);
            let n = step.min(max.saturating_sub(state.workers)).min(waiting);
            state.workers += n;
            state.starting += n;
            state.threads += n;
            state.threads_started += n as u64;
            drop(state);
            for _ in 0..n {
                self.start_worker();
            }
            step = step.saturating_mul(2);
            state = lock(&self.state);
        }
        state.monitor = Monitor::Absent;
    }

    /// A pool thread's body.
    fn thread_main(self: Arc<Self>) {
        CURRENT_POOL.with(|c| c.set(self.id));
        let _exit = ThreadExit(&self);
        let mut worker = Worker {
            inner: &self,
            slot: Arc::new(Slot::new()),
            phase: Phase::Starting,
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

/// With no thread left in the job loop, nobody will take the queued jobs:
/// drains them for the caller to cancel (after unlocking).
fn orphans(state: &mut State) -> Vec<Job> {
    if state.workers == 0 {
        state.queue.drain(..).collect()
    } else {
        Vec::new()
    }
}

/// Where a thread is in the accounting, so that an unwind (from `wrap`) can
/// undo exactly its share.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Counted in `workers`, not yet in the job loop.
    Starting,
    /// In the job loop (rules 2 and 3).
    Looping,
    /// Left the job loop by rule 2 or 3.
    Gone,
}

struct Worker<'a> {
    inner: &'a Inner,
    slot: Arc<Slot>,
    phase: Phase,
}

impl Worker<'_> {
    /// The job loop: rules 2 and 3.
    fn run(&mut self) {
        let inner = self.inner;
        let mut state = lock(&inner.state);
        state.starting -= 1;
        self.phase = Phase::Looping;
        loop {
            // Rule 2: the queue first (a queued job implies nobody idle).
            if let Some(job) = state.queue.pop_front() {
                drop(state);
                job.run();
                state = lock(&inner.state);
                state.completed += 1;
                continue;
            }
            if !state.open {
                state.workers -= 1;
                self.phase = Phase::Gone;
                return;
            }
            state.idle.push(self.slot.clone());
            drop(state);
            // A handed job is taken under the slot lock alone.
            if let Some(job) = self.park() {
                job.run();
                state = lock(&inner.state);
                state.completed += 1;
                continue;
            }
            // Rule 3: the expiry (or the close) is only a suggestion; look
            // at the slot again under both locks.
            state = lock(&inner.state);
            let handed = lock(&self.slot.mailbox).job.take();
            self.slot.handed.store(false, Ordering::Relaxed);
            let Some(job) = handed else {
                state.unidle(&self.slot);
                state.workers -= 1;
                self.phase = Phase::Gone;
                return;
            };
            drop(state);
            job.run();
            state = lock(&inner.state);
            state.completed += 1;
        }
    }

    /// Parks on the thread's slot until a job is handed to it (returned),
    /// the slot is closed or the keep-alive expires (`None`).
    fn park(&self) -> Option<Job> {
        let keep_alive = self.inner.config.keep_alive;
        let deadline = Instant::now().checked_add(keep_alive);
        self.spin_for_handoff();
        let mut mailbox = lock(&self.slot.mailbox);
        loop {
            if let Some(job) = mailbox.job.take() {
                self.slot.handed.store(false, Ordering::Relaxed);
                return Some(job);
            }
            if mailbox.closed {
                return None;
            }
            mailbox.sleeping = true;
            mailbox = match deadline {
                None => wait(&self.slot.ready, mailbox),
                Some(deadline) => {
                    let now = Instant::now();
                    // Under loom a zero keep-alive has expired here at
                    // once, and the wait below is untimed (never expires).
                    if now >= deadline {
                        mailbox.sleeping = false;
                        return None;
                    }
                    wait_timeout(&self.slot.ready, mailbox, deadline - now)
                }
            };
            mailbox.sleeping = false;
        }
    }

    /// Before sleeping, watches the slot for a handoff for up to
    /// [`SPIN`]: a job that arrives meanwhile (the next of a caller that
    /// spawns, awaits and spawns again) is taken without the sleep and the
    /// wake-up, which on a VM whose idle vCPU has halted cost tens of
    /// microseconds. Pure loads and `spin_loop` hints, no syscalls; a pool
    /// thread spins only after finishing a job with nothing queued.
    fn spin_for_handoff(&self) {
        if SPIN.is_zero() {
            return;
        }
        let start = Instant::now();
        loop {
            for _ in 0..64 {
                if self.slot.handed.load(Ordering::Acquire) {
                    return;
                }
                std::hint::spin_loop();
            }
            if start.elapsed() >= SPIN {
                return;
            }
        }
    }
}

impl Drop for Worker<'_> {
    /// Only an unwind from `wrap` gets here with the thread still counted
    /// (the start and stop hooks are contained, and so are jobs' panics):
    /// undo its share, and cancel the queue if it was the last thread.
    fn drop(&mut self) {
        if self.phase == Phase::Gone {
            return;
        }
        let mut state = lock(&self.inner.state);
        if self.phase == Phase::Starting {
            state.starting -= 1;
        }
        if self.phase == Phase::Looping {
            // Unreachable today; kept so that an unwind out of the loop
            // loses no handed job.
            state.unidle(&self.slot);
            if let Some(job) = lock(&self.slot.mailbox).job.take() {
                state.queue.push_front(job);
            }
        }
        state.workers -= 1;
        let orphans = orphans(&mut state);
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
        if !state.open {
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
        /// Idle threads (`idle.len()`).
        pub idle: usize,
        /// Queued jobs (`queue.len()`).
        pub queued: usize,
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
            idle: state.idle.len(),
            queued: state.queue.len(),
            threads: state.threads,
            threads_started: state.threads_started,
        }
    }
}
