//! Scheduler metrics: per-worker counters and queue depths.
//!
//! Counters are written only by their worker (a relaxed load and store, no
//! read-modify-write on the hot path) and read by anyone.

use crate::handle::Shared;
use crate::sync::{AtomicU64, Ordering::Relaxed};

/// A monotonically increasing counter written by one thread.
#[derive(Default)]
pub(crate) struct Counter(AtomicU64);

impl Counter {
    pub(crate) fn inc(&self) {
        self.0.store(self.0.load(Relaxed) + 1, Relaxed);
    }

    pub(crate) fn get(&self) -> u64 {
        self.0.load(Relaxed)
    }
}

#[derive(Default)]
pub(crate) struct WorkerCounters {
    pub(crate) polls: Counter,
    pub(crate) steals: Counter,
    pub(crate) parks: Counter,
}

/// One worker's figures at the time of the snapshot.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct WorkerMetrics {
    /// Tasks polled by this worker since it started.
    pub polls: u64,
    /// Successful steals from other workers' queues.
    pub steals: u64,
    /// Times the worker went to sleep for lack of work.
    pub parks: u64,
    /// Tasks waiting in the worker's local queue (not counting its LIFO slot).
    pub local_queue_depth: usize,
}

/// A snapshot of the scheduler.
///
/// ```
/// use std::sync::Arc;
/// use weft_executor::{CondvarDriver, Config, Handle};
/// let (handle, _workers) = Handle::new(Config { workers: 2, ..Config::default() }, Arc::new(CondvarDriver::new()));
/// let m = handle.metrics();
/// assert_eq!(m.workers.len(), 2);
/// assert_eq!(m.injector_depth, 0);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ExecutorMetrics {
    /// Per worker, by index.
    pub workers: Vec<WorkerMetrics>,
    /// Tasks waiting in the injector (work from outside the workers).
    pub injector_depth: usize,
    /// Tasks alive: spawned and not yet completed.
    pub alive_tasks: usize,
    /// Workers searching for work to steal right now.
    pub searching_workers: usize,
    /// Workers handed to another thread so far (a poll stuck past the
    /// handoff threshold, or `block_in_place`).
    pub handoffs: u64,
}

impl ExecutorMetrics {
    pub(crate) fn collect(shared: &Shared) -> ExecutorMetrics {
        ExecutorMetrics {
            workers: shared
                .remotes
                .iter()
                .map(|r| WorkerMetrics {
                    polls: r.counters.polls.get(),
                    steals: r.counters.steals.get(),
                    parks: r.counters.parks.get(),
                    local_queue_depth: r.stealer.len(),
                })
                .collect(),
            injector_depth: shared.injector.len(),
            alive_tasks: shared.owned.len(),
            searching_workers: shared.idle.num_searching_now(),
            handoffs: shared.handoffs.load(std::sync::atomic::Ordering::Relaxed),
        }
    }
}
