//! The current-thread runtime: asyncio's loop, on the caller's thread.
//!
//! A current-thread runtime is the multi-thread scheduler with one worker
//! and no thread of its own: the thread inside `block_on` (or
//! `run_forever`) runs that worker's loop ([`weft_executor::Worker::run_until`]),
//! polling the spawned tasks and its own future in turn, and parks in the
//! reactor when all of them wait. So it has the same queues, the same
//! cooperative budget, the same fairness between its queue and work woken
//! from other threads (the injector, looked at every 61 ticks), the same
//! timers, sockets and blocking pool, and the same shutdown.
//!
//! The worker is held in [`Loop`] while no thread runs it. **While no
//! thread is inside `block_on`, nothing runs**: tasks spawned or woken
//! meanwhile wait in the queue for the next call. When two threads call
//! `block_on` at once, one runs the loop; the other polls its own future on
//! its own thread (its spawns go to the loop's queue) and takes the loop
//! over as soon as the first returns.

use std::future::Future;
use std::pin::{pin, Pin};
use std::sync::{Arc, Condvar, Mutex};
use std::task::{Context, Poll, Wake, Waker};

use weft_executor::Worker;

use weft_executor::local::LocalShared;

/// The loop's worker while no thread runs it, and the `block_on` calls
/// waiting for it.
pub(crate) struct Loop {
    slot: Mutex<Slot>,
    /// The local sets (`spawn_local`) of the threads that ran `block_on`.
    locals: Mutex<Vec<Arc<LocalShared>>>,
}

struct Slot {
    worker: Option<Worker>,
    waiters: Vec<Arc<Signal>>,
}

impl Loop {
    pub(crate) fn new(worker: Worker) -> Loop {
        Loop {
            slot: Mutex::new(Slot {
                worker: Some(worker),
                waiters: Vec::new(),
            }),
            locals: Mutex::new(Vec::new()),
        }
    }

    /// This thread's local set, made on first use.
    pub(crate) fn local_set(&self, exec: &weft_executor::Handle) -> Arc<LocalShared> {
        let me = std::thread::current().id();
        let mut locals = self.locals.lock().unwrap_or_else(|e| e.into_inner());
        locals.retain(|s| !s.is_closed());
        if let Some(s) = locals.iter().find(|s| s.owner() == me) {
            return s.clone();
        }
        let s = LocalShared::new(exec.clone());
        locals.push(s.clone());
        s
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Slot> {
        self.slot.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn give_back(&self, worker: Worker) {
        let waiters = {
            let mut slot = self.lock();
            slot.worker = Some(worker);
            std::mem::take(&mut slot.waiters)
        };
        for w in waiters {
            w.notify();
        }
    }

    /// Runs `future` to completion on this thread, running the loop while
    /// it can. `None` if the runtime shut down first.
    pub(crate) fn block_on<F: Future>(&self, future: F) -> Option<F::Output> {
        let mut future = pin!(future);
        loop {
            let taken = self.lock().worker.take();
            if let Some(worker) = taken {
                // Returned to the slot even if `future` panics.
                let mut held = Held {
                    lp: self,
                    worker: Some(worker),
                };
                let out = held.worker.as_mut().expect("held").run_until(future.as_mut());
                return out;
            }
            // Another thread runs the loop: poll here until done, or until
            // the loop is free.
            if let Some(out) = self.poll_beside(future.as_mut()) {
                return Some(out);
            }
        }
    }

    /// Polls `future` on this thread while another thread holds the loop;
    /// `None` as soon as the loop is free.
    fn poll_beside<F: Future>(&self, mut future: Pin<&mut F>) -> Option<F::Output> {
        let signal = Arc::new(Signal::default());
        let waker = Waker::from(signal.clone());
        let mut cx = Context::from_waker(&waker);
        loop {
            if let Poll::Ready(out) = weft_executor::coop::budget(|| future.as_mut().poll(&mut cx)) {
                return Some(out);
            }
            {
                let mut slot = self.lock();
                if slot.worker.is_some() {
                    return None;
                }
                if !slot.waiters.iter().any(|w| Arc::ptr_eq(w, &signal)) {
                    slot.waiters.push(signal.clone());
                }
            }
            signal.wait();
        }
    }

    /// At shutdown (the scheduler's flag raised): cancels what is left on
    /// this thread, if no other thread holds the loop (one that does sees
    /// the flag and does it itself).
    pub(crate) fn shutdown(&self) {
        let taken = self.lock().worker.take();
        if let Some(mut worker) = taken {
            // Returns at once: the flag is up. Cancels every task here.
            let _ = worker.run_until(pin!(std::future::ready(())));
            self.give_back(worker);
        }
        // This thread's local tasks; other threads' close when they exit.
        let me = std::thread::current().id();
        let mine: Vec<_> = {
            let locals = self.locals.lock().unwrap_or_else(|e| e.into_inner());
            locals.iter().filter(|s| s.owner() == me).cloned().collect()
        };
        for set in mine {
            set.close();
        }
    }
}

/// Puts the worker back (waking waiting `block_on` calls) when the loop
/// returns, or unwinds.
struct Held<'a> {
    lp: &'a Loop,
    worker: Option<Worker>,
}

impl Drop for Held<'_> {
    fn drop(&mut self) {
        if let Some(worker) = self.worker.take() {
            self.lp.give_back(worker);
        }
    }
}

/// A thread's wake-up: a flag and a condvar.
#[derive(Default)]
struct Signal {
    set: Mutex<bool>,
    cv: Condvar,
}

impl Signal {
    fn notify(&self) {
        *self.set.lock().unwrap_or_else(|e| e.into_inner()) = true;
        self.cv.notify_one();
    }

    fn wait(&self) {
        let mut set = self.set.lock().unwrap_or_else(|e| e.into_inner());
        while !*set {
            set = self.cv.wait(set).unwrap_or_else(|e| e.into_inner());
        }
        *set = false;
    }
}

impl Wake for Signal {
    fn wake(self: Arc<Self>) {
        self.notify();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.notify();
    }
}
