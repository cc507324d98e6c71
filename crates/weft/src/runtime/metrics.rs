//! `RuntimeMetrics`: what the runtime is doing, in numbers.

use super::Handle;

pub use weft_executor::WorkerMetrics;

/// A snapshot of a runtime's scheduler and its blocking pool.
///
/// ```
/// let rt = weft::Runtime::builder().worker_threads(2).build()?;
/// rt.block_on(async { weft::spawn(async {}).await.unwrap() });
/// let m = rt.metrics();
/// assert_eq!(m.workers().len(), 2);
/// assert!(m.total_polls() >= 1);
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct RuntimeMetrics {
    exec: weft_executor::ExecutorMetrics,
    blocking: weft_blocking::BlockingMetrics,
}

impl RuntimeMetrics {
    pub(crate) fn collect(handle: &Handle) -> RuntimeMetrics {
        RuntimeMetrics {
            exec: handle.inner.exec.metrics(),
            blocking: handle.inner.blocking.metrics(),
        }
    }

    /// Number of worker threads.
    pub fn num_workers(&self) -> usize {
        self.exec.workers.len()
    }

    /// Per-worker polls, steals, parks and local queue depth.
    pub fn workers(&self) -> &[WorkerMetrics] {
        &self.exec.workers
    }

    /// Tasks polled by all workers.
    pub fn total_polls(&self) -> u64 {
        self.exec.workers.iter().map(|w| w.polls).sum()
    }

    /// Tasks waiting in the injector (spawned or woken from outside the
    /// workers, not yet picked up).
    pub fn injector_depth(&self) -> usize {
        self.exec.injector_depth
    }

    /// Tasks alive: spawned and not yet finished.
    pub fn alive_tasks(&self) -> usize {
        self.exec.alive_tasks
    }

    /// How many times a worker was handed to another thread: its poll was
    /// stuck past the handoff threshold (`Builder::handoff`), or it called
    /// [`block_in_place`](crate::task::block_in_place).
    pub fn handoffs(&self) -> u64 {
        self.exec.handoffs
    }

    /// Blocking-pool threads alive (running a closure or idle).
    pub fn blocking_threads(&self) -> usize {
        self.blocking.threads_alive
    }

    /// Blocking-pool threads idle, waiting for a closure.
    pub fn idle_blocking_threads(&self) -> usize {
        self.blocking.threads_idle
    }

    /// Blocking closures queued, waiting for a thread.
    pub fn blocking_queue_depth(&self) -> usize {
        self.blocking.queue_depth
    }

    /// Everything the blocking pool reports.
    pub fn blocking(&self) -> &weft_blocking::BlockingMetrics {
        &self.blocking
    }
}
