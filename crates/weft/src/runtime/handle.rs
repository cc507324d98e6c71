//! `Handle`: a cheap, cloneable reference to a runtime.

use std::fmt;
use std::future::Future;
use std::sync::Arc;

use crate::runtime::context::{self, EnterGuard};
use crate::runtime::metrics::RuntimeMetrics;
use crate::task::JoinHandle;

/// A handle to a runtime: spawn onto it, enter it, block on it.
///
/// `Clone + Send + Sync`; get one with [`Handle::current`] inside the
/// runtime or [`Runtime::handle`](crate::Runtime::handle) outside it. A
/// handle does not keep the runtime's threads alive: once the `Runtime` is
/// dropped, tasks spawned through a handle are cancelled at once.
///
/// ```
/// let rt = weft::Runtime::builder().worker_threads(2).build()?;
/// let handle = rt.handle().clone();
/// let out = std::thread::spawn(move || handle.block_on(async { 7 })).join().unwrap();
/// assert_eq!(out, 7);
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Clone)]
pub struct Handle {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) exec: weft_executor::Handle,
    /// Set once an unhandled panic has shut the runtime down.
    pub(crate) fatal: super::unhandled::Fatal,
    /// A current-thread runtime's loop, run by the thread inside `block_on`.
    pub(crate) local: Option<super::current_thread::Loop>,
    pub(crate) reactor: weft_reactor::Handle,
    pub(crate) blocking: weft_blocking::BlockingPool,
    /// `call_soon`, `call_later`, `run_forever` (`callbacks.rs`).
    pub(crate) callbacks: crate::runtime::callbacks::EventLoop,
    pub(crate) name: String,
}

/// The error of [`Handle::try_current`]: no runtime is entered here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TryCurrentError(());

impl fmt::Display for TryCurrentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(NO_RUNTIME)
    }
}

impl std::error::Error for TryCurrentError {}

pub(crate) use weft_executor::context::NO_RUNTIME;

impl Handle {
    /// The handle of the runtime this thread is in.
    ///
    /// # Panics
    ///
    /// Outside a runtime, with a message naming the fix. Use
    /// [`Handle::try_current`] to get an error instead.
    ///
    /// ```
    /// let rt = weft::Runtime::new()?;
    /// rt.block_on(async {
    ///     let h = weft::runtime::Handle::current();
    ///     h.spawn(async { 1 }).await.unwrap();
    /// });
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[track_caller]
    pub fn current() -> Handle {
        match context::current() {
            Some(h) => h,
            None => panic!("Handle::current(): {NO_RUNTIME}"),
        }
    }

    /// The handle of the runtime this thread is in, or an error outside one.
    ///
    /// ```
    /// assert!(weft::runtime::Handle::try_current().is_err());
    /// ```
    pub fn try_current() -> Result<Handle, TryCurrentError> {
        context::current().ok_or(TryCurrentError(()))
    }

    /// Spawns a future onto the runtime; see [`crate::spawn`].
    ///
    /// ```
    /// let rt = weft::Runtime::new()?;
    /// let h = rt.handle().spawn(async { "hi" });
    /// assert_eq!(rt.block_on(h).unwrap(), "hi");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[track_caller]
    pub fn spawn<F>(&self, future: F) -> JoinHandle<F::Output>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.inner.exec.spawn(future)
    }

    /// Runs `f` on the runtime's blocking pool; see [`crate::spawn_blocking`].
    ///
    /// ```
    /// let rt = weft::Runtime::new()?;
    /// let h = rt.handle().spawn_blocking(|| std::thread::current().name().map(str::to_owned));
    /// let name = rt.block_on(h).unwrap().unwrap();
    /// assert!(name.starts_with("weft-blocking-"), "{name}");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[track_caller]
    pub fn spawn_blocking<F, R>(&self, f: F) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        self.inner.blocking.spawn_blocking(f)
    }

    /// Runs `f` on a pool of the user's; see [`crate::run_in_executor`].
    #[track_caller]
    pub fn run_in_executor<F, R>(&self, pool: &crate::blocking::ThreadPool, f: F) -> JoinHandle<R>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        pool.spawn(f)
    }

    /// Runs `future` on the current thread until it completes, inside this
    /// runtime's context; see [`Runtime::block_on`](crate::Runtime::block_on).
    ///
    /// # Panics
    ///
    /// On a runtime worker thread (inside an async task).
    #[track_caller]
    pub fn block_on<F: Future>(&self, future: F) -> F::Output {
        if weft_executor::is_worker_thread() {
            panic!(
                "block_on was called on a weft worker thread (inside an async task). Blocking a \
                 worker stalls every task queued on it and can deadlock the runtime: use `.await` \
                 instead, or move the blocking call to the blocking pool with \
                 `weft::spawn_blocking(move || handle.block_on(fut))`"
            );
        }
        let _guard = self.enter();
        let inner = &*self.inner;
        let future = std::pin::pin!(future);
        let mut future = super::unhandled::Watched::new(&inner.fatal, future);
        if let Some(lp) = &inner.local {
            let set = lp.local_set(&inner.exec);
            if let Some(out) = lp.block_on(weft_executor::local::RunLocal::new(set, &mut future)) {
                return out;
            }
            // Shut down meanwhile: the tasks are cancelled; finish the
            // future on this thread alone.
        }
        weft_executor::block_on(future)
    }

    /// Makes this runtime current on this thread until the guard drops, so
    /// that [`crate::spawn`] and [`Handle::current`] work outside
    /// `block_on`.
    ///
    /// ```
    /// let rt = weft::Runtime::new()?;
    /// let _guard = rt.handle().enter();
    /// let h = weft::spawn(async { 5 });
    /// assert_eq!(rt.block_on(h).unwrap(), 5);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn enter(&self) -> EnterGuard<'_> {
        context::enter(self)
    }

    /// A snapshot of the runtime's metrics.
    ///
    /// ```
    /// let rt = weft::Runtime::builder().worker_threads(2).build()?;
    /// assert_eq!(rt.handle().metrics().num_workers(), 2);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn metrics(&self) -> RuntimeMetrics {
        RuntimeMetrics::collect(self)
    }

    /// Gives `report` to the runtime's unhandled-panic handler and policy
    /// (for panics of code the runtime runs outside a task: callbacks).
    pub(crate) fn report_unhandled_panic(&self, report: &weft_task::PanicReport) {
        self.inner.exec.report_unhandled_panic(report);
    }

    /// `true` if both handles refer to the same runtime.
    pub fn ptr_eq(&self, other: &Handle) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }
}

impl fmt::Debug for Handle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Handle")
            .field("name", &self.inner.name)
            .field("workers", &self.inner.exec.num_workers())
            .finish()
    }
}
