//! [`Builder`]: spawn a task with a name.

use std::future::Future;
use std::io;
use std::sync::Arc;

use weft_task::{Id, TaskMeta};

use crate::runtime::Handle;
use crate::task::JoinHandle;

/// Spawns tasks with a name (tokio's `task::Builder`).
///
/// The name shows in debug mode's slow-poll reports, in unhandled-panic
/// reports and in the Debug output of those reports. A task
/// spawned without a builder has no name and pays nothing for one.
///
/// ```
/// let rt = weft::Runtime::new()?;
/// rt.block_on(async {
///     let h = weft::task::Builder::new().name("fetch").spawn(async { 1 })?;
///     assert_eq!(h.await.unwrap(), 1);
///     Ok::<_, std::io::Error>(())
/// })?;
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct Builder {
    name: Option<Arc<str>>,
}

impl Builder {
    /// A builder for an unnamed task.
    pub fn new() -> Builder {
        Builder::default()
    }

    /// Names the task.
    pub fn name(mut self, name: &str) -> Builder {
        self.name = Some(name.into());
        self
    }

    #[track_caller]
    fn meta(&self) -> TaskMeta {
        let meta = TaskMeta::new(Id::next());
        match &self.name {
            Some(name) => meta.with_name(name.clone()),
            None => meta,
        }
    }

    /// Spawns the task onto the current runtime, as [`crate::spawn`].
    ///
    /// # Errors
    ///
    /// Outside a runtime (an `io::Error` of kind `Other` naming the fix);
    /// tokio's builder returns `io::Result` too.
    #[track_caller]
    pub fn spawn<F>(self, future: F) -> io::Result<JoinHandle<F::Output>>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let meta = self.meta();
        crate::runtime::context::with_current(|rt| match rt {
            Some(rt) => Ok(rt.exec.spawn_with(future, meta)),
            None => Err(io::Error::other(crate::runtime::handle::NO_RUNTIME)),
        })
    }

    /// Spawns the task onto the runtime of `handle`.
    #[track_caller]
    pub fn spawn_on<F>(self, future: F, handle: &Handle) -> io::Result<JoinHandle<F::Output>>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        let meta = self.meta();
        Ok(handle.inner.exec.spawn_with(future, meta))
    }

    /// Runs `f` on the current runtime's blocking pool, as
    /// [`crate::spawn_blocking`].
    ///
    /// # Errors
    ///
    /// Outside a runtime.
    #[track_caller]
    pub fn spawn_blocking<F, R>(self, f: F) -> io::Result<JoinHandle<R>>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        let meta = self.meta();
        crate::runtime::context::with_current(|rt| match rt {
            Some(rt) => Ok(rt.blocking.spawn_blocking_with(f, meta)),
            None => Err(io::Error::other(crate::runtime::handle::NO_RUNTIME)),
        })
    }

    /// Runs `f` on the blocking pool of `handle`'s runtime.
    #[track_caller]
    pub fn spawn_blocking_on<F, R>(self, f: F, handle: &Handle) -> io::Result<JoinHandle<R>>
    where
        F: FnOnce() -> R + Send + 'static,
        R: Send + 'static,
    {
        let meta = self.meta();
        Ok(handle.inner.blocking.spawn_blocking_with(f, meta))
    }
}
