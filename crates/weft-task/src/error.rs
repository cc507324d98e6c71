//! `Id` and `JoinError`.

use std::any::Any;
use std::fmt;
use std::io;
use std::num::NonZeroU64;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

/// A task's identifier, unique among all tasks of the process while it
/// lives.
///
/// ```
/// let a = weft::task::Id::next();
/// let b = weft::task::Id::next();
/// assert_ne!(a, b);
/// ```
#[derive(Clone, Copy, Debug, Hash, Eq, PartialEq, Ord, PartialOrd)]
pub struct Id(NonZeroU64);

impl Id {
    /// A fresh id.
    ///
    /// ```
    /// use weft::task::Id;
    /// let (a, b) = (Id::next(), Id::next());
    /// assert!(a != b);
    /// ```
    pub fn next() -> Id {
        // Not a protocol variable: a plain counter, std even under loom.
        // Each thread takes ids in blocks, so spawning from many threads
        // does not contend on one cache line.
        const BLOCK: u64 = 1024;
        static NEXT: AtomicU64 = AtomicU64::new(1);
        std::thread_local! {
            static RANGE: std::cell::Cell<(u64, u64)> = const { std::cell::Cell::new((0, 0)) };
        }
        let from_block = RANGE
            .try_with(|r| {
                let (mut next, mut end) = r.get();
                if next == end {
                    next = NEXT.fetch_add(BLOCK, Ordering::Relaxed);
                    end = next + BLOCK;
                }
                r.set((next + 1, end));
                next
            })
            .ok();
        // During thread teardown the thread-local is gone: take one id.
        let n = from_block.unwrap_or_else(|| NEXT.fetch_add(1, Ordering::Relaxed));
        Id(NonZeroU64::new(n).expect("weft-task: task id counter overflowed"))
    }

    /// The id as a number.
    ///
    /// ```
    /// assert!(weft::task::Id::next().as_u64() > 0);
    /// ```
    pub fn as_u64(self) -> u64 {
        self.0.get()
    }
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Why a task did not produce its output: it was cancelled, or it panicked.
///
/// Cancellation has two causes, told apart by [`is_shutdown`]:
/// the task was **aborted** ([`JoinHandle::abort`], dropping a `JoinSet`),
/// or its runtime or pool **shut down** before the task finished (which
/// includes spawning onto a runtime or pool that had already shut down).
/// Both are [`is_cancelled`]; the message says which.
///
/// ```
/// let rt = weft::Runtime::new()?;
/// let err = rt.block_on(async {
///     let task = weft::spawn(std::future::pending::<()>());
///     task.abort();
///     task.await.unwrap_err()
/// });
/// assert!(err.is_cancelled() && !err.is_shutdown() && !err.is_panic());
/// let io: std::io::Error = err.into();
/// assert!(io.to_string().contains("aborted"));
/// # Ok::<(), std::io::Error>(())
/// ```
///
/// [`is_shutdown`]: JoinError::is_shutdown
/// [`is_cancelled`]: JoinError::is_cancelled
/// [`JoinHandle::abort`]: crate::JoinHandle::abort
pub struct JoinError {
    id: Id,
    repr: Repr,
}

enum Repr {
    Aborted,
    /// The runtime or pool (named) shut down first.
    Shutdown(&'static str),
    // A mutex so that `JoinError` is `Sync` while the payload is only `Send`.
    Panic(Mutex<Box<dyn Any + Send + 'static>>),
}

impl JoinError {
    /// The error of a task that was aborted before it completed.
    ///
    /// ```
    /// # use weft::task::{Id, JoinError};
    /// let err = JoinError::cancelled(Id::next());
    /// assert!(err.is_cancelled() && !err.is_shutdown());
    /// ```
    pub fn cancelled(id: Id) -> JoinError {
        JoinError {
            id,
            repr: Repr::Aborted,
        }
    }

    /// The error of a task that did not finish because `what` (`"runtime"`,
    /// `"blocking pool"`, `"thread pool"`) shut down first, or had already
    /// shut down when the task was spawned.
    ///
    /// ```
    /// # use weft::task::{Id, JoinError};
    /// let err = JoinError::shutdown(Id::next(), "thread pool");
    /// assert!(err.is_cancelled() && err.is_shutdown());
    /// assert!(err.to_string().contains("thread pool"), "{err}");
    /// ```
    pub fn shutdown(id: Id, what: &'static str) -> JoinError {
        JoinError {
            id,
            repr: Repr::Shutdown(what),
        }
    }

    /// The error of a task whose future panicked, with the panic payload.
    ///
    /// ```
    /// # use weft::task::{Id, JoinError};
    /// let err = JoinError::panic(Id::next(), Box::new("boom"));
    /// assert!(err.is_panic());
    /// assert_eq!(*err.into_panic().downcast::<&str>().unwrap(), "boom");
    /// ```
    pub fn panic(id: Id, payload: Box<dyn Any + Send + 'static>) -> JoinError {
        JoinError {
            id,
            repr: Repr::Panic(Mutex::new(payload)),
        }
    }

    /// `true` if the task was cancelled: aborted, or stopped by the
    /// shutdown of its runtime or pool (see [`is_shutdown`](Self::is_shutdown)).
    ///
    /// ```
    /// let rt = weft::Runtime::builder().worker_threads(1).build()?;
    /// let handle = rt.spawn(std::future::pending::<()>());
    /// handle.abort();
    /// assert!(rt.block_on(handle).unwrap_err().is_cancelled());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn is_cancelled(&self) -> bool {
        matches!(self.repr, Repr::Aborted | Repr::Shutdown(_))
    }

    /// `true` if the task was cancelled because its runtime or pool shut
    /// down (before it could run, or while it waited), not by an abort.
    ///
    /// ```
    /// use weft::task::{Id, JoinError};
    /// assert!(JoinError::shutdown(Id::next(), "runtime").is_shutdown());
    /// assert!(!JoinError::cancelled(Id::next()).is_shutdown());
    /// ```
    pub fn is_shutdown(&self) -> bool {
        matches!(self.repr, Repr::Shutdown(_))
    }

    /// `true` if the task panicked.
    ///
    /// ```
    /// let rt = weft::Runtime::builder().worker_threads(1).build()?;
    /// let err = rt.block_on(rt.spawn(async { panic!("boom") })).unwrap_err();
    /// assert!(err.is_panic());
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn is_panic(&self) -> bool {
        matches!(self.repr, Repr::Panic(_))
    }

    /// The panic payload, to resume the panic with
    /// [`std::panic::resume_unwind`].
    ///
    /// # Panics
    ///
    /// If the task was cancelled rather than panicked (the panic points at
    /// the caller); use [`try_into_panic`](JoinError::try_into_panic) when
    /// unsure.
    ///
    /// ```
    /// let rt = weft::Runtime::builder().worker_threads(1).build()?;
    /// let err = rt.block_on(rt.spawn(async { panic!("boom") })).unwrap_err();
    /// let payload = err.into_panic();
    /// assert_eq!(payload.downcast_ref::<&str>(), Some(&"boom"));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[track_caller]
    pub fn into_panic(self) -> Box<dyn Any + Send + 'static> {
        match self.try_into_panic() {
            Ok(payload) => payload,
            Err(e) => panic!(
                "JoinError::into_panic called on a task that did not panic ({e}); \
                 check is_panic() first or use try_into_panic()"
            ),
        }
    }

    /// The panic payload, or the error back if the task was cancelled.
    ///
    /// ```
    /// # use weft::task::{Id, JoinError};
    /// let err = JoinError::cancelled(Id::next());
    /// assert!(err.try_into_panic().is_err());
    /// ```
    pub fn try_into_panic(self) -> Result<Box<dyn Any + Send + 'static>, JoinError> {
        match self.repr {
            Repr::Panic(p) => Ok(p.into_inner().unwrap_or_else(|e| e.into_inner())),
            Repr::Aborted | Repr::Shutdown(_) => Err(self),
        }
    }

    /// The id of the task that failed.
    ///
    /// ```
    /// let rt = weft::Runtime::builder().worker_threads(1).build()?;
    /// let handle = rt.spawn(async { panic!("boom") });
    /// let id = handle.id();
    /// assert_eq!(rt.block_on(handle).unwrap_err().id(), id);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn id(&self) -> Id {
        self.id
    }

    fn panic_message(&self) -> Option<String> {
        let Repr::Panic(p) = &self.repr else { return None };
        let p = p.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(s) = p.downcast_ref::<&'static str>() {
            Some((*s).to_owned())
        } else {
            p.downcast_ref::<String>().cloned()
        }
    }
}

impl fmt::Display for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.repr {
            Repr::Aborted => write!(f, "task {} was cancelled: it was aborted", self.id),
            Repr::Shutdown(what) => write!(
                f,
                "task {} was cancelled: its {what} has shut down (it was spawned after the shutdown, \
                 or had not finished when it began)",
                self.id
            ),
            Repr::Panic(_) => match self.panic_message() {
                Some(msg) => write!(f, "task {} panicked with message {:?}", self.id, msg),
                None => write!(f, "task {} panicked", self.id),
            },
        }
    }
}

impl fmt::Debug for JoinError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.repr {
            Repr::Aborted => write!(f, "JoinError::Cancelled({:?})", self.id),
            Repr::Shutdown(what) => write!(f, "JoinError::Cancelled({:?}, {what} shut down)", self.id),
            Repr::Panic(_) => match self.panic_message() {
                Some(msg) => write!(f, "JoinError::Panic({:?}, {:?}, ...)", self.id, msg),
                None => write!(f, "JoinError::Panic({:?}, ...)", self.id),
            },
        }
    }
}

impl std::error::Error for JoinError {}

impl From<JoinError> for io::Error {
    fn from(err: JoinError) -> io::Error {
        io::Error::other(err)
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn display_names_the_panic_message() {
        let e = JoinError::panic(Id::next(), Box::new(String::from("bad input")));
        assert!(e.to_string().contains("bad input"), "{e}");
        assert!(format!("{e:?}").contains("Panic"));
    }

    #[test]
    fn join_error_is_send_and_sync() {
        fn check<T: Send + Sync + 'static>() {}
        check::<JoinError>();
    }
}
