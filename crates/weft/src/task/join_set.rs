//! [`JoinSet`]: a collection of tasks, joined in the order they finish.
//!
//! # How results come out in finishing order, in O(1)
//!
//! Each task in the set has an *entry*: its [`JoinHandle`] and a waker of
//! the set's own, which knows the entry's slab key. The set polls a task's
//! handle only through that waker, so the task's completion wakes it, and
//! waking it pushes the entry's key onto the set's *ready queue* (once:
//! a `queued` flag keeps a key from being pushed twice before it is
//! popped), then wakes whoever waits in `join_next`.
//!
//! `join_next` pops keys off the ready queue and polls only those handles.
//! A new entry starts on the ready queue, so its handle is polled once to
//! register the waker (or to take a result already there). A weft task
//! wakes its `JoinHandle`'s waker once, when it completes; so every task
//! costs at most two pops and two polls over its life (plus one per
//! spurious wake), whatever the size of the set: `join_next` is O(1)
//! amortised, where polling every handle would be O(n) per call. Results
//! come out in the order the tasks' completions pushed their keys, which is
//! the order they finished.
//!
//! Keys are reused by the slab, so each entry also carries a generation; a
//! key pushed by the waker of an entry that has since gone is skipped.
//!
//! # Cancellation safety
//!
//! [`JoinSet::join_next`] (and `join_next_with_id`) is cancellation-safe:
//! a result is taken out of a task only in the poll that returns it, so
//! dropping a `join_next` future that has not completed loses nothing; the
//! result stays in the set for the next call. [`JoinSet::shutdown`] is
//! cancellation-safe in the same sense: dropped midway, the tasks it has
//! aborted stay in the set (dropping the set then aborts the rest).

use std::collections::VecDeque;
use std::fmt;
use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Wake, Waker};

use slab::Slab;
use weft_task::coop;

use crate::runtime::Handle;
use crate::task::{AbortHandle, Id, JoinError, JoinHandle};

/// A set of tasks spawned on a runtime, joined in the order they finish.
///
/// Dropping the set aborts every task still in it (their futures are
/// dropped on their runtime's threads soon after); use
/// [`detach_all`](JoinSet::detach_all) to let them run on.
///
/// ```
/// let rt = weft::Runtime::new()?;
/// rt.block_on(async {
///     let mut set = weft::task::JoinSet::new();
///     for i in 0..10u64 {
///         set.spawn(async move { i * i });
///     }
///     let mut sum = 0;
///     while let Some(res) = set.join_next().await {
///         sum += res.unwrap();
///     }
///     assert_eq!(sum, 285);
/// });
/// # Ok::<(), std::io::Error>(())
/// ```
pub struct JoinSet<T> {
    entries: Slab<Entry<T>>,
    ready: Arc<ReadyQueue>,
    next_generation: u64,
}

struct Entry<T> {
    handle: JoinHandle<T>,
    waker: Waker,
    state: Arc<EntryWaker>,
}

/// Keys of entries whose handles are worth polling, and the waiting
/// `join_next`.
struct ReadyQueue {
    inner: Mutex<ReadyInner>,
}

struct ReadyInner {
    keys: VecDeque<(usize, u64)>,
    waiter: Option<Waker>,
}

/// The waker the set polls one entry's handle with.
struct EntryWaker {
    ready: Arc<ReadyQueue>,
    key: usize,
    generation: u64,
    /// On the ready queue and not popped yet.
    queued: AtomicBool,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Wake for EntryWaker {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        // Not queued -> queued: push the key once.
        if self.queued.swap(true, Ordering::AcqRel) {
            return;
        }
        let waiter = {
            let mut r = lock(&self.ready.inner);
            r.keys.push_back((self.key, self.generation));
            r.waiter.take()
        };
        if let Some(w) = waiter {
            w.wake();
        }
    }
}

impl<T> JoinSet<T> {
    /// An empty set.
    ///
    /// ```
    /// let set = weft::task::JoinSet::<()>::new();
    /// assert!(set.is_empty());
    /// ```
    pub fn new() -> JoinSet<T> {
        JoinSet {
            entries: Slab::new(),
            ready: Arc::new(ReadyQueue {
                inner: Mutex::new(ReadyInner {
                    keys: VecDeque::new(),
                    waiter: None,
                }),
            }),
            next_generation: 0,
        }
    }

    /// How many tasks are in the set (running, or finished and not joined).
    ///
    /// ```
    /// let rt = weft::Runtime::new()?;
    /// rt.block_on(async {
    ///     let mut set = weft::task::JoinSet::new();
    ///     set.spawn(async {});
    ///     assert_eq!(set.len(), 1);
    ///     set.join_next().await;
    ///     assert_eq!(set.len(), 0);
    /// });
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// `true` if the set holds no task.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn insert(&mut self, handle: JoinHandle<T>) -> AbortHandle {
        let abort = handle.abort_handle();
        let key = self.entries.vacant_key();
        let generation = self.next_generation;
        self.next_generation += 1;
        let state = Arc::new(EntryWaker {
            ready: self.ready.clone(),
            key,
            generation,
            // Starts queued: its first poll registers the waker.
            queued: AtomicBool::new(true),
        });
        let waker = Waker::from(state.clone());
        self.entries.insert(Entry { handle, waker, state });
        lock(&self.ready.inner).keys.push_back((key, generation));
        abort
    }

    /// Waits for the next task to finish and returns its output, or `None`
    /// once the set is empty. See the module docs: O(1) amortised, and
    /// cancellation-safe.
    ///
    /// ```
    /// use std::time::Duration;
    /// let rt = weft::Runtime::new()?;
    /// rt.block_on(async {
    ///     let mut set = weft::task::JoinSet::new();
    ///     set.spawn(async { weft::time::sleep(Duration::from_millis(30)).await; "slow" });
    ///     set.spawn(async { "fast" });
    ///     assert_eq!(set.join_next().await.unwrap().unwrap(), "fast");
    ///     assert_eq!(set.join_next().await.unwrap().unwrap(), "slow");
    ///     assert!(set.join_next().await.is_none());
    /// });
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub async fn join_next(&mut self) -> Option<Result<T, JoinError>> {
        self.join_next_with_id()
            .await
            .map(|res| res.map(|(_, value)| value))
    }

    /// [`join_next`](JoinSet::join_next), with the id of the task that
    /// finished (a [`JoinError`] carries its own, [`JoinError::id`]).
    ///
    /// ```
    /// let rt = weft::Runtime::new()?;
    /// rt.block_on(async {
    ///     let mut set = weft::task::JoinSet::new();
    ///     let id = set.spawn(async { 1 }).id();
    ///     let (done, value) = set.join_next_with_id().await.unwrap().unwrap();
    ///     assert_eq!((done, value), (id, 1));
    /// });
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub async fn join_next_with_id(&mut self) -> Option<Result<(Id, T), JoinError>> {
        poll_fn(|cx| self.poll_join_next_with_id(cx)).await
    }

    /// Polls for the next finished task; the poll form of
    /// [`join_next_with_id`](JoinSet::join_next_with_id).
    pub fn poll_join_next_with_id(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<(Id, T), JoinError>>> {
        if self.entries.is_empty() {
            return Poll::Ready(None);
        }
        // Joining in a loop spends the task's budget like any resource.
        let budget = match coop::poll_proceed(cx) {
            Poll::Ready(budget) => budget,
            Poll::Pending => return Poll::Pending,
        };
        match self.take_ready(Some(cx.waker())) {
            Some(done) => {
                budget.made_progress();
                Poll::Ready(Some(done))
            }
            None => Poll::Pending,
        }
    }

    /// Returns the output of a task that has already finished, without
    /// waiting; `None` if none has (or the set is empty).
    ///
    /// ```
    /// let rt = weft::Runtime::new()?;
    /// rt.block_on(async {
    ///     let mut set = weft::task::JoinSet::new();
    ///     assert!(set.try_join_next().is_none());
    ///     set.spawn(async { 5 });
    ///     loop {
    ///         if let Some(res) = set.try_join_next() {
    ///             assert_eq!(res.unwrap(), 5);
    ///             break;
    ///         }
    ///         weft::task::yield_now().await;
    ///     }
    /// });
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn try_join_next(&mut self) -> Option<Result<T, JoinError>> {
        self.try_join_next_with_id()
            .map(|res| res.map(|(_, value)| value))
    }

    /// [`try_join_next`](JoinSet::try_join_next), with the task's id.
    pub fn try_join_next_with_id(&mut self) -> Option<Result<(Id, T), JoinError>> {
        if self.entries.is_empty() {
            return None;
        }
        self.take_ready(None)
    }

    /// Pops ready keys until one of their handles gives a result. With
    /// `waiter`, registers it (under the queue's lock, so a push after the
    /// queue was seen empty wakes it) before returning `None`.
    fn take_ready(&mut self, waiter: Option<&Waker>) -> Option<Result<(Id, T), JoinError>> {
        loop {
            let next = {
                let mut r = lock(&self.ready.inner);
                let next = r.keys.pop_front();
                if next.is_none() {
                    if let Some(w) = waiter {
                        match &mut r.waiter {
                            Some(old) if old.will_wake(w) => {}
                            slot => *slot = Some(w.clone()),
                        }
                    }
                }
                next
            };
            let (key, generation) = next?;
            let Some(entry) = self.entries.get_mut(key) else {
                continue;
            };
            if entry.state.generation != generation {
                // Pushed by an entry that has gone; the key was reused.
                continue;
            }
            // Queued -> not queued, before the poll: a wake during or after
            // it pushes the key again.
            entry.state.queued.store(false, Ordering::Release);
            let mut cx = Context::from_waker(&entry.waker);
            // The budget was charged once for this join_next, above; the
            // handle poll must not be refused (or deferred) for it.
            let polled = coop::unconstrained(|| Pin::new(&mut entry.handle).poll(&mut cx));
            if let Poll::Ready(result) = polled {
                let entry = self.entries.remove(key);
                let id = entry.handle.id();
                return Some(result.map(|value| (id, value)));
            }
        }
    }

    /// Waits for every task and returns their outputs, in the order they
    /// finished.
    ///
    /// # Panics
    ///
    /// If a task panicked (the panic is resumed here) or was cancelled;
    /// the remaining tasks are aborted first, as the set is dropped.
    ///
    /// ```
    /// let rt = weft::Runtime::new()?;
    /// let mut out = rt.block_on(async {
    ///     let mut set = weft::task::JoinSet::new();
    ///     for i in 0..3 {
    ///         set.spawn(async move { i });
    ///     }
    ///     set.join_all().await
    /// });
    /// out.sort();
    /// assert_eq!(out, [0, 1, 2]);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub async fn join_all(mut self) -> Vec<T> {
        let mut out = Vec::with_capacity(self.len());
        while let Some(res) = self.join_next().await {
            match res {
                Ok(value) => out.push(value),
                Err(err) => match err.try_into_panic() {
                    Ok(payload) => std::panic::resume_unwind(payload),
                    Err(err) => panic!(
                        "JoinSet::join_all: task {} did not finish: {err}; use join_next to \
                         handle cancelled tasks",
                        err.id()
                    ),
                },
            }
        }
        out
    }

    /// Spawns a `!Send` future into the set with
    /// [`spawn_local`](crate::task::spawn_local): on a current-thread
    /// runtime, from inside `block_on`.
    ///
    /// # Panics
    ///
    /// Where `spawn_local` panics (anywhere else).
    ///
    /// ```
    /// use std::rc::Rc;
    /// let rt = weft::Builder::new_current_thread().build()?;
    /// rt.block_on(async {
    ///     let mut set = weft::task::JoinSet::new();
    ///     let shared = Rc::new(5);
    ///     let s = shared.clone();
    ///     set.spawn_local(async move { *s + 1 });
    ///     assert_eq!(set.join_next().await.unwrap().unwrap(), 6);
    /// });
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[track_caller]
    pub fn spawn_local<F>(&mut self, future: F) -> AbortHandle
    where
        F: Future<Output = T> + 'static,
        T: 'static,
    {
        self.insert(crate::task::spawn_local(future))
    }

    /// Aborts every task in the set. They stay in it: `join_next` returns
    /// each one's result (`JoinError::Cancelled`, or its output if it
    /// finished first).
    ///
    /// ```
    /// let rt = weft::Runtime::new()?;
    /// rt.block_on(async {
    ///     let mut set = weft::task::JoinSet::new();
    ///     set.spawn(std::future::pending::<()>());
    ///     set.abort_all();
    ///     assert!(set.join_next().await.unwrap().unwrap_err().is_cancelled());
    /// });
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn abort_all(&mut self) {
        for (_, entry) in &self.entries {
            entry.handle.abort();
        }
    }

    /// Aborts every task and waits until each has finished or been dropped;
    /// the set is then empty.
    ///
    /// ```
    /// let rt = weft::Runtime::new()?;
    /// rt.block_on(async {
    ///     let mut set = weft::task::JoinSet::new();
    ///     set.spawn(std::future::pending::<()>());
    ///     set.shutdown().await;
    ///     assert!(set.is_empty());
    /// });
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub async fn shutdown(&mut self) {
        self.abort_all();
        while self.join_next().await.is_some() {}
    }

    /// Empties the set without aborting its tasks: they run on, detached,
    /// as if their `JoinHandle`s had been dropped.
    ///
    /// ```
    /// let rt = weft::Runtime::new()?;
    /// let (tx, rx) = std::sync::mpsc::channel();
    /// rt.block_on(async {
    ///     let mut set = weft::task::JoinSet::new();
    ///     set.spawn(async move { tx.send("still ran").unwrap() });
    ///     set.detach_all();
    /// });
    /// assert_eq!(rx.recv().unwrap(), "still ran");
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn detach_all(&mut self) {
        self.entries.clear();
        lock(&self.ready.inner).keys.clear();
    }
}

impl<T: Send + 'static> JoinSet<T> {
    /// Spawns `future` on the current runtime (see [`crate::spawn`]) into
    /// the set, returning a handle that can abort it.
    ///
    /// # Panics
    ///
    /// Outside a runtime; use [`spawn_on`](JoinSet::spawn_on) there.
    ///
    /// ```
    /// let rt = weft::Runtime::new()?;
    /// rt.block_on(async {
    ///     let mut set = weft::task::JoinSet::new();
    ///     let abort = set.spawn(std::future::pending::<()>());
    ///     abort.abort();
    ///     assert!(set.join_next().await.unwrap().unwrap_err().is_cancelled());
    /// });
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[track_caller]
    pub fn spawn<F>(&mut self, future: F) -> AbortHandle
    where
        F: Future<Output = T> + Send + 'static,
    {
        self.insert(crate::spawn(future))
    }

    /// Spawns `future` on the runtime of `handle` into the set.
    ///
    /// ```
    /// let rt = weft::Runtime::new()?;
    /// let mut set = weft::task::JoinSet::new();
    /// set.spawn_on(async { 3 }, rt.handle());
    /// assert_eq!(rt.block_on(set.join_next()).unwrap().unwrap(), 3);
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[track_caller]
    pub fn spawn_on<F>(&mut self, future: F, handle: &Handle) -> AbortHandle
    where
        F: Future<Output = T> + Send + 'static,
    {
        self.insert(handle.spawn(future))
    }

    /// Runs `f` on the current runtime's blocking pool (see
    /// [`crate::spawn_blocking`]) as a member of the set. Aborting it before
    /// it starts means it never runs; once it runs, it runs to its end.
    ///
    /// # Panics
    ///
    /// Outside a runtime; use
    /// [`spawn_blocking_on`](JoinSet::spawn_blocking_on) there.
    ///
    /// ```
    /// let rt = weft::Runtime::new()?;
    /// rt.block_on(async {
    ///     let mut set = weft::task::JoinSet::new();
    ///     set.spawn_blocking(|| std::thread::current().name().map(str::to_owned));
    ///     let name = set.join_next().await.unwrap().unwrap().unwrap();
    ///     assert!(name.contains("blocking"), "{name}");
    /// });
    /// # Ok::<(), std::io::Error>(())
    /// ```
    #[track_caller]
    pub fn spawn_blocking<F>(&mut self, f: F) -> AbortHandle
    where
        F: FnOnce() -> T + Send + 'static,
    {
        self.insert(crate::spawn_blocking(f))
    }

    /// Runs `f` on the blocking pool of `handle`'s runtime as a member of
    /// the set.
    #[track_caller]
    pub fn spawn_blocking_on<F>(&mut self, f: F, handle: &Handle) -> AbortHandle
    where
        F: FnOnce() -> T + Send + 'static,
    {
        self.insert(handle.spawn_blocking(f))
    }
}

impl<T> Drop for JoinSet<T> {
    fn drop(&mut self) {
        self.abort_all();
    }
}

impl<T> Default for JoinSet<T> {
    fn default() -> Self {
        JoinSet::new()
    }
}

impl<T> fmt::Debug for JoinSet<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinSet").field("len", &self.len()).finish()
    }
}
