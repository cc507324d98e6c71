//! `spawn_local`: tasks whose futures are not `Send`, on a current-thread
//! runtime.
//!
//! # Where local tasks live
//!
//! Each thread that calls `block_on` on a current-thread runtime gets a
//! *local set* for that runtime: its own task list and a queue. A local
//! task is polled only by that thread, while it is inside that runtime's
//! `block_on` (or `run_forever`): the future given to `block_on` is
//! wrapped so that each time the loop polls it, it first runs a batch of
//! the local tasks that are ready. A wake from any thread only queues the
//! task and wakes the loop. Tasks still pending when `block_on` returns go
//! on at the thread's next `block_on`.
//!
//! So a local task's future is polled and dropped on one thread only (the
//! promise `OwnedTasks::bind_local` asks for): its set is closed, dropping
//! every pending future, when the runtime shuts down on that thread, or
//! when the thread exits, whichever comes first. A runtime dropped on
//! another thread cannot drop them; they stay until their thread exits.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::thread::ThreadId;

use weft_task::{Id, JoinHandle, Notified, OwnedTasks, PanicReport, Schedule, Task, TaskMeta};

/// Local tasks run per poll of the `block_on` future before the loop gets
/// back to its other tasks: a few, so neither kind starves the other.
const BATCH: usize = 16;

/// One thread's local tasks for one executor (see the module docs).
pub struct LocalShared {
    owner: ThreadId,
    owned: OwnedTasks<LocalScheduler>,
    queue: Mutex<VecDeque<Notified<LocalScheduler>>>,
    /// The waker of the `block_on` future that runs this set.
    waker: Mutex<Option<Waker>>,
    exec: crate::Handle,
}

/// The scheduler stored in local tasks: queues them for their thread.
#[derive(Clone)]
pub struct LocalScheduler(Arc<LocalShared>);

impl Schedule for LocalScheduler {
    fn schedule(&self, task: Notified<Self>) {
        self.0
            .queue
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push_back(task);
        let waker = self.0.waker.lock().unwrap_or_else(|e| e.into_inner()).clone();
        if let Some(w) = waker {
            weft_task::foreign::contain("a block_on waker", || w.wake());
        }
    }

    fn release(&self, task: &Task<Self>) -> Option<Task<Self>> {
        self.0.owned.remove(task)
    }

    fn unhandled_panic(&self, report: &PanicReport) {
        self.0.exec.report_unhandled_panic(report);
    }
}

impl LocalShared {
    /// A local set for the current thread, closed at its exit at the latest.
    pub fn new(exec: crate::Handle) -> Arc<LocalShared> {
        let shared = Arc::new(LocalShared {
            owner: std::thread::current().id(),
            owned: OwnedTasks::new(1),
            queue: Mutex::new(VecDeque::new()),
            waker: Mutex::new(None),
            exec,
        });
        // Closed at thread exit at the latest.
        let _ = CLOSE_AT_EXIT.try_with(|c| c.0.borrow_mut().push(shared.clone()));
        shared
    }

    /// The thread whose tasks these are.
    pub fn owner(&self) -> ThreadId {
        self.owner
    }

    /// `true` once closed.
    pub fn is_closed(&self) -> bool {
        self.owned.is_closed()
    }

    /// Drops every pending local future. Only on the owner thread.
    pub fn close(&self) {
        if std::thread::current().id() != self.owner {
            return;
        }
        self.owned.close_and_shutdown_all();
        loop {
            let task = self.queue.lock().unwrap_or_else(|e| e.into_inner()).pop_front();
            match task {
                // Cancelled by the close: dropping it drops a reference.
                Some(t) => drop(t),
                None => break,
            }
        }
        *self.waker.lock().unwrap_or_else(|e| e.into_inner()) = None;
    }
}

struct CloseAtExit(RefCell<Vec<Arc<LocalShared>>>);

impl Drop for CloseAtExit {
    fn drop(&mut self) {
        for set in self.0.borrow_mut().drain(..) {
            set.close();
        }
    }
}

thread_local! {
    /// The local set of the `block_on` running on this thread, if it is a
    /// current-thread runtime's.
    static CURRENT: RefCell<Option<Arc<LocalShared>>> = const { RefCell::new(None) };
    static CLOSE_AT_EXIT: CloseAtExit = const { CloseAtExit(RefCell::new(Vec::new())) };
}

/// A `block_on` future that runs its thread's local tasks first.
pub struct RunLocal<F> {
    set: Arc<LocalShared>,
    future: F,
}

impl<F> RunLocal<F> {
    /// Wraps `future`, the `block_on` future of `set`'s thread.
    pub fn new(set: Arc<LocalShared>, future: F) -> Self {
        RunLocal { set, future }
    }
}

impl<F: Future + Unpin> Future for RunLocal<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = &mut *self;
        {
            let mut w = this.set.waker.lock().unwrap_or_else(|e| e.into_inner());
            if !w.as_ref().is_some_and(|w| w.will_wake(cx.waker())) {
                *w = Some(cx.waker().clone());
            }
        }
        let previous = CURRENT.with(|c| c.borrow_mut().replace(this.set.clone()));
        struct Restore(Option<Arc<LocalShared>>);
        impl Drop for Restore {
            fn drop(&mut self) {
                let prev = self.0.take();
                let _ = CURRENT.try_with(|c| *c.borrow_mut() = prev);
            }
        }
        let _restore = Restore(previous);
        for _ in 0..BATCH {
            let task = this
                .set
                .queue
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .pop_front();
            match task {
                Some(task) => weft_task::coop::budget(|| task.run()),
                None => break,
            }
        }
        if !this
            .set
            .queue
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .is_empty()
        {
            // More ready: come back after the loop's other tasks.
            cx.waker().wake_by_ref();
        }
        Pin::new(&mut this.future).poll(cx)
    }
}

/// Spawns a future that need not be `Send` onto the current-thread runtime
/// whose `block_on` this thread is inside; it runs on this thread only.
///
/// The task runs while this thread is inside the runtime's `block_on` (or
/// `run_forever`); tasks still pending when `block_on` returns go on at
/// this thread's next one. Its future is dropped on this thread: when the
/// runtime shuts down here, or when the thread exits.
///
/// ```
/// use std::cell::RefCell;
/// use std::rc::Rc;
///
/// let rt = weft::Builder::new_current_thread().build()?;
/// let total = rt.block_on(async {
///     let state = Rc::new(RefCell::new(0)); // Rc: not Send
///     let tasks: Vec<_> = (1..=3)
///         .map(|i| {
///             let state = state.clone();
///             weft::task::spawn_local(async move { *state.borrow_mut() += i })
///         })
///         .collect();
///     for t in tasks {
///         t.await.unwrap();
///     }
///     let total = *state.borrow();
///     total
/// });
/// assert_eq!(total, 6);
/// # Ok::<(), std::io::Error>(())
/// ```
///
/// # Panics
///
/// Anywhere else (outside `block_on`, on a multi-thread runtime, on a
/// blocking-pool thread), with a message saying where it works.
#[track_caller]
pub fn spawn_local<F>(future: F) -> JoinHandle<F::Output>
where
    F: Future + 'static,
    F::Output: 'static,
{
    let set = CURRENT.with(|c| c.borrow().clone());
    let Some(set) = set else {
        panic!(
            "weft::task::spawn_local works only on a current-thread runtime \
             (weft::Builder::new_current_thread()), from inside its block_on or run_forever \
             (the future given to block_on, or a task it runs): its tasks run on that one thread. \
             For a future that is Send, use weft::spawn"
        );
    };
    let meta = TaskMeta::new(Id::next());
    // SAFETY: `LocalScheduler` runs its tasks only in `RunLocal::poll`, on
    // the set's owner thread (the set is current only there), and from
    // other threads only queues them; the set is closed only on its owner
    // thread (`LocalShared::close` checks), at the runtime's shutdown there
    // or at the thread's exit.
    let (join, notified) = unsafe { set.owned.bind_local(future, LocalScheduler(set.clone()), meta) };
    if let Some(task) = notified {
        LocalScheduler(set).schedule(task);
    }
    join
}
