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

use weft_task::{Id, JoinHandle, Notified, OwnedTasks, Schedule, Task, TaskMeta};

use crate::driver::Driver;
use crate::idle::Idle;
use crate::metrics::{ExecutorMetrics, WorkerCounters};
use crate::park::{DriverSlot, Parker};
use crate::queue::{Injector, Stealer};
use crate::sync::{fence, Arc, AtomicBool, Ordering};
use crate::worker::{self, Core};

/// Tunables of the scheduler. [`Config::default`] gives tokio's values.
#[derive(Clone, Debug)]
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
}

impl Default for Config {
    fn default() -> Self {
        Config {
            workers: num_cpus::get().max(1),
            global_queue_interval: 61,
            event_interval: 61,
            max_lifo_polls: 3,
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
}

/// What other threads may touch of one worker.
pub(crate) struct Remote {
    pub(crate) stealer: Stealer<Notified<Handle>>,
    pub(crate) parker: Parker,
    pub(crate) counters: WorkerCounters,
}

/// A handle to the executor: spawn onto it, shut it down. Cheap to clone.
///
/// It is also the scheduler hook stored in every task.
#[derive(Clone)]
pub struct Handle {
    pub(crate) shared: Arc<Shared>,
}

/// One worker, to be run on a thread of the caller's making with
/// [`Worker::run`].
pub struct Worker {
    pub(crate) handle: Handle,
    pub(crate) index: usize,
    pub(crate) core: Core,
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
        let n = config.workers.max(1);
        let config = Config { workers: n, ..config };
        let cores: Vec<Core> = (0..n).map(|_| Core::new()).collect();
        let remotes = cores
            .iter()
            .map(|c| Remote {
                stealer: c.stealer(),
                parker: Parker::new(),
                counters: WorkerCounters::default(),
            })
            .collect();
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
        });
        let handle = Handle { shared };
        let workers = cores
            .into_iter()
            .enumerate()
            .map(|(index, core)| Worker {
                handle: handle.clone(),
                index,
                core,
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
        let (join, notified) = self.shared.owned.bind(future, self.clone(), meta);
        if let Some(task) = notified {
            self.schedule_task(task, worker::Placement::Back);
        }
        join
    }

    pub(crate) fn schedule_task(&self, task: Notified<Handle>, placement: worker::Placement) {
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

    pub(crate) fn is_shutdown(&self) -> bool {
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
