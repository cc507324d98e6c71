//! [`TaskGroup`]: structured concurrency with asyncio 3.11's `TaskGroup`
//! semantics. The first failure cancels the rest; nothing outlives `join`.
//!
//! # Rules
//!
//! 1. A child's failure is an `Err(e)` from its future, a panic, or its
//!    being cancelled by something other than the group (its
//!    [`AbortHandle`] from [`TaskGroup::spawn`], or the runtime shutting
//!    down; that one is a [`TaskFailure::Panic`] whose `JoinError`
//!    [`is_cancelled`](JoinError::is_cancelled)). This differs from
//!    asyncio, which ignores a child cancelled from outside: `join` returns
//!    every child's value, and a cancelled child has none to give.
//! 2. On the first failure the group aborts every other child.
//! 3. [`TaskGroup::join`] returns only once every child has finished or
//!    had its future dropped: after it, no code of the group runs.
//! 4. With no failure, `join` gives every child's value, in spawn order.
//!    Otherwise it gives [`GroupError`] with every failure, in the order
//!    they happened (the one that triggered the abort first); children the
//!    group aborted are not failures, and the values of children that
//!    succeeded are dropped.
//!
//! # Cancellation safety
//!
//! `join` is **not** cancellation-safe in the sense of losing nothing: it
//! consumes the group, so dropping the `join` future drops the group, which
//! aborts every child still running (rule 3 then holds only in the weaker
//! form of any abort: each child's future is dropped on its runtime thread
//! soon after, not before the drop returns). Values already produced are
//! lost with it. That is asyncio's behaviour too: cancelling the task that
//! waits in `async with TaskGroup()` cancels the children.
//!
//! # Groups inside groups
//!
//! A child may run a group of its own and `join` it. If the outer group
//! aborts that child, the child's future is dropped, and with it the inner
//! `join` future and so the inner group, which aborts the inner children.
//! Cancellation thus reaches the whole tree, one level per abort, as in
//! asyncio, where cancelling the outer child cancels the inner group's
//! `__aexit__`.

use std::collections::HashMap;
use std::error::Error;
use std::fmt;
use std::future::Future;

use crate::runtime::Handle;
use crate::task::{AbortHandle, Id, JoinError, JoinSet};

/// A group of tasks joined together; the first failure cancels the rest.
///
/// ```
/// let rt = weft::Runtime::new()?;
/// rt.block_on(async {
///     let mut group = weft::task::TaskGroup::<u32, String>::new();
///     for i in 0..3 {
///         group.spawn(async move { Ok(i * 10) });
///     }
///     assert_eq!(group.join().await.unwrap(), [0, 10, 20]);
///
///     let mut group = weft::task::TaskGroup::<u32, String>::new();
///     group.spawn(async { Err("no such user".to_string()) });
///     group.spawn(std::future::pending()); // aborted by the failure
///     let err = group.join().await.unwrap_err();
///     assert_eq!(err.errors().len(), 1);
/// });
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct TaskGroup<T, E> {
    set: JoinSet<Result<T, E>>,
    /// Spawn index of each child not joined yet.
    index: HashMap<Id, usize>,
    spawned: usize,
}

/// One child's failure in a [`GroupError`].
///
/// ```
/// use weft::task::{TaskFailure, TaskGroup};
/// let rt = weft::Runtime::new()?;
/// let err = rt.block_on(async {
///     let mut group = TaskGroup::<(), String>::new();
///     group.spawn(async { Err("refused".to_string()) });
///     group.join().await.unwrap_err()
/// });
/// for failure in err.into_errors() {
///     match failure {
///         TaskFailure::Error(e) => assert_eq!(e, "refused"),
///         TaskFailure::Panic(join_error) => panic!("{join_error}"),
///     }
/// }
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub enum TaskFailure<E> {
    /// The child's future returned `Err`.
    Error(E),
    /// The child panicked, or was cancelled by something other than the
    /// group (see the [`JoinError`]).
    Panic(JoinError),
}

/// The failures of a [`TaskGroup`]: every one, the first first.
///
/// It implements [`std::error::Error`] when `E` does, with the first
/// failure as its `source()`, so `?` turns it into a `Box<dyn Error>`.
///
/// ```
/// # fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let rt = weft::Runtime::new()?;
/// let res = rt.block_on(async {
///     let mut group = weft::task::TaskGroup::<(), std::io::Error>::new();
///     group.spawn(async { Err(std::io::Error::other("disk full")) });
///     group.join().await
/// });
/// let err = res.unwrap_err();
/// assert_eq!(err.errors().len(), 1);
/// assert!(err.to_string().contains("disk full"), "{err}");
/// # Ok(())
/// # }
/// ```
pub struct GroupError<E> {
    failures: Vec<TaskFailure<E>>,
    spawned: usize,
}

impl<T, E> TaskGroup<T, E> {
    /// An empty group.
    pub fn new() -> TaskGroup<T, E> {
        TaskGroup {
            set: JoinSet::new(),
            index: HashMap::new(),
            spawned: 0,
        }
    }

    /// How many children have not been joined yet.
    pub fn len(&self) -> usize {
        self.set.len()
    }

    /// `true` if no child is waiting to be joined.
    pub fn is_empty(&self) -> bool {
        self.set.is_empty()
    }
}

impl<T: Send + 'static, E: Send + 'static> TaskGroup<T, E> {
    /// Spawns a child on the current runtime. Its `Err` (or panic) fails
    /// the group; see the module docs. The returned handle aborts just this
    /// child, which counts as a failure (rule 1).
    ///
    /// # Panics
    ///
    /// Outside a runtime; use [`spawn_on`](TaskGroup::spawn_on) there.
    ///
    /// ```
    /// let rt = weft::Runtime::new()?;
    /// rt.block_on(async {
    ///     let mut group = weft::task::TaskGroup::<u8, std::io::Error>::new();
    ///     group.spawn(async { Ok(1) });
    ///     group.spawn(async { Ok(2) });
    ///     assert_eq!(group.len(), 2);
    ///     assert_eq!(group.join().await.unwrap(), [1, 2]);
    /// });
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[track_caller]
    pub fn spawn<F>(&mut self, future: F) -> AbortHandle
    where
        F: Future<Output = Result<T, E>> + Send + 'static,
    {
        let abort = self.set.spawn(future);
        self.record(abort)
    }

    /// Spawns a child on the runtime of `handle`.
    #[track_caller]
    pub fn spawn_on<F>(&mut self, future: F, handle: &Handle) -> AbortHandle
    where
        F: Future<Output = Result<T, E>> + Send + 'static,
    {
        let abort = self.set.spawn_on(future, handle);
        self.record(abort)
    }

    fn record(&mut self, abort: AbortHandle) -> AbortHandle {
        self.index.insert(abort.id(), self.spawned);
        self.spawned += 1;
        abort
    }

    /// Waits for every child: their values in spawn order, or every
    /// failure once the first has aborted the rest and every child has
    /// finished or been dropped.
    ///
    /// ```
    /// let rt = weft::Runtime::new()?;
    /// rt.block_on(async {
    ///     let mut group = weft::task::TaskGroup::<(), &str>::new();
    ///     group.spawn(async { panic!("boom") });
    ///     let err = group.join().await.unwrap_err();
    ///     assert!(matches!(&err.errors()[0], weft::task::TaskFailure::Panic(e) if e.is_panic()));
    /// });
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub async fn join(mut self) -> Result<Vec<T>, GroupError<E>> {
        let mut values: Vec<Option<T>> = (0..self.spawned).map(|_| None).collect();
        let mut failures = Vec::new();
        let mut aborted = false;
        while let Some(done) = self.set.join_next_with_id().await {
            match done {
                Ok((id, Ok(value))) => {
                    if let Some(i) = self.index.remove(&id) {
                        values[i] = Some(value);
                    }
                }
                Ok((id, Err(e))) => {
                    self.index.remove(&id);
                    failures.push(TaskFailure::Error(e));
                }
                Err(err) => {
                    self.index.remove(&err.id());
                    // Rule 4: the group's own aborts are not failures.
                    if !(aborted && err.is_cancelled()) {
                        failures.push(TaskFailure::Panic(err));
                    }
                }
            }
            if !failures.is_empty() && !aborted {
                // Rule 2.
                aborted = true;
                self.set.abort_all();
            }
        }
        if failures.is_empty() {
            Ok(values
                .into_iter()
                .map(|v| v.expect("a TaskGroup child finished without a value or a failure"))
                .collect())
        } else {
            Err(GroupError {
                failures,
                spawned: self.spawned,
            })
        }
    }
}

impl<T, E> Default for TaskGroup<T, E> {
    fn default() -> Self {
        TaskGroup::new()
    }
}

impl<T, E> fmt::Debug for TaskGroup<T, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TaskGroup")
            .field("spawned", &self.spawned)
            .field("running", &self.len())
            .finish()
    }
}

impl<E> GroupError<E> {
    /// Every failure, in the order they happened: the one that made the
    /// group abort the others first.
    pub fn errors(&self) -> &[TaskFailure<E>] {
        &self.failures
    }

    /// The failures, by value.
    pub fn into_errors(self) -> Vec<TaskFailure<E>> {
        self.failures
    }
}

impl<E: fmt::Display> fmt::Display for TaskFailure<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TaskFailure::Error(e) => write!(f, "{e}"),
            TaskFailure::Panic(e) => write!(f, "{e}"),
        }
    }
}

impl<E: Error + 'static> Error for TaskFailure<E> {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match self {
            TaskFailure::Error(e) => Some(e),
            TaskFailure::Panic(e) => Some(e),
        }
    }
}

impl<E: fmt::Display> fmt::Display for GroupError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} of the {} tasks of a TaskGroup failed",
            self.failures.len(),
            self.spawned
        )?;
        if let Some(first) = self.failures.first() {
            write!(f, "; the first: {first}")?;
        }
        Ok(())
    }
}

impl<E: fmt::Debug> fmt::Debug for GroupError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GroupError")
            .field("failures", &self.failures)
            .field("spawned", &self.spawned)
            .finish()
    }
}

impl<E: Error + 'static> Error for GroupError<E> {
    /// The first failure.
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        self.failures.first().map(|f| f as &(dyn Error + 'static))
    }
}
