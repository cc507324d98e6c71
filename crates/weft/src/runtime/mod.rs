//! The runtime: worker threads, their scheduler, and the handle to them.
//!
//! # Shutdown
//!
//! Dropping a [`Runtime`] (or [`Runtime::shutdown_timeout`]) runs this
//! sequence:
//!
//! 1. the scheduler's shutdown flag is raised and every worker unparked;
//! 2. each worker closes the owned-task list, which cancels every task,
//!    queued or parked on a waker, dropping its future on that worker
//!    thread; then it drops what is left in its queues and exits;
//! 3. the dropping thread waits for the workers (up to the timeout), then
//!    cancels whatever was spawned during shutdown and empties the injector,
//!    and drops the loop callbacks and timers that never ran (and any
//!    scheduled later);
//! 4. the blocking pool closes: queued closures are dropped (their handles
//!    resolve to `Cancelled`), running ones are waited for, within what is
//!    left of the timeout; threads still stuck after it finish on their own.
//!
//! After that, `spawn` through a leftover [`Handle`] returns a `JoinHandle`
//! that resolves to `Cancelled` at once.

mod builder;
pub(crate) mod callbacks;
pub(crate) mod context;
pub(crate) mod current_thread;
pub(crate) mod handle;
mod metrics;
mod threads;
pub(crate) mod unhandled;

use std::fmt;
use std::future::Future;
use std::io;
use std::sync::Arc;
use std::time::Duration;

pub use builder::Builder;
pub use builder::DEFAULT_SLOW_POLL_THRESHOLD;
pub use callbacks::{CallbackHandle, TimerHandle};
pub use context::EnterGuard;
pub use handle::{Handle, TryCurrentError};
pub use metrics::{RuntimeMetrics, WorkerMetrics};
pub use unhandled::UnhandledPanic;
pub use weft_executor::{SlowPoll, SlowPollKind, DEFAULT_HANDOFF};
pub use weft_task::PanicReport;

use crate::task::JoinHandle;

/// A multi-threaded async runtime: work-stealing workers, and the handle to
/// spawn onto them.
///
/// ```
/// let rt = weft::Runtime::new()?;
/// let sum = rt.block_on(async {
///     let tasks: Vec<_> = (0..10u64).map(|i| weft::spawn(async move { i * i })).collect();
///     let mut sum = 0;
///     for t in tasks {
///         sum += t.await.unwrap();
///     }
///     sum
/// });
/// assert_eq!(sum, 285);
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct Runtime {
    handle: Handle,
    threads: threads::Threads,
    shut_down: bool,
}

impl Runtime {
    /// A runtime with the default configuration: one worker per CPU.
    pub fn new() -> io::Result<Runtime> {
        Builder::new().build()
    }

    /// A [`Builder`] to configure a runtime.
    pub fn builder() -> Builder {
        Builder::new()
    }

    pub(crate) fn start(b: &Builder) -> io::Result<Runtime> {
        let id = builder::next_runtime_id();
        let debug = b.debug_enabled();
        let current_thread = b.flavor == builder::Flavor::CurrentThread;
        let reactor = Arc::new(weft_reactor::Reactor::new()?);
        let reactor_handle = reactor.handle();
        let mut threads = None;
        let mut workers = Vec::new();
        let handle = Handle {
            inner: Arc::new_cyclic(|weak: &std::sync::Weak<handle::Inner>| {
                let config = weft_executor::Config {
                    // A current-thread runtime is one worker whose loop runs
                    // on the thread inside `block_on` (`current_thread.rs`).
                    workers: if current_thread {
                        1
                    } else {
                        b.worker_threads
                            .unwrap_or_else(|| weft_executor::Config::default().workers)
                    },
                    global_queue_interval: b.global_queue_interval,
                    event_interval: b.event_interval,
                    // Nothing to hand a current-thread loop to: its thread is
                    // the caller's.
                    handoff: if current_thread { None } else { b.handoff },
                    slow_poll_threshold: b
                        .slow_poll_threshold
                        .or(debug.then_some(builder::DEFAULT_SLOW_POLL_THRESHOLD)),
                    on_slow_poll: b.on_slow_poll.clone(),
                    on_unhandled_panic: unhandled::hook(
                        b.on_unhandled_panic.clone(),
                        b.unhandled_panic,
                        weak.clone(),
                    ),
                    current_thread,
                    ..weft_executor::Config::default()
                };
                let (exec, w) = weft_executor::Handle::new(config, reactor);
                workers = w;
                let blocking = blocking_pool(b, weak.clone());
                threads = Some(threads::Threads::new(
                    weak.clone(),
                    threads::ThreadConfig {
                        name: b.thread_name.clone(),
                        stack_size: b.thread_stack_size,
                        on_start: b.on_thread_start.clone(),
                        on_stop: b.on_thread_stop.clone(),
                        keep_alive: b.thread_keep_alive,
                    },
                ));
                handle::Inner {
                    exec,
                    fatal: unhandled::Fatal::new(b.unhandled_panic),
                    local: if current_thread {
                        Some(current_thread::Loop::new(workers.pop().expect("one worker")))
                    } else {
                        None
                    },
                    reactor: reactor_handle,
                    blocking,
                    callbacks: callbacks::EventLoop::new(),
                    name: format!("{}#{id}", b.thread_name),
                }
            }),
        };
        let threads = threads.expect("set in new_cyclic");
        handle.inner.exec.set_thread_source(Arc::new(threads.clone()));
        // Host names given to bind/connect resolve on the blocking pool.
        let pool = handle.inner.blocking.clone();
        handle.inner.reactor.set_resolver(Arc::new(move |name: String| {
            let job = pool.spawn_blocking(move || crate::net::resolve_blocking(&name));
            Box::pin(async move { job.await? })
        }));
        let rt = Runtime {
            handle,
            threads,
            shut_down: false,
        };
        // Dropping `rt` on an error shuts down what was started.
        for worker in workers {
            rt.threads.start_worker(worker)?;
        }
        if let Some(monitor) = rt.handle.inner.exec.monitor() {
            rt.threads.start_helper("monitor", move || monitor.run())?;
        }
        Ok(rt)
    }

    /// Runs `future` on the current thread until it completes, while the
    /// workers run the spawned tasks; asyncio's `run_until_complete`.
    ///
    /// The future need not be `Send`. The calling thread sleeps while it is
    /// pending. Inside it, [`crate::spawn`] and [`Handle::current`] refer
    /// to this runtime.
    ///
    /// # Panics
    ///
    /// On a runtime worker thread (inside an async task): blocking a worker
    /// would stall its tasks. Use `.await` there, or `spawn_blocking`.
    ///
    /// ```
    /// let rt = weft::Runtime::new()?;
    /// assert_eq!(rt.block_on(async { weft::spawn(async { 2 }).await.unwrap() * 21 }), 42);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[track_caller]
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        self.handle.block_on(future)
    }

    /// Spawns a future onto the runtime from any thread.
    ///
    /// ```
    /// let rt = weft::Runtime::new()?;
    /// let h = rt.spawn(async { 3 });
    /// assert_eq!(rt.block_on(h).unwrap(), 3);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[track_caller]
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.handle.spawn(future)
    }

    /// The runtime's [`Handle`].
    pub fn handle(&self) -> &Handle {
        &self.handle
    }

    /// Makes the runtime current on this thread until the guard drops.
    pub fn enter(&self) -> EnterGuard<'_> {
        self.handle.enter()
    }

    /// Runs `f` on the runtime's blocking pool; see [`crate::spawn_blocking`].
    ///
    /// ```
    /// let rt = weft::Runtime::new()?;
    /// let h = rt.spawn_blocking(|| 2 + 2);
    /// assert_eq!(rt.block_on(h).unwrap(), 4);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[track_caller]
    pub fn spawn_blocking<F, R>(&self, f: F) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        self.handle.spawn_blocking(f)
    }

    /// A snapshot of the runtime's metrics.
    pub fn metrics(&self) -> RuntimeMetrics {
        self.handle.metrics()
    }

    /// Shuts the runtime down, waiting at most `timeout` for the workers.
    ///
    /// Every task is cancelled. Workers still busy in a poll when the
    /// timeout expires (a task that blocks its thread) are left to finish
    /// on their own; their tasks are cancelled when the poll returns.
    ///
    /// ```
    /// use std::time::Duration;
    /// let rt = weft::Runtime::new()?;
    /// rt.spawn(std::future::pending::<()>());
    /// rt.shutdown_timeout(Duration::from_secs(1));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn shutdown_timeout(mut self, timeout: Duration) {
        self.shutdown(Some(timeout));
    }

    /// Shuts the runtime down without waiting for its workers.
    pub fn shutdown_background(mut self) {
        self.shutdown(Some(Duration::ZERO));
    }

    fn shutdown(&mut self, timeout: Option<Duration>) {
        if self.shut_down {
            return;
        }
        self.shut_down = true;
        let deadline = timeout.map(|t| std::time::Instant::now() + t);
        let remaining = || deadline.map(|d| d.saturating_duration_since(std::time::Instant::now()));
        let exec = &self.handle.inner.exec;
        exec.shutdown();
        if let Some(lp) = &self.handle.inner.local {
            // The loop's tasks are cancelled on this thread (or by the
            // thread inside `block_on`, which sees the flag).
            lp.shutdown();
        }
        // Joins every thread that has left the runtime's code in time; a
        // thread stuck in a poll past the timeout finishes on its own.
        self.threads.shutdown(remaining());
        exec.finish_shutdown();
        // Callbacks and timers never run now: dropped, like the futures.
        self.handle.inner.callbacks.close();
        // Queued blocking closures are dropped (their handles resolve to
        // Cancelled); running ones are waited for, within what is left of
        // the timeout.
        self.handle.inner.blocking.shutdown(remaining());
    }
}

/// The runtime's blocking pool: threads named `NAME-blocking-N`, with the
/// runtime entered so `Handle::current()` works inside closures.
fn blocking_pool(b: &Builder, runtime: std::sync::Weak<handle::Inner>) -> weft_blocking::BlockingPool {
    let runtime_for_hook = runtime.clone();
    let wrap = move |body: &mut dyn FnMut()| match runtime.upgrade() {
        Some(inner) => {
            let handle = Handle { inner };
            let _cx = handle.enter();
            body();
        }
        // The runtime is gone: run the body unwrapped (it will find the
        // pool closed and exit).
        None => body(),
    };
    weft_blocking::BlockingPool::new(weft_blocking::PoolConfig {
        max_threads: b.max_blocking_threads,
        keep_alive: b.thread_keep_alive,
        thread_name: b.blocking_name(),
        stack_size: b.thread_stack_size,
        on_thread_start: b.on_thread_start.clone(),
        on_thread_stop: b.on_thread_stop.clone(),
        wrap: Some(Arc::new(wrap)),
        on_unhandled_panic: unhandled::hook(
            b.on_unhandled_panic.clone(),
            b.unhandled_panic,
            runtime_for_hook,
        ),
    })
}

impl Drop for Runtime {
    fn drop(&mut self) {
        if self.shut_down {
            return;
        }
        if weft_executor::is_worker_thread() {
            if std::thread::panicking() {
                self.shutdown(Some(Duration::ZERO));
                return;
            }
            self.shutdown(Some(Duration::ZERO));
            panic!(
                "a weft Runtime was dropped inside an async context (on a runtime worker thread). \
                 Dropping waits for the runtime's threads, which would block this worker. Drop the \
                 runtime from the thread that created it, or move it into \
                 `weft::spawn_blocking`; it has been shut down without waiting"
            );
        }
        self.shutdown(None);
    }
}

impl fmt::Debug for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Runtime").field("handle", &self.handle).finish()
    }
}
