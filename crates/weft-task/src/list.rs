//! `OwnedTasks`: every live task of a runtime, so shutdown can reach them.
//!
//! A task parked on a waker sits in no queue; only this list can find it
//! when the runtime shuts down. The list holds one reference per task (a
//! [`Task`]), taken out again by [`Schedule::release`] when the task
//! completes.
//!
//! # Protocol
//!
//! The list is split into shards, each a `Mutex<Slots>`, chosen by task id,
//! so concurrent spawns and completions rarely meet on one lock. A shard's
//! slots are one word each (in fixed pages): a task's address (the list's reference), or,
//! for a vacant slot, the next vacant one (a free list threaded through the
//! vector), told apart by bit 0 (a task header is 8-aligned). A task's key
//! (its slot's index) is stored in its header, written once by `bind`
//! under the shard's lock before the task can be reached from outside the
//! shard, and only read afterwards.
//!
//! `remove` needs no owner check: it frees a slot only if the slot holds
//! this very task's address, which is in at most one slot of one list (the
//! list's reference keeps the task alive, so its address cannot be reused
//! while it is in a slot). A task drained at shutdown, whose slot was then
//! reused, or handed to another list's `remove`, is simply not found.
//!
//! Closing is per shard and under the shard's lock: `close_and_shutdown_all`
//! marks each shard closed and drains it in the same critical section, and
//! `bind` checks the flag in its critical section. So every task is either
//! bound before its shard closed (and drained, then cancelled) or sees the
//! shard closed (and is cancelled on the spot): none is lost.

use std::future::Future;
use std::marker::PhantomData;
use std::mem::{self, ManuallyDrop};
use std::ptr::NonNull;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::raw::{Header, RawTask};
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
    tasks: Slots<S>,
    closed: bool,
}

/// A slab of task pointers, one word a slot (see the module docs), in
/// fixed pages: growing never copies or frees a page, so a shard's memory
/// is its live slots plus at most one page, with no freed buffers left
/// behind in the allocator as a doubling vector leaves them.
struct Slots<S: Schedule> {
    /// Slot `key` is `pages[key / PAGE][key % PAGE]`: a task's address, or
    /// `(next vacant + 1) << 1 | VACANT`.
    // Boxed: the outer vector's growth then moves a pointer a page, not
    // the pages (whose copies would be the freed buffers avoided here).
    #[allow(clippy::vec_box)]
    pages: Vec<Box<[usize; PAGE]>>,
    /// Slots ever used: those past it are unused (zero).
    used: usize,
    /// The first vacant slot, plus one; 0 if none.
    free: usize,
    len: usize,
    /// The slots own the list's `Task` references.
    _tasks: PhantomData<Task<S>>,
}

/// Bit 0 of a vacant slot (a task's address has it clear).
const VACANT: usize = 1;
const _: () = assert!(mem::align_of::<Header>() > VACANT);

/// Slots a page: 2 KiB. A shard that holds a task holds at least one page.
const PAGE: usize = 256;

impl<S: Schedule> Slots<S> {
    const fn new() -> Self {
        Slots {
            pages: Vec::new(),
            used: 0,
            free: 0,
            len: 0,
            _tasks: PhantomData,
        }
    }

    fn slot(&mut self, key: usize) -> Option<&mut usize> {
        self.pages.get_mut(key / PAGE).map(|page| &mut page[key % PAGE])
    }

    /// Stores the list's reference; returns its key.
    #[inline]
    fn insert(&mut self, task: Task<S>) -> usize {
        let addr = ManuallyDrop::new(task).raw().header_ptr().as_ptr() as usize;
        self.len += 1;
        if self.free != 0 {
            // Reuse the first vacant slot.
            let key = self.free - 1;
            let slot = &mut self.pages[key / PAGE][key % PAGE];
            self.free = *slot >> 1;
            *slot = addr;
            key
        } else {
            // Take the next unused slot, on a new page if need be.
            let key = self.used;
            if key == self.pages.len() * PAGE {
                self.add_page();
            }
            self.pages[key / PAGE][key % PAGE] = addr;
            self.used += 1;
            key
        }
    }

    #[cold]
    fn add_page(&mut self) {
        let page: Box<[usize; PAGE]> = vec![0; PAGE]
            .into_boxed_slice()
            .try_into()
            .unwrap_or_else(|_| unreachable!("a vector of PAGE slots"));
        self.pages.push(page);
    }

    /// Takes the reference out of slot `key` if it is `raw`'s.
    fn remove(&mut self, key: usize, raw: RawTask) -> Option<Task<S>> {
        let addr = raw.header_ptr().as_ptr() as usize;
        let free = self.free;
        let slot = self.slot(key).filter(|slot| **slot == addr)?;
        *slot = (free << 1) | VACANT;
        self.free = key + 1;
        self.len -= 1;
        // SAFETY: the slot held the list's reference to this task, and
        // now no longer does: it moves to the returned handle.
        Some(unsafe { Task::from_raw(raw) })
    }

    /// Takes every reference out; the slots are left empty.
    fn drain(&mut self) -> Vec<Task<S>> {
        let used = mem::take(&mut self.used);
        self.free = 0;
        self.len = 0;
        let pages = mem::take(&mut self.pages);
        pages
            .iter()
            .flat_map(|page| page.iter())
            .take(used)
            .filter(|addr| *addr & VACANT == 0)
            .map(|&addr| {
                // SAFETY: a used, occupied slot holds a task's header
                // address and the list's reference to it, which moves to
                // the handle.
                unsafe { Task::from_raw(RawTask::from_raw(NonNull::new_unchecked(addr as *mut Header))) }
            })
            .collect()
    }
}

impl<S: Schedule> Drop for Slots<S> {
    fn drop(&mut self) {
        // A list dropped without being closed lets go of its references.
        drop(self.drain());
    }
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
                        tasks: Slots::new(),
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
        let raw = RawTask::new(future, scheduler, meta, true, 3);
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
        let key = shard.tasks.insert(task);
        let key = u32::try_from(key).expect(
            "weft-task: more than 4 billion live tasks in one OwnedTasks shard; \
             create the list with more shards",
        );
        // SAFETY: nothing else can touch the key yet: the task is reachable
        // only from this shard, whose lock we hold, and from the handles
        // made above, which leave this function after the write.
        raw.header().owned_key.with_mut(|k| unsafe { *k = key });
        (join, Some(notified))
    }

    /// Removes a completing task; for [`Schedule::release`].
    ///
    /// Returns `None` if the task belongs to another list or was already
    /// taken out by [`close_and_shutdown_all`](Self::close_and_shutdown_all).
    pub fn remove(&self, task: &Task<S>) -> Option<Task<S>> {
        let raw = task.raw();
        // SAFETY: the key was written once, before the caller could reach
        // the task (module docs); it is only read from then on.
        let key = raw.header().owned_key.with(|k| unsafe { *k });
        // The task may have been drained at shutdown and its slot reused,
        // or belong to another list: the address check tells (module docs).
        lock(self.shard(task.id())).tasks.remove(key as usize, raw)
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
                shard.tasks.drain()
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
        self.shards.iter().map(|s| lock(s).tasks.len).sum()
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

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    struct Nop;
    impl Schedule for Nop {
        fn schedule(&self, _: Notified<Self>) {}
        fn release(&self, _: &Task<Self>) -> Option<Task<Self>> {
            None
        }
    }

    fn bound(list: &OwnedTasks<Nop>) -> Task<Nop> {
        let (_join, notified) = list.bind(std::future::pending::<()>(), Nop, Id::next());
        // A second handle on the list's task, made from the Notified's
        // reference, so the test can hand it to `remove`.
        let raw = ManuallyDrop::new(notified.expect("the list is open")).raw;
        // SAFETY: the Notified's reference moves to this Task.
        unsafe { Task::from_raw(raw) }
    }

    #[test]
    fn a_removed_slot_is_reused_by_the_next_bind() {
        let list = OwnedTasks::new(1);
        let a = bound(&list);
        let b = bound(&list);
        assert_eq!(list.len(), 2);
        drop(list.remove(&a).expect("a is in the list"));
        assert!(list.remove(&a).is_none(), "a was removed already");
        let c = bound(&list);
        // SAFETY: the keys were written by the binds above.
        let key = |t: &Task<Nop>| t.raw().header().owned_key.with(|k| unsafe { *k });
        assert_eq!(key(&c), key(&a), "c took a's vacant slot");
        assert_eq!(list.len(), 2);
        assert!(list.remove(&b).is_some() && list.remove(&c).is_some());
        assert!(list.is_empty());
    }

    #[test]
    fn slots_across_pages_are_reused_and_drained() {
        let list = OwnedTasks::new(1);
        let tasks: Vec<_> = (0..PAGE + 10).map(|_| bound(&list)).collect();
        assert_eq!(list.len(), PAGE + 10);
        // Free a slot on each page, then bind two more: they take those.
        for t in [&tasks[3], &tasks[PAGE + 5]] {
            drop(list.remove(t).expect("bound"));
        }
        let again = [bound(&list), bound(&list)];
        assert_eq!(
            lock(&list.shards[0]).tasks.used,
            PAGE + 10,
            "no new slot was used"
        );
        assert_eq!(list.len(), PAGE + 10);
        let refs = |t: &Task<Nop>| t.raw().state().load().ref_count();
        let before: Vec<usize> = again.iter().map(refs).collect();
        list.close_and_shutdown_all();
        assert!(list.is_empty());
        // The drain let go of the list's reference to each.
        let after: Vec<usize> = again.iter().map(refs).collect();
        assert!(
            before.iter().zip(&after).all(|(b, a)| a < b),
            "{before:?} -> {after:?}"
        );
        assert!(tasks.iter().all(|t| list.remove(t).is_none()));
    }

    #[test]
    fn remove_on_another_list_finds_nothing() {
        let (one, other) = (OwnedTasks::new(1), OwnedTasks::new(1));
        let a = bound(&one);
        let _b = bound(&other);
        assert!(other.remove(&a).is_none());
        assert_eq!((one.len(), other.len()), (1, 1));
        assert!(one.remove(&a).is_some());
    }

    #[test]
    fn a_task_drained_at_close_is_not_found_by_remove() {
        let list = OwnedTasks::new(1);
        let a = bound(&list);
        list.close_and_shutdown_all();
        assert!(list.is_empty());
        assert!(list.remove(&a).is_none());
    }

    #[test]
    fn dropping_an_open_list_drops_its_references() {
        let list = OwnedTasks::new(2);
        let a = bound(&list);
        let before = a.raw().state().load().ref_count();
        drop(list);
        assert_eq!(a.raw().state().load().ref_count(), before - 1);
    }
}
