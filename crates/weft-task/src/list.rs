//! `OwnedTasks`: every live task of a runtime, so shutdown can reach them.
//!
//! A task parked on a waker sits in no queue; only this list can find it
//! when the runtime shuts down. The list holds one reference per task (a
//! [`Task`]), taken out again by [`Schedule::release`] when the task
//! completes.
//!
//! # Protocol
//!
//! The list is split into shards, each a `Mutex<Slab>`, chosen by task id,
//! so concurrent spawns and completions rarely meet on one lock. A task's
//! slab key is stored in its header and only touched under its shard's lock.
//!
//! Closing is per shard and under the shard's lock: `close_and_shutdown_all`
//! marks each shard closed and drains it in the same critical section, and
//! `bind` checks the flag in its critical section. So every task is either
//! bound before its shard closed (and drained, then cancelled) or sees the
//! shard closed (and is cancelled on the spot): none is lost.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};

use slab::Slab;

use crate::raw::RawTask;
use crossbeam_utils::CachePadded;

use crate::sync::{lock, Mutex};
use crate::{Id, JoinHandle, Notified, Schedule, Task, TaskMeta};

/// The live tasks of one scheduler.
pub struct OwnedTasks<S: Schedule> {
    /// Each shard on its own cache line: task ids are consecutive, so
    /// consecutive spawns lock neighbouring shards, and unpadded
    /// neighbours would share a line between the threads locking them.
    shards: Box<[CachePadded<Mutex<Shard<S>>>]>,
    id: u64,
}

struct Shard<S: Schedule> {
    tasks: Slab<Task<S>>,
    closed: bool,
}

impl<S: Schedule> OwnedTasks<S> {
    /// An empty list with at least `shards` shards (rounded up to a power
    /// of two). Four per worker thread keeps contention negligible.
    ///
    /// ```
    /// # use weft_task::{Notified, OwnedTasks, Schedule, Task};
    /// # struct S;
    /// # impl Schedule for S {
    /// #     fn schedule(&self, _: Notified<Self>) {}
    /// #     fn release(&self, _: &Task<Self>) -> Option<Task<Self>> { None }
    /// # }
    /// let list: OwnedTasks<S> = OwnedTasks::new(8);
    /// assert!(list.is_empty());
    /// ```
    pub fn new(shards: usize) -> Self {
        static NEXT_ID: AtomicU64 = AtomicU64::new(1);
        let n = shards.max(1).next_power_of_two();
        OwnedTasks {
            shards: (0..n)
                .map(|_| {
                    CachePadded::new(Mutex::new(Shard {
                        tasks: Slab::new(),
                        closed: false,
                    }))
                })
                .collect(),
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
        }
    }

    fn shard(&self, id: Id) -> &Mutex<Shard<S>> {
        &self.shards[(id.as_u64() as usize) & (self.shards.len() - 1)]
    }

    /// Creates a task owned by this list.
    ///
    /// Returns its `JoinHandle` and, unless the list is closed, its first
    /// `Notified`, which the caller must schedule. If the list is closed
    /// the future is dropped here and the handle resolves to `Cancelled`.
    /// Costs exactly one allocation (plus slab growth, amortised).
    ///
    /// ```
    /// # use std::collections::VecDeque;
    /// # use std::future::Future;
    /// # use std::pin::Pin;
    /// # use std::sync::{Arc, Mutex};
    /// # use std::task::{Context, Poll, Waker};
    /// # use weft_task::{Notified, Schedule, Task};
    /// # #[derive(Clone, Default)]
    /// # struct Fifo(Arc<Mutex<VecDeque<Notified<Fifo>>>>);
    /// # impl Fifo { fn pop(&self) -> Option<Notified<Fifo>> { self.0.lock().unwrap().pop_front() } }
    /// # impl Schedule for Fifo {
    /// #     fn schedule(&self, t: Notified<Self>) { self.0.lock().unwrap().push_back(t) }
    /// #     fn release(&self, _: &Task<Self>) -> Option<Task<Self>> { None }
    /// # }
    /// # fn output<T>(mut h: weft_task::JoinHandle<T>) -> Result<T, weft_task::JoinError> {
    /// #     match Pin::new(&mut h).poll(&mut Context::from_waker(Waker::noop())) {
    /// #         Poll::Ready(r) => r,
    /// #         Poll::Pending => panic!("the task has not finished"),
    /// #     }
    /// # }
    /// use weft_task::OwnedTasks;
    /// let list: OwnedTasks<Fifo> = OwnedTasks::new(1);
    /// let (handle, notified) = list.bind(async { 3 }, Fifo::default(), weft::task::Id::next());
    /// assert_eq!(list.len(), 1);
    /// notified.expect("the list is open").run();
    /// assert_eq!(output(handle).unwrap(), 3);
    /// ```
    #[track_caller]
    pub fn bind<F>(
        &self,
        future: F,
        scheduler: S,
        meta: impl Into<TaskMeta>,
    ) -> (JoinHandle<F::Output>, Option<Notified<S>>)
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        self.bind_inner(future, scheduler, meta.into())
    }

    /// [`bind`](Self::bind) for a future that is not `Send`: a
    /// `spawn_local` task, polled only on the thread that spawned it.
    ///
    /// The returned `JoinHandle<T>` is `Send` only if `T` is, so an output
    /// that is not `Send` stays on this thread too.
    ///
    /// # Safety
    ///
    /// The future is polled and dropped only on the current thread:
    ///
    /// * `scheduler` runs this task's `Notified`s (and drops the ones it
    ///   does not run) only on the current thread; from other threads it
    ///   may only queue them for this thread;
    /// * this list is closed ([`close_and_shutdown_all`](Self::close_and_shutdown_all))
    ///   on the current thread before the thread exits, and its tasks are
    ///   never shut down elsewhere.
    ///
    /// ```
    /// use std::sync::Mutex;
    /// use weft_task::{Notified, OwnedTasks, Schedule, Task};
    ///
    /// struct Queue(Mutex<Vec<Notified<&'static Queue>>>, OwnedTasks<&'static Queue>);
    /// impl Schedule for &'static Queue {
    ///     fn schedule(&self, task: Notified<Self>) { self.0.lock().unwrap().push(task) }
    ///     fn release(&self, task: &Task<Self>) -> Option<Task<Self>> { self.1.remove(task) }
    /// }
    /// let q: &'static Queue = Box::leak(Box::new(Queue(Mutex::new(Vec::new()), OwnedTasks::new(1))));
    /// let shared = std::rc::Rc::new(5); // not Send
    /// // SAFETY: this thread runs and closes everything below.
    /// let (join, first) = unsafe { q.1.bind_local(async move { *shared + 1 }, q, weft_task::Id::next()) };
    /// first.unwrap().run();
    /// assert!(join.is_finished());
    /// q.1.close_and_shutdown_all();
    /// ```
    #[track_caller]
    pub unsafe fn bind_local<F>(
        &self,
        future: F,
        scheduler: S,
        meta: impl Into<TaskMeta>,
    ) -> (JoinHandle<F::Output>, Option<Notified<S>>)
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        self.bind_inner(future, scheduler, meta.into())
    }

    fn bind_inner<F>(
        &self,
        future: F,
        scheduler: S,
        meta: TaskMeta,
    ) -> (JoinHandle<F::Output>, Option<Notified<S>>)
    where
        F: Future + 'static,
        F::Output: 'static,
    {
        let id = meta.id();
        // Three references: the list's Task, the first Notified, the JoinHandle.
        let raw = RawTask::new(future, scheduler, meta, self.id, 3);
        // SAFETY: one reference for each handle made here.
        let (task, notified, join) = unsafe {
            (
                Task::<S>::from_raw(raw),
                Notified::<S>::from_raw(raw),
                JoinHandle::from_raw(raw),
            )
        };
        let mut shard = lock(self.shard(id));
        if shard.closed {
            drop(shard);
            drop(notified);
            task.shutdown();
            return (join, None);
        }
        let entry = shard.tasks.vacant_entry();
        // SAFETY: the key is only touched under this shard's lock, held here.
        raw.header().owned_key.with_mut(|k| unsafe { *k = entry.key() });
        entry.insert(task);
        (join, Some(notified))
    }

    /// Removes a completing task; for [`Schedule::release`].
    ///
    /// Returns `None` if the task belongs to another list or was already
    /// taken out by [`close_and_shutdown_all`](Self::close_and_shutdown_all).
    pub fn remove(&self, task: &Task<S>) -> Option<Task<S>> {
        let raw = task.raw();
        if raw.header().owner_id != self.id {
            return None;
        }
        let mut shard = lock(self.shard(task.id()));
        // SAFETY: the key is only touched under this shard's lock, held here.
        let key = raw.header().owned_key.with(|k| unsafe { *k });
        // The task may have been drained at shutdown and its key reused; the
        // pointer check tells (a live task's address cannot be reused).
        match shard.tasks.get(key) {
            Some(t) if t.raw() == raw => Some(shard.tasks.remove(key)),
            _ => None,
        }
    }

    /// Closes the list to new tasks and cancels every task in it.
    ///
    /// Idle tasks have their futures dropped on this thread; tasks being
    /// polled elsewhere are cancelled by their poller when the poll ends.
    /// Tasks bound after this call are cancelled as they are bound.
    ///
    /// ```
    /// # use std::collections::VecDeque;
    /// # use std::future::Future;
    /// # use std::pin::Pin;
    /// # use std::sync::{Arc, Mutex};
    /// # use std::task::{Context, Poll, Waker};
    /// # use weft_task::{Notified, Schedule, Task};
    /// # #[derive(Clone, Default)]
    /// # struct Fifo(Arc<Mutex<VecDeque<Notified<Fifo>>>>);
    /// # impl Fifo { fn pop(&self) -> Option<Notified<Fifo>> { self.0.lock().unwrap().pop_front() } }
    /// # impl Schedule for Fifo {
    /// #     fn schedule(&self, t: Notified<Self>) { self.0.lock().unwrap().push_back(t) }
    /// #     fn release(&self, _: &Task<Self>) -> Option<Task<Self>> { None }
    /// # }
    /// # fn output<T>(mut h: weft_task::JoinHandle<T>) -> Result<T, weft_task::JoinError> {
    /// #     match Pin::new(&mut h).poll(&mut Context::from_waker(Waker::noop())) {
    /// #         Poll::Ready(r) => r,
    /// #         Poll::Pending => panic!("the task has not finished"),
    /// #     }
    /// # }
    /// use weft_task::OwnedTasks;
    /// let list: OwnedTasks<Fifo> = OwnedTasks::new(1);
    /// let (parked, _) = list.bind(std::future::pending::<()>(), Fifo::default(), weft::task::Id::next());
    /// list.close_and_shutdown_all();
    /// assert!(list.is_closed() && list.is_empty());
    /// assert!(output(parked).unwrap_err().is_cancelled());
    /// // A task bound after the close is cancelled at once.
    /// let (late, notified) = list.bind(async {}, Fifo::default(), weft::task::Id::next());
    /// assert!(notified.is_none());
    /// assert!(output(late).unwrap_err().is_cancelled());
    /// ```
    pub fn close_and_shutdown_all(&self) {
        for shard in self.shards.iter() {
            let drained: Vec<Task<S>> = {
                let mut shard = lock(shard);
                shard.closed = true;
                shard.tasks.drain().collect()
            };
            for task in drained {
                task.shutdown();
            }
        }
    }

    /// `true` once `close_and_shutdown_all` has run.
    ///
    /// ```
    /// # use std::collections::VecDeque;
    /// # use std::future::Future;
    /// # use std::pin::Pin;
    /// # use std::sync::{Arc, Mutex};
    /// # use std::task::{Context, Poll, Waker};
    /// # use weft_task::{Notified, Schedule, Task};
    /// # #[derive(Clone, Default)]
    /// # struct Fifo(Arc<Mutex<VecDeque<Notified<Fifo>>>>);
    /// # impl Fifo { fn pop(&self) -> Option<Notified<Fifo>> { self.0.lock().unwrap().pop_front() } }
    /// # impl Schedule for Fifo {
    /// #     fn schedule(&self, t: Notified<Self>) { self.0.lock().unwrap().push_back(t) }
    /// #     fn release(&self, _: &Task<Self>) -> Option<Task<Self>> { None }
    /// # }
    /// # fn output<T>(mut h: weft_task::JoinHandle<T>) -> Result<T, weft_task::JoinError> {
    /// #     match Pin::new(&mut h).poll(&mut Context::from_waker(Waker::noop())) {
    /// #         Poll::Ready(r) => r,
    /// #         Poll::Pending => panic!("the task has not finished"),
    /// #     }
    /// # }
    /// let list: weft_task::OwnedTasks<Fifo> = weft_task::OwnedTasks::new(4);
    /// assert!(!list.is_closed());
    /// list.close_and_shutdown_all();
    /// assert!(list.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        lock(&self.shards[0]).closed
    }

    /// How many tasks are alive (bound and not yet completed).
    ///
    /// ```
    /// # use std::collections::VecDeque;
    /// # use std::future::Future;
    /// # use std::pin::Pin;
    /// # use std::sync::{Arc, Mutex};
    /// # use std::task::{Context, Poll, Waker};
    /// # use weft_task::{Notified, Schedule, Task};
    /// # #[derive(Clone, Default)]
    /// # struct Fifo(Arc<Mutex<VecDeque<Notified<Fifo>>>>);
    /// # impl Fifo { fn pop(&self) -> Option<Notified<Fifo>> { self.0.lock().unwrap().pop_front() } }
    /// # impl Schedule for Fifo {
    /// #     fn schedule(&self, t: Notified<Self>) { self.0.lock().unwrap().push_back(t) }
    /// #     fn release(&self, _: &Task<Self>) -> Option<Task<Self>> { None }
    /// # }
    /// # fn output<T>(mut h: weft_task::JoinHandle<T>) -> Result<T, weft_task::JoinError> {
    /// #     match Pin::new(&mut h).poll(&mut Context::from_waker(Waker::noop())) {
    /// #         Poll::Ready(r) => r,
    /// #         Poll::Pending => panic!("the task has not finished"),
    /// #     }
    /// # }
    /// let list: weft_task::OwnedTasks<Fifo> = weft_task::OwnedTasks::new(4);
    /// let _bound: Vec<_> = (0..3).map(|_| list.bind(async {}, Fifo::default(), weft::task::Id::next())).collect();
    /// assert_eq!(list.len(), 3);
    /// # list.close_and_shutdown_all();
    /// ```
    pub fn len(&self) -> usize {
        self.shards.iter().map(|s| lock(s).tasks.len()).sum()
    }

    /// `true` if no task is alive.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<S: Schedule> std::fmt::Debug for OwnedTasks<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OwnedTasks")
            .field("id", &self.id)
            .field("len", &self.len())
            .finish()
    }
}
