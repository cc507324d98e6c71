//! The executor's shared state and its [`Handle`]: spawning, scheduling,
//! shutdown.
//!
//! # Placement
//!
//! [`Schedule::schedule`] (a wake) and spawns decide where a task goes:
//!
//! * on a worker thread of this executor, to that worker: a wake goes to
//!   the LIFO slot (the previous occupant to the back of the local queue),
//!   a spawn or a yield to the back of the local queue;
//! * anywhere else, to the injector, then a sleeping worker is woken.
//!
//! # Shutdown
//!
//! [`Handle::shutdown`] raises the flag and unparks every worker. Each
//! worker, on seeing it, closes the owned-task list (cancelling every task,
//! so futures are dropped on a runtime thread), drops what is left in its
//! own queues and exits. [`Handle::finish_shutdown`], called after the
//! workers are gone, closes the list again (for tasks spawned during
//! shutdown), empties the injector and shuts the driver down. A remote
//! schedule that races it re-checks the flag after pushing and empties the
//! injector itself, so no task is left in a queue that nobody drains.

use std::fmt;
use std::future::Future;
use std::sync::OnceLock;
use std::time::Duration;

use weft_task::{Id, JoinHandle, Notified, OwnedTasks, PanicReport, Schedule, Task, TaskMeta};

use crate::core_cell::CoreCell;
use crate::driver::Driver;
use crate::idle::Idle;
use crate::metrics::{ExecutorMetrics, WorkerCounters};
use crate::monitor::{Monitor, MonitorPark, ThreadSource};
use crate::park::{DriverSlot, Parker};
use crate::queue::{Injector, Stealer};
use crate::slow::{SlowPollHook, SlowWatch};
use crate::sync::{fence, Arc, AtomicBool, Ordering};
use crate::worker::{self, Core};

/// The default handoff threshold: a poll running this long has its worker
/// handed to another thread.
///
/// 10 ms: Go's scheduler preempts a goroutine after 10 ms and retakes a P
/// blocked in a syscall after 20 us to 10 ms. A well-behaved poll takes
/// microseconds, so 10 ms is three orders of magnitude past normal and a
/// handoff (a thread wake, a few tens of microseconds) is rare and cheap
/// beside what it saves; yet a blocked worker costs its tasks at most about
/// 15 ms (detection comes within 1.5 thresholds), well under what a user
/// notices and under the 20 ms cap the design allows. A CPU-heavy poll of
/// a few milliseconds (parsing, compressing a response) is left alone.
pub const DEFAULT_HANDOFF: Duration = Duration::from_millis(10);

/// Tunables of the scheduler. [`Config::default`] gives tokio's values,
/// with automatic handoff on.
#[derive(Clone)]
pub struct Config {
    /// Number of worker threads (at least 1).
    pub workers: usize,
    /// Every this many ticks a worker takes from the injector before its
    /// own queue, so work from outside is never starved by local work.
    /// 61, as tokio: a prime, so it does not beat with the event interval
    /// or with periodic task patterns, and small enough that outside work
    /// waits at most ~61 task polls.
    pub global_queue_interval: u32,
    /// Every this many ticks a busy worker polls the driver without
    /// blocking, so I/O and timers are not starved. 61, as tokio.
    pub event_interval: u32,
    /// Consecutive polls from the LIFO slot before its task must go to the
    /// back of the queue. 3, as tokio: enough to keep a message-passing
    /// pair hot, too few for a ping-pong pair to starve the queue.
    pub max_lifo_polls: u32,
    /// The handoff threshold: a worker stuck this long in one poll has its
    /// queues moved to another thread (see `monitor.rs`). `None`: off.
    /// Needs a [`ThreadSource`] ([`Handle::set_thread_source`]) and a
    /// thread running [`Handle::monitor`].
    pub handoff: Option<Duration>,
    /// Debug mode's threshold: polls that run, and tasks that wait to be
    /// polled, at least this long are reported. `None`: no reports.
    pub slow_poll_threshold: Option<Duration>,
    /// Receives the reports; without it they are printed on stderr.
    pub on_slow_poll: Option<std::sync::Arc<SlowPollHook>>,
    /// Receives every panic no `JoinHandle` will hand to the user (see
    /// [`Schedule::unhandled_panic`]); without it they are dropped (the std
    /// panic hook has printed them already).
    pub on_unhandled_panic: Option<std::sync::Arc<UnhandledPanicHook>>,
    /// One worker whose loop the caller runs with [`Worker::run_until`]
    /// on the thread inside `block_on` (a current-thread runtime), instead
    /// of a thread of its own. `block_in_place` panics on it.
    pub current_thread: bool,
}

/// What [`Config::on_unhandled_panic`] holds.
pub type UnhandledPanicHook = dyn Fn(&PanicReport) + Send + Sync + 'static;

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("workers", &self.workers)
            .field("global_queue_interval", &self.global_queue_interval)
            .field("event_interval", &self.event_interval)
            .field("max_lifo_polls", &self.max_lifo_polls)
            .field("handoff", &self.handoff)
            .field("slow_poll_threshold", &self.slow_poll_threshold)
            .field("on_slow_poll", &self.on_slow_poll.is_some())
            .field("on_unhandled_panic", &self.on_unhandled_panic.is_some())
            .field("current_thread", &self.current_thread)
            .finish()
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            workers: num_cpus::get().max(1),
            global_queue_interval: 61,
            event_interval: 61,
            max_lifo_polls: 3,
            handoff: Some(DEFAULT_HANDOFF),
            slow_poll_threshold: None,
            on_slow_poll: None,
            on_unhandled_panic: None,
            current_thread: false,
        }
    }
}

/// What every worker and handle share.
pub(crate) struct Shared {
    pub(crate) injector: Injector<Notified<Handle>>,
    pub(crate) remotes: Box<[Remote]>,
    pub(crate) idle: Idle,
    pub(crate) owned: OwnedTasks<Handle>,
    pub(crate) driver: DriverSlot,
    pub(crate) shutdown: AtomicBool,
    pub(crate) config: Config,
    /// Automatic handoff is on: polls publish themselves to the monitor.
    pub(crate) monitored: bool,
    /// Where handed-off workers get their threads.
    pub(crate) threads: OnceLock<std::sync::Arc<dyn ThreadSource>>,
    /// Handoffs so far (the monitor's and `block_in_place`'s).
    pub(crate) handoffs: std::sync::atomic::AtomicU64,
    pub(crate) monitor_park: MonitorPark,
    /// Debug mode, if on.
    pub(crate) slow: Option<SlowWatch>,
}

/// What other threads may touch of one worker, and its core.
pub(crate) struct Remote {
    pub(crate) stealer: Stealer<Notified<Handle>>,
    pub(crate) parker: Parker,
    pub(crate) counters: WorkerCounters,
    /// The worker's queues, owned by one thread at a time (`core_cell.rs`).
    pub(crate) core: CoreCell<Core>,
}

/// A handle to the executor: spawn onto it, shut it down. Cheap to clone.
///
/// It is also the scheduler hook stored in every task.
#[derive(Clone)]
pub struct Handle {
    pub(crate) shared: Arc<Shared>,
}

/// One worker, to be run on a thread of the caller's making with
/// [`Worker::run`]: the right to own worker `index`'s core, as one owner
/// generation.
pub struct Worker {
    pub(crate) handle: Handle,
    pub(crate) index: usize,
    pub(crate) gen: u32,
}

impl Handle {
    /// Builds an executor: a handle and the workers to run.
    ///
    /// The caller starts one thread per [`Worker`] and calls
    /// [`Worker::run`] on it; that is where thread names, hooks and
    /// thread-local contexts go. Tasks spawned before the workers start
    /// wait in the queues.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use weft_executor::{block_on, CondvarDriver, Config, Handle};
    ///
    /// let config = Config { workers: 2, ..Config::default() };
    /// let (handle, workers) = Handle::new(config, Arc::new(CondvarDriver::new()));
    /// let threads: Vec<_> = workers.into_iter().map(|w| std::thread::spawn(move || w.run())).collect();
    /// let answer = block_on(handle.spawn(async { 42 })).unwrap();
    /// assert_eq!(answer, 42);
    /// handle.shutdown();
    /// for t in threads { t.join().unwrap(); }
    /// handle.finish_shutdown();
    /// ```
    pub fn new(config: Config, driver: std::sync::Arc<dyn Driver>) -> (Handle, Vec<Worker>) {
        let n = if config.current_thread {
            1
        } else {
            config.workers.max(1)
        };
        let handoff = if config.current_thread {
            None
        } else {
            config.handoff
        };
        let config = Config {
            workers: n,
            handoff,
            ..config
        };
        let remotes = (0..n)
            .map(|i| {
                let core = Core::new(i);
                Remote {
                    stealer: core.stealer(),
                    parker: Parker::new(),
                    counters: WorkerCounters::default(),
                    core: CoreCell::new(core),
                }
            })
            .collect();
        let monitored = config.handoff.is_some();
        let slow = config
            .slow_poll_threshold
            .map(|t| SlowWatch::new(t, config.on_slow_poll.clone()));
        let shared = Arc::new(Shared {
            injector: Injector::new(),
            remotes,
            idle: Idle::new(n),
            // Four shards per worker keep the list's locks uncontended. Under
            // loom, one: the shard is picked by task id, a process-wide
            // counter that would make the models non-deterministic.
            owned: OwnedTasks::new(if cfg!(loom) { 1 } else { n * 4 }),
            driver: DriverSlot::new(driver),
            shutdown: AtomicBool::new(false),
            config,
            monitored,
            threads: OnceLock::new(),
            handoffs: std::sync::atomic::AtomicU64::new(0),
            monitor_park: MonitorPark::new(),
            slow,
        });
        let handle = Handle { shared };
        let workers = (0..n)
            .map(|index| Worker {
                handle: handle.clone(),
                index,
                gen: 0,
            })
            .collect();
        (handle, workers)
    }

    /// Spawns a future onto the executor.
    ///
    /// From a worker thread the task goes to that worker's queue; from
    /// anywhere else, to the injector. After shutdown the future is dropped
    /// at once and the handle resolves to `Cancelled`.
    #[track_caller]
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.spawn_with(future, TaskMeta::new(Id::next()))
    }

    /// Spawns a future with the given id, name and spawn location.
    pub fn spawn_with<F>(&self, future: F, meta: TaskMeta) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let meta = meta.with_wake_tracking(self.shared.slow.is_some());
        if self.is_shutdown() {
            // The workers close the list when they see the flag; a spawn
            // that sees it first closes the list itself, so its future is
            // dropped here and never polled (as the docs promise).
            self.shared.owned.close_and_shutdown_all();
        }
        let (join, notified) = self.shared.owned.bind(future, self.clone(), meta);
        if let Some(task) = notified {
            self.schedule_task(task, worker::Placement::Back);
        }
        join
    }

    pub(crate) fn schedule_task(&self, task: Notified<Handle>, placement: worker::Placement) {
        if let Some(slow) = &self.shared.slow {
            task.mark_woken(slow.now());
        }
        if let Err(task) = worker::schedule_local(self, task, placement) {
            self.schedule_remote(task);
        }
    }

    /// Pushes to the injector and wakes a sleeper.
    pub(crate) fn schedule_remote(&self, task: Notified<Handle>) {
        self.shared.injector.push(task);
        // Pairs with the fence in `finish_shutdown`: either it sees our
        // push, or we see its flag and empty the injector ourselves.
        fence(Ordering::SeqCst);
        if self.shared.shutdown.load(Ordering::SeqCst) {
            self.drain_injector();
            return;
        }
        self.notify_parked();
    }

    /// Wakes one sleeping worker if the idle protocol says one should be.
    pub(crate) fn notify_parked(&self) {
        if let Some(index) = self.shared.idle.worker_to_notify() {
            self.shared.remotes[index].parker.unpark(&self.shared.driver);
        }
    }

    /// Idle rule 4: wake a worker if any queue holds work.
    pub(crate) fn notify_if_work_pending(&self) {
        let pending =
            self.shared.remotes.iter().any(|r| !r.stealer.is_empty()) || !self.shared.injector.is_empty();
        if pending {
            self.notify_parked();
        }
    }

    /// `true` once [`shutdown`](Handle::shutdown) has been called.
    pub fn is_shutdown(&self) -> bool {
        self.shared.shutdown.load(Ordering::Acquire)
    }

    /// Starts shutting down: workers cancel every task and exit.
    ///
    /// Returns at once; join the worker threads, then call
    /// [`finish_shutdown`](Handle::finish_shutdown).
    pub fn shutdown(&self) {
        if self.shared.shutdown.swap(true, Ordering::SeqCst) {
            return;
        }
        for remote in self.shared.remotes.iter() {
            remote.parker.unpark(&self.shared.driver);
        }
        self.shared.monitor_park.wake();
    }

    /// Where handed-off workers (automatic handoff, `block_in_place`) get
    /// their threads. Set once, before tasks run; without it no handoff
    /// happens.
    ///
    /// # Panics
    ///
    /// If a thread source was already set.
    pub fn set_thread_source(&self, source: std::sync::Arc<dyn ThreadSource>) {
        if self.shared.threads.set(source).is_err() {
            panic!("weft: the executor's thread source was already set");
        }
    }

    /// The monitor that hands off stuck workers, if handoff is on
    /// ([`Config::handoff`]); run it on a thread of its own with
    /// [`Monitor::run`].
    pub fn monitor(&self) -> Option<Monitor> {
        let threshold = self.shared.config.handoff?;
        Some(Monitor::new(self.clone(), threshold))
    }

    /// Finishes shutdown after the workers have exited (or been given up
    /// on): cancels tasks spawned meanwhile, empties the injector, and
    /// shuts the driver down.
    pub fn finish_shutdown(&self) {
        self.shutdown();
        fence(Ordering::SeqCst);
        self.shared.owned.close_and_shutdown_all();
        self.drain_injector();
        self.shared.driver.driver().shutdown();
    }

    fn drain_injector(&self) {
        while let Some(task) = self.shared.injector.pop() {
            // Every task was cancelled by the closed list: dropping the
            // notification only drops a reference.
            drop(task);
        }
    }

    /// `true` if the current thread is one of this executor's workers.
    pub fn is_current_worker(&self) -> bool {
        worker::current_worker_of(self).is_some()
    }

    /// The index of the current thread's worker, if it is one of ours.
    pub fn current_worker_index(&self) -> Option<usize> {
        worker::current_worker_of(self)
    }

    /// Number of worker threads.
    pub fn num_workers(&self) -> usize {
        self.shared.remotes.len()
    }

    /// A snapshot of the scheduler's counters and queue depths.
    pub fn metrics(&self) -> ExecutorMetrics {
        ExecutorMetrics::collect(&self.shared)
    }

    /// Hands `report` to [`Config::on_unhandled_panic`], containing a panic
    /// of the hook itself. Used for the executor's own tasks and by the
    /// runtime for panics of other code it runs for the user (callbacks).
    pub fn report_unhandled_panic(&self, report: &PanicReport) {
        if let Some(hook) = &self.shared.config.on_unhandled_panic {
            weft_task::foreign::contain("an unhandled-panic handler", || hook(report));
        }
    }

    /// `true` if both handles are the same executor.
    pub fn ptr_eq(&self, other: &Handle) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared)
    }
}

impl Schedule for Handle {
    fn schedule(&self, task: Notified<Self>) {
        self.schedule_task(task, worker::Placement::Lifo);
    }

    fn release(&self, task: &Task<Self>) -> Option<Task<Self>> {
        self.shared.owned.remove(task)
    }

    fn yield_now(&self, task: Notified<Self>) {
        // A task that yielded until the driver runs is held back; one woken
        // during its poll by someone else goes behind the queued work.
        let placement = if weft_task::coop::take_deferred() {
            worker::Placement::Defer
        } else {
            worker::Placement::Back
        };
        self.schedule_task(task, placement);
    }

    fn unhandled_panic(&self, report: &PanicReport) {
        self.report_unhandled_panic(report);
    }
}

impl fmt::Debug for Handle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Handle")
            .field("workers", &self.num_workers())
            .finish_non_exhaustive()
    }
}

impl fmt::Debug for Worker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Worker")
            .field("index", &self.index)
            .finish_non_exhaustive()
    }
}
