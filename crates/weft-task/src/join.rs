//! `JoinHandle` and `AbortHandle`: the user's side of a task.

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::raw::RawTask;
use crate::{coop, Id, JoinError};

/// An owned permission to await a task's output.
///
/// Awaiting it gives `Ok(output)`, or a [`JoinError`] if the task panicked
/// or was cancelled. Dropping it **detaches** the task: the task keeps
/// running and its output is dropped when it finishes.
///
/// ```
/// let rt = weft::Runtime::new()?;
/// let handle: weft::task::JoinHandle<u32> = rt.spawn(async { 6 * 7 });
/// assert_eq!(rt.block_on(handle)?, 42);
///
/// // A panic comes back as a JoinError.
/// let err = rt.block_on(rt.spawn(async { panic!("boom") })).unwrap_err();
/// assert!(err.is_panic());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct JoinHandle<T> {
    raw: RawTask,
    _output: PhantomData<T>,
}

// SAFETY: the handle only hands out `T` by value, which needs `T: Send` to
// cross threads; the task's state is shared through atomics.
unsafe impl<T: Send> Send for JoinHandle<T> {}
// SAFETY: `&JoinHandle` only reads the state word or aborts (both atomic).
unsafe impl<T: Send> Sync for JoinHandle<T> {}

impl<T> Unpin for JoinHandle<T> {}

impl<T> JoinHandle<T> {
    /// # Safety
    ///
    /// `raw` carries one reference and `JOIN_INTEREST`, for a task whose
    /// output is `T`.
    pub(crate) unsafe fn from_raw(raw: RawTask) -> JoinHandle<T> {
        JoinHandle {
            raw,
            _output: PhantomData,
        }
    }

    /// Cancels the task.
    ///
    /// An idle task is scheduled once so that its future is dropped on a
    /// scheduler thread; a running task is cancelled when its current poll
    /// returns; a finished task is unaffected. Awaiting the handle then
    /// gives `JoinError::Cancelled` unless the task finished first.
    ///
    /// ```
    /// let rt = weft::Runtime::builder().worker_threads(1).build()?;
    /// let handle = rt.spawn(std::future::pending::<()>());
    /// handle.abort();
    /// let err = rt.block_on(handle).unwrap_err();
    /// assert!(err.is_cancelled());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn abort(&self) {
        self.raw.remote_abort();
    }

    /// `true` once the task has completed, been cancelled or panicked.
    ///
    /// ```
    /// let rt = weft::Builder::new_current_thread().build()?;
    /// let handle: weft::task::JoinHandle<u32> = rt.spawn(async { 7 });
    /// assert!(!handle.is_finished()); // nothing runs outside block_on
    /// rt.block_on(weft::task::yield_now());
    /// assert!(handle.is_finished());
    /// assert_eq!(rt.block_on(handle)?, 7);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn is_finished(&self) -> bool {
        self.raw.state().load().is_complete()
    }

    /// A cloneable handle that can abort the task from anywhere, without
    /// the right to its output.
    ///
    /// ```
    /// let rt = weft::Runtime::builder().worker_threads(1).build()?;
    /// let handle = rt.spawn(std::future::pending::<()>());
    /// let abort = handle.abort_handle();
    /// std::thread::spawn(move || abort.abort()).join().unwrap();
    /// assert!(rt.block_on(handle).unwrap_err().is_cancelled());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn abort_handle(&self) -> AbortHandle {
        self.raw.ref_inc();
        AbortHandle { raw: self.raw }
    }

    /// The task's id.
    ///
    /// ```
    /// let rt = weft::Runtime::builder().worker_threads(1).build()?;
    /// let handle = rt.spawn(async { weft::task::id() });
    /// let id = handle.id();
    /// assert_eq!(rt.block_on(handle).unwrap(), id);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn id(&self) -> Id {
        self.raw.header().id
    }
}

impl<T> Future for JoinHandle<T> {
    type Output = Result<T, JoinError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // Awaiting a handle in a loop must not starve the worker.
        let budget = match coop::poll_proceed(cx) {
            Poll::Ready(b) => b,
            Poll::Pending => return Poll::Pending,
        };
        let mut out: Poll<Result<T, JoinError>> = Poll::Pending;
        // SAFETY: `out` has the task's output type; we are its JoinHandle.
        unsafe {
            self.raw
                .try_read_output(&mut out as *mut _ as *mut (), cx.waker())
        };
        if out.is_ready() {
            budget.made_progress();
        }
        out
    }
}

impl<T> Drop for JoinHandle<T> {
    fn drop(&mut self) {
        self.raw.drop_join_handle_slow();
    }
}

impl<T> fmt::Debug for JoinHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinHandle").field("id", &self.id()).finish()
    }
}

/// A handle that can abort a task but not await it.
///
/// `Send + Sync + Clone`; dropping it does nothing to the task.
///
/// ```
/// let rt = weft::Runtime::new()?;
/// let handle = rt.spawn(std::future::pending::<()>());
/// let abort: weft::task::AbortHandle = handle.abort_handle();
/// abort.abort();
/// assert!(rt.block_on(handle).unwrap_err().is_cancelled());
/// assert!(abort.is_finished());
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct AbortHandle {
    raw: RawTask,
}

impl AbortHandle {
    /// Cancels the task; see [`JoinHandle::abort`].
    ///
    /// ```
    /// let rt = weft::Builder::new_current_thread().build()?;
    /// let handle = rt.spawn(async { 1 });
    /// let abort = handle.abort_handle();
    /// abort.abort(); // before its first poll: it never runs
    /// assert!(rt.block_on(handle).unwrap_err().is_cancelled());
    /// assert!(abort.is_finished());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn abort(&self) {
        self.raw.remote_abort();
    }

    /// `true` once the task has finished, whatever the outcome.
    ///
    /// ```
    /// let rt = weft::Runtime::builder().worker_threads(1).build()?;
    /// let handle = rt.spawn(async {});
    /// let abort = handle.abort_handle();
    /// rt.block_on(handle).unwrap();
    /// assert!(abort.is_finished());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn is_finished(&self) -> bool {
        self.raw.state().load().is_complete()
    }

    /// The task's id.
    ///
    /// ```
    /// let rt = weft::Runtime::builder().worker_threads(1).build()?;
    /// let handle = rt.spawn(async {});
    /// assert_eq!(handle.abort_handle().id(), handle.id());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn id(&self) -> Id {
        self.raw.header().id
    }
}

impl Clone for AbortHandle {
    fn clone(&self) -> Self {
        self.raw.ref_inc();
        AbortHandle { raw: self.raw }
    }
}

impl Drop for AbortHandle {
    fn drop(&mut self) {
        self.raw.drop_reference();
    }
}

impl fmt::Debug for AbortHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AbortHandle").field("id", &self.id()).finish()
    }
}
